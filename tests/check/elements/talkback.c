/* Talk-back: a viewer's audio through p2psrc's talkback pad to p2psink's,
 * one viewer talks at a time.
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
  "p2psink name=cam uid=%s key-file=%s password-file=%s %s " \
  "cam.talkback ! decodebin ! audioconvert ! audioresample ! " \
  "audio/x-raw,format=S16LE,channels=1,rate=16000 ! " \
  "appsink name=out sync=false max-buffers=500"

#define VIEWER \
  "p2psrc name=src uid=%s password=" P2P_TEST_PASSWORD " timeout=10000 ! " \
  "fakesink sync=false " \
  "audiotestsrc is-live=true freq=%u volume=0.5 ! %s ! src.talkback"

#define OPUS "audio/x-raw,rate=48000,channels=1 ! opusenc"
#define PCMU "audio/x-raw,rate=8000,channels=1 ! mulawenc"

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

/* The next `p2p-talkback` message with @state on @pipeline's bus, or
 * %NULL. */
static GstStructure *
wait_talkback (GstElement * pipeline, const gchar * state)
{
  gint64 deadline = g_get_monotonic_time () + P2P_TEST_WAIT_MS * 1000;

  while (g_get_monotonic_time () < deadline) {
    GstMessage *msg = p2p_test_wait_message (pipeline, GST_MESSAGE_ELEMENT,
        "p2p-talkback", 1000);
    GstStructure *s;

    if (!msg)
      continue;
    s = gst_structure_copy (gst_message_get_structure (msg));
    gst_message_unref (msg);
    if (g_strcmp0 (gst_structure_get_string (s, "state"), state) == 0)
      return s;
    gst_structure_free (s);
  }
  return NULL;
}

/* The tone's frequency from zero crossings over ~1 s of the camera's
 * decoded talk-back (16 kHz mono), after 0.3 s of settling. */
static gdouble
measure_tone (GstElement * cam)
{
  guint64 samples = 0, crossings = 0, skip = 16000 * 3 / 10;
  gint16 prev = 0;

  while (samples < 16000 + skip) {
    GstSample *sample = p2p_test_pull (cam, "out");
    GstMapInfo map;
    gsize i;

    gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
    for (i = 0; i + 1 < map.size; i += 2) {
      gint16 v = GST_READ_UINT16_LE (map.data + i);

      if (samples > skip && ((prev < 0 && v >= 0) || (prev >= 0 && v < 0)))
        crossings++;
      prev = v;
      samples++;
    }
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    gst_sample_unref (sample);
  }
  return crossings / 2.0 * 16000.0 / (samples - skip);
}

static void
check_talkback (const gchar * encoder)
{
  GstElement *cam, *one, *two;
  g_autofree gchar *talker = NULL, *waiter = NULL;
  GstStructure *s;
  gdouble freq;

  cam = p2p_test_env_pipeline (env, CAMERA, env->uid, env->key_file,
      env->password_file, "");
  p2p_test_start (cam);
  one = p2p_test_env_pipeline (env, VIEWER, env->uid, 1000u, encoder);
  p2p_test_start (one);

  s = wait_talkback (cam, "started");
  fail_unless (s != NULL, "the first viewer never got the floor");
  /* Ids count calls, and a viewer may have needed more than one. */
  talker = g_strdup (gst_structure_get_string (s, "viewer-id"));
  gst_structure_free (s);
  s = wait_talkback (one, "granted");
  fail_unless (s != NULL);
  gst_structure_free (s);
  freq = measure_tone (cam);
  fail_unless (freq > 950 && freq < 1050, "heard %.1f Hz", freq);

  /* A second viewer is refused and told so while the first talks. */
  two = p2p_test_env_pipeline (env, VIEWER, env->uid, 1000u, encoder);
  p2p_test_start (two);
  s = wait_talkback (two, "refused");
  fail_unless (s != NULL, "the second viewer was not told");
  fail_unless_equals_string (gst_structure_get_string (s, "reason"), "busy");
  gst_structure_free (s);
  s = wait_talkback (cam, "refused");
  fail_unless (s != NULL);
  waiter = g_strdup (gst_structure_get_string (s, "viewer-id"));
  fail_if (g_strcmp0 (talker, waiter) == 0);
  gst_structure_free (s);

  /* The first leaving frees the floor: the second, still sending, gets
   * it. */
  p2p_test_stop (one);
  s = wait_talkback (cam, "stopped");
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "viewer-id"), talker);
  gst_structure_free (s);
  s = wait_talkback (cam, "started");
  fail_unless (s != NULL, "the floor was not freed");
  fail_unless_equals_string (gst_structure_get_string (s, "viewer-id"), waiter);
  gst_structure_free (s);
  s = wait_talkback (two, "granted");
  fail_unless (s != NULL);
  gst_structure_free (s);

  p2p_test_stop (two);
  p2p_test_stop (cam);
}

