/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-signalling
 * @title: P2pSignalling
 * @short_description: the device and viewer ends of the signalling protocol
 *
 * A #P2pSignalling keeps one WebSocket connection to a `p2p-server`
 * rendezvous server (protocol: `docs/protocol.md`) and brokers calls over
 * it. A device (camera) logs in with its UID, proving it holds the key of
 * its registered certificate, and is told about viewers that call it with
 * #P2pSignaller::incoming-call; it then sends the SDP offer. A viewer calls
 * a device by UID with p2p_signalling_connect_async(), gets back the call id
 * and the device's registered certificate fingerprint (which the DTLS
 * handshake must match), receives the offer and sends the answer.
 *
 * It is the rendezvous server's #P2pSignaller: p2p_signaller_call() is
 * p2p_signalling_connect_async() reported by #P2pSignaller::call-started
 * (with the registered fingerprint) or #P2pSignaller::call-failed.
 *
 * The client tries the servers of its list in order, also using the list
 * the server returns in `welcome`; when every server failed it waits with a
 * jittered exponential back-off before the next round, and when an
 * established connection is lost it reconnects from the top of the list.
 * WebSocket pings keep the connection alive and reveal a dead one.
 *
 * All network work happens on the #P2pLoop's thread. The public functions
 * may be called from any thread; signals are emitted on the loop thread with
 * no lock held, so handlers may call back into the object.
 *
 * Everything received from the server is validated (sizes, types, forms)
 * before use; a malformed message is logged and dropped.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-signalling-private.h"
#include "p2p-signaller-private.h"
#include "p2p-enum-types.h"
#include "p2p-json.h"
#include "p2p-protocol.h"
#include "p2p-system-ca.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_DEFINE_QUARK (p2p_signalling_error, p2p_signalling_error);

/* The public limits are the protocol's. */
G_STATIC_ASSERT (P2P_SIGNALLING_MAX_MESSAGE == P2P_PROTOCOL_MAX_MESSAGE);
G_STATIC_ASSERT (P2P_SIGNALLING_MAX_SDP == P2P_PROTOCOL_MAX_SDP);
G_STATIC_ASSERT (P2P_SIGNALLING_MAX_CANDIDATE == P2P_PROTOCOL_MAX_CANDIDATE);


/* Field limits from docs/protocol.md §2; values the spec leaves open get
 * bounds generous enough for any sane server. */
#define MAX_SHORT_FIELD 256
#define MAX_URI_LEN 1024
#define MAX_LIST_LEN 16
#define MAX_MESSAGE_TEXT 1024
#define MAX_CALLS 128
#define MAX_PENDING_CONNECTS 64

#define DEFAULT_PING_INTERVAL 20
#define DEFAULT_LOGIN_TIMEOUT 10000
#define DEFAULT_RECONNECT_MIN_DELAY 500
#define DEFAULT_RECONNECT_MAX_DELAY 30000
/* A connection that received nothing (not even a pong) for this many ping
 * intervals is dead, whatever TCP thinks. */
#define DEAD_AFTER_PINGS 3
/* While calls keep a connection whose TURN credentials are about to
 * expire, check this often whether it can be renewed. */
#define CREDENTIAL_RECHECK_MS 10000
/* A connection that lasted this long resets the back-off. */
#define STABLE_CONNECTION (30 * G_USEC_PER_SEC)
/* A pass on which a server answered 503 or closed the connection at once
 * (p2p-server does near its descriptor limit) waits at most this many times
 * reconnect-min-delay: that server is up and busy, not gone, and
 * another place may have opened by then. */
#define BUSY_MAX_DELAY_FACTOR 8

typedef struct _ConnectRequest ConnectRequest;

struct _P2pSignalling
{
  GObject parent;

  /* Set at construction, immutable afterwards. */
  P2pLoop *loop;
  P2pSignallingRole role;
  gchar *uid;                   /* normalised */
  P2pIdentity *identity;
  gchar **servers;

  GMutex lock;
  /* Protected by lock: settings and what public getters read. */
  gboolean started;
  gboolean allow_insecure;
  GTlsDatabase *tls_database;
  gchar **server_ids;
  guint ping_interval;
  guint login_timeout;
  guint reconnect_min_delay;
  guint reconnect_max_delay;
  P2pSignallingState state;
  gchar *server_uri;
  GPtrArray *ice_servers;       /* from welcome: STUN, shared by all */
  GHashTable *calls;            /* call id of the current connection ->
                                 * GPtrArray of its own ICE servers */
  guint connection;             /* counts connections, for queued sends */

  /* Loop thread only. */
  gboolean running;
  SoupSession *session;
  /* The session still needs the system's authorities for wss://. */
  gboolean needs_system_ca;
  GCancellable *connect_cancellable;
  SoupWebsocketConnection *ws;
  gboolean logged_in;
  GSource *timer;               /* login time-out or back-off delay */
  GSource *watchdog;
  gint64 last_rx;
  gint64 ready_since;
  guint keepalive;              /* seconds, of the current connection */
  gchar **learned;              /* servers from the last welcome */
  guint server_index;
  guint rounds;                 /* failed passes over the whole list */
  gboolean pass_busy;           /* a server of this pass was busy */
  gint64 next_id;
  GList *connects;              /* ConnectRequest, oldest first */
  GList *signaller_calls;       /* SignallerCall, p2p_signaller_call()'s */
  /* Ids of connect requests this connection sent and then gave up on
   * (time-out, cancel), newest last, at most MAX_ABANDONED: a `connected`
   * that still comes for one is ended. */
  GArray *abandoned;
};

#define MAX_ABANDONED 16

struct _ConnectRequest
{
  GTask *task;
  gchar *uid;
  gint64 id;                    /* of the message sent, 0 while unsent */
  gboolean looked_up;           /* lookup done: next is the connect */
  guint servers_tried;
  GSource *timeout;
  GCancellable *cancellable;
  gulong cancel_handler;
};

enum
{
  PROP_0,
  PROP_LOOP,
  PROP_ROLE,
  PROP_UID,
  PROP_IDENTITY,
  PROP_SERVERS,
  PROP_ALLOW_INSECURE,
  PROP_TLS_DATABASE,
  PROP_SERVER_IDS,
  PROP_PING_INTERVAL,
  PROP_LOGIN_TIMEOUT,
  PROP_RECONNECT_MIN_DELAY,
  PROP_RECONNECT_MAX_DELAY,
  PROP_STATE,
  PROP_SERVER_URI,
};

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_INCOMING_CALL,
  SIGNAL_REMOTE_OFFER,
  SIGNAL_REMOTE_ANSWER,
  SIGNAL_REMOTE_CANDIDATE,
  SIGNAL_CALL_ENDED,
  SIGNAL_CALL_ERROR,
  SIGNAL_ERROR,
  SIGNAL_SERVER_REFUSED,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

static void p2p_signalling_signaller_init (P2pSignallerInterface * iface);

G_DEFINE_TYPE_WITH_CODE (P2pSignalling, p2p_signalling, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (P2P_TYPE_SIGNALLER, p2p_signalling_signaller_init));

G_DEFINE_BOXED_TYPE (P2pIceServer, p2p_ice_server, p2p_ice_server_copy,
    p2p_ice_server_free);

static void connect_to_server (P2pSignalling * self);
static void flush_connects (P2pSignalling * self);

/**
 * p2p_ice_server_copy:
 * @server: a #P2pIceServer
 *
 * Returns: (transfer full): a deep copy of @server
 */
P2pIceServer *
p2p_ice_server_copy (const P2pIceServer * server)
{
  P2pIceServer *copy;

  g_return_val_if_fail (server != NULL, NULL);

  copy = g_new0 (P2pIceServer, 1);
  copy->urls = g_strdupv (server->urls);
  copy->username = g_strdup (server->username);
  copy->credential = g_strdup (server->credential);
  copy->ttl = server->ttl;
  return copy;
}

/**
 * p2p_ice_server_free:
 * @server: (nullable): a #P2pIceServer
 *
 * Frees @server and its strings.
 */
void
p2p_ice_server_free (P2pIceServer * server)
{
  if (server == NULL)
    return;
  g_strfreev (server->urls);
  g_free (server->username);
  /* The credential is a secret: do not leave it in freed memory. */
  if (server->credential)
    memset (server->credential, 0, strlen (server->credential));
  g_free (server->credential);
  g_free (server);
}

/**
 * p2p_signalling_state_to_string:
 * @state: a #P2pSignallingState
 *
 * Returns: a short lower-case name of @state, for logs
 */
const gchar *
p2p_signalling_state_to_string (P2pSignallingState state)
{
  switch (state) {
    case P2P_SIGNALLING_STATE_STOPPED:
      return "stopped";
    case P2P_SIGNALLING_STATE_CONNECTING:
      return "connecting";
    case P2P_SIGNALLING_STATE_READY:
      return "ready";
    case P2P_SIGNALLING_STATE_WAITING:
      return "waiting";
    case P2P_SIGNALLING_STATE_FAILED:
      return "failed";
  }
  return "unknown";
}

/* ---- validation of untrusted values ---- */

static gboolean
is_call_id (const gchar * s)
{
  gsize i;

  if (s == NULL || strlen (s) != P2P_PROTOCOL_CALL_ID_LENGTH)
    return FALSE;
  for (i = 0; i < P2P_PROTOCOL_CALL_ID_LENGTH; i++) {
    if (!g_ascii_isalnum (s[i]) && s[i] != '-' && s[i] != '_')
      return FALSE;
  }
  return TRUE;
}

static gboolean
is_base64 (const gchar * s)
{
  for (; *s; s++) {
    if (!g_ascii_isalnum (*s) && *s != '+' && *s != '/' && *s != '=')
      return FALSE;
  }
  return TRUE;
}

static gboolean
is_fingerprint (const gchar * s)
{
  if (strlen (s) > MAX_SHORT_FIELD || strchr (s, ' ') == NULL)
    return FALSE;
  for (; *s; s++) {
    if (!g_ascii_isalnum (*s) && *s != ':' && *s != '-' && *s != ' ')
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_server_uri (const gchar * uri, gboolean allow_insecure, GError ** error)
{
  GUri *parsed;
  const gchar *scheme;
  gboolean ok = TRUE;

  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL || g_uri_get_host (parsed) == NULL
      || strlen (uri) > MAX_URI_LEN) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Malformed server URI '%s'",
        uri);
    ok = FALSE;
    goto done;
  }
  scheme = g_uri_get_scheme (parsed);
  if (g_ascii_strcasecmp (scheme, "ws") == 0) {
    if (!allow_insecure) {
      g_set_error (error, P2P_SIGNALLING_ERROR,
          P2P_SIGNALLING_ERROR_INSECURE,
          "Server URI '%s' is not encrypted (ws://) and insecure "
          "connections are not allowed", uri);
      ok = FALSE;
    }
  } else if (g_ascii_strcasecmp (scheme, "wss") != 0) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "Server URI '%s' is neither wss:// nor ws://", uri);
    ok = FALSE;
  }
done:
  if (parsed)
    g_uri_unref (parsed);
  return ok;
}

/* Reads a string member. Absent: %TRUE with *out = NULL unless @required.
 * Lengths are in bytes. */
static gboolean
get_string (JsonObject * obj, const gchar * name, gboolean required,
    gsize min_len, gsize max_len, const gchar ** out, GError ** error)
{
  g_autoptr (GError) err = NULL;

  if (p2p_protocol_get_string (obj, name, min_len, max_len, required, out,
          &err))
    return TRUE;
  /* Whatever the server got wrong, for this client it is the protocol. */
  g_set_error_literal (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_PROTOCOL, err->message);
  return FALSE;
}

static gboolean
get_int (JsonObject * obj, const gchar * name, gint64 min, gint64 max,
    gint64 * out, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, name);
  gint64 v;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64) {
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL,
        "Field '%s' is not an integer", name);
    return FALSE;
  }
  v = json_node_get_int (node);
  if (v < min || v > max) {
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL,
        "Field '%s' is out of range", name);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

static JsonArray *
get_array (JsonObject * obj, const gchar * name, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, name);
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node)) {
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL,
        "Field '%s' is not an array", name);
    return NULL;
  }
  array = json_node_get_array (node);
  if (json_array_get_length (array) > MAX_LIST_LEN) {
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL,
        "Field '%s' has more than %d entries", name, MAX_LIST_LEN);
    return NULL;
  }
  return array;
}

/* A server of the list: `ws://` or `wss://`. */
static gboolean
is_ws_uri (const gchar * s)
{
  return g_ascii_strncasecmp (s, "ws://", 5) == 0
      || g_ascii_strncasecmp (s, "wss://", 6) == 0;
}

/* A STUN or TURN server the transport can use. */
static gboolean
is_ice_uri (const gchar * s)
{
  P2pIceUri uri;

  if (!p2p_ice_uri_parse (s, &uri, NULL))
    return FALSE;
  p2p_ice_uri_clear (&uri);
  return TRUE;
}

static gchar **
parse_string_array (JsonArray * array, const gchar * what,
    gboolean (*acceptable) (const gchar * s), GError ** error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; i < json_array_get_length (array); i++) {
    JsonNode *node = json_array_get_element (array, i);
    const gchar *s;

    if (!JSON_NODE_HOLDS_VALUE (node)
        || json_node_get_value_type (node) != G_TYPE_STRING)
      goto bad;
    s = json_node_get_string (node);
    if (*s == '\0' || strlen (s) > MAX_URI_LEN
        || !p2p_signaller_is_printable (s))
      goto bad;
    if (!acceptable (s))
      goto bad;
    g_ptr_array_add (out, g_strdup (s));
  }
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);

bad:
  g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL,
      "Entry %u of '%s' is not an acceptable URI", i, what);
  g_ptr_array_unref (out);
  return NULL;
}

