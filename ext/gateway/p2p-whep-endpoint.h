/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "p2p-whep-session.h"

G_BEGIN_DECLS

/**
 * P2pWhepEndpoint:
 *
 * The gateway's WHEP (RFC 9725) front end, on a #SoupServer:
 *
 * - `POST /whep/NAME` with an SDP offer (`application/sdp`) answers
 *   `201 Created`, the SDP answer in the body and the session's resource in
 *   `Location` (`/whep/NAME/ID`); ICE candidates are all in the answer.
 * - `DELETE /whep/NAME/ID` ends that session.
 * - `GET /view/NAME` is a page that plays the camera in a browser;
 *   `GET /view/` lists the cameras.
 *
 * Each session is a webrtcbin of its own fed with the camera's encoded
 * streams, without transcoding; the camera's p2p session is shared with
 * the gateway's other clients through #P2pWhepCameraFuncs.
 *
 * Since: 0.2
 */
#define P2P_TYPE_WHEP_ENDPOINT (p2p_whep_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (P2pWhepEndpoint, p2p_whep_endpoint, P2P, WHEP_ENDPOINT,
    GObject)

P2pWhepEndpoint *p2p_whep_endpoint_new (void);

void p2p_whep_endpoint_add_camera (P2pWhepEndpoint * endpoint,
    const gchar * name, const P2pWhepCameraFuncs * funcs, gpointer camera,
    GDestroyNotify destroy);

void p2p_whep_endpoint_add_handlers (P2pWhepEndpoint * endpoint,
    SoupServer * server);

guint p2p_whep_endpoint_get_n_sessions (P2pWhepEndpoint * endpoint,
    const gchar * camera);

G_END_DECLS
