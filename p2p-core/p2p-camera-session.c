/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-camera-session
 * @title: P2pCameraSession
 * @short_description: a camera's call with one viewer, without pads
 *
 * One viewer's call as the camera sees it: its transport (ICE, DTLS-SRTP,
 * message channel), its login (#P2pViewerAuth, bound to the DTLS session,
 * counted in the shared #P2pAuthBackoff), the state machine from the offer
 * to the end, and the routing of its messages once admitted. It knows no
 * element: signalling reaches it through a narrow seam (the offer, the
 * local candidates and the end go out through #P2pCameraSessionCallbacks;
 * the answer, remote candidates and the remote end come in through
 * p2p_camera_session_set_answer(), p2p_camera_session_add_candidate() and
 * p2p_camera_session_close()), which any signaller can drive, and its unit
 * tests (tests/check/core/camera-session.c) drive it with a viewer in the
 * same process. Every method runs on the loop thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-camera-session.h"
#include "p2p-viewer-auth.h"

#include <string.h>

/* Time for a refusal message to leave before the path is closed. */
#define REFUSE_LINGER_MS 500

struct _P2pCameraSession
{
  GObject parent;

  P2pLoop *loop;
  P2pIdentity *identity;
  gchar *uid;
  const P2pPasswordVerifier *verifier;
  P2pAuthBackoff *backoff;
  P2pMessageRouter *router;
  guint auth_timeout_ms;
  P2pCameraSessionCallbacks cb;
  gpointer user_data;

  gchar *call;
  gchar *id;
  gchar *address;
  P2pCameraSessionState state;
  gboolean left;
  gboolean closed;
  P2pTransport *transport;
  GSource *timer;
  /* The login; login_address is set while the back-off table counts a
   * login from it. */
  P2pViewerAuth *auth;
  gchar *login_address;

  guint64 last_bytes;
  gint64 last_time;
  guint64 bitrate;
};

G_DEFINE_FINAL_TYPE (P2pCameraSession, p2p_camera_session, G_TYPE_OBJECT);

static void
p2p_camera_session_init (P2pCameraSession * self)
{
}

static void
session_clear_timer (P2pCameraSession * self)
{
  if (self->timer) {
    g_source_destroy (self->timer);
    g_clear_pointer (&self->timer, g_source_unref);
  }
}

static void
p2p_camera_session_finalize (GObject * object)
{
  P2pCameraSession *self = P2P_CAMERA_SESSION (object);

  session_clear_timer (self);
  if (self->transport) {
    g_signal_handlers_disconnect_by_data (self->transport, self);
    g_object_unref (self->transport);
  }
  g_clear_object (&self->auth);
  g_clear_object (&self->loop);
  g_clear_object (&self->identity);
  g_clear_object (&self->backoff);
  g_free (self->login_address);
  g_free (self->uid);
  g_free (self->call);
  g_free (self->id);
  g_free (self->address);
  G_OBJECT_CLASS (p2p_camera_session_parent_class)->finalize (object);
}

static void
p2p_camera_session_class_init (P2pCameraSessionClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = p2p_camera_session_finalize;
}

/**
 * p2p_camera_session_new:
 * @config: what the camera provides
 * @call: the call's id on the signalling channel
 * @id: the viewer's id in messages and stats (`viewer-N`)
 * @address: the viewer's address as the server saw it
 * @callbacks: how the session reaches the camera (copied)
 * @user_data: for @callbacks
 *
 * Returns: (transfer full): a session waiting for p2p_camera_session_start()
 */
P2pCameraSession *
p2p_camera_session_new (const P2pCameraSessionConfig * config,
    const gchar * call, const gchar * id, const gchar * address,
    const P2pCameraSessionCallbacks * callbacks, gpointer user_data)
{
  P2pCameraSession *self;

  g_return_val_if_fail (config && config->loop && config->identity
      && config->uid && config->backoff && callbacks, NULL);
  self = g_object_new (P2P_TYPE_CAMERA_SESSION, NULL);
  self->loop = g_object_ref (config->loop);
  self->identity = g_object_ref (config->identity);
  self->uid = g_strdup (config->uid);
  self->verifier = config->verifier;
  self->backoff = g_object_ref (config->backoff);
  self->router = config->router;
  self->auth_timeout_ms = config->auth_timeout_ms;
  self->cb = *callbacks;
  self->user_data = user_data;
  self->call = g_strdup (call);
  self->id = g_strdup (id);
  self->address = g_strdup (address);
  return self;
}

static void
session_set_timer (P2pCameraSession * self, guint ms, GSourceFunc func)
{
  session_clear_timer (self);
  self->timer = g_timeout_source_new (ms);
  g_source_set_callback (self->timer, func, g_object_ref (self),
      g_object_unref);
  g_source_attach (self->timer, p2p_loop_get_context (self->loop));
}

/* Ends the back-off table's count of this viewer's login: a failure if
 * the viewer got to test a password guess and was not verified. Returns
 * whether it was one. */
static gboolean
session_end_login (P2pCameraSession * self)
{
  gboolean failed;
  P2pViewerAuthState state;

  if (self->login_address == NULL)
    return FALSE;
  state = self->auth ? p2p_viewer_auth_get_state (self->auth) :
      P2P_VIEWER_AUTH_STATE_PENDING;
  failed = self->auth && p2p_viewer_auth_get_attempted (self->auth)
      && state != P2P_VIEWER_AUTH_STATE_VERIFIED
      && state != P2P_VIEWER_AUTH_STATE_ACCEPTED;
  p2p_auth_backoff_end (self->backoff, self->login_address, failed,
      g_get_monotonic_time ());
  g_clear_pointer (&self->login_address, g_free);
  return failed;
}

static void
session_left (P2pCameraSession * self, const gchar * reason)
{
  if (self->left)
    return;
  self->left = TRUE;
  self->cb.left (self, reason, self->user_data);
}

/**
 * p2p_camera_session_close:
 * @self: a session
 * @reason: why (`bye`, `failed`, `shutdown`, …)
 * @end_call: whether to tell the server (%FALSE when it told us)
 *
 * Drops the transport and ends the session; the `left` callback tells the
 * camera, unless a refusal already did.
 */
void
p2p_camera_session_close (P2pCameraSession * self, const gchar * reason,
    gboolean end_call)
{
  g_return_if_fail (P2P_IS_CAMERA_SESSION (self));
  if (self->closed)
    return;
  self->closed = TRUE;
  g_object_ref (self);
  self->state = P2P_CAMERA_SESSION_STATE_CLOSING;
  session_clear_timer (self);
  /* A viewer that saw the camera's proof and went away without its own
   * tested a wrong password: that is what p2psrc does on a mismatch. */
  if (session_end_login (self))
    reason = "wrong-password";
  session_left (self, reason);
  if (self->transport) {
    g_signal_handlers_disconnect_by_data (self->transport, self);
    p2p_transport_set_media_callback (self->transport, NULL, NULL, NULL);
    p2p_transport_close (self->transport);
  }
  if (end_call)
    self->cb.end_call (self, reason, self->user_data);
  self->cb.closed (self, self->user_data);
  g_object_unref (self);
}

static gboolean
session_linger_done (gpointer data)
{
  P2pCameraSession *self = data;

  g_clear_pointer (&self->timer, g_source_unref);
  p2p_camera_session_close (self, "refused", TRUE);
  return G_SOURCE_REMOVE;
}

/* Tells the viewer why it is refused (@msg, if any), then hangs up a
 * little later so the message can leave first. */
static void
session_refuse (P2pCameraSession * self, const gchar * reason, GBytes * msg)
{
  g_debug ("refusing %s: %s", self->id, reason);
  session_end_login (self);
  if (msg)
    p2p_transport_send_message (self->transport, msg, NULL);
  self->state = P2P_CAMERA_SESSION_STATE_CLOSING;
  session_left (self, reason);
  session_set_timer (self, REFUSE_LINGER_MS, session_linger_done);
}

/* The viewer proved the password (or none is needed): let it in, unless
 * the camera is full. */
static void
session_activate (P2pCameraSession * self)
{
  g_autoptr (GBytes) ok = NULL;

  session_end_login (self);
  if (!self->cb.admit (self, self->user_data)) {
    g_autoptr (GBytes) busy = p2p_viewer_auth_refuse (self->auth,
        P2P_VIEWER_AUTH_REASON_BUSY,
        "The camera serves its maximum number of viewers", 0);

    session_refuse (self, P2P_VIEWER_AUTH_REASON_BUSY, busy);
    return;
  }
  session_clear_timer (self);
  ok = p2p_viewer_auth_accept (self->auth);
  p2p_transport_send_message (self->transport, ok, NULL);
  self->state = P2P_CAMERA_SESSION_STATE_ACTIVE;
  self->cb.joined (self, self->user_data);
}

static gboolean
session_auth_timeout (gpointer data)
{
  P2pCameraSession *self = data;

  g_clear_pointer (&self->timer, g_source_unref);
  p2p_camera_session_close (self, P2P_VIEWER_AUTH_REASON_TIMEOUT, TRUE);
  return G_SOURCE_REMOVE;
}

/* The viewer's address as the camera sees it on the selected pair, as the
 * back-off table counts it: an IPv4 address, or an IPv6 /64 (one host
 * usually has a whole /64 to pick addresses from), never the port. */
static gchar *
session_path_address (P2pCameraSession * self)
{
  g_autoptr (P2pTransportStats) st = p2p_transport_get_stats (self->transport);
  g_autoptr (GInetAddress) inet = NULL;
  g_autofree gchar *ip = NULL;
  const gchar *addr = st->remote_address;
  const gchar *end;

  if (addr == NULL)
    return g_strdup ("unknown");
  if (addr[0] == '[' && (end = strchr (addr, ']')))     /* [v6]:port */
    ip = g_strndup (addr + 1, end - addr - 1);
  else if ((end = strrchr (addr, ':')))
    ip = g_strndup (addr, end - addr);
  else
    ip = g_strdup (addr);
  inet = g_inet_address_new_from_string (ip);
  if (inet && g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6) {
    const guint8 *b = g_inet_address_to_bytes (inet);

    return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", b[0],
        b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
  }
  return g_steal_pointer (&ip);
}

/* DTLS is up (whichever of the state change and the first message shows
 * it first): start the login, bound to this session, unless the viewer's
 * address must wait after failed ones. */
static void
session_start_login (P2pCameraSession * self)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) exporter = NULL;
  g_autoptr (GBytes) msg = NULL;
  g_autofree gchar *address = session_path_address (self);
  guint wait_ms;

  self->state = P2P_CAMERA_SESSION_STATE_AUTHORIZING;
  session_set_timer (self, self->auth_timeout_ms, session_auth_timeout);
  exporter = p2p_transport_export_keying_material (self->transport,
      P2P_VIEWER_AUTH_EXPORTER_LABEL, P2P_VIEWER_AUTH_EXPORTER_SIZE, &err);
  if (exporter == NULL) {
    g_debug ("%s: %s", self->id, err->message);
    p2p_camera_session_close (self, "failed", TRUE);
    return;
  }
  self->auth = p2p_viewer_auth_new_camera (self->uid, self->verifier, exporter);
  wait_ms = p2p_auth_backoff_begin (self->backoff, address,
      g_get_monotonic_time ());
  if (wait_ms > 0) {
    g_autofree gchar *text = g_strdup_printf ("Too many failed logins from "
        "%s: try again in %u ms", address, wait_ms);

    msg = p2p_viewer_auth_refuse (self->auth,
        P2P_VIEWER_AUTH_REASON_RETRY_LATER, text, wait_ms);
    session_refuse (self, P2P_VIEWER_AUTH_REASON_RETRY_LATER, msg);
    return;
  }
  self->login_address = g_steal_pointer (&address);
  msg = p2p_viewer_auth_start (self->auth);
  p2p_transport_send_message (self->transport, msg, NULL);
}

