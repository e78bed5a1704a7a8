/* p2p-core transport tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Two transports in one process, each on its own P2pLoop, talking over
 * 127.0.0.1 with ports from the OS. The test thread plays the signalling
 * server: candidates are queued by the loop threads and forwarded from the
 * test thread, so no loop ever waits on the other. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <p2p-core/p2p-core.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include "p2p-transport-private.h"
#include "p2p-password-verifier-private.h"
#include "p2p-rtcp-limiter.h"
#include "loopback-socket.h"

#define TIMEOUT_MS 20000

typedef struct
{
  GMutex lock;
  GHashTable *packets;          /* seq -> GBytes (expected contents) */
  guint rtp_received;
  guint rtcp_received;
  guint corrupt;
  GPtrArray *messages;          /* GBytes */
  /* Calls of the list callback, their largest, and RTP packets of a list
   * that did not follow the one before them. */
  guint lists;
  guint largest_list;
  guint list_out_of_order;
} Received;

typedef struct _Peer Peer;

struct _Peer
{
  P2pLoop *loop;
  P2pTransport *transport;
  Peer *other;
  GAsyncQueue *candidates;      /* to the other peer; "" = end */
  Received rx;
};

typedef struct
{
  Peer a;                       /* offerer: the camera side */
  Peer b;                       /* answerer: the viewer side */
  gboolean tcp_only;            /* signalling drops UDP candidates */
  gchar *answer;                /* the viewer's last description */
} Fixture;

static void
media_cb (P2pTransport * transport, gboolean is_rtcp, const guint8 * data,
    gsize size, gpointer user_data)
{
  Peer *peer = user_data;
  gboolean intact = TRUE;

  if (!is_rtcp) {
    guint16 seq = (data[2] << 8) | data[3];
    GBytes *expected;

    /* The sender's table, under the sender's lock: the sending thread
     * inserts into it while this (the loop) thread looks up, and a lookup
     * during a resize finds nothing. */
    g_mutex_lock (&peer->other->rx.lock);
    expected = g_hash_table_lookup (peer->other->rx.packets,
        GUINT_TO_POINTER (seq));
    intact = expected != NULL && g_bytes_get_size (expected) == size
        && memcmp (g_bytes_get_data (expected, NULL), data, size) == 0;
    g_mutex_unlock (&peer->other->rx.lock);
  }

  g_mutex_lock (&peer->rx.lock);
  if (is_rtcp) {
    peer->rx.rtcp_received++;
  } else {
    peer->rx.rtp_received++;
    if (!intact)
      peer->rx.corrupt++;
  }
  g_mutex_unlock (&peer->rx.lock);
}

static void
media_list_cb (P2pTransport * transport, const P2pMediaPacket * packets,
    guint n_packets, gpointer user_data)
{
  Peer *peer = user_data;
  gint last = -1;
  guint i;

  g_assert_cmpuint (n_packets, >, 0);
  for (i = 0; i < n_packets; i++) {
    const P2pMediaPacket *p = &packets[i];

    media_cb (transport, p->is_rtcp, p->data, p->size, user_data);
    if (!p->is_rtcp) {
      guint16 seq = (p->data[2] << 8) | p->data[3];

      g_mutex_lock (&peer->rx.lock);
      if (last >= 0 && seq != (guint16) (last + 1))
        peer->rx.list_out_of_order++;
      g_mutex_unlock (&peer->rx.lock);
      last = seq;
    }
  }
  g_mutex_lock (&peer->rx.lock);
  peer->rx.lists++;
  peer->rx.largest_list = MAX (peer->rx.largest_list, n_packets);
  g_mutex_unlock (&peer->rx.lock);
}

static void
message_cb (P2pTransport * transport, GBytes * message, gpointer user_data)
{
  Peer *peer = user_data;

  g_mutex_lock (&peer->rx.lock);
  g_ptr_array_add (peer->rx.messages, g_bytes_ref (message));
  g_mutex_unlock (&peer->rx.lock);
}

static void
candidate_cb (P2pTransport * transport, const gchar * candidate,
    gpointer user_data)
{
  Peer *peer = user_data;

  g_async_queue_push (peer->candidates, g_strdup (candidate));
}

static void
peer_init (Peer * peer, Peer * other, const gchar * name, gboolean offerer)
{
  peer->other = other;
  peer->loop = p2p_loop_new (name);
  peer->transport = p2p_transport_new (peer->loop, NULL, offerer);
  g_assert_true (p2p_transport_add_local_address (peer->transport,
          "127.0.0.1"));
  peer->candidates = g_async_queue_new_full (g_free);
  g_mutex_init (&peer->rx.lock);
  peer->rx.packets = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) g_bytes_unref);
  peer->rx.messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  g_signal_connect (peer->transport, "local-candidate",
      G_CALLBACK (candidate_cb), peer);
  g_signal_connect (peer->transport, "message-received",
      G_CALLBACK (message_cb), peer);
  p2p_transport_set_media_callback (peer->transport, media_cb, peer, NULL);
}

static gboolean
loop_flushed (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
peer_clear (Peer * peer)
{
  p2p_transport_close (peer->transport);
  g_clear_object (&peer->transport);
  /* Parked sockets are polled again before libnice closes them (on the
   * loop thread, in the teardown queued there before this). */
  p2p_loop_invoke_sync (peer->loop, loop_flushed, NULL);
  g_assert_cmpuint (p2p_loop_get_n_parked (peer->loop), ==, 0);
  g_clear_object (&peer->loop);
  g_async_queue_unref (peer->candidates);
  g_hash_table_unref (peer->rx.packets);
  g_ptr_array_unref (peer->rx.messages);
  g_mutex_clear (&peer->rx.lock);
}

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  peer_init (&f->a, &f->b, "camera", TRUE);
  peer_init (&f->b, &f->a, "viewer", FALSE);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  peer_clear (&f->a);
  peer_clear (&f->b);
  g_free (f->answer);
}

/* Forwards queued candidates; returns once @done says so or the time-out
 * passes. Polls every few milliseconds: the transports signal on their own
 * threads and the condition is cheap to re-check. */
typedef gboolean (*Condition) (Fixture * f, gpointer data);

static gboolean
wait_for (Fixture * f, Condition done, gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (!done (f, data)) {
    Peer *peers[] = { &f->a, &f->b };
    guint i;

    if (g_get_monotonic_time () > deadline)
      return FALSE;
    for (i = 0; i < 2; i++) {
      gchar *c;

      while ((c = g_async_queue_try_pop (peers[i]->candidates))) {
        if (f->tcp_only && strstr (c, " UDP ")) {
          g_free (c);
          continue;
        }
        /* Errors here are what some tests provoke; the result is checked
         * through the transport state. */
        p2p_transport_add_remote_candidate (peers[i]->other->transport, c,
            NULL);
        g_free (c);
      }
    }
    g_usleep (2000);
  }
  return TRUE;
}

static gboolean
both_final_or_connected (Fixture * f, gpointer data)
{
  P2pTransportState a = p2p_transport_get_state (f->a.transport);
  P2pTransportState b = p2p_transport_get_state (f->b.transport);

  return a >= P2P_TRANSPORT_STATE_CONNECTED
      && b >= P2P_TRANSPORT_STATE_CONNECTED;
}

static gboolean
both_failed (Fixture * f, gpointer data)
{
  return p2p_transport_get_state (f->a.transport) >=
      P2P_TRANSPORT_STATE_FAILED
      && p2p_transport_get_state (f->b.transport) >= P2P_TRANSPORT_STATE_FAILED;
}

static void
negotiate (Fixture * f, const gchar * (*tamper) (const gchar * offer))
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *answer = NULL;
  GstSDPMessage *media;
  GstSDPMedia *m;

  gst_sdp_message_new (&media);
  gst_sdp_media_new (&m);
  gst_sdp_media_set_media (m, "video");
  gst_sdp_media_add_format (m, "96");
  gst_sdp_media_add_attribute (m, "rtpmap", "96 H264/90000");
  gst_sdp_media_add_attribute (m, "sendonly", "");
  gst_sdp_message_add_media (media, m);
  gst_sdp_media_free (m);

  offer = p2p_transport_create_offer (f->a.transport, media, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (offer, "a=setup:actpass"));
  g_assert_nonnull (strstr (offer, "a=rtpmap:96 H264/90000"));
  g_assert_nonnull (strstr (offer, "a=group:BUNDLE 0"));
  gst_sdp_message_free (media);

  if (tamper) {
    gchar *t = (gchar *) tamper (offer);

    g_free (offer);
    offer = t;
  }
  g_assert_true (p2p_transport_set_remote_description (f->b.transport, offer,
          &error));
  g_assert_no_error (error);
  answer = p2p_transport_create_answer (f->b.transport, NULL, &error);
  g_assert_no_error (error);
  g_free (f->answer);
  f->answer = g_strdup (answer);
  g_assert_true (p2p_transport_set_remote_description (f->a.transport,
          answer, &error));
  g_assert_no_error (error);
}

static void
connect_pair (Fixture * f)
{
  P2pTransportStats *stats;

  negotiate (f, NULL);
  g_assert_true (wait_for (f, both_final_or_connected, NULL, TIMEOUT_MS));
  g_assert_cmpint (p2p_transport_get_state (f->a.transport), ==,
      P2P_TRANSPORT_STATE_CONNECTED);
  g_assert_cmpint (p2p_transport_get_state (f->b.transport), ==,
      P2P_TRANSPORT_STATE_CONNECTED);

  stats = p2p_transport_get_stats (f->b.transport);
  g_test_message ("handshake (ICE connected -> SRTP keys): %.2f ms, "
      "pair %s %s -> %s %s", stats->handshake_us / 1000.0,
      stats->local_candidate_type, stats->local_address,
      stats->remote_candidate_type, stats->remote_address);
  p2p_transport_stats_free (stats);
}

/* An RTP packet with a random payload, remembered by the sender. */
static GBytes *
make_rtp (Peer * sender, GRand * rand, guint16 seq, gsize size)
{
  guint8 *p = g_malloc (size);
  GBytes *bytes;
  gsize i;

  p[0] = 0x80;
  p[1] = 96;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  for (i = 4; i < size; i++)
    p[i] = g_rand_int (rand);
  /* An SSRC per 4,096 sequence numbers, as the calls here each send a
   * range of their own: SRTP keeps state per SSRC and refuses to send an
   * index far behind the SSRC's newest, which a real stream never does.
   * The ranges of one test must not wrap past 65,535 either: the same
   * SSRC and sequence number again is such an index (an AES-GCM nonce
   * used for other data), and p2p_transport_send_rtp() fails: a loop
   * taking a new range of 2,000 every 2 s fails after 33 rounds (66 s),
   * while a pair sending both ways every 2 s for 90 s from ranges that do
   * not wrap keeps working (checked 2026-11-30). */
  if (size >= 12) {
    p[8] = p[9] = p[10] = 0x5a;
    p[11] = seq >> 12;
  }
  bytes = g_bytes_new_take (p, size);
  g_mutex_lock (&sender->rx.lock);
  g_hash_table_insert (sender->rx.packets, GUINT_TO_POINTER (seq),
      g_bytes_ref (bytes));
  g_mutex_unlock (&sender->rx.lock);
  return bytes;
}

