/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The association between a stream and its retransmission stream, handed
 * to rtprtxreceive as soon as the first retransmission shows it.
 *
 * rtprtxreceive (RFC 4588, SSRC-multiplexed) learns which SSRC retransmits
 * which only when a retransmission answers one of its pending requests.
 * Until then it keeps every request of the last second and walks them all
 * for every packet it receives. With heavy loss (a viewer whose receiving
 * thread falls behind at a high rate) and the camera's retransmission
 * budget spent, no answer came in time: 470 000 requests in 5 s at
 * 300 Mbit/s, none associated, and the walk took a fifth of the receiving
 * thread, which then fell further behind (docs/performance.md,
 * "Throughput"). A probe on its input learns the two SSRCs from the
 * payload types (the element's own `payload-type-map`) and sets its
 * `ssrc-map` both ways at the first retransmission, after which it keeps
 * no requests and restores every retransmission of that stream. The
 * packets come from the authenticated peer (SRTP), so a retransmission
 * SSRC learnt this way is the peer's own. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2prtxassoc.h"

/* What rtx_assoc_probe() has learnt on one rtprtxreceive's input. */
typedef struct
{
  GstElement *rtx;              /* (unowned) the element probed */
  guint8 kind[128];             /* per payload type: RTX_PT_* */
  guint8 apt[128];              /* an RTX payload type's original one */
  guint32 ssrc[128];            /* a media payload type's last SSRC */
  gboolean has_ssrc[128];
  gboolean mapped;
  guint32 mapped_ssrc, mapped_rtx_ssrc;
} RtxAssoc;

enum
{
  RTX_PT_UNKNOWN,
  RTX_PT_MEDIA,
  RTX_PT_RTX,
};

/* gst_structure_foreach() over a `payload-type-map` (original payload type
 * -> RTX payload type): marks @data's RTX payload types. */
static gboolean
rtx_assoc_learn_pt (GQuark field, const GValue * value, gpointer data)
{
  RtxAssoc *a = data;
  guint64 orig;
  guint pt;

  if (!G_VALUE_HOLDS_UINT (value) || (pt = g_value_get_uint (value)) > 127
      || !g_ascii_string_to_unsigned (g_quark_to_string (field), 10, 0, 127,
          &orig, NULL))
    return TRUE;
  a->kind[pt] = RTX_PT_RTX;
  a->apt[pt] = orig;
  return TRUE;
}

/* Learns from one RTP packet: a media packet's SSRC, or, from a
 * retransmission, the association to hand over. */
static void
rtx_assoc_buffer (RtxAssoc * a, GstBuffer * buf)
{
  GstStructure *map = NULL;
  guint8 hdr[12];
  guint32 ssrc, master;
  guint pt;
  gchar key[2][11];

  if (gst_buffer_extract (buf, 0, hdr, sizeof (hdr)) != sizeof (hdr)
      || (hdr[0] >> 6) != 2)
    return;
  pt = hdr[1] & 0x7f;
  ssrc = GST_READ_UINT32_BE (hdr + 8);
  if (a->kind[pt] == RTX_PT_UNKNOWN) {
    /* Read once per payload type, and only once p2psrc has set the map
     * from the offer (before media flows). */
    g_object_get (a->rtx, "payload-type-map", &map, NULL);
    if (map == NULL)
      return;
    gst_structure_foreach (map, rtx_assoc_learn_pt, a);
    gst_structure_free (map);
    if (a->kind[pt] == RTX_PT_UNKNOWN)
      a->kind[pt] = RTX_PT_MEDIA;
  }
  if (a->kind[pt] == RTX_PT_MEDIA) {
    a->ssrc[pt] = ssrc;
    a->has_ssrc[pt] = TRUE;
    return;
  }
  if (!a->has_ssrc[a->apt[pt]])
    return;
  master = a->ssrc[a->apt[pt]];
  if (master == ssrc || (a->mapped && a->mapped_ssrc == master
          && a->mapped_rtx_ssrc == ssrc))
    return;
  /* Both directions: rtprtxreceive maps each value to its field, and
   * looks up the original SSRC when a request comes. */
  g_snprintf (key[0], sizeof (key[0]), "%u", master);
  g_snprintf (key[1], sizeof (key[1]), "%u", ssrc);
  map = gst_structure_new ("application/x-rtp-ssrc-map", key[0], G_TYPE_UINT,
      ssrc, key[1], G_TYPE_UINT, master, NULL);
  g_object_set (a->rtx, "ssrc-map", map, NULL);
  gst_structure_free (map);
  a->mapped = TRUE;
  a->mapped_ssrc = master;
  a->mapped_rtx_ssrc = ssrc;
}

static gboolean
rtx_assoc_list_item (GstBuffer ** buf, guint idx, gpointer data)
{
  rtx_assoc_buffer (data, *buf);
  return TRUE;
}

/* On rtprtxreceive's sink pad: learns from every packet, changes none. */
static GstPadProbeReturn
rtx_assoc_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    rtx_assoc_buffer (data, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        rtx_assoc_list_item, data);
  return GST_PAD_PROBE_OK;
}

/**
 * gst_p2p_rtx_assoc_attach:
 * @rtx: an `rtprtxreceive`, before it receives packets
 *
 * Hands @rtx the association between a stream and its retransmission
 * stream (its `ssrc-map`, both ways) as soon as the first retransmission
 * arrives, once its `payload-type-map` is set; again if either SSRC
 * changes.
 */
void
gst_p2p_rtx_assoc_attach (GstElement * rtx)
{
  RtxAssoc *a = g_new0 (RtxAssoc, 1);
  GstPad *sink = gst_element_get_static_pad (rtx, "sink");

  g_return_if_fail (sink != NULL);
  a->rtx = rtx;
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, rtx_assoc_probe, a, g_free);
  gst_object_unref (sink);
}
