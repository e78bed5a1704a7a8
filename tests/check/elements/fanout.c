/* The camera's fan-out without a pipeline: keyframes for joining viewers,
 * the keyframe rate limit, retransmission to the asking viewer alone.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "gstp2pfanout.h"
#include "gstp2pcodecs.h"

#define SSRC 0x11223344

typedef struct
{
  gpointer target;
  gboolean is_rtcp;
  GBytes *packet;
} Sent;

typedef struct
{
  GstP2pFanout *fanout;
  GPtrArray *sent;
  guint keyframes;
  guint last_count;
  GArray *lists;                /* guint: lengths of the lists sent */
} Fixture;

static gint64 fake_now;

static gint64
fake_clock (void)
{
  return fake_now;
}

static void
sent_free (Sent * sent)
{
  g_bytes_unref (sent->packet);
  g_free (sent);
}

static void
on_send (gpointer target, gboolean is_rtcp, const guint8 * data, gsize size,
    gpointer user_data)
{
  Fixture *f = user_data;
  Sent *sent = g_new0 (Sent, 1);

  sent->target = target;
  sent->is_rtcp = is_rtcp;
  sent->packet = g_bytes_new (data, size);
  g_ptr_array_add (f->sent, sent);
}

/* The send-list function: records each packet as on_send() does, and
 * the list's length. */
static void
on_send_list (gpointer target, const guint8 * const *data,
    const gsize * sizes, guint n, gpointer user_data)
{
  Fixture *f = user_data;
  guint i;

  g_array_append_val (f->lists, n);
  for (i = 0; i < n; i++)
    on_send (target, FALSE, data[i], sizes[i], user_data);
}

static void
on_keyframe (guint count, const gchar * why, gpointer user_data)
{
  Fixture *f = user_data;

  f->keyframes++;
  f->last_count = count;
}

static void
setup (Fixture * f, gconstpointer data)
{
  fake_now = 1000 * G_USEC_PER_SEC;
  f->sent = g_ptr_array_new_with_free_func ((GDestroyNotify) sent_free);
  f->lists = g_array_new (FALSE, FALSE, sizeof (guint));
  f->fanout = gst_p2p_fanout_new (on_send, on_keyframe, f);
  gst_p2p_fanout_set_clock (f->fanout, fake_clock);
  gst_p2p_fanout_add_stream (f->fanout, GST_P2P_FANOUT_VIDEO, 64);
}

static void
teardown (Fixture * f, gconstpointer data)
{
  gst_p2p_fanout_free (f->fanout);
  g_ptr_array_unref (f->sent);
  g_array_unref (f->lists);
}

/* One frame of @n packets starting at @seq, as the payloader pushes it. */
static void
push_frame (Fixture * f, gboolean key, guint16 seq, guint n)
{
  guint i;

  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, key);
  for (i = 0; i < n; i++) {
    guint8 pkt[100] = { 0x80, 96 };

    GST_WRITE_UINT16_BE (pkt + 2, seq + i);
    GST_WRITE_UINT32_BE (pkt + 8, SSRC);
    memset (pkt + 12, seq + i, sizeof (pkt) - 12);
    gst_p2p_fanout_push_rtp (f->fanout, GST_P2P_FANOUT_VIDEO, pkt,
        sizeof (pkt));
  }
}

/* The same as one buffer list, as rtpbin passes a payloader's list on;
 * packets of @bad_size (if not 0) in the middle are not RTP to keep. */
