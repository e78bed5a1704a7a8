/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A port mapping on the host's gateway, asked with PCP (RFC 6887) and,
 * when the gateway speaks only its predecessor, NAT-PMP (RFC 6886) (issue
 * 16). The gateway then forwards an external port to the ICE socket, so a
 * peer reaches us even through a symmetric NAT: the transport offers the
 * external address as one more candidate.
 *
 * Everything is asynchronous on the caller's context: the first
 * candidates never wait for the gateway. A gateway that does not answer
 * costs a few small packets over about 4 s, then nothing. A granted
 * mapping is renewed at half its lifetime and deleted (lifetime 0) when
 * freed.
 *
 * Both protocols use a few fixed-layout UDP messages to the gateway's
 * port 5351, so they are spoken here directly.
 *
 * Many home routers speak only UPnP IGD. It is tried when PCP has gone
 * unanswered for its first UPNP_AFTER_TRIES requests (750 ms; a LAN
 * gateway that speaks PCP or NAT-PMP answers in milliseconds), not in
 * parallel: its discovery is SSDP multicast on the LAN and a few HTTP
 * requests, which a gateway that grants PCP should not cost. UPnP is
 * spoken with miniupnpc, whose calls block, so each step runs in a
 * GTask thread and reports back on the caller's context. One discovery
 * (one M-SEARCH burst, UPNP_DISCOVER_MS) per mapping, sent only on the
 * default route's interface; the mapping is renewed at half its lease
 * and deleted when freed, like the others.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-port-mapping.h"

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <stdio.h>
#include <string.h>

/* Requests are sent again after 250 ms, doubling, this many times in all
 * (RFC 6887 section 8.1.1 starts at 3 s, meant for a first packet that
 * may wake a link; a LAN gateway answers in milliseconds and the mapping
 * is only useful while ICE still checks). */
#define REQUEST_FIRST_MS 250
#define REQUEST_TRIES 5
/* The lifetime asked for, in seconds; renewed at half of what is granted. */
#define REQUESTED_LIFETIME 3600
#define MIN_RENEW_S 1

/* UPnP IGD: tried after this many unanswered PCP requests; its SSDP
 * search waits this long for answers, with this multicast TTL. */
#define UPNP_AFTER_TRIES 2
#define UPNP_DISCOVER_MS 1000
#define UPNP_TTL 2
#define UPNP_DESCRIPTION "gst-p2p"

#define PCP_VERSION 2
#define PCP_OPCODE_MAP 1
#define PCP_RESPONSE 0x80
#define PCP_REQUEST_SIZE 60
#define PCP_RESULT_UNSUPP_VERSION 1

#define NATPMP_VERSION 0
#define NATPMP_OP_ADDRESS 0
#define NATPMP_OP_MAP_UDP 1

#define IPPROTO_UDP_NUMBER 17

typedef enum
{
  STEP_PCP_MAP,
  STEP_NATPMP_ADDRESS,
  STEP_NATPMP_MAP,
  STEP_DONE,
} Step;

/* One UPnP IGD step, run in a thread: discovery and mapping (no
 * control_url yet), renewal (external_port set) or deletion (lifetime
 * 0). Owned by its task; owner is cleared when the mapping is freed
 * first. */
typedef struct
{
  P2pPortMapping *owner;
  gchar *iface;
  gchar *location;
  gchar *control_url;
  gchar *service_type;
  gchar internal_ip[16];
  guint internal_port;
  guint external_port;
  gchar external_ip[40];
  guint lifetime;
} UpnpJob;

