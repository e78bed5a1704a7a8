/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-viewer-auth
 * @title: P2pViewerAuth
 * @short_description: the viewer login, SPAKE2+ bound to the DTLS session
 *
 * The camera decides who may watch, end to end over the transport's
 * message channel. A #P2pViewerAuth is one side of one login: feed it each
 * message received with p2p_viewer_auth_receive() and send the replies it
 * returns. It knows nothing of transports, so it can be tested and used
 * from any binding; docs/viewer-auth.md specifies the messages.
 *
 * The login is SPAKE2+ (RFC 9383, P-256, SHA-256): the viewer proves the
 * password without sending it, the camera proves it holds the password's
 * verifier, and the transcript's Context holds this DTLS session's exporter
 * value (#P2P_VIEWER_AUTH_EXPORTER_LABEL). A party that terminates two DTLS
 * sessions and relays the messages between them therefore fails on both
 * ends, and a peer that is not the camera gets one online guess per
 * session, nothing to guess offline with.
 *
 * One attempt per object: any message out of order, or a second attempt,
 * ends the login.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-viewer-auth.h"
#include "p2p-json.h"
#include "p2p-password-verifier-private.h"
#include "p2p-spake2plus.h"

#include <string.h>
#include <openssl/crypto.h>

#define AUTH_VERSION 1
#define METHOD_SPAKE2PLUS "spake2plus-p256"
#define METHOD_NONE "none"
#define CONTEXT_PREFIX "gst-p2p viewer-auth v1"
#define ID_PROVER "p2p-viewer"
#define MAX_REASON 32
#define MAX_TEXT 256
#define MAX_RETRY_AFTER_MS (3600 * 1000)

G_DEFINE_QUARK (p2p_viewer_auth_error, p2p_viewer_auth_error);

typedef enum
{
  STEP_NEW,                     /* camera: auth-params not sent yet */
  STEP_WAIT_PARAMS,             /* viewer */
  STEP_WAIT_AUTH,               /* camera */
  STEP_WAIT_VERIFY,             /* viewer */
  STEP_WAIT_CONFIRM,            /* camera */
  STEP_WAIT_RESULT,             /* viewer */
  STEP_DONE,
} Step;

struct _P2pViewerAuth
{
  GObject parent;

  GMutex lock;
  gboolean camera;
  gchar *uid;
  P2pPasswordVerifier *verifier;        /* camera; NULL: no password */
  gchar *password;              /* viewer; NULL: none */
  P2pPasswordHash *hash;        /* viewer: computed ahead, unchecked */
  guint8 exporter[P2P_VIEWER_AUTH_EXPORTER_SIZE];
  Step step;
  P2pViewerAuthState state;
  P2pSpake2Plus *pake;
  gboolean attempted;
  guint retry_after_ms;
};

G_DEFINE_TYPE (P2pViewerAuth, p2p_viewer_auth, G_TYPE_OBJECT);

static void
p2p_viewer_auth_finalize (GObject * object)
{
  P2pViewerAuth *self = P2P_VIEWER_AUTH (object);

  g_free (self->uid);
  p2p_password_verifier_free (self->verifier);
  if (self->password) {
    OPENSSL_cleanse (self->password, strlen (self->password));
    g_free (self->password);
  }
  if (self->hash) {
    p2p_password_hash_cancel (self->hash);
    p2p_password_hash_unref (self->hash);
  }
  p2p_spake2plus_free (self->pake);
  OPENSSL_cleanse (self->exporter, sizeof self->exporter);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (p2p_viewer_auth_parent_class)->finalize (object);
}

static void
p2p_viewer_auth_class_init (P2pViewerAuthClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = p2p_viewer_auth_finalize;
}

static void
p2p_viewer_auth_init (P2pViewerAuth * self)
{
  g_mutex_init (&self->lock);
}

static P2pViewerAuth *
auth_new (const gchar * uid, GBytes * exporter, gboolean camera)
{
  P2pViewerAuth *self;

  g_return_val_if_fail (uid != NULL && uid[0] != '\0', NULL);
  g_return_val_if_fail (exporter != NULL, NULL);
  g_return_val_if_fail (g_bytes_get_size (exporter) ==
      P2P_VIEWER_AUTH_EXPORTER_SIZE, NULL);

  self = g_object_new (P2P_TYPE_VIEWER_AUTH, NULL);
  self->camera = camera;
  self->uid = g_strdup (uid);
  memcpy (self->exporter, g_bytes_get_data (exporter, NULL),
      P2P_VIEWER_AUTH_EXPORTER_SIZE);
  self->step = camera ? STEP_NEW : STEP_WAIT_PARAMS;
  return self;
}

/**
 * p2p_viewer_auth_new_camera:
 * @uid: the camera's UID (SPAKE2+ idVerifier)
 * @verifier: (nullable): the password verifier, %NULL to accept every
 *     viewer
 * @exporter: this DTLS session's #P2P_VIEWER_AUTH_EXPORTER_LABEL value,
 *     #P2P_VIEWER_AUTH_EXPORTER_SIZE bytes
 *
 * Returns: (transfer full): the camera side of one login; send what
 *     p2p_viewer_auth_start() returns first
 */
P2pViewerAuth *
p2p_viewer_auth_new_camera (const gchar * uid,
    const P2pPasswordVerifier * verifier, GBytes * exporter)
{
  P2pViewerAuth *self = auth_new (uid, exporter, TRUE);

  if (self)
    self->verifier = p2p_password_verifier_copy (verifier);
  return self;
}

/**
 * p2p_viewer_auth_new_viewer:
 * @uid: the UID of the camera the viewer called
 * @password: (nullable): the password, %NULL for none
 * @exporter: this DTLS session's #P2P_VIEWER_AUTH_EXPORTER_LABEL value,
 *     #P2P_VIEWER_AUTH_EXPORTER_SIZE bytes
 *
 * A viewer with a password refuses a camera that claims to need none.
 *
 * Returns: (transfer full): the viewer side of one login; it waits for the
 *     camera's first message
 */
P2pViewerAuth *
p2p_viewer_auth_new_viewer (const gchar * uid, const gchar * password,
    GBytes * exporter)
{
  P2pViewerAuth *self = auth_new (uid, exporter, FALSE);

  if (self)
    self->password = g_strdup (password);
  return self;
}

/**
 * p2p_viewer_auth_set_password_hash:
 * @self: the viewer side of a login, before the camera's `auth-params`
 * @hash: (nullable): the password hashed ahead from the offer's
 *     parameters
 *
 * Lets the login use @hash instead of hashing the password itself, if and
 * only if the salt and iteration count @hash was made with are those of
 * the camera's `auth-params`, which arrive inside this DTLS session; else
 * @hash is cancelled and the password hashed afresh. Nothing computed from
 * other parameters ever leaves the viewer.
 */
void
p2p_viewer_auth_set_password_hash (P2pViewerAuth * self, P2pPasswordHash * hash)
{
  g_return_if_fail (P2P_IS_VIEWER_AUTH (self));

  g_mutex_lock (&self->lock);
  if (!self->camera && self->step == STEP_WAIT_PARAMS) {
    g_clear_pointer (&self->hash, p2p_password_hash_unref);
    self->hash = hash ? p2p_password_hash_ref (hash) : NULL;
  }
  g_mutex_unlock (&self->lock);
}

/* Messages out. */

static GBytes *
build (JsonBuilder * b)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  gsize len = 0;
  gchar *text;

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  return g_bytes_new_take (text, len);
}

