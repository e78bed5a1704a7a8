/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2psrc's jitter buffer: the stage rtpbin puts between its SSRC
 * demultiplexer and its payload demultiplexer for each stream (handed to
 * rtpbin through its "request-jitterbuffer" signal), in rtpjitterbuffer's
 * place.
 *
 * rtpjitterbuffer queues every packet and pushes it from a thread of its
 * own, with a second thread for its timers: per packet an insert into its
 * queue, a wake-up of its thread, a pop and a push (docs/performance.md,
 * "Packet lists kept whole": about 9,000 instructions and 0.13 context
 * switches per packet beyond the depayloader). On p2p's paths almost every
 * packet arrives in order, so here a packet in order goes out at once, on
 * the thread that brought it, and a list that came in order goes out as
 * the same list. Only a gap holds packets back:
 *
 * - the packets behind a missing one wait in a ring indexed by sequence
 *   number (RING_SIZE slots, allocated at the first gap);
 * - each missing packet is asked for upstream (GstRTPRetransmissionRequest,
 *   the event rtpjitterbuffer sends, which rtprtxreceive and rtpsession
 *   turn into a NACK), again every retry timeout (twice the measured
 *   round trip, 40 ms before one is measured, at least
 *   `rtx-min-retry-timeout`), while `do-retransmission` is on;
 * - a gap still open a latency after the packet that showed it arrived
 *   is given up (by arrival, as rtpjitterbuffer: packets that all came
 *   late after a stall still get a full latency for their repair): one
 *   GstRTPPacketLost event (rtpjitterbuffer's fields) covers the whole
 *   missing range, and the packets behind it go out;
 * - one clock entry per element serves all of this; when it fires, the
 *   work runs on a thread of GStreamer's pool under the sink pad's stream
 *   lock, so that pushes stay serialized with the receiving thread.
 *
 * Packets from before the next one due are dropped (duplicates, and late
 * ones once their gap was given up); a jump of more than the ring in
 * either direction, twice in a row, starts the stream over (the sender
 * restarted its numbering).
 *
 * Output times follow the sender's clock as in rtpjitterbuffer's `slave`
 * mode: a packet's time is its RTP timestamp mapped onto the running time
 * of the first packet's arrival, moved by the skew, which heads for the
 * least delay (arrival minus mapped time) of the last SKEW_WINDOW by
 * SKEW_STEP a frame, so that times follow the receiver's clock when the
 * two clocks drift apart; a frame never gets an earlier time than the
 * one before. Like rtpjitterbuffer, the output carries no decoding time. Lip sync
 * goes through rtpbin as with rtpjitterbuffer: the sender reports that
 * rtpbin links to the `sink_rtcp` pad are handed to the `handle-sync`
 * signal with the mapping, and rtpbin answers with `ts-offset`.
 *
 * Not reproduced from rtpjitterbuffer: the buffering modes other than
 * `slave`, `drop-on-latency`, RFC 7273 clocks, `faststart-min-packets`
 * (the first packet starts the stream), serialized events kept in order
 * with held packets (they pass at once), the retransmission settings
 * other than `rtx-min-retry-timeout`, and per-packet lost events. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pjitterbuffer.h"

#include <gst/rtp/rtp.h>

GST_DEBUG_CATEGORY_STATIC (jitter_buffer_debug);
#define GST_CAT_DEFAULT jitter_buffer_debug

/* Packets a gap can hold back, and the jump beyond which the stream
 * starts over: 50 ms of an 800 Mbit/s stream of 1,200-byte packets. */
#define RING_SIZE 4096
#define RING_MASK (RING_SIZE - 1)
/* Window over which the skew is the least delay seen. */
#define SKEW_WINDOW (2 * GST_SECOND)
/* The skew moves at most this much per frame: a sender that sent a burst
 * of frames late, or a window whose least delay jumped, moves the output
 * times smoothly instead of bunching frames on one time. */
#define SKEW_STEP (4 * GST_MSECOND)
/* A packet whose delay is this far from the skew shifts the timeline at
 * once (update_skew()), as rtpjitterbuffer resynchronises: the pipeline
 * was paused and resumed, or the sender's RTP clock jumped. Slewing
 * SKEW_STEP a frame would take minutes to follow it, every frame that
 * far from its time. */
#define SKEW_RESYNC GST_SECOND
/* A missing packet this far behind the newest one is asked for at once;
 * closer, it may only have been overtaken, and is asked for after
 * REORDER_DELAY. */
#define REORDER_PACKETS 3
#define REORDER_DELAY (5 * GST_MSECOND)
/* Retry timeout before a round trip is measured (rtpjitterbuffer's). */
#define DEFAULT_RETRY_TIMEOUT (40 * GST_MSECOND)
/* A sender report whose RTP time is further than this from the newest
 * packet's is not used for lip sync (rtpjitterbuffer's
 * max-rtcp-rtp-time-diff default). */
#define MAX_RTCP_RTP_TIME_DIFF GST_SECOND

#define DEFAULT_LATENCY_MS 200

enum
{
  PROP_0,
  PROP_LATENCY,
  PROP_DO_LOST,
  PROP_DO_RETRANSMISSION,
  PROP_RTX_MIN_RETRY_TIMEOUT,
  PROP_TS_OFFSET,
  PROP_STATS,
};

enum
{
  SIGNAL_REQUEST_PT_MAP,
  SIGNAL_CLEAR_PT_MAP,
  SIGNAL_HANDLE_SYNC,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

/* One sequence number of the ring. */
typedef struct
{
  GstBuffer *buf;               /* a packet held behind a gap, or NULL */
  guint16 seq;                  /* the sequence number last kept here */
  gboolean missing;             /* seq is awaited */
  gboolean lost;                /* seq was given up (a later copy is late) */
  guint retries;                /* requests sent for seq */
  GstClockTime next_request;    /* running time of the next request */
  GstClockTime last_request;    /* running time of the last one, or NONE */
  GstClockTime since;           /* arrival of the packet that showed it
                                 * missing */
} Slot;

struct _GstP2pJitterBuffer
{
  GstElement parent;

  GstPad *sinkpad, *srcpad, *rtcp_sinkpad;

  /* Everything below, under lock. Pushes and signals happen unlocked. */
  GMutex lock;

  guint latency_ms;
  gboolean do_lost, do_rtx;
  gint rtx_min_retry_ms;
  gint64 ts_offset;

  gint rates[128];              /* clock rate per payload type, 0 unknown */

  gboolean started;
  guint32 ssrc;
  guint16 next_seq;             /* the next sequence number to go out */
  guint16 highest;              /* the newest one held, when held > 0 */
  guint held;                   /* packets in the ring */
  gboolean first_held_known;    /* first_held_seq was the first one held */
  guint16 first_held_seq;
  Slot *ring;
  gboolean discont;             /* mark the next packet out */
  gboolean far_pending;         /* one packet jumped far; far_seq is it */
  guint16 far_seq;

  gint rate;                    /* the stream's clock rate */
  guint64 ext_ts;               /* newest extended RTP time, or -1 */
  guint64 base_rtp, clock_base;
  GstClockTime base_time;
  GstClockTimeDiff skew, skew_target, window_min;
  GstClockTime window_start;
  GstClockTime last_pts;        /* of the last packet out, unshifted */
  guint64 prev_ext;             /* newest RTP time stamped, or -1 */
  GstClockTime prev_pts;        /* the time it got */

  GstClockTime rtt;             /* measured round trip, or NONE */
  GstClockTime next_rtx;        /* earliest request due, or NONE */
  GstClockID timer;
  GstClockTime timer_time;
  gboolean flushing;

  guint64 num_pushed, num_lost, num_late, num_duplicates, num_rtx_requests,
      num_rtx_success;
};

#define gst_p2p_jitter_buffer_parent_class parent_class
G_DEFINE_TYPE (GstP2pJitterBuffer, gst_p2p_jitter_buffer, GST_TYPE_ELEMENT);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate rtcp_template =
GST_STATIC_PAD_TEMPLATE ("sink_rtcp", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtcp"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

/* ---------------------------------------------------------------------- */
/* What one call decided to send, in order, pushed once unlocked.         */

typedef struct
{
  GPtrArray *items;             /* GstBuffer or downstream GstEvent */
  GPtrArray *requests;          /* upstream events */
} Out;

static void
out_add (Out * out, gpointer obj)
{
  if (!out->items)
    out->items = g_ptr_array_new ();
  g_ptr_array_add (out->items, obj);
}

static GstFlowReturn
out_push (GstP2pJitterBuffer * self, Out * out)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstBufferList *list = NULL;
  guint i;

  for (i = 0; out->requests && i < out->requests->len; i++)
    gst_pad_push_event (self->sinkpad, g_ptr_array_index (out->requests, i));
  for (i = 0; out->items && i <= out->items->len; i++) {
    GstMiniObject *obj = i < out->items->len ?
        g_ptr_array_index (out->items, i) : NULL;

    if (obj && GST_IS_BUFFER (obj)) {
      if (!list)
        list = gst_buffer_list_new ();
      gst_buffer_list_add (list, GST_BUFFER_CAST (obj));
      continue;
    }
    if (list) {
      GstFlowReturn r = gst_buffer_list_length (list) == 1 ?
          gst_pad_push (self->srcpad,
          gst_buffer_ref (gst_buffer_list_get (list, 0))) :
          gst_pad_push_list (self->srcpad, gst_buffer_list_ref (list));

      gst_buffer_list_unref (list);
      list = NULL;
      if (ret == GST_FLOW_OK)
        ret = r;
    }
    if (obj)
      gst_pad_push_event (self->srcpad, GST_EVENT_CAST (obj));
  }
  if (out->items)
    g_ptr_array_unref (out->items);
  if (out->requests)
    g_ptr_array_unref (out->requests);
  return ret;
}

/* ---------------------------------------------------------------------- */
/* Times                                                                  */

static GstClockTime
running_time_now (GstP2pJitterBuffer * self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, base;

  if (!clock)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  return now > base ? now - base : 0;
}

/* The running time of extended RTP time @ext, without skew. */
static GstClockTimeDiff
rtp_to_time (GstP2pJitterBuffer * self, guint64 ext)
{
  if (ext >= self->base_rtp)
    return self->base_time + gst_util_uint64_scale_int (ext - self->base_rtp,
        GST_SECOND, self->rate);
  return (GstClockTimeDiff) self->base_time -
      (GstClockTimeDiff) gst_util_uint64_scale_int (self->base_rtp - ext,
      GST_SECOND, self->rate);
}

static GstClockTime
clamp_time (GstClockTimeDiff t)
{
  return t > 0 ? (GstClockTime) t : 0;
}

/* Notes the least delay between the sender's clock and arrival over each
 * SKEW_WINDOW: where the skew goes next (packet_time() moves it there
 * step by step); a delay SKEW_RESYNC from the skew becomes the skew at
 * once. */
static void
update_skew (GstP2pJitterBuffer * self, GstClockTimeDiff mapped,
    GstClockTime dts)
{
  GstClockTimeDiff delay;

  if (!GST_CLOCK_TIME_IS_VALID (dts))
    return;
  delay = (GstClockTimeDiff) dts - mapped;
  if (GST_CLOCK_TIME_IS_VALID (self->window_start)
      && ABS (delay - self->skew) > SKEW_RESYNC) {
    GST_INFO_OBJECT (self, "timeline shifted by %" GST_STIME_FORMAT
        ": resynchronised", GST_STIME_ARGS (delay - self->skew));
    self->skew = self->skew_target = delay;
    /* The times may step back once, here. */
    self->prev_ext = GST_CLOCK_TIME_NONE;
    self->window_start = GST_CLOCK_TIME_NONE;
  }
  if (!GST_CLOCK_TIME_IS_VALID (self->window_start)) {
    self->window_start = dts;
    self->window_min = delay;
    return;
  }
  self->window_min = MIN (self->window_min, delay);
  if (dts - self->window_start >= SKEW_WINDOW) {
    self->skew_target = self->window_min;
    self->window_start = dts;
    self->window_min = delay;
  }
}

/* ---------------------------------------------------------------------- */
/* Sequence numbers                                                       */

static void
stream_reset (GstP2pJitterBuffer * self)
{
  guint i;

  for (i = 0; self->ring && i < RING_SIZE; i++) {
    gst_clear_buffer (&self->ring[i].buf);
    self->ring[i].missing = self->ring[i].lost = FALSE;
  }
  self->held = 0;
  self->first_held_known = FALSE;
  self->started = FALSE;
  self->far_pending = FALSE;
  self->ext_ts = GST_CLOCK_TIME_NONE;
  self->skew = self->skew_target = 0;
  self->window_start = GST_CLOCK_TIME_NONE;
  self->last_pts = GST_CLOCK_TIME_NONE;
  self->prev_ext = GST_CLOCK_TIME_NONE;
  self->next_rtx = GST_CLOCK_TIME_NONE;
}

static void
stream_start (GstP2pJitterBuffer * self, guint32 ssrc, guint16 seq,
    guint32 ts, GstClockTime dts)
{
  self->started = TRUE;
  self->ssrc = ssrc;
  self->next_seq = seq;
  self->ext_ts = GST_CLOCK_TIME_NONE;
  self->base_rtp = self->clock_base =
      gst_rtp_buffer_ext_timestamp (&self->ext_ts, ts);
  self->base_time = GST_CLOCK_TIME_IS_VALID (dts) ? dts : 0;
  self->skew = self->skew_target = 0;
  self->window_start = GST_CLOCK_TIME_NONE;
  self->prev_ext = GST_CLOCK_TIME_NONE;
}

/* The time of a packet of RTP time @ts that arrived at @dts; @follow:
 * whether it may move the skew (a new packet, not a retransmission).
 * Times never run against the RTP times (as in rtpjitterbuffer): the
 * packets of one frame get one time, and a later frame never an earlier
 * time than the frame before, even when the skew has just dropped. A
 * decoder seeing times go backwards takes the stream for reordered and
 * from then on stamps its output with the arrival times instead. */
static GstClockTime
packet_time (GstP2pJitterBuffer * self, guint32 ts, GstClockTime dts,
    gboolean follow)
{
  guint64 ext = gst_rtp_buffer_ext_timestamp (&self->ext_ts, ts);
  GstClockTimeDiff mapped = rtp_to_time (self, ext);
  GstClockTime pts;

  if (follow)
    update_skew (self, mapped, dts);
  if (!GST_CLOCK_TIME_IS_VALID (self->prev_ext) || ext > self->prev_ext)
    self->skew += CLAMP (self->skew_target - self->skew, -SKEW_STEP, SKEW_STEP);
  pts = clamp_time (mapped + self->skew);
  if (!GST_CLOCK_TIME_IS_VALID (self->prev_ext) || ext > self->prev_ext) {
    if (GST_CLOCK_TIME_IS_VALID (self->prev_ext) && pts < self->prev_pts)
      pts = self->prev_pts;
    self->prev_ext = ext;
    self->prev_pts = pts;
  } else if (ext == self->prev_ext || pts > self->prev_pts) {
    pts = self->prev_pts;
  }
  return pts;
}

/* Stamps @buf, the packet next_seq, to go out: its time moved by
 * ts-offset. */
static void
stamp (GstP2pJitterBuffer * self, GstBuffer * buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);

  self->last_pts = pts;
  GST_BUFFER_PTS (buf) = clamp_time ((GstClockTimeDiff) pts + self->ts_offset);
  /* As rtpjitterbuffer does: the arrival time would read as a decoding
   * time, and a decoder that sees one later than the frame's time takes
   * the stream for reordered and stamps its output with it. */
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  if (self->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  self->next_seq++;
  self->num_pushed++;
}

static void
emit (GstP2pJitterBuffer * self, GstBuffer * buf, Out * out)
{
  stamp (self, buf);
  out_add (out, buf);
}

/* After next_seq moved: the held packets from there on, up to the next
 * missing one. */
static void
release_ready (GstP2pJitterBuffer * self, Out * out)
{
  while (self->held > 0) {
    Slot *slot = &self->ring[self->next_seq & RING_MASK];

    if (!slot->buf || slot->seq != self->next_seq)
      break;
    self->held--;
    emit (self, g_steal_pointer (&slot->buf), out);
  }
  if (self->held == 0)
    self->next_rtx = GST_CLOCK_TIME_NONE;
}

/* The first packet held behind the first gap: remembered, since each
 * packet that arrives while a gap is open asks for it. */
static Slot *
first_held (GstP2pJitterBuffer * self)
{
  guint16 s = self->next_seq;
  guint i;

  if (self->first_held_known) {
    Slot *slot = &self->ring[self->first_held_seq & RING_MASK];

    if (slot->buf && slot->seq == self->first_held_seq)
      return slot;
  }
  for (i = 0; i < RING_SIZE && self->held > 0; i++, s++) {
    Slot *slot = &self->ring[s & RING_MASK];

    if (slot->buf && slot->seq == s) {
      self->first_held_known = TRUE;
      self->first_held_seq = s;
      return slot;
    }
  }
  return NULL;
}

/* Gives the first gap up: one lost event for its whole range, then what
 * was held behind it. */
static void
lose_first_gap (GstP2pJitterBuffer * self, Out * out)
{
  Slot *held = first_held (self);
  guint16 first = self->next_seq, s;
  guint count = (guint16) (held->seq - first);
  guint retries = 0;
  GstClockTime start, end = GST_BUFFER_PTS (held->buf);

  for (s = first; s != held->seq; s++) {
    Slot *slot = &self->ring[s & RING_MASK];

    retries = MAX (retries, slot->retries);
    slot->missing = FALSE;
    slot->lost = TRUE;
    slot->seq = s;
  }
  start = GST_CLOCK_TIME_IS_VALID (self->last_pts) ?
      MIN (self->last_pts, end) : end;
  self->num_lost += count;
  GST_DEBUG_OBJECT (self, "lost %u packets from #%u", count, first);
  if (self->do_lost)
    out_add (out, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
            gst_structure_new ("GstRTPPacketLost",
                "seqnum", G_TYPE_UINT, (guint) first,
                "timestamp", G_TYPE_UINT64,
                clamp_time ((GstClockTimeDiff) start + self->ts_offset),
                "duration", G_TYPE_UINT64, end - start,
                "retry", G_TYPE_UINT, retries,
                "might-have-been-fec", G_TYPE_BOOLEAN, FALSE, NULL)));
  self->next_seq = held->seq;
  self->discont = TRUE;
  release_ready (self, out);
}

/* Everything held goes out, gaps given up. */
static void
drain (GstP2pJitterBuffer * self, Out * out)
{
  while (self->held > 0)
    lose_first_gap (self, out);
}

static GstClockTime
retry_timeout (GstP2pJitterBuffer * self)
{
  GstClockTime t = GST_CLOCK_TIME_IS_VALID (self->rtt) ? 2 * self->rtt :
      DEFAULT_RETRY_TIMEOUT;

  return MAX (t, (GstClockTime) MAX (self->rtx_min_retry_ms, 0) * GST_MSECOND);
}

/* Packets from next_seq up to @seq (not included) that were not awaited
 * yet are now missing, asked for from @now on. */
static void
mark_missing (GstP2pJitterBuffer * self, guint16 from, guint16 seq,
    GstClockTime now)
{
  guint16 s;

  if (!GST_CLOCK_TIME_IS_VALID (now))
    now = running_time_now (self);
  for (s = from; s != seq; s++) {
    Slot *slot = &self->ring[s & RING_MASK];
    GstClockTime due = now;

    if (GST_CLOCK_TIME_IS_VALID (now) && (guint16) (seq - s) < REORDER_PACKETS)
      due += REORDER_DELAY;
    slot->seq = s;
    slot->missing = TRUE;
    slot->lost = FALSE;
    slot->retries = 0;
    slot->next_request = due;
    slot->last_request = GST_CLOCK_TIME_NONE;
    slot->since = now;
    if (!GST_CLOCK_TIME_IS_VALID (self->next_rtx) || due < self->next_rtx)
      self->next_rtx = due;
  }
}

/* Asks for the missing packets due by @now; notes when the next request
 * is due. */
static void
request_due (GstP2pJitterBuffer * self, GstClockTime now, Out * out)
{
  GstClockTime next = GST_CLOCK_TIME_NONE, timeout = retry_timeout (self);
  guint16 s;

  if (self->held == 0)
    return;
  for (s = self->next_seq; s != (guint16) (self->highest + 1); s++) {
    Slot *slot = &self->ring[s & RING_MASK];

    if (!slot->missing || slot->seq != s)
      continue;
    if (self->do_rtx && slot->next_request <= now) {
      GstClockTime first = GST_CLOCK_TIME_IS_VALID (slot->last_request) ?
          slot->last_request : now;

      if (!out->requests)
        out->requests = g_ptr_array_new ();
      g_ptr_array_add (out->requests,
          gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
              gst_structure_new ("GstRTPRetransmissionRequest",
                  "seqnum", G_TYPE_UINT, (guint) s,
                  "ssrc", G_TYPE_UINT, self->ssrc,
                  "running-time", G_TYPE_UINT64, now,
                  "delay", G_TYPE_UINT, (guint) ((now - first) / GST_MSECOND),
                  "retry", G_TYPE_UINT, slot->retries,
                  "frequency", G_TYPE_UINT, (guint) (timeout / GST_MSECOND),
                  "period", G_TYPE_UINT, self->latency_ms,
                  "deadline", G_TYPE_UINT, self->latency_ms,
                  "avg-rtt", G_TYPE_UINT,
                  (guint) (GST_CLOCK_TIME_IS_VALID (self->rtt) ?
                      self->rtt / GST_MSECOND : 0), NULL)));
      GST_DEBUG_OBJECT (self, "asking for #%u (retry %u)", s, slot->retries);
      slot->retries++;
      slot->last_request = now;
      slot->next_request = now + timeout;
      self->num_rtx_requests++;
    }
    if (!GST_CLOCK_TIME_IS_VALID (next) || slot->next_request < next)
      next = slot->next_request;
  }
  self->next_rtx = next;
}

