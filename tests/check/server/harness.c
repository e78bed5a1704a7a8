/* p2p-server tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the server tests share: running p2p-uid, starting p2p-server on a
 * port the OS picks, and a bare WebSocket client (libsoup) that sends any
 * text, well formed or not, and records what comes back. Everything runs
 * on the thread-default main context, and every wait has a deadline. */

#include "harness.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <p2p-core/p2p-identity.h>

static gboolean
expired_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * harness_wait:
 * @done: condition
 * @data: its argument
 * @timeout_ms: deadline
 *
 * Iterates the default context until @done returns %TRUE or the deadline.
 *
 * Returns: whether @done became true
 */
gboolean
harness_wait (gboolean (*done) (gpointer), gpointer data, guint timeout_ms)
{
  gboolean expired = FALSE;
  GSource *timer = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timer, expired_cb, &expired, NULL);
  g_source_attach (timer, NULL);
  while (!done (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  return done (data);
}

/**
 * harness_run_uid:
 * @out: (out) (optional): standard output and error
 * @registry: registry file
 * @...: further arguments, %NULL-terminated
 *
 * Runs `p2p-uid --registry @registry ...` (the binary named by $P2P_UID).
 *
 * Returns: its exit status
 */
gint
harness_run_uid (gchar ** out, const gchar * registry, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  const gchar *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("P2P_UID"));
  g_ptr_array_add (argv, (gpointer) "--registry");
  g_ptr_array_add (argv, (gpointer) registry);
  va_start (ap, registry);
  while ((arg = va_arg (ap, const gchar *)))
      g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE);
  proc = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &text, NULL, &error);
  g_assert_no_error (error);
  if (out)
    *out = g_steal_pointer (&text);
  return g_subprocess_get_exit_status (proc);
}

/**
 * harness_add_device:
 * @dir: where the key file goes
 * @registry: registry file (created when missing)
 * @name: key file base name
 *
 * Provisions a device with p2p-uid; the key file is `@dir/@name.pem`.
 *
 * Returns: (transfer full): the new UID
 */
gchar *
harness_add_device (const gchar * dir, const gchar * registry,
    const gchar * name)
{
  g_autofree gchar *key = g_strdup_printf ("%s/%s.pem", dir, name);
  g_autofree gchar *out = NULL;

  g_assert_cmpint (harness_run_uid (NULL, registry, "init", NULL), ==, 0);
  g_assert_cmpint (harness_run_uid (&out, registry, "add", "-o", key, NULL),
      ==, 0);
  g_assert_cmpuint (strlen (out), >, 19);
  return g_strndup (out, 19);
}

/* The test process, as its children see it. */
static pid_t harness_pid;

/* A child outlives a crashed or timed-out test otherwise (meson kills the
 * test's process group, which PostgreSQL leaves; an abort kills nobody).
 * A parent gone before prctl() took effect is caught by the check. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != harness_pid)
    _exit (126);
}

/**
 * harness_launcher_new:
 * @flags: the subprocess flags
 *
 * Every child of a test is started through this: it is killed when the
 * test process dies, however that happens.
 *
 * Returns: (transfer full): a launcher
 */
GSubprocessLauncher *
harness_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  harness_pid = getpid ();
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

typedef struct
{
  gchar *line;
  gboolean done;
} LineRead;

