/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The one way untrusted JSON is read: by the signalling client, the server
 * and the plugin's viewer login.
 *
 * json-glib 1.6 is lenient in ways an attacker can use. It stops after the
 * first value, so "1{…}" parses as the integer 1 (and leaks the object it
 * built after it) and "{}{}" as the first object; it also takes comments,
 * single-quoted strings, hexadecimal and leading-zero numbers, raw control
 * characters, and it truncates strings at "\u0000" and keeps the last of
 * duplicate members, so two readers of one message can disagree. Its
 * parser also recurses once per nesting level.
 *
 * So the text is first checked against RFC 8259's grammar here, by a small
 * validator that allocates nothing and recurses at most @max_depth deep;
 * only text that is exactly one object is handed to json-glib to build.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-json.h"

#include <string.h>

G_DEFINE_QUARK (p2p_json_error, p2p_json_error);

typedef struct
{
  const guchar *start;
  const guchar *p;
  const guchar *end;
  guint depth;
  guint max_depth;
  gsize members;
  GError **error;
} Validator;

static gboolean parse_value (Validator * v);

static gboolean
fail (Validator * v, P2pJsonError code, const gchar * what)
{
  g_set_error (v->error, P2P_JSON_ERROR, code, "%s at byte %" G_GSIZE_FORMAT,
      what, (gsize) (v->p - v->start));
  return FALSE;
}

static void
skip_space (Validator * v)
{
  while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n'
          || *v->p == '\r'))
    v->p++;
}

static gboolean
expect (Validator * v, const gchar * literal)
{
  for (; *literal; literal++, v->p++) {
    if (v->p == v->end || *v->p != (guchar) * literal)
      return fail (v, P2P_JSON_ERROR_SYNTAX, "Invalid literal");
  }
  return TRUE;
}

/* Reads the four hex digits of a \u escape. */
static gboolean
parse_hex4 (Validator * v, guint * unit)
{
  guint i;

  *unit = 0;
  for (i = 0; i < 4; i++, v->p++) {
    gint d = v->p < v->end ? g_ascii_xdigit_value (*v->p) : -1;

    if (d < 0)
      return fail (v, P2P_JSON_ERROR_SYNTAX, "Invalid \\u escape");
    *unit = *unit << 4 | (guint) d;
  }
  return TRUE;
}

/* The text is already known to be UTF-8 without NUL bytes, so only
 * escapes and control characters are checked here. */
static gboolean
parse_string (Validator * v)
{
  v->p++;                       /* '"' */
  while (v->p < v->end) {
    guchar c = *v->p;
    guint unit, low;

    if (c == '"') {
      v->p++;
      return TRUE;
    }
    if (c < 0x20)
      return fail (v, P2P_JSON_ERROR_SYNTAX,
          "Unescaped control character in string");
    if (c != '\\') {
      v->p++;
      continue;
    }
    if (++v->p == v->end)
      break;
    c = *v->p;
    if (c != 'u') {
      if (!strchr ("\"\\/bfnrt", c))
        return fail (v, P2P_JSON_ERROR_SYNTAX, "Invalid escape in string");
      v->p++;
      continue;
    }
    v->p++;
    if (!parse_hex4 (v, &unit))
      return FALSE;
    if (unit == 0)
      return fail (v, P2P_JSON_ERROR_NUL_CHARACTER, "String holds U+0000");
    if (unit >= 0xdc00 && unit <= 0xdfff)
      return fail (v, P2P_JSON_ERROR_SYNTAX, "Unpaired surrogate in string");
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (v->end - v->p < 2 || v->p[0] != '\\' || v->p[1] != 'u')
        return fail (v, P2P_JSON_ERROR_SYNTAX, "Unpaired surrogate in string");
      v->p += 2;
      if (!parse_hex4 (v, &low))
        return FALSE;
      if (low < 0xdc00 || low > 0xdfff)
        return fail (v, P2P_JSON_ERROR_SYNTAX, "Unpaired surrogate in string");
    }
  }
  return fail (v, P2P_JSON_ERROR_SYNTAX, "Unterminated string");
}

