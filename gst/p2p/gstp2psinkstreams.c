/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2psink's streams: the `video` (or `video_%u`, one per layer) and
 * `audio` request pads, each through a parser and payloader chosen by its
 * caps to the fan-out (every admitted viewer, with retransmission history,
 * keyframe policy and layer choice, gstp2pfanout.c), with the sender
 * reports made from what it sends (gstp2psenderreport.c); and the media
 * half of the offer that the payloaders' output caps describe. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psinkprivate.h"
#include "gstp2pcommon.h"
#include "gstp2pdroppable.h"
#include "gstp2pelements.h"
#include "gstp2pnalframing.h"
#include "gstp2ppacketsink.h"
#include "gstp2psdp.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#define GST_CAT_DEFAULT gst_p2p_debug

/* Packets kept for retransmission: about 1.5 s of a 3 Mbit/s stream. */
#define HISTORY_VIDEO 512
#define HISTORY_AUDIO 64

/* Frees a stream whose pad is gone (or the element). */
void
gst_p2p_sink_stream_free (Stream * stream)
{
  gst_clear_caps (&stream->rtp_caps);
  gst_clear_object (&stream->payloader);
  gst_clear_object (&stream->parser);
  gst_clear_object (&stream->packet_sink);
  gst_clear_object (&stream->rtp_src);
  gst_p2p_sender_report_free (stream->report);
  g_free (stream);
}

/* ---------------------------------------------------------------------- */
/* Keyframes and the fan-out                                              */

/* The fan-out asks a layer's encoder for a keyframe, through the
 * payloader; @not_before, an RTP timestamp, becomes the running time the
 * encoder is to key from (every video payloader counts from
 * video_ts_offset at 90 kHz). Any thread.
 *
 * Without all-headers: the H.264/H.265 parameter sets already go in band
 * in front of every keyframe (gstp2pnalframing.c, or the parser's
 * config-interval -1). Asked for them, rtph264pay and rtph265pay also sent
 * them again in a packet of their own, marked as the end of an access
 * unit at the keyframe's timestamp: each viewer's depayloader made an
 * access unit of the parameter sets alone, one more frame into its
 * decoder that never gives a picture. */
void
gst_p2p_sink_request_keyframe (StreamIndex index, guint count,
    gint64 not_before, const gchar * why, gpointer user_data)
{
  GstP2pSink *self = user_data;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstElement *pay = NULL;
  GstPad *srcpad;

  GST_OBJECT_LOCK (self);
  if (self->streams[index] && self->streams[index]->payloader)
    pay = gst_object_ref (self->streams[index]->payloader);
  if (not_before >= 0)
    running_time = gst_util_uint64_scale ((guint32) (not_before -
            self->video_ts_offset), GST_SECOND, 90000);
  GST_OBJECT_UNLOCK (self);
  if (!pay)
    return;

  GST_DEBUG_OBJECT (self, "requesting a keyframe on stream %u at %"
      GST_TIME_FORMAT " (%s)", index, GST_TIME_ARGS (running_time), why);
  srcpad = gst_element_get_static_pad (pay, "src");
  gst_pad_send_event (srcpad,
      gst_video_event_new_upstream_force_key_unit (running_time, FALSE, count));
  gst_object_unref (srcpad);
  gst_object_unref (pay);
}

/* The fan-out's way out to one viewer for a packet list: encrypted and
 * written in one batch. */
void
gst_p2p_sink_send_packets (gpointer target, const guint8 * const *data,
    const gsize * sizes, guint n, gpointer user_data)
{
  p2p_transport_send_rtp_list (p2p_camera_session_get_transport (target),
      data, sizes, n, NULL);
}

/* The fan-out's way out to one viewer: encrypt and write, never call
 * back. */
void
gst_p2p_sink_send_packet (gpointer target, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data)
{
  P2pTransport *transport = p2p_camera_session_get_transport (target);

  if (is_rtcp)
    p2p_transport_send_rtcp (transport, data, size, NULL);
  else
    p2p_transport_send_rtp (transport, data, size, NULL);
}

