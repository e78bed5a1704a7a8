/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * P2pServerConfig:
 * @master: serve `lookup` (master role)
 * @rendezvous: serve device logins and calls (rendezvous role)
 * @listen: address to bind
 * @port: TCP port, 0 for one chosen by the system
 * @port_file: (nullable): file the bound port is written to
 * @server_id: id signed by devices at login
 * @admin_address: address of the admin HTTP port
 * @admin_port: admin HTTP port (metrics, health), 0 for one chosen by the
 *     system, -1 for none
 * @tls_cert: (nullable): PEM certificate chain for wss://
 * @tls_key: (nullable): PEM private key for wss://
 * @allow_insecure: accept plain ws:// when no certificate is configured
 * @registry: registry location (SQLite file or PostgreSQL URI); revocations
 *     are read here
 * @registry_read: (nullable): where device lookups go instead (a read
 *     replica)
 * @registry_connections: connections (one thread each) for lookups
 * @servers: (array zero-terminated=1): rendezvous server URLs
 * @turn_secret: (nullable): coturn static-auth-secret
 * @turn_urls: (array zero-terminated=1): turn:/turns: URLs
 * @stun_urls: (array zero-terminated=1): stun: URLs
 * @turn_ttl: TURN credential lifetime, seconds
 * @max_message: largest accepted message, bytes
 * @max_calls: concurrent calls per device (default 64, so that every
 *     p2psink max-viewers is served)
 * @handshake_timeout: seconds from accept to welcome
 * @ping_interval: seconds of silence before the server pings
 * @idle_timeout: seconds of silence before the server closes
 * @call_timeout: seconds from incoming to answer
 * @max_pending_calls: unanswered calls per viewer connection
 * @max_connections_per_address: open connections per source address
 * @max_buffered_per_address: bytes of partial messages per source address
 * @drain_timeout: seconds SIGTERM waits for connections to close
 * @address_rate: requests per second per source address
 * @address_burst: burst of @address_rate
 * @login_failure_rate: failed device logins per second per source address
 * @login_failure_burst: burst of @login_failure_rate
 * @device_login_rate: device logins admitted per second, whole server; 0
 *     for no limit
 * @device_login_burst: burst of @device_login_rate
 * @uid_connect_rate: connects per second to one UID from one address
 * @uid_connect_burst: burst of @uid_connect_rate
 *
 * The server's configuration: defaults, then the key file, then the
 * command line (docs/deployment.md lists every key).
 */
typedef struct
{
  gboolean master;
  gboolean rendezvous;
  gchar *listen;
  gint port;
  gchar *port_file;
  gchar *server_id;
  gchar *admin_address;
  gint admin_port;
  gchar *tls_cert;
  gchar *tls_key;
  gboolean allow_insecure;
  gchar *registry;
  gchar *registry_read;
  gint registry_connections;
  gchar **servers;
  gchar *turn_secret;
  gchar **turn_urls;
  gchar **stun_urls;
  gint turn_ttl;
  gint max_message;
  gint max_calls;
  gint handshake_timeout;
  gint ping_interval;
  gint idle_timeout;
  gint call_timeout;
  gint max_pending_calls;
  gint max_connections_per_address;
  gint max_buffered_per_address;
  gint drain_timeout;
  gdouble address_rate;
  gdouble address_burst;
  gdouble login_failure_rate;
  gdouble login_failure_burst;
  gdouble device_login_rate;
  gdouble device_login_burst;
  gdouble uid_connect_rate;
  gdouble uid_connect_burst;
} P2pServerConfig;

P2pServerConfig *p2p_server_config_load (gint * argc, gchar *** argv,
    GError ** error);

void p2p_server_config_free (P2pServerConfig * config);

G_END_DECLS
