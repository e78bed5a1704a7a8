/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-gateway-config.h"

#include <string.h>

#define DEFAULT_RTSP_PORT 8554
#define DEFAULT_ADMIN_PORT 8555
#define DEFAULT_LINGER_MS 10000
#define DEFAULT_TIMEOUT_MS 20000
#define CAMERA_GROUP "camera "
#define MAX_NAME 64
#define MAX_PASSWORD_FILE 4096

/**
 * p2p_gateway_config_new:
 *
 * Returns: (transfer full): the defaults: RTSP on all addresses, port
 *     8554; admin HTTP on 127.0.0.1:8555; no browser (WHEP) port; 10 s
 *     linger; no camera, no user
 *
 * Since: 0.2
 */
P2pGatewayConfig *
p2p_gateway_config_new (void)
{
  P2pGatewayConfig *config = g_new0 (P2pGatewayConfig, 1);

  config->rtsp_address = g_strdup ("0.0.0.0");
  config->rtsp_port = DEFAULT_RTSP_PORT;
  config->admin_address = g_strdup ("127.0.0.1");
  config->admin_port = DEFAULT_ADMIN_PORT;
  config->http_address = g_strdup ("0.0.0.0");
  config->http_port = -1;
  config->whep_sessions = 16;
  config->whep_camera_sessions = 4;
  config->linger_ms = DEFAULT_LINGER_MS;
  config->timeout_ms = DEFAULT_TIMEOUT_MS;
  config->lan = TRUE;
  config->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  config->cameras = g_ptr_array_new_with_free_func (g_object_unref);
  return config;
}

/* Path names go into URLs and metric labels unquoted. */
static gboolean
name_is_valid (const gchar * name)
{
  gsize len = strlen (name);

  return len > 0 && len <= MAX_NAME
      && strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
      "0123456789._-") == len;
}

static gboolean
add_camera (P2pGatewayConfig * config, const gchar * name, const gchar * uid,
    const gchar * server, const gchar * password, const gchar * fingerprint,
    const gchar * known, gboolean lan, guint latency, const gchar * where,
    GError ** error)
{
  P2pGatewayCamera *camera;

  if (!name_is_valid (name)) {
    g_set_error (error, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_INVALID_VALUE, "%s: path name '%s' must be 1 to %d "
        "letters, digits, '.', '_' or '-'", where, name, MAX_NAME);
    return FALSE;
  }
  if (!uid || !*uid) {
    g_set_error (error, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_KEY_NOT_FOUND, "%s: no uid", where);
    return FALSE;
  }
  if (p2p_gateway_config_find_camera (config, name)) {
    g_set_error (error, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_INVALID_VALUE, "%s: path name '%s' used twice",
        where, name);
    return FALSE;
  }
  if (!server && !lan) {
    g_set_error (error, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_KEY_NOT_FOUND,
        "%s: no server, and the local network is off", where);
    return FALSE;
  }
  camera = g_object_new (P2P_GATEWAY_TYPE_CAMERA, "name", name, "uid", uid,
      "server", server, "password", password, "device-fingerprint",
      fingerprint, "known-cameras-file", known, "lan", lan, "latency",
      latency, "linger", config->linger_ms, NULL);
  g_ptr_array_add (config->cameras, camera);
  return TRUE;
}

/* The first line of @path: a password kept out of the config file (which
 * may be world-readable) and out of command lines. */
static gchar *
read_password_file (const gchar * path, const gchar * where, GError ** error)
{
  gchar *contents = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, error)) {
    g_prefix_error (error, "%s: password-file: ", where);
    return NULL;
  }
  if (len > MAX_PASSWORD_FILE || !g_utf8_validate (contents, len, NULL)) {
    g_free (contents);
    g_set_error (error, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_INVALID_VALUE,
        "%s: password-file %s is not a short UTF-8 text", where, path);
    return NULL;
  }
  contents[strcspn (contents, "\r\n")] = '\0';
  return contents;
}

static gboolean
get_optional_boolean (GKeyFile * file, const gchar * group,
    const gchar * key, gboolean * value, GError ** error)
{
  GError *err = NULL;
  gboolean v;

  if (!g_key_file_has_key (file, group, key, NULL))
    return TRUE;
  v = g_key_file_get_boolean (file, group, key, &err);
  if (err) {
    g_propagate_prefixed_error (error, err, "[%s] %s: ", group, key);
    return FALSE;
  }
  *value = v;
  return TRUE;
}

static gboolean
get_optional_int (GKeyFile * file, const gchar * group, const gchar * key,
    gint min, gint max, gint * value, GError ** error)
{
  GError *err = NULL;
  gint v;

  if (!g_key_file_has_key (file, group, key, NULL))
    return TRUE;
  v = g_key_file_get_integer (file, group, key, &err);
  if (!err && (v < min || v > max))
    g_set_error (&err, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_INVALID_VALUE, "%d is not in %d..%d", v, min, max);
  if (err) {
    g_propagate_prefixed_error (error, err, "[%s] %s: ", group, key);
    return FALSE;
  }
  *value = v;
  return TRUE;
}

