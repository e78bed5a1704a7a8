/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pcommon.h"
#include "gstp2pnalframing.h"

#include <p2p-core/p2p-combined-signaller.h>
#include <p2p-protocol-ice-uri.h>
#include <p2p-protocol-uid.h>
#include "gstp2pelements.h"
#include "gstp2prtxassoc.h"

#include <string.h>
#include <gio/gio.h>

#define GST_CAT_DEFAULT gst_p2p_debug

/**
 * gst_p2p_check_uid:
 * @element: element to post the error from
 * @uid: (nullable): the configured UID
 *
 * Returns: %TRUE if @uid is a well-formed UID whose check symbols match
 */
gboolean
gst_p2p_check_uid (GstElement * element, const gchar * uid)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *norm = NULL;

  if (uid == NULL || *uid == '\0') {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("No device UID set: set the 'uid' property (e.g. "
            "uid=7KQ2-M9XD-4HPA-R3MJ)"), (NULL));
    return FALSE;
  }
  /* The protocol's rules (protocol/), check symbols included: the
   * registry only holds UIDs whose check symbols match, so a mistyped UID
   * is named here rather than reported as an unregistered camera. */
  norm = p2p_uid_normalize (uid, &err);
  if (norm == NULL) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("'%.32s' is not a valid device UID: %s (UIDs look like "
            "7KQ2-M9XD-4HPA-R3MJ)", uid, err->message), (NULL));
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_p2p_tls_ca_file_param_spec:
 *
 * Returns: (transfer floating): the `tls-ca-file` property both elements
 *     have
 */
GParamSpec *
gst_p2p_tls_ca_file_param_spec (void)
{
  return g_param_spec_string ("tls-ca-file", "TLS CA file",
      "PEM certificates of the CAs trusted for wss:// servers instead of "
      "the system's (NULL: the system's)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
}

/**
 * gst_p2p_load_tls_ca_file:
 * @element: element to post the error from
 * @path: (nullable): the `tls-ca-file` property: PEM certificates of the
 *     authorities that sign the `wss://` servers' certificates
 *
 * Returns: (transfer full) (nullable): the database to verify the servers
 *     with, or %NULL for the system's (when @path is %NULL or empty) or
 *     with an ERROR posted (when the file cannot be used)
 */
GTlsDatabase *
gst_p2p_load_tls_ca_file (GstElement * element, const gchar * path)
{
  g_autoptr (GError) err = NULL;
  g_autolist (GTlsCertificate) certs = NULL;
  GTlsDatabase *database;

  if (path == NULL || *path == '\0')
    return NULL;
  /* g_tls_file_database_new() takes an empty or foreign file silently and
   * then trusts nothing: say so here rather than at every handshake. */
  certs = g_tls_certificate_list_new_from_file (path, &err);
  if (certs == NULL) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("Cannot use tls-ca-file '%s': %s", path, err ? err->message :
            "no PEM certificate in it"), (NULL));
    return NULL;
  }
  database = g_tls_file_database_new (path, &err);
  if (database == NULL)
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("Cannot use tls-ca-file '%s': %s", path, err->message), (NULL));
  return database;
}

static gboolean
host_is_loopback (const gchar * host)
{
  GInetAddress *addr;
  gboolean loopback;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  if (!addr)
    return FALSE;
  loopback = g_inet_address_get_is_loopback (addr);
  g_object_unref (addr);
  return loopback;
}

/**
 * gst_p2p_parse_servers:
 * @element: element to post the error from
 * @list: (nullable): comma-separated server URIs
 * @allow_insecure: (out): whether a `ws://` URI (loopback only) is present
 *
 * Returns: (transfer full) (nullable): the URIs, %NULL when one is unusable
 */
