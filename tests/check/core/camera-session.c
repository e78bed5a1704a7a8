/* P2pCameraSession without an element: a camera session and a viewer
 * (a bare transport and login) in one process, the test thread playing
 * the signaller through the session's seam.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>

#define TIMEOUT_MS 20000
#define UID "7KQ2-M9XD-4HPA-R3WV"
#define PASSWORD "correct horse battery staple"

typedef struct
{
  P2pLoop *camera_loop;
  P2pLoop *viewer_loop;
  P2pIdentity *identity;
  P2pPasswordVerifier *verifier;
  P2pAuthBackoff *backoff;
  P2pMessageRouter *router;
  P2pCameraSession *session;
  gboolean admit;

  /* What the camera's callbacks saw, and what goes to the viewer: strings
   * "offer:SDP", "candidate:LINE", "joined", "left:REASON", "closed",
   * "routed:TYPE". */
  GAsyncQueue *camera_events;
  GAsyncQueue *viewer_candidates;
  GPtrArray *events;

  P2pTransport *viewer;
  const gchar *viewer_password;
  gboolean viewer_silent;       /* does not log in */
  P2pViewerAuth *auth;          /* viewer loop */
  gchar *viewer_outcome;        /* viewer loop, then read */
  GMutex lock;
} Fixture;

static void
cam_configure (P2pCameraSession * s, P2pTransport * t, gpointer data)
{
  g_assert_true (p2p_transport_add_local_address (t, "127.0.0.1"));
}

static gboolean
cam_send_offer (P2pCameraSession * s, const gchar * sdp, GError ** error,
    gpointer data)
{
  Fixture *f = data;

  g_async_queue_push (f->camera_events, g_strconcat ("offer:", sdp, NULL));
  return TRUE;
}

static void
cam_send_candidate (P2pCameraSession * s, const gchar * c, gpointer data)
{
  Fixture *f = data;

  g_async_queue_push (f->camera_events, g_strconcat ("candidate:", c, NULL));
}

static void
cam_end_call (P2pCameraSession * s, const gchar * reason, gpointer data)
{
}

static gboolean
cam_admit (P2pCameraSession * s, gpointer data)
{
  Fixture *f = data;

  return f->admit;
}

static void
cam_event (Fixture * f, const gchar * prefix, const gchar * detail)
{
  g_async_queue_push (f->camera_events, g_strconcat (prefix, detail, NULL));
}

static void
cam_joined (P2pCameraSession * s, gpointer data)
{
  cam_event (data, "joined", "");
}

static void
cam_left (P2pCameraSession * s, const gchar * reason, gpointer data)
{
  cam_event (data, "left:", reason);
}

static void
cam_closed (P2pCameraSession * s, gpointer data)
{
  cam_event (data, "closed", "");
}

static void
cam_path_changed (P2pCameraSession * s, gpointer data)
{
  cam_event (data, "path:", p2p_transport_state_to_string
      (p2p_transport_get_state (p2p_camera_session_get_transport (s))));
}

static void
cam_media_wait_done (P2pCameraSession * s, gpointer data)
{
  cam_event (data, "media-wait-done", "");
}

static const P2pCameraSessionCallbacks callbacks = {
  cam_configure, cam_send_offer, cam_send_candidate, cam_end_call, cam_admit,
  cam_joined, cam_left, cam_closed, cam_path_changed, NULL,
  cam_media_wait_done
};

static void
route_ping (JsonObject * message, gpointer context, gpointer data)
{
  Fixture *f = data;

  g_assert_true (P2P_IS_CAMERA_SESSION (context));
  cam_event (f, "routed:", json_object_get_string_member (message, "type"));
}

/* The viewer's side of the login, on its loop thread. */
static void
viewer_on_message (P2pTransport * t, GBytes * message, Fixture * f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = NULL;

  if (f->viewer_silent)
    return;
  if (f->auth == NULL) {
    g_autoptr (GBytes) exporter = p2p_transport_export_keying_material (t,
        P2P_VIEWER_AUTH_EXPORTER_LABEL, P2P_VIEWER_AUTH_EXPORTER_SIZE, NULL);

    f->auth = p2p_viewer_auth_new_viewer (UID, f->viewer_password, exporter);
  }
  if (!p2p_viewer_auth_receive (f->auth, message, &reply, &error)) {
    g_mutex_lock (&f->lock);
    f->viewer_outcome = g_strdup (error->message);
    g_mutex_unlock (&f->lock);
    /* As p2psrc does: a camera that did not prove the password is left. */
    p2p_transport_close (t);
    return;
  }
  if (reply)
    p2p_transport_send_message (t, reply, NULL);
  if (p2p_viewer_auth_get_state (f->auth) == P2P_VIEWER_AUTH_STATE_ACCEPTED) {
    g_mutex_lock (&f->lock);
    f->viewer_outcome = g_strdup ("accepted");
    g_mutex_unlock (&f->lock);
  }
}

