/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-demux.h"

/* RTP/RTCP share 128..191 (version 2); RFC 5761 tells them apart by the
 * second byte: RTCP packet types 192..223 would be RTP payload types 64..95
 * with the marker bit set, which is why those payload types are never used
 * with rtcp-mux. */
static P2pPacketKind
classify_rtp_rtcp (const guint8 * data, gsize size)
{
  guint pt = data[1];
  guint csrc_count, header_len;

  if (pt >= 192 && pt <= 223) {
    guint words;

    if (size < P2P_RTCP_HEADER)
      return P2P_PACKET_INVALID;
    /* The first RTCP packet's length must fit; SRTCP adds its index and
     * tag after the compound packet, so only the lower bound is checked. */
    words = ((guint) data[2] << 8) | data[3];
    if ((words + 1) * 4 > size)
      return P2P_PACKET_INVALID;
    return P2P_PACKET_RTCP;
  }

  if (size < P2P_RTP_HEADER)
    return P2P_PACKET_INVALID;

  csrc_count = data[0] & 0x0f;
  header_len = P2P_RTP_HEADER + 4 * csrc_count;
  if (size < header_len)
    return P2P_PACKET_INVALID;

  if (data[0] & 0x10) {
    guint ext_words;

    /* Header extension: 4-byte header then length in 32-bit words. */
    if (size < header_len + 4)
      return P2P_PACKET_INVALID;
    ext_words = ((guint) data[header_len + 2] << 8) | data[header_len + 3];
    header_len += 4 + 4 * ext_words;
    if (size < header_len)
      return P2P_PACKET_INVALID;
  }
  return P2P_PACKET_RTP;
}

/*
 * p2p_demux_classify:
 * @data: a received datagram
 * @size: its length
 *
 * Returns: the kind of packet, or %P2P_PACKET_INVALID for anything that
 *     must be dropped (unknown first byte, truncated header, wrong version)
 */
P2pPacketKind
p2p_demux_classify (const guint8 * data, gsize size)
{
  guint8 b;

  if (data == NULL || size == 0)
    return P2P_PACKET_INVALID;

  b = data[0];
  if (b >= 20 && b <= 63) {
    if (size < P2P_DTLS_RECORD_HEADER)
      return P2P_PACKET_INVALID;
    /* Record length must cover the rest of the first record. */
    if (P2P_DTLS_RECORD_HEADER + (((gsize) data[11] << 8) | data[12]) > size)
      return P2P_PACKET_INVALID;
    return P2P_PACKET_DTLS;
  }
  if (b >= 128 && b <= 191 && size >= 2)
    return classify_rtp_rtcp (data, size);

  /* STUN (0..3) never reaches here: libnice consumes it. ZRTP and TURN
   * channel data are not used on this transport. */
  return P2P_PACKET_INVALID;
}
