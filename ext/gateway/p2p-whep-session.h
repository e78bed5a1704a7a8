/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/**
 * P2P_WHEP_ERROR:
 *
 * Error domain of the WHEP endpoint and its sessions, codes in
 * #P2pWhepError. Each code is one HTTP status of the answer to the client.
 *
 * Since: 0.2
 */
#define P2P_WHEP_ERROR (p2p_whep_error_quark ())

/**
 * P2pWhepError:
 * @P2P_WHEP_ERROR_BAD_OFFER: the body is not a usable SDP offer (400)
 * @P2P_WHEP_ERROR_NO_CODEC: the offer accepts none of the camera's codecs
 *     (406)
 * @P2P_WHEP_ERROR_NOT_FOUND: no such camera or session (404)
 * @P2P_WHEP_ERROR_BUSY: too many sessions, on the camera or in all (503)
 * @P2P_WHEP_ERROR_CAMERA: the camera could not be started (502)
 * @P2P_WHEP_ERROR_NEGOTIATION: webrtcbin refused the offer or failed to
 *     answer it (500)
 * @P2P_WHEP_ERROR_TIMEOUT: the camera or ICE gathering took too long (504)
 *
 * Since: 0.2
 */
typedef enum
{
  P2P_WHEP_ERROR_BAD_OFFER,
  P2P_WHEP_ERROR_NO_CODEC,
  P2P_WHEP_ERROR_NOT_FOUND,
  P2P_WHEP_ERROR_BUSY,
  P2P_WHEP_ERROR_CAMERA,
  P2P_WHEP_ERROR_NEGOTIATION,
  P2P_WHEP_ERROR_TIMEOUT,
} P2pWhepError;

GQuark p2p_whep_error_quark (void);

/**
 * P2pWhepCameraFuncs:
 * @acquire: a client arrives; start the camera if it is not running
 * @release: a client left; the camera may stop
 * @wait_streams: blocks (it is called in a worker thread) until the camera
 *     knows its streams, and returns their encoded caps (#GstCaps
 *     elements, transfer full), or %NULL with @error set
 * @attach: from now on push stream @stream into @appsrc, with timestamps
 *     on the appsrc's running time and video from a keyframe on
 * @detach: stop pushing into @appsrc (called before its pipeline stops)
 * @request_keyframe: (nullable): the viewer lost the picture (its RTCP PLI
 *     or FIR): ask the camera for a keyframe soon. Any thread. Since: 0.3
 *
 * How the endpoint reaches the media of one camera. They are the calls of
 * the gateway's per-camera object (one p2p session shared by every
 * client), and can be anything else that hands out encoded streams, a
 * test pattern for example.
 *
 * Since: 0.2
 */
typedef struct
{
  void (*acquire) (gpointer camera);
  void (*release) (gpointer camera);
  GPtrArray *(*wait_streams) (gpointer camera, guint timeout_ms,
      GError ** error);
  gboolean (*attach) (gpointer camera, guint stream, GstAppSrc * appsrc,
      GError ** error);
  void (*detach) (gpointer camera, GstAppSrc * appsrc);
  void (*request_keyframe) (gpointer camera);
} P2pWhepCameraFuncs;

/**
 * P2pWhepSession:
 *
 * One WHEP viewer: a pipeline of its own in which the camera's encoded
 * streams, re-payloaded without transcoding, feed a webrtcbin that answers
 * the viewer's SDP offer.
 *
 * Since: 0.2
 */
#define P2P_TYPE_WHEP_SESSION (p2p_whep_session_get_type ())
G_DECLARE_FINAL_TYPE (P2pWhepSession, p2p_whep_session, P2P, WHEP_SESSION,
    GObject)

P2pWhepSession *p2p_whep_session_new (const gchar * id,
    const P2pWhepCameraFuncs * funcs, gpointer camera, const gchar * ice_address);

gboolean p2p_whep_session_set_offer (P2pWhepSession * session,
    const gchar * sdp, gsize size, GError ** error);

gboolean p2p_whep_session_choose_codecs (P2pWhepSession * session,
    GPtrArray * stream_caps, GError ** error);

void p2p_whep_session_answer_async (P2pWhepSession * session,
    guint timeout_ms, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

gchar *p2p_whep_session_answer_finish (P2pWhepSession * session,
    GAsyncResult * result, GError ** error);

void p2p_whep_session_stop (P2pWhepSession * session);

const gchar *p2p_whep_session_get_id (P2pWhepSession * session);

G_END_DECLS
