/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * P2P_IDENTITY_ERROR:
 *
 * Error domain for identity (key and certificate) operations. Errors in this
 * domain are from the #P2pIdentityError enumeration.
 */
#define P2P_IDENTITY_ERROR (p2p_identity_error_quark ())
GQuark p2p_identity_error_quark (void);

/**
 * P2pIdentityError:
 * @P2P_IDENTITY_ERROR_FAILED: generic failure (OpenSSL reported an error)
 * @P2P_IDENTITY_ERROR_READ: the key file could not be read
 * @P2P_IDENTITY_ERROR_PARSE: the PEM data holds no usable key or certificate
 * @P2P_IDENTITY_ERROR_KEY_MISMATCH: the private key does not belong to the certificate
 * @P2P_IDENTITY_ERROR_NO_PRIVATE_KEY: the operation needs a private key and the identity has none
 * @P2P_IDENTITY_ERROR_BAD_SIGNATURE: a signature did not verify
 *
 * Stable error codes of #P2P_IDENTITY_ERROR.
 */
typedef enum
{
  P2P_IDENTITY_ERROR_FAILED,
  P2P_IDENTITY_ERROR_READ,
  P2P_IDENTITY_ERROR_PARSE,
  P2P_IDENTITY_ERROR_KEY_MISMATCH,
  P2P_IDENTITY_ERROR_NO_PRIVATE_KEY,
  P2P_IDENTITY_ERROR_BAD_SIGNATURE,
} P2pIdentityError;

/**
 * P2pKeyType:
 * @P2P_KEY_TYPE_ECDSA_P256: ECDSA on the NIST P-256 curve (default, accepted by browsers)
 * @P2P_KEY_TYPE_ED25519: Ed25519
 *
 * Key algorithm of a generated identity.
 */
typedef enum
{
  P2P_KEY_TYPE_ECDSA_P256,
  P2P_KEY_TYPE_ED25519,
} P2pKeyType;

#define P2P_TYPE_IDENTITY (p2p_identity_get_type ())
G_DECLARE_FINAL_TYPE (P2pIdentity, p2p_identity, P2P, IDENTITY, GObject)

P2pIdentity *p2p_identity_generate (P2pKeyType key_type, const gchar * common_name,
    guint validity_days, GError ** error);

P2pIdentity *p2p_identity_new_from_pem (const gchar * pem, GError ** error);

P2pIdentity *p2p_identity_new_from_file (const gchar * path, GError ** error);

const gchar *p2p_identity_get_fingerprint (P2pIdentity * self);

const gchar *p2p_identity_get_common_name (P2pIdentity * self);

gboolean p2p_identity_has_private_key (P2pIdentity * self);

gchar *p2p_identity_get_certificate_pem (P2pIdentity * self);

gchar *p2p_identity_get_private_key_pem (P2pIdentity * self, GError ** error);

GBytes *p2p_identity_sign (P2pIdentity * self, GBytes * data, GError ** error);

gboolean p2p_identity_verify (P2pIdentity * self, GBytes * data,
    GBytes * signature, GError ** error);

gchar *p2p_fingerprint_from_der (const guint8 * der, gsize der_len);

gboolean p2p_fingerprint_equal (const gchar * a, const gchar * b);

G_END_DECLS
