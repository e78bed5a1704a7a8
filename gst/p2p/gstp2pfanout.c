/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The camera's fan-out: one payloaded stream to every admitted viewer,
 * each starting at a keyframe; keyframe requests to the encoder, shared
 * between viewers and rate-limited; NACKs answered by RFC 4588
 * retransmission to the asking viewer alone, from a history of sent
 * packets; each viewer's own transport-wide sequence numbers, written
 * into its copy of each packet, and the bandwidth its path sustains,
 * estimated from its feedback. It knows no pads and no sockets (packets leave through a send
 * function), so it is tested without a pipeline (tests/check/elements/
 * fanout.c). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pfanout.h"
#include "gstp2pcodecs.h"
#include "gstp2pfeedback.h"

#include <string.h>
#include <gst/gst.h>
#include <p2p-core/p2p-bandwidth-estimator.h>
#include <p2p-core/p2p-transport.h>

/* Minimum spacing of keyframe requests to the encoder, in microseconds:
 * several viewers asking with PLI share one. A joining viewer waits only
 * for a request whose keyframe has not come out yet, never for the
 * spacing: it sees nothing until a keyframe arrives. */
#define KEYFRAME_INTERVAL_US (500 * G_TIME_SPAN_MILLISECOND)
#define SLOT_SIZE P2P_TRANSPORT_MAX_PACKET
/* Packets of a list handled (and sent to each viewer) at once. */
#define LIST_CHUNK 64
/* A viewer's first bandwidth estimate, and its bounds, in bits per
 * second: a guess in the range of a camera's main stream, which the
 * estimator's fast start corrects within seconds; no cap worth the name
 * above, for a camera sends no more than it encodes. */
#define ESTIMATE_START_BPS 2000000
#define ESTIMATE_MIN_BPS 50000
#define ESTIMATE_MAX_BPS 100000000

GST_DEBUG_CATEGORY_STATIC (fanout_debug);
#define GST_CAT_DEFAULT fanout_debug

typedef struct
{
  guint16 seq;
  guint16 size;                 /* 0 = empty slot */
  guint8 data[SLOT_SIZE];
} HistorySlot;

typedef struct
{
  gboolean present;
  HistorySlot *ring;
  guint ring_size;
  guint32 ssrc;
  guint32 rtx_ssrc;
  /* Streaming thread only: counts input buffers, so the packets that
   * start one are told apart without parsing the payload. */
  guint unit;
  guint sent_unit;
  gboolean unit_is_key;
} Stream;

typedef struct
{
  gpointer target;
  gboolean waiting_key[GST_P2P_FANOUT_N_STREAMS];
  guint16 rtx_seq;
  /* Its transport-wide sequence, and what its feedback says of its
   * path. */
  guint16 twcc_seq;
  P2pBandwidthEstimator *estimator;
  GstP2pFanoutStats stats;
} Member;

static void
member_free (Member * m)
{
  p2p_bandwidth_estimator_free (m->estimator);
  g_free (m);
}

struct _GstP2pFanout
{
  GstP2pFanoutSendFunc send;
  GstP2pFanoutSendListFunc send_list;
  GstP2pFanoutKeyframeFunc keyframe;
  gpointer user_data;
    gint64 (*now) (void);

  /* Streams, members and keyframe state. Packets are sent with it held:
   * the send function only encrypts and writes, and the lock keeps a
   * leaving viewer's target valid without a reference per packet. */
  GMutex lock;
  Stream streams[GST_P2P_FANOUT_N_STREAMS];
  /* One viewer's copies of a chunk, its sequence numbers written in. */
    guint8 (*scratch)[SLOT_SIZE + 2];
  GPtrArray *members;
  gint64 last_keyframe_request;
  guint keyframe_count;
  /* A request whose keyframe has not reached the payloader yet. */
  gboolean keyframe_pending;
  /* A PLI or FIR held back by the rate limit and not yet served by a
   * keyframe: the viewer that sent it decodes nothing until one comes, and
   * does not ask twice for the same loss. */
  gboolean keyframe_owed;
};

/**
 * gst_p2p_fanout_new:
 * @send: hands a packet to one viewer
 * @keyframe: asks the encoder for a keyframe
 * @user_data: for both
 *
 * Returns: (transfer full): a fan-out with no stream and no viewer
 */
