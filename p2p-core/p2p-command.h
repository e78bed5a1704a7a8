/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * P2P_COMMAND_MAX_NAME:
 *
 * Longest command or event name, in bytes.
 */
#define P2P_COMMAND_MAX_NAME 64

/**
 * P2P_COMMAND_MAX_PAYLOAD:
 *
 * Longest payload of a command, reply or event, in bytes.
 */
#define P2P_COMMAND_MAX_PAYLOAD (16 * 1024)

/**
 * P2P_COMMAND_ERROR:
 *
 * Error domain of the command channel; codes are #P2pCommandError.
 */
#define P2P_COMMAND_ERROR (p2p_command_error_quark ())
GQuark p2p_command_error_quark (void);

/**
 * P2pCommandError:
 * @P2P_COMMAND_ERROR_MALFORMED: a message lacks a member or has one of the
 *     wrong type
 * @P2P_COMMAND_ERROR_BAD_NAME: a name is empty, too long, or has characters
 *     other than letters, digits, `.`, `_` and `-`
 * @P2P_COMMAND_ERROR_TOO_LARGE: a payload exceeds #P2P_COMMAND_MAX_PAYLOAD
 *
 * Stable error codes of #P2P_COMMAND_ERROR.
 */
typedef enum
{
  P2P_COMMAND_ERROR_MALFORMED,
  P2P_COMMAND_ERROR_BAD_NAME,
  P2P_COMMAND_ERROR_TOO_LARGE,
} P2pCommandError;

/**
 * P2pCommand:
 * @id: the request id (replies: the command's)
 * @name: the command or event name (%NULL in a reply)
 * @payload: the payload, any UTF-8 text (JSON by convention)
 * @ok: replies: whether the command succeeded (@payload then holds the
 *     error text when not)
 *
 * One parsed message of the command channel; the strings point into the
 * JSON object it was parsed from.
 */
typedef struct
{
  guint64 id;
  const gchar *name;
  const gchar *payload;
  gboolean ok;
} P2pCommand;

gboolean p2p_command_check (const gchar * name, const gchar * payload,
    GError ** error);

GBytes *p2p_command_build (const gchar * type, guint64 id,
    const gchar * name, gboolean ok, const gchar * payload);

gboolean p2p_command_parse (JsonObject * message, P2pCommand * command,
    GError ** error);

/**
 * P2P_COMMAND_MAX_LAYER:
 *
 * Highest video layer a viewer may ask for (0 is the best).
 */
#define P2P_COMMAND_MAX_LAYER 3

GBytes *p2p_command_build_layer (gint layer);

gboolean p2p_command_parse_layer (JsonObject * message, gint * layer,
    GError ** error);

/**
 * P2pRateLimit:
 *
 * A token bucket: at most @burst at once, refilled at @rate a second.
 */
typedef struct _P2pRateLimit P2pRateLimit;

P2pRateLimit *p2p_rate_limit_new (guint rate, guint burst);

gboolean p2p_rate_limit_take (P2pRateLimit * limit, gint64 now_us);

void p2p_rate_limit_free (P2pRateLimit * limit);

G_END_DECLS
