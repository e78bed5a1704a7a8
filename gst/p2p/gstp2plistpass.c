/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Packet lists kept whole through the elements of rtpbin's receive path
 * that have no list function of their own.
 *
 * p2psrc pushes the packets of one batched read into rtpbin as a list, and
 * rtpsession takes it whole (one clock reading and one lock for the
 * batch). Behind it `rtpstorage`, `rtprtxreceive` and `rtpssrcdemux` each
 * split it again and push every packet on its own, each push one more
 * round through the pad machinery (probes, locks, object references), so
 * the jitter buffer received single packets. A probe on such an element's
 * sink pad passes a list straight to the pad the element would have
 * pushed each packet to, where that is what the element would have done
 * for every packet of it:
 *
 * - `rtpstorage` without storage (`size-time` 0, no FEC) only pushes;
 * - `rtprtxreceive` restores retransmissions; for any other packet it
 *   notes the packet's time and drops pending requests older than that.
 *   When the list is one stream (SSRC, payload type) stamped with one
 *   time, its first packet goes through the element as usual: if that
 *   one was no retransmission, neither is the rest, and the element's
 *   clock and its request history are where the rest would have left
 *   them;
 * - `rtpssrcdemux` pushes each packet to the pad of its SSRC, which the
 *   list's first packet, going through the element as usual, finds or
 *   creates;
 * - `rtpptdemux`, behind p2psrc's jitter buffer, likewise pushes each
 *   packet to the pad of its payload type; there a list of one SSRC and
 *   one payload type passes whatever its packets' times (the jitter
 *   buffer stamped them from their RTP times, a list may span frames).
 *
 * Any other list (mixed streams, retransmissions in between) goes
 * through the element packet by packet as before. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2plistpass.h"

typedef enum
{
  LIST_PASS_STORAGE,
  LIST_PASS_RTX_RECEIVE,
  LIST_PASS_SSRC_DEMUX,
  LIST_PASS_PT_DEMUX,
} ListPassKind;

typedef struct
{
  GstElement *element;          /* (unowned) the element probed */
  ListPassKind kind;
} ListPass;

/* The RTP header fields that tell a list's streams apart. */
typedef struct
{
  guint32 ssrc;
  guint8 pt;
  GstClockTime pts;
} PacketKey;

static gboolean
packet_key (GstBuffer * buf, PacketKey * key)
{
  guint8 hdr[12];

  if (gst_buffer_extract (buf, 0, hdr, sizeof (hdr)) != sizeof (hdr)
      || (hdr[0] >> 6) != 2)
    return FALSE;
  key->pt = hdr[1] & 0x7f;
  key->ssrc = GST_READ_UINT32_BE (hdr + 8);
  key->pts = GST_BUFFER_PTS (buf);
  return TRUE;
}

/* TRUE when every packet of @list has the first one's SSRC, payload type
 * and, if @same_time, time (@first). */
static gboolean
list_is_one_stream (GstBufferList * list, gboolean same_time, PacketKey * first)
{
  guint i, n = gst_buffer_list_length (list);
  PacketKey key;

  if (n < 2 || !packet_key (gst_buffer_list_get (list, 0), first))
    return FALSE;
  for (i = 1; i < n; i++) {
    if (!packet_key (gst_buffer_list_get (list, i), &key)
        || key.ssrc != first->ssrc || key.pt != first->pt
        || (same_time && key.pts != first->pts))
      return FALSE;
  }
  return TRUE;
}

static guint
rtx_packets (GstElement * rtx)
{
  guint n = 0;

  g_object_get (rtx, "num-rtx-packets", &n, NULL);
  return n;
}

/* The rest of a list whose first packet went through the element: packet
 * by packet through its sink pad, as without this probe. */
static GstFlowReturn
chain_each (GstPad * sinkpad, GstBufferList * list)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint i, n = gst_buffer_list_length (list);

  for (i = 0; i < n && ret == GST_FLOW_OK; i++)
    ret = gst_pad_chain (sinkpad,
        gst_buffer_ref (gst_buffer_list_get (list, i)));
  gst_buffer_list_unref (list);
  return ret;
}

/* Pushes the rest of a list to @srcpad, where the element pushed its first
 * packet, and returns what the element would have: like rtpssrcdemux, a
 * failed push to a pad removed meanwhile is no error. */
