/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * P2P_SERVER_ERROR:
 *
 * Error domain of signalling messages; codes are #P2pServerError. Named
 * after the server, not the protocol: p2p-server links libp2p-core, whose
 * client already exports the P2P_SIGNALLING_ERROR names.
 */
#define P2P_SERVER_ERROR (p2p_server_error_quark ())
GQuark p2p_server_error_quark (void);

/**
 * P2pServerError:
 * @P2P_SERVER_ERROR_BAD_JSON: `bad-json`
 * @P2P_SERVER_ERROR_TOO_LARGE: `too-large`
 * @P2P_SERVER_ERROR_TOO_DEEP: `too-deep`
 * @P2P_SERVER_ERROR_UNKNOWN_TYPE: `unknown-type`
 * @P2P_SERVER_ERROR_MISSING_FIELD: `missing-field`
 * @P2P_SERVER_ERROR_BAD_FIELD: `bad-field`
 * @P2P_SERVER_ERROR_BAD_VERSION: `bad-version`
 * @P2P_SERVER_ERROR_BAD_STATE: `bad-state`
 * @P2P_SERVER_ERROR_WRONG_ROLE: `wrong-role`
 * @P2P_SERVER_ERROR_BAD_UID: `bad-uid`
 * @P2P_SERVER_ERROR_UNKNOWN_UID: `unknown-uid`
 * @P2P_SERVER_ERROR_REVOKED: `revoked`
 * @P2P_SERVER_ERROR_BAD_NONCE: `bad-nonce`
 * @P2P_SERVER_ERROR_REPLAYED_NONCE: `replayed-nonce`
 * @P2P_SERVER_ERROR_BAD_SIGNATURE: `bad-signature`
 * @P2P_SERVER_ERROR_RATE_LIMITED: `rate-limited`
 * @P2P_SERVER_ERROR_DEVICE_OFFLINE: `device-offline`
 * @P2P_SERVER_ERROR_BUSY: `busy`
 * @P2P_SERVER_ERROR_UNKNOWN_CALL: `unknown-call`
 * @P2P_SERVER_ERROR_REPLACED: `replaced`
 * @P2P_SERVER_ERROR_TIMEOUT: `timeout`
 * @P2P_SERVER_ERROR_OVERLOADED: `overloaded`
 * @P2P_SERVER_ERROR_SHUTTING_DOWN: `shutting-down`
 * @P2P_SERVER_ERROR_INTERNAL: `internal`
 *
 * The protocol's error codes (docs/protocol.md §6); the wire names come from
 * p2p_server_error_to_string().
 */
typedef enum
{
  P2P_SERVER_ERROR_BAD_JSON,
  P2P_SERVER_ERROR_TOO_LARGE,
  P2P_SERVER_ERROR_TOO_DEEP,
  P2P_SERVER_ERROR_UNKNOWN_TYPE,
  P2P_SERVER_ERROR_MISSING_FIELD,
  P2P_SERVER_ERROR_BAD_FIELD,
  P2P_SERVER_ERROR_BAD_VERSION,
  P2P_SERVER_ERROR_BAD_STATE,
  P2P_SERVER_ERROR_WRONG_ROLE,
  P2P_SERVER_ERROR_BAD_UID,
  P2P_SERVER_ERROR_UNKNOWN_UID,
  P2P_SERVER_ERROR_REVOKED,
  P2P_SERVER_ERROR_BAD_NONCE,
  P2P_SERVER_ERROR_REPLAYED_NONCE,
  P2P_SERVER_ERROR_BAD_SIGNATURE,
  P2P_SERVER_ERROR_RATE_LIMITED,
  P2P_SERVER_ERROR_DEVICE_OFFLINE,
  P2P_SERVER_ERROR_BUSY,
  P2P_SERVER_ERROR_UNKNOWN_CALL,
  P2P_SERVER_ERROR_REPLACED,
  P2P_SERVER_ERROR_TIMEOUT,
  P2P_SERVER_ERROR_OVERLOADED,
  P2P_SERVER_ERROR_SHUTTING_DOWN,
  P2P_SERVER_ERROR_INTERNAL,
} P2pServerError;

/**
 * P2P_SIGNALLING_MAX_DEPTH:
 *
 * Deepest accepted nesting of JSON objects and arrays.
 */
#define P2P_SIGNALLING_MAX_DEPTH 8

const gchar *p2p_server_error_to_string (P2pServerError code);

JsonObject *p2p_signalling_message_parse (const gchar * data, gsize len,
    GError ** error);

const gchar *p2p_signalling_message_get_string (JsonObject * message,
    const gchar * name, gsize min_len, gsize max_len, gboolean required,
    GError ** error);

gboolean p2p_signalling_message_get_id (JsonObject * message,
    JsonNode ** id, GError ** error);

G_END_DECLS