GstP2pFanout *
gst_p2p_fanout_new (GstP2pFanoutSendFunc send,
    GstP2pFanoutKeyframeFunc keyframe, gpointer user_data)
{
  GstP2pFanout *fanout = g_new0 (GstP2pFanout, 1);

  GST_DEBUG_CATEGORY_INIT (fanout_debug, "p2pfanout", 0,
      "p2psink fan-out, keyframes and retransmission");
  fanout->send = send;
  fanout->keyframe = keyframe;
  fanout->user_data = user_data;
  fanout->now = g_get_monotonic_time;
  fanout->members = g_ptr_array_new_with_free_func ((GDestroyNotify)
      member_free);
  fanout->scratch = g_malloc (LIST_CHUNK * sizeof (*fanout->scratch));
  g_mutex_init (&fanout->lock);
  return fanout;
}

/**
 * gst_p2p_fanout_free:
 * @fanout: (transfer full): a fan-out no thread uses any more
 */
void
gst_p2p_fanout_free (GstP2pFanout * fanout)
{
  guint i;

  for (i = 0; i < GST_P2P_FANOUT_N_STREAMS; i++)
    g_free (fanout->streams[i].ring);
  g_ptr_array_unref (fanout->members);
  g_free (fanout->scratch);
  g_mutex_clear (&fanout->lock);
  g_free (fanout);
}

/**
 * gst_p2p_fanout_set_send_list:
 * @fanout: a fan-out not yet sending
 * @send_list: hands a list of RTP packets to one viewer at once; without
 *     it, lists go out packet by packet through the send function
 */
void
gst_p2p_fanout_set_send_list (GstP2pFanout * fanout,
    GstP2pFanoutSendListFunc send_list)
{
  fanout->send_list = send_list;
}

/**
 * gst_p2p_fanout_set_clock:
 * @fanout: a fan-out
 * @now: returns monotonic microseconds; tests step it by hand
 */
void
gst_p2p_fanout_set_clock (GstP2pFanout * fanout, gint64 (*now) (void))
{
  fanout->now = now;
}

/**
 * gst_p2p_fanout_add_stream:
 * @fanout: a fan-out
 * @stream: which
 * @history: packets kept for retransmission
 *
 * Starts sending @stream (a request pad appeared).
 */
void
gst_p2p_fanout_add_stream (GstP2pFanout * fanout, GstP2pFanoutStream stream,
    guint history)
{
  Stream *s = &fanout->streams[stream];

  g_return_if_fail (stream < GST_P2P_FANOUT_N_STREAMS && history > 0);
  g_mutex_lock (&fanout->lock);
  g_free (s->ring);
  memset (s, 0, sizeof (*s));
  s->present = TRUE;
  s->ring_size = history;
  s->ring = g_new0 (HistorySlot, history);
  s->rtx_ssrc = g_random_int ();
  g_mutex_unlock (&fanout->lock);
}

/**
 * gst_p2p_fanout_remove_stream:
 * @fanout: a fan-out
 * @stream: which
 *
 * Stops sending @stream (its pad was released). Feedback arriving later on
 * another thread finds no stream rather than freed memory.
 */
void
gst_p2p_fanout_remove_stream (GstP2pFanout * fanout, GstP2pFanoutStream stream)
{
  Stream *s = &fanout->streams[stream];

  g_return_if_fail (stream < GST_P2P_FANOUT_N_STREAMS);
  g_mutex_lock (&fanout->lock);
  g_clear_pointer (&s->ring, g_free);
  memset (s, 0, sizeof (*s));
  g_mutex_unlock (&fanout->lock);
}

/* Asks for a keyframe. A PLI or FIR (@join FALSE) goes out at most once
 * per KEYFRAME_INTERVAL_US; a joining viewer's request (@join TRUE) only
 * waits for an earlier request whose keyframe is still on its way (that
 * keyframe serves it too), and at most KEYFRAME_INTERVAL_US in case the
 * encoder ignored it. A PLI or FIR held back is owed: it goes out with
 * the next packet the limit allows, unless a keyframe serves it first.
 * Returns FALSE when the request was held back. Called without the
 * lock. */
