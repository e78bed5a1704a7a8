/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-viewer-session
 * @title: P2pViewerSession
 * @short_description: a viewer's calls to one camera, without pads
 *
 * The viewer's side of watching a camera: it calls the camera through a
 * signaller (the application's, or the server's client and the local
 * network's together), decides which certificate the camera must present
 * (the pin, else the one the known-cameras file remembers, else the one
 * the server's registry vouches for), runs the transport and the login
 * (#P2pViewerAuth, bound to the DTLS session, its password hash off the
 * loop thread), and retries transient faults with a growing pause until
 * stopped. Once admitted it routes the camera's messages and sends
 * commands and talk-back media.
 *
 * It knows no element: what it needs from one (the answer's media, ICE
 * servers) and what it tells (connecting, connected, retrying, failed,
 * media) go through #P2pViewerSessionCallbacks, so its unit tests
 * (tests/check/core/viewer-session.c) drive it against a camera in the same
 * process. Methods run on the loop thread unless they say otherwise.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-viewer-session.h"
#include "p2p-combined-signaller.h"
#include "p2p-command.h"
#include "p2p-lan-signaller.h"
#include "p2p-signalling.h"
#include "p2p-viewer-auth.h"

#include <string.h>

/* Waits between reconnection attempts, in milliseconds: doubled after each
 * failure up to the maximum, so a camera that is off does not cost the
 * server much. */
#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 30000
/* The server refuses a call as busy while another call to the camera from
 * the same address is unanswered (viewers behind one NAT calling at once),
 * which lasts about a second: such a refusal is retried after a wait drawn
 * in this range, so that the refused viewers spread out, without growing
 * the pause above, this many times in a row. */
#define BUSY_RETRY_MIN_MS 250
#define BUSY_RETRY_MAX_MS 1000
#define BUSY_RETRIES_MAX 10
/* A camera streams continuously: this long without a packet means the path
 * is gone, well before ICE consent freshness (30 s) would say so. */
#define MEDIA_TIMEOUT_MS 5000
/* How long the local network may still answer once every server failed. */
#define LAN_GRACE_MS 2000

static const gchar *state_names[] = { "idle", "calling",
  "negotiating", "authorizing", "playing", "waiting", "failed"
};

struct _P2pViewerSession
{
  GObject parent;

  /* Configuration, set once. */
  P2pLoop *loop;
  gchar *uid;
  gchar *password;
  gchar *device_fingerprint;
  P2pKnownCameras *known;
  gchar **servers;
  gboolean allow_insecure;
  GTlsDatabase *tls_database;   /* NULL: the system's */
  gboolean lan;
  P2pSignaller *user_signaller;
  guint timeout_ms;
  guint login_timeout_ms;       /* 0: the signalling client's default */
  P2pMessageRouter *router;
  P2pViewerSessionCallbacks cb;
  gpointer user_data;
  /* Atomic: the application may change it while running. */
  gint reconnect;

  /* Loop thread only. */
  gchar *known_fingerprint;     /* of this UID in the known-cameras file */
  gchar *trusted_fingerprint;   /* the certificate this call requires */
  gboolean call_vouched;        /* a signaller vouched for one, this call */
  gboolean warned_known_problems;
  P2pViewerSessionState state;
  /* What calls go through, and the server client. */
  P2pSignaller *signaller;
  P2pSignalling *signalling;
  gboolean lan_active;          /* the local network is asked too */
  /* Why the servers could not be reached, until one is again. */
  gchar *server_error;
  gchar *call;
  GSource *timeout_source;
  GSource *retry_source;
  GSource *watchdog_source;
  guint64 watchdog_packets;
  gint64 watchdog_time;
  guint retry_ms;
  guint busy_refusals;          /* in a row, for BUSY_RETRIES_MAX */
  guint attempts;
  gint64 start_time;
  gint64 connected_time;

  /* The login of the current call, loop thread only. Its messages are
   * taken in order on login_pool's one thread: the first costs the
   * password hash, which must not stall the shared loop. */
  P2pViewerAuth *auth;
  GThreadPool *login_pool;
  /* The password hashed ahead from the offer's parameters, from the offer
   * to the end of the call; the login checks them. */
  P2pPasswordHash *password_hash;
  /* Set while admitted: commands may be sent. Atomic. */
  gint authorized;

  /* The transport, for other threads (commands, talk-back, RTCP), and the
   * last request id given out. */
  GMutex lock;
  P2pTransport *transport;
  guint64 last_request_id;
};

G_DEFINE_FINAL_TYPE (P2pViewerSession, p2p_viewer_session, G_TYPE_OBJECT);

G_DEFINE_QUARK (p2p - viewer - session - error - quark,
    p2p_viewer_session_error);

static void session_attempt (P2pViewerSession * self);
static void session_login_step_run (gpointer data, gpointer user_data);

static void
p2p_viewer_session_init (P2pViewerSession * self)
{
  g_mutex_init (&self->lock);
  self->login_pool = g_thread_pool_new (session_login_step_run, self, 1,
      FALSE, NULL);
}

static void
p2p_viewer_session_finalize (GObject * object)
{
  P2pViewerSession *self = P2P_VIEWER_SESSION (object);

  /* Waits for a login step under way; its result finds no login. */
  g_thread_pool_free (self->login_pool, FALSE, TRUE);
  g_clear_object (&self->loop);
  g_free (self->uid);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->device_fingerprint);
  g_clear_object (&self->known);
  g_clear_object (&self->tls_database);
  g_free (self->server_error);
  g_strfreev (self->servers);
  g_clear_object (&self->user_signaller);
  g_free (self->known_fingerprint);
  g_free (self->trusted_fingerprint);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (p2p_viewer_session_parent_class)->finalize (object);
}

static void
p2p_viewer_session_class_init (P2pViewerSessionClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = p2p_viewer_session_finalize;
}

/**
 * p2p_viewer_session_new:
 * @config: what the viewer provides
 * @callbacks: how the session reaches the viewer (copied)
 * @user_data: for @callbacks
 *
 * Returns: (transfer full): a session waiting for p2p_viewer_session_start()
 *
 * Since: 0.1
 */
P2pViewerSession *
p2p_viewer_session_new (const P2pViewerSessionConfig * config,
    const P2pViewerSessionCallbacks * callbacks, gpointer user_data)
{
  P2pViewerSession *self;

  g_return_val_if_fail (config && config->loop && config->uid && callbacks,
      NULL);
  g_return_val_if_fail (config->servers || config->lan || config->signaller,
      NULL);
  self = g_object_new (P2P_TYPE_VIEWER_SESSION, NULL);
  self->loop = g_object_ref (config->loop);
  self->uid = g_strdup (config->uid);
  self->password = g_strdup (config->password);
  self->device_fingerprint = g_strdup (config->device_fingerprint);
  self->known = config->known ? g_object_ref (config->known) : NULL;
  self->servers = g_strdupv ((gchar **) config->servers);
  self->allow_insecure = config->allow_insecure;
  self->tls_database = config->tls_database ?
      g_object_ref (config->tls_database) : NULL;
  self->lan = config->lan;
  self->user_signaller = config->signaller ?
      g_object_ref (config->signaller) : NULL;
  self->timeout_ms = config->timeout_ms;
  self->login_timeout_ms = config->login_timeout_ms;
  self->reconnect = config->reconnect;
  self->router = config->router;
  self->cb = *callbacks;
  self->user_data = user_data;
  return self;
}

/**
 * p2p_viewer_session_set_reconnect:
 * @self: a session
 * @reconnect: whether transient faults are retried
 *
 * Thread-safe: takes effect at the next fault.
 *
 * Since: 0.1
 */
void
p2p_viewer_session_set_reconnect (P2pViewerSession * self, gboolean reconnect)
{
  g_return_if_fail (P2P_IS_VIEWER_SESSION (self));
  g_atomic_int_set (&self->reconnect, reconnect);
}

static P2pTransport *
session_ref_transport (P2pViewerSession * self)
{
  P2pTransport *transport;

  g_mutex_lock (&self->lock);
  transport = self->transport ? g_object_ref (self->transport) : NULL;
  g_mutex_unlock (&self->lock);
  return transport;
}

static void
session_clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

static void
session_media_cb (P2pTransport * transport, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data)
{
  P2pViewerSession *self = user_data;

  self->cb.media (self, is_rtcp, data, size, self->user_data);
}

static void
session_media_list_cb (P2pTransport * transport,
    const P2pMediaPacket * packets, guint n_packets, gpointer user_data)
{
  P2pViewerSession *self = user_data;

  self->cb.media_list (self, packets, n_packets, self->user_data);
}

/* Ends the current attempt: transport, call and timers; keeps the
 * signalling connection, which serves the next attempt. */
static void
session_drop_call (P2pViewerSession * self, const gchar * reason)
{
  P2pTransport *transport;

  session_clear_source (&self->timeout_source);
  session_clear_source (&self->watchdog_source);
  g_clear_object (&self->auth);
  if (self->password_hash) {
    p2p_password_hash_cancel (self->password_hash);
    g_clear_pointer (&self->password_hash, p2p_password_hash_unref);
  }
  g_atomic_int_set (&self->authorized, FALSE);
  g_mutex_lock (&self->lock);
  transport = g_steal_pointer (&self->transport);
  g_mutex_unlock (&self->lock);
  if (transport) {
    g_signal_handlers_disconnect_by_data (transport, self);
    p2p_transport_set_media_callback (transport, NULL, NULL, NULL);
    p2p_transport_close (transport);
    g_object_unref (transport);
  }
  if (self->call && self->signaller)
    p2p_signaller_end_call (self->signaller, self->call, reason, NULL);
  else if (self->signaller && self->state == P2P_VIEWER_SESSION_STATE_CALLING)
    /* Given up before it started (time-out): the camera is not left
     * holding it, and the next attempt is not refused as a duplicate. */
    p2p_signaller_cancel_call (self->signaller, self->uid);
  g_clear_pointer (&self->call, g_free);
}

static gboolean
session_retry_cb (gpointer data)
{
  P2pViewerSession *self = data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  session_attempt (self);
  return G_SOURCE_REMOVE;
}

/* A fault retrying cannot fix: one `failed`, then nothing more. */
static void
session_fail_permanent (P2pViewerSession * self, gint code,
    const gchar * text, const gchar * debug)
{
  g_autoptr (GError) error = g_error_new_literal (P2P_VIEWER_SESSION_ERROR,
      code, text);

  g_info ("%s: permanent failure: %s (%s)", self->uid, text, debug);
  session_drop_call (self, "bye");
  self->state = P2P_VIEWER_SESSION_STATE_FAILED;
  self->cb.failed (self, error, debug, self->user_data);
}

/* A fault that may go away: `retrying`, and another attempt after a
 * growing pause (or `failed` when reconnecting is off). */
static void
session_fail_transient (P2pViewerSession * self, const gchar * text,
    const gchar * debug)
{
  g_autoptr (GError) error = NULL;

  if (self->state == P2P_VIEWER_SESSION_STATE_FAILED
      || self->state == P2P_VIEWER_SESSION_STATE_WAITING)
    return;
  if (!g_atomic_int_get (&self->reconnect)) {
    session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_UNREACHABLE, text,
        debug);
    return;
  }

  session_drop_call (self, "bye");
  self->state = P2P_VIEWER_SESSION_STATE_WAITING;
  error = g_error_new_literal (P2P_VIEWER_SESSION_ERROR,
      P2P_VIEWER_SESSION_ERROR_UNREACHABLE, text);
  self->cb.retrying (self, error, debug, self->user_data);

  self->retry_source = g_timeout_source_new (self->retry_ms);
  self->retry_ms = MIN (self->retry_ms * 2, RETRY_MAX_MS);
  g_source_set_callback (self->retry_source, session_retry_cb, self, NULL);
  g_source_attach (self->retry_source, p2p_loop_get_context (self->loop));
}

