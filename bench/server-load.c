/* gst-p2p benchmarks
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* server-load: how many idle devices p2p-server holds and how fast it
 * brokers calls, on loopback only.
 *
 * It provisions N devices straight into a fresh registry (one shared key
 * pair: the server verifies every login against the row's certificate
 * just the same, and generating 100 000 keys would measure p2p-uid, not the
 * server), starts p2p-server on an OS-chosen port, logs every device in
 * over its own WebSocket, and reads the server's resident memory before and
 * after. Then viewers call random devices as fast as the server answers:
 * connect -> connected, end, repeat, timing each connect.
 *
 * The client is a small hand-written WebSocket client on epoll, because a
 * full client library costs tens of kilobytes per connection and would
 * measure itself. Source addresses are spread over 127.0.0.x so the
 * ephemeral ports of one address do not run out. Every phase is bounded in
 * count and in time. The result is one JSON line on stdout.
 *
 * With --restart the server is then killed (SIGKILL) and started again on
 * the same port (with --device-login-rate, with that admission rate), and
 * every device comes
 * back as p2psink's signalling does (jittered exponential back-off, never
 * before the server's retry_after): restart_back_s is the time from the
 * kill until all are logged in again.
 *
 * With --multi N, N servers share one PostgreSQL registry (a throw-away
 * cluster, as the server tests start) and the devices are spread over
 * --clients processes (a process holds at most ~20 000 descriptors on
 * this machine); each device logs in to the first server of its
 * rendezvous order (server-list.c), viewers call devices of their own
 * server. Figures come per server and in total; then server 0 is killed
 * (SIGKILL) and started again at once, as systemd would, and failover_s
 * is the time until all its devices are logged in again, on their next
 * server or back on it, as p2p-signalling moves them. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <p2p-core/p2p-identity.h>

#include "p2p-protocol-uid.h"
#include "server-list.h"

typedef enum
{
  C_UPGRADING,
  C_HELLO_SENT,
  C_AUTH_SENT,
  C_READY,
  C_CALLING,
  C_WAITING,                    /* --restart: to reconnect at retry_at_us */
  C_DEAD,
} ConnState;

typedef struct
{
  gint fd;
  ConnState state;
  gboolean viewer;
  guint device;                 /* index of the UID (device) */
  GByteArray *in;               /* partial input only */
  gint64 call_start_us;
  gint64 retry_at_us;
  guint rounds;                 /* failed attempts since the last login */
  guint8 home;                  /* --multi, viewers: the server they use */
  guint8 tries;                 /* --multi, devices: place in their list */
  gboolean busy;                /* a server of this pass closed at once */
} Conn;

#define MAX_SERVERS 16

typedef struct
{
  gint epfd;
  gint port;
  gchar **uids;
  guint n_devices;              /* of conns, the first ones */
  guint n_servers;              /* --multi */
  gint ports[MAX_SERVERS];
  guint8 *order;                /* device -> its servers, rendezvous order */
  GArray *homed[MAX_SERVERS];   /* devices whose first server it is */
  GArray *latencies[MAX_SERVERS];
  guint devices_ready;
  guint max_in_flight;          /* handshakes under way at once */
  P2pIdentity *identity;
  Conn *conns;
  guint n_ready;
  guint n_dead;
  GArray *latencies_us;
  guint calls_wanted;
  guint calls_done;
  guint calls_failed;
  gboolean reconnect;           /* devices come back as p2psink does */
  guint deferred;               /* rate-limited hellos */
  guint max_rounds;
  guint8 scratch[65536];
} Load;

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

/* ---- WebSocket framing (client side: frames are masked) ---- */

