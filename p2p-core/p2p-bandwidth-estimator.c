/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One receiver's sustainable bitrate, from transport-wide feedback (or
 * receiver reports alone). The controller is the delay-gradient kind that
 * the RMCAT drafts describe (draft-ietf-rmcat-gcc): packets sent within a
 * few milliseconds form a group; a group that takes longer to arrive than
 * to leave found a queue growing; a trend over the last groups, not one
 * sample, decides, against a threshold that adapts so that a competing
 * loss-based flow (TCP) does not starve us. The constants and why are
 * beside each. docs/performance.md, "Adaptive quality", explains the whole
 * with figures. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-bandwidth-estimator.h"

#include <math.h>
#include <string.h>

/* Packets remembered from their sending to their feedback: ~5 s of a
 * 4 Mbit/s stream in 1200-byte packets, far longer than feedback takes
 * (one round trip plus the receiver's feedback interval). A power of two:
 * the slot is the sequence number's low bits. */
#define HISTORY 2048
/* Packets sent within this span form one group: a frame leaves the
 * payloader as a burst, and the spacing within a burst says nothing of the
 * path, only the spacing between bursts does. */
#define GROUP_US 5000
/* Groups in the trend's fit: ~0.5 s at 30 frames a second, long enough to
 * ride out one late frame, short enough to see a queue within a second. */
#define TREND_WINDOW 20
/* Exponential smoothing of the accumulated delay before the fit. */
#define SMOOTHING 0.9
/* The slope (ms of delay per ms) is scaled by the number of samples (up to
 * TREND_MAX_DELTAS) and this gain before it meets the threshold, so that a
 * small but steady rise counts once enough samples back it. */
#define TREND_GAIN 4.0
#define TREND_MAX_DELTAS 60
/* The adaptive threshold (ms): starts at THRESHOLD_START, moves towards the
 * scaled trend by THRESHOLD_UP per ms when the trend is above it (slowly: a
 * loss-based flow sharing the queue must not make us yield for good) and
 * by THRESHOLD_DOWN when below (quickly: regain sensitivity). Outliers
 * beyond THRESHOLD_SPIKE above it do not move it. Values of the RMCAT
 * draft, which were tuned on real links. */
#define THRESHOLD_START 12.5
#define THRESHOLD_MIN 6.0
#define THRESHOLD_MAX 600.0
#define THRESHOLD_UP 0.0087
#define THRESHOLD_DOWN 0.039
#define THRESHOLD_SPIKE 15.0
/* Overuse only counts once it lasted this long (of sending time) over at
 * least two groups: one slow frame is not congestion. */
#define OVERUSE_MIN_US 10000
/* On overuse the target drops to this share of what the receiver actually
 * got: below the bottleneck's rate, so that its queue drains. */
#define DECREASE_FACTOR 0.85
/* Decreases are this far apart at least: the feedback of one decrease
 * takes a round trip to show. */
#define DECREASE_INTERVAL_US (300 * G_TIME_SPAN_MILLISECOND)
/* Growth per second while nothing says the path is full. Before the first
 * congestion a fast start (the start rate is a guess); just after a
 * decrease a cautious one (the path's limit is near); once the path has
 * stayed clear for RECOVERED_US, faster again, because whatever limited it
 * is likely gone (a shaped link lifted, a competing flow ended). */
#define STARTUP_INCREASE 1.5
#define STEADY_INCREASE 1.08
#define RECOVERED_INCREASE 1.25
#define RECOVERED_US (4 * G_TIME_SPAN_SECOND)
/* The receive rate is measured over this much arrival time. */
#define ACKED_WINDOW_US (500 * G_TIME_SPAN_MILLISECOND)
/* Loss: below LOSS_LOW the path is clear (a wireless link loses a little
 * whatever the rate); above LOSS_HIGH the target drops by half the
 * fraction lost; between, it holds. Fractions are taken over at least
 * LOSS_MIN_PACKETS packets (half a second of 4 Mbit/s), so that random
 * loss at 5 % (a lossy radio, the lab's fault-loss) stays in the band
 * that holds: over 50 packets it would cross 10 % several times a
 * minute and walk the target down. */
