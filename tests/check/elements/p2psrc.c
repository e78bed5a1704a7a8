/* p2psrc tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"
#include "../server/harness.h"

#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <p2p-core/p2p-core.h>

static P2pTestEnv *env;

static void
setup (void)
{
  env = p2p_test_env_new ();
}

/* For the tests of the server path. */
static void
setup_server (void)
{
  env = p2p_test_env_new_with_server ();
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
  expect_ready_error ("server", "uid", "7KQ2-M9XD-4HPA-R3MJ", NULL);
  /* The UID's form is checked where it is set, as the protocol reads it. */
  expect_ready_error ("is not a valid device UID", "uid",
      "7KQ2-M9XD-4HPA-R3WU", "server", "wss://example.com", NULL);
  /* A mistyped symbol is malformed too (its check symbols tell), not a
   * camera the server does not know. */
  expect_ready_error ("check symbols do not match", "uid",
      "7KQ2-M9XD-4HPA-R3WV", "server", "wss://example.com", NULL);
  expect_ready_error ("Invalid server URI", "uid", "7KQ2-M9XD-4HPA-R3MJ",
      "server", "p2p.example.com", NULL);
  expect_ready_error ("not encrypted", "uid", "7KQ2-M9XD-4HPA-R3MJ",
      "server", "ws://p2p.example.com", NULL);
  expect_ready_error ("device-fingerprint", "uid", "7KQ2-M9XD-4HPA-R3MJ",
      "server", "wss://p2p.example.com", "device-fingerprint", "md5 00", NULL);
  expect_ready_error ("TURN server", "uid", "7KQ2-M9XD-4HPA-R3MJ",
      "server", "wss://p2p.example.com", "turn-server", "turn://host", NULL);
  expect_ready_error ("Cannot use tls-ca-file", "uid", "7KQ2-M9XD-4HPA-R3MJ",
      "server", "wss://p2p.example.com", "tls-ca-file", "/nonexistent/ca.pem",
      NULL);
}

GST_END_TEST;

GST_START_TEST (test_uri_handler)
{
  GError *err = NULL;
  GstElement *src;
  gchar *uid, *server, *uri;
  guint latency;

  src = gst_element_make_from_uri (GST_URI_SRC,
      "p2p://7kq2-m9xd-4hpa-r3mj?server=wss://p2p.example.com:8443/rv"
      "&password=s3cret&latency=120", NULL, &err);
  fail_unless (src != NULL, "%s", err ? err->message : "");
  g_object_get (src, "uid", &uid, "server", &server, "latency", &latency, NULL);
  fail_unless_equals_string (uid, "7KQ2-M9XD-4HPA-R3MJ");
  fail_unless_equals_string (server, "wss://p2p.example.com:8443/rv");
  fail_unless_equals_int (latency, 120);
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  /* The password never comes back out of the element. */
  fail_unless (strstr (uri, "s3cret") == NULL);
  fail_unless (g_str_has_prefix (uri, "p2p://7KQ2-M9XD-4HPA-R3MJ"));
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
 * byte; the first is a keyframe with its parameter sets. The jitter buffer
 * gets a second: with the default 50 ms, a keyframe that the encoder
 * finished late on a busy machine is given up as lost before the camera
 * even sends it, and the depayloader then passes the keyframe's other
 * slices on as a picture, whole to its eyes (1 run in ~15 on 2 busy
 * cores). That is the latency trade-off, not a payload fault; loss itself
 * is test_lost_packets_retransmitted's subject. */
GST_START_TEST (test_h264_bit_exact)
{
  GstElement *cam, *viewer, *tap;
  guint64 batched = 0;
  Sent sent;
  guint i;

  g_mutex_init (&sent.lock);
  sent.hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
      "aud=false bitrate=2000 ! video/x-h264,stream-format=byte-stream ! "
      "identity name=tap ! "
      "p2psink name=cam uid=%s key-file=%s password-file=%s",
      env->uid, env->key_file, env->password_file);
  tap = gst_bin_get_by_name (GST_BIN (cam), "tap");
  g_signal_connect (tap, "handoff", G_CALLBACK (camera_handoff), &sent);
  gst_object_unref (tap);
  p2p_test_start (cam);

  viewer =
      p2p_test_env_pipeline (env,
      "p2psrc uid=%s password=" P2P_TEST_PASSWORD " "
      "latency=1000 ! video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false max-buffers=1000", env->uid);
  p2p_test_start (viewer);

  for (i = 0; i < 60 || (i < 60 + 30 * 20 && batched == 0); i++) {
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
    /* Once ICE settles, the camera sends in UDP GSO batches: some of the
     * access units checked were carried that way (up to 20 s more). */
    if (i >= 59)
      batched = p2p_test_viewer_stat (cam, "viewer-1", "packets-batched");
  }
  fail_unless (batched > 0, "no packet left in a UDP GSO batch");

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
  g_hash_table_unref (sent.hashes);
  g_mutex_clear (&sent.lock);
}

GST_END_TEST;

/* A latency above a second with a sink that waits for each frame's time:
 * every frame waits about that long behind p2psrc's jitter buffer, and
 * none may be dropped as if the application had fallen behind. */
GST_START_TEST (test_long_latency_synced_sink)
{
  GstElement *cam, *viewer;
  GstClockTime last = GST_CLOCK_TIME_NONE;
  GstBus *bus;
  GstMessage *msg;
  guint i;

  cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
      "aud=false bitrate=300 ! "
      "p2psink name=cam uid=%s key-file=%s password-file=%s",
      env->uid, env->key_file, env->password_file);
  p2p_test_start (cam);
  viewer = p2p_test_env_pipeline (env, "p2psrc uid=%s password="
      P2P_TEST_PASSWORD " latency=1500 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=true max-buffers=1000", env->uid);
  p2p_test_start (viewer);

  for (i = 0; i < 60; i++) {
    GstSample *sample = p2p_test_pull (viewer, "out");
    GstClockTime pts = GST_BUFFER_PTS (gst_sample_get_buffer (sample));

    if (GST_CLOCK_TIME_IS_VALID (last))
      fail_unless (pts < last + 100 * GST_MSECOND, "frame %u came %"
          GST_TIME_FORMAT " after the one before", i,
          GST_TIME_ARGS (pts - last));
    last = pts;
    gst_sample_unref (sample);
  }
  bus = gst_element_get_bus (viewer);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    fail_if (strstr (err->message, "fell behind") != NULL, "%s", err->message);
    g_clear_error (&err);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
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

/* Counts the lists (packets the viewer read together) whose video packets
 * skip a sequence number: a loss inside a batch. */
static GstPadProbeReturn
count_gapped_lists (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  gint *gapped = data;
  GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
  gint last = -1;
  guint i;

  for (i = 0; i < gst_buffer_list_length (list); i++) {
    guint8 h[4];
    guint16 seq;

    if (gst_buffer_extract (gst_buffer_list_get (list, i), 0, h, 4) != 4
        || (h[1] & 0x7f) != 96)
      continue;
    seq = GST_READ_UINT16_BE (h + 2);
    if (last >= 0 && seq != (guint16) (last + 1)) {
      g_atomic_int_inc (gapped);
      break;
    }
    last = seq;
  }
  return GST_PAD_PROBE_OK;
}

/* Lost packets are asked for again (NACK) and retransmitted (RFC 4588) to
 * this viewer: the pictures still arrive whole and unchanged, also when
 * the loss is inside a batch the viewer read at once (pushed as one
 * list). */
