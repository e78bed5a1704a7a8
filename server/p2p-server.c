/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2p-server: process set-up around the broker. libwebsockets runs on a
 * libuv loop we own (a "foreign" loop), so the signal handlers and the
 * one-second tick live on the same thread as every connection and need no
 * locking. Only the registry is read on threads of its own
 * (registry-queue.c), whose answers come back through an async handle. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "admin-http.h"
#include "broker.h"
#include "fd-limit.h"
#include "p2p-protocol.h"
#include "server-config.h"
#include "server-log.h"

/* Descriptors kept free of client connections: for the registry's
 * reconnections, SQLite's journal, the admin port's own answer. */
#define FD_RESERVE 32

/* Registry lookups waiting at most, all connections together: past that,
 * clients are told to retry (a database this far behind is not catching
 * up with more work). */
#define MAX_QUEUED_LOOKUPS 10000

typedef struct
{
  P2pServerConfig *config;
  P2pRegistryQueue *registry;
  const gchar *backend;         /* sqlite or postgresql */
  P2pBroker *broker;
  struct lws_context *context;
  uv_loop_t loop;
  uv_signal_t sigterm;
  uv_signal_t sigint;
  uv_timer_t tick;
  uv_async_t registry_async;    /* answers from the registry threads */
  gint64 drain_deadline_us;     /* 0 while serving */
  gboolean stopped;
} Server;

static void
on_lws_log (int level, const char *line)
{
  g_autofree gchar *text = g_strescape (line, NULL);

  g_strchomp (text);
  p2p_server_log (level == LLL_ERR ? "error" : "warning", "lws",
      "msg=\"%s\"", text);
}

/* A registry thread has answers: take them on the loop's thread. */
static void
on_registry_answers (uv_async_t * handle)
{
  Server *server = handle->data;

  p2p_registry_queue_dispatch (server->registry);
}

static void
wake_loop (gpointer data)
{
  Server *server = data;

  uv_async_send (&server->registry_async);
}

static void
on_revoked (const gchar * uid, gpointer data)
{
  Server *server = data;

  p2p_broker_revoke (server->broker, uid);
}

/* The registries: @watcher (the primary, for revocations) and one per
 * lookup thread, of registry-read if set. Opened here, so that a wrong
 * location ends the process at start, not at the first login. */
static gboolean
open_registries (Server * server, GError ** error)
{
  const P2pServerConfig *c = server->config;
  g_autoptr (P2pRegistry) watcher = NULL;
  g_autoptr (GPtrArray) readers = g_ptr_array_new_with_free_func
      ((GDestroyNotify) p2p_registry_close);
  gint i;

  watcher = p2p_registry_open (c->registry, FALSE, TRUE, error);
  if (!watcher || !p2p_registry_check_version (watcher, error))
    return FALSE;
  for (i = 0; i < c->registry_connections; i++) {
    P2pRegistry *reader = p2p_registry_open (c->registry_read ?
        c->registry_read : c->registry, FALSE, TRUE, error);

    if (!reader)
      return FALSE;
    g_ptr_array_add (readers, reader);
    if (!p2p_registry_check_version (reader, error))
      return FALSE;
  }
  server->backend = p2p_registry_get_backend (watcher);
  g_ptr_array_set_free_func (readers, NULL);
  server->registry = p2p_registry_queue_new (g_steal_pointer (&readers),
      g_steal_pointer (&watcher), MAX_QUEUED_LOOKUPS, wake_loop, on_revoked,
      server);
  return TRUE;
}

static void
stop (Server * server)
{
  if (server->stopped)
    return;
  server->stopped = TRUE;
  uv_signal_stop (&server->sigterm);
  uv_signal_stop (&server->sigint);
  /* libuv gave SIGTERM its default action back: a second one (a service
   * manager's, an impatient operator's) would kill the process that is
   * about to exit cleanly. */
  signal (SIGTERM, SIG_IGN);
  uv_timer_stop (&server->tick);
  uv_close ((uv_handle_t *) & server->sigterm, NULL);
  uv_close ((uv_handle_t *) & server->sigint, NULL);
  uv_close ((uv_handle_t *) & server->tick, NULL);
  /* With a foreign loop this closes lws' own handles; uv_run() returns once
   * they are gone. lws writes NULL to server->context (info.pcontext) once
   * the context is freed. */
  lws_context_destroy (server->context);
}

static void
on_tick (uv_timer_t * timer)
{
  Server *server = timer->data;

  p2p_broker_tick (server->broker);
  if (server->drain_deadline_us &&
      (p2p_broker_get_n_sessions (server->broker) == 0 ||
          g_get_monotonic_time () > server->drain_deadline_us)) {
    p2p_server_log ("info", "stopped", "open=%u",
        p2p_broker_get_n_sessions (server->broker));
    stop (server);
  }
}

