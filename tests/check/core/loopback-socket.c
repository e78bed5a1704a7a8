/* p2p-core tests: a UDP socket on the loopback.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "loopback-socket.h"

/* A blocking UDP socket bound to the loopback address of @family on a
 * port the kernel picks, returned in @port. */
GSocket *
loopback_udp_socket_family (GSocketFamily family, guint * port)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (family);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *s = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);

  g_assert_nonnull (s);
  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return s;
}

/* The same on 127.0.0.1. */
GSocket *
loopback_udp_socket (guint * port)
{
  return loopback_udp_socket_family (G_SOCKET_FAMILY_IPV4, port);
}
