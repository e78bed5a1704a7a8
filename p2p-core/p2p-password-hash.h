/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS
/**
 * P2pPasswordHash:
 *
 * A viewer's password hash computed ahead, on a thread of its own, from
 * parameters nobody has vouched for yet (the camera's offer). Hand it to
 * p2p_viewer_auth_set_password_hash(): the login uses it only when the
 * camera's `auth-params`, received inside DTLS, carry the same salt and
 * iteration count, and otherwise hashes afresh. Reference counted; the
 * work stops once p2p_password_hash_cancel() was called.
 */
typedef struct _P2pPasswordHash P2pPasswordHash;

#define P2P_TYPE_PASSWORD_HASH (p2p_password_hash_get_type ())
GType p2p_password_hash_get_type (void);

P2pPasswordHash *p2p_password_hash_start (const gchar * password,
    const gchar * params);

P2pPasswordHash *p2p_password_hash_ref (P2pPasswordHash * self);

void p2p_password_hash_unref (P2pPasswordHash * self);

void p2p_password_hash_cancel (P2pPasswordHash * self);

gboolean p2p_password_hash_get_used (P2pPasswordHash * self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (P2pPasswordHash, p2p_password_hash_unref)
    G_END_DECLS
