/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Opening our own NAT mapping towards a peer before the peer's packets
 * arrive, with packets that cannot reach the peer's NAT (issue 16).
 *
 * A router that answers unsolicited packets (a plain Linux router without
 * a firewall, which sends ICMP port unreachable) keeps a conntrack entry
 * for the first check that reaches it from the peer. Our own later packet
 * to that peer, from the socket the check was aimed at, would need the
 * same tuple, so the router maps it to another port, which the peer's
 * port-restricted NAT then drops: a pair that a hole punch serves went to
 * the relay. A packet of ours that leaves our NAT before the peer's first
 * check arrives creates the mapping the check then matches; sent with a
 * TTL that lets it through our own NAT routers only, it never reaches the
 * peer's router, where it would do the same harm the other way round.
 *
 * The number of NAT routers in front of this host is measured like a
 * traceroute: UDP probes with TTL 1, 2, 3 from a socket of our own, whose
 * ICMP "time exceeded" answers (IP_RECVERR) name the routers; the leading
 * routers answering from private (RFC 1918), shared (RFC 6598) or
 * link-local addresses are ours. The opener then goes out of libnice's
 * socket for the candidate (found by its bound address, as libnice does
 * not hand its sockets out) with that many hops plus one, as ancillary
 * data of the one send, so the socket itself is left as it is.
 *
 * Linux only (IP_RECVERR, per-packet TTL); elsewhere nothing is sent and
 * the transport behaves as before.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-nat-opener.h"

#include <string.h>

#ifdef __linux__
#include <glib-unix.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#endif

/* TTLs probed: enough for a home router behind a carrier NAT. */
#define PROBE_MAX_TTL 3
/* How long the probe waits for the routers' answers. */
#define PROBE_TIMEOUT_MS 250
/* Highest file descriptor searched for libnice's socket. */
#define MAX_FD_SEARCHED 4096

struct _P2pNatOpenerProbe
{
  /* One socket per TTL: a router's ICMP answer need not quote our payload,
   * the socket it comes back to says which probe it answers. */
  gint fd[PROBE_MAX_TTL + 1];
  GSource *watch[PROBE_MAX_TTL + 1];
  GSource *timer;
  /* Per TTL: 0 no answer yet, 1 a private router, 2 a public one or the
   * target itself. */
  guint8 hop[PROBE_MAX_TTL + 1];
  P2pNatOpenerDone done;
  gpointer user_data;
};

#ifdef __linux__

static gboolean
address_is_inside (const struct in_addr *a)
{
  guint32 h = ntohl (a->s_addr);

  return (h >> 24) == 10 || (h >> 20) == (172 << 4 | 1)
      || (h >> 16) == (192 << 8 | 168) || (h >> 22) == (100 << 2 | 1)
      || (h >> 16) == (169 << 8 | 254);
}

/* Leading private routers, once the answers settle it; -1 while open. */
static gint
probe_depth (P2pNatOpenerProbe * probe, gboolean final)
{
  guint ttl;

  for (ttl = 1; ttl <= PROBE_MAX_TTL; ttl++) {
    if (probe->hop[ttl] == 2)
      return ttl - 1;
    if (probe->hop[ttl] == 0)
      return final ? (gint) ttl - 1 : -1;
  }
  return PROBE_MAX_TTL;
}

static void
probe_finish (P2pNatOpenerProbe * probe, guint depth)
{
  P2pNatOpenerDone done = probe->done;
  gpointer user_data = probe->user_data;

  probe->done = NULL;
  p2p_nat_opener_probe_cancel (probe);
  if (done)
    done (depth, user_data);
}

static gboolean
probe_timeout (gpointer data)
{
  P2pNatOpenerProbe *probe = data;

  probe_finish (probe, probe_depth (probe, TRUE));
  return G_SOURCE_REMOVE;
}

