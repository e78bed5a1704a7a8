/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2psrc's side of its P2pViewerSession (p2p-core/p2p-viewer-session.c):
 * the session's callbacks become `p2p-connection` messages, warnings and
 * errors, ICE servers and the answer's media; one session per
 * READY→PAUSED, started and stopped on the loop thread; and the `stats`
 * property. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psrcprivate.h"
#include "gstp2pcommon.h"
#include "gstp2pelements.h"
#include "gstp2ppacketsrc.h"
#include "gstp2psdp.h"

#include <string.h>
#include <gst/app/gstappsrc.h>

#define GST_CAT_DEFAULT gst_p2p_debug

/* Any thread: the current calls, if started. */
P2pViewerSession *
gst_p2p_src_ref_session (GstP2pSrc * self)
{
  P2pViewerSession *session;

  GST_OBJECT_LOCK (self);
  session = self->session ? g_object_ref (self->session) : NULL;
  GST_OBJECT_UNLOCK (self);
  return session;
}

/* ---------------------------------------------------------------------- */
/* Connection (loop thread)                                               */

static void
src_post_connection (GstP2pSrc * self, P2pViewerSession * session,
    const gchar * state, const gchar * reason)
{
  P2pTransportStats *st = p2p_viewer_session_get_stats (session);
  GstStructure *s;

  s = gst_structure_new ("p2p-connection", "uid", G_TYPE_STRING, self->uid,
      "state", G_TYPE_STRING, state, NULL);
  gst_p2p_set_path_fields (s, st);
  if (reason)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  if (st)
    p2p_transport_stats_free (st);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
src_session_configure (P2pViewerSession * session, P2pTransport * transport,
    P2pSignaller * signaller, const gchar * call, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  g_autofree gchar *stun = NULL, *turn = NULL;
  gboolean port_mapping;

  GST_OBJECT_LOCK (self);
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  port_mapping = self->port_mapping;
  GST_OBJECT_UNLOCK (self);
  g_object_set (transport, "port-mapping", gst_p2p_port_mapping_allowed
      (port_mapping), NULL);
  gst_p2p_configure_transport (GST_ELEMENT (self), transport, signaller, call,
      stun, turn);
}

/* The camera's offer: its streams for rtpbin, and an answer that sends
 * talk-back when there is a talkback pad and the camera takes it. */
static GstSDPMessage *
src_session_answer_media (P2pViewerSession * session,
    const GstSDPMessage * offer, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  GstSDPMessage *media;
  gboolean talk, allowed = FALSE;
  guint i;

  if (!gst_p2p_src_learn_media (self, offer))
    return NULL;
  GST_OBJECT_LOCK (self);
  talk = self->talkback != NULL;
  GST_OBJECT_UNLOCK (self);
  media = gst_p2p_sdp_answer (offer, GST_P2P_DIRECTION_RECVONLY,
      talk ? GST_P2P_DIRECTION_SENDRECV : GST_P2P_DIRECTION_RECVONLY);
  for (i = 0; talk && i < gst_sdp_message_medias_len (media); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (media, i);

    if (g_strcmp0 (gst_sdp_media_get_media (m), "audio") == 0
        && (gst_p2p_sdp_media_get_direction (m) & GST_P2P_DIRECTION_SENDONLY))
      allowed = TRUE;
  }
  g_atomic_int_set (&self->talk_allowed, allowed);
  return media;
}

static void
src_session_connecting (P2pViewerSession * session, gpointer user_data)
{
  src_post_connection (user_data, session, "connecting", NULL);
}

/* Admitted (or on another path): the layer asked for, if any, holds for
 * this call. */
static void
src_session_connected (P2pViewerSession * session, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  g_autoptr (GError) err = NULL;
  gint layer;

  GST_OBJECT_LOCK (self);
  layer = self->layer;
  GST_OBJECT_UNLOCK (self);
  if (layer >= 0 && !p2p_viewer_session_send_layer (session, layer, &err))
    GST_INFO_OBJECT (self, "layer %d not asked: %s", layer, err->message);
  src_post_connection (self, session, "connected", NULL);
}

static void
src_session_retrying (P2pViewerSession * session, const GError * error,
    const gchar * debug, gpointer user_data)
{
  GstP2pSrc *self = user_data;

  GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ, ("%s; reconnecting",
          error->message), ("%s", debug ? debug : ""));
  src_post_connection (self, session, "reconnecting", error->message);
}

