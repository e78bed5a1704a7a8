/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS
/**
 * P2P_PROTOCOL_ERROR:
 *
 * Error domain of the protocol's error codes; codes are #P2pProtocolError.
 */
#define P2P_PROTOCOL_ERROR (p2p_protocol_error_quark ())
GQuark p2p_protocol_error_quark (void);

/**
 * P2pProtocolError:
 * @P2P_PROTOCOL_ERROR_BAD_JSON: `bad-json`
 * @P2P_PROTOCOL_ERROR_TOO_LARGE: `too-large`
 * @P2P_PROTOCOL_ERROR_TOO_DEEP: `too-deep`
 * @P2P_PROTOCOL_ERROR_UNKNOWN_TYPE: `unknown-type`
 * @P2P_PROTOCOL_ERROR_MISSING_FIELD: `missing-field`
 * @P2P_PROTOCOL_ERROR_BAD_FIELD: `bad-field`
 * @P2P_PROTOCOL_ERROR_BAD_VERSION: `bad-version`
 * @P2P_PROTOCOL_ERROR_BAD_STATE: `bad-state`
 * @P2P_PROTOCOL_ERROR_WRONG_ROLE: `wrong-role`
 * @P2P_PROTOCOL_ERROR_BAD_UID: `bad-uid`
 * @P2P_PROTOCOL_ERROR_UNKNOWN_UID: `unknown-uid`
 * @P2P_PROTOCOL_ERROR_REVOKED: `revoked`
 * @P2P_PROTOCOL_ERROR_BAD_NONCE: `bad-nonce`
 * @P2P_PROTOCOL_ERROR_REPLAYED_NONCE: `replayed-nonce`
 * @P2P_PROTOCOL_ERROR_BAD_SIGNATURE: `bad-signature`
 * @P2P_PROTOCOL_ERROR_RATE_LIMITED: `rate-limited`
 * @P2P_PROTOCOL_ERROR_DEVICE_OFFLINE: `device-offline`
 * @P2P_PROTOCOL_ERROR_BUSY: `busy`
 * @P2P_PROTOCOL_ERROR_UNKNOWN_CALL: `unknown-call`
 * @P2P_PROTOCOL_ERROR_REPLACED: `replaced`
 * @P2P_PROTOCOL_ERROR_TIMEOUT: `timeout`
 * @P2P_PROTOCOL_ERROR_OVERLOADED: `overloaded`
 * @P2P_PROTOCOL_ERROR_SHUTTING_DOWN: `shutting-down`
 * @P2P_PROTOCOL_ERROR_INTERNAL: `internal`
 *
 * The codes of `error` messages (docs/protocol.md §6): the server sends
 * them, the client maps them onto its own errors.
 */
typedef enum
{
  P2P_PROTOCOL_ERROR_BAD_JSON,
  P2P_PROTOCOL_ERROR_TOO_LARGE,
  P2P_PROTOCOL_ERROR_TOO_DEEP,
  P2P_PROTOCOL_ERROR_UNKNOWN_TYPE,
  P2P_PROTOCOL_ERROR_MISSING_FIELD,
  P2P_PROTOCOL_ERROR_BAD_FIELD,
  P2P_PROTOCOL_ERROR_BAD_VERSION,
  P2P_PROTOCOL_ERROR_BAD_STATE,
  P2P_PROTOCOL_ERROR_WRONG_ROLE,
  P2P_PROTOCOL_ERROR_BAD_UID,
  P2P_PROTOCOL_ERROR_UNKNOWN_UID,
  P2P_PROTOCOL_ERROR_REVOKED,
  P2P_PROTOCOL_ERROR_BAD_NONCE,
  P2P_PROTOCOL_ERROR_REPLAYED_NONCE,
  P2P_PROTOCOL_ERROR_BAD_SIGNATURE,
  P2P_PROTOCOL_ERROR_RATE_LIMITED,
  P2P_PROTOCOL_ERROR_DEVICE_OFFLINE,
  P2P_PROTOCOL_ERROR_BUSY,
  P2P_PROTOCOL_ERROR_UNKNOWN_CALL,
  P2P_PROTOCOL_ERROR_REPLACED,
  P2P_PROTOCOL_ERROR_TIMEOUT,
  P2P_PROTOCOL_ERROR_OVERLOADED,
  P2P_PROTOCOL_ERROR_SHUTTING_DOWN,
  P2P_PROTOCOL_ERROR_INTERNAL,
} P2pProtocolError;

const gchar *p2p_protocol_error_to_string (P2pProtocolError code);

gboolean p2p_protocol_error_from_string (const gchar * name,
    P2pProtocolError * code);

G_END_DECLS