static void
push_frame_list (Fixture * f, gboolean key, guint16 seq, guint n,
    gsize bad_size)
{
  g_autofree guint8 *pkts = g_malloc0 (n * 100);
  const guint8 **data = g_new (const guint8 *, n);
  gsize *sizes = g_new (gsize, n);
  guint i;

  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, key);
  for (i = 0; i < n; i++) {
    guint8 *pkt = pkts + i * 100;

    pkt[0] = 0x80;
    pkt[1] = 96;
    GST_WRITE_UINT16_BE (pkt + 2, seq + i);
    GST_WRITE_UINT32_BE (pkt + 8, SSRC);
    memset (pkt + 12, seq + i, 100 - 12);
    data[i] = pkt;
    sizes[i] = bad_size && i == n / 2 ? bad_size : 100;
  }
  gst_p2p_fanout_push_rtp_list (f->fanout, GST_P2P_FANOUT_VIDEO, data, sizes,
      n);
  g_free (data);
  g_free (sizes);
}

static guint
count_sent (Fixture * f, gpointer target)
{
  guint i, n = 0;

  for (i = 0; i < f->sent->len; i++)
    n += ((Sent *) g_ptr_array_index (f->sent, i))->target == target;
  return n;
}

static GBytes *
make_nack (guint16 seq)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint8 *fci;
  GstMapInfo map;
  GBytes *bytes;

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, 0x55);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RTPFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_RTPFB_TYPE_NACK);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0x55);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, SSRC);
  gst_rtcp_packet_fb_set_fci_length (&packet, 1);
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  GST_WRITE_UINT16_BE (fci, seq);
  GST_WRITE_UINT16_BE (fci + 2, 0);
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return bytes;
}

static gboolean
send_nack (Fixture * f, gpointer target, guint16 seq)
{
  g_autoptr (GBytes) nack = make_nack (seq);

  return gst_p2p_fanout_feedback (f->fanout, target, g_bytes_get_data (nack,
          NULL), g_bytes_get_size (nack));
}

static void
test_join_waits_for_keyframe (Fixture * f, gconstpointer data)
{
  gint a;

  push_frame (f, TRUE, 100, 3);
  gst_p2p_fanout_add (f->fanout, &a);
  /* Joining asks for a keyframe at once. */
  g_assert_cmpuint (f->keyframes, ==, 1);
  push_frame (f, FALSE, 103, 3);
  g_assert_cmpuint (count_sent (f, &a), ==, 0);
  push_frame (f, TRUE, 106, 3);
  g_assert_cmpuint (count_sent (f, &a), ==, 3);
  push_frame (f, FALSE, 109, 2);
  g_assert_cmpuint (count_sent (f, &a), ==, 5);
  g_assert_cmpuint (gst_p2p_fanout_get_n_targets (f->fanout), ==, 1);
  g_assert_true (gst_p2p_fanout_remove (f->fanout, &a));
  push_frame (f, TRUE, 111, 2);
  g_assert_cmpuint (count_sent (f, &a), ==, 5);
}

static void
test_keyframe_rate_limit (Fixture * f, gconstpointer data)
{
  static const guint8 pli[] = { 0x81, 206, 0, 2, 0, 0, 0, 0x55,
    0x11, 0x22, 0x33, 0x44
  };
  gint a, b;

  gst_p2p_fanout_add (f->fanout, &a);
  g_assert_cmpuint (f->keyframes, ==, 1);
  /* PLIs within the interval share the first request. */
  g_assert_true (gst_p2p_fanout_feedback (f->fanout, &a, pli, sizeof (pli)));
  fake_now += 100 * G_TIME_SPAN_MILLISECOND;
  gst_p2p_fanout_feedback (f->fanout, &a, pli, sizeof (pli));
  g_assert_cmpuint (f->keyframes, ==, 1);
  /* A joining viewer waits for a pending keyframe, not for the interval. */
  gst_p2p_fanout_add (f->fanout, &b);
  g_assert_cmpuint (f->keyframes, ==, 1);
  push_frame (f, TRUE, 1, 1);
  gst_p2p_fanout_feedback (f->fanout, &a, pli, sizeof (pli));
  g_assert_cmpuint (f->keyframes, ==, 1);
  fake_now += 400 * G_TIME_SPAN_MILLISECOND;
  gst_p2p_fanout_feedback (f->fanout, &a, pli, sizeof (pli));
  g_assert_cmpuint (f->keyframes, ==, 2);
  g_assert_cmpuint (f->last_count, ==, 2);
}

