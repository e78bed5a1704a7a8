/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2p-uid: the provisioning tool. It is the only writer of the registry and
 * the only place a device private key ever exists outside the device: it is
 * written once, to the key file, and not kept. Every command checks all its
 * inputs before it changes anything, so a failed command leaves the
 * registry as it was. */

#include "registry.h"
#include "p2p-protocol-uid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <p2p-core/p2p-identity.h>
#include <p2p-core/p2p-password-verifier.h>
#include <p2p-core/p2p-viewer-auth.h>

#define DEFAULT_REGISTRY "/var/lib/p2p/registry.db"

static gchar *opt_registry;
static gchar *opt_prefix;
static gchar *opt_key_type;
static gchar *opt_output;
static gchar *opt_certificate;
static gchar *opt_uid;
static gchar *opt_label;
static gint opt_validity_days = 3650;
static gint opt_iterations = P2P_PASSWORD_VERIFIER_ITERATIONS;

static GOptionEntry entries[] = {
  {"registry", 'r', 0, G_OPTION_ARG_FILENAME, &opt_registry,
      "Registry: a SQLite file or a postgresql:// connection URI (default: "
        "$P2P_REGISTRY or " DEFAULT_REGISTRY ")", "FILE|URI"},
  {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
      "add: where to write the device key file (private key + certificate,"
        " mode 0600; never overwritten); passwd: where to write the"
        " verifier file (mode 0600; never overwritten)", "FILE"},
  {"prefix", 0, 0, G_OPTION_ARG_STRING, &opt_prefix,
      "add: first 1-4 UID symbols, e.g. a product line", "SYMBOLS"},
  {"key-type", 0, 0, G_OPTION_ARG_STRING, &opt_key_type,
      "add: ecdsa (P-256, default) or ed25519", "TYPE"},
  {"validity-days", 0, 0, G_OPTION_ARG_INT, &opt_validity_days,
      "add: certificate validity in days (default 3650)", "DAYS"},
  {"label", 0, 0, G_OPTION_ARG_STRING, &opt_label,
      "add, import: free text stored with the device", "TEXT"},
  {"certificate", 'c', 0, G_OPTION_ARG_FILENAME, &opt_certificate,
      "import: the device certificate (PEM)", "FILE"},
  {"uid", 'u', 0, G_OPTION_ARG_STRING, &opt_uid,
      "import: the UID (default: the certificate's common name)", "UID"},
  {"iterations", 0, 0, G_OPTION_ARG_INT, &opt_iterations,
        "passwd: PBKDF2 iterations (default 100000; 1000 to 2000000)",
      "N"},
  {NULL}
};

static const gchar summary[] =
    "Commands:\n"
    "  init              create an empty registry (PostgreSQL: the tables,\n"
    "                    in a database that exists)\n"
    "  migrate           bring an older registry's schema up to date\n"
    "  add -o FILE       create a UID and device key, register it, write FILE\n"
    "  import -c FILE    register an existing device certificate\n"
    "  list              list registered devices\n"
    "  show UID          show one device\n"
    "  revoke UID        revoke a device; servers disconnect it within a\n"
    "                    second\n"
    "  passwd -o FILE    read a viewer password (prompt, or one line of\n"
    "                    standard input) and write its verifier to FILE,\n"
    "                    for p2psink's password-file\n"
    "\n" "Exit status: 0 on success, 1 on any error (nothing is changed).";

static P2pRegistry *
open_registry (gboolean create, GError ** error)
{
  const gchar *path = opt_registry;

  if (!path)
    path = g_getenv ("P2P_REGISTRY");
  if (!path)
    path = DEFAULT_REGISTRY;
  if (!create && !p2p_registry_is_postgres (path)
      && !g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_OPEN,
        "Registry %s does not exist (create it with 'p2p-uid init')", path);
    return NULL;
  }
  return p2p_registry_open (path, create, FALSE, error);
}

/* Opens the registry for a command that reads or writes devices: its
 * schema must be the one this build knows. */
static P2pRegistry *
open_current_registry (GError ** error)
{
  P2pRegistry *registry = open_registry (FALSE, error);

  if (registry && !p2p_registry_check_version (registry, error))
    g_clear_pointer (&registry, p2p_registry_close);
  return registry;
}

