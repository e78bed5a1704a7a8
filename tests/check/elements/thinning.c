/* Thinning with real encoders: x264enc with B-frames nothing refers to,
 * vp8enc with two temporal layers; p2psink drives the encoder with a
 * floor; a viewer losing a third of its video (repaired by
 * retransmission) is estimated below the floor and goes without the
 * droppable frames while openh264dec or vp8dec keeps decoding without an
 * error; the other viewer gets every frame.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"
#include "gstp2pdroppable.h"

/* bframes=1 b-pyramid=false: every other frame is a B-frame with
 * nal_ref_idc 0 (docs/performance.md, "Thinning"). Snow, so that the
 * encoders reach their rate; the floor close to it: the lossy viewer's
 * estimate goes below the floor, and well below what it is sent. */
#define H264_CAMERA(caps) \
  "videotestsrc is-live=true pattern=snow ! " \
  "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! " \
  "x264enc name=enc tune=zerolatency speed-preset=ultrafast " \
  "key-int-max=30 aud=false bframes=1 b-pyramid=false bitrate=1000 ! " \
  caps "p2psink name=cam encoder=enc min-bitrate=900000 uid=%s " \
  "key-file=%s password-file=%s"
/* x264enc gives p2psink avc (through h264parse) unless asked for a
 * byte-stream, which p2psink converts itself (gstp2pnalframing.c). */
#define CAMERA H264_CAMERA ("")
#define BYTE_STREAM_CAMERA H264_CAMERA (H264)

/* The upper layer's frames refresh no reference and keep no
 * probability; the arrays are set in set_vp8_layers(). Small and at half
 * the rate of the H.264 camera: vp8enc overshoots its target, and the
 * other viewer must keep up under the sanitizers too. */
#define VP8_CAMERA \
  "videotestsrc is-live=true pattern=snow ! " \
  "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! " \
  "vp8enc name=enc deadline=1 keyframe-max-dist=30 target-bitrate=500000 " \
  "temporal-scalability-number-layers=2 " \
  "temporal-scalability-periodicity=2 ! " \
  "p2psink name=cam encoder=enc min-bitrate=450000 uid=%s key-file=%s " \
  "password-file=%s"

#define VIEWER \
  "p2psrc name=src uid=%s password=" P2P_TEST_PASSWORD " latency=1000 ! "

#define H264 "video/x-h264,stream-format=byte-stream,alignment=au ! "
#define OUT "appsink name=out sync=false"

static P2pTestEnv *env;