static void
on_signal (uv_signal_t * handle, int signum)
{
  Server *server = handle->data;

  if (server->drain_deadline_us)
    return;
  p2p_server_log ("info", "draining", "signal=%d open=%u", signum,
      p2p_broker_get_n_sessions (server->broker));
  server->drain_deadline_us = g_get_monotonic_time () +
      server->config->drain_timeout * G_USEC_PER_SEC;
  p2p_broker_drain (server->broker);
  /* Check often while draining, so an idle server exits at once. */
  uv_timer_start (&server->tick, on_tick, 50, 50);
}

static gboolean
write_port_file (const gchar * path, gint port, GError ** error)
{
  g_autofree gchar *text = g_strdup_printf ("%d\n", port);

  /* g_file_set_contents() renames into place: readers never see half. */
  return g_file_set_contents (path, text, -1, error);
}

/* Why @address:@port cannot be bound, in words: lws only logs an errno.
 * Binding a socket of our own the way lws does (address reuse on) gives
 * the system's reason. */
static gchar *
bind_failure (const gchar * address, gint port)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr (GSocketAddress) where = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GError) error = NULL;

  if (!inet)
    return g_strdup_printf ("%s is not an IP address", address);
  where = g_inet_socket_address_new (inet, port);
  socket = g_socket_new (g_inet_address_get_family (inet),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (socket && g_socket_bind (socket, where, TRUE, &error) &&
      g_socket_listen (socket, &error))
    return g_strdup ("refused by libwebsockets (see its lines above)");
  return g_strdup (error->message);
}

static const struct lws_protocols protocols[] = {
  {P2P_PROTOCOL_SUBPROTOCOL, p2p_broker_lws_callback, 0, 4096, 0, NULL, 0},
  {NULL, NULL, 0, 0, 0, NULL, 0}
};

static const struct lws_protocols admin_protocols[] = {
  {"http", p2p_admin_http_lws_callback, 0, 0, 0, NULL, 0},
  {NULL, NULL, 0, 0, 0, NULL, 0}
};

/* The lws options that make a vhost listen on @address only. lws 4.1
 * binds an IPv4 address given to an IPv6 socket wrongly: it writes it
 * where the flow label goes and listens on [::], every address of the
 * host. An IPv4 socket takes the address as given. */
static guint64
listen_options (const gchar * address)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);

  if (inet && g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    return LWS_SERVER_OPTION_DISABLE_IPV6;
  return 0;
}

/* The admin vhost (/metrics, /health) on admin-address:admin-port, plain
 * HTTP whatever the signalling uses. Returns its port, -1 if it cannot
 * bind. */
static gint
create_admin_vhost (Server * server, struct lws_protocols *protos)
{
  struct lws_context_creation_info info;
  struct lws_vhost *vhost;

  memcpy (protos, admin_protocols, sizeof (admin_protocols));
  protos[0].per_session_data_size = p2p_admin_http_session_size ();
  memset (&info, 0, sizeof (info));
  info.port = server->config->admin_port;
  info.iface = server->config->admin_address;
  info.options = listen_options (server->config->admin_address);
  info.protocols = protos;
  info.vhost_name = "admin";
  info.timeout_secs = server->config->handshake_timeout;
  vhost = lws_create_vhost (server->context, &info);
  return vhost ? lws_get_vhost_listen_port (vhost) : -1;
}

/* The bind failure of @address:@port, reported as the process ends. */
static void
report_bind_failure (const gchar * what, const gchar * address, gint port)
{
  g_autofree gchar *reason = bind_failure (address, port);

  g_printerr ("p2p-server: cannot listen%s on %s:%d: %s\n", what, address,
      port, reason);
  p2p_server_log ("error", "bind-failed", "addr=%s port=%d msg=\"%s\"",
      address, port, reason);
}

/**
 * main:
 *
 * Runs the server until SIGTERM or SIGINT; see `p2p-server --help`.
 */
