/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-signalling.h"

G_BEGIN_DECLS
/* Feeds one text frame to the message parser and dispatcher as if a server
 * had sent it, on the loop thread, with no connection behind it: replies
 * are dropped and failures do not reconnect. @logged_in selects whether
 * the handshake messages or the call messages are expected; @call (if not
 * %NULL) is made a known call first. @self must never have been started.
 * For fuzzing. */
G_GNUC_INTERNAL void p2p_signalling_receive_for_test (P2pSignalling * self,
    gboolean logged_in, const gchar * call, const gchar * text, gsize len);

G_GNUC_INTERNAL guint p2p_signalling_next_delay (guint min_ms, guint max_ms,
    guint rounds, gint64 retry_after_s, gboolean busy);

G_END_DECLS
