/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-loop.h"

#include <agent.h>

G_BEGIN_DECLS

typedef struct _P2pUnselectedSockets P2pUnselectedSockets;

G_GNUC_INTERNAL
P2pUnselectedSockets *p2p_unselected_sockets_new (P2pLoop * loop);

G_GNUC_INTERNAL
void p2p_unselected_sockets_free (P2pUnselectedSockets * sockets);

G_GNUC_INTERNAL
void p2p_unselected_sockets_park (P2pUnselectedSockets * sockets,
    NiceAgent * agent, guint stream_id, guint component_id, gint selected);

G_GNUC_INTERNAL
void p2p_unselected_sockets_unpark (P2pUnselectedSockets * sockets);

G_GNUC_INTERNAL
guint p2p_unselected_sockets_count (P2pUnselectedSockets * sockets);

G_END_DECLS