#define LOSS_LOW 0.02
#define LOSS_HIGH 0.10
#define LOSS_MIN_PACKETS 200
/* Probes (p2p_bandwidth_estimator_start_probe()): a cluster counts once
 * feedback reported on all its packets, if at least PROBE_MIN_RECEIVED of
 * them arrived and at least PROBE_MIN_PACKETS: fewer are one burst, whose
 * spacing says little. Its arrival span is taken as at least
 * PROBE_MIN_SPAN_US, the resolution of transport-wide feedback's arrival
 * times rounded up: a receiver that reads its socket in batches stamps a
 * burst with one time. */
#define PROBE_MIN_RECEIVED 0.8
#define PROBE_MIN_PACKETS 5
#define PROBE_MIN_SPAN_US 1000
/* A cluster that arrived at less than this share of its send rate found
 * the path saturated: it shows the path does not carry the rate tried,
 * and raises nothing. Its receive rate is no measure of the path either:
 * a token-bucket shaper lets the cluster's head through at once and only
 * its tail at the shaped rate. Below 1, for a receiver that stamps
 * arrivals a few ms late under load. */
#define PROBE_SATURATED 0.8
/* A cluster on a path too narrow for it leaves a queue of its own, which
 * the delay-based part sees growing: that says the path does not carry
 * the probe's rate (the cluster raises nothing), not that it no longer
 * carries the stream, which it did before. An overuse that begins on
 * packets sent from a cluster's first packet to PROBE_SHADOW_US after its
 * last cuts nothing while it lasts, up to PROBE_SHADOW_US: the queue of
 * the largest cluster the fan-out sends (48 KB) drains in 260 ms at
 * 1.5 Mbit/s, and the trend takes a few groups more to turn. Overuse that
 * outlasts it, or begins later, is the stream's own and cuts. Without
 * this, the fan-out's failed probes cut a viewer's estimate from 3.6 to
 * 0.69 Mbit/s, below the stream its path carried, and posted it. */
#define PROBE_SHADOW_US (500 * G_TIME_SPAN_MILLISECOND)

typedef enum
{
  DELAY_NORMAL,
  DELAY_OVERUSE,
  DELAY_UNDERUSE
} DelayState;

/* 16 bytes: HISTORY of them are most of an estimator, and a camera has
 * one per viewer. */
typedef struct
{
  gint64 send_us;
  guint probe;                  /* the cluster it belongs to, 0: none */
  guint16 seq;
  guint16 size:14;              /* bytes, at most SENT_MAX_SIZE */
  guint16 valid:1;
  guint16 reported:1;
} Sent;

G_STATIC_ASSERT (sizeof (Sent) == 16);

/* Larger sizes (never sent: packets are at most an MTU) count as this. */
#define SENT_MAX_SIZE 0x3fff

/* One probe cluster: what was sent at which rate, what feedback said. */
typedef struct
{
  guint id;                     /* 0: none yet */
  gdouble bps;
  gboolean ended;
  gboolean evaluated;
  guint n_sent;
  guint n_reported;
  guint n_received;
  guint64 sent_bytes;
  guint last_sent_size;
  gint64 first_send_us;
  gint64 last_send_us;
  guint64 received_bytes;
  guint first_received_size;
  gint64 first_arrival_us;
  gint64 last_arrival_us;
  guint64 result;
} Probe;

typedef struct
{
  gboolean present;
  gint64 first_send_us;
  gint64 last_send_us;
  gint64 last_arrival_us;
} Group;

struct _P2pBandwidthEstimator
{
  guint64 min_bps;
  guint64 max_bps;
  gdouble target;

  Sent sent[HISTORY];

  /* Delay-based component. */
  Group group;
  Group prev_group;
  gint64 first_arrival_us;
  gdouble accumulated_ms;
  gdouble smoothed_ms;
  gdouble trend_x[TREND_WINDOW];
  gdouble trend_y[TREND_WINDOW];
  guint n_deltas;
  gdouble threshold;
  gdouble prev_modified;
  gint64 overuse_us;
  guint overuse_count;
  gint64 last_threshold_update_us;
  DelayState delay_state;

