/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libwebsockets.h>

#include "registry-queue.h"
#include "server-config.h"

G_BEGIN_DECLS

/**
 * P2pBroker:
 *
 * The server's protocol state: sessions, logged-in devices, calls, rate
 * limits. It runs entirely on the event-loop thread.
 */
typedef struct _P2pBroker P2pBroker;

/**
 * P2pBrokerStats:
 * @connections: open WebSocket connections
 * @devices: devices logged in
 * @viewers: viewer connections welcomed
 * @calls: calls brokered and not yet ended
 * @registry_queue: registry lookups queued or running
 * @draining: whether the server is shutting down
 * @logins: device logins accepted since start
 * @login_failures: device logins refused after a challenge since start
 * @logins_deferred: device hellos told to come back later by the
 *     admission rate since start
 * @calls_total: calls brokered since start
 * @errors_sent: error messages sent since start
 * @registry_errors: registry failures since start
 * @registry_busy: requests refused since start because too many lookups
 *     were waiting for the registry
 *
 * What the admin port exports as metrics.
 */
typedef struct
{
  guint connections;
  guint devices;
  guint viewers;
  guint calls;
  guint registry_queue;
  gboolean draining;
  guint64 logins;
  guint64 login_failures;
  guint64 logins_deferred;
  guint64 calls_total;
  guint64 errors_sent;
  guint64 registry_errors;
  guint64 registry_busy;
} P2pBrokerStats;

P2pBroker *p2p_broker_new (const P2pServerConfig * config,
    P2pRegistryQueue * registry);

void p2p_broker_free (P2pBroker * broker);

gsize p2p_broker_session_size (void);

int p2p_broker_lws_callback (struct lws *wsi,
    enum lws_callback_reasons reason, void *user, void *in, size_t len);

void p2p_broker_tick (P2pBroker * broker);

void p2p_broker_drain (P2pBroker * broker);

void p2p_broker_revoke (P2pBroker * broker, const gchar * uid);

guint p2p_broker_get_n_sessions (P2pBroker * broker);

void p2p_broker_get_stats (P2pBroker * broker, P2pBrokerStats * stats);

G_END_DECLS
