/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "registry.h"

G_BEGIN_DECLS

/**
 * P2pRegistryQueue:
 *
 * Registry reads off the event loop: device lookups on a few threads of
 * their own, revocations watched on another.
 */
typedef struct _P2pRegistryQueue P2pRegistryQueue;

/**
 * P2pRegistryRequest:
 *
 * One queued lookup, owned by the queue.
 */
typedef struct _P2pRegistryRequest P2pRegistryRequest;

/**
 * P2pRegistryLookupFunc:
 * @device: (transfer full) (nullable): the device, or %NULL
 * @error: (nullable): why @device is %NULL (a #P2P_REGISTRY_ERROR)
 * @data: the data given to p2p_registry_queue_lookup()
 *
 * Called on the loop thread, from p2p_registry_queue_dispatch().
 */
typedef void (*P2pRegistryLookupFunc) (P2pDevice * device,
    const GError * error, gpointer data);

/**
 * P2pRegistryRevokedFunc:
 * @uid: a UID revoked since the previous call (repeats possible)
 * @data: user data
 *
 * Called on the loop thread, from p2p_registry_queue_dispatch().
 */
typedef void (*P2pRegistryRevokedFunc) (const gchar * uid, gpointer data);

/**
 * P2pRegistryWakeFunc:
 * @data: user data
 *
 * Called on any thread when p2p_registry_queue_dispatch() has work.
 */
typedef void (*P2pRegistryWakeFunc) (gpointer data);

P2pRegistryQueue *p2p_registry_queue_new (GPtrArray * readers,
    P2pRegistry * watcher, guint max_queued, P2pRegistryWakeFunc wake,
    P2pRegistryRevokedFunc revoked, gpointer data);

void p2p_registry_queue_free (P2pRegistryQueue * queue);

P2pRegistryRequest *p2p_registry_queue_lookup (P2pRegistryQueue * queue,
    const gchar * uid, P2pRegistryLookupFunc done, gpointer data);

void p2p_registry_request_cancel (P2pRegistryRequest * request);

void p2p_registry_queue_dispatch (P2pRegistryQueue * queue);

guint p2p_registry_queue_get_length (P2pRegistryQueue * queue);

G_END_DECLS
