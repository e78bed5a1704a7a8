/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The camera's fan-out: one payloaded stream to every admitted viewer,
 * each starting at a keyframe; keyframe requests to the encoder, shared
 * between viewers and rate-limited; NACKs answered by RFC 4588
 * retransmission to the asking viewer alone, from a history of sent
 * packets. With several video layers (the same scene at different rates),
 * each viewer gets one layer at a time, chosen from its bandwidth estimate
 * or pinned, and moves at a keyframe of the new layer without a gap in
 * its sequence numbers. It knows no pads and no sockets (packets leave
 * through a send function), so it is tested without a pipeline
 * (tests/check/elements/fanout.c). Each viewer's copy carries its own
 * transport-wide sequence numbers, and its feedback feeds an estimate of
 * the bandwidth its path sustains. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pfanout.h"
#include "gstp2pcodecs.h"
#include "gstp2pfeedback.h"

#include <string.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtcpbuffer.h>
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
/* A copy of a packet in a scratch row: room for the RTX header's two
 * bytes, and a multiple of 8 so that every row's header fields are
 * aligned. */
#define SCRATCH_SIZE (SLOT_SIZE + 8)
/* The one-byte header extension block (RFC 8285) that
 * gst_p2p_fanout_set_twcc_extension() puts in a packet without one: its
 * 4-byte header and one element, the 2-byte transport-wide sequence
 * number after its ID/length byte, and a byte of padding. */
#define TWCC_BLOCK_SIZE 8
/* A viewer's first bandwidth estimate, and its bounds, in bits per
 * second: a guess in the range of a camera's main stream, which the
 * estimator's fast start corrects within seconds. Above, once the
 * streams' rates are measured, ESTIMATE_CAP_FACTOR times what the best
 * layer and audio are sent at (never below the start guess): enough for
 * a viewer on a lower layer to show it can take the best one
 * (UP_HEADROOM, probes) and for an encoder driven by the estimates to
 * climb back, but an unconstrained viewer's estimate stops there instead
 * of climbing towards ESTIMATE_MAX_BPS, posting a change every second on
 * the way. */
#define ESTIMATE_START_BPS 2000000
#define ESTIMATE_MIN_BPS 50000
#define ESTIMATE_MAX_BPS 100000000
#define ESTIMATE_CAP_FACTOR 2
/* Most packets a gap between two transport-wide feedback packets is
 * taken to have lost (feedback_transport_cc()). */
#define MAX_INFERRED_LOST 1024
/* Pacing (gst_p2p_fanout_set_pacing()): a viewer is sent at most
 * PACING_FACTOR times its estimate, or times the rate of the video it is
 * sent if that is more, with bursts of PACING_BURST_US worth (at least
 * PACING_MIN_BURST bytes, a few packets for a GSO batch). Well above the
 * estimate (libwebrtc's pacer uses the same factor), so that a stream
 * near the estimate, or above an estimate still climbing from its start,
 * is not delayed; only bursts spread: a 60 KB keyframe on a 1.5 Mbit/s
 * path leaves over ~90 ms instead of at once into a shallow router
 * buffer. A burst is a frame interval (25 frames a second) at that rate,
 * 100 ms of the stream: a frame of a steady stream leaves whole, in one
 * GSO batch, and only the part of a bigger one (a keyframe) beyond the
 * budget waits for the pacer thread (at 10 ms, most frames of a 4 Mbit/s
 * stream went out in 2-3 pieces, a copy and a wake of the pacer each). Never below the stream's own rate: pacing cannot make a stream
 * smaller (layers and the encoder's bitrate do that), it would only turn
 * the difference into delay until the jitter buffer gives frames up; an
 * estimate lowered by random loss must not throttle a single-layer
 * camera without encoder control. A queue that would take longer than
 * PACING_MAX_DELAY_US to drain drains faster, and holds
 * PACING_MAX_PACKETS at most (the oldest go first, for NACKs to
 * repair). */
#define PACING_FACTOR 2.5
#define PACING_BURST_US (40 * G_TIME_SPAN_MILLISECOND)
#define PACING_MIN_BURST (4 * GST_P2P_MTU)
#define PACING_MAX_DELAY_US (100 * G_TIME_SPAN_MILLISECOND)
#define PACING_MAX_PACKETS 1024

/* Layer switching, from the viewer's estimate (its estimator's, once its
 * transport-wide feedback measured what it receives). A viewer moves up
 * only when its estimate exceeds the better layer's measured rate by
 * UP_HEADROOM, and has done so for UP_HOLD_US: an estimate wanders by
 * some 10 % in steady state, a switch costs a keyframe, and a viewer that
 * moved up too early comes straight back down (flapping). It moves down
 * once its layer's rate has exceeded the estimate for DOWN_HOLD_US, and
 * only while it receives less than DOWN_RECEIVED of what it is sent: long
 * enough to ride out one low estimate, short next to the seconds a
 * congested queue takes to freeze the picture; and never on the
 * estimator's start-up guess, which a path that takes everything soon
 * outgrows. Receiving less than DOWN_RECEIVED of what it is sent, its
 * estimate is at most what it receives: the estimator's own decrease can
 * take seconds. An estimate above what the viewer receives is the
 * estimator probing blind, not a measurement: a move up that comes back
 * down within PROBE_FAILED_US doubles the next wait up, to
 * UP_HOLD_MAX_US, so a viewer on a narrow path tries the better layer
 * ever more rarely. A pinned viewer moves at once. */
#define UP_HEADROOM 1.15
#define UP_HOLD_US (2 * G_USEC_PER_SEC)
#define UP_HOLD_MAX_US (60 * G_USEC_PER_SEC)
#define PROBE_FAILED_US (10 * G_USEC_PER_SEC)
#define DOWN_HOLD_US G_USEC_PER_SEC
#define DOWN_RECEIVED 0.8
/* Each layer's rate is measured over windows this long, half the weight
 * on the last one, so that one keyframe does not make a layer look
 * twice as expensive. */
#define RATE_WINDOW_US G_USEC_PER_SEC
/* What a viewer is sent is measured over windows as long as the
 * estimator's of what it receives, unsmoothed, so that the two compare. */
#define SENT_WINDOW_US (500 * G_TIME_SPAN_MILLISECOND)
/* The keyframe a switch asks of the new layer is to come at least this
 * far (in 90 kHz RTP ticks, the clock of every video format) after the
 * frame the viewer last got from its old layer: encoders of different
 * layers do not deliver the same frame at the same moment, and the
 * viewer must not see a frame twice or go back in time. */
#define SWITCH_LEAD_TICKS (90000 / 10)
/* From that frame on, the old layer's packets are held back (they stay in
 * its history) until the new layer's keyframe comes, so that the viewer
 * gets each moment from one layer only; if the keyframe is this much
 * later, the held packets go out after all and the keyframe is asked for
 * again. */
#define HOLD_MAX_TICKS (90000 / 5)
/* The layers of a camera count their RTP timestamps from one base
 * (p2psink gives every video payloader the same timestamp-offset), so a
 * new layer's keyframe is within a few frames of the viewer's last one.
 * One more than this many ticks (10 s of the 90 kHz clock) away says a
 * layer is on a base of its own: the move finds its keyframe late or
 * never. Told once per pair of layers (gst_p2p_fanout_set_base_func());
 * a random base is this near with a chance of 1 in 2,400. */
#define BASE_APART_TICKS (10 * 90000)
/* Thinning (gst_p2p_fanout_set_thin_below()): a viewer whose estimate is
 * below the floor loses the frames no other frame refers to, until its
 * estimate is UP_HEADROOM above the floor (a margin as for moving up a
 * layer, so that it does not flap at every estimate). Each frame left
 * out shifts the viewer's sequence numbers; the last OFFSET_MARKS shifts
 * are remembered to map its NACKs back (at 15 frames a second left out,
 * some 4 s: longer than the history). */
#define OFFSET_MARKS 64
/* From its own estimator, a viewer starts being thinned only when the
 * estimate says it cannot take what it is sent: it receives less than
 * DOWN_RECEIVED of it, or its estimate is below THIN_SHORT of it. A
 * viewer that takes everything still sees its estimate cut to 0.85 × what
 * it receives at each delay spike (a busy host, a radio): with the
 * encoder at its floor, that alone would put it below the floor. And
 * like a move down a layer, thinning starts only once that has held for
 * THIN_HOLD_US: on a busy receiving host, feedback that comes late makes
 * what it receives dip for a moment and its estimate with it, and one
 * such dip would otherwise thin a viewer whose path takes everything. */
#define THIN_SHORT 0.7
#define THIN_HOLD_US DOWN_HOLD_US
#define NO_LAYER GST_P2P_FANOUT_N_STREAMS
/* Probing (member_probe_start()). A viewer on a lower layer is sent only
 * that layer: its feedback cannot show that its path would carry the
 * better one, and its estimate would climb blind, by the estimator's few
 * per cent a second. So once its path carries what it is sent, it gets
 * probe clusters: repeats of the packets it was just sent, as RTX (which
 * its rtpbin drops as duplicates after counting them in its
 * transport-wide feedback), PROBE_DURATION_US long at PROBE_RATE_FACTOR
 * times the rate it needs to move up, right after a frame of its layer.
 * A cluster that gets through raises its estimate to the rate it got
 * through at (p2p_bandwidth_estimator_start_probe()), and the usual
 * UP_HOLD_US later it moves up. 30 ms is twice the shortest cluster
 * libwebrtc sends and, at 4-6 Mbit/s, some 1.5 times the 16 KB burst of a
 * typical token-bucket shaper, so that a narrow path's limit shows in the
 * cluster's tail; and it is short next to a frame interval, so that on a
 * narrow path the queue it leaves drains before the next frame (a few
 * tens of ms) instead of making frames late for a 50 ms jitter buffer.
 * Clusters come PROBE_INTERVAL_US after the move down, then twice as far
 * apart after each one that did not lift the estimate enough, up to
 * PROBE_INTERVAL_MAX_US: the bound on how long a path widened goes
 * unnoticed. Security: a viewer's feedback decides whether a cluster
 * raises its estimate, never how much it is sent: the probe rate is set
 * by the layers' measured rates (at most the estimate's cap), and probe
 * bytes come from a budget that earns PROBE_SHARE of the video bytes the
 * viewer is sent, at most PROBE_MAX_BYTES: over any span a viewer gets at
 * most 1 + PROBE_SHARE times its video, plus PROBE_MAX_BYTES. */
#define PROBE_RATE_FACTOR 1.25
#define PROBE_DURATION_US (30 * G_TIME_SPAN_MILLISECOND)
#define PROBE_INTERVAL_US (2 * G_USEC_PER_SEC)
#define PROBE_INTERVAL_MAX_US (4 * G_USEC_PER_SEC)
#define PROBE_SHARE 0.5
#define PROBE_MAX_BYTES (48 * 1024)
/* A viewer that holds the one encoder down, or is thinned, has no
 * better layer whose measured rate a cluster could aim at, and the goal
 * (the encoder's configured rate) may be several times what it gets: a
 * 30 ms cluster at that rate is about the burst of a token-bucket shaper,
 * which the encoder held low lets refill, so it got through a shaped
 * path and the encoder climbed into it (natlab fault-encoder-rate, 1 run
 * in 5). So such a viewer is probed a step at a time, at most
 * PROBE_STEP times what it receives, and its clusters hold at least
 * PROBE_MIN_BYTES, twice such a burst, so that the shaped rate shows in
 * their tail. A cluster's lift undone within PROBE_FAILED_US (the
 * estimate back below where it began) doubles the wait before the next
 * cluster, from PROBE_INTERVAL_MAX_US up to PROBE_BACKOFF_MAX_US, as an
 * undone move up doubles the wait up a layer; a lift that held resets
 * it. A lift is the estimate PROBE_LIFTED above where it began. */