static gchar *
normalize_arg (const gchar * text, GError ** error)
{
  GError *err = NULL;
  gchar *uid = p2p_uid_normalize (text, &err);

  if (!uid) {
    g_set_error (error, err->domain, err->code, "Bad UID '%s': %s", text,
        err->message);
    g_error_free (err);
  }
  return uid;
}

/* Creates the file only if it does not exist yet, already with mode 0600, so
 * the private key is never readable by others, not even for a moment. */
static gboolean
write_private_file (const gchar * path, const gchar * what,
    const gchar * text, GError ** error)
{
  gsize len = strlen (text);
  gint fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  if (fd < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "Cannot create %s %s: %s", what, path, g_strerror (errno));
    return FALSE;
  }
  if (write (fd, text, len) != (gssize) len || fsync (fd) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "Cannot write %s %s: %s", what, path, g_strerror (errno));
    close (fd);
    g_unlink (path);
    return FALSE;
  }
  close (fd);
  return TRUE;
}

static gboolean
cmd_add (GError ** error)
{
  g_autoptr (P2pRegistry) registry = NULL;
  g_autoptr (P2pIdentity) identity = NULL;
  g_autofree gchar *uid = NULL;
  g_autofree gchar *key_pem = NULL;
  g_autofree gchar *cert_pem = NULL;
  g_autofree gchar *file_text = NULL;
  P2pKeyType key_type = P2P_KEY_TYPE_ECDSA_P256;
  P2pDevice device = { 0 };
  guint attempt;

  if (!opt_output) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "add needs --output FILE for the device key file");
    return FALSE;
  }
  if (opt_key_type && g_strcmp0 (opt_key_type, "ed25519") == 0)
    key_type = P2P_KEY_TYPE_ED25519;
  else if (opt_key_type && g_strcmp0 (opt_key_type, "ecdsa") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "Unknown key type '%s' (ecdsa or ed25519)", opt_key_type);
    return FALSE;
  }
  if (opt_validity_days <= 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--validity-days must be positive");
    return FALSE;
  }
  if (g_file_test (opt_output, G_FILE_TEST_EXISTS)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
        "Key file %s exists; refusing to overwrite it", opt_output);
    return FALSE;
  }
  registry = open_current_registry (error);
  if (!registry)
    return FALSE;

  /* 70 random bits make a collision unlikely, but never impossible. */
  for (attempt = 0; attempt < 8; attempt++) {
    P2pDevice *existing;

    g_clear_pointer (&uid, g_free);
    uid = p2p_uid_generate (opt_prefix, error);
    if (!uid)
      return FALSE;
    existing = p2p_registry_lookup (registry, uid, NULL);
    if (!existing)
      break;
    p2p_device_free (existing);
  }

  identity = p2p_identity_generate (key_type, uid, opt_validity_days, error);
  if (!identity)
    return FALSE;
  key_pem = p2p_identity_get_private_key_pem (identity, error);
  if (!key_pem)
    return FALSE;
  cert_pem = p2p_identity_get_certificate_pem (identity);
  file_text = g_strconcat (key_pem, cert_pem, NULL);
  if (!write_private_file (opt_output, "key file", file_text, error))
    return FALSE;

  device.uid = uid;
  device.fingerprint = (gchar *) p2p_identity_get_fingerprint (identity);
  device.certificate = cert_pem;
  device.label = opt_label;
  device.created = g_get_real_time () / G_USEC_PER_SEC;
  if (!p2p_registry_add (registry, &device, error)) {
    /* A key file without a registry entry would be a trap. */
    g_unlink (opt_output);
    return FALSE;
  }
  g_print ("%s %s\n", uid, device.fingerprint);
  return TRUE;
}