static gboolean
probe_readable (gint fd, GIOCondition cond, gpointer data)
{
  P2pNatOpenerProbe *probe = data;
  guint ttl;
  gint depth;

  for (ttl = 1; ttl <= PROBE_MAX_TTL && probe->fd[ttl] != fd; ttl++);
  if (ttl > PROBE_MAX_TTL)
    return G_SOURCE_REMOVE;
  for (;;) {
    guint8 payload[16], control[256];
    struct sockaddr_in from;
    struct iovec iov = { payload, sizeof (payload) };
    struct msghdr msg = { 0 };
    struct cmsghdr *c;
    ssize_t n;

    msg.msg_name = &from;
    msg.msg_namelen = sizeof (from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof (control);
    n = recvmsg (fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) {
      /* Nothing queued; an ordinary datagram (the target answered) is read
       * and dropped so the source does not spin. */
      if (recv (fd, payload, sizeof (payload), MSG_DONTWAIT) < 0)
        break;
      continue;
    }
    for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c)) {
      struct sock_extended_err *ee;
      struct sockaddr_in *offender;

      if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR)
        continue;
      ee = (struct sock_extended_err *) CMSG_DATA (c);
      if (ee->ee_origin != SO_EE_ORIGIN_ICMP)
        continue;
      offender = (struct sockaddr_in *) SO_EE_OFFENDER (ee);
      /* Time exceeded (11) from a router on the way; anything else came
       * from the end of the path. */
      if (ee->ee_type == 11 && offender->sin_family == AF_INET
          && address_is_inside (&offender->sin_addr))
        probe->hop[ttl] = 1;
      else
        probe->hop[ttl] = 2;
    }
  }
  depth = probe_depth (probe, FALSE);
  if (depth >= 0) {
    /* Frees the probe and this source with it. */
    probe_finish (probe, depth);
    return G_SOURCE_CONTINUE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
send_with_ttl (gint fd, const struct sockaddr_in *to, const guint8 * data,
    gsize size, guint ttl)
{
  union
  {
    struct cmsghdr align;
    guint8 buf[CMSG_SPACE (sizeof (gint))];
  }
  control;
  struct iovec iov = { (void *) data, size };
  struct msghdr msg = { 0 };
  struct cmsghdr *c;
  gint value = ttl;

  memset (&control, 0, sizeof (control));
  msg.msg_name = (void *) to;
  msg.msg_namelen = sizeof (*to);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof (control.buf);
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_TTL;
  c->cmsg_len = CMSG_LEN (sizeof (gint));
  memcpy (CMSG_DATA (c), &value, sizeof (value));
  return sendmsg (fd, &msg, MSG_DONTWAIT) == (ssize_t) size;
}

static gboolean
ipv4_sockaddr (const gchar * ip, guint port, struct sockaddr_in *sa)
{
  memset (sa, 0, sizeof (*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons (port);
  return inet_pton (AF_INET, ip, &sa->sin_addr) == 1;
}

#endif /* __linux__ */

/**
 * p2p_nat_opener_probe:
 * @context: where @done is called
 * @local_ip: the IPv4 address to probe from (a host candidate's)
 * @target_ip: an IPv4 address beyond the NATs (the peer's reflexive one)
 * @target_port: its port
 * @done: called once with the result, unless cancelled first
 * @user_data: for @done
 *
 * Counts the NAT routers in front of @local_ip (the top of this file);
 * answers within %PROBE_TIMEOUT_MS, with 0 when nothing answered or the
 * platform cannot tell.
 *
 * Returns: (transfer full): the probe, for p2p_nat_opener_probe_cancel()
 *     until @done has run
 */
P2pNatOpenerProbe *
p2p_nat_opener_probe (GMainContext * context, const gchar * local_ip,
    const gchar * target_ip, guint target_port, P2pNatOpenerDone done,
    gpointer user_data)
{
  P2pNatOpenerProbe *probe = g_new0 (P2pNatOpenerProbe, 1);
  guint ttl;

  for (ttl = 0; ttl <= PROBE_MAX_TTL; ttl++)
    probe->fd[ttl] = -1;
  probe->done = done;
  probe->user_data = user_data;
  probe->timer = g_timeout_source_new (PROBE_TIMEOUT_MS);
  g_source_set_callback (probe->timer, probe_timeout, probe, NULL);
  g_source_set_static_name (probe->timer, "p2p-nat-opener-probe");
  g_source_attach (probe->timer, context);
#ifdef __linux__
  {
    struct sockaddr_in local, target;
    const guint8 payload = 0;
    gint on = 1;

    if (!ipv4_sockaddr (local_ip, 0, &local)
        || !ipv4_sockaddr (target_ip, target_port, &target))
      return probe;
    for (ttl = 1; ttl <= PROBE_MAX_TTL; ttl++) {
      gint fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

      if (fd < 0)
        break;
      probe->fd[ttl] = fd;
      if (bind (fd, (struct sockaddr *) &local, sizeof (local)) != 0
          || setsockopt (fd, IPPROTO_IP, IP_RECVERR, &on, sizeof (on)) != 0
          || !send_with_ttl (fd, &target, &payload, 1, ttl))
        break;
      probe->watch[ttl] = g_unix_fd_source_new (fd, G_IO_IN | G_IO_ERR);
      g_source_set_callback (probe->watch[ttl], (GSourceFunc) (GCallback)
          probe_readable, probe, NULL);
      g_source_set_static_name (probe->watch[ttl], "p2p-nat-opener-answers");
      g_source_attach (probe->watch[ttl], context);
    }
  }
#endif
  return probe;
}

/**
 * p2p_nat_opener_probe_cancel:
 * @probe: (transfer full): a probe
 *
 * Stops @probe and frees it; its callback is not called any more. Called
 * on the thread of the probe's context.
 */
void
p2p_nat_opener_probe_cancel (P2pNatOpenerProbe * probe)
{
  guint ttl;

  for (ttl = 1; ttl <= PROBE_MAX_TTL; ttl++) {
    if (probe->watch[ttl]) {
      g_source_destroy (probe->watch[ttl]);
      g_source_unref (probe->watch[ttl]);
    }
#ifdef __linux__
    if (probe->fd[ttl] >= 0)
      close (probe->fd[ttl]);
#endif
  }
  if (probe->timer) {
    g_source_destroy (probe->timer);
    g_source_unref (probe->timer);
  }
  g_free (probe);
}

/**
 * p2p_nat_opener_find_socket:
 * @local_ip: the IPv4 address of libnice's socket (a host candidate's base)
 * @local_port: its port
 *
 * Finds the UDP socket of this process bound to @local_ip:@local_port
 * (libnice's, which it does not hand out) among the first
 * %MAX_FD_SEARCHED descriptors.
 *
 * Returns: its descriptor, or -1 (not found, not IPv4, not Linux)
 */
gint
p2p_nat_opener_find_socket (const gchar * local_ip, guint local_port)
{
#ifdef __linux__
  struct sockaddr_in local;
  gint fd;

  if (!ipv4_sockaddr (local_ip, local_port, &local))
    return -1;
  for (fd = 0; fd < MAX_FD_SEARCHED; fd++) {
    struct sockaddr_in bound;
    socklen_t len = sizeof (bound);
    gint type = 0;
    socklen_t tlen = sizeof (type);
    struct stat st;

    if (fstat (fd, &st) != 0 || !S_ISSOCK (st.st_mode)
        || getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0
        || type != SOCK_DGRAM
        || getsockname (fd, (struct sockaddr *) &bound, &len) != 0
        || bound.sin_family != AF_INET || bound.sin_port != local.sin_port
        || bound.sin_addr.s_addr != local.sin_addr.s_addr)
      continue;
    return fd;
  }
#endif
  return -1;
}

/**
 * p2p_nat_opener_send:
 * @fd: a socket from p2p_nat_opener_find_socket()
 * @remote_ip: where the peer's checks will come from (its reflexive
 *     address)
 * @remote_port: that address's port
 * @ttl: hops the packet may take
 *
 * Sends one STUN Binding indication from @fd to the peer's address with
 * @ttl, opening our NAT mapping towards it.
 *
 * Returns: whether it was sent (%FALSE when the address is not IPv4 or the
 *     platform cannot set a packet's TTL)
 */
gboolean
p2p_nat_opener_send (gint fd, const gchar * remote_ip, guint remote_port,
    guint ttl)
{
#ifdef __linux__
  struct sockaddr_in remote;
  guint8 indication[20] = { 0x00, 0x11, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
  guint i;

  if (fd < 0 || !ipv4_sockaddr (remote_ip, remote_port, &remote))
    return FALSE;
  for (i = 8; i < sizeof (indication); i++)
    indication[i] = g_random_int_range (0, 256);
  return send_with_ttl (fd, &remote, indication, sizeof (indication), ttl);
#else
  return FALSE;
#endif
}
