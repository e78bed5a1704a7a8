/* p2psink tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"
#include "../server/harness.h"

#include <glib/gstdio.h>
#include <p2p-core/p2p-core.h>

/* The last %s: more properties (the server, for the server path). */
#define CAMERA_H264 \
  "videotestsrc is-live=true pattern=ball ! " \
  "video/x-raw,width=160,height=120,framerate=30/1 ! " \
  "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=900 " \
  "aud=false ! p2psink name=cam uid=%s key-file=%s password-file=%s " \
  "max-viewers=%u %s"

#define VIEWER_H264 \
  "p2psrc name=src uid=%s password=%s timeout=10000 %s ! " \
  "video/x-h264,stream-format=byte-stream,alignment=au ! " \
  "appsink name=out sync=false max-buffers=300"

static P2pTestEnv *env;

static void
setup (void)
{
  env = p2p_test_env_new ();
}

/* For the tests of the camera's server login. */
static void
setup_server (void)
{
  env = p2p_test_env_new_with_server ();
}

/* The camera of @env over the direct signaller. */
static GstElement *
camera_new (guint max_viewers)
{
  return p2p_test_env_pipeline (env, CAMERA_H264, env->uid, env->key_file,
      env->password_file, max_viewers, "");
}

/* The camera of @env logging in to @servers. */
static GstElement *
camera_new_with_server (const gchar * servers)
{
  g_autofree gchar *prop = g_strdup_printf ("server=%s", servers);

  return p2p_test_pipeline (CAMERA_H264, env->uid, env->key_file,
      env->password_file, 4u, prop);
}

/* A viewer of @env's camera over the direct signaller, with @password and
 * more properties @extra. */
static GstElement *
viewer_new (const gchar * password, const gchar * extra)
{
  return p2p_test_env_pipeline (env, VIEWER_H264, env->uid, password, extra);
}

static void
teardown (void)
{
  p2p_test_env_free (env);
  env = NULL;
}

static void
expect_ready_error (const gchar * expected, const gchar * first_prop, ...)
{
  va_list args;

  va_start (args, first_prop);
  p2p_test_expect_ready_error ("p2psink", expected, first_prop, args);
  va_end (args);
}

GST_START_TEST (test_missing_uid)
{
  expect_ready_error ("uid", "key-file", "/nonexistent",
      "server", "wss://example.com", NULL);
}

GST_END_TEST;

GST_START_TEST (test_bad_uid)
{
  expect_ready_error ("is not a valid device UID", "uid", "CAM 1; DROP",
      "key-file", "/nonexistent", "server", "wss://example.com", NULL);
  /* The README's old example: the right shape, but no UID. */
  expect_ready_error ("is not a valid device UID", "uid", "CAM-000123-ABCDE",
      "key-file", "/nonexistent", "server", "wss://example.com", NULL);
}

GST_END_TEST;

GST_START_TEST (test_missing_key_file)
{
  expect_ready_error ("key-file", "uid", "7KQ2-M9XD-4HPA-R3MJ",
      "server", "wss://example.com", NULL);
}

GST_END_TEST;

GST_START_TEST (test_unusable_tls_ca_file)
{
  expect_ready_error ("Cannot use tls-ca-file", "uid", "7KQ2-M9XD-4HPA-R3MJ",
      "key-file", env->key_file, "server", "wss://example.com",
      "tls-ca-file", "/nonexistent/ca.pem", NULL);
}

GST_END_TEST;

GST_START_TEST (test_unreadable_key_file)
{
  expect_ready_error ("/nonexistent/device.pem", "uid",
      "7KQ2-M9XD-4HPA-R3MJ", "key-file", "/nonexistent/device.pem",
      "server", "wss://example.com", NULL);
}

GST_END_TEST;

GST_START_TEST (test_bad_server_uri)
{
  expect_ready_error ("Invalid server URI", "uid", env->uid, "key-file",
      env->key_file, "server", "http://example.com", NULL);
  expect_ready_error ("Invalid server URI", "uid", env->uid, "key-file",
      env->key_file, "server", "wss://", NULL);
  /* Clear-text signalling only to this machine. */
  expect_ready_error ("not encrypted", "uid", env->uid, "key-file",
      env->key_file, "server", "ws://example.com", NULL);
  expect_ready_error ("No signalling server", "uid", env->uid, "key-file",
      env->key_file, NULL);
}

GST_END_TEST;

GST_START_TEST (test_bad_password_file)
{
  gchar *path = g_build_filename (env->dir, "password", NULL);

  expect_ready_error ("Cannot read password file", "uid", env->uid,
      "key-file", env->key_file, "server", "wss://example.com",
      "password-file", path, NULL);
  fail_unless (g_file_set_contents (path, "spake2plus-p256$10$xx$yy$zz", -1,
          NULL));
  expect_ready_error ("Malformed verifier", "uid", env->uid, "key-file",
      env->key_file, "server", "wss://example.com", "password-file", path,
      NULL);
  /* The old login's verifier cannot serve SPAKE2+: say how to replace it. */
  fail_unless (g_file_set_contents (path, "pbkdf2-sha256$100000$"
          "AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
          -1, NULL));
  expect_ready_error ("p2p-uid passwd", "uid", env->uid, "key-file",
      env->key_file, "server", "wss://example.com", "password-file", path,
      NULL);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_password_is_write_only)
{
  GstElement *sink = gst_element_factory_make ("p2psink", NULL);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (sink), "password");

  fail_unless (pspec != NULL);
  fail_if (pspec->flags & G_PARAM_READABLE);
  gst_object_unref (sink);
}

