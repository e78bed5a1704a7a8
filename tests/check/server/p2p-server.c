/* p2p-server tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The real p2p-server process on loopback, driven by a bare WebSocket
 * client so that the tests can send exactly what an attacker would. Each
 * test gets a fresh registry, a provisioned device and its own server on a
 * port chosen by the OS. */

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <p2p-core/p2p-identity.h>

#include "harness.h"
#include "postgres.h"

typedef struct
{
  gchar *dir;
  gchar *registry;
  gchar *uid;
  gchar *key;
  HarnessServer *server;
} Fixture;

static const gchar *const default_args[] = {
  "--turn-secret=testsecret",
  "--turn-urls=turn:127.0.0.1:3478?transport=udp",
  "--turn-urls=turns:127.0.0.1:5349?transport=tcp",
  "--stun-urls=stun:127.0.0.1:3478",
  "--servers=ws://rv1.test",
  NULL
};

static const gchar *const limit_args[] = {
  "--address-rate=0.01", "--address-burst=6",
  "--uid-connect-rate=0.01", "--uid-connect-burst=2",
  "--max-calls=1", NULL
};

/* The server checks time-outs once a second, so a quiet client is pinged
 * up to two seconds after its last frame; an idle-timeout of 2 s could
 * close a client that answers every ping. 4 s leaves a second of slack on
 * a loaded machine. */
static const gchar *const timeout_args[] = {
  "--handshake-timeout=1", "--ping-interval=1", "--idle-timeout=4", NULL
};

static const gchar *const no_server[] = { NULL };

static HarnessServer *
start_server (const gchar * registry, const gchar * const *args)
{
  /* Up to 8 extra arguments are enough for every test here. */
  const gchar *a[9] = { NULL };
  guint i;

  for (i = 0; args && args[i] && i < 8; i++)
    a[i] = args[i];
  return harness_server_start (registry, a[0], a[1], a[2], a[3], a[4], a[5],
      a[6], a[7], NULL);
}

static void
setup (Fixture * f, gconstpointer data)
{
  const gchar *const *args = data;
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("p2p-server-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->registry = harness_registry_new (f->dir);
  f->uid = harness_add_device (f->dir, f->registry, "cam");
  f->key = g_build_filename (f->dir, "cam.pem", NULL);
  if (args != no_server)
    f->server = start_server (f->registry, args ? args : default_args);
}

static void
remove_dir (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    g_unlink (child);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
teardown (Fixture * f, gconstpointer data)
{
  if (f->server) {
    g_assert_cmpint (harness_server_stop (f->server), ==, 0);
    harness_server_free (f->server);
  }
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->registry);
  g_free (f->uid);
  g_free (f->key);
}

static HarnessClient *
viewer (const gchar * url)
{
  HarnessClient *c = harness_client_connect (url);
  g_autoptr (JsonObject) welcome = NULL;

  harness_client_send (c, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"viewer\",\"id\":\"v\"}");
  welcome = harness_client_expect (c, "welcome");
  g_assert_cmpstr (json_object_get_string_member (welcome, "id"), ==, "v");
  return c;
}

/* A call's TURN credential: coturn REST scheme, named after the call. */
static void
check_turn (JsonObject * msg, const gchar * uid, const gchar * call,
    const gchar * party)
{
  JsonArray *ice = json_object_get_array_member (msg, "ice_servers");
  JsonObject *turn = json_array_get_object_element (ice, 0);
  const gchar *username = json_object_get_string_member (turn, "username");
  g_autofree gchar *suffix = g_strdup_printf (":%s:%s:%s", uid, call, party);
  g_autoptr (GHmac) hmac = NULL;
  g_autofree gchar *expected = NULL;
  gint64 expiry;
  gchar *end;
  guint8 digest[20];
  gsize len = sizeof (digest);

  g_assert_cmpuint (json_array_get_length (ice), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (turn,
              "urls")), ==, 2);
  g_assert_cmpint (json_object_get_int_member (turn, "ttl"), ==, 21600);
  expiry = g_ascii_strtoll (username, &end, 10);
  g_assert_cmpstr (end, ==, suffix);
  g_assert_cmpint (expiry, >, g_get_real_time () / G_USEC_PER_SEC + 21000);
  g_assert_cmpint (expiry, <=, g_get_real_time () / G_USEC_PER_SEC + 21600);
  hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) "testsecret", 10);
  g_hmac_update (hmac, (const guchar *) username, strlen (username));
  g_hmac_get_digest (hmac, digest, &len);
  expected = g_base64_encode (digest, len);
  g_assert_cmpstr (json_object_get_string_member (turn, "credential"), ==,
      expected);
}

/* Connects @v to @uid and checks both ends; returns the call id. */
static gchar *
call_device (HarnessClient * v, HarnessClient * d, const gchar * uid,
    const gchar * key)
{
  g_autoptr (JsonObject) connected = NULL;
  g_autoptr (JsonObject) incoming = NULL;
  g_autoptr (P2pIdentity) id = p2p_identity_new_from_file (key, NULL);

  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\",\"id\":3}",
      uid);
  connected = harness_client_expect (v, "connected");
  g_assert_cmpint (json_object_get_int_member (connected, "id"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (connected, "uid"), ==, uid);
  g_assert_true (p2p_fingerprint_equal (json_object_get_string_member
          (connected, "device_fingerprint"),
          p2p_identity_get_fingerprint (id)));
  incoming = harness_client_expect (d, "incoming");
  g_assert_cmpstr (json_object_get_string_member (incoming, "call"), ==,
      json_object_get_string_member (connected, "call"));
  g_assert_cmpstr (json_object_get_string_member (incoming, "address"), ==,
      "127.0.0.1");
  if (json_array_get_length (json_object_get_array_member (connected,
              "ice_servers")) > 0) {
    check_turn (connected, uid, json_object_get_string_member (connected,
            "call"), "viewer");
    check_turn (incoming, uid, json_object_get_string_member (connected,
            "call"), "device");
  }
  return g_strdup (json_object_get_string_member (connected, "call"));
}

static void
expect_pong (HarnessClient * c)
{
  g_autoptr (JsonObject) pong = NULL;

  harness_client_send (c, "{\"type\":\"ping\",\"id\":99}");
  pong = harness_client_expect (c, "pong");
  g_assert_cmpint (json_object_get_int_member (pong, "id"), ==, 99);
}

static void
test_login (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonObject) welcome = NULL;
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      &welcome);
  JsonArray *ice = json_object_get_array_member (welcome, "ice_servers");
  JsonObject *stun = json_array_get_object_element (ice, 0);

  /* TURN credentials come with calls only. */
  g_assert_cmpuint (json_array_get_length (ice), ==, 1);
  g_assert_false (json_object_has_member (stun, "username"));
  g_assert_false (json_object_has_member (stun, "credential"));
  g_assert_cmpstr (json_array_get_string_element
      (json_object_get_array_member (stun, "urls"), 0), ==,
      "stun:127.0.0.1:3478");
  g_assert_cmpstr (json_array_get_string_element
      (json_object_get_array_member (welcome, "servers"), 0), ==,
      "ws://rv1.test");
  g_assert_cmpint (json_object_get_int_member (welcome, "ping_interval"), ==,
      30);
  expect_pong (d);
  harness_client_free (d);
}

