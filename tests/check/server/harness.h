/* p2p-server tests
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Every wait in the tests ends after this long at the latest, but for a
 * server's start. */
#define HARNESS_WAIT_MS 5000
/* How long p2p-server may take to say it listens: no test measures its
 * start, and a healthy start ends the wait at once. */
#define HARNESS_START_MS 30000

/* The server id harness_server_start() gives p2p-server: the host of its
 * URL, which is what a device with default settings signs for. */
#define HARNESS_SERVER_ID "127.0.0.1"

gboolean harness_wait (gboolean (*done) (gpointer), gpointer data,
    guint timeout_ms);

GSubprocessLauncher *harness_launcher_new (GSubprocessFlags flags);

gint harness_run_uid (gchar ** out, const gchar * registry, ...)
    G_GNUC_NULL_TERMINATED;

gchar *harness_add_device (const gchar * dir, const gchar * registry,
    const gchar * name);

gchar *harness_read_line (GDataInputStream * in, guint timeout_ms,
    gboolean * timed_out);

typedef struct
{
  GSubprocess *process;
  gint port;
  gchar *url;
  GDataInputStream *out;        /* its stdout after the "listening" line */
  gint err_fd;                  /* its stderr, an unlinked file, or -1 */
} HarnessServer;

HarnessServer *harness_server_start (const gchar * registry,
    const gchar * first_arg, ...) G_GNUC_NULL_TERMINATED;

/* How harness_server_start_with() sets the process up. */
typedef struct
{
  guint max_fds;                /* RLIMIT_NOFILE, 0: the test's own */
  const gchar *stderr_path;     /* its stderr goes there, else the test's
                                 * when the server is freed */
} HarnessServerOptions;

HarnessServer *harness_server_start_with (const HarnessServerOptions *
    options, const gchar * registry, const gchar * first_arg, ...)
    G_GNUC_NULL_TERMINATED;

gint harness_server_stop (HarnessServer * server);

GSocket *harness_tcp_bind (const gchar * address, gint port,
    GError ** error);

gboolean harness_wait_exit (GSubprocess * process, guint timeout_ms);

void harness_server_free (HarnessServer * server);

typedef struct
{
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GQueue messages;
  gboolean closed;
  gushort close_code;
} HarnessClient;

HarnessClient *harness_client_connect (const gchar * url);

HarnessClient *harness_client_try_connect (const gchar * url);

HarnessClient *harness_client_try_connect_from (const gchar * url,
    const gchar * source);

void harness_client_send (HarnessClient * c, const gchar * text);

void harness_client_sendf (HarnessClient * c, const gchar * format, ...)
    G_GNUC_PRINTF (2, 3);

JsonObject *harness_client_next (HarnessClient * c);

JsonObject *harness_client_expect (HarnessClient * c, const gchar * type);

void harness_client_expect_error (HarnessClient * c, const gchar * code);

void harness_client_expect_closed (HarnessClient * c);

void harness_client_free (HarnessClient * c);

HarnessClient *harness_device_login (const gchar * url, const gchar * uid,
    const gchar * key_file, JsonObject ** welcome);

gchar *harness_sign (const gchar * key_file, const gchar * server_id,
    const gchar * uid, const gchar * nonce);

G_END_DECLS
