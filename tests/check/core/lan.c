/* p2p-core: discovery and calls on the local network, on loopback
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>

#include "p2p-lan-wire.h"
#include "signaller-recorder.h"

#define UID "7KQ2-M9XD-4HPA-R3WV"
#define OTHER_UID "CAMX-7Q2M-9XDA-4H3P"

static const guint8 nonce_a[P2P_LAN_NONCE_SIZE] = { 1, 2, 3 };
static const guint8 nonce_b[P2P_LAN_NONCE_SIZE] = { 4, 5, 6 };

/* ---- the wire format ---- */

static void
test_wire_discovery (void)
{
  guint8 query[P2P_LAN_QUERY_SIZE], answer[P2P_LAN_ANSWER_SIZE];
  guint8 bad[P2P_LAN_QUERY_SIZE + 1];
  P2pLanQuery q;
  P2pLanAnswer a;

  /* No amplification: an answer is smaller than the query it answers. */
  g_assert_cmpuint (P2P_LAN_ANSWER_SIZE, <, P2P_LAN_QUERY_SIZE);

  p2p_lan_query_build (UID, nonce_a, query);
  g_assert_true (p2p_lan_query_parse (query, sizeof (query), &q));
  g_assert_true (p2p_lan_query_matches (&q, UID));
  g_assert_false (p2p_lan_query_matches (&q, OTHER_UID));
  /* The UID is in no byte of the query. */
  g_assert_null (g_strstr_len ((const gchar *) query, sizeof (query), "7KQ2"));

  /* Strict form: exact size, zero padding, the right type. */
  g_assert_false (p2p_lan_query_parse (query, sizeof (query) - 1, &q));
  memcpy (bad, query, sizeof (query));
  bad[sizeof (query)] = 0;
  g_assert_false (p2p_lan_query_parse (bad, sizeof (bad), &q));
  bad[P2P_LAN_QUERY_SIZE - 1] = 1;
  g_assert_false (p2p_lan_query_parse (bad, P2P_LAN_QUERY_SIZE, &q));
  memcpy (bad, query, sizeof (query));
  bad[6] = 1;
  g_assert_false (p2p_lan_query_parse (bad, P2P_LAN_QUERY_SIZE, &q));

  p2p_lan_answer_build (UID, nonce_a, nonce_b, 4242, answer);
  g_assert_false (p2p_lan_query_parse (answer, sizeof (answer), &q));
  g_assert_true (p2p_lan_answer_parse (answer, sizeof (answer), &a));
  g_assert_cmpuint (a.port, ==, 4242);
  g_assert_true (p2p_lan_answer_matches (&a, UID, nonce_a));
  /* Only for this query, only from who knows the UID, port included. */
  g_assert_false (p2p_lan_answer_matches (&a, UID, nonce_b));
  g_assert_false (p2p_lan_answer_matches (&a, OTHER_UID, nonce_a));
  answer[7] ^= 1;
  g_assert_true (p2p_lan_answer_parse (answer, sizeof (answer), &a));
  g_assert_false (p2p_lan_answer_matches (&a, UID, nonce_a));
}

static gchar *
frame_text (P2pLanMessage * msg)
{
  g_autoptr (GBytes) frame = p2p_lan_message_to_frame (msg);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  g_assert_cmpuint (p2p_lan_frame_length (data), ==, size - 4);
  return g_strndup ((const gchar *) data + 4, size - 4);
}

