/* p2psrc tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"

#include <gst/app/gstappsink.h>

static P2pTestEnv *env;

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
expect_ready_error (const gchar * expected, const gchar * first_prop, ...)
{
  va_list args;

  va_start (args, first_prop);
  p2p_test_expect_ready_error ("p2psrc", expected, first_prop, args);
  va_end (args);
}

GST_START_TEST (test_property_validation)
{
  expect_ready_error ("uid", "server", "wss://example.com", NULL);
  expect_ready_error ("server", "uid", "7KQ2-M9XD-4HPA-R3WV", NULL);
  expect_ready_error ("Invalid server URI", "uid", "7KQ2-M9XD-4HPA-R3WV",
      "server", "p2p.example.com", NULL);
  expect_ready_error ("not encrypted", "uid", "7KQ2-M9XD-4HPA-R3WV",
      "server", "ws://p2p.example.com", NULL);
  expect_ready_error ("device-fingerprint", "uid", "7KQ2-M9XD-4HPA-R3WV",
      "server", "wss://p2p.example.com", "device-fingerprint", "md5 00", NULL);
  expect_ready_error ("TURN server", "uid", "7KQ2-M9XD-4HPA-R3WV",
      "server", "wss://p2p.example.com", "turn-server", "turn://host", NULL);
}

GST_END_TEST;

GST_START_TEST (test_uri_handler)
{
  GError *err = NULL;
  GstElement *src;
  gchar *uid, *server, *uri;
  guint latency;

  src = gst_element_make_from_uri (GST_URI_SRC,
      "p2p://7kq2-m9xd-4hpa-r3wv?server=wss://p2p.example.com:8443/rv"
      "&password=s3cret&latency=120", NULL, &err);
  fail_unless (src != NULL, "%s", err ? err->message : "");
  g_object_get (src, "uid", &uid, "server", &server, "latency", &latency, NULL);
  fail_unless_equals_string (uid, "7KQ2-M9XD-4HPA-R3WV");
  fail_unless_equals_string (server, "wss://p2p.example.com:8443/rv");
  fail_unless_equals_int (latency, 120);
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  /* The password never comes back out of the element. */
  fail_unless (strstr (uri, "s3cret") == NULL);
  fail_unless (g_str_has_prefix (uri, "p2p://7KQ2-M9XD-4HPA-R3WV"));
  g_free (uri);
  g_free (uid);
  g_free (server);
  gst_object_unref (src);

  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (gst_element_factory_make
              ("p2psrc", NULL)), "p2p://", &err));
  g_clear_error (&err);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GHashTable *hashes;
} Sent;

static void
camera_handoff (GstElement * identity, GstBuffer * buf, Sent * sent)
{
  gboolean sps, pps, idr;
  gchar *hash = p2p_test_h264_hash (buf, &sps, &pps, &idr);

  g_mutex_lock (&sent->lock);
  g_hash_table_add (sent->hashes, hash);
  g_mutex_unlock (&sent->lock);
}

/* Every access unit the viewer gets is one the encoder produced, byte for
 * byte; the first is a keyframe with its parameter sets. */
GST_START_TEST (test_h264_bit_exact)
{
  GstElement *cam, *viewer, *tap;
  Sent sent;
  guint i;

  g_mutex_init (&sent.lock);
  sent.hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  cam = p2p_test_pipeline ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
      "aud=false bitrate=2000 ! video/x-h264,stream-format=byte-stream ! "
      "identity name=tap ! "
      "p2psink uid=%s key-file=%s server=%s password=pw",
      env->uid, env->key_file, env->url);
  tap = gst_bin_get_by_name (GST_BIN (cam), "tap");
  g_signal_connect (tap, "handoff", G_CALLBACK (camera_handoff), &sent);
  gst_object_unref (tap);
  p2p_test_start (cam);

  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s password=pw ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false max-buffers=1000", env->uid, env->url);
  p2p_test_start (viewer);

  for (i = 0; i < 60; i++) {
    GstSample *sample = p2p_test_pull (viewer, "out");
    gboolean sps, pps, idr, known;
    gchar *hash = p2p_test_h264_hash (gst_sample_get_buffer (sample), &sps,
        &pps, &idr);

    if (i == 0)
      fail_unless (idr && sps && pps, "first buffer is not a keyframe with "
          "parameter sets");
    g_mutex_lock (&sent.lock);
    known = g_hash_table_contains (sent.hashes, hash);
    g_mutex_unlock (&sent.lock);
    fail_unless (known, "access unit %u differs from every one sent", i);
    g_free (hash);
    gst_sample_unref (sample);
  }

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
  g_hash_table_unref (sent.hashes);
  g_mutex_clear (&sent.lock);
}