  /* Receive rate. */
  gint64 acked_window_start_us;
  guint64 acked_window_bytes;
  gdouble acked_bps;

  /* Loss-based component. */
  gboolean feedback_seen;
  guint lost;
  guint received;
  gboolean loss_high;
  gboolean loss_clear;

  /* Rate control. */
  gint64 last_update_us;
  gint64 last_decrease_us;
  gboolean decreased;

  Probe probe;
  /* The last cluster's packets were sent from shadow_from_us (0: none
   * yet) to shadow_to_us; the overuse in hand began in its shadow. */
  gint64 shadow_from_us;
  gint64 shadow_to_us;
  gboolean overuse_from_probe;
};

/**
 * p2p_bandwidth_estimator_new:
 * @start_bps: the first target, in bits per second
 * @min_bps: the target never goes below this
 * @max_bps: nor above this
 *
 * Returns: (transfer full): an estimator that knows nothing of its path yet
 *
 * Since: 0.1
 */
P2pBandwidthEstimator *
p2p_bandwidth_estimator_new (guint64 start_bps, guint64 min_bps,
    guint64 max_bps)
{
  P2pBandwidthEstimator *self = g_new0 (P2pBandwidthEstimator, 1);

  g_return_val_if_fail (min_bps <= max_bps, self);
  self->min_bps = min_bps;
  self->max_bps = max_bps;
  self->target = CLAMP (start_bps, min_bps, max_bps);
  self->threshold = THRESHOLD_START;
  self->loss_clear = TRUE;
  return self;
}

/**
 * p2p_bandwidth_estimator_free:
 * @self: (transfer full): an estimator
 *
 * Since: 0.1
 */
void
p2p_bandwidth_estimator_free (P2pBandwidthEstimator * self)
{
  g_free (self);
}

/**
 * p2p_bandwidth_estimator_on_sent:
 * @self: an estimator
 * @seq: the transport-wide sequence number written into the packet
 * @size: its size on the wire, in bytes
 * @now_us: monotonic time of sending, in microseconds
 *
 * Remembers a packet until feedback reports on it.
 *
 * Since: 0.1
 */
void
p2p_bandwidth_estimator_on_sent (P2pBandwidthEstimator * self, guint16 seq,
    guint size, gint64 now_us)
{
  Sent *s = &self->sent[seq % HISTORY];

  s->seq = seq;
  s->valid = TRUE;
  s->reported = FALSE;
  s->size = MIN (size, SENT_MAX_SIZE);
  s->send_us = now_us;
  s->probe = 0;
}

static gdouble
trend_slope (P2pBandwidthEstimator * self)
{
  gdouble mean_x = 0, mean_y = 0, num = 0, den = 0;
  guint i;

  for (i = 0; i < TREND_WINDOW; i++) {
    mean_x += self->trend_x[i];
    mean_y += self->trend_y[i];
  }
  mean_x /= TREND_WINDOW;
  mean_y /= TREND_WINDOW;
  for (i = 0; i < TREND_WINDOW; i++) {
    num += (self->trend_x[i] - mean_x) * (self->trend_y[i] - mean_y);
    den += (self->trend_x[i] - mean_x) * (self->trend_x[i] - mean_x);
  }
  return den > 0 ? num / den : 0;
}

static void
update_threshold (P2pBandwidthEstimator * self, gdouble modified,
    gint64 arrival_us)
{
  gdouble magnitude = fabs (modified);
  gdouble dt_ms;

  if (self->last_threshold_update_us == 0)
    self->last_threshold_update_us = arrival_us;
  dt_ms = MIN ((arrival_us - self->last_threshold_update_us) / 1000.0, 100.0);
  self->last_threshold_update_us = arrival_us;
  if (magnitude > self->threshold + THRESHOLD_SPIKE || dt_ms < 0)
    return;
  self->threshold += (magnitude < self->threshold ? THRESHOLD_DOWN :
      THRESHOLD_UP) * (magnitude - self->threshold) * dt_ms;
  self->threshold = CLAMP (self->threshold, THRESHOLD_MIN, THRESHOLD_MAX);
}

