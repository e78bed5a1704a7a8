/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The media half of offers and answers, for both ends: one section per
 * stream, described from RTP caps, each with its own direction. The
 * transport half (ICE, DTLS) is p2p-core's (p2p-sdp.c); this half knows the
 * codecs and their retransmission, which are the plugin's, and so lives
 * here. Tested in tests/check/elements/sdp.c. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psdp.h"
#include "gstp2pcodecs.h"

static const gchar *const direction_names[] = {
  "inactive", "sendonly", "recvonly", "sendrecv"
};

/**
 * gst_p2p_direction_to_string:
 * @direction: a direction
 *
 * Returns: its SDP attribute name (`sendrecv`, …)
 */
const gchar *
gst_p2p_direction_to_string (GstP2pDirection direction)
{
  return direction_names[direction & GST_P2P_DIRECTION_SENDRECV];
}

/**
 * gst_p2p_sdp_media_get_direction:
 * @media: a media section
 *
 * Returns: the direction it states, `sendrecv` when it states none
 *     (RFC 4566 §6)
 */
GstP2pDirection
gst_p2p_sdp_media_get_direction (const GstSDPMedia * media)
{
  guint i, d;

  for (i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);

    for (d = 0; d < G_N_ELEMENTS (direction_names); d++) {
      if (g_strcmp0 (a->key, direction_names[d]) == 0)
        return d;
    }
  }
  return GST_P2P_DIRECTION_SENDRECV;
}

/**
 * gst_p2p_sdp_media_get_twcc_id:
 * @media: a media section
 *
 * Returns: the id its `a=extmap` gives the transport-wide sequence number
 *     (RFC 8285 one-byte form, 1–14), 0 when it announces none
 */
guint
gst_p2p_sdp_media_get_twcc_id (const GstSDPMedia * media)
{
  guint i;

  for (i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    g_auto (GStrv) parts = NULL;
    guint64 id;

    if (g_strcmp0 (a->key, "extmap") != 0 || !a->value)
      continue;
    parts = g_strsplit (a->value, " ", 3);
    if (parts[0] && parts[1] && g_strcmp0 (parts[1], GST_P2P_TWCC_URI) == 0
        && g_ascii_string_to_unsigned (parts[0], 10, 1, 14, &id, NULL))
      return id;
  }
  return 0;
}

/**
 * gst_p2p_sdp_add_media:
 * @msg: the media half of an offer
 * @mid: the section's `a=mid` (`video`, `audio`)
 * @rtp_caps: a payloader's output caps
 * @direction: which way the section flows, seen from the offerer
 * @error: return location for a #GST_CORE_ERROR_NEGOTIATION error
 *
 * Appends a section describing @rtp_caps. Per-sender values (SSRC, offsets)
 * are left out: the peer learns them from the packets. Video announces
 * NACK, PLI and FIR feedback and RFC 4588 retransmission.
 *
 * Returns: %FALSE when @rtp_caps cannot be described
 */
gboolean
gst_p2p_sdp_add_media (GstSDPMessage * msg, const gchar * mid,
    const GstCaps * rtp_caps, GstP2pDirection direction, GError ** error)
{
  g_autoptr (GstCaps) caps = gst_caps_copy (rtp_caps);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  gboolean video = g_strcmp0 (gst_structure_get_string (s, "media"),
      "video") == 0;
  GstSDPMedia *media;
  gint pt = -1;

  gst_structure_remove_fields (s, "ssrc", "timestamp-offset",
      "seqnum-offset", NULL);
  if (video)
    gst_structure_set (s, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE,
        "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
        "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);

  gst_sdp_media_new (&media);
  if (gst_sdp_media_set_media_from_caps (caps, media) != GST_SDP_OK) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot describe %" GST_PTR_FORMAT, rtp_caps);
    gst_sdp_media_free (media);
    return FALSE;
  }
  gst_sdp_media_set_proto (media, "UDP/TLS/RTP/SAVPF");
  gst_sdp_media_set_port_info (media, 9, 0);
  gst_structure_get_int (s, "payload", &pt);
  if (video && pt >= 0) {
    gint rate = 90000;
    g_autofree gchar *fmt = g_strdup_printf ("%d", GST_P2P_PT_VIDEO_RTX);
    g_autofree gchar *map = NULL, *apt = NULL;

    gst_structure_get_int (s, "clock-rate", &rate);
    map = g_strdup_printf ("%d rtx/%d", GST_P2P_PT_VIDEO_RTX, rate);
    apt = g_strdup_printf ("%d apt=%d", GST_P2P_PT_VIDEO_RTX, pt);
    gst_sdp_media_add_format (media, fmt);
    gst_sdp_media_add_attribute (media, "rtpmap", map);
    gst_sdp_media_add_attribute (media, "fmtp", apt);
  }
  gst_sdp_media_add_attribute (media, "mid", mid);
  gst_sdp_media_add_attribute (media, gst_p2p_direction_to_string (direction),
      "");
  gst_sdp_message_add_media (msg, media);
  gst_sdp_media_free (media);
  return TRUE;
}

static GstP2pDirection
reverse (GstP2pDirection d)
{
  return ((d & GST_P2P_DIRECTION_SENDONLY) ? GST_P2P_DIRECTION_RECVONLY : 0)
      | ((d & GST_P2P_DIRECTION_RECVONLY) ? GST_P2P_DIRECTION_SENDONLY : 0);
}

