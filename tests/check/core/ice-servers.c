/* ICE servers given by host name: resolved without blocking the loop.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gio/gio.h>
#include <p2p-core/p2p-core.h>

/* A resolver that fails the test when asked synchronously (that would
 * stall the loop thread every viewer shares for as long as DNS takes) and
 * answers asynchronous lookups with 127.0.0.1. */
typedef struct
{
  GResolver parent;
} MockResolver;

typedef struct
{
  GResolverClass parent_class;
} MockResolverClass;

static GType mock_resolver_get_type (void);
G_DEFINE_TYPE (MockResolver, mock_resolver, G_TYPE_RESOLVER);

static gint sync_lookups, async_lookups;

static GList *
mock_lookup (GResolver * resolver, const gchar * host,
    GCancellable * cancellable, GError ** error)
{
  g_atomic_int_inc (&sync_lookups);
  g_set_error_literal (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
      "synchronous lookup");
  return NULL;
}

static void
mock_lookup_async (GResolver * resolver, const gchar * host,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer data)
{
  GTask *task = g_task_new (resolver, cancellable, callback, data);

  g_atomic_int_inc (&async_lookups);
  g_task_return_pointer (task, g_list_prepend (NULL,
          g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4)),
      (GDestroyNotify) g_resolver_free_addresses);
  g_object_unref (task);
}

static GList *
mock_lookup_finish (GResolver * resolver, GAsyncResult * result,
    GError ** error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
mock_resolver_class_init (MockResolverClass * klass)
{
  GResolverClass *rc = G_RESOLVER_CLASS (klass);

  rc->lookup_by_name = mock_lookup;
  rc->lookup_by_name_async = mock_lookup_async;
  rc->lookup_by_name_finish = mock_lookup_finish;
}

static void
mock_resolver_init (MockResolver * self)
{
}

typedef struct
{
  P2pTransport *transport;
  gboolean added;
} AddCall;

static gboolean
add_servers (gpointer data)
{
  AddCall *call = data;

  call->added = p2p_transport_add_ice_server (call->transport,
      "turn:turn.example.test:3478", "user", "secret", NULL)
      && p2p_transport_add_ice_server (call->transport,
      "stun:stun.example.test", NULL, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
test_names_resolved_in_background (void)
{
  g_autoptr (GResolver) mock = g_object_new (mock_resolver_get_type (), NULL);
  g_autoptr (P2pLoop) loop = p2p_loop_new ("ice-servers");
  AddCall call = { NULL, FALSE };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_resolver_set_default (mock);
  call.transport = p2p_transport_new (loop, NULL, TRUE);
  p2p_loop_invoke_sync (loop, add_servers, &call);
  g_assert_true (call.added);
  g_assert_cmpint (g_atomic_int_get (&sync_lookups), ==, 0);
  /* The TURN name goes to the resolver's background lookup. */
  while (g_atomic_int_get (&async_lookups) == 0
      && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_cmpint (g_atomic_int_get (&async_lookups), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&sync_lookups), ==, 0);
  p2p_transport_close (call.transport);
  g_object_unref (call.transport);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/ice-servers/names-resolved-in-background",
      test_names_resolved_in_background);
  return g_test_run ();
}
