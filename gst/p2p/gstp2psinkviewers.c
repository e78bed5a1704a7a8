/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2psink's viewers: the signaller's calls (the application's, or the
 * server's and the local network's), one P2pCameraSession each, whose
 * callbacks become bus messages and fan-out membership; commands from
 * admitted viewers and the camera's replies and events; the `stats`
 * property. Loop thread, but for the action signals. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psinkprivate.h"
#include "gstp2pcommon.h"
#include "gstp2pelements.h"

#include <string.h>
#include <p2p-core/p2p-command.h>
#include <p2p-core/p2p-lan-signaller.h>
#include <p2p-core/p2p-transport.h>
#include <p2p-core/p2p-viewer-auth.h>

#define GST_CAT_DEFAULT gst_p2p_debug

/* A viewer must prove its credential this long after its path is up. */
#define AUTH_TIMEOUT_MS 10000
/* How long a call waits for every stream's format before it is offered
 * what is known. */
#define MEDIA_WAIT_MS 3000
/* A viewer's bandwidth estimate is posted again once it moved by more
 * than this fraction: more than the estimator's own sawtooth around a
 * path's capacity (it backs off to 0.85 of the receive rate, then
 * climbs), so that a message marks a real change (a path that narrowed or
 * widened), not the controller at work. */
#define BANDWIDTH_CHANGE 0.25

/* ---------------------------------------------------------------------- */
/* Viewers: one P2pCameraSession each (loop thread)                       */

/* Admitted viewers: the `viewers` property; any thread. */
guint
gst_p2p_sink_count_active (GstP2pSink * self)
{
  return gst_p2p_fanout_get_n_targets (self->fanout);
}

static void
sink_post_viewer_count (GstP2pSink * self)
{
  g_object_notify (G_OBJECT (self), "viewers");
}

static void
viewer_post (GstP2pSink * self, P2pCameraSession * session,
    const gchar * name, const gchar * first_field, ...)
{
  GstStructure *s;
  va_list args;

  s = gst_structure_new (name, "uid", G_TYPE_STRING, self->uid,
      "viewer-id", G_TYPE_STRING, p2p_camera_session_get_id (session), NULL);
  va_start (args, first_field);
  gst_structure_set_valist (s, first_field, args);
  va_end (args);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
viewer_configure (P2pCameraSession * session, P2pTransport * transport,
    gpointer user_data)
{
  GstP2pSink *self = user_data;
  g_autofree gchar *stun = NULL, *turn = NULL;
  gboolean port_mapping;

  GST_OBJECT_LOCK (self);
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  port_mapping = self->port_mapping;
  GST_OBJECT_UNLOCK (self);
  g_object_set (transport, "port-mapping", gst_p2p_port_mapping_allowed
      (port_mapping), NULL);
  gst_p2p_configure_transport (GST_ELEMENT (self), transport, self->signaller,
      p2p_camera_session_get_call (session), stun, turn);
}

static gboolean
viewer_send_offer (P2pCameraSession * session, const gchar * sdp,
    GError ** error, gpointer user_data)
{
  GstP2pSink *self = user_data;

  return p2p_signaller_send_offer (self->signaller,
      p2p_camera_session_get_call (session), sdp, error);
}

static void
viewer_send_candidate (P2pCameraSession * session, const gchar * candidate,
    gpointer user_data)
{
  GstP2pSink *self = user_data;

  if (self->signaller)
    p2p_signaller_send_candidate (self->signaller,
        p2p_camera_session_get_call (session), candidate, NULL, NULL);
}

static void
viewer_end_call (P2pCameraSession * session, const gchar * reason,
    gpointer user_data)
{
  GstP2pSink *self = user_data;

  if (self->signaller)
    p2p_signaller_end_call (self->signaller,
        p2p_camera_session_get_call (session), reason, NULL);
}

static gboolean
viewer_admit (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;
  guint max;

  GST_OBJECT_LOCK (self);
  max = self->max_viewers;
  GST_OBJECT_UNLOCK (self);
  return gst_p2p_sink_count_active (self) < max;
}

/* Loop thread: the shared payloaders make packets every admitted viewer's
 * path carries unfragmented, i.e. the smallest of their paths' payload
 * sizes: one viewer behind TURN brings everyone to 1,200 bytes, one whose
 * path MTU shrank mid-call (its transport notifies payload-mtu) brings
 * everyone to its size, and without admitted viewers the payloaders keep
 * the safe size. Smaller packets cost the others little (measured: no
 * CPU, a few more packets; docs/performance.md), while a packet larger
 * than one viewer's path would be fragmented for that viewer. rtp*pay
 * read `mtu` per packet, so the next frame follows; packets made before,
 * and their retransmissions, leave that viewer through libnice, which
 * fragments them. */
static void
sink_follow_path_mtu (GstP2pSink * self)
{
  GHashTableIter iter;
  gpointer value;
  gint mtu = G_MAXINT;
  guint i;

  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    P2pTransport *transport = p2p_camera_session_get_transport (value);
    g_autoptr (P2pTransportStats) st = NULL;

    if (p2p_camera_session_get_state (value) !=
        P2P_CAMERA_SESSION_STATE_ACTIVE || !transport)
      continue;
    st = p2p_transport_get_stats (transport);
    mtu = MIN (mtu, st->payload_mtu);
  }
  if (mtu == G_MAXINT)
    mtu = GST_P2P_MTU;
  for (i = 0; i < N_STREAMS; i++) {
    GstElement *pay = NULL;
    guint old;

    GST_OBJECT_LOCK (self);
    if (self->streams[i] && self->streams[i]->payloader)
      pay = gst_object_ref (self->streams[i]->payloader);
    GST_OBJECT_UNLOCK (self);
    if (!pay)
      continue;
    g_object_get (pay, "mtu", &old, NULL);
    if (old != (guint) mtu) {
      GST_INFO_OBJECT (self, "payloader %s: mtu %u -> %d",
          GST_OBJECT_NAME (pay), old, mtu);
      g_object_set (pay, "mtu", (guint) mtu, NULL);
    }
    gst_object_unref (pay);
  }
}

