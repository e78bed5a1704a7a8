/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The start of p2psrc's internal RTP branch: p2p-core's receive callback
 * pushes each decrypted packet straight downstream (into rtpbin) on the
 * thread that received it. appsrc would queue the packet and wake a thread
 * of its own to push it: one more thread hand-off (a futex wake and a
 * context switch) per packet, for nothing: rtpjitterbuffer, or with
 * p2psrc's own jitter buffer the queue behind each depayloader, hands the
 * media to the application (gstp2psrcmedia.c). Live: every buffer is stamped with its arrival
 * running time, which the jitter buffer needs.
 * Not registered as a factory: only p2psrc creates it.
 *
 * Packets that arrived together (one GRO batch) are pushed as one list,
 * and the threads behind the jitter buffers (the pads given to
 * gst_p2p_packet_src_hold_downstream()) wait while the list goes in. The
 * jitter buffer wakes its pushing thread whenever a packet lands in its
 * empty queue; that thread is faster than the network thread's per-packet
 * work, so without the hold it empties the queue after every packet and
 * is woken again for the next one: a futex wake and two context switches
 * per packet. Held, it is woken about twice per batch and then takes the
 * whole batch. A held thread goes on as soon as its jitter buffer stops
 * taking packets in (STALL_US): with its queue full, the jitter buffer
 * waits for that very thread to make room. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ppacketsrc.h"
#include "gstp2pelements.h"

#define GST_CAT_DEFAULT gst_p2p_debug

/* Longest a downstream thread waits for a list to be pushed, in µs: only
 * a safety net (a list is a few hundred µs of work even under ASan); once
 * it expires the thread goes on unbatched. */
#define MAX_HOLD_US (20 * 1000)
/* A held thread whose element took no packet in for this long goes on at
 * once: the list is not going in but stuck, most likely in that very
 * element waiting for room (a jitter buffer whose queue is full waits in
 * its chain function until its thread, the held one, takes packets out). */
#define STALL_US 1000

struct _GstP2pPacketSrc
{
  GstElement parent;

  GstPad *srcpad;
  GstCaps *caps;
  /* Stream-start, caps and segment still to be sent (stream lock). */
  gboolean need_events;
  /* Downstream returned EOS and was sent the EOS event (stream lock). */
  gboolean eos;

  /* A list is being pushed: held pads' threads wait (read atomically
   * first, then under @hold_lock). */
  GMutex hold_lock;
  GCond hold_cond;
  gint holding;
  guint hold_waiters;
  /* Counts the lists pushed (@hold_lock): a thread waits for the list
   * that was going in when it arrived, not for the next one too. */
  guint64 list_gen;
  /* The thread pushing the list, which never waits for itself. */
  GThread *holder;
};

/* A pad given to gst_p2p_packet_src_hold_downstream(). */
typedef struct
{
  GstP2pPacketSrc *src;
  /* The list count when the pad's thread last went on (@hold_lock). */
  guint64 passed_gen;
  /* Packets into the pad's element (atomic, shared with the probe on its
   * sink pad), or %NULL when it has no sink pad. */
  gint *taken_in;
} HeldPad;

G_DEFINE_TYPE (GstP2pPacketSrc, gst_p2p_packet_src, GST_TYPE_ELEMENT);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp; application/x-rtcp"));

static gboolean
packet_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstP2pPacketSrc *self = GST_P2P_PACKET_SRC (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      /* Live, and packets leave as soon as they arrive. */
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      gst_query_parse_caps (query, &filter);
      caps = filter ? gst_caps_intersect_full (filter, self->caps,
          GST_CAPS_INTERSECT_FIRST) : gst_caps_ref (self->caps);
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* Stream lock held. */
static void packet_src_send_events (GstP2pPacketSrc * self);

/* An EOS sent to the element (gst-launch-1.0 -e, an application ending a
 * recording) ends the stream as a GstBaseSrc does: after the packet being
 * pushed, with the stream's first events if no packet came yet; packets
 * arriving later are dropped. */
static gboolean
gst_p2p_packet_src_send_event (GstElement * element, GstEvent * event)
{
  GstP2pPacketSrc *self = GST_P2P_PACKET_SRC (element);

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (gst_p2p_packet_src_parent_class)->send_event
        (element, event);

  GST_PAD_STREAM_LOCK (self->srcpad);
  if (!self->eos) {
    if (self->need_events) {
      packet_src_send_events (self);
      self->need_events = FALSE;
    }
    self->eos = TRUE;
    gst_pad_push_event (self->srcpad, event);
  } else {
    gst_event_unref (event);
  }
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  return TRUE;
}

static GstStateChangeReturn
gst_p2p_packet_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstP2pPacketSrc *self = GST_P2P_PACKET_SRC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    GST_PAD_STREAM_LOCK (self->srcpad);
    self->need_events = TRUE;
    self->eos = FALSE;
    GST_PAD_STREAM_UNLOCK (self->srcpad);
  }
  ret = GST_ELEMENT_CLASS (gst_p2p_packet_src_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      || transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    ret = GST_STATE_CHANGE_NO_PREROLL;
  return ret;
}

