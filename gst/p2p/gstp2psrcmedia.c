/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2psrc's media plumbing around its rtpbin: the camera's RTP and RTCP in
 * (session 0), through the jitter buffer, RTX and the depayloaders, out on
 * the sometimes pads `video_%u` and `audio_%u`; and talk-back from the
 * `talkback` request pad through a payloader and session 1 to the camera.
 * The payload types come from the camera's offer
 * (gst_p2p_src_learn_media()). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psrcprivate.h"
#include "gstp2pcodecs.h"
#include "gstp2pcommon.h"
#include "gstp2pelements.h"
#include "gstp2pjitterbuffer.h"
#include "gstp2plistpass.h"
#include "gstp2ppacketsink.h"
#include "gstp2ppacketsrc.h"
#include "gstp2prtxpause.h"
#include "gstp2psdp.h"

#include <stdio.h>
#include <gst/app/gstappsrc.h>

#define GST_CAT_DEFAULT gst_p2p_debug

/* Shortest wait before a retransmission request is repeated, in ms. The
 * jitter buffer otherwise waits twice the measured round trip, and 40 ms
 * before one is measured, which within a 50 ms latency leaves no second
 * attempt, and a lost NACK or a lost retransmission (each as likely as
 * the loss itself) then loses the packet for good. The measured round trip, when longer,
 * still sets the pace; this only keeps a LAN from being asked every
 * millisecond. */
#define RTX_MIN_RETRY_TIMEOUT_MS 10
/* In-order packets after which rtpjitterbuffer lets the stream start.
 * Without this it holds the first packet a full latency, waiting for
 * earlier ones that cannot come: the camera starts each viewer at a
 * keyframe, whose first packet is the first it sends. A few packets in a
 * row show that this one did not overtake an earlier one. */
#define FASTSTART_MIN_PACKETS 3
/* RTCP budget of the viewer's session, in bits per second. RFC 4585 lets
 * a receiver send its next early feedback (NACK, PLI) only one regular
 * RTCP interval after the previous one, an interval derived from this
 * budget. rtpsession assumes a 64 kbit/s session until it re-estimates
 * the stream's rate, so for the first seconds every NACK after the first
 * waits ~0.5 s and arrives after the jitter buffer gave up. This is 5 %
 * of a 4 Mbit/s stream: ~8 ms between feedback packets. RTCP is only sent
 * this often while packets are being lost; receiver reports still go
 * every rtcp-min-interval. */
#define RTCP_FEEDBACK_BANDWIDTH 200000.0
/* Transport-wide feedback at most this often (libwebrtc's default).
 * rtpbin otherwise sends one per marker bit, a packet per frame per
 * viewer: each one wakes the camera's network loop, which then polls
 * every viewer's sockets. */
#define TWCC_FEEDBACK_INTERVAL (100 * GST_MSECOND)
/* Packets queued in front of rtpbin before the oldest are dropped, so the
 * network thread never blocks on a stalled pipeline. */
#define MAX_QUEUED_PACKETS 2048
/* Depayloaded media queued for the application, at most, beyond what
 * the pipeline's latency keeps there anyway (a clock-synced sink holds
 * each frame about the jitter buffer's latency, plus any lip-sync offset
 * rtpbin gives the stream, up to its default max-ts-offset of 3 s). */
#define HANDOFF_SLACK_TIME (4 * GST_SECOND)
/* ... and in bytes, whatever the frames' times say: 13 s of 20 Mbit/s
 * video fits. */
#define HANDOFF_MAX_BYTES (64 * 1024 * 1024)

/* ---------------------------------------------------------------------- */
/* Receive pipeline: appsrc → rtpbin → depayloaders → ghost pads          */

static GstCaps *
rtpbin_request_pt_map (GstElement * rtpbin, guint session, guint pt,
    GstP2pSrc * self)
{
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = g_hash_table_lookup (self->pt_caps, GUINT_TO_POINTER (pt));
  if (caps)
    gst_caps_ref (caps);
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "pt %u: %" GST_PTR_FORMAT, pt, caps);
  return caps;
}

