/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The RTP packet size a selected ICE pair carries without fragmenting.
 *
 * Only the local end of a path is known for certain: the kernel's route
 * MTU towards the peer, lowered by what Path MTU discovery has learned
 * from ICMP since. That is the whole path when both candidates are host
 * candidates (the same link, a routed LAN, or a VPN whose interface MTU
 * the kernel knows). Through a NAT (a server- or peer-reflexive candidate
 * on either side) the path crosses networks whose MTU the kernel learns
 * only from an ICMP "fragmentation needed", which firewalls and some
 * tunnels drop: a packet sized from the local route would then vanish
 * whole, with the Don't Fragment bit Linux sets on UDP by default
 * (IP_PMTUDISC_WANT). Such pairs get P2P_TRANSPORT_SAFE_PAYLOAD_MTU,
 * which fits any path down to IPv6's minimum MTU; so do TURN and TCP
 * pairs. The larger size was measured to save packets but no CPU
 * (docs/performance.md), so the safe size costs little there.
 *
 * The Don't Fragment bit is left at the kernel's default: with DF set,
 * an ICMP that does arrive lowers the kernel's path MTU, after which the
 * kernel fragments locally rather than losing the packets, and UDP GSO
 * (p2p-batch-sender.c) refuses segments above it: the transport then reads
 * the path MTU again and lowers the pair's payload size, which the
 * payloaders follow (p2p-transport.c, path_mtu_refused()). The transport
 * also reads it every 30 s and raises the payload size again when the
 * kernel's figure grew (path_mtu_recheck()): a lowered path MTU expires,
 * and an ICMP that lowered it may have been forged.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-path-mtu.h"
#include "p2p-transport.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* Per datagram on a direct path, beyond the payloader's `mtu`: the UDP
 * header, the largest SRTP tag we negotiate (AES-GCM's 16 bytes) and the
 * extension slack. The IP header comes on top (20 or 40 bytes). */
#define DIRECT_PATH_OVERHEAD (8 + 16 + P2P_PATH_MTU_EXTENSION_SLACK)
/* About GStreamer's default payloader MTU (1400), within what the
 * transport takes per packet: larger packets save little and fragment on
 * paths whose MTU the kernel does not know yet. */
#define MAX_PAYLOAD_MTU (P2P_TRANSPORT_MAX_PACKET - P2P_PATH_MTU_EXTENSION_SLACK)

/*
 * p2p_path_mtu_read:
 * @remote: the peer's address
 *
 * The kernel's path MTU towards @remote (its route's MTU, or what Path MTU
 * discovery learned since), read with IP_MTU / IPV6_MTU from a fresh UDP
 * socket connected to it: connecting libnice's shared socket (or a
 * duplicate of it, which shares the connection state) would filter what
 * it receives.
 *
 * Returns: the MTU in bytes (IP packet size), or -1 when unknown
 */
gint
p2p_path_mtu_read (const NiceAddress * remote)
{
  struct sockaddr_storage peer;
  socklen_t size;
  gint fd, mtu = -1;
  socklen_t mtu_size = sizeof (mtu);

  memset (&peer, 0, sizeof (peer));
  nice_address_copy_to_sockaddr (remote, (struct sockaddr *) &peer);
  size = peer.ss_family == AF_INET6 ? sizeof (struct sockaddr_in6) :
      sizeof (struct sockaddr_in);
  fd = socket (peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &peer, size) < 0
      || getsockopt (fd, peer.ss_family == AF_INET6 ? IPPROTO_IPV6 :
          IPPROTO_IP, peer.ss_family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu,
          &mtu_size) < 0)
    mtu = -1;
  close (fd);
  return mtu > 0 ? mtu : -1;
}

static gboolean
through_nat (const NiceCandidate * c)
{
  return c->type == NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE
      || c->type == NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
}

/* A UDP pair without a relay: the kernel's path MTU is that of the
 * media's path. */
static gboolean
direct_udp (const NiceCandidate * local, const NiceCandidate * remote)
{
  return local->transport == NICE_CANDIDATE_TRANSPORT_UDP
      && local->type != NICE_CANDIDATE_TYPE_RELAYED
      && remote->type != NICE_CANDIDATE_TYPE_RELAYED;
}

static gint
ip_header_size (const NiceAddress * remote)
{
  return nice_address_ip_version (remote) == 6 ? 40 : 20;
}

/*
 * p2p_path_mtu_payload:
 * @local: the selected pair's local candidate
 * @remote: its remote candidate
 * @path_mtu: (out): the kernel's path MTU towards @remote on a UDP pair
 *     without a relay, else -1
 *
 * Reads the path MTU (p2p_path_mtu_read()) of a direct UDP pair and
 * returns p2p_path_mtu_payload_for() it.
 *
 * Returns: the size in bytes
 */
gint
p2p_path_mtu_payload (const NiceCandidate * local,
    const NiceCandidate * remote, gint * path_mtu)
{
  *path_mtu = direct_udp (local, remote) ?
      p2p_path_mtu_read (&remote->addr) : -1;
  return p2p_path_mtu_payload_for (local, remote, *path_mtu);
}

/*
 * p2p_path_mtu_payload_for:
 * @local: the selected pair's local candidate
 * @remote: its remote candidate
 * @path_mtu: the kernel's path MTU towards @remote, -1 when unknown
 *
 * The RTP packet size (a payloader's `mtu`, before SRTP and header
 * extensions) the pair carries without fragmenting: from the kernel's path
 * MTU on a UDP pair of two host candidates, at most
 * %P2P_TRANSPORT_MAX_PACKET - %P2P_PATH_MTU_EXTENSION_SLACK;
 * %P2P_TRANSPORT_SAFE_PAYLOAD_MTU through a NAT, on TURN and TCP pairs,
 * and whenever the path MTU is unknown. A direct UDP pair whose path MTU
 * is known to be smaller than the safe size needs (a link's MTU lowered,
 * or an ICMP that lowered the path's) gets less, down to
 * %P2P_PATH_MTU_MIN_PAYLOAD.
 *
 * Returns: the size in bytes
 */
gint
p2p_path_mtu_payload_for (const NiceCandidate * local,
    const NiceCandidate * remote, gint path_mtu)
{
  gint mtu;

  if (!direct_udp (local, remote) || path_mtu < 0)
    return P2P_TRANSPORT_SAFE_PAYLOAD_MTU;
  mtu = path_mtu - ip_header_size (&remote->addr) - DIRECT_PATH_OVERHEAD;
  if (through_nat (local) || through_nat (remote))
    return CLAMP (mtu, P2P_PATH_MTU_MIN_PAYLOAD,
        P2P_TRANSPORT_SAFE_PAYLOAD_MTU);
  return CLAMP (mtu, P2P_PATH_MTU_MIN_PAYLOAD, MAX_PAYLOAD_MTU);
}

/*
 * p2p_path_mtu_max_datagram:
 * @remote: the peer's address
 * @path_mtu: the kernel's path MTU towards @remote, -1 when unknown
 *
 * The largest UDP payload (an SRTP datagram) that leaves towards @remote
 * unfragmented: the largest segment UDP GSO takes on that path.
 *
 * Returns: the size in bytes, 0 when unknown
 */
gsize
p2p_path_mtu_max_datagram (const NiceAddress * remote, gint path_mtu)
{
  gint max = path_mtu - ip_header_size (remote) - 8;

  return path_mtu > 0 && max > 0 ? (gsize) max : 0;
}
