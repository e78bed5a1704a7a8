/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-lan-signaller
 * @title: P2pLanSignaller
 * @short_description: Calls on the local network, with no server
 *
 * A #P2pSignaller for a camera and a viewer on the same network, whether or
 * not a rendezvous server can be reached (docs/protocol.md, "Local
 * network").
 *
 * A camera end listens for discovery queries on UDP
 * #P2pLanSignaller:discovery-port (joining #P2P_LAN_MULTICAST_IPV4 and
 * #P2P_LAN_MULTICAST_IPV6 on each of its interfaces, again whenever the
 * kernel reports an interface or address change (Linux), so that a link
 * plugged in or brought up after the start is served too; and receiving
 * broadcasts), and for calls on a TCP port of its choosing. It answers only
 * a query that proves knowledge of its UID, with an answer smaller than the
 * query, and at most #P2pLanSignaller:queries-per-second of them.
 *
 * A viewer end's p2p_signaller_call() sends the query for a UID to each
 * interface's broadcast address and multicast groups (unless
 * #P2pLanSignaller:interfaces is %FALSE) and to the
 * #P2pLanSignaller:targets, resending it with a growing interval, then
 * calls over TCP the first camera whose answer proves knowledge of the same
 * UID. #P2pSignaller::call-started vouches for no certificate: the viewer
 * relies on its pinned or remembered fingerprint, or on its password
 * login, as ever.
 *
 * Signals are emitted on the loop thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-lan-signaller.h"
#include "p2p-lan-wire.h"
#include "p2p-signaller-private.h"

#include <string.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#ifdef __linux__
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#endif

/* Calls a camera end holds at once, of which still in their handshake. */
#define MAX_CALLS 16
#define MAX_HANDSHAKES 4
/* How long a viewer has to prove it knows the UID after connecting. */
#define HANDSHAKE_TIMEOUT_MS 5000
/* Datagrams read per wake-up: a flood cannot hold the loop thread. */
#define MAX_DATAGRAMS_PER_WAKEUP 32
/* The first resends of a query; then every QUERY_MAX_INTERVAL_MS. */
#define QUERY_FIRST_INTERVAL_MS 100
#define QUERY_MAX_INTERVAL_MS 1000
/* Larger than any valid datagram, to see oversized ones. */
#define DATAGRAM_BUFFER 128

enum
{
  PROP_0,
  PROP_LOOP,
  PROP_UID,
  PROP_DISCOVERY_PORT,
  PROP_TARGETS,
  PROP_INTERFACES,
  PROP_QUERIES_PER_SECOND,
};

typedef enum
{
  CALL_AWAIT_HELLO,             /* viewer: connected, waiting for hello */
  CALL_AWAIT_CALL,              /* camera: hello sent, waiting for the proof */
  CALL_AWAIT_ACCEPT,            /* viewer: proof sent */
  CALL_LIVE,
  CALL_CLOSED,
} CallState;

typedef struct _Request Request;

/* One TCP connection, which is one call. Loop thread only, apart from the
 * id, which is immutable. */
typedef struct
{
  gint refs;
  P2pLanSignaller *self;        /* weak: the table of self owns the call */
  Request *request;             /* viewer, until accepted */
  GSocketConnection *conn;
  GCancellable *cancellable;
  CallState state;
  gchar *id;
  gchar *address;
  guint scope_id;               /* the peer's link, if IPv6 link-local */
  guint8 nonce[P2P_LAN_NONCE_SIZE];
  guint8 header[4];
  guint8 *body;
  gsize body_len;
  GQueue out;                   /* GBytes to write */
  gboolean writing;
  gboolean close_after_write;
  GSource *deadline;
} LanCall;

/* A viewer's p2p_signaller_call(), until a camera accepts or time is up. */
struct _Request
{
  P2pLanSignaller *self;
  gchar *uid;                   /* as the caller gave it */
  gchar *norm;
  guint8 nonce[P2P_LAN_NONCE_SIZE];
  guint8 query[P2P_LAN_QUERY_SIZE];
  GSocket *udp4, *udp6;
  GSource *udp4_source, *udp6_source;
  GSource *resend, *deadline;
  guint interval_ms;
  gboolean busy;                /* connecting to a camera or in handshake */
  LanCall *call;                /* in its handshake */
  GCancellable *cancellable;
};

struct _P2pLanSignaller
{
  GObject parent;

  P2pLoop *loop;
  gchar *uid;                   /* normalised; camera only */
  guint discovery_port;
  gchar **targets;
  gboolean interfaces;
  guint queries_per_second;

  GMutex lock;
  gboolean started;
  /* id -> LanCall, live calls; the lock guards the table (lookups from
   * other threads), the calls themselves are the loop thread's. */
  GHashTable *calls;
  guint next_call;

  /* Loop thread only. */
  GSocket *udp4, *udp6;
  GSource *udp4_source, *udp6_source;
  guint bound_port;
  GSocketService *service;
  guint16 tcp_port;
  GSocket *netlink;             /* camera: interface changes, or NULL */
  GSource *netlink_source;
  GList *handshakes;            /* LanCall, camera, not yet live */
  GList *requests;              /* Request, viewer */
  gdouble tokens;
  gint64 tokens_time;
};

static void p2p_lan_signaller_signaller_init (P2pSignallerInterface * iface);

G_DEFINE_TYPE_WITH_CODE (P2pLanSignaller, p2p_lan_signaller, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (P2P_TYPE_SIGNALLER,
        p2p_lan_signaller_signaller_init));

static gboolean
is_camera (P2pLanSignaller * self)
{
  return self->uid != NULL;
}

static void
random_bytes (guint8 * out, gsize len)
{
  if (RAND_bytes (out, len) != 1)
    g_error ("No randomness from OpenSSL");
}

static GSource *
add_timeout (P2pLanSignaller * self, guint ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, p2p_loop_get_context (self->loop));
  return source;
}

static void
clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

/* ---- calls ---- */

static LanCall *
call_ref (LanCall * call)
{
  call->refs++;
  return call;
}

static void
call_unref (LanCall * call)
{
  if (--call->refs > 0)
    return;
  g_assert (call->deadline == NULL);
  g_clear_object (&call->conn);
  g_object_unref (call->cancellable);
  g_free (call->id);
  g_free (call->address);
  g_free (call->body);
  g_queue_clear_full (&call->out, (GDestroyNotify) g_bytes_unref);
  g_free (call);
}