static void
line_read_cb (GObject * source, GAsyncResult * result, gpointer data)
{
  LineRead *read = data;

  read->line = g_data_input_stream_read_line_finish_utf8
      (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  read->done = TRUE;
}

static gboolean
line_read_done (gpointer data)
{
  return ((LineRead *) data)->done;
}

/**
 * harness_read_line:
 * @in: a child process's output
 * @timeout_ms: how long to wait
 * @timed_out: (out): whether no line came in time
 *
 * Returns: (transfer full) (nullable): the next line, %NULL at the end of
 *     @in or on time-out
 */
gchar *
harness_read_line (GDataInputStream * in, guint timeout_ms,
    gboolean * timed_out)
{
  LineRead read = { 0 };

  g_data_input_stream_read_line_async (in, G_PRIORITY_DEFAULT, NULL,
      line_read_cb, &read);
  *timed_out = !harness_wait (line_read_done, &read, timeout_ms);
  return read.line;
}

/* $P2P_TEST_TIME_SCALE (the `asan` test setup sets it), 1 to 10. */
static guint
start_time_scale (void)
{
  const gchar *env = g_getenv ("P2P_TEST_TIME_SCALE");
  gint64 scale = env ? g_ascii_strtoll (env, NULL, 10) : 1;

  return CLAMP (scale, 1, 10);
}

/* The server's descriptor limit, as a test asks (0: inherited). */
static void
limited_child_setup (gpointer data)
{
  struct rlimit limit = { GPOINTER_TO_UINT (data), GPOINTER_TO_UINT (data) };

  if (limit.rlim_cur > 0 && setrlimit (RLIMIT_NOFILE, &limit) != 0)
    _exit (126);
  die_with_parent (NULL);
}

/**
 * harness_tcp_bind:
 * @address: an IP address
 * @port: a port
 * @error: where a failure goes
 *
 * A TCP socket bound to @address:@port with address reuse on (as
 * p2p-server binds), not listening.
 *
 * Returns: (transfer full) (nullable): the socket, %NULL on failure
 */
GSocket *
harness_tcp_bind (const gchar * address, gint port, GError ** error)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr (GSocketAddress) where = g_inet_socket_address_new (inet, port);
  g_autoptr (GSocket) socket = NULL;

  socket = g_socket_new (g_inet_address_get_family (inet),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (!socket || !g_socket_bind (socket, where, TRUE, error))
    return NULL;
  return g_steal_pointer (&socket);
}

/* The loopback ports of stopped servers, each held by a bound socket
 * (address reuse on, not listening) until a server listens there again:
 * a port given up is any process's to take, and a restart on it would
 * fail (EADDRINUSE) whenever one did. Port number to GSocket. */
static GHashTable *held_ports;

static void
hold_port (gint port)
{
  GSocket *socket = harness_tcp_bind ("127.0.0.1", port, NULL);

  /* Taken already in the instant since the exit: a restart will say so. */
  if (!socket)
    return;
  if (!held_ports)
    held_ports = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  g_hash_table_replace (held_ports, GINT_TO_POINTER (port), socket);
}

/* The stderr files of the servers alive, for dump_logs_and_die(); 0: a
 * free slot (a server's file is never the test's stdin). */
static volatile sig_atomic_t live_logs[16];

/* Async-signal-safe. */
static void
write_all (gint fd, const gchar * buf, gsize len)
{
  while (len > 0) {
    gssize n = write (fd, buf, len);

    if (n <= 0)
      return;
    buf += n;
    len -= n;
  }
}

/* A failed assertion or a sanitizer's report (SIGABRT), or meson's
 * time-out (SIGTERM), ends the test process without its teardown, which
 * prints the servers' logs, and their unlinked files go with it: the log
 * of a server that a client waited on in vain was lost so. Copies them to
 * the test's stderr, then dies of the signal as before. Async-signal-safe
 * calls only. */
static void
dump_logs_and_die (int sig)
{
  static const gchar head[] = "\n---- a p2p-server's stderr, as the test "
      "process dies ----\n";
  gchar buf[4096];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (live_logs); i++) {
    gint fd = live_logs[i];
    off_t offset = 0;
    gssize n;

    if (fd <= 0)
      continue;
    write_all (STDERR_FILENO, head, sizeof (head) - 1);
    while ((n = pread (fd, buf, sizeof (buf), offset)) > 0) {
      write_all (STDERR_FILENO, buf, n);
      offset += n;
    }
  }
  /* The handler was reset to the default on entry (SA_RESETHAND). */
  raise (sig);
}

