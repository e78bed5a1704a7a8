/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The message channel: reliable, ordered messages over DTLS records.
 *
 * DTLS gives confidentiality and integrity but no delivery guarantee, and a
 * full SCTP stack would be a large dependency for the few control messages
 * a camera exchanges (viewer authorization, keyframe and PTZ requests). So
 * messages are cut into numbered chunks, the receiver acknowledges
 * cumulatively with a selective bitmap, and the sender retransmits on a
 * timer derived from the measured round-trip time, like a tiny TCP:
 *
 *   DATA  | type=1 | flags | seq (u32) | payload…   (flags: FIRST, LAST)
 *   ACK   | type=2 | 0     | next expected seq (u32) | sack bitmap (u32)
 *   PING  | type=3 | 0     | id (u32) | sender's clock (u64)
 *   PONG  | type=4 | 0     | id (u32) | echoed clock (u64)
 *
 * Type 0x10 is birthday punching's control (p2p-punch.c), which the
 * transport takes before the channel sees it.
 *
 * All integers are big-endian. Pings double as keep-alive and give the RTT
 * reported in the transport stats. They are also the transport's consent
 * check (the role of RFC 7675): a pong is a round trip authenticated by
 * DTLS, so a peer that has answered none for PEER_SILENCE_US is gone or no
 * longer wants our traffic, and the channel fails. Only the pong of a ping
 * actually sent counts, once, and its RTT comes from the time we recorded,
 * never from the clock the peer echoes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-channel.h"
#include "p2p-transport.h"

#include <string.h>

enum
{
  CHUNK_DATA = 1,
  CHUNK_ACK = 2,
  CHUNK_PING = 3,
  CHUNK_PONG = 4,
};

#define FLAG_FIRST 0x01
#define FLAG_LAST 0x02

#define HEADER_SIZE 6
#define MAX_PAYLOAD (P2P_CHANNEL_MAX_CHUNK - HEADER_SIZE)

/* Chunks in flight; also bounds the receiver's reorder buffer. */
#define WINDOW 128
#define MIN_RTO_US (40 * 1000)
#define MAX_RTO_US (2 * 1000 * 1000)
#define INITIAL_RTO_US (200 * 1000)
/* A chunk unacknowledged after this many sends means the peer is gone. */
#define MAX_RETRIES 12
/* Pings go out once a second, on GLib's whole-second timer: the channels
 * of all a camera's viewers ping in the same wake-up of the loop, instead
 * of one wake-up each (a poll and a GLib check of every source of every
 * viewer: at 64 viewers a third of the loop's iterations). */
#define PING_INTERVAL_S 1
/* Ten pings unanswered: under 5 % loss each way a ping round trip fails
 * one time in ten, so ten in a row (1e-10) means a dead path, found about
 * as fast as libnice's consent check, which fails on one lost check. */
#define PEER_SILENCE_US (10 * G_USEC_PER_SEC)
/* Pings remembered for matching their pongs: a pong later than this many
 * ping intervals is as good as lost (the silence limit is ten). */
#define PINGS_KEPT 16

/* A ping sent and not answered yet. */
typedef struct
{
  guint32 id;                   /* 0 = free */
  gint64 sent_us;
} SentPing;

typedef struct
{
  guint32 seq;
  guint8 flags;
  GBytes *payload;
  gint64 sent_at;               /* 0 = never sent */
  guint sends;
  gboolean acked;
} Chunk;

struct _P2pChannel
{
  GMainContext *context;
  P2pChannelCallbacks callbacks;
  gpointer user_data;
  gsize max_message;
  gsize max_pending;
  gboolean dead;

  /* sender */
  GQueue outgoing;              /* Chunk*, ordered by seq */
  guint32 next_seq;
  gsize pending_bytes;
  GSource *rto_timer;
  gint64 srtt_us;
  gint64 rttvar_us;
  gint64 rto_us;

  /* receiver */
  guint32 expected_seq;
  Chunk *reorder[WINDOW];       /* indexed by seq % WINDOW */
  GByteArray *assembly;
  gboolean assembling;

  GSource *ping_timer;
  guint32 ping_id;
  SentPing pings[PINGS_KEPT];   /* indexed by id % PINGS_KEPT */
  gint64 last_pong_us;
};

static void
chunk_free (Chunk * chunk)
{
  if (chunk == NULL)
    return;
  g_bytes_unref (chunk->payload);
  g_free (chunk);
}

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

static void
put_u32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint32
get_u32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static void
put_u64 (guint8 * p, guint64 v)
{
  put_u32 (p, v >> 32);
  put_u32 (p + 4, (guint32) v);
}

