/* The bandwidth estimator against generated feedback traces: a simulated
 * bottleneck (a rate, a drop-tail queue, a loss pattern) between a sender
 * that follows the estimate like an encoder and a receiver that reports
 * every arrival, all on simulated time.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>

#define PACKET 1200
#define FPS 30
#define PROPAGATION_US (20 * G_TIME_SPAN_MILLISECOND)
#define FEEDBACK_US (50 * G_TIME_SPAN_MILLISECOND)
/* The receiver's clock has its own origin. */
#define RECEIVER_OFFSET_US G_GINT64_CONSTANT (1000000000)

typedef struct
{
  P2pPacketArrival arrival;
  gint64 report_us;             /* when the receiver knows its fate */
} Pending;

typedef struct
{
  P2pBandwidthEstimator *est;
  gint64 now;
  gdouble capacity_bps;
  gint64 max_queue_us;
  guint loss_every;             /* drop every Nth packet; 0: none */
  gdouble source_max_bps;       /* what the encoder can make at most */
  gint64 queue_free_us;
  guint16 seq;
  guint n_packets;
  GArray *pending;
  gint64 last_report_us;
  gboolean probing;             /* link_send() sends probe packets */
} Link;

static void
link_init (Link * link, gdouble capacity_bps, guint64 start_bps,
    guint64 max_bps)
{
  memset (link, 0, sizeof (*link));
  link->est = p2p_bandwidth_estimator_new (start_bps, 100000, max_bps);
  link->capacity_bps = capacity_bps;
  link->max_queue_us = 300 * G_TIME_SPAN_MILLISECOND;
  link->source_max_bps = 20e6;
  link->seq = 65000;            /* wraps early on */
  link->pending = g_array_new (FALSE, FALSE, sizeof (Pending));
}

static void
link_clear (Link * link)
{
  p2p_bandwidth_estimator_free (link->est);
  g_array_unref (link->pending);
}

static void
link_send (Link * link, guint size)
{
  Pending p = { {link->seq, P2P_BANDWIDTH_ESTIMATOR_LOST}, 0 };
  gboolean lost = link->loss_every && ++link->n_packets % link->loss_every == 0;

  if (link->probing)
    p2p_bandwidth_estimator_on_probe_sent (link->est, link->seq, size,
        link->now);
  else
    p2p_bandwidth_estimator_on_sent (link->est, link->seq, size, link->now);
  link->seq++;
  if (!lost && link->queue_free_us - link->now <= link->max_queue_us) {
    gint64 depart = MAX (link->now, link->queue_free_us) +
        (gint64) (size * 8.0 * G_USEC_PER_SEC / link->capacity_bps);

    link->queue_free_us = depart;
    p.arrival.arrival_us = depart + PROPAGATION_US + RECEIVER_OFFSET_US;
    p.report_us = depart + PROPAGATION_US;
  }
  /* The receiver learns of a loss when a later packet arrives. */
  p.report_us = MAX (p.report_us, link->last_report_us);
  link->last_report_us = p.report_us;
  g_array_append_val (link->pending, p);
}

/* One frame of what the estimate allows, as a burst of packets. */
static void
link_send_frame (Link * link)
{
  gdouble bps = MIN (p2p_bandwidth_estimator_get_target (link->est),
      link->source_max_bps);
  guint bytes = bps / 8 / FPS;

  while (bytes > 0) {
    guint size = MIN (bytes, PACKET);

    link_send (link, MAX (size, 100));
    bytes -= size;
  }
}

/* Feedback of what arrived a propagation delay ago. */
static void
link_feedback (Link * link)
{
  GArray *batch = g_array_new (FALSE, FALSE, sizeof (P2pPacketArrival));
  guint n = 0;

  while (n < link->pending->len) {
    Pending *p = &g_array_index (link->pending, Pending, n);

    if (p->report_us + PROPAGATION_US > link->now)
      break;
    g_array_append_val (batch, p->arrival);
    n++;
  }
  g_array_remove_range (link->pending, 0, n);
  p2p_bandwidth_estimator_on_feedback (link->est,
      (P2pPacketArrival *) batch->data, batch->len, link->now);
  g_array_unref (batch);
}

/* Runs for @seconds; returns the lowest and highest target of the last
 * @tail seconds and their mean. */
