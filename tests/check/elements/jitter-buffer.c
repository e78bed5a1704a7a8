/* Unit tests of p2psrc's jitter buffer (gstp2pjitterbuffer.c, issue 13):
 * packets in order pass on the pushing thread, a gap holds the packets
 * behind it, asks for the missing ones and is given up after the latency.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gst/rtp/rtp.h>
#include "gstp2pjitterbuffer.h"

#define PT 96
#define SSRC 0x11223344u
/* One packet every 5 ms, each a picture of its own (90 kHz). */
#define SPACING (5 * GST_MSECOND)
#define RTP_STEP 450
#define LATENCY_MS 100

static GstHarness *
harness_new (gboolean rtx)
{
  GstElement *element = gst_object_ref_sink (gst_p2p_jitter_buffer_new ());
  /* The harness takes a reference of its own. */
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");

  gst_object_unref (element);

  g_object_set (h->element, "do-retransmission", rtx, "do-lost", TRUE,
      "latency", LATENCY_MS, "rtx-min-retry-timeout", 10, NULL);
  gst_harness_use_testclock (h);
  gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,"
      "clock-rate=90000,encoding-name=H264,payload=96");
  return h;
}

static GstClockTime
harness_time (GstHarness * h)
{
  GstTestClock *clock = gst_harness_get_testclock (h);
  GstClockTime t = gst_clock_get_time (GST_CLOCK (clock));

  gst_object_unref (clock);
  return t;
}

static GstBuffer *
packet (guint16 seq)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, PT);
  gst_rtp_buffer_set_ssrc (&rtp, SSRC);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, seq * RTP_STEP);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_DTS (buf) = seq * SPACING;
  return buf;
}

static void
push (GstHarness * h, guint16 seq)
{
  g_assert_cmpint (gst_harness_push (h, packet (seq)), ==, GST_FLOW_OK);
}

static guint16
seq_of (GstBuffer * buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;

  g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return seq;
}

/* The next packet out is @seq (waits 60 s at most). */
static GstBuffer *
expect (GstHarness * h, guint16 seq)
{
  GstBuffer *buf = gst_harness_pull (h);

  g_assert_nonnull (buf);
  g_assert_cmpuint (seq_of (buf), ==, seq);
  return buf;
}

static guint64
stat (GstHarness * h, const gchar * field)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (h->element, "stats", &s, NULL);
  g_assert_true (gst_structure_get_uint64 (s, field, &v));
  gst_structure_free (s);
  return v;
}

/* The next custom downstream event (after the stream's start, caps and
 * segment), waiting 60 s at most. */
static GstEvent *
next_custom_event (GstHarness * h)
{
  for (;;) {
    GstEvent *ev = gst_harness_pull_event (h);

    g_assert_nonnull (ev);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM)
      return ev;
    gst_event_unref (ev);
  }
}

/* The next retransmission request upstream: its sequence number. */
static guint
next_request (GstHarness * h)
{
  for (;;) {
    GstEvent *ev = gst_harness_pull_upstream_event (h);
    guint seq = G_MAXUINT;

    g_assert_nonnull (ev);
    if (gst_event_has_name (ev, "GstRTPRetransmissionRequest")) {
      guint ssrc = 0;

      g_assert_true (gst_structure_get_uint (gst_event_get_structure (ev),
              "seqnum", &seq));
      g_assert_true (gst_structure_get_uint (gst_event_get_structure (ev),
              "ssrc", &ssrc));
      g_assert_cmpuint (ssrc, ==, SSRC);
      gst_event_unref (ev);
      return seq;
    }
    gst_event_unref (ev);
  }
}

static GThread *pushed_from;
static guint lists_out;

static GstPadProbeReturn
out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  pushed_from = g_thread_self ();
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    lists_out++;
  return GST_PAD_PROBE_OK;
}

/* In order, a list goes out as the same list, on the pushing thread,
 * before the push returns; times follow the RTP clock from the first
 * packet's arrival. */
