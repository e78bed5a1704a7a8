/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gchar **p2p_server_list_for_uid (const gchar * const *servers,
    const gchar * uid);

G_END_DECLS
