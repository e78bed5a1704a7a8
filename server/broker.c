/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The broker: everything the server knows about its clients, driven by
 * libwebsockets callbacks on the single event-loop thread (so nothing here
 * needs a lock). A session is the per-connection state libwebsockets
 * allocates for us; it stays small because a logged-in idle device is the
 * common case and there may be 100 000 of them: no buffers are held
 * between messages, only the UID, address, timers and a call list. */

#include "broker.h"

#include <math.h>
#include <string.h>
#include <gio/gio.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <p2p-core/p2p-identity.h>

#include "fd-limit.h"
#include "rate-limit.h"
#include "registry-queue.h"
#include "server-list.h"
#include "server-log.h"
#include "signalling-message.h"
#include "turn-credentials.h"
#include "p2p-protocol-uid.h"

#define MAX_VIEWER_CALLS 8
/* Requests of one connection waiting for the registry at once. */
#define MAX_SESSION_LOOKUPS 4
#define MAX_QUEUED (256 * 1024)
#define NONCE_BYTES 32
#define NONCE_MAC_BYTES 8
/* How long a closing connection may take to read its last messages. */
#define CLOSE_GRACE_S 5
/* The close opcode's lws_write() type: lws 4.1 handles it but leaves it out
 * of its public enum. */
#define WRITE_CLOSE ((enum lws_write_protocol) 4)

typedef struct _OutMsg OutMsg;
struct _OutMsg
{
  OutMsg *next;
  gsize len;
  guint8 buf[];                 /* LWS_PRE bytes of head room, then text */
};

typedef enum
{
  STATE_NEW,
  STATE_CHALLENGED,
  STATE_VERIFYING,              /* auth sent, the registry being read */
  STATE_DEVICE,
  STATE_VIEWER,
} SessionState;

typedef struct _Session Session;
typedef struct _Call Call;

/* What the connections of one source address hold (IPv6 per /64: one
 * subscriber gets a whole /64, so single IPv6 addresses cost nothing). */
typedef struct
{
  guint connections;
  gsize buffered;               /* of partly received messages */
} AddressUse;

struct _Session
{
  struct lws *wsi;
  Session *prev;
  Session *next;
  guint64 serial;
  SessionState state;
  gboolean closing;             /* no more input; close once the queue is sent */
  gboolean ping_pending;
  gboolean pinged;              /* a ping went out since the last frame came in */
  gboolean nonce_valid;
  gboolean close_sent;
  guint16 close_status;
  const gchar *close_reason;
  gint64 accepted_us;
  gint64 last_rx_us;
  gchar uid[P2P_UID_LENGTH + 1];
  gchar address[48];
  gchar address_key[48];        /* what per-address limits count by */
  AddressUse *use;
  guint8 nonce[NONCE_BYTES];
  OutMsg *out_head;
  OutMsg *out_tail;
  gsize out_bytes;
  GByteArray *rx;               /* only while a fragmented message arrives */
  GSList *calls;
  guint n_calls;
  GSList *lookups;              /* Lookup: registry reads under way */
  gchar *fingerprint;           /* a logged-in device's, from its login */
};

struct _Call
{
  gchar id[P2P_PROTOCOL_CALL_ID_LENGTH + 1];
  Session *device;
  Session *viewer;
  gint64 created_us;
  gboolean answered;
};

typedef enum
{
  LOOKUP_LOGIN,
  LOOKUP_CONNECT,
  LOOKUP_SERVERS,
} LookupKind;

/* A request waiting for the registry, and what it needs to go on. */
typedef struct
{
  P2pBroker *b;
  Session *s;
  P2pRegistryRequest *request;
  LookupKind kind;
  JsonNode *id;
  gchar *nonce;                 /* login: as the device sent it */
  GBytes *signature;            /* login */
  gchar uid[P2P_UID_LENGTH + 1];
} Lookup;

struct _P2pBroker
{
  const P2pServerConfig *config;
  P2pRegistryQueue *registry;
  Session *sessions;
  guint n_sessions;
  guint64 next_serial;
  GHashTable *devices;          /* UID (owned by the session) -> Session */
  GHashTable *calls;            /* call id -> Call (owned) */
  GHashTable *addresses;        /* address key -> AddressUse (owned) */
  P2pRateLimit *by_address;
  P2pRateLimit *login_failures; /* by address key */
  P2pRateLimit *uid_connects;   /* by UID and address key */
  P2pRateLimit *admission;      /* device logins, one bucket */
  gdouble admission_horizon;    /* monotonic s of the last slot handed out */
  guint8 nonce_key[32];
  guint retry_after;            /* of the last rate-limit refusal */
  gboolean draining;
  guint ticks;
  P2pBrokerStats totals;        /* counters and the viewer gauge */
};

typedef gboolean (*Handler) (P2pBroker * b, Session * s, JsonObject * msg,
    JsonNode * id, GError ** error);

/**
 * p2p_broker_new:
 * @config: the configuration, kept by reference
 * @registry: the registry queue device lookups go to, kept by reference
 *
 * Returns: (transfer full): a broker with no sessions
 */
P2pBroker *
p2p_broker_new (const P2pServerConfig * config, P2pRegistryQueue * registry)
{
  P2pBroker *b = g_new0 (P2pBroker, 1);

  b->config = config;
  b->registry = registry;
  b->devices = g_hash_table_new (g_str_hash, g_str_equal);
  b->calls = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  b->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  b->by_address = p2p_rate_limit_new (config->address_rate,
      config->address_burst);
  b->login_failures = p2p_rate_limit_new (config->login_failure_rate,
      config->login_failure_burst);
  b->uid_connects = p2p_rate_limit_new (config->uid_connect_rate,
      config->uid_connect_burst);
  b->admission = p2p_rate_limit_new (config->device_login_rate,
      config->device_login_burst);
  if (RAND_bytes (b->nonce_key, sizeof (b->nonce_key)) != 1)
    g_error ("OpenSSL's random generator failed");
  return b;
}

/**
 * p2p_broker_free:
 * @broker: (transfer full): a broker whose sessions are all closed
 *
 * Frees @broker.
 */
void
p2p_broker_free (P2pBroker * broker)
{
  g_hash_table_unref (broker->devices);
  g_hash_table_unref (broker->calls);
  g_hash_table_unref (broker->addresses);
  p2p_rate_limit_free (broker->by_address);
  p2p_rate_limit_free (broker->login_failures);
  p2p_rate_limit_free (broker->uid_connects);
  p2p_rate_limit_free (broker->admission);
  OPENSSL_cleanse (broker->nonce_key, sizeof (broker->nonce_key));
  g_free (broker);
}

/**
 * p2p_broker_session_size:
 *
 * Returns: the per-connection size to give libwebsockets
 */
gsize
p2p_broker_session_size (void)
{
  return sizeof (Session);
}

/**
 * p2p_broker_get_stats:
 * @broker: a broker
 * @stats: (out caller-allocates): filled with the current figures
 */
