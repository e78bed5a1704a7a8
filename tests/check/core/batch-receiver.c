/* p2p-core tests: the viewer's batched receive path shares its loop.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-batch-receiver.h"

#include <gio/gio.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

/* Datagrams kept queued in the path's socket: fewer than a dispatch's
 * reads would be enough, and few enough for any receive buffer. */
#define QUEUED 32
#define DATAGRAM_SIZE 100
/* Long: the suites also run under valgrind and ASan on a busy host. */
#define TIMEOUT_US (30 * G_USEC_PER_SEC)

typedef struct
{
  P2pLoop *loop;
  /* libnice's socket of the pair, and the peer sending to it. */
  GSocket *path;
  GSocket *peer;
  GSocketAddress *path_address;
  P2pBatchReceiver *receiver;
  /* A source on the path's descriptor at libnice's priority, as libnice
   * polls it. */
  GSource *libnice;
  gboolean refill;              /* loop thread */

  GMutex lock;
  GCond cond;
  guint64 delivered;
  GArray *sizes;                /* gsize: each datagram delivered */
  gint libnice_reads;
  gboolean timer_fired;
} Fixture;

static void
send_datagram (Fixture * f)
{
  guint8 data[DATAGRAM_SIZE] = { 0x80 };

  /* Not a STUN message (which would end the batched path): an RTP
   * version. */
  g_assert_cmpint (g_socket_send_to (f->peer, f->path_address,
          (gchar *) data, sizeof (data), NULL, NULL), ==, sizeof (data));
}

/* Each datagram the batched path reads is replaced by a new one before
 * the loop polls again: the socket never drains. */
static void
deliver_cb (guint8 * data, gsize size, gpointer user_data)
{
  Fixture *f = user_data;

  if (data == NULL)
    return;
  g_mutex_lock (&f->lock);
  f->delivered++;
  g_array_append_val (f->sizes, size);
  g_mutex_unlock (&f->lock);
  if (f->refill)
    send_datagram (f);
}

static gboolean
libnice_cb (GSocket * socket, GIOCondition condition, gpointer data)
{
  Fixture *f = data;
  gchar buf[DATAGRAM_SIZE];

  g_mutex_lock (&f->lock);
  while (g_socket_receive (socket, buf, sizeof (buf), NULL, NULL) > 0)
    f->libnice_reads++;
  g_cond_signal (&f->cond);
  g_mutex_unlock (&f->lock);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_cb (gpointer data)
{
  Fixture *f = data;

  g_mutex_lock (&f->lock);
  f->timer_fired = TRUE;
  g_cond_signal (&f->cond);
  g_mutex_unlock (&f->lock);
  return G_SOURCE_REMOVE;
}

static GSocket *
udp_socket (void)
{
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);

  g_assert_nonnull (socket);
  g_socket_set_blocking (socket, FALSE);
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  return socket;
}

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  g_mutex_init (&f->lock);
  g_cond_init (&f->cond);
  f->loop = p2p_loop_new ("batch-receiver-test");
  f->path = udp_socket ();
  f->peer = udp_socket ();
  f->path_address = g_socket_get_local_address (f->path, NULL);
  f->sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  g_object_unref (f->loop);
  g_object_unref (f->path_address);
  g_object_unref (f->path);
  g_object_unref (f->peer);
  g_array_unref (f->sizes);
  g_mutex_clear (&f->lock);
  g_cond_clear (&f->cond);
}

