/* The command channel's messages and the per-viewer rate limit.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <p2p-core/p2p-core.h>
#include "p2p-json.h"

static JsonObject *
parse (const gchar * text)
{
  JsonObject *obj = p2p_json_parse_object (text, strlen (text), NULL);

  g_assert_nonnull (obj);
  return obj;
}

static void
test_round_trip (void)
{
  const gchar *types[] = { "command", "command-reply", "event" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    g_autoptr (GBytes) msg = p2p_command_build (types[i], 42,
        i == 1 ? NULL : "pan", i != 1, "{\"x\":1}");
    g_autoptr (JsonObject) obj = parse (g_bytes_get_data (msg, NULL));
    g_autoptr (GError) error = NULL;
    P2pCommand cmd;

    g_assert_true (p2p_command_parse (obj, &cmd, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (cmd.id, ==, i == 2 ? 0 : 42);
    g_assert_cmpstr (cmd.name, ==, i == 1 ? NULL : "pan");
    g_assert_cmpstr (cmd.payload, ==, "{\"x\":1}");
  }
}

static void
test_refused (void)
{
  static const gchar *bad[] = {
    "{\"type\":\"command\",\"name\":\"pan\"}",
    "{\"type\":\"command\",\"id\":-1,\"name\":\"pan\"}",
    "{\"type\":\"command\",\"id\":\"1\",\"name\":\"pan\"}",
    "{\"type\":\"command\",\"id\":1}",
    "{\"type\":\"command\",\"id\":1,\"name\":\"pan\",\"payload\":{}}",
    "{\"type\":\"command-reply\",\"id\":1}",
    "{\"type\":\"event\",\"name\":7}",
  };
  g_autofree gchar *big = g_strnfill (P2P_COMMAND_MAX_PAYLOAD + 1, 'x');
  g_autofree gchar *long_name = g_strnfill (P2P_COMMAND_MAX_NAME + 1, 'n');
  GError *error = NULL;
  P2pCommand cmd;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (JsonObject) obj = parse (bad[i]);

    g_assert_false (p2p_command_parse (obj, &cmd, &error));
    g_assert_error (error, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_MALFORMED);
    g_clear_error (&error);
  }
  g_assert_false (p2p_command_check ("pan", big, &error));
  g_assert_error (error, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_TOO_LARGE);
  g_clear_error (&error);
  big[P2P_COMMAND_MAX_PAYLOAD] = '\0';
  g_assert_true (p2p_command_check ("pan", big, NULL));
  g_assert_false (p2p_command_check (long_name, NULL, &error));
  g_assert_error (error, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_assert_false (p2p_command_check ("", NULL, NULL));
  g_assert_false (p2p_command_check ("a b", NULL, NULL));
  g_assert_false (p2p_command_check ("pan\n", NULL, NULL));
  g_assert_true (p2p_command_check ("ptz.pan_left-1", NULL, NULL));
}

static void
test_rate_limit (void)
{
  P2pRateLimit *limit = p2p_rate_limit_new (10, 3);
  gint64 t = 1000 * G_USEC_PER_SEC;

  /* A full burst, then nothing until tokens come back at 10 a second. */
  g_assert_true (p2p_rate_limit_take (limit, t));
  g_assert_true (p2p_rate_limit_take (limit, t));
  g_assert_true (p2p_rate_limit_take (limit, t));
  g_assert_false (p2p_rate_limit_take (limit, t));
  g_assert_false (p2p_rate_limit_take (limit, t + 50 * 1000));
  g_assert_true (p2p_rate_limit_take (limit, t + 110 * 1000));
  g_assert_false (p2p_rate_limit_take (limit, t + 120 * 1000));
  /* A long pause refills the burst, not more. */
  t += 60 * G_USEC_PER_SEC;
  g_assert_true (p2p_rate_limit_take (limit, t));
  g_assert_true (p2p_rate_limit_take (limit, t));
  g_assert_true (p2p_rate_limit_take (limit, t));
  g_assert_false (p2p_rate_limit_take (limit, t));
  p2p_rate_limit_free (limit);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/command/round-trip", test_round_trip);
  g_test_add_func ("/p2p/command/refused", test_refused);
  g_test_add_func ("/p2p/command/rate-limit", test_rate_limit);
  return g_test_run ();
}
