/* p2p-core known-cameras file tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <p2p-core/p2p-core.h>

#define UID_A "7KQ2-M9XD-4HPA-R3WV"
#define UID_B "CAMX-7Q2M-9XDA-4H3P"

typedef struct
{
  gchar *dir;
  gchar *path;                  /* in a folder that does not exist yet */
} Fixture;

/* A well-formed SHA-256 fingerprint derived from @n. */
static gchar *
fake_fingerprint (guint n)
{
  GString *s = g_string_new ("sha-256 ");
  guint i;

  for (i = 0; i < 32; i++)
    g_string_append_printf (s, "%s%02X", i ? ":" : "", (n * 7 + i) & 0xff);
  return g_string_free (s, FALSE);
}

static gchar *
fake_uid (guint n)
{
  /* Hexadecimal digits are UID symbols too. */
  return g_strdup_printf ("T%03X-%04X-0000-0000", n & 0xfff, n >> 12);
}

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("p2p-known-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "gst-p2p", "known-cameras", NULL);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  gchar *sub = g_path_get_dirname (f->path);
  gchar *lock = g_strconcat (f->path, ".lock", NULL);

  g_unlink (f->path);
  g_unlink (lock);
  g_rmdir (sub);
  g_rmdir (f->dir);
  g_free (lock);
  g_free (sub);
  g_free (f->path);
  g_free (f->dir);
}

static void
write_file (Fixture * f, const gchar * contents, gssize len)
{
  gchar *sub = g_path_get_dirname (f->path);
  GError *error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_file_set_contents (f->path, contents, len, &error);
  g_assert_no_error (error);
  g_free (sub);
}

static P2pKnownCameras *
load (Fixture * f)
{
  P2pKnownCameras *known = p2p_known_cameras_new (f->path);
  GError *error = NULL;

  g_assert_true (p2p_known_cameras_load (known, &error));
  g_assert_no_error (error);
  return known;
}

/* Remember, look up (any letter case), replace, forget; the file and its
 * folder are created private. */