/* The server refused the call as busy: asked again soon at a jittered
 * time (BUSY_RETRY_MIN_MS), a bounded number of times, then with the
 * growing pause like any fault (the camera's call slots may be full). */
static void
session_fail_busy (P2pViewerSession * self, const gchar * debug)
{
  guint retry_ms = self->retry_ms;

  if (self->busy_refusals >= BUSY_RETRIES_MAX) {
    session_fail_transient (self, "The camera is busy", debug);
    return;
  }
  self->busy_refusals++;
  self->retry_ms = g_random_int_range (BUSY_RETRY_MIN_MS,
      BUSY_RETRY_MAX_MS + 1);
  session_fail_transient (self, "The camera is busy", debug);
  self->retry_ms = retry_ms;
}

/* The servers cannot be reached: the cause when known (the signalling
 * client names it: connection refused, TLS, DNS, ...). */
static gchar *
session_unreachable_text (P2pViewerSession * self)
{
  const gchar *lan = self->lan_active ? "; and no camera with this UID "
      "answered on the local network" : "";
  g_autofree gchar *servers = NULL;

  if (self->server_error)
    return g_strdup_printf ("%s%s", self->server_error, lan);
  /* Name the part that failed: the user can check a server address. */
  servers = g_strjoinv (", ", self->servers);
  return g_strdup_printf ("Could not reach the signalling server (%s) "
      "within %u ms%s", servers, self->timeout_ms, lan);
}