static GstElement *
rtpbin_request_aux_receiver (GstElement * rtpbin, guint session,
    GstP2pSrc * self)
{
  GstElement *rtx;
  GstElement *bin = gst_p2p_rtx_bin_new ("rtprtxreceive", session, NULL,
      &rtx);

  if (!bin)
    return NULL;
  gst_p2p_list_pass_attach (rtx);
  GST_OBJECT_LOCK (self);
  gst_object_replace ((GstObject **) & self->rtx_receive, GST_OBJECT (rtx));
  GST_OBJECT_UNLOCK (self);
  return bin;
}

/* Keeps the talk-back audio sent for a while, to retransmit what the
 * camera's jitter buffer asks for (RFC 4588). */
static GstElement *
rtpbin_request_aux_sender (GstElement * rtpbin, guint session, GstP2pSrc * self)
{
  GstStructure *map;
  GstElement *bin;

  if (session != 1)
    return NULL;
  map = gst_p2p_codec_talkback_rtx_map ();
  bin = gst_p2p_rtx_bin_new ("rtprtxsend", session, map, NULL);
  gst_structure_free (map);
  return bin;
}

/* rtpbin's storage and SSRC demultiplexer let the batches from the packet
 * source through as lists (gstp2plistpass.c). */
static void
rtpbin_element_added (GstBin * rtpbin, GstElement * element, GstP2pSrc * self)
{
  gst_p2p_list_pass_attach (element);
}

/* With #GstP2pSrc:own-jitter-buffer, our own in rtpjitterbuffer's place:
 * packets in order go on at once on the network thread, with no queue
 * and no thread of its own (gstp2pjitterbuffer.c). */
static GstElement *
rtpbin_request_jitterbuffer (GstElement * rtpbin, guint session,
    GstP2pSrc * self)
{
  gboolean own;

  GST_OBJECT_LOCK (self);
  own = self->own_jitter_buffer;
  GST_OBJECT_UNLOCK (self);
  return own ? gst_p2p_jitter_buffer_new () : NULL;
}

static void
rtpbin_new_jitterbuffer (GstElement * rtpbin, GstElement * jitterbuffer,
    guint session, guint ssrc, GstP2pSrc * self)
{
  GstPad *pad;

  g_object_set (jitterbuffer, "rtx-min-retry-timeout",
      RTX_MIN_RETRY_TIMEOUT_MS, NULL);
  gst_p2p_rtx_pause_attach (jitterbuffer, &self->rtx_pauses);
  if (GST_P2P_IS_JITTER_BUFFER (jitterbuffer))
    return;
  g_object_set (jitterbuffer, "faststart-min-packets", FASTSTART_MIN_PACKETS,
      NULL);
  /* Its thread takes each batch of packets as a whole. */
  pad = gst_element_get_static_pad (jitterbuffer, "src");
  gst_p2p_packet_src_hold_downstream (GST_P2P_PACKET_SRC (self->rtp_src), pad);
  gst_object_unref (pad);
}

static GstPadProbeReturn
first_buffer_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstP2pSrc *self = data;

  GST_OBJECT_LOCK (self);
  if (self->first_buffer_time == 0)
    self->first_buffer_time = g_get_monotonic_time ();
  GST_OBJECT_UNLOCK (self);
  return GST_PAD_PROBE_REMOVE;
}

/* What the application left unlinked is dropped before it leaves the
 * queue, as the depayloader alone returned not-linked: a queue that sees
 * not-linked stops, and posts an error at EOS. */
static GstPadProbeReturn
unlinked_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  return gst_pad_is_linked (GST_PAD (data)) ? GST_PAD_PROBE_OK :
      GST_PAD_PROBE_DROP;
}

/* The hand-off queue is full and drops its oldest frame: the application
 * stopped taking media. Said once per queue, as a bus warning; the
 * decoder recovers at the next keyframe. Any thread. */
static void
handoff_overrun (GstElement * queue, GstP2pSrc * self)
{
  if (g_object_get_data (G_OBJECT (queue), "p2p-overrun-told"))
    return;
  g_object_set_data (G_OBJECT (queue), "p2p-overrun-told", queue);
  GST_ELEMENT_WARNING (self, STREAM, FAILED,
      ("The application fell behind the stream; its oldest frames are "
          "dropped"), ("%s full", GST_OBJECT_NAME (queue)));
}

