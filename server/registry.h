/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * P2P_REGISTRY_ERROR:
 *
 * Error domain of the device registry; codes are #P2pRegistryError.
 */
#define P2P_REGISTRY_ERROR (p2p_registry_error_quark ())
GQuark p2p_registry_error_quark (void);

/**
 * P2pRegistryError:
 * @P2P_REGISTRY_ERROR_OPEN: the registry file is missing, unreadable or not
 *     a registry
 * @P2P_REGISTRY_ERROR_EXISTS: the UID is already registered
 * @P2P_REGISTRY_ERROR_NOT_FOUND: the UID is not registered
 * @P2P_REGISTRY_ERROR_FAILED: the database reported another failure
 * @P2P_REGISTRY_ERROR_VERSION: the schema is older or newer than this
 *     build's
 *
 * Stable error codes of #P2P_REGISTRY_ERROR.
 */
typedef enum
{
  P2P_REGISTRY_ERROR_OPEN,
  P2P_REGISTRY_ERROR_EXISTS,
  P2P_REGISTRY_ERROR_NOT_FOUND,
  P2P_REGISTRY_ERROR_FAILED,
  P2P_REGISTRY_ERROR_VERSION,
} P2pRegistryError;

/**
 * P2P_REGISTRY_SCHEMA_VERSION:
 *
 * The registry schema this build reads and writes; `p2p-uid migrate`
 * brings an older registry to it.
 */
#define P2P_REGISTRY_SCHEMA_VERSION 2

/**
 * P2pDevice:
 * @uid: normalised UID
 * @fingerprint: certificate fingerprint in SDP form (`sha-256 AB:…`)
 * @certificate: the device certificate, PEM (public data only)
 * @label: free text the operator attached, or %NULL
 * @created: registration time, Unix seconds
 * @revoked: revocation time, Unix seconds, or 0 while valid
 *
 * One registered device. The registry never holds a device secret.
 */
typedef struct
{
  gchar *uid;
  gchar *fingerprint;
  gchar *certificate;
  gchar *label;
  gint64 created;
  gint64 revoked;
} P2pDevice;

void p2p_device_free (P2pDevice * device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (P2pDevice, p2p_device_free)

/**
 * P2pRegistry:
 *
 * An open device registry: a SQLite file or a PostgreSQL database.
 */
typedef struct _P2pRegistry P2pRegistry;

gboolean p2p_registry_is_postgres (const gchar * location);

P2pRegistry *p2p_registry_open (const gchar * location, gboolean create,
    gboolean read_only, GError ** error);

void p2p_registry_close (P2pRegistry * registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (P2pRegistry, p2p_registry_close)

const gchar *p2p_registry_get_backend (P2pRegistry * registry);

gboolean p2p_registry_check_version (P2pRegistry * registry, GError ** error);

gboolean p2p_registry_migrate (P2pRegistry * registry, GError ** error);

gboolean p2p_registry_add (P2pRegistry * registry, const P2pDevice * device,
    GError ** error);

P2pDevice *p2p_registry_lookup (P2pRegistry * registry, const gchar * uid,
    GError ** error);

GPtrArray *p2p_registry_list (P2pRegistry * registry, GError ** error);

gboolean p2p_registry_revoke (P2pRegistry * registry, const gchar * uid,
    GError ** error);

GPtrArray *p2p_registry_take_revoked (P2pRegistry * registry, GError ** error);

gint p2p_registry_get_watch_fd (P2pRegistry * registry);

G_END_DECLS