/* When the first gap is given up: a latency after the packet that showed
 * it missing arrived (as rtpjitterbuffer, by arrival rather than by the
 * packets' times: packets that all came late after a stall of the
 * receiver still get a full latency for their repair). */
static GstClockTime
gap_deadline (GstP2pJitterBuffer * self)
{
  Slot *slot = self->held > 0 ? &self->ring[self->next_seq & RING_MASK] : NULL;

  if (!slot || !slot->missing || slot->seq != self->next_seq ||
      !GST_CLOCK_TIME_IS_VALID (slot->since))
    return GST_CLOCK_TIME_NONE;
  return slot->since + self->latency_ms * GST_MSECOND;
}

/* ---------------------------------------------------------------------- */
/* The timer                                                              */

static void timer_work (GstElement * element, gpointer data);

/* The clock entry holds the element weakly: a strong reference would keep
 * an element whose entry a clock never releases alive for ever. */
static gboolean
timer_fired (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  GstElement *self = g_weak_ref_get (user_data);

  if (self) {
    gst_element_call_async (self, timer_work, gst_clock_id_ref (id),
        (GDestroyNotify) gst_clock_id_unref);
    gst_object_unref (self);
  }
  return TRUE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Sets the clock entry to the earliest of the next request and the gap's
 * deadline; clears it when nothing is held. */
static void
schedule (GstP2pJitterBuffer * self)
{
  GstClockTime when = GST_CLOCK_TIME_NONE, deadline;
  GstClock *clock;
  GWeakRef *ref;

  if (self->held > 0 && !self->flushing) {
    deadline = gap_deadline (self);
    when = self->do_rtx ? self->next_rtx : GST_CLOCK_TIME_NONE;
    if (!GST_CLOCK_TIME_IS_VALID (when) || deadline < when)
      when = deadline;
  }
  if (self->timer && when == self->timer_time)
    return;
  if (self->timer) {
    gst_clock_id_unschedule (self->timer);
    gst_clock_id_unref (self->timer);
    self->timer = NULL;
  }
  if (!GST_CLOCK_TIME_IS_VALID (when))
    return;
  clock = gst_element_get_clock (GST_ELEMENT (self));
  if (!clock)
    return;
  self->timer_time = when;
  self->timer = gst_clock_new_single_shot_id (clock,
      when + gst_element_get_base_time (GST_ELEMENT (self)));
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  gst_clock_id_wait_async (self->timer, timer_fired, ref, weak_ref_free);
  gst_object_unref (clock);
}

/* Requests and gaps due by now, on a pool thread, serialized with the
 * receiving thread by the sink pad's stream lock. */
static void
timer_work (GstElement * element, gpointer data)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (element);
  GstClockTime now = running_time_now (self);
  Out out = { NULL, NULL };

  GST_PAD_STREAM_LOCK (self->sinkpad);
  g_mutex_lock (&self->lock);
  if (self->flushing || !GST_CLOCK_TIME_IS_VALID (now)) {
    g_mutex_unlock (&self->lock);
    GST_PAD_STREAM_UNLOCK (self->sinkpad);
    return;
  }
  while (self->held > 0 && gap_deadline (self) <= now)
    lose_first_gap (self, &out);
  request_due (self, now, &out);
  if (self->timer == data) {
    /* Fired: a new entry is needed even for the same time. */
    gst_clock_id_unref (self->timer);
    self->timer = NULL;
  }
  schedule (self);
  g_mutex_unlock (&self->lock);
  out_push (self, &out);
  GST_PAD_STREAM_UNLOCK (self->sinkpad);
}