/* A viewer that lost packets just after a keyframe request asks once; its
 * PLI, held back by the rate limit, still gets a keyframe when the limit
 * allows, not at the encoder's next scheduled keyframe. */
static void
test_held_back_pli_served (Fixture * f, gconstpointer data)
{
  static const guint8 pli[] = { 0x81, 206, 0, 2, 0, 0, 0, 0x55,
    0x11, 0x22, 0x33, 0x44
  };
  gint a;

  gst_p2p_fanout_add (f->fanout, &a);
  push_frame (f, TRUE, 1, 2);
  g_assert_cmpuint (f->keyframes, ==, 1);
  fake_now += 100 * G_TIME_SPAN_MILLISECOND;
  gst_p2p_fanout_feedback (f->fanout, &a, pli, sizeof (pli));
  push_frame (f, FALSE, 3, 2);
  g_assert_cmpuint (f->keyframes, ==, 1);
  fake_now += 450 * G_TIME_SPAN_MILLISECOND;
  push_frame (f, FALSE, 5, 2);
  g_assert_cmpuint (f->keyframes, ==, 2);
  /* Served: nothing more is asked. */
  push_frame (f, TRUE, 7, 2);
  fake_now += 600 * G_TIME_SPAN_MILLISECOND;
  push_frame (f, FALSE, 9, 2);
  g_assert_cmpuint (f->keyframes, ==, 2);
}

static void
test_nack_to_asker_only (Fixture * f, gconstpointer data)
{
  gint a, b;
  const guint8 *rtx;
  gsize size;
  Sent *sent;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  push_frame (f, TRUE, 500, 4);
  g_ptr_array_set_size (f->sent, 0);

  g_assert_true (send_nack (f, &b, 502));
  g_assert_cmpuint (f->sent->len, ==, 1);
  sent = g_ptr_array_index (f->sent, 0);
  g_assert_true (sent->target == &b);
  rtx = g_bytes_get_data (sent->packet, &size);
  /* RFC 4588: RTX payload type and SSRC, original sequence number first. */
  g_assert_cmpuint (size, ==, 102);
  g_assert_cmpuint (rtx[1] & 0x7f, ==, GST_P2P_PT_VIDEO_RTX);
  g_assert_cmpuint (GST_READ_UINT32_BE (rtx + 8), !=, SSRC);
  g_assert_cmpuint (GST_READ_UINT16_BE (rtx + 12), ==, 502);
  g_assert_cmpuint (rtx[14], ==, (guint8) 502);

  /* Gone from the history: nothing. */
  push_frame (f, TRUE, 600, 64);
  g_ptr_array_set_size (f->sent, 0);
  send_nack (f, &a, 502);
  g_assert_cmpuint (f->sent->len, ==, 0);

  {
    GstP2pFanoutStats st;

    g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &b, &st));
    g_assert_cmpuint (st.retransmissions, ==, 1);
    g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
    g_assert_cmpuint (st.retransmissions, ==, 0);
  }
}

/* The stream goes (its pad released) while feedback still arrives on the
 * network thread: nothing is read from the freed history. */
static void
test_feedback_after_stream_removed (Fixture * f, gconstpointer data)
{
  gint a;

  gst_p2p_fanout_add (f->fanout, &a);
  push_frame (f, TRUE, 10, 2);
  g_ptr_array_set_size (f->sent, 0);
  gst_p2p_fanout_remove_stream (f->fanout, GST_P2P_FANOUT_VIDEO);
  send_nack (f, &a, 10);
  push_frame (f, TRUE, 12, 2);
  g_assert_cmpuint (f->sent->len, ==, 0);
}

