/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The camera's talk-back receiver: who has the floor, and the receive
 * branch that turns the talking viewer's RTP into encoded audio on
 * p2psink's `talkback` pad. One viewer talks at a time: the first whose
 * audio arrives takes the floor and keeps it until it stops sending (1 s
 * of silence on the wire) or leaves; another viewer's audio meanwhile is
 * dropped and that viewer is told once. The branch is p2psink's rtpbin
 * session GST_P2P_TALKBACK_SESSION (jitter buffer, NACKs back to the
 * talker), then a depayloader behind a sometimes pad. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ptalkback.h"
#include "gstp2pcodecs.h"
#include "gstp2pcommon.h"
#include "gstp2pelements.h"
#include "gstp2ppacketsink.h"
#include "gstp2ppacketsrc.h"

#include <stdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtcpbuffer.h>

#define GST_CAT_DEFAULT gst_p2p_debug

/* Silence on the wire after which the floor is free again. */
#define FLOOR_IDLE_US (1000 * G_TIME_SPAN_MILLISECOND)
/* The talker's audio is held this long to reorder and repair it. */
#define JITTER_LATENCY_MS 60

struct _GstP2pTalkback
{
  GstElement *element;          /* p2psink, not referenced (it owns us) */
  GstElement *rtpbin;
  GstPadTemplate *templ;
  GstElement *rtp_src;
  GstElement *rtcp_src;
  GstElement *rtcp_sink;

  /* Floor; lock. */
  GMutex lock;
  gboolean enabled;
  P2pCameraSession *talker;
  gint64 last_packet;
  GHashTable *refused;          /* sessions told the floor is taken */

  /* The receive branch's streaming thread. */
  GstPad *ghost;
  GstElement *depay;
};

static void
talkback_post (GstP2pTalkback * tb, P2pCameraSession * session,
    const gchar * state, const gchar * reason)
{
  GstStructure *s = gst_structure_new ("p2p-talkback", "viewer-id",
      G_TYPE_STRING, p2p_camera_session_get_id (session), "state",
      G_TYPE_STRING, state, NULL);

  if (reason)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  gst_element_post_message (tb->element,
      gst_message_new_element (GST_OBJECT (tb->element), s));
}

/* Tells a viewer about the floor: `granted`, `refused` or `released`. */
static void
talkback_tell (P2pCameraSession * session, const gchar * state,
    const gchar * reason)
{
  g_autofree gchar *text = g_strdup_printf ("{\"type\":\"talkback\","
      "\"state\":\"%s\",\"reason\":\"%s\"}", state, reason);
  g_autoptr (GBytes) msg = g_bytes_new (text, strlen (text));

  p2p_camera_session_send_message (session, msg, NULL);
}

static GstCaps *
talkback_pt_map (GstElement * rtpbin, guint session, guint pt,
    GstP2pTalkback * tb)
{
  if (session != GST_P2P_TALKBACK_SESSION)
    return NULL;
  return gst_p2p_codec_talkback_caps (pt);
}

/* The talker's retransmissions (RFC 4588), answering the jitter buffer's
 * NACKs, restored into its stream. */
static GstElement *
talkback_aux_receiver (GstElement * rtpbin, guint session, GstP2pTalkback * tb)
{
  GstStructure *map;
  GstElement *bin;

  if (session != GST_P2P_TALKBACK_SESSION)
    return NULL;
  map = gst_p2p_codec_talkback_rtx_map ();
  bin = gst_p2p_rtx_bin_new ("rtprtxreceive", session, map, NULL);
  gst_structure_free (map);
  return bin;
}

static void
talkback_new_jitterbuffer (GstElement * rtpbin, GstElement * jitterbuffer,
    guint session, guint ssrc, GstP2pTalkback * tb)
{
  if (session == GST_P2P_TALKBACK_SESSION)
    g_object_set (jitterbuffer, "latency", JITTER_LATENCY_MS,
        "do-retransmission", TRUE, "do-lost", TRUE, NULL);
}

/* A new talker (a new SSRC): a depayloader for it behind the one pad. */
static void
talkback_pad_added (GstElement * rtpbin, GstPad * pad, GstP2pTalkback * tb)
{
  guint session, ssrc, pt;
  g_autoptr (GstCaps) caps = NULL;
  GstElement *depay, *old;
  GstPad *sink, *src;

  if (sscanf (GST_PAD_NAME (pad), "recv_rtp_src_%u_%u_%u", &session, &ssrc,
          &pt) != 3 || session != GST_P2P_TALKBACK_SESSION)
    return;
  caps = gst_p2p_codec_talkback_caps (pt);
  /* Retransmissions are restored before the demuxer: never a stream. */
  if (caps && g_strcmp0 (gst_structure_get_string (gst_caps_get_structure
              (caps, 0), "encoding-name"), "RTX") == 0)
    return;
  depay = caps ? gst_p2p_codec_make_depayloader (caps) : NULL;
  if (!depay) {
    GST_WARNING_OBJECT (tb->element, "no depayloader for talk-back pt %u", pt);
    return;
  }
  gst_bin_add (GST_BIN (tb->element), depay);
  sink = gst_element_get_static_pad (depay, "sink");
  src = gst_element_get_static_pad (depay, "src");
  gst_element_sync_state_with_parent (depay);
  gst_pad_link (pad, sink);

  /* Only the streaming thread of session 2 gets here: no lock needed for
   * the depayloader and pad, and none may be held while linking (the link
   * posts a message up through the bin). */
  old = tb->depay;
  tb->depay = depay;
  if (!tb->ghost) {
    tb->ghost = gst_ghost_pad_new_from_template ("talkback", src, tb->templ);
    gst_pad_set_active (tb->ghost, TRUE);
    gst_element_add_pad (tb->element, tb->ghost);
  } else {
    gst_ghost_pad_set_target (GST_GHOST_PAD (tb->ghost), src);
  }
  if (old)
    gst_element_call_async (tb->element, gst_p2p_remove_element_async, old,
        NULL);
  gst_object_unref (sink);
  gst_object_unref (src);
}

