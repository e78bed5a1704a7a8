/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The device registry behind one interface: a SQLite file (one server,
 * the default) or a PostgreSQL database (a fleet of servers sharing it),
 * chosen by the location's form. This file holds what both share: the
 * choice, the schema-version check and the revocation poll. */

#include "registry-backend.h"

G_DEFINE_QUARK (p2p_registry_error, p2p_registry_error);

/* How far back each revocation poll reaches before the previous one:
 * clocks of the provisioning host and the server may differ a little, and
 * a UID reported twice costs a hash lookup. */
#define REVOKED_OVERLAP_S 10

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

/**
 * p2p_registry_is_postgres:
 * @location: a registry location
 *
 * Returns: whether @location names a PostgreSQL database (a
 *     `postgresql://` or `postgres://` connection URI) rather than a file
 */
gboolean
p2p_registry_is_postgres (const gchar * location)
{
  return g_str_has_prefix (location, "postgresql://")
      || g_str_has_prefix (location, "postgres://");
}

/**
 * p2p_registry_open:
 * @location: a SQLite file, or a PostgreSQL connection URI
 *     (`postgresql://user@host/db`, `postgresql:///db?host=/run/postgresql`)
 * @create: create what is missing (the file; the tables, in either
 *     backend) and bring the schema to the current version
 * @read_only: open for reading only (the server)
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Opens a registry. Without @create a missing file or an empty database
 * is an error rather than silently becoming an empty registry, so a
 * mistyped location is noticed. Whether the schema is current is checked
 * by p2p_registry_check_version().
 *
 * Returns: (transfer full) (nullable): the registry or %NULL with @error set
 */
P2pRegistry *
p2p_registry_open (const gchar * location, gboolean create,
    gboolean read_only, GError ** error)
{
  P2pRegistry *registry;
  GError *err = NULL;
  gint version;

  g_return_val_if_fail (location != NULL, NULL);

  if (p2p_registry_is_postgres (location))
    registry = p2p_registry_postgres_open (location, create, read_only, error);
  else
    registry = p2p_registry_sqlite_open (location, create, read_only, error);
  if (!registry)
    return NULL;
  registry->revoked_since = g_get_real_time () / G_USEC_PER_SEC;
  if (create && !read_only && !p2p_registry_migrate (registry, error)) {
    p2p_registry_close (registry);
    return NULL;
  }
  version = registry->backend->get_version (registry, &err);
  if (version <= 0) {
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_OPEN,
        "%s is not a device registry%s%s; create one with 'p2p-uid init'",
        p2p_registry_is_postgres (location) ? "The database" : location,
        err ? ": " : "", err ? err->message : "");
    g_clear_error (&err);
    p2p_registry_close (registry);
    return NULL;
  }
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
  if (registry)
    registry->backend->close (registry);
}

/**
 * p2p_registry_get_backend:
 * @registry: a registry
 *
 * Returns: `sqlite` or `postgresql`
 */
const gchar *
p2p_registry_get_backend (P2pRegistry * registry)
{
  return registry->backend->name;
}

/**
 * p2p_registry_check_version:
 * @registry: a registry
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Checks that the schema is the one this build reads and writes
 * (#P2P_REGISTRY_SCHEMA_VERSION); an older one needs `p2p-uid migrate`,
 * a newer one a newer build (%P2P_REGISTRY_ERROR_VERSION).
 *
 * Returns: %TRUE when it is
 */
gboolean
p2p_registry_check_version (P2pRegistry * registry, GError ** error)
{
  gint version = registry->backend->get_version (registry, error);

  if (version < 0)
    return FALSE;
  if (version < P2P_REGISTRY_SCHEMA_VERSION) {
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_VERSION,
        "The registry's schema is version %d, this build needs %d: run "
        "'p2p-uid migrate'", version, P2P_REGISTRY_SCHEMA_VERSION);
    return FALSE;
  }
  if (version > P2P_REGISTRY_SCHEMA_VERSION) {
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_VERSION,
        "The registry's schema is version %d, newer than this build's %d: "
        "upgrade p2p-server and p2p-uid", version, P2P_REGISTRY_SCHEMA_VERSION);
    return FALSE;
  }
  return TRUE;
}

/**
 * p2p_registry_migrate:
 * @registry: a registry opened for writing
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Brings the schema to #P2P_REGISTRY_SCHEMA_VERSION, each step once, all
 * in one transaction (concurrent migrations wait for each other).
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_registry_migrate (P2pRegistry * registry, GError ** error)
{
  return registry->backend->migrate (registry, error);
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
  g_return_val_if_fail (registry != NULL && device != NULL, FALSE);
  return registry->backend->add (registry, device, error);
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
  g_return_val_if_fail (registry != NULL && uid != NULL, NULL);
  return registry->backend->lookup (registry, uid, error);
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
  g_return_val_if_fail (registry != NULL, NULL);
  return registry->backend->list (registry, error);
}

/**
 * p2p_registry_revoke:
 * @registry: a registry
 * @uid: a normalised UID
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Marks @uid revoked. The row stays, so the UID can never be registered again
 * with another key by mistake. Revoking twice keeps the first time. Servers
 * disconnect the device (p2p_registry_take_revoked()).
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_registry_revoke (P2pRegistry * registry, const gchar * uid, GError ** error)
{
  g_return_val_if_fail (registry != NULL && uid != NULL, FALSE);
  return registry->backend->revoke (registry, uid,
      g_get_real_time () / G_USEC_PER_SEC, error);
}

/**
 * p2p_registry_take_revoked:
 * @registry: a registry
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Reads the UIDs revoked since the previous call (or since the registry
 * was opened); a UID may come more than once. The server calls it once a
 * second, and at once when p2p_registry_get_watch_fd() is readable.
 *
 * Returns: (transfer full) (element-type utf8) (nullable): the UIDs
 */
GPtrArray *
p2p_registry_take_revoked (P2pRegistry * registry, GError ** error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GPtrArray *uids = registry->backend->revoked_since (registry,
      registry->revoked_since - REVOKED_OVERLAP_S, error);

  if (uids)
    registry->revoked_since = now;
  return uids;
}

/**
 * p2p_registry_get_watch_fd:
 * @registry: a registry
 *
 * Returns: a descriptor that becomes readable when a revocation is
 *     announced (PostgreSQL's LISTEN), or -1; it may change after the
 *     connection is re-established
 */
gint
p2p_registry_get_watch_fd (P2pRegistry * registry)
{
  return registry->backend->get_watch_fd (registry);
}
