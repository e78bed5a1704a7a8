/* p2p-protocol: the one definition client and server share
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>

#include "p2p-protocol.h"

/* Every code has one wire name, and reading it back gives the code. */
static void
test_error_names (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  P2pProtocolError code, back;

  for (code = P2P_PROTOCOL_ERROR_BAD_JSON; code <= P2P_PROTOCOL_ERROR_INTERNAL;
      code++) {
    const gchar *name = p2p_protocol_error_to_string (code);

    g_assert_nonnull (name);
    g_assert_false (g_hash_table_contains (seen, name));
    g_hash_table_add (seen, (gpointer) name);
    g_assert_true (p2p_protocol_error_from_string (name, &back));
    g_assert_cmpint (back, ==, code);
  }
  g_assert_cmpstr (p2p_protocol_error_to_string
      (P2P_PROTOCOL_ERROR_DEVICE_OFFLINE), ==, "device-offline");
  g_assert_false (p2p_protocol_error_from_string ("from-the-future", &back));
}

/* The exact bytes docs/protocol.md §4 specifies. */
static void
test_login_text (void)
{
  g_autoptr (GBytes) text = p2p_protocol_login_text ("example.org",
      "7KQ2-M9XD-4HPA-R3WV", "bm9uY2U=");
  const gchar expected[] = "p2p-login-v1\nexample.org\n7KQ2-M9XD-4HPA-R3WV\n"
      "bm9uY2U=";

  g_assert_cmpmem (g_bytes_get_data (text, NULL), g_bytes_get_size (text),
      expected, strlen (expected));
}

/* Clients compare the form; the registry also checks the check symbols. */
static void
test_uid_forms (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *uid = p2p_uid_generate (NULL, &error);
  g_autofree gchar *lower = g_ascii_strdown (uid, -1);
  g_autofree gchar *form = p2p_uid_normalize_form (lower, &error);
  g_autofree gchar *checked = p2p_uid_normalize (lower, &error);
  g_autofree gchar *shape = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (form, ==, uid);
  g_assert_cmpstr (checked, ==, uid);

  /* Look-alikes read as digits; the check symbols left to the registry. */
  shape = p2p_uid_normalize_form ("7kq2-m9xd-4hpa-r3wo", &error);
  g_assert_cmpstr (shape, ==, "7KQ2-M9XD-4HPA-R3W0");
  g_assert_null (p2p_uid_normalize_form ("7KQ2-M9XD-4HPA-R3WU", &error));
  g_assert_error (error, P2P_UID_ERROR, P2P_UID_ERROR_FORMAT);
  g_clear_error (&error);
  g_assert_null (p2p_uid_normalize_form ("7KQ2M9XD-4HPA-R3WV0", &error));
  g_assert_error (error, P2P_UID_ERROR, P2P_UID_ERROR_FORMAT);
}

/* The one reading of STUN and TURN URIs, for server, client and
 * transport. */
static void
test_ice_uris (void)
{
  static const struct
  {
    const gchar *text;
    P2pIceUriTransport transport;
    const gchar *host;
    guint port;
  } good[] = {
    {"stun:198.51.100.7", P2P_ICE_URI_STUN, "198.51.100.7", 3478},
    {"stun:stun.example.org:19302", P2P_ICE_URI_STUN, "stun.example.org",
        19302},
    {"turn:[2001:db8::1]:3479?transport=udp", P2P_ICE_URI_TURN_UDP,
        "2001:db8::1", 3479},
    {"turn:relay.example.org?transport=tcp", P2P_ICE_URI_TURN_TCP,
        "relay.example.org", 3478},
    {"turns:relay.example.org", P2P_ICE_URI_TURN_TLS, "relay.example.org",
        5349},
  };
  static const gchar *const bad[] = {
    "stuns:stun.example.org", "http://example.org", "turn:", "turn::3478",
    "turn:host:0", "turn:host:65536", "turn:host:12x",
    "turn:host?transport=sctp", "turns:host?transport=udp",
    "stun:host?transport=udp", "turn:2001:db8::1", "turn:[2001:db8::1",
    "turn:user@host", "turn:host/path",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) error = NULL;
    P2pIceUri uri;

    g_assert_true (p2p_ice_uri_parse (good[i].text, &uri, &error));
    g_assert_no_error (error);
    g_assert_cmpint (uri.transport, ==, good[i].transport);
    g_assert_cmpstr (uri.host, ==, good[i].host);
    g_assert_cmpuint (uri.port, ==, good[i].port);
    p2p_ice_uri_clear (&uri);
  }
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    P2pIceUri uri;

    g_assert_false (p2p_ice_uri_parse (bad[i], &uri, &error));
    g_assert_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_FIELD);
    g_assert_null (uri.host);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/protocol/error-names", test_error_names);
  g_test_add_func ("/p2p/protocol/login-text", test_login_text);
  g_test_add_func ("/p2p/protocol/uid-forms", test_uid_forms);
  g_test_add_func ("/p2p/protocol/ice-uris", test_ice_uris);
  return g_test_run ();
}
