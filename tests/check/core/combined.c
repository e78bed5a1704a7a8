/* p2p-core: several signallers as one, the first to answer wins
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <p2p-core/p2p-core.h>

#include "signaller-recorder.h"

#define UID "7KQ2-M9XD-4HPA-R3WV"

typedef struct
{
  P2pLoop *loop;
  P2pDirectSignaller *direct_camera, *direct_viewer;
  P2pLanSignaller *lan_camera, *lan_viewer;
  P2pCombinedSignaller *camera, *viewer;
  SignallerRecorder *on_camera, *on_viewer;
} Fixture;

/* The viewer's LAN end queries @port on loopback only. */
static P2pLanSignaller *
lan_viewer (P2pLoop * loop, guint port)
{
  g_autofree gchar *target = g_strdup_printf ("127.0.0.1:%u", port);
  const gchar *targets[] = { target, NULL };

  return g_object_new (P2P_TYPE_LAN_SIGNALLER, "loop", loop,
      "discovery-port", port, "interfaces", FALSE, "targets", targets, NULL);
}

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  P2pSignaller *cameras[2], *viewers[2];
  guint port;

  f->loop = p2p_loop_new ("test-combined");
  p2p_direct_signaller_new_pair (f->loop, UID, NULL, &f->direct_camera,
      &f->direct_viewer);
  f->lan_camera = g_object_new (P2P_TYPE_LAN_SIGNALLER, "loop", f->loop,
      "uid", UID, "discovery-port", 0, "interfaces", FALSE, NULL);
  p2p_signaller_start (P2P_SIGNALLER (f->lan_camera));
  port = p2p_lan_signaller_get_bound_port (f->lan_camera);
  f->lan_viewer = lan_viewer (f->loop, port);

  cameras[0] = P2P_SIGNALLER (f->direct_camera);
  cameras[1] = P2P_SIGNALLER (f->lan_camera);
  viewers[0] = P2P_SIGNALLER (f->direct_viewer);
  viewers[1] = P2P_SIGNALLER (f->lan_viewer);
  f->camera = p2p_combined_signaller_new (cameras, 2);
  f->viewer = p2p_combined_signaller_new (viewers, 2);
  f->on_camera = signaller_recorder_new (P2P_SIGNALLER (f->camera));
  f->on_viewer = signaller_recorder_new (P2P_SIGNALLER (f->viewer));
  p2p_signaller_start (P2P_SIGNALLER (f->viewer));
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  p2p_signaller_stop (P2P_SIGNALLER (f->viewer));
  p2p_signaller_stop (P2P_SIGNALLER (f->camera));
  signaller_recorder_free (f->on_camera);
  signaller_recorder_free (f->on_viewer);
  g_object_unref (f->camera);
  g_object_unref (f->viewer);
  g_object_unref (f->direct_camera);
  g_object_unref (f->direct_viewer);
  g_object_unref (f->lan_camera);
  g_object_unref (f->lan_viewer);
  g_object_unref (f->loop);
}

/* Both ways reach the camera: the viewer gets one call, the other is
 * ended at once, and the camera hears of its end. */
static void
test_first_wins (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *started = NULL, *first = NULL, *second = NULL;
  g_autofree gchar *ended = NULL, *offer = NULL;
  g_auto (GStrv) words = NULL;

  p2p_signaller_start (P2P_SIGNALLER (f->camera));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 5000,
          &error));
  started = signaller_recorder_pop (f->on_viewer);
  words = g_strsplit (started, " ", -1);
  g_assert_cmpstr (words[0], ==, "call-started");

  /* The camera heard both calls; the one the viewer did not keep ends. */
  first = signaller_recorder_pop (f->on_camera);
  second = signaller_recorder_pop (f->on_camera);
  g_assert_true (g_str_has_prefix (first, "incoming-call "));
  g_assert_true (g_str_has_prefix (second, "incoming-call "));
  ended = signaller_recorder_pop (f->on_camera);
  g_assert_true (g_str_has_prefix (ended, "call-ended "));
  g_assert_true (g_str_has_suffix (ended, " superseded"));
  g_assert_false (strstr (ended, words[2]));

  /* The kept call works end to end, through the child it came from. */
  g_assert_true (p2p_signaller_send_offer (P2P_SIGNALLER (f->camera),
          words[2], "v=0 offer", &error));
  offer = g_strdup_printf ("remote-offer %s v=0 offer", words[2]);
  g_free (started);
  started = signaller_recorder_pop (f->on_viewer);
  g_assert_cmpstr (started, ==, offer);
  g_assert_null (signaller_recorder_try_pop (f->on_viewer, 200));
}

