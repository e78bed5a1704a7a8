/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * GstP2pFanoutStream:
 * @GST_P2P_FANOUT_VIDEO: the video stream, or its layer 0 (the best)
 * @GST_P2P_FANOUT_AUDIO: the audio stream
 * @GST_P2P_FANOUT_VIDEO_1: video layer 1
 * @GST_P2P_FANOUT_VIDEO_2: video layer 2
 * @GST_P2P_FANOUT_VIDEO_3: video layer 3
 *
 * The streams a camera sends; also the index of each in rtpbin. The video
 * layers carry the same scene at different rates, with the same codec and
 * the same RTP timestamps; each viewer receives one of them at a time
 * (gst_p2p_fanout_set_estimate(), gst_p2p_fanout_pin_layer()).
 */
typedef enum
{
  GST_P2P_FANOUT_VIDEO,
  GST_P2P_FANOUT_AUDIO,
  GST_P2P_FANOUT_VIDEO_1,
  GST_P2P_FANOUT_VIDEO_2,
  GST_P2P_FANOUT_VIDEO_3,
  GST_P2P_FANOUT_N_STREAMS
} GstP2pFanoutStream;

/**
 * GST_P2P_FANOUT_MAX_LAYERS:
 *
 * Most video layers a camera sends.
 */
#define GST_P2P_FANOUT_MAX_LAYERS 4

typedef struct _GstP2pFanout GstP2pFanout;

/**
 * GstP2pFanoutSendFunc:
 * @target: the viewer's target, as given to gst_p2p_fanout_add()
 * @is_rtcp: whether @data is RTCP
 * @data: one packet
 * @size: its size
 * @user_data: as given to gst_p2p_fanout_new()
 *
 * Hands a packet to one viewer. Called with the fan-out's lock held: it must
 * not call back into the fan-out.
 */
typedef void (*GstP2pFanoutSendFunc) (gpointer target, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data);

/**
 * GstP2pFanoutSendListFunc:
 * @target: the viewer's target, as given to gst_p2p_fanout_add()
 * @data: (array length=n): RTP packets, in order
 * @sizes: (array length=n): their sizes
 * @n: how many
 * @user_data: as given to gst_p2p_fanout_new()
 *
 * Hands the packets of one buffer list to one viewer, for it to send in
 * one batch. Called with the fan-out's lock held, as #GstP2pFanoutSendFunc.
 */
typedef void (*GstP2pFanoutSendListFunc) (gpointer target,
    const guint8 * const *data, const gsize * sizes, guint n,
    gpointer user_data);

/**
 * GstP2pFanoutKeyframeFunc:
 * @stream: the video layer whose encoder is asked
 * @count: the request's sequence number, for force-key-unit's count
 * @not_before: -1 for the next frame, else the RTP timestamp the keyframe
 *     should not come before (a layer switch: the viewer has seen the frames
 *     up to about there on its old layer)
 * @why: what asked, for the log
 * @user_data: as given to gst_p2p_fanout_new()
 *
 * Asks a video encoder for a keyframe. Called without the lock held.
 */
typedef void (*GstP2pFanoutKeyframeFunc) (GstP2pFanoutStream stream,
    guint count, gint64 not_before, const gchar * why, gpointer user_data);

/**
 * GstP2pFanoutLayerFunc:
 * @target: the viewer
 * @layer: the video layer it receives from now on
 * @user_data: as given to gst_p2p_fanout_new()
 *
 * A viewer's switch to another layer took effect (at a keyframe of that
 * layer). Called with the fan-out's lock held: it must not call back into
 * the fan-out.
 */
typedef void (*GstP2pFanoutLayerFunc) (gpointer target, guint layer,
    gpointer user_data);

/**
 * GstP2pFanoutBaseFunc:
 * @from: the video layer a viewer moves from
 * @to: the video layer it moves to
 * @apart: the RTP ticks from the last frame it got on @from to @to's
 *     keyframe (negative: before it)
 * @user_data: as given to gst_p2p_fanout_new()
 *
 * The two layers do not count their RTP timestamps from one base, as the
 * fan-out needs to move a viewer between them at a keyframe: told once per
 * pair of layers. Called with the fan-out's lock held: it must not call
 * back into the fan-out.
 */
typedef void (*GstP2pFanoutBaseFunc) (guint from, guint to, gint32 apart,
    gpointer user_data);