static void
viewer_joined (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;
  P2pTransport *transport = p2p_camera_session_get_transport (session);
  P2pConnectionMode mode = p2p_transport_get_mode (transport);
  P2pConnectionTechnique technique = p2p_transport_get_technique (transport);

  gst_p2p_fanout_add (self->fanout, g_object_ref (session));
  GST_INFO_OBJECT (self, "%s joined from %s (%s, %s)",
      p2p_camera_session_get_id (session),
      p2p_camera_session_get_address (session),
      p2p_connection_mode_to_string (mode),
      p2p_connection_technique_to_string (technique));
  viewer_post (self, session, "p2p-viewer-joined", "address", G_TYPE_STRING,
      p2p_camera_session_get_address (session), "mode", G_TYPE_STRING,
      p2p_connection_mode_to_string (mode), "technique", G_TYPE_STRING,
      p2p_connection_technique_to_string (technique), NULL);
  sink_post_viewer_count (self);
  sink_follow_path_mtu (self);
}

static void
viewer_left (P2pCameraSession * session, const gchar * reason,
    gpointer user_data)
{
  GstP2pSink *self = user_data;

  GST_INFO_OBJECT (self, "%s left: %s", p2p_camera_session_get_id (session),
      reason);
  viewer_post (self, session, "p2p-viewer-left", "reason", G_TYPE_STRING,
      reason, NULL);
  if (self->talkback)
    gst_p2p_talkback_release (self->talkback, session, "left");
  if (gst_p2p_fanout_remove (self->fanout, session)) {
    g_object_unref (session);
    sink_post_viewer_count (self);
  }
  sink_follow_path_mtu (self);
}

static void
viewer_closed (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;

  g_hash_table_remove (self->viewers, p2p_camera_session_get_call (session));
  sink_follow_path_mtu (self);
}

static void
viewer_path_changed (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;
  g_autoptr (P2pTransportStats) st = p2p_transport_get_stats
      (p2p_camera_session_get_transport (session));
  GstStructure *s = gst_structure_new ("p2p-connection", "uid",
      G_TYPE_STRING, self->uid, "viewer-id", G_TYPE_STRING,
      p2p_camera_session_get_id (session), "state", G_TYPE_STRING,
      p2p_transport_state_to_string (st->state), NULL);

  gst_p2p_set_path_fields (s, st);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
  sink_follow_path_mtu (self);
}

/* Network thread: RTCP from an admitted viewer — its receiver reports,
 * PLI/FIR and NACKs, for the fan-out — and its talk-back audio. RTCP the
 * fan-out drops (invalid, or beyond the viewer's limit) goes no further. */