static gboolean
start_on_loop (gpointer data)
{
  Fixture *f = data;
  g_autoptr (GSocketAddress) peer = g_socket_get_local_address (f->peer, NULL);
  struct sockaddr_storage native;
  GSource *timer;

  g_assert_true (g_socket_address_to_native (peer, &native, sizeof (native),
          NULL));
  f->libnice = g_socket_create_source (f->path, G_IO_IN, NULL);
  g_source_set_callback (f->libnice, (GSourceFunc) (GCallback) libnice_cb, f,
      NULL);
  g_source_attach (f->libnice, p2p_loop_get_context (f->loop));
  f->receiver = p2p_batch_receiver_new (f->loop, deliver_cb, f);
  p2p_batch_receiver_set_path (f->receiver, g_socket_get_fd (f->path),
      (struct sockaddr *) &native, g_socket_address_get_native_size (peer));
  if (!p2p_batch_receiver_is_active (f->receiver))
    return G_SOURCE_REMOVE;
  f->refill = TRUE;
  /* Queued before the loop polls again. */
  for (guint i = 0; i < QUEUED; i++)
    send_datagram (f);
  timer = g_timeout_source_new (20);
  g_source_set_callback (timer, timer_cb, f, NULL);
  g_source_attach (timer, p2p_loop_get_context (f->loop));
  g_source_unref (timer);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_on_loop (gpointer data)
{
  Fixture *f = data;

  f->refill = FALSE;
  g_clear_pointer (&f->receiver, p2p_batch_receiver_free);
  return G_SOURCE_REMOVE;
}

static gboolean
remove_libnice_on_loop (gpointer data)
{
  Fixture *f = data;

  g_source_destroy (f->libnice);
  g_clear_pointer (&f->libnice, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* A socket that stays readable (an overloaded viewer, a flood) does not
 * starve a timer at the default priority on the same loop, as it did
 * when the batched path ran above the default priority; libnice's source
 * on the same socket reads nothing while the batched path is on (it could
 * not split a coalesced buffer), and reads again once it is off. */
static void
test_fair (Fixture * f, gconstpointer data)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_US;
  guint64 delivered;

  p2p_loop_invoke_sync (f->loop, start_on_loop, f);
  if (f->receiver == NULL || !p2p_batch_receiver_is_active (f->receiver)) {
    p2p_loop_invoke_sync (f->loop, stop_on_loop, f);
    p2p_loop_invoke_sync (f->loop, remove_libnice_on_loop, f);
    g_test_skip ("no UDP GRO on this kernel");
    return;
  }

  g_mutex_lock (&f->lock);
  while (!f->timer_fired)
    if (!g_cond_wait_until (&f->cond, &f->lock, deadline))
      break;
  g_assert_true (f->timer_fired);
  delivered = f->delivered;
  g_assert_cmpint (f->libnice_reads, ==, 0);
  g_mutex_unlock (&f->lock);
  /* The socket was read all along: the timer did not get its turn by an
   * empty socket. */
  g_assert_cmpuint (delivered, >, QUEUED);

  p2p_loop_invoke_sync (f->loop, stop_on_loop, f);
  /* What is left queued now goes to libnice. */
  send_datagram (f);
  g_mutex_lock (&f->lock);
  while (f->libnice_reads == 0)
    if (!g_cond_wait_until (&f->cond, &f->lock, deadline))
      break;
  g_assert_cmpint (f->libnice_reads, >, 0);
  g_mutex_unlock (&f->lock);
  p2p_loop_invoke_sync (f->loop, remove_libnice_on_loop, f);
}

/* The peer's segments, sent as one UDP GSO message while the batched path
 * is on: the kernel queues them as one coalesced buffer. */
#define SEGMENT 100
#define SEGMENTS 4

static gboolean
stop_with_queued_batch_on_loop (gpointer data)
{
  Fixture *f = data;
  g_autoptr (GSocketAddress) peer = g_socket_get_local_address (f->peer, NULL);
  struct sockaddr_storage native;
  guint8 batch[SEGMENT * SEGMENTS] = { 0 };
  gint segment = SEGMENT;
  struct pollfd readable = { g_socket_get_fd (f->path), POLLIN, 0 };

  g_assert_true (g_socket_address_to_native (peer, &native, sizeof (native),
          NULL));
  f->receiver = p2p_batch_receiver_new (f->loop, deliver_cb, f);
  p2p_batch_receiver_set_path (f->receiver, g_socket_get_fd (f->path),
      (struct sockaddr *) &native, g_socket_address_get_native_size (peer));
  if (!p2p_batch_receiver_is_active (f->receiver)
      || setsockopt (g_socket_get_fd (f->peer), SOL_UDP, UDP_SEGMENT,
          &segment, sizeof (segment)) < 0) {
    g_clear_pointer (&f->receiver, p2p_batch_receiver_free);
    return G_SOURCE_REMOVE;
  }
  for (guint i = 0; i < SEGMENTS; i++)
    batch[i * SEGMENT] = 0x80;
  g_assert_cmpint (g_socket_send_to (f->peer, f->path_address,
          (gchar *) batch, sizeof (batch), NULL, NULL), ==, sizeof (batch));
  /* Queued, and not read: this callback holds the loop. */
  g_assert_cmpint (poll (&readable, 1, TIMEOUT_US / 1000), ==, 1);
  p2p_batch_receiver_set_path (f->receiver, -1, NULL, 0);
  g_assert_false (p2p_batch_receiver_is_active (f->receiver));
  return G_SOURCE_REMOVE;
}

/* Switched off (a pair change, a STUN request handed to libnice, the
 * end of the call) with a coalesced buffer queued, the batched path still
 * delivers its datagrams one by one: it used to turn GRO off first, after
 * which the kernel no longer gives the segment size, and delivered the
 * whole buffer as one datagram, whose packets all failed SRTP
 * authentication. */
static void
test_stop_splits_queued (Fixture * f, gconstpointer data)
{
  p2p_loop_invoke_sync (f->loop, stop_with_queued_batch_on_loop, f);
  if (f->receiver == NULL) {
    g_test_skip ("no UDP GRO or GSO on this kernel");
    return;
  }
  p2p_loop_invoke_sync (f->loop, stop_on_loop, f);
  g_assert_cmpuint (f->sizes->len, ==, SEGMENTS);
  for (guint i = 0; i < SEGMENTS; i++)
    g_assert_cmpuint (g_array_index (f->sizes, gsize, i), ==, SEGMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/p2p/batch-receiver/fair", Fixture, NULL, fixture_setup,
      test_fair, fixture_teardown);
  g_test_add ("/p2p/batch-receiver/stop-splits-queued", Fixture, NULL,
      fixture_setup, test_stop_splits_queued, fixture_teardown);
  return g_test_run ();
}