static GPtrArray *
parse_ice_servers (JsonObject * msg, GError ** error)
{
  GPtrArray *out;
  JsonArray *array;
  GError *err = NULL;
  guint i;

  out = g_ptr_array_new_with_free_func ((GDestroyNotify) p2p_ice_server_free);
  array = get_array (msg, "ice_servers", &err);
  if (err)
    goto bad;
  for (i = 0; array && i < json_array_get_length (array); i++) {
    JsonNode *node = json_array_get_element (array, i);
    JsonObject *obj;
    JsonArray *urls;
    P2pIceServer *server;
    const gchar *username, *credential;
    gint64 ttl = 0;

    if (!JSON_NODE_HOLDS_OBJECT (node)) {
      g_set_error (&err, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL,
          "ice_servers entry %u is not an object", i);
      goto bad;
    }
    obj = json_node_get_object (node);
    urls = get_array (obj, "urls", &err);
    if (err)
      goto bad;
    if (urls == NULL || json_array_get_length (urls) == 0) {
      g_set_error (&err, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL,
          "ice_servers entry %u has no urls", i);
      goto bad;
    }
    if (!get_string (obj, "username", FALSE, 0, MAX_SHORT_FIELD, &username,
            &err)
        || !get_string (obj, "credential", FALSE, 0, MAX_SHORT_FIELD,
            &credential, &err)
        || !get_int (obj, "ttl", 0, G_MAXINT32, &ttl, &err))
      goto bad;

    server = g_new0 (P2pIceServer, 1);
    server->urls = parse_string_array (urls, "urls", is_ice_uri, &err);
    server->username = g_strdup (username);
    server->credential = g_strdup (credential);
    server->ttl = ttl;
    g_ptr_array_add (out, server);
    if (server->urls == NULL)
      goto bad;
  }
  return out;

bad:
  g_propagate_error (error, err);
  g_ptr_array_unref (out);
  return NULL;
}

/* Maps a protocol error code (docs/protocol.md §6) to ours; codes of a
 * later protocol version are FAILED. */
static gint
map_error_code (const gchar * name)
{
  P2pProtocolError code;

  if (!p2p_protocol_error_from_string (name, &code))
    return P2P_SIGNALLING_ERROR_FAILED;
  switch (code) {
    case P2P_PROTOCOL_ERROR_UNKNOWN_UID:
      return P2P_SIGNALLING_ERROR_UNKNOWN_UID;
    case P2P_PROTOCOL_ERROR_REVOKED:
      return P2P_SIGNALLING_ERROR_REVOKED;
    case P2P_PROTOCOL_ERROR_BAD_UID:
      return P2P_SIGNALLING_ERROR_INVALID_ARGUMENT;
    case P2P_PROTOCOL_ERROR_DEVICE_OFFLINE:
      return P2P_SIGNALLING_ERROR_DEVICE_OFFLINE;
    case P2P_PROTOCOL_ERROR_BUSY:
      return P2P_SIGNALLING_ERROR_REFUSED;
    case P2P_PROTOCOL_ERROR_RATE_LIMITED:
      return P2P_SIGNALLING_ERROR_RATE_LIMITED;
    case P2P_PROTOCOL_ERROR_UNKNOWN_CALL:
      return P2P_SIGNALLING_ERROR_UNKNOWN_CALL;
    case P2P_PROTOCOL_ERROR_TIMEOUT:
      return P2P_SIGNALLING_ERROR_TIMEOUT;
    case P2P_PROTOCOL_ERROR_BAD_SIGNATURE:
    case P2P_PROTOCOL_ERROR_BAD_NONCE:
    case P2P_PROTOCOL_ERROR_REPLAYED_NONCE:
      return P2P_SIGNALLING_ERROR_AUTH_FAILED;
    case P2P_PROTOCOL_ERROR_REPLACED:
      return P2P_SIGNALLING_ERROR_REPLACED;
    case P2P_PROTOCOL_ERROR_TOO_LARGE:
      return P2P_SIGNALLING_ERROR_TOO_LARGE;
    case P2P_PROTOCOL_ERROR_SHUTTING_DOWN:
    case P2P_PROTOCOL_ERROR_OVERLOADED:
      return P2P_SIGNALLING_ERROR_DISCONNECTED;
    case P2P_PROTOCOL_ERROR_BAD_JSON:
    case P2P_PROTOCOL_ERROR_TOO_DEEP:
    case P2P_PROTOCOL_ERROR_UNKNOWN_TYPE:
    case P2P_PROTOCOL_ERROR_MISSING_FIELD:
    case P2P_PROTOCOL_ERROR_BAD_FIELD:
    case P2P_PROTOCOL_ERROR_BAD_VERSION:
    case P2P_PROTOCOL_ERROR_BAD_STATE:
    case P2P_PROTOCOL_ERROR_WRONG_ROLE:
      return P2P_SIGNALLING_ERROR_PROTOCOL;
    case P2P_PROTOCOL_ERROR_INTERNAL:
      break;
  }
  return P2P_SIGNALLING_ERROR_FAILED;
}

/* ---- state and signals ---- */

static void
set_state (P2pSignalling * self, P2pSignallingState state, const GError * error)
{
  gboolean changed;

  g_mutex_lock (&self->lock);
  changed = self->state != state;
  self->state = state;
  g_mutex_unlock (&self->lock);

  if (!changed)
    return;
  if (error)
    g_info ("signalling %p: %s (%s)", self,
        p2p_signalling_state_to_string (state), error->message);
  else
    g_info ("signalling %p: %s", self, p2p_signalling_state_to_string (state));
  g_object_notify (G_OBJECT (self), "state");
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state, error);
  if (state == P2P_SIGNALLING_STATE_FAILED && error)
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

static gboolean
call_known (P2pSignalling * self, const gchar * call)
{
  gboolean known;

  g_mutex_lock (&self->lock);
  known = g_hash_table_contains (self->calls, call);
  g_mutex_unlock (&self->lock);
  return known;
}

/* Takes @ice_servers (nullable): the TURN servers and credentials the
 * server issued for this call only. */
static gboolean
add_call (P2pSignalling * self, const gchar * call, GPtrArray * ice_servers)
{
  gboolean ok;

  if (!ice_servers)
    ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify)
        p2p_ice_server_free);
  g_mutex_lock (&self->lock);
  ok = g_hash_table_size (self->calls) < MAX_CALLS;
  if (ok)
    g_hash_table_insert (self->calls, g_strdup (call), ice_servers);
  g_mutex_unlock (&self->lock);
  if (!ok)
    g_ptr_array_unref (ice_servers);
  return ok;
}

static gboolean
remove_call (P2pSignalling * self, const gchar * call)
{
  gboolean removed;

  g_mutex_lock (&self->lock);
  removed = g_hash_table_remove (self->calls, call);
  g_mutex_unlock (&self->lock);
  return removed;
}

/* ---- sending ---- */

static gchar *
builder_to_text (JsonBuilder * builder)
{
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root;
  gchar *text;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (builder);
  return text;
}

static JsonBuilder *
builder_begin (const gchar * type)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  return builder;
}

static void
builder_add_string (JsonBuilder * builder, const gchar * name,
    const gchar * value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
builder_add_int (JsonBuilder * builder, const gchar * name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* Loop thread. */
static void
send_text (P2pSignalling * self, const gchar * text)
{
  if (self->ws == NULL
      || soup_websocket_connection_get_state (self->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN) {
    g_debug ("signalling %p: not connected, dropping %s", self, text);
    return;
  }
  g_debug ("signalling %p: > %s", self, text);
  soup_websocket_connection_send_text (self->ws, text);
}

typedef struct
{
  P2pSignalling *self;
  gchar *text;
  guint connection;
} SendData;

static void
send_data_free (gpointer data)
{
  SendData *send = data;

  g_object_unref (send->self);
  g_free (send->text);
  g_free (send);
}

static gboolean
send_in_loop (gpointer data)
{
  SendData *send = data;

  P2pSignalling *self = send->self;
  gboolean same;

  /* A message for a call of a connection since lost has no addressee. */
  g_mutex_lock (&self->lock);
  same = send->connection == self->connection;
  g_mutex_unlock (&self->lock);
  if (same && self->logged_in)
    send_text (self, send->text);
  return G_SOURCE_REMOVE;
}

/* Any thread: checks the call is known on the current connection and
 * queues @text for the loop thread. */
static gboolean
queue_call_message (P2pSignalling * self, const gchar * call, gchar * text,
    GError ** error)
{
  SendData *send;
  gboolean ready, known;
  guint connection;

  g_mutex_lock (&self->lock);
  ready = self->state == P2P_SIGNALLING_STATE_READY;
  known = g_hash_table_contains (self->calls, call);
  connection = self->connection;
  g_mutex_unlock (&self->lock);

  if (!ready) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_NOT_CONNECTED,
        "Not connected to a signalling server");
    g_free (text);
    return FALSE;
  }
  if (!known) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_UNKNOWN_CALL, "Unknown call '%s'", call);
    g_free (text);
    return FALSE;
  }
  if (strlen (text) > P2P_SIGNALLING_MAX_MESSAGE) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_TOO_LARGE, "Message of %" G_GSIZE_FORMAT
        " bytes exceeds the limit of %d", strlen (text),
        P2P_SIGNALLING_MAX_MESSAGE);
    g_free (text);
    return FALSE;
  }

  send = g_new0 (SendData, 1);
  send->self = g_object_ref (self);
  send->text = text;
  send->connection = connection;
  p2p_loop_invoke (self->loop, send_in_loop, send, send_data_free);
  return TRUE;
}

/* The signaller methods of the other role: an error, not a critical, since
 * an application may plug any signaller into any element. */
static gboolean
check_role (P2pSignallingRole wanted, GError ** error)
{
  g_set_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Only a %s sends this message",
      wanted == P2P_SIGNALLING_ROLE_DEVICE ? "device" : "viewer");
  return FALSE;
}

static gboolean
check_call_arg (const gchar * call, GError ** error)
{
  if (is_call_id (call))
    return TRUE;
  g_set_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Malformed call id");
  return FALSE;
}

static gboolean
send_sdp (P2pSignalling * self, const gchar * type, const gchar * call,
    const gchar * sdp, GError ** error)
{
  JsonBuilder *builder;

  if (!check_call_arg (call, error))
    return FALSE;
  if (!p2p_signaller_check_sdp (type, sdp, error))
    return FALSE;

  builder = builder_begin (type);
  builder_add_string (builder, "call", call);
  builder_add_string (builder, "sdp", sdp);
  return queue_call_message (self, call, builder_to_text (builder), error);
}

/**
 * p2p_signalling_send_offer:
 * @self: a device's #P2pSignalling
 * @call: the call id from #P2pSignaller::incoming-call
 * @sdp: the complete SDP offer
 * @error: return location for a #GError
 *
 * Sends the offer of a call to the viewer. A later offer in the same call
 * restarts ICE. Fails at once (without sending) when not connected, when
 * the call is unknown or when @sdp is empty or longer than
 * #P2P_SIGNALLING_MAX_SDP; delivery itself is not confirmed.
 *
 * Returns: %TRUE if the message was queued for sending
 */