/* rtpbin's receiver reports and NACKs go to the talker alone. */
static void
talkback_on_rtcp (const guint8 * data, gsize size, GstBuffer * buffer,
    gpointer user_data)
{
  GstP2pTalkback *tb = user_data;

  g_mutex_lock (&tb->lock);
  if (tb->talker)
    p2p_camera_session_send_rtcp (tb->talker, data, size);
  g_mutex_unlock (&tb->lock);
}

/**
 * gst_p2p_talkback_new:
 * @element: p2psink
 * @rtpbin: its rtpbin
 * @templ: the `talkback` pad template
 *
 * Returns: (transfer full): the receiver, talk-back enabled
 */
GstP2pTalkback *
gst_p2p_talkback_new (GstElement * element, GstElement * rtpbin,
    GstPadTemplate * templ)
{
  GstP2pTalkback *tb = g_new0 (GstP2pTalkback, 1);
  GstCaps *caps;
  GstPad *pad;

  tb->element = element;
  tb->rtpbin = rtpbin;
  tb->templ = templ;
  tb->enabled = TRUE;
  g_mutex_init (&tb->lock);
  tb->refused = g_hash_table_new (NULL, NULL);

  tb->rtp_src = gst_p2p_packet_src_new ("talkback_rtpsrc", "application/x-rtp");
  tb->rtcp_src = gst_element_factory_make ("appsrc", "talkback_rtcpsrc");
  caps = gst_caps_from_string ("application/x-rtcp");
  g_object_set (tb->rtcp_src, "is-live", TRUE, "do-timestamp", TRUE,
      "format", GST_FORMAT_TIME, "caps", caps, "max-buffers", (guint64) 64,
      "block", FALSE, NULL);
  gst_caps_unref (caps);
  tb->rtcp_sink = gst_p2p_packet_sink_new ("talkback_rtcpsink",
      talkback_on_rtcp, tb, FALSE);
  /* Before session 2 exists: it asks for its retransmission receiver as
   * it is made. */
  g_signal_connect (rtpbin, "request-pt-map", G_CALLBACK (talkback_pt_map), tb);
  g_signal_connect (rtpbin, "new-jitterbuffer",
      G_CALLBACK (talkback_new_jitterbuffer), tb);
  g_signal_connect (rtpbin, "request-aux-receiver",
      G_CALLBACK (talkback_aux_receiver), tb);
  g_signal_connect (rtpbin, "pad-added", G_CALLBACK (talkback_pad_added), tb);
  gst_bin_add_many (GST_BIN (element), tb->rtp_src, tb->rtcp_src,
      tb->rtcp_sink, NULL);
  gst_element_link_pads (tb->rtp_src, "src", rtpbin, "recv_rtp_sink_2");
  gst_element_link_pads (tb->rtcp_src, "src", rtpbin, "recv_rtcp_sink_2");
  pad = gst_element_request_pad_simple (rtpbin, "send_rtcp_src_2");
  if (pad) {
    GstPad *sinkpad = gst_element_get_static_pad (tb->rtcp_sink, "sink");

    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    gst_object_unref (pad);
  }
  return tb;
}

/**
 * gst_p2p_talkback_free:
 * @talkback: (transfer full): the receiver of a finalized p2psink
 */
void
gst_p2p_talkback_free (GstP2pTalkback * tb)
{
  g_clear_object (&tb->talker);
  g_hash_table_unref (tb->refused);
  g_mutex_clear (&tb->lock);
  g_free (tb);
}

/**
 * gst_p2p_talkback_set_enabled:
 * @talkback: the receiver
 * @enabled: whether viewers may talk
 */
void
gst_p2p_talkback_set_enabled (GstP2pTalkback * tb, gboolean enabled)
{
  g_mutex_lock (&tb->lock);
  tb->enabled = enabled;
  g_mutex_unlock (&tb->lock);
}

/* The talker's RTCP without its transport-wide feedback, which is about
 * the camera's own media and which the fan-out reads. The talk-back
 * session only receives, and GStreamer 1.22's rtpsession leaks every
 * feedback packet a session without a send_rtp_sink parses
 * (gst_rtp_session_notify_twcc() drops its packets structure). NULL when
 * nothing is left. */