static gboolean
session_timeout_cb (gpointer data)
{
  P2pViewerSession *self = data;
  g_autofree gchar *text = NULL;

  g_clear_pointer (&self->timeout_source, g_source_unref);
  if (self->signalling && p2p_signalling_get_state (self->signalling) !=
      P2P_SIGNALLING_STATE_READY) {
    text = session_unreachable_text (self);
  } else {
    text = g_strdup_printf ("Timed out connecting to camera %s after %u ms",
        self->uid, self->timeout_ms);
  }
  session_fail_transient (self, text, state_names[self->state]);
  return G_SOURCE_REMOVE;
}

static gboolean
session_watchdog_cb (gpointer data)
{
  P2pViewerSession *self = data;
  P2pTransportStats *st;
  gint64 now = g_get_monotonic_time ();
  guint64 packets;

  if (!self->transport)
    return G_SOURCE_CONTINUE;
  st = p2p_transport_get_stats (self->transport);
  packets = st->rtp_packets_received;
  p2p_transport_stats_free (st);
  if (packets != self->watchdog_packets || self->watchdog_time == 0) {
    self->watchdog_packets = packets;
    self->watchdog_time = now;
    return G_SOURCE_CONTINUE;
  }
  if (now - self->watchdog_time < MEDIA_TIMEOUT_MS * 1000)
    return G_SOURCE_CONTINUE;

  /* session_fail_transient() destroys this source: do not touch it
   * after. */
  g_clear_pointer (&self->watchdog_source, g_source_unref);
  session_fail_transient (self, "No media from the camera", "watchdog");
  return G_SOURCE_REMOVE;
}

/* Trust on first use: what the known-cameras file holds for this UID,
 * read afresh for each call so that a line the user deleted is gone. */
static gboolean
session_lookup_known (P2pViewerSession * self)
{
  g_autoptr (GError) err = NULL;
  const gchar *const *problems;

  g_clear_pointer (&self->known_fingerprint, g_free);
  if (!self->known)
    return TRUE;
  if (!p2p_known_cameras_load (self->known, &err)) {
    /* Going on would silently trust whoever the server names. */
    session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_READ,
        "Cannot use the known-cameras file: fix or remove it, or set "
        "known-cameras-file=\"\" to trust the server's registry", err->message);
    return FALSE;
  }
  problems = p2p_known_cameras_get_problems (self->known);
  if (problems[0] && !self->warned_known_problems) {
    g_autofree gchar *all = g_strjoinv ("\n", (gchar **) problems);
    g_autoptr (GError) warning = NULL;

    self->warned_known_problems = TRUE;
    warning = g_error_new (P2P_VIEWER_SESSION_ERROR,
        P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_READ,
        "Lines of the known-cameras file '%s' were ignored",
        p2p_known_cameras_get_path (self->known));
    self->cb.warning (self, warning, all, self->user_data);
  }
  self->known_fingerprint = p2p_known_cameras_lookup (self->known, self->uid);
  return TRUE;
}

/* An authentication failure (@code, @text, @debug) on the current call.
 * When no signaller vouched for the call, it came over the local network,
 * where any host that knows the UID (a former viewer, say) can answer
 * first: its refusal says nothing about the camera, which the other
 * signallers (the server) may still reach. Those alone are then asked for
 * the rest of this start, at once, and the refusal is a warning. Returns
 * %FALSE when there are no others: the failure is the caller's to report. */
static gboolean
session_avoid_unvouched (P2pViewerSession * self, gint code,
    const gchar * text, const gchar * debug)
{
  g_autoptr (GError) warning = NULL;

  if (self->call_vouched || !self->call
      || !P2P_IS_COMBINED_SIGNALLER (self->signaller)
      || !p2p_combined_signaller_leave_out (P2P_COMBINED_SIGNALLER
          (self->signaller), self->call))
    return FALSE;
  warning = g_error_new (P2P_VIEWER_SESSION_ERROR, code,
      "A host on the local network answered for camera %s but failed "
      "authentication (%s): it may be impersonating the camera. Calling "
      "through the server only until stopped", self->uid, text);
  g_info ("%s: %s (%s)", self->uid, warning->message, debug);
  session_drop_call (self, "bye");
  self->cb.warning (self, warning, debug, self->user_data);
  self->state = P2P_VIEWER_SESSION_STATE_WAITING;
  self->retry_source = g_timeout_source_new (0);
  g_source_set_callback (self->retry_source, session_retry_cb, self, NULL);
  g_source_attach (self->retry_source, p2p_loop_get_context (self->loop));
  return TRUE;
}

/* Another certificate than the remembered one: @offered (%NULL when
 * unknown), which the server vouches for or the handshake presented
 * (@where). */
static void
session_fail_known_mismatch (P2pViewerSession * self, const gchar * offered,
    const gchar * where, const gchar * debug)
{
  g_autofree gchar *accept = NULL, *text = NULL;

  accept = offered ? g_strdup_printf ("delete its line from that file or set "
      "device-fingerprint=\"%s\"", offered) :
      g_strdup ("delete its line from that file");
  text = g_strdup_printf ("The certificate of camera %s changed: this viewer "
      "trusts %s (remembered in %s) but %s %s. If the camera was really "
      "replaced, %s; otherwise someone (the server?) may be impersonating it",
      self->uid, self->known_fingerprint,
      p2p_known_cameras_get_path (self->known), where,
      offered ? offered : "another certificate", accept);
  session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH,
      text, debug);
}

static gboolean
session_requires_known (P2pViewerSession * self)
{
  return self->known_fingerprint && self->trusted_fingerprint
      && p2p_fingerprint_equal (self->known_fingerprint,
      self->trusted_fingerprint);
}

/* The handshake presented another certificate than the remembered one
 * (which the server may have vouched for all the same). The offer says
 * which one the camera claims to have. */
static void
session_fail_known_handshake (P2pViewerSession * self, const gchar * debug)
{
  GstSDPMessage *sdp = p2p_transport_get_remote_description (self->transport);
  const gchar *offered = NULL;
  g_autofree gchar *copy = NULL;

  if (sdp) {
    offered = gst_sdp_message_get_attribute_val (sdp, "fingerprint");
    if (!offered && gst_sdp_message_medias_len (sdp) > 0)
      offered = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media
          (sdp, 0), "fingerprint");
    copy = g_strdup (offered);
    gst_sdp_message_free (sdp);
  }
  /* An offer announcing the remembered certificate while the handshake
   * presents another names nothing worth accepting. */
  if (copy && p2p_fingerprint_equal (copy, self->known_fingerprint))
    g_clear_pointer (&copy, g_free);
  session_fail_known_mismatch (self, copy, "its DTLS handshake presented",
      debug);
}