static void
viewer_media (P2pCameraSession * session, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data)
{
  GstP2pSink *self = user_data;

  if (is_rtcp && !gst_p2p_fanout_feedback (self->fanout, session, data, size))
    return;
  if (self->talkback)
    gst_p2p_talkback_push (self->talkback, session, is_rtcp, data, size);
}

static void
viewer_start (GstP2pSink * self, P2pCameraSession * session)
{
  GstSDPMessage *media = gst_p2p_sink_build_media (self);

  p2p_camera_session_start (session, media);
  gst_sdp_message_free (media);
}

/* Loop thread: calls that waited for the media format get their offer
 * once every stream knows it. */
gboolean
gst_p2p_sink_start_pending_viewers (GstP2pSink * self)
{
  GHashTableIter iter;
  gpointer value;
  g_autoptr (GPtrArray) pending = NULL;
  guint i;

  if (!self->signaller || !gst_p2p_sink_media_known (self, TRUE))
    return G_SOURCE_REMOVE;
  pending = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (p2p_camera_session_get_state (value) ==
        P2P_CAMERA_SESSION_STATE_WAITING_MEDIA)
      g_ptr_array_add (pending, g_object_ref (value));
  }
  for (i = 0; i < pending->len; i++)
    viewer_start (self, g_ptr_array_index (pending, i));
  return G_SOURCE_REMOVE;
}

/* A stream that never gets data (an audio pad nobody feeds) must not keep
 * viewers out: after a while they get what is known. */
static void
viewer_media_wait_done (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;

  if (gst_p2p_sink_media_known (self, FALSE))
    viewer_start (self, session);
  else
    p2p_camera_session_close (session, "no-media", TRUE);
}

static const P2pCameraSessionCallbacks viewer_callbacks = {
  viewer_configure, viewer_send_offer, viewer_send_candidate, viewer_end_call,
  viewer_admit, viewer_joined, viewer_left, viewer_closed, viewer_path_changed,
  viewer_media, viewer_media_wait_done
};

/* ---------------------------------------------------------------------- */
/* Commands and events (docs/protocol.md, "Commands and events")         */

static GQuark
command_limit_quark (void)
{
  return g_quark_from_static_string ("p2psink-command-limit");
}

static void
sink_send_reply (P2pCameraSession * session, guint64 id, gboolean ok,
    const gchar * payload)
{
  g_autoptr (GBytes) msg = p2p_command_build ("command-reply", id, NULL, ok,
      payload);

  p2p_camera_session_send_message (session, msg, NULL);
}

/* Loop thread: a command from an admitted viewer (the router sees no
 * other). */
void
gst_p2p_sink_on_command (JsonObject * message, gpointer context,
    gpointer user_data)
{
  GstP2pSink *self = user_data;
  P2pCameraSession *session = context;
  g_autoptr (GError) err = NULL;
  P2pRateLimit *limit;
  P2pCommand cmd;
  guint rate;

  if (!p2p_command_parse (message, &cmd, &err)) {
    GST_INFO_OBJECT (self, "%s: %s", p2p_camera_session_get_id (session),
        err->message);
    if (!g_error_matches (err, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_MALFORMED))
      sink_send_reply (session, cmd.id, FALSE, err->message);
    return;
  }
  GST_OBJECT_LOCK (self);
  rate = self->command_rate;
  GST_OBJECT_UNLOCK (self);
  limit = g_object_get_qdata (G_OBJECT (session), command_limit_quark ());
  if (!limit) {
    limit = p2p_rate_limit_new (rate, rate);
    g_object_set_qdata_full (G_OBJECT (session), command_limit_quark (),
        limit, (GDestroyNotify) p2p_rate_limit_free);
  }
  if (rate == 0 || !p2p_rate_limit_take (limit, g_get_monotonic_time ())) {
    sink_send_reply (session, cmd.id, FALSE, rate == 0 ?
        "refused: this camera takes no commands" :
        "rate-limited: too many commands, slow down");
    return;
  }
  g_signal_emit (self, gst_p2p_sink_signals[SIGNAL_COMMAND], 0,
      p2p_camera_session_get_id (session), cmd.id, cmd.name, cmd.payload);
}

