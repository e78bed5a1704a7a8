/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* p2psrc's URIs, p2p://UID?server=…&password=…&fingerprint=…&latency=…,
 * so playbin, uridecodebin and gst-play-1.0 can play a camera: parsed into
 * the element's properties, and given back without the password. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psrcprivate.h"

static GstURIType
gst_p2p_src_uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
gst_p2p_src_uri_get_protocols (GType type)
{
  static const gchar *protocols[] = { "p2p", NULL };

  return protocols;
}

static gchar *
gst_p2p_src_uri_get_uri (GstURIHandler * handler)
{
  GstP2pSrc *self = GST_P2P_SRC (handler);
  g_autofree gchar *server = NULL;
  gchar *uri;

  GST_OBJECT_LOCK (self);
  if (!self->uid) {
    GST_OBJECT_UNLOCK (self);
    return NULL;
  }
  /* The password stays out: URIs end up in logs and window titles. */
  server = self->server ? g_uri_escape_string (self->server, "/:", FALSE) :
      NULL;
  uri = g_strdup_printf ("p2p://%s%s%s", self->uid, server ? "?server=" : "",
      server ? server : "");
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static gboolean
gst_p2p_src_uri_set_uri (GstURIHandler * handler, const gchar * uri,
    GError ** error)
{
  GstP2pSrc *self = GST_P2P_SRC (handler);
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *host, *query, *v;

  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, &err);
  if (!parsed || g_strcmp0 (g_uri_get_scheme (parsed), "p2p") != 0
      || !(host = g_uri_get_host (parsed)) || !*host) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "Invalid p2p URI '%s': expected p2p://UID?server=wss://…", uri);
    return FALSE;
  }
  query = g_uri_get_query (parsed);
  if (query) {
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, &err);
    if (!params) {
      g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
          "Invalid query in p2p URI: %s", err->message);
      return FALSE;
    }
  }

  GST_OBJECT_LOCK (self);
  g_free (self->uid);
  self->uid = g_ascii_strup (host, -1);
  if (params && (v = g_hash_table_lookup (params, "server"))) {
    g_free (self->server);
    self->server = g_strdup (v);
  }
  if (params && (v = g_hash_table_lookup (params, "password"))) {
    g_free (self->password);
    self->password = g_strdup (v);
  }
  if (params && (v = g_hash_table_lookup (params, "fingerprint"))) {
    g_free (self->device_fingerprint);
    self->device_fingerprint = g_strdup (v);
  }
  if (params && (v = g_hash_table_lookup (params, "latency")))
    self->latency = MIN (g_ascii_strtoull (v, NULL, 10), 10000);
  self->config_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* The GstURIHandler interface of p2psrc. */
void
gst_p2p_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = (GstURIHandlerInterface *) g_iface;

  iface->get_type = gst_p2p_src_uri_get_type;
  iface->get_protocols = gst_p2p_src_uri_get_protocols;
  iface->get_uri = gst_p2p_src_uri_get_uri;
  iface->set_uri = gst_p2p_src_uri_set_uri;
}