static void
gst_p2p_packet_src_finalize (GObject * object)
{
  GstP2pPacketSrc *self = GST_P2P_PACKET_SRC (object);

  gst_caps_unref (self->caps);
  g_mutex_clear (&self->hold_lock);
  g_cond_clear (&self->hold_cond);
  G_OBJECT_CLASS (gst_p2p_packet_src_parent_class)->finalize (object);
}

static void
gst_p2p_packet_src_class_init (GstP2pPacketSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_p2p_packet_src_finalize;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "P2P packet source", "Source/Network",
      "Pushes packets received by a p2p transport (internal)",
      "The gst-p2p authors");
  element_class->change_state = gst_p2p_packet_src_change_state;
  element_class->send_event = gst_p2p_packet_src_send_event;
}

static void
gst_p2p_packet_src_init (GstP2pPacketSrc * self)
{
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad, packet_src_query);
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  self->caps = gst_caps_new_empty_simple ("application/x-rtp");
  self->need_events = TRUE;
  g_mutex_init (&self->hold_lock);
  g_cond_init (&self->hold_cond);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

/**
 * gst_p2p_packet_src_new:
 * @name: element name
 * @caps: the media type of the packets, e.g. `application/x-rtp`
 *
 * Returns: (transfer floating): a live source pushing what
 *     gst_p2p_packet_src_push() gives it
 */
GstElement *
gst_p2p_packet_src_new (const gchar * name, const gchar * caps)
{
  GstP2pPacketSrc *self;

  self = g_object_new (GST_TYPE_P2P_PACKET_SRC, "name", name, NULL);
  gst_caps_unref (self->caps);
  self->caps = gst_caps_from_string (caps);
  return GST_ELEMENT (self);
}

static void
packet_src_send_events (GstP2pPacketSrc * self)
{
  gchar *stream_id;
  GstEvent *event;
  GstSegment segment;

  stream_id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self), NULL);
  event = gst_event_new_stream_start (stream_id);
  gst_event_set_group_id (event, gst_util_group_id_next ());
  g_free (stream_id);
  gst_pad_push_event (self->srcpad, event);
  gst_pad_push_event (self->srcpad, gst_event_new_caps (self->caps));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
}

/* The arrival running time, or none before the element has a clock. */
static GstClockTime
packet_src_now (GstP2pPacketSrc * self)
{
  GstClockTime now = GST_CLOCK_TIME_NONE;
  GstClock *clock;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (self);
  if (clock) {
    GstClockTime base = GST_ELEMENT_CAST (self)->base_time;
    GstClockTime t = gst_clock_get_time (clock);

    if (t >= base)
      now = t - base;
  }
  GST_OBJECT_UNLOCK (self);
  return now;
}

static void
packet_src_set_holding (GstP2pPacketSrc * self, gboolean holding)
{
  g_mutex_lock (&self->hold_lock);
  if (holding)
    self->list_gen++;
  g_atomic_int_set (&self->holding, holding);
  self->holder = holding ? g_thread_self () : NULL;
  if (!holding && self->hold_waiters > 0)
    g_cond_broadcast (&self->hold_cond);
  g_mutex_unlock (&self->hold_lock);
}

/* Pushes a buffer or a list (@data), then ends the stream as a GstBaseSrc
 * does when downstream returned EOS. */
static GstFlowReturn
packet_src_push_data (GstP2pPacketSrc * self, GstMiniObject * data)
{
  GstFlowReturn ret;
  gboolean list = GST_IS_BUFFER_LIST (data);

  GST_PAD_STREAM_LOCK (self->srcpad);
  if (GST_PAD_IS_FLUSHING (self->srcpad) || self->eos) {
    ret = self->eos ? GST_FLOW_EOS : GST_FLOW_FLUSHING;
    GST_PAD_STREAM_UNLOCK (self->srcpad);
    gst_mini_object_unref (data);
    return ret;
  }
  if (self->need_events) {
    packet_src_send_events (self);
    self->need_events = FALSE;
  }
  if (list) {
    packet_src_set_holding (self, TRUE);
    ret = gst_pad_push_list (self->srcpad, GST_BUFFER_LIST_CAST (data));
    packet_src_set_holding (self, FALSE);
  } else {
    ret = gst_pad_push (self->srcpad, GST_BUFFER_CAST (data));
  }
  if (ret == GST_FLOW_EOS) {
    /* As a GstBaseSrc does: downstream has enough (a sink with
     * num-buffers, say), so end the stream, which lets rtpbin end its
     * other branches and the pipeline post EOS. */
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
    self->eos = TRUE;
  }
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  return ret;
}

/**
 * gst_p2p_packet_src_push:
 * @self: a #GstP2pPacketSrc
 * @data: (array length=size): one packet
 * @size: its size
 *
 * Copies the packet into a buffer stamped with the current running time
 * and pushes it downstream on the calling thread. Packets arriving while
 * the element is not PAUSED or PLAYING, or after downstream returned EOS,
 * are dropped.
 *
 * Returns: the downstream flow return
 */