typedef struct
{
  Peer *peer;
  guint rtp;
  guint rtcp;
} Expect;

static gboolean
received_enough (Fixture * f, gpointer data)
{
  Expect *e = data;
  gboolean done;

  g_mutex_lock (&e->peer->rx.lock);
  done = e->peer->rx.rtp_received >= e->rtp
      && e->peer->rx.rtcp_received >= e->rtcp;
  g_mutex_unlock (&e->peer->rx.lock);
  return done;
}

/* Sends @count RTP packets and as many RTCP receiver reports from @from to
 * its peer and checks they all arrive intact. */
static void
send_media_and_check (Fixture * f, Peer * from, guint count, guint16 seq0)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seq0);
  Expect e = { from->other, 0, 0 };
  guint i;

  g_mutex_lock (&from->other->rx.lock);
  e.rtp = from->other->rx.rtp_received + count;
  e.rtcp = from->other->rx.rtcp_received + count;
  g_mutex_unlock (&from->other->rx.lock);

  for (i = 0; i < count; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) rtp = make_rtp (from, rand, seq0 + i,
        12 + g_rand_int_range (rand, 0, P2P_TRANSPORT_MAX_PACKET - 12));
    /* RTCP RR with no report blocks: V=2, PT=201, length=1, from one
     * SSRC as a real session's (the receiver bounds RTCP per SSRC). */
    guint8 rr[8] = { 0x80, 201, 0, 1, 0x5a, 0x5a, 0x5a, 0x5a };

    g_assert_true (p2p_transport_send_rtp (from->transport,
            g_bytes_get_data (rtp, NULL), g_bytes_get_size (rtp), &error));
    g_assert_no_error (error);
    g_assert_true (p2p_transport_send_rtcp (from->transport, rr,
            sizeof (rr), &error));
    g_assert_no_error (error);
  }
  if (!wait_for (f, received_enough, &e, TIMEOUT_MS)) {
    P2pTransportStats *s = p2p_transport_get_stats (from->other->transport);

    g_error ("only %u of %u RTP and %u of %u RTCP arrived (state %s, "
        "dropped %" G_GUINT64_FORMAT " malformed, %" G_GUINT64_FORMAT
        " SRTP)", from->other->rx.rtp_received, e.rtp,
        from->other->rx.rtcp_received, e.rtcp,
        p2p_transport_state_to_string (s->state), s->dropped_malformed,
        s->dropped_srtp);
  }
  g_assert_cmpuint (from->other->rx.corrupt, ==, 0);
}

static void
test_connect (Fixture * f, gconstpointer data)
{
  P2pTransportStats *stats;

  connect_pair (f);
  g_assert_cmpint (p2p_transport_get_mode (f->a.transport), ==,
      P2P_CONNECTION_MODE_LAN);
  stats = p2p_transport_get_stats (f->a.transport);
  g_assert_cmpint (stats->srtp_profile, ==, P2P_SRTP_PROFILE_AEAD_AES_128_GCM);
  g_assert_cmpint (stats->handshake_us, >=, 0);
  g_assert_cmpstr (stats->local_candidate_type, ==, "host");
  p2p_transport_stats_free (stats);
}

static void
test_dtls_role_server (Fixture * f, gconstpointer data)
{
  g_object_set (f->b.transport, "dtls-role", P2P_DTLS_ROLE_SERVER, NULL);
  connect_pair (f);
  send_media_and_check (f, &f->a, 20, 1000);
  send_media_and_check (f, &f->b, 20, 2000);
}

static void
test_srtp_profile (Fixture * f, gconstpointer data)
{
  const gchar *profile = data;
  P2pSrtpProfile expected = g_str_equal (profile, "SRTP_AES128_CM_SHA1_80") ?
      P2P_SRTP_PROFILE_AES128_CM_SHA1_80 : P2P_SRTP_PROFILE_AEAD_AES_128_GCM;
  P2pTransportStats *sa, *sb;

  /* One side limited to a profile: the handshake must settle on it. */
  g_object_set (f->b.transport, "srtp-profiles", profile, NULL);
  connect_pair (f);
  sa = p2p_transport_get_stats (f->a.transport);
  sb = p2p_transport_get_stats (f->b.transport);
  g_assert_cmpint (sa->srtp_profile, ==, expected);
  g_assert_cmpint (sb->srtp_profile, ==, expected);
  p2p_transport_stats_free (sa);
  p2p_transport_stats_free (sb);
  send_media_and_check (f, &f->a, 50, 3000);
  send_media_and_check (f, &f->b, 50, 4000);
}

static void
test_media_bit_exact (Fixture * f, gconstpointer data)
{
  guint i;

  connect_pair (f);
  /* In bursts of 50, so a loopback socket buffer never overflows: loss is
   * not what this test is about. */
  for (i = 0; i < 10; i++) {
    send_media_and_check (f, &f->a, 50, 10 + i * 50);
    send_media_and_check (f, &f->b, 50, 20000 + i * 50);
  }
}

/* Sends @lists RTP packet lists from @from as a payloader makes them (a
 * run of one size and a shorter last packet, some over the batch size of
 * 64), every third list with sizes that change within it, and checks that
 * every packet arrives intact. */
static void
send_lists_and_check (Fixture * f, Peer * from, guint lists, guint16 seq0)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seq0);
  Expect e = { from->other, 0, 0 };
  guint16 seq = seq0;
  guint l, i;

  g_mutex_lock (&from->other->rx.lock);
  e.rtp = from->other->rx.rtp_received;
  e.rtcp = from->other->rx.rtcp_received;
  g_mutex_unlock (&from->other->rx.lock);

  for (l = 0; l < lists; l++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) packets = g_ptr_array_new_with_free_func
        ((GDestroyNotify) g_bytes_unref);
    const guint8 *data[100];
    gsize sizes[100];
    guint n = g_rand_int_range (rand, 1, 100);
    gsize size = g_rand_int_range (rand, 200, P2P_TRANSPORT_MAX_PACKET + 1);

    for (i = 0; i < n; i++) {
      gsize s = size;

      if (i == n - 1)
        s = g_rand_int_range (rand, 12, size + 1);
      else if (l % 3 == 2)
        s = g_rand_int_range (rand, 12, P2P_TRANSPORT_MAX_PACKET + 1);
      g_ptr_array_add (packets, make_rtp (from, rand, seq++, s));
      data[i] = g_bytes_get_data (g_ptr_array_index (packets, i), &sizes[i]);
    }
    g_assert_true (p2p_transport_send_rtp_list (from->transport, data, sizes,
            n, &error));
    g_assert_no_error (error);
    e.rtp += n;
  }
  g_assert_true (wait_for (f, received_enough, &e, TIMEOUT_MS));
  g_assert_cmpuint (from->other->rx.corrupt, ==, 0);
}

static gboolean
batching (Fixture * f, gpointer data)
{
  return p2p_transport_is_batching (f->a.transport)
      && p2p_transport_is_batching (f->b.transport);
}

static gboolean
batch_receiving (Fixture * f, gpointer data)
{
  return p2p_transport_is_batch_receiving (f->b.transport);
}

/* Packets the batched paths carried: sent in GSO messages or, when
 * @received, read with GRO by the viewer. */
static guint64
batched_count (Peer * peer, gboolean received)
{
  P2pTransportStats *s = p2p_transport_get_stats (peer->transport);
  guint64 n = received ? s->batched_packets_received : s->batched_packets_sent;

  p2p_transport_stats_free (s);
  return n;
}

/* Once ICE settles on the loopback pair, packet lists leave in UDP GSO
 * batches and arrive bit-exact; single packets take the same path. The
 * viewer reads them with UDP GRO (the camera, controlling, leaves its
 * socket to libnice). When the kernel refuses GSO (simulated EIO), that
 * batch and every later one go through libnice instead, still bit-exact. */
static void
test_media_batched (Fixture * f, gconstpointer data)
{
  guint64 before;

  connect_pair (f);
  g_assert_true (wait_for (f, batching, NULL, TIMEOUT_MS));
  g_assert_true (wait_for (f, batch_receiving, NULL, TIMEOUT_MS));
  g_assert_false (p2p_transport_is_batch_receiving (f->a.transport));
  before = batched_count (&f->a, FALSE);
  send_lists_and_check (f, &f->a, 20, 100);
  send_lists_and_check (f, &f->b, 5, 30000);
  send_media_and_check (f, &f->a, 20, 5000);
  g_assert_cmpuint (batched_count (&f->a, FALSE), >, before);
  g_assert_cmpuint (batched_count (&f->b, FALSE), >, 0);
  g_assert_cmpuint (batched_count (&f->b, TRUE), >=, 20 + 20);
  g_assert_cmpuint (batched_count (&f->a, TRUE), ==, 0);

  p2p_transport_fail_next_batch (f->a.transport);
  send_lists_and_check (f, &f->a, 20, 10000);
  g_assert_false (p2p_transport_is_batching (f->a.transport));
  before = batched_count (&f->a, FALSE);
  send_lists_and_check (f, &f->a, 5, 15000);
  send_media_and_check (f, &f->a, 20, 6000);
  g_assert_cmpuint (batched_count (&f->a, FALSE), ==, before);
}

/* A STUN header (RFC 5389) of @type with a random transaction. */
static void
make_stun (guint8 * out, guint16 type)
{
  guint i;

  out[0] = type >> 8;
  out[1] = type & 0xff;
  out[2] = out[3] = 0;
  out[4] = 0x21;
  out[5] = 0x12;
  out[6] = 0xa4;
  out[7] = 0x42;
  for (i = 8; i < 20; i++)
    out[i] = g_random_int_range (0, 256);
}

/* The value of the first "a=NAME:" line of @sdp. */
static gchar *
sdp_attribute (const gchar * sdp, const gchar * name)
{
  g_autofree gchar *key = g_strdup_printf ("a=%s:", name);
  const gchar *start = strstr (sdp, key);

  g_assert_nonnull (start);
  start += strlen (key);
  return g_strndup (start, strcspn (start, "\r\n"));
}

/* Sends an authenticated Binding request (as the camera's agent would, for
 * a new pair) from a socket of the test's own to the viewer's selected
 * address until the answer to that transaction comes back, at most @tries
 * times, a second apart. */