/* A viewer that is not admitted gets nothing for its NACKs. */
static void
test_nack_from_stranger (Fixture * f, gconstpointer data)
{
  gint a, stranger;

  gst_p2p_fanout_add (f->fanout, &a);
  push_frame (f, TRUE, 10, 2);
  g_ptr_array_set_size (f->sent, 0);
  send_nack (f, &stranger, 10);
  g_assert_cmpuint (f->sent->len, ==, 0);
}

/* Lists keep the per-packet rules (a joining viewer starts at a keyframe,
 * every packet is kept for NACKs) and reach each viewer as lists of at
 * most 64, without the packets that are not RTP. */
static void
test_lists (Fixture * f, gconstpointer data)
{
  gint a, b;
  guint i;

  gst_p2p_fanout_set_send_list (f->fanout, on_send_list);
  gst_p2p_fanout_add (f->fanout, &a);
  push_frame_list (f, TRUE, 1000, 10, 0);
  gst_p2p_fanout_add (f->fanout, &b);
  push_frame_list (f, FALSE, 1010, 10, 0);
  g_assert_cmpuint (count_sent (f, &a), ==, 20);
  g_assert_cmpuint (count_sent (f, &b), ==, 0);
  push_frame_list (f, TRUE, 1020, 70, 8);
  g_assert_cmpuint (count_sent (f, &a), ==, 89);
  g_assert_cmpuint (count_sent (f, &b), ==, 69);
  /* a: 10, 10, then 69 in 64 + 5; b: 64 + 5. */
  g_assert_cmpuint (f->lists->len, ==, 6);
  for (i = 0; i < f->lists->len; i++)
    g_assert_cmpuint (g_array_index (f->lists, guint, i), <=, 64);
  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);
    const guint8 *p = g_bytes_get_data (sent->packet, NULL);

    g_assert_cmpuint (g_bytes_get_size (sent->packet), ==, 100);
    g_assert_cmpuint (p[20], ==, (guint8) GST_READ_UINT16_BE (p + 2));
  }
  g_ptr_array_set_size (f->sent, 0);
  g_assert_true (send_nack (f, &b, 1080));
  g_assert_cmpuint (f->sent->len, ==, 1);
}

/* One packet with a transport-wide sequence number slot, as a payloader
 * with the extension makes it: the payloader's own number (0xdead) is
 * never what a viewer gets. */
static void
push_twcc_packet (Fixture * f, guint16 seq, gsize size)
{
  guint8 pkt[1200] = { 0x90, 96 };

  g_assert_cmpuint (size, <=, sizeof (pkt));
  GST_WRITE_UINT16_BE (pkt + 2, seq);
  GST_WRITE_UINT32_BE (pkt + 8, SSRC);
  GST_WRITE_UINT16_BE (pkt + 12, 0xbede);
  GST_WRITE_UINT16_BE (pkt + 14, 1);
  pkt[16] = (GST_P2P_TWCC_EXT_ID << 4) | 1;
  GST_WRITE_UINT16_BE (pkt + 17, 0xdead);
  gst_p2p_fanout_push_rtp (f->fanout, GST_P2P_FANOUT_VIDEO, pkt, size);
}

/* Transport-wide feedback: @n packets from @base, each received
 * @delta_ms after the previous one, or (@delta_ms 0) none received. */
static gboolean
send_transport_cc (Fixture * f, gpointer target, guint16 base, guint n,
    guint delta_ms)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint8 *fci;
  GstMapInfo map;
  guint i, len = 8 + 2 + (delta_ms ? n : 0);
  gboolean ok;

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RTPFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_RTPFB_TYPE_TWCC);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0x55);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, SSRC);
  g_assert_true (gst_rtcp_packet_fb_set_fci_length (&packet, (len + 3) / 4));
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  memset (fci, 0, 4 * ((len + 3) / 4));
  GST_WRITE_UINT16_BE (fci, base);
  GST_WRITE_UINT16_BE (fci + 2, n);
  GST_WRITE_UINT24_BE (fci + 4, 100);
  /* One run-length chunk: all small deltas (1), or all lost (0). */
  GST_WRITE_UINT16_BE (fci + 8, ((delta_ms ? 1 : 0) << 13) | n);
  for (i = 0; delta_ms && i < n; i++)
    fci[10 + i] = delta_ms * 4;
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  ok = gst_p2p_fanout_feedback (f->fanout, target, map.data, map.size);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return ok;
}

