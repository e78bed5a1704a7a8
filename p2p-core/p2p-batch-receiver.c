/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The media path's batched receive: once ICE has settled on a direct UDP
 * pair, the viewer reads the selected pair's socket itself, with UDP GRO
 * (UDP_GRO: the kernel queues a run of datagrams from one sender as one
 * buffer and reports the segment size), so that a camera's GSO batch of up
 * to 64 packets costs one recvmsg() instead of one each, and one wake-up
 * of libnice's per-datagram code (docs/performance.md, "Viewer: batched
 * receive").
 *
 * libnice 0.1.21 cannot be handed a datagram read elsewhere, so the rules
 * keep everything libnice must see away from this path:
 * - a STUN request, response or error (an ICE restart's or a late pair's
 *   check, an answer to one of ours) or any datagram from another address
 *   (a NAT rebinding, a peer-reflexive check) ends the batched path for
 *   the pair: it is switched off at once and libnice reads the socket
 *   again. The STUN message that ended it is dropped, as a lossy network
 *   would; STUN retransmits it. Anything else from that read is delivered
 *   exactly as libnice would have delivered it;
 * - STUN indications from the peer (libnice's keepalives, which libnice
 *   only logs) are dropped;
 * - the caller (p2p-transport.c) points the path only at settled UDP
 *   pairs without a relay, and takes it away while ICE checks or restarts.
 * Nothing is decrypted or trusted here: every datagram still goes through
 * the transport's demultiplexer, SRTP authentication and replay check.
 *
 * The source polls its own duplicate of the socket, and libnice's
 * descriptor is parked on the loop (p2p_loop_park()) meanwhile: with GRO
 * on, libnice must never read (it could not split a coalesced buffer),
 * which is why switching off reads what the kernel had coalesced, turns
 * GRO off and reads again before libnice's descriptor is polled again. With libnice's descriptor parked, the source can run at the
 * loop's default priority: a socket that stays readable (a flood, an
 * overloaded viewer) then shares each iteration with the loop's timers
 * (DTLS retransmissions, libnice's keepalives, the channel's pings) and
 * stats calls instead of starving them, as it did a priority above
 * theirs. */

#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-batch-receiver.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <glib-unix.h>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

/* The largest UDP payload, and so the largest coalesced buffer: one per
 * loop thread, shared by the receivers it runs (a viewer process may hold
 * dozens), and one more for a read nested in another's delivery. */
#define BUFFER_SIZE 65536
/* Reads per wake-up before the loop's other sources get their turn: 64
 * coalesced buffers are up to 4096 packets. */
#define MAX_READS 64

#define STUN_HEADER 20
#define STUN_MAGIC_COOKIE 0x2112A442u

struct _P2pBatchReceiver
{
  P2pLoop *loop;
  P2pBatchReceiverFunc func;
  gpointer user_data;

  /* The path as given: libnice's descriptor and the peer. */
  gint path_fd;
  struct sockaddr_storage peer;
  socklen_t peer_size;
  /* Our duplicate while active, -1 otherwise. */
  gint fd;
  GSource *source;
  /* libnice reads this path again (STUN or a stranger arrived). */
  gboolean handed_over;
  guint64 batched;              /* atomic: datagrams delivered */
};

typedef union
{
  gchar buf[CMSG_SPACE (sizeof (gint))];
  struct cmsghdr align;
} GroControl;

typedef struct
{
  guint8 *data;
  gboolean busy;
} ThreadBuffer;

static void
thread_buffer_free (gpointer data)
{
  ThreadBuffer *b = data;

  g_free (b->data);
  g_free (b);
}

static GPrivate thread_buffer = G_PRIVATE_INIT (thread_buffer_free);

/* The calling thread's buffer, or a new one while that is in use; give it
 * back with buffer_release(). */
static guint8 *
buffer_take (void)
{
  ThreadBuffer *b = g_private_get (&thread_buffer);

  if (b == NULL) {
    b = g_new0 (ThreadBuffer, 1);
    b->data = g_malloc (BUFFER_SIZE);
    g_private_set (&thread_buffer, b);
  }
  if (b->busy)
    return g_malloc (BUFFER_SIZE);
  b->busy = TRUE;
  return b->data;
}

