/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * P2pIceUriTransport:
 * @P2P_ICE_URI_STUN: a STUN server (UDP)
 * @P2P_ICE_URI_TURN_UDP: a TURN server over UDP
 * @P2P_ICE_URI_TURN_TCP: a TURN server over TCP
 * @P2P_ICE_URI_TURN_TLS: a TURN server over TLS (`turns:`)
 *
 * What an ICE server URI names.
 */
typedef enum
{
  P2P_ICE_URI_STUN,
  P2P_ICE_URI_TURN_UDP,
  P2P_ICE_URI_TURN_TCP,
  P2P_ICE_URI_TURN_TLS,
} P2pIceUriTransport;

/**
 * P2pIceUri:
 * @transport: the kind of server and how to reach it
 * @host: the host name or numeric address (no brackets)
 * @port: the port (the scheme's default when the URI has none)
 *
 * An ICE server URI (RFC 7064, RFC 7065) taken apart.
 */
typedef struct
{
  P2pIceUriTransport transport;
  gchar *host;
  guint port;
} P2pIceUri;

gboolean p2p_ice_uri_parse (const gchar * text, P2pIceUri * uri,
    GError ** error);

void p2p_ice_uri_clear (P2pIceUri * uri);

G_END_DECLS