static void
replace_string (gchar ** field, GKeyFile * file, const gchar * group,
    const gchar * key)
{
  gchar *v = g_key_file_get_string (file, group, key, NULL);

  if (v) {
    g_free (*field);
    *field = v;
  }
}

static gboolean
load_gateway (P2pGatewayConfig * config, GKeyFile * file, GError ** error)
{
  const gchar *g = "gateway";
  gint rtsp_port = config->rtsp_port, admin_port = config->admin_port;
  gint linger = config->linger_ms / 1000, timeout = config->timeout_ms / 1000;

  replace_string (&config->rtsp_address, file, g, "rtsp-address");
  replace_string (&config->admin_address, file, g, "admin-address");
  replace_string (&config->http_address, file, g, "http-address");
  replace_string (&config->ice_address, file, g, "ice-address");
  replace_string (&config->server, file, g, "server");
  replace_string (&config->known_cameras_file, file, g, "known-cameras-file");
  if (!get_optional_int (file, g, "rtsp-port", 0, 65535, &rtsp_port, error)
      || !get_optional_int (file, g, "admin-port", -1, 65535, &admin_port,
          error)
      || !get_optional_int (file, g, "http-port", -1, 65535,
          &config->http_port, error)
      || !get_optional_int (file, g, "whep-sessions", 1, 1024,
          &config->whep_sessions, error)
      || !get_optional_int (file, g, "whep-camera-sessions", 1, 1024,
          &config->whep_camera_sessions, error)
      || !get_optional_int (file, g, "linger", 0, 86400, &linger, error)
      || !get_optional_int (file, g, "timeout", 1, 600, &timeout, error)
      || !get_optional_boolean (file, g, "lan", &config->lan, error))
    return FALSE;
  config->rtsp_port = rtsp_port;
  config->admin_port = admin_port;
  config->linger_ms = linger * 1000;
  config->timeout_ms = timeout * 1000;
  return TRUE;
}

static gboolean
load_camera (P2pGatewayConfig * config, GKeyFile * file, const gchar * group,
    GError ** error)
{
  gchar *uid = g_key_file_get_string (file, group, "uid", NULL);
  gchar *server = g_key_file_get_string (file, group, "server", NULL);
  gchar *password = g_key_file_get_string (file, group, "password", NULL);
  gchar *password_file = g_key_file_get_string (file, group,
      "password-file", NULL);
  gchar *fingerprint = g_key_file_get_string (file, group,
      "device-fingerprint", NULL);
  gchar *known = g_key_file_get_string (file, group, "known-cameras-file",
      NULL);
  gchar *path = g_key_file_get_string (file, group, "path", NULL);
  gchar *where = g_strdup_printf ("[%s]", group);
  gboolean lan = config->lan;
  gint latency = 50;
  gboolean ok = FALSE;

  if (!get_optional_boolean (file, group, "lan", &lan, error)
      || !get_optional_int (file, group, "latency", 0, 10000, &latency, error))
    goto out;
  if (password && password_file) {
    g_set_error (error, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_INVALID_VALUE,
        "%s: password and password-file both given", where);
    goto out;
  }
  if (password_file
      && !(password = read_password_file (password_file, where, error)))
    goto out;
  ok = add_camera (config, path ? path : group + strlen (CAMERA_GROUP), uid,
      server ? server : config->server, password, fingerprint,
      known ? known : config->known_cameras_file, lan, latency, where, error);
out:
  g_free (uid);
  g_free (server);
  g_free (password);
  g_free (password_file);
  g_free (fingerprint);
  g_free (known);
  g_free (path);
  g_free (where);
  return ok;
}

/**
 * p2p_gateway_config_load:
 * @config: the configuration
 * @file: a loaded key file
 * @error: return location for a #P2P_GATEWAY_CONFIG_ERROR
 *
 * Reads the `[gateway]` group (`rtsp-address`, `rtsp-port`,
 * `admin-address`, `admin-port`, `http-address`, `http-port`,
 * `ice-address`, `whep-sessions`, `whep-camera-sessions`, `linger` and
 * `timeout` in seconds,
 * `server`, `known-cameras-file`, `lan`), the `[users]` group (`NAME =
 * PASSWORD`, RTSP digest users), then one `[camera NAME]` group per camera
 * (`uid`, `server`, `password` or `password-file`, `device-fingerprint`,
 * `path`, `lan`, `latency`, `known-cameras-file`).
 *
 * Returns: %FALSE with @error naming the group and key on a bad value
 *
 * Since: 0.2
 */
