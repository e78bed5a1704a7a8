/* Unit tests of the retransmission pause (gstp2prtxpause.c, issue 13): a
 * jitter buffer stops asking for retransmissions during heavy loss and
 * asks again once it is over.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>
#include "gstp2prtxpause.h"

#define PT 96
#define SSRC 0x11223344u
/* One packet every 5 ms, each a picture of its own (90 kHz). */
#define SPACING_MS 5
#define RTP_STEP 450

/* rtpjitterbuffer asking for retransmissions, on a test clock that stays
 * at 0: nothing ever times out, so the only requests are those its
 * reorder check fires at once (a packet 4 or more behind the newest),
 * in sequence order and independent of the machine's speed. */
static GstHarness *
harness_new (gint * pauses)
{
  GstHarness *h = gst_harness_new ("rtpjitterbuffer");

  g_object_set (h->element, "do-retransmission", TRUE, "do-lost", TRUE,
      "latency", 200, NULL);
  if (pauses)
    gst_p2p_rtx_pause_attach (h->element, pauses);
  gst_harness_use_testclock (h);
  gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,"
      "clock-rate=90000,encoding-name=H264,payload=96");
  return h;
}

static void
push (GstHarness * h, guint16 seq)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, PT);
  gst_rtp_buffer_set_ssrc (&rtp, SSRC);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, seq * RTP_STEP);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_DTS (buf) = seq * SPACING_MS * GST_MSECOND;
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
}

/* Upstream events until the request for @last (60 s at most): which
 * sequence numbers were asked for, as a bitmap of 1024. */
static void
collect_requests (GstHarness * h, guint16 last, guint8 * asked)
{
  for (;;) {
    GstEvent *ev = gst_harness_pull_upstream_event (h);
    const GstStructure *s;
    guint seq;

    g_assert_nonnull (ev);
    s = gst_event_get_structure (ev);
    if (s && gst_structure_has_name (s, "GstRTPRetransmissionRequest")
        && gst_structure_get_uint (s, "seqnum", &seq) && seq < 1024) {
      asked[seq] = 1;
      if (seq == last) {
        gst_event_unref (ev);
        return;
      }
    }
    gst_event_unref (ev);
  }
}

static gboolean
asked_any (const guint8 * asked, guint from, guint to)
{
  guint i;

  for (i = from; i < to; i++)
    if (asked[i])
      return TRUE;
  return FALSE;
}

/* The stream loses 1 packet, then 2 of every 3 for a second, then is
 * clean for 1.5 s and loses 1 packet again: the single losses are asked
 * for, the burst only until the pause, and the requests come back. */
static void
test_heavy_loss_pauses_requests (void)
{
  gint pauses = 0;
  GstHarness *h = harness_new (&pauses);
  guint8 asked[1024] = { 0 };
  gboolean on;
  guint i;

  for (i = 0; i < 100; i++)
    if (i != 40)
      push (h, i);
  g_assert_cmpint (g_atomic_int_get (&pauses), ==, 0);
  for (i = 100; i < 300; i++)
    if (i % 3 == 0)
      push (h, i);
  g_assert_cmpint (g_atomic_int_get (&pauses), ==, 1);
  g_object_get (h->element, "do-retransmission", &on, NULL);
  g_assert_false (on);
  for (i = 300; i < 600; i++)
    if (i != 560)
      push (h, i);
  g_object_get (h->element, "do-retransmission", &on, NULL);
  g_assert_true (on);
  g_assert_cmpint (g_atomic_int_get (&pauses), ==, 1);
  collect_requests (h, 560, asked);
  g_assert_true (asked[40]);
  g_assert_true (asked[101] && asked[103]);
  /* The first window of the burst (32 packets, 160 ms) pauses: nothing
   * after it is asked for. */
  g_assert_false (asked_any (asked, 140, 560));
  gst_harness_teardown (h);
}

/* Without the pause the same burst is asked for to its end: what the test
 * above shows is the pause's doing. */
static void
test_without_pause_burst_asked (void)
{
  GstHarness *h = harness_new (NULL);
  guint8 asked[1024] = { 0 };
  guint i;

  for (i = 100; i < 300; i++)
    if (i % 3 == 0 || i == 101)
      push (h, i);
  for (i = 300; i < 310; i++)
    push (h, i);
  collect_requests (h, 299, asked);
  g_assert_true (asked_any (asked, 250, 300));
  gst_harness_teardown (h);
}

/* Loss the camera can repair (every third packet, as in the thinning
 * test) is asked for throughout and never pauses. */
static void
test_repairable_loss_keeps_asking (void)
{
  gint pauses = 0;
  GstHarness *h = harness_new (&pauses);
  guint8 asked[1024] = { 0 };
  guint i;

  for (i = 0; i < 1000; i++)
    if (i % 3 != 2)
      push (h, i);
  collect_requests (h, 995, asked);
  for (i = 2; i < 996; i += 3)
    g_assert_true (asked[i]);
  g_assert_cmpint (g_atomic_int_get (&pauses), ==, 0);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/rtx-pause/heavy-loss-pauses-requests",
      test_heavy_loss_pauses_requests);
  g_test_add_func ("/p2p/rtx-pause/without-pause-burst-asked",
      test_without_pause_burst_asked);
  g_test_add_func ("/p2p/rtx-pause/repairable-loss-keeps-asking",
      test_repairable_loss_keeps_asking);
  return g_test_run ();
}