void
p2p_broker_get_stats (P2pBroker * broker, P2pBrokerStats * stats)
{
  *stats = broker->totals;
  stats->connections = broker->n_sessions;
  stats->devices = g_hash_table_size (broker->devices);
  stats->calls = g_hash_table_size (broker->calls);
  stats->registry_queue = p2p_registry_queue_get_length (broker->registry);
  stats->draining = broker->draining;
}

/**
 * p2p_broker_get_n_sessions:
 * @broker: a broker
 *
 * Returns: the number of open WebSocket connections
 */
guint
p2p_broker_get_n_sessions (P2pBroker * broker)
{
  return broker->n_sessions;
}

static gboolean
welcomed (Session * s)
{
  return s->state == STATE_DEVICE || s->state == STATE_VIEWER;
}

/* ---- sending ---- */

static void
queue_text (Session * s, const gchar * text)
{
  gsize len = strlen (text);
  OutMsg *m;

  if (s->closing)
    return;
  if (s->out_bytes + len > MAX_QUEUED) {
    /* The client does not read: nothing we send would arrive. */
    p2p_server_log ("warning", "overloaded", "session=%" G_GUINT64_FORMAT
        " addr=%s queued=%" G_GSIZE_FORMAT, s->serial, s->address,
        s->out_bytes);
    s->closing = TRUE;
    lws_set_timeout (s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return;
  }
  m = g_malloc (sizeof (OutMsg) + LWS_PRE + len);
  m->next = NULL;
  m->len = len;
  memcpy (m->buf + LWS_PRE, text, len);
  if (s->out_tail)
    s->out_tail->next = m;
  else
    s->out_head = m;
  s->out_tail = m;
  s->out_bytes += len;
  lws_callback_on_writable (s->wsi);
}

static JsonObject *
message_new (const gchar * type, JsonNode * id)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "type", type);
  if (id)
    json_object_set_member (o, "id", json_node_copy (id));
  return o;
}

/* Sends and consumes @o. */
static void
send_object (Session * s, JsonObject * o)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), o);
  gchar *text = json_to_string (node, FALSE);

  queue_text (s, text);
  g_free (text);
  json_node_unref (node);
  json_object_unref (o);
}

static void
close_session (Session * s, guint16 status, const gchar * reason)
{
  if (s->closing)
    return;
  s->closing = TRUE;
  s->close_status = status;
  s->close_reason = reason;
  lws_set_timeout (s->wsi, PENDING_TIMEOUT_USER_OK, CLOSE_GRACE_S);
  lws_callback_on_writable (s->wsi);
}

/* Whether an error ends the connection, and with which close status
 * (docs/protocol.md §6). */
static gboolean
error_closes (P2pProtocolError code, gboolean after_welcome, guint16 * status)
{
  *status = LWS_CLOSE_STATUS_POLICY_VIOLATION;
  switch (code) {
    case P2P_PROTOCOL_ERROR_TOO_LARGE:
      *status = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
      return TRUE;
    case P2P_PROTOCOL_ERROR_BAD_VERSION:
    case P2P_PROTOCOL_ERROR_BAD_NONCE:
    case P2P_PROTOCOL_ERROR_REPLAYED_NONCE:
    case P2P_PROTOCOL_ERROR_BAD_SIGNATURE:
    case P2P_PROTOCOL_ERROR_OVERLOADED:
      return TRUE;
    case P2P_PROTOCOL_ERROR_REPLACED:
    case P2P_PROTOCOL_ERROR_TIMEOUT:
      *status = LWS_CLOSE_STATUS_NORMAL;
      return TRUE;
    case P2P_PROTOCOL_ERROR_SHUTTING_DOWN:
      *status = LWS_CLOSE_STATUS_GOINGAWAY;
      return TRUE;
    case P2P_PROTOCOL_ERROR_INTERNAL:
      *status = LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
      return TRUE;
    case P2P_PROTOCOL_ERROR_WRONG_ROLE:
    case P2P_PROTOCOL_ERROR_DEVICE_OFFLINE:
    case P2P_PROTOCOL_ERROR_BUSY:
    case P2P_PROTOCOL_ERROR_UNKNOWN_CALL:
      return FALSE;
    default:
      return !after_welcome;
  }
}

/* Sends an error frame for @error (a #P2P_PROTOCOL_ERROR) and closes the
 * connection when the protocol says so. */
static void
reject (P2pBroker * b, Session * s, JsonNode * ref, const gchar * call,
    const GError * error)
{
  P2pProtocolError code = error->domain == P2P_PROTOCOL_ERROR ?
      (P2pProtocolError) error->code : P2P_PROTOCOL_ERROR_INTERNAL;
  const gchar *name = p2p_protocol_error_to_string (code);
  JsonObject *o = message_new ("error", NULL);
  g_autofree gchar *quoted = g_strescape (error->message, NULL);
  guint16 status;

  json_object_set_string_member (o, "code", name);
  json_object_set_string_member (o, "message", error->message);
  if (ref)
    json_object_set_member (o, "ref", json_node_copy (ref));
  if (call)
    json_object_set_string_member (o, "call", call);
  if (code == P2P_PROTOCOL_ERROR_RATE_LIMITED)
    json_object_set_int_member (o, "retry_after", b->retry_after);
  send_object (s, o);
  b->totals.errors_sent++;

  p2p_server_log ("info", "reject", "session=%" G_GUINT64_FORMAT
      " addr=%s uid=%s code=%s msg=\"%s\"", s->serial, s->address,
      s->uid[0] ? s->uid : "-", name, quoted);
  if (error_closes (code, welcomed (s), &status))
    close_session (s, status, name);
}

static void
reject_code (P2pBroker * b, Session * s, P2pProtocolError code,
    const gchar * message)
{
  GError *error = g_error_new_literal (P2P_PROTOCOL_ERROR, code, message);

  reject (b, s, NULL, NULL, error);
  g_error_free (error);
}

/* ---- calls ---- */

static void
call_forget (P2pBroker * b, Call * call)
{
  call->device->calls = g_slist_remove (call->device->calls, call);
  call->device->n_calls--;
  call->viewer->calls = g_slist_remove (call->viewer->calls, call);
  call->viewer->n_calls--;
  g_hash_table_remove (b->calls, call->id);
}

/* Tells both parties, except @from (who ended it), and forgets the call. */
static void
call_end (P2pBroker * b, Call * call, const gchar * reason, Session * from)
{
  Session *parties[2] = { call->device, call->viewer };
  guint i;

  for (i = 0; i < 2; i++) {
    JsonObject *o;

    if (parties[i] == from)
      continue;
    o = message_new ("end", NULL);
    json_object_set_string_member (o, "call", call->id);
    json_object_set_string_member (o, "reason", reason);
    send_object (parties[i], o);
  }
  p2p_server_log ("info", "call-end", "call=%s uid=%s reason=%s", call->id,
      call->device->uid, reason);
  call_forget (b, call);
}

