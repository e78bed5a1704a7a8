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
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_unref (buf);
  return TRUE;
}
