/* The camera's fan-out without a pipeline: keyframes for joining viewers,
 * the keyframe rate limit, retransmission to the asking viewer alone,
 * video layers (a viewer's move at a keyframe, its hysteresis), thinning
 * a viewer below the floor.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#include "gstp2pfanout.h"
#include "gstp2pcodecs.h"
#include "gstp2pfeedback.h"

#define SSRC 0x11223344
#define SSRC_SUB 0x55667788
#define SUB GST_P2P_FANOUT_VIDEO_1

typedef struct
{
  gpointer target;
  gboolean is_rtcp;
  GBytes *packet;
  gint64 at;
} Sent;

typedef struct
{
  GstP2pFanout *fanout;
  GPtrArray *sent;
  guint keyframes;
  guint last_count;
  GArray *lists;                /* guint: lengths of the lists sent */
  GstP2pFanoutStream last_stream;
  gint64 last_not_before;
  gboolean key_wanted[GST_P2P_FANOUT_N_STREAMS];
  gint64 key_from[GST_P2P_FANOUT_N_STREAMS];
  /* Layer moves: the viewer, then the layer. */
  GPtrArray *moves;
  /* Layers told on different timestamp bases: from, to, ticks apart. */
  GArray *bases_apart;
  guint32 video_ssrc;
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
  sent->at = fake_now;
  g_ptr_array_add (f->sent, sent);
  /* The SSRC viewers see on video, for their NACKs. */
  if (!is_rtcp && size >= 12 && (data[1] & 0x7f) == 96)
    f->video_ssrc = GST_READ_UINT32_BE (data + 8);
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
on_keyframe (GstP2pFanoutStream stream, guint count, gint64 not_before,
    const gchar * why, gpointer user_data)
{
  Fixture *f = user_data;

  f->keyframes++;
  f->last_count = count;
  f->last_stream = stream;
  f->last_not_before = not_before;
  f->key_wanted[stream] = TRUE;
  f->key_from[stream] = not_before;
}

static void
on_layer (gpointer target, guint layer, gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->moves, target);
  g_ptr_array_add (f->moves, GUINT_TO_POINTER (layer));
}

static void
on_bases_apart (guint from, guint to, gint32 apart, gpointer user_data)
{
  Fixture *f = user_data;
  gint told[3] = { from, to, apart };

  g_array_append_vals (f->bases_apart, told, 3);
}

static void
setup (Fixture * f, gconstpointer data)
{
  fake_now = 1000 * G_USEC_PER_SEC;
  f->sent = g_ptr_array_new_with_free_func ((GDestroyNotify) sent_free);
  f->lists = g_array_new (FALSE, FALSE, sizeof (guint));
  f->moves = g_ptr_array_new ();
  f->bases_apart = g_array_new (FALSE, FALSE, sizeof (gint));
  f->fanout = gst_p2p_fanout_new (on_send, on_keyframe, f);
  gst_p2p_fanout_set_clock (f->fanout, fake_clock);
  gst_p2p_fanout_set_layer_func (f->fanout, on_layer);
  gst_p2p_fanout_set_base_func (f->fanout, on_bases_apart);
  gst_p2p_fanout_add_stream (f->fanout, GST_P2P_FANOUT_VIDEO, 64);
}

static void
teardown (Fixture * f, gconstpointer data)
{
  gst_p2p_fanout_free (f->fanout);
  g_ptr_array_unref (f->sent);
  g_array_unref (f->lists);
  g_ptr_array_unref (f->moves);
  g_array_unref (f->bases_apart);
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

/* A NACK for the @n sequence numbers @seqs of the video stream viewers
 * see (@ssrc), after a receiver report on it saying @fraction (of 256)
 * was lost, or none if @fraction is negative. */
static GBytes *
make_report_nack (guint32 ssrc, gint fraction, const guint16 * seqs, guint n)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint8 *fci;
  GstMapInfo map;
  GBytes *bytes;
  guint i;

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, 0x55);
  if (fraction >= 0)
    g_assert_true (gst_rtcp_packet_add_rb (&packet, ssrc, fraction, 0, 0, 0,
            0, 0));
  g_assert_true (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RTPFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_RTPFB_TYPE_NACK);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0x55);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, ssrc);
  g_assert_true (gst_rtcp_packet_fb_set_fci_length (&packet, n));
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  for (i = 0; i < n; i++) {
    GST_WRITE_UINT16_BE (fci + 4 * i, seqs[i]);
    GST_WRITE_UINT16_BE (fci + 4 * i + 2, 0);
  }
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  bytes = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return bytes;
}

static GBytes *
make_nack (guint32 ssrc, const guint16 * seqs, guint n)
{
  return make_report_nack (ssrc, -1, seqs, n);
}

static gboolean
send_bytes (Fixture * f, gpointer target, GBytes * bytes)
{
  return gst_p2p_fanout_feedback (f->fanout, target, g_bytes_get_data (bytes,
          NULL), g_bytes_get_size (bytes));
}

static gboolean
send_nacks (Fixture * f, gpointer target, const guint16 * seqs, guint n)
{
  g_autoptr (GBytes) nack = make_nack (f->video_ssrc, seqs, n);

  return send_bytes (f, target, nack);
}

static gboolean
send_nack (Fixture * f, gpointer target, guint16 seq)
{
  return send_nacks (f, target, &seq, 1);
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
  pkt[17] = 0xde;
  pkt[18] = 0xad;
  gst_p2p_fanout_push_rtp (f->fanout, GST_P2P_FANOUT_VIDEO, pkt, size);
}

/* Transport-wide feedback packet number @count: @n packets from @base,
 * the first at @ref × 64 ms, each received @delta_ms after the previous
 * one, or (@delta_ms 0) none received. */
/* Into @rtcp (mapped), transport-wide feedback packet number @count on @n
 * packets from @base, reference time @ref × 64 ms, with @len bytes of
 * FCI: returns the FCI, its header written, to fill from byte 8 on. */
static guint8 *
transport_cc_begin (GstRTCPBuffer * rtcp, guint16 base, guint n, guint ref,
    guint8 count, guint len)
{
  GstRTCPPacket packet;
  guint8 *fci;

  g_assert_true (gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_RTPFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_RTPFB_TYPE_TWCC);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0x55);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, SSRC);
  g_assert_true (gst_rtcp_packet_fb_set_fci_length (&packet, (len + 3) / 4));
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  memset (fci, 0, 4 * ((len + 3) / 4));
  GST_WRITE_UINT16_BE (fci, base);
  GST_WRITE_UINT16_BE (fci + 2, n);
  GST_WRITE_UINT24_BE (fci + 4, ref);
  fci[7] = count;
  return fci;
}

/* Unmaps @rtcp and hands @buf to the fan-out as @target's feedback. */
static gboolean
transport_cc_send (Fixture * f, gpointer target, GstBuffer * buf,
    GstRTCPBuffer * rtcp)
{
  GstMapInfo map;
  gboolean ok;

  gst_rtcp_buffer_unmap (rtcp);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  ok = gst_p2p_fanout_feedback (f->fanout, target, map.data, map.size);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return ok;
}

/* The bytes of f->sent to @target with payload type @pt. */
static guint64
bytes_sent (Fixture * f, gpointer target, guint pt)
{
  guint64 bytes = 0;
  guint i;

  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);
    gsize size;
    const guint8 *p = g_bytes_get_data (sent->packet, &size);

    if (sent->target == target && !sent->is_rtcp && size >= 12
        && (p[1] & 0x7f) == pt)
      bytes += size;
  }
  return bytes;
}

/* Security: a viewer that asks for every packet in the history again and
 * again (a NACK of 64 packets every 11 ms, just past the wait for
 * repeats) gets at most a quarter of its video in retransmissions, plus
 * 64 KB; the rest is refused, and counted. */
static void
test_nack_flood_bounded (Fixture * f, gconstpointer data)
{
  GstP2pFanoutStats st;
  guint64 media, rtx;
  guint16 seqs[64];
  guint frame, i, j;
  gint a;

  gst_p2p_fanout_add (f->fanout, &a);
  /* 10 s at 30 frames a second, 10 packets a frame. */
  for (frame = 0; frame < 300; frame++) {
    guint16 first = 1000 + frame * 10;

    push_frame (f, frame % 30 == 0, first, 10);
    for (i = 0; i < 3; i++) {
      for (j = 0; j < G_N_ELEMENTS (seqs); j++)
        seqs[j] = first + 10 - G_N_ELEMENTS (seqs) + j;
      g_assert_true (send_nacks (f, &a, seqs, G_N_ELEMENTS (seqs)));
      fake_now += 11 * G_TIME_SPAN_MILLISECOND;
    }
  }
  media = bytes_sent (f, &a, 96);
  rtx = bytes_sent (f, &a, GST_P2P_PT_VIDEO_RTX);
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
  g_test_message ("NACK flood over 10 s: %" G_GUINT64_FORMAT " bytes of "
      "video, %" G_GUINT64_FORMAT " of RTX (%" G_GUINT64_FORMAT " sent, %"
      G_GUINT64_FORMAT " refused)", media, rtx, st.retransmissions,
      st.retransmissions_refused);
  g_assert_cmpuint (media, ==, 300 * 10 * 100);
  g_assert_cmpuint (rtx, >, 0);
  g_assert_cmpuint (rtx, <=, media + 64 * 1024);
  g_assert_cmpuint (st.retransmissions_refused, >, 0);
  g_assert_cmpuint (st.retransmissions * 102, ==, rtx);
}

/* Security: a viewer flooding RTCP (10 packets a millisecond for 2 s,
 * each a receiver report and a NACK for the whole history) has at most
 * 500 packets and 64 KB of it read a second, with a second's worth at
 * once: the rest is dropped unread, and counted. Its last packet, the
 * same size as one just dropped, reports a loss that does not show.
 * Another viewer's RTCP is read meanwhile, and so is the flooder's a
 * second after the flood. */