static GstPadProbeReturn
payloader_input_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Stream *stream = data;
  GstBuffer *buf = NULL;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    buf = GST_PAD_PROBE_INFO_BUFFER (info);
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    buf = gst_buffer_list_get (GST_PAD_PROBE_INFO_BUFFER_LIST (info), 0);
  if (!buf)
    return GST_PAD_PROBE_OK;
  gst_p2p_fanout_input (stream->sink->fanout, stream->index,
      !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
  /* Frames no other refers to, which a thinned viewer goes without: the
   * avc conversion flags them (and mapping its frames would copy them). */
  if (stream->index != STREAM_AUDIO
      && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)
      && gst_p2p_nal_framing_is_element (stream->parser)) {
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DROPPABLE))
      gst_p2p_fanout_mark_droppable (stream->sink->fanout, stream->index);
  } else if (stream->index != STREAM_AUDIO
      && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    GstMapInfo map;

    if (caps && gst_buffer_map (buf, &map, GST_MAP_READ)) {
      if (gst_p2p_droppable_frame (caps, map.data, map.size))
        gst_p2p_fanout_mark_droppable (stream->sink->fanout, stream->index);
      gst_buffer_unmap (buf, &map);
    }
    gst_clear_caps (&caps);
  }
  return GST_PAD_PROBE_OK;
}

/* @element's running time now, GST_CLOCK_TIME_NONE without a clock. */
static GstClockTime
running_time_now (GstElement * element)
{
  GstClockTime now = GST_CLOCK_TIME_NONE;
  GstClock *clock;

  if ((clock = gst_element_get_clock (element))) {
    now = GST_CLOCK_DIFF (gst_element_get_base_time (element),
        gst_clock_get_time (clock));
    gst_object_unref (clock);
  }
  return now;
}

/* Streaming thread: the stream's sender report (with a BYE when it
 * ends) to every viewer, at the pipeline clock's time now. */
static void
stream_send_report (Stream * stream, gboolean bye)
{
  guint8 rtcp[GST_P2P_SENDER_REPORT_MAX_SIZE];
  gsize size;

  size = gst_p2p_sender_report_make (stream->report,
      running_time_now (stream->packet_sink),
      g_get_real_time () * GST_USECOND + GST_P2P_NTP_UNIX_OFFSET, bye, rtcp);
  if (size > 0)
    gst_p2p_fanout_push_rtcp (stream->sink->fanout, rtcp, size);
  if (bye)
    stream->said_bye = TRUE;
}

/* PAUSED→READY, once the streams have stopped and before the viewers'
 * sessions close: a last sender report with a BYE for each stream that
 * sent packets since its last BYE, so that a camera stopped without EOS
 * ends its streams for its viewers' RTP sessions as one that reached EOS
 * does, instead of leaving them to time out. */
void
gst_p2p_sink_streams_say_bye (GstP2pSink * self)
{
  guint8 rtcp[N_STREAMS][GST_P2P_SENDER_REPORT_MAX_SIZE];
  gsize sizes[N_STREAMS] = { 0, };
  GstClockTime now = running_time_now (GST_ELEMENT (self));
  guint64 ntp_ns = g_get_real_time () * GST_USECOND + GST_P2P_NTP_UNIX_OFFSET;
  guint i;

  /* The streaming threads are gone: the reports are ours to read. */
  GST_OBJECT_LOCK (self);
  for (i = 0; i < N_STREAMS; i++) {
    Stream *stream = self->streams[i];

    if (stream && !stream->said_bye) {
      sizes[i] = gst_p2p_sender_report_make (stream->report, now, ntp_ns,
          TRUE, rtcp[i]);
      stream->said_bye = sizes[i] > 0;
    }
  }
  GST_OBJECT_UNLOCK (self);
  for (i = 0; i < N_STREAMS; i++)
    if (sizes[i] > 0)
      gst_p2p_fanout_push_rtcp (self->fanout, rtcp[i], sizes[i]);
}

/* Streaming thread: @n packets the fan-out got, counted for the sender
 * reports, of which one goes out when due. */
static void
stream_count (Stream * stream, const guint8 * const *data,
    const gsize * sizes, guint n, GstBuffer * first)
{
  gst_p2p_sender_report_count (stream->report, data, sizes, n,
      gst_p2p_packet_sink_send_time (GST_P2P_PACKET_SINK (stream->packet_sink),
          first));
  stream->said_bye = FALSE;
  if (gst_p2p_sender_report_due (stream->report, g_get_monotonic_time ()))
    stream_send_report (stream, FALSE);
}

/* Streaming thread: one RTP packet from the payloader. */
static void
stream_on_rtp (const guint8 * data, gsize size, GstBuffer * buffer,
    gpointer user_data)
{
  Stream *stream = user_data;

  gst_p2p_fanout_push_rtp (stream->sink->fanout, stream->index, data, size);
  stream_count (stream, &data, &size, 1, buffer);
}

/* Streaming thread: the packets of a buffer list (a payloaded frame). */
static void
stream_on_rtp_list (const guint8 * const *data, const gsize * sizes, guint n,
    GstBuffer * first, gpointer user_data)
{
  Stream *stream = user_data;

  gst_p2p_fanout_push_rtp_list (stream->sink->fanout, stream->index, data,
      sizes, n);
  stream_count (stream, data, sizes, n, first);
}

