/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A camera stream's RTCP sender reports, made from the packets the stream
 * sends. They used to come from an rtpbin send session per stream, whose
 * per-packet bookkeeping (source lookup, statistics, locks) was most of
 * what it did: no viewer's RTCP reaches it (the fan-out reads that), so
 * its reports never carried report blocks. A viewer needs from a stream's
 * report the mapping of an RTP timestamp to the sender's wall clock (to
 * play audio and video in sync: rtpbin pairs streams by their CNAME),
 * the packet and octet counts, and the report's NTP time, which comes
 * back in its receiver reports for the round-trip time
 * (gstp2pfanout.c). The mapping is rtpbin's: the RTP timestamp of the
 * last packet and the running time it was sent at (its timestamp's
 * running time plus the pipeline's latency), carried forward to the
 * report's running time at the clock rate; the NTP time is the wall
 * clock's at that running time. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psenderreport.h"

#include <string.h>
#include <gst/rtp/gstrtcpbuffer.h>

#define RTP_HEADER_LEN 12
#define SR_LEN 28
#define CNAME_MAX 255
/* An SR, the longest SDES and a BYE. */
G_STATIC_ASSERT (SR_LEN + ((4 + 4 + 2 + CNAME_MAX + 1 + 3) & ~3) + 8 <=
    GST_P2P_SENDER_REPORT_MAX_SIZE);

struct _GstP2pSenderReport
{
  gchar *cname;
  gsize cname_len;
  guint clock_rate;             /* 0: not known */

  /* The stream as the last packets showed it. */
  gboolean counted;
  guint32 ssrc;
  guint32 packets;
  guint32 octets;
  guint32 last_rtptime;
  /* The running time the last packet with a timestamp was sent at, and
   * its RTP timestamp; none until such a packet. */
  GstClockTime mapped_time;
  guint32 mapped_rtptime;

  gint64 next;                  /* monotonic µs; 0: at the next packet */
};

/**
 * gst_p2p_sender_report_new:
 * @cname: the sender's canonical name, the same for every stream that
 *     plays in sync with this one (at most 255 bytes are used)
 *
 * Returns: (transfer full): reports for a stream that has sent nothing yet
 */
GstP2pSenderReport *
gst_p2p_sender_report_new (const gchar * cname)
{
  GstP2pSenderReport *report;

  g_return_val_if_fail (cname != NULL, NULL);
  report = g_new0 (GstP2pSenderReport, 1);
  report->cname_len = MIN (strlen (cname), CNAME_MAX);
  report->cname = g_strndup (cname, report->cname_len);
  report->mapped_time = GST_CLOCK_TIME_NONE;
  return report;
}

/**
 * gst_p2p_sender_report_free:
 * @report: (transfer full): reports from gst_p2p_sender_report_new()
 */
void
gst_p2p_sender_report_free (GstP2pSenderReport * report)
{
  if (!report)
    return;
  g_free (report->cname);
  g_free (report);
}

/**
 * gst_p2p_sender_report_set_clock_rate:
 * @report: a stream's reports
 * @clock_rate: its RTP clock rate in Hz, 0 when not known
 */
void
gst_p2p_sender_report_set_clock_rate (GstP2pSenderReport * report,
    guint clock_rate)
{
  report->clock_rate = clock_rate;
}

/* The payload's length in the RTP packet @p of @size bytes (without the
 * header, CSRCs, extension and padding); -1 when it is not RTP. */
static gssize
payload_length (const guint8 * p, gsize size)
{
  gsize header, padding = 0;

  if (size < RTP_HEADER_LEN || (p[0] & 0xc0) != 0x80)
    return -1;
  header = RTP_HEADER_LEN + 4 * (p[0] & 0x0f);
  if ((p[0] & 0x10) && header + 4 <= size)
    header += 4 + 4 * (gsize) GST_READ_UINT16_BE (p + header + 2);
  if (p[0] & 0x20)
    padding = p[size - 1];
  if (header + padding > size)
    return -1;
  return size - header - padding;
}

/**
 * gst_p2p_sender_report_count:
 * @report: a stream's reports
 * @packets: (array length=n): RTP packets the stream sent, in order
 * @sizes: (array length=n): their sizes
 * @n: how many
 * @running_time: the running time they were sent at (the first one's
 *     timestamp's running time plus the latency), or
 *     %GST_CLOCK_TIME_NONE
 *
 * Counts the packets and their payload octets. A new SSRC starts the
 * counts again (a payloader that restarted). What is not RTP is skipped.
 */
void
gst_p2p_sender_report_count (GstP2pSenderReport * report,
    const guint8 * const *packets, const gsize * sizes, guint n,
    GstClockTime running_time)
{
  guint i;

  for (i = 0; i < n; i++) {
    const guint8 *p = packets[i];
    gssize payload = payload_length (p, sizes[i]);
    guint32 ssrc;

    if (payload < 0)
      continue;
    ssrc = GST_READ_UINT32_BE (p + 8);
    if (!report->counted || ssrc != report->ssrc) {
      report->counted = TRUE;
      report->ssrc = ssrc;
      report->packets = 0;
      report->octets = 0;
      report->mapped_time = GST_CLOCK_TIME_NONE;
    }
    report->packets++;
    report->octets += payload;
    report->last_rtptime = GST_READ_UINT32_BE (p + 4);
    if (GST_CLOCK_TIME_IS_VALID (running_time)) {
      report->mapped_time = running_time;
      report->mapped_rtptime = report->last_rtptime;
    }
  }
}

/**
 * gst_p2p_sender_report_due:
 * @report: a stream's reports
 * @now: the monotonic time in µs (g_get_monotonic_time())
 *
 * Whether a report is to be sent now: the first once the stream has sent
 * a packet, then every %GST_P2P_SENDER_REPORT_INTERVAL on average, each
 * time between half and one and a half of it at random (RFC 3550 section
 * 6.3.1), as rtpbin does. A %TRUE answer schedules the next one.
 *
 * Returns: %TRUE when a report is due
 */
gboolean
gst_p2p_sender_report_due (GstP2pSenderReport * report, gint64 now)
{
  if (!report->counted || now < report->next)
    return FALSE;
  report->next = now + (gint64) (GST_P2P_SENDER_REPORT_INTERVAL *
      g_random_double_range (0.5, 1.5));
  return TRUE;
}

/* The RTP timestamp at @running_time, from the last mapped packet's;
 * the last packet's when that cannot be known. */
static guint32
rtptime_at (GstP2pSenderReport * report, GstClockTime running_time)
{
  GstClockTimeDiff diff;
  guint32 ticks;

  if (report->clock_rate == 0 || !GST_CLOCK_TIME_IS_VALID (running_time)
      || !GST_CLOCK_TIME_IS_VALID (report->mapped_time))
    return report->last_rtptime;
  diff = GST_CLOCK_DIFF (report->mapped_time, running_time);
  ticks = (guint32) gst_util_uint64_scale_int (ABS (diff),
      report->clock_rate, GST_SECOND);
  return diff >= 0 ? report->mapped_rtptime + ticks :
      report->mapped_rtptime - ticks;
}

/**
 * gst_p2p_sender_report_make:
 * @report: a stream's reports
 * @running_time: the pipeline's running time now, or
 *     %GST_CLOCK_TIME_NONE (no clock)
 * @ntp_ns: the wall clock's time at @running_time in nanoseconds since
 *     1900 (g_get_real_time() plus %GST_P2P_NTP_UNIX_OFFSET)
 * @bye: whether the stream ends: a BYE follows the report
 * @out: (out caller-allocates) (array fixed-size=320): where to write
 *     %GST_P2P_SENDER_REPORT_MAX_SIZE bytes at most
 *
 * Makes a compound RTCP packet: a sender report without report blocks,
 * an SDES packet with the CNAME, and a BYE if @bye. Without a clock
 * rate, a @running_time or a packet with a timestamp, the RTP timestamp
 * is the last packet's.
 *
 * Returns: its size in bytes; 0 when the stream has sent nothing yet
 */
gsize
gst_p2p_sender_report_make (GstP2pSenderReport * report,
    GstClockTime running_time, guint64 ntp_ns, gboolean bye, guint8 * out)
{
  guint64 ntp = gst_util_uint64_scale (ntp_ns, G_GUINT64_CONSTANT (1) << 32,
      GST_SECOND);
  gsize sdes_len, off;

  if (!report->counted)
    return 0;

  out[0] = 0x80;
  out[1] = GST_RTCP_TYPE_SR;
  GST_WRITE_UINT16_BE (out + 2, SR_LEN / 4 - 1);
  GST_WRITE_UINT32_BE (out + 4, report->ssrc);
  GST_WRITE_UINT64_BE (out + 8, ntp);
  GST_WRITE_UINT32_BE (out + 16, rtptime_at (report, running_time));
  GST_WRITE_UINT32_BE (out + 20, report->packets);
  GST_WRITE_UINT32_BE (out + 24, report->octets);

  /* One chunk: the SSRC, the CNAME item, then at least one zero byte
   * ending the items, up to a 32-bit boundary. */
  sdes_len = 4 + 4 + 2 + report->cname_len + 1;
  sdes_len = (sdes_len + 3) & ~(gsize) 3;
  off = SR_LEN;
  memset (out + off, 0, sdes_len);
  out[off] = 0x81;
  out[off + 1] = GST_RTCP_TYPE_SDES;
  GST_WRITE_UINT16_BE (out + off + 2, sdes_len / 4 - 1);
  GST_WRITE_UINT32_BE (out + off + 4, report->ssrc);
  out[off + 8] = GST_RTCP_SDES_CNAME;
  out[off + 9] = report->cname_len;
  memcpy (out + off + 10, report->cname, report->cname_len);
  off += sdes_len;

  if (bye) {
    out[off] = 0x81;
    out[off + 1] = GST_RTCP_TYPE_BYE;
    GST_WRITE_UINT16_BE (out + off + 2, 1);
    GST_WRITE_UINT32_BE (out + off + 4, report->ssrc);
    off += 8;
  }
  return off;
}
