/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * P2P_KNOWN_CAMERAS_ERROR:
 *
 * Error domain of #P2pKnownCameras; codes are from #P2pKnownCamerasError.
 */
#define P2P_KNOWN_CAMERAS_ERROR (p2p_known_cameras_error_quark ())
GQuark p2p_known_cameras_error_quark (void);

/**
 * P2pKnownCamerasError:
 * @P2P_KNOWN_CAMERAS_ERROR_INVALID_ARGUMENT: a UID or fingerprint given to
 *     p2p_known_cameras_remember() or p2p_known_cameras_forget() is malformed
 * @P2P_KNOWN_CAMERAS_ERROR_IO: the file (or its lock) could not be read or
 *     written
 * @P2P_KNOWN_CAMERAS_ERROR_TOO_LARGE: the file exceeds
 *     #P2P_KNOWN_CAMERAS_MAX_FILE bytes
 * @P2P_KNOWN_CAMERAS_ERROR_BUSY: another writer held the file's lock for
 *     too long
 *
 * Stable error codes of #P2P_KNOWN_CAMERAS_ERROR.
 */
typedef enum
{
  P2P_KNOWN_CAMERAS_ERROR_INVALID_ARGUMENT,
  P2P_KNOWN_CAMERAS_ERROR_IO,
  P2P_KNOWN_CAMERAS_ERROR_TOO_LARGE,
  P2P_KNOWN_CAMERAS_ERROR_BUSY,
} P2pKnownCamerasError;

/**
 * P2P_KNOWN_CAMERAS_MAX_ENTRIES:
 *
 * Most cameras a file remembers; remembering one more forgets the one
 * remembered longest ago.
 */
#define P2P_KNOWN_CAMERAS_MAX_ENTRIES 4096

/**
 * P2P_KNOWN_CAMERAS_MAX_FILE:
 *
 * Largest file, in bytes, that is read.
 */
#define P2P_KNOWN_CAMERAS_MAX_FILE (1024 * 1024)

#define P2P_TYPE_KNOWN_CAMERAS (p2p_known_cameras_get_type ())
G_DECLARE_FINAL_TYPE (P2pKnownCameras, p2p_known_cameras, P2P, KNOWN_CAMERAS,
    GObject)

gchar *p2p_known_cameras_get_default_path (void);

P2pKnownCameras *p2p_known_cameras_new (const gchar * path);

const gchar *p2p_known_cameras_get_path (P2pKnownCameras * self);

gboolean p2p_known_cameras_load (P2pKnownCameras * self, GError ** error);

const gchar *const *p2p_known_cameras_get_problems (P2pKnownCameras * self);

guint p2p_known_cameras_get_size (P2pKnownCameras * self);

gchar *p2p_known_cameras_lookup (P2pKnownCameras * self, const gchar * uid);

gboolean p2p_known_cameras_remember (P2pKnownCameras * self,
    const gchar * uid, const gchar * fingerprint, GError ** error);

gboolean p2p_known_cameras_forget (P2pKnownCameras * self, const gchar * uid,
    GError ** error);

G_END_DECLS