static void
buffer_release (guint8 * data)
{
  ThreadBuffer *b = g_private_get (&thread_buffer);

  if (data == b->data)
    b->busy = FALSE;
  else
    g_free (data);
}

typedef enum
{
  READ_DRAINED,
  READ_MORE,
  READ_HAND_OVER,
} ReadResult;

static gboolean
same_address (const struct sockaddr_storage *a, const struct sockaddr *b)
{
  if (a->ss_family != b->sa_family)
    return FALSE;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *) a;
    const struct sockaddr_in *y = (const struct sockaddr_in *) b;

    return x->sin_port == y->sin_port
        && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *) a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *) b;

    return x->sin6_port == y->sin6_port
        && memcmp (&x->sin6_addr, &y->sin6_addr, sizeof (x->sin6_addr)) == 0;
  }
  return FALSE;
}

/* RFC 5389 section 6: two zero bits, then the magic cookie. */
static gboolean
is_stun (const guint8 * data, gsize size)
{
  return size >= STUN_HEADER && (data[0] & 0xc0) == 0
      && GUINT32_FROM_BE (*(const guint32 *) (data + 4)) == STUN_MAGIC_COOKIE;
}

/* The class bits C1 (0x0100) and C0 (0x0010) of the message type: 01 is
 * an indication. */
static gboolean
is_stun_indication (const guint8 * data)
{
  guint16 type = (data[0] << 8) | data[1];

  return (type & 0x0110) == 0x0010;
}

/* Delivers one datagram (counting it in @delivered when it came from the
 * peer); FALSE when it ends the batched path. */
static gboolean
handle_datagram (P2pBatchReceiver * receiver, guint8 * data, gsize size,
    gboolean from_peer, guint64 * delivered)
{
  if (is_stun (data, size))
    return from_peer && is_stun_indication (data);
  receiver->func (data, size, receiver->user_data);
  if (from_peer)
    (*delivered)++;
  return from_peer;
}

/* Reads up to @max_reads buffers, splitting coalesced ones at the segment
 * size the kernel reports. */
static ReadResult
read_datagrams (P2pBatchReceiver * receiver, guint max_reads)
{
  guint8 *buffer = buffer_take ();
  gboolean hand_over = FALSE;
  guint64 delivered = 0;
  guint reads;

  for (reads = 0; reads < max_reads; reads++) {
    struct sockaddr_storage from;
    struct iovec iov = { buffer, BUFFER_SIZE };
    GroControl control;
    struct msghdr msg = { 0 };
    struct cmsghdr *c;
    gssize n, offset;
    gsize segment = 0;
    gboolean from_peer;

    msg.msg_name = &from;
    msg.msg_namelen = sizeof (from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof (control.buf);
    n = recvmsg (receiver->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      /* EINTR, or a pending ICMP error (ECONNREFUSED), reported once. */
      continue;
    }
    for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        gint s;

        memcpy (&s, CMSG_DATA (c), sizeof (s));
        if (s > 0)
          segment = s;
      }
    }
    if (segment == 0 || segment > (gsize) n)
      segment = n;
    from_peer = same_address (&receiver->peer, (struct sockaddr *) &from);
    offset = 0;
    do {
      gsize size = MIN (segment, (gsize) (n - offset));

      if (size == 0)
        break;
      if (!handle_datagram (receiver, buffer + offset, size,
              from_peer, &delivered))
        hand_over = TRUE;
      offset += size;
    } while (offset < n);
    /* Before the buffer is read into again. */
    receiver->func (NULL, 0, receiver->user_data);
    if (hand_over)
      break;
  }
  buffer_release (buffer);
  __atomic_add_fetch (&receiver->batched, delivered, __ATOMIC_RELAXED);
  if (hand_over)
    return READ_HAND_OVER;
  return reads < max_reads ? READ_DRAINED : READ_MORE;
}

/* Reads what is queued, a bounded amount (a full 4 MiB receive buffer is
 * 64 coalesced buffers), and delivers the media; STUN read here is
 * dropped (handle_datagram()): the peer and libnice retransmit it. */
static void
drain (P2pBatchReceiver * receiver)
{
  guint i;

  for (i = 0; i < 4; i++)
    if (read_datagrams (receiver, MAX_READS) == READ_DRAINED)
      break;
}

