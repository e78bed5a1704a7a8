/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What a registry backend implements (registry-sqlite.c,
 * registry-postgres.c); registry.c dispatches to it. Private to the
 * server's sources. */

#pragma once

#include "registry.h"

G_BEGIN_DECLS

typedef struct _P2pRegistryBackend P2pRegistryBackend;

struct _P2pRegistry
{
  const P2pRegistryBackend *backend;
  gint64 revoked_since;         /* Unix seconds the next poll starts at */
};

/* Each backend's instance starts with a P2pRegistry. Schema versions
 * count from 1 (the devices table); migrate applies every step above the
 * current one, in one transaction. */
struct _P2pRegistryBackend
{
  const gchar *name;
  void (*close) (P2pRegistry * registry);
  gint (*get_version) (P2pRegistry * registry, GError ** error);
  gboolean (*migrate) (P2pRegistry * registry, GError ** error);
  gboolean (*add) (P2pRegistry * registry, const P2pDevice * device,
      GError ** error);
  P2pDevice *(*lookup) (P2pRegistry * registry, const gchar * uid,
      GError ** error);
  GPtrArray *(*list) (P2pRegistry * registry, GError ** error);
  gboolean (*revoke) (P2pRegistry * registry, const gchar * uid,
      gint64 when, GError ** error);
  /* UIDs revoked at @since or later, and those announced since the last
   * call (PostgreSQL's NOTIFY), repeats allowed. */
  GPtrArray *(*revoked_since) (P2pRegistry * registry, gint64 since,
      GError ** error);
  gint (*get_watch_fd) (P2pRegistry * registry);
};

P2pRegistry *p2p_registry_sqlite_open (const gchar * path, gboolean create,
    gboolean read_only, GError ** error);

P2pRegistry *p2p_registry_postgres_open (const gchar * conninfo,
    gboolean create, gboolean read_only, GError ** error);

G_END_DECLS
