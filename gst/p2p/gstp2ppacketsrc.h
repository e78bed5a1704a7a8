/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_P2P_PACKET_SRC (gst_p2p_packet_src_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pPacketSrc, gst_p2p_packet_src, GST,
    P2P_PACKET_SRC, GstElement)

GstElement *gst_p2p_packet_src_new (const gchar * name, const gchar * caps);

GstFlowReturn gst_p2p_packet_src_push (GstP2pPacketSrc * self,
    const guint8 * data, gsize size);

GstFlowReturn gst_p2p_packet_src_push_list (GstP2pPacketSrc * self,
    GstBufferList * list);

void gst_p2p_packet_src_hold_downstream (GstP2pPacketSrc * self,
    GstPad * pad);

G_END_DECLS
