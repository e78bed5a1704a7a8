/* p2p-server tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Registries for the server tests, in the backend the test run asks for
 * ($P2P_TEST_REGISTRY: sqlite, the default, or postgresql). For
 * PostgreSQL a throw-away cluster is made once per test process: initdb
 * into a temporary directory, postgres listening on a Unix socket in it
 * and on no TCP port, every test its own database. Run as root (CI), the
 * cluster belongs to the system user postgres, as initdb refuses root.
 * Missing PostgreSQL binaries fail the test: a skipped backend would look
 * like a tested one. The cluster's processes die with the test process
 * (PR_SET_PDEATHSIG: meson's time-out kills the test's process group,
 * which the postmaster leaves), and a cluster directory whose test process
 * is gone (its `owner` file names it) is removed by the next run. */

#include "postgres.h"
#include "harness.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>

/* initdb and the first start on a busy machine. */
#define PG_WAIT_MS (HARNESS_WAIT_MS * 12)
#define PG_BINDIR_DEFAULT "/usr/lib/postgresql/15/bin"

typedef struct
{
  gchar *dir;
  GSubprocess *postgres;
  GDataInputStream *log;
  guint n_databases;
  GSubprocess *standby;         /* harness_registry_replica() */
  GDataInputStream *standby_log;
  gchar *standby_sockets;
} Cluster;

static Cluster *cluster;
static pid_t test_pid;

static void remove_tree (const gchar * path);

/**
 * harness_registry_backend:
 *
 * Returns: `sqlite` or `postgresql`, from $P2P_TEST_REGISTRY
 */
const gchar *
harness_registry_backend (void)
{
  const gchar *backend = g_getenv ("P2P_TEST_REGISTRY");

  if (!backend || !*backend)
    return "sqlite";
  if (g_strcmp0 (backend, "sqlite") != 0
      && g_strcmp0 (backend, "postgresql") != 0)
    g_error ("P2P_TEST_REGISTRY=%s: not sqlite or postgresql", backend);
  return backend;
}

/* As root, the cluster's processes run as the user postgres. */
static void
child_setup (gpointer data)
{
  struct passwd *pw = data;

  if (pw && (setgroups (0, NULL) != 0 || setgid (pw->pw_gid) != 0
          || setuid (pw->pw_uid) != 0))
    _exit (126);
  /* After setuid(), which clears it; and the test may be gone already. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != test_pid)
    _exit (126);
}

static GSubprocessLauncher *
launcher_new (GSubprocessFlags flags, struct passwd *pw)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  test_pid = getpid ();
  g_subprocess_launcher_set_child_setup (launcher, child_setup, pw, NULL);
  /* libpq and postgres read these; the test's own must not leak in. */
  g_subprocess_launcher_unsetenv (launcher, "PGHOST");
  g_subprocess_launcher_unsetenv (launcher, "PGPORT");
  g_subprocess_launcher_unsetenv (launcher, "PGDATA");
  return launcher;
}