static void
test_in_order_on_pushing_thread (void)
{
  GstHarness *h = harness_new (TRUE);
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer *buf;
  guint16 i;

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, out_probe, NULL, NULL);
  for (i = 0; i < 8; i++)
    gst_buffer_list_add (list, packet (1000 + i));
  g_assert_cmpint (gst_pad_push_list (h->srcpad, list), ==, GST_FLOW_OK);
  g_assert_true (pushed_from == g_thread_self ());
  g_assert_cmpuint (lists_out, ==, 1);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 8);
  for (i = 0; i < 8; i++) {
    buf = expect (h, 1000 + i);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 1000 * SPACING + i * SPACING);
    gst_buffer_unref (buf);
  }
  /* A single packet too. */
  pushed_from = NULL;
  push (h, 1008);
  g_assert_true (pushed_from == g_thread_self ());
  gst_buffer_unref (expect (h, 1008));
  g_assert_cmpuint (stat (h, "num-pushed"), ==, 9);
  g_assert_cmpuint (stat (h, "rtx-count"), ==, 0);
  gst_object_unref (src);
  gst_harness_teardown (h);
}

/* A missing packet holds the ones behind it and is asked for, again each
 * retry timeout (40 ms before a round trip is measured); a latency after
 * the packet that showed the gap arrived, one lost event covers the whole
 * range and the held packets go out. */
static void
test_gap_requested_then_lost (void)
{
  GstHarness *h = harness_new (TRUE);
  GstEvent *ev;
  const GstStructure *s;
  guint seqnum, i;
  guint64 timestamp, duration;
  GstBuffer *buf;
  /* 1 is 3 behind 4, asked for at once (20 ms); 2 and 3 might only have
   * been overtaken, asked for 5 ms later; again at 60/65 and 100/105. */
  const guint asked[] = { 1, 2, 3, 1, 2, 3, 1, 2, 3 };
  const GstClockTime deadline = 4 * SPACING + LATENCY_MS * GST_MSECOND;

  push (h, 0);
  gst_buffer_unref (expect (h, 0));
  push (h, 4);
  push (h, 5);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  /* Until a latency after 4 arrived. */
  while (harness_time (h) < deadline)
    g_assert_true (gst_harness_crank_single_clock_wait (h));
  g_assert_cmpuint (harness_time (h), ==, deadline);
  ev = next_custom_event (h);
  s = gst_event_get_structure (ev);
  g_assert_true (gst_structure_has_name (s, "GstRTPPacketLost"));
  g_assert_true (gst_structure_get_uint (s, "seqnum", &seqnum));
  g_assert_true (gst_structure_get_uint64 (s, "timestamp", &timestamp));
  g_assert_true (gst_structure_get_uint64 (s, "duration", &duration));
  g_assert_cmpuint (seqnum, ==, 1);
  g_assert_cmpuint (timestamp, ==, 0);
  g_assert_cmpuint (duration, ==, 4 * SPACING);
  gst_event_unref (ev);
  buf = expect (h, 4);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);
  gst_buffer_unref (expect (h, 5));
  /* The lost event went out after every request. */
  for (i = 0; i < G_N_ELEMENTS (asked); i++)
    g_assert_cmpuint (next_request (h), ==, asked[i]);
  g_assert_cmpuint (gst_harness_upstream_events_in_queue (h), ==, 0);
  g_assert_cmpuint (stat (h, "num-lost"), ==, 3);
  g_assert_cmpuint (stat (h, "rtx-count"), ==, G_N_ELEMENTS (asked));
  /* A copy of a lost packet arriving now is late, and dropped. */
  push (h, 2);
  push (h, 6);
  gst_buffer_unref (expect (h, 6));
  g_assert_cmpuint (stat (h, "num-late"), ==, 1);
  gst_harness_teardown (h);
}

/* Packets that come late (a stalled receiver) get a full latency from
 * their arrival for a gap in front of them, not from their own time. */
static void
test_late_burst_gets_full_latency (void)
{
  GstHarness *h = harness_new (FALSE);
  GstBuffer *buf = packet (2);
  GstEvent *ev;

  push (h, 0);
  gst_buffer_unref (expect (h, 0));
  /* 2 belongs at 10 ms but arrives at 300 ms. */
  GST_BUFFER_DTS (buf) = 300 * GST_MSECOND;
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
  g_assert_true (gst_harness_crank_single_clock_wait (h));
  g_assert_cmpuint (harness_time (h), ==,
      300 * GST_MSECOND + LATENCY_MS * GST_MSECOND);
  ev = next_custom_event (h);
  g_assert_true (gst_event_has_name (ev, "GstRTPPacketLost"));
  gst_event_unref (ev);
  gst_buffer_unref (expect (h, 2));
  gst_harness_teardown (h);
}