gchar **
gst_p2p_parse_servers (GstElement * element, const gchar * list,
    gboolean * allow_insecure)
{
  g_auto (GStrv) parts = NULL;
  GPtrArray *servers;
  guint i;

  *allow_insecure = FALSE;
  if (list == NULL || *list == '\0') {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("No signalling server set: set the 'server' property (e.g. "
            "server=wss://p2p.example.com)"), (NULL));
    return NULL;
  }

  servers = g_ptr_array_new_with_free_func (g_free);
  parts = g_strsplit (list, ",", -1);
  for (i = 0; parts[i]; i++) {
    g_autoptr (GUri) uri = NULL;
    g_autoptr (GError) err = NULL;
    const gchar *s = g_strstrip (parts[i]);
    const gchar *scheme;

    if (*s == '\0')
      continue;
    uri = g_uri_parse (s, G_URI_FLAGS_NONE, &err);
    scheme = uri ? g_uri_get_scheme (uri) : NULL;
    if (!uri || !g_uri_get_host (uri) || !*g_uri_get_host (uri)
        || (g_ascii_strcasecmp (scheme, "wss") != 0
            && g_ascii_strcasecmp (scheme, "ws") != 0)) {
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
          ("Invalid server URI '%s': expected wss://host[:port][/path]", s),
          ("%s", err ? err->message : "wrong scheme or no host"));
      g_ptr_array_unref (servers);
      return NULL;
    }
    if (g_ascii_strcasecmp (scheme, "ws") == 0) {
      /* Unencrypted signalling would expose call set-up to anyone on the
       * path; tolerated only where there is no path. */
      if (!host_is_loopback (g_uri_get_host (uri))) {
        GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
            ("Server URI '%s' is not encrypted: use wss:// (ws:// is only "
                "accepted for localhost)", s), (NULL));
        g_ptr_array_unref (servers);
        return NULL;
      }
      *allow_insecure = TRUE;
    }
    g_ptr_array_add (servers, g_strdup (s));
  }
  if (servers->len == 0) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("No signalling server set: set the 'server' property (e.g. "
            "server=wss://p2p.example.com)"), (NULL));
    g_ptr_array_unref (servers);
    return NULL;
  }
  g_ptr_array_add (servers, NULL);
  return (gchar **) g_ptr_array_free (servers, FALSE);
}

/* "stun://host:port" (webrtcbin's form) or "stun:host:port" (RFC 7064);
 * "turn(s)://user:pass@host:port?transport=…" or "turn:host:port". Returns
 * the RFC 7064/7065 URI and the credentials. */
static gboolean
split_ice_uri (const gchar * text, const gchar * kind, gchar ** uri_out,
    gchar ** user, gchar ** pass)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree gchar *normal = NULL;
  const gchar *scheme;
  P2pIceUri parsed;
  gint port;

  *uri_out = *user = *pass = NULL;
  /* GUri needs an authority to find the host: add the slashes. */
  if (!strstr (text, "://")) {
    const gchar *colon = strchr (text, ':');

    if (!colon)
      return FALSE;
    normal = g_strdup_printf ("%.*s://%s", (int) (colon - text), text,
        colon + 1);
  } else {
    normal = g_strdup (text);
  }
  uri = g_uri_parse (normal, G_URI_FLAGS_HAS_PASSWORD, NULL);
  if (!uri || !g_uri_get_host (uri) || !*g_uri_get_host (uri))
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  if (!g_str_has_prefix (scheme, kind)
      || (strcmp (scheme, kind) != 0
          && !(strcmp (kind, "turn") == 0 && strcmp (scheme, "turns") == 0)))
    return FALSE;
  port = g_uri_get_port (uri);
  if (port > 0)
    *uri_out = g_strdup_printf ("%s:%s:%d%s%s", scheme, g_uri_get_host (uri),
        port, g_uri_get_query (uri) ? "?" : "",
        g_uri_get_query (uri) ? g_uri_get_query (uri) : "");
  else
    *uri_out = g_strdup_printf ("%s:%s%s%s", scheme, g_uri_get_host (uri),
        g_uri_get_query (uri) ? "?" : "",
        g_uri_get_query (uri) ? g_uri_get_query (uri) : "");
  /* What the transport will read, read the same way now. */
  if (!p2p_ice_uri_parse (*uri_out, &parsed, NULL)) {
    g_clear_pointer (uri_out, g_free);
    return FALSE;
  }
  p2p_ice_uri_clear (&parsed);
  *user = g_strdup (g_uri_get_user (uri));
  *pass = g_strdup (g_uri_get_password (uri));
  return TRUE;
}