GST_END_TEST;

static GstPadProbeReturn
drop_some_video (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  guint *count = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 b[2];

  /* Every 25th packet of the video payload type (96) never reaches
   * rtpbin; retransmissions (97) do. */
  if (gst_buffer_extract (buf, 0, b, 2) == 2 && (b[1] & 0x7f) == 96
      && ++(*count) % 25 == 0)
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

static guint64
camera_retransmissions (GstElement * cam)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  GstStructure *stats, *viewer = NULL;
  guint64 n = 0;

  g_object_get (sink, "stats", &stats, NULL);
  if (gst_structure_get (stats, "viewer-1", GST_TYPE_STRUCTURE, &viewer, NULL)) {
    gst_structure_get_uint64 (viewer, "retransmissions", &n);
    gst_structure_free (viewer);
  }
  gst_structure_free (stats);
  gst_object_unref (sink);
  return n;
}

/* Lost packets are asked for again (NACK) and retransmitted (RFC 4588) to
 * this viewer: the pictures still arrive whole and unchanged. */
GST_START_TEST (test_lost_packets_retransmitted)
{
  GstElement *cam, *viewer, *tap, *src, *rtpsrc;
  GstPad *pad;
  Sent sent;
  guint i, count = 0;

  g_mutex_init (&sent.lock);
  sent.hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  cam = p2p_test_pipeline ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=900 "
      "aud=false bitrate=2000 ! video/x-h264,stream-format=byte-stream ! "
      "identity name=tap ! p2psink name=cam uid=%s key-file=%s server=%s "
      "password=pw", env->uid, env->key_file, env->url);
  tap = gst_bin_get_by_name (GST_BIN (cam), "tap");
  g_signal_connect (tap, "handoff", G_CALLBACK (camera_handoff), &sent);
  gst_object_unref (tap);
  p2p_test_start (cam);

  viewer = p2p_test_pipeline ("p2psrc name=src uid=%s server=%s password=pw "
      "latency=2000 ! video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false max-buffers=1000", env->uid, env->url);
  src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  rtpsrc = gst_bin_get_by_name (GST_BIN (src), "rtpsrc");
  fail_unless (rtpsrc != NULL);
  pad = gst_element_get_static_pad (rtpsrc, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop_some_video, &count,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (rtpsrc);
  gst_object_unref (src);
  p2p_test_start (viewer);

  for (i = 0; i < 90; i++) {
    GstSample *sample = p2p_test_pull (viewer, "out");
    gboolean sps, pps, idr, known;
    gchar *hash = p2p_test_h264_hash (gst_sample_get_buffer (sample), &sps,
        &pps, &idr);

    g_mutex_lock (&sent.lock);
    known = g_hash_table_contains (sent.hashes, hash);
    g_mutex_unlock (&sent.lock);
    fail_unless (known, "access unit %u damaged", i);
    g_free (hash);
    gst_sample_unref (sample);
  }
  fail_unless (count >= 25, "nothing was dropped");
  fail_unless (camera_retransmissions (cam) > 0, "no retransmission");

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
  g_hash_table_unref (sent.hashes);
  g_mutex_clear (&sent.lock);
}

GST_END_TEST;

static void
check_caps (GstElement * pipeline, const gchar * sink, const gchar * name)
{
  GstSample *sample = p2p_test_pull (pipeline, sink);
  GstCaps *caps = gst_sample_get_caps (sample);

  fail_unless (caps != NULL);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          name), "%" GST_PTR_FORMAT, caps);
  gst_sample_unref (sample);
}

