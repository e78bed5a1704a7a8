/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Birthday-paradox hole punching between a symmetric NAT and an
 * endpoint-independent one (issue 16).
 *
 * ICE cannot connect a host behind a NAT that gives every destination a
 * new random port (address-and-port-dependent mapping, "hard") to one
 * behind a port-restricted NAT ("easy"): the easy side would have to send
 * to the hard side's port for it before its own NAT lets that port in,
 * and no one can know that port. Guessing works by numbers: the hard side
 * sends from HARD_SOCKETS sockets of its own to the easy side's mapping,
 * each through a new random port; the easy side opens SPRAY_PORTS random
 * ports of the hard side's address in its own NAT. With 64 512 ports, a
 * round misses only with probability (1 - 2048/64512)^256 ≈ 3e-4.
 *
 * The easy side's packets go out with a TTL that gets them through its own
 * NAT routers and no further (the NAT opener's measure, p2p-nat-opener.c):
 * they open its NAT's filter without touching the hard side's router, so a
 * router there that answers unsolicited packets keeps no conntrack entry
 * that would later take a tuple the hard side's packets need, and the
 * spray never leaves the easy side's own network. It is sent before the
 * hard side's probes (the easy side says so over the channel), so that an
 * answering router on the easy side has no entry for a probe's tuple when
 * the spray opens it.
 *
 * The exchange runs once DTLS is up, on the path ICE selected (a relay
 * when nothing else worked): both sides have classified their own NAT by
 * asking two STUN servers from one socket of ours (the same mapping from
 * both is endpoint-independent); they tell each other their class, a
 * random token and their mapping in HELLO messages on the DTLS channel, so
 * only the authenticated peer learns the token the probes must carry and
 * the addresses come from it. The probes and answers carry the receiver's
 * token; anything else on our sockets is dropped. The hard side takes the
 * first socket answered (ACK), tells the easy side on that path (CONFIRM),
 * and both move DTLS and SRTP onto it: the punched path is a path beside
 * libnice, kept alive and consented by the message channel's pings like
 * any other (p2p-channel.c); if it goes silent the traffic goes back to
 * ICE's path, which libnice keeps.
 *
 * Bounded: SPRAY_PORTS small packets from the easy side, at most
 * MAX_ROUNDS rounds of HARD_SOCKETS sockets (each probe sent twice) from
 * the hard side, within MAX_ROUNDS * ROUND_MS, and at most
 * PROCESS_SOCKET_BUDGET sockets open for punching in the process at once.
 * Two hard sides (symmetric against symmetric) would need tens of
 * thousands of packets and are not tried; they stay relayed.
 *
 * Wire format of our datagrams: "p2pB" | type (u8) | token (16 bytes);
 * the first byte, 0x70, is neither STUN, DTLS nor RTP (RFC 7983). Control
 * messages on the DTLS channel: P2P_PUNCH_CHUNK | type (u8) | ...
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-punch.h"
#include "p2p-nat-opener.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib-unix.h>
#include <openssl/rand.h>
#include <stun/usages/bind.h>

/* Ports of the hard side's address opened by the easy side. */
#define SPRAY_PORTS 2048
/* Sent per SPRAY_TICK_MS, so a router is not handed 2048 new flows in
 * one burst. */
#define SPRAY_BURST 256
#define SPRAY_TICK_MS 5
/* Sockets of the hard side per round, and rounds. */
#define HARD_SOCKETS 256
#define MAX_ROUNDS 3
#define ROUND_MS 1000
#define PROBE_RESEND_MS 150
/* Sockets open for punching at once in the whole process (a camera may
 * punch for several viewers at a time; the default descriptor limit is
 * 1024). */
#define PROCESS_SOCKET_BUDGET 768
#define MIN_ROUND_SOCKETS 32
/* The peer's HELLO is awaited this often, this many times. */
#define HELLO_INTERVAL_MS 250
#define HELLO_TRIES 12
/* STUN requests for the classification. */
#define CLASSIFY_INTERVAL_MS 200
#define CLASSIFY_TRIES 5
/* CONFIRMs sent on the punched path. */
#define CONFIRM_INTERVAL_MS 100
#define CONFIRM_SENDS 5
/* A punched path that has carried nothing for this long is dead: the
 * channel pings every second. */
#define PATH_SILENCE_US (4 * G_USEC_PER_SEC)
#define WATCH_INTERVAL_MS 1000
#define TOKEN_SIZE 16
#define RECEIVE_BUFFER 8192

static const guint8 magic[4] = { 'p', '2', 'p', 'B' };

#define WIRE_SIZE (sizeof (magic) + 1 + TOKEN_SIZE)

enum
{
  WIRE_SPRAY = 1,
  WIRE_PROBE = 2,
  WIRE_ACK = 3,
  WIRE_CONFIRM = 4,
};

enum
{
  CONTROL_HELLO = 1,
  CONTROL_SPRAYED = 2,
};

/* HELLO: chunk | type | flags | class | token | IPv4 | port */
#define HELLO_SIZE (2 + 1 + 1 + TOKEN_SIZE + 4 + 2)
#define HELLO_HAVE_YOURS 0x01

typedef enum
{
  NAT_UNKNOWN = 0,
  NAT_EASY = 1,
  NAT_HARD = 2,
} NatClass;

typedef struct
{
  gint fd;
  gpointer tag;
} Sock;

typedef struct
{
  GSource source;
  P2pPunch *punch;
} PunchSource;

struct _P2pPunch
{
  GMainContext *context;
  P2pPunchCallbacks callbacks;
  gpointer user_data;
  GSource *source;              /* every socket of ours */
  GArray *socks;                /* Sock; [0] the main socket once made */

  /* Classification */
  StunAgent stun;
  struct sockaddr_in servers[2];
  gboolean answered[2];
  struct sockaddr_in mapped[2];
  guint classify_tries;
  GSource *classify_timer;
  gboolean classifying;
  gboolean classified;
  NatClass nat_class;
  P2pNatOpenerProbe *depth_probe;
  gint depth;                   /* NAT routers in front of us, -1 unknown */

  /* The exchange */
  guint8 token[TOKEN_SIZE];
  gboolean started;
  gboolean finished;
  GPtrArray *peer_ips;
  gboolean have_peer;
  gboolean peer_has_ours;
  NatClass peer_class;
  guint8 peer_token[TOKEN_SIZE];
  struct sockaddr_in peer_addr;
  guint hello_count;
  GSource *hello_timer;

  /* Easy side */
  guint16 *spray_ports;
  guint spray_count;
  guint spray_sent;
  GSource *spray_timer;
  gboolean spraying;

  /* Hard side */
  gboolean peer_sprayed;
  guint round;
  guint round_ticks;
  GSource *round_timer;

  /* The punched path; path_fd and path_addr are written once, before
   * active is set, and read by p2p_punch_send() from any thread. */
  gint path_fd;
  struct sockaddr_in path_addr;
  gint active;
  gint64 last_rx;
  GSource *watch_timer;
  guint confirms_left;
  GSource *confirm_timer;
};

static gint process_sockets;

static void decide (P2pPunch * p);

static void
clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

static GSource *
add_timer (P2pPunch * p, guint ms, GSourceFunc func, const gchar * name)
{
  GSource *s = g_timeout_source_new (ms);

  g_source_set_callback (s, func, p, NULL);
  g_source_set_static_name (s, name);
  g_source_attach (s, p->context);
  return s;
}

static gchar *
sockaddr_string (const struct sockaddr_in *sa)
{
  gchar ip[INET_ADDRSTRLEN] = "?";

  inet_ntop (AF_INET, &sa->sin_addr, ip, sizeof (ip));
  return g_strdup_printf ("%s:%u", ip, ntohs (sa->sin_port));
}

static gboolean
same_address (const struct sockaddr_in *a, const struct sockaddr_in *b)
{
  return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* ------------------------------------------------------------------------ */
/* Sockets */

static gint
open_socket (P2pPunch * p)
{
  gint fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  Sock s;

  if (fd < 0)
    return -1;
  s.fd = fd;
  s.tag = g_source_add_unix_fd (p->source, fd, G_IO_IN);
  g_array_append_val (p->socks, s);
  g_atomic_int_inc (&process_sockets);
  return fd;
}

static void
close_socket (P2pPunch * p, guint i)
{
  Sock *s = &g_array_index (p->socks, Sock, i);

  if (s->tag && p->source)
    g_source_remove_unix_fd (p->source, s->tag);
  close (s->fd);
  g_atomic_int_add (&process_sockets, -1);
  g_array_remove_index (p->socks, i);
}

static void
send_wire (gint fd, const struct sockaddr_in *to, guint8 type,
    const guint8 * token)
{
  guint8 buf[WIRE_SIZE];

  memcpy (buf, magic, sizeof (magic));
  buf[sizeof (magic)] = type;
  if (token)
    memcpy (buf + sizeof (magic) + 1, token, TOKEN_SIZE);
  else
    memset (buf + sizeof (magic) + 1, 0, TOKEN_SIZE);
  if (sendto (fd, buf, sizeof (buf), MSG_DONTWAIT, (const struct sockaddr *) to,
          sizeof (*to)) < 0)
    g_debug ("punch: send to fd %d failed: %s", fd, g_strerror (errno));
}

/* ------------------------------------------------------------------------ */
/* The punched path */

static gboolean
watch_path (gpointer data)
{
  P2pPunch *p = data;

  if (g_get_monotonic_time () - p->last_rx < PATH_SILENCE_US)
    return G_SOURCE_CONTINUE;
  g_debug ("punch %p: the punched path went silent", p);
  g_atomic_int_set (&p->active, 0);
  g_clear_pointer (&p->watch_timer, g_source_unref);
  p->callbacks.path_lost (p->user_data);
  return G_SOURCE_REMOVE;
}

static void
activate_path (P2pPunch * p, gint fd, const struct sockaddr_in *remote)
{
  struct sockaddr_in local;
  socklen_t len = sizeof (local);
  g_autofree gchar *local_text = NULL;
  g_autofree gchar *remote_text = NULL;
  gint size = 4 * 1024 * 1024, receive = -1, send = -1;
  socklen_t int_len = sizeof (gint);

  p->path_fd = fd;
  p->path_addr = *remote;
  p->last_rx = g_get_monotonic_time ();
  /* The media socket, as ICE's selected one gets (p2p-transport.c). */
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof (size));
  setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof (size));
  getsockopt (fd, SOL_SOCKET, SO_RCVBUF, &receive, &int_len);
  int_len = sizeof (gint);
  getsockopt (fd, SOL_SOCKET, SO_SNDBUF, &send, &int_len);
  g_atomic_int_set (&p->active, 1);
  p->finished = TRUE;
  p->watch_timer = add_timer (p, WATCH_INTERVAL_MS, watch_path,
      "p2p-punch-watch");
  memset (&local, 0, sizeof (local));
  getsockname (fd, (struct sockaddr *) &local, &len);
  local_text = sockaddr_string (&local);
  remote_text = sockaddr_string (remote);
  g_debug ("punch %p: punched path %s <-> %s", p, local_text, remote_text);
  p->callbacks.path_ready (local_text, remote_text, receive, send,
      p->user_data);
}

