/* p2p element tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"
#include "../server/harness.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <p2p-core/p2p-core.h>
#include <p2p-protocol-uid.h>

/* Writes @identity's key and certificate to the key file @path. */
static void
write_key_file (P2pIdentity * identity, const gchar * path)
{
  g_autofree gchar *cert = p2p_identity_get_certificate_pem (identity);
  g_autofree gchar *key = p2p_identity_get_private_key_pem (identity, NULL);
  g_autofree gchar *pem = g_strconcat (key, cert, NULL);

  fail_unless (g_file_set_contents (path, pem, -1, NULL));
}

static void
set_fingerprint (P2pTestEnv * env)
{
  P2pIdentity *identity = p2p_identity_new_from_file (env->key_file, NULL);

  fail_unless (identity != NULL);
  g_free (env->fingerprint);
  env->fingerprint = g_strdup (p2p_identity_get_fingerprint (identity));
  g_object_unref (identity);
}

/* Removes @dir and everything in it. */
void
p2p_test_remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR)
        && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
      p2p_test_remove_dir (path);
    else
      g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

#define DIR_PREFIX "p2p-elements-"

/* Removes the directories in @parent of test processes that are gone: a
 * test that crashed, timed out or was killed could not remove its own. */
static void
remove_stale_dirs (const gchar * parent)
{
  GDir *d = g_dir_open (parent, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    g_autofree gchar *path = NULL;
    const gchar *digits;
    gchar *end = NULL;
    gint64 pid;

    if (!g_str_has_prefix (name, DIR_PREFIX))
      continue;
    digits = name + strlen (DIR_PREFIX);
    pid = g_ascii_strtoll (digits, &end, 10);
    /* Another naming, or a process that still runs (or is not ours). */
    if (end == digits || *end != '-' || pid <= 0 || pid > G_MAXINT
        || kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
      continue;
    path = g_build_filename (parent, name, NULL);
    p2p_test_remove_dir (path);
  }
  if (d)
    g_dir_close (d);
}

/* A new directory for one environment or test, named after this process,
 * in $P2P_TEST_TMPDIR (meson sets a folder of the build directory), else
 * in the system's temporary directory; stale ones go first. A test that
 * fails leaves its directory behind (check ends the process at once), for
 * the next one to remove. */
gchar *
p2p_test_make_dir (void)
{
  const gchar *parent = g_getenv ("P2P_TEST_TMPDIR");
  gchar *path;

  if (parent == NULL || *parent == '\0')
    parent = g_get_tmp_dir ();
  fail_unless (g_mkdir_with_parents (parent, 0700) == 0,
      "cannot make %s", parent);
  remove_stale_dirs (parent);
  path = g_strdup_printf ("%s/" DIR_PREFIX "%d-XXXXXX", parent,
      (gint) getpid ());
  fail_unless (g_mkdtemp (path) != NULL, "cannot make %s", path);
  return path;
}

/* The parts both kinds of environment have: the directory and the
 * password verifier. */
static P2pTestEnv *
env_new (void)
{
  P2pTestEnv *env = g_new0 (P2pTestEnv, 1);
  P2pPasswordVerifier *verifier;
  g_autofree gchar *text = NULL;

  env->dir = p2p_test_make_dir ();
  verifier = p2p_password_verifier_new (P2P_TEST_PASSWORD,
      P2P_PASSWORD_VERIFIER_MIN_ITERATIONS, NULL);
  fail_unless (verifier != NULL);
  text = p2p_password_verifier_to_string (verifier);
  p2p_password_verifier_free (verifier);
  env->password_file = g_build_filename (env->dir, "verifier", NULL);
  fail_unless (g_file_set_contents (env->password_file, text, -1, NULL));
  return env;
}

/* A direct signaller pair for the camera of @env, vouching for its
 * fingerprint as the server's registry would; keeps the camera end. */
static void
env_link_camera (P2pTestEnv * env)
{
  P2pDirectSignaller *camera, *viewer;

  p2p_direct_signaller_new_pair (NULL, env->uid, env->fingerprint, &camera,
      &viewer);
  /* Each p2psrc gets a viewer end of its own (p2p_test_env_pipeline). */
  g_object_unref (viewer);
  g_clear_object (&env->camera);
  env->camera = camera;
}

/**
 * p2p_test_env_new:
 *
 * A camera identity of a new random UID in a fresh temporary directory,
 * and the direct signaller that p2p_test_env_pipeline() gives the elements:
 * no server process.
 *
 * Returns: (transfer full): the environment
 */
P2pTestEnv *
p2p_test_env_new (void)
{
  P2pTestEnv *env = env_new ();
  P2pIdentity *identity;

  env->uid = p2p_uid_generate (NULL, NULL);
  fail_unless (env->uid != NULL);
  identity = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, env->uid, 30,
      NULL);
  fail_unless (identity != NULL);
  env->key_file = g_build_filename (env->dir, "camera.pem", NULL);
  write_key_file (identity, env->key_file);
  g_object_unref (identity);
  set_fingerprint (env);
  env_link_camera (env);
  return env;
}

