/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2p-protocol-message.h"
#include "p2p-protocol-error.h"

#include <string.h>

/**
 * p2p_protocol_get_string:
 * @message: a parsed message (p2p_json_parse_object())
 * @name: the member
 * @min_len: its shortest accepted length, in bytes
 * @max_len: its longest accepted length, in bytes
 * @required: whether the member must be there
 * @value: (out) (transfer none) (nullable): the string, owned by @message,
 *     or %NULL when it is absent (or `null`) and not required
 * @error: return location for a #P2P_PROTOCOL_ERROR
 *
 * Reads a string member the way both ends of the protocol read them: a
 * missing required member is %P2P_PROTOCOL_ERROR_MISSING_FIELD, another
 * type or a length out of bounds %P2P_PROTOCOL_ERROR_BAD_FIELD.
 *
 * Returns: %FALSE with @error set when the member is not acceptable
 */
gboolean
p2p_protocol_get_string (JsonObject * message, const gchar * name,
    gsize min_len, gsize max_len, gboolean required, const gchar ** value,
    GError ** error)
{
  JsonNode *node = json_object_get_member (message, name);
  const gchar *s;
  gsize len;

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
    if (!required)
      return TRUE;
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_MISSING_FIELD,
        "Field \"%s\" is missing", name);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_FIELD,
        "Field \"%s\" must be a string", name);
    return FALSE;
  }
  s = json_node_get_string (node);
  len = strlen (s);
  if (len < min_len || len > max_len) {
    g_set_error (error, P2P_PROTOCOL_ERROR, P2P_PROTOCOL_ERROR_BAD_FIELD,
        "Field \"%s\" must be %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT
        " bytes long, not %" G_GSIZE_FORMAT, name, min_len, max_len, len);
    return FALSE;
  }
  *value = s;
  return TRUE;
}