/* Whether @g was sent in the last probe cluster's shadow
 * (PROBE_SHADOW_US). */
static gboolean
in_probe_shadow (P2pBandwidthEstimator * self, const Group * g)
{
  return self->shadow_from_us != 0 && g->last_send_us >= self->shadow_from_us
      && g->first_send_us <= self->shadow_to_us + PROBE_SHADOW_US;
}

/* Two consecutive groups: how much longer the second took to arrive than
 * to leave, added to the trend. */
static void
on_group_delta (P2pBandwidthEstimator * self, const Group * prev,
    const Group * cur)
{
  gint64 send_delta = cur->last_send_us - prev->last_send_us;
  gint64 arrival_delta = cur->last_arrival_us - prev->last_arrival_us;
  guint slot = self->n_deltas % TREND_WINDOW;
  gdouble slope = 0, modified;

  self->n_deltas++;
  self->accumulated_ms += (arrival_delta - send_delta) / 1000.0;
  self->smoothed_ms = SMOOTHING * self->smoothed_ms +
      (1 - SMOOTHING) * self->accumulated_ms;
  self->trend_x[slot] = (cur->last_arrival_us - self->first_arrival_us)
      / 1000.0;
  self->trend_y[slot] = self->smoothed_ms;
  if (self->n_deltas >= TREND_WINDOW)
    slope = trend_slope (self);
  modified = slope * MIN (self->n_deltas, TREND_MAX_DELTAS) * TREND_GAIN;

  if (modified > self->threshold) {
    self->overuse_us += send_delta;
    self->overuse_count++;
    if (self->overuse_us > OVERUSE_MIN_US && self->overuse_count > 1
        && modified >= self->prev_modified) {
      self->delay_state = DELAY_OVERUSE;
      self->overuse_from_probe = in_probe_shadow (self, cur);
      self->overuse_us = 0;
      self->overuse_count = 0;
    }
  } else {
    self->overuse_us = 0;
    self->overuse_count = 0;
    self->delay_state = modified < -self->threshold ? DELAY_UNDERUSE :
        DELAY_NORMAL;
  }
  self->prev_modified = modified;
  update_threshold (self, modified, cur->last_arrival_us);
}

static void
on_received (P2pBandwidthEstimator * self, const Sent * s, gint64 arrival_us)
{
  Group *g = &self->group;

  /* Receive rate over windows of arrival time. */
  if (self->acked_window_bytes == 0)
    self->acked_window_start_us = arrival_us;
  self->acked_window_bytes += s->size;
  if (arrival_us - self->acked_window_start_us >= ACKED_WINDOW_US) {
    self->acked_bps = self->acked_window_bytes * 8.0 * G_USEC_PER_SEC /
        (arrival_us - self->acked_window_start_us);
    self->acked_window_bytes = 0;
  }

  if (!g->present) {
    self->first_arrival_us = arrival_us;
  } else if (s->send_us < g->first_send_us) {
    /* Reordered from an earlier group: already accounted for. */
    return;
  } else if (s->send_us - g->first_send_us <= GROUP_US) {
    g->last_send_us = MAX (g->last_send_us, s->send_us);
    g->last_arrival_us = MAX (g->last_arrival_us, arrival_us);
    return;
  } else {
    if (self->prev_group.present)
      on_group_delta (self, &self->prev_group, g);
    self->prev_group = *g;
  }
  g->present = TRUE;
  g->first_send_us = g->last_send_us = s->send_us;
  g->last_arrival_us = arrival_us;
}

static void
clamp_target (P2pBandwidthEstimator * self)
{
  self->target = CLAMP (self->target, (gdouble) self->min_bps,
      (gdouble) self->max_bps);
}

/* Decreases are spaced by DECREASE_INTERVAL_US; returns whether this one
 * happened. */
