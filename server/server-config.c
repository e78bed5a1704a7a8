/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One table describes every setting once: its key-file name (group
 * [server]), which is also its long command-line flag, its type and its
 * help text. That keeps the key file, the flags and --help from drifting
 * apart. */

#include "server-config.h"
#include "p2p-protocol-ice-uri.h"

#include <stdlib.h>
#include <string.h>

typedef enum
{
  OPT_STRING,
  OPT_INT,
  OPT_DOUBLE,
  OPT_BOOL,
  OPT_LIST,
  OPT_ROLE,
  OPT_SECRET_FILE,
} OptType;

typedef struct
{
  const gchar *name;
  OptType type;
  gsize offset;
  gint min;
  gint max;
  const gchar *arg;
  const gchar *help;
} OptDesc;

#define OFF(f) G_STRUCT_OFFSET (P2pServerConfig, f)

static const OptDesc options[] = {
  {"role", OPT_ROLE, 0, 0, 0, "ROLE",
      "master, rendezvous or both (default both)"},
  {"listen", OPT_STRING, OFF (listen), 0, 0, "ADDRESS",
      "Address to listen on (default 0.0.0.0)"},
  {"port", OPT_INT, OFF (port), 0, 65535, "PORT",
      "TCP port; 0 lets the system choose (default 8443)"},
  {"port-file", OPT_STRING, OFF (port_file), 0, 0, "FILE",
      "Write the bound port number to FILE once listening"},
  {"server-id", OPT_STRING, OFF (server_id), 0, 0, "ID",
      "Id devices sign at login (default: the host name)"},
  {"admin-address", OPT_STRING, OFF (admin_address), 0, 0, "ADDRESS",
      "Address of the admin HTTP port (/metrics, /health; default "
        "127.0.0.1)"},
  {"admin-port", OPT_INT, OFF (admin_port), -1, 65535, "PORT",
      "Admin HTTP port; 0 lets the system choose, -1 turns it off "
        "(default -1)"},
  {"tls-cert", OPT_STRING, OFF (tls_cert), 0, 0, "FILE",
      "PEM certificate chain for wss://"},
  {"tls-key", OPT_STRING, OFF (tls_key), 0, 0, "FILE",
      "PEM private key for wss://"},
  {"allow-insecure", OPT_BOOL, OFF (allow_insecure), 0, 0, NULL,
      "Serve plain ws:// when no certificate is set (loopback demos, tests)"},
  {"registry", OPT_STRING, OFF (registry), 0, 0, "LOCATION",
      "Device registry: a SQLite file or a postgresql:// URI (default "
        "/var/lib/p2p/registry.db)"},
  {"registry-read", OPT_STRING, OFF (registry_read), 0, 0, "LOCATION",
      "Where device lookups go, e.g. a PostgreSQL read replica (default: "
        "registry)"},
  {"registry-connections", OPT_INT, OFF (registry_connections), 1, 64, "N",
      "Registry connections (threads) for device lookups (default 4)"},
  {"servers", OPT_LIST, OFF (servers), 0, 0, "URL",
      "Rendezvous server URL; repeat for each (key file: ;-separated list)"},
  {"turn-secret", OPT_STRING, OFF (turn_secret), 0, 0, "SECRET",
      "coturn static-auth-secret (prefer turn-secret-file)"},
  {"turn-secret-file", OPT_SECRET_FILE, OFF (turn_secret), 0, 0, "FILE",
      "File holding the coturn static-auth-secret"},
  {"turn-urls", OPT_LIST, OFF (turn_urls), 0, 0, "URL",
      "turn:/turns: URL handed to clients; repeat for each"},
  {"stun-urls", OPT_LIST, OFF (stun_urls), 0, 0, "URL",
      "stun: URL handed to clients; repeat for each"},
  {"turn-ttl", OPT_INT, OFF (turn_ttl), 60, 7 * 86400, "SECONDS",
      "Lifetime of a call's TURN credentials, and so of its relay "
        "(default 21600)"},
  {"max-message", OPT_INT, OFF (max_message), 1024, 1 << 24, "BYTES",
      "Largest accepted message (default 65536)"},
  {"max-calls", OPT_INT, OFF (max_calls), 1, 10000, "N",
      "Concurrent calls per device (default 64, p2psink's largest "
        "max-viewers)"},
  {"handshake-timeout", OPT_INT, OFF (handshake_timeout), 1, 3600, "SECONDS",
      "Time from connection to welcome (default 10)"},
  {"ping-interval", OPT_INT, OFF (ping_interval), 1, 3600, "SECONDS",
      "Silence before the server pings a client (default 30)"},
  {"idle-timeout", OPT_INT, OFF (idle_timeout), 2, 7200, "SECONDS",
      "Silence before the server closes a connection (default 90)"},
  {"call-timeout", OPT_INT, OFF (call_timeout), 1, 3600, "SECONDS",
      "Time from incoming to answer before a call is ended (default 30)"},
  {"max-pending-calls", OPT_INT, OFF (max_pending_calls), 1, 64, "N",
      "Unanswered calls per viewer connection (default 4)"},
  {"max-connections-per-address", OPT_INT, OFF (max_connections_per_address),
        1, G_MAXINT, "N",
      "Open connections per source address, IPv6 per /64 (default 100)"},
  {"max-buffered-per-address", OPT_INT, OFF (max_buffered_per_address),
        1024, G_MAXINT, "BYTES",
      "Bytes of partly received messages per source address (default "
        "1048576)"},
  {"drain-timeout", OPT_INT, OFF (drain_timeout), 0, 3600, "SECONDS",
      "On SIGTERM, time given to clients to go (default 5)"},
  {"address-rate", OPT_DOUBLE, OFF (address_rate), 0, 0, "PER_SECOND",
      "hello/connect/lookup per second per source address (default 20)"},
  {"address-burst", OPT_DOUBLE, OFF (address_burst), 0, 0, "N",
      "Burst of address-rate (default 40)"},
  {"login-failure-rate", OPT_DOUBLE, OFF (login_failure_rate), 0, 0,
        "PER_SECOND",
      "Failed device logins per second per source address (default 0.1)"},
  {"login-failure-burst", OPT_DOUBLE, OFF (login_failure_burst), 0, 0, "N",
      "Burst of login-failure-rate (default 5)"},
  {"device-login-rate", OPT_DOUBLE, OFF (device_login_rate), -1, 0,
        "PER_SECOND",
      "Device logins admitted per second by the whole server; 0: no limit "
        "(default 0)"},
  {"device-login-burst", OPT_DOUBLE, OFF (device_login_burst), 0, 0, "N",
      "Burst of device-login-rate (default 1000)"},
  {"uid-connect-rate", OPT_DOUBLE, OFF (uid_connect_rate), 0, 0, "PER_SECOND",
      "Connects per second to one UID from one source address (default 5)"},
  {"uid-connect-burst", OPT_DOUBLE, OFF (uid_connect_burst), 0, 0, "N",
      "Burst of uid-connect-rate (default 10)"},
};

