/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include "p2p-loop.h"
#include <sys/socket.h>

G_BEGIN_DECLS typedef struct _P2pBatchReceiver P2pBatchReceiver;

/*
 * P2pBatchReceiverFunc:
 * @data: (nullable): one datagram from the pair's peer, writable until the
 *     end of the read it came in; %NULL after the last datagram of a read
 * @size: its length (0 with %NULL)
 * @user_data: what p2p_batch_receiver_new() was given
 *
 * Called on the loop thread for each datagram the batched path reads, then
 * once with %NULL when the datagrams of one read (up to one GRO batch)
 * have all been given: the receiver may hand them on together.
 */
typedef void (*P2pBatchReceiverFunc) (guint8 * data, gsize size,
    gpointer user_data);

G_GNUC_INTERNAL
    P2pBatchReceiver * p2p_batch_receiver_new (P2pLoop * loop,
    P2pBatchReceiverFunc func, gpointer user_data);
G_GNUC_INTERNAL void p2p_batch_receiver_free (P2pBatchReceiver * receiver);
G_GNUC_INTERNAL
    void p2p_batch_receiver_set_path (P2pBatchReceiver * receiver, gint fd,
    const struct sockaddr *peer, gsize peer_size);
G_GNUC_INTERNAL
    gboolean p2p_batch_receiver_is_active (P2pBatchReceiver * receiver);
G_GNUC_INTERNAL
    guint64 p2p_batch_receiver_get_batched (P2pBatchReceiver * receiver);

G_END_DECLS