GST_START_TEST (test_lost_packets_retransmitted)
{
  GstElement *cam, *viewer, *tap, *src, *rtpsrc;
  GstStructure *stats;
  GstPad *pad;
  Sent sent;
  guint i, count = 0, pauses = 1;
  gint gapped = 0;

  g_mutex_init (&sent.lock);
  sent.hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* Noise: pictures of several packets each, so that losses fall inside
   * the batches the viewer reads. */
  cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true pattern=snow ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=900 "
      "aud=false bitrate=2000 ! video/x-h264,stream-format=byte-stream ! "
      "identity name=tap ! p2psink name=cam uid=%s key-file=%s "
      "password-file=%s", env->uid, env->key_file, env->password_file);
  tap = gst_bin_get_by_name (GST_BIN (cam), "tap");
  g_signal_connect (tap, "handoff", G_CALLBACK (camera_handoff), &sent);
  gst_object_unref (tap);
  p2p_test_start (cam);

  viewer =
      p2p_test_env_pipeline (env,
      "p2psrc name=src uid=%s password=" P2P_TEST_PASSWORD " "
      "latency=2000 ! video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false max-buffers=1000", env->uid);
  src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  rtpsrc = gst_bin_get_by_name (GST_BIN (src), "rtpsrc");
  fail_unless (rtpsrc != NULL);
  pad = gst_element_get_static_pad (rtpsrc, "src");
  p2p_test_probe_packets (pad, drop_some_video, &count, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER_LIST, count_gapped_lists,
      &gapped, NULL);
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
  fail_unless (g_atomic_int_get (&gapped) > 0, "no loss inside a batch");
  fail_unless (p2p_test_viewer_stat (cam, "viewer-1", "retransmissions") > 0,
      "no retransmission");
  /* Ordinary loss is repaired: the viewer never paused its requests. */
  src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  g_object_get (src, "stats", &stats, NULL);
  gst_object_unref (src);
  fail_unless (gst_structure_get_uint (stats, "retransmission-pauses",
          &pauses));
  fail_unless_equals_int (pauses, 0);
  gst_structure_free (stats);

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
  g_hash_table_unref (sent.hashes);
  g_mutex_clear (&sent.lock);
}

GST_END_TEST;

/* The viewer's rtpbin sends transport-wide feedback on the sequence
 * numbers the camera's fan-out writes for it: the camera learns what the
 * viewer received (only that feedback tells it) and posts its estimate. */
GST_START_TEST (test_bandwidth_estimate)
{
  GstElement *cam, *viewer;
  GstMessage *msg;
  const GstStructure *s;
  guint64 estimate = 0;
  guint i;

  cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
      "aud=false bitrate=1000 ! video/x-h264,stream-format=byte-stream ! "
      "p2psink name=cam uid=%s key-file=%s password-file=%s",
      env->uid, env->key_file, env->password_file);
  p2p_test_start (cam);
  viewer = p2p_test_env_pipeline (env, "p2psrc uid=%s "
      "password=" P2P_TEST_PASSWORD " latency=1000 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false max-buffers=1000", env->uid);
  p2p_test_start (viewer);

  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT,
      "p2p-viewer-bandwidth", P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no p2p-viewer-bandwidth message");
  s = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_string (s, "viewer-id"),
      "viewer-1");
  fail_unless (gst_structure_get_uint64 (s, "estimated-bitrate", &estimate));
  fail_unless (estimate > 0);
  fail_unless (gst_structure_has_field_typed (s, "limited", G_TYPE_BOOLEAN));
  gst_message_unref (msg);

  /* Feedback comes every 100 ms; a few seconds of frames at most. */
  for (i = 0;
      i < 600
      && p2p_test_viewer_stat (cam, "viewer-1", "received-bitrate") == 0; i++)
    gst_sample_unref (p2p_test_pull (viewer, "out"));
  fail_unless (p2p_test_viewer_stat (cam, "viewer-1", "received-bitrate") > 0,
      "no transport-wide feedback reached the camera");
  fail_unless (p2p_test_viewer_stat (cam, "viewer-1", "estimated-bitrate") > 0);

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* p2psink's encoder= without a lab: a viewer whose feedback reports a
 * third of its packets lost brings x264enc's bitrate down, and the camera
 * says so in p2p-encoder-bitrate. */
GST_START_TEST (test_encoder_follows_lossy_viewer)
{
  GstElement *cam, *viewer, *enc;
  GstMessage *msg;
  guint64 bps = 0;
  guint kbit = 0;

  cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc name=enc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=30 aud=false bitrate=2000 ! "
      "video/x-h264,stream-format=byte-stream ! "
      "p2psink name=cam encoder=enc uid=%s key-file=%s password-file=%s",
      env->uid, env->key_file, env->password_file);
  p2p_test_start (cam);
  viewer = p2p_test_env_pipeline (env, "p2psrc name=src uid=%s "
      "password=" P2P_TEST_PASSWORD " latency=1000 ! fakesink sync=false",
      env->uid);
  /* Its retransmissions lost too: the loss shows in its feedback. */
  p2p_test_lose_video (viewer, TRUE);
  p2p_test_start (viewer);

  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT,
      "p2p-encoder-bitrate", P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "the encoder was never retuned");
  fail_unless (gst_structure_get_uint64 (gst_message_get_structure (msg),
          "bitrate", &bps));
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (msg), "viewer-id"), "viewer-1");
  gst_message_unref (msg);
  fail_unless (bps < 2000000, "retuned to %" G_GUINT64_FORMAT, bps);
  fail_unless (bps >= 300000, "below the floor: %" G_GUINT64_FORMAT, bps);
  enc = gst_bin_get_by_name (GST_BIN (cam), "enc");
  g_object_get (enc, "bitrate", &kbit, NULL);
  gst_object_unref (enc);
  fail_unless (kbit < 2000, "x264enc still at %u kbit/s", kbit);

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
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

/* A viewer with each stream in an appsink of the stream's name. */
#define AV_VIEWER "p2psrc name=src uid=%s password=" P2P_TEST_PASSWORD " " \
  "src.video_0 ! appsink name=video sync=false " \
  "src.audio_0 ! appsink name=audio sync=false"

/* Each stream to its own appsink by pad name, with no caps in the links:
 * gst_parse links a delayed link with caps through a capsfilter it makes
 * on every pad-added, and removes it again when the new pad is not the
 * one (the audio link on the video pad); when that pad came while the
 * pipeline was still going to PLAYING, the bin's state change could set
 * the doomed capsfilter to PLAYING after gst_parse set it to NULL, and its
 * disposal in PLAYING failed the test ("Trying to dispose element
 * capsfilter4, but it is in PLAYING", 1 run in ~230 over the direct
 * signaller, whose offer comes quickly; 1 in ~570 over the server).
 * check_caps() checks the formats. */
