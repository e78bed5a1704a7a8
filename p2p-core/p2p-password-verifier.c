/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What a camera stores instead of its viewer password: the SPAKE2+
 * registration record (w0, L = w1*P) with the salt and iteration count of
 * the password hash that made w0 and w1, so the viewer can recompute them.
 *
 *   w0s || w1s = PBKDF2-HMAC-SHA256 (password, salt, iterations, 80 bytes)
 *   w0 = w0s mod n,  w1 = w1s mod n   (n: the order of P-256)
 *
 * as Matter's PASE does. Stealing the record lets an attacker guess
 * passwords offline at the cost of the hash per guess, but not log in as a
 * viewer (that needs w1) without finding the password first.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-password-verifier-private.h"
#include "p2p-pbkdf2.h"
#include "p2p-viewer-auth.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define PREFIX "spake2plus-p256$"
#define PARAMS_METHOD "spake2plus-p256"
#define OLD_PREFIX "pbkdf2-sha256$"

G_DEFINE_BOXED_TYPE (P2pPasswordVerifier, p2p_password_verifier,
    p2p_password_verifier_copy, p2p_password_verifier_free);

/* w0 and w1 from the password (see the top of the file). */
gboolean
p2p_password_derive (const gchar * password, const guint8 * salt,
    gsize salt_size, guint iterations, guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE],
    guint8 w1[P2P_SPAKE2PLUS_SCALAR_SIZE], GError ** error)
{
  guint8 out[2 * P2P_SPAKE2PLUS_PBKDF_HALF_SIZE];
  gsize len = strlen (password);
  gboolean ok;

  if (len == 0 || len > P2P_PASSWORD_MAX_SIZE) {
    g_set_error (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER,
        "The password must be 1 to %d bytes long", P2P_PASSWORD_MAX_SIZE);
    return FALSE;
  }
  ok = p2p_pbkdf2_sha256 ((const guint8 *) password, len, salt, salt_size,
      iterations, NULL, out, sizeof out)
      && p2p_spake2plus_reduce (out, P2P_SPAKE2PLUS_PBKDF_HALF_SIZE, w0)
      && p2p_spake2plus_reduce (out + P2P_SPAKE2PLUS_PBKDF_HALF_SIZE,
      P2P_SPAKE2PLUS_PBKDF_HALF_SIZE, w1);
  OPENSSL_cleanse (out, sizeof out);
  if (!ok)
    g_set_error_literal (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_FAILED, "Could not hash the password");
  return ok;
}

/**
 * p2p_password_verifier_new:
 * @password: the viewer password (1 to #P2P_PASSWORD_MAX_SIZE bytes)
 * @iterations: PBKDF2 iterations, 0 for #P2P_PASSWORD_VERIFIER_ITERATIONS
 * @error: return location for a #P2P_VIEWER_AUTH_ERROR
 *
 * Makes a verifier with a fresh random salt. Slow on purpose (the hash):
 * call it where a pause of a fraction of a second does no harm.
 *
 * Returns: (transfer full) (nullable): the verifier
 */
P2pPasswordVerifier *
p2p_password_verifier_new (const gchar * password, guint iterations,
    GError ** error)
{
  g_autoptr (P2pPasswordVerifier) v = NULL;
  guint8 w1[P2P_SPAKE2PLUS_SCALAR_SIZE];
  gboolean ok;

  g_return_val_if_fail (password != NULL, NULL);

  if (iterations == 0)
    iterations = P2P_PASSWORD_VERIFIER_ITERATIONS;
  if (iterations < P2P_PASSWORD_VERIFIER_MIN_ITERATIONS
      || iterations > P2P_PASSWORD_VERIFIER_MAX_ITERATIONS) {
    g_set_error (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER,
        "The iteration count must be %d to %d",
        P2P_PASSWORD_VERIFIER_MIN_ITERATIONS,
        P2P_PASSWORD_VERIFIER_MAX_ITERATIONS);
    return NULL;
  }
  v = g_new0 (P2pPasswordVerifier, 1);
  v->iterations = iterations;
  v->salt_size = P2P_PASSWORD_VERIFIER_SALT_SIZE;
  if (RAND_bytes (v->salt, v->salt_size) != 1) {
    g_set_error_literal (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_FAILED, "No random bytes for the salt");
    return NULL;
  }
  if (!p2p_password_derive (password, v->salt, v->salt_size, iterations,
          v->w0, w1, error))
    return NULL;
  ok = p2p_spake2plus_compute_l (w1, v->l);
  OPENSSL_cleanse (w1, sizeof w1);
  if (!ok) {
    g_set_error_literal (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_FAILED, "Could not compute the verifier");
    return NULL;
  }
  return g_steal_pointer (&v);
}