/**
 * p2p_test_env_new_with_server:
 *
 * Provisions one device with p2p-uid in a fresh temporary directory and
 * starts p2p-server on it: for the tests of the server path.
 *
 * Returns: (transfer full): the environment
 */
P2pTestEnv *
p2p_test_env_new_with_server (void)
{
  P2pTestEnv *env = env_new ();
  HarnessServer *server;

  env->registry = g_build_filename (env->dir, "registry.db", NULL);
  env->uid = harness_add_device (env->dir, env->registry, "camera");
  env->key_file = g_build_filename (env->dir, "camera.pem", NULL);
  set_fingerprint (env);
  server = harness_server_start (env->registry, NULL, NULL);
  env->url = g_strdup (server->url);
  env->server = server;
  return env;
}

/**
 * p2p_test_env_replace_camera:
 * @env: an environment without a server
 *
 * The camera is replaced, or someone impersonates it with the signalling's
 * help: a new key under the same UID, in a new key file (@env's key_file
 * and fingerprint change), which a new direct signaller vouches for. Stop
 * the old camera first.
 */
void
p2p_test_env_replace_camera (P2pTestEnv * env)
{
  P2pIdentity *identity;

  fail_unless (env->camera != NULL, "only without a server");
  identity = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, env->uid, 30,
      NULL);
  fail_unless (identity != NULL);
  g_free (env->key_file);
  env->key_file = g_build_filename (env->dir, "replaced.pem", NULL);
  write_key_file (identity, env->key_file);
  g_object_unref (identity);
  set_fingerprint (env);
  env_link_camera (env);
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

void
p2p_test_env_free (P2pTestEnv * env)
{
  HarnessServer *server = env->server;

  if (server) {
    harness_server_stop (server);
    harness_server_free (server);
  }
  g_clear_object (&env->camera);
  p2p_test_remove_dir (env->dir);
  g_free (env->dir);
  g_free (env->uid);
  g_free (env->key_file);
  g_free (env->fingerprint);
  g_free (env->password_file);
  g_free (env->registry);
  g_free (env->url);
  g_free (env);
}

/* Whether @element is made by @factory. */
static gboolean
is_a (GstElement * element, const gchar * factory)
{
  GstElementFactory *f = gst_element_get_factory (element);

  return f && g_str_equal (GST_OBJECT_NAME (f), factory);
}

/* Gives a p2psink or p2psrc that has no server its end of @env's direct
 * signaller. */
static void
plug_signaller (GstElement * element, P2pTestEnv * env)
{
  g_autofree gchar *server = NULL;
  P2pDirectSignaller *end;

  if (!env || !env->camera || !(is_a (element, "p2psink")
          || is_a (element, "p2psrc")))
    return;
  g_object_get (element, "server", &server, NULL);
  if (server && *server)
    return;
  end = is_a (element, "p2psink") ? g_object_ref (env->camera) :
      p2p_direct_signaller_new_viewer (env->camera);
  g_object_set (element, "signaller", end, NULL);
  g_object_unref (end);
}

static void prepare (GstElement * element, P2pTestEnv * env);

static void
source_setup (GstElement * bin, GstElement * source, gpointer env)
{
  prepare (source, env);
}

static void
prepare_one (const GValue * item, gpointer env)
{
  GstElement *element = g_value_get_object (item);

  /* These tests go through their own signalling, and LAN discovery would
   * send queries on the host's own interfaces. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), "lan"))
    g_object_set (element, "lan", FALSE, NULL);
  plug_signaller (element, env);
  /* uridecodebin and playbin make their p2psrc only when they start. */
  if (g_signal_lookup ("source-setup", G_OBJECT_TYPE (element)))
    g_signal_connect (element, "source-setup", G_CALLBACK (source_setup), env);
}

/* prepare_one() on @element and, in a bin, every element inside. */
static void
prepare (GstElement * element, P2pTestEnv * env)
{
  GValue item = G_VALUE_INIT;
  GstIterator *it;

  /* The elements are bins themselves (rtpbin inside). */
  g_value_init (&item, GST_TYPE_ELEMENT);
  g_value_set_object (&item, element);
  prepare_one (&item, env);
  g_value_unset (&item);
  if (!GST_IS_BIN (element))
    return;
  it = gst_bin_iterate_recurse (GST_BIN (element));
  gst_iterator_foreach (it, prepare_one, env);
  gst_iterator_free (it);
}

/**
 * p2p_test_keep_off_lan:
 * @element: an element, or a bin of them
 *
 * Turns the local network off in every p2psink and p2psrc of @element,
 * including those a uridecodebin or playbin in it makes later.
 */
void
p2p_test_keep_off_lan (GstElement * element)
{
  prepare (element, NULL);
}

/**
 * p2p_test_env_pipeline:
 * @env: (nullable): the environment, or %NULL (p2p_test_pipeline())
 * @description: gst-launch syntax, printf format
 *
 * A pipeline whose p2psink and p2psrc elements stay off the local network.
 * With @env, every p2psink and p2psrc in it with no `server` (including the
 * p2psrc a uridecodebin makes) gets @env's direct signaller: the camera
 * end, or a viewer end of its own. Without, they meet through the server
 * their description names.
 *
 * Returns: (transfer full): the pipeline, in NULL state
 */
