/* p2p-core message channel tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The channel driven directly, without DTLS: what it sends is captured,
 * what the peer would send is written by hand. The channel's timers live on
 * a context nobody iterates, so nothing happens behind the test's back. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "p2p-channel.h"

#define CHUNK_PING 3
#define CHUNK_PONG 4
#define PING_SIZE 14

typedef struct
{
  GMainContext *context;
  P2pChannel *channel;
  guint8 ping[PING_SIZE];       /* the last ping sent */
  guint pings;
  guint rtts;
  gint64 last_rtt;
} Fixture;

static gboolean
send_cb (const guint8 * data, gsize size, gpointer user_data)
{
  Fixture *f = user_data;

  if (size == PING_SIZE && data[0] == CHUNK_PING) {
    memcpy (f->ping, data, size);
    f->pings++;
  }
  return TRUE;
}

static void
message_cb (GBytes * message, gpointer user_data)
{
}

static void
rtt_cb (gint64 rtt_us, gpointer user_data)
{
  Fixture *f = user_data;

  f->rtts++;
  f->last_rtt = rtt_us;
}

static void
failed_cb (gpointer user_data)
{
}

static const P2pChannelCallbacks callbacks = {
  send_cb, message_cb, rtt_cb, failed_cb
};

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  f->context = g_main_context_new ();
  f->channel = p2p_channel_new (f->context, 4096, 65536, &callbacks, f);
  /* The first ping goes out at once. */
  g_assert_cmpuint (f->pings, ==, 1);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  p2p_channel_free (f->channel);
  g_main_context_unref (f->context);
}

static void
send_pong (Fixture * f, guint32 id, guint64 clock)
{
  guint8 pong[PING_SIZE] = { CHUNK_PONG, 0 };
  guint i;

  for (i = 0; i < 4; i++)
    pong[2 + i] = id >> (24 - 8 * i);
  for (i = 0; i < 8; i++)
    pong[6 + i] = clock >> (56 - 8 * i);
  p2p_channel_receive (f->channel, pong, sizeof (pong));
}

/* The pong of our ping gives an RTT, once. */
static void
test_pong_genuine (Fixture * f, gconstpointer data)
{
  guint8 pong[PING_SIZE];

  memcpy (pong, f->ping, sizeof (pong));
  pong[0] = CHUNK_PONG;
  p2p_channel_receive (f->channel, pong, sizeof (pong));
  g_assert_cmpuint (f->rtts, ==, 1);
  g_assert_cmpint (f->last_rtt, >=, 0);
  g_assert_cmpint (f->last_rtt, <, G_USEC_PER_SEC);

  /* A replay is not a second round trip. */
  p2p_channel_receive (f->channel, pong, sizeof (pong));
  g_assert_cmpuint (f->rtts, ==, 1);
}

/* Pongs for pings never sent, or echoing another clock than the one sent,
 * are ignored: a plausible clock must not fake a round trip, and an
 * extreme one must not overflow the RTT computation (UBSan checks that in
 * a -Db_sanitize=undefined build). */
static void
test_pong_forged (Fixture * f, gconstpointer data)
{
  guint32 id = (guint32) f->ping[2] << 24 | f->ping[3] << 16 |
      f->ping[4] << 8 | f->ping[5];
  guint64 now = (guint64) g_get_monotonic_time ();

  send_pong (f, id + 1, now - 1000);
  send_pong (f, 0, now - 1000);
  send_pong (f, id, now - 1000);
  send_pong (f, id, G_GUINT64_CONSTANT (0x8000000000000000));
  send_pong (f, id, G_MAXUINT64);
  send_pong (f, id + 1, G_GUINT64_CONSTANT (0x8000000000000000));
  /* Truncated. */
  p2p_channel_receive (f->channel, (const guint8 *) "\x04\0\0\0\0\1", 6);
  g_assert_cmpuint (f->rtts, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/p2p/channel/pong/genuine", test_pong_genuine);
  ADD ("/p2p/channel/pong/forged", test_pong_forged);
#undef ADD

  return g_test_run ();
}