/* After an authenticated session: this certificate is the camera's. */
static void
session_remember_camera (P2pViewerSession * self)
{
  g_autoptr (GError) err = NULL;

  if (!self->known || !self->trusted_fingerprint
      || p2p_fingerprint_equal (self->known_fingerprint,
          self->trusted_fingerprint))
    return;
  if (p2p_known_cameras_remember (self->known, self->uid,
          self->trusted_fingerprint, &err)) {
    g_info ("camera %s: remembered %s", self->uid, self->trusted_fingerprint);
    g_free (self->known_fingerprint);
    self->known_fingerprint = g_strdup (self->trusted_fingerprint);
  } else {
    g_autoptr (GError) warning = g_error_new (P2P_VIEWER_SESSION_ERROR,
        P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_WRITE,
        "Cannot remember camera %s's certificate", self->uid);

    self->cb.warning (self, warning, err->message, self->user_data);
  }
}

/* The one point where the camera has accepted this viewer: it proved it
 * knows the password, on this DTLS session, and let the viewer in. */
static void
session_authorized (P2pViewerSession * self)
{
  session_remember_camera (self);
  self->state = P2P_VIEWER_SESSION_STATE_PLAYING;
  g_atomic_int_set (&self->authorized, TRUE);
  self->connected_time = g_get_monotonic_time ();
  self->retry_ms = RETRY_MIN_MS;
  self->busy_refusals = 0;
  session_clear_source (&self->timeout_source);
  g_info ("camera %s: media authorized after %" G_GINT64_FORMAT " ms",
      self->uid, (self->connected_time - self->start_time) / 1000);
  self->cb.connected (self, self->user_data);
  self->watchdog_packets = 0;
  self->watchdog_time = 0;
  self->watchdog_source = g_timeout_source_new (1000);
  g_source_set_callback (self->watchdog_source, session_watchdog_cb, self,
      NULL);
  g_source_attach (self->watchdog_source, p2p_loop_get_context (self->loop));
}

static void
session_login_failed (P2pViewerSession * self, const GError * err)
{
  guint retry_after;

  switch (err->code) {
    case P2P_VIEWER_AUTH_ERROR_BUSY:
      session_fail_transient (self, err->message, "busy");
      break;
    case P2P_VIEWER_AUTH_ERROR_RETRY_LATER:
      /* Wait at least as long as the camera asked. */
      retry_after = p2p_viewer_auth_get_retry_after (self->auth);
      self->retry_ms = MAX (self->retry_ms, retry_after);
      session_fail_transient (self, err->message, "retry-later");
      break;
    default:
      if (session_avoid_unvouched (self,
              P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED, err->message, NULL))
        break;
      session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED,
          err->message, err->code == P2P_VIEWER_AUTH_ERROR_CAMERA_NOT_PROVEN ?
          "the camera's key confirmation did not match this DTLS session "
          "and password" : NULL);
      break;
  }
}

/* DTLS is up: the login binds to this session's exporter value. */
static void
session_start_login (P2pViewerSession * self, P2pTransport * transport)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) exporter = NULL;

  self->state = P2P_VIEWER_SESSION_STATE_AUTHORIZING;
  exporter = p2p_transport_export_keying_material (transport,
      P2P_VIEWER_AUTH_EXPORTER_LABEL, P2P_VIEWER_AUTH_EXPORTER_SIZE, &err);
  if (exporter == NULL) {
    session_fail_transient (self, "Could not start the login", err->message);
    return;
  }
  self->auth = p2p_viewer_auth_new_viewer (self->uid, self->password, exporter);
  p2p_viewer_auth_set_password_hash (self->auth, self->password_hash);
}

/* Loop thread: a message from the camera once admitted. */
static void
session_route_message (P2pViewerSession * self, GBytes * message)
{
  g_autoptr (GError) err = NULL;

  if (self->router
      && !p2p_message_router_dispatch (self->router, message, self, &err))
    g_debug ("%s: message from the camera dropped: %s", self->uid,
        err->message);
}

/* One login message, taken on the login pool's thread; the result goes
 * back to the loop thread. */
typedef struct
{
  P2pViewerSession *session;
  P2pViewerAuth *auth;
  GBytes *message;
  GBytes *reply;
  GError *error;
  gboolean ok;
  /* The login was over before this message: it is the camera's first
   * message to an admitted viewer, for the router. */
  gboolean after_login;
} LoginStep;

static void
login_step_free (LoginStep * step)
{
  g_object_unref (step->session);
  g_object_unref (step->auth);
  g_bytes_unref (step->message);
  g_clear_pointer (&step->reply, g_bytes_unref);
  g_clear_error (&step->error);
  g_free (step);
}

static gboolean
session_login_step_done (gpointer data)
{
  LoginStep *step = data;
  P2pViewerSession *self = step->session;
  g_autoptr (GError) err = NULL;
  P2pTransport *transport;

  /* The call may have ended, or another begun, meanwhile. */
  if (step->auth != self->auth)
    return G_SOURCE_REMOVE;
  if (step->after_login) {
    if (self->state == P2P_VIEWER_SESSION_STATE_PLAYING)
      session_route_message (self, step->message);
    return G_SOURCE_REMOVE;
  }
  if (self->state != P2P_VIEWER_SESSION_STATE_AUTHORIZING)
    return G_SOURCE_REMOVE;
  if (!step->ok) {
    g_info ("%s: login failed: %s", self->uid, step->error->message);
    session_login_failed (self, step->error);
    return G_SOURCE_REMOVE;
  }
  transport = session_ref_transport (self);
  if (transport && step->reply
      && !p2p_transport_send_message (transport, step->reply, &err))
    session_fail_transient (self, "Could not answer the camera", err->message);
  else if (p2p_viewer_auth_get_state (self->auth) ==
      P2P_VIEWER_AUTH_STATE_ACCEPTED)
    session_authorized (self);
  g_clear_object (&transport);
  return G_SOURCE_REMOVE;
}

static void
session_login_step_run (gpointer data, gpointer user_data)
{
  LoginStep *step = data;

  step->after_login = p2p_viewer_auth_get_state (step->auth) ==
      P2P_VIEWER_AUTH_STATE_ACCEPTED;
  if (!step->after_login)
    step->ok = p2p_viewer_auth_receive (step->auth, step->message,
        &step->reply, &step->error);
  p2p_loop_invoke (step->session->loop, session_login_step_done, step,
      (GDestroyNotify) login_step_free);
}

