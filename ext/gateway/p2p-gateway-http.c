/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-gateway-http
 * @title: HTTP listening
 * @short_description: where the gateway's HTTP servers listen
 *
 * The admin port (metrics, health) and the WHEP port listen the same way:
 * on one IP address and a port, 0 for one the system picks, which the
 * gateway then prints for its supervisor.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-gateway-http.h"

/**
 * p2p_gateway_http_listen:
 * @server: the server
 * @what: the setting's prefix in messages (`admin`, `http`)
 * @address: the IP address to listen on
 * @port: the port, 0 for any
 * @bound: (out): the port listened on
 * @error: a #G_IO_ERROR when @address is not an IP address or @server
 *     cannot listen there
 *
 * Returns: whether @server listens
 *
 * Since: 0.2
 */
gboolean
p2p_gateway_http_listen (SoupServer * server, const gchar * what,
    const gchar * address, gint port, guint * bound, GError ** error)
{
  GInetAddress *inet = g_inet_address_new_from_string (address);
  GSocketAddress *sockaddr;
  GSList *listeners;
  gboolean ok;

  if (!inet) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s-address %s is not an IP address", what, address);
    return FALSE;
  }
  sockaddr = g_inet_socket_address_new (inet, port);
  g_object_unref (inet);
  ok = soup_server_listen (server, sockaddr, 0, error);
  g_object_unref (sockaddr);
  if (!ok) {
    g_prefix_error (error, "%s port: ", what);
    return FALSE;
  }
  /* The port from the socket itself: soup_server_get_uris() would have
   * libsoup 3.2 cache the address in its listener, never to free it. */
  *bound = 0;
  listeners = soup_server_get_listeners (server);
  if (listeners) {
    sockaddr = g_socket_get_local_address (listeners->data, NULL);
    if (sockaddr) {
      *bound = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
          (sockaddr));
      g_object_unref (sockaddr);
    }
  }
  g_slist_free (listeners);
  return TRUE;
}