/* @depay, then a queue, in a bin with pads `sink` and `src`. With our own
 * jitter buffer the packets reach the depayloader on p2p-core's thread
 * (the jitter buffer passes them on at once), which must not run the
 * application's elements: a decoder, or a sink waiting for a frame's
 * time, would hold up the network. The hand-off to a thread of the
 * queue's own comes once per depayloaded frame instead of once per
 * packet. Leaky: a stalled application loses its oldest frames (at most
 * @latency plus HANDOFF_SLACK_TIME, or HANDOFF_MAX_BYTES, queued) instead
 * of blocking the network thread. @ghost is the pad of p2psrc's that the
 * bin's output goes to. */
static GstElement *
depayloader_with_handoff (GstP2pSrc * self, GstElement * depay,
    GstPad * ghost, GstClockTime latency)
{
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstElement *bin;
  GstPad *pad;

  if (!queue)
    return depay;
  bin = gst_bin_new (NULL);
  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes",
      HANDOFF_MAX_BYTES, "max-size-time", latency + HANDOFF_SLACK_TIME, NULL);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  g_signal_connect (queue, "overrun", G_CALLBACK (handoff_overrun), self);
  gst_bin_add_many (GST_BIN (bin), depay, queue, NULL);
  gst_element_link (depay, queue);
  pad = gst_element_get_static_pad (depay, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (queue, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, unlinked_probe, gst_object_ref (ghost),
      gst_object_unref);
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));
  gst_object_unref (pad);
  return bin;
}

static void
rtpbin_pad_added (GstElement * rtpbin, GstPad * pad, GstP2pSrc * self)
{
  guint session, ssrc, pt, i;
  GstCaps *caps = NULL;
  GstElement *depay, *old;
  GstPad *depay_sink, *depay_src;
  gboolean own;
  GstClockTime latency;
  g_autofree gchar *media = NULL;
  SrcStream *stream = NULL;

  if (sscanf (GST_PAD_NAME (pad), "recv_rtp_src_%u_%u_%u", &session, &ssrc,
          &pt) != 3)
    return;

  GST_OBJECT_LOCK (self);
  caps = g_hash_table_lookup (self->pt_caps, GUINT_TO_POINTER (pt));
  if (caps)
    gst_caps_ref (caps);
  GST_OBJECT_UNLOCK (self);
  if (!caps)
    return;

  media = g_strdup (gst_structure_get_string (gst_caps_get_structure (caps,
              0), "media"));
  /* The pads were made from the offer (src_expose_streams()); packets of
   * one kind go to the last pad of that kind. */
  GST_OBJECT_LOCK (self);
  for (i = 0; i < self->streams->len; i++) {
    SrcStream *s = g_ptr_array_index (self->streams, i);

    if (g_strcmp0 (s->kind, media) == 0)
      stream = s;
  }
  if (stream && stream->ended)
    stream = NULL;
  GST_OBJECT_UNLOCK (self);
  depay = stream ? gst_p2p_codec_make_depayloader (caps) : NULL;
  if (!depay) {
    if (stream)
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
          ("No depayloader installed for the camera's format"),
          ("%" GST_PTR_FORMAT, caps));
    gst_caps_unref (caps);
    return;
  }
  gst_caps_unref (caps);
  GST_OBJECT_LOCK (self);
  own = self->own_jitter_buffer;
  latency = self->latency * GST_MSECOND;
  GST_OBJECT_UNLOCK (self);
  if (own)
    depay = depayloader_with_handoff (self, depay, stream->ghost, latency);

  gst_bin_add (GST_BIN (self), depay);
  depay_sink = gst_element_get_static_pad (depay, "sink");
  depay_src = gst_element_get_static_pad (depay, "src");
  gst_element_sync_state_with_parent (depay);
  gst_pad_link (pad, depay_sink);

  old = stream->depay;
  if (old)
    /* The camera restarted its stream (new SSRC): keep the pad, swap the
     * depayloader behind it. */
    GST_INFO_OBJECT (self, "%s stream restarted (ssrc %08x)", media, ssrc);
  gst_ghost_pad_set_target (GST_GHOST_PAD (stream->ghost), depay_src);
  stream->depay = depay;
  stream->ssrc = ssrc;
  if (old) {
    /* Out of the bin's own state changes from here on: a stop racing the
     * removal would set it back to PAUSED before dropping it (with the
     * queue behind the depayloader, "Trying to dispose element ... in
     * PAUSED" in test_reconnects_after_camera_restart). */
    gst_element_set_locked_state (old, TRUE);
    gst_element_call_async (GST_ELEMENT (self), gst_p2p_remove_element_async,
        old, NULL);
  }
  gst_object_unref (depay_sink);
  gst_object_unref (depay_src);
}

