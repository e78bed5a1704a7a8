/* P2pViewerSession without an element: a viewer session calling a camera
 * session in the same process through the direct signaller, so the whole
 * call (signalling, ICE, DTLS, login) runs with no server and no pipeline.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>

#include "manual-signaller.h"

/* Generous: the suites also run under ASan and valgrind on busy cores. */
#define TIMEOUT_MS 60000
#define UID "7KQ2-M9XD-4HPA-R3WV"
#define PASSWORD "correct horse battery staple"

/* A camera session behind the camera end of a direct signaller pair. */
typedef struct _Fixture Fixture;
typedef struct
{
  Fixture *f;
  const gchar *name;            /* its events' prefix */
  P2pIdentity *identity;
  P2pPasswordVerifier *verifier;
  P2pDirectSignaller *device;
  P2pCameraSession *session;    /* loop thread */
} Cam;

struct _Fixture
{
  P2pLoop *loop;
  P2pAuthBackoff *backoff;
  Cam camera;                   /* the camera the signaller vouches for */
  P2pDirectSignaller *viewer;
  /* A host on the local network answering for the same UID (vouched for
   * by nobody), when the test has one. */
  Cam rogue;
  P2pDirectSignaller *rogue_viewer;
  P2pViewerSession *session;

  /* What both sides reported, as strings: "camera:incoming",
   * "camera:joined", "camera:ended:REASON", "viewer:connecting",
   * "viewer:connected", "viewer:retrying:CODE", "viewer:failed:CODE",
   * "viewer:warning:CODE"; a rogue camera's with its own name. */
  GAsyncQueue *events;
  /* The server's lie: the password parameters it puts in the offer. */
  const gchar *forged_params;
};

static void
push (Fixture * f, const gchar * event)
{
  g_async_queue_push (f->events, g_strdup (event));
}

/* ---- The camera: a camera session behind the direct signaller ---- */

static void
cam_push (Cam * cam, const gchar * what)
{
  g_autofree gchar *event = g_strconcat (cam->name, ":", what, NULL);

  push (cam->f, event);
}

static void
cam_configure (P2pCameraSession * s, P2pTransport * t, gpointer data)
{
  g_assert_true (p2p_transport_add_local_address (t, "127.0.0.1"));
}

static gboolean
cam_send_offer (P2pCameraSession * s, const gchar * sdp, GError ** error,
    gpointer data)
{
  Cam *cam = data;
  Fixture *f = cam->f;
  g_autofree gchar *forged = NULL;
  GstSDPMessage *msg = NULL;

  if (f->forged_params) {
    GstSDPAttribute attr = { NULL };
    guint i;

    g_assert_cmpint (gst_sdp_message_new_from_text (sdp, &msg), ==, GST_SDP_OK);
    for (i = 0; i < gst_sdp_message_attributes_len (msg); i++)
      if (g_str_equal (gst_sdp_message_get_attribute (msg, i)->key,
              P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE))
        break;
    /* The camera announced its own. */
    g_assert_cmpuint (i, <, gst_sdp_message_attributes_len (msg));
    gst_sdp_attribute_set (&attr, P2P_PASSWORD_PARAMS_SDP_ATTRIBUTE,
        f->forged_params);
    gst_sdp_message_replace_attribute (msg, i, &attr);
    sdp = forged = gst_sdp_message_as_text (msg);
    gst_sdp_message_free (msg);
  }
  return p2p_signaller_send_offer (P2P_SIGNALLER (cam->device),
      p2p_camera_session_get_call (s), sdp, error);
}

static void
cam_send_candidate (P2pCameraSession * s, const gchar * c, gpointer data)
{
  Cam *cam = data;

  p2p_signaller_send_candidate (P2P_SIGNALLER (cam->device),
      p2p_camera_session_get_call (s), c, NULL, NULL);
}

static void
cam_end_call (P2pCameraSession * s, const gchar * reason, gpointer data)
{
  Cam *cam = data;

  p2p_signaller_end_call (P2P_SIGNALLER (cam->device),
      p2p_camera_session_get_call (s), reason, NULL);
}

