/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2p-protocol-error.h"

#include <string.h>

G_DEFINE_QUARK (p2p_protocol_error, p2p_protocol_error);

static const gchar *const names[] = {
  [P2P_PROTOCOL_ERROR_BAD_JSON] = "bad-json",
  [P2P_PROTOCOL_ERROR_TOO_LARGE] = "too-large",
  [P2P_PROTOCOL_ERROR_TOO_DEEP] = "too-deep",
  [P2P_PROTOCOL_ERROR_UNKNOWN_TYPE] = "unknown-type",
  [P2P_PROTOCOL_ERROR_MISSING_FIELD] = "missing-field",
  [P2P_PROTOCOL_ERROR_BAD_FIELD] = "bad-field",
  [P2P_PROTOCOL_ERROR_BAD_VERSION] = "bad-version",
  [P2P_PROTOCOL_ERROR_BAD_STATE] = "bad-state",
  [P2P_PROTOCOL_ERROR_WRONG_ROLE] = "wrong-role",
  [P2P_PROTOCOL_ERROR_BAD_UID] = "bad-uid",
  [P2P_PROTOCOL_ERROR_UNKNOWN_UID] = "unknown-uid",
  [P2P_PROTOCOL_ERROR_REVOKED] = "revoked",
  [P2P_PROTOCOL_ERROR_BAD_NONCE] = "bad-nonce",
  [P2P_PROTOCOL_ERROR_REPLAYED_NONCE] = "replayed-nonce",
  [P2P_PROTOCOL_ERROR_BAD_SIGNATURE] = "bad-signature",
  [P2P_PROTOCOL_ERROR_RATE_LIMITED] = "rate-limited",
  [P2P_PROTOCOL_ERROR_DEVICE_OFFLINE] = "device-offline",
  [P2P_PROTOCOL_ERROR_BUSY] = "busy",
  [P2P_PROTOCOL_ERROR_UNKNOWN_CALL] = "unknown-call",
  [P2P_PROTOCOL_ERROR_REPLACED] = "replaced",
  [P2P_PROTOCOL_ERROR_TIMEOUT] = "timeout",
  [P2P_PROTOCOL_ERROR_OVERLOADED] = "overloaded",
  [P2P_PROTOCOL_ERROR_SHUTTING_DOWN] = "shutting-down",
  [P2P_PROTOCOL_ERROR_INTERNAL] = "internal",
};

/**
 * p2p_protocol_error_to_string:
 * @code: an error code
 *
 * Returns: the code's stable wire name
 */
const gchar *
p2p_protocol_error_to_string (P2pProtocolError code)
{
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (names), "internal");
  return names[code];
}

/**
 * p2p_protocol_error_from_string:
 * @name: a wire name, as received
 * @code: (out): the code named
 *
 * Returns: %FALSE when @name is no code of this protocol version (a later
 *     server's, or garbage)
 */
gboolean
p2p_protocol_error_from_string (const gchar * name, P2pProtocolError * code)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    if (strcmp (names[i], name) == 0) {
      *code = i;
      return TRUE;
    }
  }
  return FALSE;
}
