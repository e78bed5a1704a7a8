/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "p2p-identity.h"
#include "p2p-loop.h"

G_BEGIN_DECLS
/**
 * P2P_SIGNALLING_ERROR:
 *
 * Error domain of #P2pSignalling; codes are from #P2pSignallingError.
 */
#define P2P_SIGNALLING_ERROR (p2p_signalling_error_quark ())
    GQuark p2p_signalling_error_quark (void);

/**
 * P2pSignallingError:
 * @P2P_SIGNALLING_ERROR_FAILED: unspecified failure (also: a server error
 *     code this client does not know)
 * @P2P_SIGNALLING_ERROR_INVALID_ARGUMENT: a caller-supplied value is
 *     malformed (server URI, UID, call id, SDP, candidate line)
 * @P2P_SIGNALLING_ERROR_INSECURE: a `ws://` server URI while
 *     #P2pSignalling:allow-insecure is %FALSE
 * @P2P_SIGNALLING_ERROR_UNREACHABLE: no server of the list could be reached
 * @P2P_SIGNALLING_ERROR_PROTOCOL: the server sent something this client
 *     cannot accept (bad JSON, missing or wrong-typed field, over-long value,
 *     unexpected message)
 * @P2P_SIGNALLING_ERROR_TOO_LARGE: a message exceeds
 *     #P2P_SIGNALLING_MAX_MESSAGE
 * @P2P_SIGNALLING_ERROR_NOT_CONNECTED: the client is not logged in to a
 *     server right now (it may be reconnecting)
 * @P2P_SIGNALLING_ERROR_DISCONNECTED: the connection to the server was lost
 *     while a request was pending
 * @P2P_SIGNALLING_ERROR_STOPPED: the client was stopped (or never started)
 * @P2P_SIGNALLING_ERROR_AUTH_FAILED: the server refused the device login
 *     (unknown or revoked UID, bad signature, replayed nonce)
 * @P2P_SIGNALLING_ERROR_UNKNOWN_UID: no device with this UID is registered
 * @P2P_SIGNALLING_ERROR_DEVICE_OFFLINE: the device is registered but not
 *     logged in
 * @P2P_SIGNALLING_ERROR_REFUSED: the device or the server refused the call
 *     (too many calls, policy)
 * @P2P_SIGNALLING_ERROR_RATE_LIMITED: too many requests; retry later
 * @P2P_SIGNALLING_ERROR_TIMEOUT: the server did not answer in time
 * @P2P_SIGNALLING_ERROR_UNKNOWN_CALL: the call id is not (or no longer) known
 * @P2P_SIGNALLING_ERROR_REVOKED: the UID was revoked by the registry
 * @P2P_SIGNALLING_ERROR_REPLACED: the same device logged in again on another
 *     connection; this one stops (state %P2P_SIGNALLING_STATE_FAILED) rather
 *     than fight over the registration
 * @P2P_SIGNALLING_ERROR_WRONG_SERVER: the server's login challenge names
 *     another server id than the one this device expects (the host of the
 *     server URI, or #P2pSignalling:server-ids); nothing was signed and the
 *     next server of the list is tried
 *
 * Stable error codes of #P2P_SIGNALLING_ERROR. Errors the server reports are
 * mapped onto these codes; the server's own message is kept in the #GError
 * message.
 */
typedef enum
{
  P2P_SIGNALLING_ERROR_FAILED,
  P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
  P2P_SIGNALLING_ERROR_INSECURE,
  P2P_SIGNALLING_ERROR_UNREACHABLE,
  P2P_SIGNALLING_ERROR_PROTOCOL,
  P2P_SIGNALLING_ERROR_TOO_LARGE,
  P2P_SIGNALLING_ERROR_NOT_CONNECTED,
  P2P_SIGNALLING_ERROR_DISCONNECTED,
  P2P_SIGNALLING_ERROR_STOPPED,
  P2P_SIGNALLING_ERROR_AUTH_FAILED,
  P2P_SIGNALLING_ERROR_UNKNOWN_UID,
  P2P_SIGNALLING_ERROR_DEVICE_OFFLINE,
  P2P_SIGNALLING_ERROR_REFUSED,
  P2P_SIGNALLING_ERROR_RATE_LIMITED,
  P2P_SIGNALLING_ERROR_TIMEOUT,
  P2P_SIGNALLING_ERROR_UNKNOWN_CALL,
  P2P_SIGNALLING_ERROR_REVOKED,
  P2P_SIGNALLING_ERROR_REPLACED,
  P2P_SIGNALLING_ERROR_WRONG_SERVER,
} P2pSignallingError;

/**
 * P2pSignallingRole:
 * @P2P_SIGNALLING_ROLE_DEVICE: a camera: logs in with its UID and key,
 *     receives calls and sends offers
 * @P2P_SIGNALLING_ROLE_VIEWER: a viewer: connects to devices by UID and
 *     answers their offers
 *
 * Which end of the signalling protocol a #P2pSignalling speaks.
 */
typedef enum
{
  P2P_SIGNALLING_ROLE_DEVICE,
  P2P_SIGNALLING_ROLE_VIEWER,
} P2pSignallingRole;