static gboolean
cam_admit (P2pCameraSession * s, gpointer data)
{
  return TRUE;
}

static void
cam_joined (P2pCameraSession * s, gpointer data)
{
  cam_push (data, "joined");
}

static void
cam_nothing (P2pCameraSession * s, gpointer data)
{
}

static void
cam_left (P2pCameraSession * s, const gchar * reason, gpointer data)
{
}

static const P2pCameraSessionCallbacks cam_callbacks = {
  cam_configure, cam_send_offer, cam_send_candidate, cam_end_call, cam_admit,
  cam_joined, cam_left, cam_nothing, cam_nothing, NULL, cam_nothing
};

static void
device_on_incoming (P2pSignaller * sig, const gchar * call,
    const gchar * viewer, const gchar * address, Cam * cam)
{
  Fixture *f = cam->f;
  P2pCameraSessionConfig config = {
    f->loop, cam->identity, UID, cam->verifier, f->backoff, NULL, TIMEOUT_MS
  };
  GstSDPMessage *media;
  GstSDPMedia *m;

  cam_push (cam, "incoming");
  if (cam->session)
    p2p_camera_session_close (cam->session, "bye", TRUE);
  g_clear_object (&cam->session);
  cam->session = p2p_camera_session_new (&config, call, "viewer-1", address,
      &cam_callbacks, cam);
  gst_sdp_message_new (&media);
  gst_sdp_media_new (&m);
  gst_sdp_media_set_media (m, "video");
  gst_sdp_media_add_format (m, "96");
  gst_sdp_media_add_attribute (m, "rtpmap", "96 H264/90000");
  gst_sdp_media_add_attribute (m, "sendonly", "");
  gst_sdp_message_add_media (media, m);
  gst_sdp_media_free (m);
  g_assert_true (p2p_camera_session_start (cam->session, media));
  gst_sdp_message_free (media);
}

static gboolean
camera_call_is (Cam * cam, const gchar * call)
{
  return cam->session && g_strcmp0 (p2p_camera_session_get_call
      (cam->session), call) == 0;
}

static void
device_on_answer (P2pSignaller * sig, const gchar * call, const gchar * sdp,
    Cam * cam)
{
  if (camera_call_is (cam, call))
    p2p_camera_session_set_answer (cam->session, sdp);
}

static void
device_on_candidate (P2pSignaller * sig, const gchar * call,
    const gchar * candidate, const gchar * mid, Cam * cam)
{
  if (camera_call_is (cam, call))
    p2p_camera_session_add_candidate (cam->session, candidate);
}

static void
device_on_ended (P2pSignaller * sig, const gchar * call,
    const gchar * reason, Cam * cam)
{
  g_autofree gchar *event = g_strconcat ("ended:", reason, NULL);

  if (camera_call_is (cam, call))
    p2p_camera_session_close (cam->session, reason, FALSE);
  cam_push (cam, event);
}

/* A camera of its own identity and @password, its events named @name. */
static void
cam_init (Cam * cam, Fixture * f, const gchar * name, const gchar * password)
{
  g_autoptr (GError) error = NULL;

  cam->f = f;
  cam->name = name;
  cam->identity = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, UID, 30,
      &error);
  g_assert_no_error (error);
  cam->verifier = p2p_password_verifier_new (password, 1000, &error);
  g_assert_no_error (error);
}

/* Its direct signaller pair, which vouches for @vouched (%NULL: for none,
 * as the local network); the viewer end goes to @viewer. */
static void
cam_pair (Cam * cam, const gchar * vouched, P2pDirectSignaller ** viewer)
{
  p2p_direct_signaller_new_pair (cam->f->loop, UID, vouched, &cam->device,
      viewer);
  g_signal_connect (cam->device, "incoming-call",
      G_CALLBACK (device_on_incoming), cam);
  g_signal_connect (cam->device, "remote-answer",
      G_CALLBACK (device_on_answer), cam);
  g_signal_connect (cam->device, "remote-candidate",
      G_CALLBACK (device_on_candidate), cam);
  g_signal_connect (cam->device, "call-ended", G_CALLBACK (device_on_ended),
      cam);
}