/* ---------------------------------------------------------------------- */
/* Packets in                                                             */

/* The payload type's clock rate, asked from the application (rtpbin) the
 * first time. Called unlocked. */
static gint
clock_rate_for (GstP2pJitterBuffer * self, guint pt)
{
  GstCaps *caps = NULL;
  gint rate = g_atomic_int_get (&self->rates[pt]);

  if (rate > 0)
    return rate;
  g_signal_emit (self, signals[SIGNAL_REQUEST_PT_MAP], 0, pt, &caps);
  if (caps && gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "clock-rate", &rate) && rate > 0)
    g_atomic_int_set (&self->rates[pt], rate);
  else
    rate = 0;
  gst_clear_caps (&caps);
  return rate;
}

/* One packet, outside the in-order case. Takes @buf. */
static void
insert (GstP2pJitterBuffer * self, GstBuffer * buf, guint16 seq,
    guint32 ts, Out * out)
{
  GstClockTime dts = GST_BUFFER_DTS (buf);
  gboolean rtx =
      GST_BUFFER_FLAG_IS_SET (buf, GST_RTP_BUFFER_FLAG_RETRANSMISSION);
  gint16 d = (gint16) (seq - self->next_seq);
  Slot *slot;

  while (d >= RING_SIZE && self->held > 0) {
    /* Further ahead than the ring holds: the oldest gap gives way. */
    lose_first_gap (self, out);
    d = (gint16) (seq - self->next_seq);
  }
  if (d >= RING_SIZE || d <= -RING_SIZE) {
    if (!self->far_pending || seq != (guint16) (self->far_seq + 1)) {
      GST_DEBUG_OBJECT (self, "#%u far from #%u, dropped", seq, self->next_seq);
      self->far_pending = TRUE;
      self->far_seq = seq;
      self->num_duplicates++;
      gst_buffer_unref (buf);
      return;
    }
    GST_INFO_OBJECT (self, "sequence numbers jumped to #%u: starting over",
        seq);
    drain (self, out);
    stream_start (self, self->ssrc, seq, ts, dts);
    self->discont = TRUE;
    d = 0;
  }
  self->far_pending = FALSE;
  if (d < 0) {
    slot = self->ring ? &self->ring[seq & RING_MASK] : NULL;
    if (slot && slot->lost && slot->seq == seq)
      self->num_late++;
    else
      self->num_duplicates++;
    GST_LOG_OBJECT (self, "#%u before #%u, dropped", seq, self->next_seq);
    gst_buffer_unref (buf);
    return;
  }

  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = packet_time (self, ts, dts, !rtx && (self->held == 0
          || (gint16) (seq - self->highest) > 0));

  if (!self->ring)
    self->ring = g_new0 (Slot, RING_SIZE);
  slot = &self->ring[seq & RING_MASK];
  if (rtx && slot->seq == seq && slot->missing &&
      GST_CLOCK_TIME_IS_VALID (slot->last_request) &&
      GST_CLOCK_TIME_IS_VALID (dts) && dts >= slot->last_request) {
    GstClockTime sample = dts - slot->last_request;

    self->rtt = GST_CLOCK_TIME_IS_VALID (self->rtt) ?
        (7 * self->rtt + sample) / 8 : sample;
    self->num_rtx_success++;
  }

  if (rtx)
    GST_DEBUG_OBJECT (self, "#%u retransmitted, next #%u", seq, self->next_seq);
  if (d == 0) {
    slot->missing = FALSE;
    emit (self, buf, out);
    release_ready (self, out);
    return;
  }
  if (slot->buf && slot->seq == seq) {
    self->num_duplicates++;
    gst_buffer_unref (buf);
    return;
  }
  if (self->held == 0)
    mark_missing (self, self->next_seq, seq, dts);
  else if ((gint16) (seq - self->highest) > 0)
    mark_missing (self, self->highest + 1, seq, dts);
  if (self->held == 0 || (gint16) (seq - self->highest) > 0)
    self->highest = seq;
  slot->seq = seq;
  slot->missing = FALSE;
  slot->lost = FALSE;
  slot->buf = buf;
  self->held++;
  if (self->first_held_known && (gint16) (seq - self->first_held_seq) < 0)
    self->first_held_seq = seq;
  GST_LOG_OBJECT (self, "#%u held behind #%u", seq, self->next_seq);
}