/* Closes @call's connection and drops the reference its owner (the
 * handshakes list, the request or the calls table) holds; emits call-ended
 * with @reason if it was a live call of the table and @reason is not NULL.
 * Loop thread. */
static void
call_close (LanCall * call, const gchar * reason)
{
  P2pLanSignaller *self = call->self;
  gboolean in_table = FALSE;
  GList *link;

  if (call->state == CALL_CLOSED)
    return;
  call->state = CALL_CLOSED;
  clear_source (&call->deadline);
  g_cancellable_cancel (call->cancellable);
  if (call->conn)
    g_io_stream_close (G_IO_STREAM (call->conn), NULL, NULL);

  call_ref (call);
  if (call->request) {
    /* A viewer's handshake failed: its request waits for other answers. */
    call->request->call = NULL;
    call->request->busy = FALSE;
    call->request = NULL;
    call_unref (call);
  } else if ((link = g_list_find (self->handshakes, call))) {
    self->handshakes = g_list_delete_link (self->handshakes, link);
    call_unref (call);
  } else if (call->id) {
    g_mutex_lock (&self->lock);
    in_table = g_hash_table_lookup (self->calls, call->id) == call;
    if (in_table)
      g_hash_table_steal (self->calls, call->id);
    g_mutex_unlock (&self->lock);
    if (in_table)
      call_unref (call);
  }
  if (in_table && reason)
    g_signal_emit_by_name (self, "call-ended", call->id, reason);
  call_unref (call);
}

static void call_write_next (LanCall * call);

static void
call_write_done (GObject * source, GAsyncResult * result, gpointer data)
{
  LanCall *call = data;
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
          NULL, &error)) {
    if (call->state != CALL_CLOSED)
      g_debug ("lan call %s: write failed: %s", call->id, error->message);
    call_close (call, "peer-gone");
    call_unref (call);
    return;
  }
  g_bytes_unref (g_queue_pop_head (&call->out));
  call->writing = FALSE;
  call_write_next (call);
  call_unref (call);
}

static void
call_write_next (LanCall * call)
{
  GBytes *frame;
  GOutputStream *out;

  if (call->writing || call->state == CALL_CLOSED)
    return;
  frame = g_queue_peek_head (&call->out);
  if (frame == NULL) {
    if (call->close_after_write) {
      /* The end message is out: the connection is done. */
      call->state = CALL_CLOSED;
      g_cancellable_cancel (call->cancellable);
      g_io_stream_close (G_IO_STREAM (call->conn), NULL, NULL);
    }
    return;
  }
  call->writing = TRUE;
  out = g_io_stream_get_output_stream (G_IO_STREAM (call->conn));
  g_output_stream_write_all_async (out, g_bytes_get_data (frame, NULL),
      g_bytes_get_size (frame), G_PRIORITY_DEFAULT, call->cancellable,
      call_write_done, call_ref (call));
}

static void
call_send (LanCall * call, const P2pLanMessage * msg)
{
  GBytes *frame = p2p_lan_message_to_frame (msg);

  /* Callers checked the sizes; escaping alone cannot exceed the limit for
   * messages built here, except an SDP full of control characters. */
  if (frame == NULL) {
    g_warning ("lan call %s: message too large after escaping", call->id);
    return;
  }
  g_queue_push_tail (&call->out, frame);
  call_write_next (call);
}

static void call_read_header (LanCall * call);

static void emit_call_started (Request * request, LanCall * call);

/* One message from the peer of @call; FALSE closes the connection. */
static gboolean
call_handle (LanCall * call, P2pLanMessage * msg)
{
  P2pLanSignaller *self = call->self;
  gboolean camera = is_camera (self);
  guint8 proof[P2P_LAN_TAG_SIZE];
  P2pLanMessage reply = { 0 };

  switch (call->state) {
    case CALL_AWAIT_HELLO:
      if (msg->type != P2P_LAN_MESSAGE_HELLO)
        return FALSE;
      reply.type = P2P_LAN_MESSAGE_CALL;
      p2p_lan_call_proof (call->request->norm, msg->nonce, reply.proof);
      call->state = CALL_AWAIT_ACCEPT;
      call_send (call, &reply);
      return TRUE;
    case CALL_AWAIT_CALL:
      if (msg->type != P2P_LAN_MESSAGE_CALL)
        return FALSE;
      p2p_lan_call_proof (self->uid, call->nonce, proof);
      if (CRYPTO_memcmp (proof, msg->proof, sizeof (proof)) != 0) {
        g_info ("lan: refused a call from %s: it does not know the UID",
            call->address);
        return FALSE;
      }
      clear_source (&call->deadline);
      self->handshakes = g_list_remove (self->handshakes, call);
      call->state = CALL_LIVE;
      reply.type = P2P_LAN_MESSAGE_ACCEPT;
      call_send (call, &reply);
      g_mutex_lock (&self->lock);
      call->id = g_strdup_printf ("lan-%u", ++self->next_call);
      /* The handshakes list's reference moves to the table. */
      g_hash_table_insert (self->calls, call->id, call);
      g_mutex_unlock (&self->lock);
      g_signal_emit_by_name (self, "incoming-call", call->id, "lan",
          call->address);
      return TRUE;
    case CALL_AWAIT_ACCEPT:
      if (msg->type != P2P_LAN_MESSAGE_ACCEPT)
        return FALSE;
      clear_source (&call->deadline);
      call->state = CALL_LIVE;
      emit_call_started (call->request, call);
      return TRUE;
    case CALL_LIVE:
      break;
    case CALL_CLOSED:
      return FALSE;
  }

  switch (msg->type) {
    case P2P_LAN_MESSAGE_OFFER:
      if (camera)
        return FALSE;
      g_signal_emit_by_name (self, "remote-offer", call->id, msg->text);
      return TRUE;
    case P2P_LAN_MESSAGE_ANSWER:
      if (!camera)
        return FALSE;
      g_signal_emit_by_name (self, "remote-answer", call->id, msg->text);
      return TRUE;
    case P2P_LAN_MESSAGE_CANDIDATE:
      g_signal_emit_by_name (self, "remote-candidate", call->id, msg->text,
          msg->mid);
      return TRUE;
    case P2P_LAN_MESSAGE_END:
      call_close (call, msg->text ? msg->text : "bye");
      return TRUE;
    default:
      return FALSE;
  }
}