static gboolean
cmd_import (GError ** error)
{
  g_autoptr (P2pRegistry) registry = NULL;
  g_autoptr (P2pIdentity) identity = NULL;
  g_autofree gchar *pem = NULL;
  g_autofree gchar *uid = NULL;
  g_autofree gchar *cert_pem = NULL;
  P2pDevice device = { 0 };
  const gchar *name;

  if (!opt_certificate) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "import needs --certificate FILE");
    return FALSE;
  }
  if (!g_file_get_contents (opt_certificate, &pem, NULL, error))
    return FALSE;
  identity = p2p_identity_new_from_pem (pem, error);
  if (!identity)
    return FALSE;
  name = opt_uid ? opt_uid : p2p_identity_get_common_name (identity);
  if (!name) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "The certificate has no common name; give the UID with --uid");
    return FALSE;
  }
  uid = normalize_arg (name, error);
  if (!uid)
    return FALSE;
  registry = open_current_registry (error);
  if (!registry)
    return FALSE;

  /* Only the public certificate is stored, even if the file held a key. */
  cert_pem = p2p_identity_get_certificate_pem (identity);
  device.uid = uid;
  device.fingerprint = (gchar *) p2p_identity_get_fingerprint (identity);
  device.certificate = cert_pem;
  device.label = opt_label;
  device.created = g_get_real_time () / G_USEC_PER_SEC;
  if (!p2p_registry_add (registry, &device, error))
    return FALSE;
  g_print ("%s %s\n", uid, device.fingerprint);
  return TRUE;
}

static void
print_time (const gchar * what, gint64 t)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (t);
  g_autofree gchar *text = g_date_time_format_iso8601 (dt);

  g_print ("%-12s %s\n", what, text);
}

static gboolean
cmd_show (const gchar * arg, GError ** error)
{
  g_autoptr (P2pRegistry) registry = NULL;
  g_autoptr (P2pDevice) device = NULL;
  g_autofree gchar *uid = NULL;

  if (!arg) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "show needs a UID");
    return FALSE;
  }
  uid = normalize_arg (arg, error);
  if (!uid)
    return FALSE;
  registry = open_current_registry (error);
  if (!registry)
    return FALSE;
  device = p2p_registry_lookup (registry, uid, error);
  if (!device)
    return FALSE;
  g_print ("%-12s %s\n", "uid", device->uid);
  g_print ("%-12s %s\n", "state", device->revoked ? "revoked" : "active");
  g_print ("%-12s %s\n", "fingerprint", device->fingerprint);
  print_time ("created", device->created);
  if (device->revoked)
    print_time ("revoked", device->revoked);
  if (device->label)
    g_print ("%-12s %s\n", "label", device->label);
  g_print ("%s", device->certificate);
  return TRUE;
}

static gboolean
cmd_list (GError ** error)
{
  g_autoptr (P2pRegistry) registry = open_current_registry (error);
  g_autoptr (GPtrArray) devices = NULL;
  guint i;

  if (!registry)
    return FALSE;
  devices = p2p_registry_list (registry, error);
  if (!devices)
    return FALSE;
  for (i = 0; i < devices->len; i++) {
    P2pDevice *d = g_ptr_array_index (devices, i);

    g_print ("%s %-7s %s%s%s\n", d->uid, d->revoked ? "revoked" : "active",
        d->fingerprint, d->label ? " " : "", d->label ? d->label : "");
  }
  return TRUE;
}

static gboolean
cmd_revoke (const gchar * arg, GError ** error)
{
  g_autoptr (P2pRegistry) registry = NULL;
  g_autofree gchar *uid = NULL;

  if (!arg) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "revoke needs a UID");
    return FALSE;
  }
  uid = normalize_arg (arg, error);
  if (!uid)
    return FALSE;
  registry = open_current_registry (error);
  if (!registry)
    return FALSE;
  if (!p2p_registry_revoke (registry, uid, error))
    return FALSE;
  g_print ("%s revoked\n", uid);
  return TRUE;
}

/* One line from @in, without its end; %NULL at end of file or when the
 * line is too long to be a password. */
static gchar *
read_line (FILE * in)
{
  gchar buf[P2P_PASSWORD_MAX_SIZE + 2];
  gchar *line = NULL;
  gsize len;

  if (fgets (buf, sizeof buf, in) != NULL) {
    len = strcspn (buf, "\r\n");
    if (buf[len] != '\0' || len <= P2P_PASSWORD_MAX_SIZE) {
      buf[len] = '\0';
      line = g_strdup (buf);
    }
  }
  OPENSSL_cleanse (buf, sizeof buf);
  return line;
}