static gboolean
stun_answered (Fixture * f, guint tries)
{
  P2pTransportStats *s = p2p_transport_get_stats (f->b.transport);
  g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GSocketAddress) any = NULL;
  g_autoptr (GSocketAddress) to = NULL;
  const gchar *colon = strrchr (s->local_address, ':');
  g_autofree gchar *ip = g_strndup (s->local_address,
      colon - s->local_address);
  g_autofree gchar *ufrag = sdp_attribute (f->answer, "ice-ufrag");
  g_autofree gchar *pwd = sdp_attribute (f->answer, "ice-pwd");
  g_autofree gchar *username = NULL;
  gboolean answered = FALSE;
  guint i;

  to = g_inet_socket_address_new_from_string (ip, atoi (colon + 1));
  p2p_transport_stats_free (s);
  /* Any remote half will do for the viewer's agent: it checks its own
   * half of USERNAME and the integrity under its password. */
  username = g_strdup_printf ("%s:test", ufrag);
  any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  g_socket_set_timeout (sock, 1);
  for (i = 0; i < tries && !answered; i++) {
    StunAgent agent;
    StunMessage msg;
    guint8 request[STUN_MAX_MESSAGE_SIZE], answer[512];
    gsize size;
    gssize n;

    stun_agent_init (&agent, STUN_ALL_KNOWN_ATTRIBUTES,
        STUN_COMPATIBILITY_RFC5389, STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS
        | STUN_AGENT_USAGE_USE_FINGERPRINT);
    size = stun_usage_ice_conncheck_create (&agent, &msg, request,
        sizeof (request), (const guint8 *) username, strlen (username),
        (const guint8 *) pwd, strlen (pwd), FALSE, TRUE, 0x6e0001ff,
        g_random_int (), NULL, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
    g_assert_cmpuint (size, >, 20);
    g_assert_cmpint (g_socket_send_to (sock, to, (gchar *) request, size,
            NULL, NULL), ==, (gssize) size);
    n = g_socket_receive (sock, (gchar *) answer, sizeof (answer), NULL, NULL);
    answered = n >= 20 && (answer[0] & 0xc0) == 0
        && memcmp (answer + 8, request + 8, 12) == 0;
  }
  return answered;
}

/* STUN keeps reaching libnice: the peer's indications (keepalives) are
 * dropped and the batched path stays; a request (an ICE restart's or a
 * late pair's check, here from another address) hands the socket back to
 * libnice, which answers its retransmission, and media keeps arriving
 * bit-exact through libnice. */
static void
test_batch_receive_stun (Fixture * f, gconstpointer data)
{
  guint8 indication[20];
  guint64 before;

  connect_pair (f);
  g_assert_true (wait_for (f, batch_receiving, NULL, TIMEOUT_MS));
  send_media_and_check (f, &f->a, 10, 100);

  make_stun (indication, 0x0011);
  g_assert_true (p2p_transport_send_raw (f->a.transport, indication,
          sizeof (indication)));
  send_media_and_check (f, &f->a, 10, 200);
  g_assert_true (p2p_transport_is_batch_receiving (f->b.transport));

  g_assert_true (stun_answered (f, 10));
  g_assert_false (p2p_transport_is_batch_receiving (f->b.transport));
  before = batched_count (&f->b, TRUE);
  send_lists_and_check (f, &f->a, 10, 300);
  send_media_and_check (f, &f->a, 20, 2000);
  g_assert_cmpuint (batched_count (&f->b, TRUE), ==, before);
  g_assert_false (p2p_transport_is_batch_receiving (f->b.transport));
}

static void
list_counts (Peer * peer, guint * lists, guint * largest)
{
  g_mutex_lock (&peer->rx.lock);
  *lists = peer->rx.lists;
  *largest = peer->rx.largest_list;
  g_assert_cmpuint (peer->rx.list_out_of_order, ==, 0);
  g_mutex_unlock (&peer->rx.lock);
}

/* With a list callback, what the viewer's batched path reads arrives one
 * read (up to a GRO batch) per call, complete, bit-exact and in order;
 * packets read one at a time (the camera's, and the viewer's once its
 * socket went back to libnice) still go to the media callback. */
static void
test_media_batched_lists (Fixture * f, gconstpointer data)
{
  guint lists, largest, before;

  p2p_transport_set_media_list_callback (f->b.transport, media_list_cb);
  p2p_transport_set_media_list_callback (f->a.transport, media_list_cb);
  connect_pair (f);
  g_assert_true (wait_for (f, batch_receiving, NULL, TIMEOUT_MS));
  send_lists_and_check (f, &f->a, 20, 100);
  send_media_and_check (f, &f->a, 20, 5000);
  list_counts (&f->b, &lists, &largest);
  g_assert_cmpuint (lists, >, 0);
  g_assert_cmpuint (largest, >, 1);
  g_assert_cmpuint (largest, <=, 64);
  /* The camera does not batch-read: all of its packets came one by one. */
  send_lists_and_check (f, &f->b, 5, 30000);
  list_counts (&f->a, &lists, &largest);
  g_assert_cmpuint (lists, ==, 0);

  /* A check from elsewhere hands the socket back to libnice. */
  g_assert_true (stun_answered (f, 10));
  g_assert_false (p2p_transport_is_batch_receiving (f->b.transport));
  list_counts (&f->b, &before, &largest);
  send_lists_and_check (f, &f->a, 10, 40000);
  send_media_and_check (f, &f->a, 20, 50000);
  list_counts (&f->b, &lists, &largest);
  g_assert_cmpuint (lists, ==, before);
}

/* The kernel's default receive buffer, or 0 when it cannot be read. */
static gint
default_receive_buffer (void)
{
  g_autofree gchar *text = NULL;

  if (!g_file_get_contents ("/proc/sys/net/core/rmem_default", &text, NULL,
          NULL))
    return 0;
  return atoi (text);
}

static void
test_socket_buffers (Fixture * f, gconstpointer data)
{
  P2pTransportStats *sa, *sb;
  gint def = default_receive_buffer ();

  /* The selected pair's socket must have more than the kernel's default:
   * the default overflows at a few hundred Mbit/s. The kernel doubles any
   * request, so even where net.core.rmem_max caps it at the default the
   * granted size is larger. */
  connect_pair (f);
  sa = p2p_transport_get_stats (f->a.transport);
  sb = p2p_transport_get_stats (f->b.transport);
  g_test_message ("receive buffer %d / %d bytes (default %d), send %d / %d",
      sa->receive_buffer, sb->receive_buffer, def, sa->send_buffer,
      sb->send_buffer);
  g_assert_cmpint (sa->receive_buffer, >, def);
  g_assert_cmpint (sb->receive_buffer, >, def);
  g_assert_cmpint (sa->send_buffer, >, 0);
  g_assert_cmpint (sb->send_buffer, >, 0);
  p2p_transport_stats_free (sa);
  p2p_transport_stats_free (sb);
}

static void
test_path_mtu (Fixture * f, gconstpointer data)
{
  P2pTransportStats *sa, *sb;

  /* Loopback's MTU (65,536) is far above the cap: a direct UDP pair gets
   * about GStreamer's default payloader size (1,400 less room for header
   * extensions), not the 1,200 bytes TURN needs. */
  connect_pair (f);
  sa = p2p_transport_get_stats (f->a.transport);
  sb = p2p_transport_get_stats (f->b.transport);
  g_test_message ("path MTU %d / %d, payload MTU %d / %d", sa->path_mtu,
      sb->path_mtu, sa->payload_mtu, sb->payload_mtu);
  g_assert_cmpint (sa->path_mtu, >=, 1500);
  g_assert_cmpint (sb->path_mtu, >=, 1500);
  g_assert_cmpint (sa->payload_mtu, ==, P2P_TRANSPORT_MAX_PACKET - 16);
  g_assert_cmpint (sb->payload_mtu, ==, P2P_TRANSPORT_MAX_PACKET - 16);
  p2p_transport_stats_free (sa);
  p2p_transport_stats_free (sb);
  /* Lists of packets of that size (plus the SRTP tag) still leave in GSO
   * messages and arrive intact, the last one of each shorter. */
  send_lists_and_check (f, &f->a, 10, 40000);
}

/* Sends one list of @n RTP packets of @size bytes from @from and checks
 * they all arrive intact. */
static void
send_sized_list_and_check (Fixture * f, Peer * from, guint n, gsize size,
    guint16 seq0)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seq0);
  g_autoptr (GPtrArray) packets = g_ptr_array_new_with_free_func
      ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GError) error = NULL;
  Expect e = { from->other, 0, 0 };
  const guint8 *data[64];
  gsize sizes[64];
  guint i;

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (data));
  g_mutex_lock (&from->other->rx.lock);
  e.rtp = from->other->rx.rtp_received + n;
  e.rtcp = from->other->rx.rtcp_received;
  g_mutex_unlock (&from->other->rx.lock);
  for (i = 0; i < n; i++) {
    g_ptr_array_add (packets, make_rtp (from, rand, seq0 + i, size));
    data[i] = g_bytes_get_data (g_ptr_array_index (packets, i), &sizes[i]);
  }
  g_assert_true (p2p_transport_send_rtp_list (from->transport, data, sizes,
          n, &error));
  g_assert_no_error (error);
  g_assert_true (wait_for (f, received_enough, &e, TIMEOUT_MS));
  g_assert_cmpuint (from->other->rx.corrupt, ==, 0);
}

static gboolean
camera_batching_at (Fixture * f, gpointer data)
{
  gint mtu = 0;

  g_object_get (f->a.transport, "payload-mtu", &mtu, NULL);
  return mtu == GPOINTER_TO_INT (data)
      && p2p_transport_is_batching (f->a.transport);
}