gboolean
p2p_signalling_send_offer (P2pSignalling * self, const gchar * call,
    const gchar * sdp, GError ** error)
{
  g_return_val_if_fail (P2P_IS_SIGNALLING (self), FALSE);
  g_return_val_if_fail (self->role == P2P_SIGNALLING_ROLE_DEVICE, FALSE);
  g_return_val_if_fail (call != NULL && sdp != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return send_sdp (self, "offer", call, sdp, error);
}

/**
 * p2p_signalling_send_answer:
 * @self: a viewer's #P2pSignalling
 * @call: the call id from p2p_signalling_connect_finish()
 * @sdp: the complete SDP answer
 * @error: return location for a #GError
 *
 * Sends the answer to the device's offer; see p2p_signalling_send_offer()
 * for the checks made.
 *
 * Returns: %TRUE if the message was queued for sending
 */
gboolean
p2p_signalling_send_answer (P2pSignalling * self, const gchar * call,
    const gchar * sdp, GError ** error)
{
  g_return_val_if_fail (P2P_IS_SIGNALLING (self), FALSE);
  g_return_val_if_fail (self->role == P2P_SIGNALLING_ROLE_VIEWER, FALSE);
  g_return_val_if_fail (call != NULL && sdp != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return send_sdp (self, "answer", call, sdp, error);
}

/**
 * p2p_signalling_send_candidate:
 * @self: a #P2pSignalling
 * @call: the call id
 * @candidate: (nullable): one SDP candidate attribute value (`candidate:…`,
 *     without `a=` and line end), or %NULL or "" for end-of-candidates
 * @mid: (nullable): the media id the candidate belongs to
 * @error: return location for a #GError
 *
 * Trickles one local ICE candidate to the peer of @call.
 *
 * Returns: %TRUE if the message was queued for sending
 */
gboolean
p2p_signalling_send_candidate (P2pSignalling * self, const gchar * call,
    const gchar * candidate, const gchar * mid, GError ** error)
{
  JsonBuilder *builder;

  g_return_val_if_fail (P2P_IS_SIGNALLING (self), FALSE);
  g_return_val_if_fail (call != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_call_arg (call, error))
    return FALSE;
  if (candidate == NULL)
    candidate = "";
  if (!p2p_signaller_check_candidate (candidate, mid, error))
    return FALSE;

  builder = builder_begin ("candidate");
  builder_add_string (builder, "call", call);
  builder_add_string (builder, "candidate", candidate);
  builder_add_string (builder, "mid", mid);
  return queue_call_message (self, call, builder_to_text (builder), error);
}

/**
 * p2p_signalling_end_call:
 * @self: a #P2pSignalling
 * @call: the call id
 * @reason: (nullable): short reason for the peer's logs (`"bye"`,
 *     `"unauthorized"`, …), at most 256 bytes
 * @error: return location for a #GError
 *
 * Ends @call: the peer receives #P2pSignaller::call-ended and the call is
 * forgotten. A device declines an incoming call this way too.
 *
 * Returns: %TRUE if the message was queued for sending
 */
gboolean
p2p_signalling_end_call (P2pSignalling * self, const gchar * call,
    const gchar * reason, GError ** error)
{
  JsonBuilder *builder;

  g_return_val_if_fail (P2P_IS_SIGNALLING (self), FALSE);
  g_return_val_if_fail (call != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_call_arg (call, error))
    return FALSE;
  if (!p2p_signaller_check_reason (reason, error))
    return FALSE;

  builder = builder_begin ("end");
  builder_add_string (builder, "call", call);
  builder_add_string (builder, "reason", reason);
  if (!queue_call_message (self, call, builder_to_text (builder), error))
    return FALSE;
  remove_call (self, call);
  return TRUE;
}

/* ---- viewer connect requests (loop thread unless noted) ---- */

static void
connect_request_free (ConnectRequest * req)
{
  g_free (req->uid);
  g_clear_object (&req->task);
  g_free (req);
}

/* Takes the request out of the list and completes its task; @call is set on
 * success. */
static void
connect_request_complete (P2pSignalling * self, ConnectRequest * req,
    const gchar * call, const gchar * fingerprint, GError * error)
{
  GTask *task = g_steal_pointer (&req->task);

  if (call == NULL && req->id != 0) {
    if (self->abandoned->len == MAX_ABANDONED)
      g_array_remove_index (self->abandoned, 0);
    g_array_append_val (self->abandoned, req->id);
  }
  self->connects = g_list_remove (self->connects, req);
  if (req->timeout) {
    g_source_destroy (req->timeout);
    g_source_unref (req->timeout);
  }
  if (req->cancellable) {
    g_cancellable_disconnect (req->cancellable, req->cancel_handler);
    g_object_unref (req->cancellable);
  }
  connect_request_free (req);

  if (error) {
    g_task_return_error (task, error);
  } else {
    gchar **result = g_new0 (gchar *, 3);

    result[0] = g_strdup (call);
    result[1] = g_strdup (fingerprint);
    g_task_return_pointer (task, result, (GDestroyNotify) g_strfreev);
  }
  g_object_unref (task);
}

static ConnectRequest *
find_connect_by_id (P2pSignalling * self, gint64 id)
{
  GList *l;

  for (l = self->connects; l; l = l->next) {
    ConnectRequest *req = l->data;

    if (req->id != 0 && req->id == id)
      return req;
  }
  return NULL;
}

static gboolean
connect_timeout_cb (gpointer data)
{
  GTask *task = data;
  P2pSignalling *self = g_task_get_source_object (task);
  GList *l;

  for (l = self->connects; l; l = l->next) {
    ConnectRequest *req = l->data;

    if (req->task == task) {
      gboolean ready = self->logged_in;

      connect_request_complete (self, req, NULL, NULL,
          g_error_new (P2P_SIGNALLING_ERROR,
              ready ? P2P_SIGNALLING_ERROR_TIMEOUT :
              P2P_SIGNALLING_ERROR_UNREACHABLE,
              ready ? "The server did not answer the connect request in time"
              : "No signalling server could be reached in time"));
      break;
    }
  }
  return G_SOURCE_REMOVE;
}

static gboolean
connect_cancelled_in_loop (gpointer data)
{
  GTask *task = data;
  P2pSignalling *self = g_task_get_source_object (task);
  GList *l;

  for (l = self->connects; l; l = l->next) {
    ConnectRequest *req = l->data;

    if (req->task == task) {
      connect_request_complete (self, req, NULL, NULL,
          g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
              "Connect request cancelled"));
      break;
    }
  }
  return G_SOURCE_REMOVE;
}

/* Any thread: the cancellable fired; completion happens on the loop. */
static void
connect_cancelled_cb (GCancellable * cancellable, gpointer data)
{
  GTask *task = data;
  P2pSignalling *self = g_task_get_source_object (task);

  p2p_loop_invoke (self->loop, connect_cancelled_in_loop,
      g_object_ref (task), g_object_unref);
}

static void
send_request (P2pSignalling * self, ConnectRequest * req)
{
  /* protocol.md §7: ask for the UID's own server list first (servers with
   * the master role answer), then call the device. */
  JsonBuilder *builder = builder_begin (req->looked_up ? "connect" : "lookup");
  gchar *text;

  req->id = ++self->next_id;
  builder_add_string (builder, "uid", req->uid);
  builder_add_int (builder, "id", req->id);
  text = builder_to_text (builder);
  send_text (self, text);
  g_free (text);
}

static void
flush_connects (P2pSignalling * self)
{
  GList *l;

  for (l = self->connects; l && self->logged_in; l = l->next) {
    ConnectRequest *req = l->data;

    if (req->id == 0)
      send_request (self, req);
  }
}

typedef struct
{
  GTask *task;
  guint timeout_ms;
} ConnectStart;

static gboolean
connect_start_in_loop (gpointer data)
{
  ConnectStart *start = data;
  GTask *task = start->task;
  P2pSignalling *self = g_task_get_source_object (task);
  ConnectRequest *req;
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (!self->running) {
    g_task_return_new_error (task, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_STOPPED, "The signalling client is stopped");
    return G_SOURCE_REMOVE;
  }
  if (g_list_length (self->connects) >= MAX_PENDING_CONNECTS) {
    g_task_return_new_error (task, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_RATE_LIMITED, "Too many pending connects");
    return G_SOURCE_REMOVE;
  }
  if (g_cancellable_is_cancelled (cancellable)) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
        "Connect request cancelled");
    return G_SOURCE_REMOVE;
  }

  req = g_new0 (ConnectRequest, 1);
  req->task = g_object_ref (task);
  req->uid = g_strdup (g_task_get_task_data (task));
  req->timeout = g_timeout_source_new (start->timeout_ms);
  g_source_set_callback (req->timeout, connect_timeout_cb, task, NULL);
  g_source_attach (req->timeout, p2p_loop_get_context (self->loop));
  if (cancellable) {
    req->cancellable = g_object_ref (cancellable);
    req->cancel_handler = g_cancellable_connect (cancellable,
        G_CALLBACK (connect_cancelled_cb), task, NULL);
  }
  self->connects = g_list_append (self->connects, req);
  if (self->logged_in)
    send_request (self, req);
  return G_SOURCE_REMOVE;
}

static void
connect_start_free (gpointer data)
{
  ConnectStart *start = data;

  g_object_unref (start->task);
  g_free (start);
}

/**
 * p2p_signalling_connect_async:
 * @self: a viewer's #P2pSignalling
 * @uid: the device's UID
 * @timeout_ms: how long to wait for the server's answer, in milliseconds,
 *     including the time to (re)connect to a server
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the call is set up or failed
 * @user_data: data for @callback
 *
 * Calls the device @uid. The client must be started; if it is not logged
 * in yet the request waits until it is (within @timeout_ms). The server is
 * first asked for the UID's own server list (`lookup`, answered by servers
 * with the master role); when another server comes first and nothing else
 * uses the connection, the client moves there before calling. When the
 * server says the device is offline and the server list has other servers,
 * they are tried in turn (the device may be logged in to another one).
 *
 * @callback is invoked in the thread-default main context of the thread
 * calling this function; to have it run on the core's loop thread, call
 * this function from a function run by p2p_loop_invoke().
 */
