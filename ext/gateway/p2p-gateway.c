/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The p2p-gateway program: serves each configured camera as
 * rtsp://HOST:PORT/NAME, one p2p session per camera started on demand,
 * with RTSP digest authentication, and metrics and health on an admin
 * HTTP port. docs/gateway.md is the operator's guide. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-gateway-config.h"
#include "p2p-gateway-media-factory.h"
#include "p2p-gateway-metrics.h"
#include "p2p-gateway-whep.h"

#include <glib-unix.h>
#include <stdlib.h>

/* Client threads: each RTSP connection gets one, so a client waiting for
 * its camera to connect does not hold up the others. */
#define MAX_CLIENT_THREADS 64
#define USER_ROLE "user"

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* The camera of a session media, found through the media's element. */
static P2pGatewayCamera *
session_media_camera (GstRTSPSessionMedia * sessmedia)
{
  GstRTSPMedia *media = gst_rtsp_session_media_get_media (sessmedia);

  return media ? g_object_get_data (G_OBJECT (media), "p2p-gateway-camera")
      : NULL;
}

/* Counts RTSP clients per camera: a session media counts from its PLAY to
 * its TEARDOWN or the connection's end. The GstRTSPClient keeps a table of
 * the session medias it counted. */
static void
on_play (GstRTSPClient * client, GstRTSPContext * ctx, gpointer data)
{
  GHashTable *counted = g_object_get_data (G_OBJECT (client),
      "p2p-gateway-counted");
  P2pGatewayCamera *camera;

  if (!ctx->sessmedia || g_hash_table_contains (counted, ctx->sessmedia))
    return;
  camera = session_media_camera (ctx->sessmedia);
  if (!camera)
    return;
  g_hash_table_insert (counted, ctx->sessmedia, g_object_ref (camera));
  p2p_gateway_camera_add_viewers (camera, 1);
  /* It joins a shared media that may have been running for a while. */
  p2p_gateway_camera_request_keyframe (camera);
}

static gboolean
uncount (gpointer key, gpointer value, gpointer data)
{
  p2p_gateway_camera_add_viewers (value, -1);
  return TRUE;
}

static void
on_teardown (GstRTSPClient * client, GstRTSPContext * ctx, gpointer data)
{
  GHashTable *counted = g_object_get_data (G_OBJECT (client),
      "p2p-gateway-counted");
  P2pGatewayCamera *camera;

  if (ctx->sessmedia && (camera = g_hash_table_lookup (counted,
              ctx->sessmedia))) {
    p2p_gateway_camera_add_viewers (camera, -1);
    g_hash_table_remove (counted, ctx->sessmedia);
  }
}

static void
on_closed (GstRTSPClient * client, gpointer data)
{
  GHashTable *counted = g_object_get_data (G_OBJECT (client),
      "p2p-gateway-counted");

  g_hash_table_foreach_remove (counted, uncount, NULL);
}

static void
on_client_connected (GstRTSPServer * server, GstRTSPClient * client,
    gpointer data)
{
  g_object_set_data_full (G_OBJECT (client), "p2p-gateway-counted",
      g_hash_table_new_full (NULL, NULL, NULL, g_object_unref),
      (GDestroyNotify) g_hash_table_unref);
  g_signal_connect (client, "play-request", G_CALLBACK (on_play), NULL);
  g_signal_connect (client, "teardown-request", G_CALLBACK (on_teardown), NULL);
  g_signal_connect (client, "closed", G_CALLBACK (on_closed), NULL);
}

static void
on_media_configure (GstRTSPMediaFactory * factory, GstRTSPMedia * media,
    P2pGatewayCamera * camera)
{
  g_object_set_data_full (G_OBJECT (media), "p2p-gateway-camera",
      g_object_ref (camera), g_object_unref);
}

static GstRTSPAuth *
make_auth (P2pGatewayConfig * config)
{
  GstRTSPAuth *auth = gst_rtsp_auth_new ();
  GHashTableIter iter;
  gpointer user, password;

  /* Digest only: Basic would send the password in the clear. */
  gst_rtsp_auth_set_supported_methods (auth, GST_RTSP_AUTH_DIGEST);
  g_hash_table_iter_init (&iter, config->users);
  while (g_hash_table_iter_next (&iter, &user, &password)) {
    GstRTSPToken *token = gst_rtsp_token_new
        (GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, USER_ROLE, NULL);

    gst_rtsp_auth_add_digest (auth, user, password, token);
    gst_rtsp_token_unref (token);
  }
  return auth;
}