/* The camera's login messages, in order, off the loop thread. */
static void
session_on_message (P2pTransport * transport, GBytes * message,
    P2pViewerSession * self)
{
  LoginStep *step;

  if (self->state == P2P_VIEWER_SESSION_STATE_PLAYING) {
    session_route_message (self, message);
    return;
  }
  if (self->state == P2P_VIEWER_SESSION_STATE_NEGOTIATING)
    session_start_login (self, transport);
  if (self->state != P2P_VIEWER_SESSION_STATE_AUTHORIZING || self->auth == NULL)
    return;
  step = g_new0 (LoginStep, 1);
  step->session = g_object_ref (self);
  step->auth = g_object_ref (self->auth);
  step->message = g_bytes_ref (message);
  g_thread_pool_push (self->login_pool, step, NULL);
}

static void
session_on_transport_state (P2pTransport * transport, GParamSpec * pspec,
    P2pViewerSession * self)
{
  P2pTransportState state = p2p_transport_get_state (transport);

  g_debug ("%s: transport %s", self->uid,
      p2p_transport_state_to_string (state));
  if (state == P2P_TRANSPORT_STATE_CONNECTED
      && self->state == P2P_VIEWER_SESSION_STATE_NEGOTIATING) {
    session_start_login (self, transport);
  } else if (state == P2P_TRANSPORT_STATE_FAILED) {
    g_autoptr (GError) err = p2p_transport_get_error (transport);
    gboolean mismatch = err && g_error_matches (err, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_FINGERPRINT_MISMATCH);

    if (mismatch && session_avoid_unvouched (self,
            P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH,
            "it presented another certificate", err->message))
      return;
    if (mismatch && session_requires_known (self))
      session_fail_known_handshake (self, err->message);
    else if (mismatch)
      session_fail_permanent (self,
          P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH,
          "The camera's certificate does not match its registered "
          "fingerprint: someone may be impersonating it", err->message);
    else if (self->state == P2P_VIEWER_SESSION_STATE_PLAYING)
      session_fail_transient (self, "Lost the connection to the camera",
          err ? err->message : NULL);
    else
      session_fail_transient (self,
          "Could not establish a path to the camera",
          err ? err->message : NULL);
  } else if (state == P2P_TRANSPORT_STATE_CLOSED) {
    session_fail_transient (self, "The camera closed the connection", NULL);
  }
}

static void
session_on_transport_mode (P2pTransport * transport, GParamSpec * pspec,
    P2pViewerSession * self)
{
  if (self->state == P2P_VIEWER_SESSION_STATE_PLAYING)
    self->cb.connected (self, self->user_data);
}

static void
session_on_local_candidate (P2pTransport * transport,
    const gchar * candidate, P2pViewerSession * self)
{
  if (self->call && self->signaller)
    p2p_signaller_send_candidate (self->signaller, self->call, candidate,
        NULL, NULL);
}

static void
session_on_offer (P2pSignaller * sig, const gchar * call, const gchar * sdp,
    P2pViewerSession * self)
{
  g_autoptr (GError) err = NULL;
  GstSDPMessage *remote, *media = NULL;
  gchar *answer;

  if (g_strcmp0 (call, self->call) != 0 || !self->transport)
    return;
  if (!p2p_transport_set_remote_description (self->transport, sdp, &err)) {
    session_fail_transient (self, "The camera sent an invalid offer",
        err->message);
    return;
  }
  remote = p2p_transport_get_remote_description (self->transport);
  /* The password hash can start now rather than after DTLS (a camera of
   * an earlier version announces nothing: it starts then, as before). */
  if (remote && self->password && !self->password_hash
      && self->state == P2P_VIEWER_SESSION_STATE_NEGOTIATING)
    self->password_hash = p2p_password_hash_start (self->password,
        gst_sdp_message_get_attribute_val (remote,
            P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE));
  if (remote)
    media = self->cb.answer_media (self, remote, self->user_data);
  if (remote)
    gst_sdp_message_free (remote);
  if (!media) {
    session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_NO_MEDIA,
        "The camera offers no media stream", NULL);
    return;
  }
  answer = p2p_transport_create_answer (self->transport, media, &err);
  gst_sdp_message_free (media);
  if (!answer) {
    session_fail_transient (self, "Could not answer the camera's offer",
        err->message);
    return;
  }
  if (!p2p_signaller_send_answer (self->signaller, call, answer, &err))
    session_fail_transient (self, "Lost the signalling server", err->message);
  g_free (answer);
}

static void
session_on_candidate (P2pSignaller * sig, const gchar * call,
    const gchar * candidate, const gchar * mid, P2pViewerSession * self)
{
  g_autoptr (GError) err = NULL;

  if (g_strcmp0 (call, self->call) != 0 || !self->transport)
    return;
  if (!p2p_transport_add_remote_candidate (self->transport, candidate, &err))
    g_debug ("%s: candidate ignored: %s", self->uid, err->message);
}

static void
session_on_call_ended (P2pSignaller * sig, const gchar * call,
    const gchar * reason, P2pViewerSession * self)
{
  g_autofree gchar *text = NULL;

  if (g_strcmp0 (call, self->call) != 0)
    return;
  /* Once media flows the path no longer needs the server. */
  if (self->state == P2P_VIEWER_SESSION_STATE_PLAYING)
    return;
  if (g_strcmp0 (reason, P2P_VIEWER_AUTH_REASON_BUSY) == 0) {
    session_fail_transient (self, "The camera serves its maximum number of "
        "viewers", reason);
    return;
  }
  /* The camera ends a call with "failed" when its side of ICE or DTLS gave
   * up, which usually arrives just before our own transport notices: say
   * what it means for the user rather than relaying the code. */
  if (g_strcmp0 (reason, "failed") == 0
      && self->state == P2P_VIEWER_SESSION_STATE_NEGOTIATING) {
    /* The cause as this side saw it: which candidates there were, and
     * whether our relay answered at all. */
    g_autofree gchar *paths = self->transport ?
        p2p_transport_describe_paths (self->transport) : NULL;

    text = g_strdup_printf ("Could not establish a network path to camera "
        "%s (no pair of candidates worked: %s)", self->uid,
        paths ? paths : "no transport");
  } else
    text = g_strdup_printf ("The call to camera %s ended (%s)", self->uid,
        reason ? reason : "no reason given");
  session_fail_transient (self, text, NULL);
}

static void
session_on_call_error (P2pSignaller * sig, const gchar * call,
    const GError * error, P2pViewerSession * self)
{
  if (g_strcmp0 (call, self->call) != 0
      || self->state == P2P_VIEWER_SESSION_STATE_PLAYING)
    return;
  session_fail_transient (self, "The server dropped the call", error->message);
}