GST_END_TEST;

/* The `password` property (the other tests give a verifier file): the
 * camera makes a verifier of the default 100000 iterations from it, and
 * the viewer that knows the password logs in. */
GST_START_TEST (test_password_property)
{
  GstElement *cam, *viewer;
  GstSample *sample;

  /* The viewer derives its keys with the camera's 100000 iterations; under
   * the sanitizers (time scale above 1) that took 6.6 s of CPU and, on two
   * busy cores, 30 s: longer than the camera's 10 s login time-out. */
  if (p2p_test_time_scale () > 1)
    return;
  cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast ! "
      "p2psink uid=%s key-file=%s password=" P2P_TEST_PASSWORD, env->uid,
      env->key_file);
  p2p_test_start (cam);
  viewer = viewer_new (P2P_TEST_PASSWORD, "");
  p2p_test_start (viewer);
  sample = p2p_test_pull (viewer, "out");
  gst_sample_unref (sample);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

GST_START_TEST (test_registers)
{
  GstElement *cam = camera_new_with_server (env->url);
  GstMessage *msg;
  GstStructure *stats;
  gboolean registered = FALSE;
  GstElement *sink;

  p2p_test_start (cam);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-registered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "camera did not register");
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (msg), "uid"), env->uid);
  gst_message_unref (msg);

  sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  g_object_get (sink, "stats", &stats, NULL);
  fail_unless (gst_structure_get_boolean (stats, "registered", &registered));
  fail_unless (registered);
  gst_structure_free (stats);
  gst_object_unref (sink);

  gst_element_set_state (cam, GST_STATE_READY);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-unregistered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* A server whose id is not the host the camera connects to gets no login
 * signature (it could use it on the server it names): the camera warns,
 * naming both ids, and logs in to the next server of its list; once
 * 'server-id' says that id is right, it logs in there. */
GST_START_TEST (test_server_id_checked)
{
  HarnessServer *other = harness_server_start (env->registry,
      "--server-id=rv2.example.com", NULL);
  gchar *servers = g_strdup_printf ("%s,%s", other->url, env->url);
  GstElement *cam = camera_new_with_server (servers);
  GstElement *sink;
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  p2p_test_start (cam);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_WARNING | GST_MESSAGE_ELEMENT,
      NULL, P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no warning about the server id");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_WARNING);
  gst_message_parse_warning (msg, &err, &debug);
  fail_unless (strstr (err->message, "'rv2.example.com'") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, "'127.0.0.1'") != NULL, "%s",
      err->message);
  fail_unless (strstr (debug, "server-id") != NULL, "%s", debug);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-registered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "camera did not fail over to the next server");
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (msg), "server"), env->url);
  gst_message_unref (msg);
  gst_element_set_state (cam, GST_STATE_NULL);

  sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  g_object_set (sink, "server-id", "rv2.example.com", "server", other->url,
      NULL);
  gst_object_unref (sink);
  p2p_test_start (cam);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-registered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "camera did not register with server-id set");
  gst_message_unref (msg);
  p2p_test_stop (cam);

  harness_server_stop (other);
  harness_server_free (other);
  g_free (servers);
}

GST_END_TEST;

/* The server goes away and comes back: the camera says so on the bus and
 * logs in again by itself. */
GST_START_TEST (test_reregisters_after_server_restart)
{
  GstElement *cam = camera_new_with_server (env->url);
  GstMessage *msg;

  p2p_test_start (cam);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-registered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  p2p_test_env_restart_server (env);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-unregistered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no p2p-unregistered when the server stopped");
  gst_message_unref (msg);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-registered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "the camera did not log in again");
  gst_message_unref (msg);
  p2p_test_stop (cam);
}

GST_END_TEST;

static void
check_first_is_keyframe (GstElement * viewer)
{
  GstSample *sample = p2p_test_pull (viewer, "out");
  GstBuffer *buf = gst_sample_get_buffer (sample);
  gboolean sps, pps, idr;
  gchar *hash = p2p_test_h264_hash (buf, &sps, &pps, &idr);

  fail_unless (idr, "first buffer is not a keyframe");
  fail_unless (sps && pps, "first keyframe lacks its parameter sets");
  fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
  g_free (hash);
  gst_sample_unref (sample);
}

static void
pull_some (GstElement * viewer, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    gst_sample_unref (p2p_test_pull (viewer, "out"));
}

static guint
camera_viewers (GstElement * cam, GstStructure ** stats)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  guint n;

  g_object_get (sink, "viewers", &n, NULL);
  if (stats)
    g_object_get (sink, "stats", stats, NULL);
  gst_object_unref (sink);
  return n;
}