GST_START_TEST (test_talkback_opus)
{
  check_talkback (OPUS);
}

GST_END_TEST;

GST_START_TEST (test_talkback_pcmu)
{
  check_talkback (PCMU);
}

GST_END_TEST;

static GstPadProbeReturn
lose_some (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  guint *seen = data;
  guint8 b[2];

  if (gst_buffer_extract (GST_PAD_PROBE_INFO_BUFFER (info), 0, b, 2) != 2
      || (b[1] & 0x7f) != 111)
    return GST_PAD_PROBE_OK;
  /* Every 10th of the first 200 Opus packets: the retransmissions (PT
   * 112) get through. */
  return ++ * seen <= 200 && *seen % 10 == 0 ? GST_PAD_PROBE_DROP :
      GST_PAD_PROBE_OK;
}

static guint
rtx_received (GstElement * cam)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (cam));
  GValue v = G_VALUE_INIT;
  guint n = 0;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    GstElementFactory *f = gst_element_get_factory (e);

    if (f && g_str_equal (GST_OBJECT_NAME (f), "rtprtxreceive"))
      g_object_get (e, "num-rtx-packets", &n, NULL);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return n;
}

/* Lost talk-back packets are asked for (NACK) and retransmitted by the
 * viewer. */
GST_START_TEST (test_talkback_retransmits)
{
  GstElement *cam, *viewer, *sink, *rtpsrc;
  GstPad *pad;
  GstStructure *s;
  guint seen = 0, rtx = 0;
  gint64 deadline;

  cam = p2p_test_env_pipeline (env, CAMERA, env->uid, env->key_file,
      env->password_file, "");
  sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  rtpsrc = gst_bin_get_by_name (GST_BIN (sink), "talkback_rtpsrc");
  pad = gst_element_get_static_pad (rtpsrc, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, lose_some, &seen, NULL);
  gst_object_unref (pad);
  gst_object_unref (rtpsrc);
  gst_object_unref (sink);
  p2p_test_start (cam);
  viewer = p2p_test_env_pipeline (env, VIEWER, env->uid, 1000u, OPUS);
  p2p_test_start (viewer);
  s = wait_talkback (cam, "started");
  fail_unless (s != NULL);
  gst_structure_free (s);
  deadline = g_get_monotonic_time () + P2P_TEST_WAIT_MS * 1000;
  while ((rtx = rtx_received (cam)) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  fail_unless (rtx > 0, "no retransmission after %u packets", seen);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

/* talkback=false: the offer takes no audio from viewers, and nobody gets
 * the floor. */
GST_START_TEST (test_talkback_disabled)
{
  GstElement *cam, *viewer;
  GstMessage *msg;

  cam = p2p_test_env_pipeline (env, CAMERA, env->uid, env->key_file,
      env->password_file, "talkback=false");
  p2p_test_start (cam);
  viewer = p2p_test_env_pipeline (env, VIEWER, env->uid, 1000u, OPUS);
  p2p_test_start (viewer);
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-viewer-joined",
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  /* Two seconds of audio that would have taken the floor at once. */
  msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT, "p2p-talkback", 2000);
  fail_unless (msg == NULL, "%" GST_PTR_FORMAT, msg);
  p2p_test_stop (viewer);
  p2p_test_stop (cam);
}

GST_END_TEST;

static Suite *
talkback_suite (void)
{
  Suite *s = suite_create ("talkback");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_talkback_opus);
  tcase_add_test (tc, test_talkback_pcmu);
  tcase_add_test (tc, test_talkback_disabled);
  tcase_add_test (tc, test_talkback_retransmits);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (talkback);