static void
test_rtcp_flood_bounded (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) flood = NULL;
  g_autoptr (GBytes) last = NULL;
  g_autoptr (GBytes) other = NULL;
  GstP2pFanoutStats st;
  guint16 seqs[64];
  guint i, sent = 0, read = 0;
  guint64 read_bytes = 0;
  gboolean dropped = FALSE;
  gint a, b;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  push_frame (f, TRUE, 1000, 64);
  for (i = 0; i < G_N_ELEMENTS (seqs); i++)
    seqs[i] = 1000 + i;
  flood = make_report_nack (f->video_ssrc, 0, seqs, G_N_ELEMENTS (seqs));
  last = make_report_nack (f->video_ssrc, 128, seqs, G_N_ELEMENTS (seqs));
  other = make_report_nack (f->video_ssrc, 64, seqs, 1);
  for (i = 0; i < 20000 || (!dropped && i < 30000); i++) {
    if (i % 10 == 0)
      fake_now += G_TIME_SPAN_MILLISECOND;
    dropped = !send_bytes (f, &a, flood);
    if (!dropped) {
      read++;
      read_bytes += g_bytes_get_size (flood);
    }
    sent++;
  }
  g_assert_false (send_bytes (f, &a, last));
  sent++;
  g_assert_true (send_bytes (f, &b, other));
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
  g_test_message ("RTCP flood of %u packets over 2 s: %u read (%"
      G_GUINT64_FORMAT " bytes), %" G_GUINT64_FORMAT " dropped; %"
      G_GUINT64_FORMAT " retransmissions, %" G_GUINT64_FORMAT " refused",
      sent, read, read_bytes, st.rtcp_dropped, st.retransmissions,
      st.retransmissions_refused);
  g_assert_cmpuint (read, >, 0);
  g_assert_cmpuint (read, <=, 3 * 500);
  g_assert_cmpuint (read_bytes, <=, 3 * 64 * 1024);
  g_assert_cmpuint (st.rtcp_dropped, ==, sent - read);
  g_assert_cmpfloat (st.fraction_lost, ==, 0);
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &b, &st));
  g_assert_cmpfloat (st.fraction_lost, ==, 0.25);
  g_assert_cmpuint (st.rtcp_dropped, ==, 0);

  fake_now += G_USEC_PER_SEC;
  g_assert_true (send_bytes (f, &a, last));
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
  g_assert_cmpfloat (st.fraction_lost, ==, 0.5);
}

/* Ordinary loss recovery is not held back by the budget: over a minute
 * at 10 % loss, every lost packet asked for a frame later, and one in
 * three asked for again a frame after that (its retransmission lost too),
 * is retransmitted each time: some 250 KB, beyond what the budget holds at
 * the start. A NACK repeated at once (two feedback packets
 * with the same loss) gets one retransmission. */
static void
test_nack_loss_served (Fixture * f, gconstpointer data)
{
  GstP2pFanoutStats st;
  guint16 lost[2], again[2];
  guint frame, asked = 0, n_again = 0;
  gint a;

  gst_p2p_fanout_add (f->fanout, &a);
  for (frame = 0; frame < 30 * 60; frame++) {
    guint16 first = 1000 + frame * 10;

    push_frame (f, frame % 30 == 0, first, 10);
    if (n_again > 0)
      g_assert_true (send_nacks (f, &a, again, n_again));
    asked += n_again;
    n_again = 0;
    if (frame > 0) {
      /* The previous frame's packet lost. */
      lost[0] = first - 10 + frame % 10;
      g_assert_true (send_nacks (f, &a, lost, 1));
      g_assert_true (send_nacks (f, &a, lost, 1));
      asked++;
      if (frame % 3 == 0)
        again[n_again++] = lost[0];
    }
    fake_now += G_USEC_PER_SEC / 30;
  }
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
  g_test_message ("10 %% loss over 60 s: %u asked for, %" G_GUINT64_FORMAT
      " retransmitted, %" G_GUINT64_FORMAT " refused", asked,
      st.retransmissions, st.retransmissions_refused);
  g_assert_cmpuint (asked * 102, >, 64 * 1024);
  g_assert_cmpuint (st.retransmissions, ==, asked);
  g_assert_cmpuint (st.retransmissions_refused, ==, 0);
}

static gboolean
send_transport_cc_counted (Fixture * f, gpointer target, guint16 base,
    guint n, guint ref, guint delta_ms, guint8 count)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  guint8 *fci;
  guint i;

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  fci = transport_cc_begin (&rtcp, base, n, ref, count,
      8 + 2 + (delta_ms ? n : 0));
  /* One run-length chunk: all small deltas (1), or all lost (0). */
  GST_WRITE_UINT16_BE (fci + 8, ((delta_ms ? 1 : 0) << 13) | n);
  for (i = 0; delta_ms && i < n; i++)
    fci[10 + i] = delta_ms * 4;
  return transport_cc_send (f, target, buf, &rtcp);
}

/* Transport-wide feedback, always numbered 0 (as if every feedback packet
 * but one were lost: no gap is taken as loss). */
static gboolean
send_transport_cc (Fixture * f, gpointer target, guint16 base, guint n,
    guint ref, guint delta_ms)
{
  return send_transport_cc_counted (f, target, base, n, ref, delta_ms, 0);
}

static guint16
twcc_of (Sent * sent)
{
  const guint8 *p = g_bytes_get_data (sent->packet, NULL);

  /* Byte by byte: the field is at an odd offset. */
  return (p[17] << 8) | p[18];
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

/* The packet @sent to a viewer is @orig (@size bytes, no extension)
 * with the transport-wide sequence number @twcc put in, as a one-byte
 * header extension after the fixed header; SSRC and sequence number are
 * the viewer's, everything else as it was. */
static void
assert_twcc_inserted (Sent * sent, const guint8 * orig, gsize size,
    guint16 twcc)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (sent->packet, &len);

  g_assert_cmpuint (len, ==, size + 8);
  g_assert_cmpuint (p[0], ==, orig[0] | 0x10);
  g_assert_cmpuint (p[1], ==, orig[1]);
  g_assert_cmpmem (p + 4, 4, orig + 4, 4);
  g_assert_cmpuint (GST_READ_UINT16_BE (p + 12), ==, 0xbede);
  g_assert_cmpuint (GST_READ_UINT16_BE (p + 14), ==, 1);
  g_assert_cmpuint (p[16], ==, (GST_P2P_TWCC_EXT_ID << 4) | 1);
  g_assert_cmpuint (twcc_of (sent), ==, twcc);
  g_assert_cmpuint (p[19], ==, 0);
  g_assert_cmpmem (p + 20, len - 20, orig + 12, size - 12);
}

/* With the fan-out adding the extension (the payloaders write none), two
 * viewers sharing the same packets each get their own numbers in their
 * own copies, the payload intact; the history keeps the packets as they
 * came, so that a retransmission carries the original payload (and a
 * number of its own); a packet too large for 8 bytes more leaves as it
 * came, and one with the extension already keeps its size. */
static void
test_twcc_extension_added (Fixture * f, gconstpointer data)
{
  static const gsize sizes[] = { 300, 1392, 1393, 12 };
  guint8 pkts[G_N_ELEMENTS (sizes)][1400];
  const guint8 *list[G_N_ELEMENTS (sizes)];
  guint16 next_a = 0, next_b = 0, b_seq = 0;
  gint a, b;
  gsize len;
  const guint8 *p;
  Sent *rtx;
  guint i;

  gst_p2p_fanout_set_send_list (f->fanout, on_send_list);
  gst_p2p_fanout_set_twcc_extension (f->fanout, TRUE);
  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, TRUE);
  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    guint j;

    memset (pkts[i], 0, sizeof (pkts[i]));
    pkts[i][0] = 0x80;
    pkts[i][1] = 96 | (i == 1 ? 0x80 : 0);
    GST_WRITE_UINT16_BE (pkts[i] + 2, 500 + i);
    GST_WRITE_UINT32_BE (pkts[i] + 4, 90000);
    GST_WRITE_UINT32_BE (pkts[i] + 8, SSRC);
    for (j = 12; j < sizes[i]; j++)
      pkts[i][j] = j * 7 + i;
    list[i] = pkts[i];
  }
  gst_p2p_fanout_push_rtp_list (f->fanout, GST_P2P_FANOUT_VIDEO, list, sizes,
      G_N_ELEMENTS (sizes));

  g_assert_cmpuint (f->sent->len, ==, 2 * G_N_ELEMENTS (sizes));
  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);
    guint k = i % G_N_ELEMENTS (sizes);

    if (sizes[k] == 1393) {
      /* No room: as it came (but for the viewer's SSRC), uncounted. */
      p = g_bytes_get_data (sent->packet, &len);
      g_assert_cmpuint (len, ==, sizes[k]);
      g_assert_cmpuint (p[0], ==, 0x80);
      g_assert_cmpmem (p + 12, len - 12, pkts[k] + 12, sizes[k] - 12);
      continue;
    }
    assert_twcc_inserted (sent, pkts[k], sizes[k],
        sent->target == &a ? next_a++ : next_b++);
    if (sent->target == &b && k == 0)
      b_seq = GST_READ_UINT16_BE ((const guint8 *)
          g_bytes_get_data (sent->packet, NULL) + 2);
  }
  g_assert_cmpuint (next_a, ==, 3);
  g_assert_cmpuint (next_b, ==, 3);

  /* b lost the first packet: its retransmission comes from the history,
   * which the viewers' copies did not touch, with b's next number. */
  g_ptr_array_set_size (f->sent, 0);
  g_assert_true (send_nack (f, &b, b_seq));
  g_assert_cmpuint (f->sent->len, ==, 1);
  rtx = g_ptr_array_index (f->sent, 0);
  g_assert_true (rtx->target == &b);
  p = g_bytes_get_data (rtx->packet, &len);
  g_assert_cmpuint (len, ==, sizes[0] + 2 + 8);
  g_assert_cmpuint (p[1] & 0x7f, ==, GST_P2P_PT_VIDEO_RTX);
  g_assert_cmpuint (twcc_of (rtx), ==, next_b);
  g_assert_cmpuint (GST_READ_UINT16_BE (p + 20), ==, b_seq);
  g_assert_cmpmem (p + 22, len - 22, pkts[0] + 12, sizes[0] - 12);

  /* A packet with the extension already: numbered, not extended again. */
  g_ptr_array_set_size (f->sent, 0);
  push_twcc_packet (f, 500 + G_N_ELEMENTS (sizes), 200);
  g_assert_cmpuint (f->sent->len, ==, 2);
  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);

    g_assert_cmpuint (g_bytes_get_size (sent->packet), ==, 200);
    g_assert_cmpuint (twcc_of (sent), ==, sent->target == &a ? 3 : 4);
  }
}