static void
viewer_on_candidate (P2pTransport * t, const gchar * c, Fixture * f)
{
  g_async_queue_push (f->viewer_candidates, g_strdup (c));
}

static void
setup (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_mutex_init (&f->lock);
  f->camera_loop = p2p_loop_new ("camera");
  f->viewer_loop = p2p_loop_new ("viewer");
  f->identity = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, UID, 30,
      &error);
  g_assert_no_error (error);
  f->verifier = p2p_password_verifier_new (PASSWORD, 1000, &error);
  g_assert_no_error (error);
  f->backoff = p2p_auth_backoff_new (1000, 60000, 16);
  f->router = p2p_message_router_new ();
  p2p_message_router_add (f->router, "ping", route_ping, f);
  f->camera_events = g_async_queue_new_full (g_free);
  f->viewer_candidates = g_async_queue_new_full (g_free);
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->admit = TRUE;
  f->viewer_password = PASSWORD;
}

static gboolean
close_session (gpointer data)
{
  Fixture *f = data;

  p2p_camera_session_close (f->session, "shutdown", TRUE);
  g_clear_object (&f->session);
  return G_SOURCE_REMOVE;
}

static gboolean
close_viewer (gpointer data)
{
  Fixture *f = data;

  if (f->viewer)
    p2p_transport_close (f->viewer);
  g_clear_object (&f->viewer);
  g_clear_object (&f->auth);
  return G_SOURCE_REMOVE;
}

static void
teardown (Fixture * f, gconstpointer data)
{
  if (f->session)
    p2p_loop_invoke_sync (f->camera_loop, close_session, f);
  p2p_loop_invoke_sync (f->viewer_loop, close_viewer, f);
  g_clear_object (&f->camera_loop);
  g_clear_object (&f->viewer_loop);
  g_clear_object (&f->identity);
  p2p_password_verifier_free (f->verifier);
  g_clear_object (&f->backoff);
  p2p_message_router_free (f->router);
  g_async_queue_unref (f->camera_events);
  g_async_queue_unref (f->viewer_candidates);
  g_ptr_array_unref (f->events);
  g_free (f->viewer_outcome);
  g_mutex_clear (&f->lock);
}

typedef struct
{
  Fixture *f;
  const gchar *text;
} Call;

static gboolean
start_session (gpointer data)
{
  Fixture *f = data;
  P2pCameraSessionConfig config = {
    f->camera_loop, f->identity, UID, f->verifier, f->backoff, f->router,
    10000
  };
  GstSDPMessage *media;
  GstSDPMedia *m;

  f->session = p2p_camera_session_new (&config, "call-1", "viewer-1",
      "127.0.0.1", &callbacks, f);
  gst_sdp_message_new (&media);
  gst_sdp_media_new (&m);
  gst_sdp_media_set_media (m, "video");
  gst_sdp_media_add_format (m, "96");
  gst_sdp_media_add_attribute (m, "rtpmap", "96 H264/90000");
  gst_sdp_media_add_attribute (m, "sendonly", "");
  gst_sdp_message_add_media (media, m);
  gst_sdp_media_free (m);
  g_assert_true (p2p_camera_session_start (f->session, media));
  g_assert_cmpint (p2p_camera_session_get_state (f->session), ==,
      P2P_CAMERA_SESSION_STATE_CONNECTING);
  gst_sdp_message_free (media);
  return G_SOURCE_REMOVE;
}

static gboolean
deliver_answer (gpointer data)
{
  Call *call = data;

  p2p_camera_session_set_answer (call->f->session, call->text);
  return G_SOURCE_REMOVE;
}

static gboolean
deliver_candidate (gpointer data)
{
  Call *call = data;

  p2p_camera_session_add_candidate (call->f->session, call->text);
  return G_SOURCE_REMOVE;
}

static gboolean
make_viewer (gpointer data)
{
  Fixture *f = data;

  f->viewer = p2p_transport_new (f->viewer_loop, NULL, FALSE);
  g_assert_true (p2p_transport_add_local_address (f->viewer, "127.0.0.1"));
  g_signal_connect (f->viewer, "message-received",
      G_CALLBACK (viewer_on_message), f);
  g_signal_connect (f->viewer, "local-candidate",
      G_CALLBACK (viewer_on_candidate), f);
  return G_SOURCE_REMOVE;
}

