/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A single-encoder camera's bitrate, fitted to its slowest viewer
 * (p2psink's #GstP2pSink:encoder, gstp2psinkencoder.c): the rule (a share
 * of the lowest bandwidth estimate, between a floor and the rate the
 * encoder was configured with) and the encoders' own properties and
 * units. Tested in tests/check/elements/encoder-rate.c. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pencoderrate.h"

#include <math.h>

#include <string.h>

/* The share of a path's estimate the video may take: the estimate covers
 * everything sent (retransmissions, audio, RTP and SRTP overhead), and an
 * encoder overshoots its target on scene changes and keyframes. */
#define VIDEO_SHARE 0.85

typedef struct
{
  const gchar *factory;
  const gchar *property;
  guint64 unit;                 /* bits per second of one property unit */
} EncoderKind;

/* Encoders whose bitrate property is known, with its unit. */
static const EncoderKind kinds[] = {
  {"x264enc", "bitrate", 1000},
  {"x265enc", "bitrate", 1000},
  {"vp8enc", "target-bitrate", 1},
  {"vp9enc", "target-bitrate", 1},
  {"openh264enc", "bitrate", 1},
};

/* V4L2 memory-to-memory encoders (v4l2h264enc, v4l2vp8enc, …) take the
 * bitrate as a control of their `extra-controls`, in bits per second. */
#define V4L2_CONTROLS "extra-controls"
#define V4L2_BITRATE "video_bitrate"

/**
 * gst_p2p_encoder_rate_target:
 * @lowest_estimate: the lowest viewer's bandwidth estimate, bits per second
 * @floor: the least the encoder is ever given
 * @ceiling: the most (the rate it was configured with); 0: no limit
 *
 * Returns: the bitrate for the encoder, in bits per second
 */
guint64
gst_p2p_encoder_rate_target (guint64 lowest_estimate, guint64 floor,
    guint64 ceiling)
{
  guint64 bps = lowest_estimate * VIDEO_SHARE;

  if (ceiling && bps > ceiling)
    bps = ceiling;
  return MAX (bps, floor);
}

/**
 * gst_p2p_encoder_rate_needed:
 * @ceiling: the rate the encoder was configured with, bits per second
 *
 * Returns: the lowest viewer estimate for which
 *     gst_p2p_encoder_rate_target() gives @ceiling
 */
guint64
gst_p2p_encoder_rate_needed (guint64 ceiling)
{
  return ceil (ceiling / VIDEO_SHARE);
}

static const EncoderKind *
find_kind (GstElement * encoder)
{
  GstElementFactory *factory = gst_element_get_factory (encoder);
  const gchar *name = factory ? GST_OBJECT_NAME (factory) : NULL;
  guint i;

  for (i = 0; name && i < G_N_ELEMENTS (kinds); i++) {
    if (strcmp (name, kinds[i].factory) == 0)
      return &kinds[i];
  }
  return NULL;
}

static gboolean
is_v4l2 (GstElement * encoder)
{
  GstElementFactory *factory = gst_element_get_factory (encoder);
  const gchar *name = factory ? GST_OBJECT_NAME (factory) : "";

  return g_str_has_prefix (name, "v4l2") && g_str_has_suffix (name, "enc")
      && g_object_class_find_property (G_OBJECT_GET_CLASS (encoder),
      V4L2_CONTROLS);
}

/**
 * gst_p2p_encoder_rate_get:
 * @encoder: a video encoder
 * @bps: (out): its bitrate, in bits per second
 *
 * Returns: %FALSE when the encoder is not one whose bitrate is known, or
 *     (V4L2) has none set
 */
gboolean
gst_p2p_encoder_rate_get (GstElement * encoder, guint64 * bps)
{
  const EncoderKind *kind = find_kind (encoder);
  GValue v = G_VALUE_INIT;
  gboolean ok = FALSE;

  if (kind) {
    GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
        (encoder), kind->property);

    if (!pspec)
      return FALSE;
    g_value_init (&v, G_TYPE_UINT64);
    g_object_get_property (G_OBJECT (encoder), kind->property, &v);
    *bps = g_value_get_uint64 (&v) * kind->unit;
    g_value_unset (&v);
    return TRUE;
  }
  if (is_v4l2 (encoder)) {
    GstStructure *controls = NULL;
    gint rate;

    g_object_get (encoder, V4L2_CONTROLS, &controls, NULL);
    if (controls && gst_structure_get_int (controls, V4L2_BITRATE, &rate)
        && rate > 0) {
      *bps = rate;
      ok = TRUE;
    }
    if (controls)
      gst_structure_free (controls);
  }
  return ok;
}

/**
 * gst_p2p_encoder_rate_set:
 * @encoder: a video encoder
 * @bps: its new bitrate, in bits per second
 *
 * Sets the bitrate in the encoder's own property and unit, within the
 * property's range.
 *
 * Returns: %FALSE when the encoder is not one whose bitrate is known
 */
gboolean
gst_p2p_encoder_rate_set (GstElement * encoder, guint64 bps)
{
  const EncoderKind *kind = find_kind (encoder);
  GValue v64 = G_VALUE_INIT, v = G_VALUE_INIT;
  GParamSpec *pspec;

  if (kind) {
    pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (encoder),
        kind->property);
    if (!pspec)
      return FALSE;
    g_value_init (&v64, G_TYPE_UINT64);
    g_value_set_uint64 (&v64, bps / kind->unit);
    g_value_init (&v, pspec->value_type);
    if (!g_value_transform (&v64, &v)) {
      g_value_unset (&v);
      return FALSE;
    }
    g_param_value_validate (pspec, &v);
    g_object_set_property (G_OBJECT (encoder), kind->property, &v);
    g_value_unset (&v);
    g_value_unset (&v64);
    return TRUE;
  }
  if (is_v4l2 (encoder)) {
    GstStructure *controls = NULL;

    g_object_get (encoder, V4L2_CONTROLS, &controls, NULL);
    if (!controls)
      controls = gst_structure_new_empty ("controls");
    gst_structure_set (controls, V4L2_BITRATE, G_TYPE_INT,
        (gint) MIN (bps, G_MAXINT), NULL);
    g_object_set (encoder, V4L2_CONTROLS, controls, NULL);
    gst_structure_free (controls);
    return TRUE;
  }
  return FALSE;
}
