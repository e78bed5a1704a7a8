/* p2p-core: the P2pSignaller interface and its in-process implementation
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>

#include "signaller-recorder.h"

#define UID "7KQ2-M9XD-4HPA-R3WV"
#define FINGERPRINT "sha-256 AB:CD"

typedef struct
{
  P2pLoop *loop;
  P2pDirectSignaller *device, *viewer;
  SignallerRecorder *on_device, *on_viewer;
} Fixture;

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  f->loop = p2p_loop_new ("test-signaller");
  p2p_direct_signaller_new_pair (f->loop, UID, data, &f->device, &f->viewer);
  f->on_device = signaller_recorder_new (P2P_SIGNALLER (f->device));
  f->on_viewer = signaller_recorder_new (P2P_SIGNALLER (f->viewer));
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  if (f->device)
    p2p_signaller_stop (P2P_SIGNALLER (f->device));
  p2p_signaller_stop (P2P_SIGNALLER (f->viewer));
  g_clear_pointer (&f->on_device, signaller_recorder_free);
  signaller_recorder_free (f->on_viewer);
  g_clear_object (&f->device);
  g_object_unref (f->viewer);
  g_object_unref (f->loop);
}

static void
assert_line (SignallerRecorder * r, const gchar * expected)
{
  g_autofree gchar *line = signaller_recorder_pop (r);

  g_assert_cmpstr (line, ==, expected);
}

/* Starts both ends, calls, and returns the call id. */
static gchar *
start_call (Fixture * f)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *line = NULL;
  gchar **words;
  gchar *call;

  p2p_signaller_start (P2P_SIGNALLER (f->device));
  p2p_signaller_start (P2P_SIGNALLER (f->viewer));
  /* The UID is matched as the server matches it: case does not matter. */
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer),
          "7kq2-m9xd-4hpa-r3wv", 1000, &error));
  g_assert_no_error (error);

  line = signaller_recorder_pop (f->on_viewer);
  words = g_strsplit (line, " ", -1);
  g_assert_cmpstr (words[0], ==, "call-started");
  g_assert_cmpstr (words[1], ==, "7kq2-m9xd-4hpa-r3wv");
  call = g_strdup (words[2]);
  g_strfreev (words);

  g_free (line);
  line = signaller_recorder_pop (f->on_device);
  g_assert_true (g_str_has_prefix (line, "incoming-call "));
  g_assert_cmpstr (line + strlen ("incoming-call "), ==, call);
  return call;
}

static void
test_direct_call (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *call = start_call (f);
  g_autofree gchar *expected = NULL;

  g_assert_true (p2p_signaller_send_offer (P2P_SIGNALLER (f->device), call,
          "v=0 offer", &error));
  expected = g_strdup_printf ("remote-offer %s v=0 offer", call);
  assert_line (f->on_viewer, expected);

  g_assert_true (p2p_signaller_send_answer (P2P_SIGNALLER (f->viewer), call,
          "v=0 answer", &error));
  g_free (expected);
  expected = g_strdup_printf ("remote-answer %s v=0 answer", call);
  assert_line (f->on_device, expected);

  /* Candidates keep their order, end-of-candidates is "". */
  g_assert_true (p2p_signaller_send_candidate (P2P_SIGNALLER (f->device),
          call, "candidate:1 1 udp 1 10.0.0.1 5000 typ host", "0", &error));
  g_assert_true (p2p_signaller_send_candidate (P2P_SIGNALLER (f->device),
          call, NULL, NULL, &error));
  g_assert_no_error (error);
  g_free (expected);
  expected = g_strdup_printf ("remote-candidate %s candidate:1 1 udp 1 "
      "10.0.0.1 5000 typ host 0", call);
  assert_line (f->on_viewer, expected);
  g_free (expected);
  expected = g_strdup_printf ("remote-candidate %s  -", call);
  assert_line (f->on_viewer, expected);

  g_assert_true (p2p_signaller_end_call (P2P_SIGNALLER (f->viewer), call,
          "bye", &error));
  g_free (expected);
  expected = g_strdup_printf ("call-ended %s bye", call);
  assert_line (f->on_device, expected);

  /* The call is forgotten on both ends. */
  g_assert_false (p2p_signaller_send_offer (P2P_SIGNALLER (f->device), call,
          "v=0 offer", &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_UNKNOWN_CALL);
}

static void
test_direct_vouches (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *line = NULL;

  p2p_signaller_start (P2P_SIGNALLER (f->device));
  p2p_signaller_start (P2P_SIGNALLER (f->viewer));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 1000,
          &error));
  line = signaller_recorder_pop (f->on_viewer);
  g_assert_true (g_str_has_suffix (line, " " FINGERPRINT));
}