static void
assert_refused (const gchar * text)
{
  P2pLanMessage msg;
  g_autoptr (GError) error = NULL;

  g_assert_false (p2p_lan_message_parse (text, strlen (text), &msg, &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR, P2P_SIGNALLING_ERROR_PROTOCOL);
}

static void
test_wire_messages (void)
{
  P2pLanMessage msg = { P2P_LAN_MESSAGE_CANDIDATE }, back;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  guint8 header[4] = { 0, 1, 0, 1 };

  msg.text = g_strdup ("candidate:1 1 udp 1 10.0.0.1 5000 typ host");
  msg.mid = g_strdup ("0");
  text = frame_text (&msg);
  g_assert_true (p2p_lan_message_parse (text, strlen (text), &back, &error));
  g_assert_cmpint (back.type, ==, P2P_LAN_MESSAGE_CANDIDATE);
  g_assert_cmpstr (back.text, ==, msg.text);
  g_assert_cmpstr (back.mid, ==, "0");
  p2p_lan_message_clear (&back);
  p2p_lan_message_clear (&msg);

  msg.type = P2P_LAN_MESSAGE_HELLO;
  memcpy (msg.nonce, nonce_b, sizeof (msg.nonce));
  g_free (text);
  text = frame_text (&msg);
  g_assert_true (p2p_lan_message_parse (text, strlen (text), &back, &error));
  g_assert_cmpmem (back.nonce, sizeof (back.nonce), nonce_b, sizeof (nonce_b));

  msg.type = P2P_LAN_MESSAGE_END;
  g_free (text);
  text = frame_text (&msg);
  g_assert_cmpstr (text, ==, "{\"type\":\"end\"}");

  /* Exactly the members of the type, of the right types and forms. */
  assert_refused ("{\"type\":\"accept\",\"x\":\"y\"}");
  assert_refused ("{\"type\":\"offer\"}");
  assert_refused ("{\"type\":\"offer\",\"sdp\":1}");
  assert_refused ("{\"type\":\"ring\"}");
  assert_refused ("{\"type\":\"end\",\"reason\":{}}");
  assert_refused ("{\"type\":\"hello\",\"nonce\":\"AAAA\"}");
  assert_refused ("{\"type\":\"candidate\",\"candidate\":\"a=x\"}");
  assert_refused ("[\"type\"]");
  assert_refused ("{\"type\":\"accept\"} {}");
  /* Frames: neither empty nor over the limit. */
  g_assert_cmpuint (P2P_LAN_MAX_MESSAGE, ==, 65536);
  g_assert_cmpuint (p2p_lan_frame_length (header), ==, 0);
  header[3] = 0;
  g_assert_cmpuint (p2p_lan_frame_length (header), ==, 65536);
  header[1] = 0;
  g_assert_cmpuint (p2p_lan_frame_length (header), ==, 0);
  header[3] = 1;
  g_assert_cmpuint (p2p_lan_frame_length (header), ==, 1);
}

/* ---- camera and viewer on loopback ---- */

typedef struct
{
  P2pLoop *loop;
  P2pLanSignaller *camera, *viewer;
  SignallerRecorder *on_camera, *on_viewer;
  guint port;
} Fixture;

static P2pLanSignaller *
new_viewer (Fixture * f, const gchar * host)
{
  g_autofree gchar *target = g_strdup_printf ("%s:%u", host, f->port);
  const gchar *targets[] = { target, NULL };

  return g_object_new (P2P_TYPE_LAN_SIGNALLER, "loop", f->loop,
      "discovery-port", f->port, "interfaces", FALSE, "targets", targets, NULL);
}

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  const gchar *host = data ? data : "127.0.0.1";

  f->loop = p2p_loop_new ("test-lan");
  /* Port 0 and no interfaces: the test stays on loopback. */
  f->camera = g_object_new (P2P_TYPE_LAN_SIGNALLER, "loop", f->loop, "uid",
      UID, "discovery-port", 0, "interfaces", FALSE, "queries-per-second", 5,
      NULL);
  f->on_camera = signaller_recorder_new (P2P_SIGNALLER (f->camera));
  p2p_signaller_start (P2P_SIGNALLER (f->camera));
  f->port = p2p_lan_signaller_get_bound_port (f->camera);
  g_assert_cmpuint (f->port, !=, 0);
  f->viewer = new_viewer (f, host);
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
  g_object_unref (f->loop);
}

static void
assert_line (SignallerRecorder * r, const gchar * expected)
{
  g_autofree gchar *line = signaller_recorder_pop (r);

  g_assert_cmpstr (line, ==, expected);
}

/* Calls @uid and returns the viewer's and the camera's call ids. */
static void
call (Fixture * f, gchar ** viewer_call, gchar ** camera_call)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *line = NULL;
  g_auto (GStrv) words = NULL;

  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), UID, 5000,
          &error));
  g_assert_no_error (error);
  line = signaller_recorder_pop (f->on_viewer);
  words = g_strsplit (line, " ", -1);
  g_assert_cmpstr (words[0], ==, "call-started");
  g_assert_cmpstr (words[1], ==, UID);
  /* The local network vouches for no certificate. */
  g_assert_cmpstr (words[3], ==, "-");
  *viewer_call = g_strdup (words[2]);

  g_free (line);
  line = signaller_recorder_pop (f->on_camera);
  g_assert_true (g_str_has_prefix (line, "incoming-call "));
  *camera_call = g_strdup (line + strlen ("incoming-call "));
}