static void
call_read_body_done (GObject * source, GAsyncResult * result, gpointer data)
{
  LanCall *call = data;
  g_autoptr (GError) error = NULL;
  P2pLanMessage msg;
  gboolean ok;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, NULL,
          &error) || call->state == CALL_CLOSED) {
    call_close (call, "peer-gone");
    call_unref (call);
    return;
  }
  ok = p2p_lan_message_parse ((const gchar *) call->body, call->body_len,
      &msg, &error);
  g_clear_pointer (&call->body, g_free);
  if (!ok) {
    g_info ("lan call from %s: %s", call->address, error->message);
    call_close (call, "protocol-error");
  } else {
    call_ref (call);
    if (!call_handle (call, &msg))
      call_close (call, "protocol-error");
    else
      call_read_header (call);
    call_unref (call);
    p2p_lan_message_clear (&msg);
  }
  call_unref (call);
}

static void
call_read_header_done (GObject * source, GAsyncResult * result, gpointer data)
{
  LanCall *call = data;
  g_autoptr (GError) error = NULL;
  gsize read = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result,
          &read, &error) || read != 4 || call->state == CALL_CLOSED) {
    call_close (call, "peer-gone");
    call_unref (call);
    return;
  }
  call->body_len = p2p_lan_frame_length (call->header);
  if (call->body_len == 0) {
    g_info ("lan call from %s: frame of a bad length", call->address);
    call_close (call, "protocol-error");
    call_unref (call);
    return;
  }
  call->body = g_malloc (call->body_len);
  g_input_stream_read_all_async (G_INPUT_STREAM (source), call->body,
      call->body_len, G_PRIORITY_DEFAULT, call->cancellable,
      call_read_body_done, call);
}

static void
call_read_header (LanCall * call)
{
  GInputStream *in;

  if (call->state == CALL_CLOSED)
    return;
  in = g_io_stream_get_input_stream (G_IO_STREAM (call->conn));
  g_input_stream_read_all_async (in, call->header, 4, G_PRIORITY_DEFAULT,
      call->cancellable, call_read_header_done, call_ref (call));
}

static gboolean
call_deadline_cb (gpointer data)
{
  LanCall *call = data;

  g_clear_pointer (&call->deadline, g_source_unref);
  g_info ("lan call from %s: no handshake in time", call->address);
  call_close (call, NULL);
  return G_SOURCE_REMOVE;
}

static LanCall *
call_new (P2pLanSignaller * self, GSocketConnection * conn)
{
  LanCall *call = g_new0 (LanCall, 1);
  g_autoptr (GSocketAddress) remote = NULL;

  call->refs = 1;
  call->self = self;
  call->conn = g_object_ref (conn);
  call->cancellable = g_cancellable_new ();
  g_queue_init (&call->out);
  remote = g_socket_connection_get_remote_address (conn, NULL);
  if (G_IS_INET_SOCKET_ADDRESS (remote)) {
    GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (remote);
    GInetAddress *host = g_inet_socket_address_get_address (inet);

    call->address = g_inet_address_to_string (host);
    /* Both ends of an IPv6 link-local connection know its interface. */
    if (g_inet_address_get_family (host) == G_SOCKET_FAMILY_IPV6
        && g_inet_address_get_is_link_local (host))
      call->scope_id = g_inet_socket_address_get_scope_id (inet);
  } else {
    call->address = g_strdup ("?");
  }
  call->deadline = add_timeout (self, HANDSHAKE_TIMEOUT_MS, call_deadline_cb,
      call);
  return call;
}

/* Camera: a viewer connected. */
static gboolean
on_incoming (GSocketService * service, GSocketConnection * conn,
    GObject * source, gpointer data)
{
  P2pLanSignaller *self = data;
  P2pLanMessage hello = { P2P_LAN_MESSAGE_HELLO };
  LanCall *call;
  guint live;

  g_mutex_lock (&self->lock);
  live = g_hash_table_size (self->calls);
  g_mutex_unlock (&self->lock);
  if (!self->started || live >= MAX_CALLS
      || g_list_length (self->handshakes) >= MAX_HANDSHAKES) {
    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    return TRUE;
  }

  call = call_new (self, conn);
  call->state = CALL_AWAIT_CALL;
  self->handshakes = g_list_prepend (self->handshakes, call);
  random_bytes (call->nonce, sizeof (call->nonce));
  memcpy (hello.nonce, call->nonce, sizeof (hello.nonce));
  call_send (call, &hello);
  call_read_header (call);
  return TRUE;
}

/* ---- discovery, camera end ---- */

/* A token bucket over all senders: answering costs an HMAC and a datagram,
 * so a flood gets at most queries-per-second of them. */
static gboolean
take_token (P2pLanSignaller * self)
{
  gint64 now = g_get_monotonic_time ();
  gdouble rate = self->queries_per_second;

  self->tokens = MIN (rate, self->tokens + rate * (now - self->tokens_time)
      / G_USEC_PER_SEC);
  self->tokens_time = now;
  if (self->tokens < 1)
    return FALSE;
  self->tokens -= 1;
  return TRUE;
}

static gboolean
on_query (GSocket * socket, GIOCondition condition, gpointer data)
{
  P2pLanSignaller *self = data;
  guint i;

  for (i = 0; i < MAX_DATAGRAMS_PER_WAKEUP; i++) {
    guint8 buf[DATAGRAM_BUFFER];
    guint8 answer[P2P_LAN_ANSWER_SIZE];
    guint8 nonce[P2P_LAN_NONCE_SIZE];
    GSocketAddress *from = NULL;
    P2pLanQuery query;
    gssize len;

    len = g_socket_receive_from (socket, &from, (gchar *) buf, sizeof (buf),
        NULL, NULL);
    if (len < 0)
      break;
    /* Malformed, over budget or for another UID: no answer at all. */
    if (p2p_lan_query_parse (buf, len, &query) && take_token (self)
        && p2p_lan_query_matches (&query, self->uid)) {
      random_bytes (nonce, sizeof (nonce));
      p2p_lan_answer_build (self->uid, query.nonce, nonce, self->tcp_port,
          answer);
      g_socket_send_to (socket, from, (const gchar *) answer,
          sizeof (answer), NULL, NULL);
    }
    g_clear_object (&from);
  }
  return G_SOURCE_CONTINUE;
}

static GSource *
watch_socket (P2pLanSignaller * self, GSocket * socket, GSocketSourceFunc func,
    gpointer data)
{
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, (GSourceFunc) func, data, NULL);
  g_source_attach (source, p2p_loop_get_context (self->loop));
  return source;
}

/* A UDP socket of @family bound to @port (0: any); IPv6 ones take IPv6
 * only, so that both families can bind the same port. */