/**
 * gst_p2p_sdp_answer:
 * @offer: the media half of the peer's offer
 * @video: what the answerer can do with video
 * @audio: what the answerer can do with audio
 *
 * Answers every offered section with the same formats, in the direction
 * the offer allows and the answerer can do (a section it cannot use at all
 * is `inactive`, never dropped: sections pair by position).
 *
 * Returns: (transfer full): the media half of the answer
 */
GstSDPMessage *
gst_p2p_sdp_answer (const GstSDPMessage * offer, GstP2pDirection video,
    GstP2pDirection audio)
{
  GstSDPMessage *answer;
  guint i, j;

  gst_sdp_message_new (&answer);
  for (i = 0; i < gst_sdp_message_medias_len (offer); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (offer, i);
    const gchar *kind = gst_sdp_media_get_media (m);
    GstP2pDirection local = g_strcmp0 (kind, "video") == 0 ? video :
        g_strcmp0 (kind, "audio") == 0 ? audio : GST_P2P_DIRECTION_INACTIVE;
    GstSDPMedia *copy;

    gst_sdp_media_copy (m, &copy);
    for (j = gst_sdp_media_attributes_len (copy); j > 0; j--) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (copy, j - 1);
      guint d;

      for (d = 0; d < G_N_ELEMENTS (direction_names); d++) {
        if (g_str_equal (a->key, direction_names[d]))
          break;
      }
      if (d < G_N_ELEMENTS (direction_names) || g_str_equal (a->key, "ssrc")
          || g_str_equal (a->key, "msid"))
        gst_sdp_media_remove_attribute (copy, j - 1);
    }
    gst_sdp_media_add_attribute (copy, gst_p2p_direction_to_string
        (reverse (gst_p2p_sdp_media_get_direction (m)) & local), "");
    gst_sdp_message_add_media (answer, copy);
    gst_sdp_media_free (copy);
  }
  return answer;
}

/**
 * gst_p2p_sdp_add_talkback:
 * @msg: the media half of a camera's offer
 *
 * Lets the viewer talk back: the audio section becomes `sendrecv` (or a
 * `recvonly` one is added when the camera sends no audio) and lists every
 * format talk-back takes besides the camera's own.
 */
void
gst_p2p_sdp_add_talkback (GstSDPMessage * msg)
{
  GstSDPMedia *audio = NULL;
  GstStructure *rtx;
  const guint *pts;
  guint i, j, n;
  gboolean added = FALSE;

  for (i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    if (g_strcmp0 (gst_sdp_media_get_media (gst_sdp_message_get_media (msg,
                    i)), "audio") == 0)
      audio = (GstSDPMedia *) gst_sdp_message_get_media (msg, i);
  }
  if (audio == NULL) {
    gst_sdp_media_new (&audio);
    gst_sdp_media_set_media (audio, "audio");
    gst_sdp_media_set_proto (audio, "UDP/TLS/RTP/SAVPF");
    gst_sdp_media_set_port_info (audio, 9, 0);
    gst_sdp_media_add_attribute (audio, "mid", "audio");
    added = TRUE;
  }
  for (j = gst_sdp_media_attributes_len (audio); j > 0; j--) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (audio, j - 1);

    for (i = 0; i < G_N_ELEMENTS (direction_names); i++) {
      if (g_str_equal (a->key, direction_names[i])) {
        gst_sdp_media_remove_attribute (audio, j - 1);
        break;
      }
    }
  }
  pts = gst_p2p_codec_talkback_pts (&n);
  for (i = 0; i < n; i++) {
    g_autoptr (GstCaps) caps = gst_p2p_codec_talkback_caps (pts[i]);
    g_autofree gchar *fmt = g_strdup_printf ("%u", pts[i]);
    GstSDPMedia *tmp;
    gboolean present = FALSE;

    for (j = 0; j < gst_sdp_media_formats_len (audio); j++)
      present |= g_str_equal (gst_sdp_media_get_format (audio, j), fmt);
    if (present)
      continue;
    gst_sdp_media_new (&tmp);
    gst_sdp_media_set_media_from_caps (caps, tmp);
    gst_sdp_media_add_format (audio, fmt);
    for (j = 0; j < gst_sdp_media_attributes_len (tmp); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (tmp, j);

      if (g_str_equal (a->key, "rtpmap") || g_str_equal (a->key, "fmtp"))
        gst_sdp_media_add_attribute (audio, a->key, a->value);
    }
    gst_sdp_media_free (tmp);
  }
  /* Retransmission of talk-back, which the camera asks for with NACKs. */
  rtx = gst_p2p_codec_talkback_rtx_map ();
  for (i = 0; i < n; i++) {
    g_autoptr (GstCaps) caps = gst_p2p_codec_talkback_caps (pts[i]);
    g_autofree gchar *key = g_strdup_printf ("%u", pts[i]);
    g_autofree gchar *fmt = NULL, *map = NULL, *apt = NULL;
    guint rtx_pt = 0;
    gint rate = 8000;

    gst_structure_get_uint (rtx, key, &rtx_pt);
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "clock-rate",
        &rate);
    fmt = g_strdup_printf ("%u", rtx_pt);
    map = g_strdup_printf ("%u rtx/%d", rtx_pt, rate);
    apt = g_strdup_printf ("%u apt=%u", rtx_pt, pts[i]);
    gst_sdp_media_add_format (audio, fmt);
    gst_sdp_media_add_attribute (audio, "rtpmap", map);
    gst_sdp_media_add_attribute (audio, "fmtp", apt);
  }
  gst_structure_free (rtx);
  gst_sdp_media_add_attribute (audio, added ? "recvonly" : "sendrecv", "");
  if (added) {
    gst_sdp_message_add_media (msg, audio);
    gst_sdp_media_free (audio);
  }
}