static GstBuffer *
talkback_rtcp_without_twcc (const guint8 * data, gsize size)
{
  GstBuffer *buffer = gst_buffer_new_memdup (data, size);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean more, left = FALSE;

  if (!gst_rtcp_buffer_validate_reduced (buffer)
      || !gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp)) {
    gst_buffer_unref (buffer);
    return NULL;
  }
  more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet);
  while (more) {
    if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_RTPFB
        && gst_rtcp_packet_fb_get_type (&packet) == GST_RTCP_RTPFB_TYPE_TWCC) {
      more = gst_rtcp_packet_remove (&packet);
    } else {
      left = TRUE;
      more = gst_rtcp_packet_move_to_next (&packet);
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
  if (!left)
    g_clear_pointer (&buffer, gst_buffer_unref);
  return buffer;
}

/**
 * gst_p2p_talkback_push:
 * @talkback: the receiver
 * @session: the admitted viewer it came from
 * @is_rtcp: whether @data is RTCP
 * @data: (array length=size): one packet
 * @size: its size
 *
 * A viewer's packet: audio from the talker goes to the jitter buffer; the
 * first audio while nobody talks takes the floor; audio from anyone else
 * is dropped, and its sender told once. Network thread.
 */
void
gst_p2p_talkback_push (GstP2pTalkback * tb, P2pCameraSession * session,
    gboolean is_rtcp, const guint8 * data, gsize size)
{
  gboolean granted = FALSE, refuse = FALSE, mine;

  g_mutex_lock (&tb->lock);
  if (!is_rtcp && tb->enabled && tb->talker == NULL) {
    tb->talker = g_object_ref (session);
    g_hash_table_remove (tb->refused, session);
    granted = TRUE;
  }
  mine = tb->talker == session;
  if (mine && !is_rtcp)
    tb->last_packet = g_get_monotonic_time ();
  if (!mine && !is_rtcp && !g_hash_table_contains (tb->refused, session)) {
    g_hash_table_add (tb->refused, session);
    refuse = TRUE;
  }
  g_mutex_unlock (&tb->lock);

  if (granted) {
    GST_INFO_OBJECT (tb->element, "%s talks",
        p2p_camera_session_get_id (session));
    talkback_tell (session, "granted", "");
    talkback_post (tb, session, "started", NULL);
  }
  if (refuse) {
    GST_INFO_OBJECT (tb->element, "%s may not talk: %s",
        p2p_camera_session_get_id (session),
        tb->enabled ? "another viewer talks" : "disabled");
    talkback_tell (session, "refused", tb->enabled ? "busy" : "disabled");
    talkback_post (tb, session, "refused", tb->enabled ? "busy" : "disabled");
  }
  if (!mine)
    return;
  if (is_rtcp) {
    GstBuffer *rtcp = talkback_rtcp_without_twcc (data, size);

    if (rtcp)
      gst_app_src_push_buffer (GST_APP_SRC (tb->rtcp_src), rtcp);
  } else
    gst_p2p_packet_src_push (GST_P2P_PACKET_SRC (tb->rtp_src), data, size);
}

/**
 * gst_p2p_talkback_release:
 * @talkback: the receiver
 * @session: a viewer that leaves or went quiet
 * @reason: why, for the bus message
 *
 * Frees the floor if @session held it, and forgets a refusal.
 */
void
gst_p2p_talkback_release (GstP2pTalkback * tb, P2pCameraSession * session,
    const gchar * reason)
{
  P2pCameraSession *talker = NULL;

  g_mutex_lock (&tb->lock);
  g_hash_table_remove (tb->refused, session);
  if (tb->talker == session)
    talker = g_steal_pointer (&tb->talker);
  g_mutex_unlock (&tb->lock);
  if (!talker)
    return;
  GST_INFO_OBJECT (tb->element, "%s stopped talking (%s)",
      p2p_camera_session_get_id (talker), reason);
  if (p2p_camera_session_get_state (talker) == P2P_CAMERA_SESSION_STATE_ACTIVE)
    talkback_tell (talker, "released", reason);
  talkback_post (tb, talker, "stopped", reason);
  g_object_unref (talker);
}

/**
 * gst_p2p_talkback_tick:
 * @talkback: the receiver
 * @now_us: monotonic time
 *
 * Frees the floor of a talker that went quiet. Loop thread, about every
 * half second.
 */
void
gst_p2p_talkback_tick (GstP2pTalkback * tb, gint64 now_us)
{
  P2pCameraSession *talker = NULL;

  g_mutex_lock (&tb->lock);
  if (tb->talker && now_us - tb->last_packet > FLOOR_IDLE_US) {
    talker = g_object_ref (tb->talker);
    /* Others refused meanwhile may try again. */
    g_hash_table_remove_all (tb->refused);
  }
  g_mutex_unlock (&tb->lock);
  if (talker) {
    gst_p2p_talkback_release (tb, talker, "silent");
    g_object_unref (talker);
  }
}