static GSocket *
udp_socket (GSocketFamily family, guint port, GError ** error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) any = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  if (family == G_SOCKET_FAMILY_IPV6
      && !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  any = g_inet_address_new_any (family);
  address = g_inet_socket_address_new (any, port);
  /* Several cameras on one host share the discovery port. */
  if (!g_socket_bind (socket, address, port != 0, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static guint
local_port (GSocket * socket)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);

  return local ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
      (local)) : 0;
}

/* The interfaces that are up, can multicast and are not loopback. */
static GPtrArray *
multicast_interfaces (void)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  struct ifaddrs *list, *ifa;
  guint i;

  if (getifaddrs (&list) != 0)
    return names;
  for (ifa = list; ifa; ifa = ifa->ifa_next) {
    gboolean seen = FALSE;

    if (!(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK)
        || !(ifa->ifa_flags & IFF_MULTICAST))
      continue;
    for (i = 0; i < names->len && !seen; i++)
      seen = strcmp (g_ptr_array_index (names, i), ifa->ifa_name) == 0;
    if (!seen)
      g_ptr_array_add (names, g_strdup (ifa->ifa_name));
  }
  freeifaddrs (list);
  return names;
}

static void
join_groups (P2pLanSignaller * self)
{
  g_autoptr (GPtrArray) names = multicast_interfaces ();
  g_autoptr (GInetAddress) group4 =
      g_inet_address_new_from_string (P2P_LAN_MULTICAST_IPV4);
  g_autoptr (GInetAddress) group6 =
      g_inet_address_new_from_string (P2P_LAN_MULTICAST_IPV6);
  guint i;

  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    g_autoptr (GError) error = NULL;

    if (self->udp4 && !g_socket_join_multicast_group (self->udp4, group4,
            FALSE, name, &error)) {
      g_debug ("lan: not joining %s on %s: %s", P2P_LAN_MULTICAST_IPV4, name,
          error->message);
      g_clear_error (&error);
    }
    if (self->udp6 && !g_socket_join_multicast_group (self->udp6, group6,
            FALSE, name, &error))
      g_debug ("lan: not joining %s on %s: %s", P2P_LAN_MULTICAST_IPV6, name,
          error->message);
  }
}

/* The kernel said an interface or an address came or went: the groups
 * are joined again on every interface that can take them now (a link
 * plugged in, brought up or given an address after the start), which
 * costs little; joins that stand already just fail. What the messages say
 * does not matter, so they are only drained, a bounded number per
 * wake-up. */
static gboolean
on_interfaces_changed (GSocket * socket, GIOCondition condition, gpointer data)
{
  P2pLanSignaller *self = data;
  guint i;

  for (i = 0; i < MAX_DATAGRAMS_PER_WAKEUP; i++) {
    gchar buf[4096];

    if (g_socket_receive (socket, buf, sizeof (buf), NULL, NULL) <= 0)
      break;
  }
  join_groups (self);
  return G_SOURCE_CONTINUE;
}

/* Linux tells of interface changes on a route netlink socket; elsewhere
 * the groups are those of the interfaces there were at the start. */
static void
watch_interfaces (P2pLanSignaller * self)
{
#ifdef __linux__
  struct sockaddr_nl addr = { 0 };
  g_autoptr (GError) error = NULL;
  int fd;

  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
      NETLINK_ROUTE);
  if (fd < 0) {
    g_info ("lan: interface changes go unseen: %s", g_strerror (errno));
    return;
  }
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) != 0
      || !(self->netlink = g_socket_new_from_fd (fd, &error))) {
    g_info ("lan: interface changes go unseen: %s",
        error ? error->message : g_strerror (errno));
    close (fd);
    return;
  }
  /* Drained until empty: a blocking read would hold the loop thread. */
  g_socket_set_blocking (self->netlink, FALSE);
  self->netlink_source = watch_socket (self, self->netlink,
      on_interfaces_changed, self);
#endif
}

static gboolean
camera_start (P2pLanSignaller * self, GError ** error)
{
  g_autoptr (GError) error6 = NULL;

  self->service = g_socket_service_new ();
  self->tcp_port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER
      (self->service), NULL, error);
  if (self->tcp_port == 0)
    return FALSE;
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);

  self->udp4 = udp_socket (G_SOCKET_FAMILY_IPV4, self->discovery_port, error);
  if (self->udp4 == NULL)
    return FALSE;
  self->bound_port = local_port (self->udp4);
  /* The same port in IPv6, if the host has IPv6 at all. */
  self->udp6 = udp_socket (G_SOCKET_FAMILY_IPV6, self->bound_port, &error6);
  if (self->udp6 == NULL)
    g_info ("lan: no IPv6 discovery: %s", error6->message);
  if (self->interfaces) {
    /* Watched first, so that no change between the two goes unseen. */
    watch_interfaces (self);
    join_groups (self);
  }
  self->udp4_source = watch_socket (self, self->udp4, on_query, self);
  if (self->udp6)
    self->udp6_source = watch_socket (self, self->udp6, on_query, self);
  self->tokens = self->queries_per_second;
  self->tokens_time = g_get_monotonic_time ();
  return TRUE;
}

/* ---- discovery, viewer end ---- */

static void
request_free (Request * request)
{
  clear_source (&request->udp4_source);
  clear_source (&request->udp6_source);
  clear_source (&request->resend);
  clear_source (&request->deadline);
  g_cancellable_cancel (request->cancellable);
  g_object_unref (request->cancellable);
  if (request->call)
    call_close (request->call, NULL);
  g_clear_object (&request->udp4);
  g_clear_object (&request->udp6);
  g_free (request->uid);
  g_free (request->norm);
  g_free (request);
}

static void
request_finish (Request * request)
{
  P2pLanSignaller *self = request->self;

  self->requests = g_list_remove (self->requests, request);
  request_free (request);
}

static void
emit_call_started (Request * request, LanCall * call)
{
  P2pLanSignaller *self = request->self;
  g_autofree gchar *uid = g_strdup (request->uid);

  g_mutex_lock (&self->lock);
  call->id = g_strdup_printf ("lan-%u", ++self->next_call);
  g_hash_table_insert (self->calls, call->id, call_ref (call));
  g_mutex_unlock (&self->lock);
  /* The request lets go of the call, which is now the table's. */
  call->request = NULL;
  request->call = NULL;
  call_unref (call);
  request_finish (request);
  g_signal_emit_by_name (self, "call-started", uid, call->id, NULL);
}