struct _P2pPortMapping
{
  GMainContext *context;
  GSocket *socket;
  GSocketAddress *gateway;
  GSource *receive_source;
  GSource *timer;
  guint8 internal_ip[4];
  gchar internal_text[16];
  guint internal_port;
  guint8 nonce[12];
  Step step;
  guint tries;
  guint timeout_ms;
  guint lifetime;               /* what is asked: REQUESTED_LIFETIME or 0 */
  gboolean mapped;              /* the gateway granted it once */
  gboolean natpmp;              /* granted through NAT-PMP, renewed so */
  gboolean reported;            /* callback called */
  gchar *iface;                 /* the default route's, for SSDP */
  gboolean upnp_off;
  gchar *upnp_location;         /* the IGD's description, found if NULL */
  GCancellable *upnp_cancel;
  UpnpJob *upnp_job;            /* the step in flight, owned by its task */
  UpnpJob *upnp;                /* the granted UPnP mapping */
  GSource *upnp_timer;
  guint8 external_ip[4];
  guint external_port;
  P2pPortMappingMapped callback;
  gpointer user_data;
};

static void mapping_send (P2pPortMapping * self);
static gchar *default_route (gchar ** gateway);

static void
put16 (guint8 * p, guint v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static void
put32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint
get16 (const guint8 * p)
{
  return (p[0] << 8) | p[1];
}

static guint32
get32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

/* An IPv4 address as PCP carries it: IPv4-mapped IPv6 (::ffff:a.b.c.d). */
static void
put_mapped_ipv4 (guint8 * p, const guint8 * ipv4)
{
  memset (p, 0, 10);
  p[10] = p[11] = 0xff;
  memcpy (p + 12, ipv4, 4);
}

static gsize
build_request (P2pPortMapping * self, guint8 * buf)
{
  static const guint8 any[4] = { 0 };

  switch (self->step) {
    case STEP_PCP_MAP:
      memset (buf, 0, PCP_REQUEST_SIZE);
      buf[0] = PCP_VERSION;
      buf[1] = PCP_OPCODE_MAP;
      put32 (buf + 4, self->lifetime);
      put_mapped_ipv4 (buf + 8, self->internal_ip);
      memcpy (buf + 24, self->nonce, 12);
      buf[36] = IPPROTO_UDP_NUMBER;
      put16 (buf + 40, self->internal_port);
      /* Renewing (or deleting) names what was granted. */
      put16 (buf + 42, self->mapped ? self->external_port : 0);
      put_mapped_ipv4 (buf + 44, self->mapped ? self->external_ip : any);
      return PCP_REQUEST_SIZE;
    case STEP_NATPMP_ADDRESS:
      buf[0] = NATPMP_VERSION;
      buf[1] = NATPMP_OP_ADDRESS;
      return 2;
    case STEP_NATPMP_MAP:
      buf[0] = NATPMP_VERSION;
      buf[1] = NATPMP_OP_MAP_UDP;
      put16 (buf + 2, 0);
      put16 (buf + 4, self->internal_port);
      put16 (buf + 6, self->mapped ? self->external_port : 0);
      put32 (buf + 8, self->lifetime);
      return 12;
    default:
      return 0;
  }
}

static gboolean
renew_cb (gpointer data)
{
  P2pPortMapping *self = data;

  g_clear_pointer (&self->timer, g_source_unref);
  self->step = self->natpmp ? STEP_NATPMP_MAP : STEP_PCP_MAP;
  self->tries = 0;
  self->timeout_ms = REQUEST_FIRST_MS;
  mapping_send (self);
  return G_SOURCE_REMOVE;
}

static void
mapping_clear_timer (P2pPortMapping * self)
{
  if (self->timer) {
    g_source_destroy (self->timer);
    g_clear_pointer (&self->timer, g_source_unref);
  }
}

static void
mapping_set_timer (P2pPortMapping * self, guint ms, GSourceFunc func)
{
  mapping_clear_timer (self);
  self->timer = g_timeout_source_new (ms);
  g_source_set_callback (self->timer, func, self, NULL);
  g_source_attach (self->timer, self->context);
}

/* Granted: reported the first time, renewed at half the lifetime with
 * the protocol that worked. */
static void
mapping_granted (P2pPortMapping * self, const guint8 * ip, guint port,
    guint32 lifetime, gboolean natpmp)
{
  gboolean first = !self->reported;
  gchar text[16];

  memcpy (self->external_ip, ip, 4);
  self->external_port = port;
  self->mapped = TRUE;
  self->natpmp = natpmp;
  self->step = STEP_DONE;
  mapping_set_timer (self, MAX (lifetime / 2, MIN_RENEW_S) * 1000, renew_cb);
  g_snprintf (text, sizeof text, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
  g_debug ("port mapping: %s:%u for %u s (%s)", text, port, lifetime,
      natpmp ? "NAT-PMP" : "PCP");
  self->reported = TRUE;
  if (first && self->callback)
    self->callback (text, port, self->user_data);
}

/* A NAT-PMP gateway answers a PCP request with its own version and
 * "unsupported version" (RFC 6887 section 9). */
static void
mapping_fall_back (P2pPortMapping * self)
{
  g_debug ("port mapping: the gateway speaks NAT-PMP");
  self->step = STEP_NATPMP_ADDRESS;
  self->tries = 0;
  self->timeout_ms = REQUEST_FIRST_MS;
  mapping_send (self);
}

static void
mapping_parse (P2pPortMapping * self, const guint8 * buf, gsize len)
{
  if (self->step == STEP_PCP_MAP && len >= 4 && buf[0] == NATPMP_VERSION
      && get16 (buf + 2) == PCP_RESULT_UNSUPP_VERSION) {
    mapping_fall_back (self);
    return;
  }
  if (self->step == STEP_PCP_MAP && len >= PCP_REQUEST_SIZE
      && buf[0] == PCP_VERSION && buf[1] == (PCP_RESPONSE | PCP_OPCODE_MAP)
      && memcmp (buf + 24, self->nonce, 12) == 0
      && buf[36] == IPPROTO_UDP_NUMBER
      && get16 (buf + 40) == self->internal_port) {
    if (buf[3] != 0) {
      g_debug ("port mapping: the gateway refused (PCP result %u)", buf[3]);
      self->step = STEP_DONE;
      mapping_clear_timer (self);
    } else if (self->lifetime > 0 && get16 (buf + 42) != 0) {
      mapping_granted (self, buf + 56, get16 (buf + 42), get32 (buf + 4),
          FALSE);
    }
    return;
  }
  if (len < 8 || buf[0] != NATPMP_VERSION)
    return;
  if (get16 (buf + 2) != 0) {
    if (buf[1] == (0x80 | NATPMP_OP_ADDRESS)
        || buf[1] == (0x80 | NATPMP_OP_MAP_UDP)) {
      g_debug ("port mapping: the gateway refused (NAT-PMP result %u)",
          get16 (buf + 2));
      self->step = STEP_DONE;
      mapping_clear_timer (self);
    }
    return;
  }
  if (self->step == STEP_NATPMP_ADDRESS && len >= 12
      && buf[1] == (0x80 | NATPMP_OP_ADDRESS)) {
    memcpy (self->external_ip, buf + 8, 4);
    self->step = STEP_NATPMP_MAP;
    self->tries = 0;
    self->timeout_ms = REQUEST_FIRST_MS;
    mapping_send (self);
  } else if (self->step == STEP_NATPMP_MAP && len >= 16
      && buf[1] == (0x80 | NATPMP_OP_MAP_UDP)
      && get16 (buf + 8) == self->internal_port && self->lifetime > 0) {
    guint8 ip[4];

    memcpy (ip, self->external_ip, 4);
    mapping_granted (self, ip, get16 (buf + 10), get32 (buf + 12), TRUE);
  }
}

static gboolean
receive_cb (GSocket * socket, GIOCondition condition, gpointer data)
{
  P2pPortMapping *self = data;
  GSocketAddress *from = NULL;
  guint8 buf[1100];
  gssize len;

  while ((len = g_socket_receive_from (socket, &from, (gchar *) buf,
              sizeof buf, NULL, NULL)) >= 0) {
    GInetSocketAddress *in = G_INET_SOCKET_ADDRESS (from);
    GInetSocketAddress *gw = G_INET_SOCKET_ADDRESS (self->gateway);

    /* Only the gateway's answers count (RFC 6887 section 8.3). */
    if (g_inet_socket_address_get_port (in) ==
        g_inet_socket_address_get_port (gw)
        && g_inet_address_equal (g_inet_socket_address_get_address (in),
            g_inet_socket_address_get_address (gw)))
      mapping_parse (self, buf, len);
    g_clear_object (&from);
  }
  return G_SOURCE_CONTINUE;
}

static void
upnp_job_free (gpointer data)
{
  UpnpJob *job = data;

  g_free (job->iface);
  g_free (job->location);
  g_free (job->control_url);
  g_free (job->service_type);
  g_free (job);
}

static UpnpJob *
upnp_job_copy (const UpnpJob * job, guint lifetime)
{
  UpnpJob *copy = g_memdup2 (job, sizeof *job);

  copy->owner = NULL;
  copy->iface = g_strdup (job->iface);
  copy->location = g_strdup (job->location);
  copy->control_url = g_strdup (job->control_url);
  copy->service_type = g_strdup (job->service_type);
  copy->lifetime = lifetime;
  return copy;
}

/* Finds the gateway's IGD on the default route's interface: one SSDP
 * search, then its description over HTTP. */
static gboolean
upnp_discover (UpnpJob * job, GError ** error)
{
  struct UPNPDev *devices;
  struct UPNPUrls urls;
  struct IGDdatas data;
  char lan[64];
  int err = 0, found;

  if (job->location) {
    memset (&urls, 0, sizeof urls);
    if (!UPNP_GetIGDFromUrl (job->location, &urls, &data, lan, sizeof lan)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "no IGD at %s", job->location);
      return FALSE;
    }
    job->control_url = g_strdup (urls.controlURL);
    job->service_type = g_strdup (data.first.servicetype);
    FreeUPNPUrls (&urls);
    return TRUE;
  }
  devices = upnpDiscover (UPNP_DISCOVER_MS, job->iface, NULL,
      UPNP_LOCAL_PORT_ANY, 0, UPNP_TTL, &err);
  if (devices == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no UPnP device answered (%d)", err);
    return FALSE;
  }
  memset (&urls, 0, sizeof urls);
  found = UPNP_GetValidIGD (devices, &urls, &data, lan, sizeof lan);
  freeUPNPDevlist (devices);
  if (found == 1) {
    job->control_url = g_strdup (urls.controlURL);
    job->service_type = g_strdup (data.first.servicetype);
  }
  if (found != 0)
    FreeUPNPUrls (&urls);
  if (found != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no connected UPnP IGD (%d)", found);
    return FALSE;
  }
  return TRUE;
}

/* Asks for the internal port as the external one, then (IGDv2) for any. */
static gboolean
upnp_add (UpnpJob * job, GError ** error)
{
  gchar ext[8], in[8], lease[16], reserved[8] = "";
  int r;

  g_snprintf (ext, sizeof ext, "%u",
      job->external_port ? job->external_port : job->internal_port);
  g_snprintf (in, sizeof in, "%u", job->internal_port);
  g_snprintf (lease, sizeof lease, "%u", job->lifetime);
  r = UPNP_AddPortMapping (job->control_url, job->service_type, ext, in,
      job->internal_ip, UPNP_DESCRIPTION, "UDP", NULL, lease);
  if (r == UPNPCOMMAND_SUCCESS) {
    job->external_port = atoi (ext);
  } else if (job->external_port == 0) {
    r = UPNP_AddAnyPortMapping (job->control_url, job->service_type, ext,
        in, job->internal_ip, UPNP_DESCRIPTION, "UDP", NULL, lease, reserved);
    if (r == UPNPCOMMAND_SUCCESS)
      job->external_port = atoi (reserved);
  }
  if (r != UPNPCOMMAND_SUCCESS || job->external_port == 0
      || job->external_port > G_MAXUINT16) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the IGD refused the mapping: %s", strupnperror (r));
    return FALSE;
  }
  r = UPNP_GetExternalIPAddress (job->control_url, job->service_type,
      job->external_ip);
  if (r != UPNPCOMMAND_SUCCESS || job->external_ip[0] == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the IGD gave no external address: %s", strupnperror (r));
    return FALSE;
  }
  return TRUE;
}