static void
link_run (Link * link, gdouble seconds, gdouble tail, gdouble * lowest,
    gdouble * highest, gdouble * mean)
{
  gint64 end = link->now + seconds * G_USEC_PER_SEC;
  gint64 tail_start = end - tail * G_USEC_PER_SEC;
  gint64 frame_us = G_USEC_PER_SEC / FPS;
  gdouble sum = 0, lo = G_MAXDOUBLE, hi = 0;
  guint samples = 0;

  for (; link->now < end; link->now += 1000) {
    if (link->now % frame_us < 1000)
      link_send_frame (link);
    if (link->now % FEEDBACK_US == 0)
      link_feedback (link);
    if (link->now >= tail_start && link->now % 100000 == 0) {
      gdouble t = p2p_bandwidth_estimator_get_target (link->est);

      lo = MIN (lo, t);
      hi = MAX (hi, t);
      sum += t;
      samples++;
    }
  }
  if (lowest)
    *lowest = lo;
  if (highest)
    *highest = hi;
  if (mean)
    *mean = samples ? sum / samples : 0;
}

/* Runs until the target is at most @bps; returns the time it took. */
static gdouble
link_run_until_below (Link * link, gdouble bps, gdouble limit_s)
{
  gint64 start = link->now;

  while (p2p_bandwidth_estimator_get_target (link->est) > bps
      && link->now - start < limit_s * G_USEC_PER_SEC)
    link_run (link, 0.1, 0, NULL, NULL, NULL);
  return (link->now - start) / (gdouble) G_USEC_PER_SEC;
}

static gdouble
link_run_until_above (Link * link, gdouble bps, gdouble limit_s)
{
  gint64 start = link->now;

  while (p2p_bandwidth_estimator_get_target (link->est) < bps
      && link->now - start < limit_s * G_USEC_PER_SEC)
    link_run (link, 0.1, 0, NULL, NULL, NULL);
  return (link->now - start) / (gdouble) G_USEC_PER_SEC;
}

/* A 2 Mbit/s link: the estimate finds it from 300 kbit/s and stays near
 * it, below it on average (a queue that never drains is latency). */
static void
test_steady (void)
{
  Link link;
  gdouble lo, hi, mean;

  link_init (&link, 2e6, 300000, 10000000);
  g_assert_false (p2p_bandwidth_estimator_get_limited (link.est));
  link_run (&link, 60, 30, &lo, &hi, &mean);
  /* The 2 Mbit/s limit was met: the estimate is no longer a start-up
   * guess. */
  g_assert_true (p2p_bandwidth_estimator_get_limited (link.est));
  g_test_message ("steady 2 Mbit/s: %.0f..%.0f, mean %.0f kbit/s",
      lo / 1000, hi / 1000, mean / 1000);
  g_assert_cmpfloat (mean, >, 0.7 * 2e6);
  g_assert_cmpfloat (mean, <, 1.05 * 2e6);
  g_assert_cmpfloat (lo, >, 0.5 * 2e6);
  g_assert_cmpfloat (hi, <, 1.3 * 2e6);
  link_clear (&link);
}

/* 4 Mbit/s, then 1.5: the estimate follows within two seconds; the link
 * back at 4: it climbs again. */
static void
test_capacity_drop (void)
{
  Link link;
  gdouble took, mean;

  link_init (&link, 4e6, 1000000, 10000000);
  link_run (&link, 40, 10, NULL, NULL, &mean);
  g_assert_cmpfloat (mean, >, 0.7 * 4e6);

  link.capacity_bps = 1.5e6;
  took = link_run_until_below (&link, 1.5e6, 10);
  g_test_message ("4 -> 1.5 Mbit/s: followed in %.1f s", took);
  g_assert_cmpfloat (took, <, 2.0);
  link_run (&link, 30, 20, NULL, NULL, &mean);
  g_assert_cmpfloat (mean, >, 0.7 * 1.5e6);
  g_assert_cmpfloat (mean, <, 1.05 * 1.5e6);

  link.capacity_bps = 4e6;
  took = link_run_until_above (&link, 3e6, 60);
  g_test_message ("1.5 -> 4 Mbit/s: above 3 Mbit/s in %.1f s", took);
  g_assert_cmpfloat (took, <, 15.0);
  link_clear (&link);
}

/* A wide link that loses 20 % for three seconds (a radio fading): the
 * target falls while it lasts, then recovers. Delay says nothing here:
 * only the loss-based component sees it. */
