/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define P2P_TYPE_LOOP (p2p_loop_get_type ())
G_DECLARE_FINAL_TYPE (P2pLoop, p2p_loop, P2P, LOOP, GObject)

P2pLoop *p2p_loop_new (const gchar * name);

P2pLoop *p2p_loop_get_default (void);

GMainContext *p2p_loop_get_context (P2pLoop * self);

gboolean p2p_loop_is_current (P2pLoop * self);

void p2p_loop_invoke (P2pLoop * self, GSourceFunc func, gpointer data,
    GDestroyNotify notify);

void p2p_loop_invoke_sync (P2pLoop * self, GSourceFunc func, gpointer data);

void p2p_loop_park (P2pLoop * self, gint fd);

void p2p_loop_unpark (P2pLoop * self, gint fd);

guint p2p_loop_get_n_parked (P2pLoop * self);

void p2p_loop_foreach_polled (P2pLoop * self,
    void (*func) (gint fd, gpointer data), gpointer data);

G_END_DECLS
