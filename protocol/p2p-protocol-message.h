/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

gboolean p2p_protocol_get_string (JsonObject * message, const gchar * name,
    gsize min_len, gsize max_len, gboolean required, const gchar ** value,
    GError ** error);

G_END_DECLS
