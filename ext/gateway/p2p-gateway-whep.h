/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "p2p-gateway-config.h"

G_BEGIN_DECLS

SoupServer *p2p_gateway_whep_serve (P2pGatewayConfig * config, guint * port,
    GError ** error);

G_END_DECLS