static void
upnp_delete (UpnpJob * job)
{
  gchar ext[8];

  g_snprintf (ext, sizeof ext, "%u", job->external_port);
  UPNP_DeletePortMapping (job->control_url, job->service_type, ext, "UDP",
      NULL);
}

static void
upnp_thread (GTask * task, gpointer source, gpointer data,
    GCancellable * cancellable)
{
  UpnpJob *job = data;
  GError *error = NULL;

  if (job->lifetime == 0) {
    upnp_delete (job);
    g_task_return_boolean (task, TRUE);
    return;
  }
  if ((job->control_url == NULL && !upnp_discover (job, &error))
      || g_task_return_error_if_cancelled (task)
      || !upnp_add (job, &error)) {
    if (error)
      g_task_return_error (task, error);
    return;
  }
  /* Freed meanwhile: nobody will delete it but us. */
  if (g_cancellable_is_cancelled (cancellable)) {
    upnp_delete (job);
    g_task_return_error_if_cancelled (task);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

static void upnp_done (GObject * source, GAsyncResult * result, gpointer data);

static void
upnp_run (GMainContext * context, UpnpJob * job, GCancellable * cancellable)
{
  GTask *task;

  g_main_context_push_thread_default (context);
  task = g_task_new (NULL, cancellable, job->lifetime ? upnp_done : NULL, NULL);
  g_main_context_pop_thread_default (context);
  g_task_set_task_data (task, job, upnp_job_free);
  g_task_run_in_thread (task, upnp_thread);
  g_object_unref (task);
}

static gboolean
upnp_renew_cb (gpointer data)
{
  P2pPortMapping *self = data;

  g_clear_pointer (&self->upnp_timer, g_source_unref);
  self->upnp_job = upnp_job_copy (self->upnp, REQUESTED_LIFETIME);
  self->upnp_job->owner = self;
  upnp_run (self->context, self->upnp_job, self->upnp_cancel);
  return G_SOURCE_REMOVE;
}

static void
upnp_done (GObject * source, GAsyncResult * result, gpointer data)
{
  UpnpJob *job = g_task_get_task_data (G_TASK (result));
  P2pPortMapping *self = job->owner;
  g_autoptr (GError) error = NULL;
  guint8 ip[4];

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    if (self) {
      g_debug ("port mapping: UPnP IGD: %s", error->message);
      self->upnp_job = NULL;
    }
    return;
  }
  if (self == NULL) {
    /* Granted after the mapping was freed. */
    upnp_run (g_main_context_get_thread_default (),
        upnp_job_copy (job, 0), NULL);
    return;
  }
  self->upnp_job = NULL;
  if (self->mapped) {
    /* PCP or NAT-PMP answered while the IGD was asked, and its port went
     * to the peer: the IGD's is given back at once rather than held, a
     * second router port for the socket, for the whole call. */
    g_debug ("port mapping: UPnP IGD granted after PCP or NAT-PMP, deleted");
    upnp_run (self->context, upnp_job_copy (job, 0), NULL);
    return;
  }
  g_clear_pointer (&self->upnp, upnp_job_free);
  self->upnp = upnp_job_copy (job, REQUESTED_LIFETIME);
  self->upnp_timer = g_timeout_source_new_seconds (MAX (REQUESTED_LIFETIME
          / 2, MIN_RENEW_S));
  g_source_set_callback (self->upnp_timer, upnp_renew_cb, self, NULL);
  g_source_attach (self->upnp_timer, self->context);
  g_debug ("port mapping: %s:%u for %u s (UPnP IGD)", job->external_ip,
      job->external_port, REQUESTED_LIFETIME);
  /* Only IPv4 external addresses make a candidate of ours. */
  if (!self->reported && sscanf (job->external_ip, "%hhu.%hhu.%hhu.%hhu",
          &ip[0], &ip[1], &ip[2], &ip[3]) == 4) {
    self->reported = TRUE;
    if (self->callback)
      self->callback (job->external_ip, job->external_port, self->user_data);
  }
}

/* PCP has had no answer: look for an IGD, once per mapping. */
static void
upnp_start (P2pPortMapping * self)
{
  UpnpJob *job;

  if (self->upnp_cancel || self->upnp_off
      || (self->iface == NULL && self->upnp_location == NULL))
    return;
  g_debug ("port mapping: no PCP answer yet, trying UPnP IGD on %s",
      self->iface);
  job = g_new0 (UpnpJob, 1);
  job->owner = self;
  job->iface = g_strdup (self->iface);
  job->location = g_strdup (self->upnp_location);
  g_strlcpy (job->internal_ip, self->internal_text, sizeof job->internal_ip);
  job->internal_port = self->internal_port;
  job->lifetime = REQUESTED_LIFETIME;
  self->upnp_cancel = g_cancellable_new ();
  self->upnp_job = job;
  upnp_run (self->context, job, self->upnp_cancel);
}

static gboolean
retransmit_cb (gpointer data)
{
  P2pPortMapping *self = data;

  g_clear_pointer (&self->timer, g_source_unref);
  if (++self->tries >= REQUEST_TRIES) {
    g_debug ("port mapping: no answer from the gateway");
    self->step = STEP_DONE;
    return G_SOURCE_REMOVE;
  }
  if (self->tries == UPNP_AFTER_TRIES && self->step == STEP_PCP_MAP
      && !self->mapped)
    upnp_start (self);
  self->timeout_ms *= 2;
  mapping_send (self);
  return G_SOURCE_REMOVE;
}

static void
mapping_send (P2pPortMapping * self)
{
  guint8 buf[PCP_REQUEST_SIZE];
  gsize len = build_request (self, buf);
  g_autoptr (GError) error = NULL;

  if (len == 0)
    return;
  if (g_socket_send_to (self->socket, self->gateway, (const gchar *) buf,
          len, NULL, &error) < 0)
    g_debug ("port mapping: %s", error->message);
  mapping_set_timer (self, self->timeout_ms, retransmit_cb);
}

/*
 * p2p_port_mapping_new:
 * @context: where the requests and @mapped run
 * @internal_ip: the IPv4 address of the socket to map (the host candidate)
 * @internal_port: its port
 * @gateway_ip: the gateway's IPv4 address (p2p_port_mapping_default_gateway())
 * @gateway_port: its PCP / NAT-PMP port, %P2P_PORT_MAPPING_GATEWAY_PORT
 * @mapped: called when the gateway grants the mapping
 * @user_data: for @mapped
 *
 * Asks the gateway for a mapping of @internal_port at once and returns:
 * @mapped follows if and when the gateway grants one.
 *
 * Returns: (transfer full) (nullable): the mapping, or %NULL when
 *     @internal_ip is not an IPv4 address this host can send from
 */
P2pPortMapping *
p2p_port_mapping_new (GMainContext * context, const gchar * internal_ip,
    guint internal_port, const gchar * gateway_ip, guint gateway_port,
    P2pPortMappingMapped mapped, gpointer user_data)
{
  g_autoptr (GInetAddress) local = g_inet_address_new_from_string (internal_ip);
  g_autoptr (GInetAddress) gw = g_inet_address_new_from_string (gateway_ip);
  g_autoptr (GSocketAddress) bind = NULL;
  g_autoptr (GError) error = NULL;
  P2pPortMapping *self;
  guint i;

  if (local == NULL || gw == NULL
      || g_inet_address_get_family (local) != G_SOCKET_FAMILY_IPV4
      || g_inet_address_get_family (gw) != G_SOCKET_FAMILY_IPV4)
    return NULL;

  self = g_new0 (P2pPortMapping, 1);
  self->context = g_main_context_ref (context);
  memcpy (self->internal_ip, g_inet_address_to_bytes (local), 4);
  g_strlcpy (self->internal_text, internal_ip, sizeof self->internal_text);
  self->iface = default_route (NULL);
  self->internal_port = internal_port;
  self->gateway = g_inet_socket_address_new (gw, gateway_port);
  self->lifetime = REQUESTED_LIFETIME;
  self->timeout_ms = REQUEST_FIRST_MS;
  self->callback = mapped;
  self->user_data = user_data;
  for (i = 0; i < sizeof self->nonce; i++)
    self->nonce[i] = g_random_int_range (0, 256);

  /* From the candidate's own address: PCP checks that the client address
   * in the request is where it came from. */
  self->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, &error);
  bind = g_inet_socket_address_new (local, 0);
  if (self->socket == NULL
      || !g_socket_bind (self->socket, bind, FALSE, &error)) {
    g_debug ("port mapping: %s", error->message);
    p2p_port_mapping_free (self);
    return NULL;
  }
  g_socket_set_blocking (self->socket, FALSE);
  self->receive_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->receive_source, (GSourceFunc) receive_cb,
      self, NULL);
  g_source_attach (self->receive_source, context);
  self->step = STEP_PCP_MAP;
  mapping_send (self);
  return self;
}

