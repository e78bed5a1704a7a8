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
 * touched. On a plain-HTTP listener (ws://, the admin port) the refused
 * connection first reads a 503 with Retry-After, which clients and load
 * balancers take as "up but busy"; a TLS listener can only close. */

#include "fd-limit.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include "server-log.h"

/* Refusals are logged at most this often (the count is in the line). */
#define LOG_INTERVAL_US (10 * G_USEC_PER_SEC)
/* When a refused client may come back: descriptors free up as soon as
 * connections end, and p2p-core's client waits up to 8 reconnect-min-delay
 * when busy anyway. */
#define RETRY_AFTER_S "5"
#define BUSY_RESPONSE "HTTP/1.1 503 Service Unavailable\r\n" \
  "Retry-After: " RETRY_AFTER_S "\r\n" \
  "Content-Length: 0\r\n" \
  "Connection: close\r\n\r\n"

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

/* Best effort, never waiting: a fresh socket's send buffer takes the
 * answer at once. The request, if already there, is read first so that the
 * close sends a FIN after the answer rather than a reset. */
static void
answer_busy (gint fd)
{
  gchar discard[2048];

  while (recv (fd, discard, sizeof (discard), MSG_DONTWAIT) > 0);
  send (fd, BUSY_RESPONSE, sizeof (BUSY_RESPONSE) - 1,
      MSG_DONTWAIT | MSG_NOSIGNAL);
}

/**
 * p2p_fd_limit_refuse:
 * @fd: the descriptor a new connection was accepted on
 * @plain_http: whether the listener speaks plain HTTP (not TLS): a refused
 *     connection is then answered `503 Service Unavailable` with
 *     `Retry-After` before it is closed
 *
 * Call for every accepted connection, before anything is done with it
 * (libwebsockets' LWS_CALLBACK_FILTER_NETWORK_CONNECTION).
 *
 * Returns: %TRUE when the connection must be closed at once
 */
gboolean
p2p_fd_limit_refuse (gint fd, gboolean plain_http)
{
  gint64 now;

  if (fd < first_refused_fd)
    return FALSE;
  if (plain_http)
    answer_busy (fd);
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