/* A packet overtaken by the next one is put back in order; no lost
 * event, and a duplicate is dropped. */
static void
test_reorder_and_duplicates (void)
{
  GstHarness *h = harness_new (TRUE);
  guint16 order[] = { 0, 2, 1, 1, 3, 2 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (order); i++)
    push (h, order[i]);
  for (i = 0; i <= 3; i++)
    gst_buffer_unref (expect (h, i));
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  g_assert_cmpuint (stat (h, "num-duplicates"), ==, 2);
  g_assert_cmpuint (stat (h, "num-lost"), ==, 0);
  g_assert_cmpuint (stat (h, "rtx-count"), ==, 0);
  gst_harness_teardown (h);
}

/* EOS gives the gaps up and sends what was held before the EOS. */
static void
test_eos_drains (void)
{
  GstHarness *h = harness_new (FALSE);
  GstEvent *ev;
  guint seqnum;

  push (h, 0);
  push (h, 2);
  push (h, 3);
  gst_buffer_unref (expect (h, 0));
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  ev = next_custom_event (h);
  g_assert_true (gst_structure_get_uint (gst_event_get_structure (ev),
          "seqnum", &seqnum));
  g_assert_cmpuint (seqnum, ==, 1);
  gst_event_unref (ev);
  gst_buffer_unref (expect (h, 2));
  gst_buffer_unref (expect (h, 3));
  ev = gst_harness_pull_event (h);
  g_assert_cmpint (GST_EVENT_TYPE (ev), ==, GST_EVENT_EOS);
  gst_event_unref (ev);
  gst_harness_teardown (h);
}

/* A flush drops what was held and starts the stream over. */
static void
test_flush_resets (void)
{
  GstHarness *h = harness_new (FALSE);
  GstSegment segment;

  push (h, 0);
  push (h, 2);
  gst_buffer_unref (expect (h, 0));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  push (h, 500);
  gst_buffer_unref (expect (h, 500));
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  gst_harness_teardown (h);
}

/* Sequence numbers that jump far, twice in a row, start the stream over
 * at once instead of waiting out a gap; one stray packet is dropped. */
static void
test_far_jump_restarts (void)
{
  GstHarness *h = harness_new (TRUE);
  GstBuffer *buf;

  push (h, 0);
  gst_buffer_unref (expect (h, 0));
  push (h, 30000);
  push (h, 1);
  gst_buffer_unref (expect (h, 1));
  push (h, 40000);
  push (h, 40001);
  buf = expect (h, 40001);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);
  push (h, 40002);
  gst_buffer_unref (expect (h, 40002));
  g_assert_cmpuint (stat (h, "num-lost"), ==, 0);
  gst_harness_teardown (h);
}

/* The latency query answers upstream's latency plus ours. */
static void
test_latency_query (void)
{
  GstHarness *h = harness_new (FALSE);

  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  g_assert_cmpuint (gst_harness_query_latency (h), ==,
      10 * GST_MSECOND + LATENCY_MS * GST_MSECOND);
  gst_harness_teardown (h);
}

static GstStructure *synced;

static void
on_handle_sync (GstElement * element, GstStructure * s, gpointer data)
{
  synced = gst_structure_copy (s);
}

/* A sender report is handed to handle-sync with the mapping of RTP time
 * to output time; ts-offset moves the output times. */
