/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/**
 * GstP2pPacketFunc:
 * @data: one RTP or RTCP packet
 * @size: its size in bytes
 * @buffer: the buffer holding it (for flags)
 * @user_data: data given to gst_p2p_packet_sink_new()
 *
 * Called on the streaming thread for every packet reaching the sink.
 */
typedef void (*GstP2pPacketFunc) (const guint8 * data, gsize size,
    GstBuffer * buffer, gpointer user_data);

/**
 * GST_P2P_PACKET_SINK_LIST_MAX:
 *
 * Most packets a #GstP2pPacketListFunc gets at once.
 */
#define GST_P2P_PACKET_SINK_LIST_MAX 64

/**
 * GstP2pPacketListFunc:
 * @data: (array length=n): the packets of a buffer list, in order
 * @sizes: (array length=n): their sizes in bytes
 * @n: how many, at most %GST_P2P_PACKET_SINK_LIST_MAX
 * @first: the buffer holding the first one (for its timestamp)
 * @user_data: data given to gst_p2p_packet_sink_new()
 *
 * Called on the streaming thread for a buffer list's packets (longer lists
 * in pieces), instead of the #GstP2pPacketFunc for each: a payloader's
 * packets of one frame stay together down to the network.
 */
typedef void (*GstP2pPacketListFunc) (const guint8 * const *data,
    const gsize * sizes, guint n, GstBuffer * first, gpointer user_data);

#define GST_TYPE_P2P_PACKET_SINK (gst_p2p_packet_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pPacketSink, gst_p2p_packet_sink, GST,
    P2P_PACKET_SINK, GstBaseSink)

GstElement *gst_p2p_packet_sink_new (const gchar * name,
    GstP2pPacketFunc func, gpointer user_data, gboolean sync);

void gst_p2p_packet_sink_set_list_func (GstP2pPacketSink * sink,
    GstP2pPacketListFunc func);

GstClockTime gst_p2p_packet_sink_send_time (GstP2pPacketSink * sink,
    GstBuffer * buffer);

G_END_DECLS