GST_START_TEST (test_vp8_and_opus)
{
  GstElement *cam, *viewer;
  GstMessage *msg;

  cam = p2p_test_env_pipeline (env, "p2psink name=s uid=%s key-file=%s "
      "password-file=%s videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "vp8enc deadline=1 keyframe-max-dist=600 ! s.video "
      "audiotestsrc is-live=true ! opusenc ! s.audio",
      env->uid, env->key_file, env->password_file);
  p2p_test_start (cam);

  viewer = p2p_test_env_pipeline (env, AV_VIEWER, env->uid);
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

/* The camera of the docs: H.264 video and Opus audio. */
#define AV_CAMERA "p2psink name=s uid=%s key-file=%s password-file=%s " \
  "videotestsrc is-live=true ! " \
  "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! " \
  "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! s.video " \
  "audiotestsrc is-live=true ! opusenc ! s.audio"

/* The documented viewer line links the video to decodebin, whichever
 * stream's packets come first: the audio pad used to be added first and
 * take decodebin, which then had nothing for videoconvert ("Delayed
 * linking failed"). */
GST_START_TEST (test_av_decodebin_gets_video)
{
  GstElement *cam, *viewer;

  cam =
      p2p_test_env_pipeline (env, AV_CAMERA, env->uid, env->key_file,
      env->password_file);
  p2p_test_start (cam);
  viewer =
      p2p_test_env_pipeline (env,
      "p2psrc uid=%s password=" P2P_TEST_PASSWORD " ! "
      "decodebin ! videoconvert ! video/x-raw,format=I420 ! "
      "appsink name=out sync=false", env->uid);
  p2p_test_start (viewer);
  check_caps (viewer, "out", "video/x-raw");
  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* Audio and video are two streams with ids of their own, announced in a
 * stream collection; pads named video_0 and audio_0 pick each. */
GST_START_TEST (test_stream_ids)
{
  GstElement *cam, *viewer, *sink;
  GstStreamCollection *collection = NULL;
  GstMessage *msg;
  GstStream *stream;
  GstPad *pad;
  GstEvent *event;
  const gchar *id;
  gchar *ids[2];
  guint i;
  const gchar *names[] = { "video", "audio" };
  GstStreamType types[] = { GST_STREAM_TYPE_VIDEO, GST_STREAM_TYPE_AUDIO };

  cam =
      p2p_test_env_pipeline (env, AV_CAMERA, env->uid, env->key_file,
      env->password_file);
  p2p_test_start (cam);
  viewer = p2p_test_env_pipeline (env, AV_VIEWER, env->uid);
  p2p_test_start (viewer);

  msg = p2p_test_wait_message (viewer, GST_MESSAGE_STREAM_COLLECTION, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no stream collection");
  gst_message_parse_stream_collection (msg, &collection);
  fail_unless_equals_int (gst_stream_collection_get_size (collection), 2);
  gst_message_unref (msg);

  for (i = 0; i < 2; i++) {
    gst_sample_unref (p2p_test_pull (viewer, names[i]));
    sink = gst_bin_get_by_name (GST_BIN (viewer), names[i]);
    pad = gst_element_get_static_pad (sink, "sink");
    event = gst_pad_get_sticky_event (pad, GST_EVENT_STREAM_START, 0);
    fail_unless (event != NULL);
    gst_event_parse_stream_start (event, &id);
    ids[i] = g_strdup (id);
    gst_event_parse_stream (event, &stream);
    fail_unless (stream != NULL, "%s: no GstStream", names[i]);
    fail_unless_equals_int (gst_stream_get_stream_type (stream), types[i]);
    fail_unless_equals_string (gst_stream_get_stream_id (stream), id);
    fail_unless_equals_string (gst_stream_get_stream_id
        (gst_stream_collection_get_stream (collection, i)), id);
    gst_object_unref (stream);
    gst_event_unref (event);
    gst_object_unref (pad);
    gst_object_unref (sink);
  }
  fail_if (g_strcmp0 (ids[0], ids[1]) == 0, "audio and video share the "
      "stream-id %s", ids[0]);
  g_free (ids[0]);
  g_free (ids[1]);
  gst_object_unref (collection);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* A sender report as the viewer received it, with what it had received
 * of that SSRC's RTP by then. */
typedef struct
{
  guint32 ssrc;
  guint64 ntp;
  guint32 rtptime;
  guint32 packets;
  guint32 octets;
  gchar *cname;
  guint received;
  guint32 last_ts;
  gint64 arrival;
} SeenReport;

typedef struct
{
  GMutex lock;
  GCond cond;
  GHashTable *received;         /* SSRC → RTP packets received */
  GHashTable *last_ts;          /* SSRC → the last one's timestamp */
  GArray *reports;              /* SeenReport */
  GHashTable *byes;             /* SSRCs a BYE named */
} Seen;

static void
seen_init (Seen * seen)
{
  g_mutex_init (&seen->lock);
  g_cond_init (&seen->cond);
  seen->received = g_hash_table_new (NULL, NULL);
  seen->last_ts = g_hash_table_new (NULL, NULL);
  seen->reports = g_array_new (FALSE, TRUE, sizeof (SeenReport));
  seen->byes = g_hash_table_new (NULL, NULL);
}

static void
seen_clear (Seen * seen)
{
  guint i;

  for (i = 0; i < seen->reports->len; i++)
    g_free (g_array_index (seen->reports, SeenReport, i).cname);
  g_array_unref (seen->reports);
  g_hash_table_unref (seen->received);
  g_hash_table_unref (seen->last_ts);
  g_hash_table_unref (seen->byes);
  g_mutex_clear (&seen->lock);
  g_cond_clear (&seen->cond);
}

static void
seen_rtp (Seen * seen, GstBuffer * buf)
{
  guint8 head[12];
  gpointer key;

  if (gst_buffer_extract (buf, 0, head, sizeof (head)) < sizeof (head))
    return;
  key = GUINT_TO_POINTER (GST_READ_UINT32_BE (head + 8));
  g_hash_table_insert (seen->received, key,
      GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (seen->received,
                  key)) + 1));
  g_hash_table_insert (seen->last_ts, key,
      GUINT_TO_POINTER (GST_READ_UINT32_BE (head + 4)));
}

static gboolean
seen_rtp_in_list (GstBuffer ** buf, guint idx, gpointer seen)
{
  seen_rtp (seen, *buf);
  return TRUE;
}

/* The viewer's RTP on its way in (network thread). */
static GstPadProbeReturn
see_rtp (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Seen *seen = data;

  g_mutex_lock (&seen->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    seen_rtp (seen, GST_PAD_PROBE_INFO_BUFFER (info));
  else
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        seen_rtp_in_list, seen);
  g_mutex_unlock (&seen->lock);
  return GST_PAD_PROBE_OK;
}

/* The viewer's RTCP on its way in: each SR, with the SDES CNAME after it,
 * and the SSRCs of each BYE. */
static GstPadProbeReturn
see_rtcp (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Seen *seen = data;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean more;
  SeenReport *last = NULL;

  if (!gst_rtcp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ,
          &rtcp))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&seen->lock);
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
      more = gst_rtcp_packet_move_to_next (&packet)) {
    if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_SR) {
      SeenReport r = { 0, };
      gpointer key;

      gst_rtcp_packet_sr_get_sender_info (&packet, &r.ssrc, &r.ntp,
          &r.rtptime, &r.packets, &r.octets);
      key = GUINT_TO_POINTER (r.ssrc);
      r.received = GPOINTER_TO_UINT (g_hash_table_lookup (seen->received, key));
      r.last_ts = GPOINTER_TO_UINT (g_hash_table_lookup (seen->last_ts, key));
      r.arrival = g_get_real_time ();
      g_array_append_val (seen->reports, r);
      last = &g_array_index (seen->reports, SeenReport, seen->reports->len - 1);
    } else if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_SDES
        && last && gst_rtcp_packet_sdes_first_item (&packet)
        && gst_rtcp_packet_sdes_get_ssrc (&packet) == last->ssrc) {
      gchar *cname = NULL;

      if (gst_rtcp_packet_sdes_first_entry (&packet)) {
        do {
          GstRTCPSDESType type;
          guint8 len, *item;

          if (gst_rtcp_packet_sdes_get_entry (&packet, &type, &len, &item)
              && type == GST_RTCP_SDES_CNAME)
            cname = g_strndup ((const gchar *) item, len);
        } while (!cname && gst_rtcp_packet_sdes_next_entry (&packet));
      }
      last->cname = cname;
    } else if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_BYE) {
      guint i, n = gst_rtcp_packet_bye_get_ssrc_count (&packet);

      for (i = 0; i < n; i++)
        g_hash_table_add (seen->byes,
            GUINT_TO_POINTER (gst_rtcp_packet_bye_get_nth_ssrc (&packet, i)));
    }
  }
  g_cond_broadcast (&seen->cond);
  g_mutex_unlock (&seen->lock);
  gst_rtcp_buffer_unmap (&rtcp);
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement * viewer, const gchar * name, GstPadProbeType type,
    GstPadProbeCallback callback, Seen * seen)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (viewer), "src");
  GstElement *element = gst_bin_get_by_name (GST_BIN (src), name);
  GstPad *pad = gst_element_get_static_pad (element, "src");

  gst_pad_add_probe (pad, type, callback, seen, NULL);
  gst_object_unref (pad);
  gst_object_unref (element);
  gst_object_unref (src);
}

/* How many SSRCs have at least @n sender reports with a CNAME among the
 * first reports (all of them when NULL). With the lock. */
static guint
ssrcs_reported (Seen * seen, guint n)
{
  GHashTable *counts = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer count;
  guint i, ssrcs = 0;

  for (i = 0; i < seen->reports->len; i++) {
    SeenReport *r = &g_array_index (seen->reports, SeenReport, i);
    gpointer key = GUINT_TO_POINTER (r->ssrc);

    if (r->cname)
      g_hash_table_insert (counts, key,
          GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts,
                      key)) + 1));
  }
  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, NULL, &count))
    ssrcs += GPOINTER_TO_UINT (count) >= n;
  g_hash_table_unref (counts);
  return ssrcs;
}