typedef struct
{
  P2pServerConfig *config;
  gboolean set[G_N_ELEMENTS (options)];
  gchar *config_file;
} ParseState;

static void
set_defaults (P2pServerConfig * c)
{
  c->master = TRUE;
  c->rendezvous = TRUE;
  c->listen = g_strdup ("0.0.0.0");
  c->port = 8443;
  c->admin_address = g_strdup ("127.0.0.1");
  c->admin_port = -1;
  c->server_id = g_strdup (g_get_host_name ());
  c->registry = g_strdup ("/var/lib/p2p/registry.db");
  c->registry_connections = 4;
  c->servers = g_new0 (gchar *, 1);
  c->turn_urls = g_new0 (gchar *, 1);
  c->stun_urls = g_new0 (gchar *, 1);
  c->turn_ttl = 21600;
  c->max_message = 65536;
  /* The camera refuses viewers over its own max-viewers with "busy"; the
   * server's cap only bounds what one device may hold, and must not cut
   * below any max-viewers p2psink accepts (1 … 128). */
  c->max_calls = 128;
  c->handshake_timeout = 10;
  c->ping_interval = 30;
  c->idle_timeout = 90;
  c->call_timeout = 30;
  c->max_pending_calls = 4;
  c->max_connections_per_address = 100;
  c->max_buffered_per_address = 1 << 20;
  c->drain_timeout = 5;
  c->address_rate = 20;
  c->address_burst = 40;
  c->login_failure_rate = 0.1;
  c->login_failure_burst = 5;
  c->device_login_rate = 0;
  c->device_login_burst = 1000;
  c->uid_connect_rate = 5;
  c->uid_connect_burst = 10;
}

/* Stores one value; @append adds to a list instead of replacing it, which is
 * how a repeated command-line flag builds a list. */
