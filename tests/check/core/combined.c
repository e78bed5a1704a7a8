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

#include "manual-signaller.h"
#include "signaller-recorder.h"

#define UID "7KQ2-M9XD-4HPA-R3WV"

typedef struct
{
  P2pLoop *loop;
  P2pDirectSignaller *direct_camera, *direct_viewer;
  P2pLanSignaller *lan_camera, *lan_viewer;
  P2pCombinedSignaller *camera, *viewer;
  SignallerRecorder *on_camera, *on_viewer;
  guint port;                   /* the LAN camera's discovery port */
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
  f->port = port;
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

/* Whether @reason is how a call that lost the race ends at the camera:
 * cancelled while being set up, ended once started, or dropped with the
 * connection when the end could not be sent before it closed. */
static gboolean
is_loser_reason (const gchar * reason)
{
  return g_strcmp0 (reason, "cancelled") == 0
      || g_strcmp0 (reason, "superseded") == 0
      || g_strcmp0 (reason, "peer-gone") == 0;
}

/* Reads the camera's lines for a while: it heard the kept call, and every
 * other call it heard of ended. */
static void
assert_only_call_left (Fixture * f, const gchar * kept)
{
  g_autoptr (GHashTable) open = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  gboolean heard_kept = FALSE;
  gchar *line;

  while ((line = signaller_recorder_try_pop (f->on_camera, 500))) {
    g_auto (GStrv) words = g_strsplit (line, " ", -1);

    if (strcmp (words[0], "incoming-call") == 0) {
      if (strcmp (words[1], kept) == 0)
        heard_kept = TRUE;
      else
        g_hash_table_add (open, g_strdup (words[1]));
    } else if (strcmp (words[0], "call-ended") == 0) {
      g_assert_cmpstr (words[1], !=, kept);
      g_assert_true (is_loser_reason (words[2]));
      g_assert_true (g_hash_table_remove (open, words[1]));
    }
    g_free (line);
  }
  g_assert_true (heard_kept);
  g_assert_cmpuint (g_hash_table_size (open), ==, 0);
}

/* Both ways reach the camera: the viewer gets one call, the other is
 * cancelled (or ended, if it started), and the camera hears of its end if
 * it heard of it at all. */
static void
test_first_wins (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *started = NULL, *offer = NULL;
  g_auto (GStrv) words = NULL;

  p2p_signaller_start (P2P_SIGNALLER (f->camera));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 5000,
          &error));
  started = signaller_recorder_pop (f->on_viewer);
  words = g_strsplit (started, " ", -1);
  g_assert_cmpstr (words[0], ==, "call-started");
  assert_only_call_left (f, words[2]);

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

/* ---- A server that answers when the test says ---- */

/* Viewers behind one NAT call one camera at once: the server refuses all
 * but one as busy. The refused call is asked again soon while the local
 * network still looks, not after the local network's whole time-out. */
static void
test_busy_asked_again (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TestManualSignaller) busy = test_manual_signaller_new (f->loop);
  g_autoptr (P2pCombinedSignaller) viewer = NULL;
  g_autofree gchar *started = NULL, *first = NULL, *second = NULL;
  P2pSignaller *viewers[2];
  SignallerRecorder *on_viewer;

  p2p_signaller_stop (P2P_SIGNALLER (f->lan_camera));
  viewers[0] = P2P_SIGNALLER (busy);
  viewers[1] = P2P_SIGNALLER (f->lan_viewer);
  viewer = p2p_combined_signaller_new (viewers, 2);
  on_viewer = signaller_recorder_new (P2P_SIGNALLER (viewer));
  p2p_signaller_start (P2P_SIGNALLER (viewer));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (viewer), UID, 30000,
          &error));
  first = test_manual_signaller_pop (busy);
  g_assert_cmpstr (first, ==, "call " UID);
  test_manual_signaller_answer (busy, UID, NULL);
  /* Asked again within test_manual_signaller_pop()'s 5 s, not the
   * call's 30 s. */
  second = test_manual_signaller_pop (busy);
  g_assert_cmpstr (second, ==, "call " UID);
  test_manual_signaller_answer (busy, UID, "busy-2");
  started = signaller_recorder_pop (on_viewer);
  g_assert_cmpstr (started, ==, "call-started " UID " busy-2 -");
  p2p_signaller_stop (P2P_SIGNALLER (viewer));
  signaller_recorder_free (on_viewer);
}

/* A viewer over @manual (as the server) and a LAN end of its own (the
 * fixture's belongs to its viewer, which would end calls it did not ask
 * for). */
static P2pCombinedSignaller *
manual_and_lan (Fixture * f, TestManualSignaller * manual)
{
  g_autoptr (P2pLanSignaller) lan = lan_viewer (f->loop, f->port);
  P2pSignaller *viewers[2];

  viewers[0] = P2P_SIGNALLER (manual);
  viewers[1] = P2P_SIGNALLER (lan);
  return p2p_combined_signaller_new (viewers, 2);
}

