/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pauth.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SALT_LEN 16
#define HASH_LEN 32
/* Bounds for verifiers read from a file: low enough iteration counts make
 * the hash pointless, huge ones stall the device. */
#define MIN_ITERATIONS 1000
#define MAX_ITERATIONS 10000000
#define MAX_PASSWORD 1024
#define VERIFIER_PREFIX "pbkdf2-sha256$"

struct _GstP2pVerifier
{
  guint iterations;
  guint8 salt[SALT_LEN];
  guint8 hash[HASH_LEN];
};

static gboolean
derive (const gchar * password, const guint8 * salt, guint iterations,
    guint8 * out)
{
  return PKCS5_PBKDF2_HMAC (password, strlen (password), salt, SALT_LEN,
      iterations, EVP_sha256 (), HASH_LEN, out) == 1;
}

/**
 * gst_p2p_verifier_new:
 * @password: the viewer password
 * @iterations: PBKDF2 iterations, 0 for #GST_P2P_VERIFIER_ITERATIONS
 *
 * Returns: (transfer full) (nullable): a verifier with a fresh random salt,
 *     or %NULL if OpenSSL failed
 */
GstP2pVerifier *
gst_p2p_verifier_new (const gchar * password, guint iterations)
{
  GstP2pVerifier *v;

  g_return_val_if_fail (password != NULL, NULL);

  v = g_new0 (GstP2pVerifier, 1);
  v->iterations = iterations ? iterations : GST_P2P_VERIFIER_ITERATIONS;
  if (RAND_bytes (v->salt, SALT_LEN) != 1
      || !derive (password, v->salt, v->iterations, v->hash)) {
    gst_p2p_verifier_free (v);
    return NULL;
  }
  return v;
}

static gboolean
decode_exact (const gchar * b64, guint8 * out, gsize len)
{
  gsize n = 0;
  guchar *raw = g_base64_decode (b64, &n);
  gboolean ok = raw != NULL && n == len;

  if (ok)
    memcpy (out, raw, len);
  g_free (raw);
  return ok;
}

/**
 * gst_p2p_verifier_parse:
 * @text: either `pbkdf2-sha256$ITERATIONS$SALT$HASH` (salt and hash in
 *     base64, 16 and 32 bytes) or a plain password
 * @error: return location for a #G_IO_ERROR
 *
 * Reads the contents of a `password-file`. A file holding a verifier keeps
 * the password itself off the device; a plain password is hashed at once.
 * Leading and trailing white space is ignored.
 *
 * Returns: (transfer full) (nullable): the verifier
 */
GstP2pVerifier *
gst_p2p_verifier_parse (const gchar * text, GError ** error)
{
  g_autofree gchar *line = NULL;
  g_auto (GStrv) parts = NULL;
  GstP2pVerifier *v;
  guint64 iter;

  g_return_val_if_fail (text != NULL, NULL);

  line = g_strstrip (g_strdup (text));
  if (line[0] == '\0' || strlen (line) > MAX_PASSWORD) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the password must be 1 to %d bytes long", MAX_PASSWORD);
    OPENSSL_cleanse (line, strlen (line));
    return NULL;
  }

  if (!g_str_has_prefix (line, VERIFIER_PREFIX)) {
    v = gst_p2p_verifier_new (line, 0);
    OPENSSL_cleanse (line, strlen (line));
    if (!v)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "could not hash the password");
    return v;
  }

  parts = g_strsplit (line + strlen (VERIFIER_PREFIX), "$", -1);
  v = g_new0 (GstP2pVerifier, 1);
  if (g_strv_length (parts) != 3
      || !g_ascii_string_to_unsigned (parts[0], 10, MIN_ITERATIONS,
          MAX_ITERATIONS, &iter, NULL)
      || !decode_exact (parts[1], v->salt, SALT_LEN)
      || !decode_exact (parts[2], v->hash, HASH_LEN)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "malformed verifier: expected " VERIFIER_PREFIX
        "ITERATIONS$SALT$HASH with %d to %d iterations, a %d-byte salt and "
        "a %d-byte hash in base64", MIN_ITERATIONS, MAX_ITERATIONS, SALT_LEN,
        HASH_LEN);
    gst_p2p_verifier_free (v);
    return NULL;
  }
  v->iterations = iter;
  return v;
}

/**
 * gst_p2p_verifier_to_string:
 * @verifier: a verifier
 *
 * Returns: (transfer full): the form gst_p2p_verifier_parse() reads
 */
gchar *
gst_p2p_verifier_to_string (const GstP2pVerifier * verifier)
{
  g_autofree gchar *salt = NULL;
  g_autofree gchar *hash = NULL;

  g_return_val_if_fail (verifier != NULL, NULL);

  salt = g_base64_encode (verifier->salt, SALT_LEN);
  hash = g_base64_encode (verifier->hash, HASH_LEN);
  return g_strdup_printf (VERIFIER_PREFIX "%u$%s$%s", verifier->iterations,
      salt, hash);
}

/**
 * gst_p2p_verifier_check:
 * @verifier: a verifier
 * @password: a candidate password
 *
 * Slow on purpose (see #GST_P2P_VERIFIER_ITERATIONS): call it from a worker
 * thread. The comparison takes the same time whatever the mismatch.
 *
 * Returns: %TRUE if @password is the one @verifier was made from
 */
