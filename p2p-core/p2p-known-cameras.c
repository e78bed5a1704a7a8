/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-known-cameras
 * @title: P2pKnownCameras
 * @short_description: the certificate fingerprints a viewer trusts, per UID
 *
 * Trust on first use for viewers: after the first session in which a camera
 * proved the viewer's password, the viewer remembers the fingerprint of the
 * camera's certificate under its UID, and from then on requires exactly
 * that certificate, whatever the signalling server says. A server that
 * later vouches for another certificate (a compromised server pointing the
 * viewer at its own peer, or a camera that was really replaced) is refused
 * until the user accepts the change.
 *
 * The file is text, one camera per line: the UID, white space, and the
 * fingerprint in SDP form (`sha-256 AB:CD:…`, RFC 8122):
 *
 * |[
 * # gst-p2p known cameras
 * 7KQ2-M9XD-4HPA-R3MJ sha-256 3F:9A:…:C2
 * ]|
 *
 * Lines starting with `#` and blank lines are kept as they are. A
 * malformed line is reported by p2p_known_cameras_get_problems() and
 * otherwise ignored (kept in the file, up to a bound); it is never fatal.
 * To accept a replaced camera, delete its line (or call
 * p2p_known_cameras_forget()).
 *
 * Every change re-reads the file under an exclusive lock (`PATH.lock`,
 * flock(2)) and replaces it atomically (a new file renamed over the old
 * one), so several viewers, in one process or several, may share a file
 * without losing each other's entries, and a reader never sees half a
 * file. The file holds at most #P2P_KNOWN_CAMERAS_MAX_ENTRIES cameras;
 * remembering one more forgets the one remembered longest ago.
 *
 * A #P2pKnownCameras is not thread-safe: use one per thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-known-cameras.h"
#include "p2p-protocol-uid.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (p2p_known_cameras_error, p2p_known_cameras_error);

#define MAX_HASH_NAME 16
#define MIN_DIGEST 16
#define MAX_DIGEST 64
/* Comments and malformed lines kept across a rewrite, in bytes: with the
 * entries' bound this keeps a rewritten file well under the read limit. */
#define MAX_KEPT_TEXT (64 * 1024)
/* How long a change waits for another writer's lock. Writers hold it for
 * one read and one write of a small file, but polling is not fair: other
 * writers changing many entries in a row can take the lock again between
 * our tries, each time (2 of 3 writers under valgrind on a busy machine
 * gave up after 2 s). The bound is there for a writer that hangs holding
 * the lock; a short retry keeps our turn likely. */
#define LOCK_WAIT_US (10 * G_USEC_PER_SEC)
#define LOCK_RETRY_US (1 * 1000)

#define HEADER \
  "# gst-p2p known cameras: UID and certificate fingerprint, one per line.\n" \
  "# A camera's certificate is trusted after its first authenticated\n" \
  "# session; delete its line to accept a replaced camera.\n"

/* One line of the file: a camera (uid and fingerprint set) or any other
 * text kept as it was (text set). */
typedef struct
{
  gchar *uid;
  gchar *fingerprint;
  gchar *text;
} Line;

struct _P2pKnownCameras
{
  GObject parent;

  gchar *path;
  GPtrArray *lines;             /* Line, in file order */
  GHashTable *by_uid;           /* uid → Line, borrowed from lines */
  GPtrArray *problems;          /* gchar *, NULL-terminated */
};

G_DEFINE_TYPE (P2pKnownCameras, p2p_known_cameras, G_TYPE_OBJECT);

static void
line_free (Line * line)
{
  g_free (line->uid);
  g_free (line->fingerprint);
  g_free (line->text);
  g_free (line);
}

static void
p2p_known_cameras_init (P2pKnownCameras * self)
{
  self->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) line_free);
  self->by_uid = g_hash_table_new (g_str_hash, g_str_equal);
  self->problems = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->problems, NULL);
}

static void
p2p_known_cameras_finalize (GObject * object)
{
  P2pKnownCameras *self = P2P_KNOWN_CAMERAS (object);

  g_hash_table_unref (self->by_uid);
  g_ptr_array_unref (self->lines);
  g_ptr_array_unref (self->problems);
  g_free (self->path);
  G_OBJECT_CLASS (p2p_known_cameras_parent_class)->finalize (object);
}