static gboolean
decrease (P2pBandwidthEstimator * self, gdouble to, gint64 now_us)
{
  if (self->decreased && now_us - self->last_decrease_us < DECREASE_INTERVAL_US)
    return FALSE;
  self->target = MIN (self->target, to);
  self->last_decrease_us = now_us;
  self->decreased = TRUE;
  clamp_target (self);
  return TRUE;
}

static void
increase (P2pBandwidthEstimator * self, gdouble dt_s, gint64 now_us)
{
  gdouble per_second = !self->decreased ? STARTUP_INCREASE :
      now_us - self->last_decrease_us < RECOVERED_US ? STEADY_INCREASE :
      RECOVERED_INCREASE;

  self->target *= pow (per_second, dt_s);
  clamp_target (self);
}

/* Seconds since the last update, at most one: a long silence is no proof
 * the path got wider. */
static gdouble
elapsed (P2pBandwidthEstimator * self, gint64 now_us)
{
  gdouble dt_s = 0;

  if (self->last_update_us != 0 && now_us > self->last_update_us)
    dt_s = MIN ((now_us - self->last_update_us) / (gdouble) G_USEC_PER_SEC,
        1.0);
  self->last_update_us = now_us;
  return dt_s;
}

/* The loss-based component's verdict on one fraction: decreased, or
 * whether it allows an increase. */
static void
on_loss_fraction (P2pBandwidthEstimator * self, gdouble fraction, gint64 now_us)
{
  self->loss_high = fraction > LOSS_HIGH;
  self->loss_clear = fraction < LOSS_LOW;
  if (self->loss_high)
    decrease (self, self->target * (1 - 0.5 * fraction), now_us);
}

/* One packet of the current probe cluster reported on. */
static void
probe_on_reported (Probe * p, const Sent * s, gint64 arrival_us)
{
  p->n_reported++;
  if (arrival_us == P2P_BANDWIDTH_ESTIMATOR_LOST)
    return;
  if (p->n_received == 0 || arrival_us < p->first_arrival_us) {
    p->first_arrival_us = arrival_us;
    p->first_received_size = s->size;
  }
  if (p->n_received == 0 || arrival_us > p->last_arrival_us)
    p->last_arrival_us = arrival_us;
  p->n_received++;
  p->received_bytes += s->size;
}

/* Once feedback reported on every packet of an ended cluster: the rate it
 * got through at, as RMCAT's probing measures it. Bytes over the send
 * span leave out the last packet (its sending ends the span) and over
 * the arrival span the first (its arrival starts it). What the path
 * carried is the lower of the two, and never more than the rate the
 * cluster was meant to have: a receiver's feedback cannot make a probe
 * prove more than was tried. A cluster that got through (not saturated)
 * raises the target to its rate unless the delay-based part sees a
 * queue growing or the loss-based part loss above LOSS_HIGH (a path that
 * drops what it is sent, whatever room a burst found); one that did not says nothing new (its queue shows in
 * the delay anyway). */
static void
probe_evaluate (P2pBandwidthEstimator * self)
{
  Probe *p = &self->probe;
  gdouble send_bps = p->bps, received_bps;

  if (p->id == 0 || !p->ended || p->evaluated || p->n_reported < p->n_sent)
    return;
  p->evaluated = TRUE;
  if (p->n_sent < PROBE_MIN_PACKETS
      || p->n_received < PROBE_MIN_RECEIVED * p->n_sent)
    return;
  if (p->last_send_us > p->first_send_us)
    send_bps = MIN (send_bps, (p->sent_bytes - p->last_sent_size) * 8.0 *
        G_USEC_PER_SEC / (p->last_send_us - p->first_send_us));
  received_bps = (p->received_bytes - p->first_received_size) * 8.0 *
      G_USEC_PER_SEC / MAX (p->last_arrival_us - p->first_arrival_us,
      PROBE_MIN_SPAN_US);
  p->result = MIN (send_bps, received_bps);
  if (received_bps < PROBE_SATURATED * send_bps)
    return;
  if (self->delay_state != DELAY_OVERUSE && !self->loss_high
      && p->result > self->target) {
    self->target = p->result;
    clamp_target (self);
  }
}