static void
test_direct_refusals (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *expected = NULL;

  /* Not started: refused at once. */
  g_assert_false (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 1000,
          &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_STOPPED);
  g_clear_error (&error);

  /* A camera end makes no call, a viewer end sends no offer. */
  p2p_signaller_start (P2P_SIGNALLER (f->device));
  p2p_signaller_start (P2P_SIGNALLER (f->viewer));
  g_assert_false (p2p_signaller_call (P2P_SIGNALLER (f->device), UID, 1000,
          &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (p2p_signaller_send_offer (P2P_SIGNALLER (f->viewer),
          "direct-1", "v=0", &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Another UID: no such camera. */
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer),
          "CAMX-7Q2M-9XDA-4H3P", 1000, &error));
  expected = g_strdup_printf ("call-failed CAMX-7Q2M-9XDA-4H3P %d",
      P2P_SIGNALLING_ERROR_UNKNOWN_UID);
  assert_line (f->on_viewer, expected);

  /* Camera end stopped: offline. */
  p2p_signaller_stop (P2P_SIGNALLER (f->device));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 1000,
          &error));
  g_free (expected);
  expected = g_strdup_printf ("call-failed %s %d", UID,
      P2P_SIGNALLING_ERROR_DEVICE_OFFLINE);
  assert_line (f->on_viewer, expected);
}

/* The end that stops hears nothing more; the other end's calls end. */
static void
test_direct_stop (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *call = start_call (f);
  g_autofree gchar *expected = NULL;
  gchar *line;

  g_assert_true (p2p_signaller_send_answer (P2P_SIGNALLER (f->viewer), call,
          "v=0 answer", &error));
  g_free (signaller_recorder_wait (f->on_device, "remote-answer "));
  p2p_signaller_stop (P2P_SIGNALLER (f->device));
  expected = g_strdup_printf ("call-ended %s peer-gone", call);
  assert_line (f->on_viewer, expected);
  /* Neither its own call's end nor the viewer's late messages. */
  g_assert_false (p2p_signaller_send_candidate (P2P_SIGNALLER (f->viewer),
          call, NULL, NULL, &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_UNKNOWN_CALL);
  g_clear_error (&error);
  line = signaller_recorder_try_pop (f->on_device, 100);
  g_assert_null (line);

  /* Dropping the camera end altogether is the same. */
  g_free (call);
  p2p_signaller_start (P2P_SIGNALLER (f->device));
  call = start_call (f);
  g_clear_pointer (&f->on_device, signaller_recorder_free);
  g_clear_object (&f->device);
  g_free (expected);
  expected = g_strdup_printf ("call-ended %s peer-gone", call);
  assert_line (f->on_viewer, expected);
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 1000,
          &error));
  g_free (expected);
  expected = g_strdup_printf ("call-failed %s %d", UID,
      P2P_SIGNALLING_ERROR_DEVICE_OFFLINE);
  assert_line (f->on_viewer, expected);
}

/* The call id out of a "call-started UID CALL FINGERPRINT" line. */
static gchar *
started_call (const gchar * line)
{
  g_auto (GStrv) words = g_strsplit (line, " ", -1);

  g_assert_cmpstr (words[0], ==, "call-started");
  return g_strdup (words[2]);
}

/* More viewer ends call the same camera end, each on calls of its own: no
 * viewer hears or sends on another's call, and one stopping ends only its
 * own. */