/* The server's call starts at the moment the camera takes the LAN call. */
static void
server_wins_now (P2pSignaller * camera, const gchar * call,
    const gchar * viewer, const gchar * address, TestManualSignaller * manual)
{
  if (g_str_has_prefix (call, "lan-"))
    g_signal_emit_by_name (manual, "call-started", UID, "server-1", NULL);
}

/* The LAN call reached the camera (it took the call and will offer) when
 * the server's call started: the viewer stays on the server's call, and
 * the camera hears the LAN call end, so that it frees what it set up for
 * it. */
static void
test_late_lan_answer (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TestManualSignaller) manual = test_manual_signaller_new (f->loop);
  g_autoptr (P2pCombinedSignaller) viewer = manual_and_lan (f, manual);
  SignallerRecorder *on_viewer = signaller_recorder_new (P2P_SIGNALLER
      (viewer));
  g_autofree gchar *started = NULL, *asked = NULL, *incoming = NULL;
  g_autofree gchar *ended = NULL, *expected = NULL;
  gchar *line;

  p2p_signaller_stop (P2P_SIGNALLER (f->direct_camera));
  g_signal_connect (f->camera, "incoming-call", G_CALLBACK (server_wins_now),
      manual);
  p2p_signaller_start (P2P_SIGNALLER (f->camera));
  p2p_signaller_start (P2P_SIGNALLER (viewer));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (viewer), UID, 5000,
          &error));
  asked = test_manual_signaller_pop (manual);
  g_assert_cmpstr (asked, ==, "call " UID);

  started = signaller_recorder_pop (on_viewer);
  g_assert_cmpstr (started, ==, "call-started " UID " server-1 -");
  incoming = signaller_recorder_pop (f->on_camera);
  g_assert_true (g_str_has_prefix (incoming, "incoming-call lan-"));
  /* The LAN call ends at the camera, whether the viewer's LAN end was
   * cancelled during its handshake or its call started and was ended. */
  ended = signaller_recorder_pop (f->on_camera);
  expected = g_strdup_printf ("call-ended %s ", incoming + strlen
      ("incoming-call "));
  g_assert_true (g_str_has_prefix (ended, expected));
  g_assert_true (is_loser_reason (ended + strlen (expected)));
  g_assert_false (p2p_signaller_send_offer (P2P_SIGNALLER (f->camera),
          incoming + strlen ("incoming-call "), "v=0 offer", &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_UNKNOWN_CALL);

  /* Exactly one call survives: nothing more reaches the viewer. */
  line = signaller_recorder_try_pop (on_viewer, 500);
  g_assert_null (line);
  g_signal_handlers_disconnect_by_data (f->camera, manual);
  p2p_signaller_stop (P2P_SIGNALLER (viewer));
  signaller_recorder_free (on_viewer);
}

/* The LAN call starts first: the server's call is cancelled. A server
 * that started it all the same (its answer crossed the cancel) sees it
 * ended at once, and the viewer does not switch to it. */
static void
test_late_server_answer (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TestManualSignaller) manual = test_manual_signaller_new (f->loop);
  g_autoptr (P2pCombinedSignaller) viewer = manual_and_lan (f, manual);
  SignallerRecorder *on_viewer = signaller_recorder_new (P2P_SIGNALLER
      (viewer));
  g_autofree gchar *started = NULL, *asked = NULL, *cancelled = NULL;
  g_autofree gchar *ended = NULL, *incoming = NULL;
  gchar *line;

  p2p_signaller_start (P2P_SIGNALLER (f->camera));
  p2p_signaller_start (P2P_SIGNALLER (viewer));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (viewer), UID, 5000,
          &error));
  started = signaller_recorder_pop (on_viewer);
  g_assert_true (g_str_has_prefix (started, "call-started " UID " lan-"));
  asked = test_manual_signaller_pop (manual);
  g_assert_cmpstr (asked, ==, "call " UID);
  cancelled = test_manual_signaller_pop (manual);
  g_assert_cmpstr (cancelled, ==, "cancel " UID);

  g_signal_emit_by_name (manual, "call-started", UID, "server-1", NULL);
  ended = test_manual_signaller_pop (manual);
  g_assert_cmpstr (ended, ==, "end server-1 superseded");
  line = signaller_recorder_try_pop (on_viewer, 300);
  g_assert_null (line);

  /* The camera has the LAN call only, still open. */
  incoming = signaller_recorder_pop (f->on_camera);
  g_assert_true (g_str_has_prefix (incoming, "incoming-call lan-"));
  line = signaller_recorder_try_pop (f->on_camera, 300);
  g_assert_cmpstr (line, ==, NULL);
  p2p_signaller_stop (P2P_SIGNALLER (viewer));
  signaller_recorder_free (on_viewer);
}

/* The caller gives up: every child's call is cancelled, nothing follows
 * (not even the LAN end's time-out), and the UID may be called again. */