static void
random_id (gchar * out)
{
  guint8 bytes[16];
  gchar *text;
  guint i;

  if (RAND_bytes (bytes, sizeof (bytes)) != 1)
    g_error ("OpenSSL's random generator failed");
  text = g_base64_encode (bytes, sizeof (bytes));
  for (i = 0; i < P2P_PROTOCOL_CALL_ID_LENGTH; i++)
    out[i] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : text[i];
  out[P2P_PROTOCOL_CALL_ID_LENGTH] = '\0';
  g_free (text);
}

/* ---- login nonces ---- */

static void
nonce_mac (P2pBroker * b, const guint8 * nonce, guint8 * mac)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, b->nonce_key,
      sizeof (b->nonce_key));
  guint8 digest[32];
  gsize len = sizeof (digest);

  g_hmac_update (hmac, nonce, NONCE_BYTES - NONCE_MAC_BYTES);
  g_hmac_get_digest (hmac, digest, &len);
  memcpy (mac, digest, NONCE_MAC_BYTES);
}

/* Time, randomness and a MAC: the MAC lets the server recognise its own
 * nonces later (a replay) without remembering every one it handed out. */
static void
nonce_make (P2pBroker * b, guint8 * nonce)
{
  guint64 t = GUINT64_TO_BE ((guint64) g_get_real_time ());

  memcpy (nonce, &t, 8);
  if (RAND_bytes (nonce + 8, 16) != 1)
    g_error ("OpenSSL's random generator failed");
  nonce_mac (b, nonce, nonce + NONCE_BYTES - NONCE_MAC_BYTES);
}

static gboolean
nonce_is_ours (P2pBroker * b, const guint8 * nonce)
{
  guint8 mac[NONCE_MAC_BYTES];

  nonce_mac (b, nonce, mac);
  return CRYPTO_memcmp (mac, nonce + NONCE_BYTES - NONCE_MAC_BYTES,
      NONCE_MAC_BYTES) == 0;
}

/* Strict base64: g_base64_decode() skips junk silently. */
static GBytes *
decode_base64 (const gchar * text, gsize expect_len)
{
  gsize n = strlen (text), len, i;
  guchar *data;

  if (n == 0 || n % 4 != 0)
    return NULL;
  for (i = 0; i < n; i++) {
    gchar c = text[i];

    if (!g_ascii_isalnum (c) && c != '+' && c != '/' &&
        !(c == '=' && i >= n - 2))
      return NULL;
  }
  data = g_base64_decode (text, &len);
  if (expect_len && len != expect_len) {
    g_free (data);
    return NULL;
  }
  return g_bytes_new_take (data, len);
}

/* ---- message handlers ---- */

static gboolean
field (JsonObject * msg, const gchar * name, gsize min, gsize max,
    gboolean required, const gchar ** out, GError ** error)
{
  return p2p_protocol_get_string (msg, name, min, max, required, out, error);
}

static gboolean
uid_field (JsonObject * msg, gchar * out, GError ** error)
{
  const gchar *text;
  gchar *uid;
  GError *err = NULL;

  if (!field (msg, "uid", 1, 64, TRUE, &text, error))
    return FALSE;
  uid = p2p_uid_normalize (text, &err);
  if (!uid) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_UID,
        "%s", err->message);
    g_error_free (err);
    return FALSE;
  }
  memcpy (out, uid, P2P_UID_LENGTH + 1);
  g_free (uid);
  return TRUE;
}

static gboolean
rate_take (P2pBroker * b, P2pRateLimit * limit, const gchar * key,
    const gchar * what, GError ** error)
{
  if (p2p_rate_limit_take (limit, key, g_get_monotonic_time (),
          &b->retry_after))
    return TRUE;
  g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_RATE_LIMITED,
      "Too many %s; retry in %u s", what, b->retry_after);
  return FALSE;
}

/* The server-wide admission of device logins (off unless configured):
 * after a restart every device of the server comes back at once. Past the burst, each refused
 * device gets its own slot, 1/rate after the previous one, as its
 * retry_after: they return spread over the time the server needs for them
 * all, rather than together again at the next second. */
static gboolean
admit_device (P2pBroker * b, GError ** error)
{
  gint64 now_us = g_get_monotonic_time ();
  gdouble now = now_us / 1e6;

  if (b->config->device_login_rate == 0 ||
      p2p_rate_limit_take (b->admission, "device", now_us, NULL))
    return TRUE;
  b->admission_horizon = MAX (b->admission_horizon, now) +
      1.0 / b->config->device_login_rate;
  b->retry_after = (guint) CLAMP (ceil (b->admission_horizon - now), 1, 3600);
  b->totals.logins_deferred++;
  g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_RATE_LIMITED,
      "Too many devices logging in; retry in %u s", b->retry_after);
  return FALSE;
}

/* Whether a registry answer is a device that may log in or be called:
 * registered, not revoked. */
static gboolean
device_usable (P2pBroker * b, const gchar * uid, const P2pDevice * device,
    const GError * lookup_error, GError ** error)
{
  if (!device) {
    if (g_error_matches (lookup_error, P2P_REGISTRY_ERROR,
            P2P_REGISTRY_ERROR_NOT_FOUND)) {
      g_set_error (error, P2P_PROTOCOL_ERROR,
          P2P_PROTOCOL_ERROR_UNKNOWN_UID, "UID %s is not registered", uid);
    } else {
      g_autofree gchar *text = g_strescape (lookup_error->message, NULL);

      b->totals.registry_errors++;
      p2p_server_log ("error", "registry", "msg=\"%s\"", text);
      g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_INTERNAL,
          "Registry unavailable");
    }
    return FALSE;
  }
  if (device->revoked) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_REVOKED,
        "UID %s is revoked", uid);
    return FALSE;
  }
  return TRUE;
}

static void
lookup_free (Lookup * l)
{
  if (l->id)
    json_node_unref (l->id);
  g_free (l->nonce);
  if (l->signature)
    g_bytes_unref (l->signature);
  g_free (l);
}

static void lookup_done (P2pDevice * device, const GError * lookup_error,
    gpointer data);

/* Asks the registry about @uid for @s and returns; lookup_done() goes on
 * with @kind once it answers. A full queue is a refusal with retry_after,
 * as a busy database should slow clients down, not pile them up. */
static Lookup *
lookup_start (P2pBroker * b, Session * s, LookupKind kind, const gchar * uid,
    JsonNode * id, GError ** error)
{
  Lookup *l;

  if (g_slist_length (s->lookups) >= MAX_SESSION_LOOKUPS) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BUSY,
        "%d requests of this connection are waiting for the registry",
        MAX_SESSION_LOOKUPS);
    return NULL;
  }
  l = g_new0 (Lookup, 1);
  l->b = b;
  l->s = s;
  l->kind = kind;
  l->id = id ? json_node_copy (id) : NULL;
  g_strlcpy (l->uid, uid, sizeof (l->uid));
  l->request = p2p_registry_queue_lookup (b->registry, uid, lookup_done, l);
  if (!l->request) {
    lookup_free (l);
    b->totals.registry_busy++;
    b->retry_after = 1;
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_RATE_LIMITED,
        "The registry is busy; retry in %u s", b->retry_after);
    return NULL;
  }
  s->lookups = g_slist_prepend (s->lookups, l);
  return l;
}

