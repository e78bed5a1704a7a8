/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-password-hash.h"
#include "p2p-password-verifier.h"
#include "p2p-spake2plus.h"

G_BEGIN_DECLS
#define P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE 64
#define P2P_PASSWORD_VERIFIER_MIN_SALT_SIZE 16
    struct _P2pPasswordVerifier
{
  guint iterations;
  gsize salt_size;
  guint8 salt[P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE];
  guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE];
  guint8 l[P2P_SPAKE2PLUS_POINT_SIZE];
};

G_GNUC_INTERNAL
    gboolean p2p_password_derive (const gchar * password, const guint8 * salt,
    gsize salt_size, guint iterations, guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE],
    guint8 w1[P2P_SPAKE2PLUS_SCALAR_SIZE], GError ** error);

G_GNUC_INTERNAL
    gboolean p2p_password_params_parse (const gchar * text,
    guint8 salt[P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE], gsize * salt_size,
    guint * iterations);

G_GNUC_INTERNAL
    gboolean p2p_password_hash_take (P2pPasswordHash * self,
    const guint8 * salt, gsize salt_size, guint iterations,
    guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE],
    guint8 w1[P2P_SPAKE2PLUS_SCALAR_SIZE]);

G_END_DECLS