static void
test_loss_burst (void)
{
  Link link;
  gdouble before, during, took;

  link_init (&link, 50e6, 1000000, 4000000);
  link_run (&link, 20, 0, NULL, NULL, NULL);
  before = p2p_bandwidth_estimator_get_target (link.est);
  g_assert_cmpfloat (before, ==, 4e6);

  link.loss_every = 5;
  link_run (&link, 3, 0, NULL, NULL, NULL);
  during = p2p_bandwidth_estimator_get_target (link.est);
  g_test_message ("20 %% loss: %.0f -> %.0f kbit/s", before / 1000,
      during / 1000);
  g_assert_cmpfloat (during, <, 0.6 * before);

  link.loss_every = 0;
  took = link_run_until_above (&link, 0.95 * before, 60);
  g_test_message ("recovered in %.1f s", took);
  g_assert_cmpfloat (took, <, 20.0);
  link_clear (&link);
}

/* 1 % loss (every 100th packet) on a wide link is not congestion. */
static void
test_light_loss (void)
{
  Link link;
  gdouble lo;

  link_init (&link, 50e6, 1000000, 4000000);
  link.loss_every = 100;
  link_run (&link, 30, 10, &lo, NULL, NULL);
  g_assert_cmpfloat (lo, ==, 4e6);
  g_assert_false (p2p_bandwidth_estimator_get_limited (link.est));
  link_clear (&link);
}

/* A receiver without transport-wide feedback: receiver reports alone. */
static void
test_receiver_reports (void)
{
  P2pBandwidthEstimator *est = p2p_bandwidth_estimator_new (1000000, 100000,
      5000000);
  P2pPacketArrival arrival = { 7, 1000 };
  gint64 now = 0;
  guint64 before;
  guint i;

  for (i = 0; i < 10; i++)
    p2p_bandwidth_estimator_on_loss_report (est, 0.0, now += G_USEC_PER_SEC);
  before = p2p_bandwidth_estimator_get_target (est);
  g_assert_cmpuint (before, >, 1000000);
  p2p_bandwidth_estimator_on_loss_report (est, 0.3, now += G_USEC_PER_SEC);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), <, before);
  before = p2p_bandwidth_estimator_get_target (est);
  p2p_bandwidth_estimator_on_loss_report (est, 0.05, now += G_USEC_PER_SEC);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), ==, before);

  /* Once transport-wide feedback came, reports no longer count. */
  p2p_bandwidth_estimator_on_sent (est, 7, 1000, now);
  p2p_bandwidth_estimator_on_feedback (est, &arrival, 1, now += 1000);
  before = p2p_bandwidth_estimator_get_target (est);
  p2p_bandwidth_estimator_on_loss_report (est, 0.5, now += G_USEC_PER_SEC);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), ==, before);
  p2p_bandwidth_estimator_free (est);
}

/* Feedback on packets never sent, sent long ago, or reported already is
 * ignored: a viewer cannot make the camera count losses it invents. */
static void
test_bogus_feedback (void)
{
  P2pBandwidthEstimator *est = p2p_bandwidth_estimator_new (1000000, 100000,
      5000000);
  P2pPacketArrival lost[64];
  gint64 now = G_USEC_PER_SEC;
  guint i, round;

  for (i = 0; i < G_N_ELEMENTS (lost); i++) {
    lost[i].seq = i;
    lost[i].arrival_us = P2P_BANDWIDTH_ESTIMATOR_LOST;
  }
  /* Never sent. */
  for (round = 0; round < 10; round++)
    p2p_bandwidth_estimator_on_feedback (est, lost, G_N_ELEMENTS (lost),
        now += 100000);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), ==, 1000000);

  /* Sent once, reported lost once, then again and again. */
  for (i = 0; i < G_N_ELEMENTS (lost); i++)
    p2p_bandwidth_estimator_on_sent (est, i, 1000, now);
  p2p_bandwidth_estimator_on_feedback (est, lost, 1, now += 100000);
  for (round = 0; round < 10; round++)
    p2p_bandwidth_estimator_on_feedback (est, lost, 1, now += 100000);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), ==, 1000000);
  p2p_bandwidth_estimator_free (est);
}

/* A probe cluster of @duration_us at @bps, beside the frames, then
 * @after seconds for its feedback. */
static void
link_probe (Link * link, gdouble bps, gint64 duration_us, gdouble after)
{
  gint64 start = link->now;
  gdouble sent = 0;

  p2p_bandwidth_estimator_start_probe (link->est, bps);
  while (link->now < start + duration_us) {
    link->probing = TRUE;
    while (sent <= (link->now - start) * bps / 8 / G_USEC_PER_SEC) {
      link_send (link, PACKET);
      sent += PACKET;
    }
    link->probing = FALSE;
    link_run (link, 0.001, 0, NULL, NULL, NULL);
  }
  p2p_bandwidth_estimator_end_probe (link->est);
  link_run (link, after, 0, NULL, NULL, NULL);
}

