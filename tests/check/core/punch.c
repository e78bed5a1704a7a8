/* p2p-core tests: birthday-paradox punching's exchange, on loopback (the
 * NATs it is for are in the NAT lab: natlab.py birthday).
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "p2p-punch.h"
#include "loopback-socket.h"

/* Generous: the suites also run under valgrind and ASan on a busy host. */
#define WAIT_US (30 * G_USEC_PER_SEC)

/* A STUN server on loopback that tells the sender its address, with the
 * port moved by @shift: two servers that disagree are what a symmetric
 * NAT looks like. */
typedef struct
{
  GSocket *socket;
  GSource *source;
  guint port;
  guint shift;
} FakeStun;

typedef struct _Side Side;

struct _Side
{
  P2pPunch *punch;
  Side *peer;
  GMainContext *context;
  gboolean ready;
  gboolean lost;
  gchar *remote;
  gint receive_buffer;
  GByteArray *received;
};

typedef struct
{
  GMainContext *context;
  FakeStun stun[3];
  GSocket *sink;
  guint sink_port;
  Side easy, hard;
} Fixture;

static gboolean
stun_readable (GSocket * socket, GIOCondition cond, gpointer data)
{
  FakeStun *stun = data;
  guint8 buf[512], answer[32];
  g_autoptr (GSocketAddress) from = NULL;
  gssize n = g_socket_receive_from (socket, &from, (gchar *) buf,
      sizeof (buf), NULL, NULL);
  guint16 port;
  guint32 ip;
  const guint8 *addr;

  /* Binding requests only (the punch's depth probe sends one byte). */
  if (n < 20 || buf[0] != 0x00 || buf[1] != 0x01)
    return G_SOURCE_CONTINUE;
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from))
      + stun->shift;
  addr = g_inet_address_to_bytes (g_inet_socket_address_get_address
      (G_INET_SOCKET_ADDRESS (from)));
  memcpy (&ip, addr, 4);
  /* Binding success, XOR-MAPPED-ADDRESS (RFC 5389 section 15.2). */
  answer[0] = 0x01;
  answer[1] = 0x01;
  answer[2] = 0;
  answer[3] = 12;
  memcpy (answer + 4, buf + 4, 16);
  answer[20] = 0x00;
  answer[21] = 0x20;
  answer[22] = 0;
  answer[23] = 8;
  answer[24] = 0;
  answer[25] = 0x01;
  answer[26] = (port >> 8) ^ 0x21;
  answer[27] = (port & 0xff) ^ 0x12;
  answer[28] = ((guint8 *) & ip)[0] ^ 0x21;
  answer[29] = ((guint8 *) & ip)[1] ^ 0x12;
  answer[30] = ((guint8 *) & ip)[2] ^ 0xa4;
  answer[31] = ((guint8 *) & ip)[3] ^ 0x42;
  g_socket_send_to (socket, from, (const gchar *) answer, sizeof (answer),
      NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
side_send_control (const guint8 * data, gsize size, gpointer user_data)
{
  Side *side = user_data;

  /* Straight to the peer, as DTLS would deliver it. */
  if (side->peer->punch)
    p2p_punch_control (side->peer->punch, data, size);
}

static void
side_path_ready (const gchar * local, const gchar * remote,
    gint receive_buffer, gint send_buffer, gpointer user_data)
{
  Side *side = user_data;

  side->ready = TRUE;
  side->remote = g_strdup (remote);
  side->receive_buffer = receive_buffer;
}

static void
side_path_lost (gpointer user_data)
{
  Side *side = user_data;

  side->lost = TRUE;
}

static void
side_receive (guint8 * data, gsize size, gpointer user_data)
{
  Side *side = user_data;

  g_byte_array_append (side->received, data, size);
}

static const P2pPunchCallbacks callbacks = {
  side_send_control,
  side_path_ready,
  side_path_lost,
  side_receive,
};

static void
setup (Fixture * f, gconstpointer data)
{
  guint i;

  f->context = g_main_context_new ();
  for (i = 0; i < 3; i++) {
    f->stun[i].socket = loopback_udp_socket (&f->stun[i].port);
    f->stun[i].shift = i == 2 ? 1 : 0;
    f->stun[i].source = g_socket_create_source (f->stun[i].socket, G_IO_IN,
        NULL);
    g_source_set_callback (f->stun[i].source, (GSourceFunc) stun_readable,
        &f->stun[i], NULL);
    g_source_attach (f->stun[i].source, f->context);
  }
  f->sink = loopback_udp_socket (&f->sink_port);
  g_socket_set_blocking (f->sink, FALSE);
  f->easy.peer = &f->hard;
  f->hard.peer = &f->easy;
  f->easy.context = f->hard.context = f->context;
  f->easy.received = g_byte_array_new ();
  f->hard.received = g_byte_array_new ();
  f->easy.punch = p2p_punch_new (f->context, &callbacks, &f->easy);
  f->hard.punch = p2p_punch_new (f->context, &callbacks, &f->hard);
}

static void
teardown (Fixture * f, gconstpointer data)
{
  Side *sides[] = { &f->easy, &f->hard };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sides); i++) {
    g_clear_pointer (&sides[i]->punch, p2p_punch_free);
    g_free (sides[i]->remote);
    g_byte_array_unref (sides[i]->received);
  }
  for (i = 0; i < 3; i++) {
    g_source_destroy (f->stun[i].source);
    g_source_unref (f->stun[i].source);
    g_object_unref (f->stun[i].socket);
  }
  g_object_unref (f->sink);
  while (g_main_context_iteration (f->context, FALSE));
  g_main_context_unref (f->context);
}