static void
test_handle_sync_and_ts_offset (void)
{
  GstHarness *h = harness_new (FALSE);
  GstPad *rtcp = gst_element_request_pad_simple (h->element, "sink_rtcp");
  GstBuffer *sr = gst_rtcp_buffer_new (1000), *buf;
  GstRTCPBuffer r = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket p;
  guint64 v, base;
  guint rate;

  GstSegment segment;
  GstCaps *caps;

  g_assert_nonnull (rtcp);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_send_event (rtcp,
          gst_event_new_stream_start ("rtcp")));
  caps = gst_caps_new_empty_simple ("application/x-rtcp");
  g_assert_true (gst_pad_send_event (rtcp, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  g_assert_true (gst_pad_send_event (rtcp, gst_event_new_segment (&segment)));
  g_signal_connect (h->element, "handle-sync", G_CALLBACK (on_handle_sync),
      NULL);
  push (h, 10);
  gst_buffer_unref (expect (h, 10));
  gst_rtcp_buffer_map (sr, GST_MAP_READWRITE, &r);
  g_assert_true (gst_rtcp_buffer_add_packet (&r, GST_RTCP_TYPE_SR, &p));
  gst_rtcp_packet_sr_set_sender_info (&p, SSRC, G_GUINT64_CONSTANT (1) << 32,
      10 * RTP_STEP + 90000 / 10, 1, 100);
  gst_rtcp_buffer_unmap (&r);
  g_assert_cmpint (gst_pad_chain (rtcp, sr), ==, GST_FLOW_OK);
  g_assert_nonnull (synced);
  /* Extended RTP times: the first packet's, mapped to its arrival, and
   * the report's, 100 ms later. */
  g_assert_true (gst_structure_get_uint64 (synced, "base-rtptime", &base));
  g_assert_cmpuint (base & G_MAXUINT32, ==, 10 * RTP_STEP);
  g_assert_true (gst_structure_get_uint64 (synced, "base-time", &v));
  g_assert_cmpuint (v, ==, 10 * SPACING);
  g_assert_true (gst_structure_get_uint64 (synced, "sr-ext-rtptime", &v));
  g_assert_cmpuint (v, ==, base + 9000);
  g_assert_true (gst_structure_get_uint (synced, "clock-rate", &rate));
  g_assert_cmpuint (rate, ==, 90000);
  g_assert_true (gst_structure_has_field (synced, "sr-buffer"));
  gst_structure_free (synced);

  g_object_set (h->element, "ts-offset", (gint64) 7 * GST_MSECOND, NULL);
  push (h, 11);
  buf = expect (h, 11);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 11 * SPACING + 7 * GST_MSECOND);
  gst_buffer_unref (buf);
  gst_element_release_request_pad (h->element, rtcp);
  gst_object_unref (rtcp);
  gst_harness_teardown (h);
}

/* The sender's RTP clock jumps 10 s ahead of arrival (as it does
 * against running time when a live viewer is paused and resumed): the
 * next packets get times by their arrival at once, not 10 s in the
 * future slewing back 4 ms a frame. */
static void
test_timeline_shift_resyncs (void)
{
  GstHarness *h = harness_new (FALSE);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *buf;
  guint16 seq;

  for (seq = 0; seq < 10; seq++) {
    push (h, seq);
    gst_buffer_unref (expect (h, seq));
  }
  for (seq = 10; seq < 13; seq++) {
    buf = packet (seq);
    gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
    gst_rtp_buffer_set_timestamp (&rtp, seq * RTP_STEP + 10 * 90000);
    gst_rtp_buffer_unmap (&rtp);
    g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
    buf = expect (h, seq);
    g_assert_cmpuint (GST_BUFFER_PTS (buf), <=, seq * SPACING + SPACING);
    g_assert_cmpuint (GST_BUFFER_PTS (buf) + SPACING, >=, seq * SPACING);
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/jitter-buffer/in-order-on-pushing-thread",
      test_in_order_on_pushing_thread);
  g_test_add_func ("/p2p/jitter-buffer/gap-requested-then-lost",
      test_gap_requested_then_lost);
  g_test_add_func ("/p2p/jitter-buffer/late-burst-gets-full-latency",
      test_late_burst_gets_full_latency);
  g_test_add_func ("/p2p/jitter-buffer/timeline-shift-resyncs",
      test_timeline_shift_resyncs);
  g_test_add_func ("/p2p/jitter-buffer/reorder-and-duplicates",
      test_reorder_and_duplicates);
  g_test_add_func ("/p2p/jitter-buffer/eos-drains", test_eos_drains);
  g_test_add_func ("/p2p/jitter-buffer/flush-resets", test_flush_resets);
  g_test_add_func ("/p2p/jitter-buffer/far-jump-restarts",
      test_far_jump_restarts);
  g_test_add_func ("/p2p/jitter-buffer/latency-query", test_latency_query);
  g_test_add_func ("/p2p/jitter-buffer/handle-sync-and-ts-offset",
      test_handle_sync_and_ts_offset);
  return g_test_run ();
}
