/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/**
 * GstP2pDirection:
 * @GST_P2P_DIRECTION_INACTIVE: nothing flows
 * @GST_P2P_DIRECTION_SENDONLY: this end sends
 * @GST_P2P_DIRECTION_RECVONLY: this end receives
 * @GST_P2P_DIRECTION_SENDRECV: both
 *
 * Which way one media section flows, seen from the end describing it (a
 * bit for sending, a bit for receiving).
 */
typedef enum
{
  GST_P2P_DIRECTION_INACTIVE = 0,
  GST_P2P_DIRECTION_SENDONLY = 1,
  GST_P2P_DIRECTION_RECVONLY = 2,
  GST_P2P_DIRECTION_SENDRECV = 3,
} GstP2pDirection;

const gchar *gst_p2p_direction_to_string (GstP2pDirection direction);

GstP2pDirection gst_p2p_sdp_media_get_direction (const GstSDPMedia * media);

guint gst_p2p_sdp_media_get_twcc_id (const GstSDPMedia * media);

gboolean gst_p2p_sdp_add_media (GstSDPMessage * msg, const gchar * mid,
    const GstCaps * rtp_caps, GstP2pDirection direction, GError ** error);

void gst_p2p_sdp_add_talkback (GstSDPMessage * msg);

GstSDPMessage *gst_p2p_sdp_answer (const GstSDPMessage * offer,
    GstP2pDirection video, GstP2pDirection audio);

G_END_DECLS