static void
test_call (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *vc = NULL, *cc = NULL, *expected = NULL, *address = NULL;

  call (f, &vc, &cc);
  address = signaller_recorder_dup_address (f->on_camera);
  g_assert_cmpstr (address, ==, data ? "::1" : "127.0.0.1");

  g_assert_true (p2p_signaller_send_offer (P2P_SIGNALLER (f->camera), cc,
          "v=0 offer", &error));
  expected = g_strdup_printf ("remote-offer %s v=0 offer", vc);
  assert_line (f->on_viewer, expected);
  g_assert_true (p2p_signaller_send_answer (P2P_SIGNALLER (f->viewer), vc,
          "v=0 answer", &error));
  g_free (expected);
  expected = g_strdup_printf ("remote-answer %s v=0 answer", cc);
  assert_line (f->on_camera, expected);

  g_assert_true (p2p_signaller_send_candidate (P2P_SIGNALLER (f->viewer), vc,
          "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "0", &error));
  g_assert_true (p2p_signaller_send_candidate (P2P_SIGNALLER (f->viewer), vc,
          NULL, NULL, &error));
  g_free (expected);
  expected = g_strdup_printf ("remote-candidate %s candidate:1 1 udp 1 "
      "127.0.0.1 5000 typ host 0", cc);
  assert_line (f->on_camera, expected);
  g_free (expected);
  expected = g_strdup_printf ("remote-candidate %s  -", cc);
  assert_line (f->on_camera, expected);

  /* Roles hold: a viewer sends no offer. */
  g_assert_false (p2p_signaller_send_offer (P2P_SIGNALLER (f->viewer), vc,
          "v=0", &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (p2p_signaller_end_call (P2P_SIGNALLER (f->camera), cc,
          "bye", &error));
  g_free (expected);
  expected = g_strdup_printf ("call-ended %s bye", vc);
  assert_line (f->on_viewer, expected);
  g_assert_false (p2p_signaller_send_answer (P2P_SIGNALLER (f->viewer), vc,
          "v=0 answer", &error));
  g_assert_error (error, P2P_SIGNALLING_ERROR,
      P2P_SIGNALLING_ERROR_UNKNOWN_CALL);
}

/* A viewer that stops tells the camera; it hears nothing more itself. */
static void
test_stop (Fixture * f, gconstpointer data)
{
  g_autofree gchar *vc = NULL, *cc = NULL, *expected = NULL;

  call (f, &vc, &cc);
  p2p_signaller_stop (P2P_SIGNALLER (f->viewer));
  expected = g_strdup_printf ("call-ended %s shutdown", cc);
  assert_line (f->on_camera, expected);
  g_assert_null (signaller_recorder_try_pop (f->on_viewer, 100));
}

/* Nobody answers for another UID: the viewer says so within its time. */
static void
test_unknown_uid (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *line = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_true (p2p_signaller_call (P2P_SIGNALLER (f->viewer), OTHER_UID,
          300, &error));
  line = signaller_recorder_pop (f->on_viewer);
  g_assert_cmpstr (line, ==, "call-failed " OTHER_UID " 14");
  g_assert_cmpint (P2P_SIGNALLING_ERROR_TIMEOUT, ==, 14);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_null (signaller_recorder_try_pop (f->on_camera, 50));
}

/* A raw UDP socket on loopback, to play the attacker. */
static GSocket *
raw_socket (GSocketAddress ** camera, guint port)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  g_socket_set_timeout (socket, 1);
  *camera = g_inet_socket_address_new (lo, port);
  return socket;
}

/* Datagrams that arrive on @socket within @ms milliseconds. */
static guint
count_answers (GSocket * socket, guint ms, gsize * size)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  guint n = 0;

  while (g_get_monotonic_time () < end) {
    guint8 buf[256];
    gssize len;

    if (!g_socket_condition_timed_wait (socket, G_IO_IN,
            end - g_get_monotonic_time (), NULL, NULL))
      break;
    len = g_socket_receive (socket, (gchar *) buf, sizeof (buf), NULL, NULL);
    if (len > 0) {
      n++;
      *size = len;
    }
  }
  return n;
}

/* The camera answers only who proves it knows the UID, never with more
 * bytes than it got, and at most queries-per-second times a second. */
static void
test_discovery_attacks (Fixture * f, gconstpointer data)
{
  g_autoptr (GSocketAddress) camera = NULL;
  g_autoptr (GSocket) socket = raw_socket (&camera, f->port);
  guint8 query[P2P_LAN_QUERY_SIZE], big[512] = { 0 };
  gsize size = 0;
  guint i, n;

  /* Another UID, and a malformed large datagram: silence. */
  p2p_lan_query_build (OTHER_UID, nonce_a, query);
  g_socket_send_to (socket, camera, (gchar *) query, sizeof (query), NULL,
      NULL);
  memcpy (big, query, sizeof (query));
  g_socket_send_to (socket, camera, (gchar *) big, sizeof (big), NULL, NULL);
  g_assert_cmpuint (count_answers (socket, 200, &size), ==, 0);

  /* The right UID: one answer, smaller than the query. */
  p2p_lan_query_build (UID, nonce_a, query);
  g_socket_send_to (socket, camera, (gchar *) query, sizeof (query), NULL,
      NULL);
  g_assert_cmpuint (count_answers (socket, 500, &size), ==, 1);
  g_assert_cmpuint (size, <, sizeof (query));

  /* A flood gets the rate (5 per second, burst 5) and no more. */
  for (i = 0; i < 100; i++)
    g_socket_send_to (socket, camera, (gchar *) query, sizeof (query), NULL,
        NULL);
  n = count_answers (socket, 300, &size);
  g_assert_cmpuint (n, >=, 1);
  g_assert_cmpuint (n, <=, 7);
}

/* Whoever reaches the camera's TCP port without knowing the UID gets no
 * call; nor does garbage. */
static void
test_call_without_uid (Fixture * f, gconstpointer data)
{
  g_autoptr (GSocketAddress) camera = NULL;
  g_autoptr (GSocket) udp = raw_socket (&camera, f->port);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  guint8 query[P2P_LAN_QUERY_SIZE], answer[P2P_LAN_ANSWER_SIZE];
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  P2pLanAnswer a;
  guint attempt;

  p2p_lan_query_build (UID, nonce_a, query);
  g_socket_send_to (udp, camera, (gchar *) query, sizeof (query), NULL, NULL);
  g_socket_set_timeout (udp, 5);
  g_assert_cmpint (g_socket_receive (udp, (gchar *) answer, sizeof (answer),
          NULL, NULL), ==, sizeof (answer));
  g_assert_true (p2p_lan_answer_parse (answer, sizeof (answer), &a));

  for (attempt = 0; attempt < 2; attempt++) {
    g_autoptr (GSocketAddress) tcp = g_inet_socket_address_new (lo, a.port);
    g_autoptr (GSocketConnection) conn = NULL;
    g_autoptr (GBytes) frame = NULL;
    P2pLanMessage msg = { P2P_LAN_MESSAGE_CALL };
    GInputStream *in;
    GOutputStream *out;
    GError *error = NULL;
    guint8 buf[512];
    gssize len;
    gsize total = 0;

    conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (tcp), NULL,
        NULL);
    g_assert_nonnull (conn);
    g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
    in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
    out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
    if (attempt == 0) {
      /* A proof made with another UID. */
      p2p_lan_call_proof (OTHER_UID, nonce_a, msg.proof);
      frame = p2p_lan_message_to_frame (&msg);
      g_output_stream_write_all (out, g_bytes_get_data (frame, NULL),
          g_bytes_get_size (frame), NULL, NULL, NULL);
    } else {
      /* A length of 16 MiB. */
      g_output_stream_write_all (out, "\x01\x00\x00\x00{", 5, NULL, NULL, NULL);
    }
    /* The hello, then the camera closes (a reset when it left bytes
     * unread): end of stream, not a time-out. */
    while ((len = g_input_stream_read (in, buf, sizeof (buf), NULL,
                &error)) > 0)
      total += len;
    if (len < 0)
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
    g_clear_error (&error);
    g_assert_cmpuint (total, <, sizeof (buf));
  }
  g_assert_null (signaller_recorder_try_pop (f->on_camera, 50));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/lan/wire/discovery", test_wire_discovery);
  g_test_add_func ("/p2p/lan/wire/messages", test_wire_messages);
  g_test_add ("/p2p/lan/call/ipv4", Fixture, NULL, fixture_setup, test_call,
      fixture_teardown);
  g_test_add ("/p2p/lan/call/ipv6", Fixture, "[::1]", fixture_setup, test_call,
      fixture_teardown);
  g_test_add ("/p2p/lan/stop", Fixture, NULL, fixture_setup, test_stop,
      fixture_teardown);
  g_test_add ("/p2p/lan/unknown-uid", Fixture, NULL, fixture_setup,
      test_unknown_uid, fixture_teardown);
  g_test_add ("/p2p/lan/attack/discovery", Fixture, NULL, fixture_setup,
      test_discovery_attacks, fixture_teardown);
  g_test_add ("/p2p/lan/attack/call", Fixture, NULL, fixture_setup,
      test_call_without_uid, fixture_teardown);
  return g_test_run ();
}
