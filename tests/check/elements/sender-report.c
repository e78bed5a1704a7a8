/* p2psink's sender reports (gstp2psenderreport.c): what a report says
 * about the packets counted, byte by byte.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <string.h>

#include "gstp2psenderreport.h"

#define SSRC 0x11223344
#define CNAME "p2psink-test"

/* An RTP packet of @payload bytes in @out (with @csrcs CSRCs, a 4-byte
 * header extension when @ext and 3 bytes of padding when @pad); returns
 * its size. */
static gsize
make_rtp (guint8 * out, guint32 ssrc, guint16 seq, guint32 ts, gsize payload,
    guint csrcs, gboolean ext, gboolean pad)
{
  gsize off = 12 + 4 * csrcs;

  memset (out, 0, 1500);
  out[0] = 0x80 | (pad ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs;
  out[1] = 96;
  GST_WRITE_UINT16_BE (out + 2, seq);
  GST_WRITE_UINT32_BE (out + 4, ts);
  GST_WRITE_UINT32_BE (out + 8, ssrc);
  if (ext) {
    GST_WRITE_UINT16_BE (out + off, 0xbede);
    GST_WRITE_UINT16_BE (out + off + 2, 1);
    off += 8;
  }
  memset (out + off, 0xab, payload);
  off += payload;
  if (pad) {
    out[off + 2] = 3;
    off += 3;
  }
  return off;
}

static void
count_one (GstP2pSenderReport * report, const guint8 * packet, gsize size,
    GstClockTime running_time)
{
  gst_p2p_sender_report_count (report, &packet, &size, 1, running_time);
}

/* The report parsed by GStreamer's RTCP reader: one SR with no report
 * blocks, then an SDES chunk with our CNAME for the same SSRC, then (if
 * @bye) a BYE of that SSRC. */
static void
check_report (const guint8 * data, gsize size, guint32 ssrc, guint64 * ntp,
    guint32 * rtptime, guint32 * packets, guint32 * octets, gboolean bye)
{
  GstBuffer *buf = gst_buffer_new_memdup (data, size);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstRTCPSDESType type;
  guint32 got_ssrc;
  guint8 len;
  guint8 *item;

  g_assert_true (gst_rtcp_buffer_validate (buf));
  g_assert_true (gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp));
  g_assert_true (gst_rtcp_buffer_get_first_packet (&rtcp, &packet));
  g_assert_cmpint (gst_rtcp_packet_get_type (&packet), ==, GST_RTCP_TYPE_SR);
  g_assert_cmpuint (gst_rtcp_packet_get_rb_count (&packet), ==, 0);
  gst_rtcp_packet_sr_get_sender_info (&packet, &got_ssrc, ntp, rtptime,
      packets, octets);
  g_assert_cmphex (got_ssrc, ==, ssrc);

  g_assert_true (gst_rtcp_packet_move_to_next (&packet));
  g_assert_cmpint (gst_rtcp_packet_get_type (&packet), ==, GST_RTCP_TYPE_SDES);
  g_assert_cmpuint (gst_rtcp_packet_sdes_get_item_count (&packet), ==, 1);
  g_assert_true (gst_rtcp_packet_sdes_first_item (&packet));
  g_assert_cmphex (gst_rtcp_packet_sdes_get_ssrc (&packet), ==, ssrc);
  g_assert_true (gst_rtcp_packet_sdes_first_entry (&packet));
  g_assert_true (gst_rtcp_packet_sdes_get_entry (&packet, &type, &len, &item));
  g_assert_cmpint (type, ==, GST_RTCP_SDES_CNAME);
  g_assert_cmpmem (item, len, CNAME, strlen (CNAME));
  g_assert_false (gst_rtcp_packet_sdes_next_entry (&packet));

  if (bye) {
    g_assert_true (gst_rtcp_packet_move_to_next (&packet));
    g_assert_cmpint (gst_rtcp_packet_get_type (&packet), ==, GST_RTCP_TYPE_BYE);
    g_assert_cmpuint (gst_rtcp_packet_bye_get_ssrc_count (&packet), ==, 1);
    g_assert_cmphex (gst_rtcp_packet_bye_get_nth_ssrc (&packet, 0), ==, ssrc);
  }
  g_assert_false (gst_rtcp_packet_move_to_next (&packet));
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_unref (buf);
}

/* A stream that sent nothing reports nothing; then the counts are the
 * packets and their payload octets (no header, CSRCs, extension or
 * padding), and a list counts each of its packets. */
