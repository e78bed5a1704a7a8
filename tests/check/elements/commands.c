/* The command channel between p2psrc and p2psink: commands and replies in
 * order, replies and events to the right viewer, limits.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"

#include <string.h>

#define CAMERA \
  "videotestsrc is-live=true ! " \
  "video/x-raw,width=160,height=120,framerate=15/1 ! " \
  "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! " \
  "p2psink name=cam uid=%s key-file=%s password-file=%s " \
  "command-rate=%u"

#define VIEWER \
  "p2psrc name=src uid=%s password=%s timeout=10000 ! " \
  "fakesink sync=false"

#define COMMANDS 1000

static P2pTestEnv *env;

typedef struct
{
  GMutex lock;
  GCond cond;
  GArray *ids;                  /* reply request ids, in arrival order */
  GPtrArray *payloads;          /* reply payloads */
  guint ok;
  guint refused;
  GPtrArray *events;            /* "name=payload" */
} Inbox;

typedef struct
{
  GMutex lock;
  guint commands;
  gchar *last_viewer;
} CameraLog;

static void
setup (void)
{
  env = p2p_test_env_new ();
}

static void
teardown (void)
{
  p2p_test_env_free (env);
  env = NULL;
}

static void
inbox_init (Inbox * in)
{
  g_mutex_init (&in->lock);
  g_cond_init (&in->cond);
  in->ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  in->payloads = g_ptr_array_new_with_free_func (g_free);
  in->events = g_ptr_array_new_with_free_func (g_free);
}

static void
inbox_clear (Inbox * in)
{
  g_array_unref (in->ids);
  g_ptr_array_unref (in->payloads);
  g_ptr_array_unref (in->events);
  g_mutex_clear (&in->lock);
  g_cond_clear (&in->cond);
}

static void
on_reply (GstElement * src, guint64 id, gboolean ok, const gchar * payload,
    Inbox * in)
{
  g_mutex_lock (&in->lock);
  g_array_append_val (in->ids, id);
  g_ptr_array_add (in->payloads, g_strdup (payload));
  if (ok)
    in->ok++;
  else
    in->refused++;
  g_cond_broadcast (&in->cond);
  g_mutex_unlock (&in->lock);
}

static void
on_event (GstElement * src, const gchar * name, const gchar * payload,
    Inbox * in)
{
  g_mutex_lock (&in->lock);
  g_ptr_array_add (in->events, g_strdup_printf ("%s=%s", name, payload));
  g_cond_broadcast (&in->cond);
  g_mutex_unlock (&in->lock);
}

/* Waits until @in holds @replies replies and @events events. */
static gboolean
inbox_wait (Inbox * in, guint replies, guint events)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  gboolean done;

  g_mutex_lock (&in->lock);
  while (!(done = in->ids->len >= replies && in->events->len >= events)
      && g_cond_wait_until (&in->cond, &in->lock, deadline));
  g_mutex_unlock (&in->lock);
  return done;
}

/* The camera application: echoes every command back to its sender (a
 * long payload as its length). */
static void
on_command (GstElement * cam, const gchar * viewer, guint64 id,
    const gchar * name, const gchar * payload, CameraLog * log)
{
  gchar *answer = strlen (payload) < 100 ?
      g_strdup_printf ("%s:%s", name, payload) :
      g_strdup_printf ("%s:%" G_GSIZE_FORMAT " bytes", name, strlen (payload));
  gboolean sent = FALSE;

  g_mutex_lock (&log->lock);
  log->commands++;
  g_free (log->last_viewer);
  log->last_viewer = g_strdup (viewer);
  g_mutex_unlock (&log->lock);
  g_signal_emit_by_name (cam, "reply", viewer, id, TRUE, answer, &sent);
  fail_unless (sent);
  g_free (answer);
}

static GstElement *
start_camera (guint rate, CameraLog * log)
{
  GstElement *cam = p2p_test_env_pipeline (env, CAMERA, env->uid,
      env->key_file, env->password_file, rate);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (cam), "cam");

  g_mutex_init (&log->lock);
  g_signal_connect (sink, "command", G_CALLBACK (on_command), log);
  gst_object_unref (sink);
  p2p_test_start (cam);
  return cam;
}

static void
camera_log_clear (CameraLog * log)
{
  g_free (log->last_viewer);
  g_mutex_clear (&log->lock);
}

