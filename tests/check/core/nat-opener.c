/* p2p-core tests: the NAT opener's packet and probe, on loopback (the
 * routers that answer are in the NAT lab: natlab.py matrix --unsolicited
 * answer).
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "p2p-nat-opener.h"
#include "loopback-socket.h"

/* The opener leaves from the socket bound to the given address (as it
 * would from libnice's), as a STUN Binding indication; an address no
 * socket is bound to sends nothing. */
static void
test_send (void)
{
  guint from_port, to_port;
  g_autoptr (GSocket) from = loopback_udp_socket (&from_port);
  g_autoptr (GSocket) to = loopback_udp_socket (&to_port);
  g_autoptr (GSocketAddress) sender = NULL;
  guint8 buf[64];
  gssize n;

  gint fd = p2p_nat_opener_find_socket ("127.0.0.1", from_port);

  g_assert_cmpint (fd, ==, g_socket_get_fd (from));
  g_socket_set_timeout (to, 10);
  g_assert_true (p2p_nat_opener_send (fd, "127.0.0.1", to_port, 2));
  n = g_socket_receive_from (to, &sender, (gchar *) buf, sizeof (buf), NULL,
      NULL);
  g_assert_cmpint (n, ==, 20);
  g_assert_cmpuint (buf[0], ==, 0x00);
  g_assert_cmpuint (buf[1], ==, 0x11);
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
          (sender)), ==, from_port);
  g_assert_cmpint (p2p_nat_opener_find_socket ("127.0.0.2", from_port), ==, -1);
  g_assert_cmpint (p2p_nat_opener_find_socket ("::1", from_port), ==, -1);
  g_assert_false (p2p_nat_opener_send (fd, "::1", to_port, 2));
}

static void
probe_done (guint depth, gpointer user_data)
{
  gint *result = user_data;

  *result = depth;
}

/* On loopback there is no router: depth 0, answered before the probe's
 * own time-out (the closed port's ICMP comes back at once). */
static void
test_probe_no_router (void)
{
  guint port;
  g_autoptr (GSocket) closed = loopback_udp_socket (&port);
  GMainContext *ctx = g_main_context_new ();
  gint depth = -1;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_main_context_push_thread_default (ctx);
  g_clear_object (&closed);
  p2p_nat_opener_probe (ctx, "127.0.0.1", "127.0.0.1", port, probe_done,
      &depth);
  while (depth < 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (ctx, TRUE);
  g_assert_cmpint (depth, ==, 0);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/nat-opener/send", test_send);
  g_test_add_func ("/p2p/nat-opener/probe-no-router", test_probe_no_router);
  return g_test_run ();
}