/**
 * P2pSignallingState:
 * @P2P_SIGNALLING_STATE_STOPPED: not started, or stopped
 * @P2P_SIGNALLING_STATE_CONNECTING: opening the WebSocket or logging in
 * @P2P_SIGNALLING_STATE_READY: logged in (`welcome` received); calls can be
 *     made and received
 * @P2P_SIGNALLING_STATE_WAITING: the last attempt failed or the connection
 *     was lost; waiting for the back-off delay before the next attempt
 * @P2P_SIGNALLING_STATE_FAILED: the server refused the login for a reason
 *     retrying cannot fix (see the error of #P2pSignalling::state-changed);
 *     p2p_signalling_start() tries again
 *
 * Life cycle of a #P2pSignalling.
 */
typedef enum
{
  P2P_SIGNALLING_STATE_STOPPED,
  P2P_SIGNALLING_STATE_CONNECTING,
  P2P_SIGNALLING_STATE_READY,
  P2P_SIGNALLING_STATE_WAITING,
  P2P_SIGNALLING_STATE_FAILED,
} P2pSignallingState;

/**
 * P2P_SIGNALLING_MAX_MESSAGE:
 *
 * Largest signalling message, in bytes, this client sends or accepts.
 * Larger incoming frames close the connection (it is then re-established).
 */
#define P2P_SIGNALLING_MAX_MESSAGE (64 * 1024)

/**
 * P2P_SIGNALLING_MAX_SDP:
 *
 * Largest session description, in bytes, that can be sent or received.
 */
#define P2P_SIGNALLING_MAX_SDP (32 * 1024)

/**
 * P2P_SIGNALLING_MAX_CANDIDATE:
 *
 * Largest candidate attribute value, in bytes.
 */
#define P2P_SIGNALLING_MAX_CANDIDATE 1024

/**
 * P2pIceServer:
 * @urls: (array zero-terminated=1): `stun:`, `turn:` or `turns:` URIs
 * @username: (nullable): TURN user name
 * @credential: (nullable): TURN password
 * @ttl: lifetime of @username and @credential in seconds, 0 when unknown
 *
 * A STUN or TURN server from the server's `welcome`, or one issued for a
 * call. Feed each of @urls to p2p_transport_add_ice_server() with @username
 * and @credential.
 */
typedef struct
{
  gchar **urls;
  gchar *username;
  gchar *credential;
  guint ttl;
} P2pIceServer;

#define P2P_TYPE_ICE_SERVER (p2p_ice_server_get_type ())
GType p2p_ice_server_get_type (void);
P2pIceServer *p2p_ice_server_copy (const P2pIceServer * server);
void p2p_ice_server_free (P2pIceServer * server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (P2pIceServer, p2p_ice_server_free)
/* Signals of P2pSignalling (documented in p2p-signalling.c), all emitted on
 * the loop thread with no lock held:
 *   state-changed     (P2pSignallingState state, GError *error or NULL)
 *   server-refused    (const gchar *uri, GError *error)    device only
 * and those of the P2pSignaller interface it implements (p2p-signaller.c):
 * incoming-call, call-started, call-failed, remote-offer, remote-answer,
 * remote-candidate, call-ended, call-error, error (on entering
 * P2P_SIGNALLING_STATE_FAILED).
 */
#define P2P_TYPE_SIGNALLING (p2p_signalling_get_type ())
    G_DECLARE_FINAL_TYPE (P2pSignalling, p2p_signalling, P2P, SIGNALLING, GObject)
     P2pSignalling *p2p_signalling_new_device (P2pLoop * loop,
    const gchar * const *servers, const gchar * uid, P2pIdentity * identity);

     P2pSignalling *p2p_signalling_new_viewer (P2pLoop * loop,
    const gchar * const *servers);

     void p2p_signalling_start (P2pSignalling * self);

     void p2p_signalling_stop (P2pSignalling * self);

     P2pSignallingState p2p_signalling_get_state (P2pSignalling * self);

     P2pSignallingRole p2p_signalling_get_role (P2pSignalling * self);

     gchar *p2p_signalling_dup_server_uri (P2pSignalling * self);

     GPtrArray *p2p_signalling_get_ice_servers (P2pSignalling * self);

     GPtrArray *p2p_signalling_get_call_ice_servers (P2pSignalling * self,
    const gchar * call);

     void p2p_signalling_connect_async (P2pSignalling * self, const gchar * uid,
    guint timeout_ms, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

     gchar *p2p_signalling_connect_finish (P2pSignalling * self,
    GAsyncResult * result, gchar ** device_fingerprint, GError ** error);

     gchar *p2p_signalling_connect (P2pSignalling * self, const gchar * uid,
    guint timeout_ms, GCancellable * cancellable, gchar ** device_fingerprint,
    GError ** error);

     gboolean p2p_signalling_send_offer (P2pSignalling * self,
    const gchar * call, const gchar * sdp, GError ** error);

     gboolean p2p_signalling_send_answer (P2pSignalling * self,
    const gchar * call, const gchar * sdp, GError ** error);

     gboolean p2p_signalling_send_candidate (P2pSignalling * self,
    const gchar * call, const gchar * candidate, const gchar * mid,
    GError ** error);

     gboolean p2p_signalling_end_call (P2pSignalling * self, const gchar * call,
    const gchar * reason, GError ** error);

     const gchar *p2p_signalling_state_to_string (P2pSignallingState state);

G_END_DECLS
