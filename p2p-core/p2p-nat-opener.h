/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * P2pNatOpenerDone:
 * @depth: NAT routers between this host and the internet (the leading
 *     hops that answered from private or shared addresses), or 0 when none
 *     answered in time
 * @user_data: data given to p2p_nat_opener_probe()
 */
typedef void (*P2pNatOpenerDone) (guint depth, gpointer user_data);

typedef struct _P2pNatOpenerProbe P2pNatOpenerProbe;

G_GNUC_INTERNAL
P2pNatOpenerProbe *p2p_nat_opener_probe (GMainContext * context,
    const gchar * local_ip, const gchar * target_ip, guint target_port,
    P2pNatOpenerDone done, gpointer user_data);

G_GNUC_INTERNAL
void p2p_nat_opener_probe_cancel (P2pNatOpenerProbe * probe);

G_GNUC_INTERNAL
gint p2p_nat_opener_find_socket (const gchar * local_ip, guint local_port);

G_GNUC_INTERNAL
gboolean p2p_nat_opener_send (gint fd, const gchar * remote_ip,
    guint remote_port, guint ttl);

G_END_DECLS
