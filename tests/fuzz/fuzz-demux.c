/* Fuzz target: datagrams on the ICE component
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "p2p-demux.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  P2pPacketKind kind = p2p_demux_classify (data, size);

  /* What the later stages rely on when a packet is let through. */
  switch (kind) {
    case P2P_PACKET_DTLS:
      g_assert (size >= P2P_DTLS_RECORD_HEADER);
      break;
    case P2P_PACKET_RTP:
      g_assert (size >= (gsize) P2P_RTP_HEADER + 4 * (data[0] & 0x0f));
      break;
    case P2P_PACKET_RTCP:
      g_assert (size >= P2P_RTCP_HEADER);
      break;
    case P2P_PACKET_INVALID:
      break;
  }
  return 0;
}