static void
p2p_known_cameras_class_init (P2pKnownCamerasClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = p2p_known_cameras_finalize;
}

/* The UID's form as the protocol reads it (p2p_uid_normalize_form()):
 * upper case, look-alike letters replaced, the same key p2psrc looks up;
 * the check symbols are the registry's business. */
static gchar *
normalise_uid (const gchar * uid, gsize len)
{
  g_autofree gchar *text = NULL;

  if (len != P2P_UID_LENGTH)
    return NULL;
  text = g_strndup (uid, len);
  return p2p_uid_normalize_form (text, NULL);
}

/* `hash-name HH:HH:…` with a lower-case name and upper-case digits, the
 * form p2p_identity_get_fingerprint() gives. */
static gchar *
normalise_fingerprint (const gchar * fingerprint)
{
  g_autofree gchar *copy = g_strstrip (g_strdup (fingerprint));
  g_autofree gchar *name = NULL, *hex = NULL;
  const gchar *space = strchr (copy, ' ');
  const gchar *p;
  gsize name_len, digits = 0;

  if (space == NULL)
    return NULL;
  name_len = space - copy;
  if (name_len == 0 || name_len > MAX_HASH_NAME)
    return NULL;
  for (p = copy; p < space; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-')
      return NULL;
  }
  for (p = space + 1;; p += 3) {
    if (!g_ascii_isxdigit (p[0]) || !g_ascii_isxdigit (p[1]))
      return NULL;
    digits++;
    if (p[2] == '\0')
      break;
    if (p[2] != ':')
      return NULL;
  }
  if (digits < MIN_DIGEST || digits > MAX_DIGEST)
    return NULL;
  name = g_ascii_strdown (copy, name_len);
  hex = g_ascii_strup (space + 1, -1);
  return g_strconcat (name, " ", hex, NULL);
}

static void
add_problem (P2pKnownCameras * self, guint line_no, const gchar * what)
{
  g_ptr_array_insert (self->problems, self->problems->len - 1,
      g_strdup_printf ("%s:%u: %s", self->path, line_no, what));
}

static void
clear (P2pKnownCameras * self)
{
  g_hash_table_remove_all (self->by_uid);
  g_ptr_array_set_size (self->lines, 0);
  g_ptr_array_set_size (self->problems, 0);
  g_ptr_array_add (self->problems, NULL);
}

static void
add_text (P2pKnownCameras * self, const gchar * text)
{
  Line *line = g_new0 (Line, 1);

  line->text = g_strdup (text);
  g_ptr_array_add (self->lines, line);
}

static void
remove_entry (P2pKnownCameras * self, Line * line)
{
  g_hash_table_remove (self->by_uid, line->uid);
  g_ptr_array_remove (self->lines, line);
}

static void
add_entry (P2pKnownCameras * self, gchar * uid, gchar * fingerprint)
{
  Line *line = g_new0 (Line, 1);

  line->uid = uid;
  line->fingerprint = fingerprint;
  g_ptr_array_add (self->lines, line);
  g_hash_table_insert (self->by_uid, line->uid, line);
}

/* Forgets the cameras remembered longest ago until the bound holds. */
static void
trim (P2pKnownCameras * self)
{
  guint i = 0;

  while (g_hash_table_size (self->by_uid) > P2P_KNOWN_CAMERAS_MAX_ENTRIES) {
    Line *line = g_ptr_array_index (self->lines, i);

    if (line->uid)
      remove_entry (self, line);
    else
      i++;
  }
}