/* Keeps @fd, a live server's stderr file, for dump_logs_and_die(). */
static void
watch_log (gint fd)
{
  static gboolean installed;
  guint i;

  if (!installed) {
    struct sigaction sa = { 0 };

    sa.sa_handler = dump_logs_and_die;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGABRT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    installed = TRUE;
  }
  for (i = 0; i < G_N_ELEMENTS (live_logs); i++) {
    if (live_logs[i] == 0) {
      live_logs[i] = fd;
      return;
    }
  }
}

static void
unwatch_log (gint fd)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (live_logs); i++) {
    if (live_logs[i] == fd)
      live_logs[i] = 0;
  }
}

/* A new file for a server's stderr, gone once its descriptors close. */
static gint
stderr_file_new (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  gint fd = g_file_open_tmp ("p2p-server-XXXXXX.log", &path, &error);

  g_assert_no_error (error);
  g_unlink (path);
  return fd;
}

/* What @server wrote to its stderr so far. */
static gchar *
server_stderr (HarnessServer * server)
{
  GString *text = g_string_new (NULL);
  gchar buf[4096];
  gssize n;

  if (server->err_fd < 0)
    return g_string_free (text, FALSE);
  while ((n = pread (server->err_fd, buf, sizeof (buf), text->len)) > 0)
    g_string_append_len (text, buf, n);
  return g_string_free (text, FALSE);
}

static HarnessServer *
server_startv (const HarnessServerOptions * options, const gchar * registry,
    const gchar * first_arg, va_list ap)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  HarnessServer *server = g_new0 (HarnessServer, 1);
  gboolean timed_out;
  gchar *line;
  const gchar *arg;

  g_ptr_array_add (argv, (gpointer) g_getenv ("P2P_SERVER"));
  g_ptr_array_add (argv, (gpointer) "--listen=127.0.0.1");
  g_ptr_array_add (argv, (gpointer) "--port=0");
  g_ptr_array_add (argv, (gpointer) "--allow-insecure");
  g_ptr_array_add (argv, (gpointer) "--server-id=" HARNESS_SERVER_ID);
  g_ptr_array_add (argv, (gpointer) "--registry");
  g_ptr_array_add (argv, (gpointer) registry);
  for (arg = first_arg; arg; arg = va_arg (ap, const gchar *))
      g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, NULL);

  launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, limited_child_setup,
      GUINT_TO_POINTER (options ? options->max_fds : 0), NULL);
  server->err_fd = -1;
  if (options && options->stderr_path) {
    g_subprocess_launcher_set_stderr_file_path (launcher, options->stderr_path);
  } else {
    server->err_fd = stderr_file_new ();
    g_subprocess_launcher_take_stderr_fd (launcher, dup (server->err_fd));
    watch_log (server->err_fd);
  }
  server->process = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv->pdata, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe
      (server->process));
  /* Sanitized builds start slower (a wss:// server under ASan takes ~8 s
   * to set up OpenSSL on a quiet machine, over 20 s at load 16): the wait
   * stretches with $P2P_TEST_TIME_SCALE, as the element tests' waits do. */
  line = harness_read_line (out, HARNESS_START_MS * start_time_scale (),
      &timed_out);
  if (timed_out || !line || !g_str_has_prefix (line, "listening on 127.0.0.1:")) {
    g_autofree gchar *err = server_stderr (server);

    g_error ("p2p-server did not start (%s); its stderr:\n%s",
        timed_out ? "no line in time" : line ? line : "its stdout ended", err);
  }
  server->port = atoi (line + strlen ("listening on 127.0.0.1:"));
  g_assert_cmpint (server->port, >, 0);
  if (held_ports)
    g_hash_table_remove (held_ports, GINT_TO_POINTER (server->port));
  server->url = g_strdup_printf ("ws://127.0.0.1:%d", server->port);
  server->out = g_steal_pointer (&out);
  g_free (line);
  return server;
}

