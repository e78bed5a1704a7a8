/* p2p-core relay tests: both peers forced through a real coturn
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* coturn (Debian's turnserver) is started by the test on 127.0.0.1 with
 * the REST shared-secret scheme p2p-server uses, and both transports run
 * with force-relay, so the only path between them is through two TURN
 * allocations. Covers TURN over UDP and over TCP. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <gio/gio.h>
#include <p2p-core/p2p-core.h>

#define SECRET "natlab-shared-secret"
#define TIMEOUT_MS 20000

typedef struct
{
  GSubprocess *process;
  guint port;
  gchar *dir;
} Turn;

/* A port the OS just handed out; coturn cannot bind port 0 and report it,
 * so the (small) race is handled by retrying the start. */
static guint
free_port (GSocketType type)
{
  g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, type,
      G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (sock, addr, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
turn_ready (guint port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;

  g_socket_client_set_timeout (client, 1);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      NULL);
  return conn != NULL;
}

/* A failed assertion aborts the test without running the teardown; the
 * kernel then stops coturn instead of leaving it behind. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
turn_start (Turn * turn)
{
  g_autofree gchar *port = NULL, *min = NULL, *max = NULL, *log = NULL;
  g_autofree gchar *pid = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  guint relay_base;
  gint64 deadline;

  turn->port = free_port (G_SOCKET_TYPE_STREAM);
  relay_base = free_port (G_SOCKET_TYPE_DATAGRAM);
  if (relay_base > 65000)
    relay_base = 50000;
  port = g_strdup_printf ("%u", turn->port);
  min = g_strdup_printf ("%u", relay_base);
  max = g_strdup_printf ("%u", relay_base + 200);
  log = g_build_filename (turn->dir, "turnserver.log", NULL);
  pid = g_build_filename (turn->dir, "turnserver.pid", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* The deployed peer rules (server/coturn-denied-peers.conf, which
   * refuses loopback), with this test's own relay addresses allowed, as
   * the NAT lab allows its lab range. */
  turn->process = g_subprocess_launcher_spawn (launcher, &error,
      "turnserver", "-c", g_getenv ("P2P_COTURN_DENIED_PEERS"),
      "--allowed-peer-ip=127.0.0.1",
      "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
      "--listening-port", port, "--min-port", min, "--max-port", max,
      "--use-auth-secret", "--static-auth-secret=" SECRET,
      "--realm=p2p.test", "--no-tls", "--no-dtls", "--no-cli",
      "--allow-loopback-peers", "--no-multicast-peers", "--log-file", log,
      "--simple-log", "--pidfile", pid, "--no-stun-backward-compatibility",
      NULL);
  if (turn->process == NULL) {
    g_test_message ("cannot start turnserver: %s", error->message);
    return FALSE;
  }

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline) {
    if (turn_ready (turn->port))
      return TRUE;
    if (g_subprocess_get_identifier (turn->process) == NULL)
      break;
    g_usleep (20000);
  }
  g_subprocess_force_exit (turn->process);
  g_subprocess_wait (turn->process, NULL, NULL);
  g_clear_object (&turn->process);
  return FALSE;
}

static void
turn_setup (Turn * turn)
{
  guint attempt;

  turn->dir = g_dir_make_tmp ("p2p-relay-XXXXXX", NULL);
  for (attempt = 0; attempt < 3; attempt++) {
    if (turn_start (turn))
      return;
  }
  g_error ("coturn (turnserver) did not start; is the coturn package "
      "installed? (.ci/deps installs it)");
}

static void
turn_teardown (Turn * turn)
{
  g_autofree gchar *cmd = NULL;

  if (turn->process) {
    g_subprocess_send_signal (turn->process, SIGTERM);
    g_subprocess_wait (turn->process, NULL, NULL);
    g_clear_object (&turn->process);
  }
  cmd = g_strdup_printf ("rm -rf '%s'", turn->dir);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
  g_free (turn->dir);
}

/* coturn's REST scheme, as p2p-server hands out: username "expiry:user",
 * password base64(HMAC-SHA1(secret, username)). */
static void
rest_credentials (const gchar * user, gchar ** username, gchar ** password)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1,
      (const guchar *) SECRET, strlen (SECRET));
  guint8 digest[20];
  gsize len = sizeof (digest);

  *username = g_strdup_printf ("%" G_GINT64_FORMAT ":%s",
      g_get_real_time () / G_USEC_PER_SEC + 600, user);
  g_hmac_update (hmac, (const guchar *) *username, -1);
  g_hmac_get_digest (hmac, digest, &len);
  *password = g_base64_encode (digest, len);
}

typedef struct
{
  P2pLoop *loop;
  P2pTransport *t;
  GAsyncQueue *candidates;
  gint rtp;
} Side;

static void
on_candidate (P2pTransport * t, const gchar * candidate, gpointer data)
{
  Side *side = data;

  g_async_queue_push (side->candidates, g_strdup (candidate));
}

static void
on_media (P2pTransport * t, gboolean rtcp, const guint8 * data, gsize size,
    gpointer user_data)
{
  Side *side = user_data;

  if (!rtcp)
    g_atomic_int_inc (&side->rtp);
}

