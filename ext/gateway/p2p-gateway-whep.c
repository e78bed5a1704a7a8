/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The gateway's browser front end: its cameras through the WHEP endpoint,
 * behind the same digest logins as RTSP.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-gateway-whep.h"
#include "p2p-gateway-http.h"

#include "p2p-whep-endpoint.h"

#define REALM "p2p-gateway"

static void
camera_acquire (gpointer camera)
{
  p2p_gateway_camera_acquire (camera);
}

static void
camera_release (gpointer camera)
{
  p2p_gateway_camera_release (camera);
}

static GPtrArray *
camera_wait_streams (gpointer camera, guint timeout_ms, GError ** error)
{
  GError *err = NULL;
  GPtrArray *streams = p2p_gateway_camera_wait_streams (camera, timeout_ms,
      &err);

  /* The endpoint answers a camera that is late 504, others 502. */
  if (g_error_matches (err, P2P_GATEWAY_CAMERA_ERROR,
          P2P_GATEWAY_CAMERA_ERROR_TIMEOUT)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, err->message);
    g_error_free (err);
  } else if (err) {
    g_propagate_error (error, err);
  }
  return streams;
}

static gboolean
camera_attach (gpointer camera, guint stream, GstAppSrc * appsrc,
    GError ** error)
{
  return p2p_gateway_camera_attach (camera, stream, appsrc, error);
}

static void
camera_detach (gpointer camera, GstAppSrc * appsrc)
{
  p2p_gateway_camera_detach (camera, appsrc);
}

static void
camera_request_keyframe (gpointer camera)
{
  p2p_gateway_camera_request_keyframe (camera);
}

static const P2pWhepCameraFuncs gateway_camera_funcs = {
  camera_acquire,
  camera_release,
  camera_wait_streams,
  camera_attach,
  camera_detach,
  camera_request_keyframe,
};

static gchar *
get_digest (SoupAuthDomain * domain, SoupServerMessage * msg,
    const gchar * username, gpointer user_data)
{
  P2pGatewayConfig *config = user_data;
  const gchar *password = g_hash_table_lookup (config->users, username);

  return password ? soup_auth_domain_digest_encode_password (username, REALM,
      password) : NULL;
}

/**
 * p2p_gateway_whep_serve:
 * @config: the gateway's configuration, with its cameras
 * @port: (out): the port bound
 * @error: a #GIOError
 *
 * Serves every camera of @config over WHEP (`/whep/NAME`) with a player
 * page (`/view/NAME`) on `http-address`:`http-port`, each WHEP viewer a
 * client of the camera's one p2p session. With `[users]`, both need one of
 * their logins (HTTP digest, as RTSP).
 *
 * Returns: (transfer full) (nullable): the server
 *
 * Since: 0.2
 */
SoupServer *
p2p_gateway_whep_serve (P2pGatewayConfig * config, guint * port,
    GError ** error)
{
  SoupServer *server = soup_server_new ("server-header", "p2p-gateway ",
      NULL);
  P2pWhepEndpoint *endpoint;
  guint i;

  endpoint = g_object_new (P2P_TYPE_WHEP_ENDPOINT,
      "ice-address", config->ice_address,
      "max-sessions", config->whep_sessions,
      "max-camera-sessions", config->whep_camera_sessions,
      "camera-timeout", config->timeout_ms, NULL);
  for (i = 0; i < config->cameras->len; i++) {
    P2pGatewayCamera *camera = g_ptr_array_index (config->cameras, i);

    p2p_whep_endpoint_add_camera (endpoint, p2p_gateway_camera_get_name
        (camera), &gateway_camera_funcs, g_object_ref (camera), g_object_unref);
  }
  p2p_whep_endpoint_add_handlers (endpoint, server);
  g_object_set_data_full (G_OBJECT (server), "p2p-whep-endpoint", endpoint,
      g_object_unref);

  if (g_hash_table_size (config->users) > 0) {
    SoupAuthDomain *domain = soup_auth_domain_digest_new ("realm", REALM,
        NULL);

    soup_auth_domain_add_path (domain, "/");
    soup_auth_domain_digest_set_auth_callback (domain, get_digest, config,
        NULL);
    soup_server_add_auth_domain (server, domain);
    g_object_unref (domain);
  }

  if (!p2p_gateway_http_listen (server, "http", config->http_address,
          config->http_port, port, error)) {
    g_object_unref (server);
    return NULL;
  }
  return server;
}