/**
 * p2p_bandwidth_estimator_start_probe:
 * @self: an estimator
 * @bps: the rate the cluster is sent at, in bits per second
 *
 * Begins a probe cluster: packets sent at @bps, above what the receiver
 * gets otherwise, to learn whether its path carries that much (a viewer
 * on a lower layer, whose own stream cannot show it). Send them with
 * p2p_bandwidth_estimator_on_probe_sent() and end it with
 * p2p_bandwidth_estimator_end_probe(); once feedback reported on all of
 * them, the target rises to the rate they got through at, if higher. A
 * cluster not yet evaluated is forgotten.
 *
 * Since: 0.1
 */
void
p2p_bandwidth_estimator_start_probe (P2pBandwidthEstimator * self, guint64 bps)
{
  guint id = self->probe.id + 1;

  memset (&self->probe, 0, sizeof (self->probe));
  self->probe.id = id == 0 ? 1 : id;
  self->probe.bps = bps;
}

/**
 * p2p_bandwidth_estimator_on_probe_sent:
 * @self: an estimator
 * @seq: the transport-wide sequence number written into the packet
 * @size: its size on the wire, in bytes
 * @now_us: monotonic time of sending, in microseconds
 *
 * As p2p_bandwidth_estimator_on_sent(), for a packet of the current probe
 * cluster.
 *
 * Since: 0.1
 */
void
p2p_bandwidth_estimator_on_probe_sent (P2pBandwidthEstimator * self,
    guint16 seq, guint size, gint64 now_us)
{
  Probe *p = &self->probe;

  p2p_bandwidth_estimator_on_sent (self, seq, size, now_us);
  if (p->id == 0 || p->ended)
    return;
  self->sent[seq % HISTORY].probe = p->id;
  if (p->n_sent == 0)
    p->first_send_us = self->shadow_from_us = now_us;
  self->shadow_to_us = now_us;
  p->last_send_us = now_us;
  p->last_sent_size = size;
  p->sent_bytes += size;
  p->n_sent++;
}

/**
 * p2p_bandwidth_estimator_end_probe:
 * @self: an estimator
 *
 * The current probe cluster is complete: it is evaluated once feedback
 * reported on all its packets.
 *
 * Since: 0.1
 */
void
p2p_bandwidth_estimator_end_probe (P2pBandwidthEstimator * self)
{
  self->probe.ended = TRUE;
  probe_evaluate (self);
}

/**
 * p2p_bandwidth_estimator_get_probe_result:
 * @self: an estimator
 *
 * Returns: the rate the last evaluated probe cluster got through at, in
 *     bits per second; 0 when none was, or it showed nothing (too few of
 *     its packets arrived)
 *
 * Since: 0.1
 */
guint64
p2p_bandwidth_estimator_get_probe_result (P2pBandwidthEstimator * self)
{
  return self->probe.evaluated ? self->probe.result : 0;
}

/**
 * p2p_bandwidth_estimator_set_max:
 * @self: an estimator
 * @max_bps: the target never goes above this (nor below the minimum)
 *
 * Caps the target, for a sender that knows how much it could ever send
 * (a camera: a few times its best stream): on a path wider than that, the
 * target stops there instead of climbing on for ever.
 *
 * Since: 0.1
 */
void
p2p_bandwidth_estimator_set_max (P2pBandwidthEstimator * self, guint64 max_bps)
{
  self->max_bps = MAX (max_bps, self->min_bps);
  clamp_target (self);
}

/**
 * p2p_bandwidth_estimator_on_feedback:
 * @self: an estimator
 * @arrivals: (array length=n_arrivals): what one feedback packet reports,
 *     in sequence-number order
 * @n_arrivals: how many
 * @now_us: monotonic time the feedback arrived, on the clock of
 *     p2p_bandwidth_estimator_on_sent()
 *
 * Updates the target from transport-wide feedback. Packets not (or no
 * longer) remembered are ignored, and so is a packet reported twice.
 *
 * Since: 0.1
 */