/* ------------------------------------------------------------------------ */
/* Hard side: rounds of sockets probing the easy side's mapping */

static void
close_round (P2pPunch * p)
{
  guint i = 1;

  while (i < p->socks->len) {
    if (g_array_index (p->socks, Sock, i).fd == p->path_fd)
      i++;
    else
      close_socket (p, i);
  }
}

static void
probe_all (P2pPunch * p)
{
  guint i;

  for (i = 1; i < p->socks->len; i++)
    send_wire (g_array_index (p->socks, Sock, i).fd, &p->peer_addr,
        WIRE_PROBE, p->peer_token);
}

static gboolean round_tick (gpointer data);

static void
open_round (P2pPunch * p)
{
  gint budget = PROCESS_SOCKET_BUDGET - g_atomic_int_get (&process_sockets);
  guint n = MIN (HARD_SOCKETS, MAX (budget, 0)), i;

  if (n < MIN_ROUND_SOCKETS) {
    g_debug ("punch %p: no sockets to spare for a round", p);
    p->finished = TRUE;
    return;
  }
  p->round++;
  for (i = 0; i < n; i++)
    if (open_socket (p) < 0)
      break;
  g_debug ("punch %p: round %u, %u sockets", p, p->round, p->socks->len - 1);
  probe_all (p);
  p->round_ticks = 0;
  p->round_timer = add_timer (p, PROBE_RESEND_MS, round_tick,
      "p2p-punch-round");
}

