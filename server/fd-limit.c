/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* New connections near the descriptor limit. When accept() fails with
 * EMFILE, the connection stays queued, the listening socket stays
 * readable and libwebsockets tries again at once: the loop spins and logs
 * an error per turn. So the server refuses connections itself before the
 * limit: one accepted on a descriptor numbered within the reserve of the
 * limit is closed at once. The kernel hands out the lowest free number,
 * so such a number means that nearly every descriptor is taken; the
 * reserve keeps room for what is not a connection (a registry
 * reconnection, SQLite's journal). Connections already open are not
 * touched. */

#include "fd-limit.h"

#include <sys/resource.h>

#include "server-log.h"

/* Refusals are logged at most this often (the count is in the line). */
#define LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

static gint64 first_refused_fd = G_MAXINT;
static guint64 refused;
static guint64 refused_logged;
static gint64 logged_us;

/**
 * p2p_fd_limit_init:
 * @reserve: descriptors kept for what is not a client connection
 *
 * Reads the process's descriptor limit (RLIMIT_NOFILE, soft).
 */
void
p2p_fd_limit_init (guint reserve)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY
      || limit.rlim_cur > G_MAXINT)
    return;
  first_refused_fd = MAX ((gint64) limit.rlim_cur - reserve, 0);
}

/**
 * p2p_fd_limit_refuse:
 * @fd: the descriptor a new connection was accepted on
 *
 * Call for every accepted connection, before anything is done with it
 * (libwebsockets' LWS_CALLBACK_FILTER_NETWORK_CONNECTION).
 *
 * Returns: %TRUE when the connection must be closed at once
 */
gboolean
p2p_fd_limit_refuse (gint fd)
{
  gint64 now;

  if (fd < first_refused_fd)
    return FALSE;
  refused++;
  now = g_get_monotonic_time ();
  if (refused_logged == 0 || now - logged_us >= LOG_INTERVAL_US) {
    p2p_server_log ("warning", "fd-limit", "fd=%d refused=%" G_GUINT64_FORMAT
        " msg=\"near the descriptor limit: new connections refused\"", fd,
        refused - refused_logged);
    refused_logged = refused;
    logged_us = now;
  }
  return TRUE;
}

/**
 * p2p_fd_limit_get_refused:
 *
 * Returns: the connections refused so far
 */
guint64
p2p_fd_limit_get_refused (void)
{
  return refused;
}