static guint16
twcc_of (Sent * sent)
{
  return GST_READ_UINT16_BE ((const guint8 *) g_bytes_get_data (sent->packet,
          NULL) + 17);
}

/* Each viewer has its own transport-wide sequence, with no gap, from the
 * first packet it gets: its feedback speaks of what it was sent, not of
 * what others were. Retransmissions count in it too. */
static void
test_transport_wide_sequence_per_viewer (Fixture * f, gconstpointer data)
{
  gint a, b;
  guint16 next_a = 0, next_b = 0;
  guint i;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, TRUE);
  for (i = 0; i < 5; i++)
    push_twcc_packet (f, 1000 + i, 200);
  gst_p2p_fanout_add (f->fanout, &b);
  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, TRUE);
  for (i = 5; i < 10; i++)
    push_twcc_packet (f, 1000 + i, 200);
  g_assert_true (send_nack (f, &b, 1007));

  g_assert_cmpuint (f->sent->len, ==, 16);
  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);

    if (sent->target == &a)
      g_assert_cmpuint (twcc_of (sent), ==, next_a++);
    else
      g_assert_cmpuint (twcc_of (sent), ==, next_b++);
  }
  g_assert_cmpuint (next_a, ==, 10);
  g_assert_cmpuint (next_b, ==, 6);
}

/* A viewer's transport-wide feedback moves its estimate alone: one that
 * receives everything is measured, one that loses everything is cut. */
static void
test_transport_cc_estimate (Fixture * f, gconstpointer data)
{
  GstP2pFanoutStats st_a, st_b;
  gint a, b;
  guint i;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, TRUE);
  for (i = 0; i < 100; i++) {
    push_twcc_packet (f, i, 1000);
    fake_now += 10 * G_TIME_SPAN_MILLISECOND;
  }
  g_assert_true (send_transport_cc (f, &a, 0, 100, 10));
  g_assert_true (send_transport_cc (f, &b, 0, 100, 0));

  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st_a));
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &b, &st_b));
  /* 1000 bytes every 10 ms. */
  g_assert_cmpuint (st_a.received_bitrate, >, 700000);
  g_assert_cmpuint (st_a.received_bitrate, <, 900000);
  g_assert_cmpuint (st_b.received_bitrate, ==, 0);
  g_assert_cmpuint (st_b.estimated_bitrate, <, st_a.estimated_bitrate);
  g_assert_cmpuint (gst_p2p_fanout_get_estimate (f->fanout, &b), ==,
      st_b.estimated_bitrate);
  g_assert_cmpuint (gst_p2p_fanout_get_estimate (f->fanout, &f), ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/p2p/fanout/join-waits-for-keyframe", test_join_waits_for_keyframe);
  ADD ("/p2p/fanout/keyframe-rate-limit", test_keyframe_rate_limit);
  ADD ("/p2p/fanout/held-back-pli-served", test_held_back_pli_served);
  ADD ("/p2p/fanout/nack-to-asker-only", test_nack_to_asker_only);
  ADD ("/p2p/fanout/feedback-after-stream-removed",
      test_feedback_after_stream_removed);
  ADD ("/p2p/fanout/nack-from-stranger", test_nack_from_stranger);
  ADD ("/p2p/fanout/lists", test_lists);
  ADD ("/p2p/fanout/transport-wide-sequence-per-viewer",
      test_transport_wide_sequence_per_viewer);
  ADD ("/p2p/fanout/transport-cc-estimate", test_transport_cc_estimate);
#undef ADD
  return g_test_run ();
}