static void
count_notify (GObject * object, GParamSpec * pspec, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

/* The path MTU of a direct pair shrinks mid-call to 1,100 bytes (a link's
 * MTU lowered, or an ICMP; simulated here: the kernel's EINVAL for GSO
 * segments above it, and the figure read afterwards). The batch that hit
 * it arrives through libnice; the camera's payload size drops to what
 * 1,100 bytes carry (notified, in the statistics) and batching resumes
 * for packets of that size, while larger ones (made before, or their
 * retransmissions) still arrive through libnice. A refusal that the path
 * MTU does not explain turns batching off for good, as before. */
static void
test_path_mtu_shrunk (Fixture * f, gconstpointer data)
{
  /* 1,100 less IPv4, UDP, the SRTP tag and room for header extensions. */
  const gint payload = 1100 - 20 - 8 - 16 - 16;
  P2pTransportStats *s;
  guint64 before;
  gint notified = 0;

  connect_pair (f);
  g_assert_true (wait_for (f, batching, NULL, TIMEOUT_MS));
  g_signal_connect (f->a.transport, "notify::payload-mtu",
      G_CALLBACK (count_notify), &notified);
  p2p_transport_shrink_path_mtu (f->a.transport, 1100);
  send_sized_list_and_check (f, &f->a, 20, P2P_TRANSPORT_MAX_PACKET - 8, 100);
  g_assert_true (wait_for (f, camera_batching_at, GINT_TO_POINTER (payload),
          TIMEOUT_MS));
  /* The notification follows the new size on the loop thread. */
  p2p_loop_invoke_sync (f->a.loop, loop_flushed, NULL);
  g_assert_cmpint (g_atomic_int_get (&notified), ==, 1);
  s = p2p_transport_get_stats (f->a.transport);
  g_assert_cmpint (s->path_mtu, ==, 1100);
  g_assert_cmpint (s->payload_mtu, ==, payload);
  p2p_transport_stats_free (s);

  /* A payloader's packets at the new size, with the TWCC extension. */
  before = batched_count (&f->a, FALSE);
  send_sized_list_and_check (f, &f->a, 20, payload + 8, 200);
  g_assert_cmpuint (batched_count (&f->a, FALSE), ==, before + 20);
  send_sized_list_and_check (f, &f->a, 20, P2P_TRANSPORT_MAX_PACKET - 8, 300);
  g_assert_cmpuint (batched_count (&f->a, FALSE), ==, before + 20);
  g_assert_true (p2p_transport_is_batching (f->a.transport));

  /* Refused although the path MTU (read: 1,500) takes the segments. */
  p2p_transport_shrink_path_mtu (f->a.transport, 1500);
  send_sized_list_and_check (f, &f->a, 20, payload, 400);
  p2p_loop_invoke_sync (f->a.loop, loop_flushed, NULL);
  g_assert_false (p2p_transport_is_batching (f->a.transport));
  before = batched_count (&f->a, FALSE);
  send_sized_list_and_check (f, &f->a, 20, payload, 600);
  g_assert_cmpuint (batched_count (&f->a, FALSE), ==, before);
  g_assert_cmpint (g_atomic_int_get (&notified), ==, 1);
  g_signal_handlers_disconnect_by_data (f->a.transport, &notified);
}

/* A path MTU lowered mid-call (by an ICMP "fragmentation needed", which
 * anyone who knows the call's addresses and ports can forge) that the
 * kernel later forgets: the next read of the path MTU raises the payload
 * size and the batched segments again; it used to stay low until the
 * call ended. A read that finds it unchanged notifies nothing. */
static void
test_path_mtu_raised (Fixture * f, gconstpointer data)
{
  const gint low = 1100 - 20 - 8 - 16 - 16;
  P2pTransportStats *s;
  guint64 before;
  gint notified = 0, initial = 0;

  connect_pair (f);
  g_assert_true (wait_for (f, batching, NULL, TIMEOUT_MS));
  g_object_get (f->a.transport, "payload-mtu", &initial, NULL);
  g_assert_cmpint (initial, >, low);
  g_signal_connect (f->a.transport, "notify::payload-mtu",
      G_CALLBACK (count_notify), &notified);
  p2p_transport_shrink_path_mtu (f->a.transport, 1100);
  send_sized_list_and_check (f, &f->a, 20, P2P_TRANSPORT_MAX_PACKET - 8, 100);
  g_assert_true (wait_for (f, camera_batching_at, GINT_TO_POINTER (low),
          TIMEOUT_MS));
  /* The notification follows the new size on the loop thread. */
  p2p_loop_invoke_sync (f->a.loop, loop_flushed, NULL);
  g_assert_cmpint (g_atomic_int_get (&notified), ==, 1);

  /* Still 1,100: nothing changes. */
  p2p_transport_recheck_path_mtu (f->a.transport, 1100);
  p2p_loop_invoke_sync (f->a.loop, loop_flushed, NULL);
  g_assert_cmpint (g_atomic_int_get (&notified), ==, 1);
  /* A read that fails (no descriptor left, a route flapping) is no
   * figure: it used to count as the safe default, above 1,100. */
  p2p_transport_recheck_path_mtu (f->a.transport, -1);
  p2p_loop_invoke_sync (f->a.loop, loop_flushed, NULL);
  g_assert_cmpint (g_atomic_int_get (&notified), ==, 1);
  g_assert_true (camera_batching_at (f, GINT_TO_POINTER (low)));

  /* The kernel's own figure again (loopback's). */
  p2p_transport_recheck_path_mtu (f->a.transport, 0);
  g_assert_true (wait_for (f, camera_batching_at, GINT_TO_POINTER (initial),
          TIMEOUT_MS));
  p2p_loop_invoke_sync (f->a.loop, loop_flushed, NULL);
  g_assert_cmpint (g_atomic_int_get (&notified), ==, 2);
  s = p2p_transport_get_stats (f->a.transport);
  g_assert_cmpint (s->payload_mtu, ==, initial);
  g_assert_cmpint (s->path_mtu, >, 1100);
  p2p_transport_stats_free (s);
  /* Full-size packets are batched again. */
  before = batched_count (&f->a, FALSE);
  send_sized_list_and_check (f, &f->a, 20, P2P_TRANSPORT_MAX_PACKET - 8, 200);
  g_assert_cmpuint (batched_count (&f->a, FALSE), ==, before + 20);
  g_signal_handlers_disconnect_by_data (f->a.transport, &notified);
}

/* Forwards @from's queued candidates to its peer, keeps the other's. */
static void
forward_candidates (Peer * from)
{
  gchar *c;

  while ((c = g_async_queue_try_pop (from->candidates))) {
    p2p_transport_add_remote_candidate (from->other->transport, c, NULL);
    g_free (c);
  }
}

/* @peer's selected remote candidate type and payload size, into @type
 * (NULL while nothing is selected) and @payload_mtu. */
static void
selected_remote (Peer * peer, gchar ** type, gint * payload_mtu)
{
  P2pTransportStats *st = p2p_transport_get_stats (peer->transport);

  g_free (*type);
  *type = g_strdup (st->remote_candidate_type);
  *payload_mtu = st->payload_mtu;
  p2p_transport_stats_free (st);
}

/* With trickle ICE the answerer's first check can reach the offerer before
 * the answerer's candidates do: the offerer learns it as a peer-reflexive
 * candidate and may select that pair, which gets the safe size (through a
 * NAT as far as it knows). Once the candidate arrives as a host candidate,
 * libnice retypes it and selects the pair again, and the pair gets the
 * direct size: a camera on a LAN, which offers, is not left at 1,200 by
 * its viewer's quick checks. */
static void
test_path_mtu_prflx_refreshed (Fixture * f, gconstpointer data)
{
  g_autofree gchar *type = NULL;
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  gint mtu = 0;

  negotiate (f, NULL);
  /* Only the offerer's candidates go over: the offerer learns the
   * answerer from its checks. */
  while (g_get_monotonic_time () < deadline) {
    forward_candidates (&f->a);
    selected_remote (&f->a, &type, &mtu);
    if (type)
      break;
    g_usleep (2000);
  }
  g_assert_cmpstr (type, ==, "prflx");
  g_assert_cmpint (mtu, ==, P2P_TRANSPORT_SAFE_PAYLOAD_MTU);

  forward_candidates (&f->b);
  deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  while (g_get_monotonic_time () < deadline) {
    forward_candidates (&f->a);
    forward_candidates (&f->b);
    selected_remote (&f->a, &type, &mtu);
    if (mtu != P2P_TRANSPORT_SAFE_PAYLOAD_MTU)
      break;
    g_usleep (2000);
  }
  g_assert_cmpstr (type, ==, "host");
  g_assert_cmpint (mtu, ==, P2P_TRANSPORT_MAX_PACKET - 16);
}

typedef struct
{
  Peer *peer;
  guint count;
} MessageCount;

static gboolean
messages_arrived (Fixture * f, gpointer data)
{
  MessageCount *mc = data;
  gboolean done;

  g_mutex_lock (&mc->peer->rx.lock);
  done = mc->peer->rx.messages->len >= mc->count;
  g_mutex_unlock (&mc->peer->rx.lock);
  return done;
}

static GBytes *
make_message (GRand * rand, guint index)
{
  /* Mostly small control messages, some spanning many chunks. */
  gsize size = g_rand_int_range (rand, 0, 10) == 0 ?
      g_rand_int_range (rand, 0, P2P_TRANSPORT_MAX_MESSAGE + 1) :
      g_rand_int_range (rand, 0, 2000);
  guint8 *p = g_malloc (size + 4);
  gsize i;

  p[0] = index >> 24;
  p[1] = index >> 16;
  p[2] = index >> 8;
  p[3] = index;
  for (i = 4; i < size + 4; i++)
    p[i] = g_rand_int (rand);
  return g_bytes_new_take (p, MIN (size + 4, P2P_TRANSPORT_MAX_MESSAGE));
}

static void
exchange_messages (Fixture * f, guint count, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GRand) check = g_rand_new_with_seed (seed);
  MessageCount mc = { &f->b, count };
  guint sent = 0, i;

  while (sent < count) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) msg = make_message (rand, sent);

    if (!p2p_transport_send_message (f->a.transport, msg, &error)) {
      /* Window full: let the peer acknowledge, then retry the same one. */
      MessageCount some = { &f->b, f->b.rx.messages->len + 1 };

      g_assert_error (error, P2P_TRANSPORT_ERROR,
          P2P_TRANSPORT_ERROR_WOULD_BLOCK);
      g_rand_free (rand);
      rand = g_rand_new_with_seed (seed);
      for (i = 0; i < sent; i++)
        g_bytes_unref (make_message (rand, i));
      g_assert_true (wait_for (f, messages_arrived, &some, TIMEOUT_MS));
      continue;
    }
    sent++;
  }
  g_assert_true (wait_for (f, messages_arrived, &mc, TIMEOUT_MS * 3));
  g_assert_cmpuint (f->b.rx.messages->len, ==, count);
  for (i = 0; i < count; i++) {
    g_autoptr (GBytes) expected = make_message (check, i);

    g_assert_true (g_bytes_equal (expected,
            g_ptr_array_index (f->b.rx.messages, i)));
  }
}

static gboolean
parked (Fixture * f, gpointer data)
{
  return p2p_loop_get_n_parked (f->a.loop) > 0
      && p2p_loop_get_n_parked (f->b.loop) > 0;
}

/* Once ICE settles on the loopback UDP pair, the ICE-TCP listeners (the
 * only other sockets here) leave the loops' polls, and media, messages
 * (DTLS on the selected socket) and the consent pings go on. */
static void
test_unselected_parked (Fixture * f, gconstpointer data)
{
  connect_pair (f);
  g_assert_true (wait_for (f, batching, NULL, TIMEOUT_MS));
  g_assert_true (wait_for (f, parked, NULL, TIMEOUT_MS));
  g_test_message ("parked %u / %u", p2p_loop_get_n_parked (f->a.loop),
      p2p_loop_get_n_parked (f->b.loop));
  send_media_and_check (f, &f->a, 20, 100);
  send_media_and_check (f, &f->b, 20, 200);
  exchange_messages (f, 50, 7);
  g_assert_cmpint (p2p_transport_get_state (f->a.transport), ==,
      P2P_TRANSPORT_STATE_CONNECTED);
  g_assert_cmpint (p2p_transport_get_state (f->b.transport), ==,
      P2P_TRANSPORT_STATE_CONNECTED);
}

static void
test_channel_messages (Fixture * f, gconstpointer data)
{
  P2pTransportStats *stats;

  connect_pair (f);
  exchange_messages (f, 1000, 42);

  stats = p2p_transport_get_stats (f->a.transport);
  g_assert_cmpuint (stats->messages_sent, ==, 1000);
  g_assert_cmpint (stats->rtt_ms, >=, 0);
  p2p_transport_stats_free (stats);
}

static void
test_channel_limits (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) big = NULL;

  big = g_bytes_new_take (g_malloc0 (P2P_TRANSPORT_MAX_MESSAGE + 1),
      P2P_TRANSPORT_MAX_MESSAGE + 1);
  g_assert_false (p2p_transport_send_message (f->a.transport, big, &error));
  g_assert_error (error, P2P_TRANSPORT_ERROR,
      P2P_TRANSPORT_ERROR_INVALID_STATE);
  g_clear_error (&error);

  connect_pair (f);
  g_assert_false (p2p_transport_send_message (f->a.transport, big, &error));
  g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_TOO_LARGE);
}

