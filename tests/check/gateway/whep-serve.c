/* p2p-gateway tests: the WHEP endpoint and its player page with test
 * pattern cameras, for a browser to open (whep-chromium.py).
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Serves on 127.0.0.1, a port of the system's choosing, with ICE on
 * 127.0.0.1 only; prints "whep-serve: port N" once listening, and runs
 * until its standard input closes (its parent is gone) or SIGTERM:
 *   /view/vp8        VP8 video and Opus audio
 *   /view/h264       H.264 (constrained baseline) video only
 *   /view/h264-opus  H.264 (high) video and Opus audio
 */

#include <glib-unix.h>
#include <stdio.h>

#include "p2p-whep-endpoint.h"
#include "whep-test-camera.h"

static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
stdin_cb (gint fd, GIOCondition condition, gpointer loop)
{
  gchar buf[64];

  if (read (fd, buf, sizeof (buf)) > 0)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  SoupServer *server;
  P2pWhepEndpoint *endpoint;
  GMainLoop *loop;
  GError *err = NULL;
  GSList *uris;

  gst_init (&argc, &argv);
  loop = g_main_loop_new (NULL, FALSE);
  server = soup_server_new (NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &err)) {
    g_printerr ("whep-serve: %s\n", err->message);
    return 1;
  }
  endpoint = g_object_new (P2P_TYPE_WHEP_ENDPOINT, "ice-address", "127.0.0.1",
      NULL);
  p2p_whep_endpoint_add_camera (endpoint, "vp8", &whep_test_camera_funcs,
      whep_test_camera_new ("vp8enc deadline=1 keyframe-max-dist=15", TRUE),
      whep_test_camera_free);
  p2p_whep_endpoint_add_camera (endpoint, "h264", &whep_test_camera_funcs,
      whep_test_camera_new ("x264enc tune=zerolatency speed-preset=ultrafast "
          "key-int-max=15 ! video/x-h264,profile=constrained-baseline", FALSE),
      whep_test_camera_free);
  p2p_whep_endpoint_add_camera (endpoint, "h264-opus", &whep_test_camera_funcs,
      whep_test_camera_new ("x264enc tune=zerolatency speed-preset=ultrafast "
          "key-int-max=15 ! video/x-h264,profile=high", TRUE),
      whep_test_camera_free);
  p2p_whep_endpoint_add_handlers (endpoint, server);

  uris = soup_server_get_uris (server);
  g_print ("whep-serve: port %d\n", g_uri_get_port (uris->data));
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_fd_add (0, G_IO_IN | G_IO_HUP, stdin_cb, loop);
  g_main_loop_run (loop);

  soup_server_disconnect (server);
  g_object_unref (server);
  g_object_unref (endpoint);
  g_main_loop_unref (loop);
  return 0;
}
