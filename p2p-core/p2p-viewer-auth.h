/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

#include "p2p-password-hash.h"
#include "p2p-password-verifier.h"

G_BEGIN_DECLS
/**
 * P2P_VIEWER_AUTH_ERROR:
 *
 * Error domain of the viewer login; codes are #P2pViewerAuthError.
 */
#define P2P_VIEWER_AUTH_ERROR (p2p_viewer_auth_error_quark ())
    GQuark p2p_viewer_auth_error_quark (void);

/**
 * P2pViewerAuthError:
 * @P2P_VIEWER_AUTH_ERROR_FAILED: OpenSSL or the system failed
 * @P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER: a password or verifier text is
 *     malformed or out of bounds
 * @P2P_VIEWER_AUTH_ERROR_PROTOCOL: the peer sent a malformed or unexpected
 *     message, or a second attempt (refusal reason `bad-request`)
 * @P2P_VIEWER_AUTH_ERROR_WRONG_PASSWORD: the viewer did not prove the
 *     password (camera side), or the camera said so (viewer side)
 * @P2P_VIEWER_AUTH_ERROR_CAMERA_NOT_PROVEN: the camera did not prove it
 *     knows the password: wrong password, or someone in the middle
 * @P2P_VIEWER_AUTH_ERROR_PASSWORD_REQUIRED: the camera needs a password and
 *     the viewer has none
 * @P2P_VIEWER_AUTH_ERROR_NO_PASSWORD_ASKED: the viewer has a password but
 *     the peer claims to need none, which is what an impostor would claim
 * @P2P_VIEWER_AUTH_ERROR_BUSY: the camera serves its maximum of viewers
 * @P2P_VIEWER_AUTH_ERROR_RETRY_LATER: too many failed logins came from the
 *     viewer's address; see p2p_viewer_auth_get_retry_after()
 * @P2P_VIEWER_AUTH_ERROR_REFUSED: the camera refused for another reason
 *     (for example `timeout`)
 *
 * Stable error codes of #P2P_VIEWER_AUTH_ERROR.
 */
typedef enum
{
  P2P_VIEWER_AUTH_ERROR_FAILED,
  P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER,
  P2P_VIEWER_AUTH_ERROR_PROTOCOL,
  P2P_VIEWER_AUTH_ERROR_WRONG_PASSWORD,
  P2P_VIEWER_AUTH_ERROR_CAMERA_NOT_PROVEN,
  P2P_VIEWER_AUTH_ERROR_PASSWORD_REQUIRED,
  P2P_VIEWER_AUTH_ERROR_NO_PASSWORD_ASKED,
  P2P_VIEWER_AUTH_ERROR_BUSY,
  P2P_VIEWER_AUTH_ERROR_RETRY_LATER,
  P2P_VIEWER_AUTH_ERROR_REFUSED,
} P2pViewerAuthError;

/**
 * P2pViewerAuthState:
 * @P2P_VIEWER_AUTH_STATE_PENDING: the exchange is under way
 * @P2P_VIEWER_AUTH_STATE_VERIFIED: camera side: the viewer proved the
 *     password (or none is needed); answer with p2p_viewer_auth_accept() or
 *     p2p_viewer_auth_refuse()
 * @P2P_VIEWER_AUTH_STATE_ACCEPTED: the viewer may watch (final)
 * @P2P_VIEWER_AUTH_STATE_REFUSED: the login failed (final)
 *
 * Progress of a #P2pViewerAuth.
 */
typedef enum
{
  P2P_VIEWER_AUTH_STATE_PENDING,
  P2P_VIEWER_AUTH_STATE_VERIFIED,
  P2P_VIEWER_AUTH_STATE_ACCEPTED,
  P2P_VIEWER_AUTH_STATE_REFUSED,
} P2pViewerAuthState;

/**
 * P2P_VIEWER_AUTH_EXPORTER_LABEL:
 *
 * The DTLS exporter label (RFC 5705) whose value, 32 bytes from
 * p2p_transport_export_keying_material(), binds a login to its session.
 */
#define P2P_VIEWER_AUTH_EXPORTER_LABEL "EXPORTER-p2p-viewer-auth"

/**
 * P2P_VIEWER_AUTH_EXPORTER_SIZE:
 *
 * Size of the exporter value a #P2pViewerAuth takes, in bytes.
 */
#define P2P_VIEWER_AUTH_EXPORTER_SIZE 32

/**
 * P2P_VIEWER_AUTH_MAX_MESSAGE:
 *
 * Longest login message, in bytes; longer ones are refused unread.
 */
#define P2P_VIEWER_AUTH_MAX_MESSAGE 1024

/**
 * P2P_VIEWER_AUTH_REASON_BUSY:
 *
 * Refusal reason: the camera serves its maximum number of viewers.
 */
#define P2P_VIEWER_AUTH_REASON_BUSY "busy"

/**
 * P2P_VIEWER_AUTH_REASON_TIMEOUT:
 *
 * Refusal reason: the viewer did not finish the login in time.
 */
#define P2P_VIEWER_AUTH_REASON_TIMEOUT "timeout"

/**
 * P2P_VIEWER_AUTH_REASON_RETRY_LATER:
 *
 * Refusal reason: failed logins from the viewer's address; the refusal
 * carries how long to wait.
 */
#define P2P_VIEWER_AUTH_REASON_RETRY_LATER "retry-later"

#define P2P_TYPE_VIEWER_AUTH (p2p_viewer_auth_get_type ())
G_DECLARE_FINAL_TYPE (P2pViewerAuth, p2p_viewer_auth, P2P, VIEWER_AUTH, GObject)
     P2pViewerAuth *p2p_viewer_auth_new_camera (const gchar * uid,
    const P2pPasswordVerifier * verifier, GBytes * exporter);

     P2pViewerAuth *p2p_viewer_auth_new_viewer (const gchar * uid,
    const gchar * password, GBytes * exporter);

     void p2p_viewer_auth_set_password_hash (P2pViewerAuth * self,
    P2pPasswordHash * hash);

     GBytes *p2p_viewer_auth_start (P2pViewerAuth * self);

     gboolean p2p_viewer_auth_receive (P2pViewerAuth * self, GBytes * message,
    GBytes ** reply, GError ** error);

     GBytes *p2p_viewer_auth_accept (P2pViewerAuth * self);

     GBytes *p2p_viewer_auth_refuse (P2pViewerAuth * self, const gchar * reason,
    const gchar * text, guint retry_after_ms);

     P2pViewerAuthState p2p_viewer_auth_get_state (P2pViewerAuth * self);

     gboolean p2p_viewer_auth_get_attempted (P2pViewerAuth * self);

     guint p2p_viewer_auth_get_retry_after (P2pViewerAuth * self);

G_END_DECLS
