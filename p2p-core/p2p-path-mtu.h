/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <agent.h>

G_BEGIN_DECLS

/*
 * P2P_PATH_MTU_EXTENSION_SLACK:
 *
 * Bytes of RTP header extensions a payloader leaves out of its `mtu`
 * (rtph264pay's packets with the TWCC extension exceed it by 8), which
 * every packet buffer on the send path leaves room for.
 */
#define P2P_PATH_MTU_EXTENSION_SLACK 16

/*
 * P2P_PATH_MTU_MIN_PAYLOAD:
 *
 * The smallest payload size a known path MTU lowers a pair to: just under
 * what a 576-byte IPv4 datagram (which every IPv4 host takes) leaves after
 * the headers and a direct path's overhead (516 bytes).
 */
#define P2P_PATH_MTU_MIN_PAYLOAD 512

G_GNUC_INTERNAL
gint p2p_path_mtu_read (const NiceAddress * remote);

G_GNUC_INTERNAL
gint p2p_path_mtu_payload (const NiceCandidate * local,
    const NiceCandidate * remote, gint * path_mtu);

G_GNUC_INTERNAL
gint p2p_path_mtu_payload_for (const NiceCandidate * local,
    const NiceCandidate * remote, gint path_mtu);

G_GNUC_INTERNAL
gsize p2p_path_mtu_max_datagram (const NiceAddress * remote, gint path_mtu);

G_END_DECLS