/* Neither way reaches a camera: one failure, with every reason, and the
 * most telling code. */
static void
keep_message (P2pSignaller * s, const gchar * uid, const GError * error,
    GAsyncQueue * messages)
{
  g_async_queue_push (messages, g_strdup (error->message));
}

static void
test_all_fail (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncQueue) messages = g_async_queue_new_full (g_free);
  g_autofree gchar *line = NULL, *expected = NULL, *message = NULL;

  /* No camera: direct says offline, LAN hears nothing in time. */
  p2p_signaller_stop (P2P_SIGNALLER (f->lan_camera));
  g_signal_connect (f->viewer, "call-failed", G_CALLBACK (keep_message),
      messages);
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 300,
          &error));
  line = signaller_recorder_pop (f->on_viewer);
  expected = g_strdup_printf ("call-failed %s %d", UID,
      P2P_SIGNALLING_ERROR_DEVICE_OFFLINE);
  g_assert_cmpstr (line, ==, expected);
  g_assert_null (signaller_recorder_try_pop (f->on_viewer, 100));
  /* Every reason is in the message. */
  message = g_async_queue_timeout_pop (messages, G_USEC_PER_SEC);
  g_assert_nonnull (strstr (message, "not started"));
  g_assert_nonnull (strstr (message, "local network"));
  g_signal_handlers_disconnect_by_data (f->viewer, messages);
}

/* The camera logs in to the server just after the viewer asked: the
 * server's "offline" is asked again while the local network still looks,
 * and the call starts long before the local network would give up. */
static void
test_offline_asked_again (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offline = NULL, *started = NULL, *incoming = NULL;
  SignallerRecorder *on_direct =
      signaller_recorder_new (P2P_SIGNALLER (f->direct_viewer));

  p2p_signaller_stop (P2P_SIGNALLER (f->lan_camera));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 30000,
          &error));
  offline = signaller_recorder_wait (on_direct, "call-failed ");
  g_assert_cmpint (atoi (strrchr (offline, ' ') + 1), ==,
      P2P_SIGNALLING_ERROR_DEVICE_OFFLINE);

  p2p_signaller_start (P2P_SIGNALLER (f->direct_camera));
  /* Within signaller_recorder_pop()'s 5 s, not the call's 30 s. */
  started = signaller_recorder_pop (f->on_viewer);
  g_assert_true (g_str_has_prefix (started, "call-started " UID " direct-"));
  incoming = signaller_recorder_pop (f->on_camera);
  g_assert_true (g_str_has_prefix (incoming, "incoming-call direct-"));
  signaller_recorder_free (on_direct);
}

/* ---- A server that refuses the first call as busy ---- */

/* Answers like the server when another call from the same address is
 * still unanswered: the first call fails with "busy", the next starts. */
#define TEST_TYPE_BUSY_SIGNALLER (test_busy_signaller_get_type ())
G_DECLARE_FINAL_TYPE (TestBusySignaller, test_busy_signaller, TEST,
    BUSY_SIGNALLER, GObject);

struct _TestBusySignaller
{
  GObject parent;
  P2pLoop *loop;
  gint calls;
};

static void test_busy_signaller_signaller_init (P2pSignallerInterface * iface);

G_DEFINE_TYPE_WITH_CODE (TestBusySignaller, test_busy_signaller,
    G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (P2P_TYPE_SIGNALLER,
        test_busy_signaller_signaller_init));

typedef struct
{
  TestBusySignaller *self;
  gchar *uid;
  gboolean busy;
} BusyAnswer;

static void
busy_answer_free (gpointer data)
{
  BusyAnswer *answer = data;

  g_object_unref (answer->self);
  g_free (answer->uid);
  g_free (answer);
}