static void
test_exporter (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) a = NULL;
  g_autoptr (GBytes) b = NULL;
  g_autoptr (GBytes) other = NULL;

  g_assert_null (p2p_transport_export_keying_material (f->a.transport,
          "EXPORTER-test", 32, &error));
  g_assert_error (error, P2P_TRANSPORT_ERROR,
      P2P_TRANSPORT_ERROR_INVALID_STATE);
  g_clear_error (&error);

  connect_pair (f);
  /* Both ends of one session agree; another label gives other bytes. */
  a = p2p_transport_export_keying_material (f->a.transport, "EXPORTER-test",
      32, &error);
  g_assert_no_error (error);
  b = p2p_transport_export_keying_material (f->b.transport, "EXPORTER-test",
      32, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (a), ==, 32);
  g_assert_true (g_bytes_equal (a, b));
  other = p2p_transport_export_keying_material (f->a.transport,
      "EXPORTER-other", 32, &error);
  g_assert_no_error (error);
  g_assert_false (g_bytes_equal (a, other));

  /* The SRTP keys stay out of reach, and so do absurd lengths. */
  g_assert_null (p2p_transport_export_keying_material (f->a.transport,
          "EXTRACTOR-dtls_srtp", 32, &error));
  g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (p2p_transport_export_keying_material (f->a.transport,
          "EXPORTER-test", P2P_TRANSPORT_MAX_EXPORT + 1, &error));
  g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_FAILED);
}

/* The viewer login over real DTLS sessions. */

#define AUTH_UID "7KQ2-M9XD-4HPA-R3WV"
#define AUTH_PASSWORD "correct horse battery staple"

static P2pViewerAuth *
auth_side (Peer * peer, P2pPasswordVerifier * verifier, gboolean camera)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) exporter = NULL;

  exporter = p2p_transport_export_keying_material (peer->transport,
      P2P_VIEWER_AUTH_EXPORTER_LABEL, P2P_VIEWER_AUTH_EXPORTER_SIZE, &error);
  g_assert_no_error (error);
  return camera ? p2p_viewer_auth_new_camera (AUTH_UID, verifier, exporter)
      : p2p_viewer_auth_new_viewer (AUTH_UID, AUTH_PASSWORD, exporter);
}

static void
send_or_die (Peer * peer, GBytes * message)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (p2p_transport_send_message (peer->transport, message, &error));
  g_assert_no_error (error);
}

/* The next message @peer received, waiting at most the time-out. */
static GBytes *
next_message (Fixture * f, Peer * peer, guint * read)
{
  MessageCount mc = { peer, *read + 1 };
  GBytes *message;

  if (!wait_for (f, messages_arrived, &mc, TIMEOUT_MS))
    return NULL;
  g_mutex_lock (&peer->rx.lock);
  message = g_bytes_ref (g_ptr_array_index (peer->rx.messages, (*read)++));
  g_mutex_unlock (&peer->rx.lock);
  return message;
}

static gboolean
contains (GBytes * haystack, const guint8 * needle, gsize size)
{
  gsize n = 0;
  const guint8 *d = g_bytes_get_data (haystack, &n);

  for (gsize i = 0; i + size <= n; i++)
    if (memcmp (d + i, needle, size) == 0)
      return TRUE;
  return FALSE;
}

/* What a relay must never see: the password, or w0 or w1 raw or in base64
 * (L and the salt are public to anyone the camera talks to). */
static void
assert_no_secret (GBytes * seen, const P2pPasswordVerifier * v)
{
  guint8 w0[32], w1[32];
  g_autofree gchar *w0_b64 = NULL;
  g_autofree gchar *w1_b64 = NULL;

  g_assert_true (p2p_password_derive (AUTH_PASSWORD, v->salt, v->salt_size,
          v->iterations, w0, w1, NULL));
  w0_b64 = g_base64_encode (w0, 32);
  w1_b64 = g_base64_encode (w1, 32);
  g_assert_false (contains (seen, (const guint8 *) AUTH_PASSWORD,
          strlen (AUTH_PASSWORD)));
  g_assert_false (contains (seen, w0, 32));
  g_assert_false (contains (seen, w1, 32));
  g_assert_false (contains (seen, (const guint8 *) w0_b64, 43));
  g_assert_false (contains (seen, (const guint8 *) w1_b64, 43));
}

static void
test_viewer_auth_direct (Fixture * f, gconstpointer data)
{
  g_autoptr (P2pPasswordVerifier) v = p2p_password_verifier_new
      (AUTH_PASSWORD, 1000, NULL);
  g_autoptr (P2pViewerAuth) camera = NULL;
  g_autoptr (P2pViewerAuth) viewer = NULL;
  g_autoptr (GBytes) msg = NULL;
  guint read_a = 0, read_b = 0;

  connect_pair (f);
  camera = auth_side (&f->a, v, TRUE);
  viewer = auth_side (&f->b, NULL, FALSE);

  /* params → share → share + confirmV → confirmP → ok, alternating */
  msg = p2p_viewer_auth_start (camera);
  for (gboolean to_viewer = TRUE; msg; to_viewer = !to_viewer) {
    g_autoptr (GBytes) in = NULL;
    g_autoptr (GError) error = NULL;
    GBytes *reply = NULL;

    send_or_die (to_viewer ? &f->a : &f->b, msg);
    g_clear_pointer (&msg, g_bytes_unref);
    in = next_message (f, to_viewer ? &f->b : &f->a,
        to_viewer ? &read_b : &read_a);
    g_assert_nonnull (in);
    g_assert_true (p2p_viewer_auth_receive (to_viewer ? viewer : camera, in,
            &reply, &error));
    g_assert_no_error (error);
    if (reply == NULL && !to_viewer)
      reply = p2p_viewer_auth_accept (camera);
    msg = reply;
  }
  g_assert_cmpint (p2p_viewer_auth_get_state (camera), ==,
      P2P_VIEWER_AUTH_STATE_ACCEPTED);
  g_assert_cmpint (p2p_viewer_auth_get_state (viewer), ==,
      P2P_VIEWER_AUTH_STATE_ACCEPTED);
}

/* A server that terminates both DTLS sessions (the viewer's, as a fake
 * camera, and the camera's, as a fake viewer) and relays the login
 * messages between them unchanged: what a compromised rendezvous server
 * can do to a viewer that has no pinned fingerprint. The viewer must
 * refuse, the camera must not let the relay in, and nothing the relay
 * sees may be derived from the password. */
#define FORGED_CONFIRM "{\"type\":\"auth-confirm\",\"confirm\":" \
  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}"

static void
test_viewer_auth_relay (Fixture * f, gconstpointer data)
{
  Fixture camera_side = { 0 };
  g_autoptr (P2pPasswordVerifier) v = p2p_password_verifier_new
      (AUTH_PASSWORD, 1000, NULL);
  g_autoptr (P2pViewerAuth) camera = NULL;
  g_autoptr (P2pViewerAuth) viewer = NULL;
  g_autoptr (GError) viewer_error = NULL;
  g_autoptr (GError) camera_error = NULL;
  g_autoptr (GBytes) params = NULL;
  g_autoptr (GBytes) share = NULL;
  g_autoptr (GBytes) verify = NULL;
  g_autoptr (GBytes) in = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GBytes) forged = NULL;
  /* f: a = relay posing as the camera, b = the real viewer.
   * camera_side: a = the real camera, b = relay posing as a viewer. */
  Peer *viewer_peer = &f->b, *relay_to_viewer = &f->a;
  Peer *camera_peer, *relay_to_camera;
  guint read_viewer = 0, read_relay_v = 0, read_relay_c = 0, read_camera = 0;

  fixture_setup (&camera_side, NULL);
  camera_peer = &camera_side.a;
  relay_to_camera = &camera_side.b;
  connect_pair (f);
  connect_pair (&camera_side);

  camera = auth_side (camera_peer, v, TRUE);
  viewer = auth_side (viewer_peer, NULL, FALSE);

  /* camera → relay → viewer: the parameters */
  params = p2p_viewer_auth_start (camera);
  send_or_die (camera_peer, params);
  in = next_message (&camera_side, relay_to_camera, &read_relay_c);
  g_assert_nonnull (in);
  assert_no_secret (in, v);
  send_or_die (relay_to_viewer, in);
  g_clear_pointer (&in, g_bytes_unref);
  in = next_message (f, viewer_peer, &read_viewer);
  g_assert_nonnull (in);
  g_assert_true (p2p_viewer_auth_receive (viewer, in, &share, &viewer_error));
  g_assert_no_error (viewer_error);
  g_clear_pointer (&in, g_bytes_unref);

  /* viewer → relay → camera: the viewer's share */
  send_or_die (viewer_peer, share);
  in = next_message (f, relay_to_viewer, &read_relay_v);
  g_assert_nonnull (in);
  assert_no_secret (in, v);
  send_or_die (relay_to_camera, in);
  g_clear_pointer (&in, g_bytes_unref);
  in = next_message (&camera_side, camera_peer, &read_camera);
  g_assert_nonnull (in);
  g_assert_true (p2p_viewer_auth_receive (camera, in, &verify, &camera_error));
  g_assert_no_error (camera_error);
  g_clear_pointer (&in, g_bytes_unref);

  /* camera → relay → viewer: the camera's proof, for the wrong session */
  send_or_die (camera_peer, verify);
  in = next_message (&camera_side, relay_to_camera, &read_relay_c);
  g_assert_nonnull (in);
  assert_no_secret (in, v);
  send_or_die (relay_to_viewer, in);
  g_clear_pointer (&in, g_bytes_unref);
  in = next_message (f, viewer_peer, &read_viewer);
  g_assert_nonnull (in);
  g_assert_false (p2p_viewer_auth_receive (viewer, in, &reply, &viewer_error));
  g_assert_error (viewer_error, P2P_VIEWER_AUTH_ERROR,
      P2P_VIEWER_AUTH_ERROR_CAMERA_NOT_PROVEN);
  g_assert_null (reply);
  g_assert_cmpint (p2p_viewer_auth_get_state (viewer), ==,
      P2P_VIEWER_AUTH_STATE_REFUSED);

  /* The viewer sends no confirmation, so the relay can only make one up:
   * the camera refuses it, and counts the attempt. */
  forged = g_bytes_new_static (FORGED_CONFIRM, strlen (FORGED_CONFIRM));
  send_or_die (relay_to_camera, forged);
  g_clear_pointer (&in, g_bytes_unref);
  in = next_message (&camera_side, camera_peer, &read_camera);
  g_assert_nonnull (in);
  g_assert_false (p2p_viewer_auth_receive (camera, in, &reply, &camera_error));
  g_assert_error (camera_error, P2P_VIEWER_AUTH_ERROR,
      P2P_VIEWER_AUTH_ERROR_WRONG_PASSWORD);
  g_assert_cmpint (p2p_viewer_auth_get_state (camera), ==,
      P2P_VIEWER_AUTH_STATE_REFUSED);
  g_assert_true (p2p_viewer_auth_get_attempted (camera));
  g_assert_null (p2p_viewer_auth_accept (camera));

  fixture_teardown (&camera_side, NULL);
}

static const gchar *
alter_fingerprint (const gchar * offer)
{
  GString *s = g_string_new (offer);
  gchar *p = s->str;

  /* Flip one hex digit of every fingerprint copy in the offer. */
  while ((p = strstr (p, "a=fingerprint:sha-256 "))) {
    p += strlen ("a=fingerprint:sha-256 ");
    *p = *p == 'A' ? 'B' : 'A';
  }
  return g_string_free (s, FALSE);
}

