/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>
#include <gst/sdp/sdp.h>

#include "p2p-known-cameras.h"
#include "p2p-loop.h"
#include "p2p-message-router.h"
#include "p2p-signaller.h"
#include "p2p-transport.h"

G_BEGIN_DECLS
/**
 * P2P_VIEWER_SESSION_ERROR:
 *
 * Error domain of #P2pViewerSession: why it gave up or retries.
 *
 * Since: 0.1
 */
#define P2P_VIEWER_SESSION_ERROR (p2p_viewer_session_error_quark ())
    GQuark p2p_viewer_session_error_quark (void);

/**
 * P2pViewerSessionError:
 * @P2P_VIEWER_SESSION_ERROR_UNREACHABLE: no call, path or answer (yet):
 *     retried, or final with reconnecting off
 * @P2P_VIEWER_SESSION_ERROR_NOT_FOUND: no camera with this UID is
 *     registered
 * @P2P_VIEWER_SESSION_ERROR_REVOKED: the camera's UID was revoked
 * @P2P_VIEWER_SESSION_ERROR_BAD_UID: the server finds the UID malformed
 * @P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED: the login failed (wrong
 *     password, or the camera did not prove it)
 * @P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH: the camera's certificate
 *     is not the pinned, remembered or registered one
 * @P2P_VIEWER_SESSION_ERROR_INSECURE_SERVER: the signalling server URI is
 *     not encrypted
 * @P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_READ: the known-cameras file
 *     cannot be read, or has lines that were ignored
 * @P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_WRITE: the camera's certificate
 *     cannot be remembered
 * @P2P_VIEWER_SESSION_ERROR_NO_MEDIA: the camera offers no media stream
 * @P2P_VIEWER_SESSION_ERROR_NOT_ADMITTED: a command before the camera
 *     admitted the viewer
 *
 * Stable codes of #P2P_VIEWER_SESSION_ERROR.
 *
 * Since: 0.1
 */
typedef enum
{
  P2P_VIEWER_SESSION_ERROR_UNREACHABLE,
  P2P_VIEWER_SESSION_ERROR_NOT_FOUND,
  P2P_VIEWER_SESSION_ERROR_REVOKED,
  P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED,
  P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH,
  P2P_VIEWER_SESSION_ERROR_INSECURE_SERVER,
  P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_READ,
  P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_WRITE,
  P2P_VIEWER_SESSION_ERROR_NO_MEDIA,
  P2P_VIEWER_SESSION_ERROR_NOT_ADMITTED,
  P2P_VIEWER_SESSION_ERROR_BAD_UID,
} P2pViewerSessionError;

/**
 * P2pViewerSessionState:
 * @P2P_VIEWER_SESSION_STATE_IDLE: not started, or stopped
 * @P2P_VIEWER_SESSION_STATE_CALLING: the call is asked for
 * @P2P_VIEWER_SESSION_STATE_NEGOTIATING: waiting for the offer, ICE, DTLS
 * @P2P_VIEWER_SESSION_STATE_AUTHORIZING: DTLS up, logging in
 * @P2P_VIEWER_SESSION_STATE_PLAYING: admitted: media flows
 * @P2P_VIEWER_SESSION_STATE_WAITING: before the next attempt
 * @P2P_VIEWER_SESSION_STATE_FAILED: gave up (final)
 *
 * Progress of a viewer's session with its camera.
 *
 * Since: 0.1
 */
typedef enum
{
  P2P_VIEWER_SESSION_STATE_IDLE,
  P2P_VIEWER_SESSION_STATE_CALLING,
  P2P_VIEWER_SESSION_STATE_NEGOTIATING,
  P2P_VIEWER_SESSION_STATE_AUTHORIZING,
  P2P_VIEWER_SESSION_STATE_PLAYING,
  P2P_VIEWER_SESSION_STATE_WAITING,
  P2P_VIEWER_SESSION_STATE_FAILED,
} P2pViewerSessionState;

#define P2P_TYPE_VIEWER_SESSION (p2p_viewer_session_get_type ())
G_DECLARE_FINAL_TYPE (P2pViewerSession, p2p_viewer_session, P2P,
    VIEWER_SESSION, GObject)