static gboolean
fanout_request_keyframe (GstP2pFanout * fanout, gboolean join,
    const gchar * why)
{
  gint64 now = fanout->now ();
  guint count;

  g_mutex_lock (&fanout->lock);
  if (!fanout->streams[GST_P2P_FANOUT_VIDEO].present
      || (fanout->last_keyframe_request != 0
          && now - fanout->last_keyframe_request < KEYFRAME_INTERVAL_US
          && (!join || fanout->keyframe_pending))) {
    if (!join && fanout->streams[GST_P2P_FANOUT_VIDEO].present)
      fanout->keyframe_owed = TRUE;
    g_mutex_unlock (&fanout->lock);
    GST_LOG ("keyframe request held back (%s)", why);
    return FALSE;
  }
  fanout->last_keyframe_request = now;
  fanout->keyframe_pending = TRUE;
  fanout->keyframe_owed = FALSE;
  count = ++fanout->keyframe_count;
  g_mutex_unlock (&fanout->lock);

  GST_DEBUG ("requesting a keyframe (%s)", why);
  fanout->keyframe (count, why, fanout->user_data);
  return TRUE;
}

/**
 * gst_p2p_fanout_input:
 * @fanout: a fan-out
 * @stream: which
 * @is_key: whether the buffer entering the payloader is a keyframe (audio:
 *     always)
 *
 * Streaming thread, for every buffer entering @stream's payloader, which
 * pushes all the packets of a buffer before it returns.
 */
void
gst_p2p_fanout_input (GstP2pFanout * fanout, GstP2pFanoutStream stream,
    gboolean is_key)
{
  Stream *s = &fanout->streams[stream];

  g_mutex_lock (&fanout->lock);
  s->unit++;
  s->unit_is_key = stream != GST_P2P_FANOUT_VIDEO || is_key;
  if (stream == GST_P2P_FANOUT_VIDEO && is_key)
    fanout->keyframe_pending = fanout->keyframe_owed = FALSE;
  g_mutex_unlock (&fanout->lock);
}

/* Where the transport-wide sequence number is in an RTP packet: the offset
 * of its two bytes in the one-byte header extension (RFC 8285), or 0 when
 * the packet has none. */
static gsize
twcc_offset (const guint8 * data, gsize size)
{
  gsize hdr = 12 + 4 * (data[0] & 0x0f), end, pos;

  if (!(data[0] & 0x10) || size < hdr + 4
      || GST_READ_UINT16_BE (data + hdr) != 0xbede)
    return 0;
  end = hdr + 4 + 4 * GST_READ_UINT16_BE (data + hdr + 2);
  if (end > size)
    return 0;
  for (pos = hdr + 4; pos < end;) {
    guint id = data[pos] >> 4, len = (data[pos] & 0x0f) + 1;

    if (data[pos] == 0) {
      pos++;                    /* padding */
      continue;
    }
    if (id == 15)
      break;
    if (id == GST_P2P_TWCC_EXT_ID && len == 2 && pos + 3 <= end)
      return pos + 1;
    pos += 1 + len;
  }
  return 0;
}

/* @n packets (at most LIST_CHUNK, each at most SLOT_SIZE + 2 bytes) to one
 * viewer, its own transport-wide sequence numbers written in where the
 * packets have room for one (@twcc: the offsets, 0: none) and remembered
 * for its feedback. Before encryption: SRTP authenticates the header.
 * With the lock. */
static void
member_send (GstP2pFanout * fanout, Member * m, const guint8 * const *data,
    const gsize * sizes, const gsize * twcc, guint n, gint64 now)
{
  const guint8 *out[LIST_CHUNK];
  guint j;

  for (j = 0; j < n; j++) {
    out[j] = data[j];
    if (twcc[j]) {
      memcpy (fanout->scratch[j], data[j], sizes[j]);
      GST_WRITE_UINT16_BE (fanout->scratch[j] + twcc[j], m->twcc_seq);
      p2p_bandwidth_estimator_on_sent (m->estimator, m->twcc_seq, sizes[j],
          now);
      m->twcc_seq++;
      out[j] = fanout->scratch[j];
    }
  }
  if (fanout->send_list) {
    fanout->send_list (m->target, out, sizes, n, fanout->user_data);
  } else {
    for (j = 0; j < n; j++)
      fanout->send (m->target, FALSE, out[j], sizes[j], fanout->user_data);
  }
}

/* Sends @n packets (at most LIST_CHUNK, all valid) of @stream to every
 * viewer that has its keyframe and keeps them for retransmission. */