static gboolean
skip_digits (Validator * v)
{
  const guchar *first = v->p;

  while (v->p < v->end && g_ascii_isdigit (*v->p))
    v->p++;
  return v->p > first;
}

static gboolean
parse_number (Validator * v)
{
  if (*v->p == '-')
    v->p++;
  if (v->p < v->end && *v->p == '0')
    v->p++;
  else if (v->p == v->end || *v->p < '1' || *v->p > '9' || !skip_digits (v))
    return fail (v, P2P_JSON_ERROR_SYNTAX, "Invalid number");
  if (v->p < v->end && *v->p == '.') {
    v->p++;
    if (!skip_digits (v))
      return fail (v, P2P_JSON_ERROR_SYNTAX, "Invalid number");
  }
  if (v->p < v->end && (*v->p == 'e' || *v->p == 'E')) {
    v->p++;
    if (v->p < v->end && (*v->p == '+' || *v->p == '-'))
      v->p++;
    if (!skip_digits (v))
      return fail (v, P2P_JSON_ERROR_SYNTAX, "Invalid number");
  }
  return TRUE;
}

/* An object when @close is '}', an array when it is ']'. */
static gboolean
parse_container (Validator * v, guchar close)
{
  if (++v->depth > v->max_depth)
    return fail (v, P2P_JSON_ERROR_TOO_DEEP, "Nested too deep");
  v->p++;
  skip_space (v);
  if (v->p < v->end && *v->p == close) {
    v->p++;
    v->depth--;
    return TRUE;
  }
  for (;;) {
    if (close == '}') {
      if (v->p == v->end || *v->p != '"')
        return fail (v, P2P_JSON_ERROR_SYNTAX, "Expected a member name");
      if (!parse_string (v))
        return FALSE;
      skip_space (v);
      if (v->p == v->end || *v->p != ':')
        return fail (v, P2P_JSON_ERROR_SYNTAX, "Expected ':'");
      v->p++;
      v->members++;
    }
    if (!parse_value (v))
      return FALSE;
    skip_space (v);
    if (v->p < v->end && *v->p == ',') {
      v->p++;
      skip_space (v);
      continue;
    }
    if (v->p < v->end && *v->p == close) {
      v->p++;
      v->depth--;
      return TRUE;
    }
    return fail (v, P2P_JSON_ERROR_SYNTAX, close == '}' ?
        "Expected ',' or '}'" : "Expected ',' or ']'");
  }
}

static gboolean
parse_value (Validator * v)
{
  skip_space (v);
  if (v->p == v->end)
    return fail (v, P2P_JSON_ERROR_SYNTAX, "Expected a value");
  switch (*v->p) {
    case '{':
      return parse_container (v, '}');
    case '[':
      return parse_container (v, ']');
    case '"':
      return parse_string (v);
    case 't':
      return expect (v, "true");
    case 'f':
      return expect (v, "false");
    case 'n':
      return expect (v, "null");
    default:
      if (*v->p == '-' || g_ascii_isdigit (*v->p))
        return parse_number (v);
      return fail (v, P2P_JSON_ERROR_SYNTAX, "Expected a value");
  }
}

/* json-glib keeps the last of duplicate members, so the built tree has
 * fewer members than the text named exactly when a name repeats. */
static gsize
count_members (JsonNode * node)
{
  gsize n = 0;

  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObjectIter iter;
    JsonNode *member;

    json_object_iter_init (&iter, json_node_get_object (node));
    while (json_object_iter_next (&iter, NULL, &member))
      n += 1 + count_members (member);
  } else if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);
    guint i, len = json_array_get_length (array);

    for (i = 0; i < len; i++)
      n += count_members (json_array_get_element (array, i));
  }
  return n;
}