gboolean
p2p_gateway_config_load (P2pGatewayConfig * config, GKeyFile * file,
    GError ** error)
{
  gchar **groups, **users;
  gboolean ok = TRUE;
  guint i;

  g_return_val_if_fail (config != NULL && file != NULL, FALSE);

  if (!load_gateway (config, file, error))
    return FALSE;
  users = g_key_file_get_keys (file, "users", NULL, NULL);
  for (i = 0; users && users[i]; i++)
    g_hash_table_replace (config->users, g_strdup (users[i]),
        g_key_file_get_string (file, "users", users[i], NULL));
  g_strfreev (users);
  groups = g_key_file_get_groups (file, NULL);
  for (i = 0; ok && groups[i]; i++) {
    if (g_str_has_prefix (groups[i], CAMERA_GROUP))
      ok = load_camera (config, file, groups[i], error);
    else if (strcmp (groups[i], "gateway") != 0
        && strcmp (groups[i], "users") != 0)
      g_warning ("config: unknown group [%s] ignored", groups[i]);
  }
  g_strfreev (groups);
  return ok;
}

/**
 * p2p_gateway_config_add_camera_uri:
 * @config: the configuration
 * @spec: `NAME=p2p://UID?server=URI&password=P&fingerprint=F&lan=false`
 *     (all query parameters optional)
 * @error: return location for a #P2P_GATEWAY_CONFIG_ERROR
 *
 * Adds a camera given on the command line, with @config's defaults.
 *
 * Returns: %FALSE with @error set when @spec is malformed
 *
 * Since: 0.2
 */
gboolean
p2p_gateway_config_add_camera_uri (P2pGatewayConfig * config,
    const gchar * spec, GError ** error)
{
  const gchar *eq = strchr (spec, '=');
  GHashTable *params = NULL;
  gchar *name = NULL, *where;
  const gchar *lan_text;
  gboolean lan = config->lan, ok = FALSE;
  GUri *uri = NULL;

  where = g_strdup_printf ("--camera %s", spec);
  if (eq) {
    name = g_strndup (spec, eq - spec);
    uri = g_uri_parse (eq + 1, G_URI_FLAGS_ENCODED_QUERY, NULL);
  }
  if (!uri || g_strcmp0 (g_uri_get_scheme (uri), "p2p") != 0
      || !g_uri_get_host (uri)) {
    g_set_error (error, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_INVALID_VALUE, "%s: not NAME=p2p://UID?...", where);
    goto out;
  }
  params = g_uri_parse_params (g_uri_get_query (uri) ? g_uri_get_query (uri)
      : "", -1, "&", G_URI_PARAMS_NONE, error);
  if (!params)
    goto out;
  lan_text = g_hash_table_lookup (params, "lan");
  if (lan_text)
    lan = g_ascii_strcasecmp (lan_text, "false") != 0
        && strcmp (lan_text, "0") != 0;
  ok = add_camera (config, name, g_uri_get_host (uri),
      g_hash_table_contains (params, "server") ?
      g_hash_table_lookup (params, "server") : config->server,
      g_hash_table_lookup (params, "password"),
      g_hash_table_lookup (params, "fingerprint"),
      config->known_cameras_file, lan, 50, where, error);
out:
  if (params)
    g_hash_table_unref (params);
  if (uri)
    g_uri_unref (uri);
  g_free (name);
  g_free (where);
  return ok;
}

/**
 * p2p_gateway_config_add_user:
 * @config: the configuration
 * @spec: `USER:PASSWORD`
 * @error: return location for a #P2P_GATEWAY_CONFIG_ERROR
 *
 * Returns: %FALSE with @error set when @spec has no `:`
 *
 * Since: 0.2
 */
gboolean
p2p_gateway_config_add_user (P2pGatewayConfig * config, const gchar * spec,
    GError ** error)
{
  const gchar *colon = strchr (spec, ':');

  if (!colon || colon == spec) {
    g_set_error (error, P2P_GATEWAY_CONFIG_ERROR,
        G_KEY_FILE_ERROR_INVALID_VALUE, "--user: USER:PASSWORD expected");
    return FALSE;
  }
  g_hash_table_replace (config->users, g_strndup (spec, colon - spec),
      g_strdup (colon + 1));
  return TRUE;
}

/**
 * p2p_gateway_config_find_camera:
 * @config: the configuration
 * @name: a path name
 *
 * Returns: (transfer none) (nullable): the camera served as @name
 *
 * Since: 0.2
 */
P2pGatewayCamera *
p2p_gateway_config_find_camera (P2pGatewayConfig * config, const gchar * name)
{
  guint i;

  for (i = 0; i < config->cameras->len; i++) {
    P2pGatewayCamera *camera = g_ptr_array_index (config->cameras, i);

    if (g_strcmp0 (p2p_gateway_camera_get_name (camera), name) == 0)
      return camera;
  }
  return NULL;
}

/**
 * p2p_gateway_config_free:
 * @config: (transfer full): the configuration
 *
 * Since: 0.2
 */
void
p2p_gateway_config_free (P2pGatewayConfig * config)
{
  g_free (config->rtsp_address);
  g_free (config->admin_address);
  g_free (config->http_address);
  g_free (config->ice_address);
  g_free (config->server);
  g_free (config->known_cameras_file);
  g_hash_table_unref (config->users);
  g_ptr_array_unref (config->cameras);
  g_free (config);
}