static void
test_counts (void)
{
  GstP2pSenderReport *report = gst_p2p_sender_report_new (CNAME);
  guint8 out[GST_P2P_SENDER_REPORT_MAX_SIZE], p[3][1500];
  const guint8 *list[3] = { p[0], p[1], p[2] };
  gsize sizes[3], size;
  guint32 rtptime, packets, octets;
  guint64 ntp;

  g_assert_false (gst_p2p_sender_report_due (report, 0));
  g_assert_cmpuint (gst_p2p_sender_report_make (report, 0, 0, FALSE, out),
      ==, 0);

  sizes[0] = make_rtp (p[0], SSRC, 1, 9000, 1000, 0, FALSE, FALSE);
  sizes[1] = make_rtp (p[1], SSRC, 2, 9000, 500, 2, TRUE, FALSE);
  sizes[2] = make_rtp (p[2], SSRC, 3, 9000, 100, 0, FALSE, TRUE);
  gst_p2p_sender_report_count (report, list, sizes, 3, GST_SECOND);
  /* Not RTP: skipped. */
  p[0][0] = 0x40;
  count_one (report, p[0], sizes[0], GST_SECOND);
  count_one (report, p[0], 5, GST_SECOND);

  size = gst_p2p_sender_report_make (report, GST_SECOND, 0, FALSE, out);
  g_assert_cmpuint (size % 4, ==, 0);
  check_report (out, size, SSRC, &ntp, &rtptime, &packets, &octets, FALSE);
  g_assert_cmpuint (packets, ==, 3);
  g_assert_cmpuint (octets, ==, 1600);

  /* A new SSRC (the payloader restarted) counts from zero. */
  make_rtp (p[1], 0x55667788, 10, 100, 200, 0, FALSE, FALSE);
  count_one (report, p[1], 212, GST_SECOND);
  size = gst_p2p_sender_report_make (report, GST_SECOND, 0, TRUE, out);
  check_report (out, size, 0x55667788, &ntp, &rtptime, &packets, &octets, TRUE);
  g_assert_cmpuint (packets, ==, 1);
  g_assert_cmpuint (octets, ==, 200);
  gst_p2p_sender_report_free (report);
}

/* The report maps the wall clock given to the RTP timestamp of that
 * moment: the last timestamped packet's, carried forward at the clock
 * rate over the running time since it was sent (backwards too, and
 * across the 32-bit wrap). Without a clock rate or a running time it is
 * the last packet's. */
static void
test_mapping (void)
{
  GstP2pSenderReport *report = gst_p2p_sender_report_new (CNAME);
  guint8 out[GST_P2P_SENDER_REPORT_MAX_SIZE], p[1500];
  guint64 ntp_ns = GST_P2P_NTP_UNIX_OFFSET + 1700000000 * GST_SECOND +
      GST_SECOND / 4;
  guint32 rtptime, packets, octets;
  guint64 ntp;
  gsize size, len;

  len = make_rtp (p, SSRC, 1, 0xfffff000, 100, 0, FALSE, FALSE);
  count_one (report, p, len, 10 * GST_SECOND);
  /* No clock rate yet. */
  size = gst_p2p_sender_report_make (report, 11 * GST_SECOND, ntp_ns, FALSE,
      out);
  check_report (out, size, SSRC, &ntp, &rtptime, &packets, &octets, FALSE);
  g_assert_cmphex (rtptime, ==, 0xfffff000);
  /* NTP: seconds since 1900 in the high word, the fraction in the low. */
  g_assert_cmpuint (ntp >> 32, ==, 2208988800u + 1700000000u);
  g_assert_cmpuint (ntp & 0xffffffff, ==, 0x40000000);

  gst_p2p_sender_report_set_clock_rate (report, 90000);
  size = gst_p2p_sender_report_make (report, 11 * GST_SECOND, ntp_ns, FALSE,
      out);
  check_report (out, size, SSRC, &ntp, &rtptime, &packets, &octets, FALSE);
  g_assert_cmphex (rtptime, ==, (guint32) (0xfffff000u + 90000));
  size = gst_p2p_sender_report_make (report, 10 * GST_SECOND - GST_MSECOND,
      ntp_ns, FALSE, out);
  check_report (out, size, SSRC, &ntp, &rtptime, &packets, &octets, FALSE);
  g_assert_cmphex (rtptime, ==, 0xfffff000u - 90);
  size = gst_p2p_sender_report_make (report, GST_CLOCK_TIME_NONE, ntp_ns,
      FALSE, out);
  check_report (out, size, SSRC, &ntp, &rtptime, &packets, &octets, FALSE);
  g_assert_cmphex (rtptime, ==, 0xfffff000);

  /* A packet without a running time moves neither end of the mapping. */
  len = make_rtp (p, SSRC, 2, 0x1000, 100, 0, FALSE, FALSE);
  count_one (report, p, len, GST_CLOCK_TIME_NONE);
  size = gst_p2p_sender_report_make (report, 10 * GST_SECOND + GST_SECOND / 2,
      ntp_ns, FALSE, out);
  check_report (out, size, SSRC, &ntp, &rtptime, &packets, &octets, FALSE);
  g_assert_cmphex (rtptime, ==, (guint32) (0xfffff000u + 45000));
  g_assert_cmpuint (packets, ==, 2);

  /* Audio at 48 kHz from the next packet on. */
  gst_p2p_sender_report_set_clock_rate (report, 48000);
  len = make_rtp (p, SSRC, 3, 480000, 100, 0, FALSE, FALSE);
  count_one (report, p, len, 20 * GST_SECOND);
  size = gst_p2p_sender_report_make (report, 20 * GST_SECOND + 20 *
      GST_MSECOND, ntp_ns, FALSE, out);
  check_report (out, size, SSRC, &ntp, &rtptime, &packets, &octets, FALSE);
  g_assert_cmpuint (rtptime, ==, 480000 + 960);
  gst_p2p_sender_report_free (report);
}

