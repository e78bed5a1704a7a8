/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-loop.h"
#include "p2p-signaller.h"

G_BEGIN_DECLS
/**
 * P2P_LAN_DISCOVERY_PORT:
 *
 * The UDP port cameras listen on for local-network discovery queries, and
 * viewers send them to, unless #P2pLanSignaller:discovery-port says
 * otherwise.
 */
#define P2P_LAN_DISCOVERY_PORT 47230
/**
 * P2P_LAN_MULTICAST_IPV4:
 *
 * The IPv4 multicast group of discovery (administratively scoped).
 */
#define P2P_LAN_MULTICAST_IPV4 "239.255.47.230"
/**
 * P2P_LAN_MULTICAST_IPV6:
 *
 * The IPv6 link-local multicast group of discovery.
 */
#define P2P_LAN_MULTICAST_IPV6 "ff02::4723"
#define P2P_TYPE_LAN_SIGNALLER (p2p_lan_signaller_get_type ())
G_DECLARE_FINAL_TYPE (P2pLanSignaller, p2p_lan_signaller, P2P, LAN_SIGNALLER,
    GObject)

P2pLanSignaller *p2p_lan_signaller_new_camera (P2pLoop * loop,
    const gchar * uid);

P2pLanSignaller *p2p_lan_signaller_new_viewer (P2pLoop * loop);

guint p2p_lan_signaller_get_bound_port (P2pLanSignaller * self);

G_END_DECLS