/**
 * harness_server_start:
 * @registry: registry file
 * @first_arg: (nullable): first extra argument
 * @...: more, %NULL-terminated
 *
 * Starts p2p-server ($P2P_SERVER) on 127.0.0.1, port 0, plain ws://, with
 * server id #HARNESS_SERVER_ID (a later `--server-id=` in the arguments
 * wins), and waits for its "listening on" line to learn the port.
 *
 * Returns: (transfer full): the running server
 */
HarnessServer *
harness_server_start (const gchar * registry, const gchar * first_arg, ...)
{
  HarnessServer *server;
  va_list ap;

  va_start (ap, first_arg);
  server = server_startv (NULL, registry, first_arg, ap);
  va_end (ap);
  return server;
}

/**
 * harness_server_start_with:
 * @options: how the process is set up
 * @registry: registry file
 * @first_arg: (nullable): first extra argument
 * @...: more, %NULL-terminated
 *
 * harness_server_start() with a descriptor limit or its stderr in a file.
 *
 * Returns: (transfer full): the running server
 */
HarnessServer *
harness_server_start_with (const HarnessServerOptions * options,
    const gchar * registry, const gchar * first_arg, ...)
{
  HarnessServer *server;
  va_list ap;

  va_start (ap, first_arg);
  server = server_startv (options, registry, first_arg, ap);
  va_end (ap);
  return server;
}

static void
wait_cb (GObject * source, GAsyncResult * result, gpointer data)
{
  gboolean *done = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/**
 * harness_wait_exit:
 * @process: a process
 * @timeout_ms: longest wait
 *
 * Waits for @process to end, and kills it when it has not by then.
 *
 * Returns: whether it ended by itself in time
 */
gboolean
harness_wait_exit (GSubprocess * process, guint timeout_ms)
{
  gboolean done = FALSE;

  g_subprocess_wait_async (process, NULL, wait_cb, &done);
  if (harness_wait (flag_set, &done, timeout_ms))
    return TRUE;
  g_subprocess_force_exit (process);
  /* Reap it, so the wait above finishes before @done goes away. */
  harness_wait (flag_set, &done, timeout_ms);
  return FALSE;
}

/**
 * harness_server_stop:
 * @server: a running server
 *
 * Sends SIGTERM and waits for the process to exit. Its port stays held
 * by the test process until a server started with `--port=` listens there
 * again.
 *
 * Returns: the exit status, or -1 if it did not exit normally
 */
gint
harness_server_stop (HarnessServer * server)
{
  gboolean done = FALSE;

  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait_async (server->process, NULL, wait_cb, &done);
  g_assert_true (harness_wait (flag_set, &done, HARNESS_WAIT_MS * 2));
  hold_port (server->port);
  if (!g_subprocess_get_if_exited (server->process))
    return -1;
  return g_subprocess_get_exit_status (server->process);
}

/**
 * harness_server_free:
 * @server: a server, stopped or not
 *
 * Kills the process if it still runs and frees @server.
 */
void
harness_server_free (HarnessServer * server)
{
  if (!g_subprocess_get_if_exited (server->process) &&
      !g_subprocess_get_if_signaled (server->process))
    g_subprocess_force_exit (server->process);
  g_object_unref (server->process);
  if (server->err_fd >= 0) {
    g_autofree gchar *err = server_stderr (server);

    unwatch_log (server->err_fd);
    g_printerr ("%s", err);
    close (server->err_fd);
  }
  g_clear_object (&server->out);
  g_free (server->url);
  g_free (server);
}

/* ---- client ---- */

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * bytes,
    HarnessClient * c)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_assert_true (json_parser_load_from_data (parser, data, len, NULL));
  g_queue_push_tail (&c->messages,
      json_object_ref (json_node_get_object (json_parser_get_root (parser))));
}

static void
on_closed (SoupWebsocketConnection * ws, HarnessClient * c)
{
  c->closed = TRUE;
  c->close_code = soup_websocket_connection_get_close_code (ws);
}

typedef struct
{
  HarnessClient *client;
  GError *error;
  gboolean done;
} Connecting;