/* The camera's sender reports tell a viewer what it needs to play audio
 * and video in sync: both streams under one CNAME, each report mapping
 * the sender's wall clock to the RTP timestamps the stream carries, at
 * the stream's clock rate (video 90 kHz, Opus 48 kHz), and counting the
 * packets and octets sent. */
GST_START_TEST (test_sender_reports)
{
  GstElement *cam, *viewer;
  Seen seen;
  gint64 deadline;
  guint i, j, rates_seen[2] = { 0, 0 };
  const guint rates[2] = { 90000, 48000 };
  const gchar *cname = NULL;

  seen_init (&seen);

  cam = p2p_test_env_pipeline (env, AV_CAMERA, env->uid, env->key_file,
      env->password_file);
  p2p_test_start (cam);
  viewer = p2p_test_env_pipeline (env, AV_VIEWER, env->uid);
  add_probe (viewer, "rtpsrc", GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, see_rtp, &seen);
  add_probe (viewer, "rtcpsrc", GST_PAD_PROBE_TYPE_BUFFER, see_rtcp, &seen);
  p2p_test_start (viewer);

  /* Four reports of each stream: about four seconds. */
  deadline = g_get_monotonic_time () + 4 * P2P_TEST_WAIT_MS * 1000;
  g_mutex_lock (&seen.lock);
  while (ssrcs_reported (&seen, 4) < 2
      && g_cond_wait_until (&seen.cond, &seen.lock, deadline));
  fail_unless (ssrcs_reported (&seen, 4) == 2, "%u reports of fewer than "
      "two streams", seen.reports->len);

  for (i = 0; i < seen.reports->len; i++) {
    SeenReport *r = &g_array_index (seen.reports, SeenReport, i);
    gint64 ntp_us = gst_util_uint64_scale (r->ntp, G_USEC_PER_SEC,
        G_GUINT64_CONSTANT (1) << 32) - G_GINT64_CONSTANT (2208988800) *
        G_USEC_PER_SEC;

    if (!r->cname)
      continue;
    /* One CNAME for both streams. */
    if (!cname)
      cname = r->cname;
    fail_unless_equals_string (r->cname, cname);
    /* The sender's wall clock (this machine's) when it was made. */
    fail_unless (ABS (r->arrival - ntp_us) < 5 * G_USEC_PER_SEC,
        "NTP time %" G_GINT64_FORMAT " µs off", r->arrival - ntp_us);

    /* The next report of the same stream. */
    for (j = i + 1; j < seen.reports->len; j++) {
      SeenReport *n = &g_array_index (seen.reports, SeenReport, j);
      guint64 ntp_ns;
      guint32 ticks, sent;
      guint k, received;

      if (n->ssrc != r->ssrc || !n->cname)
        continue;
      /* The mapping advances at the clock rate: the RTP time between two
       * reports is the wall-clock time between them. */
      ntp_ns = gst_util_uint64_scale (n->ntp - r->ntp, GST_SECOND,
          G_GUINT64_CONSTANT (1) << 32);
      ticks = n->rtptime - r->rtptime;
      fail_unless (ntp_ns > 0);
      for (k = 0; k < 2; k++) {
        GstClockTimeDiff off = GST_CLOCK_DIFF (ntp_ns,
            gst_util_uint64_scale (ticks, GST_SECOND, rates[k]));

        if (ABS (off) < 50 * GST_MSECOND) {
          rates_seen[k]++;
          /* The reported RTP time is that of the packets the viewer has:
           * less than a second from the last one received. Either way:
           * the report is seen on the RTCP source's own thread, and
           * packets the network thread received after it may have been
           * seen first. */
          fail_unless (r->received > 0);
          fail_unless (ABS ((gint32) (r->rtptime - r->last_ts)) <
              (gint32) rates[k], "report at %u, last packet at %u",
              r->rtptime, r->last_ts);
        }
      }
      /* What was sent between the two reports was received (no loss on
       * loopback; the pacer may hold a few packets back at either). */
      sent = n->packets - r->packets;
      received = n->received - r->received;
      fail_unless (sent > 0 && n->octets > r->octets);
      fail_unless (ABS ((gint) sent - (gint) received) <= (gint) sent / 4 + 10,
          "%u sent, %u received", sent, received);
      break;
    }
  }
  g_mutex_unlock (&seen.lock);
  fail_unless (rates_seen[0] >= 3 && rates_seen[1] >= 3,
      "report pairs at 90 kHz: %u, at 48 kHz: %u", rates_seen[0],
      rates_seen[1]);

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
  seen_clear (&seen);
}

GST_END_TEST;

/* Whether a BYE named every SSRC a sender report came from. With the
 * lock. */
static gboolean
all_said_bye (Seen * seen)
{
  guint i;

  for (i = 0; i < seen->reports->len; i++)
    if (!g_hash_table_contains (seen->byes,
            GUINT_TO_POINTER (g_array_index (seen->reports, SeenReport,
                    i).ssrc)))
      return FALSE;
  return seen->reports->len > 0;
}

/* A camera stopped without EOS (set to NULL) ends its streams with a BYE
 * each, as one that reached EOS does, before its viewers' sessions close:
 * they used to be left to time out. */
GST_START_TEST (test_bye_on_stop)
{
  GstElement *cam, *viewer;
  Seen seen;
  gint64 deadline;

  seen_init (&seen);
  cam = p2p_test_env_pipeline (env, AV_CAMERA, env->uid, env->key_file,
      env->password_file);
  p2p_test_start (cam);
  viewer = p2p_test_env_pipeline (env, AV_VIEWER, env->uid);
  add_probe (viewer, "rtcpsrc", GST_PAD_PROBE_TYPE_BUFFER, see_rtcp, &seen);
  p2p_test_start (viewer);

  deadline = g_get_monotonic_time () + 2 * P2P_TEST_WAIT_MS * 1000;
  g_mutex_lock (&seen.lock);
  while (ssrcs_reported (&seen, 1) < 2
      && g_cond_wait_until (&seen.cond, &seen.lock, deadline));
  fail_unless (ssrcs_reported (&seen, 1) == 2, "%u reports of fewer than "
      "two streams", seen.reports->len);
  fail_if (all_said_bye (&seen));
  g_mutex_unlock (&seen.lock);

  p2p_test_stop (cam);
  deadline = g_get_monotonic_time () + P2P_TEST_WAIT_MS * 1000;
  g_mutex_lock (&seen.lock);
  while (!all_said_bye (&seen)
      && g_cond_wait_until (&seen.cond, &seen.lock, deadline));
  fail_unless (all_said_bye (&seen), "BYEs for %u of the streams",
      g_hash_table_size (seen.byes));
  g_mutex_unlock (&seen.lock);

  p2p_test_stop (viewer);
  seen_clear (&seen);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GCond cond;
  guint frames;
} Counted;

static GstPadProbeReturn
count_frames (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Counted *counted = data;

  g_mutex_lock (&counted->lock);
  counted->frames++;
  g_cond_broadcast (&counted->cond);
  g_mutex_unlock (&counted->lock);
  return GST_PAD_PROBE_OK;
}

/* Runs ffprobe on @path: its video codec and number of decodable frames. */
static void
probe_file (const gchar * path, gchar ** codec, guint * frames)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-count_frames",
    "-select_streams", "v:0", "-show_entries",
    "stream=codec_name,nb_read_frames", "-of", "default=noprint_wrappers=1",
    path, NULL
  };
  gchar *out = NULL, *err = NULL, **lines, **line;
  GError *error = NULL;
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &err, &status, &error), "ffprobe: %s",
      error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffprobe %s: %s",
      path, err);
  *codec = NULL;
  *frames = 0;
  lines = g_strsplit (out, "\n", -1);
  for (line = lines; *line; line++) {
    if (g_str_has_prefix (*line, "codec_name="))
      *codec = g_strdup (*line + strlen ("codec_name="));
    else if (g_str_has_prefix (*line, "nb_read_frames="))
      *frames = g_ascii_strtoull (*line + strlen ("nb_read_frames="), NULL, 10);
  }
  g_strfreev (lines);
  g_free (out);
  g_free (err);
}