/* The error a failed login ends with, as the reason the session left. */
static const gchar *
login_failure_reason (const GError * err)
{
  switch (err->code) {
    case P2P_VIEWER_AUTH_ERROR_WRONG_PASSWORD:
      return "wrong-password";
    case P2P_VIEWER_AUTH_ERROR_PASSWORD_REQUIRED:
      return "password-required";
    case P2P_VIEWER_AUTH_ERROR_PROTOCOL:
      return "bad-request";
    default:
      return "failed";
  }
}

static void
session_on_message (P2pTransport * transport, GBytes * message,
    P2pCameraSession * self)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) reply = NULL;

  if (self->state == P2P_CAMERA_SESSION_STATE_CONNECTING)
    session_start_login (self);
  /* Once admitted, messages go to their handlers by type; nothing the
   * viewer sends before that reaches one. */
  if (self->state == P2P_CAMERA_SESSION_STATE_ACTIVE) {
    if (self->router == NULL
        || !p2p_message_router_dispatch (self->router, message, self, &err))
      g_debug ("%s: message dropped: %s", self->id,
          err ? err->message : "no router");
    return;
  }
  /* Every message before admission belongs to the login; one after it
   * (or after a refusal) is a second attempt, which ends the call. */
  if (self->auth == NULL || self->state == P2P_CAMERA_SESSION_STATE_CLOSING)
    return;
  if (!p2p_viewer_auth_receive (self->auth, message, &reply, &err)) {
    session_refuse (self, login_failure_reason (err), reply);
    return;
  }
  if (reply)
    p2p_transport_send_message (transport, reply, NULL);
  if (p2p_viewer_auth_get_state (self->auth) == P2P_VIEWER_AUTH_STATE_VERIFIED)
    session_activate (self);
}