static void
parse (P2pKnownCameras * self, const gchar * contents)
{
  g_auto (GStrv) raw = g_strsplit (contents, "\n", -1);
  gsize kept_text = 0;
  guint i;

  for (i = 0; raw[i]; i++) {
    gchar *text = raw[i];
    const gchar *problem = NULL;
    gchar *uid = NULL, *fingerprint = NULL;
    gsize uid_len;

    /* The last piece is what follows the last line feed. */
    if (raw[i + 1] == NULL && *text == '\0')
      break;
    g_strchomp (text);
    if (*text == '\0' || *text == '#') {
      /* Kept as it is. */
    } else if (!g_utf8_validate (text, -1, NULL)) {
      problem = "not UTF-8 text, ignored";
    } else {
      uid_len = strcspn (text, " \t");
      uid = normalise_uid (text, uid_len);
      fingerprint = uid ? normalise_fingerprint (text + uid_len) : NULL;
      if (uid == NULL)
        problem = "not a camera UID at the start of the line, ignored";
      else if (fingerprint == NULL)
        problem = "no fingerprint of the form 'sha-256 AB:CD:…' after the "
            "UID, ignored";
    }

    if (uid && fingerprint) {
      Line *old = g_hash_table_lookup (self->by_uid, uid);

      if (old) {
        add_problem (self, i + 1, "a second line for this UID: it replaces "
            "the first");
        remove_entry (self, old);
      }
      add_entry (self, uid, fingerprint);
      continue;
    }
    g_free (uid);
    g_free (fingerprint);
    if (problem)
      add_problem (self, i + 1, problem);
    if (kept_text + strlen (text) > MAX_KEPT_TEXT) {
      if (problem)
        add_problem (self, i + 1, "too much other text: dropped at the next "
            "change");
      continue;
    }
    kept_text += strlen (text) + 1;
    add_text (self, text);
  }
  if (g_hash_table_size (self->by_uid) > P2P_KNOWN_CAMERAS_MAX_ENTRIES) {
    add_problem (self, i, "more cameras than "
        G_STRINGIFY (P2P_KNOWN_CAMERAS_MAX_ENTRIES) ": the first ones are "
        "forgotten");
    trim (self);
  }
}

/**
 * p2p_known_cameras_get_default_path:
 *
 * The per-user file viewers use unless told otherwise:
 * `$XDG_CONFIG_HOME/gst-p2p/known-cameras` (`~/.config/gst-p2p/known-cameras`).
 *
 * Returns: (transfer full): the path
 */
gchar *
p2p_known_cameras_get_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "gst-p2p",
      "known-cameras", NULL);
}

/**
 * p2p_known_cameras_new:
 * @path: (type filename): the file; it need not exist yet
 *
 * Creates an empty set bound to @path; call p2p_known_cameras_load() to
 * read it.
 *
 * Returns: (transfer full): a new #P2pKnownCameras
 */
P2pKnownCameras *
p2p_known_cameras_new (const gchar * path)
{
  P2pKnownCameras *self;

  g_return_val_if_fail (path != NULL && *path != '\0', NULL);

  self = g_object_new (P2P_TYPE_KNOWN_CAMERAS, NULL);
  self->path = g_strdup (path);
  return self;
}

/**
 * p2p_known_cameras_get_path:
 * @self: a #P2pKnownCameras
 *
 * Returns: (type filename): the file's path
 */
const gchar *
p2p_known_cameras_get_path (P2pKnownCameras * self)
{
  g_return_val_if_fail (P2P_IS_KNOWN_CAMERAS (self), NULL);

  return self->path;
}

/**
 * p2p_known_cameras_load:
 * @self: a #P2pKnownCameras
 * @error: return location for a #GError
 *
 * (Re-)reads the file. A missing file is an empty one. Malformed lines do
 * not fail the load: see p2p_known_cameras_get_problems().
 *
 * Returns: %TRUE on success; %FALSE when the file cannot be read or is
 *     larger than #P2P_KNOWN_CAMERAS_MAX_FILE (@self is then empty)
 */