/* A closing session's requests are dropped, answered or not. */
static void
lookups_cancel (Session * s)
{
  while (s->lookups) {
    Lookup *l = s->lookups->data;

    s->lookups = g_slist_delete_link (s->lookups, s->lookups);
    p2p_registry_request_cancel (l->request);
    lookup_free (l);
  }
}

/* Arrays are returned rather than wrapped in a node, for
 * json_object_set_array_member() to take: json_node_init_array() would add
 * a reference of its own that nobody drops. */
static JsonArray *
strv_array (gchar ** strv)
{
  JsonArray *a = json_array_new ();
  guint i;

  for (i = 0; strv && strv[i]; i++)
    json_array_add_string_element (a, strv[i]);
  return a;
}

/* For welcome: the STUN servers, which anyone may use. */
static JsonArray *
stun_servers_array (P2pBroker * b)
{
  JsonArray *a = json_array_new ();

  if (b->config->stun_urls[0]) {
    JsonObject *o = json_object_new ();

    json_object_set_array_member (o, "urls", strv_array (b->config->stun_urls));
    json_array_add_object_element (a, o);
  }
  return a;
}

/* For connected and incoming: TURN credentials for this call's @party
 * only. A relay is too costly a thing to hand to whoever says hello
 * (docs/protocol.md §9). */
static JsonArray *
turn_servers_array (P2pBroker * b, const Call * call, const gchar * party)
{
  const P2pServerConfig *c = b->config;
  JsonArray *a = json_array_new ();

  if (c->turn_urls[0]) {
    JsonObject *o = json_object_new ();
    gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + c->turn_ttl;
    g_autofree gchar *username = p2p_turn_username (expiry,
        call->device->uid, call->id, party);
    g_autofree gchar *credential = p2p_turn_credential (c->turn_secret,
        username);

    json_object_set_array_member (o, "urls", strv_array (c->turn_urls));
    json_object_set_string_member (o, "username", username);
    json_object_set_string_member (o, "credential", credential);
    json_object_set_int_member (o, "ttl", c->turn_ttl);
    json_array_add_object_element (a, o);
  }
  return a;
}

static void
send_welcome (P2pBroker * b, Session * s, JsonNode * id)
{
  JsonObject *o = message_new ("welcome", id);
  g_autofree gchar *session = g_strdup_printf ("%" G_GINT64_MODIFIER "x",
      s->serial);
  g_auto (GStrv) servers = NULL;

  if (s->state == STATE_DEVICE)
    servers = p2p_server_list_for_uid ((const gchar * const *)
        b->config->servers, s->uid);
  else
    servers = g_strdupv (b->config->servers);

  json_object_set_string_member (o, "session", session);
  json_object_set_array_member (o, "ice_servers", stun_servers_array (b));
  json_object_set_array_member (o, "servers", strv_array (servers));
  json_object_set_int_member (o, "ping_interval", b->config->ping_interval);
  send_object (s, o);
}

static gboolean
on_hello (P2pBroker * b, Session * s, JsonObject * msg, JsonNode * id,
    GError ** error)
{
  JsonNode *version = json_object_get_member (msg, "version");
  const gchar *role, *agent;
  gboolean device;

  if (s->state != STATE_NEW) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_STATE,
        "hello was already sent");
    return FALSE;
  }
  if (!version) {
    g_set_error (error, P2P_PROTOCOL_ERROR,
        P2P_PROTOCOL_ERROR_MISSING_FIELD, "Field \"version\" is missing");
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_VALUE (version) ||
      json_node_get_value_type (version) != G_TYPE_INT64) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_FIELD,
        "Field \"version\" must be an integer");
    return FALSE;
  }
  if (json_node_get_int (version) != P2P_PROTOCOL_VERSION) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_VERSION,
        "Protocol version %d only", P2P_PROTOCOL_VERSION);
    return FALSE;
  }
  if (!field (msg, "role", 1, 16, TRUE, &role, error) ||
      !field (msg, "agent", 0, 128, FALSE, &agent, error))
    return FALSE;
  device = g_str_equal (role, "device");
  if (!device && !g_str_equal (role, "viewer")) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_FIELD,
        "Field \"role\" must be \"device\" or \"viewer\"");
    return FALSE;
  }
  if (!b->config->rendezvous) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_WRONG_ROLE,
        "This server only answers lookup");
    return FALSE;
  }
  if (device && !uid_field (msg, s->uid, error))
    return FALSE;
  if (!rate_take (b, b->by_address, s->address_key,
          "requests from this address", error))
    return FALSE;

  if (device) {
    g_autofree gchar *nonce = NULL;
    JsonObject *o;

    /* Only failed signatures cost, and only their source address: a
     * per-UID budget that any hello spends is one a stranger who knows
     * the UID can drain to keep the device out. */
    if (!p2p_rate_limit_check (b->login_failures, s->address_key,
            g_get_monotonic_time (), &b->retry_after)) {
      g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_RATE_LIMITED,
          "Too many failed logins from this address; retry in %u s",
          b->retry_after);
      return FALSE;
    }
    if (!admit_device (b, error))
      return FALSE;
    nonce_make (b, s->nonce);
    s->nonce_valid = TRUE;
    s->state = STATE_CHALLENGED;
    nonce = g_base64_encode (s->nonce, NONCE_BYTES);
    o = message_new ("challenge", id);
    json_object_set_string_member (o, "nonce", nonce);
    json_object_set_string_member (o, "server_id", b->config->server_id);
    send_object (s, o);
  } else {
    s->state = STATE_VIEWER;
    b->totals.viewers++;
    send_welcome (b, s, id);
    p2p_server_log ("info", "viewer", "session=%" G_GUINT64_FORMAT
        " addr=%s", s->serial, s->address);
  }
  return TRUE;
}

/* Whether @nonce is the one this connection was challenged with, once. */
static gboolean
check_nonce (P2pBroker * b, Session * s, const gchar * nonce, GError ** error)
{
  g_autoptr (GBytes) nonce_bytes = decode_base64 (nonce, NONCE_BYTES);
  gboolean current;

  /* One attempt per nonce, whatever the outcome. */
  current = s->nonce_valid && nonce_bytes &&
      CRYPTO_memcmp (g_bytes_get_data (nonce_bytes, NULL), s->nonce,
      NONCE_BYTES) == 0;
  s->nonce_valid = FALSE;
  if (!current) {
    if (nonce_bytes && nonce_is_ours (b, g_bytes_get_data (nonce_bytes, NULL)))
      g_set_error (error, P2P_PROTOCOL_ERROR,
          P2P_PROTOCOL_ERROR_REPLAYED_NONCE, "This nonce was already used");
    else
      g_set_error (error, P2P_PROTOCOL_ERROR,
          P2P_PROTOCOL_ERROR_BAD_NONCE, "Not a nonce of this server");
    return FALSE;
  }
  return TRUE;
}