static void
connected_cb (GObject * source, GAsyncResult * result, gpointer data)
{
  Connecting *conn = data;

  conn->client->ws = soup_session_websocket_connect_finish
      (SOUP_SESSION (source), result, &conn->error);
  conn->done = TRUE;
}

static gboolean
connecting_done (gpointer data)
{
  return ((Connecting *) data)->done;
}

/**
 * harness_client_try_connect_from:
 * @url: ws:// URL
 * @source: (nullable): local address to connect from (another loopback
 *     address stands for another client), %NULL for any
 *
 * Returns: (transfer full) (nullable): a connected client, or %NULL when
 *     the server cannot be reached or refuses the upgrade
 */
HarnessClient *
harness_client_try_connect_from (const gchar * url, const gchar * source)
{
  HarnessClient *c = g_new0 (HarnessClient, 1);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GSocketAddress) local = NULL;
  const gchar *protocols[] = { "p2p-signalling-1", NULL };
  Connecting conn = { c, NULL, FALSE };

  if (source)
    local = g_inet_socket_address_new_from_string (source, 0);
  c->session = soup_session_new_with_options ("local-address", local, NULL);
  g_queue_init (&c->messages);
  soup_session_websocket_connect_async (c->session, msg, NULL,
      (gchar **) protocols, G_PRIORITY_DEFAULT, NULL, connected_cb, &conn);
  g_assert_true (harness_wait (connecting_done, &conn, HARNESS_WAIT_MS));
  if (!c->ws) {
    g_clear_error (&conn.error);
    g_object_unref (c->session);
    g_free (c);
    return NULL;
  }
  soup_websocket_connection_set_keepalive_interval (c->ws, 0);
  g_signal_connect (c->ws, "message", G_CALLBACK (on_message), c);
  g_signal_connect (c->ws, "closed", G_CALLBACK (on_closed), c);
  return c;
}

/**
 * harness_client_try_connect:
 * @url: ws:// URL
 *
 * Returns: (transfer full) (nullable): a connected client, or %NULL when
 *     the server cannot be reached
 */
HarnessClient *
harness_client_try_connect (const gchar * url)
{
  return harness_client_try_connect_from (url, NULL);
}

/**
 * harness_client_connect:
 * @url: ws:// URL
 *
 * Returns: (transfer full): a connected client; fails the test otherwise
 */
HarnessClient *
harness_client_connect (const gchar * url)
{
  HarnessClient *c = harness_client_try_connect (url);

  g_assert_nonnull (c);
  return c;
}

/**
 * harness_client_send:
 * @c: a client
 * @text: the frame, sent as is
 */
void
harness_client_send (HarnessClient * c, const gchar * text)
{
  soup_websocket_connection_send_text (c->ws, text);
}

/**
 * harness_client_sendf:
 * @c: a client
 * @format: printf format of the frame
 * @...: arguments
 */
void
harness_client_sendf (HarnessClient * c, const gchar * format, ...)
{
  g_autofree gchar *text = NULL;
  va_list ap;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  harness_client_send (c, text);
}

static gboolean
has_message_or_closed (gpointer data)
{
  HarnessClient *c = data;

  return c->messages.length > 0 || c->closed;
}

/**
 * harness_client_next:
 * @c: a client
 *
 * Returns: (transfer full) (nullable): the next message, or %NULL if none
 *     came before the connection closed or the deadline
 */
JsonObject *
harness_client_next (HarnessClient * c)
{
  harness_wait (has_message_or_closed, c, HARNESS_WAIT_MS);
  return g_queue_pop_head (&c->messages);
}

/**
 * harness_client_expect:
 * @c: a client
 * @type: expected message type
 *
 * Returns: (transfer full): the next message, asserted to be of @type
 */
JsonObject *
harness_client_expect (HarnessClient * c, const gchar * type)
{
  JsonObject *o = harness_client_next (c);

  if (!o)
    g_error ("expected \"%s\", got nothing (closed=%d)", type, c->closed);
  if (g_strcmp0 (json_object_get_string_member (o, "type"), type) != 0) {
    g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), o);
    g_autofree gchar *text = json_to_string (node, FALSE);

    g_error ("expected \"%s\", got %s", type, text);
  }
  return o;
}

