/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * P2P_BANDWIDTH_ESTIMATOR_LOST:
 *
 * The arrival time of a packet that feedback reports as not received.
 *
 * Since: 0.1
 */
#define P2P_BANDWIDTH_ESTIMATOR_LOST G_MININT64

/**
 * P2pPacketArrival:
 * @seq: the packet's transport-wide sequence number
 * @arrival_us: when it arrived, in microseconds on the receiver's clock
 *     (any origin, but one origin for a receiver), or
 *     %P2P_BANDWIDTH_ESTIMATOR_LOST
 *
 * One packet's fate, as transport-wide feedback (TWCC) reports it.
 *
 * Since: 0.1
 */
typedef struct
{
  guint16 seq;
  gint64 arrival_us;
} P2pPacketArrival;

/**
 * P2pBandwidthEstimator:
 *
 * The bitrate one receiver's path sustains, estimated by a sender from
 * that receiver's feedback. Pure logic: every call is given the time, so
 * it is tested with generated traces. Not thread-safe: its owner locks.
 *
 * Two components each bound the target. The delay-based one sees a queue
 * build up at the bottleneck before it overflows: it compares the spacing
 * of groups of packets on arrival with their spacing on departure
 * (transport-wide feedback) and fits a trend to the accumulated
 * difference; a rising trend is overuse. The loss-based one reacts to
 * what the delay-based one cannot see (a policer, a shallow buffer, a
 * receiver without transport-wide feedback): the fraction lost, from
 * transport-wide feedback or else from receiver reports.
 *
 * The target is in bits per second of everything sent to the receiver
 * (media, retransmissions, RTCP are small beside them).
 *
 * Since: 0.1
 */
typedef struct _P2pBandwidthEstimator P2pBandwidthEstimator;

P2pBandwidthEstimator *p2p_bandwidth_estimator_new (guint64 start_bps,
    guint64 min_bps, guint64 max_bps);

void p2p_bandwidth_estimator_free (P2pBandwidthEstimator * self);

void p2p_bandwidth_estimator_on_sent (P2pBandwidthEstimator * self,
    guint16 seq, guint size, gint64 now_us);

void p2p_bandwidth_estimator_on_feedback (P2pBandwidthEstimator * self,
    const P2pPacketArrival * arrivals, guint n_arrivals, gint64 now_us);

void p2p_bandwidth_estimator_on_loss_report (P2pBandwidthEstimator * self,
    gdouble fraction_lost, gint64 now_us);

void p2p_bandwidth_estimator_start_probe (P2pBandwidthEstimator * self,
    guint64 bps);

void p2p_bandwidth_estimator_on_probe_sent (P2pBandwidthEstimator * self,
    guint16 seq, guint size, gint64 now_us);

void p2p_bandwidth_estimator_end_probe (P2pBandwidthEstimator * self);

guint64 p2p_bandwidth_estimator_get_probe_result (P2pBandwidthEstimator *
    self);

void p2p_bandwidth_estimator_set_max (P2pBandwidthEstimator * self,
    guint64 max_bps);

guint64 p2p_bandwidth_estimator_get_target (P2pBandwidthEstimator * self);

guint64 p2p_bandwidth_estimator_get_acked (P2pBandwidthEstimator * self);

gboolean p2p_bandwidth_estimator_get_limited (P2pBandwidthEstimator * self);

G_END_DECLS