static void
side_init (Side * side, Turn * turn, const gchar * transport, gboolean offer)
{
  g_autofree gchar *uri = NULL, *user = NULL, *pass = NULL;
  g_autoptr (GError) error = NULL;

  side->loop = p2p_loop_new (offer ? "camera" : "viewer");
  side->t = p2p_transport_new (side->loop, NULL, offer);
  side->candidates = g_async_queue_new_full (g_free);
  g_object_set (side->t, "force-relay", TRUE, NULL);
  p2p_transport_add_local_address (side->t, "127.0.0.1");
  uri = g_strdup_printf ("turn:127.0.0.1:%u?transport=%s", turn->port,
      transport);
  rest_credentials (offer ? "CAM-RELAY" : "viewer", &user, &pass);
  g_assert_true (p2p_transport_add_ice_server (side->t, uri, user, pass,
          &error));
  g_assert_no_error (error);
  g_signal_connect (side->t, "local-candidate", G_CALLBACK (on_candidate),
      side);
  p2p_transport_set_media_callback (side->t, on_media, side, NULL);
}

static void
side_clear (Side * side)
{
  p2p_transport_close (side->t);
  g_clear_object (&side->t);
  g_clear_object (&side->loop);
  g_async_queue_unref (side->candidates);
}

static void
forward (Side * from, Side * to)
{
  gchar *c;

  while ((c = g_async_queue_try_pop (from->candidates))) {
    p2p_transport_add_remote_candidate (to->t, c, NULL);
    g_free (c);
  }
}

static void
test_relay (gconstpointer data)
{
  const gchar *transport = data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL, *answer = NULL;
  Turn turn = { 0 };
  Side a = { 0 }, b = { 0 };
  P2pTransportStats *stats;
  gint64 deadline;
  guint8 rtp[200] = { 0x80, 96 };
  guint8 packets[40][200];
  const guint8 *list[40];
  gsize sizes[40];
  guint i;

  turn_setup (&turn);
  side_init (&a, &turn, transport, TRUE);
  side_init (&b, &turn, transport, FALSE);

  offer = p2p_transport_create_offer (a.t, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_transport_set_remote_description (b.t, offer, &error));
  answer = p2p_transport_create_answer (b.t, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_transport_set_remote_description (a.t, answer, &error));

  deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  while (p2p_transport_get_state (a.t) < P2P_TRANSPORT_STATE_CONNECTED
      || p2p_transport_get_state (b.t) < P2P_TRANSPORT_STATE_CONNECTED) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    forward (&a, &b);
    forward (&b, &a);
    g_usleep (5000);
  }
  g_assert_cmpint (p2p_transport_get_state (a.t), ==,
      P2P_TRANSPORT_STATE_CONNECTED);
  g_assert_cmpint (p2p_transport_get_mode (a.t), ==, P2P_CONNECTION_MODE_RELAY);
  g_assert_cmpint (p2p_transport_get_mode (b.t), ==, P2P_CONNECTION_MODE_RELAY);

  stats = p2p_transport_get_stats (b.t);
  g_test_message ("relay pair: %s %s -> %s %s, handshake %.1f ms",
      stats->local_candidate_type, stats->local_address,
      stats->remote_candidate_type, stats->remote_address,
      stats->handshake_us / 1000.0);
  g_assert_cmpstr (stats->local_candidate_type, ==, "relay");
  /* TURN framing and the relay's own path: only the safe size. */
  g_assert_cmpint (stats->payload_mtu, ==, P2P_TRANSPORT_SAFE_PAYLOAD_MTU);
  g_assert_cmpint (stats->path_mtu, ==, -1);
  p2p_transport_stats_free (stats);

  for (i = 0; i < 50; i++) {
    rtp[3] = i;
    g_assert_true (p2p_transport_send_rtp (a.t, rtp, sizeof (rtp), NULL));
  }
  /* A packet list, as a payloader makes: TURN frames every datagram, so
   * none of them may take the batched (UDP GSO) path. */
  for (i = 0; i < G_N_ELEMENTS (list); i++) {
    memcpy (packets[i], rtp, sizeof (rtp));
    packets[i][3] = 50 + i;
    list[i] = packets[i];
    sizes[i] = sizeof (rtp);
  }
  g_assert_true (p2p_transport_send_rtp_list (a.t, list, sizes,
          G_N_ELEMENTS (list), NULL));
  deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  while (g_atomic_int_get (&b.rtp) < 50 + (gint) G_N_ELEMENTS (list)) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (1000);
  }
  stats = p2p_transport_get_stats (a.t);
  g_assert_cmpuint (stats->batched_packets_sent, ==, 0);
  g_assert_cmpuint (stats->rtp_packets_sent, ==, 50 + G_N_ELEMENTS (list));
  p2p_transport_stats_free (stats);

  side_clear (&a);
  side_clear (&b);
  turn_teardown (&turn);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/p2p/transport/relay/turn-udp", "udp", test_relay);
  g_test_add_data_func ("/p2p/transport/relay/turn-tcp", "tcp", test_relay);
  return g_test_run ();
}