static gboolean
round_tick (gpointer data)
{
  P2pPunch *p = data;

  p->round_ticks++;
  if (p->round_ticks == 1) {
    /* Once more, against loss. */
    probe_all (p);
    return G_SOURCE_CONTINUE;
  }
  if (p->round_ticks * PROBE_RESEND_MS < ROUND_MS)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&p->round_timer, g_source_unref);
  close_round (p);
  if (p->round < MAX_ROUNDS)
    open_round (p);
  else {
    g_debug ("punch %p: no answer after %u rounds", p, p->round);
    p->finished = TRUE;
  }
  return G_SOURCE_REMOVE;
}

static gboolean
confirm_tick (gpointer data)
{
  P2pPunch *p = data;

  send_wire (p->path_fd, &p->path_addr, WIRE_CONFIRM, p->peer_token);
  if (--p->confirms_left > 0)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&p->confirm_timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* Easy side: the spray */

static gboolean
spray_tick (gpointer data)
{
  P2pPunch *p = data;
  gint fd = g_array_index (p->socks, Sock, 0).fd;
  struct sockaddr_in to = p->peer_addr;
  guint end = MIN (p->spray_sent + SPRAY_BURST, p->spray_count);
  guint8 done[2] = { P2P_PUNCH_CHUNK, CONTROL_SPRAYED };

  for (; p->spray_sent < end; p->spray_sent++) {
    to.sin_port = htons (p->spray_ports[p->spray_sent]);
    send_wire (fd, &to, WIRE_SPRAY, NULL);
  }
  if (p->spray_sent < p->spray_count)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&p->spray_timer, g_source_unref);
  /* Our answers to the probes must reach the hard side: the system's
   * TTL again (-1). */
  {
    gint ttl = -1;

    setsockopt (fd, IPPROTO_IP, IP_TTL, &ttl, sizeof (ttl));
  }
  g_debug ("punch %p: %u ports sprayed", p, p->spray_sent);
  p->callbacks.send_control (done, sizeof (done), p->user_data);
  return G_SOURCE_REMOVE;
}