static void
exchange (HarnessClient * from, HarnessClient * to, const gchar * call,
    const gchar * type, const gchar * field, const gchar * value)
{
  g_autoptr (JsonObject) got = NULL;
  g_autofree gchar *unescaped = g_strcompress (value);

  harness_client_sendf (from, "{\"type\":\"%s\",\"call\":\"%s\","
      "\"%s\":\"%s\",\"extra\":\"dropped\"}", type, call, field, value);
  got = harness_client_expect (to, type);
  g_assert_cmpstr (json_object_get_string_member (got, "call"), ==, call);
  g_assert_cmpstr (json_object_get_string_member (got, field), ==, unescaped);
  g_assert_false (json_object_has_member (got, "extra"));
}

static void
test_call (Fixture * f, gconstpointer data)
{
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *v = viewer (f->server->url);
  HarnessClient *other = viewer (f->server->url);
  g_autofree gchar *call = call_device (v, d, f->uid, f->key);
  g_autofree gchar *call2 = NULL;
  g_autoptr (JsonObject) end = NULL;
  guint i;

  exchange (d, v, call, "offer", "sdp", "v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n"
      "a=setup:actpass\\r\\n");
  exchange (v, d, call, "answer", "sdp", "v=0\\r\\na=setup:active\\r\\n");

  /* Trickled candidates, sent back to back, arrive in order. */
  for (i = 0; i < 5; i++)
    harness_client_sendf (d, "{\"type\":\"candidate\",\"call\":\"%s\","
        "\"candidate\":\"candidate:%u 1 UDP 2122252543 127.0.0.1 %u typ host\","
        "\"mid\":\"0\"}", call, i, 40000 + i);
  harness_client_sendf (d, "{\"type\":\"candidate\",\"call\":\"%s\","
      "\"candidate\":\"\"}", call);
  for (i = 0; i < 5; i++) {
    g_autoptr (JsonObject) c = harness_client_expect (v, "candidate");
    g_autofree gchar *want =
        g_strdup_printf ("candidate:%u 1 UDP 2122252543 127.0.0.1 %u typ host",
        i, 40000 + i);

    g_assert_cmpstr (json_object_get_string_member (c, "candidate"), ==, want);
    g_assert_cmpstr (json_object_get_string_member (c, "mid"), ==, "0");
  }
  {
    g_autoptr (JsonObject) c = harness_client_expect (v, "candidate");

    g_assert_cmpstr (json_object_get_string_member (c, "candidate"), ==, "");
  }
  exchange (v, d, call, "candidate", "candidate",
      "candidate:9 1 UDP 1 127.0.0.1 5000 typ host");

  /* Wrong direction, bad candidate, someone else's call: refused, and the
   * call goes on. */
  harness_client_sendf (v, "{\"type\":\"offer\",\"call\":\"%s\","
      "\"sdp\":\"v=0\"}", call);
  harness_client_expect_error (v, "bad-state");
  harness_client_sendf (v, "{\"type\":\"candidate\",\"call\":\"%s\","
      "\"candidate\":\"a=evil\"}", call);
  harness_client_expect_error (v, "bad-field");
  harness_client_sendf (other, "{\"type\":\"candidate\",\"call\":\"%s\","
      "\"candidate\":\"\"}", call);
  harness_client_expect_error (other, "unknown-call");
  exchange (d, v, call, "candidate", "candidate", "");

  harness_client_sendf (v, "{\"type\":\"end\",\"call\":\"%s\","
      "\"reason\":\"bye\"}", call);
  end = harness_client_expect (d, "end");
  g_assert_cmpstr (json_object_get_string_member (end, "reason"), ==, "bye");
  harness_client_sendf (d, "{\"type\":\"candidate\",\"call\":\"%s\","
      "\"candidate\":\"\"}", call);
  harness_client_expect_error (d, "unknown-call");

  /* A viewer that goes away ends its call on the device. */
  call2 = call_device (other, d, f->uid, f->key);
  harness_client_free (other);
  g_clear_pointer (&end, json_object_unref);
  end = harness_client_expect (d, "end");
  g_assert_cmpstr (json_object_get_string_member (end, "call"), ==, call2);
  g_assert_cmpstr (json_object_get_string_member (end, "reason"), ==,
      "peer-gone");

  harness_client_free (v);
  harness_client_free (d);
}

/* A key for the same UID that the registry does not know. */
static gchar *
rogue_key (Fixture * f)
{
  g_autofree gchar *other_registry = g_build_filename (f->dir, "other.db",
      NULL);
  g_autofree gchar *uid = harness_add_device (f->dir, other_registry,
      "rogue");

  return g_build_filename (f->dir, "rogue.pem", NULL);
}

static void
test_hijack (Fixture * f, gconstpointer data)
{
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *rogue = harness_client_connect (f->server->url);
  g_autofree gchar *key = rogue_key (f);
  g_autoptr (JsonObject) challenge = NULL;
  g_autofree gchar *sig = NULL;
  g_autofree gchar *call = NULL;
  const gchar *nonce;
  HarnessClient *v;

  harness_client_sendf (rogue, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"device\",\"uid\":\"%s\"}", f->uid);
  challenge = harness_client_expect (rogue, "challenge");
  nonce = json_object_get_string_member (challenge, "nonce");
  sig = harness_sign (key, HARNESS_SERVER_ID, f->uid, nonce);
  harness_client_sendf (rogue, "{\"type\":\"auth\",\"nonce\":\"%s\","
      "\"signature\":\"%s\"}", nonce, sig);
  harness_client_expect_error (rogue, "bad-signature");
  harness_client_expect_closed (rogue);
  g_assert_cmpint (rogue->close_code, ==, 1008);

  /* The real device is still the one that gets the calls. */
  v = viewer (f->server->url);
  call = call_device (v, d, f->uid, f->key);
  g_assert_false (d->closed);
  g_assert_null (g_queue_peek_head (&d->messages));

  harness_client_free (v);
  harness_client_free (rogue);
  harness_client_free (d);
}

/* Opens a connection, sends @hello (unless %NULL), then an auth with
 * @nonce (the fresh challenge's when %NULL) and @sig, and expects the
 * connection refused with @code. */
static void
refused_auth (Fixture * f, const gchar * hello, const gchar * nonce,
    const gchar * sig, const gchar * code)
{
  HarnessClient *c = harness_client_connect (f->server->url);
  g_autoptr (JsonObject) challenge = NULL;

  if (hello) {
    harness_client_send (c, hello);
    challenge = harness_client_expect (c, "challenge");
    g_assert_cmpstr (json_object_get_string_member (challenge, "nonce"), !=,
        nonce);
  }
  harness_client_sendf (c, "{\"type\":\"auth\",\"nonce\":\"%s\","
      "\"signature\":\"%s\"}",
      nonce ? nonce : json_object_get_string_member (challenge, "nonce"), sig);
  harness_client_expect_error (c, code);
  harness_client_expect_closed (c);
  g_assert_cmpint (c->close_code, ==, 1008);
  harness_client_free (c);
}

