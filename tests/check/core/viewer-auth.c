/* p2p-core viewer login tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The login state machine without transports: messages are handed from
 * one side to the other by the test, which can also drop, reorder, forge
 * or replay them. The same login over real DTLS sessions, with a relay in
 * the middle, is in transport.c. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>

#include "p2p-password-verifier-private.h"
#include "p2p-pbkdf2.h"

#include <openssl/evp.h>

#define UID "7KQ2-M9XD-4HPA-R3WV"
/* Few iterations: the tests run many logins. */
#define ITERATIONS 1000

static GBytes *
exporter (guint8 fill)
{
  guint8 e[P2P_VIEWER_AUTH_EXPORTER_SIZE];

  memset (e, fill, sizeof e);
  return g_bytes_new (e, sizeof e);
}

static P2pPasswordVerifier *
verifier_for (const gchar * password)
{
  g_autoptr (GError) error = NULL;
  P2pPasswordVerifier *v = p2p_password_verifier_new (password, ITERATIONS,
      &error);

  g_assert_no_error (error);
  return v;
}

typedef struct
{
  P2pViewerAuth *camera;
  P2pViewerAuth *viewer;
  GError *camera_error;
  GError *viewer_error;
  GPtrArray *wire;              /* every message, either way */
} Login;

static void
login_clear (Login * l)
{
  g_clear_object (&l->camera);
  g_clear_object (&l->viewer);
  g_clear_error (&l->camera_error);
  g_clear_error (&l->viewer_error);
  g_clear_pointer (&l->wire, g_ptr_array_unref);
}

/* Runs a login to its end: messages go straight across, at most 8. The
 * viewer has @hash, its password hashed ahead, if not %NULL. */
static void
login_run_verifier (Login * l, const P2pPasswordVerifier * v,
    const gchar * viewer_password, guint8 camera_exporter,
    guint8 viewer_exporter, P2pPasswordHash * hash)
{
  g_autoptr (GBytes) ce = exporter (camera_exporter);
  g_autoptr (GBytes) ve = exporter (viewer_exporter);
  GBytes *msg;
  gboolean to_viewer = TRUE;

  memset (l, 0, sizeof *l);
  l->wire = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  l->camera = p2p_viewer_auth_new_camera (UID, v, ce);
  l->viewer = p2p_viewer_auth_new_viewer (UID, viewer_password, ve);
  p2p_viewer_auth_set_password_hash (l->viewer, hash);
  g_assert_null (p2p_viewer_auth_start (l->viewer));
  msg = p2p_viewer_auth_start (l->camera);
  g_assert_nonnull (msg);
  g_assert_null (p2p_viewer_auth_start (l->camera));

  for (guint i = 0; msg && i < 8; i++) {
    GBytes *reply = NULL;

    g_ptr_array_add (l->wire, msg);
    if (to_viewer)
      p2p_viewer_auth_receive (l->viewer, msg, &reply, &l->viewer_error);
    else
      p2p_viewer_auth_receive (l->camera, msg, &reply, &l->camera_error);
    to_viewer = !to_viewer;
    msg = reply;
    /* The camera just answered nothing: it verified the viewer. */
    if (msg == NULL && to_viewer
        && p2p_viewer_auth_get_state (l->camera) ==
        P2P_VIEWER_AUTH_STATE_VERIFIED)
      msg = p2p_viewer_auth_accept (l->camera);
  }
  g_assert_null (msg);
}

static void
login_run (Login * l, const gchar * camera_password,
    const gchar * viewer_password, guint8 camera_exporter,
    guint8 viewer_exporter)
{
  g_autoptr (P2pPasswordVerifier) v = camera_password ?
      verifier_for (camera_password) : NULL;

  login_run_verifier (l, v, viewer_password, camera_exporter,
      viewer_exporter, NULL);
}

/* Both sides agree that the viewer may watch. */
static void
assert_let_in (Login * l)
{
  g_assert_no_error (l->camera_error);
  g_assert_no_error (l->viewer_error);
  g_assert_cmpint (p2p_viewer_auth_get_state (l->camera), ==,
      P2P_VIEWER_AUTH_STATE_ACCEPTED);
  g_assert_cmpint (p2p_viewer_auth_get_state (l->viewer), ==,
      P2P_VIEWER_AUTH_STATE_ACCEPTED);
}

