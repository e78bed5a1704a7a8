/* p2p-core tests: which addresses become host candidates, and a peer's
 * description with more candidates than are kept (issue 16).
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include "p2p-host-addresses.h"
#include "p2p-sdp.h"
#include "p2p-transport.h"

typedef struct
{
  const gchar *name;
  const gchar *address;
  gboolean down;
  gboolean default_route;
} Iface;

/* Runs the choice over @spec and returns the chosen addresses joined by
 * spaces. */
static gchar *
choose (const Iface * spec, guint n, guint max)
{
  g_autofree P2pHostInterface *ifaces = g_new0 (P2pHostInterface, n);
  g_autoptr (GPtrArray) out = NULL;
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < n; i++) {
    ifaces[i].name = spec[i].name;
    ifaces[i].up = !spec[i].down;
    ifaces[i].loopback = g_str_equal (spec[i].name, "lo");
    ifaces[i].default_route = spec[i].default_route;
    ifaces[i].address = g_inet_address_new_from_string (spec[i].address);
    g_assert_nonnull (ifaces[i].address);
  }
  out = p2p_host_addresses_choose (ifaces, n, max);
  for (i = 0; i < out->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "",
        (gchar *) g_ptr_array_index (out, i));
  for (i = 0; i < n; i++)
    g_object_unref (ifaces[i].address);
  return g_string_free (s, FALSE);
}

/* A busy NVR box: the physical interface wins, containers, bridges, VPNs,
 * down and link-local-only interfaces are left out, one address per
 * interface and family, the default-route interface first. */
static void
test_busy_host (void)
{
  const Iface busy[] = {
    {"lo", "127.0.0.1"},
    {"lo", "::1"},
    {"docker0", "172.17.0.1"},
    {"br-3f2a", "172.18.0.1"},
    {"veth12ab", "fe80::1"},
    {"virbr0", "192.168.122.1"},
    {"wg0", "10.8.0.2"},
    {"tun0", "10.9.0.2"},
    {"eth1", "10.1.1.5", TRUE},
    {"ll0", "169.254.3.4"},
    {"wlan0", "192.168.5.20"},
    {"eth0", "192.168.1.10", FALSE, TRUE},
    {"eth0", "192.168.1.11", FALSE, TRUE},
    {"eth0", "fe80::2", FALSE, TRUE},
    {"eth0", "fd00::10", FALSE, TRUE},
    {"eth0", "2001:db8::10", FALSE, TRUE},
  };
  g_autofree gchar *got = choose (busy, G_N_ELEMENTS (busy), 4);

  g_assert_cmpstr (got, ==, "192.168.1.10 2001:db8::10 192.168.5.20");
}

/* Only virtual interfaces: they are offered after all, then link-local
 * only when nothing else exists; and the cap holds per family. */
static void
test_fallbacks_and_cap (void)
{
  const Iface only_virtual[] = {
    {"docker0", "172.17.0.1"},
    {"ll0", "169.254.3.4"},
    {"wg0", "10.8.0.2"},
  };
  const Iface only_link_local[] = {
    {"eth0", "169.254.3.4"},
    {"eth0", "fe80::1"},
  };
  const Iface many[] = {
    {"e0", "10.0.0.1"}, {"e1", "10.0.1.1"}, {"e2", "10.0.2.1"},
    {"e3", "10.0.3.1"}, {"e4", "10.0.4.1"}, {"e5", "10.0.5.1", FALSE, TRUE},
  };
  g_autofree gchar *a = choose (only_virtual, G_N_ELEMENTS (only_virtual), 4);
  g_autofree gchar *b = choose (only_link_local,
      G_N_ELEMENTS (only_link_local), 4);
  g_autofree gchar *c = choose (many, G_N_ELEMENTS (many), 4);

  g_assert_cmpstr (a, ==, "172.17.0.1 10.8.0.2");
  g_assert_cmpstr (b, ==, "169.254.3.4");
  g_assert_cmpstr (c, ==, "10.0.5.1 10.0.0.1 10.0.1.1 10.0.2.1");
  g_assert_true (p2p_host_interface_is_virtual ("virbr0"));
  g_assert_false (p2p_host_interface_is_virtual ("enp3s0"));
}

/* A description with 64 host candidates and then the server-reflexive and
 * relayed ones (what a host with 20 interfaces sent) is accepted, keeps
 * the non-host ones, and a 65th candidate no longer refuses it. */
static void
test_sdp_many_candidates (void)
{
  GString *sdp = g_string_new ("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\n"
      "t=0 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
      "a=setup:actpass\r\na=fingerprint:sha-256 "
      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
  P2pSdpTransport t;
  g_autoptr (GError) error = NULL;
  GstSDPMessage *msg;
  guint i, hosts = 0, others = 0;

  for (i = 0; i < 70; i++)
    g_string_append_printf (sdp, "a=candidate:%u 1 UDP 2013266431 "
        "10.0.%u.%u 4000%u typ host\r\n", i, i / 200, i % 200, i % 10);
  g_string_append (sdp, "a=candidate:900 1 UDP 1677721855 198.51.100.7 "
      "40000 typ srflx raddr 10.0.0.1 rport 40000\r\n");
  g_string_append (sdp, "a=candidate:901 1 UDP 16777215 203.0.113.9 "
      "50000 typ relay raddr 198.51.100.7 rport 40000\r\n");

  msg = p2p_sdp_parse (sdp->str, &t, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_cmpuint (t.candidates->len, ==, P2P_SDP_MAX_CANDIDATES);
  for (i = 0; i < t.candidates->len; i++) {
    if (strstr (g_ptr_array_index (t.candidates, i), " typ host"))
      hosts++;
    else
      others++;
  }
  g_assert_cmpuint (others, ==, 2);
  g_assert_cmpuint (hosts, ==, P2P_SDP_MAX_CANDIDATES - 2);
  gst_sdp_message_free (msg);
  p2p_sdp_transport_clear (&t);
  g_string_free (sdp, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/host-addresses/busy-host", test_busy_host);
  g_test_add_func ("/p2p/host-addresses/fallbacks-and-cap",
      test_fallbacks_and_cap);
  g_test_add_func ("/p2p/host-addresses/sdp-many-candidates",
      test_sdp_many_candidates);
  return g_test_run ();
}