gboolean
gst_p2p_verifier_check (const GstP2pVerifier * verifier, const gchar * password)
{
  guint8 hash[HASH_LEN];
  gboolean ok;

  g_return_val_if_fail (verifier != NULL, FALSE);

  if (password == NULL || strlen (password) > MAX_PASSWORD)
    return FALSE;
  if (!derive (password, verifier->salt, verifier->iterations, hash))
    return FALSE;
  ok = CRYPTO_memcmp (hash, verifier->hash, HASH_LEN) == 0;
  OPENSSL_cleanse (hash, HASH_LEN);
  return ok;
}

GstP2pVerifier *
gst_p2p_verifier_copy (const GstP2pVerifier * verifier)
{
  return verifier ? g_memdup2 (verifier, sizeof (*verifier)) : NULL;
}

void
gst_p2p_verifier_free (GstP2pVerifier * verifier)
{
  if (!verifier)
    return;
  OPENSSL_cleanse (verifier, sizeof (*verifier));
  g_free (verifier);
}

static GBytes *
builder_to_bytes (JsonBuilder * builder)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  gsize len = 0;
  gchar *text;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  return g_bytes_new_take (text, len);
}

/* Untrusted input: a member of the wrong type reads as absent. */
static const gchar *
get_string (JsonObject * obj, const gchar * name, const gchar * fallback)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (node);
}

/* Parses @message into an object of type @type; the message comes from the
 * network, so every field is checked before use. */
static JsonObject *
parse_object (GBytes * message, const gchar * type, JsonParser ** parser,
    GError ** error)
{
  gsize len = 0;
  const gchar *data = g_bytes_get_data (message, &len);
  JsonNode *root;
  JsonObject *obj;
  const gchar *t;

  *parser = json_parser_new ();
  if (len == 0 || len > 4096
      || !json_parser_load_from_data (*parser, data, len, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "not a JSON message of at most 4096 bytes");
    return NULL;
  }
  root = json_parser_get_root (*parser);
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the message is not a JSON object");
    return NULL;
  }
  obj = json_node_get_object (root);
  t = get_string (obj, "type", NULL);
  if (g_strcmp0 (t, type) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "expected a \"%s\" message", type);
    return NULL;
  }
  return obj;
}

/**
 * gst_p2p_auth_request_new:
 * @password: (nullable): the viewer's password, %NULL for none
 *
 * Returns: (transfer full): the viewer's `auth` message
 */
GBytes *
gst_p2p_auth_request_new (const gchar * password)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "auth");
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  if (password) {
    json_builder_set_member_name (b, "password");
    json_builder_add_string_value (b, password);
  }
  json_builder_end_object (b);
  return builder_to_bytes (b);
}

/**
 * gst_p2p_auth_request_parse:
 * @message: a message from a viewer
 * @error: return location for a #G_IO_ERROR
 *
 * Returns: (transfer full) (nullable): the password, "" when the viewer sent
 *     none, %NULL on error
 */
gchar *
gst_p2p_auth_request_parse (GBytes * message, GError ** error)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonObject *obj;

  obj = parse_object (message, "auth", &parser, error);
  if (!obj)
    return NULL;
  return g_strdup (get_string (obj, "password", ""));
}

/**
 * gst_p2p_auth_result_new:
 * @reason: (nullable): %NULL to accept, else one of the
 *     `GST_P2P_AUTH_REFUSED_*` reasons
 * @text: (nullable): human-readable explanation of a refusal
 *
 * Returns: (transfer full): the device's `auth-result` message
 */
GBytes *
gst_p2p_auth_result_new (const gchar * reason, const gchar * text)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "auth-result");
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, reason ? "refused" : "ok");
  if (reason) {
    json_builder_set_member_name (b, "reason");
    json_builder_add_string_value (b, reason);
    json_builder_set_member_name (b, "message");
    json_builder_add_string_value (b, text ? text : reason);
  }
  json_builder_end_object (b);
  return builder_to_bytes (b);
}

/**
 * gst_p2p_auth_result_parse:
 * @message: a message from the device
 * @reason: (out) (transfer full): %NULL when accepted, else the reason
 * @text: (out) (transfer full): the device's explanation of a refusal
 * @error: return location for a #G_IO_ERROR
 *
 * Returns: %FALSE if @message is not a well-formed `auth-result`
 */
gboolean
gst_p2p_auth_result_parse (GBytes * message, gchar ** reason, gchar ** text,
    GError ** error)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonObject *obj;
  const gchar *result;

  *reason = *text = NULL;
  obj = parse_object (message, "auth-result", &parser, error);
  if (!obj)
    return FALSE;
  result = get_string (obj, "result", NULL);
  if (g_strcmp0 (result, "ok") == 0)
    return TRUE;
  if (g_strcmp0 (result, "refused") != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "\"result\" is neither \"ok\" nor \"refused\"");
    return FALSE;
  }
  *reason = g_strndup (get_string (obj, "reason", "refused"), 64);
  *text = g_strndup (get_string (obj, "message", *reason), 256);
  return TRUE;
}
