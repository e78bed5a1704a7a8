/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The media path's batched send: many SRTP datagrams to one peer in one
 * sendmmsg() call, each run of equal-sized datagrams as a single UDP GSO
 * message (UDP_SEGMENT; the kernel cuts it into datagrams, the last one may
 * be shorter). A payloader's packets of one frame are all the same size
 * but the last, so a frame usually leaves in one or two messages. Per
 * datagram that costs about half of a sendmsg() (docs/performance.md);
 * sendmmsg() without GSO saves almost nothing, which is why the sender
 * does not fall back to it but to the caller (libnice) once the kernel or
 * the device refuses GSO.
 *
 * One refusal is not for good: the kernel refuses (EINVAL, or EMSGSIZE)
 * segments larger than the path MTU, which shrinks when the link's MTU
 * does or an ICMP "fragmentation needed" arrives. The sender then stops
 * until its owner has read the new path MTU
 * (p2p_batch_sender_resume()), and batches again from then on the
 * datagrams that fit, while the payloaders move to the smaller size.
 *
 * The sender writes to its own duplicate of the selected pair's socket: the
 * socket stays open while a streaming thread is inside sendmmsg(), even if
 * libnice closes its descriptor on the loop thread at that moment. */

/* sendmmsg() and struct mmsghdr */
#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-batch-sender.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>

/* A GSO message's limits: the kernel's UDP_MAX_SEGMENTS (64 on every
 * kernel with GSO) and the largest UDP payload an IPv4 header allows. */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES (65535 - 20 - 8)

struct _P2pBatchSender
{
  GMutex lock;
  gint fd;                      /* (L) our duplicate, -1 = no path */
  struct sockaddr_storage peer; /* (L) */
  socklen_t peer_size;          /* (L) */
  gboolean refused;             /* (L) the kernel refused GSO for good */
  gsize refused_segment;        /* (L) a segment size refused as above the
                                 * path MTU, until resumed; 0 = none */
  gsize max_segment;            /* (L) largest datagram batched, 0 = any */
  gboolean resumed;             /* (L) say so at the next batch */
  guint64 batched;              /* atomic: datagrams sent in GSO messages */
#if P2P_ENABLE_TEST_HOOKS
  gint fail_next;               /* (L) errno of the next GSO send, 0 */
#endif
};

typedef union
{
  gchar buf[CMSG_SPACE (sizeof (guint16))];
  struct cmsghdr align;
} SegmentControl;

P2pBatchSender *
p2p_batch_sender_new (void)
{
  P2pBatchSender *sender = g_new0 (P2pBatchSender, 1);

  g_mutex_init (&sender->lock);
  sender->fd = -1;
  return sender;
}

void
p2p_batch_sender_free (P2pBatchSender * sender)
{
  if (sender == NULL)
    return;
  if (sender->fd >= 0)
    close (sender->fd);
  g_mutex_clear (&sender->lock);
  g_free (sender);
}

/* Sends from now on to @peer on (a duplicate of) the UDP socket @fd, or
 * stops sending when @fd is -1. Any thread. */
void
p2p_batch_sender_set_path (P2pBatchSender * sender, gint fd,
    const struct sockaddr *peer, gsize peer_size)
{
  gint dup_fd = -1;

  g_return_if_fail (fd < 0 || (peer && peer_size <= sizeof (sender->peer)));

  if (fd >= 0)
    dup_fd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  g_mutex_lock (&sender->lock);
  /* Another pair: another path, whose MTU its owner reads again. */
  if (dup_fd < 0 || peer_size != sender->peer_size
      || memcmp (peer, &sender->peer, peer_size) != 0) {
    sender->refused_segment = 0;
    sender->max_segment = 0;
  }
  if (sender->fd >= 0)
    close (sender->fd);
  sender->fd = dup_fd;
  if (dup_fd >= 0) {
    memcpy (&sender->peer, peer, peer_size);
    sender->peer_size = peer_size;
  }
  g_mutex_unlock (&sender->lock);
}

