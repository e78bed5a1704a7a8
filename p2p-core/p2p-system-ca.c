/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The system's certificate authorities, for wss:// servers when the
 * application gave none (P2pSignalling:tls-database). GIO's TLS backend
 * reads them on first use, and that first use would otherwise be inside the
 * first TLS handshake, on the loop thread: parsing the store took over
 * 20 s under AddressSanitizer on a busy machine, time that counted against
 * the login time-out and the server's handshake time-out, and during which
 * the loop (shared with other clients and transports) did nothing else.
 * So the store is loaded once per process, on a worker thread, before the
 * first wss:// connection starts, and kept for the process. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-system-ca.h"

static GMutex lock;
static gboolean loaded;         /* (L) tried, whether it worked or not */
static GTlsDatabase *database;  /* (L) NULL if the backend has none */
static guint loads;             /* (L) */

/* Whether the store was loaded; if so, @database gets a reference to it,
 * or %NULL when the system has no TLS database. Any thread. */
gboolean
p2p_system_ca_peek (GTlsDatabase ** out)
{
  gboolean done;

  g_mutex_lock (&lock);
  done = loaded;
  *out = database ? g_object_ref (database) : NULL;
  g_mutex_unlock (&lock);
  return done;
}

static void
load_thread (GTask * task, gpointer source, gpointer data,
    GCancellable * cancellable)
{
  GTlsDatabase *result;

  /* Under the lock: a second caller waits for the first's load rather
   * than starting its own. */
  g_mutex_lock (&lock);
  if (!loaded) {
    database = g_tls_backend_get_default_database (g_tls_backend_get_default
        ());
    loaded = TRUE;
    loads++;
  }
  result = database ? g_object_ref (database) : NULL;
  g_mutex_unlock (&lock);
  g_task_return_pointer (task, result, g_object_unref);
}

/* Loads the store on a worker thread (at once if loaded); @callback runs
 * on the thread-default main context of the caller. */
void
p2p_system_ca_load_async (GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, p2p_system_ca_load_async);
  g_task_run_in_thread (task, load_thread);
  g_object_unref (task);
}

/* Returns: (transfer full) (nullable): the store, or %NULL when the system
 * has none or @result was cancelled */
GTlsDatabase *
p2p_system_ca_load_finish (GAsyncResult * result)
{
  return g_task_propagate_pointer (G_TASK (result), NULL);
}

/* How many times the store was loaded in this process: once at most. For
 * tests. */
guint
p2p_system_ca_get_loads (void)
{
  guint n;

  g_mutex_lock (&lock);
  n = loads;
  g_mutex_unlock (&lock);
  return n;
}
