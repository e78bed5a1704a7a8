/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * P2P_UID_LENGTH:
 *
 * Length of a UID in characters: four groups of four symbols and three
 * hyphens (docs/protocol.md §3).
 */
#define P2P_UID_LENGTH 19

/**
 * P2P_UID_ERROR:
 *
 * Error domain of UID parsing and generation; codes are #P2pUidError.
 */
#define P2P_UID_ERROR (p2p_uid_error_quark ())
GQuark p2p_uid_error_quark (void);

/**
 * P2pUidError:
 * @P2P_UID_ERROR_FORMAT: wrong length, misplaced hyphen or a symbol outside
 *     the alphabet
 * @P2P_UID_ERROR_CHECK: well formed but the check symbols do not match (a
 *     typo)
 * @P2P_UID_ERROR_PREFIX: a requested prefix is too long or not in the
 *     alphabet
 *
 * Stable error codes of #P2P_UID_ERROR.
 */
typedef enum
{
  P2P_UID_ERROR_FORMAT,
  P2P_UID_ERROR_CHECK,
  P2P_UID_ERROR_PREFIX,
} P2pUidError;

gchar *p2p_uid_normalize (const gchar * text, GError ** error);

gchar *p2p_uid_normalize_form (const gchar * text, GError ** error);

gchar *p2p_uid_generate (const gchar * prefix, GError ** error);

G_END_DECLS