static gboolean
wire_contains (GPtrArray * wire, const guint8 * needle, gsize size)
{
  for (guint i = 0; i < wire->len; i++) {
    gsize n = 0;
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (wire, i), &n);

    for (gsize j = 0; j + size <= n; j++)
      if (memcmp (d + j, needle, size) == 0)
        return TRUE;
  }
  return FALSE;
}

static void
test_right_password (void)
{
  Login l;

  login_run (&l, "correct horse", "correct horse", 1, 1);
  assert_let_in (&l);
  g_assert_true (p2p_viewer_auth_get_attempted (l.camera));
  /* params, auth, verify, confirm, result */
  g_assert_cmpuint (l.wire->len, ==, 5);
  g_assert_false (wire_contains (l.wire, (const guint8 *) "correct horse", 13));
  login_clear (&l);
}

static void
test_wrong_password (void)
{
  Login l;

  /* The camera speaks first, so the viewer notices and stops. */
  login_run (&l, "correct horse", "battery staple", 1, 1);
  g_assert_error (l.viewer_error, P2P_VIEWER_AUTH_ERROR,
      P2P_VIEWER_AUTH_ERROR_CAMERA_NOT_PROVEN);
  g_assert_nonnull (strstr (l.viewer_error->message,
          "did not prove it knows the password"));
  g_assert_cmpint (p2p_viewer_auth_get_state (l.viewer), ==,
      P2P_VIEWER_AUTH_STATE_REFUSED);
  g_assert_cmpint (p2p_viewer_auth_get_state (l.camera), ==,
      P2P_VIEWER_AUTH_STATE_PENDING);
  /* The viewer saw the camera's confirmation: its guess counts. */
  g_assert_true (p2p_viewer_auth_get_attempted (l.camera));
  g_assert_cmpuint (l.wire->len, ==, 3);
  login_clear (&l);
}

#define FORGED "{\"type\":\"auth-confirm\",\"confirm\":" \
  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}"

static void
test_forged_confirm (void)
{
  g_autoptr (GBytes) forged = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GBytes) verdict = NULL;
  g_autoptr (GError) error = NULL;
  Login l;

  /* A viewer that ignores the camera's proof and sends a made-up
   * confirmation is refused with wrong-password. */
  login_run (&l, "correct horse", "battery staple", 1, 1);
  forged = g_bytes_new_static (FORGED, strlen (FORGED));
  g_assert_false (p2p_viewer_auth_receive (l.camera, forged, &reply, &error));
  g_assert_error (error, P2P_VIEWER_AUTH_ERROR,
      P2P_VIEWER_AUTH_ERROR_WRONG_PASSWORD);
  g_assert_nonnull (reply);
  g_assert_nonnull (strstr (g_bytes_get_data (reply, NULL),
          "\"wrong-password\""));
  g_assert_cmpint (p2p_viewer_auth_get_state (l.camera), ==,
      P2P_VIEWER_AUTH_STATE_REFUSED);
  login_clear (&l);
}

static void
test_relay_contexts (void)
{
  Login l;

  /* Same password, but each side on its own DTLS session: a relay. */
  login_run (&l, "correct horse", "correct horse", 1, 2);
  g_assert_error (l.viewer_error, P2P_VIEWER_AUTH_ERROR,
      P2P_VIEWER_AUTH_ERROR_CAMERA_NOT_PROVEN);
  g_assert_cmpint (p2p_viewer_auth_get_state (l.camera), !=,
      P2P_VIEWER_AUTH_STATE_ACCEPTED);
  login_clear (&l);
}

static void
test_no_password (void)
{
  Login l;

  login_run (&l, NULL, NULL, 1, 1);
  g_assert_no_error (l.viewer_error);
  g_assert_cmpint (p2p_viewer_auth_get_state (l.viewer), ==,
      P2P_VIEWER_AUTH_STATE_ACCEPTED);
  g_assert_false (p2p_viewer_auth_get_attempted (l.camera));
  login_clear (&l);

  /* A viewer with a password refuses a peer that asks for none. */
  login_run (&l, NULL, "correct horse", 1, 1);
  g_assert_error (l.viewer_error, P2P_VIEWER_AUTH_ERROR,
      P2P_VIEWER_AUTH_ERROR_NO_PASSWORD_ASKED);
  g_assert_cmpuint (l.wire->len, ==, 1);
  login_clear (&l);

  login_run (&l, "correct horse", NULL, 1, 1);
  g_assert_error (l.viewer_error, P2P_VIEWER_AUTH_ERROR,
      P2P_VIEWER_AUTH_ERROR_PASSWORD_REQUIRED);
  login_clear (&l);
}