/* An EOS sent to the pipeline (gst-launch-1.0 -e on Ctrl-C) drains p2psrc
 * and ends every pad, so the muxer finalizes a playable file. p2psrc used
 * to refuse the event, and the MP4 had no index. */
GST_START_TEST (test_eos_finalizes_recording)
{
  GstElement *cam, *viewer, *parse;
  GstMessage *msg;
  GstPad *pad;
  Counted counted = { 0 };
  gchar *path = g_build_filename (env->dir, "recording.mp4", NULL);
  gchar *codec;
  guint frames;
  gint64 deadline;

  g_mutex_init (&counted.lock);
  g_cond_init (&counted.cond);
  cam =
      p2p_test_env_pipeline (env, AV_CAMERA, env->uid, env->key_file,
      env->password_file);
  p2p_test_start (cam);
  viewer =
      p2p_test_env_pipeline (env,
      "p2psrc uid=%s password=" P2P_TEST_PASSWORD " ! "
      "h264parse name=parse ! mp4mux ! filesink location=%s", env->uid, path);
  parse = gst_bin_get_by_name (GST_BIN (viewer), "parse");
  pad = gst_element_get_static_pad (parse, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_frames, &counted,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (parse);
  p2p_test_start (viewer);

  deadline =
      g_get_monotonic_time () + P2P_TEST_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&counted.lock);
  while (counted.frames < 30 && g_cond_wait_until (&counted.cond,
          &counted.lock, deadline));
  frames = counted.frames;
  g_mutex_unlock (&counted.lock);
  fail_unless (frames >= 30, "only %u frames recorded", frames);

  fail_unless (gst_element_send_event (viewer, gst_event_new_eos ()),
      "the pipeline refused the EOS");
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_EOS, NULL, P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no EOS after draining");
  gst_message_unref (msg);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);

  probe_file (path, &codec, &frames);
  fail_unless_equals_string (codec, "h264");
  fail_unless (frames >= 30, "ffprobe decoded %u frames", frames);
  g_free (codec);
  g_free (path);
  g_mutex_clear (&counted.lock);
  g_cond_clear (&counted.cond);
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
    cam = p2p_test_env_pipeline (env, "p2psink name=s uid=%s key-file=%s "
        "password-file=%s %s ! s.%s", env->uid, env->key_file,
        env->password_file, formats[i].source, formats[i].pad);
    p2p_test_start (cam);
    viewer =
        p2p_test_env_pipeline (env,
        "p2psrc uid=%s password=" P2P_TEST_PASSWORD " ! "
        "appsink name=out sync=false", env->uid);
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

  cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "vp8enc deadline=1 ! p2psink uid=%s key-file=%s password-file=%s",
      env->uid, env->key_file, env->password_file);
  p2p_test_start (cam);

  viewer = p2p_test_env_pipeline (env, "uridecodebin "
      "uri=\"p2p://%s?password=" P2P_TEST_PASSWORD "\" ! "
      "appsink name=out sync=false caps=video/x-raw", env->uid);
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

/* The camera is known but not running (its end of the signaller is not
 * started, as a registered camera that is not logged in): with reconnect
 * off the viewer gives up with an error inside its time-out. */
GST_START_TEST (test_device_offline_error)
{
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;
  gint64 start = g_get_monotonic_time ();

  viewer =
      p2p_test_env_pipeline (env,
      "p2psrc uid=%s password=" P2P_TEST_PASSWORD " "
      "reconnect=false timeout=2000 ! fakesink", env->uid);
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

/* Runs a command line (argv, NULL-terminated); fails the test if it
 * fails. */
static void
run_command (const gchar * first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree gchar *err = NULL;
  GError *error = NULL;
  const gchar *arg;
  gint status;
  va_list args;

  va_start (args, first);
  for (arg = first; arg; arg = va_arg (args, const gchar *))
      g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (env->dir, (gchar **) argv->pdata, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
          &err, &status, &error), "%s: %s", first, error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s: %s", first, err);
}

/* A private CA (openssl) in the test's directory: ca.pem, and server.pem
 * and server.key for 127.0.0.1 signed by it. */
static void
make_private_ca (void)
{
  g_autofree gchar *ext = g_build_filename (env->dir, "server.ext", NULL);

  fail_unless (g_file_set_contents (ext, "subjectAltName=IP:127.0.0.1\n", -1,
          NULL));
  run_command ("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
      "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out",
      "ca.pem", "-days", "2", "-subj", "/CN=gst-p2p test CA", NULL);
  run_command ("openssl", "req", "-newkey", "ec", "-pkeyopt",
      "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out",
      "server.csr", "-subj", "/CN=127.0.0.1", NULL);
  run_command ("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
      "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days",
      "2", "-extfile", "server.ext", NULL);
}

/* A viewer that cannot reach its server says why at once (well within the
 * time-outs it would otherwise wait out) and names the cause. The login
 * time-out is the longest too: the first `wss://` server's includes loading
 * the system's certificate authorities, which took over 20 s under ASan on
 * a busy host, and would then end the login before its cause is known. */
static void
expect_unreachable (const gchar * server, const gchar * ca_file,
    const gchar * cause)
{
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;

  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s tls-ca-file=\"%s\" "
      "reconnect=false timeout=600000 login-timeout=600000 ! fakesink",
      env->uid, server, ca_file ? ca_file : "");
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "%s: no error, the viewer waits out its time-out",
      server);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, cause) != NULL, "%s: '%s' does not say "
      "'%s'", server, err->message, cause);
  fail_unless (strstr (err->message, server) != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);
}

GST_START_TEST (test_server_unreachable_cause)
{
  HarnessServer *tls;
  g_autofree gchar *other_ca = g_build_filename (env->dir, "other.pem", NULL);
  g_autofree gchar *url = NULL, *plain_as_tls = NULL, *tls_as_plain = NULL;
  g_autofree gchar *cert = NULL, *key = NULL;

  expect_unreachable ("ws://127.0.0.1:1", NULL, "connection refused");

  make_private_ca ();
  cert = g_strdup_printf ("--tls-cert=%s/server.pem", env->dir);
  key = g_strdup_printf ("--tls-key=%s/server.key", env->dir);
  /* The server's handshake time-out runs from its TCP accept, while the
   * viewer loads the system's certificate authorities for its first
   * `wss://` server (over 10 s, the default, under ASan at load 18): it
   * then closed the connection before the certificate could be refused. */
  tls = harness_server_start (env->registry, cert, key,
      "--handshake-timeout=600", NULL);
  url = g_strdup_printf ("wss://127.0.0.1:%d", tls->port);
  tls_as_plain = g_strdup_printf ("ws://127.0.0.1:%d", tls->port);
  plain_as_tls = g_strdup_printf ("wss://127.0.0.1:%d",
      ((HarnessServer *) env->server)->port);

  /* The private CA's server is not trusted by the system's authorities,
   * nor by another CA file; with its CA it is. */
  expect_unreachable (url, NULL, "untrusted certificate");
  run_command ("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
      "ec_paramgen_curve:P-256", "-nodes", "-keyout", "other.key", "-out",
      "other.pem", "-days", "2", "-subj", "/CN=another CA", NULL);
  expect_unreachable (url, other_ca, "untrusted certificate");
  expect_unreachable (plain_as_tls, NULL, "TLS handshake failure");
  expect_unreachable (tls_as_plain, NULL, "dropped the connection");

  harness_server_stop (tls);
  harness_server_free (tls);
}

GST_END_TEST;

/* login-timeout reaches the signalling client: a server that accepts the
 * connection and never answers fails the viewer by the login time-out,
 * before the viewer's own time-out, which is shorter than the signalling
 * client's default login time-out (10 s). */
