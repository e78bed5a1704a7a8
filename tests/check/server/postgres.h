/* p2p-server tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

const gchar *harness_registry_backend (void);

gchar *harness_registry_new (const gchar * dir);

void harness_registry_cleanup (void);

gchar *harness_registry_replica (const gchar * registry);

gpointer harness_sql_connect (const gchar * registry);

void harness_sql_exec (gpointer conn, const gchar * sql);

gint64 harness_sql_get_int (gpointer conn, const gchar * sql);

void harness_sql_close (gpointer conn);

G_END_DECLS