static gchar *
pg_program (const gchar * name)
{
  const gchar *bindir = g_getenv ("P2P_PG_BINDIR");
  gchar *path = g_build_filename (bindir ? bindir : PG_BINDIR_DEFAULT, name,
      NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("PostgreSQL's %s is missing (install the Debian package "
        "postgresql, or set P2P_PG_BINDIR): the postgresql registry tests "
        "cannot run", path);
  return path;
}

/* Removes the clusters of test processes that are gone (killed at a
 * time-out, aborted): their postgres died with them. */
static void
sweep_stale_clusters (void)
{
  GDir *tmp = g_dir_open (g_get_tmp_dir (), 0, NULL);
  const gchar *name;

  while (tmp && (name = g_dir_read_name (tmp))) {
    g_autofree gchar *dir = NULL;
    g_autofree gchar *owner = NULL;
    g_autofree gchar *text = NULL;
    gint64 pid;

    if (!g_str_has_prefix (name, "p2p-pg-"))
      continue;
    dir = g_build_filename (g_get_tmp_dir (), name, NULL);
    owner = g_build_filename (dir, "owner", NULL);
    if (!g_file_get_contents (owner, &text, NULL, NULL))
      continue;
    pid = g_ascii_strtoll (text, NULL, 10);
    if (pid > 0 && kill (pid, 0) != 0 && errno == ESRCH)
      remove_tree (dir);
  }
  if (tmp)
    g_dir_close (tmp);
}

/* The user the cluster runs as: postgres when the test runs as root. */
static struct passwd *
cluster_user (void)
{
  struct passwd *pw;

  if (geteuid () != 0)
    return NULL;
  pw = getpwnam ("postgres");
  if (!pw)
    g_error ("running as root, the PostgreSQL tests need the system user "
        "postgres (Debian package postgresql)");
  return pw;
}

/* Reads @log until postgres says it is ready. */
static void
wait_ready (GDataInputStream * log)
{
  for (;;) {
    gboolean timed_out;
    g_autofree gchar *line = harness_read_line (log, PG_WAIT_MS, &timed_out);

    if (!line)
      g_error ("postgres did not start (%s)", timed_out ? "time-out" :
          "it exited");
    if (strstr (line, "ready to accept"))
      break;
  }
}

static void
cluster_start (void)
{
  g_autofree gchar *initdb = pg_program ("initdb");
  g_autofree gchar *postgres = pg_program ("postgres");
  g_autofree gchar *data = NULL;
  g_autofree gchar *socket_dir_arg = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) init = NULL;
  g_autoptr (GError) error = NULL;
  struct passwd *pw = NULL;

  g_autofree gchar *owner = NULL;
  g_autofree gchar *pid = g_strdup_printf ("%d\n", (gint) getpid ());

  sweep_stale_clusters ();
  cluster = g_new0 (Cluster, 1);
  cluster->dir = g_dir_make_tmp ("p2p-pg-XXXXXX", &error);
  g_assert_no_error (error);
  owner = g_build_filename (cluster->dir, "owner", NULL);
  g_assert_true (g_file_set_contents (owner, pid, -1, NULL));
  pw = cluster_user ();
  if (pw)
    g_assert_cmpint (chown (cluster->dir, pw->pw_uid, pw->pw_gid), ==, 0);
  data = g_build_filename (cluster->dir, "data", NULL);

  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE, pw);
  init = g_subprocess_launcher_spawn (launcher, &error, initdb, "-D", data,
      "-U", "p2p", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
      NULL);
  g_assert_no_error (error);
  g_assert_true (harness_wait_exit (init, PG_WAIT_MS));
  g_assert_true (g_subprocess_get_if_exited (init));
  g_assert_cmpint (g_subprocess_get_exit_status (init), ==, 0);

  /* No TCP at all: the socket in the cluster's own directory. */
  g_clear_object (&launcher);
  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE, pw);
  socket_dir_arg = g_strdup_printf ("unix_socket_directories=%s", cluster->dir);
  cluster->postgres = g_subprocess_launcher_spawn (launcher, &error, postgres,
      "-D", data, "-c", "listen_addresses=", "-c", socket_dir_arg, "-c",
      "fsync=off", "-c", "synchronous_commit=off", "-c",
      "full_page_writes=off", "-c", "max_connections=300", NULL);
  g_assert_no_error (error);
  cluster->log = g_data_input_stream_new (g_subprocess_get_stderr_pipe
      (cluster->postgres));
  wait_ready (cluster->log);
}

/* A hot standby of the cluster, streaming from it. Commits of the role
 * p2p (every client here) wait until the standby applied them, so that
 * what p2p-uid wrote can be read there at once. */
static void
standby_start (void)
{
  g_autofree gchar *basebackup = pg_program ("pg_basebackup");
  g_autofree gchar *postgres = pg_program ("postgres");
  g_autofree gchar *data = g_build_filename (cluster->dir, "standby", NULL);
  g_autofree gchar *socket_dir_arg = NULL;
  g_autofree gchar *admin = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) backup = NULL;
  g_autoptr (GError) error = NULL;
  struct passwd *pw = cluster_user ();
  gpointer conn;

  cluster->standby_sockets = g_build_filename (cluster->dir, "standby-socket",
      NULL);
  g_assert_cmpint (g_mkdir (cluster->standby_sockets, 0700), ==, 0);
  if (pw)
    g_assert_cmpint (chown (cluster->standby_sockets, pw->pw_uid,
            pw->pw_gid), ==, 0);
  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE, pw);
  backup = g_subprocess_launcher_spawn (launcher, &error, basebackup, "-h",
      cluster->dir, "-U", "p2p", "-D", data, "-R", "--no-sync",
      "--checkpoint=fast", NULL);
  g_assert_no_error (error);
  g_assert_true (harness_wait_exit (backup, PG_WAIT_MS));
  g_assert_cmpint (g_subprocess_get_exit_status (backup), ==, 0);

  g_clear_object (&launcher);
  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE, pw);
  socket_dir_arg = g_strdup_printf ("unix_socket_directories=%s",
      cluster->standby_sockets);
  cluster->standby = g_subprocess_launcher_spawn (launcher, &error, postgres,
      "-D", data, "-c", "listen_addresses=", "-c", socket_dir_arg, "-c",
      "hot_standby=on", "-c", "fsync=off", "-c", "max_connections=300", NULL);
  g_assert_no_error (error);
  cluster->standby_log = g_data_input_stream_new
      (g_subprocess_get_stderr_pipe (cluster->standby));
  wait_ready (cluster->standby_log);

  admin = g_strdup_printf ("postgresql:///postgres?host=%s&user=p2p",
      cluster->dir);
  conn = harness_sql_connect (admin);
  harness_sql_exec (conn, "ALTER SYSTEM SET synchronous_standby_names = '*'");
  harness_sql_exec (conn, "SELECT pg_reload_conf ()");
  harness_sql_exec (conn, "ALTER ROLE p2p SET synchronous_commit = "
      "'remote_apply'");
  harness_sql_close (conn);
}

