/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pcodecs.h"

/* H.264 and H.265 go through their parser, which puts the parameter sets
 * in front of every keyframe access unit. The payloaders could do it
 * themselves, but they do it per IDR *slice*: with a multi-slice encoder
 * (x264 with sliced threads) the repeated parameter sets between slices
 * make the viewer's depayloader cut one picture into several. p2psink
 * sends H.264 and H.265 in whole access units, what encoders give (a
 * byte-stream, or H.264 avc when linked straight), through its own
 * conversion to length-prefixed units instead (gstp2pnalframing.c): it
 * does the parser's part for a fraction of its cost. */
static const GstP2pCodec codecs[] = {
  {"video/x-h264", "h264parse", "rtph264pay", GST_P2P_PT_VIDEO, TRUE},
  {"video/x-h265", "h265parse", "rtph265pay", GST_P2P_PT_VIDEO, TRUE},
  {"video/x-vp8", NULL, "rtpvp8pay", GST_P2P_PT_VIDEO, TRUE},
  {"video/x-vp9", NULL, "rtpvp9pay", GST_P2P_PT_VIDEO, TRUE},
  {"video/x-av1", NULL, "rtpav1pay", GST_P2P_PT_VIDEO, TRUE},
  {"audio/x-opus", NULL, "rtpopuspay", 111, FALSE},
  {"audio/x-mulaw", NULL, "rtppcmupay", 0, FALSE},
  {"audio/x-alaw", NULL, "rtppcmapay", 8, FALSE},
  {"audio/mpeg", NULL, "rtpmp4gpay", 110, FALSE},
};

/**
 * gst_p2p_codec_find:
 * @caps: fixed caps of an encoded stream
 *
 * Returns: (nullable): how to send @caps, %NULL when p2psink cannot
 */
const GstP2pCodec *
gst_p2p_codec_find (const GstCaps * caps)
{
  const GstStructure *s;
  guint i;

  if (!caps || gst_caps_get_size (caps) < 1)
    return NULL;
  s = gst_caps_get_structure (caps, 0);
  for (i = 0; i < G_N_ELEMENTS (codecs); i++) {
    if (gst_structure_has_name (s, codecs[i].media_type))
      return &codecs[i];
  }
  return NULL;
}

static void
set_if_exists (GstElement * element, const gchar * name, const gchar * value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), name))
    gst_util_set_object_arg (G_OBJECT (element), name, value);
}

static GstElement *
make_or_explain (const gchar * factory, const gchar * media_type,
    GError ** error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (!e)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "Sending %s needs the '%s' element, which is not installed",
        media_type, factory);
  return e;
}

/**
 * gst_p2p_codec_make_parser:
 * @codec: a codec from gst_p2p_codec_find() with a parser
 * @error: return location for a #GST_CORE_ERROR_MISSING_PLUGIN error
 *
 * Returns: (transfer floating) (nullable): the parser, repeating the
 *     parameter sets with every keyframe
 */
GstElement *
gst_p2p_codec_make_parser (const GstP2pCodec * codec, GError ** error)
{
  GstElement *parse;

  g_return_val_if_fail (codec->parser != NULL, NULL);

  parse = make_or_explain (codec->parser, codec->media_type, error);
  if (parse)
    set_if_exists (parse, "config-interval", "-1");
  return parse;
}

/**
 * gst_p2p_codec_make_payloader:
 * @codec: a codec from gst_p2p_codec_find()
 * @error: return location for a #GST_CORE_ERROR_MISSING_PLUGIN error
 *
 * Returns: (transfer floating) (nullable): the payloader, set up so that a
 *     viewer joining at any time can decode from the next keyframe
 */
GstElement *
gst_p2p_codec_make_payloader (const GstP2pCodec * codec, GError ** error)
{
  GstElement *pay;

  pay = make_or_explain (codec->payloader, codec->media_type, error);
  if (!pay)
    return NULL;
  g_object_set (pay, "pt", codec->pt, "mtu", GST_P2P_MTU, NULL);
  /* One RTP timestamp/marker per access unit, pushed at once: no added
   * latency, and the fan-out sees a keyframe start at its first packet. */
  set_if_exists (pay, "aggregate-mode", "zero-latency");
  /* Picture ids let the viewer's depayloader detect lost frames. */
  set_if_exists (pay, "picture-id-mode", "15-bit");
  return pay;
}