static void
session_on_state (P2pTransport * transport, GParamSpec * pspec,
    P2pCameraSession * self)
{
  P2pTransportState state = p2p_transport_get_state (transport);

  g_debug ("%s: transport %s", self->id, p2p_transport_state_to_string (state));
  g_object_ref (self);
  switch (state) {
    case P2P_TRANSPORT_STATE_CONNECTED:
      self->cb.path_changed (self, self->user_data);
      if (self->state == P2P_CAMERA_SESSION_STATE_CONNECTING)
        session_start_login (self);
      break;
    case P2P_TRANSPORT_STATE_FAILED:{
      g_autoptr (GError) err = p2p_transport_get_error (transport);

      g_debug ("%s: %s", self->id, err ? err->message : "transport failed");
      self->cb.path_changed (self, self->user_data);
      if (self->state != P2P_CAMERA_SESSION_STATE_CLOSING)
        p2p_camera_session_close (self, "failed", TRUE);
      break;
    }
    case P2P_TRANSPORT_STATE_CLOSED:
      if (self->state != P2P_CAMERA_SESSION_STATE_CLOSING)
        p2p_camera_session_close (self, "bye", TRUE);
      break;
    default:
      break;
  }
  g_object_unref (self);
}

static void
session_on_mode (P2pTransport * transport, GParamSpec * pspec,
    P2pCameraSession * self)
{
  self->cb.path_changed (self, self->user_data);
}