static void
fanout_push_chunk (GstP2pFanout * fanout, GstP2pFanoutStream stream,
    const guint8 * const *data, const gsize * sizes, guint n)
{
  Stream *s = &fanout->streams[stream];
  gboolean unit_start, want_key = FALSE, owed;
  gsize twcc[LIST_CHUNK];
  gint64 now = fanout->now ();
  guint i;

  for (i = 0; i < n; i++)
    twcc[i] = twcc_offset (data[i], sizes[i]);
  g_mutex_lock (&fanout->lock);
  if (!s->present) {
    g_mutex_unlock (&fanout->lock);
    return;
  }
  /* Only the first packet can start a unit: the payloader pushes all the
   * packets of an input buffer before the next one enters. */
  unit_start = s->sent_unit != s->unit;
  s->sent_unit = s->unit;
  for (i = 0; i < n; i++) {
    guint16 seq = GST_READ_UINT16_BE (data[i] + 2);
    HistorySlot *slot = &s->ring[seq % s->ring_size];

    s->ssrc = GST_READ_UINT32_BE (data[i] + 8);
    slot->seq = seq;
    slot->size = sizes[i];
    memcpy (slot->data, data[i], sizes[i]);
  }

  for (i = 0; i < fanout->members->len; i++) {
    Member *m = g_ptr_array_index (fanout->members, i);

    if (m->waiting_key[stream]) {
      if (!(unit_start && s->unit_is_key)) {
        want_key = TRUE;
        continue;
      }
      m->waiting_key[stream] = FALSE;
    }
    member_send (fanout, m, data, sizes, twcc, n, now);
  }
  owed = fanout->keyframe_owed;
  g_mutex_unlock (&fanout->lock);

  /* A viewer still waits: a request held back by the rate limit goes out
   * as soon as the limit allows. */
  if (want_key && stream == GST_P2P_FANOUT_VIDEO)
    fanout_request_keyframe (fanout, TRUE, "viewer waiting");
  else if (owed && stream == GST_P2P_FANOUT_VIDEO)
    fanout_request_keyframe (fanout, FALSE, "PLI held back");
}

/**
 * gst_p2p_fanout_push_rtp_list:
 * @fanout: a fan-out
 * @stream: which
 * @data: (array length=n): RTP packets from the payloader, in order
 * @sizes: (array length=n): their sizes
 * @n: how many
 *
 * Streaming thread: as gst_p2p_fanout_push_rtp() for each packet, but each
 * viewer gets them together (through the send-list function, when set),
 * to send in one batch.
 */
void
gst_p2p_fanout_push_rtp_list (GstP2pFanout * fanout,
    GstP2pFanoutStream stream, const guint8 * const *data,
    const gsize * sizes, guint n)
{
  const guint8 *chunk[LIST_CHUNK];
  gsize chunk_sizes[LIST_CHUNK];
  guint i, k = 0;

  for (i = 0; i < n; i++) {
    if (sizes[i] < 12 || sizes[i] > SLOT_SIZE)
      continue;
    chunk[k] = data[i];
    chunk_sizes[k++] = sizes[i];
    if (k == LIST_CHUNK) {
      fanout_push_chunk (fanout, stream, chunk, chunk_sizes, k);
      k = 0;
    }
  }
  if (k > 0)
    fanout_push_chunk (fanout, stream, chunk, chunk_sizes, k);
}

/**
 * gst_p2p_fanout_push_rtp:
 * @fanout: a fan-out
 * @stream: which
 * @data: (array length=size): one RTP packet from the payloader
 * @size: its size
 *
 * Streaming thread: sends the packet to every viewer that has its
 * keyframe, and keeps it for retransmission.
 */
void
gst_p2p_fanout_push_rtp (GstP2pFanout * fanout, GstP2pFanoutStream stream,
    const guint8 * data, gsize size)
{
  gst_p2p_fanout_push_rtp_list (fanout, stream, &data, &size, 1);
}

/**
 * gst_p2p_fanout_push_rtcp:
 * @fanout: a fan-out
 * @data: (array length=size): an RTCP packet (sender reports)
 * @size: its size
 *
 * Sends the packet to every viewer.
 */
void
gst_p2p_fanout_push_rtcp (GstP2pFanout * fanout, const guint8 * data,
    gsize size)
{
  guint i;

  g_mutex_lock (&fanout->lock);
  for (i = 0; i < fanout->members->len; i++) {
    Member *m = g_ptr_array_index (fanout->members, i);

    fanout->send (m->target, TRUE, data, size, fanout->user_data);
  }
  g_mutex_unlock (&fanout->lock);
}

/* With the lock. */
static Member *
fanout_find (GstP2pFanout * fanout, gpointer target, guint * index)
{
  guint i;

  for (i = 0; i < fanout->members->len; i++) {
    Member *m = g_ptr_array_index (fanout->members, i);

    if (m->target == target) {
      if (index)
        *index = i;
      return m;
    }
  }
  return NULL;
}