/* Runs the context until @check says so, or fails after WAIT_US. */
static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
wait_until (Fixture * f, gboolean (*check) (Fixture * f), const gchar * what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  /* Wakes the loop to look at the clock when nothing else happens. */
  GSource *ticker = g_timeout_source_new (100);

  g_source_set_callback (ticker, tick, NULL, NULL);
  g_source_attach (ticker, f->context);
  while (!check (f)) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for %s", what);
    g_main_context_iteration (f->context, TRUE);
  }
  g_source_destroy (ticker);
  g_source_unref (ticker);
}

static gboolean
both_ready (Fixture * f)
{
  return f->easy.ready && f->hard.ready;
}

static gboolean
both_received (Fixture * f)
{
  return f->easy.received->len > 0 && f->hard.received->len > 0;
}

static gboolean
easy_lost (Fixture * f)
{
  return f->easy.lost;
}

static gboolean
both_done (Fixture * f)
{
  return p2p_punch_is_done (f->easy.punch)
      && p2p_punch_is_done (f->hard.punch);
}

/* Both sides classified, the "hard" one against the servers @server_a
 * and @server_b (a shifted one makes it symmetric), and started towards
 * @ips; every spray goes to the test's sink. */
static void
start_both (Fixture * f, guint server_a, guint server_b, GPtrArray * ips)
{
  p2p_punch_set_spray_port (f->easy.punch, f->sink_port);
  p2p_punch_set_spray_port (f->hard.punch, f->sink_port);
  p2p_punch_classify (f->easy.punch, "127.0.0.1", f->stun[0].port,
      "127.0.0.1", f->stun[1].port);
  p2p_punch_classify (f->hard.punch, "127.0.0.1", f->stun[server_a].port,
      "127.0.0.1", f->stun[server_b].port);
  p2p_punch_start (f->easy.punch, ips);
  p2p_punch_start (f->hard.punch, ips);
}

static GPtrArray *
loopback_only (void)
{
  GPtrArray *ips = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (ips, g_strdup ("127.0.0.1"));
  return ips;
}

/* One side asks two servers that agree (endpoint-independent: easy), the
 * other two that disagree (symmetric: hard); they find each other, both
 * move onto one path (the hard side's winning socket and the easy side's
 * own), and datagrams cross it both ways. The easy side's spray left its
 * socket (here towards the test's sink, not anyone's port). */
static void
test_punch (Fixture * f, gconstpointer data)
{
  g_autoptr (GPtrArray) ips = loopback_only ();
  static const guint8 rtp[] = { 0x80, 0x60, 0x00, 0x01, 'm', 'e', 'd', 'i',
    'a'
  };
  guint8 buf[64];

  start_both (f, 0, 2, ips);
  wait_until (f, both_ready, "the punched path on both sides");
  g_assert_true (g_str_has_prefix (f->easy.remote, "127.0.0.1:"));
  g_assert_true (g_str_has_prefix (f->hard.remote, "127.0.0.1:"));
  g_assert_cmpint (f->hard.receive_buffer, >, 0);

  g_assert_cmpint (g_socket_receive (f->sink, (gchar *) buf, sizeof (buf),
          NULL, NULL), ==, 21);
  g_assert_cmpmem (buf, 4, "p2pB", 4);

  g_assert_cmpint (p2p_punch_send (f->easy.punch, rtp, sizeof (rtp)), ==, 1);
  g_assert_cmpint (p2p_punch_send (f->hard.punch, rtp, sizeof (rtp)), ==, 1);
  wait_until (f, both_received, "a datagram on each side");
  g_assert_cmpmem (f->easy.received->data, f->easy.received->len, rtp,
      sizeof (rtp));
  g_assert_cmpmem (f->hard.received->data, f->hard.received->len, rtp,
      sizeof (rtp));
  g_assert_false (f->easy.lost);

  /* The hard side goes away: the easy side's path falls silent and it
   * says so (its traffic goes back to ICE). */
  g_clear_pointer (&f->hard.punch, p2p_punch_free);
  wait_until (f, easy_lost, "the silent path reported lost");
  g_assert_cmpint (p2p_punch_send (f->easy.punch, rtp, sizeof (rtp)), ==, -1);
}

/* No path is punched, and nothing sent towards the peer, when
 * - "easy": both NATs are endpoint-independent (ICE serves them), or
 * - "foreign": the address the peer gives for itself is none of its
 *   candidates' (a symmetric and an easy side otherwise).
 * Checked once both sides have heard each other and given up. */
static void
test_no_punch (Fixture * f, gconstpointer data)
{
  gboolean foreign = g_str_equal (data, "foreign");
  g_autoptr (GPtrArray) ips = g_ptr_array_new_with_free_func (g_free);
  guint8 buf[64];

  g_ptr_array_add (ips, g_strdup (foreign ? "192.0.2.1" : "127.0.0.1"));
  start_both (f, 0, foreign ? 2 : 1, ips);
  wait_until (f, both_done, "both sides to give up");
  g_assert_false (f->easy.ready);
  g_assert_false (f->hard.ready);
  g_assert_cmpint (g_socket_receive (f->sink, (gchar *) buf, sizeof (buf),
          NULL, NULL), <, 0);
  g_assert_cmpint (p2p_punch_send (f->easy.punch, buf, 4), ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/p2p/punch/punch", Fixture, NULL, setup, test_punch, teardown);
  g_test_add ("/p2p/punch/nothing-to-punch", Fixture, "easy", setup,
      test_no_punch, teardown);
  g_test_add ("/p2p/punch/foreign-address", Fixture, "foreign", setup,
      test_no_punch, teardown);
  return g_test_run ();
}