/* A receiver sent 0.5 Mbit/s (a sub layer) after its path was found to
 * be 1.5 Mbit/s wide: a 30 ms probe at 5.75 Mbit/s does not get through
 * and raises nothing; the path widened to 20 Mbit/s, the same probe gets
 * through and the target jumps to about its rate, where the estimate
 * climbing blind would take many seconds. */
static void
test_probe (void)
{
  Link link;
  gdouble before;

  link_init (&link, 1.5e6, 1000000, 20000000);
  link.source_max_bps = 4e6;
  link_run (&link, 10, 0, NULL, NULL, NULL);
  g_assert_true (p2p_bandwidth_estimator_get_limited (link.est));
  link.source_max_bps = 0.5e6;
  link_run (&link, 2, 0, NULL, NULL, NULL);
  before = p2p_bandwidth_estimator_get_target (link.est);
  g_assert_cmpfloat (before, <, 2.5e6);

  link_probe (&link, 5.75e6, 30 * G_TIME_SPAN_MILLISECOND, 0.5);
  g_test_message ("probe on 1.5 Mbit/s: got through at %" G_GUINT64_FORMAT
      ", target %" G_GUINT64_FORMAT " (before %.0f)",
      p2p_bandwidth_estimator_get_probe_result (link.est),
      p2p_bandwidth_estimator_get_target (link.est), before);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_probe_result (link.est), >, 0);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_probe_result (link.est), <,
      2.5e6);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (link.est), <, 3e6);

  link.capacity_bps = 20e6;
  link_run (&link, 0.5, 0, NULL, NULL, NULL);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (link.est), <, 3e6);
  link_probe (&link, 5.75e6, 30 * G_TIME_SPAN_MILLISECOND, 0.2);
  g_test_message ("probe on 20 Mbit/s: got through at %" G_GUINT64_FORMAT,
      p2p_bandwidth_estimator_get_probe_result (link.est));
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (link.est), >,
      0.9 * 5.75e6);
  link_clear (&link);
}

/* A probe that does not get through leaves the estimate where it was:
 * the queue it finds is its own. A receiver sent 0.5 Mbit/s on a path
 * found 1.5 Mbit/s wide, whose estimate climbed blind to 3.5 Mbit/s, gets
 * a 30 ms cluster at 5.75 Mbit/s: the delay it adds is no sign that the
 * path no longer carries the 0.5 Mbit/s it carried (the fan-out posted
 * the cut it made, 3.6 to 0.69 Mbit/s, in natlab). Congestion of the
 * stream itself after the cluster's queue drained still cuts. */
static void
test_probe_failed_no_cut (void)
{
  Link link;
  gdouble before, lowest;

  link_init (&link, 1.5e6, 1000000, 20000000);
  link.source_max_bps = 4e6;
  link_run (&link, 10, 0, NULL, NULL, NULL);
  g_assert_true (p2p_bandwidth_estimator_get_limited (link.est));
  link.source_max_bps = 0.5e6;
  link_run_until_above (&link, 3.5e6, 20);
  before = p2p_bandwidth_estimator_get_target (link.est);
  g_assert_cmpfloat (before, >=, 3.5e6);

  link_probe (&link, 5.75e6, 30 * G_TIME_SPAN_MILLISECOND, 0);
  link_run (&link, 1.5, 1.5, &lowest, NULL, NULL);
  g_test_message ("failed probe: target %.0f before, lowest %.0f after, "
      "probe result %" G_GUINT64_FORMAT, before, lowest,
      p2p_bandwidth_estimator_get_probe_result (link.est));
  g_assert_cmpfloat (lowest, >=, before);

  /* The stream itself above the path: cut within 3 s. */
  link.source_max_bps = 4e6;
  g_assert_cmpfloat (link_run_until_below (&link, 1.5e6, 10), <, 3);
  link_clear (&link);
}

/* A receiver's feedback cannot make a probe prove more than was tried:
 * ten packets all claimed to arrive at one instant (an infinite rate),
 * the cluster sent at 3 Mbit/s: the target goes to 3 Mbit/s at most.
 * Fewer than five packets, or fewer than 80 % arrived: nothing; nor a
 * cluster that found the path saturated. */