/*
 * p2p_port_mapping_set_upnp_location:
 * @mapping: a mapping, just made
 * @location: (nullable): the URL of the IGD's root description, or %NULL
 *
 * Where UPnP IGD is asked, instead of an SSDP search: the tests' fake IGD
 * on loopback; %NULL turns UPnP off (the tests of the other protocols,
 * whose slow answers under a sanitizer must not start a search on the
 * LAN). Call on @mapping's context before it returns to its loop.
 */
void
p2p_port_mapping_set_upnp_location (P2pPortMapping * self,
    const gchar * location)
{
  g_free (self->upnp_location);
  self->upnp_location = g_strdup (location);
  self->upnp_off = location == NULL;
}

/*
 * p2p_port_mapping_free:
 * @mapping: (transfer full): a mapping
 *
 * Deletes the mapping on the gateway if it was granted (one request, not
 * waited for: the gateway's lease ends it anyway) and frees @mapping.
 * Call on @mapping's context.
 */
void
p2p_port_mapping_free (P2pPortMapping * self)
{
  if (self->mapped && self->socket) {
    self->step = self->natpmp ? STEP_NATPMP_MAP : STEP_PCP_MAP;
    self->lifetime = 0;
    self->callback = NULL;
    mapping_send (self);
  }
  mapping_clear_timer (self);
  if (self->upnp_cancel)
    g_cancellable_cancel (self->upnp_cancel);
  if (self->upnp_job)
    self->upnp_job->owner = NULL;
  if (self->upnp)
    upnp_run (self->context, upnp_job_copy (self->upnp, 0), NULL);
  g_clear_pointer (&self->upnp, upnp_job_free);
  if (self->upnp_timer) {
    g_source_destroy (self->upnp_timer);
    g_source_unref (self->upnp_timer);
  }
  g_clear_object (&self->upnp_cancel);
  g_free (self->iface);
  g_free (self->upnp_location);
  if (self->receive_source) {
    g_source_destroy (self->receive_source);
    g_source_unref (self->receive_source);
  }
  g_clear_object (&self->socket);
  g_clear_object (&self->gateway);
  g_main_context_unref (self->context);
  g_free (self);
}

/* The IPv4 default route (Linux: /proc/net/route): its interface's name,
 * and its gateway in @gateway. */
static gchar *
default_route (gchar ** gateway)
{
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  guint i;

  if (!g_file_get_contents ("/proc/net/route", &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (i = 1; lines[i]; i++) {
    gchar iface[64];
    guint32 dest, gw, flags;

    /* Iface Destination Gateway Flags ...: hex, in network order. */
    if (sscanf (lines[i], "%63s %x %x %x", iface, &dest, &gw, &flags) == 4
        && dest == 0 && gw != 0 && (flags & 0x2)) {
      guint8 *b = (guint8 *) & gw;

      if (gateway)
        *gateway = g_strdup_printf ("%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
      return g_strdup (iface);
    }
  }
  return NULL;
}

/*
 * p2p_port_mapping_default_gateway:
 *
 * Returns: (transfer full) (nullable): the IPv4 default route's gateway
 *     (Linux: /proc/net/route), or %NULL when there is none
 */
gchar *
p2p_port_mapping_default_gateway (void)
{
  gchar *gateway = NULL;

  g_free (default_route (&gateway));
  return gateway;
}
