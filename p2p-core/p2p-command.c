/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-command
 * @title: P2pCommand
 * @short_description: the application command channel's messages
 *
 * Commands from a viewer to the camera (`command`), the camera's answers
 * (`command-reply`) and its events (`event`) ride the session's message
 * channel, which is ordered and reliable, once the viewer is admitted
 * (docs/protocol.md, "Commands and events"). This file holds their one
 * definition, with its limits, for both ends, and the per-viewer rate
 * limit the camera applies.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-command.h"

#include <string.h>

G_DEFINE_QUARK (p2p_command_error, p2p_command_error);

/**
 * p2p_command_check:
 * @name: (nullable): a command or event name; %NULL for a reply
 * @payload: (nullable): its payload
 * @error: return location for a #P2P_COMMAND_ERROR
 *
 * Returns: whether the name and payload are within the channel's rules
 */
gboolean
p2p_command_check (const gchar * name, const gchar * payload, GError ** error)
{
  gsize len;
  const gchar *p;

  if (name) {
    len = strlen (name);
    for (p = name; *p && (g_ascii_isalnum (*p) || strchr ("._-", *p)); p++);
    if (len == 0 || len > P2P_COMMAND_MAX_NAME || *p) {
      g_set_error (error, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_BAD_NAME,
          "Invalid name '%.80s': 1 to %d letters, digits, '.', '_' or '-'",
          name, P2P_COMMAND_MAX_NAME);
      return FALSE;
    }
  }
  len = payload ? strlen (payload) : 0;
  if (len > P2P_COMMAND_MAX_PAYLOAD) {
    g_set_error (error, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_TOO_LARGE,
        "Payload of %" G_GSIZE_FORMAT " bytes exceeds the limit of %d bytes",
        len, P2P_COMMAND_MAX_PAYLOAD);
    return FALSE;
  }
  if (payload && !g_utf8_validate (payload, -1, NULL)) {
    g_set_error_literal (error, P2P_COMMAND_ERROR,
        P2P_COMMAND_ERROR_MALFORMED, "Payload is not UTF-8 text");
    return FALSE;
  }
  return TRUE;
}

/**
 * p2p_command_build:
 * @type: `command`, `command-reply` or `event`
 * @id: the request id (ignored for an event)
 * @name: (nullable): the name (commands and events)
 * @ok: replies: success
 * @payload: (nullable): the payload, checked with p2p_command_check()
 *
 * Returns: (transfer full): the message for the channel
 */
GBytes *
p2p_command_build (const gchar * type, guint64 id, const gchar * name,
    gboolean ok, const gchar * payload)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  gsize len;
  gchar *text;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  if (strcmp (type, "event") != 0) {
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, (gint64) id);
  }
  if (name) {
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, name);
  }
  if (strcmp (type, "command-reply") == 0) {
    json_builder_set_member_name (b, "ok");
    json_builder_add_boolean_value (b, ok);
  }
  json_builder_set_member_name (b, "payload");
  json_builder_add_string_value (b, payload ? payload : "");
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  return g_bytes_new_take (text, len);
}

static gboolean
member_is (JsonObject * obj, const gchar * name, GType type)
{
  JsonNode *node = json_object_get_member (obj, name);

  return node && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == type;
}

/**
 * p2p_command_parse:
 * @message: a routed `command`, `command-reply` or `event` message
 * @command: (out caller-allocates): its fields
 * @error: return location for a #P2P_COMMAND_ERROR
 *
 * Returns: whether @message is well formed and within the limits
 */