static void
assert_fails_without_media (Fixture * f, gint b_code)
{
  g_autoptr (GError) ea = NULL;
  g_autoptr (GError) eb = NULL;
  g_autoptr (GError) error = NULL;
  guint8 rtp[12] = { 0x80, 96 };

  g_assert_true (wait_for (f, both_failed, NULL, TIMEOUT_MS));
  g_assert_cmpint (p2p_transport_get_state (f->a.transport), ==,
      P2P_TRANSPORT_STATE_FAILED);
  g_assert_cmpint (p2p_transport_get_state (f->b.transport), ==,
      P2P_TRANSPORT_STATE_FAILED);
  eb = p2p_transport_get_error (f->b.transport);
  g_assert_error (eb, P2P_TRANSPORT_ERROR, b_code);
  ea = p2p_transport_get_error (f->a.transport);
  g_assert_nonnull (ea);
  g_test_message ("camera: %s / viewer: %s", ea->message, eb->message);

  g_assert_false (p2p_transport_send_rtp (f->a.transport, rtp, sizeof (rtp),
          &error));
  g_assert_error (error, P2P_TRANSPORT_ERROR,
      P2P_TRANSPORT_ERROR_INVALID_STATE);
  g_assert_cmpuint (f->a.rx.rtp_received + f->b.rx.rtp_received, ==, 0);
}

static void
test_fingerprint_altered (Fixture * f, gconstpointer data)
{
  negotiate (f, alter_fingerprint);
  assert_fails_without_media (f, P2P_TRANSPORT_ERROR_FINGERPRINT_MISMATCH);
}

static void
test_fingerprint_expected (Fixture * f, gconstpointer data)
{
  g_autoptr (P2pIdentity) other = p2p_identity_generate
      (P2P_KEY_TYPE_ECDSA_P256, "CAM", 1, NULL);

  /* The viewer pins the camera's registered fingerprint; the camera shows
   * another certificate (what a man in the middle would do). */
  p2p_transport_set_expected_fingerprint (f->b.transport,
      p2p_identity_get_fingerprint (other));
  negotiate (f, NULL);
  assert_fails_without_media (f, P2P_TRANSPORT_ERROR_FINGERPRINT_MISMATCH);
}

static void
test_fingerprint_expected_match (Fixture * f, gconstpointer data)
{
  P2pIdentity *camera = NULL;

  g_object_get (f->a.transport, "identity", &camera, NULL);
  g_object_set (f->b.transport, "expected-fingerprint",
      p2p_identity_get_fingerprint (camera), NULL);
  g_object_unref (camera);
  connect_pair (f);
  send_media_and_check (f, &f->a, 10, 7);
}

static void
test_demux_garbage (Fixture * f, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7983);
  P2pTransportStats *stats;
  guint8 buf[1500];
  guint i, j;

  connect_pair (f);

  for (i = 0; i < 2000; i++) {
    gsize size = g_rand_int_range (rand, 1, sizeof (buf));

    for (j = 0; j < size; j++)
      buf[j] = g_rand_int (rand);
    switch (i % 5) {
      case 0:                  /* random bytes, random first byte */
        break;
      case 1:                  /* truncated DTLS record header */
        buf[0] = 23;
        size = g_rand_int_range (rand, 1, 13);
        break;
      case 2:                  /* DTLS record whose length overruns */
        buf[0] = 23;
        buf[11] = 0xff;
        buf[12] = 0xff;
        size = MIN (size, 200);
        break;
      case 3:                  /* RTP claiming more CSRCs than it has */
        buf[0] = 0x8f;
        buf[1] = 96;
        size = g_rand_int_range (rand, 2, 70);
        break;
      case 4:                  /* well-formed RTP, forged SRTP tag */
        buf[0] = 0x80;
        buf[1] = 96;
        size = MAX (size, 40);
        break;
    }
    p2p_transport_send_raw (f->a.transport, buf, size);
    /* Paced by a round trip every 100 packets so the garbage is not lost
     * to a full loopback socket buffer before the peer sees it. */
    if (i % 100 == 99)
      send_media_and_check (f, &f->a, 1, 30000 + i);
  }

  /* The session survives: media and messages still go through intact. */
  send_media_and_check (f, &f->a, 50, 40000);
  exchange_messages (f, 20, 9);

  stats = p2p_transport_get_stats (f->b.transport);
  g_test_message ("dropped: %" G_GUINT64_FORMAT " malformed, %"
      G_GUINT64_FORMAT " SRTP", stats->dropped_malformed, stats->dropped_srtp);
  g_assert_cmpuint (stats->dropped_malformed, >, 0);
  g_assert_cmpuint (stats->dropped_srtp, >=, 400);
  g_assert_cmpint (stats->state, ==, P2P_TRANSPORT_STATE_CONNECTED);
  p2p_transport_stats_free (stats);
}

/* One RTP packet from @from, once it arrived: datagrams on one loopback
 * socket arrive in order, so everything sent before has been read. */
static void
flush_path (Fixture * f, Peer * from, guint16 seq)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seq);
  g_autoptr (GBytes) rtp = make_rtp (from, rand, seq, 100);
  Expect e = { from->other, 0, 0 };

  g_mutex_lock (&from->other->rx.lock);
  e.rtp = from->other->rx.rtp_received + 1;
  g_mutex_unlock (&from->other->rx.lock);
  g_assert_true (p2p_transport_send_rtp (from->transport,
          g_bytes_get_data (rtp, NULL), g_bytes_get_size (rtp), NULL));
  g_assert_true (wait_for (f, received_enough, &e, TIMEOUT_MS));
}

#define FLOOD_PACKETS 2000
#define FLOOD_SIZE 1000

/* Sends FLOOD_PACKETS forged SRTCP packets of FLOOD_SIZE bytes from @from,
 * well-formed up to the tag (an SR or RR header whose length fits, an
 * index with the E bit), half under @ssrc, half under random SSRCs when
 * @ssrc is 0; every 100, an RTP packet (numbered from @seq0) and, with
 * @real_rtcp, a real receiver report that must arrive. Returns the SRTCP packets the peer tried to decrypt meanwhile
 * and, in @max, what its limits allow over the time it took. */
static guint64
flood_rtcp (Fixture * f, Peer * from, guint32 ssrc, gboolean real_rtcp,
    guint16 seq0, guint64 * max)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (ssrc + 1);
  P2pTransportStats *before, *after;
  guint8 buf[FLOOD_SIZE];
  gint64 start = g_get_monotonic_time ();
  gdouble seconds;
  guint64 tried, rate_bytes;
  guint i, j;

  before = p2p_transport_get_stats (from->other->transport);
  for (i = 0; i < FLOOD_PACKETS; i++) {
    guint32 s = ssrc ? ssrc : g_rand_int (rand);
    guint words = g_rand_int_range (rand, 1, (FLOOD_SIZE - 20) / 4);

    for (j = 0; j < sizeof (buf); j++)
      buf[j] = g_rand_int (rand);
    buf[0] = 0x80;
    buf[1] = i % 2 ? 200 : 201;
    buf[2] = words >> 8;
    buf[3] = words & 0xff;
    buf[4] = s >> 24;
    buf[5] = s >> 16;
    buf[6] = s >> 8;
    buf[7] = s;
    buf[FLOOD_SIZE - 14] |= 0x80;
    buf[FLOOD_SIZE - 20] |= 0x80;
    p2p_transport_send_raw (from->transport, buf, sizeof (buf));
    if (i % 100 == 99) {
      if (real_rtcp)
        send_media_and_check (f, from, 1, seq0 + i);
      else
        flush_path (f, from, seq0 + i);
    }
  }
  seconds = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
  after = p2p_transport_get_stats (from->other->transport);
  /* Only RTCP is sent, and the real reports authenticate. */
  tried = after->dropped_srtp - before->dropped_srtp
      + after->rtcp_packets_received - before->rtcp_packets_received;
  rate_bytes = ssrc ? P2P_RTCP_LIMIT_BYTES : P2P_RTCP_LIMIT_NEW_BYTES;
  *max = (guint64) ((1 + seconds) * rate_bytes / FLOOD_SIZE) + 1
      + (real_rtcp ? FLOOD_PACKETS / 100 : 0);
  g_test_message ("flood of %u under %s in %.2f s: %" G_GUINT64_FORMAT
      " decrypted (at most %" G_GUINT64_FORMAT "), %" G_GUINT64_FORMAT
      " dropped before", FLOOD_PACKETS, ssrc ? "a known SSRC" : "random SSRCs",
      seconds, tried, *max, after->rtcp_dropped - before->rtcp_dropped);
  g_assert_cmpuint (after->rtcp_dropped, >, before->rtcp_dropped);
  g_assert_cmpint (after->state, ==, P2P_TRANSPORT_STATE_CONNECTED);
  p2p_transport_stats_free (before);
  p2p_transport_stats_free (after);
  return tried;
}

static gboolean
one_rtcp_arrived (Fixture * f, gpointer data)
{
  Expect *e = data;
  gboolean done;

  g_mutex_lock (&e->peer->rx.lock);
  done = e->peer->rx.rtcp_received >= e->rtcp;
  g_mutex_unlock (&e->peer->rx.lock);
  return done;
}

/* A viewer's (or anyone's on the path) flood of SRTCP costs the camera at
 * most its limits' worth of decryption; forgeries under made-up SSRCs do
 * not crowd out the viewer's real reports, and once a flood under its
 * real SSRC stops, they go through again. The camera's SRTCP to a viewer
 * goes through the same code. */
static void
test_rtcp_flood (Fixture * f, gconstpointer data)
{
  guint8 rr[8] = { 0x80, 201, 0, 1, 0x5a, 0x5a, 0x5a, 0x5a };
  Expect e = { &f->a, 0, 0 };
  guint64 tried, max;
  guint i;

  connect_pair (f);
  /* The viewer's SSRC authenticates at the camera. */
  send_media_and_check (f, &f->b, 5, 100);

  tried = flood_rtcp (f, &f->b, 0, TRUE, 0x1000, &max);
  g_assert_cmpuint (tried, <=, max);
  tried = flood_rtcp (f, &f->b, 0x5a5a5a5a, FALSE, 0x2000, &max);
  g_assert_cmpuint (tried, <=, max);

  /* The bucket refills: of reports a tenth of a second apart, one arrives
   * soon. */
  for (i = 0; i < 200; i++) {
    g_mutex_lock (&f->a.rx.lock);
    e.rtcp = f->a.rx.rtcp_received + 1;
    g_mutex_unlock (&f->a.rx.lock);
    g_assert_true (p2p_transport_send_rtcp (f->b.transport, rr, sizeof (rr),
            NULL));
    if (wait_for (f, one_rtcp_arrived, &e, 100))
      break;
  }
  g_assert_cmpuint (i, <, 200);
}

static void
test_dtls_loss (Fixture * f, gconstpointer data)
{
  gint64 start = g_get_monotonic_time ();

  /* 20 % of everything both peers receive after ICE (DTLS flights,
   * media, message chunks) is dropped. */
  p2p_transport_set_receive_loss (f->a.transport, 20, 1);
  p2p_transport_set_receive_loss (f->b.transport, 20, 2);
  connect_pair (f);
  g_test_message ("connected with 20%% loss in %.0f ms",
      (g_get_monotonic_time () - start) / 1000.0);
  /* The reliable channel must hide the loss completely. */
  exchange_messages (f, 200, 77);
}