/* Loop thread. */
static void
cam_stop (Cam * cam)
{
  if (cam->session)
    p2p_camera_session_close (cam->session, "shutdown", FALSE);
  g_clear_object (&cam->session);
  p2p_signaller_stop (P2P_SIGNALLER (cam->device));
  g_signal_handlers_disconnect_by_data (cam->device, cam);
}

static void
cam_clear (Cam * cam)
{
  g_clear_object (&cam->device);
  g_clear_object (&cam->identity);
  g_clear_pointer (&cam->verifier, p2p_password_verifier_free);
}

/* ---- The viewer session's callbacks ---- */

static void
viewer_configure (P2pViewerSession * s, P2pTransport * t, P2pSignaller * sig,
    const gchar * call, gpointer data)
{
  g_assert_true (p2p_transport_add_local_address (t, "127.0.0.1"));
}

/* Receives whatever the camera offers, with the transport's defaults. */
static GstSDPMessage *
viewer_answer_media (P2pViewerSession * s, const GstSDPMessage * offer,
    gpointer data)
{
  GstSDPMessage *media;

  if (gst_sdp_message_medias_len (offer) == 0)
    return NULL;
  gst_sdp_message_new (&media);
  return media;
}

static void
viewer_connecting (P2pViewerSession * s, gpointer data)
{
  push (data, "viewer:connecting");
}

static void
viewer_connected (P2pViewerSession * s, gpointer data)
{
  push (data, "viewer:connected");
}

static void
viewer_retrying (P2pViewerSession * s, const GError * error,
    const gchar * debug, gpointer data)
{
  g_autofree gchar *event = NULL;

  g_assert_true (error->domain == P2P_VIEWER_SESSION_ERROR);
  event = g_strdup_printf ("viewer:retrying:%d", error->code);
  push (data, event);
}

static void
viewer_failed (P2pViewerSession * s, const GError * error,
    const gchar * debug, gpointer data)
{
  g_autofree gchar *event = NULL;

  g_assert_true (error->domain == P2P_VIEWER_SESSION_ERROR);
  g_assert_nonnull (error->message);
  event = g_strdup_printf ("viewer:failed:%d", error->code);
  push (data, event);
}

static void
viewer_warning (P2pViewerSession * s, const GError * error,
    const gchar * debug, gpointer data)
{
  g_autofree gchar *event = g_strdup_printf ("viewer:warning:%d",
      error->code);

  push (data, event);
}

static void
viewer_media (P2pViewerSession * s, gboolean is_rtcp, const guint8 * d,
    gsize size, gpointer data)
{
}

static const P2pViewerSessionCallbacks viewer_callbacks = {
  viewer_configure, viewer_answer_media, viewer_connecting, viewer_connected,
  viewer_retrying, viewer_failed, viewer_warning, viewer_media
};

/* ---- Fixture ---- */

static void
setup_session (Fixture * f, P2pSignaller * signaller, const gchar * password,
    const gchar * pin)
{
  P2pViewerSessionConfig config = { NULL };

  config.loop = f->loop;
  config.uid = UID;
  config.password = password;
  config.device_fingerprint = pin;
  config.signaller = signaller;
  config.timeout_ms = TIMEOUT_MS;
  config.reconnect = TRUE;
  f->session = p2p_viewer_session_new (&config, &viewer_callbacks, f);
}

static void
setup_with (Fixture * f, const gchar * vouched, const gchar * password,
    const gchar * pin)
{
  f->loop = p2p_loop_new ("viewer-session");
  f->backoff = p2p_auth_backoff_new (1000, 60000, 16);
  f->events = g_async_queue_new_full (g_free);
  cam_init (&f->camera, f, "camera", PASSWORD);
  cam_pair (&f->camera, vouched ? vouched :
      p2p_identity_get_fingerprint (f->camera.identity), &f->viewer);
  if (password)
    setup_session (f, P2P_SIGNALLER (f->viewer), password, pin);
}

static void
setup (Fixture * f, gconstpointer data)
{
  setup_with (f, NULL, PASSWORD, NULL);
}