void
p2p_signalling_connect_async (P2pSignalling * self, const gchar * uid,
    guint timeout_ms, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  ConnectStart *start;
  gchar *norm;
  gboolean started;

  g_return_if_fail (P2P_IS_SIGNALLING (self));
  g_return_if_fail (self->role == P2P_SIGNALLING_ROLE_VIEWER);
  g_return_if_fail (uid != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, p2p_signalling_connect_async);

  norm = p2p_signaller_normalise_uid (uid);
  if (norm == NULL) {
    g_task_return_new_error (task, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Malformed UID '%.32s'", uid);
    g_object_unref (task);
    return;
  }
  g_task_set_task_data (task, norm, g_free);

  g_mutex_lock (&self->lock);
  started = self->started;
  g_mutex_unlock (&self->lock);
  if (!started) {
    g_task_return_new_error (task, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_STOPPED, "The signalling client is not started");
    g_object_unref (task);
    return;
  }

  start = g_new0 (ConnectStart, 1);
  start->task = task;
  start->timeout_ms = MAX (timeout_ms, 1);
  p2p_loop_invoke (self->loop, connect_start_in_loop, start,
      connect_start_free);
}

/**
 * p2p_signalling_connect_finish:
 * @self: a #P2pSignalling
 * @result: the #GAsyncResult given to the callback
 * @device_fingerprint: (out) (optional) (transfer full): the device's
 *     registered certificate fingerprint (`sha-256 AB:…`); the DTLS peer
 *     certificate must match it (p2p_transport_set_expected_fingerprint())
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the call id, or %NULL with @error
 *     set (%P2P_SIGNALLING_ERROR_UNKNOWN_UID,
 *     %P2P_SIGNALLING_ERROR_DEVICE_OFFLINE, %P2P_SIGNALLING_ERROR_REFUSED,
 *     %P2P_SIGNALLING_ERROR_RATE_LIMITED, %P2P_SIGNALLING_ERROR_TIMEOUT,
 *     %P2P_SIGNALLING_ERROR_UNREACHABLE, %G_IO_ERROR_CANCELLED, …)
 */
gchar *
p2p_signalling_connect_finish (P2pSignalling * self, GAsyncResult * result,
    gchar ** device_fingerprint, GError ** error)
{
  gchar **pair;
  gchar *call;

  g_return_val_if_fail (P2P_IS_SIGNALLING (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  pair = g_task_propagate_pointer (G_TASK (result), error);
  if (pair == NULL)
    return NULL;
  call = g_steal_pointer (&pair[0]);
  if (device_fingerprint)
    *device_fingerprint = g_steal_pointer (&pair[1]);
  g_strfreev (pair);
  return call;
}

static void
connect_sync_cb (GObject * source, GAsyncResult * result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/**
 * p2p_signalling_connect:
 * @self: a viewer's #P2pSignalling
 * @uid: the device's UID
 * @timeout_ms: time-out in milliseconds, see p2p_signalling_connect_async()
 * @cancellable: (nullable): a #GCancellable
 * @device_fingerprint: (out) (optional) (transfer full): see
 *     p2p_signalling_connect_finish()
 * @error: return location for a #GError
 *
 * Blocking version of p2p_signalling_connect_async(). Must not be called
 * on the loop thread.
 *
 * Returns: (transfer full) (nullable): the call id
 */
gchar *
p2p_signalling_connect (P2pSignalling * self, const gchar * uid,
    guint timeout_ms, GCancellable * cancellable, gchar ** device_fingerprint,
    GError ** error)
{
  GMainContext *context;
  GAsyncResult *result = NULL;
  gchar *call;

  g_return_val_if_fail (P2P_IS_SIGNALLING (self), NULL);
  g_return_val_if_fail (!p2p_loop_is_current (self->loop), NULL);

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  p2p_signalling_connect_async (self, uid, timeout_ms, cancellable,
      connect_sync_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  call = p2p_signalling_connect_finish (self, result, device_fingerprint,
      error);
  g_object_unref (result);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return call;
}

/* ---- connection life cycle (loop thread) ---- */

static void
clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static GSource *
add_timeout (P2pSignalling * self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, p2p_loop_get_context (self->loop));
  return source;
}

/* The server list to walk: what the last welcome said, then the configured
 * ones it did not mention (a server may advertise names that do not resolve
 * from here). */
static GPtrArray *
effective_servers (P2pSignalling * self)
{
  GPtrArray *list = g_ptr_array_new ();
  guint i;

  for (i = 0; self->learned && self->learned[i]; i++)
    g_ptr_array_add (list, self->learned[i]);
  for (i = 0; self->servers[i]; i++) {
    if (!self->learned || !g_strv_contains ((const gchar * const *)
            self->learned, self->servers[i]))
      g_ptr_array_add (list, self->servers[i]);
  }
  return list;
}

/* Drops the current connection, if any, without touching the state. */
static void
drop_connection (P2pSignalling * self)
{
  gboolean had_calls;
  GList *l;

  clear_source (&self->timer);
  clear_source (&self->watchdog);
  if (self->connect_cancellable) {
    g_cancellable_cancel (self->connect_cancellable);
    g_clear_object (&self->connect_cancellable);
  }
  if (self->ws) {
    g_signal_handlers_disconnect_by_data (self->ws, self);
    if (soup_websocket_connection_get_state (self->ws) ==
        SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
          NULL);
    g_clear_object (&self->ws);
  }
  self->logged_in = FALSE;
  /* The server ended the calls of the lost connection itself. */
  g_array_set_size (self->abandoned, 0);
  /* Requests the lost connection carried are asked again on the next one
   * (the server forgot them with it), within their own time-outs. */
  for (l = self->connects; l; l = l->next)
    ((ConnectRequest *) l->data)->id = 0;

  g_mutex_lock (&self->lock);
  had_calls = g_hash_table_size (self->calls) > 0;
  g_hash_table_remove_all (self->calls);
  self->connection++;
  g_mutex_unlock (&self->lock);
  if (had_calls)
    g_debug ("signalling %p: calls of the lost connection forgotten", self);
}

/**
 * p2p_signalling_next_delay:
 * @min_ms: reconnect-min-delay
 * @max_ms: reconnect-max-delay
 * @rounds: passes over the server list that failed in a row
 * @retry_after_s: the server's `retry_after`, or 0
 * @busy: a server of the pass closed the connection at once
 *
 * The wait before the next pass, in ms. A server that said when to come
 * back is up and has given this client its turn (its admission slot):
 * that time, plus up to a second of jitter so that the clients given the
 * same second do not all come in its first millisecond, whatever our own
 * back-off had reached. Else exponential back-off from @min_ms, doubled
 * per round up to @max_ms, with jitter in [delay/2, delay] so that the
 * devices that lost the same server do not return in lock-step. When
 * @busy, the doubling stops at 8 × @min_ms: a full server is up and its
 * room comes back as soon as devices leave it, so waiting up to
 * reconnect-max-delay there only delays the return.
 *
 * Returns: the delay in ms
 */
guint
p2p_signalling_next_delay (guint min_ms, guint max_ms, guint rounds,
    gint64 retry_after_s, gboolean busy)
{
  gdouble delay = min_ms;
  guint i;

  if (retry_after_s > 0)
    return (guint) MIN (retry_after_s, 3600) * 1000 +
        g_random_int_range (0, 1000);
  if (busy)
    max_ms = MIN (max_ms, (guint64) min_ms * BUSY_MAX_DELAY_FACTOR);
  max_ms = MAX (max_ms, min_ms);
  for (i = 0; i < rounds && delay < max_ms; i++)
    delay *= 2;
  delay = MIN (delay, (gdouble) max_ms);
  return (guint) g_random_double_range (delay / 2.0, delay + 1.0);
}

static guint
backoff_delay (P2pSignalling * self, gint64 retry_after_s)
{
  guint min_delay, max_delay;

  g_mutex_lock (&self->lock);
  min_delay = self->reconnect_min_delay;
  max_delay = self->reconnect_max_delay;
  g_mutex_unlock (&self->lock);
  return p2p_signalling_next_delay (min_delay, max_delay, self->rounds,
      retry_after_s, self->pass_busy);
}

static gboolean
backoff_done_cb (gpointer data)
{
  P2pSignalling *self = data;

  g_source_unref (self->timer);
  self->timer = NULL;
  connect_to_server (self);
  return G_SOURCE_REMOVE;
}

static void
wait_and_retry (P2pSignalling * self, guint delay_ms, const GError * error)
{
  drop_connection (self);
  self->server_index = 0;
  self->pass_busy = FALSE;
  g_debug ("signalling %p: next attempt in %u ms", self, delay_ms);
  self->timer = add_timeout (self, delay_ms, backoff_done_cb);
  set_state (self, P2P_SIGNALLING_STATE_WAITING, error);
}

/* Fails every waiting connect request with a copy of @error. */
static void
fail_connects (P2pSignalling * self, const GError * error)
{
  while (self->connects)
    connect_request_complete (self, self->connects->data, NULL, NULL,
        g_error_copy (error));
}

/* A login the server refused for a reason that retrying will not fix. */
static void
fail_permanently (P2pSignalling * self, const GError * error)
{
  drop_connection (self);
  self->running = FALSE;
  g_mutex_lock (&self->lock);
  self->started = FALSE;
  g_mutex_unlock (&self->lock);
  fail_connects (self, error);
  set_state (self, P2P_SIGNALLING_STATE_FAILED, error);
}

/* The server being tried (or used) is gone: try the next one of the list,
 * or wait when a whole pass failed. @retry_after_s is the server's hint. */
static void
server_failed (P2pSignalling * self, const GError * error, gint64 retry_after_s)
{
  GPtrArray *list;
  gboolean was_ready = self->logged_in;
  guint delay;

  g_info ("signalling %p: server failed: %s", self, error->message);
  if (!self->running) {
    /* Stopped from a signal handler meanwhile: stay down. */
    drop_connection (self);
    return;
  }
  if (was_ready) {
    /* An established connection broke (server restart, network change):
     * come back soon, from the top of the list; but a server that accepts
     * and then drops us at once must not make us hammer it. */
    if (g_get_monotonic_time () - self->ready_since > STABLE_CONNECTION)
      self->rounds = 0;
    delay = backoff_delay (self, 0);
    self->rounds++;
    wait_and_retry (self, delay, error);
    return;
  }

  list = effective_servers (self);
  self->server_index++;
  if (self->server_index < list->len && retry_after_s == 0) {
    g_ptr_array_unref (list);
    drop_connection (self);
    connect_to_server (self);
    return;
  }
  g_ptr_array_unref (list);

  /* A server that answered with retry_after did not fail: our own
   * escalation starts over, and its time is the one kept. */
  if (retry_after_s > 0)
    self->rounds = 0;
  delay = backoff_delay (self, retry_after_s);
  if (retry_after_s == 0)
    self->rounds++;
  wait_and_retry (self, delay, error);
}

static gboolean
login_timeout_cb (gpointer data)
{
  P2pSignalling *self = data;
  GError *error;

  g_source_unref (self->timer);
  self->timer = NULL;
  error = g_error_new_literal (P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_TIMEOUT, "The server did not complete the login "
      "in time");
  server_failed (self, error, 0);
  g_error_free (error);
  return G_SOURCE_REMOVE;
}

static gboolean
watchdog_cb (gpointer data)
{
  P2pSignalling *self = data;
  gint64 silence = g_get_monotonic_time () - self->last_rx;
  GError *error;

  if (silence < (gint64) self->keepalive * DEAD_AFTER_PINGS * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;

  error = g_error_new (P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_DISCONNECTED,
      "Nothing heard from the server for %" G_GINT64_FORMAT " s",
      silence / G_USEC_PER_SEC);
  server_failed (self, error, 0);
  g_error_free (error);
  /* server_failed() destroyed this source. */
  return G_SOURCE_REMOVE;
}

static void
send_hello (P2pSignalling * self)
{
  JsonBuilder *builder = builder_begin ("hello");
  gchar *text;

  builder_add_int (builder, "version", P2P_PROTOCOL_VERSION);
  builder_add_string (builder, "role",
      self->role == P2P_SIGNALLING_ROLE_DEVICE ? "device" : "viewer");
  builder_add_string (builder, "uid", self->uid);
  builder_add_string (builder, "agent", "gst-p2p/" PACKAGE_VERSION);
  builder_add_int (builder, "id", ++self->next_id);
  text = builder_to_text (builder);
  send_text (self, text);
  g_free (text);
}

/* The server ids this device signs for on the current connection: the
 * configured ones, or else the host of the server URI being used (each
 * server of the list, learned ones too, has its own), never one the
 * server names itself. */
static gchar **
expected_server_ids (P2pSignalling * self)
{
  gchar **ids;
  GUri *uri;

  g_mutex_lock (&self->lock);
  if (self->server_ids && self->server_ids[0]) {
    ids = g_strdupv (self->server_ids);
    g_mutex_unlock (&self->lock);
    return ids;
  }
  /* A challenge can only come while connected to a server, but stay safe
   * if one arrives any other way. */
  uri = self->server_uri ? g_uri_parse (self->server_uri, G_URI_FLAGS_NONE,
      NULL) : NULL;
  g_mutex_unlock (&self->lock);

  ids = g_new0 (gchar *, 2);
  /* Servers were checked to have a host before connecting. */
  ids[0] = g_ascii_strdown (uri && g_uri_get_host (uri) ?
      g_uri_get_host (uri) : "", -1);
  if (uri)
    g_uri_unref (uri);
  return ids;
}

static void
handle_challenge (P2pSignalling * self, JsonObject * msg)
{
  const gchar *nonce, *server_id;
  GError *error = NULL;
  GBytes *bytes, *signature;
  gchar *b64, *text, **expected;
  JsonBuilder *builder;
  gboolean accepted;
  guint i;

  if (self->role != P2P_SIGNALLING_ROLE_DEVICE || self->logged_in) {
    g_info ("signalling %p: unexpected challenge, ignored", self);
    return;
  }
  if (!get_string (msg, "nonce", TRUE, P2P_PROTOCOL_NONCE_LENGTH,
          P2P_PROTOCOL_NONCE_LENGTH, &nonce, &error)
      || !get_string (msg, "server_id", TRUE, 1, MAX_SHORT_FIELD, &server_id,
          &error)) {
    server_failed (self, error, 0);
    g_error_free (error);
    return;
  }
  /* A line feed in either would let a server make the signed text mean
   * something else. */
  if (!is_base64 (nonce) || !p2p_signaller_is_printable (server_id)) {
    error = g_error_new_literal (P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_PROTOCOL, "Malformed challenge");
    server_failed (self, error, 0);
    g_error_free (error);
    return;
  }
  expected = expected_server_ids (self);
  accepted = FALSE;
  for (i = 0; expected[i] && !accepted; i++)
    accepted = g_ascii_strcasecmp (expected[i], server_id) == 0;
  if (!accepted) {
    gchar *list = g_strjoinv ("', '", expected);
    gchar *uri = p2p_signalling_dup_server_uri (self);

    /* Signing would hand this server a login to the server it names. */
    error = g_error_new (P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_WRONG_SERVER, "The server at %s presented the "
        "server id '%s' but this device expects '%s': login refused, "
        "nothing signed", uri, server_id, list);
    g_free (list);
    g_strfreev (expected);
    /* Worth telling even when the next server of the list works. */
    g_signal_emit (self, signals[SIGNAL_SERVER_REFUSED], 0, uri, error);
    g_free (uri);
    server_failed (self, error, 0);
    g_error_free (error);
    return;
  }
  g_strfreev (expected);

  /* docs/protocol.md §4: binding the server id and the nonce makes the
   * signature useless anywhere else and at any other time. */
  bytes = p2p_protocol_login_text (server_id, self->uid, nonce);
  signature = p2p_identity_sign (self->identity, bytes, &error);
  g_bytes_unref (bytes);
  if (signature == NULL) {
    GError *err = g_error_new (P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_AUTH_FAILED, "Cannot sign the login: %s",
        error->message);

    fail_permanently (self, err);
    g_error_free (err);
    g_error_free (error);
    return;
  }
  b64 = g_base64_encode (g_bytes_get_data (signature, NULL),
      g_bytes_get_size (signature));
  g_bytes_unref (signature);

  builder = builder_begin ("auth");
  builder_add_string (builder, "nonce", nonce);
  builder_add_string (builder, "signature", b64);
  builder_add_int (builder, "id", ++self->next_id);
  text = builder_to_text (builder);
  send_text (self, text);
  g_free (text);
  g_free (b64);
}

/* A server must not be able to move us to plain ws:// (or to URIs we
 * cannot use) by listing them. */
static void
drop_unusable_servers (P2pSignalling * self, gchar ** servers)
{
  gboolean allow_insecure;
  guint i, j;

  g_mutex_lock (&self->lock);
  allow_insecure = self->allow_insecure;
  g_mutex_unlock (&self->lock);

  for (i = j = 0; servers[i]; i++) {
    if (check_server_uri (servers[i], allow_insecure, NULL)) {
      servers[j++] = servers[i];
    } else {
      g_info ("signalling %p: listed server '%s' ignored", self, servers[i]);
      g_free (servers[i]);
    }
  }
  servers[j] = NULL;
}

/* Seconds until the first TURN credential expires, 0 if none does. */
static guint
shortest_ttl (GPtrArray * ice_servers)
{
  guint i, ttl = 0;

  for (i = 0; i < ice_servers->len; i++) {
    P2pIceServer *server = g_ptr_array_index (ice_servers, i);

    if (server->credential && server->ttl > 0)
      ttl = ttl ? MIN (ttl, server->ttl) : server->ttl;
  }
  return MIN (ttl, G_MAXUINT / 1000);
}

/* TURN credentials come with the login only (protocol.md §9): log in again
 * before they expire, so that new calls can still use the relay. The server
 * ends the calls of a closed connection, so wait while there are any. */
static gboolean
refresh_credentials_cb (gpointer data)
{
  P2pSignalling *self = data;
  gboolean busy;

  g_source_unref (self->timer);
  self->timer = NULL;

  g_mutex_lock (&self->lock);
  busy = g_hash_table_size (self->calls) > 0;
  g_mutex_unlock (&self->lock);
  if (busy || self->connects) {
    self->timer = add_timeout (self, CREDENTIAL_RECHECK_MS,
        refresh_credentials_cb);
    return G_SOURCE_REMOVE;
  }

  g_info ("signalling %p: logging in again for fresh TURN credentials", self);
  drop_connection (self);
  self->server_index = 0;
  connect_to_server (self);
  return G_SOURCE_REMOVE;
}

static void
handle_welcome (P2pSignalling * self, SoupWebsocketConnection * ws,
    JsonObject * msg)
{
  GPtrArray *ice_servers;
  JsonArray *servers;
  gchar **learned = NULL;
  gint64 ping = 0;
  guint keepalive, ttl;
  GError *error = NULL;

  if (self->logged_in) {
    g_info ("signalling %p: second welcome ignored", self);
    return;
  }
  ice_servers = parse_ice_servers (msg, &error);
  if (ice_servers == NULL)
    goto bad;
  servers = get_array (msg, "servers", &error);
  if (error)
    goto bad;
  if (servers) {
    learned = parse_string_array (servers, "servers", is_ws_uri, &error);
    if (learned == NULL)
      goto bad;
    drop_unusable_servers (self, learned);
  }
  if (!get_int (msg, "ping_interval", 1, 3600, &ping, &error))
    goto bad;

  g_strfreev (self->learned);
  self->learned = learned;
  g_mutex_lock (&self->lock);
  g_ptr_array_unref (self->ice_servers);
  self->ice_servers = ice_servers;
  keepalive = self->ping_interval;
  g_mutex_unlock (&self->lock);
  if (ping > 0)
    keepalive = MIN (keepalive, (guint) ping);
  self->keepalive = MAX (keepalive, 1);
  if (ws)
    soup_websocket_connection_set_keepalive_interval (ws, self->keepalive);

  clear_source (&self->timer);
  self->watchdog = add_timeout (self, self->keepalive * 1000, watchdog_cb);
  ttl = shortest_ttl (ice_servers);
  if (ttl > 0)
    self->timer = add_timeout (self, ttl * 800, refresh_credentials_cb);
  self->logged_in = TRUE;
  self->pass_busy = FALSE;
  self->ready_since = g_get_monotonic_time ();
  set_state (self, P2P_SIGNALLING_STATE_READY, NULL);
  /* A handler may have stopped us. */
  if (self->ws == ws)
    flush_connects (self);
  return;

bad:
  if (ice_servers)
    g_ptr_array_unref (ice_servers);
  /* Parsed before a later field turned out bad. */
  g_strfreev (learned);
  server_failed (self, error, 0);
  g_error_free (error);
}

/* Whether @id is of a request given up on, which it then no longer is. */
static gboolean
take_abandoned (P2pSignalling * self, gint64 id)
{
  guint i;

  for (i = 0; i < self->abandoned->len; i++) {
    if (g_array_index (self->abandoned, gint64, i) == id) {
      g_array_remove_index (self->abandoned, i);
      return TRUE;
    }
  }
  return FALSE;
}

static void
handle_connected (P2pSignalling * self, JsonObject * msg, gint64 id)
{
  ConnectRequest *req = find_connect_by_id (self, id);
  const gchar *call, *fingerprint;
  GPtrArray *ice_servers;
  GError *error = NULL;

  if (req == NULL) {
    /* Given up on (time-out, p2p_signaller_cancel_call()) after it was
     * sent: the server told the device already, which would wait for an
     * answer. Ending the call lets it free its side now. */
    if (take_abandoned (self, id)
        && get_string (msg, "call", TRUE, P2P_PROTOCOL_CALL_ID_LENGTH,
            P2P_PROTOCOL_CALL_ID_LENGTH, &call, NULL) && is_call_id (call)) {
      JsonBuilder *builder = builder_begin ("end");
      g_autofree gchar *text = NULL;

      g_info ("signalling %p: ending call %s, given up on", self, call);
      builder_add_string (builder, "call", call);
      builder_add_string (builder, "reason", "cancelled");
      text = builder_to_text (builder);
      send_text (self, text);
    }
    return;
  }
  if (!get_string (msg, "call", TRUE, P2P_PROTOCOL_CALL_ID_LENGTH,
          P2P_PROTOCOL_CALL_ID_LENGTH, &call, &error)
      || !get_string (msg, "device_fingerprint", TRUE, 1, MAX_SHORT_FIELD,
          &fingerprint, &error)) {
    connect_request_complete (self, req, NULL, NULL, error);
    return;
  }
  if (!is_call_id (call) || !is_fingerprint (fingerprint)) {
    connect_request_complete (self, req, NULL, NULL,
        g_error_new_literal (P2P_SIGNALLING_ERROR,
            P2P_SIGNALLING_ERROR_PROTOCOL,
            "Malformed call id or device fingerprint"));
    return;
  }
  ice_servers = parse_ice_servers (msg, &error);
  if (!ice_servers) {
    connect_request_complete (self, req, NULL, NULL, error);
    return;
  }
  if (!add_call (self, call, ice_servers)) {
    connect_request_complete (self, req, NULL, NULL,
        g_error_new_literal (P2P_SIGNALLING_ERROR,
            P2P_SIGNALLING_ERROR_REFUSED, "Too many calls"));
    return;
  }
  connect_request_complete (self, req, call, fingerprint, NULL);
}

static gboolean
uri_equal (const gchar * a, const gchar * b)
{
  GUri *ua = g_uri_parse (a, G_URI_FLAGS_NONE, NULL);
  GUri *ub = g_uri_parse (b, G_URI_FLAGS_NONE, NULL);
  gboolean equal = ua && ub
      && g_ascii_strcasecmp (g_uri_get_scheme (ua), g_uri_get_scheme (ub)) == 0
      && g_strcmp0 (g_uri_get_host (ua), g_uri_get_host (ub)) == 0
      && g_uri_get_port (ua) == g_uri_get_port (ub)
      && g_strcmp0 (*g_uri_get_path (ua) ? g_uri_get_path (ua) : "/",
      *g_uri_get_path (ub) ? g_uri_get_path (ub) : "/") == 0;

  if (ua)
    g_uri_unref (ua);
  if (ub)
    g_uri_unref (ub);
  return equal;
}

/* Whether a connect request may move the connection to another server:
 * only when nothing else uses it. */
static gboolean
connection_is_free (P2pSignalling * self)
{
  gboolean free;

  g_mutex_lock (&self->lock);
  free = g_hash_table_size (self->calls) == 0;
  g_mutex_unlock (&self->lock);
  return free && g_list_length (self->connects) == 1;
}

/* The server list for the UID a connect request asked about: call from
 * the first of them, moving there if that is not this server. Any problem
 * with the answer just means calling from here. */
static void
handle_servers (P2pSignalling * self, ConnectRequest * req, JsonObject * msg)
{
  JsonArray *array;
  gchar **list = NULL;
  GError *error = NULL;

  req->looked_up = TRUE;
  array = get_array (msg, "servers", &error);
  if (array)
    list = parse_string_array (array, "servers", is_ws_uri, &error);
  if (error) {
    g_info ("signalling %p: bad server list ignored: %s", self, error->message);
    g_clear_error (&error);
  }
  if (list)
    drop_unusable_servers (self, list);

  if (list && list[0] && !uri_equal (list[0], self->server_uri)
      && connection_is_free (self)) {
    g_info ("signalling %p: %s is served by %s, moving there", self,
        req->uid, list[0]);
    g_strfreev (self->learned);
    self->learned = list;
    drop_connection (self);
    self->server_index = 0;
    connect_to_server (self);
    return;
  }
  g_strfreev (list);
  send_request (self, req);
}

static void
handle_incoming (P2pSignalling * self, JsonObject * msg)
{
  const gchar *call, *viewer, *address;
  GPtrArray *ice_servers;
  GError *error = NULL;

  if (self->role != P2P_SIGNALLING_ROLE_DEVICE) {
    g_info ("signalling %p: 'incoming' for a viewer ignored", self);
    return;
  }
  if (!get_string (msg, "call", TRUE, P2P_PROTOCOL_CALL_ID_LENGTH,
          P2P_PROTOCOL_CALL_ID_LENGTH, &call, &error)
      || !get_string (msg, "viewer", FALSE, 0, MAX_SHORT_FIELD, &viewer, &error)
      || !get_string (msg, "address", FALSE, 0, 64, &address, &error)) {
    g_info ("signalling %p: bad 'incoming': %s", self, error->message);
    g_error_free (error);
    return;
  }
  if (!is_call_id (call) || (viewer && !p2p_signaller_is_printable (viewer))
      || (address && !p2p_signaller_is_printable (address))) {
    g_info ("signalling %p: malformed 'incoming' ignored", self);
    return;
  }
  ice_servers = parse_ice_servers (msg, &error);
  if (!ice_servers) {
    g_info ("signalling %p: bad 'incoming': %s", self, error->message);
    g_error_free (error);
    return;
  }
  if (!add_call (self, call, ice_servers)) {
    JsonBuilder *builder = builder_begin ("end");
    gchar *text;

    builder_add_string (builder, "call", call);
    builder_add_string (builder, "reason", "busy");
    text = builder_to_text (builder);
    send_text (self, text);
    g_free (text);
    return;
  }
  g_signal_emit (self, signals[SIGNAL_INCOMING_CALL], 0, call, viewer, address);
}

static void
handle_call_message (P2pSignalling * self, const gchar * type, JsonObject * msg)
{
  const gchar *call, *value = NULL, *mid = NULL;
  GError *error = NULL;
  gboolean is_offer = strcmp (type, "offer") == 0;
  gboolean is_answer = strcmp (type, "answer") == 0;
  gboolean is_end = strcmp (type, "end") == 0;

  if (!get_string (msg, "call", TRUE, P2P_PROTOCOL_CALL_ID_LENGTH,
          P2P_PROTOCOL_CALL_ID_LENGTH, &call, &error))
    goto bad;
  if (!is_call_id (call) || !call_known (self, call)) {
    g_info ("signalling %p: '%s' for an unknown call ignored", self, type);
    return;
  }

  if (is_offer || is_answer) {
    if ((is_offer && self->role != P2P_SIGNALLING_ROLE_VIEWER)
        || (is_answer && self->role != P2P_SIGNALLING_ROLE_DEVICE)) {
      g_info ("signalling %p: '%s' not for this role ignored", self, type);
      return;
    }
    if (!get_string (msg, "sdp", TRUE, 1, P2P_SIGNALLING_MAX_SDP, &value,
            &error))
      goto bad;
    g_signal_emit (self, signals[is_offer ? SIGNAL_REMOTE_OFFER :
            SIGNAL_REMOTE_ANSWER], 0, call, value);
  } else if (is_end) {
    if (!get_string (msg, "reason", FALSE, 0, MAX_SHORT_FIELD, &value, &error))
      goto bad;
    if (value && !p2p_signaller_is_printable (value))
      value = NULL;
    remove_call (self, call);
    g_signal_emit (self, signals[SIGNAL_CALL_ENDED], 0, call, value);
  } else {
    if (!get_string (msg, "candidate", TRUE, 0, P2P_SIGNALLING_MAX_CANDIDATE,
            &value, &error)
        || !get_string (msg, "mid", FALSE, 0, 32, &mid, &error))
      goto bad;
    if ((*value && !g_str_has_prefix (value, "candidate:"))
        || !p2p_signaller_is_printable (value) || (mid
            && !p2p_signaller_is_printable (mid))) {
      g_info ("signalling %p: malformed candidate ignored", self);
      return;
    }
    g_signal_emit (self, signals[SIGNAL_REMOTE_CANDIDATE], 0, call, value, mid);
  }
  return;

bad:
  g_info ("signalling %p: bad '%s' ignored: %s", self, type, error->message);
  g_error_free (error);
}

static void
handle_error (P2pSignalling * self, JsonObject * msg, gboolean has_ref,
    gint64 ref)
{
  const gchar *code, *text, *call;
  gint64 retry_after = 0;
  GError *error = NULL;
  ConnectRequest *req;
  gint value;

  if (!get_string (msg, "code", TRUE, 1, 64, &code, &error)
      || !get_string (msg, "message", FALSE, 0, MAX_MESSAGE_TEXT, &text, &error)
      || !get_string (msg, "call", FALSE, 0, P2P_PROTOCOL_CALL_ID_LENGTH, &call,
          &error)
      || !get_int (msg, "retry_after", 0, 86400, &retry_after, &error)) {
    g_info ("signalling %p: bad 'error' ignored: %s", self, error->message);
    g_error_free (error);
    return;
  }
  if (!p2p_signaller_is_printable (code) || (text
          && !g_utf8_validate (text, -1, NULL)))
    code = text = "invalid";
  value = map_error_code (code);
  error = g_error_new (P2P_SIGNALLING_ERROR, value, "%s%s%s", code,
      text ? ": " : "", text ? text : "");
  g_info ("signalling %p: server error %s", self, error->message);

  req = has_ref ? find_connect_by_id (self, ref) : NULL;
  if (req && !req->looked_up) {
    /* No master role here (wrong-role) or no answer for this UID: the
     * connect itself will tell. */
    req->looked_up = TRUE;
    send_request (self, req);
    g_error_free (error);
    return;
  }
  if (req) {
    GPtrArray *list = effective_servers (self);
    guint n_servers = list->len;
    gboolean alone = connection_is_free (self);

    g_ptr_array_unref (list);

    /* protocol.md §7: the device may be logged in to another server of
     * the list; moving this connection there is only fair when no other
     * call or request depends on it. */
    if (value == P2P_SIGNALLING_ERROR_DEVICE_OFFLINE && alone
        && ++req->servers_tried < n_servers) {
      g_info ("signalling %p: device offline here, trying the next server",
          self);
      drop_connection (self);
      self->server_index = (self->server_index + 1) % n_servers;
      connect_to_server (self);
      g_error_free (error);
      return;
    }
    connect_request_complete (self, req, NULL, NULL, error);
    return;
  }

  if (!self->logged_in) {
    switch (value) {
      case P2P_SIGNALLING_ERROR_UNKNOWN_UID:
      case P2P_SIGNALLING_ERROR_REVOKED:
      case P2P_SIGNALLING_ERROR_INVALID_ARGUMENT:
        fail_permanently (self, error);
        break;
      case P2P_SIGNALLING_ERROR_AUTH_FAILED:
        /* A bad signature is permanent; a nonce problem (server restarted
         * between challenge and auth) is not. */
        if (strcmp (code, "bad-signature") == 0)
          fail_permanently (self, error);
        else
          server_failed (self, error, 0);
        break;
      case P2P_SIGNALLING_ERROR_PROTOCOL:
        /* A master-only server in the list: the next one may do. */
        if (strcmp (code, "wrong-role") == 0)
          server_failed (self, error, 0);
        else
          fail_permanently (self, error);
        break;
      default:
        server_failed (self, error, retry_after);
        break;
    }
    g_error_free (error);
    return;
  }

  if (value == P2P_SIGNALLING_ERROR_REPLACED) {
    fail_permanently (self, error);
  } else if (call && is_call_id (call)) {
    if (value == P2P_SIGNALLING_ERROR_UNKNOWN_CALL)
      remove_call (self, call);
    g_signal_emit (self, signals[SIGNAL_CALL_ERROR], 0, call, error);
  }
  /* Other errors after login (timeout, shutting-down, …) precede a close,
   * which reconnects. */
  g_error_free (error);
}

static void
handle_message (P2pSignalling * self, SoupWebsocketConnection * ws,
    const gchar * text, gsize len)
{
  JsonObject *msg;
  JsonNode *id_node;
  const gchar *type;
  GError *error = NULL;
  gboolean has_id = FALSE;
  gint64 id = 0;

  /* P2P_JSON_MAX_SIZE is P2P_SIGNALLING_MAX_MESSAGE. */
  msg = p2p_json_parse_object (text, len, &error);
  if (!msg) {
    g_info ("signalling %p: message dropped: %s", self, error->message);
    g_error_free (error);
    return;
  }
  if (!get_string (msg, "type", TRUE, 1, 32, &type, &error)) {
    g_info ("signalling %p: message dropped: %s", self, error->message);
    g_error_free (error);
    goto out;
  }
  id_node = json_object_get_member (msg, strcmp (type, "error") == 0 ?
      "ref" : "id");
  if (id_node && JSON_NODE_HOLDS_VALUE (id_node)
      && json_node_get_value_type (id_node) == G_TYPE_INT64) {
    has_id = TRUE;
    id = json_node_get_int (id_node);
  }

  if (strcmp (type, "error") == 0) {
    handle_error (self, msg, has_id, id);
  } else if (strcmp (type, "pong") == 0) {
    /* Activity is all a pong means. */
  } else if (strcmp (type, "challenge") == 0) {
    handle_challenge (self, msg);
  } else if (strcmp (type, "welcome") == 0) {
    handle_welcome (self, ws, msg);
  } else if (!self->logged_in) {
    g_info ("signalling %p: '%.32s' before welcome ignored", self, type);
  } else if (strcmp (type, "connected") == 0) {
    if (has_id)
      handle_connected (self, msg, id);
  } else if (strcmp (type, "servers") == 0) {
    ConnectRequest *req = has_id ? find_connect_by_id (self, id) : NULL;

    if (req && !req->looked_up)
      handle_servers (self, req, msg);
  } else if (strcmp (type, "incoming") == 0) {
    handle_incoming (self, msg);
  } else if (strcmp (type, "offer") == 0 || strcmp (type, "answer") == 0
      || strcmp (type, "candidate") == 0 || strcmp (type, "end") == 0) {
    handle_call_message (self, type, msg);
  } else {
    /* Newer servers may send types we do not know. */
    g_debug ("signalling %p: message type '%.32s' ignored", self, type);
  }

out:
  json_object_unref (msg);
}

static void
ws_message_cb (SoupWebsocketConnection * ws, gint data_type, GBytes * message,
    gpointer data)
{
  P2pSignalling *self = data;
  gsize len;
  const gchar *text = g_bytes_get_data (message, &len);

  self->last_rx = g_get_monotonic_time ();
  if (data_type != SOUP_WEBSOCKET_DATA_TEXT) {
    g_info ("signalling %p: binary message dropped", self);
    return;
  }
  g_debug ("signalling %p: < %.*s", self, (gint) MIN (len, 512), text);
  /* Handlers of the signals emitted from here may drop the last other
   * reference or stop the client. */
  g_object_ref (self);
  g_object_ref (ws);
  handle_message (self, ws, text, len);
  g_object_unref (ws);
  g_object_unref (self);
}

typedef struct
{
  P2pSignalling *self;
  gboolean logged_in;
  const gchar *call;
  const gchar *text;
  gsize len;
} TestReceive;

static gboolean
receive_for_test_in_loop (gpointer data)
{
  TestReceive *receive = data;
  P2pSignalling *self = receive->self;

  self->logged_in = receive->logged_in;
  if (receive->call)
    add_call (self, receive->call, NULL);
  handle_message (self, NULL, receive->text, receive->len);
  /* Timers a welcome may have armed. */
  drop_connection (self);
  return G_SOURCE_REMOVE;
}

void
p2p_signalling_receive_for_test (P2pSignalling * self, gboolean logged_in,
    const gchar * call, const gchar * text, gsize len)
{
  TestReceive receive = { self, logged_in, call, text, len };

  p2p_loop_invoke_sync (self->loop, receive_for_test_in_loop, &receive);
}

static void
ws_pong_cb (SoupWebsocketConnection * ws, GBytes * message, gpointer data)
{
  P2pSignalling *self = data;

  self->last_rx = g_get_monotonic_time ();
}

static void
ws_closed_cb (SoupWebsocketConnection * ws, gpointer data)
{
  P2pSignalling *self = data;
  GError *error;

  if (ws != self->ws)
    return;
  error = g_error_new (P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_DISCONNECTED,
      "The server closed the connection (code %u%s%s)",
      soup_websocket_connection_get_close_code (ws),
      soup_websocket_connection_get_close_data (ws) ? ", " : "",
      soup_websocket_connection_get_close_data (ws) ?
      soup_websocket_connection_get_close_data (ws) : "");
  g_object_ref (self);
  server_failed (self, error, 0);
  g_object_unref (self);
  g_error_free (error);
}

static void
ws_error_cb (SoupWebsocketConnection * ws, GError * error, gpointer data)
{
  /* "closed" follows and does the recovery. */
  g_info ("signalling %p: WebSocket error: %s", data, error->message);
}

/* Whether the server answered the handshake 503, as p2p-server does near
 * its descriptor limit: it is up and busy. */
static gboolean
answered_busy (SoupMessage * msg)
{
  return msg && soup_message_get_status (msg) ==
      SOUP_STATUS_SERVICE_UNAVAILABLE;
}

/* What went wrong connecting to @uri, in words a user can act on; %NULL
 * when @error says it already. @msg: the handshake's message, whose
 * certificate errors tell an unknown CA from a name mismatch. */
static const gchar *
explain_connect_error (const gchar * uri, SoupMessage * msg,
    const GError * error)
{
  GTlsCertificateFlags flags = msg ?
      soup_message_get_tls_peer_certificate_errors (msg) : 0;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return "connection refused: nothing listens on that port (is "
        "p2p-server running, on this port?)";
  if (error->domain == G_RESOLVER_ERROR)
    return "DNS failure: the server's host name does not resolve";
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
    if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
      return "untrusted certificate: the server's TLS certificate is not "
          "signed by a trusted authority (for a private CA, set "
          "tls-ca-file)";
    if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
      return "certificate mismatch: the server's TLS certificate is for "
          "another host name";
    if (flags & (G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_NOT_ACTIVATED))
      return "expired certificate: the server's TLS certificate is out of "
          "its validity period";
    return "untrusted certificate: the server's TLS certificate was " "refused";
  }
  if (error->domain == G_TLS_ERROR)
    return "TLS handshake failure (does the server speak wss:// on that "
        "port?)";
  if (g_str_has_prefix (uri, "ws://") && error->domain == G_IO_ERROR
      && (error->code == G_IO_ERROR_CONNECTION_CLOSED
          || error->code == G_IO_ERROR_BROKEN_PIPE
          || error->code == G_IO_ERROR_PARTIAL_INPUT
          || error->code == G_IO_ERROR_FAILED))
    return "the server dropped the connection at once (a wss:// server "
        "addressed with ws://?)";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return "timed out";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
    return "no route to the server";
  if (answered_busy (msg))
    return "the server is busy (503 Service Unavailable: near its "
        "connection limit)";
  if (error->domain == SOUP_WEBSOCKET_ERROR)
    return "not a WebSocket endpoint (wrong path?)";
  return NULL;
}

/* Whether @error says the server took the connection and closed it before
 * answering, as p2p-server does near its descriptor limit on wss:// (and
 * did on ws:// before it answered 503 there): it is up. */
static gboolean
closed_at_once (const GError * error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT)
      || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF);
}

static void
ws_connected_cb (GObject * source, GAsyncResult * result, gpointer data)
{
  P2pSignalling *self = data;
  SoupWebsocketConnection *ws;
  GError *error = NULL;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
      &error);
  if (ws == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
          (source), result);
      const gchar *why = explain_connect_error (self->server_uri, msg, error);
      GError *err = why ? g_error_new (P2P_SIGNALLING_ERROR,
          P2P_SIGNALLING_ERROR_UNREACHABLE, "Cannot connect to %s: %s (%s)",
          self->server_uri, why, error->message) :
          g_error_new (P2P_SIGNALLING_ERROR,
          P2P_SIGNALLING_ERROR_UNREACHABLE, "Cannot connect to %s: %s",
          self->server_uri, error->message);

      if (closed_at_once (error) || answered_busy (msg))
        self->pass_busy = TRUE;
      server_failed (self, err, 0);
      g_error_free (err);
    }
    g_error_free (error);
    g_object_unref (self);
    return;
  }
  if (!self->running || self->connect_cancellable == NULL) {
    /* Stopped while the handshake completed. */
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    g_object_unref (ws);
    g_object_unref (self);
    return;
  }

  g_clear_object (&self->connect_cancellable);
  self->ws = ws;
  self->last_rx = g_get_monotonic_time ();
  soup_websocket_connection_set_max_incoming_payload_size (ws,
      P2P_SIGNALLING_MAX_MESSAGE);
  g_signal_connect (ws, "message", G_CALLBACK (ws_message_cb), self);
  g_signal_connect (ws, "pong", G_CALLBACK (ws_pong_cb), self);
  g_signal_connect (ws, "closed", G_CALLBACK (ws_closed_cb), self);
  g_signal_connect (ws, "error", G_CALLBACK (ws_error_cb), self);
  send_hello (self);
  g_object_unref (self);
}

