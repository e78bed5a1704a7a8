/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The PostgreSQL registry backend (libpq), for a fleet of servers sharing
 * one registry. Same rows as the SQLite one; the schema version lives in
 * table p2p_schema. A trigger announces every revocation on channel
 * p2p_revoked (NOTIFY); each server LISTENs on the connection it reads
 * revocations with (from the first such read on: a server's lookups may go
 * to a read replica, where LISTEN is refused), so a revoked device is
 * disconnected wherever it is logged in, at once. The connection is
 * re-established when it breaks (the next query retries once), and LISTEN
 * with it. */

#include "registry-backend.h"

#include <libpq-fe.h>
#include <stdlib.h>

typedef struct
{
  P2pRegistry parent;
  PGconn *conn;
  gboolean read_only;
  gboolean listening;           /* LISTEN p2p_revoked, on every reconnection */
  GPtrArray *announced;         /* UIDs from NOTIFY not yet taken */
} PgRegistry;

#define PG(r) ((PgRegistry *) (r))

/* Any 64-bit number of our own: migrations hold it, one at a time. */
#define MIGRATION_LOCK "7142512981"

static const gchar *const migrations[] = {
  /* 1: the devices */
  "CREATE TABLE devices ("
      " uid text PRIMARY KEY,"
      " fingerprint text NOT NULL,"
      " certificate text NOT NULL,"
      " label text,"
      " created bigint NOT NULL," " revoked bigint NOT NULL DEFAULT 0)",
  /* 2: revocations found by index, and announced to every server */
  "CREATE INDEX devices_revoked ON devices (revoked) WHERE revoked > 0;"
      "CREATE FUNCTION p2p_notify_revoked () RETURNS trigger AS $$"
      " BEGIN PERFORM pg_notify ('p2p_revoked', NEW.uid); RETURN NEW; END"
      " $$ LANGUAGE plpgsql;"
      "CREATE TRIGGER devices_revoked AFTER UPDATE OF revoked ON devices"
      " FOR EACH ROW WHEN (OLD.revoked = 0 AND NEW.revoked <> 0)"
      " EXECUTE FUNCTION p2p_notify_revoked ()",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == P2P_REGISTRY_SCHEMA_VERSION);

/* libpq prints notices (e.g. "relation exists, skipping") on stderr. */
static void
ignore_notice (void *data, const char *message)
{
}

static void
set_pg_error (GError ** error, PgRegistry * self, gint code, const gchar * what)
{
  g_autofree gchar *text = g_strdup (PQerrorMessage (self->conn));

  g_set_error (error, P2P_REGISTRY_ERROR, code, "%s: %s", what,
      g_strchomp (text));
}

/* Moves what NOTIFY announced into self->announced. */
static void
collect_notifies (PgRegistry * self)
{
  PGnotify *n;

  while ((n = PQnotifies (self->conn))) {
    g_ptr_array_add (self->announced, g_strdup (n->extra));
    PQfreemem (n);
  }
}

static gboolean
exec_simple (PgRegistry * self, const gchar * sql, GError ** error)
{
  PGresult *res = PQexec (self->conn, sql);
  gboolean ok = PQresultStatus (res) == PGRES_COMMAND_OK
      || PQresultStatus (res) == PGRES_TUPLES_OK;

  if (!ok)
    set_pg_error (error, self, P2P_REGISTRY_ERROR_FAILED, "Registry");
  PQclear (res);
  return ok;
}

/* What every new connection needs: the server reads only, and the
 * connection it reads revocations with listens. */
static gboolean
session_setup (PgRegistry * self, GError ** error)
{
  PQsetNoticeProcessor (self->conn, ignore_notice, NULL);
  if (!self->read_only)
    return TRUE;
  return exec_simple (self, "SET default_transaction_read_only = on", error)
      && (!self->listening || exec_simple (self, "LISTEN p2p_revoked", error));
}

static gboolean
ensure_connected (PgRegistry * self, GError ** error)
{
  if (PQstatus (self->conn) == CONNECTION_OK)
    return TRUE;
  PQreset (self->conn);
  if (PQstatus (self->conn) != CONNECTION_OK) {
    set_pg_error (error, self, P2P_REGISTRY_ERROR_FAILED,
        "Registry unreachable");
    return FALSE;
  }
  return session_setup (self, error);
}

/* Runs @sql with text parameters; a broken connection is re-established
 * and the query tried once more. Returns the result (PQclear() it) or
 * %NULL with @error set; a unique violation is %P2P_REGISTRY_ERROR_EXISTS. */
