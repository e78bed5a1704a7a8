/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The device registry: one SQLite table of UIDs and their public
 * certificates. p2p-uid writes it; p2p-server only reads it, once per login
 * or lookup, so a revocation takes effect at the device's next login without
 * restarting the server. */

#include "registry.h"

#include <sqlite3.h>

G_DEFINE_QUARK (p2p_registry_error, p2p_registry_error);

struct _P2pRegistry
{
  sqlite3 *db;
};

#define SCHEMA \
  "CREATE TABLE IF NOT EXISTS devices (" \
  " uid TEXT PRIMARY KEY NOT NULL," \
  " fingerprint TEXT NOT NULL," \
  " certificate TEXT NOT NULL," \
  " label TEXT," \
  " created INTEGER NOT NULL," \
  " revoked INTEGER NOT NULL DEFAULT 0)"

/**
 * p2p_device_free:
 * @device: (transfer full) (nullable): a device
 *
 * Frees @device and its strings.
 */
void
p2p_device_free (P2pDevice * device)
{
  if (!device)
    return;
  g_free (device->uid);
  g_free (device->fingerprint);
  g_free (device->certificate);
  g_free (device->label);
  g_free (device);
}

static void
set_sqlite_error (GError ** error, P2pRegistry * registry, gint code,
    const gchar * what)
{
  g_set_error (error, P2P_REGISTRY_ERROR, code, "%s: %s", what,
      sqlite3_errmsg (registry->db));
}

/**
 * p2p_registry_open:
 * @path: the registry file
 * @create: create the file and its table when missing
 * @read_only: open for reading only (the server)
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Opens a registry. Without @create a missing file is an error rather than
 * silently becoming an empty registry, so a mistyped path is noticed.
 *
 * Returns: (transfer full) (nullable): the registry or %NULL with @error set
 */
P2pRegistry *
p2p_registry_open (const gchar * path, gboolean create, gboolean read_only,
    GError ** error)
{
  P2pRegistry *registry = g_new0 (P2pRegistry, 1);
  gint flags;
  sqlite3_stmt *stmt = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (read_only)
    flags = SQLITE_OPEN_READONLY;
  else
    flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);

  if (sqlite3_open_v2 (path, &registry->db, flags, NULL) != SQLITE_OK) {
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_OPEN,
        "Cannot open registry %s: %s", path,
        registry->db ? sqlite3_errmsg (registry->db) : "out of memory");
    p2p_registry_close (registry);
    return NULL;
  }
  /* p2p-uid and the server may touch the file at the same moment. */
  sqlite3_busy_timeout (registry->db, 2000);

  if (create && !read_only &&
      sqlite3_exec (registry->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_OPEN,
        "Cannot create the registry table");
    p2p_registry_close (registry);
    return NULL;
  }

  /* Opening succeeds on any file; prove it is a registry. */
  if (sqlite3_prepare_v2 (registry->db,
          "SELECT uid, fingerprint, certificate, label, created, revoked "
          "FROM devices LIMIT 0", -1, &stmt, NULL) != SQLITE_OK) {
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_OPEN,
        "%s is not a device registry (%s); create one with 'p2p-uid init'",
        path, sqlite3_errmsg (registry->db));
    p2p_registry_close (registry);
    return NULL;
  }
  sqlite3_finalize (stmt);
  return registry;
}

/**
 * p2p_registry_close:
 * @registry: (transfer full) (nullable): a registry
 *
 * Closes @registry.
 */
void
p2p_registry_close (P2pRegistry * registry)
{
  if (!registry)
    return;
  sqlite3_close (registry->db);
  g_free (registry);
}

/**
 * p2p_registry_add:
 * @registry: a registry
 * @device: the device to register; @created is used as given
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Registers a new UID. An existing UID is never overwritten
 * (%P2P_REGISTRY_ERROR_EXISTS), revoked or not.
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_registry_add (P2pRegistry * registry, const P2pDevice * device,
    GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  gint rc;

  g_return_val_if_fail (registry != NULL && device != NULL, FALSE);

  if (sqlite3_prepare_v2 (registry->db,
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

/**
 * p2p_registry_lookup:
 * @registry: a registry
 * @uid: a normalised UID
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Reads one device, revoked or not.
 *
 * Returns: (transfer full) (nullable): the device, or %NULL with @error set
 *     (%P2P_REGISTRY_ERROR_NOT_FOUND when it is not registered)
 */
P2pDevice *
p2p_registry_lookup (P2pRegistry * registry, const gchar * uid, GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  P2pDevice *device = NULL;
  gint rc;

  g_return_val_if_fail (registry != NULL && uid != NULL, NULL);

  if (sqlite3_prepare_v2 (registry->db,
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

/**
 * p2p_registry_list:
 * @registry: a registry
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Reads every device, ordered by UID.
 *
 * Returns: (transfer full) (element-type P2pDevice) (nullable): the devices
 */
GPtrArray *
p2p_registry_list (P2pRegistry * registry, GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  GPtrArray *devices;
  gint rc;

  g_return_val_if_fail (registry != NULL, NULL);

  if (sqlite3_prepare_v2 (registry->db,
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

/**
 * p2p_registry_revoke:
 * @registry: a registry
 * @uid: a normalised UID
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Marks @uid revoked. The row stays, so the UID can never be registered again
 * with another key by mistake. Revoking twice keeps the first time.
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_registry_revoke (P2pRegistry * registry, const gchar * uid, GError ** error)
{
  sqlite3_stmt *stmt = NULL;
  gint rc;

  g_return_val_if_fail (registry != NULL && uid != NULL, FALSE);

  if (sqlite3_prepare_v2 (registry->db,
          "UPDATE devices SET revoked = ? WHERE uid = ? AND revoked = 0",
          -1, &stmt, NULL) != SQLITE_OK) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Revoke");
    return FALSE;
  }
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 2, uid, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE) {
    set_sqlite_error (error, registry, P2P_REGISTRY_ERROR_FAILED, "Revoke");
    return FALSE;
  }
  if (sqlite3_changes (registry->db) == 0) {
    P2pDevice *device = p2p_registry_lookup (registry, uid, error);

    /* Already revoked is success; unknown is not. */
    if (!device)
      return FALSE;
    p2p_device_free (device);
  }
  return TRUE;
}