/* The RTP header fields used here; FALSE for a packet too short. */
static gboolean
parse_header (GstBuffer * buf, guint * pt, guint16 * seq, guint32 * ts,
    guint32 * ssrc)
{
  guint8 hdr[12];

  if (gst_buffer_extract (buf, 0, hdr, sizeof hdr) != sizeof hdr ||
      (hdr[0] >> 6) != 2)
    return FALSE;
  *pt = hdr[1] & 0x7f;
  *seq = GST_READ_UINT16_BE (hdr + 2);
  *ts = GST_READ_UINT32_BE (hdr + 4);
  *ssrc = GST_READ_UINT32_BE (hdr + 8);
  return TRUE;
}

/* The packets before @fast of @list, stamped on the in-order path, go
 * out first once a later one leaves that path. */
static void
leave_in_order (GstBufferList * list, guint fast, Out * out)
{
  guint j;

  for (j = 0; j < fast; j++)
    out_add (out, gst_buffer_ref (gst_buffer_list_get (list, j)));
}

/* The packets of @list (taken) in order. Those that arrive in order while
 * nothing is held are stamped in place and, when all of them are, the
 * list goes on whole, on this thread. */
static GstFlowReturn
process (GstP2pJitterBuffer * self, GstBufferList * list)
{
  Out out = { NULL, NULL };
  guint i, n = gst_buffer_list_length (list), fast = 0;
  gboolean in_order = TRUE;

  list = gst_buffer_list_make_writable (list);
  g_mutex_lock (&self->lock);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_list_get (list, i);
    guint pt;
    guint16 seq;
    guint32 ts, ssrc;
    gint rate = 0;

    if (parse_header (buf, &pt, &seq, &ts, &ssrc)) {
      rate = g_atomic_int_get (&self->rates[pt]);
      if (rate == 0) {
        g_mutex_unlock (&self->lock);
        rate = clock_rate_for (self, pt);
        g_mutex_lock (&self->lock);
      }
      if (rate == 0)
        GST_WARNING_OBJECT (self, "no clock rate for payload type %u", pt);
    }
    if (rate == 0) {
      /* Dropped, as rtpjitterbuffer does. */
      if (in_order)
        leave_in_order (list, fast, &out);
      in_order = FALSE;
      continue;
    }
    if (!self->started || ssrc != self->ssrc) {
      gboolean restart = self->started;

      drain (self, &out);
      stream_start (self, ssrc, seq, ts, GST_BUFFER_DTS (buf));
      self->discont = restart;
    }
    self->rate = rate;
    if (in_order && self->held == 0 && seq == self->next_seq &&
        !GST_BUFFER_FLAG_IS_SET (buf, GST_RTP_BUFFER_FLAG_RETRANSMISSION)) {
      buf = gst_buffer_list_get_writable (list, i);
      GST_BUFFER_PTS (buf) = packet_time (self, ts, GST_BUFFER_DTS (buf), TRUE);
      stamp (self, buf);
      fast++;
      continue;
    }
    if (in_order)
      leave_in_order (list, fast, &out);
    in_order = FALSE;
    insert (self, gst_buffer_ref (buf), seq, ts, &out);
  }
  if (!in_order)
    schedule (self);
  g_mutex_unlock (&self->lock);

  if (!in_order) {
    gst_buffer_list_unref (list);
    return out_push (self, &out);
  }
  /* Nothing else to send: at most a drain of nothing held. */
  out_push (self, &out);
  if (n == 1) {
    GstBuffer *buf = gst_buffer_ref (gst_buffer_list_get (list, 0));

    gst_buffer_list_unref (list);
    return gst_pad_push (self->srcpad, buf);
  }
  if (n == 0) {
    gst_buffer_list_unref (list);
    return GST_FLOW_OK;
  }
  return gst_pad_push_list (self->srcpad, list);
}