static PGresult *
query (PgRegistry * self, const gchar * sql, gint n_params,
    const gchar * const *params, GError ** error)
{
  PGresult *res = NULL;
  ExecStatusType status;
  const gchar *state;
  g_autofree gchar *message = NULL;
  guint attempt;

  for (attempt = 0; attempt < 2; attempt++) {
    if (!ensure_connected (self, error))
      return NULL;
    PQclear (res);
    res = PQexecParams (self->conn, sql, n_params, NULL, params, NULL, NULL, 0);
    if (PQstatus (self->conn) == CONNECTION_OK)
      break;
  }
  collect_notifies (self);
  status = PQresultStatus (res);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return res;
  state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  message = g_strdup (PQresultErrorMessage (res));
  g_set_error (error, P2P_REGISTRY_ERROR, g_strcmp0 (state, "23505") == 0 ?
      P2P_REGISTRY_ERROR_EXISTS : P2P_REGISTRY_ERROR_FAILED, "Registry: %s",
      g_strchomp (message));
  PQclear (res);
  return NULL;
}

static void
pg_close (P2pRegistry * registry)
{
  PQfinish (PG (registry)->conn);
  g_ptr_array_unref (PG (registry)->announced);
  g_free (registry);
}

static gint
pg_get_version (P2pRegistry * registry, GError ** error)
{
  PGresult *res = query (PG (registry), "SELECT to_regclass ('p2p_schema') "
      "IS NOT NULL", 0, NULL, error);
  gint version = 0;
  gboolean exists;

  if (!res)
    return -1;
  exists = g_strcmp0 (PQgetvalue (res, 0, 0), "t") == 0;
  PQclear (res);
  if (!exists)
    return 0;
  res = query (PG (registry), "SELECT max (version) FROM p2p_schema", 0, NULL,
      error);
  if (!res)
    return -1;
  if (!PQgetisnull (res, 0, 0))
    version = atoi (PQgetvalue (res, 0, 0));
  PQclear (res);
  return version;
}

static gboolean
pg_migrate (P2pRegistry * registry, GError ** error)
{
  PgRegistry *self = PG (registry);
  gboolean ok;
  gint version, v;

  if (!ensure_connected (self, error)
      || !exec_simple (self, "BEGIN", error))
    return FALSE;
  ok = exec_simple (self, "SELECT pg_advisory_xact_lock (" MIGRATION_LOCK
      ")", error)
      && exec_simple (self, "CREATE TABLE IF NOT EXISTS p2p_schema "
      "(version integer NOT NULL)", error);
  version = ok ? pg_get_version (registry, error) : -1;
  ok = version >= 0;
  for (v = MAX (version, 0); ok && v < P2P_REGISTRY_SCHEMA_VERSION; v++)
    ok = exec_simple (self, migrations[v], error);
  if (ok && version < P2P_REGISTRY_SCHEMA_VERSION) {
    g_autofree gchar *set = g_strdup_printf ("DELETE FROM p2p_schema; "
        "INSERT INTO p2p_schema VALUES (%d)", P2P_REGISTRY_SCHEMA_VERSION);

    ok = exec_simple (self, set, error);
  }
  if (ok)
    return exec_simple (self, "COMMIT", error);
  exec_simple (self, "ROLLBACK", NULL);
  return FALSE;
}

static gboolean
pg_add (P2pRegistry * registry, const P2pDevice * device, GError ** error)
{
  g_autofree gchar *created = g_strdup_printf ("%" G_GINT64_FORMAT,
      device->created);
  const gchar *params[] = { device->uid, device->fingerprint,
    device->certificate, device->label, created
  };
  PGresult *res = query (PG (registry), "INSERT INTO devices (uid, "
      "fingerprint, certificate, label, created) VALUES ($1, $2, $3, $4, $5)",
      5, params, error);

  if (!res) {
    if (g_error_matches (*error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_EXISTS)) {
      g_clear_error (error);
      g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_EXISTS,
          "UID %s is already registered", device->uid);
    }
    return FALSE;
  }
  PQclear (res);
  return TRUE;
}

static P2pDevice *
device_from_row (PGresult * res, gint row)
{
  P2pDevice *device = g_new0 (P2pDevice, 1);

  device->uid = g_strdup (PQgetvalue (res, row, 0));
  device->fingerprint = g_strdup (PQgetvalue (res, row, 1));
  device->certificate = g_strdup (PQgetvalue (res, row, 2));
  if (!PQgetisnull (res, row, 3))
    device->label = g_strdup (PQgetvalue (res, row, 3));
  device->created = g_ascii_strtoll (PQgetvalue (res, row, 4), NULL, 10);
  device->revoked = g_ascii_strtoll (PQgetvalue (res, row, 5), NULL, 10);
  return device;
}

#define DEVICE_COLUMNS \
  "SELECT uid, fingerprint, certificate, label, created, revoked FROM devices"

