/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GST_P2P_SENDER_REPORT_INTERVAL:
 *
 * The mean time between two sender reports of a stream, in microseconds.
 */
#define GST_P2P_SENDER_REPORT_INTERVAL G_USEC_PER_SEC

/**
 * GST_P2P_SENDER_REPORT_MAX_SIZE:
 *
 * The most bytes gst_p2p_sender_report_make() writes.
 */
#define GST_P2P_SENDER_REPORT_MAX_SIZE 320

/**
 * GST_P2P_NTP_UNIX_OFFSET:
 *
 * Nanoseconds from the NTP epoch (1900) to the Unix epoch (1970).
 */
#define GST_P2P_NTP_UNIX_OFFSET (G_GUINT64_CONSTANT (2208988800) * GST_SECOND)

/**
 * GstP2pSenderReport:
 *
 * One RTP stream's sender reports (RFC 3550 section 6.4.1), counted from
 * the packets it sends. Not thread-safe: the stream's streaming thread
 * uses it.
 */
typedef struct _GstP2pSenderReport GstP2pSenderReport;

GstP2pSenderReport *gst_p2p_sender_report_new (const gchar * cname);

void gst_p2p_sender_report_free (GstP2pSenderReport * report);

void gst_p2p_sender_report_set_clock_rate (GstP2pSenderReport * report,
    guint clock_rate);

void gst_p2p_sender_report_count (GstP2pSenderReport * report,
    const guint8 * const *packets, const gsize * sizes, guint n,
    GstClockTime running_time);

gboolean gst_p2p_sender_report_due (GstP2pSenderReport * report, gint64 now);

gsize gst_p2p_sender_report_make (GstP2pSenderReport * report,
    GstClockTime running_time, guint64 ntp_ns, gboolean bye, guint8 * out);

G_END_DECLS