static GstFlowReturn
chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstBufferList *list = gst_buffer_list_new_sized (1);

  gst_buffer_list_add (list, buf);
  return process (GST_P2P_JITTER_BUFFER (parent), list);
}

static GstFlowReturn
chain_list (GstPad * pad, GstObject * parent, GstBufferList * list)
{
  return process (GST_P2P_JITTER_BUFFER (parent), list);
}

/* ---------------------------------------------------------------------- */
/* Events, queries, RTCP                                                  */

static void
set_flushing (GstP2pJitterBuffer * self, gboolean flushing)
{
  g_mutex_lock (&self->lock);
  self->flushing = flushing;
  if (flushing) {
    schedule (self);
  } else {
    stream_reset (self);
  }
  g_mutex_unlock (&self->lock);
}

static gboolean
sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      set_flushing (self, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      set_flushing (self, FALSE);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstStructure *s;
      gint rate, pt;

      gst_event_parse_caps (event, &caps);
      s = gst_caps_get_structure (caps, 0);

      if (gst_structure_get_int (s, "clock-rate", &rate) && rate > 0 &&
          gst_structure_get_int (s, "payload", &pt) && pt >= 0 && pt < 128)
        g_atomic_int_set (&self->rates[pt], rate);
      break;
    }
    case GST_EVENT_EOS:{
      Out out = { NULL, NULL };

      g_mutex_lock (&self->lock);
      drain (self, &out);
      schedule (self);
      g_mutex_unlock (&self->lock);
      out_push (self, &out);
      break;
    }
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, ours;

    if (!gst_pad_peer_query (self->sinkpad, query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    g_mutex_lock (&self->lock);
    ours = self->latency_ms * GST_MSECOND;
    g_mutex_unlock (&self->lock);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

/* A sender report: its RTP time against the mapping of output times, for
 * rtpbin's lip sync. */
static GstFlowReturn
rtcp_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (parent);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstStructure *s = NULL;
  guint32 ssrc, rtptime;
  guint64 ext, last;
  gboolean sr;

  if (!gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp)) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  sr = gst_rtcp_buffer_get_first_packet (&rtcp, &packet) &&
      gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_SR;
  if (sr)
    gst_rtcp_packet_sr_get_sender_info (&packet, &ssrc, NULL, &rtptime, NULL,
        NULL);
  gst_rtcp_buffer_unmap (&rtcp);

  g_mutex_lock (&self->lock);
  if (sr && self->started && ssrc == self->ssrc && self->rate > 0 &&
      GST_CLOCK_TIME_IS_VALID (self->ext_ts)) {
    last = self->ext_ts;
    ext = gst_rtp_buffer_ext_timestamp (&last, rtptime);
    if (ext >= self->base_rtp &&
        gst_util_uint64_scale_int (ext > self->ext_ts ? ext - self->ext_ts :
            self->ext_ts - ext, GST_SECOND,
            self->rate) <= MAX_RTCP_RTP_TIME_DIFF)
      s = gst_structure_new ("application/x-rtp-sync",
          "base-rtptime", G_TYPE_UINT64, self->base_rtp,
          "base-time", G_TYPE_UINT64,
          clamp_time ((GstClockTimeDiff) self->base_time + self->skew),
          "clock-rate", G_TYPE_UINT, (guint) self->rate,
          "clock-base", G_TYPE_UINT64, self->clock_base,
          "sr-ext-rtptime", G_TYPE_UINT64, ext,
          "sr-buffer", GST_TYPE_BUFFER, buf, NULL);
  }
  g_mutex_unlock (&self->lock);
  if (s) {
    g_signal_emit (self, signals[SIGNAL_HANDLE_SYNC], 0, s);
    gst_structure_free (s);
  }
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* The reports' own stream ends here. */
static gboolean
rtcp_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

static GstPad *
request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (element);

  if (self->rtcp_sinkpad)
    return NULL;
  self->rtcp_sinkpad = gst_pad_new_from_template (templ, "sink_rtcp");
  gst_pad_set_chain_function (self->rtcp_sinkpad, rtcp_chain);
  gst_pad_set_event_function (self->rtcp_sinkpad, rtcp_event);
  gst_pad_set_active (self->rtcp_sinkpad, TRUE);
  gst_element_add_pad (element, self->rtcp_sinkpad);
  return self->rtcp_sinkpad;
}