/* Each pad's stream-start names its own stream: rtpbin sends the one it
 * got from the session's packet source down every stream alike. */
static GstPadProbeReturn
stream_start_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  SrcStream *stream = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstEvent *own;
  guint group;

  if (GST_EVENT_TYPE (event) != GST_EVENT_STREAM_START)
    return GST_PAD_PROBE_OK;
  own = gst_event_new_stream_start (stream->stream_id);
  if (gst_event_parse_group_id (event, &group))
    gst_event_set_group_id (own, group);
  gst_event_set_stream (own, stream->stream);
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = own;
  return GST_PAD_PROBE_OK;
}

static gint
compare_video_first (gconstpointer a, gconstpointer b)
{
  const gchar *ka = *(const gchar * const *) a;
  const gchar *kb = *(const gchar * const *) b;

  return (g_strcmp0 (ka, "video") != 0) - (g_strcmp0 (kb, "video") != 0);
}

/* From the offer, before any packet: one pad per offered stream, video
 * first. A gst-launch line `p2psrc ! decodebin ! videoconvert ! ...`
 * links the first pad that fits, and the first one added is the video
 * whatever packet comes first; pads named video_0 and audio_0 let a line
 * pick each one (`src.audio_0 ! ...`). A stream offered again (the next
 * call) keeps its pad. */
static void
src_expose_streams (GstP2pSrc * self, GPtrArray * kinds)
{
  GstStreamCollection *collection = NULL;
  GPtrArray *added = g_ptr_array_new ();
  gboolean announce = FALSE;
  guint i, j, n_video = 0, n_audio = 0;

  g_ptr_array_sort (kinds, compare_video_first);
  GST_OBJECT_LOCK (self);
  for (i = 0; i < kinds->len; i++) {
    const gchar *kind = g_ptr_array_index (kinds, i);
    gboolean audio = g_strcmp0 (kind, "audio") == 0;
    guint index = audio ? n_audio++ : n_video++;
    SrcStream *stream = NULL;

    for (j = 0; j < self->streams->len; j++) {
      SrcStream *s = g_ptr_array_index (self->streams, j);

      if (g_strcmp0 (s->kind, kind) == 0 && s->index == index)
        stream = s;
    }
    if (stream)
      continue;
    stream = g_new0 (SrcStream, 1);
    stream->src = self;
    stream->kind = g_strdup (kind);
    stream->index = index;
    g_ptr_array_add (self->streams, stream);
    g_ptr_array_add (added, stream);
  }
  GST_OBJECT_UNLOCK (self);

  for (i = 0; i < added->len; i++) {
    SrcStream *stream = g_ptr_array_index (added, i);
    gboolean audio = g_strcmp0 (stream->kind, "audio") == 0;
    gchar *name = g_strdup_printf ("%s_%u", audio ? "audio" : "video",
        stream->index);
    GstPadTemplate *templ = gst_element_class_get_pad_template
        (GST_ELEMENT_GET_CLASS (self), audio ? "audio_%u" : "video_%u");

    stream->ghost = gst_ghost_pad_new_no_target_from_template (name, templ);
    stream->stream_id = gst_pad_create_stream_id (stream->ghost,
        GST_ELEMENT (self), name);
    stream->stream = gst_stream_new (stream->stream_id, NULL, audio ?
        GST_STREAM_TYPE_AUDIO : GST_STREAM_TYPE_VIDEO, GST_STREAM_FLAG_NONE);
    g_free (name);
    gst_pad_add_probe (stream->ghost, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, first_buffer_probe, self, NULL);
    gst_pad_add_probe (stream->ghost, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        stream_start_probe, stream, NULL);
    gst_pad_set_active (stream->ghost, TRUE);
    gst_element_add_pad (GST_ELEMENT (self), stream->ghost);
  }

  GST_OBJECT_LOCK (self);
  if (!self->no_more_pads && self->streams->len > 0) {
    self->no_more_pads = TRUE;
    announce = TRUE;
    collection = gst_stream_collection_new (NULL);
    for (i = 0; i < self->streams->len; i++)
      gst_stream_collection_add_stream (collection,
          gst_object_ref (((SrcStream *) g_ptr_array_index (self->streams,
                      i))->stream));
  }
  GST_OBJECT_UNLOCK (self);
  g_ptr_array_unref (added);

  if (announce) {
    gst_element_no_more_pads (GST_ELEMENT (self));
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_stream_collection (GST_OBJECT (self), collection));
    gst_object_unref (collection);
  }
}