/* Streaming thread: the stream's end, told to the viewers with a BYE. */
static GstPadProbeReturn
stream_eos_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    stream_send_report (data, TRUE);
  return GST_PAD_PROBE_OK;
}

/* ---------------------------------------------------------------------- */
/* Request pads                                                           */

/* The codec of another video layer than @stream's, if one is known. */
static const GstP2pCodec *
stream_other_layer_codec (Stream * stream)
{
  GstP2pSink *self = stream->sink;
  const GstP2pCodec *codec = NULL;
  guint i;

  GST_OBJECT_LOCK (self);
  for (i = 0; i < N_STREAMS; i++)
    if (i != STREAM_AUDIO && i != stream->index && self->streams[i]
        && self->streams[i]->codec)
      codec = self->streams[i]->codec;
  GST_OBJECT_UNLOCK (self);
  return codec;
}

static void payloader_caps_notify (GstPad * pad, GParamSpec * pspec,
    Stream * stream);

static gboolean
stream_setup_payloader (Stream * stream, GstCaps * caps)
{
  GstP2pSink *self = stream->sink;
  const GstP2pCodec *codec = gst_p2p_codec_find (caps);
  const GstP2pCodec *other;
  g_autoptr (GError) err = NULL;
  GstElement *pay, *parse = NULL;
  GstPad *paysink, *paysrc, *sinkpad;

  if (stream->payloader) {
    if (codec == stream->codec)
      return TRUE;
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The encoded format changed while streaming"),
        ("%" GST_PTR_FORMAT " after %s", caps, stream->codec->media_type));
    return FALSE;
  }
  if (!codec) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("no payloader for %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  /* A viewer's decoder follows one stream across layers: one codec. */
  other = stream->index != STREAM_AUDIO ? stream_other_layer_codec (stream) :
      NULL;
  if (other && other != codec) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Every video layer must have the same format"),
        ("%s on %s after %s", codec->media_type, GST_PAD_NAME (stream->ghost),
            other->media_type));
    return FALSE;
  }
  pay = gst_p2p_codec_make_payloader (codec, &err);
  if (pay && codec->parser) {
    /* What encoders give needs no parser (gstp2pnalframing.c). */
    parse =
        gst_p2p_nal_framing_takes (caps) ? gst_p2p_nal_framing_element_new () :
        gst_p2p_codec_make_parser (codec, &err);
    if (!parse)
      gst_clear_object (&pay);
  }
  if (!pay) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("%s", err->message),
        (NULL));
    return FALSE;
  }

  /* Before the payloader joins the bin: it takes its timestamp base when
   * it goes to PAUSED, and a state change of the bin under way (the first
   * caps come as the pipeline starts playing when a source pushes while
   * prerolling) may take it there as soon as it is added, before this
   * thread gets any further. A layer on a random base of its own runs
   * hours apart from the others, and a viewer's move to it or back waits
   * for a keyframe that never comes "after" what it last got. */
  if (stream->index != STREAM_AUDIO)
    g_object_set (pay, "timestamp-offset", self->video_ts_offset, NULL);
  gst_bin_add (GST_BIN (self), pay);
  if (parse)
    gst_bin_add (GST_BIN (self), parse);
  if (!gst_element_link (pay, stream->packet_sink)
      || (parse && !gst_element_link (parse, pay))) {
    gst_bin_remove (GST_BIN (self), pay);
    if (parse)
      gst_bin_remove (GST_BIN (self), parse);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("could not link %s", codec->payloader));
    return FALSE;
  }
  /* The payloader's output caps, known once it negotiated, are what the
   * offer describes. */
  paysrc = gst_element_get_static_pad (pay, "src");
  g_signal_connect (paysrc, "notify::caps", G_CALLBACK (payloader_caps_notify),
      stream);

  /* Keyframes are flagged on the payloader's input, after the parser. */
  paysink = gst_element_get_static_pad (pay, "sink");
  gst_pad_add_probe (paysink,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      payloader_input_probe, stream, NULL);
  gst_object_unref (paysink);
  sinkpad = gst_element_get_static_pad (parse ? parse : pay, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (stream->ghost), sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (pay);
  if (parse)
    gst_element_sync_state_with_parent (parse);

  GST_OBJECT_LOCK (self);
  stream->codec = codec;
  stream->rtp_src = paysrc;
  stream->payloader = gst_object_ref (pay);
  stream->parser = parse ? gst_object_ref (parse) : NULL;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "%s: %s via %s", GST_PAD_NAME (stream->ghost),
      codec->media_type, codec->payloader);
  return TRUE;
}