/* Pulls a frame from @pipeline's appsink; TRUE when it is droppable. */
static gboolean
pull_droppable (GstElement * pipeline)
{
  GstSample *sample = p2p_test_pull (pipeline, "out");
  GstBuffer *buf = gst_sample_get_buffer (sample);
  gboolean droppable = FALSE;
  GstMapInfo map;

  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    droppable = gst_p2p_droppable_frame (gst_sample_get_caps (sample),
        map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
  gst_sample_unref (sample);
  return droppable;
}

/* Camera @cam started; @shaped and @other, viewer pipelines not started,
 * decoding and not. */
static void
check_thinning (GstElement * cam, GstElement * shaped, GstElement * other)
{
  GstMessage *msg;
  guint i, decoded = 0, other_droppable = 0;
  guint64 thinned = 0, thinned_before;

  /* A third of its video lost, all repaired by retransmission. */
  p2p_test_lose_video (shaped, FALSE);
  p2p_test_start (shaped);
  gst_sample_unref (p2p_test_pull (shaped, "out"));
  /* The shaped viewer is viewer-1, this one viewer-2. */
  p2p_test_start (other);

  /* The shaped viewer's estimate falls below the floor within seconds;
   * both viewers are read as they go (at most a minute of frames). */
  for (i = 0; i < 1800 && thinned < 30; i++) {
    gst_sample_unref (p2p_test_pull (shaped, "out"));
    pull_droppable (other);
    if (i % 15 == 0)
      thinned = p2p_test_viewer_stat (cam, "viewer-1", "frames-thinned");
  }
  fail_unless (thinned >= 30, "only %" G_GUINT64_FORMAT " frames thinned "
      "(estimate %" G_GUINT64_FORMAT ", received %" G_GUINT64_FORMAT
      ", sent %" G_GUINT64_FORMAT " bit/s)", thinned,
      p2p_test_viewer_stat (cam, "viewer-1", "estimated-bitrate"),
      p2p_test_viewer_stat (cam, "viewer-1", "received-bitrate"),
      p2p_test_viewer_stat (cam, "viewer-1", "bitrate"));

  /* Thinned on: the shaped viewer decodes on, the other gets the
   * droppable frames. */
  thinned_before = thinned;
  for (i = 0; i < 90; i++) {
    gst_sample_unref (p2p_test_pull (shaped, "out"));
    decoded++;
  }
  for (i = 0; i < 90; i++)
    other_droppable += pull_droppable (other);
  thinned = p2p_test_viewer_stat (cam, "viewer-1", "frames-thinned");
  fail_unless (thinned > thinned_before + 15, "thinning stopped at %"
      G_GUINT64_FORMAT, thinned);
  fail_unless (other_droppable >= 30, "the other viewer got %u droppable "
      "frames of 90 (%" G_GUINT64_FORMAT " thinned, estimate %"
      G_GUINT64_FORMAT ", received %" G_GUINT64_FORMAT ", sent %"
      G_GUINT64_FORMAT " bit/s)", other_droppable,
      p2p_test_viewer_stat (cam, "viewer-2", "frames-thinned"),
      p2p_test_viewer_stat (cam, "viewer-2", "estimated-bitrate"),
      p2p_test_viewer_stat (cam, "viewer-2", "received-bitrate"),
      p2p_test_viewer_stat (cam, "viewer-2", "bitrate"));
  fail_unless_equals_uint64 (p2p_test_viewer_stat (cam, "viewer-2",
          "frames-thinned"), 0);
  msg =
      gst_bus_pop_filtered (GST_ELEMENT_BUS (shaped),
      GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  fail_unless (msg == NULL, "the shaped viewer: %" GST_PTR_FORMAT, msg);
  g_print ("%u frames decoded while thinned, %" G_GUINT64_FORMAT
      " thinned, %u of 90 droppable on the other viewer\n", decoded, thinned,
      other_droppable);

  p2p_test_stop (other);
  p2p_test_stop (shaped);
}

/* The H.264 camera @cam's viewers, thinned, decoded. */
static void
check_h264_thinning (GstElement * cam)
{
  p2p_test_start (cam);
  check_thinning (cam, p2p_test_env_pipeline (env,
          VIEWER H264 "h264parse ! openh264dec ! " OUT, env->uid),
      p2p_test_env_pipeline (env, VIEWER H264 OUT, env->uid));
  p2p_test_stop (cam);
}

GST_START_TEST (test_h264_viewer_below_floor_thinned)
{
  check_h264_thinning (p2p_test_env_pipeline (env, CAMERA, env->uid,
          env->key_file, env->password_file));
}

GST_END_TEST;

/* The droppable frames p2psink's own avc conversion flags. */
GST_START_TEST (test_h264_byte_stream_viewer_below_floor_thinned)
{
  check_h264_thinning (p2p_test_env_pipeline (env, BYTE_STREAM_CAMERA,
          env->uid, env->key_file, env->password_file));
}

GST_END_TEST;

static void
set_int_array (GstElement * element, const gchar * property, gint a, gint b)
{
  GValue v = G_VALUE_INIT;
  GValueArray *array;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
  array = g_value_array_new (2);
  g_value_init (&v, G_TYPE_INT);
  g_value_set_int (&v, a);
  g_value_array_append (array, &v);
  g_value_set_int (&v, b);
  g_value_array_append (array, &v);
  g_object_set (element, property, array, NULL);
  g_value_array_free (array);
  G_GNUC_END_IGNORE_DEPRECATIONS;
}

/* vp8enc's two temporal layers as docs/performance.md describes them
 * (gst-launch-1.0 cannot parse the integer arrays). */
static void
set_vp8_layers (GstElement * cam)
{
  GstElement *enc = gst_bin_get_by_name (GST_BIN (cam), "enc");

  set_int_array (enc, "temporal-scalability-layer-id", 0, 1);
  set_int_array (enc, "temporal-scalability-rate-decimator", 2, 1);
  set_int_array (enc, "temporal-scalability-target-bitrate", 600000, 1000000);
  gst_util_set_object_arg (G_OBJECT (enc),
      "temporal-scalability-layer-sync-flags", "<false,false>");
  gst_util_set_object_arg (G_OBJECT (enc), "temporal-scalability-layer-flags",
      "<no-ref-golden+no-upd-golden+no-upd-alt,"
      "no-upd-last+no-upd-golden+no-upd-alt+no-upd-entropy>");
  gst_object_unref (enc);
}

GST_START_TEST (test_vp8_viewer_below_floor_thinned)
{
  GstElement *cam = p2p_test_env_pipeline (env, VP8_CAMERA, env->uid,
      env->key_file, env->password_file);

  set_vp8_layers (cam);
  p2p_test_start (cam);
  check_thinning (cam, p2p_test_env_pipeline (env,
          VIEWER "video/x-vp8 ! vp8dec ! " OUT, env->uid),
      p2p_test_env_pipeline (env, VIEWER "video/x-vp8 ! " OUT, env->uid));
  p2p_test_stop (cam);
}

GST_END_TEST;

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

static Suite *
thinning_suite (void)
{
  Suite *s = suite_create ("thinning");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_h264_viewer_below_floor_thinned);
  tcase_add_test (tc, test_h264_byte_stream_viewer_below_floor_thinned);
  tcase_add_test (tc, test_vp8_viewer_below_floor_thinned);
  return s;
}

GST_CHECK_MAIN (thinning);