/* Decodes canonical base64 of exactly @size bytes: g_base64_decode() skips
 * characters it does not know, so the text must also re-encode to itself. */
static gboolean
decode_exact (const gchar * b64, guint8 * out, gsize min_size, gsize max_size,
    gsize * size)
{
  g_autofree guchar *raw = NULL;
  g_autofree gchar *again = NULL;
  gsize n = 0;
  gboolean ok;

  if (strlen (b64) > 4 * ((max_size + 2) / 3))
    return FALSE;
  raw = g_base64_decode (b64, &n);
  ok = raw != NULL && n >= min_size && n <= max_size;
  if (ok) {
    again = g_base64_encode (raw, n);
    ok = g_str_equal (again, b64);
  }
  if (ok) {
    memcpy (out, raw, n);
    if (size)
      *size = n;
  }
  if (raw)
    OPENSSL_cleanse (raw, n);
  return ok;
}

static P2pPasswordVerifier *
parse_record (const gchar * record, GError ** error)
{
  g_auto (GStrv) parts = g_strsplit (record, "$", -1);
  g_autoptr (P2pPasswordVerifier) v = g_new0 (P2pPasswordVerifier, 1);
  guint64 iterations = 0;

  if (g_strv_length (parts) != 4
      || !g_ascii_string_to_unsigned (parts[0], 10,
          P2P_PASSWORD_VERIFIER_MIN_ITERATIONS,
          P2P_PASSWORD_VERIFIER_MAX_ITERATIONS, &iterations, NULL)
      || !decode_exact (parts[1], v->salt, P2P_PASSWORD_VERIFIER_MIN_SALT_SIZE,
          P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE, &v->salt_size)
      || !decode_exact (parts[2], v->w0, P2P_SPAKE2PLUS_SCALAR_SIZE,
          P2P_SPAKE2PLUS_SCALAR_SIZE, NULL)
      || !decode_exact (parts[3], v->l, P2P_SPAKE2PLUS_POINT_SIZE,
          P2P_SPAKE2PLUS_POINT_SIZE, NULL)
      || !p2p_spake2plus_check_scalar (v->w0, P2P_SPAKE2PLUS_SCALAR_SIZE)
      || !p2p_spake2plus_check_point (v->l, P2P_SPAKE2PLUS_POINT_SIZE)) {
    g_set_error (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER,
        "Malformed verifier: expected " PREFIX "ITERATIONS$SALT$W0$L with "
        "%d to %d iterations and, in base64, a 16 to 64-byte salt, a 32-byte "
        "scalar W0 and a 65-byte uncompressed P-256 point L (write one with "
        "'p2p-uid passwd')", P2P_PASSWORD_VERIFIER_MIN_ITERATIONS,
        P2P_PASSWORD_VERIFIER_MAX_ITERATIONS);
    return NULL;
  }
  v->iterations = iterations;
  return g_steal_pointer (&v);
}

/**
 * p2p_password_verifier_parse:
 * @text: the contents of a password file
 * @error: return location for a #P2P_VIEWER_AUTH_ERROR
 *
 * Reads a password file: either a verifier,
 * `spake2plus-p256$ITERATIONS$SALT$W0$L` (as p2p_password_verifier_to_string()
 * and `p2p-uid passwd` write it), or a plain password, which is hashed at
 * once with a fresh salt (slow: see p2p_password_verifier_new()). White
 * space around the text is ignored. The verifier format of earlier versions
 * (`pbkdf2-sha256$…`) is refused: it cannot serve SPAKE2+.
 *
 * Returns: (transfer full) (nullable): the verifier
 */