/* A fault retrying cannot fix: one ERROR, then nothing more. */
static void
src_session_failed (P2pViewerSession * session, const GError * error,
    const gchar * debug, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  GQuark domain = GST_RESOURCE_ERROR;
  gint code;

  switch (error->code) {
    case P2P_VIEWER_SESSION_ERROR_NOT_FOUND:
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      break;
    case P2P_VIEWER_SESSION_ERROR_REVOKED:
    case P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED:
    case P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH:
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      break;
    case P2P_VIEWER_SESSION_ERROR_INSECURE_SERVER:
    case P2P_VIEWER_SESSION_ERROR_BAD_UID:
      code = GST_RESOURCE_ERROR_SETTINGS;
      break;
    case P2P_VIEWER_SESSION_ERROR_NO_MEDIA:
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_FORMAT;
      break;
    default:
      code = GST_RESOURCE_ERROR_OPEN_READ;
      break;
  }
  GST_WARNING_OBJECT (self, "permanent failure: %s (%s)", error->message,
      debug);
  src_post_connection (self, session, "failed", error->message);
  gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR, domain,
      code, g_strdup (error->message), g_strdup (debug), __FILE__,
      GST_FUNCTION, __LINE__);
}

static void
src_session_warning (P2pViewerSession * session, const GError * error,
    const gchar * debug, gpointer user_data)
{
  gint code;

  switch (error->code) {
    case P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_WRITE:
      code = GST_RESOURCE_ERROR_WRITE;
      break;
      /* A host on the local network that failed to prove it is the
       * camera: the session goes on through the server. */
    case P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED:
    case P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH:
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      break;
    default:
      code = GST_RESOURCE_ERROR_READ;
      break;
  }
  gst_element_message_full (GST_ELEMENT (user_data), GST_MESSAGE_WARNING,
      GST_RESOURCE_ERROR, code, g_strdup (error->message), g_strdup (debug),
      __FILE__, GST_FUNCTION, __LINE__);
}

static void
src_session_media (P2pViewerSession * session, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  GstElement *talkback_rtcp;

  if (is_rtcp) {
    gst_app_src_push_buffer (GST_APP_SRC (self->rtcp_appsrc),
        gst_buffer_new_memdup (data, size));
    talkback_rtcp = g_atomic_pointer_get (&self->talkback_rtcp);
    if (talkback_rtcp)
      gst_app_src_push_buffer (GST_APP_SRC (talkback_rtcp),
          gst_buffer_new_memdup (data, size));
  } else
    gst_p2p_packet_src_push (GST_P2P_PACKET_SRC (self->rtp_src), data, size);
}

/* Packets that arrived together: the RTP ones go into rtpbin as one list. */
static void
src_session_media_list (P2pViewerSession * session,
    const P2pMediaPacket * packets, guint n_packets, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  GstBufferList *list = gst_buffer_list_new_sized (n_packets);
  guint i;

  for (i = 0; i < n_packets; i++) {
    if (packets[i].is_rtcp)
      src_session_media (session, TRUE, packets[i].data, packets[i].size,
          user_data);
    else
      gst_buffer_list_add (list, gst_buffer_new_memdup (packets[i].data,
              packets[i].size));
  }
  if (gst_buffer_list_length (list) > 0)
    gst_p2p_packet_src_push_list (GST_P2P_PACKET_SRC (self->rtp_src), list);
  else
    gst_buffer_list_unref (list);
}

static const P2pViewerSessionCallbacks session_callbacks = {
  src_session_configure,
  src_session_answer_media,
  src_session_connecting,
  src_session_connected,
  src_session_retrying,
  src_session_failed,
  src_session_warning,
  src_session_media,
  src_session_media_list,
};