GST_START_TEST (test_login_timeout)
{
  GSocket *silent;
  GSocketAddress *addr;
  GInetAddress *loopback;
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;
  g_autofree gchar *url = NULL;

  /* Listening, never accepting: the kernel completes the TCP handshake and
   * the WebSocket upgrade request waits for an answer that never comes. */
  silent = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  fail_unless (silent != NULL);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  addr = g_inet_socket_address_new (loopback, 0);
  fail_unless (g_socket_bind (silent, addr, FALSE, &err));
  fail_unless (g_socket_listen (silent, &err));
  g_object_unref (addr);
  g_object_unref (loopback);
  addr = g_socket_get_local_address (silent, &err);
  url = g_strdup_printf ("ws://127.0.0.1:%u",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
  g_object_unref (addr);

  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s reconnect=false "
      "timeout=9000 login-timeout=200 ! fakesink", env->uid, url);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no error");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "did not complete the login in time")
      != NULL, "'%s' is not the login time-out", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);
  g_object_unref (silent);
}

GST_END_TEST;

/* tls-ca-file on both elements: camera and viewer meet through a server
 * whose certificate a private CA signed. */
GST_START_TEST (test_tls_ca_file)
{
  HarnessServer *tls;
  GstElement *cam, *viewer;
  g_autofree gchar *ca = g_build_filename (env->dir, "ca.pem", NULL);
  g_autofree gchar *url = NULL, *cert = NULL, *key = NULL;

  make_private_ca ();
  cert = g_strdup_printf ("--tls-cert=%s/server.pem", env->dir);
  key = g_strdup_printf ("--tls-key=%s/server.key", env->dir);
  tls = harness_server_start (env->registry, cert, key, NULL);
  url = g_strdup_printf ("wss://127.0.0.1:%d", tls->port);

  cam = p2p_test_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! "
      "p2psink uid=%s key-file=%s server=%s tls-ca-file=%s "
      "password-file=%s", env->uid, env->key_file, url, ca, env->password_file);
  p2p_test_start (cam);
  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s tls-ca-file=%s "
      "password=" P2P_TEST_PASSWORD " ! video/x-h264 ! "
      "appsink name=out sync=false", env->uid, url, ca);
  p2p_test_start (viewer);
  gst_sample_unref (p2p_test_pull (viewer, "out"));
  p2p_test_stop (viewer);
  p2p_test_stop (cam);

  harness_server_stop (tls);
  harness_server_free (tls);
}

GST_END_TEST;

GST_START_TEST (test_unknown_uid_error)
{
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;

  /* Well formed (valid check symbols are the server's business) but not
   * registered; an unknown UID is never worth retrying. */
  viewer = p2p_test_env_pipeline (env, "p2psrc uid=0000-0000-0000-0000 "
      "password=" P2P_TEST_PASSWORD " timeout=5000 ! fakesink");
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

  cam =
      p2p_test_env_pipeline (env,
      "videotestsrc is-live=true ! vp8enc deadline=1 ! "
      "p2psink uid=%s key-file=%s password-file=%s", env->uid, env->key_file,
      env->password_file);
  p2p_test_start (cam);
  viewer =
      p2p_test_env_pipeline (env,
      "p2psrc uid=%s password=" P2P_TEST_PASSWORD " "
      "device-fingerprint=\"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:"
      "DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\" ! "
      "fakesink", env->uid);
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

/* "server=URL" on the server path, else "" (the direct signaller). */
static gchar *
server_property (void)
{
  return env->url ? g_strdup_printf ("server=%s", env->url) : g_strdup ("");
}

/* A VP8 camera, returned once callable: on the server path, logged in. */
static GstElement *
start_vp8_camera (void)
{
  g_autofree gchar *server = server_property ();
  GstElement *cam = p2p_test_env_pipeline (env, "videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 ! "
      "p2psink uid=%s key-file=%s password-file=%s %s", env->uid,
      env->key_file, env->password_file, server);
  GstMessage *msg;

  p2p_test_start (cam);
  if (env->url) {
    msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-registered",
        P2P_TEST_WAIT_MS);
    fail_unless (msg != NULL);
    gst_message_unref (msg);
  }
  return cam;
}

/* A viewer of the camera into appsink "out", with its first picture in. */
static GstElement *
start_playing_viewer (void)
{
  g_autofree gchar *server = server_property ();
  GstElement *viewer = p2p_test_env_pipeline (env, "p2psrc uid=%s %s "
      "password=" P2P_TEST_PASSWORD " ! "
      "appsink name=out sync=false max-buffers=10 drop=true", env->uid, server);

  p2p_test_start (viewer);
  gst_sample_unref (p2p_test_pull (viewer, "out"));
  return viewer;
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
  viewer = start_playing_viewer ();

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

/* A graceful stop of the signalling server (SIGTERM, as an upgrade or a
 * systemd restart sends) leaves the call's media alone: it runs on the
 * peers' own ICE/DTLS path, which the server never carried. The pictures
 * right after the stop came over the call set up before it, as no server
 * was there to set up another. */
GST_START_TEST (test_keeps_playing_after_server_stop)
{
  GstElement *cam, *viewer, *out;
  GstSample *sample;
  GstMessage *msg;
  gchar port[32];
  guint i;

  cam = start_vp8_camera ();
  viewer = start_playing_viewer ();

  g_snprintf (port, sizeof (port), "--port=%d",
      ((HarnessServer *) env->server)->port);
  fail_unless_equals_int (harness_server_stop (env->server), 0);
  out = gst_bin_get_by_name (GST_BIN (viewer), "out");
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out), 0)))
    gst_sample_unref (sample);
  gst_object_unref (out);
  /* Two seconds of pictures at 30/s, more than the ten queued. */
  for (i = 0; i < 60; i++)
    gst_sample_unref (p2p_test_pull (viewer, "out"));

  /* The server comes back and the camera logs in again: its new
   * signalling connection leaves the running call alone too. */
  harness_server_free (env->server);
  env->server = harness_server_start (env->registry, port, NULL);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-registered",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "the camera did not log in again");
  gst_message_unref (msg);
  for (i = 0; i < 60; i++)
    gst_sample_unref (p2p_test_pull (viewer, "out"));

  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

static gchar *
known_fingerprint (const gchar * path, const gchar * uid)
{
  P2pKnownCameras *known = p2p_known_cameras_new (path);
  gchar *fingerprint;

  fail_unless (p2p_known_cameras_load (known, NULL));
  fingerprint = p2p_known_cameras_lookup (known, uid);
  g_object_unref (known);
  return fingerprint;
}

/* Trust on first use: the first authenticated session remembers the
 * camera's certificate; a camera with another key under the same UID (a
 * replaced camera, or one that someone impersonates with the signalling's
 * help) is then refused, however much the signalling vouches for it, with
 * both fingerprints and the way to accept it in the message; pinning the
 * new fingerprint accepts it and remembers it. */
GST_START_TEST (test_known_camera)
{
  gchar *known = g_build_filename (env->dir, "known-cameras", NULL);
  gchar *fp1 = g_strdup (env->fingerprint), *fp2, *stored;
  GstElement *cam, *viewer;
  GstMessage *msg;
  GError *err = NULL;

  cam = start_vp8_camera ();
  viewer = p2p_test_env_pipeline (env, "p2psrc uid=%s "
      "password=" P2P_TEST_PASSWORD " known-cameras-file=%s ! "
      "appsink name=out sync=false", env->uid, known);
  fail_unless (known_fingerprint (known, env->uid) == NULL);
  p2p_test_start (viewer);
  gst_sample_unref (p2p_test_pull (viewer, "out"));
  stored = known_fingerprint (known, env->uid);
  fail_unless (p2p_fingerprint_equal (stored, fp1), "%s", stored);
  g_free (stored);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);

  p2p_test_env_replace_camera (env);
  fp2 = g_strdup (env->fingerprint);
  cam = start_vp8_camera ();
  viewer = p2p_test_env_pipeline (env, "p2psrc uid=%s "
      "password=" P2P_TEST_PASSWORD " known-cameras-file=%s ! fakesink",
      env->uid, known);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "a replaced camera was accepted silently");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  fail_unless (strstr (err->message, fp1) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, fp2) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, known) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "device-fingerprint") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);
  stored = known_fingerprint (known, env->uid);
  fail_unless (p2p_fingerprint_equal (stored, fp1), "%s", stored);
  g_free (stored);

  /* The user accepts the new camera. */
  viewer = p2p_test_env_pipeline (env, "p2psrc uid=%s "
      "password=" P2P_TEST_PASSWORD " known-cameras-file=%s "
      "device-fingerprint=\"%s\" ! appsink name=out sync=false", env->uid,
      known, fp2);
  p2p_test_start (viewer);
  gst_sample_unref (p2p_test_pull (viewer, "out"));
  p2p_test_stop (viewer);
  stored = known_fingerprint (known, env->uid);
  fail_unless (p2p_fingerprint_equal (stored, fp2), "%s", stored);
  g_free (stored);

  p2p_test_stop (cam);
  g_free (fp1);
  g_free (fp2);
  g_free (known);
}

