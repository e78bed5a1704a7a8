/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The retransmission pause: a jitter buffer stops asking for
 * retransmissions while far more is lost than can be repaired, and asks
 * again once the loss has fallen back.
 *
 * Heavy loss on a viewer means an overloaded receiver (on loopback every
 * lost packet of the throughput benchmark was dropped in the viewer's own
 * socket buffer) or an overloaded path. Asking for everything then makes
 * it worse: each missing packet gets a timer that the jitter buffer walks
 * and re-sorts for every packet it receives and that fires a request every
 * 10 ms (RTX_MIN_RETRY_TIMEOUT_MS) until the latency is spent, each
 * request is an event through rtpbin and an entry of the next RTCP
 * feedback, and each answer is one more packet to receive. Measured at
 * 300 Mbit/s: 60-100 us of the receiving thread per received packet once
 * loss had started, against ~10 us with retransmission off, and the loss
 * never stopped (docs/performance.md, "Throughput"). Beyond half the
 * packets lost, the camera cannot repair them anyway: a retransmission is
 * lost as often as the packet was, so at a loss share L each lost packet
 * takes L / (1 - L) of its size again in retransmissions on average, and
 * the camera spends at most its video rate again on them (gstp2pfanout.c,
 * RTX_SHARE 1.0), which covers L up to 1/2. Frames stay broken and the
 * depayloader asks for a keyframe (PLI), which is what repairs the
 * picture then. Below that, repair works and is kept: a path losing a
 * third of the video is repaired in full (tests/check/elements/thinning.c).
 *
 * A probe on the jitter buffer's input counts the original packets (not
 * the retransmissions rtprtxreceive restored) against the sequence numbers
 * they span, over windows of at least PAUSE_WINDOW of arrival time (the
 * buffers' DTS) and PAUSE_WINDOW_PACKETS expected packets. One window
 * losing more than PAUSE_LOSS_PERCENT turns the element's
 * `do-retransmission` off; windows in a row spanning RESUME_AFTER and
 * losing at most RESUME_LOSS_PERCENT turn it on again. Requests already pending still run
 * their course (the jitter buffer keeps their timers), which ends within
 * its latency; new gaps get only lost timers meanwhile. The count comes
 * from the sequence numbers, not from the jitter buffer's repairs, so it
 * measures the loss itself whether requests are on or off. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2prtxpause.h"

#include <gst/rtp/rtp.h>

GST_DEBUG_CATEGORY_STATIC (rtx_pause_debug);
#define GST_CAT_DEFAULT rtx_pause_debug

/* Arrival time and expected packets a window spans at least. */
#define PAUSE_WINDOW (100 * GST_MSECOND)
#define PAUSE_WINDOW_PACKETS 32
/* Requests stop when one window lost more than this share... */
#define PAUSE_LOSS_PERCENT 50
/* ...and start again once windows in a row spanning this much arrival
 * time lost at most this share: half a second, so that a receiver which
 * only kept up because it stopped asking is not thrown back at once,
 * while a path that keeps losing some (a radio's few per cent) is
 * repaired again. Counted in time, not windows: at a low rate one window
 * (32 packets) already spans more, and a viewer that has just moved to a
 * lighter layer should not go unrepaired for seconds. */
#define RESUME_LOSS_PERCENT 10
#define RESUME_AFTER (500 * GST_MSECOND)

/* What the probe counts on one jitter buffer's input (its streaming
 * thread only, under the pad's stream lock). */
typedef struct
{
  GstElement *jitterbuffer;     /* (unowned) the element probed */
  gint *pauses;                 /* (nullable) bumped at each pause */
  gboolean started;
  guint16 highest;              /* highest sequence number seen */
  guint64 ext_highest;          /* the same, extended */
  guint64 window_start;         /* ext_highest when the window began */
  GstClockTime window_time;     /* its first packet's DTS */
  guint64 received;             /* original packets in the window */
  gboolean paused;
  GstClockTime clean_time;      /* spanned by the clean windows in a row */
} RtxPause;

/* Ends the window, which spanned @span of arrival time: pauses or resumes
 * requests on its loss. */
static void
rtx_pause_judge (RtxPause * p, guint64 expected, GstClockTime span)
{
  guint64 lost = expected > p->received ? expected - p->received : 0;

  if (!p->paused) {
    gboolean asking = FALSE;

    if (lost * 100 <= expected * PAUSE_LOSS_PERCENT)
      return;
    /* Only a jitter buffer that asks can be paused (and resumed). */
    g_object_get (p->jitterbuffer, "do-retransmission", &asking, NULL);
    if (!asking)
      return;
    g_object_set (p->jitterbuffer, "do-retransmission", FALSE, NULL);
    p->paused = TRUE;
    p->clean_time = 0;
    if (p->pauses)
      g_atomic_int_inc (p->pauses);
    GST_INFO_OBJECT (p->jitterbuffer, "%" G_GUINT64_FORMAT " of %"
        G_GUINT64_FORMAT " packets lost: retransmission requests paused",
        lost, expected);
  } else if (lost * 100 > expected * RESUME_LOSS_PERCENT) {
    p->clean_time = 0;
  } else if ((p->clean_time += span) >= RESUME_AFTER) {
    g_object_set (p->jitterbuffer, "do-retransmission", TRUE, NULL);
    p->paused = FALSE;
    GST_INFO_OBJECT (p->jitterbuffer, "loss back to %" G_GUINT64_FORMAT
        " of %" G_GUINT64_FORMAT ": retransmission requests resumed", lost,
        expected);
  }
}

static gboolean
rtx_pause_count (GstBuffer ** buf, guint idx, gpointer data)
{
  RtxPause *p = data;
  GstClockTime dts = GST_BUFFER_DTS_OR_PTS (*buf);
  guint8 b[4];
  guint16 seq;
  gint16 delta;

  if (GST_BUFFER_FLAG_IS_SET (*buf, GST_RTP_BUFFER_FLAG_RETRANSMISSION)
      || gst_buffer_extract (*buf, 0, b, 4) != 4 || (b[0] >> 6) != 2)
    return TRUE;
  seq = GST_READ_UINT16_BE (b + 2);
  if (!p->started) {
    p->started = TRUE;
    p->highest = seq;
    p->ext_highest = p->window_start = 1 << 16;
    p->window_time = dts;
    p->received = 0;
    return TRUE;
  }
  /* A packet older than the highest (reordered, or late) still counts as
   * received: the window it was missing from may already be judged, so a
   * window can count more than it expected, never less than it got. */
  p->received++;
  delta = (gint16) (seq - p->highest);
  if (delta > 0) {
    p->highest = seq;
    p->ext_highest += delta;
  }
  if (!GST_CLOCK_TIME_IS_VALID (p->window_time))
    p->window_time = dts;
  if (p->ext_highest - p->window_start >= PAUSE_WINDOW_PACKETS
      && (!GST_CLOCK_TIME_IS_VALID (dts)
          || !GST_CLOCK_TIME_IS_VALID (p->window_time)
          || dts >= p->window_time + PAUSE_WINDOW)) {
    /* Without timestamps a window counts as the shortest one. */
    GstClockTime span = PAUSE_WINDOW;

    if (GST_CLOCK_TIME_IS_VALID (dts) && GST_CLOCK_TIME_IS_VALID
        (p->window_time) && dts > p->window_time + PAUSE_WINDOW)
      span = dts - p->window_time;
    rtx_pause_judge (p, p->ext_highest - p->window_start, span);
    p->window_start = p->ext_highest;
    p->window_time = dts;
    p->received = 0;
  }
  return TRUE;
}

static GstPadProbeReturn
rtx_pause_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    rtx_pause_count (&buf, 0, data);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        rtx_pause_count, data);
  return GST_PAD_PROBE_OK;
}