static void
test_nonce (Fixture * f, gconstpointer data)
{
  HarnessClient *first = harness_client_connect (f->server->url);
  g_autoptr (JsonObject) ch1 = NULL;
  g_autoptr (JsonObject) w = NULL;
  g_autofree gchar *nonce1 = NULL;
  g_autofree gchar *sig1 = NULL;
  g_autofree gchar *hello = g_strdup_printf ("{\"type\":\"hello\","
      "\"version\":1,\"role\":\"device\",\"uid\":\"%s\"}", f->uid);

  harness_client_send (first, hello);
  ch1 = harness_client_expect (first, "challenge");
  nonce1 = g_strdup (json_object_get_string_member (ch1, "nonce"));
  sig1 = harness_sign (f->key, HARNESS_SERVER_ID, f->uid, nonce1);
  harness_client_sendf (first, "{\"type\":\"auth\",\"nonce\":\"%s\","
      "\"signature\":\"%s\"}", nonce1, sig1);
  w = harness_client_expect (first, "welcome");

  /* A captured auth replayed on a new connection. */
  refused_auth (f, hello, nonce1, sig1, "replayed-nonce");
  /* The right nonce with the old signature. */
  refused_auth (f, hello, NULL, sig1, "bad-signature");
  /* A nonce the server never issued. */
  refused_auth (f, hello, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", sig1,
      "bad-nonce");
  /* auth without hello. */
  refused_auth (f, NULL, nonce1, sig1, "bad-state");

  /* None of that disturbed the device. */
  g_assert_false (first->closed);
  expect_pong (first);
  harness_client_free (first);
}

static void
test_malformed (Fixture * f, gconstpointer data)
{
  static const struct
  {
    const gchar *frame;
    const gchar *code;
  } cases[] = {
    {"not json", "bad-json"},
    {"[1,2]", "bad-json"},
    {"{\"type\":\"ping\",\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}", "too-deep"},
    {"{\"type\":\"frobnicate\"}", "unknown-type"},
    {"{\"kind\":\"ping\"}", "unknown-type"},
    {"{\"type\":7}", "unknown-type"},
    {"{\"type\":\"connect\"}", "missing-field"},
    {"{\"type\":\"connect\",\"uid\":5}", "bad-field"},
    {"{\"type\":\"connect\",\"uid\":\"ABCD-EFGH\"}", "bad-uid"},
    {"{\"type\":\"offer\",\"call\":\"short\",\"sdp\":\"v=0\"}", "bad-field"},
    {"{\"type\":\"offer\",\"sdp\":\"v=0\"}", "missing-field"},
    {"{\"type\":\"ping\",\"id\":{}}", "bad-field"},
    {"{\"type\":\"ping\",\"id\":-1}", "bad-field"},
    {"{\"type\":\"hello\",\"version\":1,\"role\":\"viewer\"}", "bad-state"},
    {"{\"type\":\"auth\",\"nonce\":\"x\",\"signature\":\"y\"}", "bad-state"},
  };
  HarnessClient *v = viewer (f->server->url);
  HarnessClient *c;
  GString *big;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    harness_client_send (v, cases[i].frame);
    harness_client_expect_error (v, cases[i].code);
  }
  soup_websocket_connection_send_binary (v->ws, "{}", 2);
  harness_client_expect_error (v, "bad-json");
  /* After welcome these do not close: the client can go on. */
  expect_pong (v);

  big = g_string_new ("{\"type\":\"ping\",\"pad\":\"");
  while (big->len < 100 * 1024)
    g_string_append (big, "xxxxxxxxxxxxxxxx");
  g_string_append (big, "\"}");
  harness_client_send (v, big->str);
  g_string_free (big, TRUE);
  harness_client_expect_error (v, "too-large");
  harness_client_expect_closed (v);
  g_assert_cmpint (v->close_code, ==, 1009);
  harness_client_free (v);

  /* Before welcome a malformed message ends the connection. */
  c = harness_client_connect (f->server->url);
  harness_client_send (c, "{\"type\":\"hello\",\"role\":\"viewer\"}");
  harness_client_expect_error (c, "missing-field");
  harness_client_expect_closed (c);
  harness_client_free (c);
  c = harness_client_connect (f->server->url);
  harness_client_send (c, "{\"type\":\"hello\",\"version\":2,"
      "\"role\":\"viewer\"}");
  harness_client_expect_error (c, "bad-version");
  harness_client_expect_closed (c);
  harness_client_free (c);
  c = harness_client_connect (f->server->url);
  harness_client_send (c, "{\"type\":\"hello\",\"version\":\"1\","
      "\"role\":\"viewer\"}");
  harness_client_expect_error (c, "bad-field");
  harness_client_expect_closed (c);
  harness_client_free (c);

  /* And the server still serves everyone else. */
  c = harness_device_login (f->server->url, f->uid, f->key, NULL);
  expect_pong (c);
  harness_client_free (c);
}

static void
test_revoke (Fixture * f, gconstpointer data)
{
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *v = viewer (f->server->url);
  g_autoptr (JsonObject) challenge = NULL;
  g_autofree gchar *sig = NULL;
  const gchar *nonce;

  g_assert_cmpint (harness_run_uid (NULL, f->registry, "revoke", f->uid,
          NULL), ==, 0);
  /* The device logged in is thrown out, not only refused next time. */
  harness_client_expect_error (d, "revoked");
  harness_client_expect_closed (d);
  g_assert_cmpuint (d->close_code, ==, 1008);
  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\"}", f->uid);
  harness_client_expect_error (v, "revoked");
  harness_client_free (d);

  d = harness_client_connect (f->server->url);
  harness_client_sendf (d, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"device\",\"uid\":\"%s\"}", f->uid);
  challenge = harness_client_expect (d, "challenge");
  nonce = json_object_get_string_member (challenge, "nonce");
  sig = harness_sign (f->key, HARNESS_SERVER_ID, f->uid, nonce);
  harness_client_sendf (d, "{\"type\":\"auth\",\"nonce\":\"%s\","
      "\"signature\":\"%s\"}", nonce, sig);
  harness_client_expect_error (d, "revoked");
  harness_client_expect_closed (d);
  harness_client_free (d);
  harness_client_free (v);
}

static void
test_offline (Fixture * f, gconstpointer data)
{
  HarnessClient *v = viewer (f->server->url);
  g_autofree gchar *other_registry = g_build_filename (f->dir, "other.db",
      NULL);
  g_autofree gchar *stranger = harness_add_device (f->dir, other_registry,
      "stranger");
  g_autofree gchar *lower = g_ascii_strdown (f->uid, -1);

  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\",\"id\":5}",
      f->uid);
  harness_client_expect_error (v, "device-offline");
  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\"}", stranger);
  harness_client_expect_error (v, "unknown-uid");
  /* UIDs are case-insensitive. */
  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\"}", lower);
  harness_client_expect_error (v, "device-offline");
  expect_pong (v);
  harness_client_free (v);
}

static void
test_limits (Fixture * f, gconstpointer data)
{
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *v = viewer (f->server->url);
  HarnessClient *v2, *v3;
  g_autofree gchar *call = call_device (v, d, f->uid, f->key);
  g_autoptr (JsonObject) err = NULL;

  /* max-calls=1 */
  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\"}", f->uid);
  harness_client_expect_error (v, "busy");
  /* uid-connect-burst=2 */
  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\",\"id\":8}",
      f->uid);
  err = harness_client_expect (v, "error");
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==,
      "rate-limited");
  g_assert_cmpint (json_object_get_int_member (err, "ref"), ==, 8);
  g_assert_cmpint (json_object_get_int_member (err, "retry_after"), >=, 1);
  expect_pong (v);

  /* address-burst=6: device hello, viewer hello, three connects, one more
   * hello; the next is refused. */
  v2 = viewer (f->server->url);
  v3 = harness_client_connect (f->server->url);
  harness_client_send (v3, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"viewer\"}");
  harness_client_expect_error (v3, "rate-limited");
  harness_client_expect_closed (v3);

  /* The established ones are unaffected. */
  expect_pong (d);
  expect_pong (v2);
  harness_client_free (v3);
  harness_client_free (v2);
  harness_client_free (v);
  harness_client_free (d);
}