/**
 * harness_client_expect_error:
 * @c: a client
 * @code: expected error code
 */
void
harness_client_expect_error (HarnessClient * c, const gchar * code)
{
  g_autoptr (JsonObject) o = harness_client_expect (c, "error");

  g_assert_cmpstr (json_object_get_string_member (o, "code"), ==, code);
  g_assert_true (json_object_has_member (o, "message"));
}

static gboolean
is_closed (gpointer data)
{
  return ((HarnessClient *) data)->closed;
}

/**
 * harness_client_expect_closed:
 * @c: a client
 *
 * Asserts the server closes the connection (within the deadline).
 */
void
harness_client_expect_closed (HarnessClient * c)
{
  g_assert_true (harness_wait (is_closed, c, HARNESS_WAIT_MS));
}

/**
 * harness_client_free:
 * @c: (transfer full): a client
 */
void
harness_client_free (HarnessClient * c)
{
  if (c->ws) {
    g_signal_handlers_disconnect_by_data (c->ws, c);
    if (soup_websocket_connection_get_state (c->ws) ==
        SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
          NULL);
    g_object_unref (c->ws);
  }
  g_queue_clear_full (&c->messages, (GDestroyNotify) json_object_unref);
  g_object_unref (c->session);
  g_free (c);
}

/**
 * harness_sign:
 * @key_file: device key file
 * @server_id: from the challenge
 * @uid: the UID
 * @nonce: from the challenge
 *
 * Returns: (transfer full): the base64 login signature (docs/protocol.md §4)
 */
gchar *
harness_sign (const gchar * key_file, const gchar * server_id,
    const gchar * uid, const gchar * nonce)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (P2pIdentity) id = p2p_identity_new_from_file (key_file, &error);
  g_autofree gchar *text = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GBytes) sig = NULL;

  g_assert_no_error (error);
  text = g_strdup_printf ("p2p-login-v1\n%s\n%s\n%s", server_id, uid, nonce);
  data = g_bytes_new (text, strlen (text));
  sig = p2p_identity_sign (id, data, &error);
  g_assert_no_error (error);
  return g_base64_encode (g_bytes_get_data (sig, NULL), g_bytes_get_size (sig));
}

/**
 * harness_device_login:
 * @url: server URL
 * @uid: device UID
 * @key_file: its key file
 * @welcome: (out) (optional) (transfer full): the welcome message
 *
 * Logs a device in, asserting every step.
 *
 * Returns: (transfer full): the logged-in client
 */
HarnessClient *
harness_device_login (const gchar * url, const gchar * uid,
    const gchar * key_file, JsonObject ** welcome)
{
  HarnessClient *c = harness_client_connect (url);
  g_autoptr (JsonObject) challenge = NULL;
  g_autofree gchar *sig = NULL;
  JsonObject *w;
  const gchar *nonce;

  harness_client_sendf (c, "{\"type\":\"hello\",\"version\":1,"
      "\"role\":\"device\",\"uid\":\"%s\",\"id\":1}", uid);
  challenge = harness_client_expect (c, "challenge");
  g_assert_cmpint (json_object_get_int_member (challenge, "id"), ==, 1);
  nonce = json_object_get_string_member (challenge, "nonce");
  sig = harness_sign (key_file,
      json_object_get_string_member (challenge, "server_id"), uid, nonce);
  harness_client_sendf (c, "{\"type\":\"auth\",\"id\":2,\"nonce\":\"%s\","
      "\"signature\":\"%s\"}", nonce, sig);
  w = harness_client_expect (c, "welcome");
  g_assert_cmpint (json_object_get_int_member (w, "id"), ==, 2);
  if (welcome)
    *welcome = w;
  else
    json_object_unref (w);
  return c;
}