typedef struct
{
  GstP2pSink *self;
  const gchar *viewer_id;
  GBytes *message;
  guint sent;
} Outgoing;

static gboolean
sink_send_to_viewers (gpointer data)
{
  Outgoing *out = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, out->self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (p2p_camera_session_get_state (value) !=
        P2P_CAMERA_SESSION_STATE_ACTIVE || (out->viewer_id
            && g_strcmp0 (out->viewer_id,
                p2p_camera_session_get_id (value)) != 0))
      continue;
    if (p2p_camera_session_send_message (value, out->message, NULL))
      out->sent++;
  }
  return G_SOURCE_REMOVE;
}

static guint
sink_send_message (GstP2pSink * self, const gchar * viewer_id, GBytes * message)
{
  Outgoing out = { self, viewer_id, message, 0 };

  if (self->loop)
    p2p_loop_invoke_sync (self->loop, sink_send_to_viewers, &out);
  return out.sent;
}

/* The `reply` action signal: any thread. */
gboolean
gst_p2p_sink_reply (GstP2pSink * self, const gchar * viewer_id,
    guint64 request_id, gboolean ok, const gchar * payload)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) msg = NULL;

  g_return_val_if_fail (viewer_id != NULL, FALSE);
  if (!p2p_command_check (NULL, payload, &err)) {
    GST_WARNING_OBJECT (self, "reply to %s refused: %s", viewer_id,
        err->message);
    return FALSE;
  }
  msg = p2p_command_build ("command-reply", request_id, NULL, ok, payload);
  return sink_send_message (self, viewer_id, msg) > 0;
}

/* The `send-event` action signal: any thread. */
guint
gst_p2p_sink_send_event (GstP2pSink * self, const gchar * viewer_id,
    const gchar * name, const gchar * payload)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) msg = NULL;

  if (!p2p_command_check (name ? name : "", payload, &err)) {
    GST_WARNING_OBJECT (self, "event refused: %s", err->message);
    return 0;
  }
  msg = p2p_command_build ("event", 0, name, TRUE, payload);
  return sink_send_message (self, viewer_id, msg);
}

/* ---------------------------------------------------------------------- */
/* Signalling (loop thread)                                               */

static void
sink_on_incoming (P2pSignaller * sig, const gchar * call,
    const gchar * session_id, const gchar * address, GstP2pSink * self)
{
  P2pCameraSessionConfig config = {
    self->loop, self->identity, self->uid, self->verifier, self->backoff,
    self->router, AUTH_TIMEOUT_MS
  };
  P2pCameraSession *session;
  g_autofree gchar *id = NULL;
  guint max;

  GST_OBJECT_LOCK (self);
  max = self->max_viewers;
  GST_OBJECT_UNLOCK (self);

  id = g_strdup_printf ("viewer-%u", ++self->next_serial);
  /* Refused before any ICE work: the call costs the camera nothing, and
   * the application learns of it as of any viewer that left. */
  if (g_hash_table_size (self->viewers) >= max) {
    GST_INFO_OBJECT (self, "call from %s refused: busy", address);
    p2p_signaller_end_call (sig, call, P2P_VIEWER_AUTH_REASON_BUSY, NULL);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("p2p-viewer-left", "uid", G_TYPE_STRING,
                self->uid, "viewer-id", G_TYPE_STRING, id, "reason",
                G_TYPE_STRING, P2P_VIEWER_AUTH_REASON_BUSY, "address",
                G_TYPE_STRING, address, NULL)));
    return;
  }

  session = p2p_camera_session_new (&config, call, id, address,
      &viewer_callbacks, self);
  g_hash_table_insert (self->viewers, g_strdup (call), session);
  GST_INFO_OBJECT (self, "call %s from %s: %s", call, address, id);

  if (gst_p2p_sink_media_known (self, TRUE)) {
    viewer_start (self, session);
  } else {
    GST_INFO_OBJECT (self, "%s waits until the media format is known", id);
    p2p_camera_session_wait_media (session, MEDIA_WAIT_MS);
  }
}

static void
sink_on_answer (P2pSignaller * sig, const gchar * call, const gchar * sdp,
    GstP2pSink * self)
{
  P2pCameraSession *session = g_hash_table_lookup (self->viewers, call);

  if (session)
    p2p_camera_session_set_answer (session, sdp);
}

