/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>

G_BEGIN_DECLS

/**
 * P2pGatewayCamera:
 *
 * One camera of the gateway: the single p2p session (a p2psrc in a
 * pipeline of its own) that every front end (RTSP, WHEP, ...) shares,
 * and the hub that copies the camera's encoded streams to them.
 *
 * How a front end uses it, from any thread but the camera's #GMainContext:
 *
 * 1. p2p_gateway_camera_acquire() when a client arrives: the session starts
 *    if none runs (on demand), and a pending linger stop is cancelled.
 * 2. p2p_gateway_camera_wait_streams() (blocking) for the caps of the
 *    camera's streams, encoded, in the order p2psrc made its pads
 *    (`video_0`, `audio_0`, ...): build the front end's pipeline from them
 *    (parser, payloader; never a decoder: the gateway does not transcode).
 * 3. p2p_gateway_camera_attach() an appsrc per stream. The hub pushes into
 *    it once it is PLAYING, with timestamps moved onto the appsrc's running
 *    time, video from a keyframe on (one is asked of the camera on attach),
 *    and new caps when the camera's change. A client joining a pipeline
 *    that already runs wants p2p_gateway_camera_request_keyframe(). While the camera path is broken
 *    and p2psrc reconnects, nothing is pushed: clients see a pause, not
 *    an end of stream.
 * 4. p2p_gateway_camera_detach() each appsrc before its pipeline stops, then
 *    p2p_gateway_camera_release(). When the last client is gone the session
 *    is kept #P2pGatewayCamera:linger milliseconds, then stopped.
 *
 * Front ends also count their own clients (RTSP sessions playing, WHEP
 * peers) with p2p_gateway_camera_add_viewers(), for the statistics: one
 * shared front-end pipeline may serve many of them.
 *
 * A session that fails for good (wrong password, certificate mismatch) is
 * retried while clients remain, waiting longer each time; waiters of
 * p2p_gateway_camera_wait_streams() get the error.
 *
 * Since: 0.2
 */
#define P2P_GATEWAY_TYPE_CAMERA (p2p_gateway_camera_get_type ())
G_DECLARE_FINAL_TYPE (P2pGatewayCamera, p2p_gateway_camera, P2P_GATEWAY,
    CAMERA, GObject)

/**
 * P2P_GATEWAY_CAMERA_ERROR:
 *
 * Error domain of #P2pGatewayCamera, codes in #P2pGatewayCameraError.
 *
 * Since: 0.2
 */
#define P2P_GATEWAY_CAMERA_ERROR (p2p_gateway_camera_error_quark ())

/**
 * P2pGatewayCameraError:
 * @P2P_GATEWAY_CAMERA_ERROR_TIMEOUT: the camera sent no stream in time
 * @P2P_GATEWAY_CAMERA_ERROR_FAILED: the session failed; the message says
 *     why (p2psrc's error)
 * @P2P_GATEWAY_CAMERA_ERROR_STREAM: no such stream
 *
 * Since: 0.2
 */
typedef enum
{
  P2P_GATEWAY_CAMERA_ERROR_TIMEOUT,
  P2P_GATEWAY_CAMERA_ERROR_FAILED,
  P2P_GATEWAY_CAMERA_ERROR_STREAM,
} P2pGatewayCameraError;

GQuark p2p_gateway_camera_error_quark (void);

void p2p_gateway_camera_acquire (P2pGatewayCamera * camera);

void p2p_gateway_camera_release (P2pGatewayCamera * camera);

GPtrArray *p2p_gateway_camera_wait_streams (P2pGatewayCamera * camera,
    guint timeout_ms, GError ** error);

gboolean p2p_gateway_camera_attach (P2pGatewayCamera * camera, guint stream,
    GstAppSrc * appsrc, GError ** error);

void p2p_gateway_camera_detach (P2pGatewayCamera * camera,
    GstAppSrc * appsrc);

gboolean p2p_gateway_camera_talk (P2pGatewayCamera * camera,
    GstSample * sample);

void p2p_gateway_camera_request_keyframe (P2pGatewayCamera * camera);

void p2p_gateway_camera_add_viewers (P2pGatewayCamera * camera,
    gint delta);

void p2p_gateway_camera_stop (P2pGatewayCamera * camera);

const gchar *p2p_gateway_camera_get_name (P2pGatewayCamera * camera);

GstStructure *p2p_gateway_camera_get_stats (P2pGatewayCamera * camera);

G_END_DECLS