static guint
count_viewer_entries (const GstStructure * stats)
{
  gint i;
  guint n = 0;

  for (i = 0; i < gst_structure_n_fields (stats); i++)
    n += g_str_has_prefix (gst_structure_nth_field_name (stats, i), "viewer-");
  return n;
}

/* Two viewers at once; the second joins long before the encoder's next
 * scheduled keyframe (30 s away) and still starts with one. */
GST_START_TEST (test_late_viewer_starts_at_keyframe)
{
  GstElement *cam, *v1, *v2;
  GstStructure *stats;
  gint64 t0;

  cam = camera_new (4u);
  p2p_test_start (cam);

  v1 = viewer_new (P2P_TEST_PASSWORD, "");
  p2p_test_start (v1);
  check_first_is_keyframe (v1);
  pull_some (v1, 40);

  t0 = g_get_monotonic_time ();
  v2 = viewer_new (P2P_TEST_PASSWORD, "");
  p2p_test_start (v2);
  check_first_is_keyframe (v2);
  fail_unless (g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC);

  /* Both keep playing. */
  pull_some (v1, 10);
  pull_some (v2, 10);
  fail_unless_equals_int (camera_viewers (cam, &stats), 2);
  fail_unless_equals_int (count_viewer_entries (stats), 2);
  gst_structure_free (stats);

  p2p_test_stop (v2);
  p2p_test_stop (v1);
  p2p_test_stop (cam);
}

GST_END_TEST;

GST_START_TEST (test_wrong_password_refused)
{
  GstElement *cam, *good, *bad;
  GstMessage *msg;
  GError *err = NULL;

  cam = camera_new (4u);
  p2p_test_start (cam);
  good = viewer_new (P2P_TEST_PASSWORD, "");
  p2p_test_start (good);
  check_first_is_keyframe (good);

  bad = viewer_new ("guess", "");
  p2p_test_start (bad);
  msg = p2p_test_wait_message (bad, GST_MESSAGE_ERROR, NULL, P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "wrong password not refused");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  /* The camera proves the password first: the viewer sees the mismatch. */
  fail_unless (strstr (err->message, "did not prove it knows the password")
      != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-viewer-left",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (msg), "reason"), "wrong-password");
  gst_message_unref (msg);

  /* The other viewer is not disturbed. */
  pull_some (good, 20);

  p2p_test_stop (bad);
  p2p_test_stop (good);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* Blocks the loop thread that carries every p2psink and p2psrc of the
 * process, as slow work there once did. */
static gboolean
stall_loop (gpointer data)
{
  g_usleep (150 * G_TIME_SPAN_MILLISECOND);
  return G_SOURCE_REMOVE;
}

/* Packets held up past the jitter buffer's latency right after the viewer
 * joined are lost; the viewer's one PLI comes within the keyframe rate
 * limit of the join's request, and must still get a keyframe (this camera
 * makes one only on request). */
GST_START_TEST (test_loss_after_join_recovers)
{
  GstElement *cam, *good;

  cam = camera_new (4u);
  p2p_test_start (cam);
  good = viewer_new (P2P_TEST_PASSWORD, "");
  p2p_test_start (good);
  check_first_is_keyframe (good);
  p2p_loop_invoke (p2p_loop_get_default (), stall_loop, NULL, NULL);
  pull_some (good, 60);
  p2p_test_stop (good);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* The next p2p-viewer-left of @cam, and its reason. */
static gchar *
wait_viewer_left (GstElement * cam)
{
  GstMessage *msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT,
      "p2p-viewer-left", P2P_TEST_WAIT_MS);
  gchar *reason;

  fail_unless (msg != NULL, "no viewer left");
  reason = g_strdup (gst_structure_get_string (gst_message_get_structure
          (msg), "reason"));
  gst_message_unref (msg);
  return reason;
}

/* A guesser gets one guess per login, and its address then waits, twice
 * as long after each wrong guess: a login from it during the wait is
 * refused with retry-later, which p2psrc takes as a passing condition (a
 * WARNING, and a later retry). The first wait is 1 s, which a slow login
 * (the sanitizers on a busy machine) can outlast; the doubling waits
 * soon cannot be, so the guesses go on until one is held back. */
GST_START_TEST (test_password_guessing_backs_off)
{
  GstElement *cam, *guess;
  GstMessage *msg;
  GError *err = NULL;
  gchar *reason, *password;
  gboolean held_back = FALSE;
  guint round;

  cam = camera_new (4u);
  p2p_test_start (cam);
  /* 1 s doubled 7 times is past the longest wait, 60 s. */
  for (round = 0; round < 8 && !held_back; round++) {
    password = g_strdup_printf ("guess%u", round);
    guess = viewer_new (password, "");
    g_free (password);
    p2p_test_start (guess);
    msg = p2p_test_wait_message (guess, GST_MESSAGE_ERROR |
        GST_MESSAGE_WARNING, NULL, P2P_TEST_WAIT_MS);
    fail_unless (msg != NULL, "guess %u neither refused nor held back", round);
    held_back = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING;
    if (held_back)
      gst_message_parse_warning (msg, &err, NULL);
    else
      gst_message_parse_error (msg, &err, NULL);
    fail_unless (strstr (err->message, held_back ? "refuses logins from this "
            "address" : "did not prove it knows the password") != NULL, "%s",
        err->message);
    g_clear_error (&err);
    gst_message_unref (msg);
    reason = wait_viewer_left (cam);
    fail_unless_equals_string (reason, held_back ? "retry-later" :
        "wrong-password");
    g_free (reason);
    p2p_test_stop (guess);
  }
  fail_unless (held_back, "no guess was held back");

  p2p_test_stop (cam);
}

GST_END_TEST;

/* Without a password the camera lets every viewer in (with a WARNING),
 * and a viewer without one plays; a viewer that has a password refuses
 * such a camera, which is what an impostor would pretend to be. */
GST_START_TEST (test_camera_without_password)
{
  GstElement *cam, *open_viewer, *careful;
  GstMessage *msg;
  GError *err = NULL;

  cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast ! "
      "p2psink uid=%s key-file=%s", env->uid, env->key_file);
  p2p_test_start (cam);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_WARNING, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no warning about the missing password");
  gst_message_unref (msg);

  open_viewer = p2p_test_env_pipeline (env, "p2psrc name=src uid=%s "
      "timeout=10000 ! video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false max-buffers=300", env->uid);
  p2p_test_start (open_viewer);
  pull_some (open_viewer, 5);

  careful = viewer_new (P2P_TEST_PASSWORD, "");
  p2p_test_start (careful);
  msg = p2p_test_wait_message (careful, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "a camera without a password was trusted");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "claims to need no password") != NULL,
      "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  p2p_test_stop (careful);
  p2p_test_stop (open_viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

GST_START_TEST (test_busy_beyond_max_viewers)
{
  GstElement *cam, *first, *second;
  const GstStructure *s;
  GstMessage *msg;
  GError *err = NULL;

  cam = camera_new (1u);
  p2p_test_start (cam);
  first = viewer_new (P2P_TEST_PASSWORD, "");
  p2p_test_start (first);
  check_first_is_keyframe (first);

  second = viewer_new (P2P_TEST_PASSWORD, "reconnect=false");
  p2p_test_start (second);
  msg = p2p_test_wait_message (second, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "second viewer not refused");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "maximum number of viewers") != NULL,
      "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  /* The camera application sees the refusal too. */
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-viewer-left",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no p2p-viewer-left for the refused viewer");
  s = gst_message_get_structure (msg);
  fail_unless (g_strcmp0 (gst_structure_get_string (s, "reason"),
          "busy") == 0, "%" GST_PTR_FORMAT, s);
  fail_unless (gst_structure_get_string (s, "viewer-id") != NULL);
  /* The address the signaller saw: none over the direct signaller. */
  fail_unless (gst_structure_has_field (s, "address"));
  gst_message_unref (msg);

  pull_some (first, 10);
  p2p_test_stop (second);
  p2p_test_stop (first);
  p2p_test_stop (cam);
}