/**
 * gst_p2p_port_mapping_allowed:
 * @property: the element's `port-mapping` property
 *
 * The test suites set `P2P_NO_PORT_MAPPING` in the environment: their
 * pipelines then send nothing to the machine's real gateway (the NAT lab,
 * which runs its own, leaves it unset).
 *
 * Returns: whether calls ask the gateway for a port mapping
 */
gboolean
gst_p2p_port_mapping_allowed (gboolean property)
{
  return property && g_getenv ("P2P_NO_PORT_MAPPING") == NULL;
}

/**
 * gst_p2p_check_ice_overrides:
 * @element: element to post the error from
 * @stun_server: (nullable): `stun-server` property
 * @turn_server: (nullable): `turn-server` property
 *
 * Returns: %TRUE if both are unset or well formed
 */
gboolean
gst_p2p_check_ice_overrides (GstElement * element, const gchar * stun_server,
    const gchar * turn_server)
{
  gchar *uri, *user, *pass;

  if (stun_server && *stun_server) {
    if (!split_ice_uri (stun_server, "stun", &uri, &user, &pass)) {
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
          ("Invalid STUN server '%s': expected stun://host[:port]",
              stun_server), (NULL));
      return FALSE;
    }
    g_free (uri);
    g_free (user);
    g_free (pass);
  }
  if (turn_server && *turn_server) {
    gboolean ok = split_ice_uri (turn_server, "turn", &uri, &user, &pass);

    ok = ok && user && pass;
    g_free (uri);
    g_free (user);
    g_free (pass);
    if (!ok) {
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
          ("Invalid TURN server '%s': expected "
              "turn(s)://user:password@host[:port]", turn_server), (NULL));
      return FALSE;
    }
  }
  return TRUE;
}

/**
 * gst_p2p_configure_transport:
 * @element: element to log for
 * @transport: the transport
 * @signaller: the signaller of @call, for what it knows of the paths
 * @call: the call @transport is for: TURN credentials are issued per call
 * @stun_server: (nullable): checked `stun-server` property
 * @turn_server: (nullable): checked `turn-server` property
 *
 * Gives @transport the servers the signaller handed out for @call (a
 * rendezvous server's; the local network has none) plus the user's own,
 * and the link of a peer reached over IPv6 link-local addresses
 * (p2p_signaller_get_call_scope_id()). A server that cannot be used (a
 * host that does not resolve) is logged and skipped: the others may still
 * get through.
 */
void
gst_p2p_configure_transport (GstElement * element, P2pTransport * transport,
    P2pSignaller * signaller, const gchar * call, const gchar * stun_server,
    const gchar * turn_server)
{
  const gchar *servers[] = { stun_server, turn_server };
  const gchar *kinds[] = { "stun", "turn" };
  g_autoptr (GPtrArray) ice = p2p_signaller_get_ice_servers (signaller, call);
  guint i, j, scope_id;

  scope_id = p2p_signaller_get_call_scope_id (signaller, call);
  if (scope_id) {
    GST_INFO_OBJECT (element, "call %s: the peer is a link-local neighbour "
        "on interface %u", call, scope_id);
    p2p_transport_set_link_local_scope (transport, scope_id);
  }

  for (i = 0; ice && i < ice->len; i++) {
    P2pIceServer *srv = g_ptr_array_index (ice, i);

    for (j = 0; srv->urls && srv->urls[j]; j++) {
      g_autoptr (GError) err = NULL;

      if (!p2p_transport_add_ice_server (transport, srv->urls[j],
              srv->username, srv->credential, &err))
        GST_WARNING_OBJECT (element, "%s: %s", srv->urls[j], err->message);
    }
  }
  for (i = 0; i < G_N_ELEMENTS (servers); i++) {
    g_autofree gchar *uri = NULL, *user = NULL, *pass = NULL;
    g_autoptr (GError) err = NULL;

    if (!servers[i] || !*servers[i]
        || !split_ice_uri (servers[i], kinds[i], &uri, &user, &pass))
      continue;
    if (!p2p_transport_add_ice_server (transport, uri, user, pass, &err))
      GST_WARNING_OBJECT (element, "%s: %s", uri, err->message);
  }
}

