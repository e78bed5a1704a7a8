/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

/* Errors are P2P_PROTOCOL_ERROR. */
#include "p2p-protocol.h"

G_BEGIN_DECLS

JsonObject *p2p_signalling_message_parse (const gchar * data, gsize len,
    GError ** error);

gboolean p2p_signalling_message_get_id (JsonObject * message,
    JsonNode ** id, GError ** error);

G_END_DECLS
