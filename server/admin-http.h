/* p2p-server
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libwebsockets.h>

#include "broker.h"

G_BEGIN_DECLS

gchar *p2p_admin_http_metrics_text (P2pBroker * broker);

gsize p2p_admin_http_session_size (void);

int p2p_admin_http_lws_callback (struct lws *wsi,
    enum lws_callback_reasons reason, void *user, void *in, size_t len);

G_END_DECLS