GST_END_TEST;

typedef struct
{
  guint video;                  /* original video packets seen */
  guint blackout;               /* packets still to drop */
  gint done;                    /* atomic: the blackout is over */
} Loss;

static GstPadProbeReturn
lose_a_picture (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Loss *loss = data;
  guint8 b[2];

  if (gst_buffer_extract (GST_PAD_PROBE_INFO_BUFFER (info), 0, b, 2) != 2)
    return GST_PAD_PROBE_OK;
  /* No retransmission gets through, and after 150 video packets 30 in a
   * row are lost: only a new keyframe can repair the picture. */
  if ((b[1] & 0x7f) == 97)
    return GST_PAD_PROBE_DROP;
  if (++loss->video == 150)
    loss->blackout = 30;
  if (loss->blackout > 0) {
    if (--loss->blackout == 0)
      g_atomic_int_set (&loss->done, TRUE);
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;
}

/* The viewer's depayloader notices the damage and asks for a keyframe
 * (PLI); the camera asks its encoder, long before its next scheduled one.
 * Only a keyframe after the loss counts: a viewer that joins while the
 * encoder starts gets its first keyframe and the one its join asked for,
 * two before any loss (the test once counted those, and failed when the
 * camera started late on a busy machine or the direct signaller was
 * quick). */
GST_START_TEST (test_picture_loss_requests_keyframe)
{
  GstElement *cam, *viewer, *src, *rtpsrc;
  GstPad *pad;
  Loss loss = { 0, 0, FALSE };
  GstClockTime last_keyframe = GST_CLOCK_TIME_NONE, repaired =
      GST_CLOCK_TIME_NONE;
  guint i;

  cam = camera_new (4u);
  p2p_test_start (cam);
  viewer = viewer_new (P2P_TEST_PASSWORD, "");
  src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  rtpsrc = gst_bin_get_by_name (GST_BIN (src), "rtpsrc");
  pad = gst_element_get_static_pad (rtpsrc, "src");
  p2p_test_probe_packets (pad, lose_a_picture, &loss, NULL);
  gst_object_unref (pad);
  gst_object_unref (rtpsrc);
  gst_object_unref (src);
  p2p_test_start (viewer);

  /* The loss comes within 150 pictures (a picture is one packet or more);
   * the depayloader passes nothing on from the loss to the next keyframe. */
  for (i = 0; i < 600 && !GST_CLOCK_TIME_IS_VALID (repaired); i++) {
    GstSample *sample = p2p_test_pull (viewer, "out");
    GstBuffer *buf = gst_sample_get_buffer (sample);
    gboolean sps, pps, idr;
    gchar *hash = p2p_test_h264_hash (buf, &sps, &pps, &idr);

    if (idr && g_atomic_int_get (&loss.done))
      repaired = GST_BUFFER_PTS (buf);
    else if (idr)
      last_keyframe = GST_BUFFER_PTS (buf);
    g_free (hash);
    gst_sample_unref (sample);
  }
  fail_unless (g_atomic_int_get (&loss.done), "the loss never happened");
  fail_unless (GST_CLOCK_TIME_IS_VALID (repaired), "no keyframe after the "
      "loss");
  fail_unless (GST_CLOCK_TIME_IS_VALID (last_keyframe));
  /* In stream time, not the test's: the encoder's own next keyframe was
   * 30 s after the last one. */
  fail_unless (repaired < last_keyframe + 20 * GST_SECOND, "the keyframe "
      "came %" GST_TIME_FORMAT " after the last, as if scheduled",
      GST_TIME_ARGS (repaired - last_keyframe));

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* A viewer that logs in to @cam, has its first keyframe and is counted as
 * joined. */
static GstElement *
join_viewer (GstElement * cam)
{
  GstElement *viewer = viewer_new (P2P_TEST_PASSWORD, "");
  GstMessage *msg;

  p2p_test_start (viewer);
  check_first_is_keyframe (viewer);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT,
      "p2p-viewer-joined", P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  return viewer;
}

/* After a viewer leaves, its transport, fan-out entry and statistics are
 * gone. */
GST_START_TEST (test_viewer_resources_released)
{
  GstElement *cam, *viewer;
  GstMessage *msg;
  GstStructure *stats;
  guint round;

  cam = camera_new (4u);
  p2p_test_start (cam);

  for (round = 0; round < 2; round++) {
    viewer = join_viewer (cam);
    fail_unless_equals_int (camera_viewers (cam, NULL), 1);

    p2p_test_stop (viewer);
    msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-viewer-left",
        P2P_TEST_WAIT_MS);
    fail_unless (msg != NULL, "camera did not notice the viewer leaving");
    gst_message_unref (msg);

    fail_unless_equals_int (camera_viewers (cam, &stats), 0);
    fail_unless_equals_int (count_viewer_entries (stats), 0);
    gst_structure_free (stats);
  }
  p2p_test_stop (cam);
}

GST_END_TEST;

/* The payloader's `mtu` inside the camera's p2psink (the video stream's;
 * the test camera has no audio). */
static guint
camera_payloader_mtu (GstElement * cam)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (sink));
  GValue item = G_VALUE_INIT;
  guint mtu = 0;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&item);
    GstElementFactory *f = gst_element_get_factory (e);

    if (f && g_str_has_suffix (GST_OBJECT_NAME (f), "pay"))
      g_object_get (e, "mtu", &mtu, NULL);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  gst_object_unref (sink);
  return mtu;
}