/* Runs the signaller until an event starting with @prefix, which it
 * returns (or %NULL at the time-out). Other events are kept in f->events. */
static gchar *
run_until (Fixture * f, const gchar * prefix)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;

  while (g_get_monotonic_time () < deadline) {
    gchar *ev = g_async_queue_timeout_pop (f->camera_events, 2000);
    gchar *c;

    while ((c = g_async_queue_try_pop (f->viewer_candidates))) {
      Call call = { f, c };

      p2p_loop_invoke_sync (f->camera_loop, deliver_candidate, &call);
      g_free (c);
    }
    if (ev == NULL)
      continue;
    if (g_str_has_prefix (ev, "offer:")) {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *answer = NULL;
      Call call = { f, NULL };

      g_assert_true (p2p_transport_set_remote_description (f->viewer,
              ev + 6, &error));
      g_assert_no_error (error);
      answer = p2p_transport_create_answer (f->viewer, NULL, &error);
      g_assert_no_error (error);
      call.text = answer;
      p2p_loop_invoke_sync (f->camera_loop, deliver_answer, &call);
    } else if (g_str_has_prefix (ev, "candidate:")) {
      p2p_transport_add_remote_candidate (f->viewer, ev + 10, NULL);
    }
    if (g_str_has_prefix (ev, prefix))
      return ev;
    g_ptr_array_add (f->events, ev);
  }
  return NULL;
}

static void
connect_viewer (Fixture * f)
{
  p2p_loop_invoke_sync (f->viewer_loop, make_viewer, f);
  p2p_loop_invoke_sync (f->camera_loop, start_session, f);
}

static void
viewer_send (Fixture * f, const gchar * text)
{
  g_autoptr (GBytes) msg = g_bytes_new (text, strlen (text));

  g_assert_true (p2p_transport_send_message (f->viewer, msg, NULL));
}

/* The whole call: offer, answer, ICE, DTLS, login, admission; then the
 * admitted viewer's messages reach their handler by type. */
static void
test_login_then_route (Fixture * f, gconstpointer data)
{
  g_autofree gchar *joined = NULL, *routed = NULL, *closed = NULL;

  connect_viewer (f);
  joined = run_until (f, "joined");
  g_assert_nonnull (joined);
  viewer_send (f, "{\"type\":\"nobody-handles-this\"}");
  viewer_send (f, "not json");
  viewer_send (f, "{\"type\":\"ping\"}");
  routed = run_until (f, "routed:");
  g_assert_cmpstr (routed, ==, "routed:ping");
  g_assert_cmpint (p2p_camera_session_get_state (f->session), ==,
      P2P_CAMERA_SESSION_STATE_ACTIVE);

  p2p_loop_invoke_sync (f->viewer_loop, close_viewer, f);
  closed = run_until (f, "closed");
  g_assert_nonnull (closed);
}

static void
test_wrong_password (Fixture * f, gconstpointer data)
{
  g_autofree gchar *left = NULL;

  f->viewer_password = "wrong";
  connect_viewer (f);
  left = run_until (f, "left:");
  g_assert_cmpstr (left, ==, "left:wrong-password");
  g_free (run_until (f, "closed"));
}

static void
test_busy (Fixture * f, gconstpointer data)
{
  g_autofree gchar *left = NULL;

  f->admit = FALSE;
  connect_viewer (f);
  left = run_until (f, "left:");
  g_assert_cmpstr (left, ==, "left:busy");
}

/* Before admission every message is the login's: a routed type sent
 * first reaches no handler, and ends the call. */
static void
test_no_route_before_login (Fixture * f, gconstpointer data)
{
  g_autofree gchar *left = NULL;
  guint i;

  f->viewer_silent = TRUE;
  connect_viewer (f);
  /* Sent once the path is up, instead of the login. */
  g_free (run_until (f, "path:connected"));
  viewer_send (f, "{\"type\":\"ping\"}");
  left = run_until (f, "left:");
  g_assert_cmpstr (left, ==, "left:bad-request");
  for (i = 0; i < f->events->len; i++)
    g_assert_false (g_str_has_prefix (g_ptr_array_index (f->events, i),
            "routed:"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/p2p/camera-session/login-then-route", test_login_then_route);
  ADD ("/p2p/camera-session/wrong-password", test_wrong_password);
  ADD ("/p2p/camera-session/busy", test_busy);
  ADD ("/p2p/camera-session/no-route-before-login", test_no_route_before_login);
#undef ADD
  return g_test_run ();
}