#define PROBE_STEP 2
#define PROBE_MIN_BYTES (32 * 1024)
#define PROBE_BACKOFF_MAX_US (8 * G_USEC_PER_SEC)
#define PROBE_LIFTED 1.1

/* Security: retransmissions answering a viewer's NACKs come from a budget
 * of its own that earns RTX_SHARE of the video bytes it is sent, at most
 * RTX_MAX_BYTES (full when it joins): over any span a viewer gets at most
 * RTX_SHARE times its video in retransmissions, plus RTX_MAX_BYTES, however
 * many NACKs it sends (one RTCP packet may ask for 256 packets, some
 * 300 KB, and nothing limits how often it sends one). At a loss of p a
 * viewer needs p / (1 - p) of its video again (retransmissions are lost
 * too and asked for again): 5 % at 5 % loss, 11 % at 10 %, 25 % at 20 %,
 * 50 % at a third lost (a radio link fading, or the element tests' lossy
 * viewer): a share of 1 keeps repair working to half the packets lost,
 * while still bounding what a viewer can draw to twice its video;
 * and RTX_MAX_BYTES is some 130 ms of a 4 Mbit/s stream lost at once (a
 * keyframe's tail). A NACK for a packet retransmitted to the viewer less
 * than RTX_REPEAT_US ago is ignored: the retransmission is still on its
 * way (rtpjitterbuffer asks again only a round trip later, at least a
 * packet interval), so the repeat, from a double NACK or a flood, would
 * only spend the budget. The last RTX_RECENT packets retransmitted are
 * remembered for that. */
#define RTX_SHARE 1.0
#define RTX_MAX_BYTES (64 * 1024)
#define RTX_REPEAT_US (10 * G_TIME_SPAN_MILLISECOND)
#define RTX_RECENT 256
/* Security: a viewer's RTCP is read (parsed, its NACKs looked up, its
 * transport-wide feedback fed to the estimator) at most RTCP_MAX_PACKETS
 * packets and RTCP_MAX_BYTES bytes a second, with a burst of a second's
 * worth (full when it joins); beyond, packets are dropped unread, and
 * counted. Nothing else limits how often a viewer sends RTCP: a flood
 * would cost the camera CPU without bound. An honest viewer sends far
 * less: p2psrc's RTCP budget is 200 kbit/s (25 KB/s), early feedback
 * (NACK, PLI) comes some 8 ms apart under loss (125 packets a second),
 * transport-wide feedback every 100 ms, receiver reports every second. */
#define RTCP_MAX_PACKETS 500
#define RTCP_MAX_BYTES (64 * 1024)

GST_DEBUG_CATEGORY_STATIC (fanout_debug);
#define GST_CAT_DEFAULT fanout_debug

/* From the viewer's sequence number @from on, its packets were the
 * layer's plus @offset. */
typedef struct
{
  guint16 from;
  guint16 offset;
} OffsetMark;

/* A rate in bits per second, measured over windows (rate_count ()). */
typedef struct
{
  gint64 window_start;
  guint64 window_bytes;
  guint64 bitrate;              /* 0 until a window is through */
} RateMeter;

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
  gboolean has_packets;
  guint16 last_seq;
  /* Streaming thread only: counts input buffers, so the packets that
   * start one are told apart without parsing the payload. */
  guint unit;
  guint sent_unit;
  gboolean unit_is_key;
  /* No later frame refers to the unit (gst_p2p_fanout_mark_droppable()). */
  gboolean unit_droppable;

  /* Keyframe requests to this stream's encoder (video layers). */
  gint64 last_keyframe_request;
  guint keyframe_count;
  /* A request whose keyframe has not reached the payloader yet. */
  gboolean keyframe_pending;
  /* A PLI or FIR held back by the rate limit and not yet served by a
   * keyframe: the viewer that sent it decodes nothing until one comes, and
   * does not ask twice for the same loss. */
  gboolean keyframe_owed;

  /* The rate it is sent at. */
  RateMeter rate;
} Stream;

typedef struct
{
  gpointer target;
  gboolean waiting_key[GST_P2P_FANOUT_N_STREAMS];       /* audio */
  guint16 rtx_seq;
  /* Its transport-wide sequence, and what its feedback says of its
   * path. */
  guint16 twcc_seq;
  /* Its feedback so far: the packet after the last one it reported, and
   * the count of its last feedback packet. */
  gboolean twcc_reported;
  guint16 twcc_next;
  guint8 twcc_feedback_count;
  P2pBandwidthEstimator *estimator;
  GstP2pFanoutStats stats;

  /* Video: the layer it gets (NO_LAYER until its first keyframe) and the
   * one it moves to (NO_LAYER: none), whose keyframe was asked for from
   * timestamp hold_from on (-1: any). Once the old layer reaches
   * hold_from, its packets are held (holding, from hold_seq) until the
   * keyframe begins (switch_started); the new layer's packets then wait
   * in its history until the old layer reaches the keyframe's timestamp,
   * and all go out. */
  GstP2pFanoutStream layer;
  GstP2pFanoutStream target_layer;
  gint64 hold_from;
  gboolean holding;
  guint16 hold_seq;
  guint32 hold_ts;
  gboolean switch_started;
  guint16 switch_seq;
  guint32 switch_ts;
  /* What it was sent: sequence numbers are the layer's plus seq_offset,
   * so that they run on without a gap across switches. */
  guint16 seq_offset;
  gboolean sent_video;
  guint16 last_out_seq;
  guint32 last_ts;
  /* The layer before the last switch, for NACKs of what it sent. */
  gboolean has_prev;
  GstP2pFanoutStream prev_layer;
  guint16 prev_offset;
  guint16 switch_out_seq;

  /* Thinning: whether its droppable frames are left out, whether the
   * frame in hand is, and the shifts of seq_offset that leaving frames
   * out made since its layer began (marks_pushed of them, the last
   * OFFSET_MARKS kept; before the first, base_offset), and since when
   * it asks to be thinned. */
  gboolean thinned;
  gint64 thin_since;
  gboolean skip_unit;
  gboolean offset_moved;
  OffsetMark marks[OFFSET_MARKS];
  guint marks_pushed;
  guint16 base_offset;

  /* Adaptation: pinned layer (-1: none), the application's bandwidth
   * estimate (bits per second, 0: none, the estimator's), since when it
   * asks to move up or down, since when it receives less than
   * DOWN_RECEIVED of what it is sent (0: it does not), its wait up and its
   * last move up. */
  gint pinned;
  guint64 estimate;
  gint64 up_since;
  gint64 down_since;
  gint64 short_since;
  gint64 up_hold;
  gint64 last_up;
  /* The video it is sent, to hold what it receives against. */
  RateMeter sent;

  /* Probing: the bytes its budget allows, when the next cluster may
   * start and the wait after that; the cluster being sent (since
   * probe_start, 0: none, at probe_rate bytes a microsecond, probe_bytes
   * in all, probe_sent so far) repeats its packets back from
   * probe_cursor (its numbering); probe_tagged while one goes out. */
  gdouble probe_budget;
  gint64 probe_next;
  gint64 probe_interval;
  gboolean probed;
  gint64 probe_start;
  gdouble probe_rate;
  gsize probe_bytes;
  gsize probe_sent;
  guint16 probe_cursor;
  gboolean probe_tagged;
  /* Steps (PROBE_STEP): the estimate before the cluster whose lift is
   * watched (0: none), since when it is lifted (0: not yet), and the wait
   * after an undone lift (0: none). */
  guint64 step_base;
  gint64 step_lifted;
  gint64 step_backoff;

  /* Retransmissions: the bytes its budget allows, and when it was last
   * sent each of its recent packets (by its numbering, modulo
   * RTX_RECENT; 0: not retransmitted). */
  gdouble rtx_budget;
  guint16 rtx_recent_seq[RTX_RECENT];
  gint64 rtx_recent_at[RTX_RECENT];

  /* Its RTCP: the packets and bytes it may still have read (as of
   * rtcp_time, 0: full). */
  gdouble rtcp_packets;
  gdouble rtcp_bytes;
  gint64 rtcp_time;

  /* Pacing: packets held back (Queued), retransmissions (paced_rtx of
   * them) at the head, their bytes, and the bytes it may be sent now (as
   * of budget_time). */
  GQueue paced;
  guint paced_rtx;
  gsize paced_bytes;
  gdouble budget;
  gint64 budget_time;
} Member;

typedef struct
{
  gsize size;
  guint8 data[];
} Queued;

static void
member_free (Member * m)
{
  p2p_bandwidth_estimator_free (m->estimator);
  g_queue_clear_full (&m->paced, g_free);
  g_free (m);
}

/* Video packets for one viewer, sent together through the send-list
 * function once a chunk is through (or the batch is full); renumbered ones
 * are copies in the fan-out's scratch. */
typedef struct
{
  const guint8 *data[LIST_CHUNK];
  gsize sizes[LIST_CHUNK];
  guint n;
} Batch;

struct _GstP2pFanout
{
  GstP2pFanoutSendFunc send;
  GstP2pFanoutSendListFunc send_list;
  GstP2pFanoutKeyframeFunc keyframe;
  GstP2pFanoutLayerFunc layer_changed;
  GstP2pFanoutBaseFunc base_apart;
  gpointer user_data;
    gint64 (*now) (void);

  /* Streams, members and keyframe state. Packets are sent with it held:
   * the send function only encrypts and writes, and the lock keeps a
   * leaving viewer's target valid without a reference per packet. */
  GMutex lock;
  Stream streams[GST_P2P_FANOUT_N_STREAMS];
  GPtrArray *members;
  /* The SSRC viewers see on video, whatever the layer and whichever
   * layer sent first: one stream for their jitter buffer and
   * depayloader, from the first packet on. One RTX stream too. */
  guint32 video_ssrc;
  guint32 rtx_ssrc;
  /* The packet a viewer is being sent (cursor_seq of cursor_stream;
   * NO_LAYER: none): the stream's later packets, in its history already,
   * are not its to flush yet. */
  GstP2pFanoutStream cursor_stream;
  guint16 cursor_seq;
  Batch batch;
  /* One viewer's copies of a chunk, its sequence numbers written in, and
   * of the packets it is sent, its transport-wide numbers written in. */
    guint8 (*scratch)[SCRATCH_SIZE];
    guint8 (*out_scratch)[SCRATCH_SIZE];

  /* The pacer: a thread for all viewers, started when a first packet is
   * held back, woken (cond) when a queue was empty. */
  gboolean pacing;
  GThread *pacer;
  GCond pacer_cond;
  gboolean pacer_stop;