static guint64
get_u64 (const guint8 * p)
{
  return ((guint64) get_u32 (p) << 32) | get_u32 (p + 4);
}

static void
send_chunk (P2pChannel * channel, Chunk * chunk)
{
  guint8 buf[P2P_CHANNEL_MAX_CHUNK];
  gsize size;
  gconstpointer payload = g_bytes_get_data (chunk->payload, &size);

  buf[0] = CHUNK_DATA;
  buf[1] = chunk->flags;
  put_u32 (buf + 2, chunk->seq);
  memcpy (buf + HEADER_SIZE, payload, size);
  chunk->sent_at = now_us ();
  chunk->sends++;
  channel->callbacks.send (buf, HEADER_SIZE + size, channel->user_data);
}

static void arm_rto (P2pChannel * channel);

static void
die (P2pChannel * channel)
{
  if (channel->dead)
    return;
  channel->dead = TRUE;
  channel->callbacks.failed (channel->user_data);
}

static gboolean
rto_fired (gpointer data)
{
  P2pChannel *channel = data;
  gint64 now = now_us ();
  guint i = 0;
  GList *l;

  g_clear_pointer (&channel->rto_timer, g_source_unref);

  for (l = channel->outgoing.head; l && i < WINDOW; l = l->next, i++) {
    Chunk *chunk = l->data;

    if (chunk->acked || chunk->sent_at == 0)
      continue;
    if (now - chunk->sent_at < channel->rto_us)
      continue;
    if (chunk->sends >= MAX_RETRIES) {
      die (channel);
      return G_SOURCE_REMOVE;
    }
    send_chunk (channel, chunk);
  }
  /* Exponential back-off while nothing gets through, as TCP does. */
  channel->rto_us = MIN (channel->rto_us * 2, MAX_RTO_US);
  arm_rto (channel);
  return G_SOURCE_REMOVE;
}

static void
arm_rto (P2pChannel * channel)
{
  if (channel->rto_timer || channel->dead
      || g_queue_is_empty (&channel->outgoing))
    return;
  channel->rto_timer = g_timeout_source_new (channel->rto_us / 1000 + 1);
  g_source_set_callback (channel->rto_timer, rto_fired, channel, NULL);
  g_source_set_static_name (channel->rto_timer, "p2p-channel-rto");
  g_source_attach (channel->rto_timer, channel->context);
}

/* Sends the never-sent chunks that fit in the window. */
static void
flush_window (P2pChannel * channel)
{
  guint i = 0;
  GList *l;

  for (l = channel->outgoing.head; l && i < WINDOW; l = l->next, i++) {
    Chunk *chunk = l->data;

    if (chunk->sent_at == 0)
      send_chunk (channel, chunk);
  }
  arm_rto (channel);
}

static void
update_rtt (P2pChannel * channel, gint64 sample)
{
  /* RFC 6298 smoothing. */
  if (channel->srtt_us == 0) {
    channel->srtt_us = sample;
    channel->rttvar_us = sample / 2;
  } else {
    gint64 delta = ABS (channel->srtt_us - sample);

    channel->rttvar_us = (3 * channel->rttvar_us + delta) / 4;
    channel->srtt_us = (7 * channel->srtt_us + sample) / 8;
  }
  channel->rto_us = CLAMP (channel->srtt_us + 4 * channel->rttvar_us,
      MIN_RTO_US, MAX_RTO_US);
  if (channel->callbacks.rtt)
    channel->callbacks.rtt (sample, channel->user_data);
}

static gboolean
seq_before (guint32 a, guint32 b)
{
  return (gint32) (a - b) < 0;
}

static void
handle_ack (P2pChannel * channel, guint32 next, guint32 sack)
{
  gint64 now = now_us ();
  gboolean progress = FALSE;
  GList *l;

  /* Acknowledge from the cumulative point, then selectively. */
  while (!g_queue_is_empty (&channel->outgoing)) {
    Chunk *chunk = g_queue_peek_head (&channel->outgoing);

    if (!seq_before (chunk->seq, next))
      break;
    /* Karn: only chunks sent once give an unambiguous RTT sample. */
    if (chunk->sends == 1 && !chunk->acked)
      update_rtt (channel, now - chunk->sent_at);
    channel->pending_bytes -= g_bytes_get_size (chunk->payload);
    chunk_free (g_queue_pop_head (&channel->outgoing));
    progress = TRUE;
  }
  for (l = channel->outgoing.head; l; l = l->next) {
    Chunk *chunk = l->data;
    guint32 off = chunk->seq - next - 1;

    if (off >= 32)
      break;
    if (sack & (1u << off))
      chunk->acked = TRUE;
  }

  if (progress) {
    if (channel->rto_timer) {
      g_source_destroy (channel->rto_timer);
      g_clear_pointer (&channel->rto_timer, g_source_unref);
    }
    if (channel->srtt_us)
      channel->rto_us = CLAMP (channel->srtt_us + 4 * channel->rttvar_us,
          MIN_RTO_US, MAX_RTO_US);
    flush_window (channel);
  }
}