/**
 * gst_p2p_make_signaller:
 * @user: (nullable): the application's signaller (the `signaller`
 *     property): used alone when set
 * @server: (nullable): the rendezvous server's client
 * @lan: (nullable) (transfer full): the local network's signaller
 *
 * What an element's calls go through: @user, or @server and @lan at once
 * (the first to set a call up wins, see #P2pCombinedSignaller). At least
 * one must be given.
 *
 * Returns: (transfer full): the signaller
 */
P2pSignaller *
gst_p2p_make_signaller (P2pSignaller * user, P2pSignalling * server,
    P2pSignaller * lan)
{
  P2pSignaller *both[2];

  if (user) {
    g_clear_object (&lan);
    return g_object_ref (user);
  }
  if (!server)
    return lan;
  if (!lan)
    return g_object_ref (P2P_SIGNALLER (server));
  both[0] = P2P_SIGNALLER (server);
  both[1] = lan;
  user = P2P_SIGNALLER (p2p_combined_signaller_new (both, 2));
  g_object_unref (lan);
  return user;
}

/**
 * gst_p2p_set_path_fields:
 * @s: a `p2p-connection` message or a stats structure
 * @stats: (nullable): the transport's counters, %NULL before there is one
 *
 * Sets the fields that describe the path, the same way in every message
 * and statistics structure of both elements: `mode` (`none`, `lan`,
 * `direct`, `relay`), `technique` (`none`, `lan`, `direct`, `mapped`,
 * `punched`, `relay`), `local-candidate-type`, `remote-candidate-type`
 * (`host`, `srflx`, `prflx`, `relay` or %NULL), `rtt-ms` (-1 when
 * unknown), `receive-buffer` / `send-buffer` (int, bytes the kernel
 * granted the selected pair's socket as it reports them, -1 unknown),
 * `path-mtu` (int, the kernel's path MTU of a direct UDP pair, -1 unknown)
 * and `payload-mtu` (int, the RTP packet size the path carries, 1200
 * through a NAT, on TURN, TCP and unknown paths; lower when the path MTU
 * of a direct pair shrinks mid-call).
 */
void
gst_p2p_set_path_fields (GstStructure * s, const P2pTransportStats * stats)
{
  gst_structure_set (s,
      "mode", G_TYPE_STRING, p2p_connection_mode_to_string (stats ?
          stats->mode : P2P_CONNECTION_MODE_NONE),
      "technique", G_TYPE_STRING, p2p_connection_technique_to_string (stats ?
          stats->technique : P2P_CONNECTION_TECHNIQUE_NONE),
      "local-candidate-type", G_TYPE_STRING,
      stats ? stats->local_candidate_type : NULL,
      "remote-candidate-type", G_TYPE_STRING,
      stats ? stats->remote_candidate_type : NULL,
      "rtt-ms", G_TYPE_INT64, stats ? stats->rtt_ms : (gint64) - 1,
      "receive-buffer", G_TYPE_INT, stats ? stats->receive_buffer : -1,
      "send-buffer", G_TYPE_INT, stats ? stats->send_buffer : -1,
      "path-mtu", G_TYPE_INT, stats ? stats->path_mtu : -1,
      "payload-mtu", G_TYPE_INT, stats ? stats->payload_mtu :
      P2P_TRANSPORT_SAFE_PAYLOAD_MTU, NULL);
}

