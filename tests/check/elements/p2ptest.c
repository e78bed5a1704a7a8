/* p2p element tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"
#include "../server/harness.h"

#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>

/**
 * p2p_test_env_new:
 *
 * Provisions one device with p2p-uid in a fresh temporary directory and
 * starts p2p-server on it.
 *
 * Returns: (transfer full): the environment
 */
P2pTestEnv *
p2p_test_env_new (void)
{
  P2pTestEnv *env = g_new0 (P2pTestEnv, 1);
  HarnessServer *server;

  env->dir = g_dir_make_tmp ("p2p-elements-XXXXXX", NULL);
  fail_unless (env->dir != NULL);
  env->registry = g_build_filename (env->dir, "registry.db", NULL);
  env->uid = harness_add_device (env->dir, env->registry, "camera");
  env->key_file = g_build_filename (env->dir, "camera.pem", NULL);
  server = harness_server_start (env->registry, NULL, NULL);
  env->url = g_strdup (server->url);
  env->server = server;
  return env;
}

/**
 * p2p_test_env_restart_server:
 * @env: the environment
 *
 * Stops p2p-server and starts it again on the same port, as after a
 * server crash or upgrade.
 */
void
p2p_test_env_restart_server (P2pTestEnv * env)
{
  HarnessServer *server = env->server;
  gchar *port = g_strdup_printf ("--port=%d", server->port);

  harness_server_stop (server);
  harness_server_free (server);
  server = harness_server_start (env->registry, port, NULL);
  fail_unless_equals_string (server->url, env->url);
  env->server = server;
  g_free (port);
}

static void
remove_tree (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

void
p2p_test_env_free (P2pTestEnv * env)
{
  HarnessServer *server = env->server;

  harness_server_stop (server);
  harness_server_free (server);
  remove_tree (env->dir);
  g_free (env->dir);
  g_free (env->registry);
  g_free (env->uid);
  g_free (env->key_file);
  g_free (env->url);
  g_free (env);
}

/**
 * p2p_test_pipeline:
 * @description: gst-launch syntax, printf format
 *
 * Returns: (transfer full): the pipeline, in NULL state
 */
GstElement *
p2p_test_pipeline (const gchar * description, ...)
{
  GError *err = NULL;
  GstElement *pipeline;
  gchar *text;
  va_list args;

  va_start (args, description);
  text = g_strdup_vprintf (description, args);
  va_end (args);
  pipeline = gst_parse_launch (text, &err);
  fail_unless (pipeline != NULL, "%s: %s", text, err ? err->message : "");
  g_clear_error (&err);
  g_free (text);
  p2p_test_keep_off_lan (pipeline);
  return pipeline;
}

static void
source_setup (GstElement * bin, GstElement * source, gpointer data)
{
  p2p_test_keep_off_lan (source);
}

static void
keep_off_lan (const GValue * item, gpointer data)
{
  GObject *element = g_value_get_object (item);

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), "lan"))
    g_object_set (element, "lan", FALSE, NULL);
  /* uridecodebin and playbin make their p2psrc only when they start. */
  if (g_signal_lookup ("source-setup", G_OBJECT_TYPE (element)))
    g_signal_connect (element, "source-setup", G_CALLBACK (source_setup), NULL);
}

/**
 * p2p_test_keep_off_lan:
 * @element: an element, or a bin of them
 *
 * Turns the local network off in every p2psink and p2psrc of @element,
 * including those a uridecodebin or playbin in it makes later: these tests
 * go through their own server on loopback, and LAN discovery would send
 * queries on the host's own interfaces.
 */
void
p2p_test_keep_off_lan (GstElement * element)
{
  GValue item = G_VALUE_INIT;
  GstIterator *it;

  /* The elements are bins themselves (rtpbin inside). */
  g_value_init (&item, GST_TYPE_ELEMENT);
  g_value_set_object (&item, element);
  keep_off_lan (&item, NULL);
  g_value_unset (&item);
  if (!GST_IS_BIN (element))
    return;
  it = gst_bin_iterate_recurse (GST_BIN (element));
  gst_iterator_foreach (it, keep_off_lan, NULL);
  gst_iterator_free (it);
}

/**
 * p2p_test_wait_message:
 * @pipeline: a pipeline
 * @types: message types to wait for
 * @structure_name: (nullable): for element messages, the structure name
 * @timeout_ms: how long to wait
 *
 * Pops messages off @pipeline's bus until one matches; an ERROR that was
 * not asked for fails the test.
 *
 * Returns: (transfer full) (nullable): the message, %NULL on time-out
 */