GstElement *
p2p_test_env_pipeline (P2pTestEnv * env, const gchar * description, ...)
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
  prepare (pipeline, env);
  return pipeline;
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
 * p2p_test_viewer_stat:
 * @camera: a pipeline whose p2psink is named `cam`
 * @viewer_id: a viewer, `viewer-N`
 * @field: a uint64 counter of its entry in the `stats` property
 *
 * Returns: the counter, 0 until the viewer is known
 */
guint64
p2p_test_viewer_stat (GstElement * camera, const gchar * viewer_id,
    const gchar * field)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (camera), "cam");
  GstStructure *stats, *viewer = NULL;
  guint64 n = 0;

  fail_unless (sink != NULL);
  g_object_get (sink, "stats", &stats, NULL);
  if (gst_structure_get (stats, viewer_id, GST_TYPE_STRUCTURE, &viewer, NULL)) {
    gst_structure_get_uint64 (viewer, field, &n);
    gst_structure_free (viewer);
  }
  gst_structure_free (stats);
  gst_object_unref (sink);
  return n;
}

/* The payload types p2psink sends video and its retransmissions with
 * (gstp2pcodecs.h). */
#define PT_VIDEO 96
#define PT_VIDEO_RTX 97

typedef struct
{
  guint count;
  gboolean lose_rtx;
} Loss;

typedef struct
{
  GstPadProbeCallback callback;
  gpointer data;
  GDestroyNotify notify;
} PacketProbe;

static void
packet_probe_free (gpointer data)
{
  PacketProbe *probe = data;

  if (probe->notify)
    probe->notify (probe->data);
  g_free (probe);
}

static GstPadProbeReturn
packet_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  PacketProbe *probe = data;
  GstBufferList *list;
  guint i = 0;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    return probe->callback (pad, info, probe->data);
  list = gst_buffer_list_make_writable (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  GST_PAD_PROBE_INFO_DATA (info) = list;
  while (i < gst_buffer_list_length (list)) {
    GstPadProbeInfo one = *info;

    one.type = (info->type & ~GST_PAD_PROBE_TYPE_BUFFER_LIST) |
        GST_PAD_PROBE_TYPE_BUFFER;
    one.data = gst_buffer_list_get (list, i);
    if (probe->callback (pad, &one, probe->data) == GST_PAD_PROBE_DROP)
      gst_buffer_list_remove (list, i, 1);
    else
      i++;
  }
  return gst_buffer_list_length (list) > 0 ? GST_PAD_PROBE_OK :
      GST_PAD_PROBE_DROP;
}

/**
 * p2p_test_probe_packets:
 * @pad: a pad carrying buffers, buffer lists or both (p2psrc's `rtpsrc`
 *     pushes the packets of one batched read as a list)
 * @callback: a buffer probe: called for each buffer, alone or in a list;
 *     %GST_PAD_PROBE_DROP drops that buffer (from its list)
 * @data: for @callback
 * @notify: (nullable): frees @data with the probe
 *
 * A buffer probe that sees every packet whether it travels alone or in a
 * list, for the tests that count or lose packets.
 */
void
p2p_test_probe_packets (GstPad * pad, GstPadProbeCallback callback,
    gpointer data, GDestroyNotify notify)
{
  PacketProbe *probe = g_new0 (PacketProbe, 1);

  probe->callback = callback;
  probe->data = data;
  probe->notify = notify;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, packet_probe, probe, packet_probe_free);
}

static GstPadProbeReturn
lose_video (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Loss *loss = data;
  guint8 b[2];

  if (gst_buffer_extract (GST_PAD_PROBE_INFO_BUFFER (info), 0, b, 2) != 2)
    return GST_PAD_PROBE_OK;
  if ((b[1] & 0x7f) == PT_VIDEO_RTX)
    return loss->lose_rtx ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
  if ((b[1] & 0x7f) == PT_VIDEO && ++loss->count % 3 == 0)
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/**
 * p2p_test_lose_video:
 * @viewer: a pipeline whose p2psrc is named `src`, not started yet
 * @lose_rtx: whether its retransmissions are lost too
 *
 * A third of the video (every third packet) never reaches the viewer's
 * rtpbin: a path that loses far more than a radio does.
 */
void
p2p_test_lose_video (GstElement * viewer, gboolean lose_rtx)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  GstElement *rtpsrc;
  GstPad *pad;
  Loss *loss = g_new0 (Loss, 1);

  fail_unless (src != NULL);
  rtpsrc = gst_bin_get_by_name (GST_BIN (src), "rtpsrc");
  pad = gst_element_get_static_pad (rtpsrc, "src");
  loss->lose_rtx = lose_rtx;
  p2p_test_probe_packets (pad, lose_video, loss, g_free);
  gst_object_unref (pad);
  gst_object_unref (rtpsrc);
  gst_object_unref (src);
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
