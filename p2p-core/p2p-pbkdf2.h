/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS
/**
 * P2P_PBKDF2_MAX_BLOCKS:
 *
 * Most 32-byte output blocks p2p_pbkdf2_sha256() makes (96 bytes).
 */
#define P2P_PBKDF2_MAX_BLOCKS 3
    G_GNUC_INTERNAL
    gboolean p2p_pbkdf2_sha256 (const guint8 * password, gsize password_size,
    const guint8 * salt, gsize salt_size, guint iterations,
    const gint * cancel, guint8 * out, gsize out_size);

G_END_DECLS