/* gst_structure_foreach() over the camera's stats: a viewer entry's
 * `payload-mtu` into @data (a gint). */
static gboolean
viewer_payload_mtu (GQuark field, const GValue * value, gpointer data)
{
  if (GST_VALUE_HOLDS_STRUCTURE (value))
    gst_structure_get_int (gst_value_get_structure (value), "payload-mtu",
        data);
  return TRUE;
}

/* A viewer on a direct loopback path gets about GStreamer's default packet
 * size (the path carries more than 1,200 bytes), and H.264's packets of
 * that size with the TWCC extension still fit the transport; the
 * payloader returns to the safe 1,200 once no viewer is left. */
GST_START_TEST (test_payloader_follows_path_mtu)
{
  GstElement *cam, *viewer;
  GstMessage *msg;
  GstStructure *stats;
  gint payload_mtu = 0;

  cam = camera_new (4u);
  p2p_test_start (cam);
  viewer = join_viewer (cam);
  fail_unless_equals_int (camera_payloader_mtu (cam),
      P2P_TRANSPORT_MAX_PACKET - 16);

  fail_unless_equals_int (camera_viewers (cam, &stats), 1);
  gst_structure_foreach (stats, viewer_payload_mtu, &payload_mtu);
  fail_unless_equals_int (payload_mtu, P2P_TRANSPORT_MAX_PACKET - 16);
  gst_structure_free (stats);
  /* Packets of the larger size arrive and decode. */
  pull_some (viewer, 10);

  p2p_test_stop (viewer);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-viewer-left",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "camera did not notice the viewer leaving");
  gst_message_unref (msg);
  fail_unless_equals_int (camera_payloader_mtu (cam), 1200);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* A camera whose frames fill many packets (noise at 2 Mbit/s). */
#define CAMERA_H264_NOISE \
  "videotestsrc is-live=true pattern=snow ! " \
  "video/x-raw,width=320,height=240,framerate=30/1 ! " \
  "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=900 " \
  "bitrate=2000 aud=false ! p2psink name=cam uid=%s key-file=%s " \
  "password-file=%s max-viewers=%u %s"

/* gst_buffer_list_foreach(): the largest buffer into @data (a gint). */
static gboolean
largest_in_list (GstBuffer ** buf, guint idx, gpointer data)
{
  gint *largest = data;

  if ((gint) gst_buffer_get_size (*buf) > g_atomic_int_get (largest))
    g_atomic_int_set (largest, gst_buffer_get_size (*buf));
  return TRUE;
}

/* The largest RTP packet through the pad, into @data (a gint). */
static GstPadProbeReturn
record_largest (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    largest_in_list (&buf, 0, data);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        largest_in_list, data);
  }
  return GST_PAD_PROBE_OK;
}