static void
start_spray (P2pPunch * p)
{
  gint fd = g_array_index (p->socks, Sock, 0).fd;
  gint ttl = MAX (p->depth + 1, 2);
  guint8 *seen = g_malloc0 (65536);
  guint i = 0;

  p->spraying = TRUE;
  if (p->spray_ports == NULL) {
    p->spray_count = SPRAY_PORTS;
    p->spray_ports = g_new (guint16, SPRAY_PORTS);
  } else {
    /* A test's one port */
    i = p->spray_count;
  }
  /* Distinct random ports in the range Linux (and most NATs) map to. */
  while (i < p->spray_count) {
    guint port = g_random_int_range (1024, 65536);

    if (!seen[port]) {
      seen[port] = 1;
      p->spray_ports[i++] = port;
    }
  }
  g_free (seen);
  setsockopt (fd, IPPROTO_IP, IP_TTL, &ttl, sizeof (ttl));
  g_debug ("punch %p: spraying with TTL %d", p, ttl);
  p->spray_timer = add_timer (p, SPRAY_TICK_MS, spray_tick, "p2p-punch-spray");
  spray_tick (p);
}

/* ------------------------------------------------------------------------ */
/* The exchange on the DTLS channel */

static void
send_hello (P2pPunch * p)
{
  guint8 m[HELLO_SIZE];

  m[0] = P2P_PUNCH_CHUNK;
  m[1] = CONTROL_HELLO;
  m[2] = p->have_peer ? HELLO_HAVE_YOURS : 0;
  m[3] = p->nat_class;
  memcpy (m + 4, p->token, TOKEN_SIZE);
  memcpy (m + 4 + TOKEN_SIZE, &p->mapped[0].sin_addr, 4);
  memcpy (m + 8 + TOKEN_SIZE, &p->mapped[0].sin_port, 2);
  p->hello_count++;
  p->callbacks.send_control (m, sizeof (m), p->user_data);
}

static gboolean
hello_tick (gpointer data)
{
  P2pPunch *p = data;

  if (p->peer_has_ours || p->hello_count >= HELLO_TRIES) {
    g_clear_pointer (&p->hello_timer, g_source_unref);
    return G_SOURCE_REMOVE;
  }
  send_hello (p);
  return G_SOURCE_CONTINUE;
}