/* Checks the login's signature against the registered certificate. */
static gboolean
verify_login (P2pBroker * b, Session * s, const P2pDevice * device,
    const gchar * nonce, GBytes * sig, GError ** error)
{
  g_autoptr (GBytes) input = NULL;
  g_autoptr (P2pIdentity) identity = NULL;
  g_autoptr (GError) err = NULL;

  identity = p2p_identity_new_from_pem (device->certificate, &err);
  if (!identity) {
    b->totals.registry_errors++;
    p2p_server_log ("error", "registry", "uid=%s msg=\"bad certificate\"",
        s->uid);
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_INTERNAL,
        "Registered certificate unusable");
    return FALSE;
  }
  input = p2p_protocol_login_text (b->config->server_id, s->uid, nonce);
  if (!sig || !p2p_identity_verify (identity, input, sig, NULL)) {
    g_set_error (error, P2P_PROTOCOL_ERROR,
        P2P_PROTOCOL_ERROR_BAD_SIGNATURE,
        "The signature does not match the registered key of %s", s->uid);
    return FALSE;
  }
  return TRUE;
}

/* A refused login costs its source address (unless the fault was ours). */
static void
login_failed (P2pBroker * b, Session * s, const GError * error)
{
  b->totals.login_failures++;
  p2p_server_log ("warning", "login-refused", "session=%" G_GUINT64_FORMAT
      " addr=%s uid=%s", s->serial, s->address, s->uid);
  if (!g_error_matches (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_INTERNAL))
    p2p_rate_limit_take (b->login_failures, s->address_key,
        g_get_monotonic_time (), NULL);
}

static gboolean
on_auth (P2pBroker * b, Session * s, JsonObject * msg, JsonNode * id,
    GError ** error)
{
  const gchar *nonce, *signature;
  Lookup *l;

  if (s->state != STATE_CHALLENGED) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_STATE,
        "auth is only valid after a challenge");
    return FALSE;
  }
  if (!field (msg, "nonce", P2P_PROTOCOL_NONCE_LENGTH,
          P2P_PROTOCOL_NONCE_LENGTH, TRUE, &nonce, error)
      || !field (msg, "signature", 1, 512, TRUE, &signature, error))
    return FALSE;
  if (!check_nonce (b, s, nonce, error)) {
    login_failed (b, s, *error);
    return FALSE;
  }
  s->state = STATE_VERIFYING;
  l = lookup_start (b, s, LOOKUP_LOGIN, s->uid, id, error);
  if (!l)
    return FALSE;
  l->nonce = g_strdup (nonce);
  l->signature = decode_base64 (signature, 0);
  return TRUE;
}

/* The rest of auth, once the registry answered. */
static gboolean
finish_login (P2pBroker * b, Session * s, Lookup * l, P2pDevice * device,
    GError ** error)
{
  Session *old;

  if (!verify_login (b, s, device, l->nonce, l->signature, error)) {
    login_failed (b, s, *error);
    return FALSE;
  }
  old = g_hash_table_lookup (b->devices, s->uid);
  if (old) {
    /* Reboot case: the newest proven login wins. */
    reject_code (b, old, P2P_PROTOCOL_ERROR_REPLACED,
        "The device logged in on another connection");
    while (old->calls)
      call_end (b, old->calls->data, "replaced", old);
    g_hash_table_remove (b->devices, old->uid);
  }
  s->state = STATE_DEVICE;
  /* What connect hands viewers without asking the registry again: a
   * revocation ends this session (p2p_broker_revoke()). */
  s->fingerprint = g_strdup (device->fingerprint);
  b->totals.logins++;
  g_hash_table_insert (b->devices, s->uid, s);
  send_welcome (b, s, l->id);
  p2p_server_log ("info", "login", "session=%" G_GUINT64_FORMAT
      " addr=%s uid=%s replaced=%s", s->serial, s->address, s->uid,
      old ? "yes" : "no");
  return TRUE;
}

/* Whether @s may place one more call to @d. Unanswered calls are what
 * a stranger can hold without knowing anything, so they are bounded per
 * viewer connection, and per device to one per source address: one
 * connection or address cannot fill a camera's max-calls slots, and the
 * calls it does hold end after call-timeout. */
static gboolean
call_allowed (P2pBroker * b, Session * s, Session * d, GError ** error)
{
  guint pending = 0;
  GSList *l;

  if (d->n_calls >= (guint) b->config->max_calls ||
      s->n_calls >= MAX_VIEWER_CALLS) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BUSY,
        "Too many calls (device %u, viewer %u)", d->n_calls, s->n_calls);
    return FALSE;
  }
  for (l = d->calls; l; l = l->next) {
    Call *call = l->data;

    if (call->viewer == s) {
      g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BUSY,
          "This connection already has a call to %s", d->uid);
      return FALSE;
    }
    if (!call->answered
        && g_str_equal (call->viewer->address_key, s->address_key)) {
      g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BUSY,
          "A call to %s from this address is still unanswered", d->uid);
      return FALSE;
    }
  }
  for (l = s->calls; l; l = l->next)
    if (!((Call *) l->data)->answered)
      pending++;
  if (pending >= (guint) b->config->max_pending_calls) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BUSY,
        "%u calls of this connection are still unanswered", pending);
    return FALSE;
  }
  return TRUE;
}

/* Brokers a call from viewer @s to the logged-in device @d. */
static gboolean
place_call (P2pBroker * b, Session * s, Session * d, JsonNode * id,
    GError ** error)
{
  g_autofree gchar *viewer = NULL;
  Call *call;
  JsonObject *o;

  if (!call_allowed (b, s, d, error))
    return FALSE;

  call = g_new0 (Call, 1);
  random_id (call->id);
  call->device = d;
  call->viewer = s;
  call->created_us = g_get_monotonic_time ();
  g_hash_table_insert (b->calls, call->id, call);
  d->calls = g_slist_prepend (d->calls, call);
  d->n_calls++;
  s->calls = g_slist_prepend (s->calls, call);
  s->n_calls++;

  o = message_new ("connected", id);
  json_object_set_string_member (o, "call", call->id);
  json_object_set_string_member (o, "uid", d->uid);
  json_object_set_string_member (o, "device_fingerprint", d->fingerprint);
  json_object_set_array_member (o, "ice_servers", turn_servers_array (b, call,
          "viewer"));
  send_object (s, o);

  viewer = g_strdup_printf ("%" G_GINT64_MODIFIER "x", s->serial);
  o = message_new ("incoming", NULL);
  json_object_set_string_member (o, "call", call->id);
  json_object_set_string_member (o, "viewer", viewer);
  json_object_set_string_member (o, "address", s->address);
  json_object_set_array_member (o, "ice_servers", turn_servers_array (b, call,
          "device"));
  send_object (d, o);

  b->totals.calls_total++;
  p2p_server_log ("info", "call", "call=%s uid=%s viewer=%" G_GUINT64_FORMAT
      " addr=%s", call->id, d->uid, s->serial, s->address);
  return TRUE;
}