/* Viewers @a and @b join; @n packets of 1000 bytes follow from a
 * keyframe on, packet i leaving i × @every_us / @per after the first. */
static void
join_two_and_push (Fixture * f, gint * a, gint * b, guint n, gint64 every_us,
    guint per)
{
  gint64 start = fake_now;
  guint i;

  gst_p2p_fanout_add (f->fanout, a);
  gst_p2p_fanout_add (f->fanout, b);
  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, TRUE);
  for (i = 0; i < n; i++) {
    fake_now = start + i * every_us / per;
    push_twcc_packet (f, i, 1000);
  }
  fake_now = start + n * every_us / per;
}

/* A viewer's transport-wide feedback moves its estimate alone: one that
 * receives everything is measured, one that loses everything is cut. */
static void
test_transport_cc_estimate (Fixture * f, gconstpointer data)
{
  GstP2pFanoutStats st_a, st_b;
  gint a, b;

  join_two_and_push (f, &a, &b, 250, 10 * G_TIME_SPAN_MILLISECOND, 1);
  g_assert_true (send_transport_cc (f, &a, 0, 250, 100, 10));
  g_assert_true (send_transport_cc (f, &b, 0, 250, 100, 0));

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

/* Layers: main (GST_P2P_FANOUT_VIDEO) and sub (SUB). */
static void
setup_layers (Fixture * f, gconstpointer data)
{
  setup (f, data);
  gst_p2p_fanout_add_stream (f->fanout, SUB, 64);
}

/* One frame of @n packets of @size bytes on a layer; the payload names
 * the layer and the layer's sequence number. */
static void
push_layer (Fixture * f, GstP2pFanoutStream stream, gboolean key,
    guint16 seq, guint32 ts, guint n, gsize size)
{
  guint i;

  gst_p2p_fanout_input (f->fanout, stream, key);
  for (i = 0; i < n; i++) {
    guint8 pkt[1200] = { 0x80, 96 };

    g_assert_cmpuint (size, <=, sizeof (pkt));
    if (i == n - 1)
      pkt[1] |= 0x80;
    GST_WRITE_UINT16_BE (pkt + 2, seq + i);
    GST_WRITE_UINT32_BE (pkt + 4, ts);
    GST_WRITE_UINT32_BE (pkt + 8, stream == SUB ? SSRC_SUB : SSRC);
    pkt[12] = stream;
    pkt[13] = (guint16) (seq + i) >> 8;
    pkt[14] = (seq + i) & 0xff;
    gst_p2p_fanout_push_rtp (f->fanout, stream, pkt, size);
  }
}

/* What @target got on video, in order: its sequence numbers run on
 * without a gap under the one SSRC viewers see. Returns the number of
 * packets. */
static guint
check_continuous (Fixture * f, gpointer target)
{
  guint i, n = 0;
  guint16 next = 0;

  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);
    const guint8 *pkt = g_bytes_get_data (sent->packet, NULL);

    if (sent->target != target || sent->is_rtcp
        || (pkt[1] & 0x7f) == GST_P2P_PT_VIDEO_RTX)
      continue;
    g_assert_cmpuint (GST_READ_UINT32_BE (pkt + 8), ==, f->video_ssrc);
    if (n > 0)
      g_assert_cmpuint (GST_READ_UINT16_BE (pkt + 2), ==, next);
    next = GST_READ_UINT16_BE (pkt + 2) + 1;
    n++;
  }
  return n;
}

/* The layer (payload byte) of the last packet @target got. */
static guint
last_layer (Fixture * f, gpointer target)
{
  guint i;

  for (i = f->sent->len; i > 0; i--) {
    Sent *sent = g_ptr_array_index (f->sent, i - 1);

    if (sent->target == target && !sent->is_rtcp)
      return ((const guint8 *) g_bytes_get_data (sent->packet, NULL))[12];
  }
  return G_MAXUINT;
}

/* Pinned to the sub layer, a viewer moves at the sub layer's keyframe, asked
 * for after the last frame it saw, once the main layer reached that
 * keyframe's time; its numbering runs on; the other viewer sees nothing of
 * it. */
static void
test_layer_pin_switch (Fixture * f, gconstpointer data)
{
  gint a, b;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  g_assert_cmpint (f->last_stream, ==, GST_P2P_FANOUT_VIDEO);
  push_layer (f, GST_P2P_FANOUT_VIDEO, TRUE, 100, 9000, 3, 100);
  push_layer (f, SUB, TRUE, 500, 9000, 1, 100);
  g_assert_cmpuint (count_sent (f, &a), ==, 3);
  g_assert_false (gst_p2p_fanout_pin_layer (f->fanout, &a, 2));
  g_assert_true (gst_p2p_fanout_pin_layer (f->fanout, &a, 1));
  g_assert_cmpint (f->last_stream, ==, SUB);
  g_assert_cmpint (f->last_not_before, ==, 9000 + 9000);

  /* No sub keyframe yet: a stays on main. */
  push_layer (f, SUB, FALSE, 501, 12000, 1, 100);
  push_layer (f, GST_P2P_FANOUT_VIDEO, FALSE, 103, 12000, 3, 100);
  g_assert_cmpuint (count_sent (f, &a), ==, 6);
  /* The sub keyframe, ahead of main: it waits for main to get there. */
  push_layer (f, SUB, TRUE, 502, 18000, 2, 100);
  g_assert_cmpuint (count_sent (f, &a), ==, 6);
  push_layer (f, GST_P2P_FANOUT_VIDEO, FALSE, 106, 15000, 3, 100);
  g_assert_cmpuint (count_sent (f, &a), ==, 9);
  /* Only the joins so far. */
  g_assert_cmpuint (f->moves->len, ==, 4);
  push_layer (f, GST_P2P_FANOUT_VIDEO, FALSE, 109, 18000, 3, 100);
  g_assert_cmpuint (count_sent (f, &a), ==, 11);
  g_assert_cmpuint (last_layer (f, &a), ==, SUB);
  push_layer (f, SUB, FALSE, 504, 21000, 1, 100);
  push_layer (f, GST_P2P_FANOUT_VIDEO, FALSE, 112, 21000, 3, 100);
  g_assert_cmpuint (check_continuous (f, &a), ==, 12);
  g_assert_cmpuint (last_layer (f, &a), ==, SUB);
  g_assert_cmpuint (f->moves->len, ==, 6);
  g_assert_true (g_ptr_array_index (f->moves, 4) == &a);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (f->moves, 5)), ==, 1);
  {
    GstP2pFanoutStats st;

    g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
    g_assert_cmpint (st.layer, ==, 1);
    g_assert_cmpint (st.pinned, ==, 1);
  }

  /* The layers share one base: nothing to tell. */
  g_assert_cmpuint (f->bases_apart->len, ==, 0);

  /* b: every main packet, as the payloader made it. */
  g_assert_cmpuint (check_continuous (f, &b), ==, 15);
  g_assert_cmpuint (last_layer (f, &b), ==, GST_P2P_FANOUT_VIDEO);

  /* NACKs in a's numbering: before the move from main, after from sub. */
  g_ptr_array_set_size (f->sent, 0);
  /* a got main 100..108, then sub 502.. as 109.. */
  g_assert_true (send_nack (f, &a, 105));
  g_assert_true (send_nack (f, &a, 110));
  g_assert_cmpuint (f->sent->len, ==, 2);
  {
    const guint8 *rtx = g_bytes_get_data (((Sent *) g_ptr_array_index (f->sent,
                0))->packet, NULL);

    g_assert_cmpuint (GST_READ_UINT16_BE (rtx + 12), ==, 105);
    g_assert_cmpuint (rtx[14], ==, GST_P2P_FANOUT_VIDEO);
    g_assert_cmpuint (rtx[15] << 8 | rtx[16], ==, 105);
    rtx = g_bytes_get_data (((Sent *) g_ptr_array_index (f->sent,
                1))->packet, NULL);
    g_assert_cmpuint (GST_READ_UINT16_BE (rtx + 12), ==, 110);
    g_assert_cmpuint (rtx[14], ==, SUB);
    g_assert_cmpuint (rtx[15] << 8 | rtx[16], ==, 503);
  }
}

/* An hour of the 90 kHz clock. */
#define HOUR_TICKS (3600 * 90000)

/* A layer on a timestamp base of its own (its payloader took a random
 * one): the move onto it finds its keyframe an hour before the viewer's
 * last frame, and waits for one after it that never comes. The fan-out
 * says so, naming the two layers, once for the pair however many
 * viewers move or keyframes come. */
static void
test_layer_bases_apart (Fixture * f, gconstpointer data)
{
  gint a, b;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  push_layer (f, GST_P2P_FANOUT_VIDEO, TRUE, 100, 9000, 1, 100);
  g_assert_true (gst_p2p_fanout_pin_layer (f->fanout, &a, 1));
  push_layer (f, SUB, TRUE, 500, 12000 - HOUR_TICKS, 1, 100);
  g_assert_cmpuint (f->bases_apart->len, ==, 3);
  g_assert_cmpint (g_array_index (f->bases_apart, gint, 0), ==, 0);
  g_assert_cmpint (g_array_index (f->bases_apart, gint, 1), ==, 1);
  g_assert_cmpint (g_array_index (f->bases_apart, gint, 2), ==,
      3000 - HOUR_TICKS);
  /* a is still on main, waiting. */
  push_layer (f, GST_P2P_FANOUT_VIDEO, FALSE, 101, 12000, 1, 100);
  g_assert_cmpuint (last_layer (f, &a), ==, GST_P2P_FANOUT_VIDEO);

  /* The same pair again, another viewer, another keyframe: told once. */
  g_assert_true (gst_p2p_fanout_pin_layer (f->fanout, &b, 1));
  push_layer (f, SUB, TRUE, 501, 15000 - HOUR_TICKS, 1, 100);
  push_layer (f, SUB, TRUE, 502, 18000 - HOUR_TICKS, 1, 100);
  g_assert_cmpuint (f->bases_apart->len, ==, 3);
}

/* A sender report of a layer goes to that layer's viewers only, under the
 * SSRC they see. */