/* A camera with a password, started, and the verdict on @text. */
static void
assert_camera_refuses (const gchar * text, gboolean started)
{
  g_autoptr (P2pPasswordVerifier) v = verifier_for ("GOOD");
  g_autoptr (GBytes) e = exporter (1);
  g_autoptr (P2pViewerAuth) camera = p2p_viewer_auth_new_camera (UID, v, e);
  g_autoptr (GBytes) params = started ? p2p_viewer_auth_start (camera) : NULL;
  g_autoptr (GBytes) msg = g_bytes_new (text, strlen (text));
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  g_test_message ("camera gets: %.80s", text);
  g_assert_false (p2p_viewer_auth_receive (camera, msg, &reply, &error));
  g_assert_error (error, P2P_VIEWER_AUTH_ERROR, P2P_VIEWER_AUTH_ERROR_PROTOCOL);
  g_assert_nonnull (reply);
  g_assert_nonnull (strstr (g_bytes_get_data (reply, NULL), "\"bad-request\""));
  g_assert_null (strstr (g_bytes_get_data (reply, NULL), "GOOD"));
  g_assert_cmpint (p2p_viewer_auth_get_state (camera), ==,
      P2P_VIEWER_AUTH_STATE_REFUSED);
  g_assert_false (p2p_viewer_auth_get_attempted (camera));
}

static void
test_malformed (void)
{
  g_autofree gchar *big = NULL;
  const gchar *bad[] = {
    /* The old login: a password in clear is not an answer. */
    "{\"type\":\"auth\",\"version\":1,\"password\":\"GOOD\"}",
    "{\"type\":\"auth\",\"version\":1,\"password\":\"GOOD\\u0000junk\"}",
    "1{\"type\":\"auth\",\"version\":1}",
    "{\"type\":\"auth\",\"version\":1}{}",
    "{\"type\":\"auth\",\"version\":2,\"share\":\"\"}",
    "{\"type\":\"auth\",\"version\":\"1\"}",
    "{\"type\":\"auth\",\"version\":1,\"share\":\"BA==\"}",
    /* 65 bytes of valid base64 that are not a point */
    "{\"type\":\"auth\",\"version\":1,\"share\":\"BAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"}",
    /* the same with a character base64 decoders skip */
    "{\"type\":\"auth\",\"version\":1,\"share\":\"BAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*A==\"}",
    "{\"type\":\"auth\",\"version\":1,\"share\":7}",
    "{\"type\":\"auth-confirm\",\"confirm\":\"AAAA\"}",
    "{\"type\":\"auth-result\",\"result\":\"ok\"}",
    "{\"version\":1}",
    "[]",
    "",
    "{\"type\":\"auth\",\"type\":\"auth\",\"version\":1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_camera_refuses (bad[i], TRUE);
  /* Before the camera sent its parameters nothing is expected. */
  assert_camera_refuses ("{\"type\":\"auth\",\"version\":1}", FALSE);
  /* Bounded: longer than P2P_VIEWER_AUTH_MAX_MESSAGE. */
  big = g_strdup_printf ("{\"type\":\"auth\",\"version\":1,\"x\":\"%0*d\"}",
      P2P_VIEWER_AUTH_MAX_MESSAGE, 0);
  assert_camera_refuses (big, TRUE);
}