GST_START_TEST (test_vp8_and_opus)
{
  GstElement *cam, *viewer;
  GstMessage *msg;

  cam = p2p_test_pipeline ("p2psink name=s uid=%s key-file=%s server=%s "
      "password=pw videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "vp8enc deadline=1 keyframe-max-dist=600 ! s.video "
      "audiotestsrc is-live=true ! opusenc ! s.audio",
      env->uid, env->key_file, env->url);
  p2p_test_start (cam);

  viewer = p2p_test_pipeline ("p2psrc name=src uid=%s server=%s password=pw "
      "src. ! video/x-vp8 ! appsink name=video sync=false "
      "src. ! audio/x-opus ! appsink name=audio sync=false",
      env->uid, env->url);
  p2p_test_start (viewer);
  check_caps (viewer, "video", "video/x-vp8");
  check_caps (viewer, "audio", "audio/x-opus");
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ELEMENT,
      "p2p-connection", P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* Every other format the camera takes arrives with its own caps; formats
 * whose encoder is not installed are skipped. */
GST_START_TEST (test_other_formats)
{
  static const struct
  {
    const gchar *encoder;
    const gchar *source;
    const gchar *pad;
    const gchar *caps;
  } formats[] = {
    {"vp9enc", "videotestsrc is-live=true ! video/x-raw,width=160,height=120 "
          "! vp9enc deadline=1", "video", "video/x-vp9"},
    {"x265enc", "videotestsrc is-live=true ! video/x-raw,width=160,height=120 "
          "! x265enc tune=zerolatency", "video", "video/x-h265"},
    {"mulawenc", "audiotestsrc is-live=true ! mulawenc", "audio",
        "audio/x-mulaw"},
    {"alawenc", "audiotestsrc is-live=true ! alawenc", "audio",
        "audio/x-alaw"},
    {"voaacenc", "audiotestsrc is-live=true ! voaacenc ! aacparse", "audio",
        "audio/mpeg"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstPluginFeature *f = gst_registry_lookup_feature (gst_registry_get (),
        formats[i].encoder);
    GstElement *cam, *viewer;

    if (!f)
      continue;
    gst_object_unref (f);
    cam = p2p_test_pipeline ("p2psink name=s uid=%s key-file=%s server=%s "
        "password=pw %s ! s.%s", env->uid, env->key_file, env->url,
        formats[i].source, formats[i].pad);
    p2p_test_start (cam);
    viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s password=pw ! "
        "appsink name=out sync=false", env->uid, env->url);
    p2p_test_start (viewer);
    check_caps (viewer, "out", formats[i].caps);
    p2p_test_stop (viewer);
    p2p_test_stop (cam);
  }
}

GST_END_TEST;

GST_START_TEST (test_uridecodebin_plays)
{
  GstElement *cam, *viewer;
  GstSample *sample;
  GstCaps *caps;

  cam = p2p_test_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "vp8enc deadline=1 ! p2psink uid=%s key-file=%s server=%s password=pw",
      env->uid, env->key_file, env->url);
  p2p_test_start (cam);

  viewer = p2p_test_pipeline ("uridecodebin uri=\"p2p://%s?server=%s"
      "&password=pw\" ! appsink name=out sync=false caps=video/x-raw",
      env->uid, env->url);
  p2p_test_start (viewer);
  sample = p2p_test_pull (viewer, "out");
  caps = gst_sample_get_caps (sample);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/x-raw"));
  gst_sample_unref (sample);

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* The camera is registered but not running: with reconnect off the viewer
 * gives up with an error inside its time-out. */
GST_START_TEST (test_device_offline_error)
{
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;
  gint64 start = g_get_monotonic_time ();

  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s password=pw "
      "reconnect=false timeout=2000 ! fakesink", env->uid, env->url);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL, 5000);
  fail_unless (msg != NULL, "no error for an offline camera");
  fail_unless (g_get_monotonic_time () - start < 4 * G_USEC_PER_SEC);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "offline") != NULL
      || strstr (err->message, "Timed out") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);
}

GST_END_TEST;

/* Nothing listens on port 1: with reconnect off, an error naming the
 * server, within the time-out. */
GST_START_TEST (test_server_unreachable_error)
{
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;
  gint64 start = g_get_monotonic_time ();

  viewer = p2p_test_pipeline ("p2psrc uid=%s server=ws://127.0.0.1:1 "
      "reconnect=false timeout=1000 ! fakesink", env->uid);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL, 5000);
  fail_unless (msg != NULL);
  fail_unless (g_get_monotonic_time () - start < 3 * G_USEC_PER_SEC);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "ws://127.0.0.1:1") != NULL, "%s",
      err->message);
  g_error_free (err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);
}