static void
system_ca_loaded_cb (GObject * source, GAsyncResult * result, gpointer data)
{
  P2pSignalling *self = data;
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));
  GTlsDatabase *database = p2p_system_ca_load_finish (result);

  /* Stopped, or moved on, meanwhile: drop_connection() cancelled it. */
  if (!g_cancellable_is_cancelled (cancellable)) {
    if (database)
      soup_session_set_tls_database (self->session, database);
    self->needs_system_ca = FALSE;
    g_clear_object (&self->connect_cancellable);
    connect_to_server (self);
  }
  g_clear_object (&database);
  g_object_unref (self);
}

/* Before a wss:// connection without the application's authorities: the
 * system's, loaded once per process off the loop thread
 * (p2p-system-ca.c). Returns %FALSE when the connection has to wait for
 * them; connect_to_server() runs again when they are there. */
static gboolean
have_system_ca (P2pSignalling * self, const gchar * uri)
{
  GTlsDatabase *database = NULL;

  if (!self->needs_system_ca || g_ascii_strncasecmp (uri, "wss:", 4) != 0)
    return TRUE;
  if (p2p_system_ca_peek (&database)) {
    if (database)
      soup_session_set_tls_database (self->session, database);
    g_clear_object (&database);
    self->needs_system_ca = FALSE;
    return TRUE;
  }
  self->connect_cancellable = g_cancellable_new ();
  /* Its callback comes back on the loop's context. */
  g_main_context_push_thread_default (p2p_loop_get_context (self->loop));
  p2p_system_ca_load_async (self->connect_cancellable, system_ca_loaded_cb,
      g_object_ref (self));
  g_main_context_pop_thread_default (p2p_loop_get_context (self->loop));
  set_state (self, P2P_SIGNALLING_STATE_CONNECTING, NULL);
  return FALSE;
}

