/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Which of the machine's addresses become host candidates.
 *
 * libnice, left to itself, offers every address of every interface: an NVR
 * or a developer laptop with docker0, a few bridges and a VPN offered 60
 * host candidates, every one paired with every candidate of the peer, and
 * libnice 0.1.21 prunes its check list to 100 pairs lowest priority first,
 * i.e. the server-reflexive and relayed pairs that were the only working
 * ones. So the transport chooses the addresses itself:
 *
 * 1. interfaces that are down, loopback interfaces, and loopback, multicast,
 *    unspecified and IPv6 link-local addresses are never offered (an IPv6
 *    link-local candidate needs a scope the peer cannot know);
 * 2. interfaces named like container, virtual-machine and VPN interfaces
 *    (p2p_host_interface_is_virtual()) and IPv4 link-local addresses
 *    (169.254/16) are offered only when no other address exists: they lead
 *    to this machine's own guests, or into a tunnel whose far end is rarely
 *    the peer, and a hole punch or the relay serves the peer anyway;
 * 3. one address per interface and family: for IPv6 a global one before a
 *    unique-local one, otherwise the first the kernel lists;
 * 4. interfaces with a default route first, then in the kernel's order, at
 *    most @max_per_family addresses of each family.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-host-addresses.h"

#include <string.h>
#ifdef G_OS_UNIX
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#endif

/* Container bridges and veths (Docker, Podman, LXC/LXD, libvirt, CNI
 * plugins, Kubernetes), virtual-machine host networks (VMware,
 * VirtualBox) and tunnels (tun/tap, WireGuard, Tailscale, ZeroTier, GRE,
 * SIT, IP-in-IP). */
static const gchar *const virtual_prefixes[] = {
  "docker", "veth", "br-", "virbr", "vnet", "vmnet", "vboxnet", "lxc",
  "lxdbr", "podman", "cni", "flannel", "cali", "cilium", "kube", "weave",
  "tun", "tap", "wg", "tailscale", "zt", "utun", "ppp", "gre", "gretap",
  "sit", "ipip", "ip6tnl",
};

/**
 * p2p_host_interface_is_virtual:
 * @name: an interface name
 *
 * Whether @name is the name of a container, virtual-machine or VPN
 * interface (a prefix such as `docker`, `veth`, `br-`, `virbr`, `tun`,
 * `tap`, `wg`; the list is in p2p-host-addresses.c).
 *
 * Returns: %TRUE for such an interface
 */
gboolean
p2p_host_interface_is_virtual (const gchar * name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (virtual_prefixes); i++)
    if (g_str_has_prefix (name, virtual_prefixes[i]))
      return TRUE;
  return FALSE;
}

/* 0 = offer, 1 = only if nothing of tier 0, 2 = only if nothing better,
 * -1 = never. */
static gint
address_tier (const P2pHostInterface * it)
{
  GInetAddress *a = it->address;

  if (!it->up || it->loopback || g_inet_address_get_is_loopback (a)
      || g_inet_address_get_is_multicast (a) || g_inet_address_get_is_any (a))
    return -1;
  if (g_inet_address_get_is_link_local (a))
    return g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV6 ? -1 : 2;
  if (p2p_host_interface_is_virtual (it->name))
    return 1;
  return 0;
}

/* Among one interface's addresses of one family, IPv6 global unicast
 * (2000::/3) beats unique-local; otherwise the first listed wins. */
static gint
address_rank (GInetAddress * a)
{
  const guint8 *b;

  if (g_inet_address_get_family (a) != G_SOCKET_FAMILY_IPV6)
    return 0;
  b = g_inet_address_to_bytes (a);
  return (b[0] & 0xe0) == 0x20 ? 0 : 1;
}

/**
 * p2p_host_addresses_choose:
 * @ifaces: (array length=n_ifaces): the machine's interface addresses, in
 *     the kernel's order
 * @n_ifaces: their number
 * @max_per_family: most addresses of each family to return
 *
 * Applies the rules at the top of this file.
 *
 * Returns: (transfer full) (element-type utf8): the addresses to offer,
 *     best first
 */
