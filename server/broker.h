/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libwebsockets.h>

#include "registry.h"
#include "server-config.h"

G_BEGIN_DECLS

/**
 * P2pBroker:
 *
 * The server's protocol state: sessions, logged-in devices, calls, rate
 * limits. It runs entirely on the event-loop thread.
 */
typedef struct _P2pBroker P2pBroker;

P2pBroker *p2p_broker_new (const P2pServerConfig * config,
    P2pRegistry * registry);

void p2p_broker_free (P2pBroker * broker);

gsize p2p_broker_session_size (void);

int p2p_broker_lws_callback (struct lws *wsi,
    enum lws_callback_reasons reason, void *user, void *in, size_t len);

void p2p_broker_tick (P2pBroker * broker);

void p2p_broker_drain (P2pBroker * broker);

guint p2p_broker_get_n_sessions (P2pBroker * broker);

G_END_DECLS