static void
session_on_call_failed (P2pSignaller * sig, const gchar * uid,
    const GError * err, P2pViewerSession * self)
{
  if (self->state != P2P_VIEWER_SESSION_STATE_CALLING || self->call)
    return;
  if (err->domain == P2P_SIGNALLING_ERROR) {
    switch (err->code) {
      case P2P_SIGNALLING_ERROR_UNKNOWN_UID:
        session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_NOT_FOUND,
            "No camera with this UID is registered: check the 'uid' "
            "property", err->message);
        break;
      case P2P_SIGNALLING_ERROR_INVALID_ARGUMENT:
        /* The server's bad-uid: its rules differ from ours (another
         * version), since ours refused nothing at READY. */
        session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_BAD_UID,
            "The server says this UID is malformed: check the 'uid' "
            "property", err->message);
        break;
      case P2P_SIGNALLING_ERROR_REVOKED:
        session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_REVOKED,
            "This camera's UID was revoked", err->message);
        break;
      case P2P_SIGNALLING_ERROR_DEVICE_OFFLINE:
        session_fail_transient (self, "The camera is offline", err->message);
        break;
      case P2P_SIGNALLING_ERROR_REFUSED:
        session_fail_busy (self, err->message);
        break;
      case P2P_SIGNALLING_ERROR_TIMEOUT:
      case P2P_SIGNALLING_ERROR_UNREACHABLE:
        /* Say which way failed: the user can check a server address. */
        session_fail_transient (self, self->signalling && self->lan
            && p2p_signalling_get_state (self->signalling) !=
            P2P_SIGNALLING_STATE_READY ? "Cannot reach the server and no "
            "camera with this UID answered on the local network" :
            "Could not call the camera", err->message);
        break;
      default:
        session_fail_transient (self, "Could not call the camera",
            err->message);
        break;
    }
  } else {
    session_fail_transient (self, "Could not call the camera", err->message);
  }
}

static void
session_on_call_started (P2pSignaller * sig, const gchar * uid,
    const gchar * call, const gchar * fingerprint, P2pViewerSession * self)
{
  const gchar *pinned = self->device_fingerprint;

  if (self->state != P2P_VIEWER_SESSION_STATE_CALLING || self->call) {
    /* An attempt given up on (time-out, stop) got through after all. */
    p2p_signaller_end_call (sig, call, "bye", NULL);
    return;
  }

  self->call = g_strdup (call);
  self->call_vouched = fingerprint != NULL;
  if (pinned && fingerprint && !p2p_fingerprint_equal (pinned, fingerprint)) {
    session_fail_permanent (self,
        P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH,
        "The server vouches for a different camera certificate than the "
        "pinned 'device-fingerprint'", fingerprint);
    return;
  }

  if (!pinned && self->known_fingerprint && fingerprint
      && !p2p_fingerprint_equal (self->known_fingerprint, fingerprint)) {
    session_fail_known_mismatch (self, fingerprint,
        "the server now vouches for",
        "fingerprint from the server's 'connected'");
    return;
  }

  /* The pin, else the remembered certificate, else (first use) the one
   * the signaller vouches for (the server's registry): DTLS accepts only
   * this one. A signaller that vouches for none (the local network) is
   * used only with a pin, a remembered certificate or a password
   * (session_build_signaller()), the password login then proving the
   * camera. */
  g_free (self->trusted_fingerprint);
  self->trusted_fingerprint = g_strdup (pinned ? pinned :
      self->known_fingerprint ? self->known_fingerprint : fingerprint);
  self->state = P2P_VIEWER_SESSION_STATE_NEGOTIATING;
  g_mutex_lock (&self->lock);
  self->transport = p2p_transport_new (self->loop, NULL, FALSE);
  g_mutex_unlock (&self->lock);
  p2p_transport_set_expected_fingerprint (self->transport,
      self->trusted_fingerprint);
  self->cb.configure (self, self->transport, self->signaller, call,
      self->user_data);
  g_signal_connect (self->transport, "local-candidate",
      G_CALLBACK (session_on_local_candidate), self);
  g_signal_connect (self->transport, "message-received",
      G_CALLBACK (session_on_message), self);
  g_signal_connect (self->transport, "notify::state",
      G_CALLBACK (session_on_transport_state), self);
  g_signal_connect (self->transport, "notify::mode",
      G_CALLBACK (session_on_transport_mode), self);
  p2p_transport_set_media_callback (self->transport, session_media_cb, self,
      NULL);
  if (self->cb.media_list)
    p2p_transport_set_media_list_callback (self->transport,
        session_media_list_cb);
  g_info ("call %s to %s, waiting for the offer", call, self->uid);
}

/* The call waits on servers that all failed. Without the local network
 * nothing else can find the camera: the attempt fails now. With it, the
 * camera may still answer there, which takes well under a second on a
 * LAN: the attempt waits that long, not its whole time-out. */
static void
session_servers_failed (P2pViewerSession * self)
{
  g_autofree gchar *text = NULL;

  if (self->lan_active) {
    if (self->timeout_source && g_source_get_ready_time (self->timeout_source)
        - g_get_monotonic_time () <= LAN_GRACE_MS * 1000)
      return;
    session_clear_source (&self->timeout_source);
    self->timeout_source = g_timeout_source_new (LAN_GRACE_MS);
    g_source_set_callback (self->timeout_source, session_timeout_cb, self,
        NULL);
    g_source_attach (self->timeout_source, p2p_loop_get_context (self->loop));
    return;
  }
  text = session_unreachable_text (self);
  session_fail_transient (self, text, "signalling");
}

static void
session_on_signalling_state (P2pSignalling * sig, P2pSignallingState state,
    const GError * error, P2pViewerSession * self)
{
  g_debug ("%s: signalling %s%s%s", self->uid,
      p2p_signalling_state_to_string (state), error ? ": " : "",
      error ? error->message : "");
  if (state == P2P_SIGNALLING_STATE_READY)
    g_clear_pointer (&self->server_error, g_free);
  /* Every server of the list failed (the client waits before its next
   * pass): say why now rather than at the end of the time-out. */
  if (state == P2P_SIGNALLING_STATE_WAITING && error) {
    g_free (self->server_error);
    self->server_error = g_strdup (error->message);
    if (self->state == P2P_VIEWER_SESSION_STATE_CALLING && !self->call)
      session_servers_failed (self);
    return;
  }
  /* Unreachable servers surface as the pending call's error (it waits for
   * a login within the time-out); only a refusal that no retry can fix is
   * handled here. Media already flowing does not depend on the server. */
  if (state != P2P_SIGNALLING_STATE_FAILED
      || self->state == P2P_VIEWER_SESSION_STATE_PLAYING
      || self->state == P2P_VIEWER_SESSION_STATE_FAILED)
    return;
  if (error && error->domain == P2P_SIGNALLING_ERROR
      && error->code == P2P_SIGNALLING_ERROR_INSECURE)
    session_fail_permanent (self, P2P_VIEWER_SESSION_ERROR_INSECURE_SERVER,
        "The signalling server URI is not encrypted", error->message);
  else
    session_fail_transient (self, "The signalling server refused the viewer",
        error ? error->message : NULL);
}