GPtrArray *
p2p_host_addresses_choose (const P2pHostInterface * ifaces, guint n_ifaces,
    guint max_per_family)
{
  g_autofree gint *tier = g_new0 (gint, MAX (n_ifaces, 1));
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gint best = 3, pass;
  guint i, j, n4 = 0, n6 = 0;

  for (i = 0; i < n_ifaces; i++) {
    tier[i] = address_tier (&ifaces[i]);
    if (tier[i] >= 0)
      best = MIN (best, tier[i]);
  }
  /* One address per interface and family: later duplicates drop out. */
  for (i = 0; i < n_ifaces; i++) {
    GSocketFamily fam;

    if (tier[i] != best)
      continue;
    fam = g_inet_address_get_family (ifaces[i].address);
    for (j = 0; j < n_ifaces; j++) {
      if (j == i || tier[j] != best
          || g_strcmp0 (ifaces[j].name, ifaces[i].name) != 0
          || g_inet_address_get_family (ifaces[j].address) != fam)
        continue;
      if (address_rank (ifaces[j].address) < address_rank (ifaces[i].address)
          || (address_rank (ifaces[j].address) ==
              address_rank (ifaces[i].address) && j < i)) {
        tier[i] = -1;
        break;
      }
    }
  }
  /* Default-route interfaces first, then the rest, each in kernel order. */
  for (pass = 0; pass < 2; pass++) {
    for (i = 0; i < n_ifaces; i++) {
      gboolean v6;

      if (tier[i] != best || (pass == 0) != ifaces[i].default_route)
        continue;
      v6 = g_inet_address_get_family (ifaces[i].address) ==
          G_SOCKET_FAMILY_IPV6;
      if ((v6 ? n6 : n4) >= max_per_family)
        continue;
      if (v6)
        n6++;
      else
        n4++;
      g_ptr_array_add (out, g_inet_address_to_string (ifaces[i].address));
    }
  }
  return out;
}

/* The first @n whitespace-separated fields of @line into @col; whether
 * there were that many. */
static gboolean
split_columns (const gchar * line, const gchar ** col, guint n, GStrv * storage)
{
  guint got = 0, k;

  *storage = g_strsplit_set (line, " \t", -1);
  for (k = 0; (*storage)[k] && got < n; k++)
    if ((*storage)[k][0])
      col[got++] = (*storage)[k];
  return got == n;
}

/* Names of the interfaces a default route leaves through, from the
 * kernel's route tables (Linux /proc; elsewhere none is known and the
 * kernel's order alone ranks). */
static GHashTable *
default_route_interfaces (void)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  g_autofree gchar *v4 = NULL, *v6 = NULL;
  g_auto (GStrv) lines = NULL;
  guint i;

  if (g_file_get_contents ("/proc/net/route", &v4, NULL, NULL)) {
    lines = g_strsplit (v4, "\n", -1);
    /* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
    for (i = 1; lines[i]; i++) {
      g_auto (GStrv) f = NULL;
      const gchar *col[8] = { NULL };

      if (split_columns (lines[i], col, 8, &f)
          && g_str_equal (col[1], "00000000")
          && g_str_equal (col[7], "00000000"))
        g_hash_table_add (set, g_strdup (col[0]));
    }
    g_clear_pointer (&lines, g_strfreev);
  }
  if (g_file_get_contents ("/proc/net/ipv6_route", &v6, NULL, NULL)) {
    lines = g_strsplit (v6, "\n", -1);
    /* dest plen src plen nexthop metric refcnt use flags iface */
    for (i = 0; lines[i]; i++) {
      g_auto (GStrv) f = NULL;
      const gchar *col[10] = { NULL };

      if (split_columns (lines[i], col, 10, &f) && g_str_equal (col[1], "00")
          && strspn (col[0], "0") == 32 && !g_str_equal (col[9], "lo"))
        g_hash_table_add (set, g_strdup (col[9]));
    }
  }
  return set;
}

