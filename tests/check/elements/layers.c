/* p2psink's video layers: a viewer pinned to the sub layer moves at a
 * keyframe of it, its stream goes on (one SSRC, no sequence number
 * missing) and decodes, the caps change at the move, and another viewer
 * sees nothing of it.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2ptest.h"

#include <p2p-core/p2p-core.h>

/* Two layers from one source; layer 0 keys only on request (every 30 s
 * otherwise), layer 1 also every @sub_keys frames. */
#define CAMERA_SUB_KEYS(sub_keys) \
  "videotestsrc is-live=true pattern=ball ! " \
  "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! " \
  "tee name=t " \
  "t. ! queue ! x264enc tune=zerolatency speed-preset=ultrafast " \
  "key-int-max=900 aud=false bitrate=600 ! cam.video_0 " \
  "t. ! queue ! videoscale ! video/x-raw,width=160,height=120 ! " \
  "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=" sub_keys " " \
  "aud=false bitrate=100 ! cam.video_1 " \
  "p2psink name=cam uid=%s key-file=%s password-file=%s"

/* Keyframes only on request: the sub layer's keyframe can only be the
 * one the move asks for. */
#define CAMERA CAMERA_SUB_KEYS ("900")

/* The connection time-out stretches with the sanitizers, as the waits
 * do. */
#define VIEWER \
  "p2psrc name=src uid=%s password=%s timeout=%d %s ! " \
  "video/x-h264,stream-format=byte-stream,alignment=au ! h264parse ! " \
  "openh264dec ! fakesink name=out sync=false"

/* The payload types of the video and of its retransmissions. */
#define PT_VIDEO 96
#define PT_RTX 97

static P2pTestEnv *env;

/* What one viewer decoded. */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint frames;
  gint width;
  guint width_changes;
  guint frames_at_width;
  /* The video packets that reached p2psrc's rtpbin, originals or
   * retransmitted, by sequence number from the first; under one SSRC. */
  guint8 seen[65536 / 8];
  guint16 first_seq;
  guint16 last_offset;
  guint32 ssrc;
  guint ssrc_changes;
} Decoded;

/* Every sequence number from the first to the last arrived, in the
 * original or its retransmission (RFC 4588: the original number first in
 * the payload). */
static GstPadProbeReturn
count_packet (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Decoded *d = data;
  guint8 h[64];
  guint16 seq, offset;
  gsize n, hdr;

  n = gst_buffer_extract (GST_PAD_PROBE_INFO_BUFFER (info), 0, h, sizeof (h));
  if (n < 12 || ((h[1] & 0x7f) != PT_VIDEO && (h[1] & 0x7f) != PT_RTX))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&d->lock);
  if ((h[1] & 0x7f) == PT_VIDEO) {
    guint32 ssrc = GST_READ_UINT32_BE (h + 8);

    seq = GST_READ_UINT16_BE (h + 2);
    if (d->ssrc == 0)
      d->first_seq = seq;
    else if (ssrc != d->ssrc)
      d->ssrc_changes++;
    d->ssrc = ssrc;
  } else {
    /* CSRCs and extensions come before the original number. */
    hdr = 12 + 4 * (h[0] & 0x0f);
    if ((h[0] & 0x10) && hdr + 4 <= n)
      hdr += 4 + 4 * GST_READ_UINT16_BE (h + hdr + 2);
    if (hdr + 2 > n)
      goto done;
    seq = GST_READ_UINT16_BE (h + hdr);
  }
  offset = seq - d->first_seq;
  if (d->ssrc != 0 && offset < 32768) {
    d->seen[offset / 8] |= 1 << (offset % 8);
    d->last_offset = MAX (d->last_offset, offset);
  }
done:
  g_mutex_unlock (&d->lock);
  return GST_PAD_PROBE_OK;
}

/* The sequence numbers that never arrived. */
static guint
count_missing (Decoded * d)
{
  guint i, missing = 0;

  for (i = 0; i <= d->last_offset; i++)
    missing += !(d->seen[i / 8] & (1 << (i % 8)));
  return missing;
}

static GstPadProbeReturn
count_frame (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Decoded *d = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gint width = 0;

  if (caps) {
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &width);
    gst_caps_unref (caps);
  }
  g_mutex_lock (&d->lock);
  if (width != d->width) {
    if (d->width != 0)
      d->width_changes++;
    d->width = width;
    d->frames_at_width = 0;
  }
  d->frames++;
  d->frames_at_width++;
  g_cond_broadcast (&d->cond);
  g_mutex_unlock (&d->lock);
  return GST_PAD_PROBE_OK;
}