static void
connect_to_server (P2pSignalling * self)
{
  GPtrArray *list = effective_servers (self);
  const gchar *uri;
  SoupMessage *msg;
  gchar *protocols[] = { (gchar *) P2P_PROTOCOL_SUBPROTOCOL, NULL };
  guint timeout;

  if (self->server_index >= list->len)
    self->server_index = 0;
  uri = g_ptr_array_index (list, self->server_index);

  g_mutex_lock (&self->lock);
  g_free (self->server_uri);
  self->server_uri = g_strdup (uri);
  timeout = self->login_timeout;
  g_mutex_unlock (&self->lock);
  g_ptr_array_unref (list);
  /* The login time-out starts once they are there. */
  if (!have_system_ca (self, self->server_uri))
    return;

  g_debug ("signalling %p: connecting to %s", self, self->server_uri);
  msg = soup_message_new (SOUP_METHOD_GET, self->server_uri);
  if (msg == NULL) {
    GError *error = g_error_new (P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Unusable server URI '%s'",
        self->server_uri);

    server_failed (self, error, 0);
    g_error_free (error);
    return;
  }
  self->connect_cancellable = g_cancellable_new ();
  self->timer = add_timeout (self, timeout, login_timeout_cb);
  soup_session_websocket_connect_async (self->session, msg, NULL, protocols,
      G_PRIORITY_DEFAULT, self->connect_cancellable, ws_connected_cb,
      g_object_ref (self));
  g_object_unref (msg);
  set_state (self, P2P_SIGNALLING_STATE_CONNECTING, NULL);
}

static gboolean
start_in_loop (gpointer data)
{
  P2pSignalling *self = data;
  GTlsDatabase *database;
  gboolean allow_insecure;
  GError *error = NULL;
  guint i;

  if (self->running)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->lock);
  allow_insecure = self->allow_insecure;
  database = self->tls_database ? g_object_ref (self->tls_database) : NULL;
  g_mutex_unlock (&self->lock);

  for (i = 0; self->servers[i]; i++) {
    if (!check_server_uri (self->servers[i], allow_insecure, &error)) {
      g_clear_object (&database);
      fail_permanently (self, error);
      g_error_free (error);
      return G_SOURCE_REMOVE;
    }
  }

  g_clear_object (&self->session);
  /* The session binds to the thread-default context at creation: make
   * sure it is the loop's, whoever pushed what. */
  g_main_context_push_thread_default (p2p_loop_get_context (self->loop));
  self->session = soup_session_new_with_options ("user-agent",
      "gst-p2p/" PACKAGE_VERSION, NULL);
  if (database)
    soup_session_set_tls_database (self->session, database);
  self->needs_system_ca = database == NULL;
  g_main_context_pop_thread_default (p2p_loop_get_context (self->loop));
  g_clear_object (&database);

  self->running = TRUE;
  self->rounds = 0;
  self->server_index = 0;
  connect_to_server (self);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_in_loop (gpointer data)
{
  P2pSignalling *self = data;
  GError *error;

  drop_connection (self);
  if (self->session) {
    soup_session_abort (self->session);
    g_clear_object (&self->session);
  }
  self->running = FALSE;
  error = g_error_new_literal (P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_STOPPED, "The signalling client was stopped");
  fail_connects (self, error);
  g_error_free (error);
  set_state (self, P2P_SIGNALLING_STATE_STOPPED, NULL);
  return G_SOURCE_REMOVE;
}

/**
 * p2p_signalling_start:
 * @self: a #P2pSignalling
 *
 * Starts connecting to the servers, in the background. Progress is reported
 * by #P2pSignalling::state-changed. Does nothing when already started.
 * Also restarts a client in %P2P_SIGNALLING_STATE_FAILED.
 */
void
p2p_signalling_start (P2pSignalling * self)
{
  g_return_if_fail (P2P_IS_SIGNALLING (self));

  g_mutex_lock (&self->lock);
  self->started = TRUE;
  g_mutex_unlock (&self->lock);
  p2p_loop_invoke (self->loop, start_in_loop, g_object_ref (self),
      g_object_unref);
}

/**
 * p2p_signalling_stop:
 * @self: a #P2pSignalling
 *
 * Closes the connection, stops reconnecting and fails pending connect
 * requests with %P2P_SIGNALLING_ERROR_STOPPED. Calls are forgotten (the
 * server ends them for the peers). Waits for the loop thread: when this
 * returns no signal handler of @self runs any more, apart from the final
 * #P2pSignalling::state-changed to %P2P_SIGNALLING_STATE_STOPPED emitted
 * during the call. Must not be called with a lock held that a signal
 * handler takes.
 */
