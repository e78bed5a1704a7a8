/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2psink's encoder (#GstP2pSink:encoder) fitted to its slowest viewer,
 * once a second on the loop thread: the lowest bandwidth estimate among
 * its viewers, through the rule and the units of gstp2pencoderrate.c, and
 * a `p2p-encoder-bitrate` message at each change. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psinkprivate.h"
#include "gstp2pelements.h"
#include "gstp2pencoderrate.h"

#define GST_CAT_DEFAULT gst_p2p_debug

/* The encoder is retuned only for a change larger than this fraction: an
 * encoder reconfigures its rate control at each change, and the
 * estimator's own sawtooth is no reason to. */
#define RETUNE_STEP 0.05

/* Finds the encoder by name anywhere in the pipeline p2psink is in. */
static GstElement *
sink_find_encoder (GstP2pSink * self, const gchar * name)
{
  GstObject *top = gst_object_ref (GST_OBJECT (self)), *parent;
  GstElement *encoder = NULL;

  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }
  if (GST_IS_BIN (top))
    encoder = gst_bin_get_by_name (GST_BIN (top), name);
  gst_object_unref (top);
  return encoder;
}

static void
sink_set_encoder (GstP2pSink * self, GstElement * encoder, guint64 bps,
    const gchar * viewer_id)
{
  GST_INFO_OBJECT (self, "encoder %s to %" G_GUINT64_FORMAT " bit/s (%s)",
      GST_OBJECT_NAME (encoder), bps, viewer_id ? viewer_id : "no viewer");
  gst_p2p_encoder_rate_set (encoder, bps);
  self->encoder_applied = bps;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("p2p-encoder-bitrate", "uid", G_TYPE_STRING,
              self->uid, "bitrate", G_TYPE_UINT64, bps, "viewer-id",
              G_TYPE_STRING, viewer_id, NULL)));
}

/* Loop thread, once a second: the encoder (#GstP2pSink:encoder) follows
 * the lowest estimate among the viewers whose path has shown its limit;
 * a viewer whose estimate is still climbing from its start (no
 * congestion, no loss yet) does not pull it down. With no such viewer it
 * goes back to the rate it was configured with. */
void
gst_p2p_sink_drive_encoder (GstP2pSink * self)
{
  g_autofree gchar *name = NULL;
  const gchar *lowest_id = NULL;
  guint64 floor, lowest = G_MAXUINT64, bps, current;
  GHashTableIter iter;
  gpointer value;
  GstElement *encoder;
  gboolean layers;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->encoder_name);
  floor = self->min_bitrate;
  /* With layers, each viewer gets the layer it can take instead. */
  layers = self->streams[GST_P2P_FANOUT_VIDEO_1]
      || self->streams[GST_P2P_FANOUT_VIDEO_2]
      || self->streams[GST_P2P_FANOUT_VIDEO_3];
  GST_OBJECT_UNLOCK (self);
  /* Below the floor, a viewer still gets more than it takes: it goes
   * without the frames no other refers to, if the encoder makes any. */
  gst_p2p_fanout_set_thin_below (self->fanout, name && !layers ? floor : 0);
  if (!name || layers) {
    gst_p2p_fanout_set_encoder_goal (self->fanout, 0);
    return;
  }
  encoder = sink_find_encoder (self, name);
  if (!encoder || (!self->encoder_ceiling
          && !gst_p2p_encoder_rate_get (encoder, &self->encoder_ceiling))) {
    if (!self->warned_encoder)
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("Cannot drive the encoder's bitrate"),
          ("'%s' is %s", name, encoder ? "no encoder whose bitrate is known "
              "(x264enc, x265enc, vp8enc, vp9enc, openh264enc, v4l2 "
              "encoders with a video_bitrate control)" :
              "not an element of this pipeline"));
    self->warned_encoder = TRUE;
    gst_clear_object (&encoder);
    return;
  }

  /* A viewer holding the encoder down is probed for this. */
  gst_p2p_fanout_set_encoder_goal (self->fanout,
      gst_p2p_encoder_rate_needed (self->encoder_ceiling));
  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    GstP2pFanoutStats fs;

    if (gst_p2p_fanout_get_stats (self->fanout, value, &fs)
        && fs.estimate_limited && fs.estimated_bitrate < lowest) {
      lowest = fs.estimated_bitrate;
      lowest_id = p2p_camera_session_get_id (value);
    }
  }
  bps = lowest == G_MAXUINT64 ? self->encoder_ceiling :
      gst_p2p_encoder_rate_target (lowest, floor, self->encoder_ceiling);
  current = self->encoder_applied ? self->encoder_applied :
      self->encoder_ceiling;
  if (bps > current * (1 + RETUNE_STEP) || bps < current * (1 - RETUNE_STEP)
      || (bps == self->encoder_ceiling && current != bps))
    sink_set_encoder (self, encoder, bps, lowest_id);
  gst_object_unref (encoder);
}

/* Loop thread, PAUSED→READY: the encoder gets back the rate it was
 * configured with, which the next start reads again. */
void
gst_p2p_sink_release_encoder (GstP2pSink * self)
{
  g_autofree gchar *name = NULL;
  GstElement *encoder;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->encoder_name);
  GST_OBJECT_UNLOCK (self);
  encoder = name && self->encoder_applied ? sink_find_encoder (self, name) :
      NULL;
  if (encoder) {
    gst_p2p_encoder_rate_set (encoder, self->encoder_ceiling);
    gst_object_unref (encoder);
  }
  self->encoder_ceiling = self->encoder_applied = 0;
  self->warned_encoder = FALSE;
}
