/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL gboolean p2p_system_ca_peek (GTlsDatabase ** database);
G_GNUC_INTERNAL void p2p_system_ca_load_async (GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
G_GNUC_INTERNAL GTlsDatabase *p2p_system_ca_load_finish (GAsyncResult *
    result);
G_GNUC_INTERNAL guint p2p_system_ca_get_loads (void);

G_END_DECLS