static gboolean
peer_ip_known (P2pPunch * p)
{
  gchar ip[INET_ADDRSTRLEN];
  guint i;

  inet_ntop (AF_INET, &p->peer_addr.sin_addr, ip, sizeof (ip));
  for (i = 0; p->peer_ips && i < p->peer_ips->len; i++)
    if (g_str_equal (g_ptr_array_index (p->peer_ips, i), ip))
      return TRUE;
  return FALSE;
}

/* Acts on what is known so far; called whenever something is learnt. */
static void
decide (P2pPunch * p)
{
  if (p->finished || !p->started || !p->classified || !p->have_peer)
    return;
  if (!((p->nat_class == NAT_EASY && p->peer_class == NAT_HARD)
          || (p->nat_class == NAT_HARD && p->peer_class == NAT_EASY))) {
    g_debug ("punch %p: nothing to punch (NAT classes %d here, %d there)",
        p, p->nat_class, p->peer_class);
    p->finished = TRUE;
    return;
  }
  /* The addresses come from the authenticated peer, but the packets go
   * where they say: only to an address the peer's candidates named. */
  if (!peer_ip_known (p)) {
    g_debug ("punch %p: the peer's address is none of its candidates'", p);
    p->finished = TRUE;
    return;
  }
  if (p->nat_class == NAT_EASY) {
    if (!p->spraying && p->depth_probe == NULL)
      start_spray (p);
  } else if (p->peer_sprayed && p->round == 0) {
    open_round (p);
  }
}

/**
 * p2p_punch_control:
 * @punch: a #P2pPunch
 * @data: (array length=size): a control message from the peer, starting
 *     with %P2P_PUNCH_CHUNK, as it came out of DTLS
 * @size: its size
 *
 * Takes in the peer's part of the exchange. Loop thread.
 */
void
p2p_punch_control (P2pPunch * punch, const guint8 * data, gsize size)
{
  P2pPunch *p = punch;

  if (size < 2 || data[0] != P2P_PUNCH_CHUNK)
    return;
  switch (data[1]) {
    case CONTROL_HELLO:{
      gboolean first = !p->have_peer;

      if (size < HELLO_SIZE || data[3] > NAT_HARD)
        return;
      p->peer_has_ours = (data[2] & HELLO_HAVE_YOURS) != 0;
      if (first) {
        p->have_peer = TRUE;
        p->peer_class = data[3];
        memcpy (p->peer_token, data + 4, TOKEN_SIZE);
        memset (&p->peer_addr, 0, sizeof (p->peer_addr));
        p->peer_addr.sin_family = AF_INET;
        memcpy (&p->peer_addr.sin_addr, data + 4 + TOKEN_SIZE, 4);
        memcpy (&p->peer_addr.sin_port, data + 8 + TOKEN_SIZE, 2);
      }
      /* The peer must learn that we have its HELLO. */
      if (p->started && p->classified && !p->peer_has_ours)
        send_hello (p);
      decide (p);
      break;
    }
    case CONTROL_SPRAYED:
      p->peer_sprayed = TRUE;
      decide (p);
      break;
    default:
      break;
  }
}

/* ------------------------------------------------------------------------ */
/* Classification */

static void
classify_done (P2pPunch * p)
{
  clear_source (&p->classify_timer);
  p->classifying = FALSE;
  p->classified = TRUE;
  if (p->answered[0] && p->answered[1])
    p->nat_class = same_address (&p->mapped[0], &p->mapped[1]) ?
        NAT_EASY : NAT_HARD;
  g_debug ("punch %p: NAT class %d", p, p->nat_class);
  if (p->started) {
    send_hello (p);
    if (!p->hello_timer)
      p->hello_timer = add_timer (p, HELLO_INTERVAL_MS, hello_tick,
          "p2p-punch-hello");
  }
  decide (p);
}

static void
send_binding_requests (P2pPunch * p)
{
  gint fd = g_array_index (p->socks, Sock, 0).fd;
  guint i;

  for (i = 0; i < 2; i++) {
    StunMessage msg;
    guint8 buf[STUN_MAX_MESSAGE_SIZE];
    gsize len;

    if (p->answered[i])
      continue;
    len = stun_usage_bind_create (&p->stun, &msg, buf, sizeof (buf));
    if (len > 0)
      sendto (fd, buf, len, MSG_DONTWAIT,
          (const struct sockaddr *) &p->servers[i], sizeof (p->servers[i]));
  }
  p->classify_tries++;
}