static Session *
online_device (P2pBroker * b, const gchar * uid)
{
  Session *d = g_hash_table_lookup (b->devices, uid);

  return d && !d->closing ? d : NULL;
}

/* A device logged in here was read from the registry at its login and is
 * thrown out when revoked, so a call to it needs no registry read; only
 * the reason a device is not here (unknown, revoked, offline) does. */
static gboolean
on_connect (P2pBroker * b, Session * s, JsonObject * msg, JsonNode * id,
    GError ** error)
{
  gchar uid[P2P_UID_LENGTH + 1];
  g_autofree gchar *connect_key = NULL;
  Session *d;

  if (s->state != STATE_VIEWER) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_STATE,
        "connect needs a viewer session");
    return FALSE;
  }
  if (!uid_field (msg, uid, error))
    return FALSE;
  /* Per UID and address: a per-UID budget would be one strangers drain. */
  connect_key = g_strdup_printf ("%s %s", uid, s->address_key);
  if (!rate_take (b, b->by_address, s->address_key,
          "requests from this address", error) ||
      !rate_take (b, b->uid_connects, connect_key,
          "connects to this UID from this address", error))
    return FALSE;
  d = online_device (b, uid);
  if (d)
    return place_call (b, s, d, id, error);
  return lookup_start (b, s, LOOKUP_CONNECT, uid, id, error) != NULL;
}

/* The rest of connect to a device that was not logged in here. */
static gboolean
finish_connect (P2pBroker * b, Session * s, Lookup * l, GError ** error)
{
  /* It may have logged in while the registry was read. */
  Session *d = online_device (b, l->uid);

  if (!d) {
    g_set_error (error, P2P_PROTOCOL_ERROR,
        P2P_PROTOCOL_ERROR_DEVICE_OFFLINE, "Device %s is offline", l->uid);
    return FALSE;
  }
  return place_call (b, s, d, l->id, error);
}

/* offer, answer, candidate and end: checked, copied field by field (so
 * nothing unexpected reaches the peer) and passed to the other party. */
static gboolean
on_call_message (P2pBroker * b, Session * s, JsonObject * msg, JsonNode * id,
    GError ** error)
{
  const gchar *type = json_object_get_string_member (msg, "type");
  const gchar *call_id, *value, *mid;
  Session *peer;
  Call *call;
  JsonObject *o;

  if (!welcomed (s)) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_STATE,
        "%s before welcome", type);
    return FALSE;
  }
  if (!field (msg, "call", P2P_PROTOCOL_CALL_ID_LENGTH,
          P2P_PROTOCOL_CALL_ID_LENGTH, TRUE, &call_id, error))
    return FALSE;
  call = g_hash_table_lookup (b->calls, call_id);
  if (!call || (call->device != s && call->viewer != s)) {
    g_set_error (error, P2P_PROTOCOL_ERROR,
        P2P_PROTOCOL_ERROR_UNKNOWN_CALL, "No such call");
    return FALSE;
  }
  peer = call->device == s ? call->viewer : call->device;
  o = message_new (type, NULL);
  json_object_set_string_member (o, "call", call->id);

  if (g_str_equal (type, "offer") || g_str_equal (type, "answer")) {
    gboolean offer = g_str_equal (type, "offer");

    if ((offer && s != call->device) || (!offer && s != call->viewer)) {
      g_set_error (error, P2P_PROTOCOL_ERROR,
          P2P_PROTOCOL_ERROR_BAD_STATE, "The %s makes the %s",
          offer ? "device" : "viewer", type);
      goto fail;
    }
    if (!field (msg, "sdp", 1, P2P_PROTOCOL_MAX_SDP, TRUE, &value, error))
      goto fail;
    json_object_set_string_member (o, "sdp", value);
    if (!offer)
      call->answered = TRUE;
  } else if (g_str_equal (type, "candidate")) {
    if (!field (msg, "candidate", 0, P2P_PROTOCOL_MAX_CANDIDATE, TRUE, &value,
            error) || !field (msg, "mid", 0, 32, FALSE, &mid, error))
      goto fail;
    if (*value && !g_str_has_prefix (value, "candidate:")) {
      g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_FIELD,
          "Field \"candidate\" must start with \"candidate:\" or be empty");
      goto fail;
    }
    json_object_set_string_member (o, "candidate", value);
    if (mid)
      json_object_set_string_member (o, "mid", mid);
  } else {
    if (!field (msg, "reason", 0, 256, FALSE, &value, error))
      goto fail;
    json_object_unref (o);
    call_end (b, call, value ? value : "", s);
    return TRUE;
  }
  send_object (peer, o);
  return TRUE;

fail:
  json_object_unref (o);
  return FALSE;
}

static gboolean
on_lookup (P2pBroker * b, Session * s, JsonObject * msg, JsonNode * id,
    GError ** error)
{
  gchar uid[P2P_UID_LENGTH + 1];

  if (!b->config->master) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_WRONG_ROLE,
        "This server has no master role");
    return FALSE;
  }
  if (!uid_field (msg, uid, error) ||
      !rate_take (b, b->by_address, s->address_key,
          "requests from this address", error))
    return FALSE;
  return lookup_start (b, s, LOOKUP_SERVERS, uid, id, error) != NULL;
}

/* The rest of lookup: the device's servers, in rendezvous order. */
static gboolean
finish_servers (P2pBroker * b, Session * s, Lookup * l, GError ** error)
{
  g_auto (GStrv) servers = p2p_server_list_for_uid ((const gchar * const *)
      b->config->servers, l->uid);
  JsonObject *o = message_new ("servers", l->id);

  json_object_set_string_member (o, "uid", l->uid);
  json_object_set_array_member (o, "servers", strv_array (servers));
  send_object (s, o);
  return TRUE;
}

/* Goes on with a request once the registry answered it. */
static void
lookup_done (P2pDevice * device, const GError * lookup_error, gpointer data)
{
  g_autoptr (P2pDevice) owned = device;
  g_autoptr (GError) error = NULL;
  Lookup *l = data;
  P2pBroker *b = l->b;
  Session *s = l->s;
  gboolean ok;

  s->lookups = g_slist_remove (s->lookups, l);
  if (s->closing) {
    lookup_free (l);
    return;
  }
  ok = device_usable (b, l->uid, device, lookup_error, &error);
  if (!ok && l->kind == LOOKUP_LOGIN)
    login_failed (b, s, error);
  else if (ok && l->kind == LOOKUP_LOGIN)
    ok = finish_login (b, s, l, device, &error);
  else if (ok && l->kind == LOOKUP_CONNECT)
    ok = finish_connect (b, s, l, &error);
  else if (ok)
    ok = finish_servers (b, s, l, &error);
  if (!ok)
    reject (b, s, l->id, NULL, error);
  lookup_free (l);
}