gboolean
p2p_command_parse (JsonObject * message, P2pCommand * command, GError ** error)
{
  const gchar *type = json_object_get_string_member (message, "type");
  gboolean is_event = g_strcmp0 (type, "event") == 0;
  gboolean is_reply = g_strcmp0 (type, "command-reply") == 0;

  memset (command, 0, sizeof (*command));
  if ((!is_event && (!member_is (message, "id", G_TYPE_INT64)
              || json_object_get_int_member (message, "id") < 0))
      || (!is_reply && !member_is (message, "name", G_TYPE_STRING))
      || (is_reply && !member_is (message, "ok", G_TYPE_BOOLEAN))
      || (json_object_has_member (message, "payload")
          && !member_is (message, "payload", G_TYPE_STRING))) {
    g_set_error (error, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_MALFORMED,
        "A malformed \"%s\" message", type);
    return FALSE;
  }
  if (!is_event)
    command->id = json_object_get_int_member (message, "id");
  if (!is_reply)
    command->name = json_object_get_string_member (message, "name");
  else
    command->ok = json_object_get_boolean_member (message, "ok");
  command->payload = json_object_has_member (message, "payload") ?
      json_object_get_string_member (message, "payload") : "";
  return p2p_command_check (command->name, command->payload, error);
}

struct _P2pRateLimit
{
  gdouble tokens;
  gdouble rate;
  gdouble burst;
  gint64 last;
};

/**
 * p2p_command_build_layer:
 * @layer: the video layer a viewer asks for (0 the best, up to
 *     #P2P_COMMAND_MAX_LAYER), or -1 to let the camera choose
 *
 * Returns: (transfer full): a `layer` message, viewer to camera
 */
GBytes *
p2p_command_build_layer (gint layer)
{
  gchar *text;

  g_return_val_if_fail (layer >= -1 && layer <= P2P_COMMAND_MAX_LAYER, NULL);
  text = g_strdup_printf ("{\"type\":\"layer\",\"layer\":%d}", layer);
  return g_bytes_new_take (text, strlen (text));
}

/**
 * p2p_command_parse_layer:
 * @message: a routed `layer` message
 * @layer: (out): the layer asked for, -1 for the camera's choice
 * @error: a #GError, or %NULL
 *
 * Returns: %FALSE (%P2P_COMMAND_ERROR_MALFORMED) unless `layer` is an
 *     integer from -1 to #P2P_COMMAND_MAX_LAYER
 */
gboolean
p2p_command_parse_layer (JsonObject * message, gint * layer, GError ** error)
{
  JsonNode *node = json_object_get_member (message, "layer");
  gint64 value;

  if (!node || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64
      || (value = json_node_get_int (node)) < -1
      || value > P2P_COMMAND_MAX_LAYER) {
    g_set_error (error, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_MALFORMED,
        "A layer request needs an integer 'layer' from -1 to %d",
        P2P_COMMAND_MAX_LAYER);
    return FALSE;
  }
  *layer = value;
  return TRUE;
}

/**
 * p2p_rate_limit_new:
 * @rate: tokens a second
 * @burst: most tokens at once (the bucket starts full)
 *
 * Returns: (transfer full): a token bucket
 */
P2pRateLimit *
p2p_rate_limit_new (guint rate, guint burst)
{
  P2pRateLimit *limit = g_new0 (P2pRateLimit, 1);

  limit->rate = rate;
  limit->burst = MAX (burst, 1);
  limit->tokens = limit->burst;
  return limit;
}

/**
 * p2p_rate_limit_take:
 * @limit: a token bucket
 * @now_us: monotonic time
 *
 * Returns: whether a token was there (and is now taken)
 */
gboolean
p2p_rate_limit_take (P2pRateLimit * limit, gint64 now_us)
{
  if (limit->last != 0 && now_us > limit->last)
    limit->tokens = MIN (limit->burst, limit->tokens +
        (now_us - limit->last) * limit->rate / G_USEC_PER_SEC);
  limit->last = now_us;
  if (limit->tokens < 1.0)
    return FALSE;
  limit->tokens -= 1.0;
  return TRUE;
}

/**
 * p2p_rate_limit_free:
 * @limit: (transfer full): a token bucket
 */
void
p2p_rate_limit_free (P2pRateLimit * limit)
{
  g_free (limit);
}