static void
on_connected (GObject * source, GAsyncResult * result, gpointer data)
{
  Request *request = data;
  g_autoptr (GError) error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result,
      &error);
  if (conn == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_info ("lan: could not call the camera that answered: %s",
          error->message);
      /* The next answer to a resent query is tried. */
      request->busy = FALSE;
    }
    return;
  }
  request->call = call_new (request->self, conn);
  request->call->state = CALL_AWAIT_HELLO;
  request->call->request = request;
  g_object_unref (conn);
  call_read_header (request->call);
}

static gboolean
on_answer (GSocket * socket, GIOCondition condition, gpointer data)
{
  Request *request = data;
  guint i;

  for (i = 0; i < MAX_DATAGRAMS_PER_WAKEUP; i++) {
    guint8 buf[DATAGRAM_BUFFER];
    GSocketAddress *from = NULL;
    P2pLanAnswer answer;
    gssize len;

    len = g_socket_receive_from (socket, &from, (gchar *) buf, sizeof (buf),
        NULL, NULL);
    if (len < 0)
      break;
    if (!request->busy && G_IS_INET_SOCKET_ADDRESS (from)
        && p2p_lan_answer_parse (buf, len, &answer)
        && p2p_lan_answer_matches (&answer, request->norm, request->nonce)) {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (from);
      g_autoptr (GSocketAddress) target = NULL;
      g_autoptr (GSocketClient) client = g_socket_client_new ();

      /* Same address and scope (IPv6 link-local), the answer's port. */
      GInetAddress *host = g_inet_socket_address_get_address (inet);
      guint scope = g_inet_address_get_family (host) == G_SOCKET_FAMILY_IPV6
          ? g_inet_socket_address_get_scope_id (inet) : 0;

      target = g_object_new (G_TYPE_INET_SOCKET_ADDRESS, "address", host,
          "port", answer.port, "scope-id", scope, NULL);
      request->busy = TRUE;
      /* A neighbour, never through a proxy. */
      g_socket_client_set_enable_proxy (client, FALSE);
      g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (target),
          request->cancellable, on_connected, request);
    }
    g_clear_object (&from);
  }
  return G_SOURCE_CONTINUE;
}

static void
send_query_to (Request * request, GSocketAddress * to)
{
  GSocket *socket = g_socket_address_get_family (to) == G_SOCKET_FAMILY_IPV6
      ? request->udp6 : request->udp4;
  g_autoptr (GError) error = NULL;

  if (socket && g_socket_send_to (socket, to, (const gchar *) request->query,
          sizeof (request->query), NULL, &error) < 0)
    g_debug ("lan: query not sent: %s", error->message);
}

/* Each interface's broadcast address and multicast groups. */
static void
send_query_on_interfaces (Request * request)
{
  guint port = request->self->discovery_port;
  g_autoptr (GInetAddress) group4 =
      g_inet_address_new_from_string (P2P_LAN_MULTICAST_IPV4);
  g_autoptr (GInetAddress) group6 =
      g_inet_address_new_from_string (P2P_LAN_MULTICAST_IPV6);
  struct ifaddrs *list, *ifa;

  if (getifaddrs (&list) != 0)
    return;
  for (ifa = list; ifa; ifa = ifa->ifa_next) {
    g_autoptr (GSocketAddress) to = NULL;
    int family;

    if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP)
        || (ifa->ifa_flags & IFF_LOOPBACK))
      continue;
    family = ifa->ifa_addr->sa_family;
    if (family == AF_INET && request->udp4) {
      const struct sockaddr_in *sin = (const void *) ifa->ifa_addr;

      if ((ifa->ifa_flags & IFF_BROADCAST) && ifa->ifa_broadaddr) {
        g_autoptr (GSocketAddress) native =
            g_socket_address_new_from_native (ifa->ifa_broadaddr,
            sizeof (struct sockaddr_in));

        to = g_inet_socket_address_new (g_inet_socket_address_get_address
            (G_INET_SOCKET_ADDRESS (native)), port);
        send_query_to (request, to);
        g_clear_object (&to);
      }
      if (ifa->ifa_flags & IFF_MULTICAST) {
        struct in_addr local = sin->sin_addr;

        /* Out of this interface, not just the default route's. */
        if (setsockopt (g_socket_get_fd (request->udp4), IPPROTO_IP,
                IP_MULTICAST_IF, &local, sizeof (local)) == 0) {
          to = g_inet_socket_address_new (group4, port);
          send_query_to (request, to);
        }
      }
    } else if (family == AF_INET6 && request->udp6
        && (ifa->ifa_flags & IFF_MULTICAST)) {
      const struct sockaddr_in6 *sin6 = (const void *) ifa->ifa_addr;

      /* One query per interface: on the link-local address's entry. */
      if (!IN6_IS_ADDR_LINKLOCAL (&sin6->sin6_addr))
        continue;
      to = g_object_new (G_TYPE_INET_SOCKET_ADDRESS, "address", group6,
          "port", port, "scope-id", if_nametoindex (ifa->ifa_name), NULL);
      send_query_to (request, to);
    }
  }
  freeifaddrs (list);
}

static void
send_query (Request * request)
{
  P2pLanSignaller *self = request->self;
  gchar **t;

  if (self->interfaces)
    send_query_on_interfaces (request);
  for (t = self->targets; t && *t; t++) {
    g_autoptr (GSocketConnectable) target = NULL;
    g_autoptr (GSocketAddressEnumerator) e = NULL;
    g_autoptr (GSocketAddress) to = NULL;

    /* Numeric addresses only: no name resolution on this path. */
    target = g_network_address_parse (*t, self->discovery_port, NULL);
    if (target == NULL)
      continue;
    e = g_socket_connectable_enumerate (target);
    to = g_socket_address_enumerator_next (e, NULL, NULL);
    if (to)
      send_query_to (request, to);
  }
}

static gboolean
request_resend_cb (gpointer data)
{
  Request *request = data;
  P2pLanSignaller *self = request->self;

  clear_source (&request->resend);
  send_query (request);
  request->interval_ms = MIN (request->interval_ms * 2, QUERY_MAX_INTERVAL_MS);
  request->resend = add_timeout (self, request->interval_ms,
      request_resend_cb, request);
  return G_SOURCE_REMOVE;
}

static gboolean
request_deadline_cb (gpointer data)
{
  Request *request = data;
  P2pLanSignaller *self = request->self;
  g_autofree gchar *uid = g_strdup (request->uid);
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&request->deadline, g_source_unref);
  request_finish (request);
  error = g_error_new (P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_TIMEOUT,
      "No camera with this UID answered on the local network");
  g_signal_emit_by_name (self, "call-failed", uid, error);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  P2pLanSignaller *self;
  gchar *uid;
  gchar *norm;
  guint timeout_ms;
} CallStart;