static void
send_ack (P2pChannel * channel)
{
  guint8 buf[HEADER_SIZE + 4];
  guint32 sack = 0;
  guint i;

  for (i = 0; i < 32; i++) {
    guint32 seq = channel->expected_seq + 1 + i;
    Chunk *c = channel->reorder[seq % WINDOW];

    if (c && c->seq == seq)
      sack |= 1u << i;
  }
  buf[0] = CHUNK_ACK;
  buf[1] = 0;
  put_u32 (buf + 2, channel->expected_seq);
  put_u32 (buf + 6, sack);
  channel->callbacks.send (buf, sizeof (buf), channel->user_data);
}

/* Appends a chunk to the message being reassembled; a finished message is
 * delivered. Returns FALSE if the peer broke the framing rules. */
static gboolean
assemble (P2pChannel * channel, Chunk * chunk)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (chunk->payload, &size);

  if (chunk->flags & FLAG_FIRST) {
    g_byte_array_set_size (channel->assembly, 0);
    channel->assembling = TRUE;
  } else if (!channel->assembling) {
    return FALSE;
  }
  if (channel->assembly->len + size > channel->max_message)
    return FALSE;
  g_byte_array_append (channel->assembly, data, size);

  if (chunk->flags & FLAG_LAST) {
    GBytes *message = g_bytes_new (channel->assembly->data,
        channel->assembly->len);

    channel->assembling = FALSE;
    g_byte_array_set_size (channel->assembly, 0);
    channel->callbacks.message (message, channel->user_data);
    g_bytes_unref (message);
  }
  return TRUE;
}

static void
handle_data (P2pChannel * channel, guint8 flags, guint32 seq,
    const guint8 * payload, gsize size)
{
  Chunk *chunk;

  if (seq_before (seq, channel->expected_seq)
      || seq - channel->expected_seq >= WINDOW) {
    /* Duplicate (our ACK was lost) or beyond the window: re-acknowledge
     * so the sender learns where we are. */
    send_ack (channel);
    return;
  }
  if (channel->reorder[seq % WINDOW] == NULL) {
    chunk = g_new0 (Chunk, 1);
    chunk->seq = seq;
    chunk->flags = flags;
    chunk->payload = g_bytes_new (payload, size);
    channel->reorder[seq % WINDOW] = chunk;
  }

  while ((chunk = channel->reorder[channel->expected_seq % WINDOW]) != NULL
      && chunk->seq == channel->expected_seq) {
    channel->reorder[channel->expected_seq % WINDOW] = NULL;
    channel->expected_seq++;
    if (!assemble (channel, chunk)) {
      chunk_free (chunk);
      g_warning ("Message channel: peer broke framing; closing the channel");
      die (channel);
      return;
    }
    chunk_free (chunk);
    if (channel->dead)
      return;
  }
  send_ack (channel);
}

static gboolean
ping_fired (gpointer data)
{
  P2pChannel *channel = data;
  guint8 buf[HEADER_SIZE + 8];
  gint64 now = now_us ();
  SentPing *ping;

  if (channel->dead)
    return G_SOURCE_REMOVE;
  if (now - channel->last_pong_us > PEER_SILENCE_US) {
    die (channel);
    return G_SOURCE_REMOVE;
  }
  /* Id 0 marks a free slot. */
  if (++channel->ping_id == 0)
    channel->ping_id = 1;
  ping = &channel->pings[channel->ping_id % PINGS_KEPT];
  ping->id = channel->ping_id;
  ping->sent_us = now;
  buf[0] = CHUNK_PING;
  buf[1] = 0;
  put_u32 (buf + 2, ping->id);
  put_u64 (buf + 6, (guint64) now);
  channel->callbacks.send (buf, sizeof (buf), channel->user_data);
  return G_SOURCE_CONTINUE;
}

/* The pong of a ping we sent counts once, with the time we recorded: the
 * echoed clock is the peer's word only, and a made-up one (far past or
 * future) would overflow the RTT arithmetic and fake the consent check. */
