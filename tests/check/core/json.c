/* p2p-core strict JSON tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "p2p-json.h"

typedef struct
{
  const gchar *text;
  gsize len;                    /* 0: strlen (text) */
  P2pJsonError code;
} Refused;

/* Each of these is accepted by json-glib 1.6 on its own, or would be
 * read differently by two readers. */
static const Refused refused[] = {
  {"1{\"type\":\"hello\"}", 0, P2P_JSON_ERROR_NOT_OBJECT},
  {"\"s\" {}", 0, P2P_JSON_ERROR_NOT_OBJECT},
  {"[1] {}", 0, P2P_JSON_ERROR_NOT_OBJECT},
  {"{}{}", 0, P2P_JSON_ERROR_TRAILING_DATA},
  {"{} x", 0, P2P_JSON_ERROR_TRAILING_DATA},
  {"{} 1", 0, P2P_JSON_ERROR_TRAILING_DATA},
  {"", 0, P2P_JSON_ERROR_SYNTAX},
  {" \n\t", 0, P2P_JSON_ERROR_SYNTAX},
  {"{", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\"", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":1,}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":[1,]}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{'a':1}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{a:1}", 0, P2P_JSON_ERROR_SYNTAX},
  {"/*c*/{}", 0, P2P_JSON_ERROR_NOT_OBJECT},
  {"{/*c*/}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":01}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":.5}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":0x10}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":1.}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":1e}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":-}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":+1}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":True}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":nul}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":\"x\ty\"}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":\"\\x\"}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":\"\\u12\"}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":\"\\ud800\"}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":\"\\udc00\"}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":\"\\ud800\\u0041\"}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":\"unterminated}", 0, P2P_JSON_ERROR_SYNTAX},
  {"{\"a\":\"GOOD\\u0000junk\"}", 0, P2P_JSON_ERROR_NUL_CHARACTER},
  {"{\"a\":1,\"a\":2}", 0, P2P_JSON_ERROR_DUPLICATE_MEMBER},
  {"{\"o\":{\"a\":1,\"\\u0061\":2}}", 0, P2P_JSON_ERROR_DUPLICATE_MEMBER},
  {"{\"a\":\"x\0y\"}", 10, P2P_JSON_ERROR_ENCODING},
  {"{}\0", 3, P2P_JSON_ERROR_ENCODING},
  {"{\"a\":\"\xff\"}", 0, P2P_JSON_ERROR_ENCODING},
  {"{\"a\":\"\xc0\xaf\"}", 0, P2P_JSON_ERROR_ENCODING},
  {"{\"a\":\"\xed\xa0\x80\"}", 0, P2P_JSON_ERROR_ENCODING},
  {"{\"a\":[[[[[[[[1]]]]]]]]}", 0, P2P_JSON_ERROR_TOO_DEEP},
};

static void
test_refused (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    const Refused *r = &refused[i];
    gsize len = r->len ? r->len : strlen (r->text);
    g_autoptr (GError) error = NULL;
    JsonObject *obj;

    obj = p2p_json_parse_object (r->text, len, &error);
    g_test_message ("case %u: %s", i, error ? error->message : "accepted");
    g_assert_null (obj);
    g_assert_error (error, P2P_JSON_ERROR, (gint) r->code);
  }
}

static void
test_accepted (void)
{
  static const gchar *const accepted[] = {
    "{}",
    " \r\n\t{ } \r\n\t",
    "{\"type\":\"hello\",\"id\":7,\"n\":null,\"t\":true,\"f\":false}",
    "{\"a\":-0.5e+3,\"b\":0,\"c\":1E-2,\"d\":[],\"e\":[{}, [1, \"x\"]]}",
    "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\xc3\xa9\"}",
    "{\"a\":[[[[[[[1]]]]]]]}",  /* depth 8 */
    "{\"a\":{\"x\":1},\"b\":{\"x\":2}}",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (accepted); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) obj = NULL;

    obj = p2p_json_parse_object (accepted[i], strlen (accepted[i]), &error);
    g_assert_no_error (error);
    g_assert_nonnull (obj);
  }
}

static void
test_values (void)
{
  const gchar *text = "{\"type\":\"hello\",\"s\":\"\\u00e9\\ud83d\\ude00\"}";
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = NULL;

  obj = p2p_json_parse_object (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (obj, "type"), ==, "hello");
  g_assert_cmpstr (json_object_get_string_member (obj, "s"), ==,
      "\xc3\xa9\xf0\x9f\x98\x80");
}

/* Only @len bytes are read: what follows in memory does not count. */
static void
test_not_terminated (void)
{
  const gchar text[] = "{\"a\":1}{\"b\":2}";
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = NULL;

  obj = p2p_json_parse_object (text, 7, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_has_member (obj, "a"));
  g_assert_false (json_object_has_member (obj, "b"));
}

/* An empty GBytes gives a NULL pointer: refused, without pointer
 * arithmetic on NULL (UBSan in the asan setup). */
static void
test_empty_null (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = NULL;

  obj = p2p_json_parse_object (NULL, 0, &error);
  g_assert_null (obj);
  g_assert_error (error, P2P_JSON_ERROR, P2P_JSON_ERROR_SYNTAX);
}

static void
test_deep (void)
{
  GString *s = g_string_new ("{\"a\":");
  g_autoptr (GError) error = NULL;
  guint i;

  /* Far deeper than a recursive parser's stack allows. */
  for (i = 0; i < 100000; i++)
    g_string_append_c (s, '[');
  g_assert_null (p2p_json_parse_object_full (s->str, s->len, G_MAXSIZE,
          P2P_JSON_MAX_DEPTH, &error));
  g_assert_error (error, P2P_JSON_ERROR, P2P_JSON_ERROR_TOO_DEEP);
  g_string_free (s, TRUE);
}

static void
test_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = NULL;
  gchar *big = g_malloc (P2P_JSON_MAX_SIZE + 1);

  /* {"a":"xxxx…"} exactly one byte too long */
  memset (big, 'x', P2P_JSON_MAX_SIZE + 1);
  memcpy (big, "{\"a\":\"", 6);
  memcpy (big + P2P_JSON_MAX_SIZE - 1, "\"}", 2);
  g_assert_null (p2p_json_parse_object (big, P2P_JSON_MAX_SIZE + 1, &error));
  g_assert_error (error, P2P_JSON_ERROR, P2P_JSON_ERROR_TOO_LARGE);
  g_clear_error (&error);

  memcpy (big + P2P_JSON_MAX_SIZE - 2, "\"}", 2);
  obj = p2p_json_parse_object (big, P2P_JSON_MAX_SIZE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (obj);
  g_free (big);

  g_assert_null (p2p_json_parse_object_full ("{\"a\":[]}", 8, 64, 1, &error));
  g_assert_error (error, P2P_JSON_ERROR, P2P_JSON_ERROR_TOO_DEEP);
  g_clear_error (&error);
  g_assert_null (p2p_json_parse_object_full ("{ }", 3, 2, 1, &error));
  g_assert_error (error, P2P_JSON_ERROR, P2P_JSON_ERROR_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/json/refused", test_refused);
  g_test_add_func ("/p2p/json/accepted", test_accepted);
  g_test_add_func ("/p2p/json/values", test_values);
  g_test_add_func ("/p2p/json/not-terminated", test_not_terminated);
  g_test_add_func ("/p2p/json/empty-null", test_empty_null);
  g_test_add_func ("/p2p/json/deep", test_deep);
  g_test_add_func ("/p2p/json/limits", test_limits);
  return g_test_run ();
}