GST_END_TEST;

GST_START_TEST (test_unknown_uid_error)
{
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;

  /* Well formed (valid check symbols are the server's business) but not
   * registered; an unknown UID is never worth retrying. */
  viewer = p2p_test_pipeline ("p2psrc uid=0000-0000-0000-0000 server=%s "
      "password=pw timeout=5000 ! fakesink", env->url);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);
}

GST_END_TEST;

/* A pinned fingerprint that is not the camera's: refused before any media,
 * however much the server vouches for the camera. */
GST_START_TEST (test_fingerprint_mismatch_error)
{
  GstElement *cam, *viewer;
  GstMessage *msg;
  GError *err = NULL;

  cam = p2p_test_pipeline ("videotestsrc is-live=true ! vp8enc deadline=1 ! "
      "p2psink uid=%s key-file=%s server=%s password=pw", env->uid,
      env->key_file, env->url);
  p2p_test_start (cam);
  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s password=pw "
      "device-fingerprint=\"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:"
      "DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\" ! "
      "fakesink", env->uid, env->url);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "a foreign certificate was accepted");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  fail_unless (strstr (err->message, "fingerprint") != NULL, "%s",
      err->message);
  g_error_free (err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

static GstElement *
start_vp8_camera (void)
{
  GstElement *cam = p2p_test_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 ! "
      "p2psink uid=%s key-file=%s server=%s password=pw", env->uid,
      env->key_file, env->url);
  GstMessage *msg;

  p2p_test_start (cam);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-registered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  return cam;
}

static void
wait_connection_state (GstElement * viewer, const gchar * state)
{
  gint64 deadline = g_get_monotonic_time () + P2P_TEST_WAIT_MS * 1000;

  while (g_get_monotonic_time () < deadline) {
    GstMessage *msg = p2p_test_wait_message (viewer, GST_MESSAGE_ELEMENT |
        GST_MESSAGE_WARNING, NULL, P2P_TEST_WAIT_MS);
    const GstStructure *s;
    gboolean match;

    fail_unless (msg != NULL, "no p2p-connection state=%s", state);
    s = gst_message_get_structure (msg);
    match = s && gst_structure_has_name (s, "p2p-connection")
        && g_strcmp0 (gst_structure_get_string (s, "state"), state) == 0;
    gst_message_unref (msg);
    if (match)
      return;
  }
  fail ("no p2p-connection state=%s", state);
}

/* The camera goes away and comes back: the viewer warns, says it is
 * reconnecting, and plays again on the same pad, without an ERROR. */
GST_START_TEST (test_reconnects_after_camera_restart)
{
  GstElement *cam, *viewer, *out;
  GstMessage *msg;
  GstSample *sample;

  cam = start_vp8_camera ();
  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s password=pw ! "
      "appsink name=out sync=false max-buffers=10 drop=true", env->uid,
      env->url);
  p2p_test_start (viewer);
  gst_sample_unref (p2p_test_pull (viewer, "out"));

  p2p_test_stop (cam);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_WARNING, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no warning after the camera left");
  gst_message_unref (msg);
  wait_connection_state (viewer, "reconnecting");

  cam = start_vp8_camera ();
  wait_connection_state (viewer, "connected");
  /* Drain what was queued before the restart, then get a fresh picture. */
  out = gst_bin_get_by_name (GST_BIN (viewer), "out");
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out), 0)))
    gst_sample_unref (sample);
  gst_object_unref (out);
  gst_sample_unref (p2p_test_pull (viewer, "out"));

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

static Suite *
p2psrc_suite (void)
{
  Suite *s = suite_create ("p2psrc");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_property_validation);
  tcase_add_test (tc, test_uri_handler);
  tcase_add_test (tc, test_h264_bit_exact);
  tcase_add_test (tc, test_lost_packets_retransmitted);
  tcase_add_test (tc, test_vp8_and_opus);
  tcase_add_test (tc, test_other_formats);
  tcase_add_test (tc, test_uridecodebin_plays);
  tcase_add_test (tc, test_device_offline_error);
  tcase_add_test (tc, test_server_unreachable_error);
  tcase_add_test (tc, test_unknown_uid_error);
  tcase_add_test (tc, test_fingerprint_mismatch_error);
  tcase_add_test (tc, test_reconnects_after_camera_restart);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (p2psrc);