/**
 * P2pViewerSessionConfig:
 * @loop: the core's loop; every method but the thread-safe ones runs on
 *     its thread
 * @uid: the camera's UID
 * @password: (nullable): the viewer password to prove
 * @device_fingerprint: (nullable): the pinned camera certificate
 * @known: (nullable): the known-cameras file (trust on first use)
 * @servers: (nullable): the signalling servers to try, in order
 * @allow_insecure: whether @servers may be `ws://`
 * @lan: whether to look for the camera on the local network too
 * @signaller: (nullable): the application's signaller, used alone when set
 * @timeout_ms: how long one attempt may take
 * @reconnect: whether to retry transient faults (else they are final)
 * @router: (nullable): routes the camera's messages once admitted
 * @tls_database: (nullable): the certificate authorities `wss://` servers
 *     are verified with, %NULL for the system's
 * @login_timeout_ms: how long a signalling server may take to accept the
 *     connection and log the viewer in, 0 for #P2pSignalling's default
 *
 * What a viewer session needs from its viewer; copied (referenced) by
 * p2p_viewer_session_new().
 *
 * Since: 0.1
 */
     typedef struct
     {
       P2pLoop *loop;
       const gchar *uid;
       const gchar *password;
       const gchar *device_fingerprint;
       P2pKnownCameras *known;
       const gchar *const *servers;
       gboolean allow_insecure;
       gboolean lan;
       P2pSignaller *signaller;
       guint timeout_ms;
       gboolean reconnect;
       P2pMessageRouter *router;
       GTlsDatabase *tls_database;
       guint login_timeout_ms;
     } P2pViewerSessionConfig;

/**
 * P2pViewerSessionCallbacks:
 * @configure: a new transport for @call wants its ICE servers (those
 *     @signaller hands out and the user's own)
 * @answer_media: the camera's offer: what to answer (media sections and
 *     directions), or %NULL when it offers no stream the viewer can take
 * @connecting: an attempt begins
 * @connected: admitted, or the admitted path changed
 * @retrying: a transient fault (@error, @debug): the next attempt waits
 * @failed: a final fault (@error, @debug): the session stops trying
 * @warning: something worth telling the user that does not stop the
 *     session (the known-cameras file)
 * @media: RTP or RTCP from the camera (on the network thread)
 * @media_list: (nullable): packets from the camera that arrived together
 *     (on the network thread); %NULL: each goes to @media
 *
 * How a session reaches its viewer. Called on the loop thread with no lock
 * held (@media: the network thread), the session alive meanwhile.
 *
 * Since: 0.1
 */
     typedef struct
     {
       void (*configure) (P2pViewerSession * session, P2pTransport * transport,
           P2pSignaller * signaller, const gchar * call, gpointer user_data);
       GstSDPMessage *(*answer_media) (P2pViewerSession * session,
           const GstSDPMessage * offer, gpointer user_data);
       void (*connecting) (P2pViewerSession * session, gpointer user_data);
       void (*connected) (P2pViewerSession * session, gpointer user_data);
       void (*retrying) (P2pViewerSession * session, const GError * error,
           const gchar * debug, gpointer user_data);
       void (*failed) (P2pViewerSession * session, const GError * error,
           const gchar * debug, gpointer user_data);
       void (*warning) (P2pViewerSession * session, const GError * error,
           const gchar * debug, gpointer user_data);
       void (*media) (P2pViewerSession * session, gboolean is_rtcp,
           const guint8 * data, gsize size, gpointer user_data);
       void (*media_list) (P2pViewerSession * session,
           const P2pMediaPacket * packets, guint n_packets,
           gpointer user_data);
     } P2pViewerSessionCallbacks;

     P2pViewerSession *p2p_viewer_session_new (const P2pViewerSessionConfig *
    config, const P2pViewerSessionCallbacks * callbacks, gpointer user_data);

     void p2p_viewer_session_start (P2pViewerSession * self);

     void p2p_viewer_session_stop (P2pViewerSession * self);

     void p2p_viewer_session_set_reconnect (P2pViewerSession * self,
    gboolean reconnect);

     P2pViewerSessionState p2p_viewer_session_get_state (P2pViewerSession *
    self);

     const gchar *p2p_viewer_session_state_to_string (P2pViewerSessionState
    state);

     guint p2p_viewer_session_get_attempts (P2pViewerSession * self);

     gint64 p2p_viewer_session_get_start_time (P2pViewerSession * self);

     gint64 p2p_viewer_session_get_connected_time (P2pViewerSession * self);

     P2pTransportStats *p2p_viewer_session_get_stats (P2pViewerSession * self);

     gboolean p2p_viewer_session_is_admitted (P2pViewerSession * self);

     guint64 p2p_viewer_session_send_command (P2pViewerSession * self,
    const gchar * name, const gchar * payload, GError ** error);

     gboolean p2p_viewer_session_send_layer (P2pViewerSession * self,
    gint layer, GError ** error);

     void p2p_viewer_session_send_rtp (P2pViewerSession * self,
    const guint8 * data, gsize size);

     void p2p_viewer_session_send_rtcp (P2pViewerSession * self,
    const guint8 * data, gsize size);

G_END_DECLS