static void
test_round_trip (Fixture * f, gconstpointer data)
{
  g_autoptr (P2pKnownCameras) known = load (f);
  g_autoptr (P2pKnownCameras) other = NULL;
  g_autofree gchar *fp1 = fake_fingerprint (1), *fp2 = fake_fingerprint (2);
  g_autofree gchar *lower = g_ascii_strdown (fp1, -1), *found = NULL;
  g_autofree gchar *sub = g_path_get_dirname (f->path);
  g_autofree gchar *contents = NULL;
  GError *error = NULL;
  GStatBuf st;

  g_assert_cmpuint (p2p_known_cameras_get_size (known), ==, 0);
  g_assert_null (p2p_known_cameras_lookup (known, UID_A));
  g_assert_true (p2p_known_cameras_remember (known, "7kq2-m9xd-4hpa-r3wv",
          lower, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (sub, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  other = load (f);
  found = p2p_known_cameras_lookup (other, UID_A);
  g_assert_cmpstr (found, ==, fp1);
  g_assert_null (p2p_known_cameras_get_problems (other)[0]);
  g_clear_pointer (&found, g_free);
  /* The UID as the protocol reads it: look-alike letters are the digits
   * they stand for, as p2psrc reads its uid property. */
  g_assert_true (p2p_known_cameras_remember (other, "T001-0000-0000-0000",
          fp2, &error));
  g_assert_no_error (error);
  found = p2p_known_cameras_lookup (other, "tOOl-OOOO-0000-OOOO");
  g_assert_cmpstr (found, ==, fp2);
  g_clear_pointer (&found, g_free);
  g_assert_true (p2p_known_cameras_forget (other, "TOOI-0000-0000-0000",
          &error));
  g_assert_no_error (error);
  g_assert_null (p2p_known_cameras_lookup (other, "7KQ2-M9XD-4HPA-R3W"));
  g_assert_null (p2p_known_cameras_lookup (other, "7KQ2M9XD4HPAR3WV"));

  g_assert_true (p2p_known_cameras_remember (other, UID_A, fp2, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, fp1));
  g_assert_nonnull (strstr (contents, UID_A " "));
  g_assert_null (strstr (strstr (contents, UID_A) + 1, UID_A));

  g_assert_true (p2p_known_cameras_forget (known, UID_A, &error));
  g_assert_no_error (error);
  g_assert_null (p2p_known_cameras_lookup (known, UID_A));
  g_assert_true (p2p_known_cameras_forget (known, UID_B, &error));
  g_assert_no_error (error);
  g_assert_true (p2p_known_cameras_load (other, &error));
  g_assert_null (p2p_known_cameras_lookup (other, UID_A));
}

/* A hand-edited file with mistakes: every bad line is reported with its
 * number, the good ones work, and a rewrite keeps what it did not
 * understand. */
static void
test_corrupt (Fixture * f, gconstpointer data)
{
  g_autofree gchar *fp1 = fake_fingerprint (1), *fp2 = fake_fingerprint (2);
  g_autofree gchar *fp3 = fake_fingerprint (3), *text = NULL;
  g_autofree gchar *contents = NULL, *found = NULL;
  g_autoptr (P2pKnownCameras) known = NULL;
  const gchar *const *problems;
  GError *error = NULL;

  text = g_strdup_printf ("# my cameras\n"      /* 1 */
      "\n"                      /* 2 */
      UID_A " %s\r\n"           /* 3: CRLF */
      "garbage that is not a line\n"    /* 4 */
      UID_B "\n"                /* 5: no fingerprint */
      UID_B " sha-256 AB:CD\n"  /* 6: too short */
      UID_B " sha-256 %s\n"     /* 7: not hex */
      "\xff\xfe " UID_B "\n"    /* 8: not UTF-8 */
      UID_A "\t%s",             /* 9: a second line, no final line feed */
      fp1, "ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ:ZZ", fp2);
  write_file (f, text, -1);
  known = load (f);

  problems = p2p_known_cameras_get_problems (known);
  g_assert_cmpuint (g_strv_length ((gchar **) problems), ==, 6);
  g_assert_nonnull (strstr (problems[0], ":4: "));
  g_assert_nonnull (strstr (problems[1], ":5: "));
  g_assert_nonnull (strstr (problems[2], ":6: "));
  g_assert_nonnull (strstr (problems[3], ":7: "));
  g_assert_nonnull (strstr (problems[4], ":8: "));
  g_assert_nonnull (strstr (problems[5], ":9: "));
  g_assert_true (g_str_has_prefix (problems[0], f->path));
  g_assert_cmpuint (p2p_known_cameras_get_size (known), ==, 1);
  found = p2p_known_cameras_lookup (known, UID_A);
  g_assert_cmpstr (found, ==, fp2);
  g_assert_null (p2p_known_cameras_lookup (known, UID_B));

  g_assert_true (p2p_known_cameras_remember (known, UID_B, fp3, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "# my cameras\n\n"));
  g_assert_nonnull (strstr (contents, "garbage that is not a line\n"));
  g_assert_cmpuint (p2p_known_cameras_get_size (known), ==, 2);
  /* The duplicate is gone, the other mistakes remain, reported again. */
  g_assert_true (p2p_known_cameras_load (known, &error));
  g_assert_cmpuint (g_strv_length ((gchar **)
          p2p_known_cameras_get_problems (known)), ==, 5);
}

/* Not a text file, or too large: a clear error, nothing loaded. */
static void
test_unreadable (Fixture * f, gconstpointer data)
{
  g_autoptr (P2pKnownCameras) known = p2p_known_cameras_new (f->path);
  g_autofree gchar *big = g_malloc (P2P_KNOWN_CAMERAS_MAX_FILE + 1);
  g_autofree gchar *fp = fake_fingerprint (1);
  GError *error = NULL;

  write_file (f, "abc\0def\n", 8);
  g_assert_false (p2p_known_cameras_load (known, &error));
  g_assert_error (error, P2P_KNOWN_CAMERAS_ERROR, P2P_KNOWN_CAMERAS_ERROR_IO);
  g_clear_error (&error);

  memset (big, '#', P2P_KNOWN_CAMERAS_MAX_FILE + 1);
  write_file (f, big, P2P_KNOWN_CAMERAS_MAX_FILE + 1);
  g_assert_false (p2p_known_cameras_load (known, &error));
  g_assert_error (error, P2P_KNOWN_CAMERAS_ERROR,
      P2P_KNOWN_CAMERAS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* Not overwritten either. */
  g_assert_false (p2p_known_cameras_remember (known, UID_A, fp, &error));
  g_assert_error (error, P2P_KNOWN_CAMERAS_ERROR,
      P2P_KNOWN_CAMERAS_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_assert_false (p2p_known_cameras_remember (known, "not a uid", fp, &error));
  g_assert_error (error, P2P_KNOWN_CAMERAS_ERROR,
      P2P_KNOWN_CAMERAS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (p2p_known_cameras_remember (known, UID_A, "sha-256 AB",
          &error));
  g_assert_error (error, P2P_KNOWN_CAMERAS_ERROR,
      P2P_KNOWN_CAMERAS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

/* More cameras than the bound: the oldest are forgotten, on load and when
 * one more is remembered. */
static void
test_many (Fixture * f, gconstpointer data)
{
  GString *text = g_string_new ("");
  g_autoptr (P2pKnownCameras) known = NULL;
  g_autofree gchar *uid_new = fake_uid (0x2000), *fp = fake_fingerprint (9);
  guint n = P2P_KNOWN_CAMERAS_MAX_ENTRIES + 10, i;
  GError *error = NULL;
  gchar *uid, *found;

  for (i = 0; i < n; i++) {
    gchar *u = fake_uid (i), *p = fake_fingerprint (i);

    g_string_append_printf (text, "%s %s\n", u, p);
    g_free (u);
    g_free (p);
  }
  write_file (f, text->str, text->len);
  g_string_free (text, TRUE);
  known = load (f);
  g_assert_cmpuint (p2p_known_cameras_get_size (known), ==,
      P2P_KNOWN_CAMERAS_MAX_ENTRIES);
  g_assert_cmpuint (g_strv_length ((gchar **)
          p2p_known_cameras_get_problems (known)), ==, 1);
  uid = fake_uid (9);
  g_assert_null (p2p_known_cameras_lookup (known, uid));
  g_free (uid);

  g_assert_true (p2p_known_cameras_remember (known, uid_new, fp, &error));
  g_assert_no_error (error);
  g_assert_true (p2p_known_cameras_load (known, &error));
  g_assert_null (p2p_known_cameras_get_problems (known)[0]);
  g_assert_cmpuint (p2p_known_cameras_get_size (known), ==,
      P2P_KNOWN_CAMERAS_MAX_ENTRIES);
  uid = fake_uid (10);
  g_assert_null (p2p_known_cameras_lookup (known, uid));
  g_free (uid);
  uid = fake_uid (11);
  found = p2p_known_cameras_lookup (known, uid);
  g_assert_nonnull (found);
  g_free (found);
  g_free (uid);
  found = p2p_known_cameras_lookup (known, uid_new);
  g_assert_cmpstr (found, ==, fp);
  g_free (found);
}

#define WRITERS 3
#define PER_WRITER 40

typedef struct
{
  Fixture *f;
  guint index;
  gint *stop;
  guint failures;
} Worker;

static gpointer
writer_thread (gpointer data)
{
  Worker *w = data;
  P2pKnownCameras *known = p2p_known_cameras_new (w->f->path);
  guint i;

  for (i = 0; i < PER_WRITER; i++) {
    gchar *uid = fake_uid (w->index * PER_WRITER + i);
    gchar *fp = fake_fingerprint (i);
    GError *error = NULL;

    if (!p2p_known_cameras_remember (known, uid, fp, &error)) {
      g_printerr ("# writer %u: %s\n", w->index, error->message);
      g_error_free (error);
      w->failures++;
    }
    g_free (uid);
    g_free (fp);
  }
  g_object_unref (known);
  return NULL;
}

/* Reads while the others write: never half a file. */
static gpointer
reader_thread (gpointer data)
{
  Worker *w = data;
  P2pKnownCameras *known = p2p_known_cameras_new (w->f->path);
  guint i;

  for (i = 0; i < 100000 && !g_atomic_int_get (w->stop); i++) {
    GError *error = NULL;

    if (!p2p_known_cameras_load (known, &error)) {
      g_error_free (error);
      w->failures++;
    } else if (p2p_known_cameras_get_problems (known)[0]) {
      w->failures++;
    }
  }
  g_object_unref (known);
  return NULL;
}

/* Several writers on one file (each its own object and descriptor, as
 * several processes would be) lose none of each other's entries. */
static void
test_concurrent (Fixture * f, gconstpointer data)
{
  Worker workers[WRITERS + 1];
  GThread *threads[WRITERS + 1];
  g_autoptr (P2pKnownCameras) known = NULL;
  gint stop = 0;
  guint i;

  for (i = 0; i <= WRITERS; i++) {
    workers[i].f = f;
    workers[i].index = i;
    workers[i].stop = &stop;
    workers[i].failures = 0;
    threads[i] = g_thread_new ("known-cameras",
        i < WRITERS ? writer_thread : reader_thread, &workers[i]);
  }
  for (i = 0; i < WRITERS; i++)
    g_thread_join (threads[i]);
  g_atomic_int_set (&stop, 1);
  g_thread_join (threads[WRITERS]);

  for (i = 0; i <= WRITERS; i++)
    g_assert_cmpuint (workers[i].failures, ==, 0);
  known = load (f);
  g_assert_cmpuint (p2p_known_cameras_get_size (known), ==,
      WRITERS * PER_WRITER);
}

/* A writer stuck holding the lock delays a change, boundedly. */
static void
test_lock_busy (Fixture * f, gconstpointer data)
{
  g_autoptr (P2pKnownCameras) known = p2p_known_cameras_new (f->path);
  g_autofree gchar *lock = g_strconcat (f->path, ".lock", NULL);
  g_autofree gchar *fp = fake_fingerprint (1);
  GError *error = NULL;
  gint fd;

  write_file (f, "", 0);
  fd = g_open (lock, O_RDWR | O_CREAT, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
  g_assert_false (p2p_known_cameras_remember (known, UID_A, fp, &error));
  g_assert_error (error, P2P_KNOWN_CAMERAS_ERROR, P2P_KNOWN_CAMERAS_ERROR_BUSY);
  g_clear_error (&error);
  close (fd);
  g_assert_true (p2p_known_cameras_remember (known, UID_A, fp, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/p2p/known-cameras/round-trip", test_round_trip);
  ADD ("/p2p/known-cameras/corrupt", test_corrupt);
  ADD ("/p2p/known-cameras/unreadable", test_unreadable);
  ADD ("/p2p/known-cameras/many", test_many);
  ADD ("/p2p/known-cameras/concurrent", test_concurrent);
  ADD ("/p2p/known-cameras/lock-busy", test_lock_busy);
#undef ADD

  return g_test_run ();
}