static GstElement *
viewer_new (Decoded * d, const gchar * props)
{
  GstElement *view = p2p_test_env_pipeline (env, VIEWER, env->uid,
      P2P_TEST_PASSWORD, 10000 * p2p_test_time_scale (), props);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (view), "out");
  GstElement *src = gst_bin_get_by_name (GST_BIN (view), "src");
  GstElement *rtpsrc = gst_bin_get_by_name (GST_BIN (src), "rtpsrc");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  g_mutex_init (&d->lock);
  g_cond_init (&d->cond);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, d, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (rtpsrc, "src");
  p2p_test_probe_packets (pad, count_packet, d, NULL);
  gst_object_unref (pad);
  gst_object_unref (rtpsrc);
  gst_object_unref (src);
  gst_object_unref (sink);
  return view;
}

static void
decoded_clear (Decoded * d)
{
  g_mutex_clear (&d->lock);
  g_cond_clear (&d->cond);
}

/* Waits until @d decoded @n frames of @width in a row. */
static void
wait_frames (Decoded * d, gint width, guint n)
{
  gint64 end = g_get_monotonic_time () + P2P_TEST_WAIT_MS * 1000;

  g_mutex_lock (&d->lock);
  while (d->width != width || d->frames_at_width < n)
    if (!g_cond_wait_until (&d->cond, &d->lock, end))
      break;
  fail_unless (d->width == width && d->frames_at_width >= n,
      "%u frames of width %d, not %u of %d", d->frames_at_width, d->width,
      n, width);
  g_mutex_unlock (&d->lock);
}

/* The camera's next `p2p-layer` message for @viewer_id. */
static guint
wait_layer (GstElement * cam, const gchar * viewer_id)
{
  gint64 end = g_get_monotonic_time () + P2P_TEST_WAIT_MS * 1000;

  while (g_get_monotonic_time () < end) {
    GstMessage *msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT,
        "p2p-layer", P2P_TEST_WAIT_MS);
    const GstStructure *s;
    guint layer = 0;
    gboolean mine;

    fail_unless (msg != NULL, "no p2p-layer message");
    s = gst_message_get_structure (msg);
    mine = g_strcmp0 (gst_structure_get_string (s, "viewer-id"),
        viewer_id) == 0;
    fail_unless (gst_structure_get_uint (s, "layer", &layer));
    gst_message_unref (msg);
    if (mine)
      return layer;
  }
  fail ("no p2p-layer message for %s", viewer_id);
  return G_MAXUINT;
}

/* The id of the next viewer the camera admits. */
static gchar *
wait_joined (GstElement * cam)
{
  GstMessage *msg = p2p_test_wait_message (cam, GST_MESSAGE_ELEMENT,
      "p2p-viewer-joined", P2P_TEST_WAIT_MS);
  gchar *id;

  fail_unless (msg != NULL, "no viewer joined");
  id = g_strdup (gst_structure_get_string (gst_message_get_structure (msg),
          "viewer-id"));
  gst_message_unref (msg);
  return id;
}

static gint
viewer_layer (GstElement * cam, const gchar * viewer_id)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  GstStructure *stats = NULL;
  const GstStructure *vs;
  gint layer = -2;

  g_object_get (sink, "stats", &stats, NULL);
  vs = gst_value_get_structure (gst_structure_get_value (stats, viewer_id));
  fail_unless (gst_structure_get_int (vs, "layer", &layer));
  gst_structure_free (stats);
  gst_object_unref (sink);
  return layer;
}

static gboolean
set_layer (GstElement * cam, const gchar * viewer_id, gint layer)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  gboolean ok = FALSE;

  g_signal_emit_by_name (sink, "set-layer", viewer_id, layer, &ok);
  gst_object_unref (sink);
  return ok;
}

