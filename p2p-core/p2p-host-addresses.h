/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * P2P_HOST_ADDRESSES_MAX_PER_FAMILY:
 *
 * Most host addresses of one family (IPv4, IPv6) offered as ICE candidates.
 */
#define P2P_HOST_ADDRESSES_MAX_PER_FAMILY 4

/*
 * P2pHostInterface:
 * @name: interface name (`eth0`, `docker0`, …)
 * @up: whether the interface is up and running
 * @loopback: whether it is a loopback interface
 * @default_route: whether a default route leaves through it
 * @address: one of its addresses
 *
 * One address of one network interface, as the choice below sees it.
 */
typedef struct
{
  const gchar *name;
  gboolean up;
  gboolean loopback;
  gboolean default_route;
  GInetAddress *address;
} P2pHostInterface;

G_GNUC_INTERNAL
GPtrArray *p2p_host_addresses_choose (const P2pHostInterface * ifaces,
    guint n_ifaces, guint max_per_family);

G_GNUC_INTERNAL
gboolean p2p_host_interface_is_virtual (const gchar * name);

G_GNUC_INTERNAL
GPtrArray *p2p_host_addresses_get (void);

G_GNUC_INTERNAL
GSocketAddress *p2p_host_address_get_link_local (guint scope_id);

G_END_DECLS