/* Records the largest buffer through pad @pad_name of the element of
 * factory @factory inside @bin (recursively) into @largest. */
static void
probe_largest (GstElement * bin, const gchar * factory,
    const gchar * pad_name, gint * largest)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  gboolean found = FALSE;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&item);
    GstElementFactory *f = gst_element_get_factory (e);

    if (f && g_str_equal (GST_OBJECT_NAME (f), factory)) {
      GstPad *pad = gst_element_get_static_pad (e, pad_name);

      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
          GST_PAD_PROBE_TYPE_BUFFER_LIST, record_largest, largest, NULL);
      gst_object_unref (pad);
      found = TRUE;
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  fail_unless (found, "no %s inside %s", factory, GST_OBJECT_NAME (bin));
}

/* The fan-out puts the TWCC extension (8 bytes) into each viewer's copy
 * of a packet, beyond the payloader's `mtu`: on a direct path a
 * full-size packet is the payload size plus the extension, and with the
 * SRTP tag it must still fit the fan-out's slots and the transport's
 * limit, and arrive whole (a packet too large for either would be dropped
 * on every send and every retransmission). */
GST_START_TEST (test_full_size_packets_arrive)
{
  GstElement *cam, *viewer, *sink, *src;
  gint sent = 0, received = 0;
  guint pulls;

  cam = p2p_test_env_pipeline (env, CAMERA_H264_NOISE, env->uid,
      env->key_file, env->password_file, 4u, "");
  p2p_test_start (cam);
  viewer = join_viewer (cam);
  fail_unless_equals_int (camera_payloader_mtu (cam),
      P2P_TRANSPORT_MAX_PACKET - 16);
  sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  probe_largest (sink, "rtph264pay", "src", &sent);
  probe_largest (src, "rtph264depay", "sink", &received);

  for (pulls = 0; pulls < 300; pulls++) {
    gst_sample_unref (p2p_test_pull (viewer, "out"));
    if (g_atomic_int_get (&received) > P2P_TRANSPORT_MAX_PACKET - 16
        && g_atomic_int_get (&received) == g_atomic_int_get (&sent) + 8)
      break;
  }
  GST_INFO ("largest packet sent %d, received %d", sent, received);
  fail_unless (g_atomic_int_get (&received) > P2P_TRANSPORT_MAX_PACKET - 16,
      "no packet beyond the payloader's mtu (%d bytes): no extension?",
      g_atomic_int_get (&received));
  fail_unless (g_atomic_int_get (&received) <= P2P_TRANSPORT_MAX_PACKET);
  fail_unless_equals_int (g_atomic_int_get (&received),
      g_atomic_int_get (&sent) + 8);

  gst_object_unref (src);
  gst_object_unref (sink);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* What openh264enc and hardware encoders give: H.264 byte-stream access
 * units, which p2psink turns into avc itself (gstp2pnalframing.c), without
 * h264parse. */
#define CAMERA_H264_BYTE_STREAM \
  "videotestsrc is-live=true pattern=ball ! " \
  "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! " \
  "x264enc name=enc tune=zerolatency speed-preset=ultrafast " \
  "key-int-max=900 aud=false ! " \
  "video/x-h264,stream-format=byte-stream,alignment=au ! " \
  "p2psink name=cam uid=%s key-file=%s password-file=%s max-viewers=4"

/* x264enc linked straight: it picks avc, the parameter sets only in the
 * codec_data, and a raw format from what p2psink says it takes (none
 * given here: a 4:4:4 or 10-bit profile would not decode everywhere). */
#define CAMERA_H264_AVC \
  "videotestsrc is-live=true pattern=ball ! " \
  "video/x-raw,width=160,height=120,framerate=30/1 ! " \
  "x264enc name=enc tune=zerolatency speed-preset=ultrafast " \
  "key-int-max=900 ! " \
  "p2psink name=cam uid=%s key-file=%s password-file=%s max-viewers=4"

/* x265enc sends its parameter sets with the first keyframe only. */
#define CAMERA_H265 \
  "videotestsrc is-live=true pattern=ball ! " \
  "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! " \
  "x265enc name=enc tune=zerolatency speed-preset=ultrafast " \
  "key-int-max=900 ! " \
  "p2psink name=cam uid=%s key-file=%s password-file=%s max-viewers=4"

/* libde265dec (gst-plugins-bad 1.22) leaks the pictures it holds when
 * stopped, which fails an ASan build: there the viewer checks what
 * arrives (from a keyframe with its parameter sets on) without decoding
 * it. */
#ifdef __SANITIZE_ADDRESS__
#define H265_DECODER "identity name=dec"
#else
#define H265_DECODER "libde265dec name=dec"
#endif
#define VIEWER_DECODING_H265 \
  "p2psrc name=src uid=%s password=%s timeout=10000 ! " \
  "video/x-h265,stream-format=byte-stream,alignment=au ! " \
  "h265parse ! " H265_DECODER " ! " \
  "appsink name=out sync=false max-buffers=300"

#define VIEWER_DECODING \
  "p2psrc name=src uid=%s password=%s timeout=10000 ! " \
  "video/x-h264,stream-format=byte-stream,alignment=au ! " \
  "h264parse ! openh264dec name=dec ! " \
  "appsink name=out sync=false max-buffers=300"

/* Access units into a viewer's decoder and pictures out of it, and
 * whether the first one was a keyframe with its parameter sets. (The
 * parser only adds the profile to the caps, which openh264dec needs.) */
typedef struct
{
  gboolean h265;
  gint coded;
  gint decoded;
  gint first_complete;          /* -1 unknown, 0 no, 1 yes */
} DecodeCount;

/* Whether an H.265 byte-stream access unit has a VPS, SPS, PPS and a
 * random access (IRAP) slice. */
static gboolean
h265_complete (GstBuffer * buf)
{
  guint seen = 0;
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i + 3 < map.size; i++) {
    if (map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1) {
      guint type = (map.data[i + 3] >> 1) & 0x3f;

      if (type >= 32 && type <= 34)
        seen |= 1 << (type - 32);
      else if (type >= 16 && type <= 23)
        seen |= 8;
    }
  }
  gst_buffer_unmap (buf, &map);
  return seen == 15;
}

