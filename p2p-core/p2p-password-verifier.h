/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS
/**
 * P2P_PASSWORD_VERIFIER_ITERATIONS:
 *
 * Default PBKDF2-HMAC-SHA256 iteration count of a new verifier: about 50 ms
 * on a desktop core, paid by the viewer once per login and never by the
 * camera.
 */
#define P2P_PASSWORD_VERIFIER_ITERATIONS 100000
/**
 * P2P_PASSWORD_VERIFIER_MIN_ITERATIONS:
 *
 * Fewest iterations a verifier may have: fewer make the hash pointless.
 */
#define P2P_PASSWORD_VERIFIER_MIN_ITERATIONS 1000
/**
 * P2P_PASSWORD_VERIFIER_MAX_ITERATIONS:
 *
 * Most iterations a verifier may have, and a viewer accepts from a camera:
 * a peer must not be able to make the viewer hash for minutes.
 */
#define P2P_PASSWORD_VERIFIER_MAX_ITERATIONS 2000000
/**
 * P2P_PASSWORD_VERIFIER_SALT_SIZE:
 *
 * Salt size of a new verifier, in bytes; parsed verifiers may have 16 to 64.
 */
#define P2P_PASSWORD_VERIFIER_SALT_SIZE 16
/**
 * P2P_PASSWORD_MAX_SIZE:
 *
 * Longest password, in bytes.
 */
#define P2P_PASSWORD_MAX_SIZE 1024
/**
 * P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE:
 *
 * Session-level SDP attribute of a camera's offer that announces the salt
 * and iteration count of its verifier (p2p_password_verifier_get_params()),
 * so that a viewer can start hashing its password before the DTLS
 * handshake (#P2pPasswordHash). The viewer uses the result only if the
 * camera's `auth-params`, inside DTLS, name the same salt and count.
 */
#define P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE "p2p-auth-params"
typedef struct _P2pPasswordVerifier P2pPasswordVerifier;

#define P2P_TYPE_PASSWORD_VERIFIER (p2p_password_verifier_get_type ())
GType p2p_password_verifier_get_type (void);

P2pPasswordVerifier *p2p_password_verifier_new (const gchar * password,
    guint iterations, GError ** error);

P2pPasswordVerifier *p2p_password_verifier_parse (const gchar * text,
    GError ** error);

gchar *p2p_password_verifier_to_string (const P2pPasswordVerifier * self);

gchar *p2p_password_verifier_get_params (const P2pPasswordVerifier * self);

P2pPasswordVerifier *p2p_password_verifier_copy (const P2pPasswordVerifier *
    self);

void p2p_password_verifier_free (P2pPasswordVerifier * self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (P2pPasswordVerifier, p2p_password_verifier_free)
    G_END_DECLS