GstFlowReturn
gst_p2p_packet_src_push (GstP2pPacketSrc * self, const guint8 * data,
    gsize size)
{
  GstClockTime now = packet_src_now (self);
  GstBuffer *buf;

  buf = gst_buffer_new_memdup (data, size);
  GST_BUFFER_PTS (buf) = now;
  GST_BUFFER_DTS (buf) = now;
  return packet_src_push_data (self, GST_MINI_OBJECT_CAST (buf));
}

/**
 * gst_p2p_packet_src_push_list:
 * @self: a #GstP2pPacketSrc
 * @list: (transfer full): packets that arrived together, in arrival order
 *
 * As gst_p2p_packet_src_push(), for a batch: every buffer is stamped with
 * the current running time, the list is pushed as one, and the threads of
 * the pads given to gst_p2p_packet_src_hold_downstream() wait until it is
 * all in.
 *
 * Returns: the downstream flow return
 */
GstFlowReturn
gst_p2p_packet_src_push_list (GstP2pPacketSrc * self, GstBufferList * list)
{
  GstClockTime now = packet_src_now (self);
  guint i, n = gst_buffer_list_length (list);

  list = gst_buffer_list_make_writable (list);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_list_get_writable (list, i);

    GST_BUFFER_PTS (buf) = now;
    GST_BUFFER_DTS (buf) = now;
  }
  return packet_src_push_data (self, GST_MINI_OBJECT_CAST (list));
}

/* Holds the pad's thread while a list that started after its last buffer
 * goes in. A thread already on its way since that list started is
 * draining its queue, not waiting to be woken: holding it again (or for
 * the list after, which a busy network thread starts at once) would only
 * throttle it to a few packets per list. */
static GstPadProbeReturn
hold_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  HeldPad *held = data;
  GstP2pPacketSrc *self = held->src;
  gboolean stalled = FALSE;
  gint64 end;
  guint64 gen;

  if (!g_atomic_int_get (&self->holding))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&self->hold_lock);
  gen = self->list_gen;
  if (self->holding && self->holder != g_thread_self ()
      && gen != held->passed_gen) {
    GST_LOG_OBJECT (self, "holding %s:%s for list %" G_GUINT64_FORMAT,
        GST_DEBUG_PAD_NAME (pad), gen);
    end = g_get_monotonic_time () + MAX_HOLD_US;
    self->hold_waiters++;
    while (self->holding && self->list_gen == gen) {
      gint taken = held->taken_in ? g_atomic_int_get (held->taken_in) : 0;
      gint64 until = end;

      if (held->taken_in)
        until = MIN (end, g_get_monotonic_time () + STALL_US);
      if (g_cond_wait_until (&self->hold_cond, &self->hold_lock, until))
        continue;
      if (held->taken_in && g_atomic_int_get (held->taken_in) == taken) {
        stalled = TRUE;
        break;
      }
      if (g_get_monotonic_time () >= end)
        break;
    }
    self->hold_waiters--;
    if (stalled)
      GST_INFO_OBJECT (self, "list %" G_GUINT64_FORMAT " stalled, %s:%s goes "
          "on", gen, GST_DEBUG_PAD_NAME (pad));
    else if (self->holding && self->list_gen == gen)
      GST_INFO_OBJECT (self, "hold of %s:%s timed out",
          GST_DEBUG_PAD_NAME (pad));
  }
  held->passed_gen = self->list_gen;
  g_mutex_unlock (&self->hold_lock);
  return GST_PAD_PROBE_OK;
}

static void
held_pad_free (gpointer data)
{
  HeldPad *held = data;

  gst_object_unref (held->src);
  if (held->taken_in)
    g_atomic_rc_box_release (held->taken_in);
  g_free (held);
}

static GstPadProbeReturn
taken_in_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

/**
 * gst_p2p_packet_src_hold_downstream:
 * @self: a #GstP2pPacketSrc
 * @pad: a source pad downstream, pushed by a thread of its own (a jitter
 *     buffer's)
 *
 * Makes buffers on @pad wait while a list from
 * gst_p2p_packet_src_push_list() is being pushed, so that the thread
 * behind @pad takes the list as a whole instead of being woken for each
 * packet. A buffer waits at most for the end of the list that was going
 * in when it came, and only if that list started after the pad's
 * previous buffer went on; when @pad belongs to an element with a "sink"
 * pad (a jitter buffer), it waits only while that element keeps taking
 * packets in. Events and queries are not held.
 */
void
gst_p2p_packet_src_hold_downstream (GstP2pPacketSrc * self, GstPad * pad)
{
  HeldPad *held = g_new0 (HeldPad, 1);
  GstObject *element = gst_pad_get_parent (pad);
  GstPad *sink = NULL;

  held->src = gst_object_ref (self);
  if (GST_IS_ELEMENT (element))
    sink = gst_element_get_static_pad (GST_ELEMENT (element), "sink");
  if (sink) {
    held->taken_in = g_atomic_rc_box_new0 (gint);
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, taken_in_probe,
        g_atomic_rc_box_acquire (held->taken_in),
        (GDestroyNotify) g_atomic_rc_box_release);
    gst_object_unref (sink);
  }
  gst_clear_object (&element);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, hold_probe, held, held_pad_free);
}