static GstPadProbeReturn
count_coded (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  DecodeCount *count = data;

  if (g_atomic_int_add (&count->coded, 1) == 0 && count->h265) {
    g_atomic_int_set (&count->first_complete,
        h265_complete (GST_PAD_PROBE_INFO_BUFFER (info)));
  } else if (g_atomic_int_get (&count->coded) == 1) {
    gboolean sps, pps, idr;
    gchar *hash = p2p_test_h264_hash (GST_PAD_PROBE_INFO_BUFFER (info), &sps,
        &pps, &idr);

    g_free (hash);
    g_atomic_int_set (&count->first_complete, sps && pps && idr);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_decoded (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  DecodeCount *count = data;

  g_atomic_int_inc (&count->decoded);
  return GST_PAD_PROBE_OK;
}

static void
count_decoding (GstElement * viewer, DecodeCount * count)
{
  GstElement *dec = gst_bin_get_by_name (GST_BIN (viewer), "dec");
  GstPad *sink = gst_element_get_static_pad (dec, "sink");
  GstPad *src = gst_element_get_static_pad (dec, "src");

  count->first_complete = -1;
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, count_coded, count, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, count_decoded, count,
      NULL);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (dec);
}

/* Stops @viewer and checks that it started at a keyframe with its
 * parameter sets, decoded each access unit it received (but those
 * possibly in the decoder at the stop: one in openh264dec, two in
 * libde265dec, which outputs a picture two access units late), and its
 * decoder never complained. */
static void
stop_decoded_all (GstElement * viewer, DecodeCount * count)
{
  GstBus *bus = gst_element_get_bus (viewer);
  GstMessage *msg = gst_bus_pop_filtered (bus,
      GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);

  fail_unless (msg == NULL, "viewer: %" GST_PTR_FORMAT,
      msg ? gst_message_get_structure (msg) : NULL);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (viewer, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (viewer);
  fail_unless_equals_int (g_atomic_int_get (&count->first_complete), 1);
  fail_unless (count->decoded >= 30
      && count->coded - count->decoded <= (count->h265 ? 2 : 1),
      "%d access units, %d pictures", count->coded, count->decoded);
}

static gboolean
is_named_type (const GValue * item, gconstpointer type_name)
{
  return !g_str_equal (G_OBJECT_TYPE_NAME (g_value_get_object (item)),
      type_name);
}

/* Whether the camera has an element of type @type_name. */
static gboolean
camera_has (GstElement * cam, const gchar * type_name)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (sink));
  GValue found = G_VALUE_INIT;
  gboolean has;

  has = gst_iterator_find_custom (it, (GCompareFunc) is_named_type, &found,
      (gpointer) type_name);
  g_value_unset (&found);
  gst_iterator_free (it);
  gst_object_unref (sink);
  return has;
}

/* A byte-stream camera: both viewers, the second joining long before the
 * encoder's next scheduled keyframe, start with a keyframe carrying its
 * parameter sets and decode every access unit; no h264parse on the way. */
/* Two viewers of a camera (the second joining late) decode every access
 * unit from a keyframe with its parameter sets on, and the camera's
 * stream, in @format from its encoder `enc` (H.264 avc linked straight,
 * else a byte-stream; H.265 when @h265), went through the conversion to
 * length-prefixed units, not a parser. */