/**
 * p2p_json_parse_object_full:
 * @data: (array length=len): the text, not necessarily NUL-terminated
 * @len: its length in bytes
 * @max_size: longest accepted text, bytes
 * @max_depth: deepest accepted nesting of objects and arrays, the outer
 *     object being 1
 * @error: return location for a #P2P_JSON_ERROR
 *
 * Like p2p_json_parse_object(), with the caller's limits.
 *
 * Returns: (transfer full) (nullable): the object, or %NULL with @error set
 */
JsonObject *
p2p_json_parse_object_full (const gchar * data, gsize len, gsize max_size,
    guint max_depth, GError ** error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *bad;
  Validator v = { 0, };
  JsonNode *root;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (max_depth >= 1, NULL);

  if (len > max_size) {
    g_set_error (error, P2P_JSON_ERROR, P2P_JSON_ERROR_TOO_LARGE,
        "Message of %" G_GSIZE_FORMAT " bytes is longer than %"
        G_GSIZE_FORMAT, len, max_size);
    return NULL;
  }
  /* An empty GBytes has no data pointer, and NULL + 0 is undefined. */
  if (len == 0) {
    g_set_error_literal (error, P2P_JSON_ERROR, P2P_JSON_ERROR_SYNTAX,
        "Empty message");
    return NULL;
  }
  if (!g_utf8_validate_len (data, len, &bad)) {
    g_set_error (error, P2P_JSON_ERROR, P2P_JSON_ERROR_ENCODING,
        *bad == '\0' ? "Message holds a NUL byte at byte %" G_GSIZE_FORMAT
        : "Message is not UTF-8 at byte %" G_GSIZE_FORMAT,
        (gsize) (bad - data));
    return NULL;
  }

  v.start = v.p = (const guchar *) data;
  v.end = v.p + len;
  v.max_depth = max_depth;
  v.error = error;
  skip_space (&v);
  if (v.p == v.end) {
    fail (&v, P2P_JSON_ERROR_SYNTAX, "Empty message");
    return NULL;
  }
  if (*v.p != '{') {
    /* Refuse "1{…}" and "[…]" before anything is built. */
    fail (&v, P2P_JSON_ERROR_NOT_OBJECT, "Message is not a JSON object");
    return NULL;
  }
  if (!parse_container (&v, '}'))
    return NULL;
  skip_space (&v);
  if (v.p != v.end) {
    fail (&v, P2P_JSON_ERROR_TRAILING_DATA, "Data after the JSON object");
    return NULL;
  }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, &err)) {
    /* Valid RFC 8259 json-glib cannot read, e.g. an integer out of range. */
    g_set_error (error, P2P_JSON_ERROR, P2P_JSON_ERROR_SYNTAX,
        "Invalid JSON: %s", err->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  g_assert (root != NULL && JSON_NODE_HOLDS_OBJECT (root));
  if (count_members (root) != v.members) {
    g_set_error_literal (error, P2P_JSON_ERROR,
        P2P_JSON_ERROR_DUPLICATE_MEMBER, "An object names a member twice");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

/**
 * p2p_json_parse_object:
 * @data: (array length=len): the text, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for a #P2P_JSON_ERROR
 *
 * Parses untrusted text that must be exactly one JSON object (RFC 8259),
 * with nothing but white space around it, at most #P2P_JSON_MAX_SIZE bytes
 * long and nested at most #P2P_JSON_MAX_DEPTH deep. Anything else is refused
 * before any tree is built: a value after the object ("{}{}"), a scalar
 * before it ("1{}"), comments, invalid UTF-8 or NUL bytes, strings holding
 * U+0000, and objects that name a member twice.
 *
 * Returns: (transfer full) (nullable): the object, or %NULL with @error set
 */
JsonObject *
p2p_json_parse_object (const gchar * data, gsize len, GError ** error)
{
  return p2p_json_parse_object_full (data, len, P2P_JSON_MAX_SIZE,
      P2P_JSON_MAX_DEPTH, error);
}