static void
test_layer_sender_reports (Fixture * f, gconstpointer data)
{
  guint8 sr[28 + 12] = { 0x80, 200, 0, 6 };
  gint a, b;
  const guint8 *got;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  /* Every viewer starts on the best layer. */
  push_layer (f, GST_P2P_FANOUT_VIDEO, TRUE, 100, 9000, 1, 100);
  g_assert_true (gst_p2p_fanout_pin_layer (f->fanout, &a, 1));
  push_layer (f, SUB, TRUE, 500, 18000, 1, 100);
  push_layer (f, GST_P2P_FANOUT_VIDEO, FALSE, 101, 18000, 1, 100);
  g_assert_cmpuint (last_layer (f, &a), ==, SUB);
  /* SR, then an SDES chunk naming the same source. */
  GST_WRITE_UINT32_BE (sr + 4, SSRC_SUB);
  sr[28] = 0x81;
  sr[29] = 202;
  sr[31] = 2;
  GST_WRITE_UINT32_BE (sr + 32, SSRC_SUB);
  g_ptr_array_set_size (f->sent, 0);
  gst_p2p_fanout_push_rtcp (f->fanout, sr, sizeof (sr));
  g_assert_cmpuint (f->sent->len, ==, 1);
  g_assert_true (((Sent *) g_ptr_array_index (f->sent, 0))->target == &a);
  got = g_bytes_get_data (((Sent *) g_ptr_array_index (f->sent, 0))->packet,
      NULL);
  g_assert_cmpuint (GST_READ_UINT32_BE (got + 4), ==, f->video_ssrc);
  g_assert_cmpuint (GST_READ_UINT32_BE (got + 32), ==, f->video_ssrc);

  GST_WRITE_UINT32_BE (sr + 4, SSRC);
  GST_WRITE_UINT32_BE (sr + 32, SSRC);
  g_ptr_array_set_size (f->sent, 0);
  gst_p2p_fanout_push_rtcp (f->fanout, sr, sizeof (sr));
  g_assert_cmpuint (f->sent->len, ==, 1);
  g_assert_true (((Sent *) g_ptr_array_index (f->sent, 0))->target == &b);
  got = g_bytes_get_data (((Sent *) g_ptr_array_index (f->sent, 0))->packet,
      NULL);
  g_assert_cmpuint (GST_READ_UINT32_BE (got + 4), ==, f->video_ssrc);
}

typedef struct
{
  guint16 seq[GST_P2P_FANOUT_N_STREAMS];
  guint32 ts;
  /* run_path(): sub's keyframes come every this many frames (0: only
   * when asked for), SUB_KEY_PACKETS each, as from a camera's encoder. */
  guint sub_gop;
} Layers;

/* @frames frames of both layers at 30 frames a second: main 16 packets of
 * 1000 bytes a frame (3.8 Mbit/s), sub 2 (0.48 Mbit/s); a frame is a
 * keyframe when its encoder was asked for one, from the timestamp asked
 * for on, as GstVideoEncoder does with a running time. Returns whether
 * @target moved meanwhile. */
static gboolean
run_layers (Fixture * f, Layers * l, guint frames, gpointer target)
{
  guint moves = f->moves->len, i, j;
  const GstP2pFanoutStream streams[] = { GST_P2P_FANOUT_VIDEO, SUB };
  const guint packets[] = { 16, 2 };

  for (i = 0; i < frames; i++) {
    for (j = 0; j < 2; j++) {
      GstP2pFanoutStream st = streams[j];
      gboolean key = f->key_wanted[st] && (f->key_from[st] < 0
          || (gint32) (l->ts - (guint32) f->key_from[st]) >= 0);

      if (key)
        f->key_wanted[st] = FALSE;
      push_layer (f, st, key, l->seq[st], l->ts, packets[j], 1000);
      l->seq[st] += packets[j];
    }
    l->ts += 3000;
    fake_now += G_USEC_PER_SEC / 30;
  }
  for (i = moves; i < f->moves->len; i += 2)
    if (g_ptr_array_index (f->moves, i) == target)
      return TRUE;
  return FALSE;
}

/* A viewer whose estimate falls below main's rate moves to sub after
 * DOWN_HOLD (1 s); back up only with 15 % to spare, held for 2 s. The other
 * viewer stays on main throughout. */
static void
test_layer_adapt_hysteresis (Fixture * f, gconstpointer data)
{
  Layers l = { {1000, 0, 5000}, 90000 };
  GstP2pFanoutStats st;
  gint a, b;
  guint n_b;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  g_assert_true (run_layers (f, &l, 60, &a));
  g_assert_cmpuint (last_layer (f, &a), ==, GST_P2P_FANOUT_VIDEO);
  g_assert_cmpuint (gst_p2p_fanout_get_layer_bitrate (f->fanout, 0), >,
      3500000);
  g_assert_cmpuint (gst_p2p_fanout_get_layer_bitrate (f->fanout, 1), <, 600000);

  /* Down: not at once, within a second and a half. */
  gst_p2p_fanout_set_estimate (f->fanout, &a, 1500000);
  g_assert_false (run_layers (f, &l, 25, &a));
  g_assert_true (run_layers (f, &l, 20, &a));
  g_assert_cmpuint (last_layer (f, &a), ==, SUB);

  /* An estimate above main's rate but without the headroom: no move. */
  gst_p2p_fanout_set_estimate (f->fanout, &a, 4300000);
  g_assert_false (run_layers (f, &l, 150, &a));
  /* Enough: after 2 s. */
  gst_p2p_fanout_set_estimate (f->fanout, &a, 6000000);
  g_assert_false (run_layers (f, &l, 50, &a));
  g_assert_true (run_layers (f, &l, 30, &a));
  g_assert_cmpuint (last_layer (f, &a), ==, GST_P2P_FANOUT_VIDEO);
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
  g_assert_cmpint (st.layer, ==, 0);
  g_assert_cmpint (st.pinned, ==, -1);

  /* Down again within 10 s of moving up: that move was too early, the
   * next one waits twice as long. */
  gst_p2p_fanout_set_estimate (f->fanout, &a, 1500000);
  g_assert_true (run_layers (f, &l, 45, &a));
  gst_p2p_fanout_set_estimate (f->fanout, &a, 6000000);
  g_assert_false (run_layers (f, &l, 110, &a));
  g_assert_true (run_layers (f, &l, 30, &a));
  g_assert_cmpuint (last_layer (f, &a), ==, GST_P2P_FANOUT_VIDEO);

  /* Every packet, in one numbering, for both. b never moved from main. */
  check_continuous (f, &a);
  n_b = check_continuous (f, &b);
  g_assert_cmpuint (n_b, ==, 16 * (60 + 45 + 150 + 80 + 185));
  /* The joins, a down, up, down, up. */
  g_assert_cmpuint (f->moves->len, ==, 2 * 6);
}

/* One frame of @n packets of 1000 bytes on a layer, each with room for a
 * transport-wide sequence number. */
static void
push_layer_twcc (Fixture * f, GstP2pFanoutStream stream, Layers * l, guint n)
{
  gboolean key = f->key_wanted[stream] && (f->key_from[stream] < 0
      || (gint32) (l->ts - (guint32) f->key_from[stream]) >= 0);
  guint i;

  if (key)
    f->key_wanted[stream] = FALSE;
  gst_p2p_fanout_input (f->fanout, stream, key);
  for (i = 0; i < n; i++) {
    guint8 pkt[1000] = { 0x90, 96 };

    if (i == n - 1)
      pkt[1] |= 0x80;
    GST_WRITE_UINT16_BE (pkt + 2, l->seq[stream]++);
    GST_WRITE_UINT32_BE (pkt + 4, l->ts);
    GST_WRITE_UINT32_BE (pkt + 8, stream == SUB ? SSRC_SUB : SSRC);
    GST_WRITE_UINT16_BE (pkt + 12, 0xbede);
    GST_WRITE_UINT16_BE (pkt + 14, 1);
    pkt[16] = (GST_P2P_TWCC_EXT_ID << 4) | 1;
    gst_p2p_fanout_push_rtp (f->fanout, stream, pkt, sizeof (pkt));
  }
}

/* On its estimator alone: the start-up guess (2 Mbit/s, below main's
 * 3.8) moves no viewer that receives all it is sent; one that receives a
 * third of it (its feedback says so) moves to sub within 2.5 s. */
static void
test_layer_adapt_on_feedback (Fixture * f, gconstpointer data)
{
  Layers l = { {1000, 0, 5000}, 90000 };
  GstP2pFanoutStats st;
  guint i, acked = 0, ref = 100, moved = 0;
  gint a;

  gst_p2p_fanout_add (f->fanout, &a);
  for (i = 0; i < 180 && !moved; i++) {
    gboolean lossy = i >= 90;

    push_layer_twcc (f, GST_P2P_FANOUT_VIDEO, &l, 16);
    push_layer_twcc (f, SUB, &l, 2);
    l.ts += 3000;
    fake_now += G_USEC_PER_SEC / 30;
    /* Feedback every two frames, on what a was sent since: all of it over
     * 64 ms, or a third of it over as long and the rest lost. */
    if (i % 2 == 1) {
      guint n = count_sent (f, &a) - acked, got = lossy ? n / 3 : n;

      g_assert_true (send_transport_cc (f, &a, acked, got, ref, 64 / got));
      if (got < n)
        g_assert_true (send_transport_cc (f, &a, acked + got, n - got, ref, 0));
      acked += n;
      ref++;
    }
    g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
    if (!lossy)
      g_assert_cmpint (st.layer, <=, 0);
    else if (st.layer == 1)
      moved = i;
  }
  g_assert_cmpuint (moved, >, 90);
  g_assert_cmpuint (moved, <=, 90 + 75);
  g_assert_cmpuint (st.received_bitrate, <, 2000000);
}

/* Paced, a keyframe burst leaves over time, at about 2.5 times the
 * viewer's estimate (2 Mbit/s to start with: 625 bytes a millisecond),
 * after a first burst of 40 ms worth (25 KB), in order, each packet with
 * the transport-wide number of its turn. */