/* Frees one entry of the streams array (its pad and depayloader are the
 * bin's). */
void
gst_p2p_src_stream_free (SrcStream * stream)
{
  g_free (stream->kind);
  g_free (stream->stream_id);
  gst_clear_object (&stream->stream);
  g_free (stream);
}

/* RTCP from rtpbin (receiver reports, NACK, PLI) to the camera. */
static void
src_on_rtcp (const guint8 * data, gsize size, GstBuffer * buffer,
    gpointer user_data)
{
  P2pViewerSession *session = gst_p2p_src_ref_session (user_data);

  if (session) {
    p2p_viewer_session_send_rtcp (session, data, size);
    g_object_unref (session);
  }
}

static GstElement *
make_appsrc (const gchar * name, const gchar * caps)
{
  GstElement *src = gst_element_factory_make ("appsrc", name);
  GstCaps *c = gst_caps_from_string (caps);

  /* Live, stamped with the arrival time (the jitter buffer needs it), and
   * dropping the oldest packets rather than blocking the network thread. */
  g_object_set (src, "is-live", TRUE, "do-timestamp", TRUE, "format",
      GST_FORMAT_TIME, "caps", c, "max-buffers", (guint64) MAX_QUEUED_PACKETS,
      "max-bytes", (guint64) 0, "block", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "leaky-type", "downstream");
  gst_caps_unref (c);
  return src;
}

/* Builds the receive pipeline, appsrc → rtpbin (session 0) and rtpbin's
 * RTCP back to the camera; FALSE when rtpbin or appsrc is missing, which
 * NULL→READY then reports. */