/* A connection that never logs in is closed after handshake-timeout; one
 * that answers pings (libsoup does) stays open past idle-timeout. */
static void
test_timeouts (Fixture * f, gconstpointer data)
{
  HarnessClient *v = viewer (f->server->url);
  guint i;

  for (i = 0; i < 3; i++) {
    HarnessClient *silent = harness_client_connect (f->server->url);

    harness_client_expect_error (silent, "timeout");
    harness_client_expect_closed (silent);
    harness_client_free (silent);
  }
  g_assert_false (v->closed);
  expect_pong (v);
  harness_client_free (v);
}

static void
test_reboot (Fixture * f, gconstpointer data)
{
  HarnessClient *old = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *v = viewer (f->server->url);
  g_autofree gchar *call = call_device (v, old, f->uid, f->key);
  g_autofree gchar *call2 = NULL;
  g_autoptr (JsonObject) end = NULL;
  HarnessClient *fresh;

  /* A valid second login replaces the first (the device rebooted). */
  fresh = harness_device_login (f->server->url, f->uid, f->key, NULL);
  harness_client_expect_error (old, "replaced");
  harness_client_expect_closed (old);
  end = harness_client_expect (v, "end");
  g_assert_cmpstr (json_object_get_string_member (end, "reason"), ==,
      "replaced");
  call2 = call_device (v, fresh, f->uid, f->key);
  harness_client_free (old);
  harness_client_free (fresh);
  harness_client_free (v);
}

static JsonArray *
lookup (const gchar * url, const gchar * uid)
{
  HarnessClient *c = harness_client_connect (url);
  g_autoptr (JsonObject) reply = NULL;
  JsonArray *servers;

  harness_client_sendf (c, "{\"type\":\"lookup\",\"uid\":\"%s\",\"id\":7}",
      uid);
  reply = harness_client_expect (c, "servers");
  g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, 7);
  servers = json_array_ref (json_object_get_array_member (reply, "servers"));
  harness_client_free (c);
  return servers;
}

static void
test_master (Fixture * f, gconstpointer data)
{
  HarnessServer *a = harness_server_start (f->registry, "--role=rendezvous",
      NULL);
  HarnessServer *b = harness_server_start (f->registry, "--role=rendezvous",
      NULL);
  g_autofree gchar *sa = g_strdup_printf ("--servers=%s", a->url);
  g_autofree gchar *sb = g_strdup_printf ("--servers=%s", b->url);
  HarnessServer *m = harness_server_start (f->registry, "--role=master", sa,
      sb, NULL);
  g_autoptr (JsonArray) list = lookup (m->url, f->uid);
  g_autoptr (JsonArray) again = NULL;
  const gchar *first, *second;
  HarnessServer *first_server;
  HarnessClient *c, *d, *v;
  g_autofree gchar *call = NULL;
  g_autofree gchar *call2 = NULL;

  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  first = json_array_get_string_element (list, 0);
  second = json_array_get_string_element (list, 1);
  g_assert_true ((g_str_equal (first, a->url) && g_str_equal (second, b->url))
      || (g_str_equal (first, b->url) && g_str_equal (second, a->url)));
  first_server = g_str_equal (first, a->url) ? a : b;

  /* Each role refuses the other's requests. */
  c = harness_client_connect (m->url);
  harness_client_send (c, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"viewer\"}");
  harness_client_expect_error (c, "wrong-role");
  harness_client_free (c);
  c = harness_client_connect (a->url);
  harness_client_sendf (c, "{\"type\":\"lookup\",\"uid\":\"%s\"}", f->uid);
  harness_client_expect_error (c, "wrong-role");
  harness_client_free (c);

  d = harness_device_login (first, f->uid, f->key, NULL);
  v = viewer (first);
  call = call_device (v, d, f->uid, f->key);

  /* The first server stops: both clients are told (their call is not
   * ended: its media does not need the server), and fail over. */
  g_assert_cmpint (harness_server_stop (first_server), ==, 0);
  harness_client_expect_error (v, "shutting-down");
  harness_client_expect_closed (v);
  harness_client_expect_error (d, "shutting-down");
  harness_client_expect_closed (d);
  harness_client_free (d);
  harness_client_free (v);

  again = lookup (m->url, f->uid);
  g_assert_cmpstr (json_array_get_string_element (again, 0), ==, first);
  g_assert_null (harness_client_try_connect (first));
  d = harness_device_login (second, f->uid, f->key, NULL);
  g_assert_null (harness_client_try_connect (first));
  v = viewer (second);
  call2 = call_device (v, d, f->uid, f->key);
  harness_client_free (d);
  harness_client_free (v);

  g_assert_cmpint (harness_server_stop (m), ==, 0);
  g_assert_cmpint (harness_server_stop (first_server == a ? b : a), ==, 0);
  harness_server_free (a);
  harness_server_free (b);
  harness_server_free (m);
}

static const gchar *const admission_args[] = {
  "--device-login-rate=0.1", "--device-login-burst=2", NULL
};

/* A hello refused by the admission rate; returns its retry_after. */
static gint64
deferred_hello (const gchar * url, const gchar * uid)
{
  HarnessClient *c = harness_client_connect (url);
  g_autoptr (JsonObject) error = NULL;
  gint64 retry_after;

  harness_client_sendf (c, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"device\",\"uid\":\"%s\"}", uid);
  error = harness_client_expect (c, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==,
      "rate-limited");
  retry_after = json_object_get_int_member (error, "retry_after");
  harness_client_free (c);
  return retry_after;
}

/* The server-wide device admission: past its burst, devices are told to
 * come back later, each a slot (1/rate) after the one before, so that a
 * login storm after a restart returns spread out. Viewers are not held. */
static void
test_admission (Fixture * f, gconstpointer data)
{
  g_autofree gchar *uid2 = harness_add_device (f->dir, f->registry, "cam2");
  g_autofree gchar *key2 = g_build_filename (f->dir, "cam2.pem", NULL);
  HarnessClient *d1 = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *d2 = harness_device_login (f->server->url, uid2, key2, NULL);
  HarnessClient *v;
  gint64 first, second;

  first = deferred_hello (f->server->url, f->uid);
  second = deferred_hello (f->server->url, uid2);
  g_assert_cmpint (first, >=, 9);
  g_assert_cmpint (second, >=, first + 9);
  v = viewer (f->server->url);
  harness_client_free (v);
  harness_client_free (d2);
  harness_client_free (d1);
}

/* ---- attacks (issue 9); meson suite "security" ---- */

static const gchar *const security_args[] = {
  "--turn-secret=testsecret",
  "--turn-urls=turn:127.0.0.1:3478?transport=udp",
  "--turn-urls=turns:127.0.0.1:5349?transport=tcp",
  "--stun-urls=stun:127.0.0.1:3478",
  "--max-connections-per-address=6",
  "--max-buffered-per-address=65536",
  "--call-timeout=2",
  NULL
};