gboolean
p2p_known_cameras_load (P2pKnownCameras * self, GError ** error)
{
  g_autofree gchar *contents = NULL;
  g_autoptr (GError) err = NULL;
  GStatBuf st;
  gsize len;

  g_return_val_if_fail (P2P_IS_KNOWN_CAMERAS (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  clear (self);
  if (g_stat (self->path, &st) != 0) {
    gint errsv = errno;

    if (errsv == ENOENT)
      return TRUE;
    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR, P2P_KNOWN_CAMERAS_ERROR_IO,
        "Cannot read '%s': %s", self->path, g_strerror (errsv));
    return FALSE;
  }
  if (st.st_size > P2P_KNOWN_CAMERAS_MAX_FILE) {
    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR,
        P2P_KNOWN_CAMERAS_ERROR_TOO_LARGE, "'%s' has %" G_GINT64_FORMAT
        " bytes, more than a known-cameras file may (%d)", self->path,
        (gint64) st.st_size, P2P_KNOWN_CAMERAS_MAX_FILE);
    return FALSE;
  }
  if (!g_file_get_contents (self->path, &contents, &len, &err)) {
    /* Removed between the two calls: as if it had never been there. */
    if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return TRUE;
    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR, P2P_KNOWN_CAMERAS_ERROR_IO,
        "Cannot read '%s': %s", self->path, err->message);
    return FALSE;
  }
  /* It may have grown since the size check. */
  if (len > P2P_KNOWN_CAMERAS_MAX_FILE || memchr (contents, '\0', len)) {
    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR,
        len > P2P_KNOWN_CAMERAS_MAX_FILE ? P2P_KNOWN_CAMERAS_ERROR_TOO_LARGE :
        P2P_KNOWN_CAMERAS_ERROR_IO, "'%s' is not a known-cameras file "
        "(too large, or binary)", self->path);
    return FALSE;
  }
  parse (self, contents);
  return TRUE;
}

/**
 * p2p_known_cameras_get_problems:
 * @self: a #P2pKnownCameras
 *
 * What the last load found wrong, one message per malformed line
 * (`PATH:LINE: what`), for the user to fix.
 *
 * Returns: (transfer none) (array zero-terminated=1): the messages, empty
 *     when there were none
 */
const gchar *const *
p2p_known_cameras_get_problems (P2pKnownCameras * self)
{
  g_return_val_if_fail (P2P_IS_KNOWN_CAMERAS (self), NULL);

  return (const gchar * const *) self->problems->pdata;
}

/**
 * p2p_known_cameras_get_size:
 * @self: a #P2pKnownCameras
 *
 * Returns: the number of cameras known
 */
guint
p2p_known_cameras_get_size (P2pKnownCameras * self)
{
  g_return_val_if_fail (P2P_IS_KNOWN_CAMERAS (self), 0);

  return g_hash_table_size (self->by_uid);
}

/**
 * p2p_known_cameras_lookup:
 * @self: a #P2pKnownCameras
 * @uid: a camera UID, as typed (any letter case, O, I and L for 0, 1, 1)
 *
 * Looks @uid up in what was last loaded or written.
 *
 * Returns: (transfer full) (nullable): the fingerprint remembered for
 *     @uid, %NULL when it is not known
 */
gchar *
p2p_known_cameras_lookup (P2pKnownCameras * self, const gchar * uid)
{
  g_autofree gchar *key = NULL;
  Line *line;

  g_return_val_if_fail (P2P_IS_KNOWN_CAMERAS (self), NULL);
  g_return_val_if_fail (uid != NULL, NULL);

  key = normalise_uid (uid, strlen (uid));
  line = key ? g_hash_table_lookup (self->by_uid, key) : NULL;
  return line ? g_strdup (line->fingerprint) : NULL;
}

static gint
lock_file (P2pKnownCameras * self, GError ** error)
{
  g_autofree gchar *lock_path = g_strconcat (self->path, ".lock", NULL);
  gint64 deadline = g_get_monotonic_time () + LOCK_WAIT_US;
  gint fd;

  fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    gint errsv = errno;

    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR, P2P_KNOWN_CAMERAS_ERROR_IO,
        "Cannot open '%s': %s", lock_path, g_strerror (errsv));
    return -1;
  }
  /* Bounded: a writer stopped while holding the lock must not hang the
   * caller's thread. */
  while (flock (fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      gint errsv = errno;

      g_set_error (error, P2P_KNOWN_CAMERAS_ERROR,
          P2P_KNOWN_CAMERAS_ERROR_IO, "Cannot lock '%s': %s", lock_path,
          g_strerror (errsv));
      close (fd);
      return -1;
    }
    if (g_get_monotonic_time () > deadline) {
      g_set_error (error, P2P_KNOWN_CAMERAS_ERROR,
          P2P_KNOWN_CAMERAS_ERROR_BUSY, "'%s' stayed locked by another "
          "writer", lock_path);
      close (fd);
      return -1;
    }
    g_usleep (LOCK_RETRY_US);
  }
  return fd;
}

