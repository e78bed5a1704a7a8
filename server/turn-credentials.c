/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* TURN credentials in coturn's REST-API scheme (`use-auth-secret`): the
 * server and coturn share one secret and nothing else, so credentials are
 * made without talking to coturn and expire by themselves. */

#include "turn-credentials.h"

#include <string.h>

/**
 * p2p_turn_username:
 * @expiry: Unix time after which coturn refuses the credential
 * @uid: the called device
 * @call: the call id
 * @party: `device` or `viewer`
 *
 * Names a credential after the one call it is for. coturn reads the
 * expiry as the digits before the first `:` (rest-api-separator) and the
 * rest, `uid:call:party`, as the user its quotas and logs count.
 *
 * Returns: (transfer full): `expiry:uid:call:party`
 */
gchar *
p2p_turn_username (gint64 expiry, const gchar * uid, const gchar * call,
    const gchar * party)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s:%s:%s", expiry, uid, call,
      party);
}

/**
 * p2p_turn_credential:
 * @secret: coturn's static-auth-secret
 * @username: from p2p_turn_username()
 *
 * Returns: (transfer full): base64(HMAC-SHA1(@secret, @username))
 */
gchar *
p2p_turn_credential (const gchar * secret, const gchar * username)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1,
      (const guchar *) secret, strlen (secret));
  guint8 digest[20];
  gsize len = sizeof (digest);

  g_hmac_update (hmac, (const guchar *) username, strlen (username));
  g_hmac_get_digest (hmac, digest, &len);
  return g_base64_encode (digest, len);
}
