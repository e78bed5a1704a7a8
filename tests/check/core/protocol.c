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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/protocol/error-names", test_error_names);
  g_test_add_func ("/p2p/protocol/login-text", test_login_text);
  g_test_add_func ("/p2p/protocol/uid-forms", test_uid_forms);
  return g_test_run ();
}
