/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The start of p2psrc's internal RTP branch: p2p-core's receive callback
 * pushes each decrypted packet straight downstream (into rtpbin) on the
 * thread that received it. appsrc would queue the packet and wake a thread
 * of its own to push it: one more thread hand-off (a futex wake and a
 * context switch) per packet, for nothing, since rtpbin's jitter buffer
 * already decouples the network from the decoders. Live: every buffer is
 * stamped with its arrival running time, which the jitter buffer needs.
 * Not registered as a factory: only p2psrc creates it. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ppacketsrc.h"
#include "gstp2pelements.h"

#define GST_CAT_DEFAULT gst_p2p_debug

struct _GstP2pPacketSrc
{
  GstElement parent;

  GstPad *srcpad;
  GstCaps *caps;
  /* Stream-start, caps and segment still to be sent (stream lock). */
  gboolean need_events;
  /* Downstream returned EOS and was sent the EOS event (stream lock). */
  gboolean eos;
};

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
  GstClockTime now = GST_CLOCK_TIME_NONE;
  GstFlowReturn ret;
  GstBuffer *buf;
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

  buf = gst_buffer_new_memdup (data, size);
  GST_BUFFER_PTS (buf) = now;
  GST_BUFFER_DTS (buf) = now;

  GST_PAD_STREAM_LOCK (self->srcpad);
  if (GST_PAD_IS_FLUSHING (self->srcpad) || self->eos) {
    ret = self->eos ? GST_FLOW_EOS : GST_FLOW_FLUSHING;
    GST_PAD_STREAM_UNLOCK (self->srcpad);
    gst_buffer_unref (buf);
    return ret;
  }
  if (self->need_events) {
    packet_src_send_events (self);
    self->need_events = FALSE;
  }
  ret = gst_pad_push (self->srcpad, buf);
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