static void
test_pacing (Fixture * f, gconstpointer data)
{
  gint64 start = fake_now, next;
  guint i, at_once, rounds = 0;
  gint a;

  gst_p2p_fanout_set_pacing (f->fanout, TRUE);
  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, TRUE);
  for (i = 0; i < 60; i++)
    push_twcc_packet (f, 2000 + i, 1000);
  at_once = f->sent->len;
  g_assert_cmpuint (at_once, >=, 25);
  g_assert_cmpuint (at_once, <=, 26);

  while ((next = gst_p2p_fanout_pace (f->fanout)) != 0 && rounds++ < 1000)
    fake_now = next;
  g_assert_cmpuint (f->sent->len, ==, 60);
  /* 60 KB at 625 bytes a millisecond, less what went at once: 56 ms. */
  g_assert_cmpint (fake_now - start, >, 45 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (fake_now - start, <, 70 * G_TIME_SPAN_MILLISECOND);
  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);
    const guint8 *p = g_bytes_get_data (sent->packet, NULL);

    g_assert_cmpuint (GST_READ_UINT16_BE (p + 2), ==, 2000 + i);
    g_assert_cmpuint (twcc_of (sent), ==, i);
  }
}

/* A receiver that, as GStreamer 1.22's, starts each feedback packet at
 * the first packet it received: losing two packets in three, its gaps are
 * counted as lost when its feedback packets come in sequence, not when
 * feedback packets went missing too (a gap then says nothing). */
static void
test_transport_cc_gaps (Fixture * f, gconstpointer data)
{
  GstP2pFanoutStats st_a, st_b;
  gint a, b;
  guint i;

  /* Three packets every 64 ms, the feedback's time unit: each reported
   * one arrives as far after the previous as it left. */
  join_two_and_push (f, &a, &b, 300, 64 * G_TIME_SPAN_MILLISECOND, 3);
  for (i = 0; i < 100; i++) {
    g_assert_true (send_transport_cc_counted (f, &a, 3 * i, 1, 100 + i, 30, i));
    g_assert_true (send_transport_cc_counted (f, &b, 3 * i, 1, 100 + i, 30,
            2 * i));
  }
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st_a));
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &b, &st_b));
  g_assert_true (st_a.estimate_limited);
  g_assert_cmpuint (st_a.estimated_bitrate, <, 2000000);
  g_assert_false (st_b.estimate_limited);
}

static void
collect_arrivals (guint8 feedback_count, const P2pPacketArrival * arrivals,
    guint n_arrivals, gpointer user_data)
{
  g_array_append_vals (user_data, arrivals, n_arrivals);
}

/* The transport-wide feedback seed of the fuzz corpus
 * (tests/fuzz/corpus/viewer/transport-cc), read as the draft says: a
 * two-bit status vector (received, received with a large delta, lost,
 * then received), a run of three received, one- and two-byte deltas of
 * 250 µs from a reference time of 64 ms units. */
static void
test_transport_cc_parse (Fixture * f, gconstpointer data)
{
  static const GstP2pFeedbackHandlers handlers = {
    NULL, NULL, NULL, collect_arrivals
  };
  static const guint8 packet[] = {
    0x8f, 205, 0x00, 0x08, 0x00, 0x00, 0x00, 0x55, 0x11, 0x22, 0x33, 0x44,
    0x00, 100, 0x00, 10, 0x00, 0x00, 0x05, 0x00,
    0xd8, 0x55, 0x20, 0x03,
    40, 0xff, 0xec, 10, 10, 10, 10, 10, 10, 10, 0x00, 0x00
  };
  static const gint64 expected[] = {
    330000, 325000, P2P_BANDWIDTH_ESTIMATOR_LOST, 327500, 330000, 332500,
    335000, 337500, 340000, 342500
  };
  g_autoptr (GArray) got = g_array_new (FALSE, FALSE,
      sizeof (P2pPacketArrival));
  guint8 claims[sizeof (packet)];
  guint i;

  g_assert_true (gst_p2p_feedback_parse (packet, sizeof (packet), &handlers,
          got));
  g_assert_cmpuint (got->len, ==, G_N_ELEMENTS (expected));
  for (i = 0; i < got->len; i++) {
    P2pPacketArrival *a = &g_array_index (got, P2pPacketArrival, i);

    g_assert_cmpuint (a->seq, ==, 100 + i);
    g_assert_cmpint (a->arrival_us, ==, expected[i]);
  }
  /* Claiming more packets than its chunks and deltas hold: no call. */
  memcpy (claims, packet, sizeof (packet));
  claims[15] = 200;
  g_array_set_size (got, 0);
  g_assert_true (gst_p2p_feedback_parse (claims, sizeof (claims), &handlers,
          got));
  g_assert_cmpuint (got->len, ==, 0);
}

/* Paced, a viewer whose estimate was cut (its feedback said all was
 * lost) still gets a single-layer 4 Mbit/s stream as it comes, once the
 * stream's rate is measured: pacing spreads bursts, it cannot make the
 * stream smaller, and holding it back would only delay every frame past
 * the jitter buffer. */
static void
test_pacing_not_below_stream (Fixture * f, gconstpointer data)
{
  guint i, j, round, pushed = 0;
  gint64 next;
  gint a;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, TRUE);
  /* Three of the estimator's 200-packet loss windows, all lost. */
  for (round = 0; round < 12; round++) {
    for (i = 0; i < 60; i++) {
      push_twcc_packet (f, pushed++, 1000);
      fake_now += 5 * G_TIME_SPAN_MILLISECOND;
    }
    g_assert_true (send_transport_cc (f, &a, 60 * round, 60, round, 0));
  }
  g_assert_cmpuint (gst_p2p_fanout_get_estimate (f->fanout, &a), <, 500000);

  gst_p2p_fanout_set_pacing (f->fanout, TRUE);
  /* 30 frames a second of 14 packets of 1200 bytes: 4 Mbit/s. */
  for (i = 0; i < 90; i++) {
    gint64 frame_end = fake_now + G_USEC_PER_SEC / 30;

    gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, i % 30 == 0);
    for (j = 0; j < 14; j++)
      push_twcc_packet (f, pushed++, 1200);
    while ((next = gst_p2p_fanout_pace (f->fanout)) != 0 && next <= frame_end)
      fake_now = next;
    fake_now = frame_end;
    /* After the first second's measurement, every frame is out before
     * the next one comes. */
    if (i >= 45)
      g_assert_cmpuint (f->sent->len, ==, pushed);
  }
}

/* Paced, a burst of retransmissions leaves at the viewer's pacing rate,
 * not at once into a shallow buffer: a viewer whose estimate its feedback
 * cut below 500 kbit/s, sent 400 kbit/s of video (so paced at 2.5 times
 * that, 1 Mbit/s, or faster to drain its queue within 100 ms), asks
 * again for the 64 packets of the history, 64 KB. They leave over
 * more than 80 ms, never more than 20 KB in 20 ms, ahead of the video
 * sent meanwhile. */
static void
test_pacing_rtx (Fixture * f, gconstpointer data)
{
  GstP2pFanoutStats st;
  guint16 seqs[64];
  guint i, j, frame, pushed = 0, rounds = 0, n_rtx = 0, at_once = 0;
  gint64 nack_at, next, last_rtx = 0;
  gint a;

  gst_p2p_fanout_add (f->fanout, &a);
  /* 5 packets of 1000 bytes every 100 ms, all reported lost: three of
   * the estimator's 200-packet loss windows. */
  for (frame = 0; frame < 120; frame++) {
    gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, frame % 10 == 0);
    for (i = 0; i < 5; i++)
      push_twcc_packet (f, pushed++, 1000);
    g_assert_true (send_transport_cc (f, &a, 5 * frame, 5, frame, 0));
    fake_now += 100 * G_TIME_SPAN_MILLISECOND;
  }
  g_assert_cmpuint (gst_p2p_fanout_get_estimate (f->fanout, &a), <, 500000);

  gst_p2p_fanout_set_pacing (f->fanout, TRUE);
  g_ptr_array_set_size (f->sent, 0);
  nack_at = fake_now;
  for (i = 0; i < G_N_ELEMENTS (seqs); i++)
    seqs[i] = pushed - G_N_ELEMENTS (seqs) + i;
  g_assert_true (send_nacks (f, &a, seqs, G_N_ELEMENTS (seqs)));
  /* A frame comes meanwhile. */
  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, FALSE);
  for (i = 0; i < 5; i++)
    push_twcc_packet (f, pushed++, 1000);
  while ((next = gst_p2p_fanout_pace (f->fanout)) != 0 && rounds++ < 1000)
    fake_now = next;

  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
  g_assert_cmpuint (st.retransmissions, ==, 64);
  g_assert_cmpuint (f->sent->len, ==, 64 + 5);
  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);
    gsize size, window = 0;
    const guint8 *p = g_bytes_get_data (sent->packet, &size);

    if ((p[1] & 0x7f) == GST_P2P_PT_VIDEO_RTX) {
      /* Ahead of the video. */
      g_assert_cmpuint (n_rtx++, ==, i);
      last_rtx = sent->at;
    }
    if (sent->at == nack_at)
      at_once += size;
    for (j = i; j < f->sent->len; j++) {
      Sent *later = g_ptr_array_index (f->sent, j);

      if (later->at - sent->at < 20 * G_TIME_SPAN_MILLISECOND)
        window += g_bytes_get_size (later->packet);
    }
    g_assert_cmpuint (window, <=, 20000);
  }
  g_test_message ("64 retransmissions of 1002 bytes: %u bytes at once, the "
      "last after %" G_GINT64_FORMAT " ms", at_once,
      (last_rtx - nack_at) / 1000);
  g_assert_cmpuint (n_rtx, ==, 64);
  g_assert_cmpuint (at_once, <=, 8000);
  g_assert_cmpint (last_rtx - nack_at, >, 80 * G_TIME_SPAN_MILLISECOND);
}

/* Transport-wide feedback packet number @count on @n packets from @base,
 * all received, at @arrival (microseconds), as large deltas. */
static void
send_transport_cc_arrivals (Fixture * f, gpointer target, guint16 base,
    guint n, const gint64 * arrival, guint8 count)
{
  GstBuffer *buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  guint8 *fci;
  guint i;
  gint64 ref = arrival[0] / 64000, prev = ref * 64000;

  g_assert_cmpuint (n, <=, 600);
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  fci = transport_cc_begin (&rtcp, base, n, ref, count, 8 + 2 + 2 * n);
  GST_WRITE_UINT16_BE (fci + 8, (2 << 13) | n);
  for (i = 0; i < n; i++) {
    gint64 delta = (arrival[i] - prev) / 250;

    GST_WRITE_UINT16_BE (fci + 10 + 2 * i, (gint16) delta);
    prev += delta * 250;
  }
  g_assert_true (transport_cc_send (f, target, buf, &rtcp));
}

