/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The admin HTTP port: Prometheus text metrics on /metrics and a health
 * check on /health, served by libwebsockets on the same event loop as the
 * signalling (a second vhost), so the figures are read without locks.
 * Names and paths follow p2p-gateway's admin port (ext/gateway). Bind it
 * to a private address: it tells anyone who asks how busy the server is. */

#include "admin-http.h"
#include "fd-limit.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct
{
  gchar *body;
  gsize len;
} AdminSession;

static void
metric (GString * out, const gchar * name, const gchar * type,
    const gchar * help, guint64 value)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n%s %"
      G_GUINT64_FORMAT "\n", name, help, name, type, name, value);
}

/* The process figures Prometheus' own clients export under these names. */
static void
process_metrics (GString * out)
{
  g_autofree gchar *statm = NULL;
  GDir *fds = g_dir_open ("/proc/self/fd", 0, NULL);
  struct rlimit limit;
  guint64 pages = 0, n_fds = 0;

  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    pages = g_ascii_strtoull (strchr (statm, ' ') ? strchr (statm, ' ') + 1 :
        statm, NULL, 10);
  metric (out, "process_resident_memory_bytes", "gauge",
      "Resident memory size in bytes", pages * sysconf (_SC_PAGESIZE));
  while (fds && g_dir_read_name (fds))
    n_fds++;
  if (fds)
    g_dir_close (fds);
  metric (out, "process_open_fds", "gauge", "Open file descriptors", n_fds);
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    metric (out, "process_max_fds", "gauge",
        "Limit of open file descriptors", limit.rlim_cur);
}

/* The broker's figures: gauges are guint (or gboolean), counters guint64. */
typedef struct
{
  const gchar *name;
  gboolean counter;
  gsize offset;
  const gchar *help;
} BrokerMetric;

#define STAT(f) G_STRUCT_OFFSET (P2pBrokerStats, f)

static const BrokerMetric broker_metrics[] = {
  {"p2p_server_connections", FALSE, STAT (connections),
      "Open WebSocket connections"},
  {"p2p_server_devices", FALSE, STAT (devices), "Devices logged in"},
  {"p2p_server_viewers", FALSE, STAT (viewers), "Viewer connections welcomed"},
  {"p2p_server_calls", FALSE, STAT (calls), "Calls brokered and not ended"},
  {"p2p_server_registry_queue", FALSE, STAT (registry_queue),
      "Registry lookups queued or running"},
  {"p2p_server_draining", FALSE, STAT (draining),
      "1 once SIGTERM was received"},
  {"p2p_server_logins_total", TRUE, STAT (logins), "Device logins accepted"},
  {"p2p_server_login_failures_total", TRUE, STAT (login_failures),
      "Device logins refused after a challenge"},
  {"p2p_server_logins_deferred_total", TRUE, STAT (logins_deferred),
      "Device hellos told to retry later by the admission rate"},
  {"p2p_server_calls_total", TRUE, STAT (calls_total), "Calls brokered"},
  {"p2p_server_errors_total", TRUE, STAT (errors_sent),
      "Error messages sent to clients"},
  {"p2p_server_registry_errors_total", TRUE, STAT (registry_errors),
      "Registry failures (unreachable, unusable rows)"},
  {"p2p_server_registry_busy_total", TRUE, STAT (registry_busy),
      "Requests told to retry because the registry queue was full"},
};

/**
 * p2p_admin_http_metrics_text:
 * @broker: the server's broker
 *
 * Returns: (transfer full): the metrics in Prometheus text format 0.0.4
 */
gchar *
p2p_admin_http_metrics_text (P2pBroker * broker)
{
  GString *out = g_string_new (NULL);
  P2pBrokerStats st;
  guint i;

  p2p_broker_get_stats (broker, &st);
  for (i = 0; i < G_N_ELEMENTS (broker_metrics); i++) {
    const BrokerMetric *m = &broker_metrics[i];
    gpointer field = G_STRUCT_MEMBER_P (&st, m->offset);

    metric (out, m->name, m->counter ? "counter" : "gauge", m->help,
        m->counter ? *(guint64 *) field : *(guint *) field);
  }
  metric (out, "p2p_server_connections_refused_total", "counter",
      "Connections closed at once, near the descriptor limit",
      p2p_fd_limit_get_refused ());
  process_metrics (out);
  return g_string_free (out, FALSE);
}

/**
 * p2p_admin_http_session_size:
 *
 * Returns: the per-connection size to give libwebsockets
 */
gsize
p2p_admin_http_session_size (void)
{
  return sizeof (AdminSession);
}

/* Builds the answer to GET @path: status, content type and body. */
static guint
respond (P2pBroker * broker, const gchar * path, AdminSession * as,
    const gchar ** type)
{
  P2pBrokerStats st;

  *type = "text/plain";
  if (strcmp (path, "/metrics") == 0) {
    *type = "text/plain; version=0.0.4";
    as->body = p2p_admin_http_metrics_text (broker);
    return HTTP_STATUS_OK;
  }
  if (strcmp (path, "/health") == 0) {
    /* A draining server answers 503, so that load balancers stop sending
     * it new clients before it closes. */
    p2p_broker_get_stats (broker, &st);
    as->body = g_strdup (st.draining ? "draining\n" : "ok\n");
    return st.draining ? HTTP_STATUS_SERVICE_UNAVAILABLE : HTTP_STATUS_OK;
  }
  as->body = g_strdup ("not found\n");
  return HTTP_STATUS_NOT_FOUND;
}

/**
 * p2p_admin_http_lws_callback:
 * @wsi: the connection
 * @reason: what happened
 * @user: the connection's #AdminSession
 * @in: the request path for %LWS_CALLBACK_HTTP
 * @len: its length
 *
 * The admin vhost's only protocol: answers GET /metrics and GET /health,
 * one response per request.
 *
 * Returns: 0 to go on, non-zero to close the connection
 */
int
p2p_admin_http_lws_callback (struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
  AdminSession *as = user;
  guint8 head[LWS_PRE + 512];
  guint8 *start = head + LWS_PRE, *p = start, *end = head + sizeof (head);
  const gchar *type;
  guint status;

  switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
      /* Plain HTTP, whatever the signalling port speaks. */
      return p2p_fd_limit_refuse ((gint) (gintptr) in, TRUE) ? -1 : 0;
    case LWS_CALLBACK_HTTP:
      g_clear_pointer (&as->body, g_free);
      if (lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) <= 0) {
        as->body = g_strdup ("only GET\n");
        type = "text/plain";
        status = HTTP_STATUS_METHOD_NOT_ALLOWED;
      } else {
        g_autofree gchar *path = g_strndup (in, len);

        status = respond (lws_context_user (lws_get_context (wsi)), path, as,
            &type);
      }
      as->len = strlen (as->body);
      if (lws_add_http_common_headers (wsi, status, type, as->len, &p, end)
          || lws_finalize_write_http_header (wsi, start, &p, end))
        return 1;
      lws_callback_on_writable (wsi);
      return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:{
      guint8 *buf;
      int written;

      if (!as->body)
        return 0;
      buf = g_malloc (LWS_PRE + as->len);
      memcpy (buf + LWS_PRE, as->body, as->len);
      written = lws_write (wsi, buf + LWS_PRE, as->len, LWS_WRITE_HTTP_FINAL);
      g_free (buf);
      g_clear_pointer (&as->body, g_free);
      if (written < (int) as->len)
        return -1;
      return lws_http_transaction_completed (wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
      g_clear_pointer (&as->body, g_free);
      return 0;
    default:
      return lws_callback_http_dummy (wsi, reason, user, in, len);
  }
}