/**
 * gst_p2p_rtx_pause_attach:
 * @jitterbuffer: a jitter buffer with a `do-retransmission` property
 *   (rtpjitterbuffer, or p2psrc's own, gstp2pjitterbuffer.c)
 * @pauses: (nullable): a counter, incremented (atomically) each time the
 *   requests are paused; it must outlive @jitterbuffer's streaming
 *
 * Pauses @jitterbuffer's retransmission requests (its `do-retransmission`)
 * while it loses more than half of the packets, and resumes them once
 * the loss is back to a tenth at most for half a second. A jitter buffer that does not ask for
 * retransmissions is left as it is.
 */
void
gst_p2p_rtx_pause_attach (GstElement * jitterbuffer, gint * pauses)
{
  RtxPause *p;
  GstPad *pad;

  g_return_if_fail (GST_IS_ELEMENT (jitterbuffer));

  GST_DEBUG_CATEGORY_INIT (rtx_pause_debug, "p2prtxpause", 0,
      "p2p retransmission pause");
  pad = gst_element_get_static_pad (jitterbuffer, "sink");
  g_return_if_fail (pad != NULL);
  p = g_new0 (RtxPause, 1);
  p->jitterbuffer = jitterbuffer;
  p->pauses = pauses;
  p->window_time = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, rtx_pause_probe, p, g_free);
  gst_object_unref (pad);
}