gboolean
gst_p2p_src_media_init (GstP2pSrc * self)
{
  GstPad *pad;

  self->rtpbin = gst_element_factory_make ("rtpbin", "rtpbin");
  /* RTP, the bulk, goes straight from the network thread into rtpbin;
   * RTCP, a few packets a second, through an appsrc. */
  self->rtp_src = gst_p2p_packet_src_new ("rtpsrc", "application/x-rtp");
  self->rtcp_appsrc = make_appsrc ("rtcpsrc", "application/x-rtcp");
  if (!self->rtpbin || !self->rtcp_appsrc) {
    gst_clear_object (&self->rtpbin);
    gst_clear_object (&self->rtp_src);
    gst_clear_object (&self->rtcp_appsrc);
    return FALSE;
  }
  self->rtcp_sink = gst_p2p_packet_sink_new ("rtcpsink", src_on_rtcp, self,
      FALSE);

  g_object_set (self->rtpbin, "do-retransmission", TRUE, "do-lost", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (self->rtpbin), "rtp-profile", "avpf");
  g_signal_connect (self->rtpbin, "request-pt-map",
      G_CALLBACK (rtpbin_request_pt_map), self);
  g_signal_connect (self->rtpbin, "request-aux-receiver",
      G_CALLBACK (rtpbin_request_aux_receiver), self);
  g_signal_connect (self->rtpbin, "request-aux-sender",
      G_CALLBACK (rtpbin_request_aux_sender), self);
  g_signal_connect (self->rtpbin, "pad-added",
      G_CALLBACK (rtpbin_pad_added), self);
  g_signal_connect (self->rtpbin, "request-jitterbuffer",
      G_CALLBACK (rtpbin_request_jitterbuffer), self);
  g_signal_connect (self->rtpbin, "new-jitterbuffer",
      G_CALLBACK (rtpbin_new_jitterbuffer), self);
  g_signal_connect (self->rtpbin, "element-added",
      G_CALLBACK (rtpbin_element_added), self);

  gst_bin_add_many (GST_BIN (self), self->rtp_src, self->rtcp_appsrc,
      self->rtpbin, self->rtcp_sink, NULL);
  gst_element_link_pads (self->rtp_src, "src", self->rtpbin, "recv_rtp_sink_0");
  gst_element_link_pads (self->rtcp_appsrc, "src", self->rtpbin,
      "recv_rtcp_sink_0");
  {
    GstElement *session = NULL;

    /* Above 1.0, rtcp-fraction is an absolute budget. */
    g_signal_emit_by_name (self->rtpbin, "get-session", 0, &session);
    if (session) {
      g_object_set (session, "rtcp-fraction", RTCP_FEEDBACK_BANDWIDTH, NULL);
      gst_object_unref (session);
    }
    g_signal_emit_by_name (self->rtpbin, "get-internal-session", 0, &session);
    if (session) {
      /* Each transport-wide feedback is an early RTCP round, and
       * rtpsession sends that feedback as a packet of its own. Without
       * reduced size (RFC 5506) every round also sends a compound of a
       * receiver report with no report blocks and the CNAME: a second
       * SRTCP packet per viewer every 100 ms that tells the camera nothing
       * and wakes its loop. With it, early rounds carry only feedback
       * (transport-wide, NACK, PLI; the camera's parser takes
       * reduced-size packets); regular reports keep their interval. */
      g_object_set (session, "twcc-feedback-interval",
          (guint64) TWCC_FEEDBACK_INTERVAL, "rtcp-reduced-size", TRUE, NULL);
      g_object_unref (session);
    }
  }
  pad = gst_element_request_pad_simple (self->rtpbin, "send_rtcp_src_0");
  if (pad) {
    GstPad *sinkpad = gst_element_get_static_pad (self->rtcp_sink, "sink");

    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    gst_object_unref (pad);
  }
  return TRUE;
}

/* Learns the camera's streams from its offer: payload type → caps for
 * rtpbin, RTX mapping, and a pad for each stream. */