static void
sink_on_candidate (P2pSignaller * sig, const gchar * call,
    const gchar * candidate, const gchar * mid, GstP2pSink * self)
{
  P2pCameraSession *session = g_hash_table_lookup (self->viewers, call);

  if (session)
    p2p_camera_session_add_candidate (session, candidate);
}

static void
sink_on_call_ended (P2pSignaller * sig, const gchar * call,
    const gchar * reason, GstP2pSink * self)
{
  P2pCameraSession *session = g_hash_table_lookup (self->viewers, call);

  if (session)
    p2p_camera_session_close (session, reason && *reason ? reason : "bye",
        FALSE);
}

static void
sink_on_call_error (P2pSignaller * sig, const gchar * call,
    const GError * error, GstP2pSink * self)
{
  P2pCameraSession *session = g_hash_table_lookup (self->viewers, call);

  /* The server forgot the call (the viewer left before our offer, say). */
  if (session && p2p_camera_session_get_state (session) !=
      P2P_CAMERA_SESSION_STATE_ACTIVE) {
    GST_INFO_OBJECT (self, "%s: %s", p2p_camera_session_get_id (session),
        error->message);
    p2p_camera_session_close (session, "failed", FALSE);
  }
}

static void
sink_on_signalling_state (P2pSignalling * sig, P2pSignallingState state,
    const GError * error, GstP2pSink * self)
{
  GST_DEBUG_OBJECT (self, "signalling %s%s%s",
      p2p_signalling_state_to_string (state), error ? ": " : "",
      error ? error->message : "");

  if (state == P2P_SIGNALLING_STATE_READY) {
    g_autofree gchar *server = p2p_signalling_dup_server_uri (sig);

    self->registered = TRUE;
    self->warned_unreachable = FALSE;
    self->warned_wrong_server = FALSE;
    GST_INFO_OBJECT (self, "registered with %s", server);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("p2p-registered", "uid", G_TYPE_STRING,
                self->uid, "server", G_TYPE_STRING, server, NULL)));
    return;
  }

  if (self->registered) {
    self->registered = FALSE;
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("p2p-unregistered", "uid", G_TYPE_STRING,
                self->uid, "reason", G_TYPE_STRING,
                error ? error->message : p2p_signalling_state_to_string
                (state), NULL)));
  }

  if (state == P2P_SIGNALLING_STATE_FAILED) {
    /* The server refused the login itself: retrying cannot help. */
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("The server refused this camera's login: %s",
            error ? error->message : "unknown reason"),
        ("uid %s; check uid and key-file against the server's registry",
            self->uid));
  } else if (state == P2P_SIGNALLING_STATE_WAITING && error
      && !self->warned_unreachable
      && !g_error_matches (error, P2P_SIGNALLING_ERROR,
          P2P_SIGNALLING_ERROR_WRONG_SERVER)) {
    /* Once per outage: the client keeps retrying with back-off. (A server
     * we refused was reachable: sink_on_server_refused() warned.) */
    self->warned_unreachable = TRUE;
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
        ("Cannot reach the signalling server, retrying: %s", error->message),
        (NULL));
  }
}

/* The server client's own failures are reported by its state; this is
 * the others' (a local-network socket that cannot be opened, an
 * application's signaller): the camera keeps what still works. */
static void
sink_on_signaller_error (P2pSignaller * sig, const GError * error,
    GstP2pSink * self)
{
  if (self->signalling && sig == P2P_SIGNALLER (self->signalling))
    return;
  GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
      ("Signalling failed: %s", error->message), (NULL));
}

/* An impostor, or a server whose id is not its host name: once per
 * outage, whether or not another server of the list takes the login. */
static void
sink_on_server_refused (P2pSignalling * sig, const gchar * uri,
    const GError * error, GstP2pSink * self)
{
  if (self->warned_wrong_server)
    return;
  self->warned_wrong_server = TRUE;
  GST_ELEMENT_WARNING (self, RESOURCE, NOT_AUTHORIZED,
      ("Refused to log in to a server with an unexpected id: %s",
          error->message),
      ("uid %s; if that server is genuine, set 'server-id' to its id",
          self->uid));
}

static GQuark
bandwidth_posted_quark (void)
{
  return g_quark_from_static_string ("p2psink-bandwidth-posted");
}

/* Loop thread: `p2p-viewer-bandwidth` when a viewer's estimate moved by
 * more than BANDWIDTH_CHANGE since the last one posted (or none was). */