GstMessage *
p2p_test_wait_message (GstElement * pipeline, GstMessageType types,
    const gchar * structure_name, guint timeout_ms)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  GstMessage *msg = NULL;

  while (g_get_monotonic_time () < deadline) {
    GstClockTime left = (deadline - g_get_monotonic_time ()) * GST_USECOND;

    msg = gst_bus_timed_pop_filtered (bus, left, types | GST_MESSAGE_ERROR);
    if (!msg)
      break;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR
        && !(types & GST_MESSAGE_ERROR)) {
      GError *err = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (msg, &err, &debug);
      fail ("unexpected error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg),
          err->message, debug);
    }
    if (!structure_name || (gst_message_get_structure (msg)
            && gst_structure_has_name (gst_message_get_structure (msg),
                structure_name)))
      break;
    gst_message_unref (msg);
    msg = NULL;
  }
  gst_object_unref (bus);
  return msg;
}

void
p2p_test_start (GstElement * pipeline)
{
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
}

void
p2p_test_stop (GstElement * pipeline)
{
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

/**
 * p2p_test_h264_hash:
 * @buffer: an H.264 access unit in byte-stream form
 * @has_sps: (out): whether it holds a sequence parameter set
 * @has_pps: (out): whether it holds a picture parameter set
 * @has_idr: (out): whether it holds an IDR slice
 *
 * Hashes the slice NAL units only: payloaders may add parameter sets and
 * drop access unit delimiters, but must carry the coded picture unchanged.
 *
 * Returns: (transfer full): SHA-256 of the slices, hex
 */
gchar *
p2p_test_h264_hash (GstBuffer * buffer, gboolean * has_sps,
    gboolean * has_pps, gboolean * has_idr)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  GstMapInfo map;
  gsize i = 0;
  gchar *hex;

  *has_sps = *has_pps = *has_idr = FALSE;
  fail_unless (gst_buffer_map (buffer, &map, GST_MAP_READ));
  /* Walks start codes; each NAL runs to the next start code. */
  while (i + 3 <= map.size) {
    gsize nal, end;
    guint type;

    if (!(map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1)) {
      i++;
      continue;
    }
    nal = i + 3;
    end = nal;
    while (end + 3 <= map.size && !(map.data[end] == 0
            && map.data[end + 1] == 0 && (map.data[end + 2] == 1
                || (map.data[end + 2] == 0 && end + 3 < map.size
                    && map.data[end + 3] == 1))))
      end++;
    if (end + 3 > map.size)
      end = map.size;
    if (nal < map.size) {
      type = map.data[nal] & 0x1f;
      if (type == 7)
        *has_sps = TRUE;
      else if (type == 8)
        *has_pps = TRUE;
      else if (type == 5)
        *has_idr = TRUE;
      if (type >= 1 && type <= 5)
        g_checksum_update (sum, map.data + nal, end - nal);
    }
    i = end;
  }
  gst_buffer_unmap (buffer, &map);
  hex = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return hex;
}

/**
 * p2p_test_time_scale:
 *
 * How much longer than usual waits may take: $P2P_TEST_TIME_SCALE, which
 * the `asan` test setup sets (sanitizer builds run several times slower),
 * else 1.
 *
 * Returns: a factor from 1 to 10
 */
gint
p2p_test_time_scale (void)
{
  const gchar *env = g_getenv ("P2P_TEST_TIME_SCALE");
  gint64 scale = env ? g_ascii_strtoll (env, NULL, 10) : 1;

  return CLAMP (scale, 1, 10);
}

/**
 * p2p_test_pull:
 * @pipeline: a pipeline
 * @sink_name: name of an appsink in it
 *
 * Returns: (transfer full): the next sample; fails the test on time-out
 */
GstSample *
p2p_test_pull (GstElement * pipeline, const gchar * sink_name)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), sink_name);
  GstSample *sample;

  fail_unless (sink != NULL);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
      P2P_TEST_WAIT_MS * GST_MSECOND);
  gst_object_unref (sink);
  fail_unless (sample != NULL, "no buffer from %s within %d ms", sink_name,
      P2P_TEST_WAIT_MS);
  return sample;
}

/**
 * p2p_test_expect_ready_error:
 * @factory: element to make
 * @expected: text the error message must contain
 * @first_prop: (nullable): first property to set
 * @args: its value, then more name/value pairs, %NULL-terminated
 *
 * Checks that NULL→READY fails with an ERROR whose message names the
 * problem.
 */
void
p2p_test_expect_ready_error (const gchar * factory, const gchar * expected,
    const gchar * first_prop, va_list args)
{
  GstElement *element = gst_element_factory_make (factory, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  fail_unless (element != NULL);
  gst_element_set_bus (element, bus);
  p2p_test_keep_off_lan (element);
  if (first_prop)
    g_object_set_valist (G_OBJECT (element), first_prop, args);

  fail_unless (gst_element_set_state (element, GST_STATE_READY) ==
      GST_STATE_CHANGE_FAILURE, "%s: READY did not fail ('%s' expected)",
      factory, expected);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no ERROR message");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, expected) != NULL,
      "'%s' does not mention '%s'", err->message, expected);
  g_error_free (err);
  gst_message_unref (msg);

  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (bus);
  gst_object_unref (element);
}