static GstFlowReturn
push_rest (ListPass * lp, GstPad * srcpad, GstBufferList * rest)
{
  GstFlowReturn ret = gst_pad_push_list (srcpad, rest);

  if (ret != GST_FLOW_OK && lp->kind == LIST_PASS_SSRC_DEMUX
      && GST_OBJECT_PARENT (srcpad) != GST_OBJECT (lp->element))
    ret = GST_FLOW_OK;
  return ret;
}

static GstPadProbeReturn
list_pass_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  ListPass *lp = data;
  GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
  GstBuffer *first;
  GstPad *srcpad;
  GstFlowReturn ret;
  PacketKey key;
  guint rtx_before = 0;

  if (lp->kind == LIST_PASS_STORAGE) {
    guint64 size_time = 0;

    g_object_get (lp->element, "size-time", &size_time, NULL);
    if (size_time != 0)
      return GST_PAD_PROBE_OK;
    srcpad = gst_element_get_static_pad (lp->element, "src");
    GST_PAD_PROBE_INFO_FLOW_RETURN (info) = gst_pad_push_list (srcpad, list);
    gst_object_unref (srcpad);
    return GST_PAD_PROBE_HANDLED;
  }

  if (!list_is_one_stream (list, lp->kind != LIST_PASS_PT_DEMUX, &key))
    return GST_PAD_PROBE_OK;
  list = gst_buffer_list_make_writable (list);
  first = gst_buffer_ref (gst_buffer_list_get (list, 0));
  gst_buffer_list_remove (list, 0, 1);

  if (lp->kind == LIST_PASS_RTX_RECEIVE)
    rtx_before = rtx_packets (lp->element);
  ret = gst_pad_chain (pad, first);
  if (ret != GST_FLOW_OK) {
    gst_buffer_list_unref (list);
  } else if (lp->kind == LIST_PASS_RTX_RECEIVE) {
    if (rtx_packets (lp->element) != rtx_before) {
      ret = chain_each (pad, list);
    } else {
      srcpad = gst_element_get_static_pad (lp->element, "src");
      ret = push_rest (lp, srcpad, list);
      gst_object_unref (srcpad);
    }
  } else {
    gchar name[16];

    g_snprintf (name, sizeof (name), "src_%u",
        lp->kind == LIST_PASS_PT_DEMUX ? key.pt : key.ssrc);
    srcpad = gst_element_get_static_pad (lp->element, name);
    if (srcpad) {
      ret = push_rest (lp, srcpad, list);
      gst_object_unref (srcpad);
    } else {
      /* No pad for it (at most max-streams): the element decides. */
      ret = chain_each (pad, list);
    }
  }
  GST_PAD_PROBE_INFO_FLOW_RETURN (info) = ret;
  return GST_PAD_PROBE_HANDLED;
}

/**
 * gst_p2p_list_pass_attach:
 * @element: an `rtpstorage`, `rtprtxreceive`, `rtpssrcdemux` or
 *   `rtpptdemux`, before it receives packets
 *
 * Lets packet lists arriving at @element's RTP sink pad through as lists
 * where @element would have pushed each of their packets on unchanged to
 * the same pad (see the file's comment). Other elements are left alone.
 *
 * Returns: whether @element is one this applies to
 */
gboolean
gst_p2p_list_pass_attach (GstElement * element)
{
  const gchar *type = G_OBJECT_TYPE_NAME (element);
  ListPass *lp;
  GstPad *sink;

  g_return_val_if_fail (GST_IS_ELEMENT (element), FALSE);

  lp = g_new0 (ListPass, 1);
  lp->element = element;
  if (g_str_equal (type, "GstRtpStorage"))
    lp->kind = LIST_PASS_STORAGE;
  else if (g_str_equal (type, "GstRtpRtxReceive"))
    lp->kind = LIST_PASS_RTX_RECEIVE;
  else if (g_str_equal (type, "GstRtpSsrcDemux"))
    lp->kind = LIST_PASS_SSRC_DEMUX;
  else if (g_str_equal (type, "GstRtpPtDemux"))
    lp->kind = LIST_PASS_PT_DEMUX;
  else {
    g_free (lp);
    return FALSE;
  }
  sink = gst_element_get_static_pad (element, "sink");
  if (!sink) {
    g_free (lp);
    return FALSE;
  }
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER_LIST, list_pass_probe,
      lp, g_free);
  gst_object_unref (sink);
  return TRUE;
}
