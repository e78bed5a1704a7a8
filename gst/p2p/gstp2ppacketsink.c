/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The end of the internal RTP/RTCP branches of p2psink and p2psrc: hands
 * each packet, mapped in place (or copied once, packet_sink_read()), to a
 * callback that passes it to p2p-core. Unlike appsink it wraps nothing in
 * a GstSample, so the fan-out path does not allocate per packet. Not
 * registered as a factory: only the p2p bins create it. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ppacketsink.h"
#include "gstp2pelements.h"

#define GST_CAT_DEFAULT gst_p2p_debug

/* A payloader's packet is two memories, its header and the part of the
 * frame it was cut from: mapping it merges them into memory allocated and
 * freed per packet. Packets of up to ROW_SIZE bytes are copied into the
 * sink's rows instead, one copy and no allocation. */
#define ROW_SIZE 1500

struct _GstP2pPacketSink
{
  GstBaseSink parent;

  GstP2pPacketFunc func;
  GstP2pPacketListFunc list_func;
  gpointer user_data;
  /* GST_P2P_PACKET_SINK_LIST_MAX rows, once a packet needs one. */
    guint8 (*rows)[ROW_SIZE];
};

G_DEFINE_TYPE (GstP2pPacketSink, gst_p2p_packet_sink, GST_TYPE_BASE_SINK);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp; application/x-rtcp; "
        "application/x-srtcp"));

/* Streaming thread: @buffer's bytes, in row @row (a copy) when they are
 * in several memories and fit, else mapped into @map (*@mapped, to unmap
 * after use). NULL when they cannot be read. */
static const guint8 *
packet_sink_read (GstP2pPacketSink * self, GstBuffer * buffer, guint row,
    GstMapInfo * map, gsize * size, gboolean * mapped)
{
  gsize len = gst_buffer_get_size (buffer);

  *mapped = FALSE;
  if (gst_buffer_n_memory (buffer) > 1 && len <= ROW_SIZE) {
    if (!self->rows)
      self->rows = g_malloc (GST_P2P_PACKET_SINK_LIST_MAX * ROW_SIZE);
    *size = gst_buffer_extract (buffer, 0, self->rows[row], len);
    return self->rows[row];
  }
  if (!gst_buffer_map (buffer, map, GST_MAP_READ))
    return NULL;
  *mapped = TRUE;
  *size = map->size;
  return map->data;
}

static void
packet_sink_push (GstP2pPacketSink * self, GstBuffer * buffer)
{
  GstMapInfo map;
  const guint8 *data;
  gboolean mapped;
  gsize size;

  data = packet_sink_read (self, buffer, 0, &map, &size, &mapped);
  if (!data)
    return;
  self->func (data, size, buffer, self->user_data);
  if (mapped)
    gst_buffer_unmap (buffer, &map);
}

static GstFlowReturn
gst_p2p_packet_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  packet_sink_push (GST_P2P_PACKET_SINK (sink), buffer);
  return GST_FLOW_OK;
}

/* Hands @n buffers of a list, read (packet_sink_read()), to the list
 * function at once. */
static void
packet_sink_push_list (GstP2pPacketSink * self, GstBufferList * list,
    guint first, guint n)
{
  GstMapInfo maps[GST_P2P_PACKET_SINK_LIST_MAX];
  GstBuffer *buffers[GST_P2P_PACKET_SINK_LIST_MAX];
  gboolean mapped[GST_P2P_PACKET_SINK_LIST_MAX];
  const guint8 *data[GST_P2P_PACKET_SINK_LIST_MAX];
  gsize sizes[GST_P2P_PACKET_SINK_LIST_MAX];
  guint i, read = 0;

  for (i = 0; i < n; i++) {
    GstBuffer *buffer = gst_buffer_list_get (list, first + i);

    data[read] = packet_sink_read (self, buffer, read, &maps[read],
        &sizes[read], &mapped[read]);
    if (!data[read])
      continue;
    buffers[read++] = buffer;
  }
  if (read > 0)
    self->list_func (data, sizes, read, buffers[0], self->user_data);
  for (i = 0; i < read; i++) {
    if (mapped[i])
      gst_buffer_unmap (buffers[i], &maps[i]);
  }
}