static HarnessClient *
viewer_from (const gchar * url, const gchar * source)
{
  HarnessClient *c = harness_client_try_connect_from (url, source);
  g_autoptr (JsonObject) welcome = NULL;

  g_assert_nonnull (c);
  harness_client_send (c, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"viewer\"}");
  welcome = harness_client_expect (c, "welcome");
  return c;
}

/* A bare hello gets STUN only: a relay is for calls (finding 5). */
static void
test_turn_bare_hello (Fixture * f, gconstpointer data)
{
  HarnessClient *v = harness_client_connect (f->server->url);
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  g_autoptr (JsonObject) welcome = NULL;
  g_autoptr (JsonObject) connected = NULL;
  g_autoptr (JsonObject) incoming = NULL;
  const gchar *call;
  JsonArray *ice;
  guint i;

  harness_client_send (v, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"viewer\"}");
  welcome = harness_client_expect (v, "welcome");
  ice = json_object_get_array_member (welcome, "ice_servers");
  for (i = 0; i < json_array_get_length (ice); i++) {
    JsonObject *server = json_array_get_object_element (ice, i);

    g_assert_false (json_object_has_member (server, "username"));
    g_assert_false (json_object_has_member (server, "credential"));
  }
  /* A call brings credentials for it to both parties. */
  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\"}", f->uid);
  connected = harness_client_expect (v, "connected");
  incoming = harness_client_expect (d, "incoming");
  call = json_object_get_string_member (connected, "call");
  check_turn (connected, f->uid, call, "viewer");
  check_turn (incoming, f->uid, call, "device");
  harness_client_free (v);
  harness_client_free (d);
}

/* Device hellos for a UID from 8 other addresses cost that UID nothing:
 * the device still logs in at once. Failed signatures cost their own
 * address only (finding 3). */
static void
test_hello_flood (Fixture * f, gconstpointer data)
{
  HarnessClient *flood[8 * 4], *d, *bad;
  g_autoptr (JsonObject) challenge = NULL;
  gint64 start;
  guint i;

  /* 32 hellos for the UID, 4 from each address, left unanswered: the
   * challenged connections stay open while the device logs in. */
  for (i = 0; i < G_N_ELEMENTS (flood); i++) {
    g_autofree gchar *source = g_strdup_printf ("127.0.0.%u", 2 + i / 4);
    g_autoptr (JsonObject) reply = NULL;

    flood[i] = harness_client_try_connect_from (f->server->url, source);
    g_assert_nonnull (flood[i]);
    harness_client_sendf (flood[i], "{\"type\":\"hello\",\"version\":1,"
        "\"role\":\"device\",\"uid\":\"%s\"}", f->uid);
    reply = harness_client_expect (flood[i], "challenge");
  }
  start = g_get_monotonic_time ();
  d = harness_device_login (f->server->url, f->uid, f->key, NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  harness_client_free (d);
  for (i = 0; i < G_N_ELEMENTS (flood); i++)
    harness_client_free (flood[i]);

  /* login-failure-burst=5 wrong signatures from 127.0.0.2, then that
   * address is refused; the device, elsewhere, is not. */
  for (i = 0; i < 5; i++) {
    bad = harness_client_try_connect_from (f->server->url, "127.0.0.2");
    harness_client_sendf (bad, "{\"type\":\"hello\",\"version\":1,"
        "\"role\":\"device\",\"uid\":\"%s\"}", f->uid);
    challenge = harness_client_expect (bad, "challenge");
    harness_client_sendf (bad, "{\"type\":\"auth\",\"nonce\":\"%s\","
        "\"signature\":\"AAAA\"}",
        json_object_get_string_member (challenge, "nonce"));
    harness_client_expect_error (bad, "bad-signature");
    g_clear_pointer (&challenge, json_object_unref);
    harness_client_free (bad);
  }
  bad = harness_client_try_connect_from (f->server->url, "127.0.0.2");
  harness_client_sendf (bad, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"device\",\"uid\":\"%s\"}", f->uid);
  harness_client_expect_error (bad, "rate-limited");
  harness_client_free (bad);
  d = harness_device_login (f->server->url, f->uid, f->key, NULL);
  harness_client_free (d);
}

/* One connection, or one address, cannot hold a camera's call slots with
 * unanswered connects; those it holds expire (finding 3). */
static void
test_slot_holding (Fixture * f, gconstpointer data)
{
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *attacker = viewer_from (f->server->url, "127.0.0.2");
  HarnessClient *second = viewer_from (f->server->url, "127.0.0.2");
  HarnessClient *v = viewer_from (f->server->url, "127.0.0.3");
  g_autoptr (JsonObject) connected = NULL;
  g_autoptr (JsonObject) incoming = NULL;
  g_autoptr (JsonObject) end = NULL;
  guint i;

  harness_client_sendf (attacker, "{\"type\":\"connect\",\"uid\":\"%s\"}",
      f->uid);
  connected = harness_client_expect (attacker, "connected");
  incoming = harness_client_expect (d, "incoming");
  for (i = 0; i < 3; i++) {
    harness_client_sendf (attacker, "{\"type\":\"connect\",\"uid\":\"%s\"}",
        f->uid);
    harness_client_expect_error (attacker, "busy");
  }
  harness_client_sendf (second, "{\"type\":\"connect\",\"uid\":\"%s\"}",
      f->uid);
  harness_client_expect_error (second, "busy");
  g_clear_pointer (&connected, json_object_unref);
  g_clear_pointer (&incoming, json_object_unref);

  /* The viewer with the password is not kept out. */
  harness_client_sendf (v, "{\"type\":\"connect\",\"uid\":\"%s\"}", f->uid);
  connected = harness_client_expect (v, "connected");
  incoming = harness_client_expect (d, "incoming");

  /* call-timeout=2: the unanswered calls end. */
  end = harness_client_expect (attacker, "end");
  g_assert_cmpstr (json_object_get_string_member (end, "reason"), ==,
      "timeout");
  harness_client_free (second);
  harness_client_free (attacker);
  harness_client_free (v);
  harness_client_free (d);
}

/* max-connections-per-address=6: the 7th half-open connection of an
 * address is refused, another address is still served (finding 4). */
static void
test_connection_cap (Fixture * f, gconstpointer data)
{
  HarnessClient *held[6], *extra, *other;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (held); i++) {
    held[i] = harness_client_try_connect_from (f->server->url, "127.0.0.2");
    g_assert_nonnull (held[i]);
  }
  extra = harness_client_try_connect_from (f->server->url, "127.0.0.2");
  g_assert_nonnull (extra);
  harness_client_expect_error (extra, "overloaded");
  harness_client_expect_closed (extra);
  harness_client_free (extra);

  other = viewer_from (f->server->url, "127.0.0.3");
  expect_pong (other);
  harness_client_free (other);

  /* A closed connection frees its place. */
  harness_client_free (held[0]);
  held[0] = viewer_from (f->server->url, "127.0.0.2");
  for (i = 0; i < G_N_ELEMENTS (held); i++)
    harness_client_free (held[i]);
}