gboolean
gst_p2p_src_learn_media (GstP2pSrc * self, const GstSDPMessage * sdp)
{
  GstStructure *rtx_map;
  GstElement *rtx;
  g_autoptr (GPtrArray) kinds = g_ptr_array_new ();
  guint i, j;

  rtx_map = gst_structure_new_empty ("application/x-rtp-pt-map");
  GST_OBJECT_LOCK (self);
  g_hash_table_remove_all (self->pt_caps);
  for (i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
    const gchar *kind = gst_sdp_media_get_media (m);
    gboolean counted = FALSE;
    guint twcc;

    /* The offer is untrusted: only audio and video, only dynamic or
     * static RTP payload types. */
    if ((g_strcmp0 (kind, "audio") != 0 && g_strcmp0 (kind, "video") != 0)
        || !(gst_p2p_sdp_media_get_direction (m) & GST_P2P_DIRECTION_SENDONLY))
      continue;
    for (j = 0; j < gst_sdp_media_formats_len (m) && j < 16; j++) {
      guint64 pt;
      GstCaps *caps;
      GstStructure *s;
      const gchar *enc;

      if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (m, j), 10,
              0, 127, &pt, NULL))
        continue;
      caps = gst_sdp_media_get_caps_from_media (m, pt);
      if (!caps)
        continue;
      s = gst_caps_get_structure (caps, 0);
      gst_structure_set_name (s, "application/x-rtp");
      /* The camera numbers its packets transport-wide: rtpbin then sends
       * transport-wide feedback, from which the camera estimates this
       * viewer's bandwidth. The one extension taken from the untrusted
       * offer. */
      twcc = gst_p2p_sdp_media_get_twcc_id (m);
      if (twcc) {
        gchar key[12];

        g_snprintf (key, sizeof (key), "extmap-%u", twcc);
        gst_structure_set (s, key, G_TYPE_STRING, GST_P2P_TWCC_URI, NULL);
      }
      enc = gst_structure_get_string (s, "encoding-name");
      if (enc && g_ascii_strcasecmp (enc, "rtx") == 0) {
        const gchar *apt = gst_structure_get_string (s, "apt");
        guint64 orig;

        if (apt && g_ascii_string_to_unsigned (apt, 10, 0, 127, &orig, NULL)) {
          gchar key[4];

          g_snprintf (key, sizeof (key), "%u", (guint) orig);
          gst_structure_set (rtx_map, key, G_TYPE_UINT, (guint) pt, NULL);
        }
      } else if (!counted) {
        g_ptr_array_add (kinds, (gpointer) (g_strcmp0 (kind, "audio") == 0 ?
                "audio" : "video"));
        counted = TRUE;
      }
      GST_DEBUG_OBJECT (self, "pt %u: %" GST_PTR_FORMAT, (guint) pt, caps);
      g_hash_table_insert (self->pt_caps, GUINT_TO_POINTER ((guint) pt), caps);
    }
  }
  rtx = self->rtx_receive ? gst_object_ref (self->rtx_receive) : NULL;
  GST_OBJECT_UNLOCK (self);
  /* Outside our lock: the property change notifies up the hierarchy. */
  if (rtx) {
    g_object_set (rtx, "payload-type-map", rtx_map, NULL);
    gst_object_unref (rtx);
  }
  gst_structure_free (rtx_map);
  if (kinds->len == 0)
    return FALSE;
  src_expose_streams (self, kinds);
  return TRUE;
}

/* PAUSED→READY: the pads and depayloaders of the last call go, so the
 * next call's offer starts afresh. */
void
gst_p2p_src_remove_pads (GstP2pSrc * self)
{
  GPtrArray *streams;
  guint i;

  GST_OBJECT_LOCK (self);
  streams = self->streams;
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_p2p_src_stream_free);
  self->no_more_pads = FALSE;
  g_hash_table_remove_all (self->pt_caps);
  GST_OBJECT_UNLOCK (self);

  for (i = 0; i < streams->len; i++) {
    SrcStream *s = g_ptr_array_index (streams, i);

    if (s->ghost) {
      gst_pad_set_active (s->ghost, FALSE);
      gst_element_remove_pad (GST_ELEMENT (self), s->ghost);
    }
    if (s->depay) {
      gst_element_set_state (s->depay, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), s->depay);
    }
  }
  g_ptr_array_unref (streams);
}

/* An EOS sent to the element (gst-launch-1.0 -e on Ctrl-C, an application
 * finishing a recording) drains it: the packet sources end, rtpbin's
 * jitter buffers push what they hold, each depayloader what it has
 * collected, then the EOS, on every pad, so muxers downstream finalize
 * their files. A pad whose stream has not sent a packet yet gets its EOS
 * here. */
void
gst_p2p_src_drain (GstP2pSrc * self, GstEvent * event)
{
  GPtrArray *ghosts, *ids;
  guint i;

  GST_INFO_OBJECT (self, "end of stream: draining");
  gst_element_send_event (self->rtp_src, gst_event_ref (event));
  gst_element_send_event (self->rtcp_appsrc, gst_event_ref (event));

  ghosts = g_ptr_array_new_with_free_func (gst_object_unref);
  ids = g_ptr_array_new_with_free_func (g_free);
  GST_OBJECT_LOCK (self);
  for (i = 0; i < self->streams->len; i++) {
    SrcStream *s = g_ptr_array_index (self->streams, i);

    if (!s->depay && !s->ended) {
      s->ended = TRUE;
      g_ptr_array_add (ghosts, gst_object_ref (s->ghost));
      g_ptr_array_add (ids, g_strdup (s->stream_id));
    }
  }
  GST_OBJECT_UNLOCK (self);
  for (i = 0; i < ghosts->len; i++) {
    GstPad *ghost = g_ptr_array_index (ghosts, i);
    GstSegment segment;

    gst_pad_push_event (ghost,
        gst_event_new_stream_start (g_ptr_array_index (ids, i)));
    gst_segment_init (&segment, GST_FORMAT_TIME);
    gst_pad_push_event (ghost, gst_event_new_segment (&segment));
    gst_pad_push_event (ghost, gst_event_ref (event));
  }
  g_ptr_array_unref (ghosts);
  g_ptr_array_unref (ids);
  gst_event_unref (event);
}

