/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The SQLite registry backend: one file, one table of UIDs and their
 * public certificates, the embedded default for one server. p2p-uid writes
 * it; p2p-server only reads it, at every login or lookup, and looks for
 * revocations once a second. The schema version is SQLite's user_version
 * (0 in files older than versioning, which hold version 1). */

#include "registry-backend.h"

#include <sqlite3.h>

typedef struct
{
  P2pRegistry parent;
  sqlite3 *db;
} SqliteRegistry;

#define DB(r) (((SqliteRegistry *) (r))->db)

/* Step N of the schema, applied in order by migrate(). */
static const gchar *const migrations[] = {
  /* 1: the devices */
  "CREATE TABLE IF NOT EXISTS devices ("
      " uid TEXT PRIMARY KEY NOT NULL,"
      " fingerprint TEXT NOT NULL,"
      " certificate TEXT NOT NULL,"
      " label TEXT,"
      " created INTEGER NOT NULL," " revoked INTEGER NOT NULL DEFAULT 0)",
  /* 2: revocations found without reading every row */
  "CREATE INDEX IF NOT EXISTS devices_revoked ON devices (revoked)"
      " WHERE revoked > 0",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == P2P_REGISTRY_SCHEMA_VERSION);

static void
set_sqlite_error (GError ** error, P2pRegistry * registry, gint code,
    const gchar * what)
{
  g_set_error (error, P2P_REGISTRY_ERROR, code, "%s: %s", what,
      sqlite3_errmsg (DB (registry)));
}

static void
sqlite_close (P2pRegistry * registry)
{
  sqlite3_close (DB (registry));
  g_free (registry);
}

static gint
sqlite_get_version (P2pRegistry * registry, GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  gint version = -1;

  if (sqlite3_prepare_v2 (DB (registry), "PRAGMA user_version", -1, &stmt,
          NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  if (version < 0) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_OPEN,
        "Schema version");
    return -1;
  }
  if (version > 0)
    return version;
  /* Before versioning: a devices table is version 1. */
  if (sqlite3_prepare_v2 (DB (registry), "SELECT uid, fingerprint, "
          "certificate, label, created, revoked FROM devices LIMIT 0", -1,
          &stmt, NULL) == SQLITE_OK)
    version = 1;
  sqlite3_finalize (stmt);
  return version;
}

static gboolean
sqlite_migrate (P2pRegistry * registry, GError ** error)
{
  gint version, v;
  gchar *pragma;
  gboolean ok = TRUE;

  if (sqlite3_exec (DB (registry), "BEGIN IMMEDIATE", NULL, NULL,
          NULL) != SQLITE_OK) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Migrate");
    return FALSE;
  }
  version = sqlite_get_version (registry, error);
  for (v = MAX (version, 0); ok && v < P2P_REGISTRY_SCHEMA_VERSION; v++)
    ok = sqlite3_exec (DB (registry), migrations[v], NULL, NULL,
        NULL) == SQLITE_OK;
  pragma = g_strdup_printf ("PRAGMA user_version = %d",
      P2P_REGISTRY_SCHEMA_VERSION);
  ok = ok && version >= 0 && sqlite3_exec (DB (registry), pragma, NULL, NULL,
      NULL) == SQLITE_OK;
  g_free (pragma);
  if (!ok || sqlite3_exec (DB (registry), "COMMIT", NULL, NULL,
          NULL) != SQLITE_OK) {
    if (version >= 0)
      set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Migrate");
    sqlite3_exec (DB (registry), "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
  return TRUE;
}

static gboolean
sqlite_add (P2pRegistry * registry, const P2pDevice * device, GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  gint rc;


  if (sqlite3_prepare_v2 (DB (registry),
          "INSERT INTO devices (uid, fingerprint, certificate, label, created)"
          " VALUES (?, ?, ?, ?, ?)", -1, &stmt, NULL) != SQLITE_OK) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Insert");
    return FALSE;
  }
  sqlite3_bind_text (stmt, 1, device->uid, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, device->fingerprint, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, device->certificate, -1, SQLITE_STATIC);
  if (device->label)
    sqlite3_bind_text (stmt, 4, device->label, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, device->created);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);

  if (rc == SQLITE_CONSTRAINT) {
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_EXISTS,
        "UID %s is already registered", device->uid);
    return FALSE;
  }
  if (rc != SQLITE_DONE) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED,
        "Cannot register the device");
    return FALSE;
  }
  return TRUE;
}

static gchar *
column_dup (sqlite3_stmt * stmt, gint column)
{
  const guchar *text = sqlite3_column_text (stmt, column);

  return text ? g_strdup ((const gchar *) text) : NULL;
}

