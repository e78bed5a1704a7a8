/* p2p-server tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2p-uid as an operator uses it: the provisioning round trip, and every
 * kind of bad input failing loudly while the registry stays byte for byte
 * what it was. */

#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <glib/gstdio.h>
#include <p2p-core/p2p-identity.h>
#include <p2p-core/p2p-password-verifier.h>

#include "harness.h"
#include "postgres.h"

typedef struct
{
  gchar *dir;
  gchar *registry;
} Fixture;

static void
setup (Fixture * f, gconstpointer data)
{
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("p2p-uid-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->registry = harness_registry_new (f->dir);
}

static void
teardown (Fixture * f, gconstpointer data)
{
  GDir *dir = g_dir_open (f->dir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (dir))) {
    g_autofree gchar *child = g_build_filename (f->dir, name, NULL);

    g_unlink (child);
  }
  g_dir_close (dir);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->registry);
}

static gchar *
path (Fixture * f, const gchar * name)
{
  return g_build_filename (f->dir, name, NULL);
}

static GBytes *
snapshot (const gchar * file)
{
  gchar *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (file, &data, &len, NULL));
  return g_bytes_new_take (data, len);
}

static void
assert_unchanged (GBytes * before, const gchar * file)
{
  g_autoptr (GBytes) after = snapshot (file);

  g_assert_true (g_bytes_equal (before, after));
}

static void
test_roundtrip (Fixture * f, gconstpointer data)
{
  g_autofree gchar *key = path (f, "cam.pem");
  g_autofree gchar *cert = path (f, "cam.crt");
  g_autofree gchar *other = path (f, "other.db");
  g_autofree gchar *out = NULL;
  g_autofree gchar *uid = NULL;
  g_autoptr (P2pIdentity) id = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *cert_pem = NULL;
  struct stat st;

  g_assert_cmpint (harness_run_uid (NULL, f->registry, "init", NULL), ==, 0);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "add", "-o", key,
          "--prefix", "CAM", "--label", "front door", NULL), ==, 0);
  uid = g_strndup (out, 19);
  g_assert_true (g_str_has_prefix (uid, "CAM"));

  /* The key file is private and holds the identity the registry names. */
  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  id = p2p_identity_new_from_file (key, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_identity_has_private_key (id));
  g_assert_cmpstr (p2p_identity_get_common_name (id), ==, uid);
  g_assert_nonnull (strstr (out, p2p_identity_get_fingerprint (id)));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "list", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, uid));
  g_assert_nonnull (strstr (out, "active"));
  g_assert_nonnull (strstr (out, "front door"));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "show", uid, NULL), ==,
      0);
  g_assert_nonnull (strstr (out, p2p_identity_get_fingerprint (id)));
  g_assert_nonnull (strstr (out, "BEGIN CERTIFICATE"));
  /* Only public data is stored. */
  g_assert_null (strstr (out, "PRIVATE KEY"));

  /* Import the certificate alone into another registry. */
  cert_pem = p2p_identity_get_certificate_pem (id);
  g_assert_true (g_file_set_contents (cert, cert_pem, -1, NULL));
  g_assert_cmpint (harness_run_uid (NULL, other, "init", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, other, "import", "-c", cert, NULL),
      ==, 0);
  g_assert_true (g_str_has_prefix (out, uid));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "revoke", uid, NULL),
      ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "show", uid, NULL), ==,
      0);
  g_assert_nonnull (strstr (out, "revoked"));
}

/* Replaces symbol @pos of @uid with the next symbol of the alphabet. */
static gchar *
typo (const gchar * uid, guint pos)
{
  static const gchar alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  gchar *t = g_strdup (uid);

  t[pos] = alphabet[(strchr (alphabet, t[pos]) - alphabet + 1) % 32];
  return t;
}