GST_END_TEST;

/* ---- a rogue signalling server ----
 *
 * It answers the viewer's calls itself, on its own loop thread: 'connected'
 * with the fingerprint it chooses, then an offer from its own DTLS peer,
 * and it counts what reaches that peer. */

#define ROGUE_CALL "RoGueCaLLRoGueCaLL0001"

typedef struct
{
  P2pLoop *loop;
  SoupServer *server;
  gchar *url;
  SoupWebsocketConnection *ws;
  P2pIdentity *identity;        /* its own DTLS peer's */
  P2pTransport *transport;
  gchar *vouch;                 /* device_fingerprint in 'connected' */

  GMutex lock;
  guint answers;                /* answers from the viewer */
  GPtrArray *messages;          /* channel messages from the viewer */
  gboolean dtls_up;
} Rogue;

/* Sends {"type": @type, name: value, …} (string values); nothing once the
 * viewer closed the connection (its transport still gathers candidates). */
static void
rogue_send (Rogue * r, const gchar * type, ...)
{
  JsonBuilder *builder = json_builder_new ();
  JsonNode *root;
  gchar *text;
  const gchar *name;
  va_list args;

  if (soup_websocket_connection_get_state (r->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
    g_object_unref (builder);
    return;
  }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  va_start (args, type);
  for (name = va_arg (args, const gchar *); name;
      name = va_arg (args, const gchar *))
  {
    json_builder_set_member_name (builder, name);
    json_builder_add_string_value (builder, va_arg (args, const gchar *));
  }
  va_end (args);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  soup_websocket_connection_send_text (r->ws, text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (builder);
}

static void
rogue_on_candidate (P2pTransport * transport, const gchar * candidate,
    Rogue * r)
{
  rogue_send (r, "candidate", "call", ROGUE_CALL, "candidate", candidate, NULL);
}

/* The generator of P-256, uncompressed: a valid share that the rogue,
 * not knowing the password's verifier, can only pair with a made-up
 * confirmation. */
static const guint8 p256_generator[65] = {
  0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
  0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33,
  0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42,
  0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
  0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40,
  0x68, 0x37, 0xbf, 0x51, 0xf5
};

static void
rogue_send_message (Rogue * r, const gchar * text)
{
  GBytes *bytes = g_bytes_new (text, strlen (text));

  p2p_transport_send_message (r->transport, bytes, NULL);
  g_bytes_unref (bytes);
}

/* Plays the camera's side of the viewer login as far as it can without
 * the verifier. */
static void
rogue_on_message (P2pTransport * transport, GBytes * message, Rogue * r)
{
  gchar *text = g_strndup (g_bytes_get_data (message, NULL),
      g_bytes_get_size (message));

  if (strstr (text, "\"type\":\"auth\"")) {
    gchar *share = g_base64_encode (p256_generator, sizeof (p256_generator));
    guint8 zeros[32] = { 0 };
    gchar *confirm = g_base64_encode (zeros, sizeof (zeros));
    gchar *verify = g_strdup_printf ("{\"type\":\"auth-verify\","
        "\"share\":\"%s\",\"confirm\":\"%s\"}", share, confirm);

    rogue_send_message (r, verify);
    g_free (verify);
    g_free (confirm);
    g_free (share);
  }
  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->messages, text);
  g_mutex_unlock (&r->lock);
}

static void
rogue_on_state (P2pTransport * transport, GParamSpec * pspec, Rogue * r)
{
  gboolean up = p2p_transport_get_state (transport) ==
      P2P_TRANSPORT_STATE_CONNECTED;

  g_mutex_lock (&r->lock);
  r->dtls_up |= up;
  g_mutex_unlock (&r->lock);
  if (up)
    rogue_send_message (r, "{\"type\":\"auth-params\",\"version\":1,"
        "\"method\":\"spake2plus-p256\",\"salt\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
        "\"iterations\":1000}");
}

static void
rogue_offer (Rogue * r)
{
  static const gchar video[] = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
      "a=rtpmap:96 H264/90000\r\na=sendonly\r\n";
  GstSDPMessage *media;
  gchar *offer;

  gst_sdp_message_new_from_text (video, &media);

  r->transport = p2p_transport_new (r->loop, r->identity, TRUE);
  g_signal_connect (r->transport, "local-candidate",
      G_CALLBACK (rogue_on_candidate), r);
  g_signal_connect (r->transport, "message-received",
      G_CALLBACK (rogue_on_message), r);
  g_signal_connect (r->transport, "notify::state",
      G_CALLBACK (rogue_on_state), r);
  offer = p2p_transport_create_offer (r->transport, media, NULL);
  fail_unless (offer != NULL);
  rogue_send (r, "offer", "call", ROGUE_CALL, "sdp", offer, NULL);
  g_free (offer);
  gst_sdp_message_free (media);
}

static void
rogue_on_ws_message (SoupWebsocketConnection * ws, gint data_type,
    GBytes * bytes, Rogue * r)
{
  JsonParser *parser = json_parser_new ();
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);
  JsonObject *msg;
  const gchar *type;
  gint64 id;
  gchar *text;

  fail_unless (json_parser_load_from_data (parser, data, len, NULL));
  msg = json_node_get_object (json_parser_get_root (parser));
  type = json_object_get_string_member (msg, "type");
  id = json_object_get_int_member_with_default (msg, "id", 0);

  if (g_str_equal (type, "hello")) {
    text = g_strdup_printf ("{\"type\":\"welcome\",\"id\":%" G_GINT64_FORMAT
        ",\"session\":\"rogue\",\"ping_interval\":30,\"servers\":[],"
        "\"ice_servers\":[]}", id);
    soup_websocket_connection_send_text (ws, text);
    g_free (text);
  } else if (g_str_equal (type, "lookup")) {
    text = g_strdup_printf ("{\"type\":\"error\",\"code\":\"wrong-role\","
        "\"ref\":%" G_GINT64_FORMAT "}", id);
    soup_websocket_connection_send_text (ws, text);
    g_free (text);
  } else if (g_str_equal (type, "connect") && !r->transport) {
    text = g_strdup_printf ("{\"type\":\"connected\",\"id\":%"
        G_GINT64_FORMAT ",\"call\":\"" ROGUE_CALL "\","
        "\"device_fingerprint\":\"%s\"}", id, r->vouch);
    soup_websocket_connection_send_text (ws, text);
    g_free (text);
    rogue_offer (r);
  } else if (g_str_equal (type, "answer") && r->transport) {
    g_mutex_lock (&r->lock);
    r->answers++;
    g_mutex_unlock (&r->lock);
    p2p_transport_set_remote_description (r->transport,
        json_object_get_string_member (msg, "sdp"), NULL);
  } else if (g_str_equal (type, "candidate") && r->transport) {
    const gchar *candidate = json_object_get_string_member (msg, "candidate");

    if (*candidate)
      p2p_transport_add_remote_candidate (r->transport, candidate, NULL);
  }
  g_object_unref (parser);
}

static void
rogue_on_ws (SoupServer * server, SoupServerMessage * msg, const char *path,
    SoupWebsocketConnection * ws, gpointer data)
{
  Rogue *r = data;

  g_clear_object (&r->ws);
  r->ws = g_object_ref (ws);
  g_signal_connect (ws, "message", G_CALLBACK (rogue_on_ws_message), r);
}