void
p2p_bandwidth_estimator_on_feedback (P2pBandwidthEstimator * self,
    const P2pPacketArrival * arrivals, guint n_arrivals, gint64 now_us)
{
  gboolean news = FALSE;
  gdouble dt_s;
  guint i;

  g_return_if_fail (arrivals != NULL || n_arrivals == 0);
  for (i = 0; i < n_arrivals; i++) {
    Sent *s = &self->sent[arrivals[i].seq % HISTORY];

    if (!s->valid || s->seq != arrivals[i].seq || s->reported)
      continue;
    self->feedback_seen = news = TRUE;
    s->reported = TRUE;
    if (s->probe != 0 && s->probe == self->probe.id)
      probe_on_reported (&self->probe, s, arrivals[i].arrival_us);
    if (arrivals[i].arrival_us == P2P_BANDWIDTH_ESTIMATOR_LOST) {
      /* A packet reported lost may still arrive late and be reported
       * again: it counts once, as lost. */
      self->lost++;
      continue;
    }
    self->received++;
    on_received (self, s, arrivals[i].arrival_us);
  }

  /* Feedback that only repeats itself is no sign the path got wider. */
  if (!news)
    return;
  dt_s = elapsed (self, now_us);
  if (self->lost + self->received >= LOSS_MIN_PACKETS) {
    on_loss_fraction (self, self->lost / (gdouble) (self->lost +
            self->received), now_us);
    self->lost = self->received = 0;
  }
  if (self->delay_state == DELAY_OVERUSE) {
    /* Below what got through: the queue must drain. Until the receive
     * rate is known, below the current target. A probe's own queue cuts
     * nothing (PROBE_SHADOW_US). */
    if (!self->overuse_from_probe || !in_probe_shadow (self, &self->prev_group))
      decrease (self, DECREASE_FACTOR * (self->acked_bps > 0 ?
              self->acked_bps : self->target), now_us);
  } else if (self->delay_state == DELAY_NORMAL && self->loss_clear) {
    increase (self, dt_s, now_us);
  }
  probe_evaluate (self);
}

/**
 * p2p_bandwidth_estimator_on_loss_report:
 * @self: an estimator
 * @fraction_lost: the fraction of packets lost since the previous report,
 *     0–1, from an RTCP receiver report
 * @now_us: monotonic time the report arrived
 *
 * Updates the target from a receiver report, for a receiver that sends no
 * transport-wide feedback: once it has sent some, this counts the same
 * losses again and is ignored.
 *
 * Since: 0.1
 */
void
p2p_bandwidth_estimator_on_loss_report (P2pBandwidthEstimator * self,
    gdouble fraction_lost, gint64 now_us)
{
  gdouble dt_s;

  if (self->feedback_seen)
    return;
  dt_s = elapsed (self, now_us);
  on_loss_fraction (self, CLAMP (fraction_lost, 0.0, 1.0), now_us);
  if (self->loss_clear)
    increase (self, dt_s, now_us);
}

/**
 * p2p_bandwidth_estimator_get_target:
 * @self: an estimator
 *
 * Returns: the bitrate the path sustains, in bits per second
 *
 * Since: 0.1
 */
guint64
p2p_bandwidth_estimator_get_target (P2pBandwidthEstimator * self)
{
  return (guint64) self->target;
}

/**
 * p2p_bandwidth_estimator_get_acked:
 * @self: an estimator
 *
 * Returns: the bitrate the receiver last got, in bits per second, from
 *     transport-wide feedback; 0 until known
 *
 * Since: 0.1
 */
guint64
p2p_bandwidth_estimator_get_acked (P2pBandwidthEstimator * self)
{
  return (guint64) self->acked_bps;
}

/**
 * p2p_bandwidth_estimator_get_limited:
 * @self: an estimator
 *
 * Whether the path has shown a limit (congestion or loss) since the
 * estimator started. Until it has, the target is a lower bound still
 * climbing from the start rate: a viewer that merely joined, not one on a
 * narrow path.
 *
 * Returns: %TRUE once the target was cut at least once
 *
 * Since: 0.1
 */
gboolean
p2p_bandwidth_estimator_get_limited (P2pBandwidthEstimator * self)
{
  return self->decreased;
}