static void
viewer_check_bandwidth (GstP2pSink * self, P2pCameraSession * session)
{
  guint64 *posted = g_object_get_qdata (G_OBJECT (session),
      bandwidth_posted_quark ());
  GstP2pFanoutStats fs;
  guint64 bps;

  if (!gst_p2p_fanout_get_stats (self->fanout, session, &fs))
    return;
  bps = fs.estimated_bitrate;
  if (bps == 0 || (posted && bps <= *posted * (1 + BANDWIDTH_CHANGE)
          && bps >= *posted * (1 - BANDWIDTH_CHANGE)))
    return;
  if (!posted) {
    posted = g_new (guint64, 1);
    g_object_set_qdata_full (G_OBJECT (session), bandwidth_posted_quark (),
        posted, g_free);
  }
  GST_INFO_OBJECT (self, "%s: estimated %" G_GUINT64_FORMAT " bit/s",
      p2p_camera_session_get_id (session), bps);
  *posted = bps;
  viewer_post (self, session, "p2p-viewer-bandwidth", "estimated-bitrate",
      G_TYPE_UINT64, bps, "limited", G_TYPE_BOOLEAN, fs.estimate_limited, NULL);
}

/* Once a second: viewers' bitrates from their byte counters, their
 * bandwidth estimates, and the encoder's bitrate that follows them. */
static gboolean
sink_stats_tick (gpointer data)
{
  GstP2pSink *self = data;
  GHashTableIter iter;
  gpointer value;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    p2p_camera_session_tick (value, now);
    viewer_check_bandwidth (self, value);
  }
  if (self->talkback)
    gst_p2p_talkback_tick (self->talkback, now);
  gst_p2p_sink_drive_encoder (self);
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  GstP2pSink *self;
  GstStructure *result;
} StatsCall;

static gboolean
sink_collect_stats (gpointer data)
{
  StatsCall *call = data;
  GstP2pSink *self = call->self;
  GHashTableIter iter;
  gpointer value;

  gst_structure_set (call->result, "registered", G_TYPE_BOOLEAN,
      self->registered, NULL);
  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    P2pCameraSession *session = value;
    P2pTransport *transport = p2p_camera_session_get_transport (session);
    g_autoptr (P2pTransportStats) st = NULL;
    GstStructure *vs;
    GstP2pFanoutStats fs = { 0, 0.0, -1, 0, 0, -1, -1, FALSE };

    if (!transport)
      continue;
    st = p2p_transport_get_stats (transport);
    vs = gst_structure_new ("p2p-viewer-stats",
        "state", G_TYPE_STRING, p2p_camera_session_state_to_string
        (p2p_camera_session_get_state (session)),
        "address", G_TYPE_STRING, p2p_camera_session_get_address (session),
        NULL);
    gst_p2p_set_path_fields (vs, st);
    /* The message channel measures RTT; receiver reports stand in until it
     * has. */
    gst_p2p_fanout_get_stats (self->fanout, session, &fs);
    if (st->rtt_ms < 0)
      gst_structure_set (vs, "rtt-ms", G_TYPE_INT64, fs.rtt_ms, NULL);
    gst_structure_set (vs,
        "fraction-lost", G_TYPE_DOUBLE, fs.fraction_lost,
        "bitrate", G_TYPE_UINT64, p2p_camera_session_get_bitrate (session),
        "packets-sent", G_TYPE_UINT64, st->rtp_packets_sent,
        "bytes-sent", G_TYPE_UINT64, st->rtp_bytes_sent,
        "packets-batched", G_TYPE_UINT64, st->batched_packets_sent,
        "retransmissions", G_TYPE_UINT64, fs.retransmissions,
        "retransmissions-refused", G_TYPE_UINT64, fs.retransmissions_refused,
        "estimated-bitrate", G_TYPE_UINT64, fs.estimated_bitrate,
        "received-bitrate", G_TYPE_UINT64, fs.received_bitrate,
        "estimate-limited", G_TYPE_BOOLEAN, fs.estimate_limited,
        "thinned", G_TYPE_BOOLEAN, fs.thinned,
        "frames-thinned", G_TYPE_UINT64, fs.frames_thinned,
        "rtcp-dropped", G_TYPE_UINT64, fs.rtcp_dropped + st->rtcp_dropped,
        "layer", G_TYPE_INT, fs.layer, NULL);
    gst_structure_set (call->result, p2p_camera_session_get_id (session),
        GST_TYPE_STRUCTURE, vs, NULL);
    gst_structure_free (vs);
  }
  return G_SOURCE_REMOVE;
}

