/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2p-protocol-login.h"

#include <string.h>

/**
 * p2p_protocol_login_text:
 * @server_id: the id of the server the device logs in to (its
 *     `challenge`'s `server_id`)
 * @uid: the device's normalised UID
 * @nonce: the `challenge`'s nonce
 *
 * What a device signs to log in and the server verifies (docs/protocol.md
 * §4): binding the server id and the nonce makes the signature useless
 * anywhere else and at any other time.
 *
 * Returns: (transfer full): the bytes to sign, no terminating NUL
 */
GBytes *
p2p_protocol_login_text (const gchar * server_id, const gchar * uid,
    const gchar * nonce)
{
  gchar *text;

  g_return_val_if_fail (server_id && uid && nonce, NULL);

  text = g_strdup_printf ("p2p-login-v1\n%s\n%s\n%s", server_id, uid, nonce);
  return g_bytes_new_take (text, strlen (text));
}
