/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-transport.h"

G_BEGIN_DECLS
#if P2P_ENABLE_TEST_HOOKS
/* Drops @percent of the datagrams this transport receives (DTLS, RTP, RTCP;
 * STUN is consumed by libnice before this point), deterministically from
 * @seed. Exists only in non-release builds, for the loss tests. */
G_GNUC_INTERNAL
    void p2p_transport_set_receive_loss (P2pTransport * self, guint percent,
    guint32 seed);

/* Sends @data to the peer as it is, bypassing SRTP and DTLS: the garbage
 * tests use it to feed the peer's demultiplexer through the real path. */
/* Makes the next UDP GSO send of the batched path fail with EIO, as a
 * device without checksum offload does: the transport must fall back to
 * libnice for that batch and every later one. */
G_GNUC_INTERNAL void p2p_transport_fail_next_batch (P2pTransport * self);

/* As if the path MTU dropped to @path_mtu: the next UDP GSO send fails
 * with EINVAL, as for segments above the path MTU, and the transport's
 * read of the path MTU after that refusal gives @path_mtu. From then on
 * the test drives the path MTU: the 30 s recheck no longer runs. */
G_GNUC_INTERNAL
    void p2p_transport_shrink_path_mtu (P2pTransport * self, gint path_mtu);

/* Reads the path MTU again now, as the transport does every 30 s, with
 * @path_mtu as the result (0: the kernel's; -1: a failed read). Stops
 * the periodic recheck, as p2p_transport_shrink_path_mtu() does. */
G_GNUC_INTERNAL
    void p2p_transport_recheck_path_mtu (P2pTransport * self, gint path_mtu);

/* Asks the gateway at @gateway_ip:@gateway_port (a test's socket) for a
 * port mapping, as a host candidate on a private address does (the
 * `port-mapping` property): "gathering done" then waits for its answer
 * or the grace period. */
G_GNUC_INTERNAL
void p2p_transport_map_port_at (P2pTransport * self, const gchar * gateway_ip,
    guint gateway_port);

/* libnice's "gathering done" for the transport's stream, as when a
 * gathering round (the first, or the relays' after it) ends. */
G_GNUC_INTERNAL
void p2p_transport_end_gathering (P2pTransport * self);

/* How many times libnice's gathering ended so far (any thread). */
G_GNUC_INTERNAL
guint p2p_transport_get_gathering_rounds (P2pTransport * self);

/* libnice's idle-timeout for the transport's agent now (ms): how long its
 * check timer keeps ticking once no check is left. */
G_GNUC_INTERNAL guint p2p_transport_get_check_grace (P2pTransport * self);

/* Whether media leaves through the batched path now. */
G_GNUC_INTERNAL gboolean p2p_transport_is_batching (P2pTransport * self);

/* Whether the viewer reads the selected pair's socket itself now
 * (p2p-batch-receiver.c). */
G_GNUC_INTERNAL gboolean p2p_transport_is_batch_receiving (P2pTransport * self);

G_GNUC_INTERNAL
    gboolean p2p_transport_send_raw (P2pTransport * self, const guint8 * data,
    gsize size);
#endif

G_END_DECLS
