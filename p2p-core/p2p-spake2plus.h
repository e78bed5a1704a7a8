/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * SPAKE2+ (RFC 9383), ciphersuite P256-SHA256-HKDF-SHA256-HMAC-SHA256, one
 * protocol run per object. Points travel in SEC1 uncompressed form, scalars
 * as 32-byte big-endian integers. The cofactor of P-256 is 1, so group
 * membership is "on the curve and not the identity".
 *
 * The prover holds (w0, w1), the verifier (w0, L = w1*P). Both call
 * p2p_spake2plus_get_share(), send it, then p2p_spake2plus_finish() with the
 * peer's share; after that each has its own confirmation MAC to send and
 * checks the peer's with p2p_spake2plus_check_confirm().
 */

#define P2P_SPAKE2PLUS_SCALAR_SIZE 32
#define P2P_SPAKE2PLUS_POINT_SIZE 65
#define P2P_SPAKE2PLUS_MAC_SIZE 32
#define P2P_SPAKE2PLUS_KEY_SIZE 32
/* Each half of the PBKDF output: ceil(log2(n)) + 64 bits, so that
 * reducing it modulo the group order n is biased by at most 2^-64. */
#define P2P_SPAKE2PLUS_PBKDF_HALF_SIZE 40

typedef enum
{
  P2P_SPAKE2PLUS_PROVER,
  P2P_SPAKE2PLUS_VERIFIER,
} P2pSpake2PlusRole;

typedef struct _P2pSpake2Plus P2pSpake2Plus;

G_GNUC_INTERNAL
gboolean p2p_spake2plus_reduce (const guint8 * half, gsize size,
    guint8 scalar[P2P_SPAKE2PLUS_SCALAR_SIZE]);

G_GNUC_INTERNAL
gboolean p2p_spake2plus_check_scalar (const guint8 * scalar, gsize size);

G_GNUC_INTERNAL
gboolean p2p_spake2plus_check_point (const guint8 * point, gsize size);

G_GNUC_INTERNAL
gboolean p2p_spake2plus_compute_l (const guint8 w1[P2P_SPAKE2PLUS_SCALAR_SIZE],
    guint8 l[P2P_SPAKE2PLUS_POINT_SIZE]);

G_GNUC_INTERNAL
P2pSpake2Plus *p2p_spake2plus_new (P2pSpake2PlusRole role,
    const guint8 * context, gsize context_size,
    const guint8 * id_prover, gsize id_prover_size,
    const guint8 * id_verifier, gsize id_verifier_size,
    const guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE],
    const guint8 * w1_or_l, gsize w1_or_l_size);

G_GNUC_INTERNAL
gboolean p2p_spake2plus_set_ephemeral (P2pSpake2Plus * self,
    const guint8 scalar[P2P_SPAKE2PLUS_SCALAR_SIZE]);

G_GNUC_INTERNAL
gboolean p2p_spake2plus_get_share (P2pSpake2Plus * self,
    guint8 share[P2P_SPAKE2PLUS_POINT_SIZE]);

G_GNUC_INTERNAL
gboolean p2p_spake2plus_finish (P2pSpake2Plus * self,
    const guint8 * peer_share, gsize size);

G_GNUC_INTERNAL
const guint8 *p2p_spake2plus_get_confirm (P2pSpake2Plus * self);

G_GNUC_INTERNAL
gboolean p2p_spake2plus_check_confirm (P2pSpake2Plus * self,
    const guint8 * confirm, gsize size);

G_GNUC_INTERNAL
const guint8 *p2p_spake2plus_get_shared_key (P2pSpake2Plus * self);

G_GNUC_INTERNAL
GBytes *p2p_spake2plus_get_transcript (P2pSpake2Plus * self);

G_GNUC_INTERNAL
void p2p_spake2plus_get_keys (P2pSpake2Plus * self,
    guint8 k_main[P2P_SPAKE2PLUS_KEY_SIZE],
    guint8 k_confirm_p[P2P_SPAKE2PLUS_KEY_SIZE],
    guint8 k_confirm_v[P2P_SPAKE2PLUS_KEY_SIZE]);

G_GNUC_INTERNAL
void p2p_spake2plus_free (P2pSpake2Plus * self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (P2pSpake2Plus, p2p_spake2plus_free)

G_END_DECLS