/**
 * harness_registry_replica:
 * @registry: a PostgreSQL registry from harness_registry_new()
 *
 * Starts, once per process, a hot standby of the cluster (pg_basebackup
 * -R, streaming replication); from then on the cluster's commits wait
 * until the standby applied them.
 *
 * Returns: (transfer full): the URI of @registry's database on the standby
 */
gchar *
harness_registry_replica (const gchar * registry)
{
  const gchar *query = strchr (registry, '?');

  g_assert_nonnull (cluster);
  g_assert_nonnull (query);
  if (!cluster->standby)
    standby_start ();
  return g_strdup_printf ("%.*s?host=%s&user=p2p", (gint) (query - registry),
      registry, cluster->standby_sockets);
}

/**
 * harness_registry_new:
 * @dir: the test's temporary directory
 *
 * Makes an empty registry location for one test: `@dir/registry.db`, or a
 * new database in this process's PostgreSQL cluster (started on first
 * use). `p2p-uid init` creates its tables.
 *
 * Returns: (transfer full): a registry file name or connection URI
 */
gchar *
harness_registry_new (const gchar * dir)
{
  g_autofree gchar *admin = NULL;
  g_autofree gchar *create = NULL;
  PGconn *conn;
  PGresult *res;
  gchar *uri;

  if (g_strcmp0 (harness_registry_backend (), "sqlite") == 0)
    return g_build_filename (dir, "registry.db", NULL);
  if (!cluster)
    cluster_start ();
  cluster->n_databases++;
  admin = g_strdup_printf ("postgresql:///postgres?host=%s&user=p2p",
      cluster->dir);
  conn = PQconnectdb (admin);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  create = g_strdup_printf ("CREATE DATABASE registry%u", cluster->n_databases);
  res = PQexec (conn, create);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  PQfinish (conn);
  uri = g_strdup_printf ("postgresql:///registry%u?host=%s&user=p2p",
      cluster->n_databases, cluster->dir);
  return uri;
}

static void
remove_tree (const gchar * path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileEnumerator) children = g_file_enumerate_children (file,
      G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (children && (info = g_file_enumerator_next_file (children, NULL,
              NULL))) {
    g_autofree gchar *child = g_build_filename (path,
        g_file_info_get_name (info), NULL);

    if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
      remove_tree (child);
    else
      g_unlink (child);
    g_object_unref (info);
  }
  g_rmdir (path);
}

/**
 * harness_registry_cleanup:
 *
 * Stops this process's PostgreSQL cluster, if one was started, and
 * removes its directory.
 */
void
harness_registry_cleanup (void)
{
  if (!cluster)
    return;
  /* SIGINT: PostgreSQL's fast shutdown; the standby first. */
  if (cluster->standby) {
    g_subprocess_send_signal (cluster->standby, SIGINT);
    harness_wait_exit (cluster->standby, PG_WAIT_MS);
    g_object_unref (cluster->standby_log);
    g_object_unref (cluster->standby);
    g_free (cluster->standby_sockets);
  }
  g_subprocess_send_signal (cluster->postgres, SIGINT);
  harness_wait_exit (cluster->postgres, PG_WAIT_MS);
  g_object_unref (cluster->log);
  g_object_unref (cluster->postgres);
  remove_tree (cluster->dir);
  g_free (cluster->dir);
  g_clear_pointer (&cluster, g_free);
}

/**
 * harness_sql_connect:
 * @registry: a PostgreSQL registry from harness_registry_new()
 *
 * Opens a connection of the test's own to the registry's database, as its
 * owner: for what a test does behind the server's back (hold a lock).
 *
 * Returns: (transfer full): the connection, for harness_sql_exec()
 */
gpointer
harness_sql_connect (const gchar * registry)
{
  PGconn *conn = PQconnectdb (registry);

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  return conn;
}

/**
 * harness_sql_exec:
 * @conn: from harness_sql_connect()
 * @sql: statements
 *
 * Runs @sql and asserts that it succeeded.
 */
void
harness_sql_exec (gpointer conn, const gchar * sql)
{
  PGresult *res = PQexec (conn, sql);

  if (PQresultStatus (res) != PGRES_COMMAND_OK
      && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  PQclear (res);
}

/**
 * harness_sql_get_int:
 * @conn: from harness_sql_connect()
 * @sql: a query of one integer
 *
 * Returns: its value
 */
gint64
harness_sql_get_int (gpointer conn, const gchar * sql)
{
  PGresult *res = PQexec (conn, sql);
  gint64 value;

  if (PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) != 1)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  value = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  return value;
}

/**
 * harness_sql_close:
 * @conn: (transfer full): from harness_sql_connect()
 */
void
harness_sql_close (gpointer conn)
{
  PQfinish (conn);
}