/* From now on batches only datagrams of at most @max_segment bytes (the
 * largest UDP payload the path MTU allows; 0: any), for a pair whose MTU
 * was just read. Any thread. */
void
p2p_batch_sender_set_max_segment (P2pBatchSender * sender, gsize max_segment)
{
  g_mutex_lock (&sender->lock);
  sender->max_segment = max_segment;
  sender->refused_segment = 0;
  g_mutex_unlock (&sender->lock);
}

/* After P2P_BATCH_PATH_MTU: batches again, datagrams of at most
 * @max_segment bytes (the largest UDP payload the path MTU, read since,
 * allows), if that is below the refused segment size. Otherwise the
 * refusal had another cause and GSO stays off for good, as after any
 * other refusal. Returns whether the sender batches again. Any thread. */
gboolean
p2p_batch_sender_resume (P2pBatchSender * sender, gsize max_segment)
{
  gboolean resumed = TRUE;

  g_mutex_lock (&sender->lock);
  if (sender->refused_segment > 0 && !sender->refused) {
    resumed = max_segment > 0 && max_segment < sender->refused_segment;
    if (resumed) {
      sender->max_segment = max_segment;
      sender->resumed = TRUE;
    } else {
      sender->refused = TRUE;
    }
    sender->refused_segment = 0;
  }
  resumed = resumed && !sender->refused;
  g_mutex_unlock (&sender->lock);
  return resumed;
}

/* Fills @msgs with one message per run of equal sizes (plus one shorter
 * tail datagram); returns the number of messages. @counts receives the
 * datagrams in each. */