static gboolean
send_all (gint fd, const guint8 * data, gsize len)
{
  while (len > 0) {
    gssize n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) {
      /* Small messages on loopback: a full buffer means the server is
       * stuck; wait for it rather than keep a queue per connection. */
      fd_set w;

      FD_ZERO (&w);
      FD_SET (fd, &w);
      select (fd + 1, NULL, &w, NULL, NULL);
      continue;
    }
    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static gboolean
send_frame (gint fd, guint8 opcode, const gchar * payload, gsize len)
{
  guint8 head[14];
  gsize h = 0, i;
  guint32 mask = g_random_int ();
  guint8 *m = (guint8 *) & mask;
  g_autofree guint8 *buf = g_malloc (len + sizeof (head));

  head[h++] = 0x80 | opcode;
  if (len < 126) {
    head[h++] = 0x80 | len;
  } else {
    head[h++] = 0x80 | 126;
    head[h++] = len >> 8;
    head[h++] = len & 0xff;
  }
  memcpy (head + h, m, 4);
  h += 4;
  memcpy (buf, head, h);
  for (i = 0; i < len; i++)
    buf[h + i] = payload[i] ^ m[i % 4];
  return send_all (fd, buf, h + len);
}

static gboolean
send_text (Conn * c, const gchar * text)
{
  return send_frame (c->fd, 0x1, text, strlen (text));
}

/* Copies the string value of "key" from a flat JSON text; enough for the
 * server's own messages, which never escape these values. */
static gchar *
json_value (const gchar * text, gsize len, const gchar * key)
{
  g_autofree gchar *pattern = g_strdup_printf ("\"%s\":\"", key);
  const gchar *p = g_strstr_len (text, len, pattern);
  const gchar *end;

  if (!p)
    return NULL;
  p += strlen (pattern);
  end = memchr (p, '"', text + len - p);
  return end ? g_strndup (p, end - p) : NULL;
}

static gboolean
has_type (const gchar * text, gsize len, const gchar * type)
{
  g_autofree gchar *t = json_value (text, len, "type");

  return g_strcmp0 (t, type) == 0;
}

/* ---- protocol steps ---- */

/* p2p-core's back-off (p2p_signalling_next_delay()): 500 ms doubling to
 * 30 s (4 s when a server of the pass closed at once: full), a random
 * point in its upper half; a server's retry_after instead, plus under a
 * second, and the doubling starts over. */
static void
schedule_retry (Load * load, Conn * c, const gchar * text, gsize len)
{
  const gchar *retry = text ? g_strstr_len (text, len, "\"retry_after\":") :
      NULL;
  gdouble delay = 500, max = c->busy ? 4000 : 30000;
  guint i;

  for (i = 0; i < c->rounds && delay < max; i++)
    delay *= 2;
  delay = g_random_double_range (MIN (delay, max) / 2, MIN (delay, max));
  c->tries = 0;
  c->busy = FALSE;
  if (retry) {
    delay = g_ascii_strtod (retry + strlen ("\"retry_after\":"), NULL) *
        1000 + g_random_double_range (0, 1000);
    load->deferred++;
    c->rounds = 0;
  }
  c->rounds++;
  load->max_rounds = MAX (load->max_rounds, c->rounds);
  c->retry_at_us = now_us () + (gint64) (delay * 1000);
  c->state = C_WAITING;
}

static void
conn_fail (Load * load, Conn * c, const gchar * why, const gchar * text,
    gsize len)
{
  if (c->state == C_DEAD || c->state == C_WAITING)
    return;
  if (!c->viewer && (c->state == C_READY || c->state == C_CALLING))
    load->devices_ready--;
  if (load->reconnect && !c->viewer) {
    if (c->state == C_READY)
      load->n_ready--;
    epoll_ctl (load->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close (c->fd);
    g_clear_pointer (&c->in, g_byte_array_unref);
    /* As p2p-signalling: a server that closed before answering (full)
     * is passed for the next of the list at once. */
    if (c->state == C_UPGRADING && !text) {
      c->busy = TRUE;
      if (c->tries + 1u < MAX (load->n_servers, 1)) {
        c->tries++;
        c->retry_at_us = 0;
        c->state = C_WAITING;
        return;
      }
    }
    schedule_retry (load, c, text, len);
    return;
  }
  if (load->n_dead < 5)
    g_printerr ("server-load: connection failed (%s): %.*s\n", why,
        (int) MIN (len, 200), text ? text : "");
  c->state = C_DEAD;
  load->n_dead++;
  epoll_ctl (load->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close (c->fd);
}

static void
start_call (Load * load, Conn * c)
{
  g_autofree gchar *msg = NULL;

  if (load->calls_done + load->calls_failed >= load->calls_wanted)
    return;
  if (load->n_servers > 1) {
    GArray *homed = load->homed[c->home];

    c->device = g_array_index (homed, guint, g_random_int_range (0,
            homed->len));
  } else {
    c->device = g_random_int_range (0, load->n_devices);
  }
  msg = g_strdup_printf ("{\"type\":\"connect\",\"uid\":\"%s\"}",
      load->uids[c->device]);
  c->call_start_us = now_us ();
  c->state = C_CALLING;
  send_text (c, msg);
}

static void
on_message (Load * load, Conn * c, const gchar * text, gsize len)
{
  if (has_type (text, len, "error")) {
    if (c->state == C_CALLING) {
      load->calls_failed++;
      c->state = C_READY;
      start_call (load, c);
    } else {
      conn_fail (load, c, "error", text, len);
    }
    return;
  }
  switch (c->state) {
    case C_HELLO_SENT:
      if (!c->viewer && has_type (text, len, "challenge")) {
        g_autofree gchar *nonce = json_value (text, len, "nonce");
        g_autofree gchar *server_id = json_value (text, len, "server_id");
        g_autofree gchar *input = g_strdup_printf ("p2p-login-v1\n%s\n%s\n%s",
            server_id, load->uids[c->device], nonce);
        g_autoptr (GBytes) data = g_bytes_new (input, strlen (input));
        g_autoptr (GBytes) sig = p2p_identity_sign (load->identity, data, NULL);
        g_autofree gchar *b64 = g_base64_encode (g_bytes_get_data (sig, NULL),
            g_bytes_get_size (sig));
        g_autofree gchar *auth =
            g_strdup_printf ("{\"type\":\"auth\",\"nonce\":\"%s\","
            "\"signature\":\"%s\"}", nonce, b64);

        c->state = C_AUTH_SENT;
        send_text (c, auth);
      } else if (c->viewer && has_type (text, len, "welcome")) {
        c->state = C_READY;
        load->n_ready++;
      } else {
        conn_fail (load, c, "unexpected", text, len);
      }
      break;
    case C_AUTH_SENT:
      if (!has_type (text, len, "welcome")) {
        conn_fail (load, c, "unexpected", text, len);
        break;
      }
      c->state = C_READY;
      c->rounds = 0;
      load->n_ready++;
      load->devices_ready++;
      break;
    case C_CALLING:
      if (has_type (text, len, "connected")) {
        g_autofree gchar *call = json_value (text, len, "call");
        g_autofree gchar *end =
            g_strdup_printf ("{\"type\":\"end\",\"call\":\"%s\"}", call);
        gint64 lat = now_us () - c->call_start_us;

        g_array_append_val (load->latencies_us, lat);
        if (load->n_servers > 1)
          g_array_append_val (load->latencies[c->home], lat);
        load->calls_done++;
        send_text (c, end);
        c->state = C_READY;
        start_call (load, c);
      }
      break;
    default:
      /* incoming and end on devices: a real camera would answer. */
      break;
  }
}

/* Consumes complete frames from @data; returns the bytes used. */
static gsize
parse_frames (Load * load, Conn * c, const guint8 * data, gsize len)
{
  gsize used = 0;

  while (len - used >= 2 && c->state != C_DEAD) {
    const guint8 *p = data + used;
    guint8 opcode = p[0] & 0x0f;
    guint64 plen = p[1] & 0x7f;
    gsize h = 2;

    if (plen == 126) {
      if (len - used < 4)
        break;
      plen = (p[2] << 8) | p[3];
      h = 4;
    } else if (plen == 127) {
      conn_fail (load, c, "huge frame", NULL, 0);
      break;
    }
    if (len - used < h + plen)
      break;
    if (opcode == 0x1)
      on_message (load, c, (const gchar *) p + h, plen);
    else if (opcode == 0x9)
      send_frame (c->fd, 0xa, (const gchar *) p + h, plen);
    else if (opcode == 0x8)
      conn_fail (load, c, "closed by server", (const gchar *) p + h + 2,
          plen > 2 ? plen - 2 : 0);
    used += h + plen;
  }
  return used;
}

static void
on_readable (Load * load, Conn * c)
{
  for (;;) {
    gssize n = read (c->fd, load->scratch, sizeof (load->scratch));
    const guint8 *data;
    gsize len, used;

    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      conn_fail (load, c, "eof", NULL, 0);
      return;
    }
    if (c->state == C_UPGRADING) {
      const gchar *end = g_strstr_len ((gchar *) load->scratch, n,
          "\r\n\r\n");

      /* The 101 fits in one read on loopback. */
      if (!end || !g_str_has_prefix ((gchar *) load->scratch, "HTTP/1.1 101")) {
        conn_fail (load, c, "upgrade", (gchar *) load->scratch, n);
        return;
      }
      c->state = C_HELLO_SENT;
      if (c->viewer) {
        send_text (c, "{\"type\":\"hello\",\"version\":1,"
            "\"role\":\"viewer\"}");
      } else {
        g_autofree gchar *hello =
            g_strdup_printf ("{\"type\":\"hello\",\"version\":1,"
            "\"role\":\"device\",\"uid\":\"%s\"}", load->uids[c->device]);

        send_text (c, hello);
      }
      n -= (end + 4) - (gchar *) load->scratch;
      memmove (load->scratch, end + 4, n);
    }
    if (c->in) {
      g_byte_array_append (c->in, load->scratch, n);
      data = c->in->data;
      len = c->in->len;
    } else {
      data = load->scratch;
      len = n;
    }
    used = parse_frames (load, c, data, len);
    if (c->state == C_DEAD)
      return;
    if (c->in) {
      g_byte_array_remove_range (c->in, 0, used);
      if (c->in->len == 0)
        g_clear_pointer (&c->in, g_byte_array_unref);
    } else if (used < len) {
      c->in = g_byte_array_new ();
      g_byte_array_append (c->in, data + used, len - used);
    }
  }
}

/* The server @c goes to: a viewer's own; a device's next in its list. */
static gint
conn_port (Load * load, Conn * c)
{
  if (load->n_servers <= 1)
    return load->port;
  if (c->viewer)
    return load->ports[c->home];
  return load->ports[load->order[c->device * load->n_servers + c->tries]];
}

static gboolean
conn_open (Load * load, Conn * c, guint index)
{
  struct sockaddr_in src = { 0 }, dst = { 0 };
  struct epoll_event ev = { 0 };
  g_autofree gchar *req = NULL;
  gint one = 1;
  guint8 key[16];
  g_autofree gchar *key64 = NULL;

  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return FALSE;
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  /* 250 source addresses: 28 000 ephemeral ports each. */
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl (0x7f000001 + (index % 250));
  if (bind (c->fd, (struct sockaddr *) &src, sizeof (src)) < 0)
    return FALSE;
  dst.sin_family = AF_INET;
  dst.sin_port = htons (conn_port (load, c));
  dst.sin_addr.s_addr = htonl (0x7f000001);
  if (connect (c->fd, (struct sockaddr *) &dst, sizeof (dst)) < 0)
    return FALSE;
  fcntl (c->fd, F_SETFL, O_NONBLOCK);
  for (guint i = 0; i < sizeof (key); i++)
    key[i] = g_random_int ();
  key64 = g_base64_encode (key, sizeof (key));
  req = g_strdup_printf ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: p2p-signalling-1\r\n\r\n", load->port, key64);
  c->state = C_UPGRADING;
  ev.events = EPOLLIN;
  ev.data.ptr = c;
  epoll_ctl (load->epfd, EPOLL_CTL_ADD, c->fd, &ev);
  return send_all (c->fd, (guint8 *) req, strlen (req));
}

/* Runs the loop until @done or @deadline_us. */
static void
run_until (Load * load, gboolean (*done) (Load *), gint64 deadline_us)
{
  struct epoll_event events[256];

  while (!done (load) && now_us () < deadline_us) {
    gint n = epoll_wait (load->epfd, events, G_N_ELEMENTS (events), 100);

    for (gint i = 0; i < n; i++)
      on_readable (load, events[i].data.ptr);
  }
}

/* --restart: runs until every device is back or @deadline_us, opening
 * the connections whose back-off is over. */
static void
run_reconnecting (Load * load, guint target, gint64 deadline_us)
{
  struct epoll_event events[256];

  while (load->devices_ready < target && now_us () < deadline_us) {
    gint n = epoll_wait (load->epfd, events, G_N_ELEMENTS (events), 20);
    gint64 now = now_us ();

    for (gint i = 0; i < n; i++)
      on_readable (load, events[i].data.ptr);
    for (guint i = 0; i < load->n_devices; i++) {
      Conn *c = &load->conns[i];

      if (c->state != C_WAITING || c->retry_at_us > now)
        continue;
      while (!conn_open (load, c, i)) {
        gboolean refused = errno == ECONNREFUSED;

        epoll_ctl (load->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close (c->fd);
        /* As p2p-signalling: a server that refuses is passed for the next
         * of the list at once; after the last, a back-off round. */
        if (refused && c->tries + 1u < MAX (load->n_servers, 1)) {
          c->tries++;
          continue;
        }
        schedule_retry (load, c, NULL, 0);
        break;
      }
    }
  }
}

static guint target_ready;

static gboolean
all_ready (Load * load)
{
  return load->n_ready + load->n_dead >= target_ready;
}

static gboolean
calls_finished (Load * load)
{
  return load->calls_done + load->calls_failed >= load->calls_wanted;
}

/* Logs the first @n conns (devices) in, at most max_in_flight (1000)
 * handshakes at once. */
static void
log_in_all (Load * load, guint n, gint64 deadline_us)
{
  guint i;

  for (i = 0; i < n; i++) {
    Conn *c = &load->conns[i];

    if (!conn_open (load, c, c->device)) {
      g_printerr ("server-load: connect %u: %s\n", i, g_strerror (errno));
      c->state = C_DEAD;
      load->n_dead++;
    }
    target_ready = i + 1 > load->max_in_flight ? i + 1 -
        load->max_in_flight : 0;
    run_until (load, all_ready, deadline_us);
  }
  target_ready = n;
  run_until (load, all_ready, deadline_us);
}

/* ---- set-up ---- */

static gint64
server_rss_kib (GPid pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree gchar *text = NULL;
  const gchar *p;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  p = strstr (text, "VmRSS:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : -1;
}

static gboolean
provision (const gchar * uid_tool, const gchar * dir, guint n, gchar *** uids,
    P2pIdentity ** identity)
{
  g_autofree gchar *registry = g_build_filename (dir, "registry.db", NULL);
  g_autofree gchar *key = g_build_filename (dir, "device.pem", NULL);
  g_autofree gchar *cmd = NULL;
  g_autofree gchar *cert = NULL;
  g_autofree gchar *out = NULL;
  gchar **list = g_new0 (gchar *, n + 1);
  sqlite3 *db;
  sqlite3_stmt *stmt;
  gint status;

  cmd = g_strdup_printf ("%s --registry %s init", uid_tool, registry);
  if (!g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL) || status)
    return FALSE;
  /* One real key pair, provisioned the normal way. */
  g_free (cmd);
  cmd = g_strdup_printf ("%s --registry %s add -o %s", uid_tool, registry, key);
  g_clear_pointer (&out, g_free);
  if (!g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL) || status)
    return FALSE;
  *identity = p2p_identity_new_from_file (key, NULL);
  if (!*identity)
    return FALSE;
  cert = p2p_identity_get_certificate_pem (*identity);

  if (sqlite3_open (registry, &db) != SQLITE_OK)
    return FALSE;
  sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO devices (uid, fingerprint, "
      "certificate, created) VALUES (?, ?, ?, 0)", -1, &stmt, NULL);
  for (guint i = 0; i < n; i++) {
    list[i] = p2p_uid_generate ("LOAD", NULL);
    sqlite3_bind_text (stmt, 1, list[i], -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, p2p_identity_get_fingerprint (*identity), -1,
        SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, cert, -1, SQLITE_STATIC);
    sqlite3_step (stmt);
    sqlite3_reset (stmt);
  }
  sqlite3_finalize (stmt);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (db);
  *uids = list;
  return TRUE;
}

/* As root, PostgreSQL runs as the system user postgres (initdb refuses
 * root); every child dies with the bench. */
static void
child_setup (gpointer data)
{
  struct passwd *pw = data;

  if (pw && (setgid (pw->pw_gid) != 0 || setuid (pw->pw_uid) != 0))
    _exit (126);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Runs a p2p-server (quiet, dying with the bench) whose arguments name
 * @port_file, and reads the port it bound from it. */
static GPid
spawn_server (gchar ** argv, const gchar * port_file, gint * port)
{
  gchar *envp[] = { (gchar *) "P2P_SERVER_QUIET=1", NULL };
  g_autofree gchar *text = NULL;
  gint64 deadline = now_us () + 30 * G_USEC_PER_SEC;
  GPid pid;

  if (!g_spawn_async (NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD |
          G_SPAWN_STDOUT_TO_DEV_NULL, child_setup, NULL, &pid, NULL))
    return 0;
  /* The port file is renamed into place: it is complete once it exists. */
  while (!g_file_get_contents (port_file, &text, NULL, NULL)) {
    if (now_us () > deadline)
      return 0;
    g_usleep (10000);
  }
  *port = atoi (text);
  return pid;
}

/* Starts p2p-server on *@port (0: one the system chooses, stored back).
 * Its per-address limits are lifted (every client is 127.0.0.x), and the
 * device admission too unless @admission_rate says what it is (0: the
 * server's default). */
static GPid
start_server (const gchar * server, const gchar * dir, gint * port,
    gboolean admission, gdouble admission_rate)
{
  g_autofree gchar *registry = g_build_filename (dir, "registry.db", NULL);
  g_autofree gchar *port_file = g_build_filename (dir, "port", NULL);
  g_autofree gchar *port_arg = g_strdup_printf ("--port=%d", *port);
  g_autofree gchar *rate_arg = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const gchar *fixed[] = {
    server, "--listen=127.0.0.1", port_arg, "--allow-insecure",
    "--registry", registry, "--port-file", port_file,
    "--address-rate=1000000", "--address-burst=1000000",
    "--uid-connect-rate=1000000", "--uid-connect-burst=1000000",
    "--max-calls=1000", "--handshake-timeout=120",
    "--ping-interval=600", "--idle-timeout=1200",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (gpointer) fixed[i]);
  if (!admission) {
    g_ptr_array_add (argv, (gpointer) "--device-login-rate=1000000");
    g_ptr_array_add (argv, (gpointer) "--device-login-burst=1000000");
  } else if (admission_rate > 0) {
    rate_arg = g_strdup_printf ("--device-login-rate=%g", admission_rate);
    g_ptr_array_add (argv, rate_arg);
  }
  g_ptr_array_add (argv, NULL);
  g_unlink (port_file);
  return spawn_server ((gchar **) argv->pdata, port_file, port);
}

static gint64
percentile (GArray * a, gdouble p)
{
  guint i;

  if (a->len == 0)
    return -1;
  i = MIN (a->len - 1, (guint) (p * a->len));
  return g_array_index (a, gint64, i);
}

static gint
compare_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* ---- --multi: several servers on one PostgreSQL, several clients ---- */

typedef struct
{
  gchar *dir;
  gchar *uri;
  GPid pid;
} Cluster;

/* initdb into a temporary directory; postgres on a Unix socket in it, no
 * TCP. Returns the connection URI. */
static gboolean
cluster_start (const gchar * bindir, Cluster * c)
{
  struct passwd *pw = geteuid () == 0 ? getpwnam ("postgres") : NULL;
  g_autofree gchar *initdb = g_build_filename (bindir, "initdb", NULL);
  g_autofree gchar *postgres = g_build_filename (bindir, "postgres", NULL);
  g_autofree gchar *data = NULL;
  g_autofree gchar *sockets = NULL;
  gint64 deadline;
  gint status;

  c->dir = g_dir_make_tmp ("p2p-bench-pg-XXXXXX", NULL);
  if (!c->dir || (pw && chown (c->dir, pw->pw_uid, pw->pw_gid) != 0))
    return FALSE;
  data = g_build_filename (c->dir, "data", NULL);
  sockets = g_strdup_printf ("unix_socket_directories=%s", c->dir);
  {
    const gchar *argv[] = { initdb, "-D", data, "-U", "p2p", "-A", "trust",
      "-E", "UTF8", "--locale=C", "--no-sync", NULL
    };

    if (!g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
            child_setup, pw, NULL, NULL, &status, NULL) || status != 0)
      return FALSE;
  }
  {
    const gchar *argv[] = { postgres, "-D", data, "-c", "listen_addresses=",
      "-c", sockets, "-c", "fsync=off", "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off", "-c", "max_connections=200", NULL
    };

    if (!g_spawn_async (NULL, (gchar **) argv, NULL,
            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
            G_SPAWN_STDERR_TO_DEV_NULL, child_setup, pw, &c->pid, NULL))
      return FALSE;
  }
  c->uri = g_strdup_printf ("postgresql:///postgres?host=%s&user=p2p", c->dir);
  deadline = now_us () + 30 * G_USEC_PER_SEC;
  while (PQping (c->uri) != PQPING_OK) {
    if (now_us () > deadline)
      return FALSE;
    g_usleep (50000);
  }
  return TRUE;
}

static void
cluster_stop (Cluster * c)
{
  const gchar *rm[] = { "rm", "-rf", c->dir, NULL };
  gint status;

  if (c->pid) {
    /* SIGINT: fast shutdown. */
    kill (c->pid, SIGINT);
    waitpid (c->pid, &status, 0);
  }
  if (c->dir)
    g_spawn_sync (NULL, (gchar **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
        NULL, NULL, NULL, NULL);
  g_free (c->dir);
  g_free (c->uri);
}

/* p2p-uid makes the schema and one real key pair; COPY adds the rest. */
static gboolean
provision_pg (const gchar * uid_tool, const gchar * uri, const gchar * dir,
    guint n, gchar *** uids, P2pIdentity ** identity)
{
  g_autofree gchar *key = g_build_filename (dir, "device.pem", NULL);
  g_autofree gchar *cert = NULL;
  g_autofree gchar *escaped = NULL;
  const gchar *init[] = { uid_tool, "--registry", uri, "init", NULL };
  const gchar *add[] = { uid_tool, "--registry", uri, "add", "-o", key, NULL };
  gchar **list = g_new0 (gchar *, n + 1);
  GString *rows = g_string_new (NULL);
  PGconn *conn;
  PGresult *res;
  gboolean ok;
  gint status;
  guint i;

  if (!g_spawn_sync (NULL, (gchar **) init, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
          NULL, NULL, NULL, NULL, &status, NULL) || status != 0
      || !g_spawn_sync (NULL, (gchar **) add, NULL,
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL)
      || status != 0)
    return FALSE;
  *identity = p2p_identity_new_from_file (key, NULL);
  if (!*identity)
    return FALSE;
  cert = p2p_identity_get_certificate_pem (*identity);
  /* COPY's text format: a newline in a value is written \n. */
  escaped = g_strjoinv ("\\n", g_strsplit (cert, "\n", -1));
  for (i = 0; i < n; i++) {
    list[i] = p2p_uid_generate ("LOAD", NULL);
    g_string_append_printf (rows, "%s\t%s\t%s\t0\n", list[i],
        p2p_identity_get_fingerprint (*identity), escaped);
  }
  conn = PQconnectdb (uri);
  res = PQexec (conn, "COPY devices (uid, fingerprint, certificate, created)"
      " FROM STDIN");
  ok = PQresultStatus (res) == PGRES_COPY_IN
      && PQputCopyData (conn, rows->str, rows->len) == 1
      && PQputCopyEnd (conn, NULL) == 1;
  PQclear (res);
  res = PQgetResult (conn);
  ok = ok && PQresultStatus (res) == PGRES_COMMAND_OK;
  if (!ok)
    g_printerr ("server-load: COPY: %s\n", PQerrorMessage (conn));
  PQclear (res);
  PQfinish (conn);
  g_string_free (rows, TRUE);
  *uids = list;
  return ok;
}

/* A server of the fleet: the registry on PostgreSQL, two lookup
 * connections (six servers: 18 connections), limits lifted as in
 * start_server(). */
/* A free loopback port below the ephemeral range. A server on a port the
 * system chose is in that range: once killed, one of the many client
 * connections may take its port as a source port, and the restarted
 * server then cannot bind (EADDRINUSE). 0 (the system's choice) when
 * none is found. */
static gint
fixed_port (void)
{
  g_autofree gchar *range = NULL;
  gint low = 32768;

  if (g_file_get_contents ("/proc/sys/net/ipv4/ip_local_port_range", &range,
          NULL, NULL))
    low = atoi (range);
  for (guint i = 0; i < 100 && low > 11024; i++) {
    struct sockaddr_in addr = { 0 };
    gint port = g_random_int_range (10000, low - 1000);
    gint fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    gint one = 1;
    gboolean ok;

    addr.sin_family = AF_INET;
    addr.sin_port = htons (port);
    addr.sin_addr.s_addr = htonl (0x7f000001);
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
    ok = bind (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0;
    close (fd);
    if (ok)
      return port;
  }
  return 0;
}

static GPid
start_fleet_server (const gchar * server, const gchar * uri,
    const gchar * dir, guint index, gint * port)
{
  g_autofree gchar *port_file = g_strdup_printf ("%s/port-%u", dir, index);
  g_autofree gchar *port_arg = g_strdup_printf ("--port=%d", *port);
  g_autofree gchar *id = g_strdup_printf ("--server-id=rv%u", index);
  const gchar *argv[] = {
    server, "--listen=127.0.0.1", port_arg, "--allow-insecure",
    "--registry", uri, "--registry-connections=2", "--port-file", port_file,
    id, "--address-rate=1000000", "--address-burst=1000000",
    "--uid-connect-rate=1000000", "--uid-connect-burst=1000000",
    "--max-calls=1000", "--handshake-timeout=120", "--ping-interval=600",
    "--idle-timeout=1200", "--device-login-rate=1000000",
    "--device-login-burst=1000000", NULL
  };

  g_unlink (port_file);
  return spawn_server ((gchar **) argv, port_file, port);
}

static gboolean
some_lost (Load * load)
{
  return load->devices_ready < target_ready;
}

/* One client process: its devices (index % n_clients) and viewers. Told
 * what to do by one-line commands on @in, it answers on @out. */
static void
client_main (Load * shared, guint k, guint n_clients, guint n_viewers,
    FILE * in, FILE * out, gint time_limit)
{
  Load load = *shared;
  gchar line[256];
  guint i, n = 0, n_dev = 0, lost = 0;

  load.epfd = epoll_create1 (EPOLL_CLOEXEC);
  load.conns = g_new0 (Conn, shared->n_devices / n_clients + n_viewers + 2);
  for (i = k; i < shared->n_devices; i += n_clients)
    load.conns[n++].device = i;
  load.n_devices = n_dev = n;
  for (i = k; i < n_viewers; i += n_clients) {
    load.conns[n].viewer = TRUE;
    load.conns[n++].home = i % load.n_servers;
  }
  load.latencies_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* The servers see 1000 handshakes at once in all, as with one client. */
  load.max_in_flight = MAX (1000 / n_clients, 50);
  for (i = 0; i < load.n_servers; i++)
    load.latencies[i] = g_array_new (FALSE, FALSE, sizeof (gint64));

  while (fgets (line, sizeof (line), in)) {
    gint64 t0 = now_us ();

    if (g_str_has_prefix (line, "login")) {
      log_in_all (&load, n_dev, t0 + time_limit * G_USEC_PER_SEC);
      fprintf (out, "%u %u %" G_GINT64_FORMAT "\n", load.devices_ready,
          load.n_dead, now_us ());
    } else if (g_str_has_prefix (line, "viewers")) {
      for (i = n_dev; i < n; i++)
        conn_open (&load, &load.conns[i], load.conns[i].device + i);
      target_ready = load.n_ready + load.n_dead + (n - n_dev);
      run_until (&load, all_ready, t0 + 30 * G_USEC_PER_SEC);
      fprintf (out, "ok\n");
    } else if (g_str_has_prefix (line, "calls ")) {
      GString *text = g_string_new (NULL);
      guint s, callers = 0;

      load.calls_wanted = atoi (line + 6);
      for (i = n_dev; i < n; i++)
        if (load.conns[i].state == C_READY) {
          start_call (&load, &load.conns[i]);
          callers++;
        }
      /* No viewer got in: nothing would ever finish. */
      if (callers == 0)
        load.calls_wanted = 0;
      run_until (&load, calls_finished, t0 + time_limit * G_USEC_PER_SEC);
      for (s = 0; s < load.n_servers; s++) {
        GArray *a = load.latencies[s];

        g_string_append_printf (text, "lat %u", s);
        for (i = 0; i < a->len; i++)
          g_string_append_printf (text, " %" G_GINT64_FORMAT,
              g_array_index (a, gint64, i));
        g_string_append_c (text, '\n');
      }
      g_string_append_printf (text, "end %u %u\n", load.calls_done,
          load.calls_failed);
      fputs (text->str, out);
      g_string_free (text, TRUE);
    } else if (g_str_has_prefix (line, "failover")) {
      guint before = load.devices_ready;

      for (i = 0; i < n_dev; i++)
        if (load.conns[i].state == C_READY
            && load.order[load.conns[i].device * load.n_servers] == 0)
          lost++;
      load.reconnect = TRUE;
      /* The kill comes right after this command. */
      target_ready = before;
      if (lost > 0)
        run_until (&load, some_lost, t0 + 30 * G_USEC_PER_SEC);
      run_reconnecting (&load, before, t0 + time_limit * G_USEC_PER_SEC);
      fprintf (out, "%u %u %" G_GINT64_FORMAT " %u\n", lost,
          load.devices_ready + lost - before, now_us (), load.deferred);
    } else {
      break;
    }
    fflush (out);
  }
  _exit (0);
}

typedef struct
{
  GPid pid;
  FILE *to;
  FILE *from;
} Client;

static void
tell_all (Client * clients, guint n, const gchar * command)
{
  guint i;

  for (i = 0; i < n; i++) {
    fputs (command, clients[i].to);
    fflush (clients[i].to);
  }
}

static void
json_server_row (GString * out, guint s, guint devices, gint64 rss0,
    gint64 rss1, gdouble login_s, GArray * lat, gdouble calls_s)
{
  g_array_sort (lat, compare_i64);
  g_string_append_printf (out, "%s{\"server\": %u, \"devices\": %u, "
      "\"rss_kib\": %" G_GINT64_FORMAT ", \"bytes_per_device\": %.0f, "
      "\"logins_per_s\": %.0f, \"calls\": %u, \"connects_per_s\": %.0f, "
      "\"connect_p99_ms\": %.2f}", s ? ", " : "", s, devices, rss1,
      devices ? (rss1 - rss0) * 1024.0 / devices : 0,
      devices / MAX (login_s, 1e-6), lat->len, lat->len / MAX (calls_s, 1e-6),
      percentile (lat, 0.99) / 1000.0);
}

/* --multi: @n_servers servers share one PostgreSQL; @n_clients processes
 * hold the devices (each device in its own rendezvous order of the
 * servers) and @viewers viewers; then server 0 is killed (and restarted)
 * and its devices return. One JSON line. */
static gint
run_multi (const gchar * server, const gchar * uid_tool, const gchar * bindir,
    guint devices, guint n_servers, guint n_clients, guint viewers,
    guint calls, gint time_limit)
{
  Cluster cluster = { 0 };
  Load load = { 0 };
  g_autofree gchar *dir = g_dir_make_tmp ("p2p-server-load-XXXXXX", NULL);
  g_auto (GStrv) urls = g_new0 (gchar *, n_servers + 1);
  GPid pids[MAX_SERVERS];
  gint64 rss0[MAX_SERVERS], rss1[MAX_SERVERS], t0, t_login = 0, t_calls;
  gint64 t_kill;
  gint64 last_back = 0;
  Client *clients = g_new0 (Client, n_clients);
  GArray *all = g_array_new (FALSE, FALSE, sizeof (gint64));
  GString *json = g_string_new (NULL);
  guint i, s, logged_in = 0, failed = 0, done = 0, call_failures = 0;
  guint lost = 0, back = 0, deferred = 0;
  gint status;

  if (!cluster_start (bindir, &cluster)) {
    g_printerr ("server-load: PostgreSQL did not start (--pg-bindir)\n");
    cluster_stop (&cluster);
    return 1;
  }
  t0 = now_us ();
  if (!provision_pg (uid_tool, cluster.uri, dir, devices, &load.uids,
          &load.identity)) {
    g_printerr ("server-load: provisioning failed\n");
    cluster_stop (&cluster);
    return 1;
  }
  g_printerr ("server-load: provisioned %u devices in PostgreSQL in %.1f s\n",
      devices, (now_us () - t0) / 1e6);
  load.n_devices = devices;
  load.n_servers = n_servers;
  for (s = 0; s < n_servers; s++) {
    load.ports[s] = fixed_port ();
    pids[s] = start_fleet_server (server, cluster.uri, dir, s, &load.ports[s]);
    if (!pids[s]) {
      g_printerr ("server-load: server %u did not start\n", s);
      cluster_stop (&cluster);
      return 1;
    }
    urls[s] = g_strdup_printf ("ws://127.0.0.1:%d", load.ports[s]);
    load.homed[s] = g_array_new (FALSE, FALSE, sizeof (guint));
    rss0[s] = server_rss_kib (pids[s]);
  }
  /* Each device's servers in the order p2p-signalling tries them. */
  load.order = g_new (guint8, (gsize) devices * n_servers);
  for (i = 0; i < devices; i++) {
    g_auto (GStrv) ordered = p2p_server_list_for_uid ((const gchar * const *)
        urls, load.uids[i]);

    for (s = 0; s < n_servers; s++)
      for (guint u = 0; u < n_servers; u++)
        if (g_str_equal (urls[u], ordered[s]))
          load.order[i * n_servers + s] = u;
    g_array_append_val (load.homed[load.order[i * n_servers]], i);
  }

  for (i = 0; i < n_clients; i++) {
    gint down[2], up[2];

    if (pipe (down) != 0 || pipe (up) != 0)
      return 1;
    clients[i].pid = fork ();
    if (clients[i].pid == 0) {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      close (down[1]);
      close (up[0]);
      client_main (&load, i, n_clients, viewers, fdopen (down[0], "r"),
          fdopen (up[1], "w"), time_limit);
    }
    close (down[0]);
    close (up[1]);
    clients[i].to = fdopen (down[1], "w");
    clients[i].from = fdopen (up[0], "r");
  }

  /* Phase 1: every client logs its devices in, all at once. */
  t0 = now_us ();
  tell_all (clients, n_clients, "login\n");
  for (i = 0; i < n_clients; i++) {
    gchar reply[128];
    guint ok = 0, dead = 0;
    gint64 at = 0;

    if (fgets (reply, sizeof (reply), clients[i].from) && sscanf (reply,
            "%u %u %" G_GINT64_FORMAT, &ok, &dead, &at) == 3) {
      logged_in += ok;
      failed += dead;
      t_login = MAX (t_login, at - t0);
    }
  }
  for (s = 0; s < n_servers; s++)
    rss1[s] = server_rss_kib (pids[s]);
  g_printerr ("server-load: %u devices logged in on %u servers (%u failed) "
      "in %.1f s\n", logged_in, n_servers, failed, t_login / 1e6);

  /* Phase 2: viewers call devices of their own server. */
  tell_all (clients, n_clients, "viewers\n");
  for (i = 0; i < n_clients; i++) {
    gchar ok[16];

    if (!fgets (ok, sizeof (ok), clients[i].from))
      break;
  }
  t0 = now_us ();
  for (i = 0; i < n_clients; i++) {
    g_autofree gchar *cmd = g_strdup_printf ("calls %u\n",
        calls / n_clients + (i < calls % n_clients));

    fputs (cmd, clients[i].to);
    fflush (clients[i].to);
  }
  {
    GArray *lat[MAX_SERVERS];

    for (s = 0; s < n_servers; s++)
      lat[s] = g_array_new (FALSE, FALSE, sizeof (gint64));
    for (i = 0; i < n_clients; i++) {
      gchar *text = NULL;
      gsize len = 0;

      while (getline (&text, &len, clients[i].from) > 0) {
        gchar **f;
        guint d, fl;

        if (sscanf (text, "end %u %u", &d, &fl) == 2) {
          done += d;
          call_failures += fl;
          break;
        }
        f = g_strsplit (g_strchomp (text), " ", -1);
        s = atoi (f[1]);
        for (guint j = 2; f[j]; j++) {
          gint64 v = g_ascii_strtoll (f[j], NULL, 10);

          g_array_append_val (lat[s], v);
          g_array_append_val (all, v);
        }
        g_strfreev (f);
      }
      free (text);
    }
    t_calls = now_us () - t0;
    g_string_append (json, "\"per_server\": [");
    for (s = 0; s < n_servers; s++) {
      json_server_row (json, s, load.homed[s]->len, rss0[s], rss1[s],
          t_login / 1e6, lat[s], t_calls / 1e6);
      g_array_unref (lat[s]);
    }
    g_string_append (json, "]");
  }
  g_array_sort (all, compare_i64);

  /* Phase 3: server 0 dies and its service manager starts it again at
   * once; its devices go to their next server, or back to it. With the
   * usual 20 000 descriptors a process, the five others cannot hold all
   * 100 000 devices: the full ones refuse (fd-limit) and send the rest
   * back to server 0 after a back-off. */
  tell_all (clients, n_clients, "failover\n");
  kill (pids[0], SIGKILL);
  t_kill = now_us ();
  waitpid (pids[0], &status, 0);
  pids[0] = start_fleet_server (server, cluster.uri, dir, 0, &load.ports[0]);
  for (i = 0; i < n_clients; i++) {
    gchar reply[128];
    guint l = 0, b = 0, d = 0;
    gint64 at = 0;

    if (fgets (reply, sizeof (reply), clients[i].from) && sscanf (reply,
            "%u %u %" G_GINT64_FORMAT " %u", &l, &b, &at, &d) == 4) {
      lost += l;
      back += b;
      deferred += d;
      last_back = MAX (last_back, at);
    }
  }
  g_printerr ("server-load: %u of the killed server's %u devices logged in "
      "again %.1f s after the kill\n", back, lost, (last_back - t_kill) / 1e6);

  tell_all (clients, n_clients, "quit\n");
  for (i = 0; i < n_clients; i++)
    waitpid (clients[i].pid, &status, 0);
  for (s = 0; s < n_servers; s++) {
    kill (pids[s], SIGTERM);
    waitpid (pids[s], &status, 0);
  }
  cluster_stop (&cluster);

  printf ("{\"mode\": \"multi\", \"servers\": %u, \"clients\": %u, "
      "\"devices\": %u, \"logged_in\": %u, \"login_failures\": %u, "
      "\"login_s\": %.2f, \"logins_per_s\": %.0f, \"viewers\": %u, "
      "\"calls\": %u, \"call_failures\": %u, \"connects_per_s\": %.0f, "
      "\"connect_p50_ms\": %.2f, \"connect_p99_ms\": %.2f, %s, "
      "\"failover_devices\": %u, \"failover_back\": %u, "
      "\"failover_s\": %.2f, \"failover_deferred\": %u}\n",
      n_servers, n_clients, devices, logged_in, devices - logged_in,
      t_login / 1e6, logged_in / MAX (t_login / 1e6, 1e-6), viewers, done,
      call_failures, done / MAX (t_calls / 1e6, 1e-6),
      percentile (all, 0.50) / 1000.0, percentile (all, 0.99) / 1000.0,
      json->str, lost, back, (last_back - t_kill) / 1e6, deferred);
  {
    const gchar *rm[] = { "rm", "-rf", dir, NULL };

    g_spawn_sync (NULL, (gchar **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
        NULL, NULL, NULL, NULL);
  }
  return 0;
}

/**
 * main:
 *
 * `server-load --server PATH --uid-tool PATH [--devices N] [--viewers N]
 * [--calls N] [--quick]`; prints one JSON line.
 */
int
main (int argc, char **argv)
{
  g_autofree gchar *server = NULL;
  g_autofree gchar *uid_tool = NULL;
  gint devices = 100000, viewers = 64, calls = 20000, time_limit = 600;
  gboolean quick = FALSE, restart = FALSE;
  gdouble login_rate = 0;
  gint multi = 0, n_clients = 0;
  g_autofree gchar *pg_bindir = NULL;
  GOptionEntry entries[] = {
    {"server", 0, 0, G_OPTION_ARG_FILENAME, &server, "p2p-server", "PATH"},
    {"uid-tool", 0, 0, G_OPTION_ARG_FILENAME, &uid_tool, "p2p-uid", "PATH"},
    {"devices", 0, 0, G_OPTION_ARG_INT, &devices, "Devices to log in "
          "(default 100000)", "N"},
    {"viewers", 0, 0, G_OPTION_ARG_INT, &viewers, "Concurrent callers "
          "(default 64)", "N"},
    {"calls", 0, 0, G_OPTION_ARG_INT, &calls, "Calls to broker "
          "(default 20000)", "N"},
    {"time-limit", 0, 0, G_OPTION_ARG_INT, &time_limit, "Seconds per phase "
          "(default 600)", "S"},
    {"quick", 0, 0, G_OPTION_ARG_NONE, &quick, "1000 devices, 2000 calls",
        NULL},
    {"restart", 0, 0, G_OPTION_ARG_NONE, &restart, "Then kill the server, "
          "start it again and time the devices' return", NULL},
    {"device-login-rate", 0, 0, G_OPTION_ARG_DOUBLE, &login_rate,
        "--restart: the restarted server's admission rate (default: its "
          "own)", "PER_SECOND"},
    {"multi", 0, 0, G_OPTION_ARG_INT, &multi, "N servers on one "
          "PostgreSQL registry; then one is killed", "N"},
    {"clients", 0, 0, G_OPTION_ARG_INT, &n_clients, "--multi: client "
          "processes (default: 15 000 connections each at most)", "N"},
    {"pg-bindir", 0, 0, G_OPTION_ARG_FILENAME, &pg_bindir, "--multi: "
          "PostgreSQL's initdb and postgres (default "
          "/usr/lib/postgresql/15/bin)", "DIR"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- p2p-server load");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = NULL;
  struct rlimit rl;
  Load load = { 0 };
  gint64 rss0, rss1, t0, t_login, t_calls, t_back = 0, t_restart_up = 0;
  guint back = 0;
  gint port = 0;
  GPid pid;
  guint i, total, logged_in;
  gint status;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !server ||
      !uid_tool) {
    g_printerr ("server-load: %s\n", error ? error->message :
        "--server and --uid-tool are required");
    return 2;
  }
  if (quick) {
    devices = 1000;
    calls = 2000;
    viewers = 16;
  }
  devices = CLAMP (devices, 1, 1000000);
  viewers = CLAMP (viewers, 1, 1000);
  total = devices + viewers;

  /* Client and server each need a descriptor per connection (--multi
   * spreads them over processes). */
  getrlimit (RLIMIT_NOFILE, &rl);
  if (multi <= 1 && rl.rlim_cur < total + 1000) {
    rl.rlim_cur = rl.rlim_max = total + 1000;
    if (setrlimit (RLIMIT_NOFILE, &rl) != 0) {
      getrlimit (RLIMIT_NOFILE, &rl);
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
      devices = MIN ((guint) devices, rl.rlim_cur - viewers - 1000);
      total = devices + viewers;
      g_printerr ("server-load: descriptor limit %lu, %d devices\n",
          (gulong) rl.rlim_cur, devices);
    }
  }
  signal (SIGPIPE, SIG_IGN);

  if (multi > 1) {
    /* Servers and clients each hold at most ~20 000 connections (the
     * machine's usual limit); the limit is raised where root may, for the
     * servers that take a dead server's devices over. */
    rl.rlim_cur = rl.rlim_max = 65536;
    setrlimit (RLIMIT_NOFILE, &rl);
    if (n_clients <= 0)
      n_clients = (total + 14999) / 15000;
    return run_multi (server, uid_tool, pg_bindir ? pg_bindir :
        "/usr/lib/postgresql/15/bin", devices, CLAMP (multi, 2, MAX_SERVERS),
        CLAMP (n_clients, 1, 64), viewers, calls, time_limit);
  }

  dir = g_dir_make_tmp ("p2p-server-load-XXXXXX", NULL);
  t0 = now_us ();
  if (!provision (uid_tool, dir, devices, &load.uids, &load.identity)) {
    g_printerr ("server-load: provisioning failed\n");
    return 1;
  }
  g_printerr ("server-load: provisioned %d devices in %.1f s\n", devices,
      (now_us () - t0) / 1e6);
  load.n_devices = devices;
  pid = start_server (server, dir, &port, FALSE, 0);
  if (!pid) {
    g_printerr ("server-load: server did not start\n");
    return 1;
  }
  load.port = port;
  load.epfd = epoll_create1 (EPOLL_CLOEXEC);
  load.conns = g_new0 (Conn, total);
  load.max_in_flight = 1000;
  load.latencies_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  rss0 = server_rss_kib (pid);

  /* Phase 1: log every device in, at most 1000 handshakes in flight. */
  t0 = now_us ();
  for (i = 0; i < (guint) devices; i++)
    load.conns[i].device = i;
  log_in_all (&load, devices, t0 + time_limit * G_USEC_PER_SEC);
  t_login = now_us () - t0;
  logged_in = load.n_ready;
  rss1 = server_rss_kib (pid);
  g_printerr ("server-load: %u devices logged in (%u failed) in %.1f s\n",
      logged_in, load.n_dead, t_login / 1e6);

  /* Phase 2: viewers call random devices back to back. */
  {
    guint ready_devices = load.n_ready + load.n_dead;

    for (i = devices; i < total; i++) {
      load.conns[i].viewer = TRUE;
      conn_open (&load, &load.conns[i], i);
    }
    target_ready = ready_devices + viewers;
    run_until (&load, all_ready, now_us () + 30 * G_USEC_PER_SEC);
    load.calls_wanted = calls;
    t0 = now_us ();
    for (i = devices; i < total; i++)
      if (load.conns[i].state == C_READY)
        start_call (&load, &load.conns[i]);
    run_until (&load, calls_finished, t0 + time_limit * G_USEC_PER_SEC);
    t_calls = now_us () - t0;
  }
  g_array_sort (load.latencies_us, compare_i64);

  /* Phase 3: the server dies (SIGKILL) and comes back on the same port,
   * with its own device admission; the devices return as p2psink does. */
  if (restart) {
    gint64 t_kill;

    load.reconnect = TRUE;
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
    t_kill = now_us ();
    /* On loopback every client sees the reset at once. */
    for (i = 0; i < total; i++) {
      Conn *c = &load.conns[i];

      if (c->state == C_DEAD)
        continue;
      load.reconnect = !c->viewer;
      conn_fail (&load, c, "server killed", NULL, 0);
    }
    load.reconnect = TRUE;
    load.n_ready = 0;
    pid = start_server (server, dir, &port, TRUE, login_rate);
    if (!pid) {
      g_printerr ("server-load: server did not restart\n");
      return 1;
    }
    t_restart_up = now_us () - t_kill;
    run_reconnecting (&load, logged_in, t_kill + time_limit * G_USEC_PER_SEC);
    t_back = now_us () - t_kill;
    back = load.n_ready;
    g_printerr ("server-load: %u of %u devices back %.1f s after the kill "
        "(%u deferred hellos, at most %u attempts)\n", back, logged_in,
        t_back / 1e6, load.deferred, load.max_rounds + 1);
  }

  kill (pid, SIGTERM);
  waitpid (pid, &status, 0);

  printf ("{\"devices\": %d, \"logged_in\": %u, \"login_failures\": %u, "
      "\"login_s\": %.2f, \"logins_per_s\": %.0f, "
      "\"server_rss_kib_before\": %" G_GINT64_FORMAT ", "
      "\"server_rss_kib_after\": %" G_GINT64_FORMAT ", "
      "\"bytes_per_device\": %.0f, \"viewers\": %d, \"calls\": %u, "
      "\"call_failures\": %u, \"connects_per_s\": %.0f, "
      "\"connect_p50_ms\": %.2f, \"connect_p99_ms\": %.2f, "
      "\"restart_server_up_s\": %.2f, \"restart_back\": %u, "
      "\"restart_back_s\": %.2f, \"restart_deferred\": %u, "
      "\"server_exit\": %d}\n",
      devices, logged_in, devices - logged_in, t_login / 1e6,
      logged_in / MAX (t_login / 1e6, 1e-6),
      rss0, rss1,
      devices ? (rss1 - rss0) * 1024.0 / devices : 0, viewers,
      load.calls_done, load.calls_failed,
      load.calls_done / MAX (t_calls / 1e6, 1e-6),
      percentile (load.latencies_us, 0.50) / 1000.0,
      percentile (load.latencies_us, 0.99) / 1000.0,
      t_restart_up / 1e6, back, t_back / 1e6, load.deferred,
      WIFEXITED (status) ? WEXITSTATUS (status) : -1);

  {
    const gchar *files[] = { "registry.db", "device.pem", "port" };

    for (i = 0; i < G_N_ELEMENTS (files); i++) {
      g_autofree gchar *p = g_build_filename (dir, files[i], NULL);

      g_unlink (p);
    }
    g_rmdir (dir);
  }
  return 0;
}