int
main (int argc, char **argv)
{
  Server server = { 0 };
  g_autoptr (GError) error = NULL;
  struct lws_context_creation_info info;
  struct lws_protocols protos[G_N_ELEMENTS (protocols)];
  void *foreign_loops[1];
  struct lws_vhost *vhost;
  struct lws_protocols admin_protos[G_N_ELEMENTS (admin_protocols)];
  gint port, admin_port = -1, status = 0;
  gboolean admin_failed = FALSE;

  server.config = p2p_server_config_load (&argc, &argv, &error);
  if (!server.config) {
    g_printerr ("p2p-server: %s\n", error->message);
    return 2;
  }
  if (g_getenv ("P2P_SERVER_QUIET"))
    p2p_server_log_set_quiet (TRUE);

  /* The async handle first: the registry threads may wake it at once. */
  uv_loop_init (&server.loop);
  uv_async_init (&server.loop, &server.registry_async, on_registry_answers);
  server.registry_async.data = &server;
  /* It must not keep the loop running once everything else stopped. */
  uv_unref ((uv_handle_t *) & server.registry_async);
  if (!open_registries (&server, &error)) {
    g_printerr ("p2p-server: %s\n", error->message);
    uv_close ((uv_handle_t *) & server.registry_async, NULL);
    uv_run (&server.loop, UV_RUN_DEFAULT);
    uv_loop_close (&server.loop);
    p2p_server_config_free (server.config);
    return 2;
  }
  server.broker = p2p_broker_new (server.config, server.registry);
  p2p_fd_limit_init (FD_RESERVE);

  /* A peer closing mid-write must not kill the process. */
  signal (SIGPIPE, SIG_IGN);
  uv_signal_init (&server.loop, &server.sigterm);
  uv_signal_init (&server.loop, &server.sigint);
  uv_timer_init (&server.loop, &server.tick);
  server.sigterm.data = server.sigint.data = server.tick.data = &server;
  uv_signal_start (&server.sigterm, on_signal, SIGTERM);
  uv_signal_start (&server.sigint, on_signal, SIGINT);
  uv_timer_start (&server.tick, on_tick, 1000, 1000);

  lws_set_log_level (LLL_ERR | LLL_WARN, on_lws_log);

  memcpy (protos, protocols, sizeof (protocols));
  protos[0].per_session_data_size = p2p_broker_session_size ();
  foreign_loops[0] = &server.loop;
  memset (&info, 0, sizeof (info));
  /* An explicit vhost: lws_create_vhost() reports a failed bind, where
   * lws 4.1's default vhost fails silently and leaves a context that
   * crashes when closed. */
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
      listen_options (server.config->listen);
  info.foreign_loops = foreign_loops;
  info.port = server.config->port;
  info.iface = server.config->listen;
  info.protocols = protos;
  info.user = server.broker;
  info.timeout_secs = server.config->handshake_timeout;
  info.vhost_name = "p2p";
  info.pcontext = &server.context;
  if (server.config->tls_cert) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = server.config->tls_cert;
    info.ssl_private_key_filepath = server.config->tls_key;
  }

  server.context = lws_create_context (&info);
  if (!server.context) {
    g_printerr ("p2p-server: cannot listen on %s:%d (see the lws lines "
        "above)\n", server.config->listen, server.config->port);
    return 2;
  }
  vhost = lws_create_vhost (server.context, &info);
  port = vhost ? lws_get_vhost_listen_port (vhost) : -1;
  if (port > 0 && server.config->admin_port >= 0) {
    admin_port = create_admin_vhost (&server, admin_protos);
    admin_failed = admin_port <= 0;
  }
  if (port <= 0) {
    report_bind_failure ("", server.config->listen, server.config->port);
    status = 2;
  } else if (admin_failed) {
    report_bind_failure (" (admin)", server.config->admin_address,
        server.config->admin_port);
    status = 2;
  } else if (server.config->port_file &&
      !write_port_file (server.config->port_file, port, &error)) {
    g_printerr ("p2p-server: %s\n", error->message);
    status = 2;
  } else {
    p2p_server_log ("info", "listening", "addr=%s port=%d scheme=%s role=%s "
        "server_id=%s registry=%s", server.config->listen, port,
        server.config->tls_cert ? "wss" : "ws",
        server.config->master && server.config->rendezvous ? "both" :
        server.config->master ? "master" : "rendezvous",
        server.config->server_id, server.backend);
    printf ("listening on %s:%d\n", server.config->listen, port);
    if (admin_port > 0)
      printf ("admin on %s:%d\n", server.config->admin_address, admin_port);
    fflush (stdout);
    uv_run (&server.loop, UV_RUN_DEFAULT);
  }

  if (!server.stopped)
    stop (&server);
  /* Let the handles closed in stop() finish. */
  uv_run (&server.loop, UV_RUN_DEFAULT);
  /* lws 4.1 frees a context on a foreign loop only when destroyed again
   * after its handles have closed. */
  if (server.context)
    lws_context_destroy (server.context);
  /* Every session is gone: no request is referenced any more. This waits
   * for a query still running. */
  p2p_registry_queue_free (server.registry);
  uv_close ((uv_handle_t *) & server.registry_async, NULL);
  uv_run (&server.loop, UV_RUN_DEFAULT);
  if (uv_loop_close (&server.loop) != 0)
    p2p_server_log ("warning", "exit", "msg=\"event loop not empty\"");

  p2p_broker_free (server.broker);
  p2p_server_config_free (server.config);
  return status;
}
