/* p2p-core tests: the RTP packet size chosen for a selected ICE pair
 * (issue 13): the kernel's path MTU on a pair of host candidates, the safe
 * size through a NAT, on TURN and on TCP.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-path-mtu.h"
#include "p2p-transport.h"

/* The largest size a direct path gets (loopback's MTU is far above it). */
#define DIRECT_MAX (P2P_TRANSPORT_MAX_PACKET - P2P_PATH_MTU_EXTENSION_SLACK)

/* A candidate of @type on @address, port 9: the size is read from a socket
 * connected to it, which sends nothing. */
static NiceCandidate *
candidate (NiceCandidateType type, NiceCandidateTransport transport,
    const gchar * address)
{
  NiceCandidate *c = nice_candidate_new (type);

  c->transport = transport;
  g_assert_true (nice_address_set_from_string (&c->addr, address));
  nice_address_set_port (&c->addr, 9);
  return c;
}

/* The payload size of the pair @local_type / @remote_type on @address;
 * the kernel's figure into *@path_mtu. */
static gint
payload (NiceCandidateType local_type, NiceCandidateType remote_type,
    NiceCandidateTransport transport, const gchar * address, gint * path_mtu)
{
  NiceCandidate *local = candidate (local_type, transport, address);
  NiceCandidate *remote = candidate (remote_type, transport, address);
  gint mtu = p2p_path_mtu_payload (local, remote, path_mtu);

  nice_candidate_free (local);
  nice_candidate_free (remote);
  return mtu;
}

/* Two host candidates: the path is the local route, whose MTU the kernel
 * knows; loopback's is far above the cap. */
static void
test_host_pair (void)
{
  gint path;

  g_assert_cmpint (payload (NICE_CANDIDATE_TYPE_HOST,
          NICE_CANDIDATE_TYPE_HOST, NICE_CANDIDATE_TRANSPORT_UDP,
          "127.0.0.1", &path), ==, DIRECT_MAX);
  g_assert_cmpint (path, >=, 1500);
}

/* Through a NAT the local route says nothing about the rest of the path
 * (a tunnel beyond the NAT, an ICMP filter): a packet sized from it could
 * vanish whole, so each reflexive end brings the pair to the safe size.
 * The kernel's figure is still reported. */
static void
test_through_nat (void)
{
  const NiceCandidateType reflexive[] = {
    NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE,
    NICE_CANDIDATE_TYPE_PEER_REFLEXIVE,
  };
  guint i;
  gint path;

  for (i = 0; i < G_N_ELEMENTS (reflexive); i++) {
    g_assert_cmpint (payload (NICE_CANDIDATE_TYPE_HOST, reflexive[i],
            NICE_CANDIDATE_TRANSPORT_UDP, "127.0.0.1", &path), ==,
        P2P_TRANSPORT_SAFE_PAYLOAD_MTU);
    g_assert_cmpint (path, >=, 1500);
    g_assert_cmpint (payload (reflexive[i], NICE_CANDIDATE_TYPE_HOST,
            NICE_CANDIDATE_TRANSPORT_UDP, "127.0.0.1", &path), ==,
        P2P_TRANSPORT_SAFE_PAYLOAD_MTU);
    g_assert_cmpint (payload (reflexive[i], reflexive[i],
            NICE_CANDIDATE_TRANSPORT_UDP, "127.0.0.1", &path), ==,
        P2P_TRANSPORT_SAFE_PAYLOAD_MTU);
  }
}

/* TURN (channel framing, the relay's own path) and TCP pairs: the safe
 * size, no path MTU. */
static void
test_relay_and_tcp (void)
{
  gint path;

  g_assert_cmpint (payload (NICE_CANDIDATE_TYPE_RELAYED,
          NICE_CANDIDATE_TYPE_HOST, NICE_CANDIDATE_TRANSPORT_UDP,
          "127.0.0.1", &path), ==, P2P_TRANSPORT_SAFE_PAYLOAD_MTU);
  g_assert_cmpint (path, ==, -1);
  g_assert_cmpint (payload (NICE_CANDIDATE_TYPE_HOST,
          NICE_CANDIDATE_TYPE_RELAYED, NICE_CANDIDATE_TRANSPORT_UDP,
          "127.0.0.1", &path), ==, P2P_TRANSPORT_SAFE_PAYLOAD_MTU);
  g_assert_cmpint (path, ==, -1);
  g_assert_cmpint (payload (NICE_CANDIDATE_TYPE_HOST,
          NICE_CANDIDATE_TYPE_HOST, NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE,
          "127.0.0.1", &path), ==, P2P_TRANSPORT_SAFE_PAYLOAD_MTU);
  g_assert_cmpint (path, ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/path-mtu/host-pair", test_host_pair);
  g_test_add_func ("/p2p/path-mtu/through-nat", test_through_nat);
  g_test_add_func ("/p2p/path-mtu/relay-and-tcp", test_relay_and_tcp);
  return g_test_run ();
}
