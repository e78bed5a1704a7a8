/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS
/**
 * P2P_JSON_MAX_SIZE:
 *
 * Longest message p2p_json_parse_object() accepts, in bytes: the signalling
 * protocol's message limit.
 */
#define P2P_JSON_MAX_SIZE (64 * 1024)
/**
 * P2P_JSON_MAX_DEPTH:
 *
 * Deepest nesting of objects and arrays p2p_json_parse_object() accepts; the
 * message itself is level 1.
 */
#define P2P_JSON_MAX_DEPTH 8
/**
 * P2P_JSON_ERROR:
 *
 * Error domain of p2p_json_parse_object(); codes are #P2pJsonError.
 */
#define P2P_JSON_ERROR (p2p_json_error_quark ())
    GQuark p2p_json_error_quark (void);

/**
 * P2pJsonError:
 * @P2P_JSON_ERROR_TOO_LARGE: the text is longer than allowed
 * @P2P_JSON_ERROR_TOO_DEEP: objects and arrays are nested deeper than allowed
 * @P2P_JSON_ERROR_ENCODING: the text is not UTF-8, or holds a NUL byte
 * @P2P_JSON_ERROR_SYNTAX: the text is not JSON (RFC 8259), or is empty
 * @P2P_JSON_ERROR_NOT_OBJECT: the JSON value is not an object
 * @P2P_JSON_ERROR_TRAILING_DATA: something other than white space follows
 *     the object
 * @P2P_JSON_ERROR_NUL_CHARACTER: a string holds U+0000, which C strings would
 *     silently truncate
 * @P2P_JSON_ERROR_DUPLICATE_MEMBER: an object names the same member twice
 *
 * Why a message was refused. Stable: callers map them to protocol errors.
 */
typedef enum
{
  P2P_JSON_ERROR_TOO_LARGE,
  P2P_JSON_ERROR_TOO_DEEP,
  P2P_JSON_ERROR_ENCODING,
  P2P_JSON_ERROR_SYNTAX,
  P2P_JSON_ERROR_NOT_OBJECT,
  P2P_JSON_ERROR_TRAILING_DATA,
  P2P_JSON_ERROR_NUL_CHARACTER,
  P2P_JSON_ERROR_DUPLICATE_MEMBER,
} P2pJsonError;

JsonObject *p2p_json_parse_object (const gchar * data, gsize len,
    GError ** error);

JsonObject *p2p_json_parse_object_full (const gchar * data, gsize len,
    gsize max_size, guint max_depth, GError ** error);

G_END_DECLS