static void
test_cancel (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TestManualSignaller) manual = test_manual_signaller_new (f->loop);
  g_autoptr (P2pCombinedSignaller) viewer = manual_and_lan (f, manual);
  SignallerRecorder *on_viewer = signaller_recorder_new (P2P_SIGNALLER
      (viewer));
  g_autofree gchar *asked = NULL, *cancelled = NULL, *again = NULL;
  gchar *line;

  p2p_signaller_stop (P2P_SIGNALLER (f->lan_camera));
  p2p_signaller_start (P2P_SIGNALLER (viewer));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (viewer), UID, 200, &error));
  p2p_signaller_cancel_call (P2P_SIGNALLER (viewer), UID);
  asked = test_manual_signaller_pop (manual);
  g_assert_cmpstr (asked, ==, "call " UID);
  cancelled = test_manual_signaller_pop (manual);
  g_assert_cmpstr (cancelled, ==, "cancel " UID);
  /* Well past the LAN end's 200 ms. */
  line = signaller_recorder_try_pop (on_viewer, 1000);
  g_assert_null (line);

  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (viewer), UID, 200, &error));
  again = test_manual_signaller_pop (manual);
  g_assert_cmpstr (again, ==, "call " UID);
  p2p_signaller_stop (P2P_SIGNALLER (viewer));
  signaller_recorder_free (on_viewer);
}

static void
expect_asked (TestManualSignaller * signaller, const gchar * expected)
{
  g_autofree gchar *line = test_manual_signaller_pop (signaller);

  g_assert_cmpstr (line, ==, expected);
}

/* Calls @uid through @combined and answers through @through as @call. */
static void
call_started (P2pCombinedSignaller * combined, SignallerRecorder * rec,
    TestManualSignaller * through, const gchar * call)
{
  g_autofree gchar *line = NULL, *expected = NULL;

  test_manual_signaller_answer (through, UID, call);
  line = signaller_recorder_wait (rec, "call-started");
  expected = g_strdup_printf ("call-started %s %s -", UID, call);
  g_assert_cmpstr (line, ==, expected);
}

/* A child left out (its host failed to prove it is the camera) is not
 * asked until the next stop; neither an unknown call's child nor the last
 * one still asked can be left out. */
static void
test_leave_out (void)
{
  g_autoptr (P2pLoop) loop = p2p_loop_new ("test-combined");
  g_autoptr (TestManualSignaller) server = test_manual_signaller_new (loop);
  g_autoptr (TestManualSignaller) lan = test_manual_signaller_new (loop);
  P2pSignaller *children[] = { P2P_SIGNALLER (server), P2P_SIGNALLER (lan) };
  g_autoptr (P2pCombinedSignaller) combined =
      p2p_combined_signaller_new (children, 2);
  P2pSignaller *sig = P2P_SIGNALLER (combined);
  SignallerRecorder *rec = signaller_recorder_new (sig);

  p2p_signaller_start (sig);
  g_assert_true (p2p_signaller_call (sig, UID, 60000, NULL));
  expect_asked (server, "call " UID);
  expect_asked (lan, "call " UID);
  call_started (combined, rec, lan, "lan-1");
  expect_asked (server, "cancel " UID);
  g_assert_false (p2p_combined_signaller_leave_out (combined, "unknown"));
  g_assert_true (p2p_combined_signaller_leave_out (combined, "lan-1"));
  g_assert_true (p2p_signaller_end_call (sig, "lan-1", "bye", NULL));
  expect_asked (lan, "end lan-1 bye");

  /* Children are asked on the caller's thread: one not asked by the
   * time the call returns is not asked. */
  g_assert_true (p2p_signaller_call (sig, UID, 60000, NULL));
  expect_asked (server, "call " UID);
  g_assert_null (test_manual_signaller_try_pop (lan, 0));
  call_started (combined, rec, server, "server-1");
  g_assert_false (p2p_combined_signaller_leave_out (combined, "server-1"));
  g_assert_true (p2p_signaller_end_call (sig, "server-1", "bye", NULL));
  expect_asked (server, "end server-1 bye");

  /* A new start asks every child again. */
  p2p_signaller_stop (sig);
  p2p_signaller_start (sig);
  g_assert_true (p2p_signaller_call (sig, UID, 60000, NULL));
  expect_asked (server, "call " UID);
  expect_asked (lan, "call " UID);
  p2p_signaller_stop (sig);
  signaller_recorder_free (rec);
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
  g_test_add ("/p2p/signaller/combined/late-lan-answer", Fixture, NULL,
      fixture_setup, test_late_lan_answer, fixture_teardown);
  g_test_add ("/p2p/signaller/combined/late-server-answer", Fixture, NULL,
      fixture_setup, test_late_server_answer, fixture_teardown);
  g_test_add ("/p2p/signaller/combined/cancel", Fixture, NULL,
      fixture_setup, test_cancel, fixture_teardown);
  g_test_add_func ("/p2p/signaller/combined/leave-out", test_leave_out);
  return g_test_run ();
}