static gboolean
apply (P2pServerConfig * c, const OptDesc * o, const gchar * value,
    gboolean append, GError ** error)
{
  gpointer field = G_STRUCT_MEMBER_P (c, o->offset);
  gchar *end = NULL;

  switch (o->type) {
    case OPT_STRING:
      g_free (*(gchar **) field);
      *(gchar **) field = g_strdup (value);
      return TRUE;
    case OPT_SECRET_FILE:{
      gchar *text = NULL;

      if (!g_file_get_contents (value, &text, NULL, error))
        return FALSE;
      g_free (*(gchar **) field);
      *(gchar **) field = g_strstrip (text);
      return TRUE;
    }
    case OPT_INT:{
      gint64 v = g_ascii_strtoll (value, &end, 10);

      if (!*value || *end || v < o->min || v > o->max) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
            "%s: '%s' is not an integer in %d..%d", o->name, value, o->min,
            o->max);
        return FALSE;
      }
      *(gint *) field = v;
      return TRUE;
    }
    case OPT_DOUBLE:{
      gdouble v = g_ascii_strtod (value, &end);

      /* A negative min marks the rates where 0 means "no limit". */
      if (!*value || *end || !(v > 0 || (v == 0 && o->min < 0))) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
            "%s: '%s' is not a positive number", o->name, value);
        return FALSE;
      }
      *(gdouble *) field = v;
      return TRUE;
    }
    case OPT_BOOL:
      if (!value || g_ascii_strcasecmp (value, "true") == 0 ||
          g_str_equal (value, "1"))
        *(gboolean *) field = TRUE;
      else if (g_ascii_strcasecmp (value, "false") == 0 ||
          g_str_equal (value, "0"))
        *(gboolean *) field = FALSE;
      else {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
            "%s: '%s' is not true or false", o->name, value);
        return FALSE;
      }
      return TRUE;
    case OPT_LIST:{
      gchar ***list = field;
      GStrvBuilder *b = g_strv_builder_new ();

      if (append)
        g_strv_builder_addv (b, (const gchar **) *list);
      g_strv_builder_add (b, value);
      g_strfreev (*list);
      *list = g_strv_builder_end (b);
      g_strv_builder_unref (b);
      return TRUE;
    }
    case OPT_ROLE:
      if (g_str_equal (value, "both"))
        c->master = c->rendezvous = TRUE;
      else if (g_str_equal (value, "master")) {
        c->master = TRUE;
        c->rendezvous = FALSE;
      } else if (g_str_equal (value, "rendezvous")) {
        c->master = FALSE;
        c->rendezvous = TRUE;
      } else {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
            "role: '%s' is not master, rendezvous or both", value);
        return FALSE;
      }
      return TRUE;
  }
  g_assert_not_reached ();
}

static gboolean
on_flag (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  ParseState *state = data;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (options); i++) {
    if (g_str_equal (name + 2, options[i].name)) {
      gboolean append = state->set[i];

      state->set[i] = TRUE;
      return apply (state->config, &options[i], value, append, error);
    }
  }
  g_assert_not_reached ();
}

static gboolean
load_key_file (ParseState * state, GError ** error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_auto (GStrv) keys = NULL;
  guint i, k;

  if (!g_key_file_load_from_file (kf, state->config_file, G_KEY_FILE_NONE,
          error))
    return FALSE;
  keys = g_key_file_get_keys (kf, "server", NULL, NULL);
  for (k = 0; keys && keys[k]; k++) {
    for (i = 0; i < G_N_ELEMENTS (options); i++)
      if (g_str_equal (keys[k], options[i].name))
        break;
    if (i == G_N_ELEMENTS (options)) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
          "%s: unknown key '%s' in [server]", state->config_file, keys[k]);
      return FALSE;
    }
    /* The command line wins over the file. */
    if (state->set[i])
      continue;
    if (options[i].type == OPT_LIST) {
      g_auto (GStrv) items =
          g_key_file_get_string_list (kf, "server", keys[k], NULL, error);
      guint j;

      if (!items)
        return FALSE;
      for (j = 0; items[j]; j++)
        if (!apply (state->config, &options[i], g_strstrip (items[j]), j > 0,
                error))
          return FALSE;
    } else {
      g_autofree gchar *value =
          g_key_file_get_string (kf, "server", keys[k], error);

      if (!value || !apply (state->config, &options[i], value, FALSE, error))
        return FALSE;
    }
  }
  return TRUE;
}


/* Clients hand these to their ICE agent as they are: refused here, with
 * the parser clients use, rather than by every client (protocol/). */