static void
call_start_free (gpointer data)
{
  CallStart *start = data;

  g_object_unref (start->self);
  g_free (start->uid);
  g_free (start->norm);
  g_free (start);
}

static gboolean
call_start_in_loop (gpointer data)
{
  CallStart *start = data;
  P2pLanSignaller *self = start->self;
  Request *request;
  g_autoptr (GError) error = NULL;

  if (!self->started)
    return G_SOURCE_REMOVE;
  request = g_new0 (Request, 1);
  request->self = self;
  request->uid = g_steal_pointer (&start->uid);
  request->norm = g_steal_pointer (&start->norm);
  request->cancellable = g_cancellable_new ();
  random_bytes (request->nonce, sizeof (request->nonce));
  p2p_lan_query_build (request->norm, request->nonce, request->query);
  self->requests = g_list_prepend (self->requests, request);

  request->udp4 = udp_socket (G_SOCKET_FAMILY_IPV4, 0, &error);
  if (request->udp4 == NULL) {
    g_autofree gchar *uid = g_strdup (request->uid);

    request_finish (request);
    g_signal_emit_by_name (self, "call-failed", uid, error);
    return G_SOURCE_REMOVE;
  }
  g_socket_set_broadcast (request->udp4, TRUE);
  request->udp6 = udp_socket (G_SOCKET_FAMILY_IPV6, 0, NULL);
  request->udp4_source = watch_socket (self, request->udp4, on_answer, request);
  if (request->udp6)
    request->udp6_source = watch_socket (self, request->udp6, on_answer,
        request);

  request->deadline = add_timeout (self, MAX (start->timeout_ms, 1),
      request_deadline_cb, request);
  request->interval_ms = QUERY_FIRST_INTERVAL_MS / 2;
  request_resend_cb (request);
  return G_SOURCE_REMOVE;
}

/* ---- P2pSignaller ---- */

static gboolean
start_in_loop (gpointer data)
{
  P2pLanSignaller *self = data;
  g_autoptr (GError) error = NULL;

  if (!self->started || !is_camera (self) || self->service)
    return G_SOURCE_REMOVE;
  if (!camera_start (self, &error)) {
    g_warning ("lan: cannot take calls on the local network: %s",
        error->message);
    g_signal_emit_by_name (self, "error", error);
  }
  return G_SOURCE_REMOVE;
}

static void
signaller_start (P2pSignaller * signaller)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (signaller);

  g_mutex_lock (&self->lock);
  self->started = TRUE;
  g_mutex_unlock (&self->lock);
  p2p_loop_invoke (self->loop, start_in_loop, g_object_ref (self),
      g_object_unref);
}

/* Tells the peer @reason, best effort and without waiting, then closes. */
static void
call_shut_down (LanCall * call, const gchar * reason)
{
  P2pLanMessage bye = { P2P_LAN_MESSAGE_END };
  GSocket *socket = g_socket_connection_get_socket (call->conn);
  g_autoptr (GBytes) frame = NULL;

  bye.text = (gchar *) reason;
  frame = p2p_lan_message_to_frame (&bye);
  if (!call->writing) {
    g_socket_set_blocking (socket, FALSE);
    g_socket_send (socket, g_bytes_get_data (frame, NULL),
        g_bytes_get_size (frame), NULL, NULL);
  }
  call_close (call, NULL);
}

static gboolean
stop_in_loop (gpointer data)
{
  P2pLanSignaller *self = data;
  GList *calls, *l;

  while (self->requests)
    request_finish (self->requests->data);
  while (self->handshakes)
    call_close (self->handshakes->data, NULL);

  g_mutex_lock (&self->lock);
  calls = g_hash_table_get_values (self->calls);
  g_list_foreach (calls, (GFunc) call_ref, NULL);
  g_mutex_unlock (&self->lock);
  for (l = calls; l; l = l->next)
    call_shut_down (l->data, "shutdown");
  g_list_free_full (calls, (GDestroyNotify) call_unref);

  clear_source (&self->udp4_source);
  clear_source (&self->udp6_source);
  clear_source (&self->netlink_source);
  g_clear_object (&self->netlink);
  g_clear_object (&self->udp4);
  g_clear_object (&self->udp6);
  self->bound_port = 0;
  if (self->service) {
    g_socket_service_stop (self->service);
    g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    g_signal_handlers_disconnect_by_data (self->service, self);
    g_clear_object (&self->service);
  }
  return G_SOURCE_REMOVE;
}

static void
signaller_stop (P2pSignaller * signaller)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (signaller);

  g_mutex_lock (&self->lock);
  self->started = FALSE;
  g_mutex_unlock (&self->lock);
  p2p_loop_invoke_sync (self->loop, stop_in_loop, self);
}

static gboolean
signaller_call (P2pSignaller * signaller, const gchar * uid,
    guint timeout_ms, GError ** error)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (signaller);
  CallStart *start;
  gchar *norm;
  gboolean started;

  if (is_camera (self)) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
        "A camera's local-network signaller makes no calls");
    return FALSE;
  }
  norm = p2p_signaller_normalise_uid (uid);
  if (norm == NULL) {
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_INVALID_ARGUMENT, "Malformed UID '%.32s'", uid);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  started = self->started;
  g_mutex_unlock (&self->lock);
  if (!started) {
    g_free (norm);
    g_set_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_STOPPED,
        "The local-network signaller is not started");
    return FALSE;
  }

  start = g_new0 (CallStart, 1);
  start->self = g_object_ref (self);
  start->uid = g_strdup (uid);
  start->norm = norm;
  start->timeout_ms = timeout_ms;
  p2p_loop_invoke (self->loop, call_start_in_loop, start, call_start_free);
  return TRUE;
}

typedef struct
{
  P2pLanSignaller *self;
  gchar *norm;
} Cancel;

static void
cancel_free (gpointer data)
{
  Cancel *cancel = data;

  g_object_unref (cancel->self);
  g_free (cancel->norm);
  g_free (cancel);
}

static gboolean
cancel_in_loop (gpointer data)
{
  Cancel *cancel = data;
  P2pLanSignaller *self = cancel->self;
  GList *l = self->requests;

  while (l) {
    Request *request = l->data;

    l = l->next;
    if (strcmp (request->norm, cancel->norm) != 0)
      continue;
    /* Once the proof is out, the camera may have taken the call: it hears
     * the end rather than only the connection drop. */
    if (request->call && request->call->state == CALL_AWAIT_ACCEPT)
      call_shut_down (request->call, "cancelled");
    request_finish (request);
  }
  return G_SOURCE_REMOVE;
}