static gboolean
on_ping (P2pBroker * b, Session * s, JsonObject * msg, JsonNode * id,
    GError ** error)
{
  send_object (s, message_new ("pong", id));
  return TRUE;
}

static const struct
{
  const gchar *type;
  Handler handler;
} handlers[] = {
  {"hello", on_hello},
  {"auth", on_auth},
  {"connect", on_connect},
  {"offer", on_call_message},
  {"answer", on_call_message},
  {"candidate", on_call_message},
  {"end", on_call_message},
  {"lookup", on_lookup},
  {"ping", on_ping},
};

static void
handle_message (P2pBroker * b, Session * s, const gchar * data, gsize len,
    gboolean binary)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) msg = NULL;
  g_autoptr (JsonNode) id = NULL;
  const gchar *type;
  guint i;

  if (binary) {
    reject_code (b, s, P2P_PROTOCOL_ERROR_BAD_JSON,
        "Binary messages are not accepted");
    return;
  }
  msg = p2p_signalling_message_parse (data, len, &error);
  if (!msg || !p2p_signalling_message_get_id (msg, &id, &error)) {
    reject (b, s, NULL, NULL, error);
    return;
  }
  type = json_object_get_string_member (msg, "type");
  for (i = 0; i < G_N_ELEMENTS (handlers); i++) {
    if (g_str_equal (type, handlers[i].type)) {
      if (!handlers[i].handler (b, s, msg, id, &error)) {
        const gchar *call;

        /* Named in the error only when it is a well-formed call id. */
        p2p_protocol_get_string (msg, "call", P2P_PROTOCOL_CALL_ID_LENGTH,
            P2P_PROTOCOL_CALL_ID_LENGTH, FALSE, &call, NULL);

        reject (b, s, id, call, error);
      }
      return;
    }
  }
  g_set_error (&error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_UNKNOWN_TYPE,
      "Unknown message type");
  reject (b, s, id, NULL, error);
}

/* ---- connection life cycle ---- */

/* IPv4 addresses as they are, IPv6 ones by their /64. */
static void
address_key (const gchar * address, gchar * out, gsize size)
{
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (address);
  g_autoptr (GInetAddress) prefix = NULL;
  g_autofree gchar *text = NULL;
  guint8 bytes[16];

  if (!addr || g_inet_address_get_family (addr) != G_SOCKET_FAMILY_IPV6) {
    g_strlcpy (out, address, size);
    return;
  }
  memcpy (bytes, g_inet_address_to_bytes (addr), 8);
  memset (bytes + 8, 0, 8);
  prefix = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (prefix);
  g_snprintf (out, size, "%s/64", text);
}

static void
rx_release (Session * s)
{
  if (!s->rx)
    return;
  s->use->buffered -= s->rx->len;
  g_clear_pointer (&s->rx, g_byte_array_unref);
}

static void
session_open (P2pBroker * b, Session * s, struct lws *wsi)
{
  memset (s, 0, sizeof (*s));
  s->wsi = wsi;
  s->serial = ++b->next_serial;
  s->accepted_us = s->last_rx_us = g_get_monotonic_time ();
  if (!lws_get_peer_simple (wsi, s->address, sizeof (s->address)))
    g_strlcpy (s->address, "unknown", sizeof (s->address));
  /* An IPv4 client on a dual-stack socket: rate limits and logs want the
   * plain IPv4 form. */
  if (g_str_has_prefix (s->address, "::ffff:") && strchr (s->address, '.'))
    memmove (s->address, s->address + 7, strlen (s->address + 7) + 1);
  address_key (s->address, s->address_key, sizeof (s->address_key));
  s->use = g_hash_table_lookup (b->addresses, s->address_key);
  if (!s->use) {
    s->use = g_new0 (AddressUse, 1);
    g_hash_table_insert (b->addresses, g_strdup (s->address_key), s->use);
  }
  s->use->connections++;
  s->next = b->sessions;
  if (b->sessions)
    b->sessions->prev = s;
  b->sessions = s;
  b->n_sessions++;
  if (b->draining)
    reject_code (b, s, P2P_PROTOCOL_ERROR_SHUTTING_DOWN,
        "The server is shutting down");
  else if (s->use->connections > (guint) b->config->max_connections_per_address)
    reject_code (b, s, P2P_PROTOCOL_ERROR_OVERLOADED,
        "Too many connections from this address");
}

static void
session_close (P2pBroker * b, Session * s)
{
  OutMsg *m;

  while (s->calls)
    call_end (b, s->calls->data, "peer-gone", s);
  lookups_cancel (s);
  g_clear_pointer (&s->fingerprint, g_free);
  if (s->state == STATE_VIEWER)
    b->totals.viewers--;
  if (s->state == STATE_DEVICE && g_hash_table_lookup (b->devices, s->uid) == s) {
    g_hash_table_remove (b->devices, s->uid);
    p2p_server_log ("info", "logout", "session=%" G_GUINT64_FORMAT
        " uid=%s", s->serial, s->uid);
  }
  while ((m = s->out_head)) {
    s->out_head = m->next;
    g_free (m);
  }
  s->out_tail = NULL;
  rx_release (s);
  if (--s->use->connections == 0)
    g_hash_table_remove (b->addresses, s->address_key);
  s->use = NULL;
  if (s->prev)
    s->prev->next = s->next;
  else
    b->sessions = s->next;
  if (s->next)
    s->next->prev = s->prev;
  b->n_sessions--;
}

static void
session_receive (P2pBroker * b, Session * s, const guint8 * in, gsize len)
{
  gboolean final = lws_is_final_fragment (s->wsi);
  gboolean binary = lws_frame_is_binary (s->wsi);
  gsize have = s->rx ? s->rx->len : 0;

  if (s->closing)
    return;
  s->last_rx_us = g_get_monotonic_time ();
  s->pinged = FALSE;

  if (have + len > (gsize) b->config->max_message) {
    g_autofree gchar *text = g_strdup_printf ("Messages are limited to %d "
        "bytes", b->config->max_message);

    rx_release (s);
    reject_code (b, s, P2P_PROTOCOL_ERROR_TOO_LARGE, text);
    return;
  }
  if (final && !s->rx) {
    handle_message (b, s, (const gchar *) in, len, binary);
    return;
  }
  /* Many connections of one address each holding a message just short of
   * max-message would otherwise add up to any amount of memory. */
  if (s->use->buffered + len > (gsize) b->config->max_buffered_per_address) {
    rx_release (s);
    reject_code (b, s, P2P_PROTOCOL_ERROR_OVERLOADED,
        "Too many bytes of partial messages from this address");
    return;
  }
  if (!s->rx)
    s->rx = g_byte_array_sized_new (MIN (len * 2, 16384));
  g_byte_array_append (s->rx, in, len);
  s->use->buffered += len;
  if (final) {
    GByteArray *rx = g_byte_array_ref (s->rx);

    rx_release (s);
    handle_message (b, s, (const gchar *) rx->data, rx->len, binary);
    g_byte_array_unref (rx);
  }
}