static gboolean
classify_tick (gpointer data)
{
  P2pPunch *p = data;

  if (p->classify_tries >= CLASSIFY_TRIES) {
    g_clear_pointer (&p->classify_timer, g_source_unref);
    classify_done (p);
    return G_SOURCE_REMOVE;
  }
  send_binding_requests (p);
  return G_SOURCE_CONTINUE;
}

static void
handle_stun (P2pPunch * p, const struct sockaddr_in *from, guint8 * data,
    gsize size)
{
  StunMessage msg;
  struct sockaddr_storage mapped, alternate;
  socklen_t mapped_len = sizeof (mapped), alternate_len = sizeof (alternate);
  guint i;

  if (!p->classifying
      || stun_agent_validate (&p->stun, &msg, data, size, NULL, NULL)
      != STUN_VALIDATION_SUCCESS)
    return;
  if (stun_usage_bind_process (&msg, (struct sockaddr *) &mapped, &mapped_len,
          (struct sockaddr *) &alternate, &alternate_len)
      != STUN_USAGE_BIND_RETURN_SUCCESS || mapped.ss_family != AF_INET)
    return;
  for (i = 0; i < 2; i++)
    if (same_address (from, &p->servers[i]) && !p->answered[i]) {
      p->answered[i] = TRUE;
      memcpy (&p->mapped[i], &mapped, sizeof (p->mapped[i]));
    }
  if (p->answered[0] && p->answered[1])
    classify_done (p);
}

static void
depth_done (guint depth, gpointer user_data)
{
  P2pPunch *p = user_data;

  p->depth_probe = NULL;
  p->depth = depth;
  decide (p);
}

/* ------------------------------------------------------------------------ */
/* Receiving */

static void
handle_wire (P2pPunch * p, gint fd, gboolean main_socket,
    const struct sockaddr_in *from, const guint8 * data)
{
  guint8 type = data[sizeof (magic)];
  const guint8 *token = data + sizeof (magic) + 1;

  /* Every message but the spray (which reaches no one) carries the
   * token we gave the peer. */
  if (memcmp (token, p->token, TOKEN_SIZE) != 0)
    return;
  switch (type) {
    case WIRE_PROBE:
      if (main_socket && p->spraying)
        send_wire (fd, from, WIRE_ACK, p->peer_token);
      break;
    case WIRE_ACK:
      if (!main_socket && p->path_fd < 0 && p->round_timer) {
        clear_source (&p->round_timer);
        p->path_fd = fd;
        close_round (p);
        p->confirms_left = CONFIRM_SENDS;
        send_wire (fd, from, WIRE_CONFIRM, p->peer_token);
        p->confirm_timer = add_timer (p, CONFIRM_INTERVAL_MS, confirm_tick,
            "p2p-punch-confirm");
        activate_path (p, fd, from);
      }
      break;
    case WIRE_CONFIRM:
      /* Once only: a path that went silent is not taken up again. */
      if (main_socket && p->spraying && p->path_fd < 0)
        activate_path (p, fd, from);
      break;
    default:
      break;
  }
}

static void
read_socket (P2pPunch * p, gint fd, gboolean main_socket)
{
  /* On the stack, not in @p: a camera has a P2pPunch per viewer, and
   * what is read is handled before the next read. */
  guint8 buf[RECEIVE_BUFFER];

  for (;;) {
    struct sockaddr_in from;
    socklen_t from_len = sizeof (from);
    ssize_t n = recvfrom (fd, buf, RECEIVE_BUFFER, MSG_DONTWAIT | MSG_TRUNC,
        (struct sockaddr *) &from, &from_len);

    if (n < 0)
      return;
    if (n > RECEIVE_BUFFER || from.sin_family != AF_INET)
      continue;
    if ((gsize) n == WIRE_SIZE && memcmp (buf, magic, sizeof (magic)) == 0) {
      handle_wire (p, fd, main_socket, &from, buf);
    } else if (g_atomic_int_get (&p->active) && fd == p->path_fd
        && same_address (&from, &p->path_addr)) {
      p->last_rx = g_get_monotonic_time ();
      p->callbacks.receive (buf, n, p->user_data);
    } else if (main_socket && n >= 20 && buf[0] < 2) {
      handle_stun (p, &from, buf, n);
    }
    /* The receive callback may have stopped us. */
    if (p->source == NULL)
      return;
  }
}