void
p2p_signalling_stop (P2pSignalling * self)
{
  g_return_if_fail (P2P_IS_SIGNALLING (self));

  g_mutex_lock (&self->lock);
  self->started = FALSE;
  g_mutex_unlock (&self->lock);
  p2p_loop_invoke_sync (self->loop, stop_in_loop, self);
}

/**
 * p2p_signalling_get_state:
 * @self: a #P2pSignalling
 *
 * Returns: the current state
 */
P2pSignallingState
p2p_signalling_get_state (P2pSignalling * self)
{
  P2pSignallingState state;

  g_return_val_if_fail (P2P_IS_SIGNALLING (self), P2P_SIGNALLING_STATE_STOPPED);

  g_mutex_lock (&self->lock);
  state = self->state;
  g_mutex_unlock (&self->lock);
  return state;
}

/**
 * p2p_signalling_get_role:
 * @self: a #P2pSignalling
 *
 * Returns: whether @self is a device or a viewer
 */
P2pSignallingRole
p2p_signalling_get_role (P2pSignalling * self)
{
  g_return_val_if_fail (P2P_IS_SIGNALLING (self), P2P_SIGNALLING_ROLE_VIEWER);
  return self->role;
}

/**
 * p2p_signalling_dup_server_uri:
 * @self: a #P2pSignalling
 *
 * Returns: (transfer full) (nullable): the URI of the server in use or being
 *     tried, %NULL before the first attempt
 */
gchar *
p2p_signalling_dup_server_uri (P2pSignalling * self)
{
  gchar *uri;

  g_return_val_if_fail (P2P_IS_SIGNALLING (self), NULL);

  g_mutex_lock (&self->lock);
  uri = g_strdup (self->server_uri);
  g_mutex_unlock (&self->lock);
  return uri;
}

static void
copy_ice_servers (GPtrArray * to, GPtrArray * from)
{
  guint i;

  for (i = 0; i < from->len; i++)
    g_ptr_array_add (to, p2p_ice_server_copy (g_ptr_array_index (from, i)));
}

/**
 * p2p_signalling_get_ice_servers:
 * @self: a #P2pSignalling
 *
 * The ICE servers from the last `welcome`: STUN servers, which every call
 * may use. TURN servers come with each call, for that call only (see
 * p2p_signalling_get_call_ice_servers()). A server older than that may
 * still hand out TURN credentials here; they expire (see
 * #P2pIceServer.ttl), so when four fifths of the shortest lifetime have
 * passed and no call is up, the client logs in again to get fresh ones
 * (the state goes through %P2P_SIGNALLING_STATE_CONNECTING).
 *
 * Returns: (transfer full) (element-type P2pIceServer): a copy of the list,
 *     empty before the first login
 */
GPtrArray *
p2p_signalling_get_ice_servers (P2pSignalling * self)
{
  GPtrArray *copy;

  g_return_val_if_fail (P2P_IS_SIGNALLING (self), NULL);

  copy = g_ptr_array_new_with_free_func ((GDestroyNotify)
      p2p_ice_server_free);
  g_mutex_lock (&self->lock);
  copy_ice_servers (copy, self->ice_servers);
  g_mutex_unlock (&self->lock);
  return copy;
}

/**
 * p2p_signalling_get_call_ice_servers:
 * @self: a #P2pSignalling
 * @call: a call id from p2p_signalling_connect_finish() or
 *     #P2pSignaller::incoming-call
 *
 * The ICE servers to use for @call: those of the last `welcome`, then the
 * TURN servers with the credentials the server issued with `connected`
 * or `incoming` for this call only (docs/protocol.md §9). Those
 * credentials are named after the call and expire #P2pIceServer.ttl
 * seconds after it began; a relay the call still uses then is lost.
 *
 * Returns: (transfer full) (element-type P2pIceServer): a copy of the list;
 *     only the `welcome` servers when @call is not a call of the current
 *     connection
 */
GPtrArray *
p2p_signalling_get_call_ice_servers (P2pSignalling * self, const gchar * call)
{
  GPtrArray *copy, *own;

  g_return_val_if_fail (P2P_IS_SIGNALLING (self), NULL);
  g_return_val_if_fail (call != NULL, NULL);

  copy = g_ptr_array_new_with_free_func ((GDestroyNotify)
      p2p_ice_server_free);
  g_mutex_lock (&self->lock);
  copy_ice_servers (copy, self->ice_servers);
  own = g_hash_table_lookup (self->calls, call);
  if (own)
    copy_ice_servers (copy, own);
  g_mutex_unlock (&self->lock);
  return copy;
}

/* ---- P2pSignaller ---- */

/* One p2p_signaller_call(), from the call until its outcome (a
 * reference-counted box); the cancellable only tells its connect request
 * from others: it is never cancelled, so that a call id the server gave
 * cannot be dropped unseen. */
typedef struct
{
  P2pSignalling *self;
  gchar *uid;
  gchar *norm;
  guint timeout_ms;
  GCancellable *cancellable;
  gboolean cancelled;           /* loop thread */
} SignallerCall;

static void
signaller_call_clear (gpointer data)
{
  SignallerCall *request = data;

  g_object_unref (request->self);
  g_free (request->uid);
  g_free (request->norm);
  g_object_unref (request->cancellable);
}

static void
signaller_call_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, signaller_call_clear);
}

static void
signaller_call_done (GObject * source, GAsyncResult * result, gpointer data)
{
  P2pSignalling *self = P2P_SIGNALLING (source);
  SignallerCall *request = data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *fingerprint = NULL;
  g_autofree gchar *call = NULL;

  self->signaller_calls = g_list_remove (self->signaller_calls, request);
  call = p2p_signalling_connect_finish (self, result, &fingerprint, &error);
  if (call && request->cancelled)
    /* Started before the cancel could stop it: the device is told. */
    p2p_signalling_end_call (self, call, "cancelled", NULL);
  else if (call)
    g_signal_emit_by_name (self, "call-started", request->uid, call,
        fingerprint);
  else if (!request->cancelled && !g_error_matches (error,
          P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_STOPPED))
    /* A stopped signaller and a cancelled call stay silent
     * (p2p_signaller_stop(), p2p_signaller_cancel_call()). */
    g_signal_emit_by_name (self, "call-failed", request->uid, error);
  signaller_call_unref (request);
}

/* Run on the loop thread so that the result is delivered there too. */
static gboolean
signaller_call_in_loop (gpointer data)
{
  SignallerCall *request = data;
  P2pSignalling *self = request->self;

  self->signaller_calls = g_list_prepend (self->signaller_calls, request);
  p2p_signalling_connect_async (self, request->uid, request->timeout_ms,
      request->cancellable, signaller_call_done,
      g_atomic_rc_box_acquire (request));
  return G_SOURCE_REMOVE;
}

typedef struct
{
  P2pSignalling *self;
  gchar *norm;
} SignallerCancel;

static void
signaller_cancel_free (gpointer data)
{
  SignallerCancel *cancel = data;

  g_object_unref (cancel->self);
  g_free (cancel->norm);
  g_free (cancel);
}

/* Completes the connect requests of the calls to the UID here, on the loop
 * thread, so that no 'connected' can slip in between: one that comes later
 * is ended (handle_connected()). */
static gboolean
signaller_cancel_in_loop (gpointer data)
{
  SignallerCancel *cancel = data;
  P2pSignalling *self = cancel->self;
  GList *l, *c;

  for (l = self->signaller_calls; l; l = l->next) {
    SignallerCall *request = l->data;

    if (g_strcmp0 (request->norm, cancel->norm) == 0)
      request->cancelled = TRUE;
  }
  /* Completing a request may call signaller_call_done() at once, which
   * takes its entry out of signaller_calls (the inner walk stops there)
   * and emits nothing for a cancelled call. */
  c = self->connects;
  while (c) {
    ConnectRequest *req = c->data;
    GCancellable *tag = g_task_get_cancellable (req->task);

    c = c->next;
    for (l = self->signaller_calls; l && tag; l = l->next) {
      SignallerCall *request = l->data;

      if (request->cancelled && request->cancellable == tag) {
        connect_request_complete (self, req, NULL, NULL,
            g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                "Call cancelled"));
        break;
      }
    }
  }
  return G_SOURCE_REMOVE;
}

static void
signaller_cancel_call (P2pSignaller * signaller, const gchar * uid)
{
  P2pSignalling *self = P2P_SIGNALLING (signaller);
  SignallerCancel *cancel;
  gchar *norm = p2p_signaller_normalise_uid (uid);

  if (norm == NULL || self->role != P2P_SIGNALLING_ROLE_VIEWER) {
    g_free (norm);
    return;
  }
  cancel = g_new0 (SignallerCancel, 1);
  cancel->self = g_object_ref (self);
  cancel->norm = norm;
  p2p_loop_invoke (self->loop, signaller_cancel_in_loop, cancel,
      signaller_cancel_free);
}

static gboolean
signaller_call (P2pSignaller * signaller, const gchar * uid,
    guint timeout_ms, GError ** error)
{
  P2pSignalling *self = P2P_SIGNALLING (signaller);
  SignallerCall *request;
  gboolean started;

  if (self->role != P2P_SIGNALLING_ROLE_VIEWER) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "A device's signalling client cannot make calls");
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  started = self->started;
  g_mutex_unlock (&self->lock);
  if (!started) {
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_STOPPED,
        "The signalling client is not started");
    return FALSE;
  }

  request = g_atomic_rc_box_new0 (SignallerCall);
  request->self = g_object_ref (self);
  request->uid = g_strdup (uid);
  request->norm = p2p_signaller_normalise_uid (uid);
  request->timeout_ms = timeout_ms;
  request->cancellable = g_cancellable_new ();
  p2p_loop_invoke (self->loop, signaller_call_in_loop, request,
      signaller_call_unref);
  return TRUE;
}

static gboolean
signaller_send_offer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  P2pSignalling *self = P2P_SIGNALLING (signaller);

  if (self->role != P2P_SIGNALLING_ROLE_DEVICE)
    return check_role (P2P_SIGNALLING_ROLE_DEVICE, error);
  return p2p_signalling_send_offer (self, call, sdp, error);
}

static gboolean
signaller_send_answer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  P2pSignalling *self = P2P_SIGNALLING (signaller);

  if (self->role != P2P_SIGNALLING_ROLE_VIEWER)
    return check_role (P2P_SIGNALLING_ROLE_VIEWER, error);
  return p2p_signalling_send_answer (self, call, sdp, error);
}

static GPtrArray *
signaller_get_ice_servers (P2pSignaller * signaller, const gchar * call)
{
  P2pSignalling *self = P2P_SIGNALLING (signaller);

  if (call)
    return p2p_signalling_get_call_ice_servers (self, call);
  return p2p_signalling_get_ice_servers (self);
}

static void
signaller_start (P2pSignaller * signaller)
{
  p2p_signalling_start (P2P_SIGNALLING (signaller));
}

static void
signaller_stop (P2pSignaller * signaller)
{
  p2p_signalling_stop (P2P_SIGNALLING (signaller));
}

static gboolean
signaller_send_candidate (P2pSignaller * signaller, const gchar * call,
    const gchar * candidate, const gchar * mid, GError ** error)
{
  return p2p_signalling_send_candidate (P2P_SIGNALLING (signaller), call,
      candidate, mid, error);
}

static gboolean
signaller_end_call (P2pSignaller * signaller, const gchar * call,
    const gchar * reason, GError ** error)
{
  return p2p_signalling_end_call (P2P_SIGNALLING (signaller), call, reason,
      error);
}

static void
p2p_signalling_signaller_init (P2pSignallerInterface * iface)
{
  iface->start = signaller_start;
  iface->stop = signaller_stop;
  iface->call = signaller_call;
  iface->cancel_call = signaller_cancel_call;
  iface->send_offer = signaller_send_offer;
  iface->send_answer = signaller_send_answer;
  iface->send_candidate = signaller_send_candidate;
  iface->end_call = signaller_end_call;
  iface->get_ice_servers = signaller_get_ice_servers;
}

/* ---- GObject ---- */

static void
p2p_signalling_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  P2pSignalling *self = P2P_SIGNALLING (object);

  switch (prop_id) {
    case PROP_LOOP:
      self->loop = g_value_dup_object (value);
      break;
    case PROP_ROLE:
      self->role = g_value_get_enum (value);
      break;
    case PROP_UID:
      self->uid = g_value_dup_string (value);
      break;
    case PROP_IDENTITY:
      self->identity = g_value_dup_object (value);
      break;
    case PROP_SERVERS:
      self->servers = g_value_dup_boxed (value);
      break;
    default:
      g_mutex_lock (&self->lock);
      switch (prop_id) {
        case PROP_ALLOW_INSECURE:
          self->allow_insecure = g_value_get_boolean (value);
          break;
        case PROP_TLS_DATABASE:
          g_clear_object (&self->tls_database);
          self->tls_database = g_value_dup_object (value);
          break;
        case PROP_SERVER_IDS:
          g_strfreev (self->server_ids);
          self->server_ids = g_value_dup_boxed (value);
          break;
        case PROP_PING_INTERVAL:
          self->ping_interval = g_value_get_uint (value);
          break;
        case PROP_LOGIN_TIMEOUT:
          self->login_timeout = g_value_get_uint (value);
          break;
        case PROP_RECONNECT_MIN_DELAY:
          self->reconnect_min_delay = g_value_get_uint (value);
          break;
        case PROP_RECONNECT_MAX_DELAY:
          self->reconnect_max_delay = g_value_get_uint (value);
          break;
        default:
          G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
          break;
      }
      g_mutex_unlock (&self->lock);
      break;
  }
}

