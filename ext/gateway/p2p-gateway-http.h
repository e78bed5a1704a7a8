/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

gboolean p2p_gateway_http_listen (SoupServer * server, const gchar * what,
    const gchar * address, gint port, guint * bound, GError ** error);

G_END_DECLS
