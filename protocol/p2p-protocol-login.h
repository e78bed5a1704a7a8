/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

GBytes *p2p_protocol_login_text (const gchar * server_id, const gchar * uid,
    const gchar * nonce);

G_END_DECLS