static void
test_sdp_malformed (Fixture * f, gconstpointer data)
{
  const gchar *bad[] = {
    "",
    "hello",
    "v=0\r\n",
    "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" "a=setup:actpass\r\n",     /* no fingerprint */
    "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "a=ice-ufrag:a b\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
        "a=setup:actpass\r\na=fingerprint:sha-256 00\r\n",
    "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
        "a=setup:sideways\r\na=fingerprint:sha-1 00:11\r\n",
  };
  g_autofree gchar *huge = g_strnfill (70000, 'v');
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (p2p_transport_set_remote_description (f->b.transport,
            bad[i], &error));
    g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_SDP);
    g_test_message ("%s", error->message);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (p2p_transport_set_remote_description (f->b.transport,
            huge, &error));
    g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_SDP);
  }
  /* Answer before offer, offer from the answering side. */
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (p2p_transport_create_answer (f->b.transport, NULL, &error));
    g_assert_error (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_INVALID_STATE);
    g_clear_error (&error);
    g_assert_null (p2p_transport_create_offer (f->b.transport, NULL, &error));
    g_assert_error (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_INVALID_STATE);
  }
  /* Nothing was disturbed: the real exchange still works. */
  connect_pair (f);
  send_media_and_check (f, &f->a, 10, 50);
}

static void
test_candidate_malformed (Fixture * f, gconstpointer data)
{
  const gchar *bad[] = {
    "candidate:",
    "candidate:1 1 UDP 2122252543 127.0.0.1",
    "hello",
    "candidate:1 1 UDP 2122252543 127.0.0.1 4000 type host",
    "candidate:1 1 UDP 2122252543 not-an-ip 4000 typ host",
  };
  guint i;

  negotiate (f, NULL);
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (p2p_transport_add_remote_candidate (f->b.transport,
            bad[i], &error));
    g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_CANDIDATE);
  }
  g_assert_true (wait_for (f, both_final_or_connected, NULL, TIMEOUT_MS));
  g_assert_cmpint (p2p_transport_get_state (f->b.transport), ==,
      P2P_TRANSPORT_STATE_CONNECTED);
}

static gboolean
b_closed (Fixture * f, gpointer data)
{
  return p2p_transport_get_state (f->b.transport) == P2P_TRANSPORT_STATE_CLOSED;
}

static void
test_close (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  connect_pair (f);
  p2p_transport_close (f->a.transport);
  g_assert_cmpint (p2p_transport_get_state (f->a.transport), ==,
      P2P_TRANSPORT_STATE_CLOSED);
  /* close_notify reaches the peer long before consent would expire. */
  g_assert_true (wait_for (f, b_closed, NULL, 5000));
  error = p2p_transport_get_error (f->b.transport);
  g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_CLOSED);
}

static gboolean
can_send (Fixture * f, gpointer data)
{
  Peer *peer = data;
  /* RTCP with no reports: harmless to the receiver's checks. */
  guint8 rr[8] = { 0x80, 201, 0, 1 };

  g_autoptr (GError) error = NULL;
  gboolean ok = p2p_transport_send_rtcp (peer->transport, rr, sizeof (rr),
      &error);

  if (error)
    g_test_message ("not yet: %s", error->message);
  return ok;
}

static gboolean
checks_idle_briefly (Fixture * f, gpointer data)
{
  guint settled = GPOINTER_TO_UINT (data);

  return p2p_transport_get_check_grace (f->a.transport) == settled
      && p2p_transport_get_check_grace (f->b.transport) == settled;
}

/* Once ICE is done, libnice's check timer stops 50 ms after its last
 * check instead of ticking every 10 ms for its default 5 s; an ICE
 * restart gives the new checks the default grace again. */