GST_START_TEST (test_pinned_viewer_moves_at_keyframe)
{
  GstElement *cam, *v1, *v2;
  Decoded d1 = { 0 }, d2 = { 0 };
  gchar *id1;
  guint frames2;

  cam = p2p_test_env_pipeline (env, CAMERA, env->uid, env->key_file,
      env->password_file);
  p2p_test_start (cam);

  v1 = viewer_new (&d1, "");
  p2p_test_start (v1);
  id1 = wait_joined (cam);
  /* Everyone starts on the best layer. */
  fail_unless_equals_int (wait_layer (cam, id1), 0);
  wait_frames (&d1, 320, 30);
  v2 = viewer_new (&d2, "");
  p2p_test_start (v2);
  wait_frames (&d2, 320, 30);

  /* Pinned to the sub layer: the move comes with a keyframe of it. */
  fail_if (set_layer (cam, id1, 3));
  fail_if (set_layer (cam, "viewer-99", 1));
  fail_unless (set_layer (cam, id1, 1));
  fail_unless_equals_int (wait_layer (cam, id1), 1);
  fail_unless_equals_int (viewer_layer (cam, id1), 1);
  wait_frames (&d1, 160, 30);
  g_mutex_lock (&d2.lock);
  frames2 = d2.frames;
  g_mutex_unlock (&d2.lock);

  /* And back. */
  fail_unless (set_layer (cam, id1, 0));
  fail_unless_equals_int (wait_layer (cam, id1), 0);
  wait_frames (&d1, 320, 30);

  /* One stream throughout: one SSRC, every sequence number, the caps
   * changed at each move. */
  g_mutex_lock (&d1.lock);
  fail_unless_equals_int (d1.width_changes, 2);
  fail_unless_equals_int (d1.ssrc_changes, 0);
  fail_unless_equals_int (count_missing (&d1), 0);
  g_mutex_unlock (&d1.lock);
  /* The other viewer saw none of it, and kept going. */
  g_mutex_lock (&d2.lock);
  fail_unless_equals_int (d2.width_changes, 0);
  fail_unless (d2.frames > frames2);
  fail_unless_equals_int (d2.ssrc_changes, 0);
  fail_unless_equals_int (count_missing (&d2), 0);
  g_mutex_unlock (&d2.lock);

  p2p_test_stop (v2);
  p2p_test_stop (v1);
  p2p_test_stop (cam);
  decoded_clear (&d1);
  decoded_clear (&d2);
  g_free (id1);
}

GST_END_TEST;

/* The viewer asks for a layer itself (p2psrc's `layer`, a message on its
 * session): at admission, and when the property changes while playing. */
GST_START_TEST (test_viewer_asks_for_layer)
{
  GstElement *cam, *view, *src;
  Decoded d = { 0 };
  gchar *id;

  cam = p2p_test_env_pipeline (env, CAMERA, env->uid, env->key_file,
      env->password_file);
  p2p_test_start (cam);
  view = viewer_new (&d, "layer=1");
  p2p_test_start (view);
  id = wait_joined (cam);
  /* It may start on the best layer; it ends on the one it asked for. */
  if (wait_layer (cam, id) == 0)
    fail_unless_equals_int (wait_layer (cam, id), 1);
  wait_frames (&d, 160, 10);

  src = gst_bin_get_by_name (GST_BIN (view), "src");
  g_object_set (src, "layer", 0, NULL);
  gst_object_unref (src);
  fail_unless_equals_int (wait_layer (cam, id), 0);
  wait_frames (&d, 320, 10);

  p2p_test_stop (view);
  p2p_test_stop (cam);
  decoded_clear (&d);
  g_free (id);
}

GST_END_TEST;

/* The payloaders p2psink added so far, each taken to PAUSED the moment
 * it joined the bin. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *payloaders;
} Added;

/* p2psink's `element-added`, on the streaming thread that brings the
 * first caps: a payloader goes to PAUSED at once, as a state change of
 * the bin under way at that moment takes every element it holds (the
 * bench's clip source pushes while the pipeline prerolls, so its first
 * caps race the pipeline's move to PLAYING). */
static void
pause_payloader (GstBin * bin, GstElement * element, gpointer data)
{
  Added *added = data;
  GstElementFactory *f = gst_element_get_factory (element);

  if (!f || !g_str_has_prefix (GST_OBJECT_NAME (f), "rtp")
      || !g_str_has_suffix (GST_OBJECT_NAME (f), "pay"))
    return;
  gst_element_set_state (element, GST_STATE_PAUSED);
  g_mutex_lock (&added->lock);
  g_ptr_array_add (added->payloaders, gst_object_ref (element));
  g_cond_broadcast (&added->cond);
  g_mutex_unlock (&added->lock);
}

/* The RTP timestamp base a payloader took. */
static guint
payloader_timestamp_offset (GstElement * pay)
{
  GstStructure *stats = NULL;
  guint offset = 0;

  g_object_get (pay, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "timestamp-offset", &offset));
  gst_structure_free (stats);
  return offset;
}

/* Every video layer counts its RTP timestamps from the same base, even
 * when its payloader reaches PAUSED as soon as it is in the bin: a layer
 * on a base of its own is hours apart from the others, and a viewer's
 * move onto it (or back) waits for a keyframe later than the last frame
 * it got, which never comes (the bench's adaptation row: on sub late or
 * never, and never back on main). */