/* Once per start, after the known-cameras lookup: the local network
 * vouches for no certificate, so it is asked only when something else
 * will check the camera's (a pin, a remembered certificate, or the
 * password login). The paths chosen here serve every attempt until the
 * session stops (docs/protocol.md §10): a retry races the same paths
 * again rather than choosing anew, so the choice cannot flap between
 * attempts (say, with a certificate remembered during the first). */
static void
session_build_signaller (P2pViewerSession * self)
{
  P2pSignaller *lan = NULL;
  gboolean anchored = self->device_fingerprint || self->password
      || self->known_fingerprint;

  if (self->servers) {
    self->signalling = p2p_signalling_new_viewer (self->loop,
        (const gchar * const *) self->servers);
    if (self->allow_insecure)
      g_object_set (self->signalling, "allow-insecure", TRUE, NULL);
    if (self->tls_database)
      g_object_set (self->signalling, "tls-database", self->tls_database, NULL);
    if (self->login_timeout_ms)
      g_object_set (self->signalling, "login-timeout", self->login_timeout_ms,
          NULL);
    g_signal_connect (self->signalling, "state-changed",
        G_CALLBACK (session_on_signalling_state), self);
  }
  if (self->lan && !self->user_signaller && (anchored || !self->servers))
    lan = P2P_SIGNALLER (p2p_lan_signaller_new_viewer (self->loop));
  else if (self->lan && !self->user_signaller)
    g_info ("%s: not looking on the local network: nothing would check the "
        "camera's certificate there (no device-fingerprint, remembered "
        "certificate or password)", self->uid);
  self->lan_active = lan != NULL;
  if (self->user_signaller) {
    self->signaller = g_object_ref (self->user_signaller);
    g_clear_object (&lan);
  } else if (self->signalling && lan) {
    P2pSignaller *both[] = { P2P_SIGNALLER (self->signalling), lan };

    self->signaller = P2P_SIGNALLER (p2p_combined_signaller_new (both, 2));
    g_object_unref (lan);
  } else {
    self->signaller = self->signalling ?
        g_object_ref (P2P_SIGNALLER (self->signalling)) : lan;
  }
  g_signal_connect (self->signaller, "call-started",
      G_CALLBACK (session_on_call_started), self);
  g_signal_connect (self->signaller, "call-failed",
      G_CALLBACK (session_on_call_failed), self);
  g_signal_connect (self->signaller, "remote-offer",
      G_CALLBACK (session_on_offer), self);
  g_signal_connect (self->signaller, "remote-candidate",
      G_CALLBACK (session_on_candidate), self);
  g_signal_connect (self->signaller, "call-ended",
      G_CALLBACK (session_on_call_ended), self);
  g_signal_connect (self->signaller, "call-error",
      G_CALLBACK (session_on_call_error), self);
}

static void
session_call (P2pViewerSession * self)
{
  g_autoptr (GError) err = NULL;

  if (!session_lookup_known (self))
    return;
  if (!self->signaller)
    session_build_signaller (self);
  p2p_signaller_start (self->signaller);
  self->state = P2P_VIEWER_SESSION_STATE_CALLING;
  if (!p2p_signaller_call (self->signaller, self->uid, self->timeout_ms, &err))
    session_on_call_failed (self->signaller, self->uid, err, self);
}

static void
session_attempt (P2pViewerSession * self)
{
  self->attempts++;
  if (self->start_time == 0)
    self->start_time = g_get_monotonic_time ();
  g_info ("connecting to %s (attempt %u)", self->uid, self->attempts);
  self->cb.connecting (self, self->user_data);

  self->timeout_source = g_timeout_source_new (self->timeout_ms);
  g_source_set_callback (self->timeout_source, session_timeout_cb, self, NULL);
  g_source_attach (self->timeout_source, p2p_loop_get_context (self->loop));

  /* The request waits for the login itself. */
  session_call (self);
}

/**
 * p2p_viewer_session_start:
 * @self: an idle session
 *
 * Makes the first attempt; the session retries by itself until stopped
 * or failed.
 *
 * Since: 0.1
 */
void
p2p_viewer_session_start (P2pViewerSession * self)
{
  g_return_if_fail (P2P_IS_VIEWER_SESSION (self));
  g_return_if_fail (self->state == P2P_VIEWER_SESSION_STATE_IDLE);
  self->retry_ms = RETRY_MIN_MS;
  self->busy_refusals = 0;
  self->attempts = 0;
  self->start_time = 0;
  self->connected_time = 0;
  session_attempt (self);
}

/**
 * p2p_viewer_session_stop:
 * @self: a session
 *
 * Ends the call (telling the camera `bye`), the pending retry and the
 * signaller; no callback follows. The session may be started again.
 *
 * Since: 0.1
 */
void
p2p_viewer_session_stop (P2pViewerSession * self)
{
  g_return_if_fail (P2P_IS_VIEWER_SESSION (self));
  session_drop_call (self, "bye");
  session_clear_source (&self->retry_source);
  if (self->signaller) {
    p2p_signaller_stop (self->signaller);
    g_signal_handlers_disconnect_by_data (self->signaller, self);
    g_clear_object (&self->signaller);
  }
  if (self->signalling) {
    g_signal_handlers_disconnect_by_data (self->signalling, self);
    g_clear_object (&self->signalling);
  }
  self->state = P2P_VIEWER_SESSION_STATE_IDLE;
}

/**
 * p2p_viewer_session_get_state:
 * @self: a session
 *
 * Returns: where the session is
 *
 * Since: 0.1
 */
P2pViewerSessionState
p2p_viewer_session_get_state (P2pViewerSession * self)
{
  g_return_val_if_fail (P2P_IS_VIEWER_SESSION (self),
      P2P_VIEWER_SESSION_STATE_IDLE);
  return self->state;
}

/**
 * p2p_viewer_session_state_to_string:
 * @state: a state
 *
 * Returns: its name in stats (`idle`, `calling`, `negotiating`,
 *     `authorizing`, `playing`, `waiting`, `failed`)
 *
 * Since: 0.1
 */