static void
release_pad (GstElement * element, GstPad * pad)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (element);

  if (pad != self->rtcp_sinkpad)
    return;
  self->rtcp_sinkpad = NULL;
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                */

static void
clear_pt_map (GstP2pJitterBuffer * self)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (self->rates); i++)
    g_atomic_int_set (&self->rates[i], 0);
}

static GstStateChangeReturn
change_state (GstElement * element, GstStateChange transition)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    set_flushing (self, FALSE);
  else if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    set_flushing (self, TRUE);
  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    /* The pads are inactive now: nothing pushes any more. */
    g_mutex_lock (&self->lock);
    stream_reset (self);
    g_mutex_unlock (&self->lock);
  }
  return ret;
}

static void
set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_LATENCY:
      self->latency_ms = g_value_get_uint (value);
      break;
    case PROP_DO_LOST:
      self->do_lost = g_value_get_boolean (value);
      break;
    case PROP_DO_RETRANSMISSION:
      self->do_rtx = g_value_get_boolean (value);
      break;
    case PROP_RTX_MIN_RETRY_TIMEOUT:
      self->rtx_min_retry_ms = g_value_get_int (value);
      break;
    case PROP_TS_OFFSET:
      self->ts_offset = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency_ms);
      break;
    case PROP_DO_LOST:
      g_value_set_boolean (value, self->do_lost);
      break;
    case PROP_DO_RETRANSMISSION:
      g_value_set_boolean (value, self->do_rtx);
      break;
    case PROP_RTX_MIN_RETRY_TIMEOUT:
      g_value_set_int (value, self->rtx_min_retry_ms);
      break;
    case PROP_TS_OFFSET:
      g_value_set_int64 (value, self->ts_offset);
      break;
    case PROP_STATS:
      g_value_take_boxed (value,
          gst_structure_new ("application/x-rtp-jitterbuffer-stats",
              "num-pushed", G_TYPE_UINT64, self->num_pushed, "num-lost",
              G_TYPE_UINT64, self->num_lost, "num-late", G_TYPE_UINT64,
              self->num_late, "num-duplicates", G_TYPE_UINT64,
              self->num_duplicates, "rtx-count", G_TYPE_UINT64,
              self->num_rtx_requests, "rtx-success-count", G_TYPE_UINT64,
              self->num_rtx_success, "rtx-rtt", G_TYPE_UINT64,
              GST_CLOCK_TIME_IS_VALID (self->rtt) ? self->rtt : 0, NULL));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
