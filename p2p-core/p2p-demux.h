/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * P2pPacketKind:
 *
 * What a datagram on the single ICE component is, by RFC 7983's first-byte
 * ranges plus enough header validation that later stages can trust the
 * fixed header fields.
 */
typedef enum
{
  P2P_PACKET_INVALID,
  P2P_PACKET_DTLS,
  P2P_PACKET_RTP,
  P2P_PACKET_RTCP,
} P2pPacketKind;

/* Smallest packets each kind can be: DTLS record header, RTP fixed header,
 * RTCP common header. */
#define P2P_DTLS_RECORD_HEADER 13
#define P2P_RTP_HEADER 12
#define P2P_RTCP_HEADER 8

G_GNUC_INTERNAL
P2pPacketKind p2p_demux_classify (const guint8 * data, gsize size);

G_END_DECLS
