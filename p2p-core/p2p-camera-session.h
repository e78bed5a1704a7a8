/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>
#include <gst/sdp/sdp.h>

#include "p2p-auth-backoff.h"
#include "p2p-identity.h"
#include "p2p-loop.h"
#include "p2p-message-router.h"
#include "p2p-password-verifier.h"
#include "p2p-transport.h"

G_BEGIN_DECLS

/**
 * P2pCameraSessionState:
 * @P2P_CAMERA_SESSION_STATE_WAITING_MEDIA: call accepted, the offer waits
 *     for the media format
 * @P2P_CAMERA_SESSION_STATE_CONNECTING: offer sent, ICE and DTLS running
 * @P2P_CAMERA_SESSION_STATE_AUTHORIZING: path up, the viewer logs in
 * @P2P_CAMERA_SESSION_STATE_ACTIVE: admitted: receives media, may send
 *     messages
 * @P2P_CAMERA_SESSION_STATE_CLOSING: refused or ended (final)
 *
 * Progress of a camera's session with one viewer.
 */
typedef enum
{
  P2P_CAMERA_SESSION_STATE_WAITING_MEDIA,
  P2P_CAMERA_SESSION_STATE_CONNECTING,
  P2P_CAMERA_SESSION_STATE_AUTHORIZING,
  P2P_CAMERA_SESSION_STATE_ACTIVE,
  P2P_CAMERA_SESSION_STATE_CLOSING,
} P2pCameraSessionState;

#define P2P_TYPE_CAMERA_SESSION (p2p_camera_session_get_type ())
G_DECLARE_FINAL_TYPE (P2pCameraSession, p2p_camera_session, P2P,
    CAMERA_SESSION, GObject)

/**
 * P2pCameraSessionConfig:
 * @loop: the core's loop; every method runs on its thread
 * @identity: the device's identity (DTLS certificate)
 * @uid: the device's UID
 * @verifier: (nullable): the viewer password's verifier; %NULL lets
 *     everyone in
 * @backoff: the table of failed logins per address, shared by sessions
 * @router: (nullable): routes the viewer's messages once it is admitted
 * @auth_timeout_ms: how long the viewer has to log in once its path is up
 *
 * What a camera session needs from its camera; copied (referenced) by
 * p2p_camera_session_new().
 */
typedef struct
{
  P2pLoop *loop;
  P2pIdentity *identity;
  const gchar *uid;
  const P2pPasswordVerifier *verifier;
  P2pAuthBackoff *backoff;
  P2pMessageRouter *router;
  guint auth_timeout_ms;
} P2pCameraSessionConfig;

/**
 * P2pCameraSessionCallbacks:
 * @configure: a new transport wants its ICE servers, before the offer
 * @send_offer: signalling out: the offer for the call
 * @send_candidate: signalling out: a local ICE candidate
 * @end_call: signalling out: the camera ends the call with @reason
 * @admit: the viewer proved the password: may it join? (%FALSE: `busy`)
 * @joined: the viewer is admitted
 * @left: the viewer is out, for @reason (once): refused, or ended
 * @closed: the session is over (once, the last callback): the camera drops
 *     its reference
 * @path_changed: the transport's state, mode or payload MTU changed
 * @media: RTP or RTCP from an admitted viewer
 * @media_wait_done: the time given to p2p_camera_session_wait_media() ran
 *     out
 *
 * How a session reaches its camera: the signalling seam (offer, candidate,
 * end out; p2p_camera_session_set_answer() and friends in) and the events
 * an element turns into pads and messages. Called on the loop thread with
 * no lock held (@media: the network thread), the session alive meanwhile.
 */
typedef struct
{
  void (*configure) (P2pCameraSession * session, P2pTransport * transport,
      gpointer user_data);
  gboolean (*send_offer) (P2pCameraSession * session, const gchar * sdp,
      GError ** error, gpointer user_data);
  void (*send_candidate) (P2pCameraSession * session, const gchar * candidate,
      gpointer user_data);
  void (*end_call) (P2pCameraSession * session, const gchar * reason,
      gpointer user_data);
  gboolean (*admit) (P2pCameraSession * session, gpointer user_data);
  void (*joined) (P2pCameraSession * session, gpointer user_data);
  void (*left) (P2pCameraSession * session, const gchar * reason,
      gpointer user_data);
  void (*closed) (P2pCameraSession * session, gpointer user_data);
  void (*path_changed) (P2pCameraSession * session, gpointer user_data);
  void (*media) (P2pCameraSession * session, gboolean is_rtcp,
      const guint8 * data, gsize size, gpointer user_data);
  void (*media_wait_done) (P2pCameraSession * session, gpointer user_data);
} P2pCameraSessionCallbacks;

P2pCameraSession *p2p_camera_session_new (const P2pCameraSessionConfig *
    config, const gchar * call, const gchar * id, const gchar * address,
    const P2pCameraSessionCallbacks * callbacks, gpointer user_data);

void p2p_camera_session_wait_media (P2pCameraSession * self, guint ms);

gboolean p2p_camera_session_start (P2pCameraSession * self,
    const GstSDPMessage * media);

void p2p_camera_session_set_answer (P2pCameraSession * self,
    const gchar * sdp);

void p2p_camera_session_add_candidate (P2pCameraSession * self,
    const gchar * candidate);

void p2p_camera_session_close (P2pCameraSession * self, const gchar * reason,
    gboolean end_call);

gboolean p2p_camera_session_send_message (P2pCameraSession * self,
    GBytes * message, GError ** error);

void p2p_camera_session_send_rtcp (P2pCameraSession * self,
    const guint8 * data, gsize size);

const gchar *p2p_camera_session_get_call (P2pCameraSession * self);

const gchar *p2p_camera_session_get_id (P2pCameraSession * self);

const gchar *p2p_camera_session_get_address (P2pCameraSession * self);

P2pCameraSessionState p2p_camera_session_get_state (P2pCameraSession * self);

const gchar *p2p_camera_session_state_to_string (P2pCameraSessionState state);

P2pTransport *p2p_camera_session_get_transport (P2pCameraSession * self);

void p2p_camera_session_tick (P2pCameraSession * self, gint64 now_us);

guint64 p2p_camera_session_get_bitrate (P2pCameraSession * self);

G_END_DECLS
