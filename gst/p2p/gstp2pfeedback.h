/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <p2p-core/p2p-bandwidth-estimator.h>

G_BEGIN_DECLS

/**
 * GstP2pFeedbackHandlers:
 * @report: a reception report block (RFC 3550 §6.4): @fraction_lost in
 *     1/256, @lsr and @dlsr in the report's NTP units
 * @picture_loss: a PLI (RFC 4585) or FIR (RFC 5104)
 * @nack: one sequence number of a generic NACK (RFC 4585 §6.2.1)
 * @transport_cc: one transport-wide feedback packet
 *     (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): its
 *     feedback packet count and each packet it reports, in sequence order
 *
 * What p2psink wants from a viewer's RTCP; any handler may be %NULL.
 */
typedef struct
{
  void (*report) (guint32 ssrc, guint8 fraction_lost, guint32 lsr,
      guint32 dlsr, gpointer user_data);
  void (*picture_loss) (gboolean fir, gpointer user_data);
  void (*nack) (guint32 media_ssrc, guint16 seq, gpointer user_data);
  void (*transport_cc) (guint8 feedback_count,
      const P2pPacketArrival * arrivals, guint n_arrivals, gpointer user_data);
} GstP2pFeedbackHandlers;

gboolean gst_p2p_feedback_parse (const guint8 * data, gsize size,
    const GstP2pFeedbackHandlers * handlers, gpointer user_data);

G_END_DECLS