static gboolean
stream_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Stream *stream = gst_pad_get_element_private (pad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (event, &caps);
    if (!stream_setup_payloader (stream, caps)) {
      gst_event_unref (event);
      return FALSE;
    }
  }
  return gst_pad_event_default (pad, parent, event);
}

static void
payloader_caps_notify (GstPad * pad, GParamSpec * pspec, Stream * stream)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstP2pSink *self = stream->sink;
  gint clock_rate = 0;

  if (!caps)
    return;
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "clock-rate",
      &clock_rate);
  gst_p2p_sender_report_set_clock_rate (stream->report, MAX (clock_rate, 0));
  /* The fan-out puts each viewer's transport-wide sequence number in its
   * packets (gst_p2p_fanout_set_twcc_extension()), not the payloader: the
   * offer announces the extension, and viewers send feedback on it. */
  caps = gst_caps_make_writable (caps);
  gst_caps_set_simple (caps, "extmap-" G_STRINGIFY (GST_P2P_TWCC_EXT_ID),
      G_TYPE_STRING, GST_P2P_TWCC_URI, NULL);
  GST_OBJECT_LOCK (self);
  gst_caps_replace (&stream->rtp_caps, caps);
  GST_OBJECT_UNLOCK (self);
  gst_caps_unref (caps);

  /* Calls that arrived before the media was known can get their offer. */
  if (self->loop)
    p2p_loop_invoke (self->loop,
        (GSourceFunc) gst_p2p_sink_start_pending_viewers, gst_object_ref (self),
        gst_object_unref);
}

/* Which stream a pad name asks for: `video` is layer 0, `video_N` layer
 * N (the first free layer when the name is not given); N_STREAMS when
 * none fits. With the object lock. */
static StreamIndex
sink_stream_for_name (GstP2pSink * self, GstPadTemplate * templ,
    const gchar * name)
{
  guint64 layer;
  guint l;

  if (g_str_equal (templ->name_template, "audio"))
    return STREAM_AUDIO;
  if (g_str_equal (templ->name_template, "video"))
    return STREAM_VIDEO;
  if (name) {
    if (!g_str_has_prefix (name, "video_")
        || !g_ascii_string_to_unsigned (name + 6, 10, 0,
            GST_P2P_FANOUT_MAX_LAYERS - 1, &layer, NULL))
      return N_STREAMS;
    return gst_p2p_fanout_layer_stream (layer);
  }
  for (l = 0; l < GST_P2P_FANOUT_MAX_LAYERS; l++)
    if (!self->streams[gst_p2p_fanout_layer_stream (l)])
      return gst_p2p_fanout_layer_stream (l);
  return N_STREAMS;
}

/* A `video`, `video_%u` or `audio` pad, whose packets go to the fan-out;
 * the payloader follows the caps. */
GstPad *
gst_p2p_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstP2pSink *self = GST_P2P_SINK (element);
  StreamIndex index;
  Stream *stream;
  GstPad *sinkpad;
  gchar *pad_name;

  stream = g_new0 (Stream, 1);
  stream->sink = self;
  /* Checked and taken at once: two threads asking for the same pad must
   * not both build it. */
  GST_OBJECT_LOCK (self);
  index = sink_stream_for_name (self, templ, name);
  if (index == N_STREAMS || self->streams[index]) {
    GST_OBJECT_UNLOCK (self);
    g_free (stream);
    GST_WARNING_OBJECT (self, "cannot make a pad %s: %s", name ? name :
        templ->name_template, index == N_STREAMS ? "no such layer" :
        "that stream has one already");
    return NULL;
  }
  stream->index = index;
  self->streams[index] = stream;
  GST_OBJECT_UNLOCK (self);
  gst_p2p_fanout_add_stream (self->fanout, index,
      index == STREAM_AUDIO ? HISTORY_AUDIO : HISTORY_VIDEO);

  pad_name = g_strdup_printf ("rtpsink_%u", index);
  stream->packet_sink = gst_p2p_packet_sink_new (pad_name, stream_on_rtp,
      stream, TRUE);
  gst_p2p_packet_sink_set_list_func (GST_P2P_PACKET_SINK (stream->packet_sink),
      stream_on_rtp_list);
  g_free (pad_name);
  /* Our own reference: the bin drops its one before releasing pads. */
  gst_object_ref_sink (stream->packet_sink);
  gst_bin_add (GST_BIN (self), stream->packet_sink);
  /* Sender reports every second (rtpbin's default is five): a new viewer
   * can synchronise audio and video sooner. */
  stream->report = gst_p2p_sender_report_new (self->cname);
  sinkpad = gst_element_get_static_pad (stream->packet_sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      stream_eos_probe, stream, NULL);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (stream->packet_sink);

  if (g_str_equal (templ->name_template, "video_%u")) {
    pad_name = g_strdup_printf ("video_%d",
        gst_p2p_fanout_stream_layer (index));
    stream->ghost = gst_ghost_pad_new_no_target_from_template (pad_name, templ);
    g_free (pad_name);
  } else {
    stream->ghost = gst_ghost_pad_new_no_target_from_template
        (templ->name_template, templ);
  }
  gst_pad_set_element_private (stream->ghost, stream);
  gst_pad_set_event_function (stream->ghost, stream_sink_event);
  gst_pad_set_query_function (stream->ghost, gst_p2p_ghost_sink_query);
  gst_pad_set_active (stream->ghost, TRUE);
  gst_element_add_pad (element, stream->ghost);
  return stream->ghost;
}