/* A viewer, returned once the camera admitted it; its p2psrc in @src. */
static GstElement *
start_viewer (const gchar * password, Inbox * in, GstElement ** src)
{
  GstElement *viewer = p2p_test_env_pipeline (env, VIEWER, env->uid,
      password);
  gint64 deadline = g_get_monotonic_time () + P2P_TEST_WAIT_MS * 1000;

  *src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  g_signal_connect (*src, "command-reply", G_CALLBACK (on_reply), in);
  g_signal_connect (*src, "event", G_CALLBACK (on_event), in);
  p2p_test_start (viewer);
  while (g_get_monotonic_time () < deadline) {
    GstMessage *msg = p2p_test_wait_message (viewer,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR, NULL, 1000);
    const GstStructure *s;
    gboolean connected;

    if (!msg)
      continue;
    s = gst_message_get_structure (msg);
    connected = s && gst_structure_has_name (s, "p2p-connection")
        && g_strcmp0 (gst_structure_get_string (s, "state"), "connected") == 0;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_unref (msg);
      break;
    }
    gst_message_unref (msg);
    if (connected)
      return viewer;
  }
  return viewer;
}

static void
finish (GstElement * cam, GstElement * viewer, GstElement * src, Inbox * in,
    CameraLog * log)
{
  gst_object_unref (src);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);
  inbox_clear (in);
  camera_log_clear (log);
}

static guint64
send_command (GstElement * src, const gchar * name, const gchar * payload)
{
  guint64 id = 0;

  g_signal_emit_by_name (src, "send-command", name, payload, &id);
  return id;
}

GST_START_TEST (test_commands_replied_in_order)
{
  GstElement *cam, *viewer, *src;
  CameraLog log = { 0 };
  Inbox in;
  guint i;

  inbox_init (&in);
  cam = start_camera (10000, &log);
  viewer = start_viewer (P2P_TEST_PASSWORD, &in, &src);
  for (i = 0; i < COMMANDS; i++) {
    gchar payload[32];

    g_snprintf (payload, sizeof (payload), "{\"step\":%u}", i);
    fail_unless_equals_uint64 (send_command (src, "pan", payload), i + 1);
  }
  fail_unless (inbox_wait (&in, COMMANDS, 0), "%u replies", in.ids->len);
  for (i = 0; i < COMMANDS; i++) {
    g_autofree gchar *expected = g_strdup_printf ("pan:{\"step\":%u}", i);

    fail_unless_equals_uint64 (g_array_index (in.ids, guint64, i), i + 1);
    fail_unless_equals_string (g_ptr_array_index (in.payloads, i), expected);
  }
  fail_unless_equals_int (in.refused, 0);
  fail_unless_equals_int (log.commands, COMMANDS);

  finish (cam, viewer, src, &in, &log);
}

GST_END_TEST;

/* A reply goes to the viewer that asked; an event to one viewer or to
 * all. */
GST_START_TEST (test_reply_and_events_reach_the_right_viewer)
{
  GstElement *cam, *a, *b, *src_a, *src_b, *sink;
  CameraLog log = { 0 };
  Inbox in_a, in_b;
  g_autofree gchar *viewer_a = NULL;
  guint sent = 0;

  inbox_init (&in_a);
  inbox_init (&in_b);
  cam = start_camera (20, &log);
  sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  a = start_viewer (P2P_TEST_PASSWORD, &in_a, &src_a);
  b = start_viewer (P2P_TEST_PASSWORD, &in_b, &src_b);

  fail_unless (send_command (src_a, "light", "on") > 0);
  fail_unless (inbox_wait (&in_a, 1, 0));
  fail_unless_equals_string (g_ptr_array_index (in_a.payloads, 0), "light:on");
  g_mutex_lock (&log.lock);
  viewer_a = g_strdup (log.last_viewer);
  g_mutex_unlock (&log.lock);

  /* An event to viewer A alone, then one to everyone: B's first event is
   * the broadcast, so it never saw A's reply or A's event. */
  g_signal_emit_by_name (sink, "send-event", viewer_a, "private", "a", &sent);
  fail_unless_equals_int (sent, 1);
  g_signal_emit_by_name (sink, "send-event", NULL, "ring", "{}", &sent);
  fail_unless_equals_int (sent, 2);
  fail_unless (inbox_wait (&in_a, 1, 2));
  fail_unless (inbox_wait (&in_b, 0, 1));
  fail_unless_equals_string (g_ptr_array_index (in_a.events, 0), "private=a");
  fail_unless_equals_string (g_ptr_array_index (in_a.events, 1), "ring={}");
  fail_unless_equals_string (g_ptr_array_index (in_b.events, 0), "ring={}");
  fail_unless_equals_int (in_b.events->len, 1);
  fail_unless_equals_int (in_b.ids->len, 0);

  gst_object_unref (sink);
  gst_object_unref (src_a);
  gst_object_unref (src_b);
  p2p_test_stop (a);
  p2p_test_stop (b);
  p2p_test_stop (cam);
  inbox_clear (&in_a);
  inbox_clear (&in_b);
  camera_log_clear (&log);
}