static void
handle_pong (P2pChannel * channel, guint32 id, guint64 echoed)
{
  SentPing *ping = &channel->pings[id % PINGS_KEPT];
  gint64 rtt;

  if (id == 0 || ping->id != id || (guint64) ping->sent_us != echoed)
    return;
  ping->id = 0;
  rtt = now_us () - ping->sent_us;
  channel->last_pong_us = now_us ();
  if (channel->callbacks.rtt)
    channel->callbacks.rtt (rtt, channel->user_data);
}

P2pChannel *
p2p_channel_new (GMainContext * context, gsize max_message, gsize max_pending,
    const P2pChannelCallbacks * callbacks, gpointer user_data)
{
  P2pChannel *channel = g_new0 (P2pChannel, 1);

  channel->context = g_main_context_ref (context);
  channel->callbacks = *callbacks;
  channel->user_data = user_data;
  channel->max_message = max_message;
  channel->max_pending = max_pending;
  channel->rto_us = INITIAL_RTO_US;
  channel->assembly = g_byte_array_new ();
  g_queue_init (&channel->outgoing);
  channel->last_pong_us = now_us ();

  /* The first ping goes out at once so the RTT is known early. */
  ping_fired (channel);
  channel->ping_timer = g_timeout_source_new_seconds (PING_INTERVAL_S);
  g_source_set_callback (channel->ping_timer, ping_fired, channel, NULL);
  g_source_set_static_name (channel->ping_timer, "p2p-channel-ping");
  g_source_attach (channel->ping_timer, context);
  return channel;
}

gboolean
p2p_channel_send (P2pChannel * channel, GBytes * message, GError ** error)
{
  gsize size = g_bytes_get_size (message);
  gsize offset = 0;

  if (channel->dead) {
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_CLOSED, "The message channel is closed");
    return FALSE;
  }
  if (size > channel->max_message) {
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_TOO_LARGE,
        "Message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
        G_GSIZE_FORMAT, size, channel->max_message);
    return FALSE;
  }
  if (channel->pending_bytes + size > channel->max_pending) {
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_WOULD_BLOCK,
        "Message channel send buffer full (%" G_GSIZE_FORMAT " bytes queued)",
        channel->pending_bytes);
    return FALSE;
  }

  /* An empty message is still one (empty) chunk. */
  do {
    Chunk *chunk = g_new0 (Chunk, 1);
    gsize n = MIN (size - offset, MAX_PAYLOAD);

    chunk->seq = channel->next_seq++;
    chunk->flags = (offset == 0 ? FLAG_FIRST : 0) |
        (offset + n == size ? FLAG_LAST : 0);
    chunk->payload = g_bytes_new_from_bytes (message, offset, n);
    offset += n;
    channel->pending_bytes += n;
    g_queue_push_tail (&channel->outgoing, chunk);
  } while (offset < size);

  flush_window (channel);
  return TRUE;
}

void
p2p_channel_receive (P2pChannel * channel, const guint8 * data, gsize size)
{
  if (channel->dead || size < HEADER_SIZE)
    return;

  switch (data[0]) {
    case CHUNK_DATA:
      handle_data (channel, data[1], get_u32 (data + 2), data + HEADER_SIZE,
          size - HEADER_SIZE);
      break;
    case CHUNK_ACK:
      if (size >= HEADER_SIZE + 4)
        handle_ack (channel, get_u32 (data + 2), get_u32 (data + 6));
      break;
    case CHUNK_PING:
      if (size >= HEADER_SIZE + 8) {
        guint8 buf[HEADER_SIZE + 8];

        memcpy (buf, data, sizeof (buf));
        buf[0] = CHUNK_PONG;
        channel->callbacks.send (buf, sizeof (buf), channel->user_data);
      }
      break;
    case CHUNK_PONG:
      if (size >= HEADER_SIZE + 8)
        handle_pong (channel, get_u32 (data + 2), get_u64 (data + 6));
      break;
    default:
      /* Unknown chunk types are ignored so the format can grow. */
      break;
  }
}

gsize
p2p_channel_get_pending (P2pChannel * channel)
{
  return channel->pending_bytes;
}

void
p2p_channel_free (P2pChannel * channel)
{
  guint i;

  if (channel == NULL)
    return;
  if (channel->rto_timer) {
    g_source_destroy (channel->rto_timer);
    g_source_unref (channel->rto_timer);
  }
  if (channel->ping_timer) {
    g_source_destroy (channel->ping_timer);
    g_source_unref (channel->ping_timer);
  }
  g_queue_clear_full (&channel->outgoing, (GDestroyNotify) chunk_free);
  for (i = 0; i < WINDOW; i++)
    chunk_free (channel->reorder[i]);
  g_byte_array_unref (channel->assembly);
  g_main_context_unref (channel->context);
  g_free (channel);
}