/* Loop thread, READY→PAUSED: a session from the properties, started. */
gboolean
gst_p2p_src_start (gpointer data)
{
  GstP2pSrc *self = data;
  P2pViewerSession *session;
  g_autofree gchar *uid = NULL, *password = NULL, *pin = NULL;
  P2pViewerSessionConfig config = { self->loop };

  GST_OBJECT_LOCK (self);
  self->first_buffer_time = 0;
  g_atomic_int_set (&self->rtx_pauses, 0);
  uid = g_strdup (self->uid);
  password = g_strdup (self->password);
  pin = g_strdup (self->device_fingerprint);
  config.signaller = self->user_signaller;
  config.lan = self->lan;
  config.timeout_ms = self->timeout;
  config.login_timeout_ms = self->login_timeout;
  config.reconnect = self->reconnect;
  GST_OBJECT_UNLOCK (self);
  config.uid = uid;
  config.password = password;
  config.device_fingerprint = pin;
  config.known = self->known;
  config.servers = (const gchar * const *) self->servers;
  config.allow_insecure = self->allow_insecure;
  config.tls_database = self->tls_database;
  config.router = self->router;
  session = p2p_viewer_session_new (&config, &session_callbacks, self);
  if (password)
    memset (password, 0, strlen (password));
  GST_OBJECT_LOCK (self);
  self->session = session;
  GST_OBJECT_UNLOCK (self);
  p2p_viewer_session_start (session);
  return G_SOURCE_REMOVE;
}

/* Loop thread, PAUSED→READY: the session ends its call and goes; no
 * callback follows. */
gboolean
gst_p2p_src_stop (gpointer data)
{
  GstP2pSrc *self = data;
  P2pViewerSession *session;

  GST_OBJECT_LOCK (self);
  session = g_steal_pointer (&self->session);
  GST_OBJECT_UNLOCK (self);
  if (session) {
    p2p_viewer_session_stop (session);
    g_object_unref (session);
  }
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GstP2pSrc *self;
  GstStructure *result;
} StatsCall;

/* Loop thread, where the session changes. */
static gboolean
src_collect_stats (gpointer data)
{
  StatsCall *call = data;
  GstP2pSrc *self = call->self;
  P2pViewerSession *session = self->session;
  P2pTransportStats *st = NULL;
  gint64 first, start = 0, connected = 0;

  if (!session)
    return G_SOURCE_REMOVE;
  st = p2p_viewer_session_get_stats (session);
  start = p2p_viewer_session_get_start_time (session);
  connected = p2p_viewer_session_get_connected_time (session);
  GST_OBJECT_LOCK (self);
  first = self->first_buffer_time;
  GST_OBJECT_UNLOCK (self);
  gst_structure_set (call->result,
      "state", G_TYPE_STRING, p2p_viewer_session_state_to_string
      (p2p_viewer_session_get_state (session)),
      "attempts", G_TYPE_UINT, p2p_viewer_session_get_attempts (session),
      "connect-time-ms", G_TYPE_INT64, connected ?
      (connected - start) / 1000 : (gint64) - 1,
      "first-buffer-ms", G_TYPE_INT64, first && start ?
      (first - start) / 1000 : (gint64) - 1, NULL);
  gst_p2p_set_path_fields (call->result, st);
  if (st) {
    gst_structure_set (call->result,
        "packets-received", G_TYPE_UINT64, st->rtp_packets_received,
        "bytes-received", G_TYPE_UINT64, st->rtp_bytes_received,
        "dropped-srtp", G_TYPE_UINT64, st->dropped_srtp,
        "rtcp-dropped", G_TYPE_UINT64, st->rtcp_dropped, NULL);
    p2p_transport_stats_free (st);
  }
  return G_SOURCE_REMOVE;
}

/* The `stats` property: read on the loop thread, where the session
 * changes. */
GstStructure *
gst_p2p_src_get_stats (GstP2pSrc * self)
{
  StatsCall call = { self, NULL };

  call.result = gst_structure_new ("p2psrc-stats", "state", G_TYPE_STRING,
      "idle", "mode", G_TYPE_STRING, "none", "rtt-ms", G_TYPE_INT64,
      (gint64) - 1, "packets-received", G_TYPE_UINT64, (guint64) 0,
      "bytes-received", G_TYPE_UINT64, (guint64) 0, "attempts", G_TYPE_UINT,
      0, "retransmission-pauses", G_TYPE_UINT,
      (guint) g_atomic_int_get (&self->rtx_pauses), "connect-time-ms",
      G_TYPE_INT64, (gint64) - 1, "first-buffer-ms", G_TYPE_INT64, (gint64) - 1,
      NULL);
  if (self->loop)
    p2p_loop_invoke_sync (self->loop, src_collect_stats, &call);
  return call.result;
}
