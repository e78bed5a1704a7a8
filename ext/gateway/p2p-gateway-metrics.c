/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-gateway-metrics.h"
#include "p2p-gateway-http.h"

#include <string.h>

/* One per-camera metric: its name, type, help and the stats field. */
typedef struct
{
  const gchar *name;
  const gchar *type;
  const gchar *help;
  const gchar *field;
} Metric;

static const Metric metrics[] = {
  {"p2p_gateway_camera_session", "gauge",
      "1 while the camera's p2p session runs", "session"},
  {"p2p_gateway_camera_connected", "gauge",
      "1 while the session has a path to the camera", "connected"},
  {"p2p_gateway_camera_clients", "gauge",
        "Clients watching the camera (RTSP sessions playing, WHEP peers)",
      "viewers"},
  {"p2p_gateway_camera_received_bytes_total", "counter",
      "Bytes of encoded media received from the camera", "bytes"},
  {"p2p_gateway_camera_sessions_total", "counter",
      "p2p sessions started with the camera", "sessions"},
  {"p2p_gateway_camera_reconnects_total", "counter",
        "Times a session lost its path to the camera and sought it again",
      "reconnects"},
};

static guint64
stat_value (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);

  if (G_VALUE_HOLDS_BOOLEAN (v))
    return g_value_get_boolean (v);
  if (G_VALUE_HOLDS_UINT (v))
    return g_value_get_uint (v);
  if (G_VALUE_HOLDS_UINT64 (v))
    return g_value_get_uint64 (v);
  return 0;
}

/**
 * p2p_gateway_metrics_text:
 * @config: the gateway's configuration
 *
 * Returns: (transfer full): the gateway's metrics in the Prometheus text
 *     exposition format, version 0.0.4: `p2p_gateway_cameras`,
 *     `p2p_gateway_sessions`, `p2p_gateway_clients`, then per camera (label
 *     `camera`, the path name) its session, connection, clients, bytes,
 *     sessions and reconnects
 *
 * Since: 0.2
 */
gchar *
p2p_gateway_metrics_text (P2pGatewayConfig * config)
{
  GString *out = g_string_new (NULL);
  GPtrArray *stats = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  guint64 sessions = 0, clients = 0;
  guint i, m;

  for (i = 0; i < config->cameras->len; i++) {
    GstStructure *s = p2p_gateway_camera_get_stats (g_ptr_array_index
        (config->cameras, i));

    sessions += stat_value (s, "session");
    clients += stat_value (s, "viewers");
    g_ptr_array_add (stats, s);
  }
  g_string_append_printf (out,
      "# HELP p2p_gateway_cameras Cameras configured\n"
      "# TYPE p2p_gateway_cameras gauge\n"
      "p2p_gateway_cameras %u\n"
      "# HELP p2p_gateway_sessions p2p sessions running (one per camera "
      "at most)\n"
      "# TYPE p2p_gateway_sessions gauge\n"
      "p2p_gateway_sessions %" G_GUINT64_FORMAT "\n"
      "# HELP p2p_gateway_clients Clients watching any camera\n"
      "# TYPE p2p_gateway_clients gauge\n"
      "p2p_gateway_clients %" G_GUINT64_FORMAT "\n", config->cameras->len,
      sessions, clients);
  for (m = 0; m < G_N_ELEMENTS (metrics); m++) {
    g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n",
        metrics[m].name, metrics[m].help, metrics[m].name, metrics[m].type);
    /* Path names are letters, digits, '.', '_', '-': no label escaping. */
    for (i = 0; i < stats->len; i++)
      g_string_append_printf (out, "%s{camera=\"%s\"} %" G_GUINT64_FORMAT
          "\n", metrics[m].name, p2p_gateway_camera_get_name
          (g_ptr_array_index (config->cameras, i)),
          stat_value (g_ptr_array_index (stats, i), metrics[m].field));
  }
  g_ptr_array_unref (stats);
  return g_string_free (out, FALSE);
}

static void
handle_metrics (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  gchar *text;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  text = p2p_gateway_metrics_text (data);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4",
      SOUP_MEMORY_TAKE, text, strlen (text));
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

/* Answers while the main loop runs: the RTSP server and the cameras'
 * timers share it, so a stuck loop fails the health check too. */
static void
handle_health (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  static const gchar ok[] = "ok\n";

  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      ok, sizeof ok - 1);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

/**
 * p2p_gateway_metrics_serve:
 * @config: the gateway's configuration (admin address and port)
 * @port: (out): the port listened on
 * @error: return location for a #GIOError
 *
 * Serves `GET /metrics` (Prometheus text) and `GET /health` (`ok`) over
 * plain HTTP on the thread-default main context. Meant for loopback or a
 * monitoring network: it has no authentication.
 *
 * Returns: (transfer full) (nullable): the server, %NULL with @error set
 *     when it cannot listen
 *
 * Since: 0.2
 */
SoupServer *
p2p_gateway_metrics_serve (P2pGatewayConfig * config, guint * port,
    GError ** error)
{
  SoupServer *server = soup_server_new ("server-header", "p2p-gateway ",
      NULL);

  soup_server_add_handler (server, "/metrics", handle_metrics, config, NULL);
  soup_server_add_handler (server, "/health", handle_health, NULL, NULL);
  if (!p2p_gateway_http_listen (server, "admin", config->admin_address,
          config->admin_port, port, error)) {
    g_object_unref (server);
    return NULL;
  }
  return server;
}
