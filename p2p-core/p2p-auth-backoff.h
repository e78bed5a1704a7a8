/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define P2P_TYPE_AUTH_BACKOFF (p2p_auth_backoff_get_type ())
G_DECLARE_FINAL_TYPE (P2pAuthBackoff, p2p_auth_backoff, P2P, AUTH_BACKOFF,
    GObject)

P2pAuthBackoff *p2p_auth_backoff_new (guint initial_ms, guint max_ms,
    guint max_entries);

guint p2p_auth_backoff_begin (P2pAuthBackoff * self, const gchar * address,
    gint64 now_us);

void p2p_auth_backoff_end (P2pAuthBackoff * self, const gchar * address,
    gboolean failed, gint64 now_us);

guint p2p_auth_backoff_get_size (P2pAuthBackoff * self);

G_END_DECLS
