/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The gateways' port for PCP and NAT-PMP (RFC 6887, RFC 6886). */
#define P2P_PORT_MAPPING_GATEWAY_PORT 5351

/*
 * P2pPortMappingMapped:
 * @external_ip: the address the gateway forwards from, on its WAN side
 * @external_port: the port it forwards to our internal port
 * @user_data: data given to p2p_port_mapping_new()
 *
 * Called once, on the mapping's context, when the gateway first grants
 * the mapping (refreshes that keep it are not reported).
 */
typedef void (*P2pPortMappingMapped) (const gchar * external_ip,
    guint external_port, gpointer user_data);

typedef struct _P2pPortMapping P2pPortMapping;

G_GNUC_INTERNAL
P2pPortMapping *p2p_port_mapping_new (GMainContext * context,
    const gchar * internal_ip, guint internal_port, const gchar * gateway_ip,
    guint gateway_port, P2pPortMappingMapped mapped, gpointer user_data);

G_GNUC_INTERNAL
void p2p_port_mapping_set_upnp_location (P2pPortMapping * mapping,
    const gchar * location);

G_GNUC_INTERNAL
void p2p_port_mapping_free (P2pPortMapping * mapping);

G_GNUC_INTERNAL
gchar *p2p_port_mapping_default_gateway (void);

G_END_DECLS