static int
session_writable (Session * s)
{
  OutMsg *m = s->out_head;
  gboolean wrote = FALSE;

  if (s->ping_pending) {
    guint8 buf[LWS_PRE + 4];

    s->ping_pending = FALSE;
    /* lws 4.1 does not report an empty pong to the protocol, so the ping
     * carries a payload for the pong to echo. */
    memcpy (buf + LWS_PRE, "p2p", 3);
    if (lws_write (s->wsi, buf + LWS_PRE, 3, LWS_WRITE_PING) < 0)
      return -1;
    wrote = TRUE;
  } else if (m) {
    s->out_head = m->next;
    if (!s->out_head)
      s->out_tail = NULL;
    s->out_bytes -= m->len;
    if (lws_write (s->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) <
        (int) m->len) {
      g_free (m);
      return -1;
    }
    g_free (m);
    wrote = TRUE;
  }

  if (s->out_head || s->ping_pending || (wrote && s->closing)) {
    /* When closing, one more round lets buffered output drain first. */
    lws_callback_on_writable (s->wsi);
  } else if (s->closing && !s->close_sent) {
    /* The close frame is written here rather than left to
     * lws_close_reason(), which lws 4.1 drops when the callback asks to
     * close: the client must learn the status code. */
    guint8 buf[LWS_PRE + 2 + 32];
    gsize rlen = MIN (strlen (s->close_reason), 32);

    buf[LWS_PRE] = s->close_status >> 8;
    buf[LWS_PRE + 1] = s->close_status & 0xff;
    memcpy (buf + LWS_PRE + 2, s->close_reason, rlen);
    s->close_sent = TRUE;
    if (lws_write (s->wsi, buf + LWS_PRE, 2 + rlen, WRITE_CLOSE) < 0)
      return -1;
    lws_callback_on_writable (s->wsi);
  } else if (s->closing) {
    return -1;
  }
  return 0;
}

/**
 * p2p_broker_lws_callback:
 * @wsi: the connection
 * @reason: what happened
 * @user: the connection's #Session
 * @in: event data
 * @len: size of @in
 *
 * The libwebsockets protocol callback of the signalling protocol; the
 * broker is the context's user pointer.
 *
 * Returns: 0, or -1 to close @wsi
 */
int
p2p_broker_lws_callback (struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
  P2pBroker *b = lws_context_user (lws_get_context (wsi));
  Session *s = user;

  switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
      return p2p_fd_limit_refuse ((gint) (gintptr) in,
          b->config->tls_cert == NULL) ? -1 : 0;
    case LWS_CALLBACK_ESTABLISHED:
      session_open (b, s, wsi);
      return 0;
    case LWS_CALLBACK_CLOSED:
      session_close (b, s);
      return 0;
    case LWS_CALLBACK_RECEIVE:
      session_receive (b, s, in, len);
      return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
      s->last_rx_us = g_get_monotonic_time ();
      s->pinged = FALSE;
      return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return session_writable (s);
    default:
      return lws_callback_http_dummy (wsi, reason, user, in, len);
  }
}

/**
 * p2p_broker_tick:
 * @broker: a broker
 *
 * Runs the time-outs; call once a second. A single sweep costs less than a
 * timer per connection at this scale and needs no memory per connection.
 */
void
p2p_broker_tick (P2pBroker * b)
{
  const P2pServerConfig *c = b->config;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Session *s, *next;
  Call *call;
  GSList *expired = NULL, *l;

  for (s = b->sessions; s; s = next) {
    next = s->next;
    if (s->closing)
      continue;
    if (!welcomed (s)) {
      if (now - s->accepted_us > c->handshake_timeout * G_USEC_PER_SEC)
        reject_code (b, s, P2P_PROTOCOL_ERROR_TIMEOUT,
            "No login within handshake-timeout");
    } else if (now - s->last_rx_us > c->idle_timeout * G_USEC_PER_SEC) {
      reject_code (b, s, P2P_PROTOCOL_ERROR_TIMEOUT,
          "Nothing received within idle-timeout");
    } else if (now - s->last_rx_us > c->ping_interval * G_USEC_PER_SEC &&
        !s->pinged) {
      s->pinged = TRUE;
      s->ping_pending = TRUE;
      lws_callback_on_writable (s->wsi);
    }
  }

  g_hash_table_iter_init (&iter, b->calls);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & call))
    if (!call->answered &&
        now - call->created_us > c->call_timeout * G_USEC_PER_SEC)
      expired = g_slist_prepend (expired, call);
  for (l = expired; l; l = l->next)
    call_end (b, l->data, "timeout", NULL);
  g_slist_free (expired);

  if (++b->ticks % 10 == 0) {
    p2p_rate_limit_expire (b->by_address, now);
    p2p_rate_limit_expire (b->login_failures, now);
    p2p_rate_limit_expire (b->uid_connects, now);
  }
}

/**
 * p2p_broker_revoke:
 * @broker: a broker
 * @uid: a UID the registry now lists as revoked
 *
 * Disconnects @uid if it is logged in here: its calls end (`revoked`), it
 * gets `error{code:"revoked"}` and a close (1008). Its next login is
 * refused by the registry. Nothing happens for a UID not logged in here.
 */
void
p2p_broker_revoke (P2pBroker * b, const gchar * uid)
{
  Session *s = g_hash_table_lookup (b->devices, uid);

  if (!s || s->closing)
    return;
  p2p_server_log ("info", "revoked", "session=%" G_GUINT64_FORMAT
      " addr=%s uid=%s", s->serial, s->address, s->uid);
  while (s->calls)
    call_end (b, s->calls->data, "revoked", s);
  g_hash_table_remove (b->devices, s->uid);
  reject_code (b, s, P2P_PROTOCOL_ERROR_REVOKED, "This UID was revoked");
  close_session (s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "revoked");
}

/**
 * p2p_broker_drain:
 * @broker: a broker
 *
 * Starts shutting down: every client gets `shutting-down` and is closed,
 * and new connections are turned away the same way. Calls are forgotten
 * without an `end`: their media runs between the peers, not through this
 * server, and an `end` would make both parties hang up a working stream
 * only because its signalling server restarts.
 */
void
p2p_broker_drain (P2pBroker * b)
{
  GList *calls, *l;
  Session *s;

  b->draining = TRUE;
  /* Calls first, so that no closing session reports its peer as gone. */
  calls = g_hash_table_get_values (b->calls);
  for (l = calls; l; l = l->next) {
    Call *call = l->data;

    p2p_server_log ("info", "call-end", "call=%s uid=%s reason=shutdown "
        "notified=no", call->id, call->device->uid);
    call_forget (b, call);
  }
  g_list_free (calls);
  for (s = b->sessions; s; s = s->next)
    reject_code (b, s, P2P_PROTOCOL_ERROR_SHUTTING_DOWN,
        "The server is shutting down");
}