static P2pDevice *
pg_lookup (P2pRegistry * registry, const gchar * uid, GError ** error)
{
  const gchar *params[] = { uid };
  PGresult *res = query (PG (registry), DEVICE_COLUMNS " WHERE uid = $1", 1,
      params, error);
  P2pDevice *device = NULL;

  if (!res)
    return NULL;
  if (PQntuples (res) == 1)
    device = device_from_row (res, 0);
  else
    g_set_error (error, P2P_REGISTRY_ERROR, P2P_REGISTRY_ERROR_NOT_FOUND,
        "UID %s is not registered", uid);
  PQclear (res);
  return device;
}

static GPtrArray *
pg_list (P2pRegistry * registry, GError ** error)
{
  PGresult *res = query (PG (registry), DEVICE_COLUMNS " ORDER BY uid", 0,
      NULL, error);
  GPtrArray *devices;
  gint i;

  if (!res)
    return NULL;
  devices = g_ptr_array_new_with_free_func ((GDestroyNotify) p2p_device_free);
  for (i = 0; i < PQntuples (res); i++)
    g_ptr_array_add (devices, device_from_row (res, i));
  PQclear (res);
  return devices;
}

static gboolean
pg_revoke (P2pRegistry * registry, const gchar * uid, gint64 when,
    GError ** error)
{
  g_autofree gchar *at = g_strdup_printf ("%" G_GINT64_FORMAT, when);
  const gchar *params[] = { at, uid };
  PGresult *res = query (PG (registry), "UPDATE devices SET revoked = $1 "
      "WHERE uid = $2 AND revoked = 0", 2, params, error);
  gboolean changed;
  P2pDevice *device;

  if (!res)
    return FALSE;
  changed = g_strcmp0 (PQcmdTuples (res), "0") != 0;
  PQclear (res);
  if (changed)
    return TRUE;
  /* Already revoked is success; unknown is not. */
  device = pg_lookup (registry, uid, error);
  p2p_device_free (device);
  return device != NULL;
}

static GPtrArray *
pg_revoked_since (P2pRegistry * registry, gint64 since, GError ** error)
{
  PgRegistry *self = PG (registry);
  g_autofree gchar *from = g_strdup_printf ("%" G_GINT64_FORMAT, since);
  const gchar *params[] = { from };
  PGresult *res;
  GPtrArray *uids;
  gint i;

  if (self->read_only && !self->listening) {
    if (!ensure_connected (self, error)
        || !exec_simple (self, "LISTEN p2p_revoked", error))
      return NULL;
    self->listening = TRUE;
  }
  /* Read what arrived on the socket, which is why the server woke up. */
  if (PQconsumeInput (self->conn))
    collect_notifies (self);
  res = query (self, "SELECT uid FROM devices WHERE revoked >= $1 AND "
      "revoked > 0", 1, params, error);
  if (!res)
    return NULL;
  uids = g_steal_pointer (&self->announced);
  self->announced = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < PQntuples (res); i++)
    g_ptr_array_add (uids, g_strdup (PQgetvalue (res, i, 0)));
  PQclear (res);
  return uids;
}

static gint
pg_get_watch_fd (P2pRegistry * registry)
{
  PgRegistry *self = PG (registry);

  return self->listening && PQstatus (self->conn) == CONNECTION_OK ?
      PQsocket (self->conn) : -1;
}

static const P2pRegistryBackend pg_backend = {
  "postgresql",
  pg_close,
  pg_get_version,
  pg_migrate,
  pg_add,
  pg_lookup,
  pg_list,
  pg_revoke,
  pg_revoked_since,
  pg_get_watch_fd,
};

/**
 * p2p_registry_postgres_open:
 * @conninfo: a libpq connection URI
 * @create: unused: the database itself is the operator's (createdb); the
 *     tables are made by p2p_registry_migrate()
 * @read_only: read only, and listen for revocations (the server)
 * @error: return location for a #P2P_REGISTRY_ERROR
 *
 * Connects to a PostgreSQL registry.
 *
 * Returns: (transfer full) (nullable): the registry or %NULL with @error set
 */
P2pRegistry *
p2p_registry_postgres_open (const gchar * conninfo, gboolean create,
    gboolean read_only, GError ** error)
{
  PgRegistry *self = g_new0 (PgRegistry, 1);

  self->parent.backend = &pg_backend;
  self->read_only = read_only;
  self->announced = g_ptr_array_new_with_free_func (g_free);
  self->conn = PQconnectdb (conninfo);
  if (PQstatus (self->conn) != CONNECTION_OK || !session_setup (self, error)) {
    if (!error || !*error)
      set_pg_error (error, self, P2P_REGISTRY_ERROR_OPEN,
          "Cannot connect to the registry database");
    pg_close (&self->parent);
    return NULL;
  }
  return &self->parent;
}
