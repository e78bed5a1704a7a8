/* p2p-core tests: P2pLoop's parked descriptors (left out of its polls
 * while their sources stay attached).
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-loop.h"

#include <gio/gio.h>

/* A UDP socket on loopback with a source on the loop's context that
 * drains it and counts the wake-ups that found a datagram. */
typedef struct
{
  GSocket *socket;
  GSource *source;
  gint received;                /* atomic */
} Receiver;

typedef struct
{
  P2pLoop *loop;
  Receiver parked;
  Receiver other;
  GSocket *sender;
} Fixture;

static gboolean
receiver_cb (GSocket * socket, GIOCondition condition, gpointer data)
{
  Receiver *r = data;
  gchar buf[64];

  while (g_socket_receive (socket, buf, sizeof (buf), NULL, NULL) > 0)
    g_atomic_int_inc (&r->received);
  return G_SOURCE_CONTINUE;
}

static void
receiver_init (Receiver * r, P2pLoop * loop)
{
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);

  r->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_nonnull (r->socket);
  g_socket_set_blocking (r->socket, FALSE);
  g_assert_true (g_socket_bind (r->socket, any, FALSE, NULL));
  r->source = g_socket_create_source (r->socket, G_IO_IN, NULL);
  g_source_set_callback (r->source, (GSourceFunc) (GCallback) receiver_cb, r,
      NULL);
  g_source_attach (r->source, p2p_loop_get_context (loop));
}

static void
receiver_clear (Receiver * r)
{
  g_source_destroy (r->source);
  g_source_unref (r->source);
  g_object_unref (r->socket);
}

static void
send_to (Fixture * f, Receiver * r)
{
  g_autoptr (GSocketAddress) to = g_socket_get_local_address (r->socket, NULL);

  g_assert_cmpint (g_socket_send_to (f->sender, to, "x", 1, NULL, NULL), ==, 1);
}

/* Waits until @r has received @count datagrams, for long: the suites also
 * run under valgrind and ASan on a busy host. */
static gboolean
wait_received (Receiver * r, gint count)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_atomic_int_get (&r->received) < count) {
    if (g_get_monotonic_time () > deadline)
      return FALSE;
    g_usleep (1000);
  }
  return TRUE;
}

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  f->loop = p2p_loop_new ("loop-test");
  receiver_init (&f->parked, f->loop);
  receiver_init (&f->other, f->loop);
  f->sender = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_nonnull (f->sender);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  receiver_clear (&f->parked);
  receiver_clear (&f->other);
  g_object_unref (f->sender);
  g_object_unref (f->loop);
}

typedef struct
{
  P2pLoop *loop;
  gint fd;
  gboolean park;
  gboolean seen;
} ParkCall;

static void
find_fd (gint fd, gpointer data)
{
  ParkCall *call = data;

  if (fd == call->fd)
    call->seen = TRUE;
}

static gboolean
park_on_loop (gpointer data)
{
  ParkCall *call = data;

  p2p_loop_foreach_polled (call->loop, find_fd, call);
  if (call->park)
    p2p_loop_park (call->loop, call->fd);
  else
    p2p_loop_unpark (call->loop, call->fd);
  return G_SOURCE_REMOVE;
}

static gboolean
nothing (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* A parked socket's source sees nothing while it is parked, however many
 * polls find other sockets ready, and everything once it is unparked. */
static void
test_park (Fixture * f, gconstpointer data)
{
  ParkCall call = { f->loop, g_socket_get_fd (f->parked.socket), TRUE };

  p2p_loop_invoke_sync (f->loop, park_on_loop, &call);
  /* The loop has polled the socket's source before (p2p_loop_new()'s
   * thread runs at once, and invoke_sync wakes it): it is found among the
   * polled descriptors. */
  g_assert_true (call.seen);
  g_assert_cmpuint (p2p_loop_get_n_parked (f->loop), ==, 1);

  /* The parked socket's datagram arrives first: a poll that found the
   * other one ready would have found it ready too. The other source's
   * iteration is over once a later invocation ran. */
  send_to (f, &f->parked);
  send_to (f, &f->other);
  g_assert_true (wait_received (&f->other, 1));
  p2p_loop_invoke_sync (f->loop, nothing, NULL);
  send_to (f, &f->other);
  g_assert_true (wait_received (&f->other, 2));
  p2p_loop_invoke_sync (f->loop, nothing, NULL);
  g_assert_cmpint (g_atomic_int_get (&f->parked.received), ==, 0);

  call.park = FALSE;
  p2p_loop_invoke_sync (f->loop, park_on_loop, &call);
  g_assert_cmpuint (p2p_loop_get_n_parked (f->loop), ==, 0);
  g_assert_true (wait_received (&f->parked, 1));
}

/* Parking is counted: parked twice, a socket stays parked after one
 * unpark. */
static void
test_park_counted (Fixture * f, gconstpointer data)
{
  ParkCall call = { f->loop, g_socket_get_fd (f->parked.socket), TRUE };

  p2p_loop_invoke_sync (f->loop, park_on_loop, &call);
  p2p_loop_invoke_sync (f->loop, park_on_loop, &call);
  call.park = FALSE;
  p2p_loop_invoke_sync (f->loop, park_on_loop, &call);
  g_assert_cmpuint (p2p_loop_get_n_parked (f->loop), ==, 1);

  send_to (f, &f->parked);
  send_to (f, &f->other);
  g_assert_true (wait_received (&f->other, 1));
  p2p_loop_invoke_sync (f->loop, nothing, NULL);
  g_assert_cmpint (g_atomic_int_get (&f->parked.received), ==, 0);

  p2p_loop_invoke_sync (f->loop, park_on_loop, &call);
  g_assert_true (wait_received (&f->parked, 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/p2p/loop/park", Fixture, NULL, fixture_setup, test_park,
      fixture_teardown);
  g_test_add ("/p2p/loop/park-counted", Fixture, NULL, fixture_setup,
      test_park_counted, fixture_teardown);
  return g_test_run ();
}