/* A raw connection that sends @sent bytes of a @total-byte text frame. */
static GSocketConnection *
partial_frame (gint port, const gchar * source, gsize total, gsize sent)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) local =
      g_inet_socket_address_new_from_string (source, 0);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *request = NULL;
  g_autofree guint8 *frame = NULL;
  GSocketConnection *conn;
  GString *reply = g_string_new (NULL);
  gchar buf[512];
  gsize i;

  g_socket_client_set_local_address (client, local);
  g_socket_client_set_timeout (client, HARNESS_WAIT_MS / 1000);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: p2p-signalling-1\r\n\r\n", port);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
          (conn)), request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while (!strstr (reply->str, "\r\n\r\n")) {
    gssize n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM
            (conn)), buf, sizeof (buf), NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (n, >, 0);
    g_string_append_len (reply, buf, n);
  }
  g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 101"));
  g_string_free (reply, TRUE);

  /* FIN, text; masked, 64-bit length; a zero mask keeps the text as is. */
  frame = g_malloc0 (14 + sent);
  frame[0] = 0x81;
  frame[1] = 0x80 | 127;
  for (i = 0; i < 8; i++)
    frame[2 + i] = (guint64) total >> (56 - 8 * i);
  memset (frame + 14, 'x', sent);
  memcpy (frame + 14, "{\"type\":\"ping\",\"pad\":\"", 22);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
          (conn)), frame, 14 + sent, NULL, NULL, &error);
  g_assert_no_error (error);
  return conn;
}

/* Whether the server sent an error with @code and closed, within the
 * deadline. */
static gboolean
refused_with (GSocketConnection * conn, const gchar * code)
{
  GSocket *socket = g_socket_connection_get_socket (conn);
  GString *got = g_string_new (NULL);
  gboolean found;
  gchar buf[1024];
  gssize n;

  g_socket_set_timeout (socket, HARNESS_WAIT_MS / 1000);
  while ((n = g_socket_receive (socket, buf, sizeof (buf), NULL, NULL)) > 0)
    g_string_append_len (got, buf, n);
  found = g_strstr_len (got->str, got->len, code) != NULL;
  g_string_free (got, TRUE);
  return found;
}

/* max-buffered-per-address=65536: partial messages of one address are
 * bounded together, not only each (finding 4). */
static void
test_buffered_cap (Fixture * f, gconstpointer data)
{
  GSocketConnection *first, *second;
  HarnessClient *other = viewer_from (f->server->url, "127.0.0.3");
  GString *big = g_string_new ("{\"type\":\"ping\",\"id\":5,\"pad\":\"");
  g_autoptr (JsonObject) pong = NULL;

  first = partial_frame (f->server->port, "127.0.0.2", 60000, 40000);
  second = partial_frame (f->server->port, "127.0.0.2", 60000, 40000);
  /* Which of the two crosses the line depends on the order the server
   * read them in. */
  g_assert_true (refused_with (second, "overloaded")
      || refused_with (first, "overloaded"));

  /* Another address can still send a message that large. */
  while (big->len < 50000)
    g_string_append (big, "xxxxxxxxxxxxxxxx");
  g_string_append (big, "\"}");
  harness_client_send (other, big->str);
  pong = harness_client_expect (other, "pong");
  g_string_free (big, TRUE);
  harness_client_free (other);
  g_object_unref (first);
  g_object_unref (second);
}

/* SIGTERM with a call up: both parties are told the server is going and
 * closed with 1001, but nobody gets an `end`: the call's media runs
 * between the peers and must outlive its signalling server (issue 15: a
 * graceful restart cut every stream, a SIGKILL none). */
static void
test_drain_keeps_calls (Fixture * f, gconstpointer data)
{
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *v = viewer (f->server->url);
  g_autofree gchar *call = call_device (v, d, f->uid, f->key);

  exchange (d, v, call, "offer", "sdp", "v=0\\r\\n");
  /* Waiting for the exit here: a second SIGTERM (the teardown's) could
   * reach a server whose signal handlers are already gone. */
  g_assert_cmpint (harness_server_stop (f->server), ==, 0);
  harness_client_expect_error (d, "shutting-down");
  harness_client_expect_error (v, "shutting-down");
  harness_client_expect_closed (d);
  harness_client_expect_closed (v);
  g_assert_cmpuint (d->close_code, ==, 1001);
  g_assert_cmpuint (v->close_code, ==, 1001);
  g_assert_true (g_queue_is_empty (&d->messages));
  g_assert_true (g_queue_is_empty (&v->messages));
  harness_client_free (v);
  harness_client_free (d);
}

/* GET http://127.0.0.1:@port@path; returns the body, sets @status. */
static gchar *
admin_get (gint port, const gchar * path, guint * status)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout",
      HARNESS_WAIT_MS / 1000, NULL);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%d%s", port,
      path);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read (session, msg, NULL,
      &error);

  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static const gchar *const admin_args[] = { "--admin-port=0", NULL };

/* The admin port, from the "admin on" line after "listening on". */
static gint
read_admin_port (HarnessServer * server)
{
  g_autofree gchar *line = NULL;
  gboolean timed_out;
  gint port;

  line = harness_read_line (server->out, HARNESS_WAIT_MS, &timed_out);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "admin on 127.0.0.1:"));
  port = atoi (line + strlen ("admin on 127.0.0.1:"));
  g_assert_cmpint (port, >, 0);
  return port;
}

/* The admin port: Prometheus text that counts what happened, a health
 * check, and nothing else. */
static void
test_admin (Fixture * f, gconstpointer data)
{
  HarnessClient *d = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *v = viewer (f->server->url);
  g_autofree gchar *call = call_device (v, d, f->uid, f->key);
  g_autofree gchar *metrics = NULL;
  g_autofree gchar *health = NULL;
  g_autofree gchar *other = NULL;
  gint port = read_admin_port (f->server);
  guint status;

  metrics = admin_get (port, "/metrics", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (metrics, "# TYPE p2p_server_devices gauge\n"
          "p2p_server_devices 1\n"));
  g_assert_nonnull (strstr (metrics, "\np2p_server_viewers 1\n"));
  g_assert_nonnull (strstr (metrics, "\np2p_server_calls 1\n"));
  g_assert_nonnull (strstr (metrics, "\np2p_server_logins_total 1\n"));
  g_assert_nonnull (strstr (metrics, "\np2p_server_connections 2\n"));
  g_assert_nonnull (strstr (metrics, "\nprocess_resident_memory_bytes "));
  health = admin_get (port, "/health", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (health, ==, "ok\n");
  other = admin_get (port, "/registry.db", &status);
  g_assert_cmpuint (status, ==, 404);
  harness_client_free (v);
  harness_client_free (d);
}

/* Whether another listener can take 127.0.0.2:@port: only when the
 * server's listener on @port is bound to 127.0.0.1 alone. */
static gboolean
other_loopback_free (gint port)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GError) error = NULL;

  socket = harness_tcp_bind ("127.0.0.2", port, &error);
  if (socket && g_socket_listen (socket, &error))
    return TRUE;
  g_test_message ("127.0.0.2:%d: %s", port, error->message);
  return FALSE;
}

/* --listen=127.0.0.1 and the admin port's 127.0.0.1 hold: lws 4.1 put an
 * IPv4 address on an IPv6 socket wrongly and listened on every address of
 * the host, the admin port's metrics too. */
static void
test_listen_address (Fixture * f, gconstpointer data)
{
  g_assert_true (other_loopback_free (f->server->port));
  g_assert_true (other_loopback_free (read_admin_port (f->server)));
}

/* Two servers on one registry, the device logged in on both and in a
 * call on the first: a revocation reaches both (PostgreSQL: NOTIFY;
 * SQLite: each server's once-a-second look), the call ends for the
 * viewer. */