P2pPasswordVerifier *
p2p_password_verifier_parse (const gchar * text, GError ** error)
{
  g_autofree gchar *line = NULL;
  P2pPasswordVerifier *v;

  g_return_val_if_fail (text != NULL, NULL);

  line = g_strstrip (g_strdup (text));
  if (g_str_has_prefix (line, PREFIX)) {
    v = parse_record (line + strlen (PREFIX), error);
  } else if (g_str_has_prefix (line, OLD_PREFIX)) {
    g_set_error_literal (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER,
        "This is a verifier of the old password-in-clear login, which the "
        "SPAKE2+ login cannot use: regenerate it with 'p2p-uid passwd'");
    v = NULL;
  } else {
    v = p2p_password_verifier_new (line, 0, error);
  }
  OPENSSL_cleanse (line, strlen (line));
  return v;
}

/**
 * p2p_password_verifier_to_string:
 * @self: a verifier
 *
 * Returns: (transfer full): `spake2plus-p256$ITERATIONS$SALT$W0$L`, the
 *     form p2p_password_verifier_parse() reads
 */
gchar *
p2p_password_verifier_to_string (const P2pPasswordVerifier * self)
{
  g_autofree gchar *salt = NULL;
  g_autofree gchar *w0 = NULL;
  g_autofree gchar *l = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  salt = g_base64_encode (self->salt, self->salt_size);
  w0 = g_base64_encode (self->w0, sizeof self->w0);
  l = g_base64_encode (self->l, sizeof self->l);
  return g_strdup_printf (PREFIX "%u$%s$%s$%s", self->iterations, salt, w0, l);
}

/**
 * p2p_password_verifier_get_params:
 * @self: a verifier
 *
 * What a viewer needs to hash its password for this verifier, none of it
 * secret (any peer that completes a DTLS handshake with the camera gets
 * the same in `auth-params`): the value of the offer's
 * #P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE.
 *
 * Returns: (transfer full): `spake2plus-p256 ITERATIONS SALT`, the salt in
 *     standard base64
 */
gchar *
p2p_password_verifier_get_params (const P2pPasswordVerifier * self)
{
  g_autofree gchar *salt = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  salt = g_base64_encode (self->salt, self->salt_size);
  return g_strdup_printf (PARAMS_METHOD " %u %s", self->iterations, salt);
}

/* Reads what p2p_password_verifier_get_params() writes, strictly: exactly
 * three fields, one space apart, the bounds of a verifier. */
gboolean
p2p_password_params_parse (const gchar * text,
    guint8 salt[P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE], gsize * salt_size,
    guint * iterations)
{
  g_auto (GStrv) parts = NULL;
  guint64 n = 0;

  if (text == NULL || strlen (text) > 128)
    return FALSE;
  parts = g_strsplit (text, " ", -1);
  if (g_strv_length (parts) != 3 || !g_str_equal (parts[0], PARAMS_METHOD)
      || !g_ascii_string_to_unsigned (parts[1], 10,
          P2P_PASSWORD_VERIFIER_MIN_ITERATIONS,
          P2P_PASSWORD_VERIFIER_MAX_ITERATIONS, &n, NULL)
      || !decode_exact (parts[2], salt, P2P_PASSWORD_VERIFIER_MIN_SALT_SIZE,
          P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE, salt_size))
    return FALSE;
  *iterations = n;
  return TRUE;
}

/**
 * p2p_password_verifier_copy:
 * @self: (nullable): a verifier
 *
 * Returns: (transfer full) (nullable): a copy of @self
 */
P2pPasswordVerifier *
p2p_password_verifier_copy (const P2pPasswordVerifier * self)
{
  return self ? g_memdup2 (self, sizeof *self) : NULL;
}

/**
 * p2p_password_verifier_free:
 * @self: (nullable): a verifier
 *
 * Wipes and frees @self.
 */
void
p2p_password_verifier_free (P2pPasswordVerifier * self)
{
  if (self == NULL)
    return;
  OPENSSL_cleanse (self, sizeof *self);
  g_free (self);
}