/* A simulated path to one viewer, on the fixture's clock: a bottleneck of
 * @bps (0: none) with a drop-tail queue of 200 ms, 10 ms of propagation;
 * the viewer's feedback, every 100 ms, reports what arrived, a feedback
 * packet for each run without a loss, as GStreamer 1.22's does. A @liar
 * reports whatever it likes instead (path_liar_arrival()). */
typedef struct
{
  gdouble bps;
  gboolean liar;
  gboolean lossy_liar;          /* one packet in 8 lost, probes never */
  gint64 free_at;
  guint routed;                 /* packets of f->sent looked at */
  GArray *seqs;                 /* guint16: arrived, not yet reported */
  GArray *arrivals;             /* gint64 */
  gboolean lost_since;          /* a loss before the first of them */
  guint8 count;
  gint64 last_feedback;
  /* Bytes it was sent: media, and RTX (no NACK here: probes). */
  guint64 media_bytes;
  guint64 rtx_bytes;
} Path;

static void
path_init (Path * path, gdouble bps)
{
  memset (path, 0, sizeof (*path));
  path->bps = bps;
  path->seqs = g_array_new (FALSE, FALSE, sizeof (guint16));
  path->arrivals = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
path_clear (Path * path)
{
  g_array_unref (path->seqs);
  g_array_unref (path->arrivals);
}

static void
path_flush (Fixture * f, Path * path, gpointer target)
{
  if (path->seqs->len > 0)
    send_transport_cc_arrivals (f, target, g_array_index (path->seqs,
            guint16, 0), path->seqs->len, (gint64 *) path->arrivals->data,
        path->count++);
  g_array_set_size (path->seqs, 0);
  g_array_set_size (path->arrivals, 0);
}

/* The liar: on main, it says two packets in three were lost (down it
 * goes); on sub, that everything arrived the moment it left, probes
 * too (a path with no limit at all). */
static gint64
path_liar_arrival (Fixture * f, gpointer target, guint16 twcc, gint64 at)
{
  GstP2pFanoutStats st;

  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, target, &st));
  if (st.layer == 0 && twcc % 3 != 0)
    return -1;
  return at;
}

/* Routes what @target was sent since the last call, and gives its
 * feedback when due. */
static void
path_run (Fixture * f, Path * path, gpointer target)
{
  for (; path->routed < f->sent->len; path->routed++) {
    Sent *sent = g_ptr_array_index (f->sent, path->routed);
    gsize size;
    const guint8 *p = g_bytes_get_data (sent->packet, &size);
    gint64 arrival;
    guint16 twcc;

    if (sent->target != target || sent->is_rtcp)
      continue;
    if ((p[1] & 0x7f) == GST_P2P_PT_VIDEO_RTX)
      path->rtx_bytes += size;
    else
      path->media_bytes += size;
    if (path->lossy_liar) {
      arrival = (p[1] & 0x7f) == GST_P2P_PT_VIDEO_RTX
          || twcc_of (sent) % 8 != 0 ? sent->at : -1;
    } else if (path->liar) {
      arrival = path_liar_arrival (f, target, twcc_of (sent), sent->at);
    } else if (path->bps == 0) {
      arrival = sent->at;
    } else if (path->free_at - sent->at > 200 * G_TIME_SPAN_MILLISECOND) {
      arrival = -1;
    } else {
      path->free_at = MAX (path->free_at, sent->at) +
          (gint64) (size * 8 * G_USEC_PER_SEC / path->bps);
      arrival = path->free_at;
    }
    if (arrival < 0) {
      path_flush (f, path, target);
      continue;
    }
    twcc = twcc_of (sent);
    g_array_append_val (path->seqs, twcc);
    arrival += 10 * G_TIME_SPAN_MILLISECOND;
    g_array_append_val (path->arrivals, arrival);
  }
  if (fake_now - path->last_feedback >= 100 * G_TIME_SPAN_MILLISECOND) {
    guint n;

    /* What arrived by now (and 10 ms back) only. */
    for (n = 0; n < path->seqs->len && g_array_index (path->arrivals,
            gint64, n) + 10 * G_TIME_SPAN_MILLISECOND <= fake_now; n++);
    if (n > 0 && n < path->seqs->len) {
      g_autoptr (GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint16));
      g_autoptr (GArray) arrivals = g_array_new (FALSE, FALSE, sizeof (gint64));

      g_array_append_vals (seqs, path->seqs->data + n * sizeof (guint16),
          path->seqs->len - n);
      g_array_append_vals (arrivals, path->arrivals->data +
          n * sizeof (gint64), path->arrivals->len - n);
      g_array_set_size (path->seqs, n);
      g_array_set_size (path->arrivals, n);
      path_flush (f, path, target);
      g_array_append_vals (path->seqs, seqs->data, seqs->len);
      g_array_append_vals (path->arrivals, arrivals->data, arrivals->len);
    } else if (n > 0) {
      path_flush (f, path, target);
    }
    path->last_feedback = fake_now;
  }
}

/* A keyframe of sub: some 0.3 s of its stream at once. */
#define SUB_KEY_PACKETS 10

/* @frames frames of main (16 packets of 1000 bytes: 3.8 Mbit/s) and sub
 * (2: 0.48 Mbit/s), paced, @target's path run every millisecond. Returns
 * the first frame @until_layer reached (-1: not). */
static gint
run_path (Fixture * f, Layers * l, Path * path, gpointer target,
    guint frames, gint until_layer)
{
  GstP2pFanoutStats st;
  guint i;

  for (i = 0; i < frames; i++) {
    gint64 frame_end = fake_now + G_USEC_PER_SEC / 30;

    push_layer_twcc (f, GST_P2P_FANOUT_VIDEO, l, 16);
    if (l->sub_gop != 0 && l->ts / 3000 % l->sub_gop == 0) {
      f->key_wanted[SUB] = TRUE;
      f->key_from[SUB] = -1;
      push_layer_twcc (f, SUB, l, SUB_KEY_PACKETS);
    } else {
      push_layer_twcc (f, SUB, l, 2);
    }
    l->ts += 3000;
    while (fake_now < frame_end) {
      gst_p2p_fanout_pace (f->fanout);
      path_run (f, path, target);
      fake_now += G_TIME_SPAN_MILLISECOND;
    }
    g_assert_true (gst_p2p_fanout_get_stats (f->fanout, target, &st));
    if (until_layer >= 0 && st.layer == until_layer)
      return i;
  }
  return -1;
}

/* @target joins, paced, on a path without limit; three seconds on main. */
static void
join_paced (Fixture * f, Layers * l, Path * path, gpointer target)
{
  gst_p2p_fanout_set_pacing (f->fanout, TRUE);
  gst_p2p_fanout_add (f->fanout, target);
  path_init (path, 0);
  g_assert_cmpint (run_path (f, l, path, target, 90, -1), ==, -1);
}

static guint
count_rtx (Fixture * f, gpointer target)
{
  guint i, n = 0;

  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);
    const guint8 *p = g_bytes_get_data (sent->packet, NULL);

    n += sent->target == target && !sent->is_rtcp
        && (p[1] & 0x7f) == GST_P2P_PT_VIDEO_RTX;
  }
  return n;
}

/* A viewer on sub is probed: clusters of repeats (RTX) of what it was
 * just sent, each with its transport-wide number. On a 1.5 Mbit/s path
 * they do not get through, and it stays on sub; the path widened to
 * 20 Mbit/s, the next cluster gets through and it is back on main within
 * the wait between clusters (4 s at most) plus the 2 s hold, not after
 * the many seconds its estimate takes to climb blind to main's rate. */
static void
test_layer_probe (Fixture * f, gconstpointer data)
{
  Layers l = { {1000, 0, 5000}, 90000 };
  GstP2pFanoutStats st;
  guint i, rtx, checked = 0;
  gint frame;
  Path path;
  gint a;

  join_paced (f, &l, &path, &a);
  path.bps = 1.5e6;
  frame = run_path (f, &l, &path, &a, 150, 1);
  g_assert_cmpint (frame, >=, 0);
  g_test_message ("on sub after %.1f s", frame / 30.0);
  rtx = count_rtx (f, &a);

  /* 6 s on the narrow path: probed, still on sub. */
  g_assert_cmpint (run_path (f, &l, &path, &a, 180, 0), ==, -1);
  g_assert_cmpuint (count_rtx (f, &a), >, rtx);
  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, &a, &st));
  g_assert_cmpint (st.layer, ==, 1);
  g_assert_cmpuint (st.retransmissions, ==, 0);

  /* Each probe packet repeats one a got, as RTX, numbered in its
   * transport-wide sequence. */
  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);
    gsize size;
    const guint8 *p = g_bytes_get_data (sent->packet, &size);
    guint j;

    if (sent->target != &a || (p[1] & 0x7f) != GST_P2P_PT_VIDEO_RTX)
      continue;
    for (j = 0; j < i; j++) {
      Sent *orig = g_ptr_array_index (f->sent, j);
      gsize osize;
      const guint8 *o = g_bytes_get_data (orig->packet, &osize);

      if (orig->target == &a && (o[1] & 0x7f) == 96
          && GST_READ_UINT16_BE (o + 2) == GST_READ_UINT16_BE (p + 20)) {
        g_assert_cmpuint (osize + 2, ==, size);
        g_assert_cmpmem (o + 20, osize - 20, p + 22, size - 22);
        checked++;
        break;
      }
    }
    g_assert_cmpuint (twcc_of (sent), !=, twcc_of (g_ptr_array_index
            (f->sent, i - 1)));
  }
  g_assert_cmpuint (checked, ==, count_rtx (f, &a));

  path.bps = 20e6;
  frame = run_path (f, &l, &path, &a, 300, 0);
  g_test_message ("back on main %.1f s after the path widened", frame / 30.0);
  g_assert_cmpint (frame, >=, 0);
  g_assert_cmpint (frame, <, 30 * 6.5);
  path_clear (&path);
}

