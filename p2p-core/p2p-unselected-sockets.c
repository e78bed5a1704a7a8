/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The sockets of an ICE agent's local candidates that the settled call
 * does not use, left out of the loop's polls (p2p_loop_park()).
 *
 * An agent opens a UDP socket and an ICE-TCP listener per local address
 * (two families on most hosts: four sockets), and once ICE has settled on
 * a direct UDP pair only that pair's socket carries packets: media,
 * feedback, DTLS, the message channel and consent checks. libnice 0.1.21
 * has no call to close or detach the others, yet every poll of the loop
 * asks the kernel about each: at 64 viewers a camera polled some 320
 * sockets of which 64 were in use. They are parked instead: their sources
 * stay attached, what arrives on them waits in the kernel's buffers, and
 * they are polled again before anything could need them: when the pair
 * changes, on an ICE restart (either side's), and before the agent closes
 * them.
 *
 * libnice tells neither which descriptors a candidate uses nor hands out
 * its sockets, so they are found among the loop's polled descriptors by
 * their local address (getsockname()): the base address of each host
 * candidate, UDP sockets for UDP candidates and listening sockets for
 * passive ICE-TCP ones. A socket that also serves as the base of a relayed
 * candidate stays polled: libnice refreshes the TURN allocation through
 * it. Accepted ICE-TCP connections share the listener's address but are
 * not listening, so they are left alone. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-unselected-sockets.h"

#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

struct _P2pUnselectedSockets
{
  P2pLoop *loop;
  GArray *parked;               /* gint descriptors */
  gint selected;                /* the descriptor they were parked for */
};

/* A local address to look for: the socket type and the address. */
typedef struct
{
  gint type;
  struct sockaddr_storage addr;
} Wanted;

typedef struct
{
  GArray *wanted;               /* Wanted */
  GArray *found;                /* gint */
  gint selected;
} Search;

P2pUnselectedSockets *
p2p_unselected_sockets_new (P2pLoop * loop)
{
  P2pUnselectedSockets *sockets = g_new0 (P2pUnselectedSockets, 1);

  sockets->loop = g_object_ref (loop);
  sockets->parked = g_array_new (FALSE, FALSE, sizeof (gint));
  sockets->selected = -1;
  return sockets;
}

/* The loop thread must have unparked them first
 * (p2p_unselected_sockets_unpark()). */
void
p2p_unselected_sockets_free (P2pUnselectedSockets * sockets)
{
  if (sockets == NULL)
    return;
  g_warn_if_fail (sockets->parked->len == 0);
  g_array_unref (sockets->parked);
  g_object_unref (sockets->loop);
  g_free (sockets);
}

static gboolean
same_address (const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
  if (a->ss_family != b->ss_family)
    return FALSE;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *) a;
    const struct sockaddr_in *y = (const struct sockaddr_in *) b;

    return x->sin_port == y->sin_port
        && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *) a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *) b;

    return x->sin6_port == y->sin6_port
        && memcmp (&x->sin6_addr, &y->sin6_addr, sizeof (x->sin6_addr)) == 0;
  }
  return FALSE;
}

static void
add_wanted (GArray * wanted, gint type, const NiceAddress * addr)
{
  Wanted w;

  memset (&w, 0, sizeof (w));
  w.type = type;
  nice_address_copy_to_sockaddr (addr, (struct sockaddr *) &w.addr);
  g_array_append_val (wanted, w);
}

static void
remove_wanted (GArray * wanted, const NiceAddress * addr)
{
  struct sockaddr_storage a;
  guint i;

  memset (&a, 0, sizeof (a));
  nice_address_copy_to_sockaddr (addr, (struct sockaddr *) &a);
  for (i = wanted->len; i > 0; i--)
    if (g_array_index (wanted, Wanted, i - 1).type == SOCK_DGRAM
        && same_address (&g_array_index (wanted, Wanted, i - 1).addr, &a))
      g_array_remove_index_fast (wanted, i - 1);
}

static void
match_polled (gint fd, gpointer data)
{
  Search *search = data;
  struct sockaddr_storage addr;
  socklen_t size = sizeof (addr);
  gint type, listening = 0;
  socklen_t opt_size = sizeof (type);
  guint i;

  if (fd == search->selected)
    return;
  for (i = 0; i < search->found->len; i++)
    if (g_array_index (search->found, gint, i) == fd)
      return;
  memset (&addr, 0, sizeof (addr));
  if (getsockname (fd, (struct sockaddr *) &addr, &size) < 0
      || (addr.ss_family != AF_INET && addr.ss_family != AF_INET6))
    return;
  for (i = 0; i < search->wanted->len; i++) {
    const Wanted *w = &g_array_index (search->wanted, Wanted, i);

    if (!same_address (&w->addr, &addr))
      continue;
    if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &opt_size) < 0
        || type != w->type)
      continue;
    opt_size = sizeof (listening);
    if (type == SOCK_STREAM
        && (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
                &opt_size) < 0 || !listening))
      continue;
    g_array_append_val (search->found, fd);
    return;
  }
}

/* Parks the sockets of @agent's host candidates on @stream_id /
 * @component_id other than @selected, the selected pair's descriptor,
 * after unparking any parked for another selected descriptor. Loop
 * thread. */
void
p2p_unselected_sockets_park (P2pUnselectedSockets * sockets,
    NiceAgent * agent, guint stream_id, guint component_id, gint selected)
{
  GSList *locals, *l;
  Search search;
  guint i;

  if (sockets->parked->len > 0 && sockets->selected == selected)
    return;
  p2p_unselected_sockets_unpark (sockets);

  search.wanted = g_array_new (FALSE, FALSE, sizeof (Wanted));
  search.found = g_array_new (FALSE, FALSE, sizeof (gint));
  search.selected = selected;
  locals = nice_agent_get_local_candidates (agent, stream_id, component_id);
  for (l = locals; l; l = l->next) {
    const NiceCandidate *c = l->data;

    if (c->type != NICE_CANDIDATE_TYPE_HOST)
      continue;
    if (c->transport == NICE_CANDIDATE_TRANSPORT_UDP)
      add_wanted (search.wanted, SOCK_DGRAM, &c->base_addr);
    else if (c->transport == NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE)
      add_wanted (search.wanted, SOCK_STREAM, &c->base_addr);
  }
  for (l = locals; l; l = l->next) {
    const NiceCandidate *c = l->data;

    if (c->type == NICE_CANDIDATE_TYPE_RELAYED)
      remove_wanted (search.wanted, &c->base_addr);
  }
  g_slist_free_full (locals, (GDestroyNotify) nice_candidate_free);

  if (search.wanted->len > 0)
    p2p_loop_foreach_polled (sockets->loop, match_polled, &search);
  for (i = 0; i < search.found->len; i++) {
    gint fd = g_array_index (search.found, gint, i);

    p2p_loop_park (sockets->loop, fd);
    g_array_append_val (sockets->parked, fd);
  }
  sockets->selected = selected;
  g_array_unref (search.wanted);
  g_array_unref (search.found);
}

/* Polls the parked sockets again. Loop thread; before libnice may close
 * them. */
void
p2p_unselected_sockets_unpark (P2pUnselectedSockets * sockets)
{
  guint i;

  for (i = 0; i < sockets->parked->len; i++)
    p2p_loop_unpark (sockets->loop, g_array_index (sockets->parked, gint, i));
  g_array_set_size (sockets->parked, 0);
  sockets->selected = -1;
}

/* How many sockets are parked. Loop thread. */
guint
p2p_unselected_sockets_count (P2pUnselectedSockets * sockets)
{
  return sockets->parked->len;
}