/* ---------------------------------------------------------------------- */
/* Talk-back: talkback pad → payloader → rtpbin session 1 → camera        */

/* Streaming thread: a payloaded talk-back packet, sent once admitted and
 * when the camera's offer takes talk-back. */
static void
src_on_talkback_rtp (const guint8 * data, gsize size, GstBuffer * buffer,
    gpointer user_data)
{
  GstP2pSrc *self = user_data;
  P2pViewerSession *session;

  if (!g_atomic_int_get (&self->talk_allowed))
    return;
  session = gst_p2p_src_ref_session (self);
  if (session) {
    p2p_viewer_session_send_rtp (session, data, size);
    g_object_unref (session);
  }
}

static gboolean
talkback_setup_payloader (GstP2pSrc * self, GstCaps * caps)
{
  const GstP2pCodec *codec = gst_p2p_codec_find (caps);
  g_autoptr (GError) err = NULL;
  g_autoptr (GstCaps) rtp = NULL;
  GstElement *pay, *out, *rtcp_in;
  GstPad *sinkpad, *pad;

  if (self->talkback_pay)
    return TRUE;
  rtp = codec ? gst_p2p_codec_talkback_caps (codec->pt) : NULL;
  if (!rtp) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("talk-back takes Opus, PCMU or PCMA, not %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  pay = gst_p2p_codec_make_payloader (codec, &err);
  if (!pay) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("%s", err->message),
        (NULL));
    return FALSE;
  }
  out = gst_p2p_packet_sink_new ("talkback_rtpsink", src_on_talkback_rtp,
      self, FALSE);
  gst_bin_add_many (GST_BIN (self), pay, out, NULL);
  gst_element_link_pads (pay, "src", self->rtpbin, "send_rtp_sink_1");
  gst_element_link_pads (self->rtpbin, "send_rtp_src_1", out, "sink");
  pad = gst_element_request_pad_simple (self->rtpbin, "send_rtcp_src_1");
  if (pad) {
    GstElement *rtcp = gst_p2p_packet_sink_new ("talkback_rtcpsink",
        src_on_rtcp, self, FALSE);

    gst_bin_add (GST_BIN (self), rtcp);
    sinkpad = gst_element_get_static_pad (rtcp, "sink");
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    gst_object_unref (pad);
    gst_element_sync_state_with_parent (rtcp);
  }
  /* The camera's NACKs for it, into its session. */
  rtcp_in = make_appsrc ("talkback_rtcpsrc", "application/x-rtcp");
  gst_bin_add (GST_BIN (self), rtcp_in);
  gst_element_link_pads (rtcp_in, "src", self->rtpbin, "recv_rtcp_sink_1");
  gst_element_sync_state_with_parent (rtcp_in);
  g_atomic_pointer_set (&self->talkback_rtcp, rtcp_in);
  sinkpad = gst_element_get_static_pad (pay, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->talkback), sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (out);
  gst_element_sync_state_with_parent (pay);
  self->talkback_pay = pay;
  GST_INFO_OBJECT (self, "talk-back: %s via %s", codec->media_type,
      codec->payloader);
  return TRUE;
}

/* The talkback pad's events: its caps choose the payloader. */
gboolean
gst_p2p_src_talkback_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstP2pSrc *self = GST_P2P_SRC (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (event, &caps);
    if (!talkback_setup_payloader (self, caps)) {
      gst_event_unref (event);
      return FALSE;
    }
  }
  return gst_pad_event_default (pad, parent, event);
}