/**
 * p2p_host_addresses_get:
 *
 * The machine's addresses to offer as host candidates
 * (p2p_host_addresses_choose() over every interface address, at most
 * %P2P_HOST_ADDRESSES_MAX_PER_FAMILY per family).
 *
 * Returns: (transfer full) (element-type utf8): the addresses, best first;
 *     empty when they cannot be listed (libnice then chooses)
 */
GPtrArray *
p2p_host_addresses_get (void)
{
#ifdef G_OS_UNIX
  struct ifaddrs *list = NULL, *ifa;
  g_autoptr (GArray) ifaces = g_array_new (FALSE, TRUE,
      sizeof (P2pHostInterface));
  g_autoptr (GHashTable) defaults = NULL;
  GPtrArray *out;
  guint i;

  if (getifaddrs (&list) != 0)
    return g_ptr_array_new_with_free_func (g_free);
  defaults = default_route_interfaces ();
  for (ifa = list; ifa; ifa = ifa->ifa_next) {
    P2pHostInterface it = { 0 };
    GSocketAddress *sa;

    if (ifa->ifa_addr == NULL || (ifa->ifa_addr->sa_family != AF_INET
            && ifa->ifa_addr->sa_family != AF_INET6))
      continue;
    sa = g_socket_address_new_from_native (ifa->ifa_addr,
        ifa->ifa_addr->sa_family == AF_INET ? sizeof (struct sockaddr_in) :
        sizeof (struct sockaddr_in6));
    if (sa == NULL)
      continue;
    it.name = ifa->ifa_name;
    it.up = (ifa->ifa_flags & IFF_UP) && (ifa->ifa_flags & IFF_RUNNING);
    it.loopback = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
    it.default_route = g_hash_table_contains (defaults, ifa->ifa_name);
    it.address = g_object_ref (g_inet_socket_address_get_address
        (G_INET_SOCKET_ADDRESS (sa)));
    g_object_unref (sa);
    g_array_append_val (ifaces, it);
  }
  out = p2p_host_addresses_choose ((P2pHostInterface *) ifaces->data,
      ifaces->len, P2P_HOST_ADDRESSES_MAX_PER_FAMILY);
  for (i = 0; i < ifaces->len; i++)
    g_object_unref (g_array_index (ifaces, P2pHostInterface, i).address);
  freeifaddrs (list);
  return out;
#else
  return g_ptr_array_new_with_free_func (g_free);
#endif
}

/**
 * p2p_host_address_get_link_local:
 * @scope_id: an interface index
 *
 * The IPv6 link-local address of interface @scope_id, with the scope set:
 * rule 1 at the top of this file keeps such addresses out of the
 * candidates of every call, a call whose peer is a neighbour on that very
 * link (p2p_transport_set_link_local_scope()) adds it back.
 *
 * Returns: (transfer full) (nullable): a #GInetSocketAddress (port 0), or
 *     %NULL when the interface is down or has none
 */
GSocketAddress *
p2p_host_address_get_link_local (guint scope_id)
{
#ifdef G_OS_UNIX
  struct ifaddrs *list = NULL, *ifa;
  GSocketAddress *found = NULL;

  if (scope_id == 0 || getifaddrs (&list) != 0)
    return NULL;
  for (ifa = list; ifa && !found; ifa = ifa->ifa_next) {
    const struct sockaddr_in6 *sin6 = (const void *) ifa->ifa_addr;

    if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET6
        || !(ifa->ifa_flags & IFF_UP)
        || !IN6_IS_ADDR_LINKLOCAL (&sin6->sin6_addr)
        || if_nametoindex (ifa->ifa_name) != scope_id)
      continue;
    /* The kernel gives link-local addresses their scope. */
    found = g_socket_address_new_from_native (ifa->ifa_addr,
        sizeof (struct sockaddr_in6));
  }
  freeifaddrs (list);
  return found;
#else
  return NULL;
#endif
}