static void
test_direct_viewers (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (P2pDirectSignaller) second =
      p2p_direct_signaller_new_viewer (f->viewer);
  SignallerRecorder *on_second = signaller_recorder_new (P2P_SIGNALLER
      (second));
  g_autofree gchar *call1 = start_call (f);
  g_autofree gchar *call2 = NULL, *line = NULL, *expected = NULL;

  p2p_signaller_start (P2P_SIGNALLER (second));
  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (second), UID, 1000,
          &error));
  line = signaller_recorder_pop (on_second);
  call2 = started_call (line);
  g_assert_cmpstr (call1, !=, call2);
  expected = g_strdup_printf ("incoming-call %s", call2);
  assert_line (f->on_device, expected);

  /* The offer of the second call reaches the second viewer only. */
  g_assert_true (p2p_signaller_send_offer (P2P_SIGNALLER (f->device), call2,
          "v=0 offer", &error));
  g_free (expected);
  expected = g_strdup_printf ("remote-offer %s v=0 offer", call2);
  assert_line (on_second, expected);
  g_assert_null (signaller_recorder_try_pop (f->on_viewer, 100));

  /* A viewer end cannot speak on another's call. */
  g_assert_false (p2p_signaller_send_answer (P2P_SIGNALLER (f->viewer), call2,
          "v=0 answer", &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_UNKNOWN_CALL);
  g_clear_error (&error);
  g_assert_false (p2p_signaller_end_call (P2P_SIGNALLER (second), call1,
          "bye", &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_UNKNOWN_CALL);
  g_clear_error (&error);

  /* The second viewer goes: its call ends, the first goes on. */
  p2p_signaller_stop (P2P_SIGNALLER (second));
  g_free (expected);
  expected = g_strdup_printf ("call-ended %s peer-gone", call2);
  assert_line (f->on_device, expected);
  g_assert_true (p2p_signaller_send_offer (P2P_SIGNALLER (f->device), call1,
          "v=0 offer", &error));
  g_free (expected);
  expected = g_strdup_printf ("remote-offer %s v=0 offer", call1);
  assert_line (f->on_viewer, expected);

  /* The camera end going ends the first viewer's call too. */
  p2p_signaller_stop (P2P_SIGNALLER (f->device));
  g_free (expected);
  expected = g_strdup_printf ("call-ended %s peer-gone", call1);
  assert_line (f->on_viewer, expected);
  g_assert_null (signaller_recorder_try_pop (on_second, 100));
  signaller_recorder_free (on_second);
}

/* The WebSocket client is a signaller too: its call signals are the
 * interface's, and its refusals are errors, not criticals. */
static void
test_signalling_is_a_signaller (void)
{
  const gchar *servers[] = { "wss://127.0.0.1:1/", NULL };
  g_autoptr (P2pLoop) loop = p2p_loop_new ("test-signalling");
  g_autoptr (P2pSignalling) viewer = p2p_signalling_new_viewer (loop, servers);
  g_autoptr (GError) error = NULL;
  GPtrArray *servers_list;

  g_assert_true (P2P_IS_SIGNALLER (viewer));
  g_assert_cmpuint (g_signal_lookup ("remote-offer", P2P_TYPE_SIGNALLING), ==,
      g_signal_lookup ("remote-offer", P2P_TYPE_SIGNALLER));
  g_assert_false (p2p_signaller_call (P2P_SIGNALLER (viewer), UID, 1000,
          &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_STOPPED);
  g_clear_error (&error);
  g_assert_false (p2p_signaller_send_offer (P2P_SIGNALLER (viewer), "c1",
          "v=0", &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_INVALID_ARGUMENT);
  servers_list = p2p_signaller_get_ice_servers (P2P_SIGNALLER (viewer), NULL);
  g_assert_cmpuint (servers_list->len, ==, 0);
  g_ptr_array_unref (servers_list);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/p2p/signaller/direct/call", Fixture, NULL, fixture_setup,
      test_direct_call, fixture_teardown);
  g_test_add ("/p2p/signaller/direct/vouches", Fixture, FINGERPRINT,
      fixture_setup, test_direct_vouches, fixture_teardown);
  g_test_add ("/p2p/signaller/direct/refusals", Fixture, NULL, fixture_setup,
      test_direct_refusals, fixture_teardown);
  g_test_add ("/p2p/signaller/direct/stop", Fixture, NULL, fixture_setup,
      test_direct_stop, fixture_teardown);
  g_test_add ("/p2p/signaller/direct/viewers", Fixture, NULL, fixture_setup,
      test_direct_viewers, fixture_teardown);
  g_test_add_func ("/p2p/signaller/signalling", test_signalling_is_a_signaller);
  return g_test_run ();
}