/**
 * gst_p2p_fanout_add:
 * @fanout: a fan-out
 * @target: the viewer, as the send function knows it
 *
 * Admits a viewer: it gets every stream from its next keyframe on, which is
 * requested now.
 */
void
gst_p2p_fanout_add (GstP2pFanout * fanout, gpointer target)
{
  Member *m = g_new0 (Member, 1);
  guint i;

  m->target = target;
  for (i = 0; i < GST_P2P_FANOUT_N_STREAMS; i++)
    m->waiting_key[i] = TRUE;
  m->rtx_seq = g_random_int ();
  m->stats.rtt_ms = -1;
  m->estimator = p2p_bandwidth_estimator_new (ESTIMATE_START_BPS,
      ESTIMATE_MIN_BPS, ESTIMATE_MAX_BPS);
  g_mutex_lock (&fanout->lock);
  g_ptr_array_add (fanout->members, m);
  g_mutex_unlock (&fanout->lock);
  fanout_request_keyframe (fanout, TRUE, "viewer joined");
}

/**
 * gst_p2p_fanout_remove:
 * @fanout: a fan-out
 * @target: a viewer
 *
 * Once this returns, the send function is not called for @target any more.
 *
 * Returns: whether @target was a member
 */
gboolean
gst_p2p_fanout_remove (GstP2pFanout * fanout, gpointer target)
{
  guint index;
  gboolean found;

  g_mutex_lock (&fanout->lock);
  found = fanout_find (fanout, target, &index) != NULL;
  if (found)
    g_ptr_array_remove_index (fanout->members, index);
  g_mutex_unlock (&fanout->lock);
  return found;
}

/**
 * gst_p2p_fanout_get_n_targets:
 * @fanout: a fan-out
 *
 * Returns: the number of viewers admitted
 */
guint
gst_p2p_fanout_get_n_targets (GstP2pFanout * fanout)
{
  guint n;

  g_mutex_lock (&fanout->lock);
  n = fanout->members->len;
  g_mutex_unlock (&fanout->lock);
  return n;
}

typedef struct
{
  GstP2pFanout *fanout;
  gpointer target;
} Feedback;

static void
feedback_report (guint32 ssrc, guint8 fraction_lost, guint32 lsr,
    guint32 dlsr, gpointer user_data)
{
  Feedback *fb = user_data;
  GstP2pFanout *fanout = fb->fanout;
  Member *m;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, fb->target, NULL);
  if (m && fanout->streams[GST_P2P_FANOUT_VIDEO].present
      && ssrc == fanout->streams[GST_P2P_FANOUT_VIDEO].ssrc) {
    m->stats.fraction_lost = fraction_lost / 256.0;
    p2p_bandwidth_estimator_on_loss_report (m->estimator,
        m->stats.fraction_lost, fanout->now ());
    if (lsr != 0) {
      /* RFC 3550 §6.4.1: now − LSR − DLSR, in 1/65536 s, against the NTP
       * clock rtpbin stamps its sender reports with. */
      guint64 ntp = gst_util_uint64_scale (g_get_real_time () +
          G_GINT64_CONSTANT (2208988800) * G_USEC_PER_SEC,
          G_GUINT64_CONSTANT (1) << 32, G_USEC_PER_SEC);
      guint32 mid = (ntp >> 16) & 0xffffffff;
      guint32 rtt = mid - lsr - dlsr;

      if (rtt < 65536 * 10)
        m->stats.rtt_ms = gst_util_uint64_scale (rtt, 1000, 65536);
    }
  }
  g_mutex_unlock (&fanout->lock);
}

static void
feedback_picture_loss (gboolean fir, gpointer user_data)
{
  Feedback *fb = user_data;

  fanout_request_keyframe (fb->fanout, FALSE, fir ? "FIR" : "PLI");
}

/* RFC 4588 retransmission of @seq to the asking viewer alone. The RTX
 * stream has its own SSRC and sequence numbers, so SRTP never sees an index
 * twice and the viewer's rtprtxreceive restores the original. */