static guint
build_messages (P2pBatchSender * sender, guint8 * const *datagrams,
    const gsize * sizes, guint n, struct iovec *iov, struct mmsghdr *msgs,
    SegmentControl * controls, guint * counts)
{
  guint i = 0, m = 0;

  for (i = 0; i < n; i++) {
    iov[i].iov_base = datagrams[i];
    iov[i].iov_len = sizes[i];
  }
  i = 0;
  while (i < n) {
    gsize segment = sizes[i], total = sizes[i];
    guint j = i + 1;
    struct msghdr *h = &msgs[m].msg_hdr;

    while (j < n && sizes[j] == segment && j - i < GSO_MAX_SEGMENTS
        && total + segment <= GSO_MAX_BYTES)
      total += sizes[j++];
    if (j < n && sizes[j] < segment && j - i < GSO_MAX_SEGMENTS
        && total + sizes[j] <= GSO_MAX_BYTES)
      total += sizes[j++];

    memset (&msgs[m], 0, sizeof (msgs[m]));
    h->msg_name = &sender->peer;
    h->msg_namelen = sender->peer_size;
    h->msg_iov = &iov[i];
    h->msg_iovlen = j - i;
    if (j - i > 1) {
      struct cmsghdr *c;
      guint16 size16 = segment;

      /* The kernel reads the whole buffer, the padding after the
       * segment size too (valgrind: uninitialised bytes in sendmsg). */
      memset (&controls[m], 0, sizeof (controls[m]));
      h->msg_control = controls[m].buf;
      h->msg_controllen = sizeof (controls[m].buf);
      c = CMSG_FIRSTHDR (h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN (sizeof (size16));
      memcpy (CMSG_DATA (c), &size16, sizeof (size16));
    }
    counts[m++] = j - i;
    i = j;
  }
  return m;
}

/* Sends @n (at most P2P_BATCH_SENDER_MAX) datagrams to the path's peer.
 * @sent receives how many the kernel took; the result says what became of
 * the others. Any thread; datagrams of one call leave in order. */
P2pBatchResult
p2p_batch_sender_send (P2pBatchSender * sender, guint8 * const *datagrams,
    const gsize * sizes, guint n, guint * sent)
{
  struct iovec iov[P2P_BATCH_SENDER_MAX];
  struct mmsghdr msgs[P2P_BATCH_SENDER_MAX];
  SegmentControl controls[P2P_BATCH_SENDER_MAX];
  guint counts[P2P_BATCH_SENDER_MAX];
  P2pBatchResult result = P2P_BATCH_SENT;
  guint n_msgs, done = 0, batched = 0, k;

  g_return_val_if_fail (n <= P2P_BATCH_SENDER_MAX, P2P_BATCH_INACTIVE);

  *sent = 0;
  g_mutex_lock (&sender->lock);
  if (sender->fd < 0 || sender->refused || sender->refused_segment > 0) {
    g_mutex_unlock (&sender->lock);
    return P2P_BATCH_INACTIVE;
  }
  /* Packets made before the payloaders followed a smaller path MTU, and
   * retransmissions of them, are the caller's to send (fragmented). */
  for (k = 0; sender->max_segment > 0 && k < n; k++) {
    if (sizes[k] > sender->max_segment) {
      g_mutex_unlock (&sender->lock);
      return P2P_BATCH_INACTIVE;
    }
  }
  n_msgs = build_messages (sender, datagrams, sizes, n, iov, msgs, controls,
      counts);
  while (done < n_msgs) {
    gint r;

#if P2P_ENABLE_TEST_HOOKS
    if (sender->fail_next && msgs[done].msg_hdr.msg_control) {
      errno = sender->fail_next;
      sender->fail_next = 0;
      r = -1;
    } else
#endif
      r = sendmmsg (sender->fd, msgs + done, n_msgs - done, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      result = P2P_BATCH_DROPPED;
      break;
    }
    if (r < 0 && (errno == EINVAL || errno == EMSGSIZE)
        && msgs[done].msg_hdr.msg_control) {
      /* Segments larger than the path MTU (udp_send_skb()): off until
       * the owner has read the new one. */
      sender->refused_segment = msgs[done].msg_hdr.msg_iov[0].iov_len;
      g_debug ("UDP GSO refused %" G_GSIZE_FORMAT "-byte segments (%s): "
          "reading the path MTU again", sender->refused_segment,
          g_strerror (errno));
      result = P2P_BATCH_PATH_MTU;
      break;
    }
    if (r < 0) {
      /* EIO (no checksum offload), EOPNOTSUPP (a kernel without UDP
       * GSO) or anything else: the caller's way works where this one
       * does not, and this path is not tried again. */
      if (msgs[done].msg_hdr.msg_control) {
        g_debug ("UDP GSO refused (%s): sending through libnice",
            g_strerror (errno));
        sender->refused = TRUE;
      }
      result = P2P_BATCH_INACTIVE;
      break;
    }
    if (sender->resumed && msgs[done].msg_hdr.msg_control) {
      sender->resumed = FALSE;
      g_debug ("UDP GSO batching again, datagrams of up to %" G_GSIZE_FORMAT
          " bytes", sender->max_segment);
    }
    for (k = done; k < done + (guint) r; k++) {
      *sent += counts[k];
      if (counts[k] > 1)
        batched += counts[k];
    }
    done += r;
  }
  g_mutex_unlock (&sender->lock);
  __atomic_add_fetch (&sender->batched, batched, __ATOMIC_RELAXED);
  return result;
}

/* Datagrams this sender handed to the kernel in GSO messages (several in
 * one), so far. */
guint64
p2p_batch_sender_get_batched (P2pBatchSender * sender)
{
  return __atomic_load_n (&sender->batched, __ATOMIC_RELAXED);
}

#if P2P_ENABLE_TEST_HOOKS
void
p2p_batch_sender_fail_next (P2pBatchSender * sender, gint error)
{
  g_mutex_lock (&sender->lock);
  sender->fail_next = error;
  g_mutex_unlock (&sender->lock);
}

gboolean
p2p_batch_sender_is_active (P2pBatchSender * sender)
{
  gboolean active;

  g_mutex_lock (&sender->lock);
  active = sender->fd >= 0 && !sender->refused && sender->refused_segment == 0;
  g_mutex_unlock (&sender->lock);
  return active;
}
#endif