/* The stream leaves the fan-out before its elements go. */
void
gst_p2p_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstP2pSink *self = GST_P2P_SINK (element);
  Stream *stream = gst_pad_get_element_private (pad);
  GstElement *pay, *parse;

  if (!stream)
    return;
  GST_OBJECT_LOCK (self);
  pay = g_steal_pointer (&stream->payloader);
  parse = g_steal_pointer (&stream->parser);
  self->streams[stream->index] = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_p2p_fanout_remove_stream (self->fanout, stream->index);

  if (stream->rtp_src)
    g_signal_handlers_disconnect_by_data (stream->rtp_src, stream);
  gst_element_remove_pad (element, pad);
  if (pay) {
    gst_element_set_state (pay, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (pay) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), pay);
    gst_object_unref (pay);
  }
  if (parse) {
    gst_element_set_state (parse, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (parse) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), parse);
    gst_object_unref (parse);
  }
  gst_element_set_state (stream->packet_sink, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (stream->packet_sink) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), stream->packet_sink);
  gst_p2p_sink_stream_free (stream);
}

/* Whether every requested stream (@all) or at least one knows its RTP
 * caps. */
gboolean
gst_p2p_sink_media_known (GstP2pSink * self, gboolean all)
{
  guint i, requested = 0, known = 0;

  GST_OBJECT_LOCK (self);
  for (i = 0; i < N_STREAMS; i++) {
    if (self->streams[i]) {
      requested++;
      known += self->streams[i]->rtp_caps != NULL;
    }
  }
  GST_OBJECT_UNLOCK (self);
  return known > 0 && (!all || known == requested);
}

/* The media half of the offer, from the payloaders' output caps. The
 * video layers share one m-line (the best known layer's caps): a viewer
 * gets one layer at a time, under one SSRC and one numbering
 * (gstp2pfanout.c), and the parameter sets that differ come in band
 * before each keyframe. */
GstSDPMessage *
gst_p2p_sink_build_media (GstP2pSink * self)
{
  StreamIndex order[] = { STREAM_VIDEO, GST_P2P_FANOUT_VIDEO_1,
    GST_P2P_FANOUT_VIDEO_2, GST_P2P_FANOUT_VIDEO_3, STREAM_AUDIO
  };
  GstSDPMessage *msg;
  gboolean talkback, video = FALSE;
  guint i;

  G_STATIC_ASSERT (G_N_ELEMENTS (order) == N_STREAMS);
  gst_sdp_message_new (&msg);
  for (i = 0; i < N_STREAMS; i++) {
    g_autoptr (GstCaps) caps = NULL;
    g_autoptr (GError) err = NULL;
    gboolean is_audio = order[i] == STREAM_AUDIO;

    GST_OBJECT_LOCK (self);
    if (self->streams[order[i]] && self->streams[order[i]]->rtp_caps)
      caps = gst_caps_ref (self->streams[order[i]]->rtp_caps);
    GST_OBJECT_UNLOCK (self);
    if (!caps || (!is_audio && video))
      continue;
    video |= !is_audio;
    if (!gst_p2p_sdp_add_media (msg, is_audio ? "audio" : "video", caps,
            GST_P2P_DIRECTION_SENDONLY, &err))
      GST_WARNING_OBJECT (self, "%s", err->message);
  }
  GST_OBJECT_LOCK (self);
  talkback = self->talkback_enabled && self->talkback;
  GST_OBJECT_UNLOCK (self);
  if (talkback)
    gst_p2p_sdp_add_talkback (msg);
  return msg;
}