static void
check_decoded_without_parser (gboolean h265, const gchar * format)
{
  DecodeCount c1 = { h265 }, c2 = { h265 };
  const gchar *decodable[] = { "constrained-baseline", "baseline", "main",
    "high", NULL
  };
  GstElement *cam, *v1, *v2, *enc;
  const gchar *profile;
  GstCaps *caps;
  GstPad *src;
  guint i;

  cam = p2p_test_env_pipeline (env, h265 ? CAMERA_H265 :
      g_str_equal (format, "avc") ? CAMERA_H264_AVC : CAMERA_H264_BYTE_STREAM,
      env->uid, env->key_file, env->password_file);
  p2p_test_start (cam);

  v1 = p2p_test_env_pipeline (env, h265 ? VIEWER_DECODING_H265 :
      VIEWER_DECODING, env->uid, P2P_TEST_PASSWORD);
  count_decoding (v1, &c1);
  p2p_test_start (v1);
  pull_some (v1, 40);
  fail_unless (camera_has (cam, "GstP2pNalFramingElement"));
  fail_if (camera_has (cam, "GstH264Parse"));
  fail_if (camera_has (cam, "GstH265Parse"));
  enc = gst_bin_get_by_name (GST_BIN (cam), "enc");
  src = gst_element_get_static_pad (enc, "src");
  caps = gst_pad_get_current_caps (src);
  fail_unless_equals_string (gst_structure_get_string
      (gst_caps_get_structure (caps, 0), "stream-format"), format);
  /* As through h264parse: a profile every viewer decodes. */
  profile = gst_structure_get_string (gst_caps_get_structure (caps, 0),
      "profile");
  fail_unless (h265 || (profile && g_strv_contains (decodable, profile)),
      "the encoder picked profile %s", GST_STR_NULL (profile));
  gst_caps_unref (caps);
  gst_object_unref (src);
  gst_object_unref (enc);

  v2 = p2p_test_env_pipeline (env, h265 ? VIEWER_DECODING_H265 :
      VIEWER_DECODING, env->uid, P2P_TEST_PASSWORD);
  count_decoding (v2, &c2);
  p2p_test_start (v2);
  for (i = 0; i < 40; i++) {
    gst_sample_unref (p2p_test_pull (v2, "out"));
    gst_sample_unref (p2p_test_pull (v1, "out"));
  }

  stop_decoded_all (v2, &c2);
  stop_decoded_all (v1, &c1);
  p2p_test_stop (cam);
}

GST_START_TEST (test_byte_stream_decoded_without_parser)
{
  check_decoded_without_parser (FALSE, "byte-stream");
}

GST_END_TEST;

/* The encoder's choice when linked straight: avc, whose keyframes come
 * without parameter sets. */
GST_START_TEST (test_avc_decoded_without_parser)
{
  check_decoded_without_parser (FALSE, "avc");
}

GST_END_TEST;

/* x265enc gives only a byte-stream. */
GST_START_TEST (test_h265_decoded_without_parser)
{
  check_decoded_without_parser (TRUE, "byte-stream");
}

GST_END_TEST;

static Suite *
p2psink_suite (void)
{
  Suite *s = suite_create ("p2psink");
  TCase *tc = tcase_create ("general");

  TCase *server = tcase_create ("server");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_missing_uid);
  tcase_add_test (tc, test_bad_uid);
  tcase_add_test (tc, test_missing_key_file);
  tcase_add_test (tc, test_unusable_tls_ca_file);
  tcase_add_test (tc, test_unreadable_key_file);
  tcase_add_test (tc, test_bad_server_uri);
  tcase_add_test (tc, test_bad_password_file);
  tcase_add_test (tc, test_password_is_write_only);
  tcase_add_test (tc, test_password_property);
  tcase_add_test (tc, test_late_viewer_starts_at_keyframe);
  tcase_add_test (tc, test_byte_stream_decoded_without_parser);
  tcase_add_test (tc, test_avc_decoded_without_parser);
  tcase_add_test (tc, test_h265_decoded_without_parser);
  tcase_add_test (tc, test_wrong_password_refused);
  tcase_add_test (tc, test_loss_after_join_recovers);
  tcase_add_test (tc, test_password_guessing_backs_off);
  tcase_add_test (tc, test_camera_without_password);
  tcase_add_test (tc, test_busy_beyond_max_viewers);
  tcase_add_test (tc, test_picture_loss_requests_keyframe);
  tcase_add_test (tc, test_viewer_resources_released);
  tcase_add_test (tc, test_payloader_follows_path_mtu);
  tcase_add_test (tc, test_full_size_packets_arrive);
  suite_add_tcase (s, tc);

  /* The camera's login to the server. */
  tcase_set_timeout (server, 120);
  tcase_add_checked_fixture (server, setup_server, teardown);
  tcase_add_test (server, test_registers);
  tcase_add_test (server, test_server_id_checked);
  tcase_add_test (server, test_reregisters_after_server_restart);
  suite_add_tcase (s, server);
  return s;
}

GST_CHECK_MAIN (p2psink);