/* As test_layer_probe, with a keyframe on sub every 2 s, the path
 * widened at several points of the probes' schedule: what the viewer is
 * sent and what it receives are measured over windows that do not line
 * up, so for a moment one counts a keyframe that the other does not yet,
 * and the viewer seems to receive less than 80 % of what it is sent. That
 * is no congestion: waiting its 2 s to move up, it goes on waiting (it
 * waited afresh at every keyframe and never moved up). */
static void
test_layer_probe_keyframes (Fixture * f, gconstpointer data)
{
  guint phase;

  for (phase = 0; phase < 60; phase += 5) {
    Layers l = { {1000, 0, 5000}, 90000, 60 };
    Path path;
    gint a, frame;

    g_ptr_array_set_size (f->sent, 0);
    join_paced (f, &l, &path, &a);
    path.bps = 1.5e6;
    g_assert_cmpint (run_path (f, &l, &path, &a, 150, 1), >=, 0);
    g_assert_cmpint (run_path (f, &l, &path, &a, 180 + phase, 0), ==, -1);
    path.bps = 20e6;
    frame = run_path (f, &l, &path, &a, 300, 0);
    g_test_message ("phase %u: back on main %.2f s after the path widened",
        phase, frame / 30.0);
    g_assert_cmpint (frame, >=, 0);
    g_assert_cmpint (frame, <, 30 * 6.5);
    path_clear (&path);
    gst_p2p_fanout_remove (f->fanout, &a);
  }
}

/* Security: a viewer that lies in its feedback (on main it claims loss,
 * on sub a path without limit, probes included) moves up and down as
 * it likes, but its probes stay within their budget: over a minute, at
 * most half the video it was sent plus one cluster's 48 KB; and all it
 * gets stays below 1.5 times the best layer's rate. */
static void
test_layer_probe_bounded (Fixture * f, gconstpointer data)
{
  Layers l = { {1000, 0, 5000}, 90000 };
  guint64 main_bytes;
  Path path;
  gint a;

  join_paced (f, &l, &path, &a);
  path.liar = TRUE;
  path.media_bytes = path.rtx_bytes = 0;
  g_assert_cmpint (run_path (f, &l, &path, &a, 30 * 60, -1), ==, -1);
  /* 16 packets of 1000 bytes (and the 12 bytes of room for the
   * transport-wide number) a frame. */
  main_bytes = 30 * 60 * 16 * 1000;
  g_test_message ("a liar over 60 s: %" G_GUINT64_FORMAT " bytes of "
      "video, %" G_GUINT64_FORMAT " of probes (main alone: %"
      G_GUINT64_FORMAT ")", path.media_bytes, path.rtx_bytes, main_bytes);
  /* It was probed, and moved. */
  g_assert_cmpuint (path.rtx_bytes, >, 0);
  g_assert_cmpuint (f->moves->len, >, 2 * 3);
  g_assert_cmpuint (path.rtx_bytes, <=, path.media_bytes / 2 + 48 * 1024);
  g_assert_cmpuint (path.media_bytes + path.rtx_bytes, <, 1.5 * main_bytes);
  path_clear (&path);
}

/* One encoder configured for ENC_PACKETS packets of 1000 bytes a frame
 * (3.84 Mbit/s), and the estimate p2psink gives it that rate at (85 %). */
#define ENC_PACKETS 16
#define ENC_GOAL 4517648

/* @frames frames of one encoder whose rate follows @target's estimate
 * once a second, as gst_p2p_sink_drive_encoder() has it: 85 % of it once
 * its path showed a limit, in packets a frame (0.24 Mbit/s each), from 2
 * (the floor) to ENC_PACKETS; @target's path run every millisecond.
 * Returns the first frame the encoder was at @until packets (-1: not). */
static gint
run_encoder (Fixture * f, Layers * l, Path * path, gpointer target,
    guint * packets, guint frames, gint until)
{
  GstP2pFanoutStats st;
  guint i;

  for (i = 0; i < frames; i++) {
    gint64 frame_end = fake_now + G_USEC_PER_SEC / 30;

    if (i % 30 == 0) {
      g_assert_true (gst_p2p_fanout_get_stats (f->fanout, target, &st));
      *packets = st.estimate_limited ? CLAMP (st.estimated_bitrate * 0.85 /
          240000, 2, ENC_PACKETS) : ENC_PACKETS;
    }
    if ((gint) * packets == until)
      return i;
    push_layer_twcc (f, GST_P2P_FANOUT_VIDEO, l, *packets);
    l->ts += 3000;
    while (fake_now < frame_end) {
      gst_p2p_fanout_pace (f->fanout);
      path_run (f, path, target);
      fake_now += G_TIME_SPAN_MILLISECOND;
    }
  }
  return -1;
}

/* The viewer that holds the one encoder below its configured rate is
 * probed for the estimate that lifts it back: on a 1.5 Mbit/s path its
 * clusters do not get through and the encoder stays down; the path
 * widened to 20 Mbit/s, the encoder is back at its rate within the wait
 * between clusters (4 s at most), a feedback and the encoder's second. */
static void
test_encoder_probe (Fixture * f, gconstpointer data)
{
  Layers l = { {1000, 0, 5000}, 90000 };
  guint packets = ENC_PACKETS, rtx;
  gint frame;
  Path path;
  gint a;

  gst_p2p_fanout_set_pacing (f->fanout, TRUE);
  gst_p2p_fanout_set_encoder_goal (f->fanout, ENC_GOAL);
  gst_p2p_fanout_add (f->fanout, &a);
  path_init (&path, 0);
  g_assert_cmpint (run_encoder (f, &l, &path, &a, &packets, 90, -1), ==, -1);
  g_assert_cmpuint (packets, ==, ENC_PACKETS);

  path.bps = 1.5e6;
  for (frame = 0; frame < 300 && packets == ENC_PACKETS; frame += 30)
    g_assert_cmpint (run_encoder (f, &l, &path, &a, &packets, 30, -1), ==, -1);
  g_assert_cmpuint (packets, <, ENC_PACKETS);
  g_test_message ("encoder down to %u packets a frame after %.1f s",
      packets, frame / 30.0);
  rtx = count_rtx (f, &a);
  /* 8 s on the narrow path: probed, the encoder still down. */
  g_assert_cmpint (run_encoder (f, &l, &path, &a, &packets, 240,
          ENC_PACKETS), ==, -1);
  g_assert_cmpuint (count_rtx (f, &a), >, rtx);
  g_assert_cmpuint (packets, <, ENC_PACKETS);

  path.bps = 20e6;
  frame = run_encoder (f, &l, &path, &a, &packets, 600, ENC_PACKETS);
  g_test_message ("encoder back at its rate %.1f s after the path widened",
      frame / 30.0);
  g_assert_cmpint (frame, >=, 0);
  g_assert_cmpint (frame, <, 30 * 6.5);
  path_clear (&path);
}

/* Security: a viewer that claims loss on its video and that every probe
 * packet arrived keeps being probed, but its probes stay within their
 * budget: over a minute, at most half the video it was sent plus one
 * cluster's 48 KB. */
static void
test_encoder_probe_bounded (Fixture * f, gconstpointer data)
{
  Layers l = { {1000, 0, 5000}, 90000 };
  guint packets = ENC_PACKETS;
  Path path;
  gint a;

  gst_p2p_fanout_set_pacing (f->fanout, TRUE);
  gst_p2p_fanout_set_encoder_goal (f->fanout, ENC_GOAL);
  gst_p2p_fanout_add (f->fanout, &a);
  path_init (&path, 0);
  path.lossy_liar = TRUE;
  g_assert_cmpint (run_encoder (f, &l, &path, &a, &packets, 30 * 60, -1),
      ==, -1);
  g_test_message ("a liar over 60 s: %" G_GUINT64_FORMAT " bytes of "
      "video, %" G_GUINT64_FORMAT " of probes", path.media_bytes,
      path.rtx_bytes);
  g_assert_cmpuint (path.rtx_bytes, >, 0);
  g_assert_cmpuint (path.rtx_bytes, <=, path.media_bytes / 2 + 48 * 1024);
  path_clear (&path);
}

/* A viewer on a path without limit: its estimate stops at twice what the
 * camera sends, instead of climbing on (to 100 Mbit/s), and once there
 * it no longer moves by more than the quarter p2psink posts a change
 * for. */
static void
test_estimate_cap (Fixture * f, gconstpointer data)
{
  guint64 posted = 0, est, rate;
  guint i, j, changes = 0;
  Path path;
  gint a;

  gst_p2p_fanout_add (f->fanout, &a);
  path_init (&path, 0);
  for (i = 0; i < 30 * 60; i++) {
    gint64 frame_end = fake_now + G_USEC_PER_SEC / 30;

    gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, i % 300 == 0);
    /* 4 Mbit/s, a little more or less each frame. */
    for (j = 0; j < 14 + i % 5; j++)
      push_twcc_packet (f, i * 20 + j, 1000);
    for (; fake_now < frame_end; fake_now += G_TIME_SPAN_MILLISECOND)
      path_run (f, &path, &a);
    est = gst_p2p_fanout_get_estimate (f->fanout, &a);
    rate = gst_p2p_fanout_get_layer_bitrate (f->fanout, 0);
    if (i % 30 != 0 || i < 30 * 15)
      continue;
    g_assert_cmpuint (est, <=, 2.2 * rate);
    if (posted == 0 || est > 1.25 * posted || est < 0.75 * posted) {
      posted = est;
      changes++;
    }
  }
  g_test_message ("estimate %" G_GUINT64_FORMAT ", stream %" G_GUINT64_FORMAT,
      est, rate);
  g_assert_cmpuint (est, >, 1.5 * rate);
  g_assert_cmpuint (changes, ==, 1);
  path_clear (&path);
}

#define THIN_FLOOR 1000000
#define THIN_PACKETS 3

/* Frame @n of a stream whose odd frames are droppable (x264enc's B-frames
 * without B-pyramid, vp8enc's upper temporal layer: droppable.c tests
 * which are), as p2psink's payloader probe and payloader pass it on:
 * THIN_PACKETS packets, the frame number in each payload. */