static gboolean
punch_source_dispatch (GSource * source, GSourceFunc callback, gpointer data)
{
  P2pPunch *p = ((PunchSource *) source)->punch;
  g_autofree gint *ready = NULL;
  guint i, n = 0;

  /* Collected first: reading may close the round's sockets. */
  ready = g_new (gint, p->socks->len);
  for (i = 0; i < p->socks->len; i++) {
    Sock *s = &g_array_index (p->socks, Sock, i);

    if (g_source_query_unix_fd (source, s->tag) & G_IO_IN)
      ready[n++] = i == 0 ? -1 - s->fd : s->fd;
  }
  for (i = 0; i < n && p->source; i++) {
    gboolean main_socket = ready[i] < 0;
    gint fd = main_socket ? -1 - ready[i] : ready[i];
    guint j;

    /* Still open? */
    for (j = 0; j < p->socks->len; j++)
      if (g_array_index (p->socks, Sock, j).fd == fd)
        break;
    if (j < p->socks->len)
      read_socket (p, fd, main_socket);
  }
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs punch_source_funcs = {
  NULL, NULL, punch_source_dispatch, NULL, NULL, NULL,
};

/* ------------------------------------------------------------------------ */
/* Public functions (loop thread unless said otherwise) */

/**
 * p2p_punch_new:
 * @context: the transport's loop context: every callback runs there
 * @callbacks: what the punch needs from its transport
 * @user_data: for @callbacks
 *
 * Returns: (transfer full): an idle punch; p2p_punch_classify() and
 *     p2p_punch_start() set it going
 */
P2pPunch *
p2p_punch_new (GMainContext * context, const P2pPunchCallbacks * callbacks,
    gpointer user_data)
{
  P2pPunch *p = g_new0 (P2pPunch, 1);

  p->context = g_main_context_ref (context);
  p->callbacks = *callbacks;
  p->user_data = user_data;
  p->socks = g_array_new (FALSE, FALSE, sizeof (Sock));
  p->depth = -1;
  p->path_fd = -1;
  /* Unguessable: it is all that tells the peer's probes from anyone's. */
  if (RAND_bytes (p->token, TOKEN_SIZE) != 1)
    p->finished = TRUE;
  p->source = g_source_new (&punch_source_funcs, sizeof (PunchSource));
  ((PunchSource *) p->source)->punch = p;
  g_source_set_static_name (p->source, "p2p-punch");
  g_source_attach (p->source, p->context);
  return p;
}

static gboolean
ipv4_address (const gchar * ip, guint port, struct sockaddr_in *sa)
{
  memset (sa, 0, sizeof (*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons (port);
  return ip && inet_pton (AF_INET, ip, &sa->sin_addr) == 1;
}

/* The address this host sends from towards @to (no packet is sent). */
static gboolean
route_source (const struct sockaddr_in *to, gchar ip[INET_ADDRSTRLEN])
{
  gint fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in local;
  socklen_t len = sizeof (local);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = connect (fd, (const struct sockaddr *) to, sizeof (*to)) == 0
      && getsockname (fd, (struct sockaddr *) &local, &len) == 0
      && inet_ntop (AF_INET, &local.sin_addr, ip, INET_ADDRSTRLEN) != NULL;
  close (fd);
  return ok;
}

/**
 * p2p_punch_classify:
 * @punch: a #P2pPunch
 * @server_ip: IPv4 address of a STUN server
 * @server_port: its port
 * @other_ip: IPv4 address of another server that answers STUN Binding
 *     requests (the TURN server)
 * @other_port: its port
 *
 * Asks both servers for our mapping from one socket of ours and counts
 * the NAT routers in front of us. Does nothing after the first call, and
 * classifies nothing (the NAT stays unknown, nothing is punched) when the
 * two are one address.
 */
void
p2p_punch_classify (P2pPunch * punch, const gchar * server_ip,
    guint server_port, const gchar * other_ip, guint other_port)
{
  P2pPunch *p = punch;
  gchar local_ip[INET_ADDRSTRLEN];

  if (p->classifying || p->classified)
    return;
  if (!ipv4_address (server_ip, server_port, &p->servers[0])
      || !ipv4_address (other_ip, other_port, &p->servers[1])
      || same_address (&p->servers[0], &p->servers[1])
      || open_socket (p) < 0) {
    p->classified = TRUE;
    decide (p);
    return;
  }
  p->classifying = TRUE;
  stun_agent_init (&p->stun, STUN_ALL_KNOWN_ATTRIBUTES,
      STUN_COMPATIBILITY_RFC5389, 0);
  send_binding_requests (p);
  p->classify_timer = add_timer (p, CLASSIFY_INTERVAL_MS, classify_tick,
      "p2p-punch-classify");
  if (route_source (&p->servers[0], local_ip))
    p->depth_probe = p2p_nat_opener_probe (p->context, local_ip, server_ip,
        server_port, depth_done, p);
}

/**
 * p2p_punch_start:
 * @punch: a #P2pPunch
 * @peer_ips: (element-type utf8): the IPv4 addresses of the peer's
 *     candidates; the only addresses punched towards
 *
 * Starts the exchange with the peer once DTLS is up and ICE's path is a
 * relay. Does nothing after the first call.
 */
void
p2p_punch_start (P2pPunch * punch, GPtrArray * peer_ips)
{
  P2pPunch *p = punch;

  if (p->started)
    return;
  p->started = TRUE;
  p->peer_ips = g_ptr_array_ref (peer_ips);
  if (p->classified) {
    send_hello (p);
    p->hello_timer = add_timer (p, HELLO_INTERVAL_MS, hello_tick,
        "p2p-punch-hello");
  }
  decide (p);
}

/**
 * p2p_punch_send:
 * @punch: a #P2pPunch
 * @data: (array length=size): a datagram (DTLS or SRTP)
 * @size: its size
 *
 * Sends on the punched path. Any thread; no allocation.
 *
 * Returns: -1 when there is no punched path (send on ICE's), 0 when the
 *     network did not take the packet, 1 when it did
 */
gint
p2p_punch_send (P2pPunch * punch, const guint8 * data, gsize size)
{
  if (punch == NULL || !g_atomic_int_get (&punch->active))
    return -1;
  return sendto (punch->path_fd, data, size, MSG_DONTWAIT,
      (const struct sockaddr *) &punch->path_addr,
      sizeof (punch->path_addr)) == (ssize_t) size;
}

#if P2P_ENABLE_TEST_HOOKS
/* The spray goes to this one port only, so that a test on loopback does
 * not send to other programs' ports. */
void
p2p_punch_set_spray_port (P2pPunch * punch, guint port)
{
  g_free (punch->spray_ports);
  punch->spray_ports = g_new (guint16, 1);
  punch->spray_ports[0] = port;
  punch->spray_count = 1;
}

/* Whether the punch has nothing more to do: a path, or none to try. */
gboolean
p2p_punch_is_done (P2pPunch * punch)
{
  return punch->finished;
}
#endif

/**
 * p2p_punch_stop:
 * @punch: a #P2pPunch
 *
 * Stops every timer and stops reading; p2p_punch_send() sends nothing
 * more. The sockets stay open until p2p_punch_free(), for a sender on
 * another thread.
 */
void
p2p_punch_stop (P2pPunch * punch)
{
  P2pPunch *p = punch;

  g_atomic_int_set (&p->active, 0);
  g_clear_pointer (&p->depth_probe, p2p_nat_opener_probe_cancel);
  clear_source (&p->classify_timer);
  clear_source (&p->hello_timer);
  clear_source (&p->spray_timer);
  clear_source (&p->round_timer);
  clear_source (&p->watch_timer);
  clear_source (&p->confirm_timer);
  clear_source (&p->source);
  p->finished = TRUE;
}

/**
 * p2p_punch_free:
 * @punch: (nullable): a #P2pPunch
 *
 * Stops it and closes its sockets.
 */
void
p2p_punch_free (P2pPunch * punch)
{
  if (punch == NULL)
    return;
  p2p_punch_stop (punch);
  while (punch->socks->len > 0)
    close_socket (punch, punch->socks->len - 1);
  g_array_unref (punch->socks);
  g_clear_pointer (&punch->peer_ips, g_ptr_array_unref);
  g_free (punch->spray_ports);
  g_main_context_unref (punch->context);
  g_free (punch);
}