/* The `stats` property: read on the loop thread. */
GstStructure *
gst_p2p_sink_get_stats (GstP2pSink * self)
{
  StatsCall call = { self, NULL };

  call.result = gst_structure_new ("p2psink-stats", "viewers", G_TYPE_UINT,
      gst_p2p_sink_count_active (self), "registered", G_TYPE_BOOLEAN, FALSE,
      NULL);
  if (self->loop)
    p2p_loop_invoke_sync (self->loop, sink_collect_stats, &call);
  return call.result;
}

/* ---------------------------------------------------------------------- */
/* Start and stop (loop thread)                                           */

/* Loop thread, READY→PAUSED: the signaller and its handlers. */
gboolean
gst_p2p_sink_start (gpointer data)
{
  GstP2pSink *self = data;

  if (self->servers) {
    self->signalling = p2p_signalling_new_device (self->loop,
        (const gchar * const *) self->servers, self->uid, self->identity);
    if (self->allow_insecure)
      g_object_set (self->signalling, "allow-insecure", TRUE, NULL);
    if (self->server_ids)
      g_object_set (self->signalling, "server-ids", self->server_ids, NULL);
    if (self->tls_database)
      g_object_set (self->signalling, "tls-database", self->tls_database, NULL);
    g_signal_connect (self->signalling, "state-changed",
        G_CALLBACK (sink_on_signalling_state), self);
    g_signal_connect (self->signalling, "server-refused",
        G_CALLBACK (sink_on_server_refused), self);
  }
  self->signaller = gst_p2p_make_signaller (self->user_signaller,
      self->signalling, self->lan && !self->user_signaller ?
      P2P_SIGNALLER (p2p_lan_signaller_new_camera (self->loop, self->uid)) :
      NULL);
  g_signal_connect (self->signaller, "incoming-call",
      G_CALLBACK (sink_on_incoming), self);
  g_signal_connect (self->signaller, "remote-answer",
      G_CALLBACK (sink_on_answer), self);
  g_signal_connect (self->signaller, "remote-candidate",
      G_CALLBACK (sink_on_candidate), self);
  g_signal_connect (self->signaller, "call-ended",
      G_CALLBACK (sink_on_call_ended), self);
  g_signal_connect (self->signaller, "call-error",
      G_CALLBACK (sink_on_call_error), self);
  g_signal_connect (self->signaller, "error",
      G_CALLBACK (sink_on_signaller_error), self);

  self->stats_timer = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->stats_timer, sink_stats_tick, self, NULL);
  g_source_attach (self->stats_timer, p2p_loop_get_context (self->loop));

  p2p_signaller_start (self->signaller);
  return G_SOURCE_REMOVE;
}

/* Loop thread, PAUSED→READY: every viewer is told, then the signaller
 * goes. */
gboolean
gst_p2p_sink_stop (gpointer data)
{
  GstP2pSink *self = data;
  GList *viewers, *l;

  viewers = g_hash_table_get_values (self->viewers);
  g_list_foreach (viewers, (GFunc) g_object_ref, NULL);
  for (l = viewers; l; l = l->next)
    p2p_camera_session_close (l->data, "shutdown", TRUE);
  g_list_free_full (viewers, g_object_unref);

  if (self->stats_timer) {
    g_source_destroy (self->stats_timer);
    g_clear_pointer (&self->stats_timer, g_source_unref);
  }
  gst_p2p_sink_release_encoder (self);
  if (self->signaller) {
    p2p_signaller_stop (self->signaller);
    g_signal_handlers_disconnect_by_data (self->signaller, self);
    g_clear_object (&self->signaller);
  }
  if (self->signalling) {
    g_signal_handlers_disconnect_by_data (self->signalling, self);
    g_clear_object (&self->signalling);
  }
  if (self->registered) {
    self->registered = FALSE;
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("p2p-unregistered", "uid", G_TYPE_STRING,
                self->uid, "reason", G_TYPE_STRING, "stopped", NULL)));
  }
  return G_SOURCE_REMOVE;
}