static gboolean
write_file (P2pKnownCameras * self, gboolean fresh, GError ** error)
{
  g_autoptr (GString) out = g_string_new (fresh ? HEADER : "");
  g_autoptr (GError) err = NULL;
  guint i;

  for (i = 0; i < self->lines->len; i++) {
    Line *line = g_ptr_array_index (self->lines, i);

    if (line->uid)
      g_string_append_printf (out, "%s %s\n", line->uid, line->fingerprint);
    else
      g_string_append_printf (out, "%s\n", line->text);
  }
  if (!g_file_set_contents_full (self->path, out->str, out->len,
          G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR, P2P_KNOWN_CAMERAS_ERROR_IO,
        "Cannot write '%s': %s", self->path, err->message);
    return FALSE;
  }
  return TRUE;
}

/* Read, change, write, under the lock, so that concurrent writers each
 * see the others' entries. @fingerprint NULL forgets @uid. */
static gboolean
change (P2pKnownCameras * self, const gchar * uid, const gchar * fingerprint,
    GError ** error)
{
  g_autofree gchar *key = NULL, *fp = NULL, *dir = NULL;
  gboolean ok, fresh;
  Line *old;
  gint fd;

  key = normalise_uid (uid, strlen (uid));
  if (key == NULL) {
    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR,
        P2P_KNOWN_CAMERAS_ERROR_INVALID_ARGUMENT, "'%s' is not a camera UID",
        uid);
    return FALSE;
  }
  if (fingerprint && !(fp = normalise_fingerprint (fingerprint))) {
    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR,
        P2P_KNOWN_CAMERAS_ERROR_INVALID_ARGUMENT,
        "'%s' is not a certificate fingerprint", fingerprint);
    return FALSE;
  }

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    gint errsv = errno;

    g_set_error (error, P2P_KNOWN_CAMERAS_ERROR, P2P_KNOWN_CAMERAS_ERROR_IO,
        "Cannot create '%s': %s", dir, g_strerror (errsv));
    return FALSE;
  }
  fd = lock_file (self, error);
  if (fd < 0)
    return FALSE;

  ok = p2p_known_cameras_load (self, error);
  if (ok) {
    fresh = self->lines->len == 0;
    old = g_hash_table_lookup (self->by_uid, key);
    if (old)
      remove_entry (self, old);
    if (fp) {
      /* Appended: the most recently remembered camera is kept longest. */
      add_entry (self, g_steal_pointer (&key), g_steal_pointer (&fp));
      trim (self);
    }
    ok = (old == NULL && fingerprint == NULL) || write_file (self, fresh,
        error);
  }
  /* Closing the descriptor releases the lock. */
  close (fd);
  return ok;
}

/**
 * p2p_known_cameras_remember:
 * @self: a #P2pKnownCameras
 * @uid: a camera UID
 * @fingerprint: its certificate fingerprint, `sha-256 AB:CD:…`
 *
 * Stores @fingerprint for @uid (replacing what was there) and rewrites the
 * file, creating it and its folder (mode 0700) when missing. Call it only
 * once the camera proved the viewer's password over a DTLS session with
 * that certificate.
 *
 * Returns: %TRUE when the file was written
 */
gboolean
p2p_known_cameras_remember (P2pKnownCameras * self, const gchar * uid,
    const gchar * fingerprint, GError ** error)
{
  g_return_val_if_fail (P2P_IS_KNOWN_CAMERAS (self), FALSE);
  g_return_val_if_fail (uid != NULL, FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return change (self, uid, fingerprint, error);
}

/**
 * p2p_known_cameras_forget:
 * @self: a #P2pKnownCameras
 * @uid: a camera UID
 *
 * Removes @uid from the file, so that its next certificate is trusted on
 * first use again (a camera that was replaced). Forgetting a UID that is
 * not known succeeds and leaves the file alone.
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_known_cameras_forget (P2pKnownCameras * self, const gchar * uid,
    GError ** error)
{
  g_return_val_if_fail (P2P_IS_KNOWN_CAMERAS (self), FALSE);
  g_return_val_if_fail (uid != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return change (self, uid, NULL, error);
}