/* Reports are due from the first packet on, then every interval give or
 * take a half, at random. */
static void
test_due (void)
{
  GstP2pSenderReport *report = gst_p2p_sender_report_new (CNAME);
  guint8 p[1500];
  gsize len = make_rtp (p, SSRC, 1, 0, 100, 0, FALSE, FALSE);
  gint64 now = 1000000, last;
  guint i, reports = 0;

  g_assert_false (gst_p2p_sender_report_due (report, now));
  count_one (report, p, len, 0);
  g_assert_true (gst_p2p_sender_report_due (report, now));
  g_assert_false (gst_p2p_sender_report_due (report, now));
  g_assert_false (gst_p2p_sender_report_due (report,
          now + GST_P2P_SENDER_REPORT_INTERVAL / 2 - 1));
  g_assert_true (gst_p2p_sender_report_due (report,
          now + GST_P2P_SENDER_REPORT_INTERVAL * 3 / 2));

  /* 100 s in steps of 10 ms: about one report a second. */
  last = now += GST_P2P_SENDER_REPORT_INTERVAL * 3 / 2;
  for (i = 0; i < 10000; i++) {
    now += 10000;
    if (gst_p2p_sender_report_due (report, now)) {
      g_assert_cmpint (now - last, >=, GST_P2P_SENDER_REPORT_INTERVAL / 2);
      g_assert_cmpint (now - last, <=, GST_P2P_SENDER_REPORT_INTERVAL * 3 / 2
          + 10000);
      last = now;
      reports++;
    }
  }
  g_assert_cmpuint (reports, >=, 80);
  g_assert_cmpuint (reports, <=, 120);
  gst_p2p_sender_report_free (report);
}

/* A long CNAME is cut to SDES's 255 bytes and the report still fits. */
static void
test_long_cname (void)
{
  gchar *cname = g_strnfill (400, 'c');
  GstP2pSenderReport *report = gst_p2p_sender_report_new (cname);
  guint8 out[GST_P2P_SENDER_REPORT_MAX_SIZE + 16], p[1500];
  gsize len = make_rtp (p, SSRC, 1, 0, 100, 0, FALSE, FALSE), size;
  GstBuffer *buf;

  memset (out, 0xee, sizeof (out));
  count_one (report, p, len, 0);
  size = gst_p2p_sender_report_make (report, 0, 0, TRUE, out);
  g_assert_cmpuint (size, <=, GST_P2P_SENDER_REPORT_MAX_SIZE);
  g_assert_cmpuint (out[GST_P2P_SENDER_REPORT_MAX_SIZE], ==, 0xee);
  g_assert_cmpuint (out[28 + 9], ==, 255);
  buf = gst_buffer_new_memdup (out, size);
  g_assert_true (gst_rtcp_buffer_validate (buf));
  gst_buffer_unref (buf);
  gst_p2p_sender_report_free (report);
  g_free (cname);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/sender-report/counts", test_counts);
  g_test_add_func ("/p2p/sender-report/mapping", test_mapping);
  g_test_add_func ("/p2p/sender-report/due", test_due);
  g_test_add_func ("/p2p/sender-report/long-cname", test_long_cname);
  return g_test_run ();
}