static void
session_on_local_candidate (P2pTransport * transport, const gchar * candidate,
    P2pCameraSession * self)
{
  self->cb.send_candidate (self, candidate, self->user_data);
}

/* The network thread: media from the viewer, once it is admitted. */
static void
session_on_media (P2pTransport * transport, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data)
{
  P2pCameraSession *self = user_data;

  if (g_atomic_int_get ((gint *) & self->state) ==
      P2P_CAMERA_SESSION_STATE_ACTIVE && self->cb.media)
    self->cb.media (self, is_rtcp, data, size, self->user_data);
}

static gboolean
session_media_wait_done (gpointer data)
{
  P2pCameraSession *self = data;

  g_clear_pointer (&self->timer, g_source_unref);
  if (self->state == P2P_CAMERA_SESSION_STATE_WAITING_MEDIA)
    self->cb.media_wait_done (self, self->user_data);
  return G_SOURCE_REMOVE;
}

/**
 * p2p_camera_session_wait_media:
 * @self: a new session
 * @ms: how long the offer may wait for the media format
 *
 * The media format is not known yet: the `media_wait_done` callback runs
 * after @ms unless p2p_camera_session_start() came first.
 */
void
p2p_camera_session_wait_media (P2pCameraSession * self, guint ms)
{
  g_return_if_fail (P2P_IS_CAMERA_SESSION (self));
  session_set_timer (self, ms, session_media_wait_done);
}