GST_START_TEST (test_layers_share_timestamp_base)
{
  GstElement *cam, *sink;
  Added added;
  gint64 end;

  g_mutex_init (&added.lock);
  g_cond_init (&added.cond);
  added.payloaders = g_ptr_array_new_with_free_func (gst_object_unref);
  cam = p2p_test_env_pipeline (env, CAMERA, env->uid, env->key_file,
      env->password_file);
  sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  g_signal_connect (sink, "element-added", G_CALLBACK (pause_payloader),
      &added);
  p2p_test_start (cam);

  end = g_get_monotonic_time () + P2P_TEST_WAIT_MS * 1000;
  g_mutex_lock (&added.lock);
  while (added.payloaders->len < 2)
    if (!g_cond_wait_until (&added.cond, &added.lock, end))
      break;
  fail_unless_equals_int (added.payloaders->len, 2);
  fail_unless_equals_uint64 (payloader_timestamp_offset (g_ptr_array_index
          (added.payloaders, 0)), payloader_timestamp_offset
      (g_ptr_array_index (added.payloaders, 1)));
  g_mutex_unlock (&added.lock);

  p2p_test_stop (cam);
  g_signal_handlers_disconnect_by_data (sink, &added);
  gst_object_unref (sink);
  g_ptr_array_unref (added.payloaders);
  g_mutex_clear (&added.lock);
  g_cond_clear (&added.cond);
}

GST_END_TEST;

/* An hour of the 90 kHz clock. */
#define HOUR_TICKS (3600 * 90000)

/* p2psink's `element-added`: the second payloader to join the bin
 * (either layer's) is moved an hour off the base p2psink gave it, as a
 * layer on a base of its own was by the race
 * test_layers_share_timestamp_base checks. */
static void
shift_second_payloader (GstBin * bin, GstElement * element, gpointer data)
{
  guint *payloaders = data;
  GstElementFactory *f = gst_element_get_factory (element);
  guint offset = 0;

  if (!f || !g_str_has_prefix (GST_OBJECT_NAME (f), "rtp")
      || !g_str_has_suffix (GST_OBJECT_NAME (f), "pay")
      || g_atomic_int_add (payloaders, 1) != 1)
    return;
  g_object_get (element, "timestamp-offset", &offset, NULL);
  g_object_set (element, "timestamp-offset", offset + HOUR_TICKS, NULL);
}

/* CAMERA with a keyframe every second on layer 1. Which payloader joins
 * p2psink's bin second is not fixed: when it is layer 0's, the viewer's
 * last frame is an hour ahead of layer 1's clock, the keyframe asked for
 * "not before" it never comes, and only layer 1's own keyframes can show
 * the two bases apart. */
#define CAMERA_KEYED_SUB CAMERA_SUB_KEYS ("30")

/* Layers on different RTP timestamp bases: a viewer's move finds the
 * new layer's keyframe an hour from its last frame (before or after it),
 * and the camera says so on the bus, naming the two layers. */
GST_START_TEST (test_layers_apart_warned)
{
  GstElement *cam, *sink, *view;
  Decoded d = { 0 };
  GstMessage *msg;
  GError *err = NULL;
  gchar *id, *debug = NULL;
  guint payloaders = 0;

  cam = p2p_test_env_pipeline (env, CAMERA_KEYED_SUB, env->uid, env->key_file,
      env->password_file);
  sink = gst_bin_get_by_name (GST_BIN (cam), "cam");
  g_signal_connect (sink, "element-added",
      G_CALLBACK (shift_second_payloader), &payloaders);
  p2p_test_start (cam);
  view = viewer_new (&d, "");
  p2p_test_start (view);
  id = wait_joined (cam);
  fail_unless_equals_int (wait_layer (cam, id), 0);
  wait_frames (&d, 320, 10);
  fail_unless_equals_int (g_atomic_int_get (&payloaders), 2);

  fail_unless (set_layer (cam, id, 1));
  msg = p2p_test_wait_message (cam, GST_MESSAGE_WARNING, NULL,
      P2P_TEST_WAIT_MS);
  fail_unless (msg != NULL, "no warning of layers apart");
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (sink));
  gst_message_parse_warning (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FAILED), "%s", err->message);
  fail_unless (strstr (err->message, "layers 0 and 1") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);

  p2p_test_stop (view);
  p2p_test_stop (cam);
  g_signal_handlers_disconnect_by_data (sink, &payloaders);
  gst_object_unref (sink);
  decoded_clear (&d);
  g_free (id);
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
layers_suite (void)
{
  Suite *s = suite_create ("layers");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_pinned_viewer_moves_at_keyframe);
  tcase_add_test (tc, test_viewer_asks_for_layer);
  tcase_add_test (tc, test_layers_share_timestamp_base);
  tcase_add_test (tc, test_layers_apart_warned);
  return s;
}

GST_CHECK_MAIN (layers);
