/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void p2p_server_log (const gchar * level, const gchar * event,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

void p2p_server_log_set_quiet (gboolean quiet);

G_END_DECLS
