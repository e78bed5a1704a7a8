/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2p-protocol-ice-uri.h"
#include "p2p-protocol-error.h"

#include <string.h>

#define STUN_PORT 3478
#define TURNS_PORT 5349
/* Longer URIs are refused: they come from configuration and servers. */
#define MAX_URI 1024

static gboolean
bad (GError ** error, const gchar * text, const gchar * why)
{
  g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_FIELD,
      "ICE server URI \"%.64s\": %s", text, why);
  return FALSE;
}

/* A host name of letters, digits, '-' and '.', or anything else the
 * address parser then checks; no user info, path or fragment. */
static gboolean
is_host (const gchar * host)
{
  const gchar *p;

  if (*host == '\0')
    return FALSE;
  for (p = host; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != ':')
      return FALSE;
  }
  return TRUE;
}

/**
 * p2p_ice_uri_parse:
 * @text: `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]` or
 *     `turns:host[:port][?transport=tcp]`; an IPv6 host in brackets
 * @uri: (out caller-allocates): the parts, to clear with
 *     p2p_ice_uri_clear()
 * @error: return location for a #P2P_PROTOCOL_ERROR_BAD_FIELD error
 *
 * The one reading of ICE server URIs, for the server's configuration, the
 * client's `welcome` and the transport alike. User information
 * (`user@`), paths and other queries are refused: credentials travel
 * apart.
 *
 * Returns: %TRUE when @text is such a URI
 */
gboolean
p2p_ice_uri_parse (const gchar * text, P2pIceUri * uri, GError ** error)
{
  g_autofree gchar *hostport = NULL;
  const gchar *rest, *query, *colon;
  gboolean stun = FALSE, tls = FALSE;
  guint64 port;

  g_return_val_if_fail (text != NULL && uri != NULL, FALSE);

  memset (uri, 0, sizeof (*uri));
  if (strlen (text) > MAX_URI)
    return bad (error, text, "too long");
  if (g_str_has_prefix (text, "stun:")) {
    stun = TRUE;
    rest = text + 5;
  } else if (g_str_has_prefix (text, "turn:")) {
    rest = text + 5;
  } else if (g_str_has_prefix (text, "turns:")) {
    tls = TRUE;
    rest = text + 6;
  } else {
    return bad (error, text, "expected stun:, turn: or turns:");
  }

  uri->transport = stun ? P2P_ICE_URI_STUN : tls ? P2P_ICE_URI_TURN_TLS :
      P2P_ICE_URI_TURN_UDP;
  query = strchr (rest, '?');
  if (query) {
    /* TCP is the only transport of TLS; STUN over TCP is STUN. */
    if (g_str_equal (query, "?transport=tcp")) {
      if (uri->transport == P2P_ICE_URI_TURN_UDP)
        uri->transport = P2P_ICE_URI_TURN_TCP;
    } else if (!(g_str_equal (query, "?transport=udp") && !stun && !tls)) {
      return bad (error, text, "unsupported query");
    }
  }
  hostport = query ? g_strndup (rest, query - rest) : g_strdup (rest);

  port = tls ? TURNS_PORT : STUN_PORT;
  if (hostport[0] == '[') {
    const gchar *end = strchr (hostport, ']');

    if (end == NULL || (end[1] != '\0' && end[1] != ':'))
      return bad (error, text, "malformed IPv6 address");
    uri->host = g_strndup (hostport + 1, end - hostport - 1);
    colon = end[1] == ':' ? end + 1 : NULL;
  } else {
    colon = strrchr (hostport, ':');
    uri->host = colon ? g_strndup (hostport, colon - hostport) :
        g_strdup (hostport);
    if (strchr (uri->host, ':')) {
      p2p_ice_uri_clear (uri);
      return bad (error, text, "an IPv6 address needs brackets");
    }
  }
  if (colon) {
    gchar *end = NULL;

    port = g_ascii_strtoull (colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port == 0 || port > 65535) {
      p2p_ice_uri_clear (uri);
      return bad (error, text, "bad port");
    }
  }
  if (!is_host (uri->host)) {
    p2p_ice_uri_clear (uri);
    return bad (error, text, "bad host");
  }
  uri->port = port;
  return TRUE;
}

/**
 * p2p_ice_uri_clear:
 * @uri: a parsed URI
 *
 * Frees what p2p_ice_uri_parse() allocated in @uri.
 */
void
p2p_ice_uri_clear (P2pIceUri * uri)
{
  g_clear_pointer (&uri->host, g_free);
}