/* Starts the camera end of a Cam's pair. */
static gboolean
start_device (gpointer data)
{
  Cam *cam = data;

  p2p_signaller_start (P2P_SIGNALLER (cam->device));
  return G_SOURCE_REMOVE;
}

static gboolean
start_viewer (gpointer data)
{
  Fixture *f = data;

  p2p_viewer_session_start (f->session);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_viewer (gpointer data)
{
  Fixture *f = data;

  p2p_viewer_session_stop (f->session);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_all (gpointer data)
{
  Fixture *f = data;

  p2p_viewer_session_stop (f->session);
  cam_stop (&f->camera);
  if (f->rogue.device)
    cam_stop (&f->rogue);
  return G_SOURCE_REMOVE;
}

static void
teardown (Fixture * f, gconstpointer data)
{
  p2p_loop_invoke_sync (f->loop, stop_all, f);
  g_clear_object (&f->session);
  g_clear_object (&f->viewer);
  g_clear_object (&f->rogue_viewer);
  cam_clear (&f->camera);
  cam_clear (&f->rogue);
  g_clear_object (&f->loop);
  g_clear_object (&f->backoff);
  g_async_queue_unref (f->events);
}

/* Waits for an event starting with @prefix and returns it; fails the test
 * on an event starting with @forbidden first, or at the time-out. */
static gchar *
wait_for (Fixture * f, const gchar * prefix, const gchar * forbidden)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;

  while (g_get_monotonic_time () < deadline) {
    gchar *ev = g_async_queue_timeout_pop (f->events, 1000 * 1000);

    if (ev == NULL)
      continue;
    if (forbidden && g_str_has_prefix (ev, forbidden))
      g_error ("unexpected event %s while waiting for %s", ev, prefix);
    if (g_str_has_prefix (ev, prefix))
      return ev;
    g_free (ev);
  }
  g_error ("no %s within %u ms", prefix, TIMEOUT_MS);
  return NULL;
}

static gint
event_code (const gchar * event)
{
  return atoi (strrchr (event, ':') + 1);
}

static void
start (Fixture * f, gboolean device_too)
{
  if (device_too)
    p2p_loop_invoke_sync (f->loop, start_device, &f->camera);
  p2p_loop_invoke_sync (f->loop, start_viewer, f);
}

/* ---- Tests ---- */

/* The whole call: signalling, ICE, DTLS, the login both ways; then
 * commands may go, and stopping ends the call at the camera. */
static void
test_call (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (P2pTransportStats) st = NULL;
  g_autofree gchar *ended = NULL;
  guint64 id;

  g_assert_cmpuint (p2p_viewer_session_send_command (f->session, "ping",
          NULL, &error), ==, 0);
  g_assert_error (error, P2P_VIEWER_SESSION_ERROR,
      P2P_VIEWER_SESSION_ERROR_NOT_ADMITTED);
  g_clear_error (&error);

  start (f, TRUE);
  g_free (wait_for (f, "viewer:connected", "viewer:f"));
  g_assert_cmpint (p2p_viewer_session_get_state (f->session), ==,
      P2P_VIEWER_SESSION_STATE_PLAYING);
  g_assert_true (p2p_viewer_session_is_admitted (f->session));
  g_assert_cmpuint (p2p_viewer_session_get_attempts (f->session), ==, 1);
  g_assert_cmpint (p2p_viewer_session_get_connected_time (f->session), >=,
      p2p_viewer_session_get_start_time (f->session));
  st = p2p_viewer_session_get_stats (f->session);
  g_assert_nonnull (st);

  id = p2p_viewer_session_send_command (f->session, "ping", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, 1);
  id = p2p_viewer_session_send_command (f->session, "ping", NULL, &error);
  g_assert_cmpuint (id, ==, 2);

  p2p_loop_invoke_sync (f->loop, stop_viewer, f);
  ended = wait_for (f, "camera:ended:", NULL);
  g_assert_cmpstr (ended, ==, "camera:ended:bye");
  g_assert_false (p2p_viewer_session_is_admitted (f->session));
  g_assert_cmpint (p2p_viewer_session_get_state (f->session), ==,
      P2P_VIEWER_SESSION_STATE_IDLE);
}

/* The server rewrites the salt and iteration count the camera announces
 * in its offer (the most it may ask: 2 000 000 iterations): the viewer
 * hashed ahead with them, finds inside DTLS that they are not the
 * camera's, hashes again with the camera's, and is let in, at once. */
static void
test_forged_offer_params (Fixture * f, gconstpointer data)
{
  f->forged_params = "spake2plus-p256 2000000 AAECAwQFBgcICQoLDA0ODw==";
  start (f, TRUE);
  g_free (wait_for (f, "viewer:connected", "viewer:f"));
  g_assert_true (p2p_viewer_session_is_admitted (f->session));
  g_assert_cmpuint (p2p_viewer_session_get_attempts (f->session), ==, 1);
}

/* A wrong password is final: the camera does not prove it, and retrying
 * would only feed the camera's back-off table. */
static void
test_wrong_password (Fixture * f, gconstpointer data)
{
  g_autofree gchar *failed = NULL;

  teardown (f, NULL);
  setup_with (f, NULL, "wrong", NULL);
  start (f, TRUE);
  failed = wait_for (f, "viewer:failed:", "viewer:connected");
  g_assert_cmpint (event_code (failed), ==,
      P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED);
  g_assert_cmpint (p2p_viewer_session_get_state (f->session), ==,
      P2P_VIEWER_SESSION_STATE_FAILED);
  g_assert_false (p2p_viewer_session_is_admitted (f->session));
  g_assert_cmpuint (p2p_viewer_session_get_attempts (f->session), ==, 1);
}

/* The signaller vouches for another certificate than the camera's (an
 * impersonating server would): the DTLS handshake fails, for good. */
static void
test_fingerprint_mismatch (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (P2pIdentity) other = p2p_identity_generate
      (P2P_KEY_TYPE_ECDSA_P256, UID, 30, &error);
  g_autofree gchar *failed = NULL;

  g_assert_no_error (error);
  teardown (f, NULL);
  setup_with (f, p2p_identity_get_fingerprint (other), PASSWORD, NULL);
  start (f, TRUE);
  failed = wait_for (f, "viewer:failed:", "viewer:connected");
  g_assert_cmpint (event_code (failed), ==,
      P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH);
  g_assert_false (p2p_viewer_session_is_admitted (f->session));
}

/* A pin that the signaller's certificate does not match: refused before
 * any path is set up. */
static void
test_pin_mismatch (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (P2pIdentity) other = p2p_identity_generate
      (P2P_KEY_TYPE_ECDSA_P256, UID, 30, &error);
  g_autofree gchar *failed = NULL;

  g_assert_no_error (error);
  teardown (f, NULL);
  setup_with (f, NULL, PASSWORD, p2p_identity_get_fingerprint (other));
  start (f, TRUE);
  failed = wait_for (f, "viewer:failed:", "viewer:connected");
  g_assert_cmpint (event_code (failed), ==,
      P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH);
}

/* The camera is gone: the session says it retries, and gets through by
 * itself once the camera is back. */
static void
test_camera_gone_retry (Fixture * f, gconstpointer data)
{
  g_autofree gchar *retrying = NULL;

  start (f, FALSE);
  retrying = wait_for (f, "viewer:retrying:", "viewer:connected");
  g_assert_cmpint (event_code (retrying), ==,
      P2P_VIEWER_SESSION_ERROR_UNREACHABLE);
  p2p_loop_invoke_sync (f->loop, start_device, &f->camera);
  g_free (wait_for (f, "viewer:connected", "viewer:failed"));
  g_assert_cmpuint (p2p_viewer_session_get_attempts (f->session), >=, 2);
  g_assert_true (p2p_viewer_session_is_admitted (f->session));
}

/* With reconnecting off, the first transient fault is final. */
static void
test_no_reconnect (Fixture * f, gconstpointer data)
{
  g_autofree gchar *failed = NULL;

  p2p_viewer_session_set_reconnect (f->session, FALSE);
  start (f, FALSE);
  failed = wait_for (f, "viewer:failed:", "viewer:retrying");
  g_assert_cmpint (event_code (failed), ==,
      P2P_VIEWER_SESSION_ERROR_UNREACHABLE);
  g_assert_cmpint (p2p_viewer_session_get_state (f->session), ==,
      P2P_VIEWER_SESSION_STATE_FAILED);
  g_assert_cmpuint (p2p_viewer_session_get_attempts (f->session), ==, 1);
}

static gboolean
close_camera (gpointer data)
{
  Fixture *f = data;

  p2p_camera_session_close (f->camera.session, "shutdown", TRUE);
  return G_SOURCE_REMOVE;
}

/* The camera goes away during a call: the session notices, retries, and
 * is admitted again on a new call. */
static void
test_camera_gone_mid_call (Fixture * f, gconstpointer data)
{
  g_autofree gchar *retrying = NULL;

  start (f, TRUE);
  g_free (wait_for (f, "viewer:connected", "viewer:f"));
  p2p_loop_invoke_sync (f->loop, close_camera, f);
  retrying = wait_for (f, "viewer:retrying:", "viewer:failed");
  g_assert_cmpint (event_code (retrying), ==,
      P2P_VIEWER_SESSION_ERROR_UNREACHABLE);
  g_free (wait_for (f, "viewer:connected", "viewer:failed"));
  g_assert_cmpuint (p2p_viewer_session_get_attempts (f->session), ==, 2);
  g_assert_true (p2p_viewer_session_is_admitted (f->session));
}

/* Stopped while the call is being set up: the camera is told, nothing more
 * is reported, and the session can start again from scratch. */
static void
test_cancel_during_connect (Fixture * f, gconstpointer data)
{
  g_autofree gchar *ended = NULL;
  gchar *ev;

  start (f, TRUE);
  g_free (wait_for (f, "camera:incoming", "viewer:connected"));
  p2p_loop_invoke_sync (f->loop, stop_viewer, f);
  g_assert_cmpint (p2p_viewer_session_get_state (f->session), ==,
      P2P_VIEWER_SESSION_STATE_IDLE);
  ended = wait_for (f, "camera:ended:", "viewer:connected");
  g_assert_cmpstr (ended, ==, "camera:ended:bye");
  /* Whatever the loop still had queued has run by now. */
  p2p_loop_invoke_sync (f->loop, stop_viewer, f);
  while ((ev = g_async_queue_try_pop (f->events))) {
    g_assert_false (g_str_has_prefix (ev, "viewer:"));
    g_free (ev);
  }
  g_assert_false (p2p_viewer_session_is_admitted (f->session));

  p2p_loop_invoke_sync (f->loop, start_viewer, f);
  g_free (wait_for (f, "viewer:connected", "viewer:failed"));
}

static gboolean
start_session (gpointer data)
{
  p2p_viewer_session_start (data);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_session (gpointer data)
{
  p2p_viewer_session_stop (data);
  return G_SOURCE_REMOVE;
}

/* An attempt that times out before its call started cancels that call
 * (the camera is not left holding it), and the next attempt calls again
 * rather than being refused as a duplicate of a call still being set up. */
static void
test_timeout_cancels_call (Fixture * f, gconstpointer data)
{
  g_autoptr (TestManualSignaller) manual = test_manual_signaller_new (f->loop);
  g_autoptr (P2pCombinedSignaller) combined = NULL;
  g_autoptr (P2pViewerSession) session = NULL;
  g_autofree gchar *first = NULL, *cancelled = NULL, *again = NULL;
  P2pViewerSessionConfig config = { NULL };
  P2pSignaller *children[1];

  children[0] = P2P_SIGNALLER (manual);
  combined = p2p_combined_signaller_new (children, 1);
  config.loop = f->loop;
  config.uid = UID;
  config.password = PASSWORD;
  config.signaller = P2P_SIGNALLER (combined);
  /* Nobody answers: the attempt ends at this time-out. */
  config.timeout_ms = 200;
  config.reconnect = TRUE;
  session = p2p_viewer_session_new (&config, &viewer_callbacks, f);
  p2p_loop_invoke_sync (f->loop, start_session, session);

  first = test_manual_signaller_pop (manual);
  g_assert_cmpstr (first, ==, "call " UID);
  cancelled = test_manual_signaller_pop (manual);
  g_assert_cmpstr (cancelled, ==, "cancel " UID);
  again = test_manual_signaller_pop (manual);
  g_assert_cmpstr (again, ==, "call " UID);
  p2p_loop_invoke_sync (f->loop, stop_session, session);
}

/* A host on the local network that knows the UID (a former viewer, say)
 * answers first, through a signaller that vouches for no certificate, and
 * fails to prove it is the camera: with a pin (@data non-NULL) its
 * certificate is refused in the handshake, without one its login fails.
 * The viewer warns and goes on through the signaller that vouches for the
 * camera (the server's), which reaches the real camera once it is up; the
 * rogue is not asked again (issue 11). Before, that refusal stopped the
 * viewer for good. */
static void
setup_rogue (Fixture * f, gconstpointer data)
{
  g_autoptr (P2pCombinedSignaller) combined = NULL;
  P2pSignaller *children[2];

  setup_with (f, NULL, NULL, NULL);
  cam_init (&f->rogue, f, "rogue", "the rogue's own password");
  cam_pair (&f->rogue, NULL, &f->rogue_viewer);
  /* The server's first, as p2psrc combines them. */
  children[0] = P2P_SIGNALLER (f->viewer);
  children[1] = P2P_SIGNALLER (f->rogue_viewer);
  combined = p2p_combined_signaller_new (children, 2);
  setup_session (f, P2P_SIGNALLER (combined), PASSWORD, data ?
      p2p_identity_get_fingerprint (f->camera.identity) : NULL);
}

static void
test_rogue_lan_host (Fixture * f, gconstpointer data)
{
  g_autofree gchar *warning = NULL, *ev = NULL;

  /* The camera is not up yet (the server says "offline"): the rogue's
   * answer is the only one, whatever the machine's load. */
  p2p_loop_invoke_sync (f->loop, start_device, &f->rogue);
  start (f, FALSE);
  g_free (wait_for (f, "rogue:incoming", "viewer:failed"));
  warning = wait_for (f, "viewer:warning", "viewer:failed");
  g_assert_cmpint (event_code (warning), ==, data ?
      P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH :
      P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED);

  p2p_loop_invoke_sync (f->loop, start_device, &f->camera);
  g_free (wait_for (f, "viewer:connected", "viewer:failed"));
  g_assert_true (p2p_viewer_session_is_admitted (f->session));
  /* Everything the rogue heard since: its call's end, nothing more. */
  while ((ev = g_async_queue_try_pop (f->events))) {
    g_assert_false (g_str_has_prefix (ev, "rogue:incoming"));
    g_free (ev);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/p2p/viewer-session/call", test_call);
  ADD ("/p2p/viewer-session/wrong-password", test_wrong_password);
  ADD ("/p2p/viewer-session/forged-offer-params", test_forged_offer_params);
  ADD ("/p2p/viewer-session/fingerprint-mismatch", test_fingerprint_mismatch);
  ADD ("/p2p/viewer-session/pin-mismatch", test_pin_mismatch);
  ADD ("/p2p/viewer-session/camera-gone-retry", test_camera_gone_retry);
  ADD ("/p2p/viewer-session/no-reconnect", test_no_reconnect);
  ADD ("/p2p/viewer-session/camera-gone-mid-call", test_camera_gone_mid_call);
  ADD ("/p2p/viewer-session/cancel-during-connect", test_cancel_during_connect);
  ADD ("/p2p/viewer-session/timeout-cancels-call", test_timeout_cancels_call);
#undef ADD
  g_test_add ("/p2p/viewer-session/rogue-lan-host/pinned", Fixture, "pin",
      setup_rogue, test_rogue_lan_host, teardown);
  g_test_add ("/p2p/viewer-session/rogue-lan-host/password", Fixture, NULL,
      setup_rogue, test_rogue_lan_host, teardown);
  return g_test_run ();
}