/* Queued after the call's own start on the loop, so that a cancel right
 * after p2p_signaller_call() finds the request. */
static void
signaller_cancel_call (P2pSignaller * signaller, const gchar * uid)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (signaller);
  gchar *norm = p2p_signaller_normalise_uid (uid);
  Cancel *cancel;

  if (norm == NULL || is_camera (self)) {
    g_free (norm);
    return;
  }
  cancel = g_new0 (Cancel, 1);
  cancel->self = g_object_ref (self);
  cancel->norm = norm;
  p2p_loop_invoke (self->loop, cancel_in_loop, cancel, cancel_free);
}

typedef struct
{
  P2pLanSignaller *self;
  gchar *call;
  P2pLanMessage msg;
} Outgoing;

static void
outgoing_free (gpointer data)
{
  Outgoing *out = data;

  g_object_unref (out->self);
  g_free (out->call);
  p2p_lan_message_clear (&out->msg);
  g_free (out);
}

static gboolean
send_in_loop (gpointer data)
{
  Outgoing *out = data;
  P2pLanSignaller *self = out->self;
  LanCall *call;

  g_mutex_lock (&self->lock);
  call = g_hash_table_lookup (self->calls, out->call);
  if (call && out->msg.type == P2P_LAN_MESSAGE_END)
    g_hash_table_steal (self->calls, out->call);
  g_mutex_unlock (&self->lock);
  if (call == NULL || call->state != CALL_LIVE)
    return G_SOURCE_REMOVE;

  call_send (call, &out->msg);
  if (out->msg.type == P2P_LAN_MESSAGE_END) {
    /* Forgotten now; the connection closes once the end is out. */
    call->close_after_write = TRUE;
    call_write_next (call);
    call_unref (call);
  }
  return G_SOURCE_REMOVE;
}

/* Queues @type for @call if @call is known; takes @text and @mid. */
static gboolean
queue_send (P2pLanSignaller * self, const gchar * call,
    P2pLanMessageType type, gchar * text, gchar * mid, GError ** error)
{
  Outgoing *out;
  gboolean known;

  g_mutex_lock (&self->lock);
  known = g_hash_table_contains (self->calls, call);
  g_mutex_unlock (&self->lock);
  if (!known) {
    g_free (text);
    g_free (mid);
    g_set_error (error, P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_UNKNOWN_CALL, "Unknown call '%.64s'", call);
    return FALSE;
  }
  out = g_new0 (Outgoing, 1);
  out->self = g_object_ref (self);
  out->call = g_strdup (call);
  out->msg.type = type;
  out->msg.text = text;
  out->msg.mid = mid;
  p2p_loop_invoke (self->loop, send_in_loop, out, outgoing_free);
  return TRUE;
}

static guint
signaller_get_call_scope_id (P2pSignaller * signaller, const gchar * call)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (signaller);
  LanCall *lan;
  guint scope_id = 0;

  g_mutex_lock (&self->lock);
  lan = g_hash_table_lookup (self->calls, call);
  /* Set when the call was made, never changed: readable here. */
  if (lan)
    scope_id = lan->scope_id;
  g_mutex_unlock (&self->lock);
  return scope_id;
}

static gboolean
wrong_role (GError ** error)
{
  g_set_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_INVALID_ARGUMENT,
      "The other end of a call sends this message");
  return FALSE;
}

static gboolean
signaller_send_offer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (signaller);

  if (!is_camera (self))
    return wrong_role (error);
  return queue_send (self, call, P2P_LAN_MESSAGE_OFFER, g_strdup (sdp), NULL,
      error);
}

static gboolean
signaller_send_answer (P2pSignaller * signaller, const gchar * call,
    const gchar * sdp, GError ** error)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (signaller);

  if (is_camera (self))
    return wrong_role (error);
  return queue_send (self, call, P2P_LAN_MESSAGE_ANSWER, g_strdup (sdp),
      NULL, error);
}

static gboolean
signaller_send_candidate (P2pSignaller * signaller, const gchar * call,
    const gchar * candidate, const gchar * mid, GError ** error)
{
  return queue_send (P2P_LAN_SIGNALLER (signaller), call,
      P2P_LAN_MESSAGE_CANDIDATE, g_strdup (candidate), g_strdup (mid), error);
}

static gboolean
signaller_end_call (P2pSignaller * signaller, const gchar * call,
    const gchar * reason, GError ** error)
{
  return queue_send (P2P_LAN_SIGNALLER (signaller), call,
      P2P_LAN_MESSAGE_END, g_strdup (reason), NULL, error);
}

static void
p2p_lan_signaller_signaller_init (P2pSignallerInterface * iface)
{
  iface->start = signaller_start;
  iface->stop = signaller_stop;
  iface->call = signaller_call;
  iface->send_offer = signaller_send_offer;
  iface->send_answer = signaller_send_answer;
  iface->send_candidate = signaller_send_candidate;
  iface->end_call = signaller_end_call;
  iface->cancel_call = signaller_cancel_call;
  iface->get_call_scope_id = signaller_get_call_scope_id;
}

/* ---- GObject ---- */

typedef struct
{
  P2pLanSignaller *self;
  guint port;
} BoundPort;

static gboolean
get_bound_port_in_loop (gpointer data)
{
  BoundPort *bound = data;

  bound->port = bound->self->bound_port;
  return G_SOURCE_REMOVE;
}

/**
 * p2p_lan_signaller_get_bound_port:
 * @self: a camera's #P2pLanSignaller
 *
 * The UDP port the camera end listens on for discovery: the
 * #P2pLanSignaller:discovery-port, or the port the system chose when that
 * is 0. Waits for the loop thread.
 *
 * Returns: the port, or 0 when not started (or the start failed)
 */
guint
p2p_lan_signaller_get_bound_port (P2pLanSignaller * self)
{
  BoundPort data = { self, 0 };

  g_return_val_if_fail (P2P_IS_LAN_SIGNALLER (self), 0);

  /* Runs after any start queued before. */
  p2p_loop_invoke_sync (self->loop, get_bound_port_in_loop, &data);
  return data.port;
}

