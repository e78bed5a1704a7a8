/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * P2pRateLimit:
 *
 * Token buckets keyed by a string (an address or a UID).
 */
typedef struct _P2pRateLimit P2pRateLimit;

P2pRateLimit *p2p_rate_limit_new (gdouble rate, gdouble burst);

void p2p_rate_limit_free (P2pRateLimit * limit);

gboolean p2p_rate_limit_take (P2pRateLimit * limit, const gchar * key,
    gint64 now_us, guint * retry_after);

gboolean p2p_rate_limit_check (P2pRateLimit * limit, const gchar * key,
    gint64 now_us, guint * retry_after);

void p2p_rate_limit_expire (P2pRateLimit * limit, gint64 now_us);

G_END_DECLS