static void
test_probe_feedback_bounded (void)
{
  P2pBandwidthEstimator *est = p2p_bandwidth_estimator_new (500000, 100000,
      50000000);
  P2pPacketArrival arrivals[10];
  gint64 now = G_USEC_PER_SEC;
  guint64 before;
  guint i;

  p2p_bandwidth_estimator_start_probe (est, 3000000);
  for (i = 0; i < 10; i++) {
    p2p_bandwidth_estimator_on_probe_sent (est, i, 1200, now);
    arrivals[i].seq = i;
    arrivals[i].arrival_us = 5 * G_USEC_PER_SEC;
  }
  p2p_bandwidth_estimator_end_probe (est);
  p2p_bandwidth_estimator_on_feedback (est, arrivals, 10, now + 50000);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), <=, 3000000);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), >, 2000000);

  p2p_bandwidth_estimator_start_probe (est, 20000000);
  for (i = 0; i < 10; i++) {
    p2p_bandwidth_estimator_on_probe_sent (est, 100 + i, 1200,
        now + 100000 + i * 500);
    arrivals[i].seq = 100 + i;
    arrivals[i].arrival_us = i < 7 ? 6 * G_USEC_PER_SEC + i * 500 :
        P2P_BANDWIDTH_ESTIMATOR_LOST;
  }
  p2p_bandwidth_estimator_end_probe (est);
  p2p_bandwidth_estimator_on_feedback (est, arrivals, 10, now + 200000);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_probe_result (est), ==, 0);
  /* Its own growth between the two feedback packets aside. */
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), <, 3500000);

  /* Through a token-bucket shaper: 20 packets sent at 20 Mbit/s over
   * 9.5 ms, the first 14 through at once, the rest at 1.5 Mbit/s. The
   * cluster found the path saturated: it raises nothing, though its
   * receive rate (4 Mbit/s) is above the target. */
  p2p_bandwidth_estimator_start_probe (est, 20000000);
  for (i = 0; i < 20; i++) {
    P2pPacketArrival arrival = { 200 + i, 7 * G_USEC_PER_SEC +
          (i < 14 ? i * 500 : 6500 + (i - 13) * 6400)
    };

    p2p_bandwidth_estimator_on_probe_sent (est, 200 + i, 1200,
        now + 300000 + i * 500);
    p2p_bandwidth_estimator_on_feedback (est, &arrival, 1,
        now + 300000 + i * 500);
  }
  before = p2p_bandwidth_estimator_get_target (est);
  p2p_bandwidth_estimator_end_probe (est);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_probe_result (est), >, before);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (est), ==, before);
  p2p_bandwidth_estimator_free (est);
}

/* A cap lowered below the target brings it down; the target on a wide
 * path stops at the cap and stays there, not moving by the quarter a
 * change is posted for. */
static void
test_cap (void)
{
  Link link;
  gdouble lo, hi;

  link_init (&link, 50e6, 1000000, 100000000);
  link_run (&link, 10, 0, NULL, NULL, NULL);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (link.est), >, 8e6);
  p2p_bandwidth_estimator_set_max (link.est, 8000000);
  g_assert_cmpuint (p2p_bandwidth_estimator_get_target (link.est), ==, 8000000);
  link_run (&link, 30, 20, &lo, &hi, NULL);
  g_assert_cmpfloat (hi, <=, 8e6);
  g_assert_cmpfloat (lo, >, 0.75 * 8e6);
  link_clear (&link);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/bandwidth-estimator/steady", test_steady);
  g_test_add_func ("/p2p/bandwidth-estimator/capacity-drop",
      test_capacity_drop);
  g_test_add_func ("/p2p/bandwidth-estimator/loss-burst", test_loss_burst);
  g_test_add_func ("/p2p/bandwidth-estimator/light-loss", test_light_loss);
  g_test_add_func ("/p2p/bandwidth-estimator/receiver-reports",
      test_receiver_reports);
  g_test_add_func ("/p2p/bandwidth-estimator/bogus-feedback",
      test_bogus_feedback);
  g_test_add_func ("/p2p/bandwidth-estimator/probe", test_probe);
  g_test_add_func ("/p2p/bandwidth-estimator/probe-failed-no-cut",
      test_probe_failed_no_cut);
  g_test_add_func ("/p2p/bandwidth-estimator/probe-feedback-bounded",
      test_probe_feedback_bounded);
  g_test_add_func ("/p2p/bandwidth-estimator/cap", test_cap);
  return g_test_run ();
}