static void
p2p_lan_signaller_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (object);

  switch (prop_id) {
    case PROP_LOOP:
      self->loop = g_value_dup_object (value);
      break;
    case PROP_UID:
      self->uid = p2p_signaller_normalise_uid (g_value_get_string (value));
      break;
    case PROP_DISCOVERY_PORT:
      self->discovery_port = g_value_get_uint (value);
      break;
    case PROP_TARGETS:
      g_strfreev (self->targets);
      self->targets = g_value_dup_boxed (value);
      break;
    case PROP_INTERFACES:
      self->interfaces = g_value_get_boolean (value);
      break;
    case PROP_QUERIES_PER_SECOND:
      self->queries_per_second = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
p2p_lan_signaller_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (object);

  switch (prop_id) {
    case PROP_LOOP:
      g_value_set_object (value, self->loop);
      break;
    case PROP_UID:
      g_value_set_string (value, self->uid);
      break;
    case PROP_DISCOVERY_PORT:
      g_value_set_uint (value, self->discovery_port);
      break;
    case PROP_TARGETS:
      g_value_set_boxed (value, self->targets);
      break;
    case PROP_INTERFACES:
      g_value_set_boolean (value, self->interfaces);
      break;
    case PROP_QUERIES_PER_SECOND:
      g_value_set_uint (value, self->queries_per_second);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
p2p_lan_signaller_constructed (GObject * object)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (object);

  G_OBJECT_CLASS (p2p_lan_signaller_parent_class)->constructed (object);
  if (self->loop == NULL)
    self->loop = p2p_loop_get_default ();
}

static void
p2p_lan_signaller_dispose (GObject * object)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (object);

  if (self->loop)
    signaller_stop (P2P_SIGNALLER (self));
  G_OBJECT_CLASS (p2p_lan_signaller_parent_class)->dispose (object);
}

static void
p2p_lan_signaller_finalize (GObject * object)
{
  P2pLanSignaller *self = P2P_LAN_SIGNALLER (object);

  g_clear_object (&self->loop);
  g_free (self->uid);
  g_strfreev (self->targets);
  g_hash_table_unref (self->calls);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (p2p_lan_signaller_parent_class)->finalize (object);
}

static void
p2p_lan_signaller_class_init (P2pLanSignallerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
      G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = p2p_lan_signaller_set_property;
  gobject_class->get_property = p2p_lan_signaller_get_property;
  gobject_class->constructed = p2p_lan_signaller_constructed;
  gobject_class->dispose = p2p_lan_signaller_dispose;
  gobject_class->finalize = p2p_lan_signaller_finalize;

  /**
   * P2pLanSignaller:loop:
   *
   * The loop the sockets run on; the default loop when %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_LOOP,
      g_param_spec_object ("loop", "Loop", "The loop the sockets run on",
          P2P_TYPE_LOOP, co));

  /**
   * P2pLanSignaller:uid:
   *
   * The camera end's UID (normalised); %NULL for a viewer end.
   */
  g_object_class_install_property (gobject_class, PROP_UID,
      g_param_spec_string ("uid", "UID", "The camera end's UID", NULL, co));

  /**
   * P2pLanSignaller:discovery-port:
   *
   * The UDP port of discovery: the camera end listens on it (0: one the
   * system chooses, see p2p_lan_signaller_get_bound_port()), the viewer
   * end sends its queries to it. Default #P2P_LAN_DISCOVERY_PORT.
   */
  g_object_class_install_property (gobject_class, PROP_DISCOVERY_PORT,
      g_param_spec_uint ("discovery-port", "Discovery port",
          "UDP port of discovery queries", 0, 65535, P2P_LAN_DISCOVERY_PORT,
          co));

  /**
   * P2pLanSignaller:targets:
   *
   * Viewer end: numeric addresses (`192.0.2.7`, `[fe80::1%eth0]:47230`)
   * that are sent the query too, unicast, e.g. a camera on a network that
   * drops broadcast and multicast. Default %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_TARGETS,
      g_param_spec_boxed ("targets", "Targets",
          "Addresses also sent discovery queries", G_TYPE_STRV, co));

  /**
   * P2pLanSignaller:interfaces:
   *
   * Whether discovery uses the host's network interfaces: the camera end
   * joins the multicast groups on each, the viewer end sends its query to
   * each one's broadcast address and multicast groups. %FALSE leaves only
   * the #P2pLanSignaller:targets (tests stay on the loopback interface
   * this way). Default %TRUE.
   */
  g_object_class_install_property (gobject_class, PROP_INTERFACES,
      g_param_spec_boolean ("interfaces", "Interfaces",
          "Discover on each network interface", TRUE, co));

  /**
   * P2pLanSignaller:queries-per-second:
   *
   * Camera end: the most discovery queries it checks and answers per
   * second, from all senders together (a burst of as many is allowed).
   * Default 20.
   */
  g_object_class_install_property (gobject_class, PROP_QUERIES_PER_SECOND,
      g_param_spec_uint ("queries-per-second", "Queries per second",
          "Most discovery queries answered per second", 1, 1000, 20, co));
}

static void
p2p_lan_signaller_init (P2pLanSignaller * self)
{
  g_mutex_init (&self->lock);
  self->calls = g_hash_table_new (g_str_hash, g_str_equal);
}

/**
 * p2p_lan_signaller_new_camera:
 * @loop: (nullable): the loop to run on, or %NULL for the default one
 * @uid: the camera's UID
 *
 * Creates the camera end: once started, it answers discovery queries for
 * @uid and takes calls from viewers that know @uid.
 *
 * Returns: (transfer full): a new #P2pLanSignaller
 */
P2pLanSignaller *
p2p_lan_signaller_new_camera (P2pLoop * loop, const gchar * uid)
{
  g_autofree gchar *norm = NULL;

  g_return_val_if_fail (loop == NULL || P2P_IS_LOOP (loop), NULL);
  norm = p2p_signaller_normalise_uid (uid);
  g_return_val_if_fail (norm != NULL, NULL);

  return g_object_new (P2P_TYPE_LAN_SIGNALLER, "loop", loop, "uid", norm, NULL);
}

/**
 * p2p_lan_signaller_new_viewer:
 * @loop: (nullable): the loop to run on, or %NULL for the default one
 *
 * Creates the viewer end: p2p_signaller_call() looks for the camera on
 * the local network.
 *
 * Returns: (transfer full): a new #P2pLanSignaller
 */
P2pLanSignaller *
p2p_lan_signaller_new_viewer (P2pLoop * loop)
{
  g_return_val_if_fail (loop == NULL || P2P_IS_LOOP (loop), NULL);

  return g_object_new (P2P_TYPE_LAN_SIGNALLER, "loop", loop, NULL);
}
