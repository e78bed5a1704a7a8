/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

/* Most datagrams p2p_batch_sender_send() takes at once. */
#define P2P_BATCH_SENDER_MAX 64

typedef struct _P2pBatchSender P2pBatchSender;

/*
 * P2pBatchResult:
 * @P2P_BATCH_SENT: every datagram was handed to the kernel
 * @P2P_BATCH_DROPPED: the socket buffer was full; the rest were dropped,
 *     as a UDP socket drops them
 * @P2P_BATCH_INACTIVE: no path, the kernel refused UDP GSO, or a datagram
 *     is larger than the path allows; the caller sends the rest another way
 * @P2P_BATCH_PATH_MTU: the kernel refused the segments as larger than the
 *     path MTU; the caller sends the rest another way, reads the path MTU
 *     and calls p2p_batch_sender_resume() (until then, nothing is batched)
 *
 * What became of the datagrams not counted as sent.
 */
typedef enum
{
  P2P_BATCH_SENT,
  P2P_BATCH_DROPPED,
  P2P_BATCH_INACTIVE,
  P2P_BATCH_PATH_MTU,
} P2pBatchResult;

G_GNUC_INTERNAL
P2pBatchSender *p2p_batch_sender_new (void);

G_GNUC_INTERNAL
void p2p_batch_sender_free (P2pBatchSender * sender);

G_GNUC_INTERNAL
void p2p_batch_sender_set_path (P2pBatchSender * sender, gint fd,
    const struct sockaddr *peer, gsize peer_size);

G_GNUC_INTERNAL
void p2p_batch_sender_set_max_segment (P2pBatchSender * sender,
    gsize max_segment);

G_GNUC_INTERNAL
gboolean p2p_batch_sender_resume (P2pBatchSender * sender, gsize max_segment);

G_GNUC_INTERNAL
P2pBatchResult p2p_batch_sender_send (P2pBatchSender * sender,
    guint8 * const *datagrams, const gsize * sizes, guint n, guint * sent);

G_GNUC_INTERNAL
guint64 p2p_batch_sender_get_batched (P2pBatchSender * sender);

#if P2P_ENABLE_TEST_HOOKS
/* Makes the next GSO send fail with @error: EIO as on a device without
 * checksum offload, EINVAL as for segments above the path MTU. */
G_GNUC_INTERNAL
void p2p_batch_sender_fail_next (P2pBatchSender * sender, gint error);

/* Whether the sender has a path and GSO is not refused. */
G_GNUC_INTERNAL
gboolean p2p_batch_sender_is_active (P2pBatchSender * sender);
#endif

G_END_DECLS