static void
test_bad_input (Fixture * f, gconstpointer data)
{
  g_autofree gchar *key = path (f, "cam.pem");
  g_autofree gchar *key2 = path (f, "cam2.pem");
  g_autofree gchar *cert = path (f, "cam.crt");
  g_autofree gchar *missing = path (f, "missing.db");
  g_autofree gchar *out = NULL;
  g_autofree gchar *uid = NULL;
  g_autofree gchar *cert_pem = NULL;
  g_autoptr (GBytes) before = NULL;
  g_autoptr (P2pIdentity) id = NULL;
  guint i;

  /* Missing registry: refused, nothing created. */
  g_assert_cmpint (harness_run_uid (&out, missing, "add", "-o", key, NULL),
      ==, 1);
  g_assert_nonnull (strstr (out, "does not exist"));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (key, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, missing, "list", NULL), ==, 1);

  g_assert_cmpint (harness_run_uid (NULL, f->registry, "init", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "add", "-o", key,
          NULL), ==, 0);
  uid = g_strndup (out, 19);
  before = snapshot (f->registry);

  /* Every single-symbol typo and every neighbour swap is caught. */
  for (i = 0; i < 19; i++) {
    g_autofree gchar *bad = NULL;

    if (i % 5 == 4)
      continue;
    bad = typo (uid, i);
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (harness_run_uid (&out, f->registry, "show", bad, NULL),
        ==, 1);
    g_assert_nonnull (strstr (out, "Bad UID"));
    if (i % 5 < 3 && uid[i] != uid[i + 1]) {
      g_free (bad);
      bad = g_strdup (uid);
      bad[i] = uid[i + 1];
      bad[i + 1] = uid[i];
      g_assert_cmpint (harness_run_uid (NULL, f->registry, "revoke", bad,
              NULL), ==, 1);
    }
  }
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "revoke", "nonsense",
          NULL), ==, 1);
  g_assert_nonnull (strstr (out, "Bad UID"));

  /* Existing UID. */
  id = p2p_identity_new_from_file (key, NULL);
  cert_pem = p2p_identity_get_certificate_pem (id);
  g_assert_true (g_file_set_contents (cert, cert_pem, -1, NULL));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "import", "-c", cert,
          NULL), ==, 1);
  g_assert_nonnull (strstr (out, "already registered"));

  /* Unwritable output, and an output that exists already. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "add", "-o",
          "/nonexistent-dir/cam.pem", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "Cannot create key file"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "add", "-o", key,
          NULL), ==, 1);
  g_assert_nonnull (strstr (out, "refusing to overwrite"));

  /* Other mistakes. */
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "add", NULL), ==, 1);
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "add", "-o", key2,
          "--prefix", "TOOLONG", NULL), ==, 1);
  g_assert_false (g_file_test (key2, G_FILE_TEST_EXISTS));
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "add", "-o", key2,
          "--key-type", "rsa", NULL), ==, 1);
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "import", "-c",
          key2, NULL), ==, 1);
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "frobnicate", NULL),
      ==, 1);
  g_assert_cmpint (harness_run_uid (NULL, f->registry, NULL), ==, 1);

  assert_unchanged (before, f->registry);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "list", NULL), ==, 0);
  /* Still exactly one device. */
  g_assert_true (g_str_has_prefix (out, uid));
  g_assert_cmpuint (strlen (out), ==, strcspn (out, "\n") + 1);
}

/* Runs `p2p-uid passwd` with @input on its standard input. */
static gint
run_passwd (const gchar * input, const gchar * output, const gchar * iter)
{
  g_autoptr (GSubprocessLauncher) launcher = harness_launcher_new
      (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;

  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("P2P_UID"),
      "passwd", "-o", output, "--iterations", iter, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, input, NULL, NULL, NULL,
          &error));
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (p);
}

/* A registry made before schema versions (SQLite user_version 0, no
 * revocation index): refused by name with the command that fixes it, by
 * p2p-uid as by the server, until `p2p-uid migrate`; migrating twice is
 * harmless. */
static void
test_migrate (Fixture * f, gconstpointer data)
{
  g_autofree gchar *out = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (f->registry, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE devices ("
          " uid TEXT PRIMARY KEY NOT NULL, fingerprint TEXT NOT NULL,"
          " certificate TEXT NOT NULL, label TEXT, created INTEGER NOT NULL,"
          " revoked INTEGER NOT NULL DEFAULT 0)", NULL, NULL, NULL), ==,
      SQLITE_OK);
  sqlite3_close (db);

  g_assert_cmpint (harness_run_uid (&out, f->registry, "list", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "schema is version 1, this build needs 2"));
  g_assert_nonnull (strstr (out, "p2p-uid migrate"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "migrate", NULL), ==, 0);
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "migrate", NULL), ==, 0);
  g_assert_cmpint (harness_run_uid (&out, f->registry, "list", NULL), ==, 0);
}

static void
test_passwd (Fixture * f, gconstpointer data)
{
  g_autofree gchar *file = path (f, "viewer.verifier");
  g_autofree gchar *other = path (f, "other.verifier");
  g_autofree gchar *contents = NULL;
  g_autoptr (P2pPasswordVerifier) v = NULL;
  g_autoptr (GBytes) before = NULL;
  g_autoptr (GError) error = NULL;
  struct stat st;

  g_assert_cmpint (run_passwd ("correct horse\n", file, "1000"), ==, 0);
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  /* The verifier, never the password. */
  g_assert_true (g_str_has_prefix (contents, "spake2plus-p256$1000$"));
  g_assert_null (strstr (contents, "correct horse"));
  v = p2p_password_verifier_parse (contents, &error);
  g_assert_no_error (error);

  /* Never overwritten; bad input writes nothing. */
  before = snapshot (file);
  g_assert_cmpint (run_passwd ("other\n", file, "1000"), ==, 1);
  assert_unchanged (before, file);
  g_assert_cmpint (run_passwd ("", other, "1000"), ==, 1);
  g_assert_cmpint (run_passwd ("\n", other, "1000"), ==, 1);
  g_assert_cmpint (run_passwd ("x\n", other, "10"), ==, 1);
  g_assert_false (g_file_test (other, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  gint status;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/server/uid/roundtrip", Fixture, NULL, setup, test_roundtrip,
      teardown);
  /* These read or write the registry file: SQLite's only. */
  if (g_strcmp0 (harness_registry_backend (), "sqlite") == 0) {
    g_test_add ("/server/uid/bad-input", Fixture, NULL, setup,
        test_bad_input, teardown);
    g_test_add ("/server/uid/migrate", Fixture, NULL, setup, test_migrate,
        teardown);
  }
  g_test_add ("/server/uid/passwd", Fixture, NULL, setup, test_passwd,
      teardown);
  status = g_test_run ();
  harness_registry_cleanup ();
  return status;
}