finalize (GObject * object)
{
  GstP2pJitterBuffer *self = GST_P2P_JITTER_BUFFER (object);

  stream_reset (self);
  g_free (self->ring);
  if (self->timer) {
    gst_clock_id_unschedule (self->timer);
    gst_clock_id_unref (self->timer);
  }
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_p2p_jitter_buffer_init (GstP2pJitterBuffer * self)
{
  g_mutex_init (&self->lock);
  self->latency_ms = DEFAULT_LATENCY_MS;
  self->rtx_min_retry_ms = -1;
  self->rtt = GST_CLOCK_TIME_NONE;
  self->flushing = TRUE;
  stream_reset (self);

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, chain);
  gst_pad_set_chain_list_function (self->sinkpad, chain_list);
  gst_pad_set_event_function (self->sinkpad, sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad, src_query);
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

static void
gst_p2p_jitter_buffer_class_init (GstP2pJitterBufferClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (jitter_buffer_debug, "p2pjitterbuffer", 0,
      "p2psrc's jitter buffer");

  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  element_class->change_state = change_state;
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;

  /**
   * GstP2pJitterBuffer:latency:
   *
   * How long a gap may hold the packets behind it, in ms (default 200, as
   * rtpjitterbuffer); added to the latency query's answer.
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "How long a gap holds the packets behind it (ms)", 0, G_MAXUINT,
          DEFAULT_LATENCY_MS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstP2pJitterBuffer:do-lost:
   *
   * Whether a gap given up sends a GstRTPPacketLost event downstream
   * (default FALSE).
   */
  g_object_class_install_property (gobject_class, PROP_DO_LOST,
      g_param_spec_boolean ("do-lost", "Do lost",
          "Send a lost event for a gap given up", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstP2pJitterBuffer:do-retransmission:
   *
   * Whether missing packets are asked for upstream (default FALSE);
   * p2psrc's retransmission pause turns it off and on while streaming.
   */
  g_object_class_install_property (gobject_class, PROP_DO_RETRANSMISSION,
      g_param_spec_boolean ("do-retransmission", "Do retransmission",
          "Ask for missing packets upstream", FALSE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstP2pJitterBuffer:rtx-min-retry-timeout:
   *
   * The shortest time between two requests for one packet, in ms, or -1
   * for none (default -1).
   */
  g_object_class_install_property (gobject_class, PROP_RTX_MIN_RETRY_TIMEOUT,
      g_param_spec_int ("rtx-min-retry-timeout", "Minimum retry timeout",
          "Shortest time between two requests for one packet (ms, -1 none)",
          -1, G_MAXINT, -1, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /**
   * GstP2pJitterBuffer:ts-offset:
   *
   * Added to every output time, in ns (default 0): set by rtpbin for lip
   * sync.
   */
  g_object_class_install_property (gobject_class, PROP_TS_OFFSET,
      g_param_spec_int64 ("ts-offset", "Timestamp offset",
          "Added to every output time (ns)", G_MININT64, G_MAXINT64, 0,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstP2pJitterBuffer:stats:
   *
   * Counters: `num-pushed`, `num-lost`, `num-late` (arrived after their
   * gap was given up), `num-duplicates` (also stray far jumps),
   * `rtx-count` (requests sent), `rtx-success-count` (requested packets
   * that arrived in time), `rtx-rtt` (ns, 0 before one is measured).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics", "Counters of the stream",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstP2pJitterBuffer::request-pt-map:
   * @self: the element
   * @pt: a payload type
   *
   * Asks for the caps of payload type @pt, for its clock rate (rtpbin
   * answers it).
   *
   * Returns: (transfer full) (nullable): caps with a `clock-rate`
   */
  signals[SIGNAL_REQUEST_PT_MAP] = g_signal_new ("request-pt-map",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      GST_TYPE_CAPS, 1, G_TYPE_UINT);
  /**
   * GstP2pJitterBuffer::clear-pt-map:
   * @self: the element
   *
   * Forgets the clock rates learnt through #GstP2pJitterBuffer::request-pt-map.
   */
  signals[SIGNAL_CLEAR_PT_MAP] = g_signal_new_class_handler ("clear-pt-map",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (clear_pt_map), NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * GstP2pJitterBuffer::handle-sync:
   * @self: the element
   * @s: `base-rtptime`, `base-time`, `clock-rate`, `clock-base`,
   *   `sr-ext-rtptime` and `sr-buffer`, as rtpjitterbuffer gives them
   *
   * A sender report of the stream arrived, with the mapping of RTP time to
   * output time (before #GstP2pJitterBuffer:ts-offset); rtpbin's lip sync
   * listens.
   */
  signals[SIGNAL_HANDLE_SYNC] = g_signal_new ("handle-sync",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &rtcp_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "P2P jitter buffer", "Filter/Network/RTP",
      "Passes RTP packets in order at once, holds them only behind a gap",
      "The gst-p2p authors");
}

/**
 * gst_p2p_jitter_buffer_new:
 *
 * Returns: (transfer floating): a jitter buffer for rtpbin's
 *   "request-jitterbuffer" signal
 */
GstElement *
gst_p2p_jitter_buffer_new (void)
{
  return g_object_new (GST_P2P_TYPE_JITTER_BUFFER, NULL);
}