  /* Viewers estimated below this many bits per second are thinned; 0:
   * none. */
  guint64 thin_below;

  /* Whether packets without a header extension get one carrying the
   * viewer's transport-wide sequence number. */
  gboolean twcc_extension;

  /* The estimate that gives the encoder its configured rate; 0: none. */
  guint64 encoder_goal;

  /* The pairs of layers found on different timestamp bases (bit
   * lower * GST_P2P_FANOUT_MAX_LAYERS + higher), told once each. */
  guint16 bases_apart;
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
  fanout->video_ssrc = g_random_int ();
  fanout->rtx_ssrc = g_random_int ();
  fanout->cursor_stream = NO_LAYER;
  fanout->scratch = g_malloc (LIST_CHUNK * sizeof (*fanout->scratch));
  fanout->out_scratch = g_malloc (LIST_CHUNK * sizeof (*fanout->scratch));
  g_mutex_init (&fanout->lock);
  g_cond_init (&fanout->pacer_cond);
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

  if (fanout->pacer) {
    g_mutex_lock (&fanout->lock);
    fanout->pacer_stop = TRUE;
    g_cond_signal (&fanout->pacer_cond);
    g_mutex_unlock (&fanout->lock);
    g_thread_join (fanout->pacer);
  }
  for (i = 0; i < GST_P2P_FANOUT_N_STREAMS; i++)
    g_free (fanout->streams[i].ring);
  g_ptr_array_unref (fanout->members);
  g_free (fanout->scratch);
  g_free (fanout->out_scratch);
  g_cond_clear (&fanout->pacer_cond);
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
 * gst_p2p_fanout_set_pacing:
 * @fanout: a fan-out not yet sending
 * @pacing: whether each viewer's media is paced to its bandwidth estimate
 *
 * Paced, a viewer's packets beyond its budget wait in a queue of its own
 * that one thread (for all viewers) drains as the budget allows:
 * keyframes spread instead of overflowing a shallow buffer on the way.
 * Retransmissions are paced too, ahead of the media waiting; RTCP is not
 * held back. Default: not paced.
 */
void
gst_p2p_fanout_set_pacing (GstP2pFanout * fanout, gboolean pacing)
{
  fanout->pacing = pacing;
}

/**
 * gst_p2p_fanout_set_twcc_extension:
 * @fanout: a fan-out not yet sending
 * @add: whether to add the transport-wide sequence number extension
 *
 * With @add, RTP packets that carry no header extension leave with one:
 * the one-byte form (RFC 8285) holding the viewer's transport-wide
 * sequence number under ID %GST_P2P_TWCC_EXT_ID, 8 bytes more per packet
 * (packets over %P2P_TRANSPORT_MAX_PACKET - 8 bytes leave without it).
 * The extension is written into each viewer's copy, which the fan-out
 * makes anyway to number it: the payloaders need not write one that
 * every viewer's copy overwrites (GStreamer's header extension API
 * reallocates each packet's header and costs several GObject calls per
 * packet). Packets that carry the extension already have their number
 * overwritten, with or without @add. Default: not added.
 */
void
gst_p2p_fanout_set_twcc_extension (GstP2pFanout * fanout, gboolean add)
{
  fanout->twcc_extension = add;
}

/**
 * gst_p2p_fanout_set_layer_func:
 * @fanout: a fan-out
 * @func: (nullable): told of each viewer's completed layer switch
 *
 * Set before any viewer joins; called with the user data of
 * gst_p2p_fanout_new().
 */
void
gst_p2p_fanout_set_layer_func (GstP2pFanout * fanout,
    GstP2pFanoutLayerFunc func)
{
  fanout->layer_changed = func;
}

/**
 * gst_p2p_fanout_set_base_func:
 * @fanout: a fan-out
 * @func: (nullable): told, once per pair of layers, of a viewer's move
 *     onto a layer whose keyframe is far in RTP time from the last frame
 *     it got
 *
 * Set before any viewer joins; called with the user data of
 * gst_p2p_fanout_new().
 */
void
gst_p2p_fanout_set_base_func (GstP2pFanout * fanout, GstP2pFanoutBaseFunc func)
{
  fanout->base_apart = func;
}

/**
 * gst_p2p_fanout_layer_stream:
 * @layer: a video layer, 0 to %GST_P2P_FANOUT_MAX_LAYERS - 1
 *
 * Returns: the stream (and rtpbin session) of @layer
 */
GstP2pFanoutStream
gst_p2p_fanout_layer_stream (guint layer)
{
  g_return_val_if_fail (layer < GST_P2P_FANOUT_MAX_LAYERS,
      GST_P2P_FANOUT_VIDEO);
  return layer == 0 ? GST_P2P_FANOUT_VIDEO : GST_P2P_FANOUT_VIDEO_1 + layer - 1;
}

/**
 * gst_p2p_fanout_stream_layer:
 * @stream: a stream
 *
 * Returns: the video layer @stream carries, -1 for audio
 */
gint
gst_p2p_fanout_stream_layer (GstP2pFanoutStream stream)
{
  if (stream == GST_P2P_FANOUT_VIDEO)
    return 0;
  if (stream >= GST_P2P_FANOUT_VIDEO_1 && stream < GST_P2P_FANOUT_N_STREAMS)
    return stream - GST_P2P_FANOUT_VIDEO_1 + 1;
  return -1;
}

static gboolean
is_video (GstP2pFanoutStream stream)
{
  return stream != GST_P2P_FANOUT_AUDIO;
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
  g_mutex_unlock (&fanout->lock);
}

/* The best layer there is, where a viewer starts. With the lock. */
static GstP2pFanoutStream
fanout_first_layer (GstP2pFanout * fanout)
{
  guint l;

  for (l = 0; l < GST_P2P_FANOUT_MAX_LAYERS; l++) {
    GstP2pFanoutStream st = gst_p2p_fanout_layer_stream (l);

    if (fanout->streams[st].present)
      return st;
  }
  return GST_P2P_FANOUT_VIDEO;
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
  guint i;

  g_return_if_fail (stream < GST_P2P_FANOUT_N_STREAMS);
  g_mutex_lock (&fanout->lock);
  g_clear_pointer (&s->ring, g_free);
  memset (s, 0, sizeof (*s));
  for (i = 0; i < fanout->members->len; i++) {
    Member *m = g_ptr_array_index (fanout->members, i);

    /* Viewers of a layer that went wait for a keyframe of another. */
    if (m->layer == stream || m->target_layer == stream) {
      if (m->layer == stream)
        m->layer = NO_LAYER;
      m->target_layer = fanout_first_layer (fanout);
      m->switch_started = m->holding = FALSE;
      m->hold_from = -1;
    }
  }
  g_mutex_unlock (&fanout->lock);
}

/* Asks @stream's encoder for a keyframe. A PLI or FIR (@join FALSE) goes
 * out at most once per KEYFRAME_INTERVAL_US; a joining or switching
 * viewer's request (@join TRUE) only waits for an earlier request whose
 * keyframe is still on its way (that keyframe serves it too), and at most
 * KEYFRAME_INTERVAL_US in case the encoder ignored it. A PLI or FIR held
 * back is owed: it goes out with the next packet the limit allows, unless
 * a keyframe serves it first. Returns FALSE when the request was held
 * back. Called without the lock. */
static gboolean
fanout_request_keyframe (GstP2pFanout * fanout, GstP2pFanoutStream stream,
    gboolean join, gint64 not_before, const gchar * why)
{
  Stream *s = &fanout->streams[stream];
  gint64 now = fanout->now ();
  guint count;

  g_mutex_lock (&fanout->lock);
  if (!s->present || (s->last_keyframe_request != 0
          && now - s->last_keyframe_request < KEYFRAME_INTERVAL_US
          && (!join || s->keyframe_pending))) {
    if (!join && s->present)
      s->keyframe_owed = TRUE;
    g_mutex_unlock (&fanout->lock);
    GST_LOG ("keyframe request on %u held back (%s)", stream, why);
    return FALSE;
  }
  s->last_keyframe_request = now;
  s->keyframe_pending = TRUE;
  s->keyframe_owed = FALSE;
  count = ++s->keyframe_count;
  g_mutex_unlock (&fanout->lock);

  GST_DEBUG ("requesting a keyframe on %u (%s)", stream, why);
  fanout->keyframe (stream, count, not_before, why, fanout->user_data);
  return TRUE;
}

/* Keyframe requests gathered under the lock, made after it. */
typedef struct
{
  gboolean wanted[GST_P2P_FANOUT_N_STREAMS];
  gint64 not_before[GST_P2P_FANOUT_N_STREAMS];
} KeyframeAsks;

static void
asks_add (KeyframeAsks * asks, GstP2pFanoutStream stream, gint64 not_before)
{
  asks->wanted[stream] = TRUE;
  asks->not_before[stream] = not_before;
}

static void
asks_send (GstP2pFanout * fanout, const KeyframeAsks * asks, const gchar * why)
{
  guint i;

  for (i = 0; i < GST_P2P_FANOUT_N_STREAMS; i++)
    if (asks->wanted[i])
      fanout_request_keyframe (fanout, i, TRUE, asks->not_before[i], why);
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
  s->unit_is_key = !is_video (stream) || is_key;
  s->unit_droppable = FALSE;
  if (is_video (stream) && is_key)
    s->keyframe_pending = s->keyframe_owed = FALSE;
  g_mutex_unlock (&fanout->lock);
}

/**
 * gst_p2p_fanout_mark_droppable:
 * @fanout: a fan-out
 * @stream: a video stream
 *
 * Streaming thread, after gst_p2p_fanout_input() for a frame that no
 * later frame refers to (gst_p2p_droppable_frame()): a thinned viewer
 * (gst_p2p_fanout_set_thin_below()) does not get it.
 */
void
gst_p2p_fanout_mark_droppable (GstP2pFanout * fanout, GstP2pFanoutStream stream)
{
  Stream *s = &fanout->streams[stream];

  g_return_if_fail (stream < GST_P2P_FANOUT_N_STREAMS);
  g_mutex_lock (&fanout->lock);
  s->unit_droppable = is_video (stream) && !s->unit_is_key;
  g_mutex_unlock (&fanout->lock);
}

/**
 * gst_p2p_fanout_set_thin_below:
 * @fanout: a fan-out
 * @bitrate: bits per second, 0 for none
 *
 * A viewer whose bandwidth estimate (once its path showed a limit, or as
 * given by gst_p2p_fanout_set_estimate()) is below @bitrate gets no
 * droppable frame (gst_p2p_fanout_mark_droppable()), until its estimate
 * is 15 % above @bitrate: the frames it gets keep consecutive sequence
 * numbers, and nothing else changes. For a camera with one video layer
 * whose encoder is already at its floor (p2psink `min-bitrate`). Any
 * thread.
 */
void
gst_p2p_fanout_set_thin_below (GstP2pFanout * fanout, guint64 bitrate)
{
  g_mutex_lock (&fanout->lock);
  fanout->thin_below = bitrate;
  g_mutex_unlock (&fanout->lock);
}

/**
 * gst_p2p_fanout_set_encoder_goal:
 * @fanout: a fan-out
 * @bitrate: bits per second, 0 for none
 *
 * The bandwidth estimate a viewer needs for the one encoder of a camera
 * without layers to get the rate it was configured with (p2psink
 * `encoder`). A viewer whose path showed a limit below it holds the
 * encoder down: it is probed for it, as a viewer on a lower layer is for
 * the better one, so that a path widened shows within seconds. Any
 * thread.
 */
void
gst_p2p_fanout_set_encoder_goal (GstP2pFanout * fanout, guint64 bitrate)
{
  g_mutex_lock (&fanout->lock);
  fanout->encoder_goal = bitrate;
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

/* @size bytes of RTP packet @data, with a one-byte header extension
 * block holding only the transport-wide sequence number put after its
 * fixed header and CSRCs, into @out (TWCC_BLOCK_SIZE bytes more). @data
 * has no extension. Returns the offset of the number in @out, 0 when
 * @data is too short. */
static gsize
twcc_insert (const guint8 * data, gsize size, guint8 * out)
{
  gsize hdr = 12 + 4 * (data[0] & 0x0f);

  if (size < hdr)
    return 0;
  memcpy (out, data, hdr);
  out[0] |= 0x10;
  GST_WRITE_UINT16_BE (out + hdr, 0xbede);
  GST_WRITE_UINT16_BE (out + hdr + 2, 1);
  /* ID, and length - 1 (two bytes); then the number, and padding. */
  out[hdr + 4] = (GST_P2P_TWCC_EXT_ID << 4) | 1;
  out[hdr + 7] = 0;
  memcpy (out + hdr + TWCC_BLOCK_SIZE, data + hdr, size - hdr);
  return hdr + 5;
}

/* With the lock: @n packets (at most LIST_CHUNK, each at most SLOT_SIZE
 * + 2 bytes) out to one viewer now, its own transport-wide sequence
 * numbers written in where the packets have room for one (or put in,
 * gst_p2p_fanout_set_twcc_extension()), and remembered with the time for
 * its feedback. Before encryption: SRTP authenticates the header. */
static void
member_write (GstP2pFanout * fanout, Member * m, const guint8 * const *data,
    const gsize * sizes, guint n, gint64 now)
{
  const guint8 *out[LIST_CHUNK];
  gsize out_sizes[LIST_CHUNK];
  guint j;

  if (n == 0)
    return;
  for (j = 0; j < n; j++) {
    guint8 *copy = fanout->out_scratch[j];
    gsize twcc = twcc_offset (data[j], sizes[j]);

    out[j] = data[j];
    out_sizes[j] = sizes[j];
    if (twcc) {
      memcpy (copy, data[j], sizes[j]);
    } else if (fanout->twcc_extension && !(data[j][0] & 0x10)
        && sizes[j] + TWCC_BLOCK_SIZE <= SLOT_SIZE) {
      twcc = twcc_insert (data[j], sizes[j], copy);
      if (twcc)
        out_sizes[j] += TWCC_BLOCK_SIZE;
    }
    if (twcc) {
      /* Byte by byte: the field is at an odd offset. */
      copy[twcc] = m->twcc_seq >> 8;
      copy[twcc + 1] = m->twcc_seq & 0xff;
      if (m->probe_tagged)
        p2p_bandwidth_estimator_on_probe_sent (m->estimator, m->twcc_seq,
            out_sizes[j], now);
      else
        p2p_bandwidth_estimator_on_sent (m->estimator, m->twcc_seq,
            out_sizes[j], now);
      m->twcc_seq++;
      out[j] = copy;
    }
  }
  if (fanout->send_list) {
    fanout->send_list (m->target, out, out_sizes, n, fanout->user_data);
  } else {
    for (j = 0; j < n; j++)
      fanout->send (m->target, FALSE, out[j], out_sizes[j], fanout->user_data);
  }
}

/* With the lock: counts @size bytes sent at @now, over windows of
 * @window microseconds, the last one with half the weight if @smooth. */
static void
rate_count (RateMeter * r, gsize size, gint64 now, gint64 window,
    gboolean smooth)
{
  gint64 elapsed;
  guint64 rate;

  if (r->window_start == 0)
    r->window_start = now;
  r->window_bytes += size;
  elapsed = now - r->window_start;
  if (elapsed < window)
    return;
  rate = gst_util_uint64_scale (r->window_bytes, 8 * G_USEC_PER_SEC, elapsed);
  r->bitrate = r->bitrate == 0 || !smooth ? rate : (r->bitrate + rate) / 2;
  r->window_start = now;
  r->window_bytes = 0;
}

/* Bytes per microsecond a viewer may be sent. */
static gdouble
member_pacing_rate (GstP2pFanout * fanout, Member * m)
{
  guint64 sent = m->sent.bitrate;
  gdouble bps;

  /* Until its first window is through, what a viewer is sent is its
   * layer's rate: its first keyframe must not wait for the start-up
   * estimate (at 20 Mbit/s it took 80 ms more to arrive). */
  if (sent == 0 && m->layer != NO_LAYER)
    sent = fanout->streams[gst_p2p_fanout_layer_stream (m->layer)].rate.bitrate;
  bps = MAX (p2p_bandwidth_estimator_get_target (m->estimator),
      sent) * PACING_FACTOR;

  bps = MAX (bps, m->paced_bytes * 8.0 * G_USEC_PER_SEC / PACING_MAX_DELAY_US);
  return bps / 8 / G_USEC_PER_SEC;
}

static void
member_refill (GstP2pFanout * fanout, Member * m, gint64 now)
{
  gdouble rate = member_pacing_rate (fanout, m);
  gdouble burst = MAX (rate * PACING_BURST_US, PACING_MIN_BURST);

  if (m->budget_time == 0)
    m->budget = burst;
  else if (now > m->budget_time)
    m->budget = MIN (burst, m->budget + (now - m->budget_time) * rate);
  m->budget_time = now;
}

static gpointer pacer_run (gpointer data);

/* With the lock: @n packets to one viewer, as its budget allows. What
 * it does not allow waits in its queue, copied: media behind all that
 * waits, retransmissions (@rtx) ahead of the media, behind earlier
 * retransmissions. Retransmissions are late already, but a burst of
 * them (a NACK may ask for a whole keyframe) would overflow a shallow
 * buffer on the way as a keyframe would. */
static void
member_send (GstP2pFanout * fanout, Member * m, const guint8 * const *data,
    const gsize * sizes, guint n, gboolean rtx, gint64 now)
{
  guint j, sendable = n;

  if (!fanout->pacing) {
    member_write (fanout, m, data, sizes, n, now);
    return;
  }
  member_refill (fanout, m, now);
  if (rtx ? m->paced_rtx > 0 : !g_queue_is_empty (&m->paced))
    sendable = 0;
  for (j = 0; j < sendable; j++) {
    if (m->budget <= 0) {
      sendable = j;
      break;
    }
    m->budget -= sizes[j];
  }
  member_write (fanout, m, data, sizes, sendable, now);
  if (sendable == n)
    return;

  if (g_queue_is_empty (&m->paced))
    g_cond_signal (&fanout->pacer_cond);
  for (j = sendable; j < n; j++) {
    Queued *q = g_malloc (sizeof (Queued) + sizes[j]);

    q->size = sizes[j];
    memcpy (q->data, data[j], sizes[j]);
    if (rtx)
      g_queue_push_nth (&m->paced, q, m->paced_rtx++);
    else
      g_queue_push_tail (&m->paced, q);
    m->paced_bytes += q->size;
  }
  while (g_queue_get_length (&m->paced) > PACING_MAX_PACKETS) {
    Queued *q = g_queue_pop_head (&m->paced);

    GST_LOG ("pacing queue full: a packet dropped");
    m->paced_bytes -= q->size;
    if (m->paced_rtx > 0)
      m->paced_rtx--;
    g_free (q);
  }
  if (!fanout->pacer)
    fanout->pacer = g_thread_new ("p2p-pacer", pacer_run, fanout);
}

/* With the lock: sends @m what its budget allows of its queue. Returns
 * when its next packet is due, 0 when none waits. */
static gint64
member_drain (GstP2pFanout * fanout, Member * m, gint64 now)
{
  const guint8 *data[LIST_CHUNK];
  gsize sizes[LIST_CHUNK];
  Queued *taken[LIST_CHUNK];
  gdouble want;
  guint n, j;

  if (g_queue_is_empty (&m->paced))
    return 0;
  member_refill (fanout, m, now);
  do {
    for (n = 0; n < LIST_CHUNK && m->budget > 0
        && !g_queue_is_empty (&m->paced); n++) {
      taken[n] = g_queue_pop_head (&m->paced);
      if (m->paced_rtx > 0)
        m->paced_rtx--;
      data[n] = taken[n]->data;
      sizes[n] = taken[n]->size;
      m->paced_bytes -= sizes[n];
      m->budget -= sizes[n];
    }
    member_write (fanout, m, data, sizes, n, now);
    for (j = 0; j < n; j++)
      g_free (taken[j]);
  } while (n == LIST_CHUNK);
  if (g_queue_is_empty (&m->paced))
    return 0;
  /* Due once the budget allows a few packets (the whole queue if less):
   * batches for GSO, and not a wake-up per packet. */
  want = MIN (m->paced_bytes, PACING_MIN_BURST) - m->budget;
  return now + MAX ((gint64) (want / member_pacing_rate (fanout, m)), 1);
}

/* With the lock: @slot's packet as @m's RFC 4588 retransmission of its
 * sequence number @seq, into @pkt (SLOT_SIZE + 2 bytes). The RTX stream
 * has its own SSRC and sequence numbers, so SRTP never sees an index
 * twice and the viewer's rtprtxreceive restores the original. Returns
 * its size, 0 for a packet it cannot repeat. */
static gsize
member_rtx (GstP2pFanout * fanout, Member * m, const HistorySlot * slot,
    guint16 seq, guint8 * pkt)
{
  gsize size = slot->size, hdr = 12 + 4 * (slot->data[0] & 0x0f);

  if ((slot->data[0] & 0x10) && size >= hdr + 4)
    hdr += 4 + 4 * GST_READ_UINT16_BE (slot->data + hdr + 2);
  else if (slot->data[0] & 0x10)
    return 0;
  /* Payloaders do not pad; never seen. */
  if (hdr > size || (slot->data[0] & 0x20))
    return 0;

  /* Header at the front, the original sequence number in front of the
   * payload. */
  memcpy (pkt, slot->data, hdr);
  GST_WRITE_UINT16_BE (pkt + hdr, seq);
  memcpy (pkt + hdr + 2, slot->data + hdr, size - hdr);
  pkt[1] = (pkt[1] & 0x80) | GST_P2P_PT_VIDEO_RTX;
  GST_WRITE_UINT16_BE (pkt + 2, m->rtx_seq);
  GST_WRITE_UINT32_BE (pkt + 8, fanout->rtx_ssrc);
  m->rtx_seq++;
  return size + 2;
}

/* With the lock: the most a viewer's estimate may say, from the rates the
 * streams are sent at (ESTIMATE_CAP_FACTOR). */
static guint64
fanout_estimate_cap (GstP2pFanout * fanout)
{
  guint64 best = 0;
  guint l;

  for (l = 0; l < GST_P2P_FANOUT_MAX_LAYERS; l++)
    best = MAX (best,
        fanout->streams[gst_p2p_fanout_layer_stream (l)].rate.bitrate);
  best += fanout->streams[GST_P2P_FANOUT_AUDIO].rate.bitrate;
  /* An encoder held down: enough to probe for its configured rate. */
  best = MAX (best, fanout->encoder_goal);
  if (best == 0)
    return ESTIMATE_MAX_BPS;
  return MAX (ESTIMATE_CAP_FACTOR * best, ESTIMATE_START_BPS);
}

/* With the lock: the layer above @m's that is sent, with its rate known;
 * NO_LAYER if none. */
static GstP2pFanoutStream
member_better_layer (GstP2pFanout * fanout, Member * m)
{
  gint l;

  for (l = gst_p2p_fanout_stream_layer (m->layer) - 1; l >= 0; l--) {
    GstP2pFanoutStream st = gst_p2p_fanout_layer_stream (l);

    if (fanout->streams[st].present && fanout->streams[st].rate.bitrate)
      return st;
  }
  return NO_LAYER;
}

static void
member_probe_end (Member * m)
{
  m->probe_start = 0;
  p2p_bandwidth_estimator_end_probe (m->estimator);
}

/* With the lock: watches the lift of @m's last step cluster
 * (PROBE_STEP): undone within PROBE_FAILED_US, the next cluster waits
 * longer. */
static void
member_step_watch (Member * m, gint64 now)
{
  guint64 target = p2p_bandwidth_estimator_get_target (m->estimator);

  if (m->step_base == 0 || m->probe_start != 0)
    return;
  if (m->step_lifted == 0) {
    /* Lifted: the next step comes as soon as after a move. */
    if (target > PROBE_LIFTED * m->step_base) {
      m->step_lifted = now;
      m->probed = FALSE;
      m->probe_next = MIN (m->probe_next, now + PROBE_INTERVAL_US);
    }
    return;
  }
  if (target < m->step_base) {
    m->step_backoff = CLAMP (2 * m->step_backoff, PROBE_INTERVAL_MAX_US,
        PROBE_BACKOFF_MAX_US);
    m->probe_next = MAX (m->probe_next, now + m->step_backoff);
    GST_DEBUG ("viewer %p: a probe's lift undone, next in %" G_GINT64_FORMAT
        " ms", m->target, m->step_backoff / 1000);
  } else if (now - m->step_lifted < PROBE_FAILED_US) {
    return;
  } else {
    m->step_backoff = 0;
  }
  m->step_base = 0;
  m->step_lifted = 0;
}

/* With the lock, just after @m was sent a frame of its layer: a probe
 * cluster begins if @m is on a lower layer by its estimate's choice, or
 * thinned, or (one layer) holds the encoder below its configured rate
 * (gst_p2p_fanout_set_encoder_goal()), its estimate is short of the
 * better layer (of leaving thinning, of that goal), its path carries what it is
 * sent (else a probe only adds to a queue), its wait is over and its
 * budget allows. The pacer sends it (member_probe_send()). */
static void
member_probe_start (GstP2pFanout * fanout, Member * m, gint64 now)
{
  GstP2pFanoutStream better;
  guint64 need, received;
  gdouble bps;

  if (!fanout->pacing || m->probe_start != 0 || m->pinned >= 0
      || m->estimate != 0 || m->layer == NO_LAYER
      || m->target_layer != NO_LAYER || now < m->probe_next
      || !g_queue_is_empty (&m->paced))
    return;
  better = member_better_layer (fanout, m);
  if (better == NO_LAYER)
    member_step_watch (m, now);
  if (better != NO_LAYER)
    need = fanout->streams[better].rate.bitrate * UP_HEADROOM;
  else if (m->thinned)
    need = fanout->thin_below * UP_HEADROOM;
  else if (p2p_bandwidth_estimator_get_limited (m->estimator))
    need = fanout->encoder_goal;
  else
    need = 0;
  if (need != 0 && better == NO_LAYER
      && p2p_bandwidth_estimator_get_target (m->estimator) >= need) {
    /* The encoder is not held down by @m: its next shortfall is probed
     * afresh, a while after it came of congestion, as after a move
     * down. */
    m->probed = FALSE;
    m->probe_next = now + PROBE_INTERVAL_US;
    return;
  }
  received = p2p_bandwidth_estimator_get_acked (m->estimator);
  if (need == 0 || p2p_bandwidth_estimator_get_target (m->estimator) >= need
      || received == 0 || m->sent.bitrate == 0
      || received < DOWN_RECEIVED * m->sent.bitrate)
    return;
  bps = MIN (PROBE_RATE_FACTOR * need, fanout_estimate_cap (fanout));
  m->probe_bytes = MIN (bps / 8 * PROBE_DURATION_US / G_USEC_PER_SEC,
      PROBE_MAX_BYTES);
  if (better == NO_LAYER) {
    bps = MIN (bps, PROBE_STEP * received);
    m->probe_bytes = CLAMP (bps / 8 * PROBE_DURATION_US / G_USEC_PER_SEC,
        PROBE_MIN_BYTES, PROBE_MAX_BYTES);
  }
  if (m->probe_budget < m->probe_bytes)
    return;
  if (better == NO_LAYER && m->step_base == 0)
    m->step_base = p2p_bandwidth_estimator_get_target (m->estimator);
  /* The last cluster did not lift the estimate to the better layer. */
  m->probe_interval = m->probed ?
      MIN (2 * m->probe_interval, PROBE_INTERVAL_MAX_US) : PROBE_INTERVAL_US;
  m->probed = TRUE;
  m->probe_next = now + m->probe_interval;
  m->probe_start = now;
  m->probe_rate = bps / 8 / G_USEC_PER_SEC;
  m->probe_sent = 0;
  m->probe_cursor = m->last_out_seq;
  p2p_bandwidth_estimator_start_probe (m->estimator, bps);
  GST_DEBUG ("viewer %p: probing at %.0f bit/s (%" G_GSIZE_FORMAT
      " bytes) for layer %d, estimate %" G_GUINT64_FORMAT, m->target, bps,
      m->probe_bytes, gst_p2p_fanout_stream_layer (better),
      p2p_bandwidth_estimator_get_target (m->estimator));
  g_cond_signal (&fanout->pacer_cond);
  if (!fanout->pacer)
    fanout->pacer = g_thread_new ("p2p-pacer", pacer_run, fanout);
}

/* With the lock: the slot of the packet @m's probe repeats next, going
 * back from the last one it was sent and starting over when the history
 * has no more of its layer; NULL when it has none at all. */
static const HistorySlot *
member_probe_slot (GstP2pFanout * fanout, Member * m, guint16 * seq)
{
  const Stream *s = &fanout->streams[m->layer];
  guint attempt;

  for (attempt = 0; attempt < 2; attempt++) {
    guint16 layer_seq = m->probe_cursor - m->seq_offset;
    const HistorySlot *slot = &s->ring[layer_seq % s->ring_size];

    if (slot->size != 0 && slot->seq == layer_seq && (!m->has_prev
            || (gint16) (m->probe_cursor - m->switch_out_seq) >= 0)
        && (guint16) (m->last_out_seq - m->probe_cursor) < s->ring_size / 2) {
      *seq = m->probe_cursor--;
      return slot;
    }
    m->probe_cursor = m->last_out_seq;
  }
  return NULL;
}

/* With the lock: sends what is due of @m's probe cluster, after any
 * media its pacing holds back. Returns when more is due, 0 when nothing
 * is (or only media is). */
static gint64
member_probe_send (GstP2pFanout * fanout, Member * m, gint64 now)
{
  const guint8 *data[LIST_CHUNK];
  gsize sizes[LIST_CHUNK];
  gdouble due;
  guint n = 0;

  if (m->probe_start == 0 || !g_queue_is_empty (&m->paced))
    return 0;
  if (m->layer == NO_LAYER || m->target_layer != NO_LAYER) {
    member_probe_end (m);
    return 0;
  }
  /* What the rate allows by now, a packet at the start: a late wake-up
   * catches up, so the cluster keeps its rate. */
  due = (now - m->probe_start) * m->probe_rate + 1;
  while (n < LIST_CHUNK && m->probe_sent < m->probe_bytes
      && m->probe_sent < due && m->probe_budget > 0) {
    guint16 seq;
    const HistorySlot *slot = member_probe_slot (fanout, m, &seq);

    if (!slot || !(sizes[n] = member_rtx (fanout, m, slot, seq,
                fanout->scratch[n]))) {
      m->probe_bytes = m->probe_sent;
      break;
    }
    data[n] = fanout->scratch[n];
    m->probe_sent += sizes[n];
    m->probe_budget -= sizes[n];
    n++;
  }
  m->probe_tagged = TRUE;
  member_write (fanout, m, data, sizes, n, now);
  m->probe_tagged = FALSE;
  if (m->probe_sent >= m->probe_bytes || m->probe_budget <= 0) {
    member_probe_end (m);
    return 0;
  }
  return MAX (m->probe_start + (gint64) ((m->probe_sent + 1) /
          m->probe_rate), now + 1);
}

/* With the lock: see gst_p2p_fanout_pace(). */
static gint64
fanout_pace (GstP2pFanout * fanout, gint64 now)
{
  gint64 next = 0;
  guint i;

  for (i = 0; i < fanout->members->len; i++) {
    Member *m = g_ptr_array_index (fanout->members, i);
    gint64 due = member_drain (fanout, m, now);
    gint64 probe_due = member_probe_send (fanout, m, now);

    if (probe_due && (!due || probe_due < due))
      due = probe_due;
    if (due && (!next || due < next))
      next = due;
  }
  return next;
}

/**
 * gst_p2p_fanout_pace:
 * @fanout: a fan-out
 *
 * Sends every viewer what its pacing budget allows now (the pacer thread
 * does, as packets fall due; tests with their own clock too).
 *
 * Returns: when the next held packet is due (the clock of
 *     gst_p2p_fanout_set_clock()), 0 when none waits
 */
gint64
gst_p2p_fanout_pace (GstP2pFanout * fanout)
{
  gint64 next;

  g_mutex_lock (&fanout->lock);
  next = fanout_pace (fanout, fanout->now ());
  g_mutex_unlock (&fanout->lock);
  return next;
}

/* The pacer thread: drains the queues as they fall due, sleeps until the
 * next one is, or until a queue fills (signalled under the lock, which
 * the thread holds from its check to its wait). */
static gpointer
pacer_run (gpointer data)
{
  GstP2pFanout *fanout = data;

  g_mutex_lock (&fanout->lock);
  while (!fanout->pacer_stop) {
    gint64 now = fanout->now ();
    gint64 next = fanout_pace (fanout, now);

    if (next == 0)
      g_cond_wait (&fanout->pacer_cond, &fanout->lock);
    else
      g_cond_wait_until (&fanout->pacer_cond, &fanout->lock,
          g_get_monotonic_time () + MAX (next - now, 1));
  }
  g_mutex_unlock (&fanout->lock);
  return NULL;
}

/* With the lock: sends @m what its batch holds. */
static void
batch_flush (GstP2pFanout * fanout, Member * m)
{
  Batch *b = &fanout->batch;

  if (b->n == 0)
    return;
  member_send (fanout, m, b->data, b->sizes, b->n, FALSE, fanout->now ());
  b->n = 0;
}

/* With the lock: the packets of @stream from @from on that its viewers
 * have been handled: up to the one being handled now, if of @stream. */
static guint16
stream_handled (GstP2pFanout * fanout, GstP2pFanoutStream stream, guint16 from)
{
  guint16 end = stream == fanout->cursor_stream ? fanout->cursor_seq :
      fanout->streams[stream].last_seq + 1;

  return end - from;
}

/* With the lock: one video packet of its layer @s to @m, renumbered, into
 * its batch. */
static void
member_send_video (GstP2pFanout * fanout, Member * m, const Stream * s,
    const guint8 * data, gsize size)
{
  Batch *b = &fanout->batch;
  guint32 ssrc = fanout->video_ssrc;
  guint16 seq = GST_READ_UINT16_BE (data + 2) + m->seq_offset;

  if (m->offset_moved) {
    OffsetMark *mark = &m->marks[m->marks_pushed++ % OFFSET_MARKS];

    mark->from = seq;
    mark->offset = m->seq_offset;
    m->offset_moved = FALSE;
  }
  if (b->n == LIST_CHUNK)
    batch_flush (fanout, m);
  if (m->seq_offset == 0 && ssrc == GST_READ_UINT32_BE (data + 8)) {
    b->data[b->n] = data;
  } else {
    guint8 *pkt = fanout->scratch[b->n];

    memcpy (pkt, data, size);
    GST_WRITE_UINT16_BE (pkt + 2, seq);
    GST_WRITE_UINT32_BE (pkt + 8, ssrc);
    b->data[b->n] = pkt;
  }
  b->sizes[b->n++] = size;
  rate_count (&m->sent, size, fanout->now (), SENT_WINDOW_US, FALSE);
  m->probe_budget = MIN (m->probe_budget + PROBE_SHARE * size, PROBE_MAX_BYTES);
  m->rtx_budget = MIN (m->rtx_budget + RTX_SHARE * size, RTX_MAX_BYTES);
  m->sent_video = TRUE;
  m->last_out_seq = seq;
  m->last_ts = GST_READ_UINT32_BE (data + 4);
}

/* With the lock, at the start of a frame of @m's layer @s: whether @m is
 * to be left without it (thinned, and the frame droppable). */
static gboolean
member_thins (GstP2pFanout * fanout, Member * m, const Stream * s)
{
  guint64 estimate = m->estimate, received;
  gboolean short_of_stream = m->estimate != 0;

  if (estimate == 0 && p2p_bandwidth_estimator_get_limited (m->estimator)) {
    estimate = p2p_bandwidth_estimator_get_target (m->estimator);
    received = p2p_bandwidth_estimator_get_acked (m->estimator);
    short_of_stream = m->sent.bitrate != 0
        && (received < DOWN_RECEIVED * m->sent.bitrate
        || estimate < THIN_SHORT * m->sent.bitrate);
  }
  if (fanout->thin_below == 0 || estimate == 0) {
    m->thinned = FALSE;
    m->thin_since = 0;
  } else if (estimate < fanout->thin_below && short_of_stream) {
    gint64 now = fanout->now ();

    if (m->thin_since == 0)
      m->thin_since = now;
    if (now - m->thin_since >= THIN_HOLD_US)
      m->thinned = TRUE;
  } else {
    m->thin_since = 0;
    if (estimate >= fanout->thin_below * UP_HEADROOM)
      m->thinned = FALSE;
  }
  return m->thinned && s->unit_droppable && m->target_layer == NO_LAYER;
}

/* With the lock: a packet of a frame left out of @m's stream: the
 * packets after it are numbered one lower, which its next packet
 * records. */
static void
member_skip_video (Member * m)
{
  m->seq_offset--;
  m->offset_moved = TRUE;
}

/* With the lock: in @offset, what the layer's sequence numbers had added
 * to make @m's packet @seq (on its current layer). FALSE when frames were
 * left out so often since that the shift is forgotten. */
static gboolean
member_offset_at (const Member * m, guint16 seq, guint16 * offset)
{
  guint n = MIN (m->marks_pushed, OFFSET_MARKS), i;

  for (i = 0; i < n; i++) {
    const OffsetMark *mark =
        &m->marks[(m->marks_pushed - 1 - i) % OFFSET_MARKS];

    if ((gint16) (seq - mark->from) >= 0) {
      *offset = mark->offset;
      return TRUE;
    }
  }
  *offset = m->base_offset;
  return m->marks_pushed <= OFFSET_MARKS;
}

/* With the lock: @m moves to its target layer, whose packets since the
 * keyframe wait in the layer's history; they go out numbered after the
 * last one it got. */
static void
member_finish_switch (GstP2pFanout * fanout, Member * m)
{
  Stream *t = &fanout->streams[m->target_layer];
  guint16 n = stream_handled (fanout, m->target_layer, m->switch_seq);
  guint16 offset = 0, i;

  if (m->sent_video)
    offset = m->last_out_seq + 1 - m->switch_seq;
  if (m->layer != NO_LAYER) {
    m->has_prev = TRUE;
    m->prev_layer = m->layer;
    m->prev_offset = m->seq_offset;
    m->switch_out_seq = m->switch_seq + offset;
  }
  GST_DEBUG ("viewer %p: layer %d -> %d at #%u ts %u (last sent #%u ts %u, "
      "%u packets waiting)", m->target,
      m->layer == NO_LAYER ? -1 : gst_p2p_fanout_stream_layer (m->layer),
      gst_p2p_fanout_stream_layer (m->target_layer), m->switch_seq,
      m->switch_ts, m->last_out_seq, m->last_ts, n);
  m->layer = m->target_layer;
  m->seq_offset = m->base_offset = offset;
  m->marks_pushed = 0;
  m->offset_moved = m->skip_unit = FALSE;
  m->target_layer = NO_LAYER;
  /* Probing starts afresh on the new layer, after a while: a move down
   * came of congestion. */
  if (m->probe_start != 0)
    member_probe_end (m);
  m->probed = FALSE;
  m->probe_interval = PROBE_INTERVAL_US;
  m->probe_next = fanout->now () + PROBE_INTERVAL_US;
  m->switch_started = m->holding = FALSE;
  m->hold_from = -1;
  for (i = 0; i < n && i < t->ring_size; i++) {
    guint16 seq = m->switch_seq + i;
    HistorySlot *slot = &t->ring[seq % t->ring_size];

    if (slot->size != 0 && slot->seq == seq)
      member_send_video (fanout, m, t, slot->data, slot->size);
  }
  if (fanout->layer_changed)
    fanout->layer_changed (m->target, gst_p2p_fanout_stream_layer (m->layer),
        fanout->user_data);
}

/* With the lock: sends what @m's layer held back for it, from the hold
 * up to the layer's last packet, but only frames before timestamp @before
 * (-1: all). Returns whether it stopped at a frame from @before on. */
static gboolean
member_release (GstP2pFanout * fanout, Member * m, gint64 before)
{
  Stream *s;
  guint16 n, i;

  if (!m->holding)
    return FALSE;
  m->holding = FALSE;
  s = &fanout->streams[m->layer];
  n = stream_handled (fanout, m->layer, m->hold_seq);
  for (i = 0; i < n && i < s->ring_size; i++) {
    guint16 seq = m->hold_seq + i;
    HistorySlot *slot = &s->ring[seq % s->ring_size];

    if (slot->size == 0 || slot->seq != seq)
      continue;
    if (before >= 0 && (gint32) (GST_READ_UINT32_BE (slot->data + 4) -
            (guint32) before) >= 0)
      return TRUE;
    member_send_video (fanout, m, s, slot->data, slot->size);
  }
  return FALSE;
}

/* With the lock: @m starts moving to @to; the keyframe to ask for goes
 * into @asks. */
static void
member_switch (GstP2pFanout * fanout, Member * m, GstP2pFanoutStream to,
    KeyframeAsks * asks)
{
  member_release (fanout, m, -1);
  m->switch_started = m->skip_unit = FALSE;
  m->up_since = m->down_since = 0;
  m->hold_from = -1;
  if (to == m->layer) {
    m->target_layer = NO_LAYER;
    return;
  }
  m->target_layer = to;
  if (m->sent_video)
    m->hold_from = (guint32) (m->last_ts + SWITCH_LEAD_TICKS);
  asks_add (asks, to, m->hold_from);
}

/* With the lock: the best layer @estimate sustains, the one above
 * @current only with UP_HEADROOM to spare; the lowest when none does. */
static GstP2pFanoutStream
fanout_choose_layer (GstP2pFanout * fanout, guint64 estimate,
    GstP2pFanoutStream current)
{
  gint cur = gst_p2p_fanout_stream_layer (current);
  GstP2pFanoutStream lowest = NO_LAYER;
  guint l;

  for (l = 0; l < GST_P2P_FANOUT_MAX_LAYERS; l++) {
    GstP2pFanoutStream st = gst_p2p_fanout_layer_stream (l);
    const Stream *s = &fanout->streams[st];
    gdouble need;

    if (!s->present || s->rate.bitrate == 0)
      continue;
    need = (gint) l < cur ? s->rate.bitrate * UP_HEADROOM : s->rate.bitrate;
    if (estimate >= need)
      return st;
    lowest = st;
  }
  return lowest != NO_LAYER ? lowest : current;
}

/* With the lock: moves @m to the layer its pin or estimate asks for, with
 * the hysteresis of UP_HOLD_US and DOWN_HOLD_US. */
static void
member_adapt (GstP2pFanout * fanout, Member * m, gint64 now,
    KeyframeAsks * asks)
{
  GstP2pFanoutStream current = m->target_layer != NO_LAYER ?
      m->target_layer : m->layer;
  GstP2pFanoutStream want;
  guint64 estimate, received = 0;

  /* A viewer's first keyframe is the best layer's, whose parameter sets
   * the offer carries: its decoder starts on what it was told. */
  if (current == NO_LAYER || !m->sent_video)
    return;
  if (m->pinned >= 0) {
    want = gst_p2p_fanout_layer_stream (m->pinned);
    if (want != current && fanout->streams[want].present)
      member_switch (fanout, m, want, asks);
    return;
  }
  estimate = m->estimate;
  if (estimate == 0) {
    received = p2p_bandwidth_estimator_get_acked (m->estimator);
    if (received == 0)
      return;
    estimate = p2p_bandwidth_estimator_get_target (m->estimator);
    /* Receiving well short of what it is sent is congestion, measured:
     * the estimate may take seconds to come down that far. But the two
     * rates come from windows that do not line up (what is sent by send
     * time, what arrives by arrival time, a feedback later), so one
     * window of a low layer can count a keyframe the other counts in its
     * next: in the bench's adaptation row a viewer on sub, waiting to
     * move up on a probe's estimate, received 0.77 to 0.79 of what it
     * was sent for 0.1 to 0.2 s and waited its 2 s afresh (back on main
     * after 4.6 to 5.7 s instead of 4.3). A wait up is broken only by a
     * shortfall that outlasts such a window (SENT_WINDOW_US). */
    if (m->sent.bitrate != 0 && received < DOWN_RECEIVED * m->sent.bitrate) {
      if (m->short_since == 0)
        m->short_since = now;
      if (m->up_since == 0 || now - m->short_since >= SENT_WINDOW_US)
        estimate = MIN (estimate, received);
    } else {
      m->short_since = 0;
    }
  }
  want = fanout_choose_layer (fanout, estimate, current);
  if (want == current) {
    m->up_since = m->down_since = 0;
    return;
  }
  if (gst_p2p_fanout_stream_layer (want) <
      gst_p2p_fanout_stream_layer (current)) {
    m->down_since = 0;
    if (m->up_since == 0)
      m->up_since = now;
    if (now - m->up_since < m->up_hold)
      return;
    m->last_up = now;
  } else {
    m->up_since = 0;
    if (m->estimate == 0 && (m->sent.bitrate == 0
            || received >= DOWN_RECEIVED * m->sent.bitrate)) {
      m->down_since = 0;
      return;
    }
    if (m->down_since == 0)
      m->down_since = now;
    if (now - m->down_since < DOWN_HOLD_US)
      return;
    if (m->last_up != 0 && now - m->last_up < PROBE_FAILED_US)
      m->up_hold = MIN (2 * m->up_hold, UP_HOLD_MAX_US);
    else
      m->up_hold = UP_HOLD_US;
  }
  GST_DEBUG ("viewer %p: estimate %" G_GUINT64_FORMAT ", receives %"
      G_GUINT64_FORMAT ": to layer %d", m->target, estimate, received,
      gst_p2p_fanout_stream_layer (want));
  member_switch (fanout, m, want, asks);
}

/* With the lock: the keyframe at @ts of layer @stream, which @m moves
 * to, against the last frame @m got: far apart, the two layers do not
 * share a timestamp base (BASE_APART_TICKS), which is told once per pair
 * of layers. */
static void
member_check_base (GstP2pFanout * fanout, Member * m,
    GstP2pFanoutStream stream, guint32 ts)
{
  gint32 apart = (gint32) (ts - m->last_ts);
  gint from, to;
  guint16 pair;

  if (m->layer == NO_LAYER || ABS ((gint64) apart) <= BASE_APART_TICKS)
    return;
  from = gst_p2p_fanout_stream_layer (m->layer);
  to = gst_p2p_fanout_stream_layer (stream);
  pair = 1 << (MIN (from, to) * GST_P2P_FANOUT_MAX_LAYERS + MAX (from, to));
  if (fanout->bases_apart & pair)
    return;
  fanout->bases_apart |= pair;
  GST_WARNING ("video layers %d and %d are on different RTP timestamp "
      "bases: a viewer moving from %d to %d finds %d's keyframe at %u, %d "
      "ticks from its last frame at %u", from, to, from, to, to, ts, apart,
      m->last_ts);
  if (fanout->base_apart)
    fanout->base_apart (from, to, apart, fanout->user_data);
}

/* With the lock: one packet of video layer @stream for @m, which gets it,
 * or waits for its keyframe, or is moving off it. A flush of a layer's
 * history never includes the packet in hand, which goes its own way
 * after. */
static void
member_push_video (GstP2pFanout * fanout, Member * m,
    GstP2pFanoutStream stream, gboolean unit_start, gint64 now,
    const guint8 * data, gsize size, KeyframeAsks * asks)
{
  Stream *s = &fanout->streams[stream];
  guint16 seq = GST_READ_UINT16_BE (data + 2);
  guint32 ts = GST_READ_UINT32_BE (data + 4);

  fanout->cursor_stream = stream;
  fanout->cursor_seq = seq;
  if (unit_start)
    member_adapt (fanout, m, now, asks);
  /* The new layer's keyframe begins, after what the viewer has seen (or
   * it has seen nothing yet): the old layer's held frames before it go
   * out, and if the old layer is there already, the new one takes over
   * from this packet. */
  if (m->target_layer == stream && !m->switch_started) {
    if (unit_start && s->unit_is_key && m->sent_video)
      member_check_base (fanout, m, stream, ts);
    if (unit_start && s->unit_is_key && (!m->sent_video
            || (gint32) (ts - m->last_ts) > 0)) {
      m->switch_started = TRUE;
      m->switch_seq = seq;
      m->switch_ts = ts;
      if (m->layer == NO_LAYER || member_release (fanout, m, ts))
        member_finish_switch (fanout, m);
    } else {
      asks_add (asks, stream, m->hold_from);
    }
  }
  if (m->layer == stream) {
    if (m->switch_started) {
      /* The old layer reached the new one's keyframe. */
      if (unit_start && (gint32) (ts - m->switch_ts) >= 0)
        member_finish_switch (fanout, m);
      else
        member_send_video (fanout, m, s, data, size);
    } else if (m->holding) {
      /* The keyframe is late: the viewer must not freeze. */
      if ((gint32) (ts - m->hold_ts) > HOLD_MAX_TICKS
          || (guint16) (seq - m->hold_seq) >= s->ring_size / 2) {
        member_release (fanout, m, -1);
        member_send_video (fanout, m, s, data, size);
        m->hold_from = (guint32) (m->last_ts + SWITCH_LEAD_TICKS);
        asks_add (asks, m->target_layer, m->hold_from);
      }
    } else if (unit_start && m->target_layer != NO_LAYER
        && m->hold_from >= 0 && (gint32) (ts - (guint32) m->hold_from) >= 0) {
      m->holding = TRUE;
      m->hold_seq = seq;
      m->hold_ts = ts;
    } else {
      if (unit_start) {
        m->skip_unit = member_thins (fanout, m, s);
        if (m->skip_unit)
          m->stats.frames_thinned++;
      }
      if (m->skip_unit)
        member_skip_video (m);
      else
        member_send_video (fanout, m, s, data, size);
    }
  } else if (m->switch_started && m->target_layer == stream
      && (guint16) (seq - m->switch_seq) >= s->ring_size / 2) {
    /* The old layer stalled. */
    member_finish_switch (fanout, m);
    member_send_video (fanout, m, s, data, size);
  }
}

/* Sends @n packets (at most LIST_CHUNK, all valid) of @stream to every
 * viewer that has its keyframe (video: every viewer on that layer) and
 * keeps them for retransmission. */
static void
fanout_push_chunk (GstP2pFanout * fanout, GstP2pFanoutStream stream,
    const guint8 * const *data, const gsize * sizes, guint n)
{
  Stream *s = &fanout->streams[stream];
  KeyframeAsks asks = { {0} };
  gboolean unit_start, owed;
  gint64 now = fanout->now ();
  guint i, j;

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
    s->has_packets = TRUE;
    s->last_seq = seq;
    slot->seq = seq;
    slot->size = sizes[i];
    memcpy (slot->data, data[i], sizes[i]);
    rate_count (&s->rate, sizes[i], now, RATE_WINDOW_US, TRUE);
  }

  for (i = 0; i < fanout->members->len; i++) {
    Member *m = g_ptr_array_index (fanout->members, i);

    if (is_video (stream)) {
      for (j = 0; j < n; j++)
        member_push_video (fanout, m, stream, unit_start && j == 0, now,
            data[j], sizes[j], &asks);
      fanout->cursor_stream = NO_LAYER;
      batch_flush (fanout, m);
      if (unit_start && m->layer == stream)
        member_probe_start (fanout, m, now);
      continue;
    }
    /* Audio: every unit is a key unit. */
    if (m->waiting_key[stream]) {
      if (!unit_start)
        continue;
      m->waiting_key[stream] = FALSE;
    }
    member_send (fanout, m, data, sizes, n, FALSE, now);
  }
  owed = s->keyframe_owed;
  g_mutex_unlock (&fanout->lock);

  /* A viewer still waits: a request held back by the rate limit goes out
   * as soon as the limit allows. */
  if (is_video (stream)) {
    if (owed && !asks.wanted[stream])
      fanout_request_keyframe (fanout, stream, FALSE, -1, "PLI held back");
    asks_send (fanout, &asks, "viewer waiting");
  }
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
 * keyframe (video: every viewer on that layer), and keeps it for
 * retransmission.
 */
void
gst_p2p_fanout_push_rtp (GstP2pFanout * fanout, GstP2pFanoutStream stream,
    const guint8 * data, gsize size)
{
  gst_p2p_fanout_push_rtp_list (fanout, stream, &data, &size, 1);
}

/* With the lock: @data, an RTCP compound packet, with @from replaced by
 * @to wherever a packet names its sender, into @out. */
static void
rtcp_rewrite_ssrc (const guint8 * data, gsize size, guint32 from, guint32 to,
    guint8 * out)
{
  gsize off = 0;

  memcpy (out, data, size);
  while (off + 8 <= size) {
    if (GST_READ_UINT32_BE (out + off + 4) == from)
      GST_WRITE_UINT32_BE (out + off + 4, to);
    off += 4 * (GST_READ_UINT16_BE (out + off + 2) + 1);
  }
}

/**
 * gst_p2p_fanout_push_rtcp:
 * @fanout: a fan-out
 * @data: (array length=size): an RTCP packet (sender reports)
 * @size: its size
 *
 * Sends the packet to every viewer; a video layer's sender report only to
 * the viewers of that layer, under the SSRC they see.
 */
void
gst_p2p_fanout_push_rtcp (GstP2pFanout * fanout, const guint8 * data,
    gsize size)
{
  GstP2pFanoutStream layer = NO_LAYER;
  guint32 ssrc = 0;
  guint i;

  if (size >= 8 && data[1] == GST_RTCP_TYPE_SR)
    ssrc = GST_READ_UINT32_BE (data + 4);
  g_mutex_lock (&fanout->lock);
  for (i = 0; ssrc != 0 && i < GST_P2P_FANOUT_N_STREAMS; i++) {
    Stream *s = &fanout->streams[i];

    if (is_video (i) && s->present && s->has_packets && s->ssrc == ssrc)
      layer = i;
  }
  for (i = 0; i < fanout->members->len; i++) {
    Member *m = g_ptr_array_index (fanout->members, i);

    if (layer == NO_LAYER) {
      fanout->send (m->target, TRUE, data, size, fanout->user_data);
    } else if (m->layer == layer && size <= SLOT_SIZE) {
      guint8 pkt[SLOT_SIZE];

      rtcp_rewrite_ssrc (data, size, ssrc, fanout->video_ssrc, pkt);
      fanout->send (m->target, TRUE, pkt, size, fanout->user_data);
    }
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
 * requested now; video from the best layer, until its estimate says
 * otherwise.
 */
void
gst_p2p_fanout_add (GstP2pFanout * fanout, gpointer target)
{
  Member *m = g_new0 (Member, 1);
  GstP2pFanoutStream first;
  guint i;

  m->target = target;
  for (i = 0; i < GST_P2P_FANOUT_N_STREAMS; i++)
    m->waiting_key[i] = TRUE;
  m->rtx_seq = g_random_int ();
  m->rtx_budget = RTX_MAX_BYTES;
  m->stats.rtt_ms = -1;
  m->layer = NO_LAYER;
  m->hold_from = -1;
  m->pinned = -1;
  m->up_hold = UP_HOLD_US;
  m->estimator = p2p_bandwidth_estimator_new (ESTIMATE_START_BPS,
      ESTIMATE_MIN_BPS, ESTIMATE_MAX_BPS);
  g_mutex_lock (&fanout->lock);
  first = m->target_layer = fanout_first_layer (fanout);
  g_ptr_array_add (fanout->members, m);
  g_mutex_unlock (&fanout->lock);
  fanout_request_keyframe (fanout, first, TRUE, -1, "viewer joined");
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
  if (m && m->layer != NO_LAYER && ssrc == fanout->video_ssrc) {
    m->stats.fraction_lost = fraction_lost / 256.0;
    p2p_bandwidth_estimator_set_max (m->estimator,
        fanout_estimate_cap (fanout));
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

/* A keyframe of the layer the viewer gets, or of the one it waits for. */
static void
feedback_picture_loss (gboolean fir, gpointer user_data)
{
  Feedback *fb = user_data;
  GstP2pFanout *fanout = fb->fanout;
  GstP2pFanoutStream stream = NO_LAYER;
  Member *m;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, fb->target, NULL);
  if (m)
    stream = m->layer != NO_LAYER ? m->layer : m->target_layer;
  g_mutex_unlock (&fanout->lock);
  if (stream != NO_LAYER)
    fanout_request_keyframe (fanout, stream, FALSE, -1, fir ? "FIR" : "PLI");
}

/* RFC 4588 retransmission of @seq to the asking viewer alone, as its
 * budget allows (RTX_SHARE). The RTX stream has its own SSRC and sequence
 * numbers, so SRTP never sees an index twice and the viewer's
 * rtprtxreceive restores the original. @seq is the viewer's numbering: the
 * packet comes from the layer it had then. */
static void
feedback_nack (guint32 media_ssrc, guint16 seq, gpointer user_data)
{
  Feedback *fb = user_data;
  GstP2pFanout *fanout = fb->fanout;
  guint8 pkt[SLOT_SIZE + 2];
  const guint8 *rtx = pkt;
  HistorySlot *slot;
  gsize size;
  guint16 layer_seq;
  guint recent;
  gint64 now;
  Stream *s;
  Member *m;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, fb->target, NULL);
  if (!m || m->layer == NO_LAYER)
    goto done;
  if (m->has_prev && (gint16) (seq - m->switch_out_seq) < 0) {
    s = &fanout->streams[m->prev_layer];
    layer_seq = seq - m->prev_offset;
  } else {
    guint16 offset;

    s = &fanout->streams[m->layer];
    if (!member_offset_at (m, seq, &offset)) {
      GST_LOG ("NACK for #%u: from before the last %u frames left out", seq,
          OFFSET_MARKS);
      goto done;
    }
    layer_seq = seq - offset;
  }
  if (!s->present || media_ssrc != fanout->video_ssrc)
    goto done;
  slot = &s->ring[layer_seq % s->ring_size];
  if (slot->size == 0 || slot->seq != layer_seq) {
    GST_LOG ("NACK for #%u: no longer in the history", seq);
    goto done;
  }
  now = fanout->now ();
  recent = seq % RTX_RECENT;
  if (m->rtx_recent_at[recent] != 0 && m->rtx_recent_seq[recent] == seq
      && now - m->rtx_recent_at[recent] < RTX_REPEAT_US) {
    GST_LOG ("NACK for #%u: retransmitted just now", seq);
    goto done;
  }
  if (m->rtx_budget < slot->size + 2) {
    GST_LOG ("NACK for #%u: over the retransmission budget", seq);
    m->stats.retransmissions_refused++;
    goto done;
  }
  size = member_rtx (fanout, m, slot, seq, pkt);
  if (size == 0)
    goto done;
  GST_LOG ("retransmitting #%u as RTX #%u", seq, (guint16) (m->rtx_seq - 1));
  m->rtx_budget -= size;
  m->rtx_recent_seq[recent] = seq;
  m->rtx_recent_at[recent] = now;
  m->stats.retransmissions++;
  member_send (fanout, m, &rtx, &size, 1, TRUE, now);
done:
  g_mutex_unlock (&fanout->lock);
}

/* GStreamer 1.22's receiver (rtpsession) starts each feedback packet at
 * the first packet it received since the previous one: packets lost in
 * between are never reported, and loss would go unseen. When no feedback
 * packet went missing (consecutive feedback counts), such a gap is what
 * the viewer did not receive. */
static void
feedback_transport_cc (guint8 feedback_count,
    const P2pPacketArrival * arrivals, guint n_arrivals, gpointer user_data)
{
  Feedback *fb = user_data;
  GstP2pFanout *fanout = fb->fanout;
  g_autofree P2pPacketArrival *all = NULL;
  const P2pPacketArrival *report = arrivals;
  guint n = n_arrivals, i;
  guint16 gap, last;
  guint64 probe_before, probe_after;
  Member *m;

  if (n_arrivals == 0)
    return;
  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, fb->target, NULL);
  if (!m)
    goto done;
  gap = arrivals[0].seq - m->twcc_next;
  if (m->twcc_reported && gap > 0 && gap <= MAX_INFERRED_LOST
      && feedback_count == (guint8) (m->twcc_feedback_count + 1)) {
    all = g_new (P2pPacketArrival, gap + n_arrivals);
    for (i = 0; i < gap; i++) {
      all[i].seq = m->twcc_next + i;
      all[i].arrival_us = P2P_BANDWIDTH_ESTIMATOR_LOST;
    }
    memcpy (all + gap, arrivals, n_arrivals * sizeof (P2pPacketArrival));
    report = all;
    n += gap;
  }
  last = arrivals[n_arrivals - 1].seq + 1;
  if (!m->twcc_reported || (gint16) (last - m->twcc_next) > 0)
    m->twcc_next = last;
  m->twcc_reported = TRUE;
  m->twcc_feedback_count = feedback_count;
  p2p_bandwidth_estimator_set_max (m->estimator, fanout_estimate_cap (fanout));
  probe_before = p2p_bandwidth_estimator_get_probe_result (m->estimator);
  p2p_bandwidth_estimator_on_feedback (m->estimator, report, n, fanout->now ());
  probe_after = p2p_bandwidth_estimator_get_probe_result (m->estimator);
  if (probe_after != probe_before)
    GST_DEBUG ("viewer %p: a probe got through at %" G_GUINT64_FORMAT
        " bit/s, estimate %" G_GUINT64_FORMAT, m->target, probe_after,
        p2p_bandwidth_estimator_get_target (m->estimator));
done:
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
 * concerns that viewer only. A viewer's RTCP beyond RTCP_MAX_PACKETS
 * packets and RTCP_MAX_BYTES bytes a second is dropped unread, and
 * counted (@rtcp_dropped in #GstP2pFanoutStats). Any thread.
 *
 * Returns: %FALSE when @data is not valid RTCP, or was dropped: the
 *     caller should not read it either
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
  gboolean allowed = TRUE;
  Member *m;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, target, NULL);
  if (m) {
    gint64 now = fanout->now ();
    gdouble dt = m->rtcp_time == 0 ? 1.0 :
        MAX (now - m->rtcp_time, 0) / (gdouble) G_USEC_PER_SEC;

    m->rtcp_packets = MIN (m->rtcp_packets + dt * RTCP_MAX_PACKETS,
        RTCP_MAX_PACKETS);
    m->rtcp_bytes = MIN (m->rtcp_bytes + dt * RTCP_MAX_BYTES, RTCP_MAX_BYTES);
    m->rtcp_time = now;
    allowed = m->rtcp_packets >= 1 && m->rtcp_bytes >= size;
    if (allowed) {
      m->rtcp_packets--;
      m->rtcp_bytes -= size;
    } else {
      m->stats.rtcp_dropped++;
    }
  }
  g_mutex_unlock (&fanout->lock);
  if (!allowed) {
    GST_LOG ("viewer %p: RTCP over its limit, dropped", target);
    return FALSE;
  }
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
    stats->layer = m->layer == NO_LAYER ? -1 :
        gst_p2p_fanout_stream_layer (m->layer);
    stats->pinned = m->pinned;
    stats->estimated_bitrate =
        p2p_bandwidth_estimator_get_target (m->estimator);
    stats->received_bitrate = p2p_bandwidth_estimator_get_acked (m->estimator);
    stats->estimate_limited =
        p2p_bandwidth_estimator_get_limited (m->estimator);
    stats->thinned = m->thinned;
  }
  g_mutex_unlock (&fanout->lock);
  return m != NULL;
}

/**
 * gst_p2p_fanout_set_estimate:
 * @fanout: a fan-out
 * @target: a viewer
 * @bitrate: the bits per second its path sustains, 0 when unknown
 *
 * Gives a viewer's bandwidth estimate, in place of its estimator's (an
 * application that knows the viewer's link; tests): an adaptive viewer
 * (not pinned) moves to the best video layer that fits, with hysteresis,
 * at a keyframe of that layer (requested now). 0 gives the choice back to
 * the estimator. Any thread.
 *
 * Returns: whether @target is a member
 */
gboolean
gst_p2p_fanout_set_estimate (GstP2pFanout * fanout, gpointer target,
    guint64 bitrate)
{
  KeyframeAsks asks = { {0}
  };
  Member *m;

  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, target, NULL);
  if (m) {
    m->estimate = bitrate;
    member_adapt (fanout, m, fanout->now (), &asks);
  }
  g_mutex_unlock (&fanout->lock);
  asks_send (fanout, &asks, "layer switch");
  return m != NULL;
}

/**
 * gst_p2p_fanout_pin_layer:
 * @fanout: a fan-out
 * @target: a viewer
 * @layer: the video layer it is to get from its next keyframe on, or -1
 *     to let its estimate choose again
 *
 * Any thread.
 *
 * Returns: %FALSE when @target is not a member or @layer is not sent
 */
gboolean
gst_p2p_fanout_pin_layer (GstP2pFanout * fanout, gpointer target, gint layer)
{
  KeyframeAsks asks = { {0}
  };
  gboolean ok = FALSE;
  Member *m;

  if (layer < -1 || layer >= GST_P2P_FANOUT_MAX_LAYERS)
    return FALSE;
  g_mutex_lock (&fanout->lock);
  m = fanout_find (fanout, target, NULL);
  if (m && (layer < 0
          || fanout->streams[gst_p2p_fanout_layer_stream (layer)].present)) {
    m->pinned = layer;
    m->up_since = m->down_since = 0;
    member_adapt (fanout, m, fanout->now (), &asks);
    ok = TRUE;
  }
  g_mutex_unlock (&fanout->lock);
  asks_send (fanout, &asks, "layer pinned");
  return ok;
}

/**
 * gst_p2p_fanout_get_layer_bitrate:
 * @fanout: a fan-out
 * @layer: a video layer
 *
 * Returns: the rate @layer is sent at, bits per second, 0 while unknown
 */
guint64
gst_p2p_fanout_get_layer_bitrate (GstP2pFanout * fanout, guint layer)
{
  guint64 rate;

  g_return_val_if_fail (layer < GST_P2P_FANOUT_MAX_LAYERS, 0);
  g_mutex_lock (&fanout->lock);
  rate = fanout->streams[gst_p2p_fanout_layer_stream (layer)].rate.bitrate;
  g_mutex_unlock (&fanout->lock);
  return rate;
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