/* On the loop thread, as p2p-core's own signallers emit. */
static gboolean
busy_answer_cb (gpointer data)
{
  BusyAnswer *answer = data;
  g_autoptr (GError) error = NULL;

  if (answer->busy) {
    error = g_error_new_literal (P2P_SIGNALLING_ERROR,
        P2P_SIGNALLING_ERROR_REFUSED,
        "A call from this address is still unanswered");
    g_signal_emit_by_name (answer->self, "call-failed", answer->uid, error);
  } else {
    g_signal_emit_by_name (answer->self, "call-started", answer->uid,
        "busy-2", NULL);
  }
  return G_SOURCE_REMOVE;
}

static void
busy_start (P2pSignaller * signaller)
{
}

static void
busy_stop (P2pSignaller * signaller)
{
}

static gboolean
busy_call (P2pSignaller * signaller, const gchar * uid, guint timeout_ms,
    GError ** error)
{
  TestBusySignaller *self = TEST_BUSY_SIGNALLER (signaller);
  BusyAnswer *answer = g_new0 (BusyAnswer, 1);

  answer->self = g_object_ref (self);
  answer->uid = g_strdup (uid);
  answer->busy = g_atomic_int_add (&self->calls, 1) == 0;
  p2p_loop_invoke (self->loop, busy_answer_cb, answer, busy_answer_free);
  return TRUE;
}

static gboolean
busy_end_call (P2pSignaller * signaller, const gchar * call,
    const gchar * reason, GError ** error)
{
  return TRUE;
}

static void
test_busy_signaller_signaller_init (P2pSignallerInterface * iface)
{
  iface->start = busy_start;
  iface->stop = busy_stop;
  iface->call = busy_call;
  iface->end_call = busy_end_call;
}

static void
test_busy_signaller_finalize (GObject * object)
{
  g_object_unref (TEST_BUSY_SIGNALLER (object)->loop);
  G_OBJECT_CLASS (test_busy_signaller_parent_class)->finalize (object);
}

static void
test_busy_signaller_class_init (TestBusySignallerClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_busy_signaller_finalize;
}

static void
test_busy_signaller_init (TestBusySignaller * self)
{
}

/* Viewers behind one NAT call one camera at once: the server refuses all
 * but one as busy. The refused call is asked again soon while the local
 * network still looks, not after the local network's whole time-out. */
static void
test_busy_asked_again (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TestBusySignaller) busy =
      g_object_new (TEST_TYPE_BUSY_SIGNALLER, NULL);
  g_autoptr (P2pCombinedSignaller) viewer = NULL;
  g_autofree gchar *started = NULL;
  P2pSignaller *viewers[2];
  SignallerRecorder *on_viewer;

  busy->loop = g_object_ref (f->loop);
  p2p_signaller_stop (P2P_SIGNALLER (f->lan_camera));
  viewers[0] = P2P_SIGNALLER (busy);
  viewers[1] = P2P_SIGNALLER (f->lan_viewer);
  viewer = p2p_combined_signaller_new (viewers, 2);
  on_viewer = signaller_recorder_new (P2P_SIGNALLER (viewer));
  p2p_signaller_start (P2P_SIGNALLER (viewer));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (viewer), UID, 30000,
          &error));
  /* Within signaller_recorder_pop()'s 5 s, not the call's 30 s. */
  started = signaller_recorder_pop (on_viewer);
  g_assert_cmpstr (started, ==, "call-started " UID " busy-2 -");
  g_assert_cmpint (g_atomic_int_get (&busy->calls), ==, 2);
  p2p_signaller_stop (P2P_SIGNALLER (viewer));
  signaller_recorder_free (on_viewer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/p2p/signaller/combined/first-wins", Fixture, NULL,
      fixture_setup, test_first_wins, fixture_teardown);
  g_test_add ("/p2p/signaller/combined/all-fail", Fixture, NULL,
      fixture_setup, test_all_fail, fixture_teardown);
  g_test_add ("/p2p/signaller/combined/offline-asked-again", Fixture, NULL,
      fixture_setup, test_offline_asked_again, fixture_teardown);
  g_test_add ("/p2p/signaller/combined/busy-asked-again", Fixture, NULL,
      fixture_setup, test_busy_asked_again, fixture_teardown);
  return g_test_run ();
}