/* The offer with the verifier's salt and iteration count, so that the
 * viewer hashes its password while ICE and DTLS run: public values, which
 * the viewer uses only once `auth-params` confirm them inside DTLS. */
static gchar *
session_announce_params (P2pCameraSession * self, const gchar * offer)
{
  g_autofree gchar *params = p2p_password_verifier_get_params (self->verifier);
  GstSDPMessage *sdp = NULL;
  gchar *text;

  if (gst_sdp_message_new_from_text (offer, &sdp) != GST_SDP_OK)
    return g_strdup (offer);
  gst_sdp_message_add_attribute (sdp, P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE,
      params);
  text = gst_sdp_message_as_text (sdp);
  gst_sdp_message_free (sdp);
  return text ? text : g_strdup (offer);
}

/**
 * p2p_camera_session_start:
 * @self: a session waiting for its media
 * @media: the media half of the offer
 *
 * Makes the transport and sends the offer. On failure the session is
 * closed (the `left` callback ran).
 *
 * Returns: whether the offer went out
 */
gboolean
p2p_camera_session_start (P2pCameraSession * self, const GstSDPMessage * media)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *offer = NULL;

  g_return_val_if_fail (P2P_IS_CAMERA_SESSION (self), FALSE);
  g_return_val_if_fail (self->state ==
      P2P_CAMERA_SESSION_STATE_WAITING_MEDIA, FALSE);
  session_clear_timer (self);
  self->transport = p2p_transport_new (self->loop, self->identity, TRUE);
  self->cb.configure (self, self->transport, self->user_data);
  g_signal_connect (self->transport, "local-candidate",
      G_CALLBACK (session_on_local_candidate), self);
  g_signal_connect (self->transport, "message-received",
      G_CALLBACK (session_on_message), self);
  g_signal_connect (self->transport, "notify::state",
      G_CALLBACK (session_on_state), self);
  g_signal_connect (self->transport, "notify::mode",
      G_CALLBACK (session_on_mode), self);
  /* A smaller path MTU: the shared payloaders follow (p2psink). */
  g_signal_connect (self->transport, "notify::payload-mtu",
      G_CALLBACK (session_on_mode), self);
  p2p_transport_set_media_callback (self->transport, session_on_media,
      g_object_ref (self), g_object_unref);

  offer = p2p_transport_create_offer (self->transport, media, &err);
  if (offer && self->verifier) {
    gchar *announced = session_announce_params (self, offer);

    g_free (offer);
    offer = announced;
  }
  if (!offer) {
    g_warning ("%s: cannot make an offer: %s", self->id, err->message);
    p2p_camera_session_close (self, "failed", TRUE);
    return FALSE;
  }
  self->state = P2P_CAMERA_SESSION_STATE_CONNECTING;
  if (!self->cb.send_offer (self, offer, &err, self->user_data)) {
    g_debug ("%s: cannot send the offer: %s", self->id, err->message);
    p2p_camera_session_close (self, "failed", FALSE);
    return FALSE;
  }
  return TRUE;
}

/**
 * p2p_camera_session_set_answer:
 * @self: a session
 * @sdp: the viewer's answer
 *
 * Signalling in. An answer out of turn is ignored; a bad one ends the
 * session.
 */
void
p2p_camera_session_set_answer (P2pCameraSession * self, const gchar * sdp)
{
  g_autoptr (GError) err = NULL;

  g_return_if_fail (P2P_IS_CAMERA_SESSION (self));
  if (self->state != P2P_CAMERA_SESSION_STATE_CONNECTING)
    return;
  if (!p2p_transport_set_remote_description (self->transport, sdp, &err)) {
    g_debug ("%s: bad answer: %s", self->id, err->message);
    p2p_camera_session_close (self, "failed", TRUE);
  }
}

/**
 * p2p_camera_session_add_candidate:
 * @self: a session
 * @candidate: a remote ICE candidate
 *
 * Signalling in; a bad candidate is ignored.
 */