static gboolean
check_ice_urls (gchar ** urls, gboolean stun, const gchar * option,
    GError ** error)
{
  for (; *urls; urls++) {
    g_autoptr (GError) err = NULL;
    P2pIceUri uri;

    if (!p2p_ice_uri_parse (*urls, &uri, &err)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "%s: %s",
          option, err->message);
      return FALSE;
    }
    p2p_ice_uri_clear (&uri);
    if ((uri.transport == P2P_ICE_URI_STUN) != stun) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
          "%s: \"%s\" is not a %s URI", option, *urls,
          stun ? "stun:" : "turn: or turns:");
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
validate (P2pServerConfig * c, GError ** error)
{
  if (!c->tls_cert != !c->tls_key) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "tls-cert and tls-key go together");
    return FALSE;
  }
  if (!c->tls_cert && !c->allow_insecure) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "No tls-cert/tls-key: refusing to serve plain ws:// without "
        "allow-insecure");
    return FALSE;
  }
  if (c->idle_timeout <= c->ping_interval) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "idle-timeout must be longer than ping-interval");
    return FALSE;
  }
  if (strlen (c->server_id) == 0 || strlen (c->server_id) > 255 ||
      strchr (c->server_id, '\n')) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "server-id must be 1-255 characters without line breaks");
    return FALSE;
  }
  if (!check_ice_urls (c->turn_urls, FALSE, "turn-urls", error)
      || !check_ice_urls (c->stun_urls, TRUE, "stun-urls", error))
    return FALSE;
  if (c->turn_urls[0] && !c->turn_secret) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "turn-urls need turn-secret or turn-secret-file");
    return FALSE;
  }
  return TRUE;
}

/**
 * p2p_server_config_load:
 * @argc: (inout): argument count
 * @argv: (inout): arguments
 * @error: return location for an error
 *
 * Builds the configuration from defaults, the key file named by `--config`
 * and the command line, in rising priority, then checks it.
 *
 * Returns: (transfer full) (nullable): the configuration
 */
P2pServerConfig *
p2p_server_config_load (gint * argc, gchar *** argv, GError ** error)
{
  ParseState state = { 0 };
  g_autoptr (GOptionContext) context = NULL;
  GOptionGroup *group;
  GOptionEntry entries[G_N_ELEMENTS (options) + 2];
  guint i;

  state.config = g_new0 (P2pServerConfig, 1);
  set_defaults (state.config);

  memset (entries, 0, sizeof (entries));
  entries[0].long_name = "config";
  entries[0].arg = G_OPTION_ARG_FILENAME;
  entries[0].arg_data = &state.config_file;
  entries[0].description = "Key file with a [server] group (keys named as "
      "the long options below; the command line wins)";
  entries[0].arg_description = "FILE";
  for (i = 0; i < G_N_ELEMENTS (options); i++) {
    GOptionEntry *e = &entries[i + 1];

    e->long_name = options[i].name;
    e->arg = G_OPTION_ARG_CALLBACK;
    e->arg_data = on_flag;
    e->flags = options[i].type == OPT_BOOL ? G_OPTION_FLAG_NO_ARG : 0;
    e->description = options[i].help;
    e->arg_description = options[i].arg;
  }

  context = g_option_context_new ("- P2P signalling server "
      "(master and rendezvous roles)");
  group = g_option_group_new ("server", "Server options", "Server options",
      &state, NULL);
  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (context, group);
  g_option_context_set_description (context,
      "SIGTERM or SIGINT: stop accepting, tell clients, wait up to "
      "drain-timeout, exit 0.\nProtocol: docs/protocol.md; operations: "
      "docs/deployment.md.");

  if (!g_option_context_parse (context, argc, argv, error) ||
      (state.config_file && !load_key_file (&state, error)) ||
      !validate (state.config, error)) {
    g_free (state.config_file);
    p2p_server_config_free (state.config);
    return NULL;
  }
  g_free (state.config_file);
  return state.config;
}

/**
 * p2p_server_config_free:
 * @config: (transfer full) (nullable): a configuration
 *
 * Frees @config.
 */
void
p2p_server_config_free (P2pServerConfig * config)
{
  if (!config)
    return;
  g_free (config->listen);
  g_free (config->port_file);
  g_free (config->server_id);
  g_free (config->admin_address);
  g_free (config->tls_cert);
  g_free (config->tls_key);
  g_free (config->registry);
  g_free (config->registry_read);
  g_strfreev (config->servers);
  g_free (config->turn_secret);
  g_strfreev (config->turn_urls);
  g_strfreev (config->stun_urls);
  g_free (config);
}
