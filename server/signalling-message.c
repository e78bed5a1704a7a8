/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Parsing of untrusted signalling messages. Size is bounded before this is
 * reached; the text must be exactly one JSON object, nested at most
 * P2P_PROTOCOL_MAX_DEPTH deep (p2p-json.c says why json-glib alone is not
 * enough). */

#include "signalling-message.h"

#include <p2p-core/p2p-json.h>

#include <string.h>

/**
 * p2p_signalling_message_parse:
 * @data: the message text (not NUL-terminated)
 * @len: its length in bytes
 * @error: return location for a #P2P_PROTOCOL_ERROR
 *
 * Parses one message and checks it is an object with a `type` string.
 *
 * Returns: (transfer full) (nullable): the message object
 */
JsonObject *
p2p_signalling_message_parse (const gchar * data, gsize len, GError ** error)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) obj = NULL;
  JsonNode *type;

  /* The broker bounded the size while reassembling the message. */
  obj = p2p_json_parse_object_full (data, len, G_MAXSIZE,
      P2P_PROTOCOL_MAX_DEPTH, &err);
  if (!obj) {
    g_set_error_literal (error, P2P_PROTOCOL_ERROR,
        g_error_matches (err, P2P_JSON_ERROR, P2P_JSON_ERROR_TOO_DEEP) ?
        P2P_PROTOCOL_ERROR_TOO_DEEP : P2P_PROTOCOL_ERROR_BAD_JSON,
        err->message);
    return NULL;
  }
  type = json_object_get_member (obj, "type");
  if (!type || !JSON_NODE_HOLDS_VALUE (type) ||
      json_node_get_value_type (type) != G_TYPE_STRING) {
    g_set_error (error, P2P_PROTOCOL_ERROR,
        P2P_PROTOCOL_ERROR_UNKNOWN_TYPE, "Message has no \"type\" string");
    return NULL;
  }
  return g_steal_pointer (&obj);
}

/**
 * p2p_signalling_message_get_id:
 * @message: a message
 * @id: (out) (transfer full) (nullable): a copy of the `id` member, or %NULL
 *     when the message has none
 * @error: return location for a #P2P_PROTOCOL_ERROR
 *
 * Reads and checks the optional request id.
 *
 * Returns: %FALSE if `id` is present but malformed
 */
gboolean
p2p_signalling_message_get_id (JsonObject * message, JsonNode ** id,
    GError ** error)
{
  JsonNode *node = json_object_get_member (message, "id");

  *id = NULL;
  if (!node)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node)) {
    GType t = json_node_get_value_type (node);

    if (t == G_TYPE_STRING) {
      gsize len = strlen (json_node_get_string (node));

      if (len >= 1 && len <= 64) {
        *id = json_node_copy (node);
        return TRUE;
      }
    } else if (t == G_TYPE_INT64) {
      gint64 v = json_node_get_int (node);

      if (v >= 0 && v <= (G_GINT64_CONSTANT (1) << 53)) {
        *id = json_node_copy (node);
        return TRUE;
      }
    }
  }
  g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_FIELD,
      "Field \"id\" must be a string of 1-64 characters or an integer "
      "0..2^53");
  return FALSE;
}
