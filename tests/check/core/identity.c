/* p2p-core identity tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <p2p-core/p2p-core.h>

static void
check_sign_verify (P2pIdentity * id)
{
  g_autoptr (GBytes) data = g_bytes_new_static ("nonce|uid|server", 16);
  g_autoptr (GBytes) other = g_bytes_new_static ("nonce|uid|server2", 17);
  g_autoptr (GBytes) sig = NULL;
  g_autoptr (GError) error = NULL;

  sig = p2p_identity_sign (id, data, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_identity_verify (id, data, sig, &error));
  g_assert_no_error (error);
  g_assert_false (p2p_identity_verify (id, other, sig, &error));
  g_assert_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_BAD_SIGNATURE);
}

static void
test_generate (gconstpointer data)
{
  P2pKeyType type = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;
  g_autoptr (P2pIdentity) id = NULL;
  const gchar *fp;

  id = p2p_identity_generate (type, "CAM-TEST", 30, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_identity_has_private_key (id));
  g_assert_cmpstr (p2p_identity_get_common_name (id), ==, "CAM-TEST");
  fp = p2p_identity_get_fingerprint (id);
  g_assert_true (g_str_has_prefix (fp, "sha-256 "));
  g_assert_cmpuint (strlen (fp), ==, 8 + 32 * 3 - 1);
  check_sign_verify (id);
}

static void
test_pem_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (P2pIdentity) id = NULL;
  g_autoptr (P2pIdentity) loaded = NULL;
  g_autoptr (P2pIdentity) public_only = NULL;
  g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);
  g_autoptr (GBytes) sig = NULL;
  g_autofree gchar *cert = NULL, *key = NULL, *both = NULL, *path = NULL;

  id = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, NULL, 0, &error);
  g_assert_no_error (error);
  cert = p2p_identity_get_certificate_pem (id);
  key = p2p_identity_get_private_key_pem (id, &error);
  g_assert_no_error (error);
  both = g_strconcat (key, cert, NULL);

  path = g_build_filename (g_get_tmp_dir (), "p2p-identity-XXXXXX", NULL);
  g_close (g_mkstemp (path), NULL);
  g_assert_true (g_file_set_contents (path, both, -1, NULL));
  loaded = p2p_identity_new_from_file (path, &error);
  g_unlink (path);
  g_assert_no_error (error);
  g_assert_cmpstr (p2p_identity_get_fingerprint (loaded), ==,
      p2p_identity_get_fingerprint (id));
  g_assert_true (p2p_identity_has_private_key (loaded));

  /* What the server holds: the certificate alone verifies, never signs. */
  public_only = p2p_identity_new_from_pem (cert, &error);
  g_assert_no_error (error);
  g_assert_false (p2p_identity_has_private_key (public_only));
  sig = p2p_identity_sign (loaded, data, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_identity_verify (public_only, data, sig, &error));
  g_assert_null (p2p_identity_sign (public_only, data, &error));
  g_assert_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_NO_PRIVATE_KEY);
}

static void
test_bad_input (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (P2pIdentity) a = NULL;
  g_autoptr (P2pIdentity) b = NULL;
  g_autofree gchar *cert_a = NULL, *key_b = NULL, *mixed = NULL;

  g_assert_null (p2p_identity_new_from_file ("/nonexistent/key.pem", &error));
  g_assert_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_READ);
  g_clear_error (&error);

  g_assert_null (p2p_identity_new_from_pem ("not a pem", &error));
  g_assert_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_PARSE);
  g_clear_error (&error);

  g_assert_null (p2p_identity_new_from_pem ("-----BEGIN CERTIFICATE-----\n"
          "AAAA\n-----END CERTIFICATE-----\n", &error));
  g_assert_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_PARSE);
  g_clear_error (&error);

  /* A key file whose key is not the certificate's: refused. */
  a = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, NULL, 0, NULL);
  b = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, NULL, 0, NULL);
  cert_a = p2p_identity_get_certificate_pem (a);
  key_b = p2p_identity_get_private_key_pem (b, NULL);
  mixed = g_strconcat (key_b, cert_a, NULL);
  g_assert_null (p2p_identity_new_from_pem (mixed, &error));
  g_assert_error (error, P2P_IDENTITY_ERROR, P2P_IDENTITY_ERROR_KEY_MISMATCH);
}

static void
test_fingerprint_equal (void)
{
  g_assert_true (p2p_fingerprint_equal ("sha-256 AB:CD", "SHA-256 ab:cd"));
  g_assert_true (p2p_fingerprint_equal (" sha-256 AB:CD ", "sha-256 AB:CD"));
  g_assert_false (p2p_fingerprint_equal ("sha-256 AB:CD", "sha-256 AB:CE"));
  g_assert_false (p2p_fingerprint_equal (NULL, "sha-256 AB:CD"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/p2p/identity/generate/ecdsa-p256",
      GINT_TO_POINTER (P2P_KEY_TYPE_ECDSA_P256), test_generate);
  g_test_add_data_func ("/p2p/identity/generate/ed25519",
      GINT_TO_POINTER (P2P_KEY_TYPE_ED25519), test_generate);
  g_test_add_func ("/p2p/identity/pem-round-trip", test_pem_round_trip);
  g_test_add_func ("/p2p/identity/bad-input", test_bad_input);
  g_test_add_func ("/p2p/identity/fingerprint-equal", test_fingerprint_equal);
  return g_test_run ();
}
