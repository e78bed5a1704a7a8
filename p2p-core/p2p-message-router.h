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
 * P2P_MESSAGE_ROUTER_ERROR:
 *
 * Error domain of the message router; codes are #P2pMessageRouterError.
 */
#define P2P_MESSAGE_ROUTER_ERROR (p2p_message_router_error_quark ())
GQuark p2p_message_router_error_quark (void);

/**
 * P2pMessageRouterError:
 * @P2P_MESSAGE_ROUTER_ERROR_MALFORMED: not one JSON object with a string
 *     `type`, or larger than the channel's limit
 * @P2P_MESSAGE_ROUTER_ERROR_UNKNOWN_TYPE: no handler for the type
 *
 * Stable error codes of #P2P_MESSAGE_ROUTER_ERROR.
 */
typedef enum
{
  P2P_MESSAGE_ROUTER_ERROR_MALFORMED,
  P2P_MESSAGE_ROUTER_ERROR_UNKNOWN_TYPE,
} P2pMessageRouterError;

/**
 * P2pMessageHandler:
 * @message: the message, a JSON object with a `type` member
 * @context: the dispatcher's context (for example the session it came on)
 * @user_data: as given to p2p_message_router_add()
 *
 * Handles one kind of message. Its validation of the other members is its
 * own: the router only checked the type.
 */
typedef void (*P2pMessageHandler) (JsonObject * message, gpointer context,
    gpointer user_data);

typedef struct _P2pMessageRouter P2pMessageRouter;

P2pMessageRouter *p2p_message_router_new (void);

void p2p_message_router_free (P2pMessageRouter * router);

void p2p_message_router_add (P2pMessageRouter * router, const gchar * type,
    P2pMessageHandler handler, gpointer user_data);

gboolean p2p_message_router_dispatch (P2pMessageRouter * router,
    GBytes * message, gpointer context, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (P2pMessageRouter, p2p_message_router_free)

G_END_DECLS