static P2pDevice *
device_from_row (sqlite3_stmt * stmt)
{
  P2pDevice *device = g_new0 (P2pDevice, 1);

  device->uid = column_dup (stmt, 0);
  device->fingerprint = column_dup (stmt, 1);
  device->certificate = column_dup (stmt, 2);
  device->label = column_dup (stmt, 3);
  device->created = sqlite3_column_int64 (stmt, 4);
  device->revoked = sqlite3_column_int64 (stmt, 5);
  return device;
}

static P2pDevice *
sqlite_lookup (P2pRegistry * registry, const gchar * uid, GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  P2pDevice *device = NULL;
  gint rc;


  if (sqlite3_prepare_v2 (DB (registry),
          "SELECT uid, fingerprint, certificate, label, created, revoked "
          "FROM devices WHERE uid = ?", -1, &stmt, NULL) != SQLITE_OK) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Lookup");
    return NULL;
  }
  sqlite3_bind_text (stmt, 1, uid, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    device = device_from_row (stmt);
  else if (rc == SQLITE_DONE)
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_NOT_FOUND,
        "UID %s is not registered", uid);
  else
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Lookup");
  sqlite3_finalize (stmt);
  return device;
}

static GPtrArray *
sqlite_list (P2pRegistry * registry, GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  GPtrArray *devices;
  gint rc;


  if (sqlite3_prepare_v2 (DB (registry),
          "SELECT uid, fingerprint, certificate, label, created, revoked "
          "FROM devices ORDER BY uid", -1, &stmt, NULL) != SQLITE_OK) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "List");
    return NULL;
  }
  devices = g_ptr_array_new_with_free_func ((GDestroyNotify) p2p_device_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (devices, device_from_row (stmt));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "List");
    g_ptr_array_unref (devices);
    return NULL;
  }
  return devices;
}

static gboolean
sqlite_revoke (P2pRegistry * registry, const gchar * uid, gint64 when,
    GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  gint rc;

  if (sqlite3_prepare_v2 (DB (registry),
          "UPDATE devices SET revoked = ? WHERE uid = ? AND revoked = 0",
          -1, &stmt, NULL) != SQLITE_OK) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Revoke");
    return FALSE;
  }
  sqlite3_bind_int64 (stmt, 1, when);
  sqlite3_bind_text (stmt, 2, uid, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Revoke");
    return FALSE;
  }
  if (sqlite3_changes (DB (registry)) == 0) {
    P2pDevice *device = sqlite_lookup (registry, uid, error);

    /* Already revoked is success; unknown is not. */
    if (!device)
      return FALSE;
    p2p_device_free (device);
  }
  return TRUE;
}

static GPtrArray *
sqlite_revoked_since (P2pRegistry * registry, gint64 since, GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  GPtrArray *uids;
  gint rc;

  if (sqlite3_prepare_v2 (DB (registry),
          "SELECT uid FROM devices WHERE revoked >= ? AND revoked > 0", -1,
          &stmt, NULL) != SQLITE_OK) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED,
        "Revocations");
    return NULL;
  }
  sqlite3_bind_int64 (stmt, 1, since);
  uids = g_ptr_array_new_with_free_func (g_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (uids, g_strdup ((const gchar *)
            sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED,
        "Revocations");
    g_ptr_array_unref (uids);
    return NULL;
  }
  return uids;
}

static gint
sqlite_get_watch_fd (P2pRegistry * registry)
{
  return -1;
}

static const P2pRegistryBackend sqlite_backend = {
  "sqlite",
  sqlite_close,
  sqlite_get_version,
  sqlite_migrate,
  sqlite_add,
  sqlite_lookup,
  sqlite_list,
  sqlite_revoke,
  sqlite_revoked_since,
  sqlite_get_watch_fd,
};

/**
 * p2p_registry_sqlite_open:
 * @path: the registry file
 * @create: create the file when missing
 * @read_only: open for reading only (the server)
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Opens a SQLite registry file. Without @create a missing file is an error
 * rather than silently becoming an empty registry, so a mistyped path is
 * noticed.
 *
 * Returns: (transfer full) (nullable): the registry or %NULL with @error set
 */
P2pRegistry *
p2p_registry_sqlite_open (const gchar * path, gboolean create,
    gboolean read_only, GError ** error)
{
  SqliteRegistry *self = g_new0 (SqliteRegistry, 1);
  P2pRegistry *registry = &self->parent;
  gint flags;

  registry->backend = &sqlite_backend;
  if (read_only)
    flags = SQLITE_OPEN_READONLY;
  else
    flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);

  if (sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK) {
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_OPEN,
        "Cannot open registry %s: %s", path,
        self->db ? sqlite3_errmsg (self->db) : "out of memory");
    sqlite_close (registry);
    return NULL;
  }
  /* p2p-uid and the server may touch the file at the same moment. */
  sqlite3_busy_timeout (self->db, 2000);
  return registry;
}