const gchar *
p2p_viewer_session_state_to_string (P2pViewerSessionState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (state_names), NULL);
  return state_names[state];
}

/**
 * p2p_viewer_session_get_attempts:
 * @self: a session
 *
 * Returns: the attempts since p2p_viewer_session_start()
 *
 * Since: 0.1
 */
guint
p2p_viewer_session_get_attempts (P2pViewerSession * self)
{
  g_return_val_if_fail (P2P_IS_VIEWER_SESSION (self), 0);
  return self->attempts;
}

/**
 * p2p_viewer_session_get_start_time:
 * @self: a session
 *
 * Returns: when the first attempt began (monotonic µs), 0 before
 *
 * Since: 0.1
 */
gint64
p2p_viewer_session_get_start_time (P2pViewerSession * self)
{
  g_return_val_if_fail (P2P_IS_VIEWER_SESSION (self), 0);
  return self->start_time;
}

/**
 * p2p_viewer_session_get_connected_time:
 * @self: a session
 *
 * Returns: when the camera last admitted the viewer (monotonic µs), 0
 *     before
 *
 * Since: 0.1
 */
gint64
p2p_viewer_session_get_connected_time (P2pViewerSession * self)
{
  g_return_val_if_fail (P2P_IS_VIEWER_SESSION (self), 0);
  return self->connected_time;
}

/**
 * p2p_viewer_session_get_stats:
 * @self: a session
 *
 * Thread-safe.
 *
 * Returns: (transfer full) (nullable): the current transport's counters,
 *     %NULL between calls
 *
 * Since: 0.1
 */
P2pTransportStats *
p2p_viewer_session_get_stats (P2pViewerSession * self)
{
  P2pTransport *transport;
  P2pTransportStats *st;

  g_return_val_if_fail (P2P_IS_VIEWER_SESSION (self), NULL);
  transport = session_ref_transport (self);
  if (!transport)
    return NULL;
  st = p2p_transport_get_stats (transport);
  g_object_unref (transport);
  return st;
}

/**
 * p2p_viewer_session_is_admitted:
 * @self: a session
 *
 * Thread-safe.
 *
 * Returns: whether the camera admitted the viewer on the current call
 *
 * Since: 0.1
 */
gboolean
p2p_viewer_session_is_admitted (P2pViewerSession * self)
{
  g_return_val_if_fail (P2P_IS_VIEWER_SESSION (self), FALSE);
  return g_atomic_int_get (&self->authorized);
}

/**
 * p2p_viewer_session_send_command:
 * @self: a session
 * @name: the command's name
 * @payload: (nullable): its JSON payload
 * @error: a #GError, or %NULL
 *
 * Sends a command once the camera admitted the viewer (docs/commands.md).
 * Thread-safe: ids go out in the order they are taken.
 *
 * Returns: the request id the reply will carry, or 0 with @error set
 *
 * Since: 0.1
 */
guint64
p2p_viewer_session_send_command (P2pViewerSession * self, const gchar * name,
    const gchar * payload, GError ** error)
{
  g_autoptr (GBytes) msg = NULL;
  guint64 id = 0;

  g_return_val_if_fail (P2P_IS_VIEWER_SESSION (self), 0);
  if (!p2p_command_check (name ? name : "", payload, error))
    return 0;
  g_mutex_lock (&self->lock);
  if (self->transport && g_atomic_int_get (&self->authorized)) {
    id = ++self->last_request_id;
    msg = p2p_command_build ("command", id, name, TRUE, payload);
    if (!p2p_transport_send_message (self->transport, msg, error))
      id = 0;
  } else {
    g_set_error_literal (error, P2P_VIEWER_SESSION_ERROR,
        P2P_VIEWER_SESSION_ERROR_NOT_ADMITTED,
        "the camera has not admitted this viewer yet");
  }
  g_mutex_unlock (&self->lock);
  return id;
}

/**
 * p2p_viewer_session_send_layer:
 * @self: a session
 * @layer: the camera's video layer to receive (0 the best), or -1 to let
 *     the camera choose by bandwidth
 * @error: a #GError, or %NULL
 *
 * Asks the camera for a layer once it admitted the viewer
 * (docs/commands.md); it holds for the call. Thread-safe.
 *
 * Returns: whether the request went out
 *
 * Since: 0.3
 */
gboolean
p2p_viewer_session_send_layer (P2pViewerSession * self, gint layer,
    GError ** error)
{
  g_autoptr (GBytes) msg = NULL;
  gboolean sent = FALSE;

  g_return_val_if_fail (P2P_IS_VIEWER_SESSION (self), FALSE);
  g_return_val_if_fail (layer >= -1 && layer <= P2P_COMMAND_MAX_LAYER, FALSE);
  msg = p2p_command_build_layer (layer);
  g_mutex_lock (&self->lock);
  if (self->transport && g_atomic_int_get (&self->authorized))
    sent = p2p_transport_send_message (self->transport, msg, error);
  else
    g_set_error_literal (error, P2P_VIEWER_SESSION_ERROR,
        P2P_VIEWER_SESSION_ERROR_NOT_ADMITTED,
        "the camera has not admitted this viewer yet");
  g_mutex_unlock (&self->lock);
  return sent;
}

/**
 * p2p_viewer_session_send_rtp:
 * @self: a session
 * @data: an RTP packet (talk-back)
 * @size: its size
 *
 * Sends @data to the camera once it admitted the viewer, else drops it.
 * Thread-safe.
 *
 * Since: 0.1
 */
void
p2p_viewer_session_send_rtp (P2pViewerSession * self, const guint8 * data,
    gsize size)
{
  P2pTransport *transport;

  g_return_if_fail (P2P_IS_VIEWER_SESSION (self));
  if (!g_atomic_int_get (&self->authorized))
    return;
  transport = session_ref_transport (self);
  if (transport) {
    p2p_transport_send_rtp (transport, data, size, NULL);
    g_object_unref (transport);
  }
}

/**
 * p2p_viewer_session_send_rtcp:
 * @self: a session
 * @data: an RTCP packet (reports, NACK, PLI)
 * @size: its size
 *
 * Sends @data to the camera on the current path, if any. Thread-safe.
 *
 * Since: 0.1
 */
void
p2p_viewer_session_send_rtcp (P2pViewerSession * self, const guint8 * data,
    gsize size)
{
  P2pTransport *transport;

  g_return_if_fail (P2P_IS_VIEWER_SESSION (self));
  transport = session_ref_transport (self);
  if (transport) {
    p2p_transport_send_rtcp (transport, data, size, NULL);
    g_object_unref (transport);
  }
}
