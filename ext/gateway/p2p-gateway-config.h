/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-gateway-camera.h"

G_BEGIN_DECLS

/**
 * P2pGatewayConfig:
 * @rtsp_address: address the RTSP server listens on
 * @rtsp_port: its port, 0 for one from the OS
 * @admin_address: address of the admin HTTP server (metrics, health)
 * @admin_port: its port, 0 for one from the OS, -1 for none
 * @http_address: address of the browser front end (WHEP, player pages)
 * @http_port: its port, 0 for one from the OS, -1 (the default) for none
 * @ice_address: (nullable): the one address WHEP's ICE gathers on, %NULL
 *     for all
 * @whep_sessions: WHEP sessions at once, all cameras
 * @whep_camera_sessions: WHEP sessions at once on one camera
 * @linger_ms: how long a camera's session outlives its last client
 * @timeout_ms: how long a new client waits for the camera's streams
 * @server: default signalling server of the cameras
 * @known_cameras_file: default trust-on-first-use file of the cameras
 * @lan: default of the cameras' local network discovery
 * @users: (element-type utf8 utf8): RTSP user name → password; empty: no
 *     authentication
 * @cameras: (element-type P2pGatewayCamera): the cameras, by path name
 *     in config order
 *
 * The gateway's settings: a GKeyFile (see docs/gateway.md and
 * p2p-gateway.conf.example) with command-line additions. Front ends find
 * their cameras in @cameras.
 *
 * Since: 0.2
 */
typedef struct
{
  gchar *rtsp_address;
  guint rtsp_port;
  gchar *admin_address;
  gint admin_port;
  gchar *http_address;
  gint http_port;
  gchar *ice_address;
  gint whep_sessions;
  gint whep_camera_sessions;
  guint linger_ms;
  guint timeout_ms;
  gchar *server;
  gchar *known_cameras_file;
  gboolean lan;
  GHashTable *users;
  GPtrArray *cameras;
} P2pGatewayConfig;

/**
 * P2P_GATEWAY_CONFIG_ERROR:
 *
 * Error domain of configuration errors: #G_KEY_FILE_ERROR codes, the
 * message naming the group and key.
 *
 * Since: 0.2
 */
#define P2P_GATEWAY_CONFIG_ERROR G_KEY_FILE_ERROR

P2pGatewayConfig *p2p_gateway_config_new (void);

gboolean p2p_gateway_config_load (P2pGatewayConfig * config,
    GKeyFile * file, GError ** error);

gboolean p2p_gateway_config_add_camera_uri (P2pGatewayConfig * config,
    const gchar * spec, GError ** error);

gboolean p2p_gateway_config_add_user (P2pGatewayConfig * config,
    const gchar * spec, GError ** error);

P2pGatewayCamera *p2p_gateway_config_find_camera (P2pGatewayConfig * config,
    const gchar * name);

void p2p_gateway_config_free (P2pGatewayConfig * config);

G_END_DECLS
