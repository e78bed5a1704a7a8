/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gchar *p2p_turn_username (gint64 expiry, const gchar * uid,
    const gchar * call, const gchar * party);

gchar *p2p_turn_credential (const gchar * secret, const gchar * username);

G_END_DECLS