static JsonBuilder *
begin (const gchar * type)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  return b;
}

static void
add_string (JsonBuilder * b, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_int (JsonBuilder * b, const gchar * name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_base64 (JsonBuilder * b, const gchar * name, const guint8 * data,
    gsize size)
{
  g_autofree gchar *text = g_base64_encode (data, size);

  add_string (b, name, text);
}

static GBytes *
result_message (const gchar * reason, const gchar * text, guint retry_after_ms)
{
  g_autoptr (JsonBuilder) b = begin ("auth-result");

  add_string (b, "result", reason ? "refused" : "ok");
  if (reason) {
    add_string (b, "reason", reason);
    add_string (b, "message", text ? text : reason);
    if (retry_after_ms)
      add_int (b, "retry_after_ms", retry_after_ms);
  }
  return build (b);
}

/* Messages in: one flat JSON object of known members, each of the right
 * type and size. */

static gboolean
only_members (JsonObject * obj, const gchar * const *allowed)
{
  g_autoptr (GList) names = json_object_get_members (obj);

  for (GList * l = names; l; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      return FALSE;
  return TRUE;
}

static const gchar *
get_string (JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_uint (JsonObject * obj, const gchar * name, guint min, guint max,
    guint * out)
{
  JsonNode *node = json_object_get_member (obj, name);
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < min || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

/* Canonical base64 of @min_size to @max_size bytes. */
static gboolean
get_base64 (JsonObject * obj, const gchar * name, guint8 * out,
    gsize min_size, gsize max_size, gsize * size)
{
  const gchar *text = get_string (obj, name);
  g_autofree guchar *raw = NULL;
  g_autofree gchar *again = NULL;
  gsize n = 0;

  if (text == NULL || strlen (text) > 4 * ((max_size + 2) / 3))
    return FALSE;
  raw = g_base64_decode (text, &n);
  if (raw == NULL || n < min_size || n > max_size)
    return FALSE;
  again = g_base64_encode (raw, n);
  if (!g_str_equal (again, text))
    return FALSE;
  memcpy (out, raw, n);
  if (size)
    *size = n;
  return TRUE;
}

/* A refusal reason: a short lower-case token. */
static gboolean
is_reason (const gchar * s)
{
  gsize n = s ? strlen (s) : 0;

  if (n == 0 || n > MAX_REASON)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_islower (s[i]) && s[i] != '-')
      return FALSE;
  return TRUE;
}

static P2pSpake2Plus *
new_pake (P2pViewerAuth * self, P2pSpake2PlusRole role, const guint8 * w0,
    const guint8 * w1_or_l, gsize w1_or_l_size)
{
  guint8 context[sizeof CONTEXT_PREFIX - 1 + P2P_VIEWER_AUTH_EXPORTER_SIZE];
  P2pSpake2Plus *pake;

  /* Context = protocol label || this DTLS session's exporter value. */
  memcpy (context, CONTEXT_PREFIX, sizeof CONTEXT_PREFIX - 1);
  memcpy (context + sizeof CONTEXT_PREFIX - 1, self->exporter,
      P2P_VIEWER_AUTH_EXPORTER_SIZE);
  pake = p2p_spake2plus_new (role, context, sizeof context,
      (const guint8 *) ID_PROVER, strlen (ID_PROVER),
      (const guint8 *) self->uid, strlen (self->uid), w0, w1_or_l,
      w1_or_l_size);
  OPENSSL_cleanse (context, sizeof context);
  return pake;
}

/* Ends the login. On the camera side the viewer is told why, in *reply. */
static gboolean
refuse (P2pViewerAuth * self, GBytes ** reply, const gchar * reason,
    GError ** error, gint code, const gchar * format, ...)
G_GNUC_PRINTF (6, 7);

     static gboolean
         refuse (P2pViewerAuth * self, GBytes ** reply, const gchar * reason,
    GError ** error, gint code, const gchar * format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  if (self->camera && reason && self->state != P2P_VIEWER_AUTH_STATE_REFUSED)
    *reply = result_message (reason, text, 0);
  self->step = STEP_DONE;
  self->state = P2P_VIEWER_AUTH_STATE_REFUSED;
  g_clear_pointer (&self->pake, p2p_spake2plus_free);
  g_set_error_literal (error, P2P_VIEWER_AUTH_ERROR, code, text);
  return FALSE;
}

#define BAD_REQUEST(what) \
  refuse (self, reply, "bad-request", error, P2P_VIEWER_AUTH_ERROR_PROTOCOL, \
      "The peer sent %s", what)

/* Camera side. */

static gboolean
camera_on_auth (P2pViewerAuth * self, JsonObject * obj, GBytes ** reply,
    GError ** error)
{
  static const gchar *const members[] = { "type", "version", "share", NULL };
  guint8 share_p[P2P_SPAKE2PLUS_POINT_SIZE];
  guint8 share_v[P2P_SPAKE2PLUS_POINT_SIZE];
  g_autoptr (JsonBuilder) b = NULL;
  guint version;

  if (!only_members (obj, members) || !get_uint (obj, "version", AUTH_VERSION,
          AUTH_VERSION, &version))
    return BAD_REQUEST ("a malformed \"auth\"");
  if (self->verifier == NULL) {
    if (json_object_has_member (obj, "share"))
      return BAD_REQUEST ("a password share, but no password is set");
    self->step = STEP_DONE;
    self->state = P2P_VIEWER_AUTH_STATE_VERIFIED;
    return TRUE;
  }
  if (!json_object_has_member (obj, "share"))
    return refuse (self, reply, "password-required", error,
        P2P_VIEWER_AUTH_ERROR_PASSWORD_REQUIRED,
        "The viewer has no password and the camera needs one");
  if (!get_base64 (obj, "share", share_p, sizeof share_p, sizeof share_p, NULL))
    return BAD_REQUEST ("a malformed share");

  self->pake = new_pake (self, P2P_SPAKE2PLUS_VERIFIER, self->verifier->w0,
      self->verifier->l, sizeof self->verifier->l);
  if (self->pake == NULL || !p2p_spake2plus_get_share (self->pake, share_v))
    return refuse (self, reply, "failed", error, P2P_VIEWER_AUTH_ERROR_FAILED,
        "SPAKE2+ failed on the camera");
  if (!p2p_spake2plus_finish (self->pake, share_p, sizeof share_p))
    return BAD_REQUEST ("a share that is not a valid point");

  /* From here the viewer holds confirmV: its guess counts. */
  self->attempted = TRUE;
  b = begin ("auth-verify");
  add_base64 (b, "share", share_v, sizeof share_v);
  add_base64 (b, "confirm", p2p_spake2plus_get_confirm (self->pake),
      P2P_SPAKE2PLUS_MAC_SIZE);
  *reply = build (b);
  self->step = STEP_WAIT_CONFIRM;
  return TRUE;
}

static gboolean
camera_on_confirm (P2pViewerAuth * self, JsonObject * obj, GBytes ** reply,
    GError ** error)
{
  static const gchar *const members[] = { "type", "confirm", NULL };
  guint8 confirm[P2P_SPAKE2PLUS_MAC_SIZE];
  gboolean ok;

  if (!only_members (obj, members)
      || !get_base64 (obj, "confirm", confirm, sizeof confirm, sizeof confirm,
          NULL))
    return BAD_REQUEST ("a malformed \"auth-confirm\"");
  ok = p2p_spake2plus_check_confirm (self->pake, confirm, sizeof confirm);
  g_clear_pointer (&self->pake, p2p_spake2plus_free);
  if (!ok)
    return refuse (self, reply, "wrong-password", error,
        P2P_VIEWER_AUTH_ERROR_WRONG_PASSWORD, "Wrong password");
  self->step = STEP_DONE;
  self->state = P2P_VIEWER_AUTH_STATE_VERIFIED;
  return TRUE;
}

/* Viewer side. */

static gboolean
viewer_on_params (P2pViewerAuth * self, JsonObject * obj, GBytes ** reply,
    GError ** error)
{
  static const gchar *const members[] = { "type", "version", "method",
    "salt", "iterations", NULL
  };
  guint8 salt[P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE];
  guint8 w0[P2P_SPAKE2PLUS_SCALAR_SIZE];
  guint8 w1[P2P_SPAKE2PLUS_SCALAR_SIZE];
  guint8 share_p[P2P_SPAKE2PLUS_POINT_SIZE];
  g_autoptr (JsonBuilder) b = NULL;
  const gchar *method;
  gsize salt_size = 0;
  guint version, iterations;
  gboolean ok;

  method = get_string (obj, "method");
  if (!only_members (obj, members)
      || !get_uint (obj, "version", AUTH_VERSION, AUTH_VERSION, &version)
      || method == NULL)
    return BAD_REQUEST ("a malformed \"auth-params\"");

  if (g_str_equal (method, METHOD_NONE)) {
    if (json_object_get_size (obj) != 3)
      return BAD_REQUEST ("a malformed \"auth-params\"");
    if (self->password)
      return refuse (self, reply, NULL, error,
          P2P_VIEWER_AUTH_ERROR_NO_PASSWORD_ASKED,
          "The peer claims to need no password although one is set; an "
          "impostor would claim exactly that, so the viewer refuses it");
    b = begin ("auth");
    add_int (b, "version", AUTH_VERSION);
    *reply = build (b);
    self->step = STEP_WAIT_RESULT;
    return TRUE;
  }
  if (!g_str_equal (method, METHOD_SPAKE2PLUS)
      || !get_base64 (obj, "salt", salt, P2P_PASSWORD_VERIFIER_MIN_SALT_SIZE,
          P2P_PASSWORD_VERIFIER_MAX_SALT_SIZE, &salt_size)
      || !get_uint (obj, "iterations", P2P_PASSWORD_VERIFIER_MIN_ITERATIONS,
          P2P_PASSWORD_VERIFIER_MAX_ITERATIONS, &iterations))
    return BAD_REQUEST ("an unknown login method or malformed parameters");
  if (self->password == NULL)
    return refuse (self, reply, NULL, error,
        P2P_VIEWER_AUTH_ERROR_PASSWORD_REQUIRED,
        "The camera needs a password and none is set");

  /* The hash made ahead counts only for the parameters received here,
   * inside DTLS; p2p_password_hash_take() compares them. */
  if (self->hash && p2p_password_hash_take (self->hash, salt, salt_size,
          iterations, w0, w1))
    g_debug ("%s: the password hash made ahead has the camera's parameters",
        self->uid);
  else if (!p2p_password_derive (self->password, salt, salt_size, iterations,
          w0, w1, error)) {
    self->step = STEP_DONE;
    self->state = P2P_VIEWER_AUTH_STATE_REFUSED;
    return FALSE;
  }
  self->pake = new_pake (self, P2P_SPAKE2PLUS_PROVER, w0, w1, sizeof w1);
  OPENSSL_cleanse (w0, sizeof w0);
  OPENSSL_cleanse (w1, sizeof w1);
  ok = self->pake && p2p_spake2plus_get_share (self->pake, share_p);
  if (!ok)
    return refuse (self, reply, NULL, error, P2P_VIEWER_AUTH_ERROR_FAILED,
        "SPAKE2+ failed on the viewer");
  b = begin ("auth");
  add_int (b, "version", AUTH_VERSION);
  add_base64 (b, "share", share_p, sizeof share_p);
  *reply = build (b);
  self->step = STEP_WAIT_VERIFY;
  return TRUE;
}

#define CAMERA_NOT_PROVEN \
  "The camera did not prove it knows the password \xe2\x80\x94 wrong " \
  "password, or someone in the middle"

static gboolean
viewer_on_verify (P2pViewerAuth * self, JsonObject * obj, GBytes ** reply,
    GError ** error)
{
  static const gchar *const members[] = { "type", "share", "confirm", NULL };
  guint8 share_v[P2P_SPAKE2PLUS_POINT_SIZE];
  guint8 confirm[P2P_SPAKE2PLUS_MAC_SIZE];
  g_autoptr (JsonBuilder) b = NULL;

  if (!only_members (obj, members)
      || !get_base64 (obj, "share", share_v, sizeof share_v, sizeof share_v,
          NULL)
      || !get_base64 (obj, "confirm", confirm, sizeof confirm, sizeof confirm,
          NULL))
    return BAD_REQUEST ("a malformed \"auth-verify\"");
  /* The camera speaks first: it must show it knows the password before
   * the viewer shows anything that depends on it. */
  if (!p2p_spake2plus_finish (self->pake, share_v, sizeof share_v)
      || !p2p_spake2plus_check_confirm (self->pake, confirm, sizeof confirm))
    return refuse (self, reply, NULL, error,
        P2P_VIEWER_AUTH_ERROR_CAMERA_NOT_PROVEN, CAMERA_NOT_PROVEN);
  b = begin ("auth-confirm");
  add_base64 (b, "confirm", p2p_spake2plus_get_confirm (self->pake),
      P2P_SPAKE2PLUS_MAC_SIZE);
  *reply = build (b);
  g_clear_pointer (&self->pake, p2p_spake2plus_free);
  self->step = STEP_WAIT_RESULT;
  return TRUE;
}

static gboolean
viewer_on_result (P2pViewerAuth * self, JsonObject * obj, GBytes ** reply,
    GError ** error)
{
  static const gchar *const members[] = { "type", "result", "reason",
    "message", "retry_after_ms", NULL
  };
  const gchar *result = get_string (obj, "result");
  const gchar *reason = get_string (obj, "reason");
  const gchar *text = get_string (obj, "message");

  if (!only_members (obj, members) || result == NULL)
    return BAD_REQUEST ("a malformed \"auth-result\"");
  if (g_str_equal (result, "ok")) {
    if (self->step != STEP_WAIT_RESULT || json_object_get_size (obj) != 2)
      return BAD_REQUEST ("\"ok\" before the login finished");
    self->step = STEP_DONE;
    self->state = P2P_VIEWER_AUTH_STATE_ACCEPTED;
    return TRUE;
  }
  if (!g_str_equal (result, "refused") || !is_reason (reason)
      || (text && strlen (text) > MAX_TEXT))
    return BAD_REQUEST ("a malformed \"auth-result\"");

  if (g_str_equal (reason, "wrong-password"))
    return refuse (self, reply, NULL, error,
        P2P_VIEWER_AUTH_ERROR_WRONG_PASSWORD, "The camera refused the "
        "password");
  if (g_str_equal (reason, "password-required"))
    return refuse (self, reply, NULL, error,
        P2P_VIEWER_AUTH_ERROR_PASSWORD_REQUIRED,
        "The camera needs a password and none is set");
  if (g_str_equal (reason, P2P_VIEWER_AUTH_REASON_BUSY))
    return refuse (self, reply, NULL, error, P2P_VIEWER_AUTH_ERROR_BUSY,
        "The camera serves its maximum number of viewers");
  if (g_str_equal (reason, P2P_VIEWER_AUTH_REASON_RETRY_LATER)) {
    if (!get_uint (obj, "retry_after_ms", 1, MAX_RETRY_AFTER_MS,
            &self->retry_after_ms))
      return BAD_REQUEST ("\"retry-later\" without a valid retry_after_ms");
    return refuse (self, reply, NULL, error, P2P_VIEWER_AUTH_ERROR_RETRY_LATER,
        "The camera refuses logins from this address for %u ms after "
        "failed ones", self->retry_after_ms);
  }
  if (g_str_equal (reason, "bad-request"))
    return refuse (self, reply, NULL, error, P2P_VIEWER_AUTH_ERROR_PROTOCOL,
        "The camera did not understand the login");
  return refuse (self, reply, NULL, error, P2P_VIEWER_AUTH_ERROR_REFUSED,
      "The camera refused the viewer (%s)", reason);
}

/**
 * p2p_viewer_auth_start:
 * @self: the camera side of a login, not started yet
 *
 * Returns: (transfer full) (nullable): the camera's first message,
 *     `auth-params`; %NULL on the viewer side or when already started
 */
GBytes *
p2p_viewer_auth_start (P2pViewerAuth * self)
{
  g_autoptr (JsonBuilder) b = NULL;
  GBytes *msg = NULL;

  g_return_val_if_fail (P2P_IS_VIEWER_AUTH (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->camera && self->step == STEP_NEW) {
    b = begin ("auth-params");
    add_int (b, "version", AUTH_VERSION);
    if (self->verifier) {
      add_string (b, "method", METHOD_SPAKE2PLUS);
      add_base64 (b, "salt", self->verifier->salt, self->verifier->salt_size);
      add_int (b, "iterations", self->verifier->iterations);
    } else {
      add_string (b, "method", METHOD_NONE);
    }
    msg = build (b);
    self->step = STEP_WAIT_AUTH;
  }
  g_mutex_unlock (&self->lock);
  return msg;
}

/**
 * p2p_viewer_auth_receive:
 * @self: a #P2pViewerAuth
 * @message: a message from the peer
 * @reply: (out) (optional) (nullable) (transfer full): what to send back,
 *     if anything; set even on failure when the camera tells the viewer why
 * @error: return location for a #P2P_VIEWER_AUTH_ERROR
 *
 * Takes the next message of the login. On the viewer side the camera's
 * `auth-params` costs the password hash (#P2P_PASSWORD_VERIFIER_ITERATIONS
 * PBKDF2 rounds, tens of milliseconds): call this where such a pause does
 * no harm. On the camera side every message costs at most a few scalar
 * multiplications.
 *
 * Returns: %FALSE when the login failed (the state is then
 *     %P2P_VIEWER_AUTH_STATE_REFUSED); %TRUE while it goes on or once it
 *     succeeded, see p2p_viewer_auth_get_state()
 */
gboolean
p2p_viewer_auth_receive (P2pViewerAuth * self, GBytes * message,
    GBytes ** reply, GError ** error)
{
  g_autoptr (JsonObject) obj = NULL;
  g_autoptr (GError) json_error = NULL;
  GBytes *out = NULL;
  const gchar *type;
  gsize size = 0;
  const gchar *data;
  gboolean ok;

  g_return_val_if_fail (P2P_IS_VIEWER_AUTH (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  data = g_bytes_get_data (message, &size);
  g_mutex_lock (&self->lock);
  obj = p2p_json_parse_object_full (data, size, P2P_VIEWER_AUTH_MAX_MESSAGE,
      1, &json_error);
  type = obj ? get_string (obj, "type") : NULL;
  if (type == NULL) {
    ok = refuse (self, &out, "bad-request", error,
        P2P_VIEWER_AUTH_ERROR_PROTOCOL, "The peer sent a malformed login "
        "message: %s", json_error ? json_error->message : "no \"type\"");
  } else if (self->camera && self->step == STEP_WAIT_AUTH
      && g_str_equal (type, "auth")) {
    ok = camera_on_auth (self, obj, &out, error);
  } else if (self->camera && self->step == STEP_WAIT_CONFIRM
      && g_str_equal (type, "auth-confirm")) {
    ok = camera_on_confirm (self, obj, &out, error);
  } else if (!self->camera && self->step == STEP_WAIT_PARAMS
      && g_str_equal (type, "auth-params")) {
    ok = viewer_on_params (self, obj, &out, error);
  } else if (!self->camera && self->step == STEP_WAIT_VERIFY
      && g_str_equal (type, "auth-verify")) {
    ok = viewer_on_verify (self, obj, &out, error);
  } else if (!self->camera && self->step != STEP_DONE
      && g_str_equal (type, "auth-result")) {
    ok = viewer_on_result (self, obj, &out, error);
  } else {
    ok = refuse (self, &out, "bad-request", error,
        P2P_VIEWER_AUTH_ERROR_PROTOCOL, "The peer sent \"%.32s\" out of "
        "order or after the login ended", type);
  }
  g_mutex_unlock (&self->lock);

  if (reply)
    *reply = out;
  else if (out)
    g_bytes_unref (out);
  return ok;
}

/**
 * p2p_viewer_auth_accept:
 * @self: the camera side, in %P2P_VIEWER_AUTH_STATE_VERIFIED
 *
 * Lets the viewer in.
 *
 * Returns: (transfer full) (nullable): the `auth-result` to send; %NULL if
 *     the viewer is not verified
 */
GBytes *
p2p_viewer_auth_accept (P2pViewerAuth * self)
{
  GBytes *msg = NULL;

  g_return_val_if_fail (P2P_IS_VIEWER_AUTH (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->camera && self->state == P2P_VIEWER_AUTH_STATE_VERIFIED) {
    msg = result_message (NULL, NULL, 0);
    self->state = P2P_VIEWER_AUTH_STATE_ACCEPTED;
  }
  g_mutex_unlock (&self->lock);
  return msg;
}

/**
 * p2p_viewer_auth_refuse:
 * @self: the camera side of a login that has not ended
 * @reason: a short token, such as #P2P_VIEWER_AUTH_REASON_BUSY
 * @text: (nullable): an explanation for people
 * @retry_after_ms: for #P2P_VIEWER_AUTH_REASON_RETRY_LATER, how long the
 *     viewer should wait; else 0
 *
 * Refuses the viewer for a reason outside the password check: the camera
 * is busy, the viewer took too long, or its address must wait.
 *
 * Returns: (transfer full) (nullable): the `auth-result` to send; %NULL if
 *     the login has already ended
 */
GBytes *
p2p_viewer_auth_refuse (P2pViewerAuth * self, const gchar * reason,
    const gchar * text, guint retry_after_ms)
{
  GBytes *msg = NULL;

  g_return_val_if_fail (P2P_IS_VIEWER_AUTH (self), NULL);
  g_return_val_if_fail (is_reason (reason), NULL);

  g_mutex_lock (&self->lock);
  if (self->camera && (self->state == P2P_VIEWER_AUTH_STATE_PENDING
          || self->state == P2P_VIEWER_AUTH_STATE_VERIFIED)) {
    msg = result_message (reason, text, MIN (retry_after_ms,
            MAX_RETRY_AFTER_MS));
    self->step = STEP_DONE;
    self->state = P2P_VIEWER_AUTH_STATE_REFUSED;
    g_clear_pointer (&self->pake, p2p_spake2plus_free);
  }
  g_mutex_unlock (&self->lock);
  return msg;
}

/**
 * p2p_viewer_auth_get_state:
 * @self: a #P2pViewerAuth
 *
 * Returns: how far the login got
 */
P2pViewerAuthState
p2p_viewer_auth_get_state (P2pViewerAuth * self)
{
  P2pViewerAuthState state;

  g_return_val_if_fail (P2P_IS_VIEWER_AUTH (self),
      P2P_VIEWER_AUTH_STATE_REFUSED);

  g_mutex_lock (&self->lock);
  state = self->state;
  g_mutex_unlock (&self->lock);
  return state;
}

/**
 * p2p_viewer_auth_get_attempted:
 * @self: the camera side of a login
 *
 * Whether the viewer got as far as a password guess: the camera answered
 * its share with its own confirmation, so the viewer could tell a right
 * guess from a wrong one. Such a login counts as a failed attempt unless it
 * ends verified, even when the viewer goes away without confirming.
 *
 * Returns: %TRUE once the camera sent `auth-verify`
 */
gboolean
p2p_viewer_auth_get_attempted (P2pViewerAuth * self)
{
  gboolean attempted;

  g_return_val_if_fail (P2P_IS_VIEWER_AUTH (self), FALSE);

  g_mutex_lock (&self->lock);
  attempted = self->attempted;
  g_mutex_unlock (&self->lock);
  return attempted;
}

/**
 * p2p_viewer_auth_get_retry_after:
 * @self: the viewer side of a login
 *
 * Returns: after %P2P_VIEWER_AUTH_ERROR_RETRY_LATER, how many milliseconds
 *     the camera asked the viewer to wait; else 0
 */
guint
p2p_viewer_auth_get_retry_after (P2pViewerAuth * self)
{
  guint ms;

  g_return_val_if_fail (P2P_IS_VIEWER_AUTH (self), 0);

  g_mutex_lock (&self->lock);
  ms = self->retry_after_ms;
  g_mutex_unlock (&self->lock);
  return ms;
}