static void
test_check_grace (Fixture * f, gconstpointer data)
{
  guint initial = p2p_transport_get_check_grace (f->a.transport);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;

  g_assert_cmpuint (initial, >, 50);
  g_assert_cmpuint (p2p_transport_get_check_grace (f->b.transport), ==,
      initial);
  connect_pair (f);
  g_assert_true (wait_for (f, checks_idle_briefly, GUINT_TO_POINTER (50),
          TIMEOUT_MS));

  g_assert_true (p2p_transport_restart_ice (f->a.transport, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (p2p_transport_get_check_grace (f->a.transport), ==,
      initial);
  offer = p2p_transport_create_offer (f->a.transport, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_transport_set_remote_description (f->b.transport, offer,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (p2p_transport_get_check_grace (f->b.transport), ==,
      initial);
}

static void
test_ice_restart (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *answer = NULL;
  guint64 sent_a, sent_b, received;

  connect_pair (f);
  send_media_and_check (f, &f->a, 10, 100);
  g_assert_true (wait_for (f, batching, NULL, TIMEOUT_MS));
  g_assert_true (wait_for (f, parked, NULL, TIMEOUT_MS));
  g_assert_true (wait_for (f, batch_receiving, NULL, TIMEOUT_MS));

  /* New ICE credentials and checks; DTLS and SRTP carry on. The batched
   * path waits for the new checks to settle: the pair may change. The
   * sockets the old pair did not use are polled again: the new checks
   * may need them. */
  g_assert_true (p2p_transport_restart_ice (f->a.transport, &error));
  g_assert_no_error (error);
  g_assert_false (p2p_transport_is_batching (f->a.transport));
  g_assert_cmpuint (p2p_loop_get_n_parked (f->a.loop), ==, 0);
  offer = p2p_transport_create_offer (f->a.transport, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_transport_set_remote_description (f->b.transport, offer,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (p2p_loop_get_n_parked (f->b.loop), ==, 0);
  /* The viewer reads through libnice again, which sees the new checks. */
  g_assert_false (p2p_transport_is_batch_receiving (f->b.transport));
  answer = p2p_transport_create_answer (f->b.transport, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (p2p_transport_set_remote_description (f->a.transport,
          answer, &error));
  g_assert_no_error (error);

  /* Until the new checks succeed, libnice has no pair to send on. */
  g_assert_true (wait_for (f, can_send, &f->a, TIMEOUT_MS));
  g_assert_true (wait_for (f, can_send, &f->b, TIMEOUT_MS));
  send_media_and_check (f, &f->a, 10, 200);
  send_media_and_check (f, &f->b, 10, 300);
  g_assert_cmpint (p2p_transport_get_state (f->a.transport), ==,
      P2P_TRANSPORT_STATE_CONNECTED);
  /* Lists arrive intact whichever path they take meanwhile. */
  send_lists_and_check (f, &f->a, 5, 400);

  /* Once the restarted session has settled on its pair (libnice 0.1.21
   * never reports READY again: the pair unchanged for a while), the
   * batched paths and the parking are back, and media through them is
   * bit-exact both ways. */
  g_assert_true (wait_for (f, batching, NULL, TIMEOUT_MS));
  g_assert_true (wait_for (f, batch_receiving, NULL, TIMEOUT_MS));
  g_assert_true (wait_for (f, parked, NULL, TIMEOUT_MS));
  sent_a = batched_count (&f->a, FALSE);
  sent_b = batched_count (&f->b, FALSE);
  received = batched_count (&f->b, TRUE);
  send_lists_and_check (f, &f->a, 10, 1000);
  send_lists_and_check (f, &f->b, 5, 2000);
  send_media_and_check (f, &f->a, 20, 3000);
  send_media_and_check (f, &f->b, 20, 3100);
  g_assert_cmpuint (batched_count (&f->a, FALSE), >, sent_a);
  g_assert_cmpuint (batched_count (&f->b, FALSE), >, sent_b);
  g_assert_cmpuint (batched_count (&f->b, TRUE), >=, received + 20);
  g_assert_true (p2p_transport_is_batching (f->a.transport));

  /* Restarting is the offerer's move. */
  g_assert_false (p2p_transport_restart_ice (f->b.transport, &error));
  g_assert_error (error, P2P_TRANSPORT_ERROR,
      P2P_TRANSPORT_ERROR_INVALID_STATE);
}

/* Removes the UDP candidates from a description, as a network that drops
 * UDP would make them useless. */
static gchar *
strip_udp_candidates (const gchar * sdp)
{
  g_auto (GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  GString *out = g_string_new (NULL);
  guint i;

  for (i = 0; lines[i] && lines[i][0]; i++) {
    if (g_str_has_prefix (lines[i], "a=candidate:")
        && strstr (lines[i], " UDP "))
      continue;
    g_string_append_printf (out, "%s\r\n", lines[i]);
  }
  return g_string_free (out, FALSE);
}

static void
test_ice_tcp_fallback (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL, *answer = NULL;
  g_autofree gchar *offer_tcp = NULL, *answer_tcp = NULL;
  P2pTransportStats *stats;
  gint64 start = g_get_monotonic_time ();

  /* Only TCP candidates ever reach the peers: after the UDP grace period
   * the held-back ICE-TCP candidates must carry the session. */
  f->tcp_only = TRUE;
  offer = p2p_transport_create_offer (f->a.transport, NULL, &error);
  g_assert_no_error (error);
  offer_tcp = strip_udp_candidates (offer);
  g_assert_true (p2p_transport_set_remote_description (f->b.transport,
          offer_tcp, &error));
  answer = p2p_transport_create_answer (f->b.transport, NULL, &error);
  g_assert_no_error (error);
  answer_tcp = strip_udp_candidates (answer);
  g_assert_true (p2p_transport_set_remote_description (f->a.transport,
          answer_tcp, &error));

  g_assert_true (wait_for (f, both_final_or_connected, NULL, TIMEOUT_MS));
  g_assert_cmpint (p2p_transport_get_state (f->a.transport), ==,
      P2P_TRANSPORT_STATE_CONNECTED);
  stats = p2p_transport_get_stats (f->a.transport);
  g_test_message ("ICE-TCP pair %s -> %s after %.0f ms",
      stats->local_address, stats->remote_address,
      (g_get_monotonic_time () - start) / 1000.0);
  p2p_transport_stats_free (stats);
  send_media_and_check (f, &f->a, 20, 500);
}

static void
test_ice_servers (void)
{
  g_autoptr (P2pTransport) t = p2p_transport_new (NULL, NULL, TRUE);
  const gchar *good[] = { "stun:127.0.0.1", "stun:127.0.0.1:3478",
    "turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1?transport=tcp",
    "turns:[::1]:5349", "turn:localhost:3478"
  };
  const gchar *bad[] = { "http://x", "turn:", "turn:127.0.0.1:0",
    "turn:127.0.0.1:99999", "turn:127.0.0.1?transport=sctp",
    "turns:[::1", "stun:127.0.0.1:12a"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_true (p2p_transport_add_ice_server (t, good[i], "u", "p", &error));
    g_assert_no_error (error);
  }
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (p2p_transport_add_ice_server (t, bad[i], "u", "p", &error));
    g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_ICE_SERVER);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (p2p_transport_add_ice_server (t, "turn:127.0.0.1", NULL,
            NULL, &error));
    g_assert_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_ICE_SERVER);
  }
}

/* A gateway asked for a port mapping that never answers keeps "gathering
 * done" for a grace period. Gathering may end twice (the relays join after
 * the first round ends on a loaded host: start_gathering()), and the
 * transport may go before the grace ends (a viewer's short call): freed,
 * it must leave no source on its loop that would still call it. A second
 * grace timer used to replace the first, which was then never destroyed
 * and fired on the freed transport (the camera's crash a few hundred
 * milliseconds after a viewer's bye in natlab lan-server-up). */
static void
test_mapping_grace_gathering_twice (void)
{
  g_autoptr (P2pLoop) loop = p2p_loop_new ("test-mapping-grace");
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GSocket) gateway = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  P2pTransport *t = p2p_transport_new (loop, NULL, TRUE);
  gpointer alive = t, freed = t;
  GSource *left;

  g_assert_true (g_socket_bind (gateway, any, FALSE, NULL));
  bound = g_socket_get_local_address (gateway, NULL);
  p2p_transport_map_port_at (t, "127.0.0.1",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  p2p_transport_end_gathering (t);
  p2p_transport_end_gathering (t);

  g_object_add_weak_pointer (G_OBJECT (t), &alive);
  g_object_unref (t);
  g_assert_null (alive);
  /* Found by its data pointer, never followed; destroyed before the
   * assertion so that a failure cannot become a crash a second later. */
  left = g_main_context_find_source_by_user_data (p2p_loop_get_context
      (loop), freed);
  if (left)
    g_source_destroy (left);
  g_assert_null (left);
}

/* The next STUN request of @method to @s within @timeout_ms, or -1; with
 * @classic only a request without the magic cookie (RFC 3489), as libnice
 * asks a STUN server: the NAT classification (p2p-punch.c) asks the same
 * servers with RFC 5389 Binding requests of its own. */
static gssize
receive_stun (GSocket * s, guint16 method, gboolean classic, guint8 * buf,
    gsize size, GSocketAddress ** from, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (g_socket_condition_timed_wait (s, G_IO_IN,
          MAX (deadline - g_get_monotonic_time (), 0), NULL, NULL)) {
    gssize n = g_socket_receive_from (s, from, (gchar *) buf, size, NULL,
        NULL);

    if (n >= 20 && (buf[0] & 0xc0) == 0
        && (((buf[0] << 8) | buf[1]) & 0x3eef) == method
        && (!classic || GUINT32_FROM_BE (*(guint32 *) (buf + 4)) != 0x2112A442))
      return n;
    g_clear_object (from);
  }
  return -1;
}

/* Answers libnice's classic (RFC 3489) Binding request @req with a
 * success naming its source as the mapped address. */
static void
answer_binding (GSocket * s, const guint8 * req, GSocketAddress * from)
{
  guint8 resp[32] = { 0x01, 0x01, 0x00, 12 };
  struct sockaddr_in sin;

  g_assert_true (g_socket_address_to_native (from, &sin, sizeof (sin), NULL));
  memcpy (resp + 4, req + 4, 16);
  resp[20] = 0x00;              /* MAPPED-ADDRESS, 8 bytes */
  resp[21] = 0x01;
  resp[23] = 8;
  resp[25] = 0x01;              /* IPv4 */
  memcpy (resp + 26, &sin.sin_port, 2);
  memcpy (resp + 28, &sin.sin_addr, 4);
  g_assert_cmpint (g_socket_send_to (s, from, (gchar *) resp, sizeof (resp),
          NULL, NULL), ==, sizeof (resp));
}

typedef struct
{
  P2pTransport *transport;
  gint64 deadline;
  gboolean timed_out;
} LoopHold;

/* Keeps a default-priority source ready on the transport's loop until
 * libnice's first gathering round ended: the low-priority idle that adds
 * the relays (start_gathering()) cannot run before, as on a busy loop. */
static gboolean
hold_low_priority (gpointer data)
{
  LoopHold *hold = data;

  if (p2p_transport_get_gathering_rounds (hold->transport) > 0)
    return G_SOURCE_REMOVE;
  if (g_get_monotonic_time () > hold->deadline) {
    hold->timed_out = TRUE;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
queue_candidate (P2pTransport * transport, const gchar * candidate,
    gpointer user_data)
{
  g_async_queue_push (user_data, g_strdup (candidate));
}

/* Whether end-of-candidates is among the candidates queued so far. */
static gboolean
candidates_ended (GAsyncQueue * queue)
{
  gboolean ended = FALSE;
  gchar *c;

  while ((c = g_async_queue_try_pop (queue))) {
    ended |= *c == '\0';
    g_free (c);
  }
  return ended;
}

/* With a STUN server, the TURN servers join gathering late, and a busy
 * loop lets libnice's first round (host and STUN) end before they do:
 * libnice then gathers again for them. End-of-candidates must wait for
 * that second round; it went out after the first, telling the peer there
 * were no relay candidates to come. When the relays start no round (no
 * host candidate of their address family), it must not wait for one. */
static void
test_end_of_candidates_after_relays (gconstpointer data)
{
  gboolean relay_v6 = GPOINTER_TO_INT (data);
  g_autoptr (P2pLoop) loop = p2p_loop_new ("test-candidates-end");
  g_autoptr (P2pTransport) t = p2p_transport_new (loop, NULL, TRUE);
  g_autoptr (GAsyncQueue) queue = g_async_queue_new_full (g_free);
  g_autoptr (GSocket) stun = NULL;
  g_autoptr (GSocket) turn = NULL;
  g_autoptr (GSocketAddress) from = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *stun_uri = NULL, *turn_uri = NULL, *offer = NULL;
  LoopHold hold = { t, g_get_monotonic_time () + TIMEOUT_MS * 1000, FALSE };
  GSource *source;
  guint8 buf[1500];
  guint stun_port, turn_port;
  gint64 deadline;
  gboolean ended = FALSE;

  stun = loopback_udp_socket (&stun_port);
  turn = loopback_udp_socket_family (relay_v6 ? G_SOCKET_FAMILY_IPV6 :
      G_SOCKET_FAMILY_IPV4, &turn_port);
  stun_uri = g_strdup_printf ("stun:127.0.0.1:%u", stun_port);
  turn_uri = g_strdup_printf ("turn:%s:%u?transport=udp",
      relay_v6 ? "[::1]" : "127.0.0.1", turn_port);
  g_assert_true (p2p_transport_add_local_address (t, "127.0.0.1"));
  g_assert_true (p2p_transport_add_ice_server (t, stun_uri, NULL, NULL,
          &error));
  g_assert_true (p2p_transport_add_ice_server (t, turn_uri, "user", "pass",
          &error));
  g_signal_connect (t, "local-candidate", G_CALLBACK (queue_candidate), queue);

  source = g_idle_source_new ();
  g_source_set_callback (source, hold_low_priority, &hold, NULL);
  g_source_attach (source, p2p_loop_get_context (loop));
  offer = p2p_transport_create_offer (t, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (receive_stun (stun, 0x0001, TRUE, buf, sizeof (buf),
          &from, TIMEOUT_MS), >, 0);
  answer_binding (stun, buf, from);
  g_clear_object (&from);

  if (!relay_v6) {
    /* The second round's Allocate, left unanswered: the round ends when
     * it times out (about 2 s). The first round ended before. */
    g_assert_cmpint (receive_stun (turn, 0x0003, FALSE, buf, sizeof (buf),
            &from, TIMEOUT_MS), >, 0);
    g_assert_false (hold.timed_out);
    g_assert_cmpuint (p2p_transport_get_gathering_rounds (t), ==, 1);
    g_assert_false (candidates_ended (queue));
  }

  deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  while (!ended && g_get_monotonic_time () < deadline) {
    gchar *c = g_async_queue_timeout_pop (queue, 10000);

    if (c == NULL)
      continue;
    ended = *c == '\0';
    g_free (c);
  }
  g_assert_true (ended);
  g_assert_false (hold.timed_out);
  g_assert_cmpuint (p2p_transport_get_gathering_rounds (t), ==,
      relay_v6 ? 1 : 2);
  p2p_transport_close (t);
  g_source_destroy (source);
  g_source_unref (source);
}

#define PAIR_TEST(path, func, data) \
  g_test_add ("/p2p/transport/" path, Fixture, data, fixture_setup, func, \
      fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  PAIR_TEST ("connect", test_connect, NULL);
  PAIR_TEST ("dtls/role/server", test_dtls_role_server, NULL);
  PAIR_TEST ("srtp/aead-aes-128-gcm", test_srtp_profile,
      "SRTP_AEAD_AES_128_GCM");
  PAIR_TEST ("srtp/aes128-cm-sha1-80", test_srtp_profile,
      "SRTP_AES128_CM_SHA1_80");
  PAIR_TEST ("media/bit-exact", test_media_bit_exact, NULL);
  PAIR_TEST ("media/batched", test_media_batched, NULL);
  PAIR_TEST ("ice/unselected-parked", test_unselected_parked, NULL);
  PAIR_TEST ("media/batch-receive-stun", test_batch_receive_stun, NULL);
  PAIR_TEST ("media/batched-lists", test_media_batched_lists, NULL);
  PAIR_TEST ("media/socket-buffers", test_socket_buffers, NULL);
  PAIR_TEST ("media/path-mtu", test_path_mtu, NULL);
  PAIR_TEST ("media/path-mtu-prflx-refreshed", test_path_mtu_prflx_refreshed,
      NULL);
  PAIR_TEST ("media/path-mtu-shrunk", test_path_mtu_shrunk, NULL);
  PAIR_TEST ("media/path-mtu-raised", test_path_mtu_raised, NULL);
  PAIR_TEST ("channel/1000-messages", test_channel_messages, NULL);
  PAIR_TEST ("channel/limits", test_channel_limits, NULL);
  PAIR_TEST ("dtls/exporter", test_exporter, NULL);
  PAIR_TEST ("viewer-auth/direct", test_viewer_auth_direct, NULL);
  PAIR_TEST ("viewer-auth/relay", test_viewer_auth_relay, NULL);
  PAIR_TEST ("fingerprint/altered-offer", test_fingerprint_altered, NULL);
  PAIR_TEST ("fingerprint/expected-mismatch", test_fingerprint_expected, NULL);
  PAIR_TEST ("fingerprint/expected-match", test_fingerprint_expected_match,
      NULL);
  PAIR_TEST ("demux/garbage", test_demux_garbage, NULL);
  PAIR_TEST ("rtcp/flood", test_rtcp_flood, NULL);
  PAIR_TEST ("dtls/loss-20", test_dtls_loss, NULL);
  PAIR_TEST ("sdp/malformed", test_sdp_malformed, NULL);
  PAIR_TEST ("candidate/malformed", test_candidate_malformed, NULL);
  PAIR_TEST ("close", test_close, NULL);
  PAIR_TEST ("ice/restart", test_ice_restart, NULL);
  PAIR_TEST ("ice/check-grace", test_check_grace, NULL);
  PAIR_TEST ("ice/tcp-fallback", test_ice_tcp_fallback, NULL);
  g_test_add_func ("/p2p/transport/ice-servers", test_ice_servers);
  g_test_add_func ("/p2p/transport/mapping-grace/gathering-twice",
      test_mapping_grace_gathering_twice);
  g_test_add_data_func ("/p2p/transport/candidates-end/after-relays",
      GINT_TO_POINTER (FALSE), test_end_of_candidates_after_relays);
  g_test_add_data_func ("/p2p/transport/candidates-end/no-relay-round",
      GINT_TO_POINTER (TRUE), test_end_of_candidates_after_relays);

  return g_test_run ();
}