/**
 * GstP2pFanoutStats:
 * @retransmissions: RTX packets sent to this viewer
 * @retransmissions_refused: packets it asked for (NACK) and was refused
 *     because its retransmission budget was spent
 * @fraction_lost: from its last receiver report on video, 0–1
 * @rtt_ms: round-trip time from its receiver reports, -1 when unknown
 * @estimated_bitrate: what its path sustains, in bits per second, from its
 *     transport-wide feedback or else its receiver reports
 *     (#P2pBandwidthEstimator)
 * @received_bitrate: what it last received, in bits per second, from its
 *     transport-wide feedback; 0 until known
 * @layer: the video layer it receives, -1 before its first keyframe
 * @pinned: the layer it is pinned to, -1 when adaptive
 * @estimate_limited: whether its path has shown a limit yet: until then
 *     @estimated_bitrate is a lower bound still climbing from its start
 * @thinned: whether it gets no droppable frame now
 *     (gst_p2p_fanout_set_thin_below())
 * @frames_thinned: the droppable frames it did not get
 * @rtcp_dropped: its RTCP packets dropped unread, beyond its limit
 *     (gst_p2p_fanout_feedback())
 *
 * What the fan-out knows of one viewer.
 */
typedef struct
{
  guint64 retransmissions;
  guint64 retransmissions_refused;
  gdouble fraction_lost;
  gint64 rtt_ms;
  guint64 estimated_bitrate;
  guint64 received_bitrate;
  gint layer;
  gint pinned;
  gboolean estimate_limited;
  gboolean thinned;
  guint64 frames_thinned;
  guint64 rtcp_dropped;
} GstP2pFanoutStats;

GstP2pFanout *gst_p2p_fanout_new (GstP2pFanoutSendFunc send,
    GstP2pFanoutKeyframeFunc keyframe, gpointer user_data);

void gst_p2p_fanout_free (GstP2pFanout * fanout);

void gst_p2p_fanout_set_send_list (GstP2pFanout * fanout,
    GstP2pFanoutSendListFunc send_list);

void gst_p2p_fanout_set_clock (GstP2pFanout * fanout, gint64 (*now) (void));

void gst_p2p_fanout_set_pacing (GstP2pFanout * fanout, gboolean pacing);

void gst_p2p_fanout_set_twcc_extension (GstP2pFanout * fanout, gboolean add);

gint64 gst_p2p_fanout_pace (GstP2pFanout * fanout);

void gst_p2p_fanout_set_layer_func (GstP2pFanout * fanout,
    GstP2pFanoutLayerFunc func);

void gst_p2p_fanout_set_base_func (GstP2pFanout * fanout,
    GstP2pFanoutBaseFunc func);

GstP2pFanoutStream gst_p2p_fanout_layer_stream (guint layer);

gint gst_p2p_fanout_stream_layer (GstP2pFanoutStream stream);

void gst_p2p_fanout_add_stream (GstP2pFanout * fanout,
    GstP2pFanoutStream stream, guint history);

void gst_p2p_fanout_remove_stream (GstP2pFanout * fanout,
    GstP2pFanoutStream stream);

void gst_p2p_fanout_input (GstP2pFanout * fanout, GstP2pFanoutStream stream,
    gboolean is_key);

void gst_p2p_fanout_mark_droppable (GstP2pFanout * fanout,
    GstP2pFanoutStream stream);

void gst_p2p_fanout_set_thin_below (GstP2pFanout * fanout, guint64 bitrate);

void gst_p2p_fanout_set_encoder_goal (GstP2pFanout * fanout,
    guint64 bitrate);

void gst_p2p_fanout_push_rtp (GstP2pFanout * fanout,
    GstP2pFanoutStream stream, const guint8 * data, gsize size);

void gst_p2p_fanout_push_rtp_list (GstP2pFanout * fanout,
    GstP2pFanoutStream stream, const guint8 * const *data,
    const gsize * sizes, guint n);

void gst_p2p_fanout_push_rtcp (GstP2pFanout * fanout, const guint8 * data,
    gsize size);

void gst_p2p_fanout_add (GstP2pFanout * fanout, gpointer target);

gboolean gst_p2p_fanout_remove (GstP2pFanout * fanout, gpointer target);

gboolean gst_p2p_fanout_set_estimate (GstP2pFanout * fanout, gpointer target,
    guint64 bitrate);

gboolean gst_p2p_fanout_pin_layer (GstP2pFanout * fanout, gpointer target,
    gint layer);

guint64 gst_p2p_fanout_get_layer_bitrate (GstP2pFanout * fanout, guint layer);

guint gst_p2p_fanout_get_n_targets (GstP2pFanout * fanout);

gboolean gst_p2p_fanout_feedback (GstP2pFanout * fanout, gpointer target,
    const guint8 * data, gsize size);

gboolean gst_p2p_fanout_get_stats (GstP2pFanout * fanout, gpointer target,
    GstP2pFanoutStats * stats);

guint64 gst_p2p_fanout_get_estimate (GstP2pFanout * fanout, gpointer target);

G_END_DECLS
