/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-message-router
 * @title: P2pMessageRouter
 * @short_description: routes the message channel's JSON messages by type
 *
 * After the viewer login, each message of a session's channel is one JSON
 * object whose `type` names its kind (docs/protocol.md, "Message
 * channel"). The router parses it strictly (p2p-json) and hands it to the
 * handler registered for that type, so a new kind of message is one
 * handler in the file that owns it. The routes are set up before the
 * router is shared, and only read afterwards: dispatching from several
 * threads is safe.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-message-router.h"
#include "p2p-json.h"
#include "p2p-transport.h"

G_DEFINE_QUARK (p2p_message_router_error, p2p_message_router_error);

typedef struct
{
  P2pMessageHandler handler;
  gpointer user_data;
} Route;

struct _P2pMessageRouter
{
  GHashTable *routes;           /* type → Route */
};

/**
 * p2p_message_router_new:
 *
 * Returns: (transfer full): a router with no route
 */
P2pMessageRouter *
p2p_message_router_new (void)
{
  P2pMessageRouter *router = g_new0 (P2pMessageRouter, 1);

  router->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  return router;
}

/**
 * p2p_message_router_free:
 * @router: (transfer full): a router
 */
void
p2p_message_router_free (P2pMessageRouter * router)
{
  if (router == NULL)
    return;
  g_hash_table_unref (router->routes);
  g_free (router);
}

/**
 * p2p_message_router_add:
 * @router: a router not yet dispatching
 * @type: a message type
 * @handler: (scope notified): what handles it
 * @user_data: for @handler
 *
 * Routes messages of @type to @handler, replacing an earlier route.
 */
void
p2p_message_router_add (P2pMessageRouter * router, const gchar * type,
    P2pMessageHandler handler, gpointer user_data)
{
  Route *route;

  g_return_if_fail (router != NULL && type != NULL && handler != NULL);
  route = g_new0 (Route, 1);
  route->handler = handler;
  route->user_data = user_data;
  g_hash_table_insert (router->routes, g_strdup (type), route);
}

/**
 * p2p_message_router_dispatch:
 * @router: a router
 * @message: one message from the channel
 * @context: passed to the handler
 * @error: return location for a #P2P_MESSAGE_ROUTER_ERROR
 *
 * Returns: whether a handler took @message
 */
gboolean
p2p_message_router_dispatch (P2pMessageRouter * router, GBytes * message,
    gpointer context, GError ** error)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonObject) obj = NULL;
  const gchar *type;
  gsize size;
  const gchar *data = g_bytes_get_data (message, &size);
  Route *route;

  g_return_val_if_fail (router != NULL && message != NULL, FALSE);
  obj = p2p_json_parse_object_full (data, size, P2P_TRANSPORT_MAX_MESSAGE,
      P2P_JSON_MAX_DEPTH, &err);
  if (obj == NULL) {
    g_set_error (error, P2P_MESSAGE_ROUTER_ERROR,
        P2P_MESSAGE_ROUTER_ERROR_MALFORMED, "malformed message: %s",
        err->message);
    return FALSE;
  }
  type = json_object_has_member (obj, "type")
      && JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, "type"))
      && json_node_get_value_type (json_object_get_member (obj, "type")) ==
      G_TYPE_STRING ? json_object_get_string_member (obj, "type") : NULL;
  if (type == NULL) {
    g_set_error_literal (error, P2P_MESSAGE_ROUTER_ERROR,
        P2P_MESSAGE_ROUTER_ERROR_MALFORMED, "message without a string "
        "\"type\"");
    return FALSE;
  }
  route = g_hash_table_lookup (router->routes, type);
  if (route == NULL) {
    g_set_error (error, P2P_MESSAGE_ROUTER_ERROR,
        P2P_MESSAGE_ROUTER_ERROR_UNKNOWN_TYPE, "no handler for \"%.64s\"",
        type);
    return FALSE;
  }
  route->handler (obj, context, route->user_data);
  return TRUE;
}