static void
p2p_signalling_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  P2pSignalling *self = P2P_SIGNALLING (object);

  switch (prop_id) {
    case PROP_LOOP:
      g_value_set_object (value, self->loop);
      return;
    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      return;
    case PROP_UID:
      g_value_set_string (value, self->uid);
      return;
    case PROP_IDENTITY:
      g_value_set_object (value, self->identity);
      return;
    case PROP_SERVERS:
      g_value_set_boxed (value, self->servers);
      return;
    default:
      break;
  }

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_ALLOW_INSECURE:
      g_value_set_boolean (value, self->allow_insecure);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    case PROP_SERVER_IDS:
      g_value_set_boxed (value, self->server_ids);
      break;
    case PROP_PING_INTERVAL:
      g_value_set_uint (value, self->ping_interval);
      break;
    case PROP_LOGIN_TIMEOUT:
      g_value_set_uint (value, self->login_timeout);
      break;
    case PROP_RECONNECT_MIN_DELAY:
      g_value_set_uint (value, self->reconnect_min_delay);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      g_value_set_uint (value, self->reconnect_max_delay);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_SERVER_URI:
      g_value_set_string (value, self->server_uri);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
p2p_signalling_constructed (GObject * object)
{
  P2pSignalling *self = P2P_SIGNALLING (object);
  gchar *norm;

  G_OBJECT_CLASS (p2p_signalling_parent_class)->constructed (object);

  if (self->loop == NULL)
    self->loop = p2p_loop_get_default ();
  if (self->servers == NULL)
    self->servers = g_new0 (gchar *, 1);
  if (self->uid) {
    norm = p2p_signaller_normalise_uid (self->uid);
    if (norm == NULL)
      g_warning ("signalling %p: UID '%s' is malformed", self, self->uid);
    else {
      g_free (self->uid);
      self->uid = norm;
    }
  }
}

static gboolean
stop_if_running_in_loop (gpointer data)
{
  P2pSignalling *self = data;

  if (self->running || self->session)
    stop_in_loop (self);
  return G_SOURCE_REMOVE;
}

static void
p2p_signalling_dispose (GObject * object)
{
  P2pSignalling *self = P2P_SIGNALLING (object);

  /* running and session belong to the loop thread: look there. */
  if (self->loop)
    p2p_loop_invoke_sync (self->loop, stop_if_running_in_loop, self);

  G_OBJECT_CLASS (p2p_signalling_parent_class)->dispose (object);
}

static void
p2p_signalling_finalize (GObject * object)
{
  P2pSignalling *self = P2P_SIGNALLING (object);

  g_clear_object (&self->loop);
  g_clear_object (&self->identity);
  g_clear_object (&self->tls_database);
  g_strfreev (self->server_ids);
  g_free (self->uid);
  g_strfreev (self->servers);
  g_strfreev (self->learned);
  g_free (self->server_uri);
  g_ptr_array_unref (self->ice_servers);
  g_hash_table_unref (self->calls);
  g_array_unref (self->abandoned);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (p2p_signalling_parent_class)->finalize (object);
}

static void
p2p_signalling_class_init (P2pSignallingClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
      G_PARAM_STATIC_STRINGS;
  gpointer iface;

  gobject_class->set_property = p2p_signalling_set_property;
  gobject_class->get_property = p2p_signalling_get_property;
  gobject_class->constructed = p2p_signalling_constructed;
  gobject_class->dispose = p2p_signalling_dispose;
  gobject_class->finalize = p2p_signalling_finalize;

  /**
   * P2pSignalling:loop:
   *
   * The loop whose thread does the network work and emits the signals.
   * Default: p2p_loop_get_default().
   */
  g_object_class_install_property (gobject_class, PROP_LOOP,
      g_param_spec_object ("loop", "Loop", "Loop running the connection",
          P2P_TYPE_LOOP, co));

  /**
   * P2pSignalling:role:
   *
   * Device or viewer end of the protocol. Default: viewer.
   */
  g_object_class_install_property (gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role", "Device or viewer",
          P2P_TYPE_SIGNALLING_ROLE, P2P_SIGNALLING_ROLE_VIEWER, co));

  /**
   * P2pSignalling:uid:
   *
   * The device's UID (device role only), normalised (upper case, `O` read
   * as `0`, `I` and `L` as `1`). Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_UID,
      g_param_spec_string ("uid", "UID", "The device's UID", NULL, co));

  /**
   * P2pSignalling:identity:
   *
   * The device's identity, with its private key (device role only): signs
   * the login challenge. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_IDENTITY,
      g_param_spec_object ("identity", "Identity", "The device's key",
          P2P_TYPE_IDENTITY, co));

  /**
   * P2pSignalling:servers:
   *
   * Server URIs (`wss://host:port/path`), tried in order. Default: none.
   */
  g_object_class_install_property (gobject_class, PROP_SERVERS,
      g_param_spec_boxed ("servers", "Servers", "Server URIs in order",
          G_TYPE_STRV, co));

  /**
   * P2pSignalling:allow-insecure:
   *
   * Accept plain `ws://` server URIs (loopback demos and tests: the
   * signalling then travels in clear text). Read when started.
   * Default: %FALSE.
   */
  g_object_class_install_property (gobject_class, PROP_ALLOW_INSECURE,
      g_param_spec_boolean ("allow-insecure", "Allow insecure",
          "Accept ws:// server URIs", FALSE, rw));

  /**
   * P2pSignalling:tls-database:
   *
   * Certificate authorities to check `wss://` servers against. Read when
   * started. Default: %NULL (the system's, loaded once per process on a
   * worker thread before the first `wss://` connection starts).
   */
  g_object_class_install_property (gobject_class, PROP_TLS_DATABASE,
      g_param_spec_object ("tls-database", "TLS database",
          "Trusted certificate authorities", G_TYPE_TLS_DATABASE, rw));

  /**
   * P2pSignalling:server-ids:
   *
   * Device role: the server ids (`server-id` of the servers' configuration)
   * this device signs a login challenge for, compared without regard to
   * ASCII case. By default (%NULL or empty) the expected id is the host of
   * the server URI being connected to, lower-cased, without port or
   * brackets (`rv1.example.com` for `wss://rv1.example.com:8443/`), so a
   * server configured with `server-id` = its host name needs no setting
   * here, and each server of the list (learned ones too) expects its own.
   * A server presenting another id is refused with
   * %P2P_SIGNALLING_ERROR_WRONG_SERVER before anything is signed (its
   * signature would log it in elsewhere as this device) and the next
   * server is tried. Set this when the servers' ids are not their host
   * names; every id listed is accepted from every server. Read at each
   * login. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_SERVER_IDS,
      g_param_spec_boxed ("server-ids", "Server ids",
          "Server ids accepted in a login challenge", G_TYPE_STRV, rw));

  /**
   * P2pSignalling:ping-interval:
   *
   * Seconds between WebSocket pings (the server's `ping_interval` lowers
   * it); a connection silent for three intervals is dropped and
   * re-established. Read at each login. Default: 20.
   */
  g_object_class_install_property (gobject_class, PROP_PING_INTERVAL,
      g_param_spec_uint ("ping-interval", "Ping interval",
          "Seconds between keep-alive pings", 1, 3600, DEFAULT_PING_INTERVAL,
          rw | G_PARAM_CONSTRUCT));

  /**
   * P2pSignalling:login-timeout:
   *
   * Milliseconds a server gets, from the start of the connection to
   * `welcome`, before the next one is tried. It starts once the system's
   * certificate authorities are loaded (#P2pSignalling:tls-database).
   * Default: 10000.
   */
  g_object_class_install_property (gobject_class, PROP_LOGIN_TIMEOUT,
      g_param_spec_uint ("login-timeout", "Login time-out",
          "Milliseconds to connect and log in", 1, G_MAXINT,
          DEFAULT_LOGIN_TIMEOUT, rw | G_PARAM_CONSTRUCT));

  /**
   * P2pSignalling:reconnect-min-delay:
   *
   * Milliseconds: the first back-off delay after every server failed, and
   * the delay after an established connection is lost. Doubled after each
   * failed pass over the list, up to #P2pSignalling:reconnect-max-delay;
   * each delay is picked at random between half and all of its value. A
   * server's `retry_after` replaces this delay (plus up to a second of
   * jitter) and starts the doubling over. After a pass on which a server
   * closed the connection at once (full: p2p-server near its descriptor
   * limit), the doubling stops at 8 times this delay. Default: 500.
   */
  g_object_class_install_property (gobject_class, PROP_RECONNECT_MIN_DELAY,
      g_param_spec_uint ("reconnect-min-delay", "Reconnect minimum delay",
          "Milliseconds of the first back-off delay", 1, G_MAXINT,
          DEFAULT_RECONNECT_MIN_DELAY, rw | G_PARAM_CONSTRUCT));

  /**
   * P2pSignalling:reconnect-max-delay:
   *
   * Milliseconds: cap of the back-off delay. Default: 30000.
   */
  g_object_class_install_property (gobject_class, PROP_RECONNECT_MAX_DELAY,
      g_param_spec_uint ("reconnect-max-delay", "Reconnect maximum delay",
          "Milliseconds of the longest back-off delay", 1, G_MAXINT,
          DEFAULT_RECONNECT_MAX_DELAY, rw | G_PARAM_CONSTRUCT));

  /**
   * P2pSignalling:state:
   *
   * The current #P2pSignallingState; notified on the loop thread.
   */
  g_object_class_install_property (gobject_class, PROP_STATE,
      g_param_spec_enum ("state", "State", "Connection state",
          P2P_TYPE_SIGNALLING_STATE, P2P_SIGNALLING_STATE_STOPPED,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * P2pSignalling:server-uri:
   *
   * The server in use or being tried, %NULL before the first attempt.
   */
  g_object_class_install_property (gobject_class, PROP_SERVER_URI,
      g_param_spec_string ("server-uri", "Server URI",
          "Server in use or being tried", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * P2pSignalling::state-changed:
   * @self: the #P2pSignalling
   * @state: the new #P2pSignallingState
   * @error: (nullable): why the connection was lost or the login failed
   *
   * Emitted on the loop thread when the state changes. Entering
   * %P2P_SIGNALLING_STATE_READY means the ICE servers are available
   * (p2p_signalling_get_ice_servers()); the calls of a lost connection are
   * gone (the server ended them for the peers).
   */
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, P2P_TYPE_SIGNALLING_STATE, G_TYPE_ERROR);

  /* The call signals (incoming-call, remote-offer, remote-answer,
   * remote-candidate, call-ended, call-error, call-started, call-failed,
   * error) are those of #P2pSignaller. */
  iface = g_type_default_interface_ref (P2P_TYPE_SIGNALLER);
  signals[SIGNAL_INCOMING_CALL] = g_signal_lookup ("incoming-call",
      P2P_TYPE_SIGNALLER);
  signals[SIGNAL_REMOTE_OFFER] = g_signal_lookup ("remote-offer",
      P2P_TYPE_SIGNALLER);
  signals[SIGNAL_REMOTE_ANSWER] = g_signal_lookup ("remote-answer",
      P2P_TYPE_SIGNALLER);
  signals[SIGNAL_REMOTE_CANDIDATE] = g_signal_lookup ("remote-candidate",
      P2P_TYPE_SIGNALLER);
  signals[SIGNAL_CALL_ENDED] = g_signal_lookup ("call-ended",
      P2P_TYPE_SIGNALLER);
  signals[SIGNAL_CALL_ERROR] = g_signal_lookup ("call-error",
      P2P_TYPE_SIGNALLER);
  signals[SIGNAL_ERROR] = g_signal_lookup ("error", P2P_TYPE_SIGNALLER);
  g_type_default_interface_unref (iface);

  /**
   * P2pSignalling::server-refused:
   * @self: the #P2pSignalling
   * @uri: the server's URI
   * @error: why (%P2P_SIGNALLING_ERROR_WRONG_SERVER: its login challenge
   *     named another server id than expected)
   *
   * Device role: this client refused to log in to the server at @uri and
   * moves on to the next server of the list. Emitted whether or not
   * another server then accepts the device, so that an impostor (or a
   * server whose id is not its host name) does not go unnoticed.
   */
  signals[SIGNAL_SERVER_REFUSED] = g_signal_new ("server-refused",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);
}

static void
p2p_signalling_init (P2pSignalling * self)
{
  g_mutex_init (&self->lock);
  self->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      p2p_ice_server_free);
  self->calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_ptr_array_unref);
  self->abandoned = g_array_new (FALSE, FALSE, sizeof (gint64));
}

/**
 * p2p_signalling_new_device:
 * @loop: (nullable): the loop to run on, or %NULL for the default one
 * @servers: (array zero-terminated=1): server URIs, tried in order
 * @uid: the device's UID
 * @identity: the device's identity, with its private key
 *
 * Creates the device end: it logs in as @uid once started.
 *
 * Returns: (transfer full): a new #P2pSignalling
 */
P2pSignalling *
p2p_signalling_new_device (P2pLoop * loop, const gchar * const *servers,
    const gchar * uid, P2pIdentity * identity)
{
  g_return_val_if_fail (loop == NULL || P2P_IS_LOOP (loop), NULL);
  g_return_val_if_fail (servers != NULL && servers[0] != NULL, NULL);
  g_return_val_if_fail (uid != NULL, NULL);
  g_return_val_if_fail (P2P_IS_IDENTITY (identity), NULL);

  return g_object_new (P2P_TYPE_SIGNALLING, "loop", loop, "role",
      P2P_SIGNALLING_ROLE_DEVICE, "servers", servers, "uid", uid,
      "identity", identity, NULL);
}

/**
 * p2p_signalling_new_viewer:
 * @loop: (nullable): the loop to run on, or %NULL for the default one
 * @servers: (array zero-terminated=1): server URIs, tried in order
 *
 * Creates the viewer end.
 *
 * Returns: (transfer full): a new #P2pSignalling
 */
P2pSignalling *
p2p_signalling_new_viewer (P2pLoop * loop, const gchar * const *servers)
{
  g_return_val_if_fail (loop == NULL || P2P_IS_LOOP (loop), NULL);
  g_return_val_if_fail (servers != NULL && servers[0] != NULL, NULL);

  return g_object_new (P2P_TYPE_SIGNALLING, "loop", loop, "role",
      P2P_SIGNALLING_ROLE_VIEWER, "servers", servers, NULL);
}