void
p2p_camera_session_add_candidate (P2pCameraSession * self,
    const gchar * candidate)
{
  g_autoptr (GError) err = NULL;

  g_return_if_fail (P2P_IS_CAMERA_SESSION (self));
  if (self->transport
      && !p2p_transport_add_remote_candidate (self->transport, candidate, &err))
    g_debug ("%s: candidate ignored: %s", self->id, err->message);
}

/**
 * p2p_camera_session_send_message:
 * @self: an admitted session
 * @message: one message for the viewer's channel
 * @error: return location for an error
 *
 * Any thread.
 *
 * Returns: whether the message was queued
 */
gboolean
p2p_camera_session_send_message (P2pCameraSession * self, GBytes * message,
    GError ** error)
{
  g_return_val_if_fail (P2P_IS_CAMERA_SESSION (self), FALSE);
  if (self->transport == NULL) {
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_INVALID_STATE, "the session has no transport");
    return FALSE;
  }
  return p2p_transport_send_message (self->transport, message, error);
}

/**
 * p2p_camera_session_send_rtcp:
 * @self: a session
 * @data: (array length=size): an RTCP packet for the viewer
 * @size: its size
 *
 * Any thread: encrypts and sends, never calls back.
 */
void
p2p_camera_session_send_rtcp (P2pCameraSession * self, const guint8 * data,
    gsize size)
{
  g_return_if_fail (P2P_IS_CAMERA_SESSION (self));
  if (self->transport)
    p2p_transport_send_rtcp (self->transport, data, size, NULL);
}

/**
 * p2p_camera_session_get_call:
 * @self: a session
 *
 * Returns: the call's id on the signalling channel
 */
const gchar *
p2p_camera_session_get_call (P2pCameraSession * self)
{
  return self->call;
}

/**
 * p2p_camera_session_get_id:
 * @self: a session
 *
 * Returns: the viewer's id
 */
const gchar *
p2p_camera_session_get_id (P2pCameraSession * self)
{
  return self->id;
}

/**
 * p2p_camera_session_get_address:
 * @self: a session
 *
 * Returns: the viewer's address as the server saw it
 */
const gchar *
p2p_camera_session_get_address (P2pCameraSession * self)
{
  return self->address;
}

/**
 * p2p_camera_session_get_state:
 * @self: a session
 *
 * Returns: where the session is
 */
P2pCameraSessionState
p2p_camera_session_get_state (P2pCameraSession * self)
{
  return self->state;
}

/**
 * p2p_camera_session_state_to_string:
 * @state: a state
 *
 * Returns: its name in stats (`waiting-media`, `active`, …)
 */
const gchar *
p2p_camera_session_state_to_string (P2pCameraSessionState state)
{
  static const gchar *const names[] = { "waiting-media", "connecting",
    "authorizing", "active", "closing"
  };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

/**
 * p2p_camera_session_get_transport:
 * @self: a session
 *
 * Returns: (transfer none) (nullable): its transport, which lives as long
 *     as the session once made
 */
P2pTransport *
p2p_camera_session_get_transport (P2pCameraSession * self)
{
  return self->transport;
}

/**
 * p2p_camera_session_get_bitrate:
 * @self: a session
 *
 * Returns: the media bitrate sent, bits per second, between the last two
 *     calls of p2p_camera_session_tick()
 */
guint64
p2p_camera_session_get_bitrate (P2pCameraSession * self)
{
  return self->bitrate;
}

/**
 * p2p_camera_session_tick:
 * @self: a session
 * @now_us: monotonic time
 *
 * Called about once a second: measures the media bitrate sent since the
 * last call.
 */
void
p2p_camera_session_tick (P2pCameraSession * self, gint64 now_us)
{
  g_autoptr (P2pTransportStats) st = NULL;

  if (self->transport == NULL)
    return;
  st = p2p_transport_get_stats (self->transport);
  if (self->last_time && now_us > self->last_time)
    self->bitrate = (st->rtp_bytes_sent - self->last_bytes) * 8 *
        G_USEC_PER_SEC / (now_us - self->last_time);
  self->last_bytes = st->rtp_bytes_sent;
  self->last_time = now_us;
}