/* Prompts on the terminal with echo off. */
static gchar *
prompt (const gchar * text)
{
  struct termios old, quiet;
  gboolean restore;
  gchar *line;

  g_printerr ("%s", text);
  restore = tcgetattr (STDIN_FILENO, &old) == 0;
  if (restore) {
    quiet = old;
    quiet.c_lflag &= ~ECHO;
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  line = read_line (stdin);
  if (restore)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
  g_printerr ("\n");
  return line;
}

static void
free_secret (gchar * s)
{
  if (s) {
    OPENSSL_cleanse (s, strlen (s));
    g_free (s);
  }
}

/* The password is never written anywhere: only its SPAKE2+ verifier. */
static gboolean
cmd_passwd (GError ** error)
{
  g_autoptr (P2pPasswordVerifier) verifier = NULL;
  g_autofree gchar *record = NULL;
  g_autofree gchar *text = NULL;
  gchar *password, *again = NULL;
  gboolean match = TRUE;

  if (!opt_output) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "passwd needs --output FILE for the verifier file");
    return FALSE;
  }
  if (opt_iterations < P2P_PASSWORD_VERIFIER_MIN_ITERATIONS
      || opt_iterations > P2P_PASSWORD_VERIFIER_MAX_ITERATIONS) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--iterations must be %d to %d", P2P_PASSWORD_VERIFIER_MIN_ITERATIONS,
        P2P_PASSWORD_VERIFIER_MAX_ITERATIONS);
    return FALSE;
  }
  if (isatty (STDIN_FILENO)) {
    password = prompt ("Viewer password: ");
    if (password) {
      again = prompt ("Again: ");
      match = again && g_str_equal (password, again);
      free_secret (again);
    }
  } else {
    password = read_line (stdin);
  }
  if (password == NULL || !match) {
    free_secret (password);
    g_set_error (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER,
        match ? "No password read (at most %d bytes, one line)" :
        "The passwords differ", P2P_PASSWORD_MAX_SIZE);
    return FALSE;
  }
  verifier = p2p_password_verifier_new (password, opt_iterations, error);
  free_secret (password);
  if (verifier == NULL)
    return FALSE;
  record = p2p_password_verifier_to_string (verifier);
  text = g_strconcat (record, "\n", NULL);
  return write_private_file (opt_output, "verifier file", text, error);
}

/**
 * main:
 *
 * Runs one p2p-uid command; see `p2p-uid --help`.
 */
int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *command;
  const gchar *arg;
  gboolean ok;

  context = g_option_context_new ("COMMAND [UID] - manage the device registry");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("p2p-uid: %s\n", error->message);
    return 1;
  }
  if (argc < 2) {
    g_printerr ("p2p-uid: no command given (see --help)\n");
    return 1;
  }
  command = argv[1];
  arg = argc > 2 ? argv[2] : NULL;
  if (argc > 3) {
    g_printerr ("p2p-uid: unexpected argument '%s'\n", argv[3]);
    return 1;
  }

  if (g_str_equal (command, "init")) {
    P2pRegistry *registry = open_registry (TRUE, &error);

    ok = registry != NULL;
    p2p_registry_close (registry);
  } else if (g_str_equal (command, "migrate")) {
    P2pRegistry *registry = open_registry (FALSE, &error);

    ok = registry && p2p_registry_migrate (registry, &error);
    p2p_registry_close (registry);
  } else if (g_str_equal (command, "add"))
    ok = cmd_add (&error);
  else if (g_str_equal (command, "import"))
    ok = cmd_import (&error);
  else if (g_str_equal (command, "list"))
    ok = cmd_list (&error);
  else if (g_str_equal (command, "show"))
    ok = cmd_show (arg, &error);
  else if (g_str_equal (command, "revoke"))
    ok = cmd_revoke (arg, &error);
  else if (g_str_equal (command, "passwd"))
    ok = cmd_passwd (&error);
  else {
    g_printerr ("p2p-uid: unknown command '%s' (see --help)\n", command);
    return 1;
  }
  if (!ok) {
    g_printerr ("p2p-uid: %s\n", error->message);
    return 1;
  }
  return 0;
}