static void
test_revoke_everywhere (Fixture * f, gconstpointer data)
{
  HarnessServer *other = harness_server_start (f->registry, NULL, NULL);
  HarnessClient *d1 = harness_device_login (f->server->url, f->uid, f->key,
      NULL);
  HarnessClient *d2 = harness_device_login (other->url, f->uid, f->key,
      NULL);
  HarnessClient *v = viewer (f->server->url);
  g_autofree gchar *call = call_device (v, d1, f->uid, f->key);
  g_autoptr (JsonObject) end = NULL;
  gint64 start;

  start = g_get_monotonic_time ();
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "revoke", f->uid,
          NULL), ==, 0);
  harness_client_expect_error (d1, "revoked");
  harness_client_expect_error (d2, "revoked");
  g_test_message ("revocation reached both servers %" G_GINT64_FORMAT
      " ms after p2p-uid started (%s)", (g_get_monotonic_time () - start) /
      1000, harness_registry_backend ());
  harness_client_expect_closed (d1);
  harness_client_expect_closed (d2);
  end = harness_client_expect (v, "end");
  g_assert_cmpstr (json_object_get_string_member (end, "call"), ==, call);
  g_assert_cmpstr (json_object_get_string_member (end, "reason"), ==,
      "revoked");
  harness_client_free (d1);
  harness_client_free (d2);
  harness_client_free (v);
  g_assert_cmpint (harness_server_stop (other), ==, 0);
  harness_server_free (other);
}

/* A registry read that hangs holds up only the request it serves. The
 * test puts a view in place of the devices table whose filter, on one
 * UID, waits for an advisory lock the test holds: the login of that
 * device hangs in the database; meanwhile another device logs in, a
 * viewer's call to it is brokered and pings are answered (all stalled
 * behind the first login while the server read the registry on its event
 * loop); the first login completes once the lock is let go. */
static void
test_slow_registry (Fixture * f, gconstpointer data)
{
  g_autofree gchar *uid2 = NULL;
  g_autofree gchar *key2 = NULL;
  g_autofree gchar *gate = NULL;
  g_autofree gchar *sig = NULL;
  g_autofree gchar *call = NULL;
  g_autoptr (JsonObject) challenge = NULL;
  g_autoptr (JsonObject) welcome = NULL;
  HarnessClient *d, *d2, *v;
  gpointer sql;

  if (g_strcmp0 (harness_registry_backend (), "postgresql") != 0) {
    g_test_skip ("PostgreSQL only: the test holds a lock in the database");
    return;
  }
  uid2 = harness_add_device (f->dir, f->registry, "cam2");
  key2 = g_build_filename (f->dir, "cam2.pem", NULL);
  sql = harness_sql_connect (f->registry);
  gate = g_strdup_printf ("ALTER TABLE devices RENAME TO devices_stored;"
      "CREATE FUNCTION test_gate (u text) RETURNS boolean AS $$ BEGIN"
      " IF u = '%s' THEN PERFORM pg_advisory_lock_shared (4242);"
      " PERFORM pg_advisory_unlock_shared (4242); END IF; RETURN true; END"
      " $$ LANGUAGE plpgsql COST 10000;"
      "CREATE VIEW devices AS SELECT * FROM devices_stored"
      " WHERE test_gate (uid);" "SELECT pg_advisory_lock (4242)", f->uid);
  harness_sql_exec (sql, gate);

  d = harness_client_connect (f->server->url);
  harness_client_sendf (d, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"device\",\"uid\":\"%s\"}", f->uid);
  challenge = harness_client_expect (d, "challenge");
  sig = harness_sign (f->key, HARNESS_SERVER_ID, f->uid,
      json_object_get_string_member (challenge, "nonce"));
  harness_client_sendf (d, "{\"type\":\"auth\",\"nonce\":\"%s\","
      "\"signature\":\"%s\",\"id\":7}",
      json_object_get_string_member (challenge, "nonce"), sig);

  d2 = harness_device_login (f->server->url, uid2, key2, NULL);
  v = viewer (f->server->url);
  call = call_device (v, d2, uid2, key2);
  expect_pong (v);
  expect_pong (d2);
  g_assert_true (g_queue_is_empty (&d->messages));

  harness_sql_exec (sql, "SELECT pg_advisory_unlock (4242)");
  welcome = harness_client_expect (d, "welcome");
  g_assert_cmpint (json_object_get_int_member (welcome, "id"), ==, 7);
  harness_sql_close (sql);
  harness_client_free (d);
  harness_client_free (d2);
  harness_client_free (v);
}

/* registry-read on a hot standby (streaming replication): a device
 * provisioned on the primary after the server started logs in and is
 * called, its lookups served by the standby (the server's reader
 * connections are there), and its revocation still reaches the server at
 * once, from the primary (a standby refuses LISTEN). */
static void
test_read_replica (Fixture * f, gconstpointer data)
{
  g_autofree gchar *replica = NULL;
  g_autofree gchar *read_arg = NULL;
  g_autofree gchar *uid2 = NULL;
  g_autofree gchar *key2 = NULL;
  g_autofree gchar *call = NULL;
  const gchar *args[3] = { NULL };
  HarnessClient *d, *v;
  gpointer standby;

  if (g_strcmp0 (harness_registry_backend (), "postgresql") != 0) {
    g_test_skip ("PostgreSQL only: replicas are PostgreSQL's");
    return;
  }
  replica = harness_registry_replica (f->registry);
  read_arg = g_strdup_printf ("--registry-read=%s", replica);
  args[0] = read_arg;
  args[1] = "--registry-connections=3";
  f->server = start_server (f->registry, args);
  standby = harness_sql_connect (replica);
  g_assert_cmpint (harness_sql_get_int (standby, "SELECT count (*) FROM "
          "pg_stat_activity WHERE datname = current_database () AND "
          "backend_type = 'client backend' AND pid <> pg_backend_pid ()"),
      ==, 3);
  harness_sql_close (standby);

  uid2 = harness_add_device (f->dir, f->registry, "cam2");
  key2 = g_build_filename (f->dir, "cam2.pem", NULL);
  d = harness_device_login (f->server->url, uid2, key2, NULL);
  v = viewer (f->server->url);
  call = call_device (v, d, uid2, key2);
  g_assert_cmpint (harness_run_uid (NULL, f->registry, "revoke", uid2, NULL),
      ==, 0);
  harness_client_expect_error (d, "revoked");
  harness_client_free (d);
  harness_client_free (v);
}

/* A port someone else holds: the server says why and exits 2 rather than
 * announcing "listening" and serving nothing. */
static void
test_port_taken (Fixture * f, gconstpointer data)
{
  g_autoptr (GSocket) holder = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *port = NULL;
  gchar out[4096] = { 0 }, err[4096] = { 0 };

  holder = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (holder, any, TRUE, &error));
  g_assert_true (g_socket_listen (holder, &error));
  bound = g_socket_get_local_address (holder, &error);
  g_assert_no_error (error);
  port = g_strdup_printf ("--port=%u", g_inet_socket_address_get_port
      (G_INET_SOCKET_ADDRESS (bound)));

  launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  server = g_subprocess_launcher_spawn (launcher, &error,
      g_getenv ("P2P_SERVER"), "--listen=127.0.0.1", port,
      "--allow-insecure", "--registry", f->registry, NULL);
  g_assert_no_error (error);
  g_assert_true (harness_wait_exit (server, HARNESS_WAIT_MS));
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 2);
  g_input_stream_read_all (g_subprocess_get_stdout_pipe (server), out,
      sizeof (out) - 1, NULL, NULL, NULL);
  g_input_stream_read_all (g_subprocess_get_stderr_pipe (server), err,
      sizeof (err) - 1, NULL, NULL, NULL);
  g_assert_null (strstr (out, "listening"));
  g_assert_nonnull (strstr (err, "cannot listen on 127.0.0.1:"));
  g_assert_nonnull (strstr (err, "Address already in use"));
}