GST_END_TEST;

/* A viewer the camera refused cannot get a command through. */
GST_START_TEST (test_unauthorized_command_not_delivered)
{
  GstElement *cam, *viewer, *src;
  CameraLog log = { 0 };
  Inbox in;
  GstMessage *msg;

  inbox_init (&in);
  cam = start_camera (20, &log);
  viewer = p2p_test_env_pipeline (env, VIEWER, env->uid, "guess");
  src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  p2p_test_start (viewer);
  fail_unless_equals_uint64 (send_command (src, "siren", "on"), 0);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "wrong password not refused");
  gst_message_unref (msg);
  fail_unless_equals_uint64 (send_command (src, "siren", "on"), 0);
  fail_unless_equals_int (log.commands, 0);

  finish (cam, viewer, src, &in, &log);
}

GST_END_TEST;

GST_START_TEST (test_oversized_command_refused)
{
  GstElement *cam, *viewer, *src;
  CameraLog log = { 0 };
  Inbox in;
  GstMessage *msg;
  GError *err = NULL;
  gchar *big;

  inbox_init (&in);
  cam = start_camera (20, &log);
  viewer = start_viewer (P2P_TEST_PASSWORD, &in, &src);

  big = g_strnfill (16 * 1024 + 1, 'x');
  fail_unless_equals_uint64 (send_command (src, "upload", big), 0);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_WARNING, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "exceeds the limit of 16384 bytes")
      != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  /* At the limit it goes through. */
  big[16 * 1024] = '\0';
  fail_unless (send_command (src, "upload", big) > 0);
  fail_unless (inbox_wait (&in, 1, 0));
  fail_unless_equals_string (g_ptr_array_index (in.payloads, 0),
      "upload:16384 bytes");
  g_free (big);

  finish (cam, viewer, src, &in, &log);
}

GST_END_TEST;

/* Beyond command-rate, the camera answers with an error and the
 * application never sees the command. */
GST_START_TEST (test_rate_limit)
{
  GstElement *cam, *viewer, *src;
  CameraLog log = { 0 };
  Inbox in;
  guint i, most;
  gint64 start;

  inbox_init (&in);
  cam = start_camera (5, &log);
  viewer = start_viewer (P2P_TEST_PASSWORD, &in, &src);
  start = g_get_monotonic_time ();
  for (i = 0; i < 40; i++)
    fail_unless (send_command (src, "tilt", "1") > 0);
  fail_unless (inbox_wait (&in, 40, 0));
  /* A burst of 5, and what refills (5 a second) while 40 messages cross
   * loopback: under a second (10 at most), longer under the sanitizers on
   * a busy machine. */
  most = MAX (10, 5 + 5 * (g_get_monotonic_time () - start) /
      G_USEC_PER_SEC + 1);
  fail_unless (in.ok >= 5 && in.ok <= most, "%u accepted, at most %u", in.ok,
      most);
  fail_unless_equals_int (in.ok + in.refused, 40);
  fail_unless_equals_int (log.commands, in.ok);
  for (i = 0; i < 40; i++) {
    const gchar *p = g_ptr_array_index (in.payloads, i);

    fail_unless (g_str_equal (p, "tilt:1") || g_str_has_prefix (p,
            "rate-limited"), "%s", p);
  }

  finish (cam, viewer, src, &in, &log);
}

GST_END_TEST;

static Suite *
commands_suite (void)
{
  Suite *s = suite_create ("commands");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_commands_replied_in_order);
  tcase_add_test (tc, test_reply_and_events_reach_the_right_viewer);
  tcase_add_test (tc, test_unauthorized_command_not_delivered);
  tcase_add_test (tc, test_oversized_command_refused);
  tcase_add_test (tc, test_rate_limit);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (commands);