static void
feedback_nack (guint32 media_ssrc, guint16 seq, gpointer user_data)
{
  Feedback *fb = user_data;
  GstP2pFanout *fanout = fb->fanout;
  Stream *s = &fanout->streams[GST_P2P_FANOUT_VIDEO];
  guint8 pkt[SLOT_SIZE + 2];
  const guint8 *rtx = pkt;
  HistorySlot *slot;
  gsize size, hdr, twcc;
  Member *m;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, fb->target, NULL);
  if (!m || !s->present || media_ssrc != s->ssrc)
    goto done;
  slot = &s->ring[seq % s->ring_size];
  if (slot->size == 0 || slot->seq != seq) {
    GST_LOG ("NACK for #%u: no longer in the history", seq);
    goto done;
  }
  size = slot->size;
  hdr = 12 + 4 * (slot->data[0] & 0x0f);
  if ((slot->data[0] & 0x10) && size >= hdr + 4)
    hdr += 4 + 4 * GST_READ_UINT16_BE (slot->data + hdr + 2);
  else if (slot->data[0] & 0x10)
    goto done;
  /* Payloaders do not pad; never seen. */
  if (hdr > size || (slot->data[0] & 0x20))
    goto done;

  /* Header at the front, the original sequence number in front of the
   * payload. */
  memcpy (pkt, slot->data, hdr);
  GST_WRITE_UINT16_BE (pkt + hdr, seq);
  memcpy (pkt + hdr + 2, slot->data + hdr, size - hdr);
  pkt[1] = (pkt[1] & 0x80) | GST_P2P_PT_VIDEO_RTX;
  GST_WRITE_UINT16_BE (pkt + 2, m->rtx_seq);
  GST_WRITE_UINT32_BE (pkt + 8, s->rtx_ssrc);
  GST_LOG ("retransmitting #%u as RTX #%u", seq, m->rtx_seq);
  m->rtx_seq++;
  m->stats.retransmissions++;
  size += 2;
  twcc = twcc_offset (pkt, size);
  member_send (fanout, m, &rtx, &size, &twcc, 1, fanout->now ());
done:
  g_mutex_unlock (&fanout->lock);
}

static void
feedback_transport_cc (const P2pPacketArrival * arrivals, guint n_arrivals,
    gpointer user_data)
{
  Feedback *fb = user_data;
  GstP2pFanout *fanout = fb->fanout;
  Member *m;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, fb->target, NULL);
  if (m)
    p2p_bandwidth_estimator_on_feedback (m->estimator, arrivals, n_arrivals,
        fanout->now ());
  g_mutex_unlock (&fanout->lock);
}

/**
 * gst_p2p_fanout_feedback:
 * @fanout: a fan-out
 * @target: the viewer it came from
 * @data: (array length=size): RTCP from that viewer
 * @size: its size
 *
 * Acts on a viewer's receiver reports, PLI/FIR, NACKs and transport-wide
 * feedback. Handled per
 * viewer rather than in a shared rtpsession: each viewer's feedback
 * concerns that viewer only. Any thread.
 *
 * Returns: %FALSE when @data is not valid RTCP
 */
gboolean
gst_p2p_fanout_feedback (GstP2pFanout * fanout, gpointer target,
    const guint8 * data, gsize size)
{
  static const GstP2pFeedbackHandlers handlers = {
    feedback_report, feedback_picture_loss, feedback_nack,
    feedback_transport_cc
  };
  Feedback fb = { fanout, target };

  return gst_p2p_feedback_parse (data, size, &handlers, &fb);
}

/**
 * gst_p2p_fanout_get_stats:
 * @fanout: a fan-out
 * @target: a viewer
 * @stats: (out): filled when @target is a member
 *
 * Returns: whether @target is a member
 */
gboolean
gst_p2p_fanout_get_stats (GstP2pFanout * fanout, gpointer target,
    GstP2pFanoutStats * stats)
{
  Member *m;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, target, NULL);
  if (m) {
    *stats = m->stats;
    stats->estimated_bitrate =
        p2p_bandwidth_estimator_get_target (m->estimator);
    stats->received_bitrate = p2p_bandwidth_estimator_get_acked (m->estimator);
  }
  g_mutex_unlock (&fanout->lock);
  return m != NULL;
}

/**
 * gst_p2p_fanout_get_estimate:
 * @fanout: a fan-out
 * @target: a viewer
 *
 * What the viewer's path sustains (#P2pBandwidthEstimator), from its
 * transport-wide feedback, or from its receiver reports when it sends
 * none: what to fit the viewer's stream to (a layer, the encoder's
 * bitrate, the pacing rate). Any thread.
 *
 * Returns: bits per second, 0 when @target is not a member
 */
guint64
gst_p2p_fanout_get_estimate (GstP2pFanout * fanout, gpointer target)
{
  Member *m;
  guint64 bps = 0;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, target, NULL);
  if (m)
    bps = p2p_bandwidth_estimator_get_target (m->estimator);
  g_mutex_unlock (&fanout->lock);
  return bps;
}
