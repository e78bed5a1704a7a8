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

#define GST_TYPE_P2P_PACKET_SINK (gst_p2p_packet_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pPacketSink, gst_p2p_packet_sink, GST,
    P2P_PACKET_SINK, GstBaseSink)

GstElement *gst_p2p_packet_sink_new (const gchar * name,
    GstP2pPacketFunc func, gpointer user_data, gboolean sync);

G_END_DECLS