static gint
compare_rank (gconstpointer a, gconstpointer b)
{
  return gst_plugin_feature_rank_compare_func (a, b);
}

/**
 * gst_p2p_codec_make_depayloader:
 * @rtp_caps: `application/x-rtp` caps of a received stream
 *
 * Picks the best-ranked installed depayloader for @rtp_caps, so the viewer
 * handles whatever the device's payloaders send.
 *
 * Returns: (transfer floating) (nullable): the depayloader
 */
GstElement *
gst_p2p_codec_make_depayloader (const GstCaps * rtp_caps)
{
  GList *all, *matching;
  GstElement *depay = NULL;

  all = gst_element_factory_list_get_elements
      (GST_ELEMENT_FACTORY_TYPE_DEPAYLOADER, GST_RANK_MARGINAL);
  matching = gst_element_factory_list_filter (all, rtp_caps, GST_PAD_SINK,
      FALSE);
  matching = g_list_sort (matching, compare_rank);
  if (matching)
    depay = gst_element_factory_create (matching->data, NULL);
  gst_plugin_feature_list_free (matching);
  gst_plugin_feature_list_free (all);
  if (!depay)
    return NULL;
  /* Start at a keyframe and ask for one (PLI) when frames were lost. */
  set_if_exists (depay, "request-keyframe", "true");
  set_if_exists (depay, "wait-for-keyframe", "true");
  return depay;
}

/* What a viewer may talk back with, by payload type: the camera lists them
 * all in its audio section, the viewer's payloader picks one. */
static const struct
{
  guint pt;
  guint rtx_pt;                 /* its RFC 4588 retransmission */
  const gchar *caps;
} talkback_formats[] = {
  {111, 112, "application/x-rtp, media=(string)audio, clock-rate=(int)48000, "
        "encoding-name=(string)OPUS, encoding-params=(string)2, "
        "payload=(int)111"},
  {0, 113, "application/x-rtp, media=(string)audio, clock-rate=(int)8000, "
        "encoding-name=(string)PCMU, payload=(int)0"},
  {8, 114, "application/x-rtp, media=(string)audio, clock-rate=(int)8000, "
        "encoding-name=(string)PCMA, payload=(int)8"},
};

/**
 * gst_p2p_codec_talkback_caps:
 * @pt: an RTP payload type
 *
 * Returns: (transfer full) (nullable): the RTP caps of talk-back audio
 *     (or of its retransmission) with payload type @pt, %NULL when
 *     talk-back does not take it
 */
GstCaps *
gst_p2p_codec_talkback_caps (guint pt)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (talkback_formats); i++) {
    if (talkback_formats[i].pt == pt)
      return gst_caps_from_string (talkback_formats[i].caps);
    if (talkback_formats[i].rtx_pt == pt) {
      GstCaps *caps = gst_caps_from_string (talkback_formats[i].caps);
      gint rate = 8000;

      gst_structure_get_int (gst_caps_get_structure (caps, 0), "clock-rate",
          &rate);
      gst_caps_unref (caps);
      return gst_caps_new_simple ("application/x-rtp", "media",
          G_TYPE_STRING, "audio", "clock-rate", G_TYPE_INT, rate,
          "encoding-name", G_TYPE_STRING, "RTX", "payload", G_TYPE_INT, pt,
          NULL);
    }
  }
  return NULL;
}

/**
 * gst_p2p_codec_talkback_rtx_map:
 *
 * Returns: (transfer full): the `payload-type-map` of rtprtxsend and
 *     rtprtxreceive for talk-back: each format's payload type → its
 *     retransmission's
 */
GstStructure *
gst_p2p_codec_talkback_rtx_map (void)
{
  GstStructure *map = gst_structure_new_empty ("application/x-rtp-pt-map");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (talkback_formats); i++) {
    gchar key[4];

    g_snprintf (key, sizeof (key), "%u", talkback_formats[i].pt);
    gst_structure_set (map, key, G_TYPE_UINT, talkback_formats[i].rtx_pt, NULL);
  }
  return map;
}

/**
 * gst_p2p_codec_talkback_pts:
 * @n: (out): how many
 *
 * Returns: the payload types talk-back takes, preferred first
 */
const guint *
gst_p2p_codec_talkback_pts (guint * n)
{
  static const guint pts[] = { 111, 0, 8 };

  *n = G_N_ELEMENTS (pts);
  return pts;
}