static gboolean
rogue_listen (gpointer data)
{
  Rogue *r = data;
  gchar *protocols[] = { (gchar *) "p2p-signalling-1", NULL };
  GSList *uris;

  r->server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (r->server, NULL, NULL, protocols,
      rogue_on_ws, r, NULL);
  fail_unless (soup_server_listen_local (r->server, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, NULL));
  uris = soup_server_get_uris (r->server);
  r->url = g_strdup_printf ("ws://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return G_SOURCE_REMOVE;
}

/* A rogue server vouching for @vouch (%NULL: its own peer's certificate). */
static Rogue *
rogue_new (const gchar * vouch)
{
  Rogue *r = g_new0 (Rogue, 1);

  g_mutex_init (&r->lock);
  r->messages = g_ptr_array_new_with_free_func (g_free);
  r->identity = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, env->uid, 1,
      NULL);
  r->vouch = g_strdup (vouch ? vouch : p2p_identity_get_fingerprint
      (r->identity));
  r->loop = p2p_loop_new ("rogue");
  p2p_loop_invoke_sync (r->loop, rogue_listen, r);
  return r;
}

static gboolean
rogue_stop (gpointer data)
{
  Rogue *r = data;

  if (r->transport) {
    g_signal_handlers_disconnect_by_data (r->transport, r);
    p2p_transport_close (r->transport);
    g_clear_object (&r->transport);
  }
  if (r->ws) {
    g_signal_handlers_disconnect_by_data (r->ws, r);
    g_clear_object (&r->ws);
  }
  soup_server_disconnect (r->server);
  g_clear_object (&r->server);
  return G_SOURCE_REMOVE;
}

static void
rogue_free (Rogue * r)
{
  p2p_loop_invoke_sync (r->loop, rogue_stop, r);
  g_object_unref (r->loop);
  g_object_unref (r->identity);
  g_mutex_clear (&r->lock);
  g_ptr_array_unref (r->messages);
  g_free (r->vouch);
  g_free (r->url);
  g_free (r);
}

/* Runs a viewer against @r with a known-cameras entry for the real camera
 * and expects the refusal naming both certificates; returns nothing, the
 * rogue's counters tell what reached it. */
static void
viewer_refuses_rogue (Rogue * r)
{
  gchar *known = g_build_filename (env->dir, "known-cameras", NULL);
  gchar *real = g_strdup (env->fingerprint);
  P2pKnownCameras *cameras = p2p_known_cameras_new (known);
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;

  fail_unless (p2p_known_cameras_remember (cameras, env->uid, real, NULL));
  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s password=pw "
      "known-cameras-file=%s ! fakesink", env->uid, r->url, known);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "the viewer accepted the rogue's peer");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  fail_unless (strstr (err->message, real) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, p2p_identity_get_fingerprint
          (r->identity)) != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);

  g_object_unref (cameras);
  g_free (real);
  g_free (known);
}

/* Issue 9, finding 1: a compromised server answers the viewer's call with
 * its own DTLS peer's fingerprint. With the camera known, the viewer
 * refuses at once: no answer, no DTLS, no password reach the rogue. */
GST_START_TEST (test_rogue_server_swaps_fingerprint)
{
  Rogue *r = rogue_new (NULL);

  viewer_refuses_rogue (r);
  g_mutex_lock (&r->lock);
  fail_unless_equals_int (r->answers, 0);
  fail_unless_equals_int (r->messages->len, 0);
  fail_if (r->dtls_up);
  g_mutex_unlock (&r->lock);
  rogue_free (r);
}

GST_END_TEST;

/* The same rogue vouching for the real camera's fingerprint but offering
 * its own peer: the DTLS handshake requires the remembered certificate and
 * fails; nothing reaches the rogue's peer. */
GST_START_TEST (test_rogue_server_vouches_known)
{
  gchar *real = g_strdup (env->fingerprint);
  Rogue *r = rogue_new (real);

  viewer_refuses_rogue (r);
  g_mutex_lock (&r->lock);
  fail_unless_equals_int (r->answers, 1);
  fail_unless_equals_int (r->messages->len, 0);
  fail_if (r->dtls_up);
  g_mutex_unlock (&r->lock);
  rogue_free (r);
  g_free (real);
}

GST_END_TEST;

/* First contact (no pin, no known-cameras entry): the rogue server's peer
 * gets the DTLS session, but the login gives it nothing to use. The viewer
 * sends only its blinded share, refuses the rogue's made-up confirmation
 * ("did not prove it knows the password"), never sends its own
 * confirmation (which would allow an offline guess) nor the password, and
 * remembers nothing. On the old code the password went out in clear. */
GST_START_TEST (test_rogue_server_first_use)
{
  gchar *known = g_build_filename (env->dir, "known-first", NULL);
  Rogue *r = rogue_new (NULL);
  GstElement *viewer;
  GstMessage *msg;
  GError *err = NULL;
  gchar *stored;
  guint i;

  viewer = p2p_test_pipeline ("p2psrc uid=%s server=%s password=s3cret-pw "
      "known-cameras-file=%s ! fakesink", env->uid, r->url, known);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (viewer, GST_MESSAGE_ERROR, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no error against the rogue's peer");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  fail_unless (strstr (err->message, "did not prove") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  p2p_test_stop (viewer);

  g_mutex_lock (&r->lock);
  fail_unless (r->dtls_up);
  for (i = 0; i < r->messages->len; i++) {
    const gchar *text = g_ptr_array_index (r->messages, i);

    fail_if (strstr (text, "s3cret") != NULL, "%s", text);
    fail_if (strstr (text, "password") != NULL, "%s", text);
    fail_if (strstr (text, "auth-confirm") != NULL, "%s", text);
  }
  fail_unless_equals_int (r->messages->len, 1);
  g_mutex_unlock (&r->lock);
  stored = known_fingerprint (known, env->uid);
  fail_unless (stored == NULL, "%s", stored);

  rogue_free (r);
  g_free (known);
}

GST_END_TEST;

static Suite *
p2psrc_suite (void)
{
  Suite *s = suite_create ("p2psrc");
  TCase *tc = tcase_create ("general");

  TCase *server = tcase_create ("server");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_property_validation);
  tcase_add_test (tc, test_uri_handler);
  tcase_add_test (tc, test_h264_bit_exact);
  tcase_add_test (tc, test_long_latency_synced_sink);
  tcase_add_test (tc, test_lost_packets_retransmitted);
  tcase_add_test (tc, test_bandwidth_estimate);
  tcase_add_test (tc, test_encoder_follows_lossy_viewer);
  tcase_add_test (tc, test_vp8_and_opus);
  tcase_add_test (tc, test_av_decodebin_gets_video);
  tcase_add_test (tc, test_stream_ids);
  tcase_add_test (tc, test_sender_reports);
  tcase_add_test (tc, test_bye_on_stop);
  tcase_add_test (tc, test_eos_finalizes_recording);
  tcase_add_test (tc, test_other_formats);
  tcase_add_test (tc, test_uridecodebin_plays);
  tcase_add_test (tc, test_device_offline_error);
  tcase_add_test (tc, test_server_unreachable_error);
  tcase_add_test (tc, test_unknown_uid_error);
  tcase_add_test (tc, test_fingerprint_mismatch_error);
  tcase_add_test (tc, test_reconnects_after_camera_restart);
  tcase_add_test (tc, test_known_camera);
  tcase_add_test (tc, test_rogue_server_swaps_fingerprint);
  tcase_add_test (tc, test_rogue_server_vouches_known);
  tcase_add_test (tc, test_rogue_server_first_use);
  suite_add_tcase (s, tc);

  /* What only a p2p-server process can show. */
  tcase_set_timeout (server, 120);
  tcase_add_checked_fixture (server, setup_server, teardown);
  tcase_add_test (server, test_server_unreachable_cause);
  tcase_add_test (server, test_login_timeout);
  tcase_add_test (server, test_tls_ca_file);
  tcase_add_test (server, test_keeps_playing_after_server_stop);
  suite_add_tcase (s, server);
  return s;
}

GST_CHECK_MAIN (p2psrc);