/**
 * gst_p2p_ghost_sink_query:
 * @pad: a sink ghost pad whose target (a payloader) comes with the caps
 * @parent: its element
 * @query: a query
 *
 * Answers caps queries from the pad template while the pad has no target,
 * so that upstream negotiates one of the formats the element can send
 * (H.264 in the profiles every viewer decodes first).
 *
 * Returns: whether the query was answered
 */
gboolean
gst_p2p_ghost_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));

  /* Before the payloader exists, answer for the formats we can send. */
  if (!target) {
    GstCaps *templ = gst_pad_get_pad_template_caps (pad);
    GstCaps *filter, *result;
    gboolean ret = TRUE;

    switch (GST_QUERY_TYPE (query)) {
      case GST_QUERY_CAPS:
        gst_query_parse_caps (query, &filter);
        templ = gst_p2p_prefer_decodable_h264 (templ);
        result = filter ? gst_caps_intersect_full (filter, templ,
            GST_CAPS_INTERSECT_FIRST) : gst_caps_ref (templ);
        gst_query_set_caps_result (query, result);
        gst_caps_unref (result);
        break;
      case GST_QUERY_ACCEPT_CAPS:
        gst_query_parse_accept_caps (query, &filter);
        gst_query_set_accept_caps_result (query,
            gst_caps_can_intersect (filter, templ));
        break;
      default:
        ret = gst_pad_query_default (pad, parent, query);
        break;
    }
    gst_caps_unref (templ);
    return ret;
  }
  gst_object_unref (target);
  return gst_pad_query_default (pad, parent, query);
}

/**
 * gst_p2p_remove_element_async:
 * @element: a bin, from gst_element_call_async()
 * @data: (transfer none): a child to stop and remove, replaced by another
 *     on a streaming thread that may not change states itself
 */
void
gst_p2p_remove_element_async (GstElement * element, gpointer data)
{
  GstElement *old = data;

  gst_element_set_state (old, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (element), old);
}

/**
 * gst_p2p_rtx_bin_new:
 * @factory: `rtprtxsend` or `rtprtxreceive`
 * @session: the rtpbin session it serves
 * @pt_map: (nullable): its `payload-type-map`
 * @rtx: (out) (optional) (transfer none): the element inside
 *
 * What rtpbin's `request-aux-sender` / `request-aux-receiver` return: the
 * element in a bin with pads `sink_N` and `src_N`.
 *
 * Returns: (transfer floating) (nullable): the bin, %NULL when @factory is
 *     not installed
 */
GstElement *
gst_p2p_rtx_bin_new (const gchar * factory, guint session,
    const GstStructure * pt_map, GstElement ** rtx)
{
  GstElement *bin, *e = gst_element_factory_make (factory, NULL);
  const gchar *dirs[] = { "src", "sink" };
  guint i;

  if (!e)
    return NULL;
  if (pt_map)
    g_object_set (e, "payload-type-map", pt_map, NULL);
  if (g_str_equal (factory, "rtprtxreceive"))
    gst_p2p_rtx_assoc_attach (e);
  bin = gst_bin_new (NULL);
  gst_bin_add (GST_BIN (bin), e);
  for (i = 0; i < G_N_ELEMENTS (dirs); i++) {
    g_autofree gchar *name = g_strdup_printf ("%s_%u", dirs[i], session);
    GstPad *pad = gst_element_get_static_pad (e, dirs[i]);

    gst_element_add_pad (bin, gst_ghost_pad_new (name, pad));
    gst_object_unref (pad);
  }
  if (rtx)
    *rtx = e;
  return bin;
}
