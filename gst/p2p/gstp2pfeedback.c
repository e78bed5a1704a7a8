/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The part of a viewer's RTCP the camera acts on. The packet comes from the
 * network (decrypted, but the viewer may be anyone who knew the password),
 * so it is validated as a whole before any field is read. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pfeedback.h"

#include <gst/rtp/gstrtcpbuffer.h>

/* Most sequence numbers one NACK packet may ask for: more is not a lost
 * burst the history could serve, only work for the camera. */
#define MAX_NACKS 256
/* Most packets one transport-wide feedback packet may report on: a
 * receiver reports every frame or so, a few hundred packets at most; a
 * run-length chunk of two bytes could claim 8191. */
#define MAX_TRANSPORT_CC 1024
/* Units of the transport-wide feedback's reference time and deltas, in
 * microseconds. */
#define TRANSPORT_CC_REFERENCE_US 64000
#define TRANSPORT_CC_DELTA_US 250

/* Reads one transport-wide feedback FCI: the status of @count packets
 * from @base in chunks, then a receive delta for each packet received.
 * FALSE when it does not hold what it claims. */
static gboolean
parse_transport_cc (const guint8 * fci, gsize len,
    const GstP2pFeedbackHandlers * handlers, gpointer user_data)
{
  g_autofree P2pPacketArrival *arrivals = NULL;
  g_autofree guint8 *symbols = NULL;
  guint16 base;
  guint count, n = 0, i;
  gsize pos = 8;
  gint64 t;

  if (len < 8)
    return FALSE;
  base = GST_READ_UINT16_BE (fci);
  count = MIN (GST_READ_UINT16_BE (fci + 2), MAX_TRANSPORT_CC);
  t = (gint64) GST_READ_UINT24_BE (fci + 4) * TRANSPORT_CC_REFERENCE_US;
  symbols = g_new (guint8, count);
  while (n < count) {
    guint16 chunk;
    gint b;

    if (pos + 2 > len)
      return FALSE;
    chunk = GST_READ_UINT16_BE (fci + pos);
    pos += 2;
    if (!(chunk & 0x8000)) {
      /* Run length: one symbol, 13 bits of count. */
      for (i = 0; i < (chunk & 0x1fffu) && n < count; i++)
        symbols[n++] = (chunk >> 13) & 3;
    } else if (!(chunk & 0x4000)) {
      /* Status vector of 14 one-bit symbols. */
      for (b = 13; b >= 0 && n < count; b--)
        symbols[n++] = (chunk >> b) & 1;
    } else {
      /* Status vector of 7 two-bit symbols. */
      for (b = 6; b >= 0 && n < count; b--)
        symbols[n++] = (chunk >> (2 * b)) & 3;
    }
  }
  arrivals = g_new (P2pPacketArrival, count);
  for (i = 0; i < count; i++) {
    arrivals[i].seq = base + i;
    if (symbols[i] == 0) {
      arrivals[i].arrival_us = P2P_BANDWIDTH_ESTIMATOR_LOST;
      continue;
    } else if (symbols[i] == 1 && pos + 1 <= len) {
      t += fci[pos] * TRANSPORT_CC_DELTA_US;
      pos += 1;
    } else if (symbols[i] == 2 && pos + 2 <= len) {
      /* Byte by byte: one-byte deltas leave it at any offset. */
      t += (gint16) ((fci[pos] << 8) | fci[pos + 1]) * TRANSPORT_CC_DELTA_US;
      pos += 2;
    } else {
      return FALSE;
    }
    arrivals[i].arrival_us = t;
  }
  handlers->transport_cc (fci[7], arrivals, count, user_data);
  return TRUE;
}

/**
 * gst_p2p_feedback_parse:
 * @data: (array length=size): a compound (or reduced-size) RTCP packet
 * @size: its size in bytes
 * @handlers: what to call for each item
 * @user_data: passed to @handlers
 *
 * Returns: %FALSE when @data is not valid RTCP (nothing was called)
 */
gboolean
gst_p2p_feedback_parse (const guint8 * data, gsize size,
    const GstP2pFeedbackHandlers * handlers, gpointer user_data)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstBuffer *buf;
  gboolean more;
  guint nacks = 0;

  if (size == 0 || size > G_MAXUINT
      || !gst_rtcp_buffer_validate_data_reduced ((guint8 *) data, size))
    return FALSE;

  buf = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY,
      (gpointer) data, size, 0, size, NULL, NULL);
  gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp);
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
      more = gst_rtcp_packet_move_to_next (&packet)) {
    GstRTCPType type = gst_rtcp_packet_get_type (&packet);
    guint i;

    if ((type == GST_RTCP_TYPE_RR || type == GST_RTCP_TYPE_SR)
        && handlers->report) {
      for (i = 0; i < gst_rtcp_packet_get_rb_count (&packet); i++) {
        guint32 ssrc, exthighestseq, jitter, lsr, dlsr;
        guint8 fractionlost;
        gint32 packetslost;

        gst_rtcp_packet_get_rb (&packet, i, &ssrc, &fractionlost,
            &packetslost, &exthighestseq, &jitter, &lsr, &dlsr);
        handlers->report (ssrc, fractionlost, lsr, dlsr, user_data);
      }
    } else if (type == GST_RTCP_TYPE_PSFB && handlers->picture_loss) {
      GstRTCPFBType fb = gst_rtcp_packet_fb_get_type (&packet);

      if (fb == GST_RTCP_PSFB_TYPE_PLI || fb == GST_RTCP_PSFB_TYPE_FIR)
        handlers->picture_loss (fb == GST_RTCP_PSFB_TYPE_FIR, user_data);
    } else if (type == GST_RTCP_TYPE_RTPFB && handlers->nack
        && gst_rtcp_packet_fb_get_type (&packet) == GST_RTCP_RTPFB_TYPE_NACK) {
      guint32 media = gst_rtcp_packet_fb_get_media_ssrc (&packet);
      guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);
      guint n = gst_rtcp_packet_fb_get_fci_length (&packet);

      /* Each FCI word: a lost sequence number and a bitmask of the 16
       * following ones. */
      for (i = 0; fci && i < n && nacks < MAX_NACKS; i++) {
        guint16 pid = GST_READ_UINT16_BE (fci + 4 * i);
        guint16 blp = GST_READ_UINT16_BE (fci + 4 * i + 2);
        guint b;

        handlers->nack (media, pid, user_data);
        nacks++;
        for (b = 0; b < 16 && nacks < MAX_NACKS; b++) {
          if (blp & (1 << b)) {
            handlers->nack (media, pid + b + 1, user_data);
            nacks++;
          }
        }
      }
    } else if (type == GST_RTCP_TYPE_RTPFB && handlers->transport_cc
        && gst_rtcp_packet_fb_get_type (&packet) == GST_RTCP_RTPFB_TYPE_TWCC) {
      guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);

      if (fci)
        parse_transport_cc (fci, 4 * gst_rtcp_packet_fb_get_fci_length
            (&packet), handlers, user_data);
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_unref (buf);
  return TRUE;
}