static GstRTSPServer *
serve_rtsp (P2pGatewayConfig * config, GError ** error)
{
  /* ONVIF: clients may ask for the audio back channel (talk-back). */
  GstRTSPServer *server = gst_rtsp_onvif_server_new ();
  GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points (server);
  GstRTSPThreadPool *pool = gst_rtsp_server_get_thread_pool (server);
  gboolean auth = g_hash_table_size (config->users) > 0;
  gchar *service = g_strdup_printf ("%u", config->rtsp_port);
  guint i;

  gst_rtsp_server_set_address (server, config->rtsp_address);
  gst_rtsp_server_set_service (server, service);
  g_free (service);
  gst_rtsp_thread_pool_set_max_threads (pool, MAX_CLIENT_THREADS);
  g_object_unref (pool);
  if (auth) {
    GstRTSPAuth *a = make_auth (config);

    gst_rtsp_server_set_auth (server, a);
    g_object_unref (a);
  } else {
    g_warning ("no [users]: anyone who reaches the RTSP port can watch");
  }
  for (i = 0; i < config->cameras->len; i++) {
    P2pGatewayCamera *camera = g_ptr_array_index (config->cameras, i);
    GstRTSPMediaFactory *factory = p2p_gateway_media_factory_new (camera,
        config->timeout_ms);
    gchar *path = g_strdup_printf ("/%s",
        p2p_gateway_camera_get_name (camera));

    if (auth)
      gst_rtsp_media_factory_add_role (factory, USER_ROLE,
          GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
          GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, NULL);
    g_signal_connect_object (factory, "media-configure",
        G_CALLBACK (on_media_configure), camera, 0);
    gst_rtsp_mount_points_add_factory (mounts, path, factory);
    g_free (path);
  }
  g_object_unref (mounts);
  g_signal_connect (server, "client-connected",
      G_CALLBACK (on_client_connected), NULL);
  if (gst_rtsp_server_attach (server, NULL) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot listen for RTSP on %s port %u", config->rtsp_address,
        config->rtsp_port);
    g_object_unref (server);
    return NULL;
  }
  return server;
}