static void
test_replay_and_order (void)
{
  g_autoptr (P2pPasswordVerifier) v = verifier_for ("GOOD");
  g_autoptr (GBytes) e = exporter (1);
  g_autoptr (P2pViewerAuth) camera = p2p_viewer_auth_new_camera (UID, v, e);
  g_autoptr (P2pViewerAuth) viewer = p2p_viewer_auth_new_viewer (UID, "GOOD",
      e);
  g_autoptr (GBytes) params = p2p_viewer_auth_start (camera);
  g_autoptr (GBytes) auth = NULL;
  g_autoptr (GBytes) verify = NULL;
  g_autoptr (GBytes) confirm = NULL;
  g_autoptr (GBytes) ok = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  /* The viewer refuses a verification before its parameters... */
  {
    g_autoptr (P2pViewerAuth) early = p2p_viewer_auth_new_viewer (UID,
        "GOOD", e);
    g_autoptr (GBytes) msg = g_bytes_new_static ("{\"type\":\"auth-verify\"}",
        22);

    g_assert_false (p2p_viewer_auth_receive (early, msg, &reply, &error));
    g_assert_error (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_PROTOCOL);
    g_assert_null (reply);
    g_clear_error (&error);
  }

  g_assert_true (p2p_viewer_auth_receive (viewer, params, &auth, &error));
  g_assert_no_error (error);
  g_assert_true (p2p_viewer_auth_receive (camera, auth, &verify, &error));
  g_assert_no_error (error);
  /* ... and a second set of parameters. */
  g_assert_false (p2p_viewer_auth_receive (viewer, params, &reply, &error));
  g_assert_error (error, P2P_VIEWER_AUTH_ERROR, P2P_VIEWER_AUTH_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* A replayed share is a second attempt: the camera ends the login. */
  g_assert_false (p2p_viewer_auth_receive (camera, auth, &reply, &error));
  g_assert_error (error, P2P_VIEWER_AUTH_ERROR, P2P_VIEWER_AUTH_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_nonnull (reply);
  g_assert_cmpint (p2p_viewer_auth_get_state (camera), ==,
      P2P_VIEWER_AUTH_STATE_REFUSED);
  g_clear_pointer (&reply, g_bytes_unref);
  /* Nothing is accepted after that, not even the right confirmation. */
  g_assert_null (p2p_viewer_auth_accept (camera));
  g_assert_null (p2p_viewer_auth_refuse (camera, "busy", NULL, 0));
}

static void
test_after_accept (void)
{
  g_autoptr (GBytes) again = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  Login l;

  login_run (&l, "GOOD", "GOOD", 1, 1);
  g_assert_cmpint (p2p_viewer_auth_get_state (l.camera), ==,
      P2P_VIEWER_AUTH_STATE_ACCEPTED);
  /* A second attempt in the same session ends it. */
  again = g_bytes_ref (g_ptr_array_index (l.wire, 1));
  g_assert_false (p2p_viewer_auth_receive (l.camera, again, &reply, &error));
  g_assert_error (error, P2P_VIEWER_AUTH_ERROR, P2P_VIEWER_AUTH_ERROR_PROTOCOL);
  g_assert_cmpint (p2p_viewer_auth_get_state (l.camera), ==,
      P2P_VIEWER_AUTH_STATE_REFUSED);
  login_clear (&l);
}

static void
test_refusals (void)
{
  struct
  {
    const gchar *reason;
    guint retry_after_ms;
    gint code;
  } cases[] = {
    {P2P_VIEWER_AUTH_REASON_RETRY_LATER, 4000,
        P2P_VIEWER_AUTH_ERROR_RETRY_LATER},
    {P2P_VIEWER_AUTH_REASON_BUSY, 0, P2P_VIEWER_AUTH_ERROR_BUSY},
    {P2P_VIEWER_AUTH_REASON_TIMEOUT, 0, P2P_VIEWER_AUTH_ERROR_REFUSED},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GBytes) e = exporter (1);
    g_autoptr (P2pViewerAuth) camera = p2p_viewer_auth_new_camera (UID, NULL,
        e);
    g_autoptr (P2pViewerAuth) viewer = p2p_viewer_auth_new_viewer (UID,
        "GOOD", e);
    g_autoptr (GBytes) msg = p2p_viewer_auth_refuse (camera, cases[i].reason,
        "no", cases[i].retry_after_ms);
    g_autoptr (GError) error = NULL;

    g_assert_nonnull (msg);
    g_assert_false (p2p_viewer_auth_receive (viewer, msg, NULL, &error));
    g_assert_error (error, P2P_VIEWER_AUTH_ERROR, cases[i].code);
    g_assert_cmpuint (p2p_viewer_auth_get_retry_after (viewer), ==,
        cases[i].retry_after_ms);
  }
}

static void
test_verifier_format (void)
{
  g_autoptr (P2pPasswordVerifier) v = verifier_for ("GOOD");
  g_autoptr (P2pPasswordVerifier) parsed = NULL;
  g_autoptr (P2pPasswordVerifier) from_password = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = p2p_password_verifier_to_string (v);
  g_autofree gchar *again = NULL;
  g_autofree gchar *padded = g_strdup_printf ("  %s\n", text);
  const gchar *bad[] = {
    "spake2plus-p256$1000$AAAA$AAAA$AAAA",
    "spake2plus-p256$999$",
    "spake2plus-p256$",
  };

  g_assert_true (g_str_has_prefix (text, "spake2plus-p256$1000$"));
  parsed = p2p_password_verifier_parse (padded, &error);
  g_assert_no_error (error);
  again = p2p_password_verifier_to_string (parsed);
  g_assert_cmpstr (again, ==, text);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_null (p2p_password_verifier_parse (bad[i], &error));
    g_assert_error (error, P2P_VIEWER_AUTH_ERROR,
        P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER);
    g_clear_error (&error);
  }
  /* Each field broken in turn: iterations, salt, w0 (zero), L (a byte
   * changed, so off the curve). */
  {
    g_auto (GStrv) parts = g_strsplit (text, "$", -1);
    g_autofree gchar *w0_zero = g_base64_encode ((const guchar *)
        "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32);
    gchar *orig;

    g_assert_cmpuint (g_strv_length (parts), ==, 5);
    for (guint field = 1; field < 5; field++) {
      g_autofree gchar *broken = NULL;

      orig = parts[field];
      switch (field) {
        case 1:
          parts[field] = g_strdup ("3000000");
          break;
        case 2:
          parts[field] = g_strdup ("c2hvcnQ=");
          break;
        case 3:
          parts[field] = g_strdup (w0_zero);
          break;
        default:
          parts[field] = g_strdup (orig);
          parts[field][10] = parts[field][10] == 'A' ? 'B' : 'A';
          break;
      }
      broken = g_strjoinv ("$", parts);
      g_free (parts[field]);
      parts[field] = orig;
      g_assert_null (p2p_password_verifier_parse (broken, &error));
      g_assert_error (error, P2P_VIEWER_AUTH_ERROR,
          P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER);
      g_clear_error (&error);
    }
  }

  g_assert_null (p2p_password_verifier_parse ("pbkdf2-sha256$100000$"
          "AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
          &error));
  g_assert_error (error, P2P_VIEWER_AUTH_ERROR,
      P2P_VIEWER_AUTH_ERROR_BAD_VERIFIER);
  g_assert_nonnull (strstr (error->message, "p2p-uid passwd"));
  g_clear_error (&error);

  /* A plain password is hashed at once, with the default work factor. */
  from_password = p2p_password_verifier_parse ("GOOD\n", &error);
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  text = p2p_password_verifier_to_string (from_password);
  g_assert_true (g_str_has_prefix (text, "spake2plus-p256$100000$"));
  g_assert_null (strstr (text, "GOOD"));
}

static void
test_backoff (void)
{
  g_autoptr (P2pAuthBackoff) b = p2p_auth_backoff_new (1000, 60000, 8);
  gint64 t = 1000 * G_USEC_PER_SEC;
  guint expected = 1000;

  /* An address without failures may run logins in parallel (viewers
   * behind one NAT). */
  g_assert_cmpuint (p2p_auth_backoff_begin (b, "192.0.2.7", t), ==, 0);
  g_assert_cmpuint (p2p_auth_backoff_begin (b, "192.0.2.7", t), ==, 0);
  p2p_auth_backoff_end (b, "192.0.2.7", FALSE, t);
  p2p_auth_backoff_end (b, "192.0.2.7", FALSE, t);

  /* Failures from one address: 1 s, 2 s, 4 s, ... up to 60 s. */
  for (guint i = 0; i < 10; i++) {
    g_assert_cmpuint (p2p_auth_backoff_begin (b, "192.0.2.7", t), ==, 0);
    /* Once it failed, one login from it at a time. */
    if (i > 0)
      g_assert_cmpuint (p2p_auth_backoff_begin (b, "192.0.2.7", t), >, 0);
    p2p_auth_backoff_end (b, "192.0.2.7", TRUE, t);
    g_assert_cmpuint (p2p_auth_backoff_begin (b, "192.0.2.7", t), ==, expected);
    /* Another address is not slowed. */
    g_assert_cmpuint (p2p_auth_backoff_begin (b, "198.51.100.1", t), ==, 0);
    p2p_auth_backoff_end (b, "198.51.100.1", FALSE, t);
    t += (gint64) expected *1000;
    expected = MIN (expected * 2, 60000);
  }
  g_assert_cmpuint (expected, ==, 60000);

  /* A success clears the count. */
  g_assert_cmpuint (p2p_auth_backoff_begin (b, "192.0.2.7", t), ==, 0);
  p2p_auth_backoff_end (b, "192.0.2.7", FALSE, t);
  g_assert_cmpuint (p2p_auth_backoff_begin (b, "192.0.2.7", t), ==, 0);
  p2p_auth_backoff_end (b, "192.0.2.7", TRUE, t);
  g_assert_cmpuint (p2p_auth_backoff_begin (b, "192.0.2.7", t), ==, 1000);

  /* Bounded: 100 addresses leave at most 8 entries. */
  for (guint i = 0; i < 100; i++) {
    g_autofree gchar *addr = g_strdup_printf ("203.0.113.%u", i);

    if (p2p_auth_backoff_begin (b, addr, t) == 0)
      p2p_auth_backoff_end (b, addr, TRUE, t);
  }
  g_assert_cmpuint (p2p_auth_backoff_get_size (b), <=, 8);
}

/* A viewer hashes its password ahead with the salt and iteration count the
 * offer announced. The offer passes through the server, which may change
 * them: the viewer must then hash again with the parameters the camera
 * sent inside DTLS, and send nothing made from the forged ones (a share
 * made from them would fail the camera's check: the login would end
 * with wrong-password). */
static void
test_password_hash_ahead (void)
{
  static const gchar *const malformed[] = {
    "", "spake2plus-p256 100000",
    "spake2plus-p256  100000 AAAAAAAAAAAAAAAAAAAAAA==",
    "spake2plus-p384 100000 AAAAAAAAAAAAAAAAAAAAAA==",
    "spake2plus-p256 999 AAAAAAAAAAAAAAAAAAAAAA==",
    "spake2plus-p256 2000001 AAAAAAAAAAAAAAAAAAAAAA==",
    "spake2plus-p256 100000 AAAAAAAAAAAAAAAAAAAA",
    "spake2plus-p256 100000 AAAAAAAAAAAAAAAAAAAAAB==",
    "spake2plus-p256 100000 AAAAAAAAAAAAAAAAAAAAAA== x",
  };
  g_autoptr (P2pPasswordVerifier) v = verifier_for ("correct horse");
  g_autofree gchar *params = p2p_password_verifier_get_params (v);
  g_autofree gchar *salt = g_base64_encode (v->salt, v->salt_size);
  g_autofree gchar *expected = NULL;
  g_autofree gchar *fake_salt = NULL;
  g_autofree gchar *other_salt = NULL;
  g_autofree gchar *other_count = NULL;
  const gchar *forged[2];
  guint8 fake[P2P_PASSWORD_VERIFIER_SALT_SIZE];
  Login l;

  expected = g_strdup_printf ("spake2plus-p256 %u %s", ITERATIONS, salt);
  g_assert_cmpstr (params, ==, expected);
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    g_assert_null (p2p_password_hash_start ("correct horse", malformed[i]));
  g_assert_null (p2p_password_hash_start ("correct horse", NULL));

  /* The camera's own parameters: the hash made ahead is the one used. */
  {
    g_autoptr (P2pPasswordHash) hash = p2p_password_hash_start
        ("correct horse", params);

    g_assert_nonnull (hash);
    login_run_verifier (&l, v, "correct horse", 1, 1, hash);
    assert_let_in (&l);
    g_assert_true (p2p_password_hash_get_used (hash));
    login_clear (&l);
  }

  /* A forged salt, or a forged count: hashed again, and let in. */
  memcpy (fake, v->salt, sizeof fake);
  fake[0] ^= 1;
  fake_salt = g_base64_encode (fake, sizeof fake);
  forged[0] = other_salt = g_strdup_printf ("spake2plus-p256 %u %s",
      ITERATIONS, fake_salt);
  forged[1] = other_count = g_strdup_printf ("spake2plus-p256 %u %s",
      ITERATIONS + 1, salt);
  for (guint i = 0; i < G_N_ELEMENTS (forged); i++) {
    g_autoptr (P2pPasswordHash) hash = p2p_password_hash_start
        ("correct horse", forged[i]);

    g_assert_nonnull (hash);
    login_run_verifier (&l, v, "correct horse", 1, 1, hash);
    assert_let_in (&l);
    g_assert_false (p2p_password_hash_get_used (hash));
    login_clear (&l);
  }
}

static void
check_pbkdf2_vector (const gchar * password, const gchar * salt,
    guint iterations, const gchar * hex)
{
  guint8 out[64];
  g_autofree gchar *got = NULL;

  g_assert_true (p2p_pbkdf2_sha256 ((const guint8 *) password,
          strlen (password), (const guint8 *) salt, strlen (salt), iterations,
          NULL, out, sizeof out));
  got = g_malloc0 (2 * sizeof out + 1);
  for (guint i = 0; i < sizeof out; i++)
    g_snprintf (got + 2 * i, 3, "%02x", out[i]);
  g_assert_cmpstr (got, ==, hex);
}

/* The password hash with its blocks on threads is PBKDF2-HMAC-SHA256:
 * RFC 7914 §11's vectors, and OpenSSL's own for every size the login
 * uses, keys longer than HMAC's block included. */
static void
test_pbkdf2 (void)
{
  static const gsize password_sizes[] = { 1, 21, 64, 65, 1024 };
  static const gsize salt_sizes[] = { 16, 64 };
  static const gsize out_sizes[] = { 1, 32, 33, 80, 96 };
  guint8 password[1024], salt[64], ours[96], theirs[96];
  gint cancel = 1;

  check_pbkdf2_vector ("passwd", "salt", 1,
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  check_pbkdf2_vector ("Password", "NaCl", 80000,
      "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");

  for (guint i = 0; i < sizeof password; i++)
    password[i] = 'a' + i % 26;
  for (guint i = 0; i < sizeof salt; i++)
    salt[i] = i * 7;
  for (guint p = 0; p < G_N_ELEMENTS (password_sizes); p++)
    for (guint s = 0; s < G_N_ELEMENTS (salt_sizes); s++)
      for (guint o = 0; o < G_N_ELEMENTS (out_sizes); o++) {
        g_assert_true (p2p_pbkdf2_sha256 (password, password_sizes[p], salt,
                salt_sizes[s], ITERATIONS, NULL, ours, out_sizes[o]));
        g_assert_cmpint (PKCS5_PBKDF2_HMAC ((const gchar *) password,
                password_sizes[p], salt, salt_sizes[s], ITERATIONS,
                EVP_sha256 (), out_sizes[o], theirs), ==, 1);
        g_assert_cmpmem (ours, out_sizes[o], theirs, out_sizes[o]);
      }

  /* Cancelled: fails, and leaves nothing in the output. */
  memset (ours, 0xaa, sizeof ours);
  g_assert_false (p2p_pbkdf2_sha256 (password, 8, salt, 16, 100000, &cancel,
          ours, 80));
  for (guint i = 0; i < 80; i++)
    g_assert_cmpuint (ours[i], ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/viewer-auth/right-password", test_right_password);
  g_test_add_func ("/p2p/viewer-auth/wrong-password", test_wrong_password);
  g_test_add_func ("/p2p/viewer-auth/forged-confirm", test_forged_confirm);
  g_test_add_func ("/p2p/viewer-auth/relay-contexts", test_relay_contexts);
  g_test_add_func ("/p2p/viewer-auth/no-password", test_no_password);
  g_test_add_func ("/p2p/viewer-auth/malformed", test_malformed);
  g_test_add_func ("/p2p/viewer-auth/replay-and-order", test_replay_and_order);
  g_test_add_func ("/p2p/viewer-auth/after-accept", test_after_accept);
  g_test_add_func ("/p2p/viewer-auth/refusals", test_refusals);
  g_test_add_func ("/p2p/viewer-auth/verifier-format", test_verifier_format);
  g_test_add_func ("/p2p/viewer-auth/backoff", test_backoff);
  g_test_add_func ("/p2p/viewer-auth/pbkdf2", test_pbkdf2);
  g_test_add_func ("/p2p/viewer-auth/password-hash-ahead",
      test_password_hash_ahead);
  return g_test_run ();
}
