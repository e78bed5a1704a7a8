/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include "p2p-gateway-camera.h"

G_BEGIN_DECLS

/**
 * P2pGatewayMediaFactory:
 *
 * The RTSP front end of a #P2pGatewayCamera: one media shared by every
 * RTSP client of the camera, built on the first DESCRIBE from the camera's
 * streams (appsrc, parser, payloader: no transcoding), fed by the camera's
 * hub, and released (starting the camera's linger time) when the media is
 * unprepared after its last client.
 *
 * Talk-back: a client asking for the ONVIF audio back channel (`Require:
 * www.onvif.org/ver20/backchannel`, as rtspsrc `backchannel=onvif` does)
 * gets a media of its own with a G.711 µ-law (PCMU) back channel, whose
 * audio goes to the camera's speaker through the p2p session. Serve it
 * from a #GstRTSPOnvifServer.
 *
 * Since: 0.2
 */
#define P2P_GATEWAY_TYPE_MEDIA_FACTORY (p2p_gateway_media_factory_get_type ())
G_DECLARE_FINAL_TYPE (P2pGatewayMediaFactory, p2p_gateway_media_factory,
    P2P_GATEWAY, MEDIA_FACTORY, GstRTSPOnvifMediaFactory)

GstRTSPMediaFactory *p2p_gateway_media_factory_new (P2pGatewayCamera *
    camera, guint timeout_ms);

G_END_DECLS