int
main (int argc, char **argv)
{
  gchar *config_path = NULL, *rtsp_address = NULL, *admin_address = NULL;
  gchar *http_address = NULL, *ice_address = NULL;
  gchar **camera_specs = NULL, **user_specs = NULL;
  gint rtsp_port = -1, admin_port = -2, http_port = -2, linger = -1;
  gboolean no_lan = FALSE;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
        "Configuration file (see docs/gateway.md)", "FILE"},
    {"camera", 0, 0, G_OPTION_ARG_STRING_ARRAY, &camera_specs,
        "A camera: NAME=p2p://UID?server=URI&password=P&fingerprint=F "
          "(repeatable)", "SPEC"},
    {"user", 0, 0, G_OPTION_ARG_STRING_ARRAY, &user_specs,
        "An RTSP user (repeatable; digest authentication)", "USER:PASSWORD"},
    {"rtsp-address", 0, 0, G_OPTION_ARG_STRING, &rtsp_address,
        "Address to serve RTSP on (default 0.0.0.0)", "ADDRESS"},
    {"rtsp-port", 'p', 0, G_OPTION_ARG_INT, &rtsp_port,
        "RTSP port, 0 for any (default 8554)", "PORT"},
    {"admin-address", 0, 0, G_OPTION_ARG_STRING, &admin_address,
          "Address of the metrics and health port (default 127.0.0.1)",
        "ADDRESS"},
    {"admin-port", 0, 0, G_OPTION_ARG_INT, &admin_port,
          "Metrics and health port, 0 for any, -1 for none (default 8555)",
        "PORT"},
    {"http-address", 0, 0, G_OPTION_ARG_STRING, &http_address,
          "Address to serve WHEP and the player on (default 0.0.0.0)",
        "ADDRESS"},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING, &ice_address,
          "The one local address WHEP's ICE uses (default all)",
        "ADDRESS"},
    {"http-port", 0, 0, G_OPTION_ARG_INT, &http_port,
        "Browser (WHEP and player page) port, 0 for any, -1 for none "
          "(default none)", "PORT"},
    {"linger", 0, 0, G_OPTION_ARG_INT, &linger,
        "Seconds a camera's session is kept after its last client "
          "(default 10)", "SECONDS"},
    {"no-lan", 0, 0, G_OPTION_ARG_NONE, &no_lan,
        "Never look for cameras on the local network", NULL},
    {NULL}
  };
  GOptionContext *options = g_option_context_new ("- restream p2p cameras "
      "over RTSP");
  P2pGatewayConfig *config = NULL;
  GKeyFile *file = g_key_file_new ();
  GstRTSPServer *rtsp = NULL;
  SoupServer *admin = NULL, *http = NULL;
  GMainLoop *loop = NULL;
  GError *err = NULL;
  guint admin_bound = 0, http_bound = 0, i;
  int status = EXIT_FAILURE;

  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &err))
    goto out;
  if (config_path && !g_key_file_load_from_file (file, config_path,
          G_KEY_FILE_NONE, &err)) {
    g_prefix_error (&err, "%s: ", config_path);
    goto out;
  }
  /* The command line wins over the file: written into it before the
   * cameras are made from it. */
  if (rtsp_address)
    g_key_file_set_string (file, "gateway", "rtsp-address", rtsp_address);
  if (rtsp_port >= 0)
    g_key_file_set_integer (file, "gateway", "rtsp-port", rtsp_port);
  if (admin_address)
    g_key_file_set_string (file, "gateway", "admin-address", admin_address);
  if (admin_port >= -1)
    g_key_file_set_integer (file, "gateway", "admin-port", admin_port);
  if (http_address)
    g_key_file_set_string (file, "gateway", "http-address", http_address);
  if (ice_address)
    g_key_file_set_string (file, "gateway", "ice-address", ice_address);
  if (http_port >= -1)
    g_key_file_set_integer (file, "gateway", "http-port", http_port);
  if (linger >= 0)
    g_key_file_set_integer (file, "gateway", "linger", linger);
  if (no_lan) {
    gchar **groups = g_key_file_get_groups (file, NULL);

    g_key_file_set_boolean (file, "gateway", "lan", FALSE);
    for (i = 0; groups[i]; i++)
      if (g_str_has_prefix (groups[i], "camera "))
        g_key_file_set_boolean (file, groups[i], "lan", FALSE);
    g_strfreev (groups);
  }
  config = p2p_gateway_config_new ();
  if (!p2p_gateway_config_load (config, file, &err))
    goto out;
  for (i = 0; camera_specs && camera_specs[i]; i++)
    if (!p2p_gateway_config_add_camera_uri (config, camera_specs[i], &err))
      goto out;
  for (i = 0; user_specs && user_specs[i]; i++)
    if (!p2p_gateway_config_add_user (config, user_specs[i], &err))
      goto out;
  if (config->cameras->len == 0) {
    g_set_error (&err, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
        "no camera: give a [camera NAME] group or --camera");
    goto out;
  }

  loop = g_main_loop_new (NULL, FALSE);
  if (!(rtsp = serve_rtsp (config, &err)))
    goto out;
  if (config->admin_port >= 0
      && !(admin = p2p_gateway_metrics_serve (config, &admin_bound, &err)))
    goto out;
  if (config->http_port >= 0
      && !(http = p2p_gateway_whep_serve (config, &http_bound, &err)))
    goto out;
  /* Lines a supervisor (or a test) reads to find the ports. */
  g_print ("p2p-gateway: rtsp port %d\n", gst_rtsp_server_get_bound_port
      (rtsp));
  if (admin)
    g_print ("p2p-gateway: admin port %u\n", admin_bound);
  if (http)
    g_print ("p2p-gateway: http port %u\n", http_bound);
  for (i = 0; i < config->cameras->len; i++)
    g_print ("p2p-gateway: camera /%s\n", p2p_gateway_camera_get_name
        (g_ptr_array_index (config->cameras, i)));
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  status = EXIT_SUCCESS;
  /* The RTSP server's clients may keep references to the cameras: their
   * calls end here, not when the last reference goes. */
  for (i = 0; i < config->cameras->len; i++)
    p2p_gateway_camera_stop (g_ptr_array_index (config->cameras, i));

out:
  if (err) {
    g_printerr ("p2p-gateway: %s\n", err->message);
    g_error_free (err);
  }
  g_clear_object (&http);
  g_clear_object (&admin);
  g_clear_object (&rtsp);
  if (config)
    p2p_gateway_config_free (config);
  if (loop)
    g_main_loop_unref (loop);
  g_key_file_unref (file);
  g_option_context_free (options);
  g_free (config_path);
  g_free (rtsp_address);
  g_free (admin_address);
  g_free (http_address);
  g_free (ice_address);
  g_strfreev (camera_specs);
  g_strfreev (user_specs);
  return status;
}
