/* p2p-server rendezvous order tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "server-list.h"

/* No servers configured: an empty list. This used to hand qsort() a NULL
 * array, which UBSan reports (issue 9, finding 7). */
static void
test_empty (void)
{
  const gchar *const none[] = { NULL };
  g_auto (GStrv) out = p2p_server_list_for_uid (none, "ABCD-EFGH-JKLM-NPQR");

  g_assert_nonnull (out);
  g_assert_null (out[0]);
}

static void
test_order (void)
{
  const gchar *const servers[] = { "wss://a.test", "wss://b.test",
    "wss://c.test", NULL
  };
  const gchar *const reversed[] = { "wss://c.test", "wss://b.test",
    "wss://a.test", NULL
  };
  g_auto (GStrv) one = p2p_server_list_for_uid (servers, "ABCD-EFGH-JKLM-NPQR");
  g_auto (GStrv) two = p2p_server_list_for_uid (reversed,
      "ABCD-EFGH-JKLM-NPQR");
  g_auto (GStrv) single = p2p_server_list_for_uid (servers + 2,
      "ABCD-EFGH-JKLM-NPQR");

  /* Every client computes the same order, whatever the configured one. */
  g_assert_cmpuint (g_strv_length (one), ==, 3);
  g_assert_true (g_strv_equal ((const gchar * const *) one,
          (const gchar * const *) two));
  g_assert_true (g_strv_contains ((const gchar * const *) one, "wss://a.test"));
  g_assert_true (g_strv_contains ((const gchar * const *) one, "wss://b.test"));
  g_assert_true (g_strv_contains ((const gchar * const *) one, "wss://c.test"));
  g_assert_cmpuint (g_strv_length (single), ==, 1);
  g_assert_cmpstr (single[0], ==, "wss://c.test");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/server-list/empty", test_empty);
  g_test_add_func ("/server/server-list/order", test_order);
  return g_test_run ();
}
