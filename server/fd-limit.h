/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void p2p_fd_limit_init (guint reserve);

gboolean p2p_fd_limit_refuse (gint fd, gboolean plain_http);

guint64 p2p_fd_limit_get_refused (void);

G_END_DECLS