/* Reads what the kernel has coalesced, turns GRO off, then reads what
 * came meanwhile: from now on libnice reads plain datagrams. The kernel
 * gives a coalesced buffer's segment size only while GRO is on, so what
 * was queued is read before (read after, each buffer was one datagram to
 * split at nothing, whose packets all failed SRTP authentication). Under
 * a flood, libnice may still get a few coalesced buffers, which fail
 * SRTP authentication like any other garbage. */
static void
stop (P2pBatchReceiver * receiver)
{
  gint off = 0;

  if (receiver->fd < 0)
    return;
  drain (receiver);
  setsockopt (receiver->fd, SOL_UDP, UDP_GRO, &off, sizeof (off));
  drain (receiver);
  g_source_destroy (receiver->source);
  g_clear_pointer (&receiver->source, g_source_unref);
  close (receiver->fd);
  receiver->fd = -1;
  p2p_loop_unpark (receiver->loop, receiver->path_fd);
}

static gboolean
readable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  P2pBatchReceiver *receiver = user_data;

  if (read_datagrams (receiver, MAX_READS) == READ_HAND_OVER) {
    receiver->handed_over = TRUE;
    stop (receiver);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
start (P2pBatchReceiver * receiver)
{
  gint on = 1;

  receiver->fd = fcntl (receiver->path_fd, F_DUPFD_CLOEXEC, 0);
  if (receiver->fd < 0)
    return;
  /* Without GRO (kernels before 5.0) there is little to gain over
   * libnice's own reading. */
  if (setsockopt (receiver->fd, SOL_UDP, UDP_GRO, &on, sizeof (on)) < 0) {
    close (receiver->fd);
    receiver->fd = -1;
    return;
  }
  p2p_loop_park (receiver->loop, receiver->path_fd);
  receiver->source = g_unix_fd_source_new (receiver->fd, G_IO_IN);
  g_source_set_callback (receiver->source, G_SOURCE_FUNC (readable_cb),
      receiver, NULL);
  g_source_attach (receiver->source, p2p_loop_get_context (receiver->loop));
}

P2pBatchReceiver *
p2p_batch_receiver_new (P2pLoop * loop, P2pBatchReceiverFunc func,
    gpointer user_data)
{
  P2pBatchReceiver *receiver = g_new0 (P2pBatchReceiver, 1);

  receiver->loop = g_object_ref (loop);
  receiver->func = func;
  receiver->user_data = user_data;
  receiver->path_fd = -1;
  receiver->fd = -1;
  return receiver;
}

/* Loop thread, before libnice closes the pair's socket. */
void
p2p_batch_receiver_free (P2pBatchReceiver * receiver)
{
  if (receiver == NULL)
    return;
  p2p_batch_receiver_set_path (receiver, -1, NULL, 0);
  g_object_unref (receiver->loop);
  g_free (receiver);
}

/* Points the batched path at libnice's socket @fd and the pair's remote
 * address, or (@fd < 0) switches it off; a path that was handed over to
 * libnice stays off until the pair changes. Loop thread. */
void
p2p_batch_receiver_set_path (P2pBatchReceiver * receiver, gint fd,
    const struct sockaddr *peer, gsize peer_size)
{
  g_return_if_fail (fd < 0 || (peer && peer_size <= sizeof (receiver->peer)));

  if (fd >= 0 && fd == receiver->path_fd
      && same_address (&receiver->peer, peer))
    return;
  stop (receiver);
  receiver->handed_over = FALSE;
  receiver->path_fd = fd;
  memset (&receiver->peer, 0, sizeof (receiver->peer));
  receiver->peer_size = 0;
  if (fd < 0)
    return;
  memcpy (&receiver->peer, peer, peer_size);
  receiver->peer_size = peer_size;
  start (receiver);
}

/* Whether the batched path reads the socket now. */
gboolean
p2p_batch_receiver_is_active (P2pBatchReceiver * receiver)
{
  return receiver->fd >= 0;
}

/* Datagrams delivered by the batched path so far. */
guint64
p2p_batch_receiver_get_batched (P2pBatchReceiver * receiver)
{
  return __atomic_load_n (&receiver->batched, __ATOMIC_RELAXED);
}