static void
push_thin_frame (Fixture * f, guint n)
{
  guint i;

  gst_p2p_fanout_input (f->fanout, GST_P2P_FANOUT_VIDEO, n == 0);
  if (n % 2 == 1)
    gst_p2p_fanout_mark_droppable (f->fanout, GST_P2P_FANOUT_VIDEO);
  for (i = 0; i < THIN_PACKETS; i++) {
    guint8 pkt[40] = { 0x80, 96 };

    GST_WRITE_UINT16_BE (pkt + 2, 1000 + n * THIN_PACKETS + i);
    GST_WRITE_UINT32_BE (pkt + 4, n * 3000);
    GST_WRITE_UINT32_BE (pkt + 8, SSRC);
    GST_WRITE_UINT32_BE (pkt + 12, n);
    gst_p2p_fanout_push_rtp (f->fanout, GST_P2P_FANOUT_VIDEO, pkt,
        sizeof (pkt));
  }
  fake_now += G_USEC_PER_SEC / 30;
}

/* The media packets @target got, in order. */
static GPtrArray *
thin_packets_got (Fixture * f, gpointer target)
{
  GPtrArray *got = g_ptr_array_new ();
  guint i;

  for (i = 0; i < f->sent->len; i++) {
    Sent *sent = g_ptr_array_index (f->sent, i);

    if (sent->target == target && !sent->is_rtcp)
      g_ptr_array_add (got, sent->packet);
  }
  return got;
}

/* The frame numbers @target got, each frame whole, its sequence numbers
 * consecutive. */
static GArray *
thin_frames_got (Fixture * f, gpointer target)
{
  g_autoptr (GPtrArray) got = thin_packets_got (f, target);
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (guint));
  guint16 first_seq = 0;
  guint i;

  for (i = 0; i < got->len; i++) {
    const guint8 *pkt = g_bytes_get_data (g_ptr_array_index (got, i), NULL);
    guint n = GST_READ_UINT32_BE (pkt + 12);

    if (i == 0)
      first_seq = GST_READ_UINT16_BE (pkt + 2);
    g_assert_cmpuint (GST_READ_UINT16_BE (pkt + 2), ==,
        (guint16) (first_seq + i));
    if (i % THIN_PACKETS == 0)
      g_array_append_val (frames, n);
    else
      g_assert_cmpuint (n, ==, g_array_index (frames, guint, frames->len - 1));
  }
  g_assert_cmpuint (got->len % THIN_PACKETS, ==, 0);
  return frames;
}

static GstP2pFanoutStats
thin_stats (Fixture * f, gpointer target)
{
  GstP2pFanoutStats stats;

  g_assert_true (gst_p2p_fanout_get_stats (f->fanout, target, &stats));
  return stats;
}

/* A viewer below the floor for the hold (1 s) goes without the droppable (odd) frames,
 * whole, with consecutive sequence numbers; its NACKs still find the
 * right packets; a viewer above it gets every frame. Its estimate back
 * above the floor by less than the margin changes nothing; above it, it
 * gets every frame again. */
static void
test_thin_below_floor (Fixture * f, gconstpointer data)
{
  g_autoptr (GArray) frames = NULL;
  g_autoptr (GPtrArray) got = NULL;
  GstP2pFanoutStats stats;
  gint a, b;
  guint n, i;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  gst_p2p_fanout_set_thin_below (f->fanout, THIN_FLOOR);
  g_assert_true (gst_p2p_fanout_set_estimate (f->fanout, &a, THIN_FLOOR / 2));
  /* Short for less than the hold (1 s): droppable frame 1 still goes. */
  push_thin_frame (f, 0);
  push_thin_frame (f, 1);
  stats = thin_stats (f, &a);
  g_assert_false (stats.thinned);
  fake_now += G_USEC_PER_SEC;
  for (n = 2; n < 20; n++)
    push_thin_frame (f, n);

  frames = thin_frames_got (f, &a);
  g_assert_cmpuint (frames->len, ==, 11);
  g_assert_cmpuint (g_array_index (frames, guint, 1), ==, 1);
  for (i = 2; i < frames->len; i++)
    g_assert_cmpuint (g_array_index (frames, guint, i), ==, 2 * (i - 1));
  g_array_unref (frames);
  frames = thin_frames_got (f, &b);
  g_assert_cmpuint (frames->len, ==, 20);
  stats = thin_stats (f, &a);
  g_assert_true (stats.thinned);
  g_assert_cmpuint (stats.frames_thinned, ==, 9);
  stats = thin_stats (f, &b);
  g_assert_false (stats.thinned);
  g_assert_cmpuint (stats.frames_thinned, ==, 0);

  /* NACKs for a packet of frame 2 and of frame 18, in its numbering: the
   * packets of those frames come back (RFC 4588: its sequence number,
   * then the payload). */
  got = thin_packets_got (f, &a);
  for (i = 0; i < 2; i++) {
    guint frame = i == 0 ? 2 : 18;
    const guint8 *pkt = g_bytes_get_data (g_ptr_array_index (got,
            (frame / 2 + 1) * THIN_PACKETS + 1), NULL);
    guint16 seq = GST_READ_UINT16_BE (pkt + 2);
    const guint8 *rtx;
    Sent *sent;

    g_assert_true (send_nack (f, &a, seq));
    sent = g_ptr_array_index (f->sent, f->sent->len - 1);
    g_assert_true (sent->target == &a);
    rtx = g_bytes_get_data (sent->packet, NULL);
    g_assert_cmpuint (rtx[1] & 0x7f, ==, GST_P2P_PT_VIDEO_RTX);
    g_assert_cmpuint (GST_READ_UINT16_BE (rtx + 12), ==, seq);
    /* The payload is at an odd offset: read byte by byte. */
    g_assert_cmpuint (GST_READ_UINT24_BE (rtx + 14), ==, 0);
    g_assert_cmpuint (rtx[17], ==, frame);
    g_ptr_array_set_size (f->sent, f->sent->len - 1);
  }

  /* Within the margin above the floor: still thinned. */
  gst_p2p_fanout_set_estimate (f->fanout, &a, THIN_FLOOR * 11 / 10);
  for (; n < 24; n++)
    push_thin_frame (f, n);
  g_array_unref (frames);
  frames = thin_frames_got (f, &a);
  g_assert_cmpuint (frames->len, ==, 13);
  /* Above it: every frame, numbered on. */
  gst_p2p_fanout_set_estimate (f->fanout, &a, THIN_FLOOR * 2);
  for (; n < 30; n++)
    push_thin_frame (f, n);
  g_array_unref (frames);
  frames = thin_frames_got (f, &a);
  g_assert_cmpuint (frames->len, ==, 19);
  g_assert_cmpuint (g_array_index (frames, guint, 13), ==, 24);
  g_assert_cmpuint (g_array_index (frames, guint, 18), ==, 29);
  stats = thin_stats (f, &a);
  g_assert_false (stats.thinned);
  g_assert_cmpuint (stats.frames_thinned, ==, 11);
  g_array_unref (frames);
  frames = thin_frames_got (f, &b);
  g_assert_cmpuint (frames->len, ==, 30);
}

/* No floor, no thinning; and a viewer whose own estimator has seen no
 * limit yet is not thinned, whatever its start guess. */
static void
test_thin_needs_floor (Fixture * f, gconstpointer data)
{
  g_autoptr (GArray) got_a = NULL;
  g_autoptr (GArray) got_b = NULL;
  gint a, b;
  guint n;

  gst_p2p_fanout_add (f->fanout, &a);
  gst_p2p_fanout_add (f->fanout, &b);
  g_assert_true (gst_p2p_fanout_set_estimate (f->fanout, &a, THIN_FLOOR / 2));
  for (n = 0; n < 10; n++)
    push_thin_frame (f, n);
  gst_p2p_fanout_set_thin_below (f->fanout, G_MAXUINT32);
  /* The first frame below the floor starts the hold (1 s). */
  push_thin_frame (f, n++);
  fake_now += G_USEC_PER_SEC;
  for (; n < 20; n++)
    push_thin_frame (f, n);
  got_a = thin_frames_got (f, &a);
  got_b = thin_frames_got (f, &b);
  g_assert_cmpuint (got_a->len, ==, 15);
  g_assert_cmpuint (got_b->len, ==, 20);
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
  ADD ("/p2p/fanout/nack-flood-bounded", test_nack_flood_bounded);
  ADD ("/p2p/fanout/nack-loss-served", test_nack_loss_served);
  ADD ("/p2p/fanout/rtcp-flood-bounded", test_rtcp_flood_bounded);
  ADD ("/p2p/fanout/lists", test_lists);
  ADD ("/p2p/fanout/transport-wide-sequence-per-viewer",
      test_transport_wide_sequence_per_viewer);
  ADD ("/p2p/fanout/twcc-extension-added", test_twcc_extension_added);
  ADD ("/p2p/fanout/transport-cc-estimate", test_transport_cc_estimate);
  ADD ("/p2p/fanout/pacing", test_pacing);
  ADD ("/p2p/fanout/pacing-not-below-stream", test_pacing_not_below_stream);
  ADD ("/p2p/fanout/pacing-rtx", test_pacing_rtx);
  ADD ("/p2p/fanout/transport-cc-parse", test_transport_cc_parse);
  ADD ("/p2p/fanout/transport-cc-gaps", test_transport_cc_gaps);
  ADD ("/p2p/fanout/estimate-cap", test_estimate_cap);
  ADD ("/p2p/fanout/thin-below-floor", test_thin_below_floor);
  ADD ("/p2p/fanout/thin-needs-floor", test_thin_needs_floor);
#undef ADD
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, setup_layers, func, teardown)
  ADD ("/p2p/fanout/layer/pin-switch", test_layer_pin_switch);
  ADD ("/p2p/fanout/layer/sender-reports", test_layer_sender_reports);
  ADD ("/p2p/fanout/layer/bases-apart", test_layer_bases_apart);
  ADD ("/p2p/fanout/layer/adapt-hysteresis", test_layer_adapt_hysteresis);
  ADD ("/p2p/fanout/layer/adapt-on-feedback", test_layer_adapt_on_feedback);
  ADD ("/p2p/fanout/layer/probe", test_layer_probe);
  ADD ("/p2p/fanout/layer/probe-keyframes", test_layer_probe_keyframes);
  ADD ("/p2p/fanout/layer/probe-bounded", test_layer_probe_bounded);
  ADD ("/p2p/fanout/encoder/probe", test_encoder_probe);
  ADD ("/p2p/fanout/encoder/probe-bounded", test_encoder_probe_bounded);
#undef ADD
  return g_test_run ();
}