/* GET http://127.0.0.1:@port/ as any HTTP client would: the status, and
 * the Retry-After header in @retry_after. */
static guint
http_status (gint port, gchar ** retry_after)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout",
      HARNESS_WAIT_MS / 1000, NULL);
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%d/", port);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) body = soup_session_send_and_read (session, msg, NULL,
      NULL);

  *retry_after = g_strdup (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Retry-After"));
  return soup_message_get_status (msg);
}

/* Near its descriptor limit (RLIMIT_NOFILE 80 here) the server refuses
 * new connections at once, on ws:// with a 503 that says when to come
 * back, and goes on serving those it has, and takes new ones again once
 * descriptors are free. At 1b655ee accept() failed with EMFILE, the
 * connection stayed queued and the loop spun on the readable listening
 * socket, logging "accept: errno 24" on every turn; at f5e56d3 the refused
 * connection was closed without an answer. */
static void
test_fd_limit (Fixture * f, gconstpointer data)
{
  g_autofree gchar *log_path = g_build_filename (f->dir, "server.log", NULL);
  HarnessServerOptions options = { 80, log_path };
  g_autoptr (GPtrArray) flood = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GSocketClient) tcp = g_socket_client_new ();
  g_autofree gchar *log = NULL;
  g_autofree gchar *call = NULL;
  g_autofree gchar *retry_after = NULL;
  HarnessClient *d, *v, *late = NULL;
  guint i;

  f->server = harness_server_start_with (&options, f->registry, NULL, NULL);
  d = harness_device_login (f->server->url, f->uid, f->key, NULL);
  v = viewer (f->server->url);
  for (i = 0; i < 100; i++) {
    g_autoptr (GError) error = NULL;
    GSocketConnection *conn = g_socket_client_connect_to_host (tcp,
        "127.0.0.1", f->server->port, NULL, &error);

    g_assert_no_error (error);
    g_ptr_array_add (flood, conn);
  }
  /* Refused at once, not left waiting in the queue. */
  g_assert_null (harness_client_try_connect (f->server->url));
  g_assert_cmpuint (http_status (f->server->port, &retry_after), ==,
      SOUP_STATUS_SERVICE_UNAVAILABLE);
  g_assert_cmpstr (retry_after, ==, "5");
  call = call_device (v, d, f->uid, f->key);
  expect_pong (d);
  expect_pong (v);

  g_ptr_array_set_size (flood, 0);
  for (i = 0; i < 100 && !late; i++)
    late = harness_client_try_connect (f->server->url);
  g_assert_nonnull (late);
  harness_client_free (late);
  harness_client_free (d);
  harness_client_free (v);

  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "event=fd-limit"));
  g_assert_null (strstr (log, "errno 24"));
}

static gint64
server_rss_kib (HarnessServer * server)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%s/status",
      g_subprocess_get_identifier (server->process));
  g_autofree gchar *status = NULL;
  const gchar *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + 6, NULL, 10);
}

/* 300 frames of "1{…60 KB…}" from a welcomed viewer: each is refused
 * before anything is built, and the server does not grow (finding 4:
 * json-glib alone leaked each object: RSS +116 MB at 1b655ee). */
static void
test_trailing_object_frames (Fixture * f, gconstpointer data)
{
  g_autofree gchar *asan = g_strdup (g_getenv ("ASAN_OPTIONS"));
  g_autofree gchar *small = g_strdup_printf ("%s%squarantine_size_mb=1",
      asan ? asan : "", asan ? ":" : "");
  GString *frame = g_string_new ("1{\"type\":\"ping\",\"pad\":[");
  HarnessClient *v;
  gint64 before, after;
  guint i;

  /* Built with AddressSanitizer, the server would keep up to 256 MB of
   * freed memory in quarantine, which RSS counts: keep that small. */
  g_setenv ("ASAN_OPTIONS", small, TRUE);
  f->server = start_server (f->registry, security_args);
  if (asan)
    g_setenv ("ASAN_OPTIONS", asan, TRUE);
  else
    g_unsetenv ("ASAN_OPTIONS");
  v = viewer (f->server->url);
  while (frame->len < 60000)
    g_string_append (frame, "\"xxxxxxxxxxxxxx\",");
  g_string_append (frame, "\"x\"]}");
  expect_pong (v);
  before = server_rss_kib (f->server);
  for (i = 0; i < 300; i++) {
    harness_client_send (v, frame->str);
    harness_client_expect_error (v, "bad-json");
  }
  expect_pong (v);
  after = server_rss_kib (f->server);
  g_test_message ("server RSS %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
      " KiB", before, after);
  g_assert_cmpint (after - before, <, 32 * 1024);
  /* And "{}{}": only one object per message. */
  harness_client_send (v, "{\"type\":\"ping\",\"id\":1}{\"type\":\"ping\"}");
  harness_client_expect_error (v, "bad-json");
  g_string_free (frame, TRUE);
  harness_client_free (v);
}

int
main (int argc, char **argv)
{
  gint status;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn, args) \
  g_test_add ("/server/" path, Fixture, args, setup, fn, teardown)
  ADD ("login/device", test_login, NULL);
  ADD ("login/hijack", test_hijack, NULL);
  ADD ("login/nonce", test_nonce, NULL);
  ADD ("login/reboot", test_reboot, NULL);
  ADD ("login/revoke", test_revoke, NULL);
  ADD ("login/revoke-everywhere", test_revoke_everywhere, NULL);
  ADD ("login/slow-registry", test_slow_registry, NULL);
  ADD ("login/read-replica", test_read_replica, no_server);
  ADD ("call/exchange", test_call, NULL);
  ADD ("call/offline", test_offline, NULL);
  ADD ("input/malformed", test_malformed, NULL);
  ADD ("limits/rate-and-busy", test_limits, limit_args);
  ADD ("limits/timeouts", test_timeouts, timeout_args);
  ADD ("limits/admission", test_admission, admission_args);
  ADD ("master/failover", test_master, no_server);
  ADD ("process/admin", test_admin, admin_args);
  ADD ("process/drain-keeps-calls", test_drain_keeps_calls, NULL);
  ADD ("process/port-taken", test_port_taken, no_server);
  ADD ("process/fd-limit", test_fd_limit, no_server);
  ADD ("security/listen-address", test_listen_address, admin_args);
  ADD ("security/turn-bare-hello", test_turn_bare_hello, security_args);
  ADD ("security/hello-flood", test_hello_flood, security_args);
  ADD ("security/slot-holding", test_slot_holding, security_args);
  ADD ("security/connection-cap", test_connection_cap, security_args);
  ADD ("security/buffered-cap", test_buffered_cap, security_args);
  ADD ("security/trailing-object-frames", test_trailing_object_frames,
      no_server);
#undef ADD

  status = g_test_run ();
  harness_registry_cleanup ();
  return status;
}