static GstFlowReturn
gst_p2p_packet_sink_render_list (GstBaseSink * sink, GstBufferList * list)
{
  GstP2pPacketSink *self = GST_P2P_PACKET_SINK (sink);
  guint i, n = gst_buffer_list_length (list);

  for (i = 0; i < n; i += self->list_func ? GST_P2P_PACKET_SINK_LIST_MAX : 1) {
    if (self->list_func)
      packet_sink_push_list (self, list, i,
          MIN (n - i, GST_P2P_PACKET_SINK_LIST_MAX));
    else
      packet_sink_push (self, gst_buffer_list_get (list, i));
  }
  return GST_FLOW_OK;
}

static void
gst_p2p_packet_sink_finalize (GObject * object)
{
  g_free (GST_P2P_PACKET_SINK (object)->rows);
  G_OBJECT_CLASS (gst_p2p_packet_sink_parent_class)->finalize (object);
}

static void
gst_p2p_packet_sink_class_init (GstP2pPacketSinkClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *base_class = GST_BASE_SINK_CLASS (klass);

  object_class->finalize = gst_p2p_packet_sink_finalize;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "P2P packet sink", "Sink/Network",
      "Hands RTP and RTCP packets to a p2p transport (internal)",
      "The gst-p2p authors");

  base_class->render = gst_p2p_packet_sink_render;
  base_class->render_list = gst_p2p_packet_sink_render_list;
}

static void
gst_p2p_packet_sink_init (GstP2pPacketSink * self)
{
}

/**
 * gst_p2p_packet_sink_new:
 * @name: element name
 * @func: called for each packet
 * @user_data: passed to @func; must outlive the element
 * @sync: whether to render at the buffers' running time
 *
 * Returns: (transfer floating): a sink that never prerolls (so a branch
 *     that only sometimes carries data, like RTCP, cannot stall a state
 *     change)
 */
GstElement *
gst_p2p_packet_sink_new (const gchar * name, GstP2pPacketFunc func,
    gpointer user_data, gboolean sync)
{
  GstP2pPacketSink *self;

  self = g_object_new (GST_TYPE_P2P_PACKET_SINK, "name", name, "async",
      FALSE, "sync", sync, "enable-last-sample", FALSE, "qos", FALSE, NULL);
  self->func = func;
  self->user_data = user_data;
  return GST_ELEMENT (self);
}

/**
 * gst_p2p_packet_sink_set_list_func:
 * @sink: a sink from gst_p2p_packet_sink_new(), not yet streaming
 * @func: called for the packets of each buffer list (single buffers still
 *     go to the packet function)
 */
void
gst_p2p_packet_sink_set_list_func (GstP2pPacketSink * sink,
    GstP2pPacketListFunc func)
{
  sink->list_func = func;
}

/**
 * gst_p2p_packet_sink_send_time:
 * @sink: a sink from gst_p2p_packet_sink_new()
 * @buffer: the buffer it is rendering
 *
 * The running time @buffer is sent at, as rtpbin's send session counts it
 * for sender reports: its timestamp's (PTS, else DTS) in the sink's
 * segment, plus the pipeline's latency. Streaming thread, from a packet
 * function.
 *
 * Returns: that running time, %GST_CLOCK_TIME_NONE when @buffer has no
 *     timestamp or it lies outside the segment
 */
GstClockTime
gst_p2p_packet_sink_send_time (GstP2pPacketSink * sink, GstBuffer * buffer)
{
  GstBaseSink *base = GST_BASE_SINK (sink);
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buffer) ? GST_BUFFER_PTS (buffer)
      : GST_BUFFER_DTS (buffer);
  GstClockTime running_time;

  if (!GST_CLOCK_TIME_IS_VALID (ts) || base->segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  running_time = gst_segment_to_running_time (&base->segment, GST_FORMAT_TIME,
      ts);
  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    return GST_CLOCK_TIME_NONE;
  return running_time + gst_base_sink_get_latency (base);
}
