/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:p2p-transport
 * @title: P2pTransport
 * @short_description: an encrypted, authenticated media path to one peer
 *
 * A #P2pTransport turns an exchange of session descriptions and trickled
 * candidates into a path to one peer that carries SRTP media and reliable
 * messages:
 *
 * - ICE (libnice, RFC 5245, one stream with one component: rtcp-mux and
 *   BUNDLE) with STUN and TURN servers and ICE-TCP; consent freshness is
 *   the message channel's authenticated ping every second (below);
 * - DTLS 1.2 on that component, the peer authenticated by the certificate
 *   fingerprint in its session description (and, optionally, a fingerprint
 *   the caller expects, e.g. the one registered for a camera's UID);
 * - SRTP/SRTCP (p2p-srtp.c, on OpenSSL) keyed by the DTLS exporter, AES-GCM
 *   preferred;
 * - a message channel of reliable, ordered messages over DTLS.
 *
 * The transport has no network of its own for signalling: the caller moves
 * the descriptions (p2p_transport_create_offer(),
 * p2p_transport_create_answer(), p2p_transport_set_remote_description())
 * and the candidates (#P2pTransport::local-candidate,
 * p2p_transport_add_remote_candidate()) between the peers.
 *
 * All networking runs on the #P2pLoop given at construction. Public
 * functions may be called from any thread. Signals, property notifications
 * and the media callback are emitted on the loop thread, never with a lock
 * of the transport held, so a handler may call back into the transport.
 *
 * p2p_transport_send_rtp(), p2p_transport_send_rtp_list() and
 * p2p_transport_send_rtcp() are the hot path: they encrypt on the caller's
 * thread and hand the datagrams to the network without a main-loop hop.
 * Once ICE has settled on a UDP pair without a relay, they go out in
 * batches with UDP GSO on the selected pair's socket (p2p-batch-sender.c);
 * before that, on TURN and TCP pairs, and where the kernel refuses GSO,
 * through libnice.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-transport-private.h"
#include "p2p-protocol-ice-uri.h"
#include "p2p-batch-receiver.h"
#include "p2p-batch-sender.h"
#include "p2p-channel.h"
#include "p2p-demux.h"
#include "p2p-dtls.h"
#include "p2p-enum-types.h"
#include "p2p-host-addresses.h"
#include "p2p-nat-opener.h"
#include "p2p-path-mtu.h"
#include "p2p-rtcp-limiter.h"
#include "p2p-port-mapping.h"
#include "p2p-punch.h"
#include "p2p-sdp.h"
#include "p2p-srtp.h"
#include "p2p-unselected-sockets.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <agent.h>

/* Written with underscores: gst-indent would space out dashes, and the
 * macro stringifies its first argument into the domain name. */
G_DEFINE_QUARK (p2p_transport_error, p2p_transport_error);

#define DEFAULT_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define COMPONENT_ID 1
/* Socket buffers asked for on the selected pair's socket: the kernel's
 * 208 KiB default overflows within a few milliseconds at a few hundred
 * Mbit/s whenever the receiving thread is descheduled. The kernel caps the
 * request at net.core.rmem_max / wmem_max. */
#define MEDIA_SOCKET_BUFFER (4 * 1024 * 1024)
#define MAX_QUEUED_CANDIDATES 64
/* How long UDP pairs get before remote ICE-TCP candidates join the checks:
 * enough for a hole punch through two NATs, well below libnice's failure
 * time-out. */
#define ICE_TCP_GRACE_MS 1500
/* How long the answering side keeps its checks away from the offerer's
 * server-reflexive candidates (see hold_srflx_candidate()): the time for
 * our answer to reach the offerer and its first checks to come back. */
#define SRFLX_HOLD_MS 500
/* After an ICE restart libnice 0.1.21 never reports the component READY
 * again (it stays in GATHERING: a restart gathers nothing, and only the
 * end of gathering leads on to CONNECTING). The restarted session counts
 * as settled, for the batched paths and the parking, once its selected
 * pair has not changed for this long after both new descriptions are in:
 * the checks of pairs that can still win have answered by then (a check
 * is retransmitted from 200 ms on), and one that wins later moves the
 * paths again (update_batch_path()). */
#define RESTART_SETTLE_MS 3000
/* Unacknowledged message bytes before send_message() says WOULD_BLOCK. */
#define MAX_PENDING_MESSAGES (1024 * 1024)
/* Packets of one batched read given to the list callback at once: a GRO
 * batch holds at most 64 (the kernel's limit on UDP segments). */
#define MAX_READ_PACKETS 64
/* libnice's Ta, the spacing of connectivity checks (see constructed) */
#define ICE_PACING_MS 10
/* libnice's idle-timeout (how long its check timer keeps ticking every
 * ICE_PACING_MS once no check is left, before it stops and declares
 * components without a pair failed) once the component is READY: 50 ms,
 * the least libnice takes. Its default, 5 s, meant some 500 wake-ups of
 * the loop that did nothing at the start of every call, on both ends and
 * for every viewer of a camera (docs/performance.md); a remote candidate
 * that trickles in later starts the timer again. Until READY, and from
 * an ICE restart on, the default holds: checks still running keep their
 * full grace. */
#define SETTLED_IDLE_TIMEOUT_MS 50
/* Remote candidates given to libnice per ICE session: host ones (the
 * peer's interfaces, in the order it ranked them) and the rest
 * (server-reflexive, relayed). Beyond them a candidate is dropped, not
 * refused: a peer with many interfaces still gets its reflexive and relayed
 * pairs checked. */
#define MAX_REMOTE_HOST_CANDIDATES 16
#define MAX_REMOTE_OTHER_CANDIDATES 16
/* libnice's check-list limit (its default of 100 pruned the lowest-priority
 * pairs, the reflexive and relayed ones, first). With at most
 * P2P_HOST_ADDRESSES_MAX_PER_FAMILY addresses per family here (three
 * candidates each with ICE-TCP) plus reflexive and relayed ones, and the
 * remote caps above, every pair fits. */
#define MAX_CONNECTIVITY_CHECKS 1200
/* The foundation of the candidate a gateway's port mapping gives: the
 * peer recognises it and reports the path as `mapped`. */
#define MAPPED_FOUNDATION "mapped"
/* How long "gathering done" waits for the gateway's answer to a port
 * mapping request, which a LAN gateway gives in milliseconds: after it the
 * peer is told anyway (a later mapped candidate still joins the checks). */
#define MAPPING_GRACE_MS 1000
/* How often a pair's path MTU is read again (path_mtu_recheck()): the
 * kernel forgets what an ICMP "fragmentation needed" taught it after 10
 * minutes (net.ipv4.route.mtu_expires), and a forged one must not keep a
 * call at small packets until it ends. A read is one socket's setup. */
#define PATH_MTU_RECHECK_S 30

typedef struct
{
  NiceRelayType type;
  gchar *ip;                    /* NULL while the host name resolves */
  gchar *host;                  /* the name, when given one */
  guint port;
  gchar *username;
  gchar *credential;
} RelayServer;

struct _P2pTransport
{
  GObject parent;

  /* Construct-only, immutable afterwards. */
  P2pLoop *loop;
  GMainContext *context;
  P2pIdentity *identity;
  gboolean controlling;

  /* Everything below marked (L) is guarded by @lock; the rest is only
   * touched on the loop thread. */
  GMutex lock;
  P2pDtlsRole dtls_role;        /* (L) */
  gchar *srtp_profiles;         /* (L) */
  gboolean force_relay;         /* (L) */
  gboolean ice_tcp;             /* (L) */
  gchar *expected_fingerprint;  /* (L) */
  gchar *stun_ip;               /* (L) */
  guint stun_port;              /* (L) */
  GPtrArray *relays;            /* (L) RelayServer* */
  GPtrArray *local_addresses;   /* (L) gchar* */
  guint link_scope;             /* (L) the peer's link, 0: none known */
  guint local_count[4];         /* (L) local candidates per NiceCandidateType */
  guint remote_count[4];        /* (L) remote candidates given to libnice */
  guint remote_dropped;         /* (L) remote candidates over the caps */
  GError *error;                /* (L) */
  P2pConnectionMode mode;       /* (L) */
  P2pConnectionTechnique technique;     /* (L) */
  P2pConnectionTechnique ice_technique; /* (L) ICE's pair, under a punch */
  gboolean punched;             /* (L) traffic on the punched path */
  GstSDPMessage *remote_sdp;    /* (L) */
  gchar *local_candidate_type;  /* (L) */
  gchar *remote_candidate_type; /* (L) */
  gchar *local_address;         /* (L) */
  gchar *remote_address;        /* (L) */
  P2pSrtpProfile srtp_profile;  /* (L) */
  gint64 rtt_ms;                /* (L) */
  gint64 handshake_us;          /* (L) */
  gint receive_buffer;          /* (L) */
  gint send_buffer;             /* (L) */
  gint path_mtu;                /* (L) -1 = unknown */
  gint payload_mtu;             /* (L) */
#if P2P_ENABLE_TEST_HOOKS
  /* The next read's result (0: none) after a refusal, and in a recheck:
   * apart, so that neither read takes the other's figure. */
  gint test_refused_path_mtu;   /* (L) */
  gint test_recheck_path_mtu;   /* (L) */
  /* A test drives the path MTU: no periodic recheck (loop thread). */
  gboolean test_path_mtu_driven;
#endif

  /* Written under @lock, read lock-free on the send path. */
  gint state;
  P2pSrtp *srtp;                /* set once, freed in finalize */
  /* The batched send path; thread-safe, pointed at a pair on the loop
   * thread (update_batch_path()). */
  P2pBatchSender *batch;

  /* Loop thread only. */
  /* The viewer's batched receive path (update_batch_path()); its counter
   * is read from any thread. */
  P2pBatchReceiver *batch_receiver;
  P2pRtcpLimiter *rtcp_limiter; /* loop thread */
  NiceAgent *agent;
  guint stream_id;
  /* The agent's sockets the settled pair does not use, left out of the
   * loop's polls (update_batch_path()). */
  P2pUnselectedSockets *unselected;
  gboolean ice_restarted;
  gboolean gathering;
  gboolean have_local;
  gboolean have_remote;
  gboolean restarting;
  gboolean remote_gathering_done;
  gboolean dtls_client;
  gboolean torn_down;
  gchar *remote_ufrag;
  GPtrArray *queued_candidates;
  GPtrArray *held_tcp_candidates;
  GSource *tcp_timer;
  GSource *mtu_timer;           /* path_mtu_recheck() */
  GSource *relay_idle;
  gboolean tcp_released;
  GPtrArray *held_srflx;        /* remote candidate lines */
  GPtrArray *opener_targets;    /* "ip port" of remote reflexive candidates */
  GSource *srflx_timer;
  /* Restarted ICE (ice_restarted): both new descriptions are in, and the
   * timer since the last pair change (RESTART_SETTLE_MS) ran out. */
  GSource *settle_timer;
  gboolean restart_pending;
  gboolean restart_settled;
  guint idle_timeout;           /* libnice's own default, for restarts */
  gboolean srflx_released;
  P2pNatOpenerProbe *nat_probe;
  gint nat_depth;               /* NAT routers in front of us, -1 unknown */
  gboolean port_mapping;        /* (L) ask the gateway, port-mapping */
  P2pPortMapping *mapping;      /* the request for our first host socket */
  guint mapping_port;           /* the host socket's port it is for */
  guint mapped_port;            /* the same once granted, or 0 */
  gboolean gathering_done_held; /* until the gateway answers */
  /* End-of-candidates waits for every source: libnice's round under way
   * (the relays added late start a second one, start_gathering()), the
   * relays not added yet (@relay_idle) and TURN names still resolving. */
  gboolean ice_gathering;
  guint relay_lookups;          /* (L) */
  gboolean gathering_complete;  /* end-of-candidates decided, once */
  gint gathering_rounds;        /* (atomic) libnice's "gathering done"s */
  GSource *mapping_timer;
  P2pPunch *punch;              /* set before DTLS connects */
  gint64 ice_connected_at;
  P2pDtls *dtls;
  P2pChannel *channel;
  P2pMediaFunc media_func;
  P2pMediaListFunc media_list_func;
  gpointer media_data;
  GDestroyNotify media_notify;
  /* With @media_list_func: the batched path's packets of the current read
   * (pointing into its buffer), given on at the end of the read. */
  P2pMediaPacket read_packets[MAX_READ_PACKETS];
  guint n_read_packets;

  /* Counters, updated with atomic adds. */
  guint64 rtp_packets_sent;
  guint64 rtp_bytes_sent;
  guint64 rtp_packets_received;
  guint64 rtp_bytes_received;
  guint64 rtcp_packets_sent;
  guint64 rtcp_packets_received;
  guint64 messages_sent;
  guint64 messages_received;
  guint64 dropped_malformed;
  guint64 dropped_srtp;
  guint64 dropped_before_keys;
  guint64 rtcp_dropped;

#if P2P_ENABLE_TEST_HOOKS
  guint loss_percent;
  GRand *loss_rand;
#endif
};

enum
{
  PROP_0,
  PROP_LOOP,
  PROP_IDENTITY,
  PROP_CONTROLLING,
  PROP_DTLS_ROLE,
  PROP_SRTP_PROFILES,
  PROP_FORCE_RELAY,
  PROP_ICE_TCP,
  PROP_EXPECTED_FINGERPRINT,
  PROP_PORT_MAPPING,
  PROP_STATE,
  PROP_MODE,
  PROP_PAYLOAD_MTU,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_MESSAGE_RECEIVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (P2pTransport, p2p_transport, G_TYPE_OBJECT);

G_DEFINE_BOXED_TYPE (P2pTransportStats, p2p_transport_stats,
    p2p_transport_stats_copy, p2p_transport_stats_free);

#define COUNT(field, n) __atomic_add_fetch (&self->field, (n), __ATOMIC_RELAXED)
#define READ(field) __atomic_load_n (&self->field, __ATOMIC_RELAXED)

static void
relay_server_free (RelayServer * relay)
{
  g_free (relay->ip);
  g_free (relay->host);
  g_free (relay->username);
  g_free (relay->credential);
  g_free (relay);
}

/* ------------------------------------------------------------------------ */
/* State */

static gboolean
state_is_final (gint state)
{
  return state == P2P_TRANSPORT_STATE_FAILED
      || state == P2P_TRANSPORT_STATE_CLOSED;
}

static void teardown (P2pTransport * self);

/* Loop thread. Moves forward only; final states stick. */
static void
set_state (P2pTransport * self, P2pTransportState state, GError * error)
{
  gboolean changed = FALSE;

  g_mutex_lock (&self->lock);
  /* States only move forward: renegotiation or an ICE restart while
   * connected keeps the transport connected (media keeps flowing on the
   * old pair until the new one is chosen). */
  if (!state_is_final (self->state) && (gint) state > self->state) {
    g_atomic_int_set (&self->state, state);
    if (error && self->error == NULL)
      self->error = g_error_copy (error);
    changed = TRUE;
  }
  g_mutex_unlock (&self->lock);

  if (!changed)
    return;
  if (state_is_final (state))
    teardown (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* *INDENT-OFF* */
static void fail (P2pTransport * self, gint code, const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

static void
fail (P2pTransport * self, gint code, const gchar * format, ...)
{
  g_autoptr (GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (P2P_TRANSPORT_ERROR, code, format, args);
  va_end (args);
  g_debug ("transport %p failed: %s", self, error->message);
  set_state (self, P2P_TRANSPORT_STATE_FAILED, error);
}

static gboolean
teardown_idle (gpointer data)
{
  P2pTransport *self = data;

  /* Freed here rather than in the callback that failed, which may still be
   * running inside the channel or DTLS code. */
  g_clear_pointer (&self->channel, p2p_channel_free);
  p2p_batch_sender_set_path (self->batch, -1, NULL, 0);
  p2p_batch_receiver_set_path (self->batch_receiver, -1, NULL, 0);
  if (self->mtu_timer) {
    g_source_destroy (self->mtu_timer);
    g_clear_pointer (&self->mtu_timer, g_source_unref);
  }
  /* No more probes or path changes for a call that is over. */
  if (self->punch)
    p2p_punch_stop (self->punch);
  if (self->agent && self->stream_id) {
    p2p_unselected_sockets_unpark (self->unselected);
    nice_agent_attach_recv (self->agent, self->stream_id, COMPONENT_ID,
        self->context, NULL, NULL);
    nice_agent_remove_stream (self->agent, self->stream_id);
    self->stream_id = 0;
  }
  return G_SOURCE_REMOVE;
}

static void
teardown (P2pTransport * self)
{
  if (self->torn_down)
    return;
  self->torn_down = TRUE;
  if (self->dtls)
    p2p_dtls_close (self->dtls);
  p2p_loop_invoke (self->loop, teardown_idle, g_object_ref (self),
      g_object_unref);
}

/* ------------------------------------------------------------------------ */
/* DTLS and message channel callbacks (loop thread) */

static void
dtls_send_cb (const guint8 * data, gsize size, gpointer user_data)
{
  P2pTransport *self = user_data;

  if (p2p_punch_send (self->punch, data, size) >= 0)
    return;
  if (self->stream_id)
    nice_agent_send (self->agent, self->stream_id, COMPONENT_ID, size,
        (const gchar *) data);
}

static gboolean
channel_send_cb (const guint8 * data, gsize size, gpointer user_data)
{
  P2pTransport *self = user_data;

  return self->dtls && p2p_dtls_send (self->dtls, data, size);
}

static void
channel_message_cb (GBytes * message, gpointer user_data)
{
  P2pTransport *self = user_data;

  COUNT (messages_received, 1);
  g_signal_emit (self, signals[SIGNAL_MESSAGE_RECEIVED], 0, message);
}

static void
channel_rtt_cb (gint64 rtt_us, gpointer user_data)
{
  P2pTransport *self = user_data;

  g_mutex_lock (&self->lock);
  self->rtt_ms = (rtt_us + 500) / 1000;
  g_mutex_unlock (&self->lock);
}

static void
channel_failed_cb (gpointer user_data)
{
  P2pTransport *self = user_data;

  fail (self, P2P_TRANSPORT_ERROR_TIMEOUT,
      "The peer stopped acknowledging messages");
}

static const P2pChannelCallbacks channel_callbacks = {
  channel_send_cb,
  channel_message_cb,
  channel_rtt_cb,
  channel_failed_cb,
};

static void maybe_punch (P2pTransport * self);

static void
dtls_connected_cb (gpointer user_data)
{
  P2pTransport *self = user_data;
  guint8 material[64];
  P2pSrtpProfile profile = P2P_SRTP_PROFILE_NONE;
  g_autoptr (GError) error = NULL;
  P2pSrtp *srtp;

  if (!p2p_dtls_export_srtp (self->dtls, &profile, material, sizeof (material))) {
    fail (self, P2P_TRANSPORT_ERROR_SRTP,
        "DTLS did not negotiate an SRTP profile (use_srtp extension)");
    return;
  }
  srtp = p2p_srtp_new (profile, material, self->dtls_client, &error);
  memset (material, 0, sizeof (material));
  if (srtp == NULL) {
    fail (self, error->code, "%s", error->message);
    return;
  }

  self->channel = p2p_channel_new (self->context, P2P_TRANSPORT_MAX_MESSAGE,
      MAX_PENDING_MESSAGES, &channel_callbacks, self);

  g_mutex_lock (&self->lock);
  self->srtp_profile = profile;
  if (self->ice_connected_at)
    self->handshake_us = g_get_monotonic_time () - self->ice_connected_at;
  g_mutex_unlock (&self->lock);
  g_atomic_pointer_set (&self->srtp, srtp);

  set_state (self, P2P_TRANSPORT_STATE_CONNECTED, NULL);
  maybe_punch (self);
}

static void
dtls_data_cb (const guint8 * data, gsize size, gpointer user_data)
{
  P2pTransport *self = user_data;

  if (size > 0 && data[0] == P2P_PUNCH_CHUNK) {
    if (self->punch)
      p2p_punch_control (self->punch, data, size);
    return;
  }
  if (self->channel)
    p2p_channel_receive (self->channel, data, size);
}

static void
dtls_failed_cb (const GError * error, gpointer user_data)
{
  P2pTransport *self = user_data;

  if (error->code == P2P_TRANSPORT_ERROR_CLOSED
      && g_atomic_int_get (&self->state) == P2P_TRANSPORT_STATE_CONNECTED)
    set_state (self, P2P_TRANSPORT_STATE_CLOSED, (GError *) error);
  else
    set_state (self, P2P_TRANSPORT_STATE_FAILED, (GError *) error);
}

static const P2pDtlsCallbacks dtls_callbacks = {
  dtls_send_cb,
  dtls_connected_cb,
  dtls_data_cb,
  dtls_failed_cb,
};

/* ------------------------------------------------------------------------ */
/* libnice callbacks (loop thread) */

/* Gives the packets collected from one read of the batched path to the
 * list callback. */
static void
flush_read_packets (P2pTransport * self)
{
  P2pMediaPacket packets[MAX_READ_PACKETS];
  guint n = self->n_read_packets;

  self->n_read_packets = 0;
  if (n == 0 || !self->media_list_func)
    return;
  /* A copy: the receiver's code may read again meanwhile (a path switched
   * off from inside the delivery drains its socket). */
  memcpy (packets, self->read_packets, n * sizeof (P2pMediaPacket));
  self->media_list_func (self, packets, n, self->media_data);
}

/* A datagram from the peer, on ICE's path or the punched one; @batched
 * when the batched path read it, whose buffer stays valid until the end of
 * the read. */
static void
receive_datagram (P2pTransport * self, guint8 * data, gsize len,
    gboolean batched)
{
  P2pPacketKind kind;
  P2pSrtp *srtp;
  gboolean rtcp;

#if P2P_ENABLE_TEST_HOOKS
  if (self->loss_percent
      && (guint) g_rand_int_range (self->loss_rand, 0, 100) <
      self->loss_percent)
    return;
#endif

  kind = p2p_demux_classify (data, len);
  switch (kind) {
    case P2P_PACKET_DTLS:
      if (self->dtls)
        p2p_dtls_receive (self->dtls, data, len);
      else
        COUNT (dropped_before_keys, 1);
      return;
    case P2P_PACKET_RTP:
    case P2P_PACKET_RTCP:
      break;
    case P2P_PACKET_INVALID:
    default:
      COUNT (dropped_malformed, 1);
      return;
  }

  rtcp = kind == P2P_PACKET_RTCP;
  srtp = g_atomic_pointer_get (&self->srtp);
  if (srtp == NULL || state_is_final (g_atomic_int_get (&self->state))) {
    COUNT (dropped_before_keys, 1);
    return;
  }
  /* Bounded before its tag is checked (p2p-rtcp-limiter.c). */
  if (rtcp && !p2p_rtcp_limiter_admit (self->rtcp_limiter, data, len,
          g_get_monotonic_time ())) {
    COUNT (rtcp_dropped, 1);
    return;
  }
  /* Decrypted in place: libnice's receive buffer is ours for the call. */
  if (!p2p_srtp_unprotect (srtp, rtcp, data, &len)) {
    COUNT (dropped_srtp, 1);
    return;
  }
  if (rtcp) {
    p2p_rtcp_limiter_authenticated (self->rtcp_limiter, data);
    COUNT (rtcp_packets_received, 1);
  } else {
    COUNT (rtp_packets_received, 1);
    COUNT (rtp_bytes_received, len);
  }
  if (batched && self->media_list_func) {
    P2pMediaPacket *packet = &self->read_packets[self->n_read_packets++];

    packet->data = data;
    packet->size = len;
    packet->is_rtcp = rtcp;
    if (self->n_read_packets == MAX_READ_PACKETS)
      flush_read_packets (self);
  } else if (self->media_func) {
    self->media_func (self, rtcp, data, len, self->media_data);
  }
}

static void
receive_cb (NiceAgent * agent, guint stream_id, guint component_id,
    guint size, gchar * buf, gpointer user_data)
{
  receive_datagram (user_data, (guint8 *) buf, size, FALSE);
}

static void
batch_receive_cb (guint8 * data, gsize size, gpointer user_data)
{
  if (data == NULL)
    flush_read_packets (user_data);
  else
    receive_datagram (user_data, data, size, TRUE);
}

static void maybe_map_port (P2pTransport * self, NiceCandidate * candidate);

static void
new_candidate_cb (NiceAgent * agent, NiceCandidate * candidate,
    gpointer user_data)
{
  P2pTransport *self = user_data;
  g_autofree gchar *line = NULL;

  if (candidate->stream_id != self->stream_id)
    return;
  if ((guint) candidate->type < G_N_ELEMENTS (self->local_count)) {
    g_mutex_lock (&self->lock);
    self->local_count[candidate->type]++;
    g_mutex_unlock (&self->lock);
  }
  line = nice_agent_generate_local_candidate_sdp (agent, candidate);
  if (line == NULL || !g_str_has_prefix (line, "a=candidate:"))
    return;
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, line + 2);
  maybe_map_port (self, candidate);
}

static void
release_gathering_done (P2pTransport * self)
{
  if (self->mapping_timer) {
    g_source_destroy (self->mapping_timer);
    g_clear_pointer (&self->mapping_timer, g_source_unref);
  }
  if (!self->gathering_done_held)
    return;
  self->gathering_done_held = FALSE;
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, "");
}

static gboolean
mapping_grace_cb (gpointer data)
{
  P2pTransport *self = data;

  g_clear_pointer (&self->mapping_timer, g_source_unref);
  release_gathering_done (self);
  return G_SOURCE_REMOVE;
}

/* Ends the candidates once every configured source has given its own:
 * libnice's gathering ended and started no new round, the relays were
 * added and no TURN server's name is still being resolved. A peer told
 * "no more candidates" before the relay candidates may give up on ICE
 * while a relay pair is the only one that would work. */
static void
maybe_end_gathering (P2pTransport * self)
{
  guint lookups;

  g_mutex_lock (&self->lock);
  lookups = self->relay_lookups;
  g_mutex_unlock (&self->lock);
  if (self->gathering_complete || self->ice_gathering
      || self->relay_idle || lookups > 0)
    return;
  self->gathering_complete = TRUE;
  if (self->mapping && self->mapped_port == 0) {
    self->gathering_done_held = TRUE;
    self->mapping_timer = g_timeout_source_new (MAPPING_GRACE_MS);
    g_source_set_callback (self->mapping_timer, mapping_grace_cb, self, NULL);
    g_source_attach (self->mapping_timer, self->context);
    return;
  }
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, "");
}

static void
gathering_done_cb (NiceAgent * agent, guint stream_id, gpointer user_data)
{
  P2pTransport *self = user_data;

  if (stream_id != self->stream_id)
    return;
  g_atomic_int_inc (&self->gathering_rounds);
  self->ice_gathering = FALSE;
  maybe_end_gathering (self);
}

/* The gateway forwards @external_ip:@external_port to our host socket:
 * one more candidate, server-reflexive in kind (an address on the far
 * side of our NAT), named by its foundation so the peer can report the
 * path as `mapped`. */
static void
port_mapped_cb (const gchar * external_ip, guint external_port,
    gpointer user_data)
{
  P2pTransport *self = user_data;
  g_autofree gchar *line = NULL;
  gchar base[NICE_ADDRESS_STRING_LEN];
  NiceCandidate *host = NULL;
  GSList *locals, *l;

  if (self->agent == NULL || self->stream_id == 0)
    return;
  locals = nice_agent_get_local_candidates (self->agent, self->stream_id,
      COMPONENT_ID);
  for (l = locals; l; l = l->next) {
    NiceCandidate *c = l->data;

    if (c->type == NICE_CANDIDATE_TYPE_HOST
        && c->transport == NICE_CANDIDATE_TRANSPORT_UDP
        && nice_address_get_port (&c->addr) == self->mapping_port)
      host = c;
  }
  if (host) {
    nice_address_to_string (&host->addr, base);
    self->mapped_port = self->mapping_port;
    /* Just below a host candidate's priority (type preference 126):
     * checked early, as it needs no hole punched. */
    line = g_strdup_printf ("candidate:" MAPPED_FOUNDATION " %u udp %u %s %u "
        "typ srflx raddr %s rport %u", COMPONENT_ID,
        (120u << 24) | (65535u << 8) | (256 - COMPONENT_ID), external_ip,
        external_port, base, self->mapping_port);
    g_info ("port mapping: %s:%u forwards to %s:%u", external_ip,
        external_port, base, self->mapping_port);
    g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, line);
  }
  g_slist_free_full (locals, (GDestroyNotify) nice_candidate_free);
  release_gathering_done (self);
}

/* The first UDP host candidate on a private IPv4 address (behind a NAT,
 * whose gateway may map a port to it) gets a port mapping request; the
 * candidate itself went out already, and the mapping comes when the
 * gateway answers. */
static void
maybe_map_port (P2pTransport * self, NiceCandidate * candidate)
{
  g_autofree gchar *gateway = NULL;
  gchar ip[NICE_ADDRESS_STRING_LEN];
  g_autoptr (GInetAddress) inet = NULL;
  gboolean enabled;

  g_mutex_lock (&self->lock);
  enabled = self->port_mapping && !self->force_relay;
  g_mutex_unlock (&self->lock);
  if (!enabled || self->mapping || self->mapping_port
      || candidate->type != NICE_CANDIDATE_TYPE_HOST
      || candidate->transport != NICE_CANDIDATE_TRANSPORT_UDP
      || candidate->component_id != COMPONENT_ID
      || nice_address_ip_version (&candidate->addr) != 4)
    return;
  nice_address_to_string (&candidate->addr, ip);
  inet = g_inet_address_new_from_string (ip);
  if (inet == NULL || !g_inet_address_get_is_site_local (inet))
    return;
  gateway = p2p_port_mapping_default_gateway ();
  if (gateway == NULL)
    return;
  self->mapping_port = nice_address_get_port (&candidate->addr);
  self->mapping = p2p_port_mapping_new (self->context, ip,
      self->mapping_port, gateway, P2P_PORT_MAPPING_GATEWAY_PORT,
      port_mapped_cb, self);
}

static gboolean release_srflx_candidates (gpointer data);
static void update_batch_path (P2pTransport * self);

static gboolean
restart_settled_cb (gpointer data)
{
  P2pTransport *self = data;

  g_clear_pointer (&self->settle_timer, g_source_unref);
  self->restart_settled = TRUE;
  update_batch_path (self);
  return G_SOURCE_REMOVE;
}

/* Loop thread: after an ICE restart, what may move the pair (a restart,
 * a state change, another pair selected) takes the batched paths and the
 * parking away until the pair has stayed RESTART_SETTLE_MS; the timer
 * starts once both new descriptions are in. */
static void
restart_unsettled (P2pTransport * self)
{
  if (!self->ice_restarted)
    return;
  self->restart_settled = FALSE;
  if (self->settle_timer) {
    g_source_destroy (self->settle_timer);
    g_clear_pointer (&self->settle_timer, g_source_unref);
  }
  if (self->restart_pending || self->torn_down)
    return;
  self->settle_timer = g_timeout_source_new (RESTART_SETTLE_MS);
  g_source_set_callback (self->settle_timer, restart_settled_cb, self, NULL);
  g_source_set_static_name (self->settle_timer, "p2p-ice-restart-settle");
  g_source_attach (self->settle_timer, self->context);
}

/* Loop thread: how long libnice's check timer keeps ticking once idle:
 * SETTLED_IDLE_TIMEOUT_MS when ICE is done (@done), libnice's default
 * otherwise. */
static void
set_check_grace (P2pTransport * self, gboolean done)
{
  g_object_set (self->agent, "idle-timeout", done ? SETTLED_IDLE_TIMEOUT_MS :
      self->idle_timeout, NULL);
}

static void
component_state_cb (NiceAgent * agent, guint stream_id, guint component_id,
    guint state, gpointer user_data)
{
  P2pTransport *self = user_data;

  if (stream_id != self->stream_id)
    return;

  restart_unsettled (self);
  update_batch_path (self);
  switch (state) {
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
      if (state == NICE_COMPONENT_STATE_READY && !self->ice_restarted)
        set_check_grace (self, TRUE);
      if (self->ice_connected_at == 0)
        self->ice_connected_at = g_get_monotonic_time ();
      if (!self->srflx_released && self->held_srflx->len > 0)
        release_srflx_candidates (self);
      if (self->dtls && self->dtls_client)
        p2p_dtls_start (self->dtls);
      break;
    case NICE_COMPONENT_STATE_FAILED:
      if (self->ice_connected_at)
        fail (self, P2P_TRANSPORT_ERROR_ICE_FAILED,
            "The path to the peer was lost (ICE consent expired)");
      else {
        g_autofree gchar *paths = p2p_transport_describe_paths (self);

        fail (self, P2P_TRANSPORT_ERROR_ICE_FAILED,
            "ICE failed: no candidate pair reaches the peer (%s)", paths);
      }
      break;
    default:
      break;
  }
}

static const gchar *
candidate_type_name (NiceCandidateType type)
{
  switch (type) {
    case NICE_CANDIDATE_TYPE_HOST:
      return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED:
      return "relay";
    default:
      return "unknown";
  }
}

static gchar *
address_string (const NiceAddress * addr)
{
  gchar ip[NICE_ADDRESS_STRING_LEN];

  nice_address_to_string (addr, ip);
  if (nice_address_ip_version (addr) == 6)
    return g_strdup_printf ("[%s]:%u", ip, nice_address_get_port (addr));
  return g_strdup_printf ("%s:%u", ip, nice_address_get_port (addr));
}

/* RFC 1918, IPv6 unique-local (fc00::/7), link-local and loopback. */
static gboolean
address_is_private (const NiceAddress * addr)
{
  gchar ip[NICE_ADDRESS_STRING_LEN];
  g_autoptr (GInetAddress) inet = NULL;

  nice_address_to_string (addr, ip);
  inet = g_inet_address_new_from_string (ip);
  if (inet == NULL)
    return FALSE;
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
      && (g_inet_address_to_bytes (inet)[0] & 0xfe) == 0xfc)
    return TRUE;
  return g_inet_address_get_is_site_local (inet)
      || g_inet_address_get_is_loopback (inet)
      || g_inet_address_get_is_link_local (inet);
}

static P2pConnectionTechnique
pair_technique (P2pTransport * self, NiceCandidate * local,
    NiceCandidate * remote)
{
  if (local->type == NICE_CANDIDATE_TYPE_RELAYED
      || remote->type == NICE_CANDIDATE_TYPE_RELAYED)
    return P2P_CONNECTION_TECHNIQUE_RELAY;
  /* By address, not candidate type: a peer on our own network shows up as
   * peer-reflexive when its check arrives before its trickled host
   * candidate, and two hosts on public addresses are not a LAN. */
  if (address_is_private (&local->addr) && address_is_private (&remote->addr))
    return P2P_CONNECTION_TECHNIQUE_LAN;
  if (local->type == NICE_CANDIDATE_TYPE_HOST
      && remote->type == NICE_CANDIDATE_TYPE_HOST)
    return P2P_CONNECTION_TECHNIQUE_DIRECT;
  /* Through a gateway's port mapping: the peer's (it names its mapped
   * candidate by foundation) or ours (the socket our gateway forwards to,
   * whether libnice names it host or, when our router gave our own checks
   * another port, peer-reflexive). */
  if (g_str_has_prefix (remote->foundation, MAPPED_FOUNDATION)
      || (self->mapped_port && local->type != NICE_CANDIDATE_TYPE_RELAYED
          && nice_address_get_port (&local->base_addr) == self->mapped_port))
    return P2P_CONNECTION_TECHNIQUE_MAPPED;
  return P2P_CONNECTION_TECHNIQUE_PUNCHED;
}

static P2pConnectionMode
technique_mode (P2pConnectionTechnique technique)
{
  switch (technique) {
    case P2P_CONNECTION_TECHNIQUE_NONE:
      return P2P_CONNECTION_MODE_NONE;
    case P2P_CONNECTION_TECHNIQUE_LAN:
      return P2P_CONNECTION_MODE_LAN;
    case P2P_CONNECTION_TECHNIQUE_RELAY:
      return P2P_CONNECTION_MODE_RELAY;
    default:
      return P2P_CONNECTION_MODE_DIRECT;
  }
}

/* ------------------------------------------------------------------------ */
/* Birthday-paradox punching beside ICE (p2p-punch.c, loop thread) */

static void
punch_send_control (const guint8 * data, gsize size, gpointer user_data)
{
  P2pTransport *self = user_data;

  if (self->dtls)
    p2p_dtls_send (self->dtls, data, size);
}

static void
punch_path_ready (const gchar * local, const gchar * remote,
    gint receive_buffer, gint send_buffer, gpointer user_data)
{
  P2pTransport *self = user_data;

  g_mutex_lock (&self->lock);
  self->punched = TRUE;
  self->receive_buffer = receive_buffer;
  self->send_buffer = send_buffer;
  /* A punched path crosses NATs on the open Internet and its MTU is not
   * read: stay at the size every path carries. */
  self->path_mtu = -1;
  self->payload_mtu = P2P_TRANSPORT_SAFE_PAYLOAD_MTU;
  self->technique = P2P_CONNECTION_TECHNIQUE_PUNCHED;
  self->mode = P2P_CONNECTION_MODE_DIRECT;
  g_free (self->local_candidate_type);
  self->local_candidate_type = g_strdup ("host");
  g_free (self->remote_candidate_type);
  self->remote_candidate_type = g_strdup ("prflx");
  g_free (self->local_address);
  self->local_address = g_strdup (local);
  g_free (self->remote_address);
  self->remote_address = g_strdup (remote);
  g_mutex_unlock (&self->lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

static void
punch_path_lost (gpointer user_data)
{
  P2pTransport *self = user_data;

  g_mutex_lock (&self->lock);
  self->punched = FALSE;
  self->technique = self->ice_technique;
  self->mode = technique_mode (self->technique);
  g_mutex_unlock (&self->lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

static void
punch_receive (guint8 * data, gsize size, gpointer user_data)
{
  receive_datagram (user_data, data, size, FALSE);
}

static const P2pPunchCallbacks punch_callbacks = {
  punch_send_control,
  punch_path_ready,
  punch_path_lost,
  punch_receive,
};

/* The STUN server and the first TURN-over-UDP server: two addresses that
 * answer Binding requests, which tell an endpoint-independent mapping
 * from one that is not. */
static void
classify_nat (P2pTransport * self)
{
  const RelayServer *turn = NULL;
  guint i;

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->relays->len && turn == NULL; i++) {
    RelayServer *r = g_ptr_array_index (self->relays, i);

    if (r->type == NICE_RELAY_TYPE_TURN_UDP && r->ip)
      turn = r;
  }
  if (self->stun_ip && turn && !self->force_relay)
    p2p_punch_classify (self->punch, self->stun_ip, self->stun_port,
        turn->ip, turn->port);
  g_mutex_unlock (&self->lock);
}

/* Loop thread: DTLS is up and ICE's pair is relayed (the ordinary pairs
 * failed, or have not worked yet): a punch may still find a direct path.
 * The peer's candidate addresses bound where it may aim. */
static void
maybe_punch (P2pTransport * self)
{
  g_autoptr (GPtrArray) ips = NULL;
  GSList *list, *l;
  gboolean relayed;

  if (self->punch == NULL || self->channel == NULL || self->stream_id == 0)
    return;
  g_mutex_lock (&self->lock);
  relayed = self->ice_technique == P2P_CONNECTION_TECHNIQUE_RELAY;
  g_mutex_unlock (&self->lock);
  if (!relayed)
    return;
  classify_nat (self);
  ips = g_ptr_array_new_with_free_func (g_free);
  list = nice_agent_get_remote_candidates (self->agent, self->stream_id,
      COMPONENT_ID);
  for (l = list; l; l = l->next) {
    NiceCandidate *c = l->data;
    gchar ip[NICE_ADDRESS_STRING_LEN];

    if (c->type == NICE_CANDIDATE_TYPE_RELAYED
        || nice_address_ip_version (&c->addr) != 4)
      continue;
    nice_address_to_string (&c->addr, ip);
    g_ptr_array_add (ips, g_strdup (ip));
  }
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  p2p_punch_start (self->punch, ips);
}

/* Asks for MEDIA_SOCKET_BUFFER on the selected pair's socket and returns
 * what the kernel granted (as getsockopt reports it, i.e. Linux's doubled
 * figure), or -1 when libnice has no plain socket for the pair (a TURN
 * relay: the relay's base socket keeps its default). The media stream is
 * the only user of the selected socket, so enlarging it affects no one
 * else. */
static void
enlarge_socket_buffers (P2pTransport * self, gint * receive, gint * send)
{
  GSocket *socket;

  *receive = *send = -1;
  socket = nice_agent_get_selected_socket (self->agent, self->stream_id,
      COMPONENT_ID);
  if (socket == NULL)
    return;
  if (g_socket_get_socket_type (socket) == G_SOCKET_TYPE_DATAGRAM) {
    /* Failures only leave the default in place; what was granted is read
     * back either way. */
    g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, MEDIA_SOCKET_BUFFER,
        NULL);
    g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, MEDIA_SOCKET_BUFFER,
        NULL);
    if (!g_socket_get_option (socket, SOL_SOCKET, SO_RCVBUF, receive, NULL))
      *receive = -1;
    if (!g_socket_get_option (socket, SOL_SOCKET, SO_SNDBUF, send, NULL))
      *send = -1;
  }
  g_object_unref (socket);
}

/* Points the batched send path, and on the viewer (the controlled side,
 * which receives the media) the batched receive path, at the selected
 * pair once ICE has settled (READY: checks done, the pair nominated; after
 * a restart, which libnice 0.1.21 never reports READY, the pair unchanged
 * for RESTART_SETTLE_MS) on a UDP pair without a relay, and takes them
 * away otherwise: while checking or restarting (the pair may still
 * change), on TURN (libnice frames and authenticates for the relay) and
 * on TCP. libnice keeps its own
 * sending for everything but the media: checks, DTLS, the message channel;
 * the receive path hands the socket back to libnice as soon as STUN or a
 * stranger arrives (p2p-batch-receiver.c). The camera does not read in
 * batches: it receives little (feedback), and at 128 viewers every polled
 * descriptor costs its loop (docs/performance.md). With the paths, the
 * agent's other sockets leave the loop's polls (p2p-unselected-sockets.c)
 * until the pair changes or ICE restarts. Loop thread. */
static gboolean
settled (P2pTransport * self)
{
  NiceComponentState state = nice_agent_get_component_state (self->agent,
      self->stream_id, COMPONENT_ID);

  if (self->ice_restarted)
    return self->restart_settled && state != NICE_COMPONENT_STATE_FAILED;
  return state == NICE_COMPONENT_STATE_READY;
}

static void
update_batch_path (P2pTransport * self)
{
  NiceCandidate *local = NULL, *remote = NULL;
  GSocket *socket = NULL;
  struct sockaddr_storage peer;
  gsize peer_size;

  if (!self->torn_down && self->stream_id && settled (self)
      && nice_agent_get_selected_pair (self->agent, self->stream_id,
          COMPONENT_ID, &local, &remote)
      && local->transport == NICE_CANDIDATE_TRANSPORT_UDP
      && local->type != NICE_CANDIDATE_TYPE_RELAYED
      && remote->type != NICE_CANDIDATE_TYPE_RELAYED)
    socket = nice_agent_get_selected_socket (self->agent, self->stream_id,
        COMPONENT_ID);
  if (socket && g_socket_get_socket_type (socket) == G_SOCKET_TYPE_DATAGRAM) {
    memset (&peer, 0, sizeof (peer));
    nice_address_copy_to_sockaddr (&remote->addr, (struct sockaddr *) &peer);
    peer_size = peer.ss_family == AF_INET6 ?
        sizeof (struct sockaddr_in6) : sizeof (struct sockaddr_in);
    p2p_batch_sender_set_path (self->batch, g_socket_get_fd (socket),
        (struct sockaddr *) &peer, peer_size);
    if (!self->controlling)
      p2p_batch_receiver_set_path (self->batch_receiver,
          g_socket_get_fd (socket), (struct sockaddr *) &peer, peer_size);
    p2p_unselected_sockets_park (self->unselected, self->agent,
        self->stream_id, COMPONENT_ID, g_socket_get_fd (socket));
  } else {
    p2p_batch_sender_set_path (self->batch, -1, NULL, 0);
    p2p_batch_receiver_set_path (self->batch_receiver, -1, NULL, 0);
    p2p_unselected_sockets_unpark (self->unselected);
  }
  g_clear_object (&socket);
}

static gboolean path_mtu_recheck (gpointer data);

/* Whether a test's hooks drive the path MTU, which the periodic recheck
 * would then undo with the kernel's figure. Loop thread. */
static gboolean
path_mtu_test_driven (P2pTransport * self)
{
#if P2P_ENABLE_TEST_HOOKS
  return self->test_path_mtu_driven;
#else
  return FALSE;
#endif
}

static void
selected_pair_cb (NiceAgent * agent, guint stream_id, guint component_id,
    NiceCandidate * local, NiceCandidate * remote, gpointer user_data)
{
  P2pTransport *self = user_data;
  P2pConnectionTechnique technique;
  gint receive_buffer, send_buffer, path_mtu, payload_mtu;
  gboolean changed, mtu_changed;

  if (stream_id != self->stream_id)
    return;

  technique = pair_technique (self, local, remote);
  payload_mtu = p2p_path_mtu_payload (local, remote, &path_mtu);
  enlarge_socket_buffers (self, &receive_buffer, &send_buffer);
  restart_unsettled (self);
  update_batch_path (self);
  p2p_batch_sender_set_max_segment (self->batch,
      p2p_path_mtu_max_datagram (&remote->addr, path_mtu));
  g_mutex_lock (&self->lock);
  self->ice_technique = technique;
  /* ICE's pair is the fallback while the punched path carries the
   * traffic. */
  if (self->punched) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->receive_buffer = receive_buffer;
  self->send_buffer = send_buffer;
  self->path_mtu = path_mtu;
  mtu_changed = self->payload_mtu != payload_mtu;
  self->payload_mtu = payload_mtu;
  changed = self->technique != technique;
  self->technique = technique;
  self->mode = technique_mode (technique);
  g_free (self->local_candidate_type);
  self->local_candidate_type = g_strdup (candidate_type_name (local->type));
  g_free (self->remote_candidate_type);
  self->remote_candidate_type = g_strdup (candidate_type_name (remote->type));
  g_free (self->local_address);
  self->local_address = address_string (&local->addr);
  g_free (self->remote_address);
  self->remote_address = address_string (&remote->addr);
  g_mutex_unlock (&self->lock);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
  if (mtu_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAYLOAD_MTU]);
  if (self->mtu_timer == NULL && !path_mtu_test_driven (self)) {
    self->mtu_timer = g_timeout_source_new_seconds (PATH_MTU_RECHECK_S);
    g_source_set_callback (self->mtu_timer, path_mtu_recheck, self, NULL);
    g_source_set_static_name (self->mtu_timer, "p2p-path-mtu-recheck");
    g_source_attach (self->mtu_timer, self->context);
  }
  maybe_punch (self);
}

/* The selected pair and the kernel's path MTU towards its peer (or the
 * test hook's figure for a read after a refusal, with @refused, or for a
 * recheck); FALSE without a pair, or for a call that is over. Loop
 * thread. */
static gboolean
read_path_mtu (P2pTransport * self, NiceCandidate ** local,
    NiceCandidate ** remote, gint * path_mtu, gboolean refused)
{
  if (self->torn_down || !self->stream_id
      || !nice_agent_get_selected_pair (self->agent, self->stream_id,
          COMPONENT_ID, local, remote))
    return FALSE;
  *path_mtu = p2p_path_mtu_read (&(*remote)->addr);
#if P2P_ENABLE_TEST_HOOKS
  {
    gint *test;

    g_mutex_lock (&self->lock);
    test = refused ? &self->test_refused_path_mtu :
        &self->test_recheck_path_mtu;
    /* -1: the read failed. */
    if (*test != 0)
      *path_mtu = *test;
    *test = 0;
    g_mutex_unlock (&self->lock);
  }
#endif
  return TRUE;
}

/* Makes @payload_mtu, for @path_mtu, the pair's payload size if it is
 * smaller than the current one (or larger, with @raise) and no punched
 * path carries the traffic; notifies. Loop thread. */
static void
move_payload_mtu (P2pTransport * self, gint path_mtu, gint payload_mtu,
    gboolean raise)
{
  gboolean changed;

  g_mutex_lock (&self->lock);
  changed = !self->punched && (raise ? payload_mtu > self->payload_mtu :
      payload_mtu < self->payload_mtu);
  if (changed) {
    g_debug ("path MTU %d: payload MTU %d -> %d", path_mtu,
        self->payload_mtu, payload_mtu);
    self->path_mtu = path_mtu;
    self->payload_mtu = payload_mtu;
  }
  g_mutex_unlock (&self->lock);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAYLOAD_MTU]);
}

/* Loop thread, after the batched path's kernel refused its segments as
 * larger than the path MTU (a link's MTU lowered, or an ICMP lowered the
 * path's): reads the path MTU again, batches again what fits it and
 * lowers the pair's payload size, which p2psink's payloaders follow
 * (notify::payload-mtu). Until they do, and for retransmissions of
 * earlier packets, the larger packets go through libnice, which the
 * kernel fragments. The size goes up again only when path_mtu_recheck()
 * finds that the kernel's path MTU grew. */
static gboolean
path_mtu_refused (gpointer data)
{
  P2pTransport *self = data;
  NiceCandidate *local = NULL, *remote = NULL;
  gint path_mtu;

  /* Without a pair the sender has no path; the next pair's is read. */
  if (!read_path_mtu (self, &local, &remote, &path_mtu, TRUE))
    return G_SOURCE_REMOVE;
  if (!p2p_batch_sender_resume (self->batch,
          p2p_path_mtu_max_datagram (&remote->addr, path_mtu))) {
    g_debug ("UDP GSO refused within the path MTU (%d): sending through "
        "libnice", path_mtu);
    return G_SOURCE_REMOVE;
  }
  move_payload_mtu (self, path_mtu,
      p2p_path_mtu_payload_for (local, remote, path_mtu), FALSE);
  return G_SOURCE_REMOVE;
}

/* Loop thread, every PATH_MTU_RECHECK_S while the transport lives: reads
 * the selected pair's path MTU again and raises the pair's payload size
 * (and the batched path's segments) when it grew: the kernel forgot a
 * lowered path MTU (an ICMP's, perhaps forged, expires after 10
 * minutes), or a link's MTU was raised. Lowering stays with
 * path_mtu_refused(), where the kernel's refusal proves it. */
static gboolean
path_mtu_recheck (gpointer data)
{
  P2pTransport *self = data;
  NiceCandidate *local = NULL, *remote = NULL;
  gint path_mtu, payload_mtu;
  gboolean raised;

  /* A failed read (no descriptor left, a route flapping) says nothing
   * about the path: it must not count as the safe default "raising" a
   * pair that a refusal lowered below it. */
  if (!read_path_mtu (self, &local, &remote, &path_mtu, FALSE)
      || path_mtu <= 0)
    return G_SOURCE_CONTINUE;
  payload_mtu = p2p_path_mtu_payload_for (local, remote, path_mtu);
  g_mutex_lock (&self->lock);
  raised = payload_mtu > self->payload_mtu;
  g_mutex_unlock (&self->lock);
  /* Before the payloaders hear of it. */
  if (raised)
    p2p_batch_sender_set_max_segment (self->batch,
        p2p_path_mtu_max_datagram (&remote->addr, path_mtu));
  move_payload_mtu (self, path_mtu, payload_mtu, TRUE);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Operations run on the loop thread for the public API */

typedef struct
{
  P2pTransport *self;
  const GstSDPMessage *media;
  const gchar *text;
  gboolean is_offer;
  gchar *result;
  gboolean ok;
  GError *error;
} Op;

static gboolean
check_usable (P2pTransport * self, GError ** error)
{
  if (state_is_final (g_atomic_int_get (&self->state))) {
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_CLOSED, "The transport is closed or has failed");
    return FALSE;
  }
  return TRUE;
}

/* Whether libnice starts a gathering round for relay @r added after its
 * gathering ended: it asks the relay from each UDP host candidate of the
 * relay's address family (TURN over TCP too: the relayed address is UDP),
 * and when there is none, "gathering done" never comes again. */
static gboolean
relay_starts_round (P2pTransport * self, RelayServer * r)
{
  g_autoptr (GInetAddress) server = g_inet_address_new_from_string (r->ip);
  gint version;
  gboolean found = FALSE;
  GSList *locals, *l;

  if (server == NULL)
    return FALSE;
  version = g_inet_address_get_family (server) == G_SOCKET_FAMILY_IPV6 ? 6 : 4;
  locals = nice_agent_get_local_candidates (self->agent, self->stream_id,
      COMPONENT_ID);
  for (l = locals; l && !found; l = l->next) {
    NiceCandidate *c = l->data;

    found = c->type == NICE_CANDIDATE_TYPE_HOST
        && c->transport == NICE_CANDIDATE_TRANSPORT_UDP
        && nice_address_ip_version (&c->addr) == version;
  }
  g_slist_free_full (locals, (GDestroyNotify) nice_candidate_free);
  return found;
}

/* Gives libnice relay @r; when its gathering had ended, notes whether that
 * started another round. Called with @lock held. */
static void
add_relay_locked (P2pTransport * self, RelayServer * r)
{
  nice_agent_set_relay_info (self->agent, self->stream_id, COMPONENT_ID,
      r->ip, r->port, r->username, r->credential, r->type);
  if (self->gathering && !self->ice_gathering)
    self->ice_gathering = relay_starts_round (self, r);
}

/* Called with @lock held. */
static void
set_relays_locked (P2pTransport * self)
{
  guint i;

  for (i = 0; i < self->relays->len; i++) {
    RelayServer *r = g_ptr_array_index (self->relays, i);

    if (r->ip)
      add_relay_locked (self, r);
  }
}

typedef struct
{
  P2pTransport *self;
  RelayServer *relay;
} Resolving;

/* Loop thread: a TURN server's name resolved. It joins a gathering under
 * way (libnice takes relays after gathering started, see
 * start_gathering()), or the one to come. */
static void
relay_resolved (GObject * source, GAsyncResult * result, gpointer data)
{
  Resolving *res = data;
  P2pTransport *self = res->self;
  g_autoptr (GError) err = NULL;
  GList *list = g_resolver_lookup_by_name_finish (G_RESOLVER (source),
      result, &err);
  RelayServer *r = res->relay;

  g_mutex_lock (&self->lock);
  self->relay_lookups--;
  /* The relay list lives as long as the transport, which we hold. */
  if (list == NULL) {
    g_message ("Cannot resolve TURN server host \"%s\", left out: %s",
        r->host, err->message);
  } else {
    r->ip = g_inet_address_to_string (list->data);
    /* A pending set_relays_late() adds it with the others. */
    if (self->gathering && self->stream_id != 0 && self->relay_idle == NULL
        && !state_is_final (g_atomic_int_get (&self->state)))
      add_relay_locked (self, r);
  }
  g_mutex_unlock (&self->lock);
  if (list)
    g_resolver_free_addresses (list);
  if (self->gathering && self->stream_id != 0
      && !state_is_final (g_atomic_int_get (&self->state)))
    maybe_end_gathering (self);
  g_object_unref (self);
  g_free (res);
}

/* On the loop thread, whose thread-default context it is: the answer
 * comes back there. */
static gboolean
start_lookup (gpointer data)
{
  Resolving *res = data;
  g_autoptr (GResolver) resolver = g_resolver_get_default ();

  g_resolver_lookup_by_name_async (resolver, res->relay->host, NULL,
      relay_resolved, res);
  return G_SOURCE_REMOVE;
}

/* With @lock: looks @r's host name up on the resolver's threads. */
static void
resolve_relay (P2pTransport * self, RelayServer * r)
{
  Resolving *res = g_new0 (Resolving, 1);

  res->self = g_object_ref (self);
  res->relay = r;
  self->relay_lookups++;
  g_main_context_invoke (self->context, start_lookup, res);
}

static gboolean
set_relays_late (gpointer data)
{
  P2pTransport *self = data;

  g_clear_pointer (&self->relay_idle, g_source_unref);
  if (self->stream_id == 0)
    return G_SOURCE_REMOVE;
  g_mutex_lock (&self->lock);
  set_relays_locked (self);
  g_mutex_unlock (&self->lock);
  maybe_end_gathering (self);
  return G_SOURCE_REMOVE;
}

/* With the lock: this end's address on the link the peer is a neighbour
 * on (p2p_transport_set_link_local_scope()), the one host candidate that
 * reaches it when the link has no other addresses. */
static void
add_link_local_address (P2pTransport * self)
{
  g_autoptr (GSocketAddress) local = NULL;
  struct sockaddr_storage native;
  NiceAddress addr;

  if (self->link_scope == 0)
    return;
  local = p2p_host_address_get_link_local (self->link_scope);
  if (local == NULL || !g_socket_address_to_native (local, &native,
          sizeof (native), NULL)) {
    g_debug ("transport %p: no link-local address on interface %u", self,
        self->link_scope);
    return;
  }
  nice_address_init (&addr);
  nice_address_set_from_sockaddr (&addr, (struct sockaddr *) &native);
  nice_agent_add_local_address (self->agent, &addr);
}

static void open_mappings (P2pTransport * self);

static gboolean
start_gathering (P2pTransport * self, GError ** error)
{
  gboolean relays_late;
  GPtrArray *hosts;
  guint i;

  if (self->gathering)
    return TRUE;

  g_mutex_lock (&self->lock);
  if (self->stun_ip)
    g_object_set (self->agent, "stun-server", self->stun_ip,
        "stun-server-port", self->stun_port, NULL);
  g_object_set (self->agent, "force-relay", self->force_relay,
      "ice-tcp", self->ice_tcp, NULL);
  /* libnice 0.1.21 asks the STUN server with a classic (RFC 3489, no magic
   * cookie) Binding request, and matches the answer against its discovery
   * items in list order, per socket. A TURN-over-UDP item shares the host
   * socket; its RFC 5389 STUN agent calls the cookie-less answer malformed
   * and the search stops there ("Incorrectly multiplexed STUN message
   * ignored"), so the STUN item behind it never sees its answer and times
   * out. The STUN item is only added once libnice's asynchronous lookup of
   * the server returns, a dispatch after gathering starts, i.e. always
   * behind the TURN items: the STUN server never gave a server-reflexive
   * candidate, and with TURN down NATed peers had host candidates only.
   * Adding the TURN servers from a low-priority idle, after that lookup's
   * default-priority completion, puts the STUN item first; a TURN answer
   * has the cookie, which the STUN item reports as unmatched, and libnice
   * goes on to the TURN item. Without a STUN server (or with force-relay,
   * which skips it) there is nothing to order, and deferring would only
   * let "gathering done" come before the relays. */
  relays_late = self->stun_ip && !self->force_relay && self->relays->len > 0;
  if (!relays_late)
    set_relays_locked (self);
  /* Addresses the caller chose are used as they are; otherwise the
   * machine's, chosen and capped by the rules of p2p-host-addresses.c
   * rather than libnice's "every address of every interface". */
  if (self->local_addresses->len == 0)
    hosts = p2p_host_addresses_get ();
  else
    hosts = g_ptr_array_ref (self->local_addresses);
  for (i = 0; i < hosts->len; i++) {
    NiceAddress addr;

    nice_address_init (&addr);
    if (nice_address_set_from_string (&addr, g_ptr_array_index (hosts, i)))
      nice_agent_add_local_address (self->agent, &addr);
  }
  add_link_local_address (self);
  g_mutex_unlock (&self->lock);
  g_ptr_array_unref (hosts);

  /* Both before the call: a round without discoveries ends inside it, and
   * end-of-candidates must then still wait for the relays. */
  if (relays_late) {
    self->relay_idle = g_idle_source_new ();
    g_source_set_priority (self->relay_idle, G_PRIORITY_LOW);
    g_source_set_callback (self->relay_idle, set_relays_late, self, NULL);
    g_source_set_static_name (self->relay_idle, "p2p-ice-relays");
    g_source_attach (self->relay_idle, self->context);
  }
  self->ice_gathering = TRUE;
  if (!nice_agent_gather_candidates (self->agent, self->stream_id)) {
    self->ice_gathering = FALSE;
    if (self->relay_idle) {
      g_source_destroy (self->relay_idle);
      g_clear_pointer (&self->relay_idle, g_source_unref);
    }
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_ICE_FAILED,
        "Could not gather ICE candidates (no usable network interface?)");
    return FALSE;
  }
  self->gathering = TRUE;
  open_mappings (self);
  /* Classified now, so that a punch can start as soon as DTLS is up. */
  if (self->punch == NULL)
    self->punch = p2p_punch_new (self->context, &punch_callbacks, self);
  classify_nat (self);
  return TRUE;
}

static GPtrArray *
local_candidate_lines (P2pTransport * self)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  GSList *list, *l;

  list = nice_agent_get_local_candidates (self->agent, self->stream_id,
      COMPONENT_ID);
  for (l = list; l && lines->len < P2P_SDP_MAX_CANDIDATES; l = l->next) {
    gchar *line = nice_agent_generate_local_candidate_sdp (self->agent,
        l->data);

    if (line && g_str_has_prefix (line, "a=candidate:"))
      g_ptr_array_add (lines, g_strdup (line + 2));
    g_free (line);
  }
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  return lines;
}

static gboolean
create_local_description (gpointer data)
{
  Op *op = data;
  P2pTransport *self = op->self;
  P2pSdpTransport t = { 0 };
  gchar *ufrag = NULL, *pwd = NULL;

  if (!check_usable (self, &op->error))
    return G_SOURCE_REMOVE;

  if (op->is_offer) {
    if (!self->controlling) {
      g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
          P2P_TRANSPORT_ERROR_INVALID_STATE,
          "This transport answers; it cannot make an offer");
      return G_SOURCE_REMOVE;
    }
    if (self->have_local && !self->restarting) {
      g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
          P2P_TRANSPORT_ERROR_INVALID_STATE,
          "An offer was already made (restart ICE to make a new one)");
      return G_SOURCE_REMOVE;
    }
  } else {
    if (self->controlling || !self->have_remote) {
      g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
          P2P_TRANSPORT_ERROR_INVALID_STATE,
          "An answer needs the remote offer first");
      return G_SOURCE_REMOVE;
    }
  }

  if (!start_gathering (self, &op->error))
    return G_SOURCE_REMOVE;

  nice_agent_get_local_credentials (self->agent, self->stream_id, &ufrag, &pwd);
  t.ufrag = ufrag;
  t.pwd = pwd;
  t.fingerprint = (gchar *) p2p_identity_get_fingerprint (self->identity);
  if (op->is_offer)
    t.setup = (gchar *) "actpass";
  else
    t.setup = (gchar *) (self->dtls_client ? "active" : "passive");

  /* Candidates gathered so far (host ones are gathered synchronously) go
   * in the description itself: the peer can start checks without waiting
   * for trickle, and after an ICE restart, which clears the peer's remote
   * candidates, this is how it learns ours again. */
  t.candidates = local_candidate_lines (self);

  op->result = p2p_sdp_build (op->media, &t, &op->error);
  g_free (ufrag);
  g_free (pwd);
  g_ptr_array_unref (t.candidates);
  if (op->result == NULL)
    return G_SOURCE_REMOVE;

  self->have_local = TRUE;
  if (op->is_offer)
    self->restarting = FALSE;
  op->ok = TRUE;

  if (self->have_remote)
    set_state (self, P2P_TRANSPORT_STATE_CHECKING, NULL);
  else
    set_state (self, P2P_TRANSPORT_STATE_GATHERING, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean add_candidate_now (P2pTransport * self,
    const gchar * candidate, GError ** error);

static gboolean
release_tcp_candidates (gpointer data)
{
  P2pTransport *self = data;
  guint i;

  g_clear_pointer (&self->tcp_timer, g_source_unref);
  self->tcp_released = TRUE;
  if (self->stream_id == 0)
    return G_SOURCE_REMOVE;

  /* UDP found a path: the TCP candidates would only switch libnice's
   * nomination mode under a working session. */
  if (g_atomic_int_get (&self->state) == P2P_TRANSPORT_STATE_CONNECTED ||
      p2p_transport_get_mode (self) != P2P_CONNECTION_MODE_NONE) {
    g_ptr_array_set_size (self->held_tcp_candidates, 0);
    return G_SOURCE_REMOVE;
  }
  for (i = 0; i < self->held_tcp_candidates->len; i++)
    add_candidate_now (self, g_ptr_array_index (self->held_tcp_candidates,
            i), NULL);
  g_ptr_array_set_size (self->held_tcp_candidates, 0);
  return G_SOURCE_REMOVE;
}

static void
hold_tcp_candidate (P2pTransport * self, const gchar * candidate)
{
  if (self->held_tcp_candidates->len < MAX_QUEUED_CANDIDATES)
    g_ptr_array_add (self->held_tcp_candidates, g_strdup (candidate));
  if (self->tcp_timer == NULL) {
    self->tcp_timer = g_timeout_source_new (ICE_TCP_GRACE_MS);
    g_source_set_callback (self->tcp_timer, release_tcp_candidates, self, NULL);
    g_source_set_static_name (self->tcp_timer, "p2p-ice-tcp-fallback");
    g_source_attach (self->tcp_timer, self->context);
  }
}

/* Counts @c against the per-session caps; FALSE when it is over them.
 * Peer-reflexive candidates are libnice's own and never pass here. */
static gboolean
remote_candidate_fits (P2pTransport * self, NiceCandidate * c)
{
  gboolean host = c->type == NICE_CANDIDATE_TYPE_HOST, fits;
  guint used;

  g_mutex_lock (&self->lock);
  used = host ? self->remote_count[NICE_CANDIDATE_TYPE_HOST] :
      self->remote_count[NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE] +
      self->remote_count[NICE_CANDIDATE_TYPE_PEER_REFLEXIVE] +
      self->remote_count[NICE_CANDIDATE_TYPE_RELAYED];
  fits = used < (host ? MAX_REMOTE_HOST_CANDIDATES :
      MAX_REMOTE_OTHER_CANDIDATES);
  if (!fits)
    self->remote_dropped++;
  else if ((guint) c->type < G_N_ELEMENTS (self->remote_count))
    self->remote_count[c->type]++;
  g_mutex_unlock (&self->lock);
  return fits;
}

static gboolean
release_srflx_candidates (gpointer data)
{
  P2pTransport *self = data;
  guint i;

  if (self->srflx_timer) {
    g_source_destroy (self->srflx_timer);
    g_clear_pointer (&self->srflx_timer, g_source_unref);
  }
  self->srflx_released = TRUE;
  if (self->stream_id == 0)
    return G_SOURCE_REMOVE;
  for (i = 0; i < self->held_srflx->len; i++)
    add_candidate_now (self, g_ptr_array_index (self->held_srflx, i), NULL);
  g_ptr_array_set_size (self->held_srflx, 0);
  return G_SOURCE_REMOVE;
}

/* The answering side's defence against routers that answer unsolicited
 * packets (p2p-nat-opener.c): its checks would reach the offerer's router
 * before the offerer has sent anything to us (the offerer learns our
 * candidates only from our answer), leave an entry there that remaps the
 * offerer's own packets to us, and turn a punchable pair into a relayed
 * one. So the offerer's server-reflexive candidates wait, while a packet
 * that ends before the offerer's router opens our mapping towards each of
 * them: the offerer's checks then come through, and libnice answers them
 * with triggered checks on the same tuples. They wait until the first pair
 * works (the offerer has our answer and checks, reflexive pairs before
 * relayed ones, so its router is open towards us: behind a symmetric NAT,
 * whose mapping for the offerer the offerer cannot know, our own checks
 * are then what makes the path) or SRFLX_HOLD_MS at most. */
static void
hold_srflx_candidate (P2pTransport * self, const gchar * candidate,
    NiceCandidate * c)
{
  gchar ip[NICE_ADDRESS_STRING_LEN];

  if (self->held_srflx->len >= MAX_QUEUED_CANDIDATES)
    return;
  g_ptr_array_add (self->held_srflx, g_strdup (candidate));
  nice_address_to_string (&c->addr, ip);
  g_ptr_array_add (self->opener_targets, g_strdup_printf ("%s %u", ip,
          nice_address_get_port (&c->addr)));
  if (self->srflx_timer == NULL) {
    self->srflx_timer = g_timeout_source_new (SRFLX_HOLD_MS);
    g_source_set_callback (self->srflx_timer, release_srflx_candidates, self,
        NULL);
    g_source_set_static_name (self->srflx_timer, "p2p-ice-srflx-hold");
    g_source_attach (self->srflx_timer, self->context);
  }
  open_mappings (self);
}

/* One hop past our last NAT router; two, the common case, until the probe
 * has counted them (or when none answered it). */
static guint
opener_ttl (P2pTransport * self)
{
  return MAX (self->nat_depth + 1, 2);
}

static void
nat_probe_done (guint depth, gpointer user_data)
{
  P2pTransport *self = user_data;
  guint guessed = opener_ttl (self);

  self->nat_probe = NULL;
  self->nat_depth = depth;
  g_debug ("transport %p: %u NAT router(s) in front of us", self, depth);
  /* The openers already sent with the guess did not get through every
   * NAT router of ours: again, further. */
  if (opener_ttl (self) != guessed)
    open_mappings (self);
  g_ptr_array_set_size (self->opener_targets, 0);
}

/* Loop thread: sends the openers for the targets collected so far from
 * every local IPv4 UDP host candidate, once gathering has made the
 * sockets: at once with the usual TTL (the offerer's checks may be on
 * their way), and again if the probe finds more NAT routers. */
static void
open_mappings (P2pTransport * self)
{
  GSList *list, *l;
  guint i;

  if (!self->gathering || self->stream_id == 0
      || self->opener_targets->len == 0)
    return;
  list = nice_agent_get_local_candidates (self->agent, self->stream_id,
      COMPONENT_ID);
  for (l = list; l; l = l->next) {
    NiceCandidate *lc = l->data;
    gchar base[NICE_ADDRESS_STRING_LEN];
    gint fd;

    if (lc->type != NICE_CANDIDATE_TYPE_HOST
        || lc->transport != NICE_CANDIDATE_TRANSPORT_UDP
        || nice_address_ip_version (&lc->base_addr) != 4)
      continue;
    nice_address_to_string (&lc->base_addr, base);
    fd = p2p_nat_opener_find_socket (base, nice_address_get_port
        (&lc->base_addr));
    for (i = 0; i < self->opener_targets->len; i++) {
      g_auto (GStrv) target = g_strsplit (g_ptr_array_index
          (self->opener_targets, i), " ", 2);
      guint port = (guint) g_ascii_strtoull (target[1], NULL, 10);

      if (self->nat_depth < 0 && self->nat_probe == NULL)
        self->nat_probe = p2p_nat_opener_probe (self->context, base,
            target[0], port, nat_probe_done, self);
      if (!p2p_nat_opener_send (fd, target[0], port, opener_ttl (self)))
        g_debug ("transport %p: no opener from %s", self, base);
    }
  }
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  /* Kept for a second round while the probe runs. */
  if (self->nat_probe == NULL)
    g_ptr_array_set_size (self->opener_targets, 0);
}

/* An IPv6 link-local candidate names no interface (SDP has no room for
 * one): the peer's is on the link the call came over, if known. Without
 * one the candidate cannot be used and stays as it is. */
static void
scope_link_local (P2pTransport * self, NiceCandidate * c)
{
  struct sockaddr_in6 *sin6 = &c->addr.s.ip6;

  if (c->addr.s.addr.sa_family != AF_INET6
      || !IN6_IS_ADDR_LINKLOCAL (&sin6->sin6_addr)
      || sin6->sin6_scope_id != 0)
    return;
  g_mutex_lock (&self->lock);
  sin6->sin6_scope_id = self->link_scope;
  g_mutex_unlock (&self->lock);
}

static gboolean
add_candidate_now (P2pTransport * self, const gchar * candidate,
    GError ** error)
{
  g_autofree gchar *line = g_strconcat ("a=", candidate, NULL);
  NiceCandidate *c;
  GSList *list;
  gint added;

  c = nice_agent_parse_remote_candidate_sdp (self->agent, self->stream_id,
      line);
  if (c == NULL) {
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_CANDIDATE,
        "Cannot parse remote candidate \"%s\"", candidate);
    return FALSE;
  }
  if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP && !self->tcp_released) {
    /* libnice drops to regular nomination as soon as it sees a TCP
     * candidate, and then selects nothing until every higher-priority pair
     * (typically towards the peer's unreachable private addresses) has
     * timed out: seconds behind a NAT. ICE-TCP is a fallback, so TCP
     * candidates wait until UDP had its chance. */
    nice_candidate_free (c);
    hold_tcp_candidate (self, candidate);
    return TRUE;
  }
  if (!self->controlling && !self->srflx_released
      && c->type == NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE
      && c->transport == NICE_CANDIDATE_TRANSPORT_UDP
      && nice_address_ip_version (&c->addr) == 4) {
    hold_srflx_candidate (self, candidate, c);
    nice_candidate_free (c);
    return TRUE;
  }
  if (!remote_candidate_fits (self, c)) {
    g_debug ("transport %p: remote candidate over the limit, dropped: %s",
        self, candidate);
    nice_candidate_free (c);
    return TRUE;
  }
  scope_link_local (self, c);
  list = g_slist_append (NULL, c);
  added = nice_agent_set_remote_candidates (self->agent, self->stream_id,
      COMPONENT_ID, list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  if (added < 0) {
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_CANDIDATE,
        "libnice refused remote candidate \"%s\"", candidate);
    return FALSE;
  }
  return TRUE;
}

static gboolean
set_remote_description (gpointer data)
{
  Op *op = data;
  P2pTransport *self = op->self;
  P2pSdpTransport t = { 0 };
  GstSDPMessage *msg;
  gboolean restart;
  guint i;

  if (!check_usable (self, &op->error))
    return G_SOURCE_REMOVE;

  msg = p2p_sdp_parse (op->text, &t, &op->error);
  if (msg == NULL)
    return G_SOURCE_REMOVE;

  if (self->controlling) {
    if (!self->have_local) {
      g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
          P2P_TRANSPORT_ERROR_INVALID_STATE,
          "Received an answer before making an offer");
      goto out;
    }
    if (g_str_equal (t.setup, "actpass")) {
      g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
          P2P_TRANSPORT_ERROR_SDP,
          "Invalid session description: an answer must say "
          "a=setup:active or a=setup:passive");
      goto out;
    }
    if (!self->have_remote)
      self->dtls_client = g_str_equal (t.setup, "passive");
  } else if (!self->have_remote) {
    P2pDtlsRole role;

    g_mutex_lock (&self->lock);
    role = self->dtls_role;
    g_mutex_unlock (&self->lock);
    if (g_str_equal (t.setup, "active"))
      self->dtls_client = FALSE;
    else if (g_str_equal (t.setup, "passive"))
      self->dtls_client = TRUE;
    else
      self->dtls_client = role != P2P_DTLS_ROLE_SERVER;
  }

  restart = self->have_remote && g_strcmp0 (self->remote_ufrag, t.ufrag) != 0;
  if (self->have_remote && !restart) {
    /* Same ICE session: only the media part may have changed. */
  } else {
    if (restart && !self->controlling) {
      self->ice_restarted = TRUE;
      self->restart_pending = TRUE;
      restart_unsettled (self);
      p2p_unselected_sockets_unpark (self->unselected);
      set_check_grace (self, FALSE);
      nice_agent_restart_stream (self->agent, self->stream_id);
    }
    if (!nice_agent_set_remote_credentials (self->agent, self->stream_id,
            t.ufrag, t.pwd)) {
      g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
          P2P_TRANSPORT_ERROR_SDP, "libnice refused the remote credentials");
      goto out;
    }
    g_free (self->remote_ufrag);
    self->remote_ufrag = g_strdup (t.ufrag);
    /* A new ICE session: libnice forgot the old remote candidates. */
    g_ptr_array_set_size (self->held_srflx, 0);
    self->srflx_released = FALSE;
    g_mutex_lock (&self->lock);
    memset (self->remote_count, 0, sizeof (self->remote_count));
    self->remote_dropped = 0;
    g_mutex_unlock (&self->lock);
  }

  if (self->dtls == NULL) {
    g_autofree gchar *profiles = NULL;
    g_autofree gchar *expected = NULL;

    g_mutex_lock (&self->lock);
    profiles = g_strdup (self->srtp_profiles);
    expected = g_strdup (self->expected_fingerprint);
    g_mutex_unlock (&self->lock);

    self->dtls = p2p_dtls_new (self->identity, self->dtls_client, profiles,
        self->context, &dtls_callbacks, self, &op->error);
    if (self->dtls == NULL)
      goto out;
    p2p_dtls_add_accepted_fingerprint (self->dtls, t.fingerprint);
    if (expected)
      p2p_dtls_add_accepted_fingerprint (self->dtls, expected);
  }

  self->have_remote = TRUE;
  g_mutex_lock (&self->lock);
  if (self->remote_sdp)
    gst_sdp_message_free (self->remote_sdp);
  self->remote_sdp = g_steal_pointer (&msg);
  g_mutex_unlock (&self->lock);

  /* Both sides' new credentials are in: a restarted session may settle. */
  if (self->restart_pending) {
    self->restart_pending = FALSE;
    restart_unsettled (self);
  }

  /* Candidates in the description, then those that raced ahead of it. */
  for (i = 0; i < t.candidates->len; i++)
    add_candidate_now (self, g_ptr_array_index (t.candidates, i), NULL);
  for (i = 0; i < self->queued_candidates->len; i++)
    add_candidate_now (self, g_ptr_array_index (self->queued_candidates, i),
        NULL);
  g_ptr_array_set_size (self->queued_candidates, 0);
  if (self->remote_gathering_done)
    nice_agent_peer_candidate_gathering_done (self->agent, self->stream_id);

  op->ok = TRUE;
  if (self->have_local)
    set_state (self, P2P_TRANSPORT_STATE_CHECKING, NULL);

out:
  if (msg)
    gst_sdp_message_free (msg);
  p2p_sdp_transport_clear (&t);
  return G_SOURCE_REMOVE;
}

static gboolean
add_remote_candidate (gpointer data)
{
  Op *op = data;
  P2pTransport *self = op->self;

  if (!check_usable (self, &op->error))
    return G_SOURCE_REMOVE;

  if (op->text == NULL || op->text[0] == '\0') {
    self->remote_gathering_done = TRUE;
    if (self->have_remote)
      nice_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
    op->ok = TRUE;
    return G_SOURCE_REMOVE;
  }

  if (!p2p_sdp_candidate_is_valid (op->text)) {
    g_set_error (&op->error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_CANDIDATE, "Malformed remote candidate \"%.64s\"",
        op->text);
    return G_SOURCE_REMOVE;
  }

  if (!self->have_remote) {
    if (self->queued_candidates->len >= MAX_QUEUED_CANDIDATES) {
      g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
          P2P_TRANSPORT_ERROR_CANDIDATE,
          "Too many remote candidates before the remote description");
      return G_SOURCE_REMOVE;
    }
    g_ptr_array_add (self->queued_candidates, g_strdup (op->text));
    op->ok = TRUE;
    return G_SOURCE_REMOVE;
  }

  op->ok = add_candidate_now (self, op->text, &op->error);
  return G_SOURCE_REMOVE;
}

static gboolean
restart_ice (gpointer data)
{
  Op *op = data;
  P2pTransport *self = op->self;

  if (!check_usable (self, &op->error))
    return G_SOURCE_REMOVE;
  if (!self->controlling || !self->have_local) {
    g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_INVALID_STATE,
        "Only the offering side restarts ICE, after its first offer");
    return G_SOURCE_REMOVE;
  }
  self->ice_restarted = TRUE;
  self->restart_pending = TRUE;
  restart_unsettled (self);
  p2p_unselected_sockets_unpark (self->unselected);
  set_check_grace (self, FALSE);
  if (!nice_agent_restart_stream (self->agent, self->stream_id)) {
    g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_ICE_FAILED, "libnice could not restart ICE");
    return G_SOURCE_REMOVE;
  }
  self->restarting = TRUE;
  self->remote_gathering_done = FALSE;
  update_batch_path (self);
  op->ok = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
send_message (gpointer data)
{
  Op *op = data;
  P2pTransport *self = op->self;
  GBytes *message = (GBytes *) op->media;

  if (self->channel == NULL || g_atomic_int_get (&self->state) !=
      P2P_TRANSPORT_STATE_CONNECTED) {
    g_set_error_literal (&op->error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_INVALID_STATE, "The transport is not connected");
    return G_SOURCE_REMOVE;
  }
  op->ok = p2p_channel_send (self->channel, message, &op->error);
  if (op->ok)
    COUNT (messages_sent, 1);
  return G_SOURCE_REMOVE;
}

static gboolean
close_transport (gpointer data)
{
  P2pTransport *self = data;

  set_state (self, P2P_TRANSPORT_STATE_CLOSED, NULL);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  P2pTransport *self;
  P2pMediaFunc func;
  P2pMediaListFunc list_func;
  gpointer user_data;
  GDestroyNotify notify;
} MediaCallback;

static gboolean
set_media_callback (gpointer data)
{
  MediaCallback *mc = data;
  P2pTransport *self = mc->self;

  if (self->media_notify)
    self->media_notify (self->media_data);
  self->media_func = mc->func;
  self->media_list_func = NULL;
  self->media_data = mc->user_data;
  self->media_notify = mc->notify;
  return G_SOURCE_REMOVE;
}

static gboolean
set_media_list_callback (gpointer data)
{
  MediaCallback *mc = data;

  mc->self->media_list_func = mc->list_func;
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* GObject */

static void
p2p_transport_init (P2pTransport * self)
{
  g_mutex_init (&self->lock);
  self->srtp_profiles = g_strdup (DEFAULT_SRTP_PROFILES);
  self->ice_tcp = TRUE;
  self->relays = g_ptr_array_new_with_free_func ((GDestroyNotify)
      relay_server_free);
  self->local_addresses = g_ptr_array_new_with_free_func (g_free);
  self->queued_candidates = g_ptr_array_new_with_free_func (g_free);
  self->held_tcp_candidates = g_ptr_array_new_with_free_func (g_free);
  self->held_srflx = g_ptr_array_new_with_free_func (g_free);
  self->opener_targets = g_ptr_array_new_with_free_func (g_free);
  self->nat_depth = -1;
  self->rtt_ms = -1;
  self->handshake_us = -1;
  self->receive_buffer = self->send_buffer = -1;
  self->path_mtu = -1;
  self->payload_mtu = P2P_TRANSPORT_SAFE_PAYLOAD_MTU;
  self->state = P2P_TRANSPORT_STATE_NEW;
  self->batch = p2p_batch_sender_new ();
  self->rtcp_limiter = p2p_rtcp_limiter_new ();
}

static void
p2p_transport_constructed (GObject * object)
{
  P2pTransport *self = P2P_TRANSPORT (object);

  G_OBJECT_CLASS (p2p_transport_parent_class)->constructed (object);

  if (self->loop == NULL)
    self->loop = p2p_loop_get_default ();
  self->context = g_main_context_ref (p2p_loop_get_context (self->loop));
  self->unselected = p2p_unselected_sockets_new (self->loop);
  self->batch_receiver = p2p_batch_receiver_new (self->loop,
      batch_receive_cb, self);
  if (self->identity == NULL)
    self->identity = p2p_identity_generate (P2P_KEY_TYPE_ECDSA_P256, NULL, 0,
        NULL);

  /* Trickle lets checks start before gathering finishes. No libnice
   * consent freshness: it sends one unretransmitted check every 4-6 s and
   * drops the path 10 s after the last answer, so one lost check or answer
   * (one in ten under 5 % loss each way) tore down a working call. The
   * message channel's pings, answered every second and authenticated by
   * DTLS, are the consent check instead (p2p-channel.c). */
  self->agent = nice_agent_new_full (self->context, NICE_COMPATIBILITY_RFC5245,
      NICE_AGENT_OPTION_ICE_TRICKLE);
  /* Connectivity checks are paced every ICE_PACING_MS instead of libnice's
   * 20 ms (RFC 5245's floor, meant for NATs of 2010 creating bindings):
   * with host, IPv6 and TCP candidates the winning pair is often the third
   * or fourth check, 40-60 ms at 20 ms pacing. RFC 8445 section 14.2 allows
   * down to 5 ms; one stream of ~100-byte checks at 10 ms is 80 kbit/s. */
  g_object_set (self->agent, "controlling-mode", self->controlling,
      "upnp", FALSE, "stun-pacing-timer", ICE_PACING_MS,
      "max-connectivity-checks", MAX_CONNECTIVITY_CHECKS, NULL);
  g_object_get (self->agent, "idle-timeout", &self->idle_timeout, NULL);
  self->stream_id = nice_agent_add_stream (self->agent, 1);

  g_signal_connect (self->agent, "new-candidate-full",
      G_CALLBACK (new_candidate_cb), self);
  g_signal_connect (self->agent, "candidate-gathering-done",
      G_CALLBACK (gathering_done_cb), self);
  g_signal_connect (self->agent, "component-state-changed",
      G_CALLBACK (component_state_cb), self);
  g_signal_connect (self->agent, "new-selected-pair-full",
      G_CALLBACK (selected_pair_cb), self);
  nice_agent_attach_recv (self->agent, self->stream_id, COMPONENT_ID,
      self->context, receive_cb, self);
}

static gboolean
dispose_on_loop (gpointer data)
{
  P2pTransport *self = data;

  if (self->unselected)
    p2p_unselected_sockets_unpark (self->unselected);
  /* Before libnice closes the pair's socket. */
  p2p_batch_receiver_set_path (self->batch_receiver, -1, NULL, 0);
  if (self->agent) {
    g_signal_handlers_disconnect_by_data (self->agent, self);
    if (self->stream_id) {
      nice_agent_attach_recv (self->agent, self->stream_id, COMPONENT_ID,
          self->context, NULL, NULL);
      nice_agent_remove_stream (self->agent, self->stream_id);
      self->stream_id = 0;
    }
    nice_agent_close_async (self->agent, NULL, NULL);
    g_clear_object (&self->agent);
  }
  g_clear_pointer (&self->channel, p2p_channel_free);
  g_clear_pointer (&self->dtls, p2p_dtls_free);
  if (self->tcp_timer) {
    g_source_destroy (self->tcp_timer);
    g_clear_pointer (&self->tcp_timer, g_source_unref);
  }
  if (self->mtu_timer) {
    g_source_destroy (self->mtu_timer);
    g_clear_pointer (&self->mtu_timer, g_source_unref);
  }
  if (self->relay_idle) {
    g_source_destroy (self->relay_idle);
    g_clear_pointer (&self->relay_idle, g_source_unref);
  }
  if (self->srflx_timer) {
    g_source_destroy (self->srflx_timer);
    g_clear_pointer (&self->srflx_timer, g_source_unref);
  }
  if (self->settle_timer) {
    g_source_destroy (self->settle_timer);
    g_clear_pointer (&self->settle_timer, g_source_unref);
  }
  g_clear_pointer (&self->nat_probe, p2p_nat_opener_probe_cancel);
  g_clear_pointer (&self->mapping, p2p_port_mapping_free);
  /* Its sockets stay open until finalize, for a sender on another
   * thread. */
  if (self->punch)
    p2p_punch_stop (self->punch);
  if (self->mapping_timer) {
    g_source_destroy (self->mapping_timer);
    g_clear_pointer (&self->mapping_timer, g_source_unref);
  }
  if (self->media_notify)
    self->media_notify (self->media_data);
  self->media_notify = NULL;
  self->media_func = NULL;
  self->media_list_func = NULL;
  return G_SOURCE_REMOVE;
}

static void
p2p_transport_dispose (GObject * object)
{
  P2pTransport *self = P2P_TRANSPORT (object);

  /* Timers and the receive callback live on the loop thread; tear them
   * down there so none can fire on a half-destroyed object. */
  if (self->loop && (self->agent || self->dtls || self->channel
          || self->tcp_timer || self->srflx_timer || self->nat_probe))
    p2p_loop_invoke_sync (self->loop, dispose_on_loop, self);

  G_OBJECT_CLASS (p2p_transport_parent_class)->dispose (object);
}

static void
p2p_transport_finalize (GObject * object)
{
  P2pTransport *self = P2P_TRANSPORT (object);

  p2p_srtp_free (self->srtp);
  p2p_batch_sender_free (self->batch);
  p2p_unselected_sockets_free (self->unselected);
  p2p_batch_receiver_free (self->batch_receiver);
  p2p_rtcp_limiter_free (self->rtcp_limiter);
  p2p_punch_free (self->punch);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->loop);
  g_free (self->srtp_profiles);
  g_free (self->expected_fingerprint);
  g_free (self->stun_ip);
  g_ptr_array_unref (self->relays);
  g_ptr_array_unref (self->local_addresses);
  g_ptr_array_unref (self->queued_candidates);
  g_ptr_array_unref (self->held_tcp_candidates);
  g_ptr_array_unref (self->held_srflx);
  g_ptr_array_unref (self->opener_targets);
  g_clear_error (&self->error);
  if (self->remote_sdp)
    gst_sdp_message_free (self->remote_sdp);
  g_free (self->local_candidate_type);
  g_free (self->remote_candidate_type);
  g_free (self->local_address);
  g_free (self->remote_address);
  g_free (self->remote_ufrag);
#if P2P_ENABLE_TEST_HOOKS
  if (self->loss_rand)
    g_rand_free (self->loss_rand);
#endif
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (p2p_transport_parent_class)->finalize (object);
}

static void
p2p_transport_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  P2pTransport *self = P2P_TRANSPORT (object);

  switch (prop_id) {
    case PROP_LOOP:
      self->loop = g_value_dup_object (value);
      break;
    case PROP_IDENTITY:
      self->identity = g_value_dup_object (value);
      break;
    case PROP_CONTROLLING:
      self->controlling = g_value_get_boolean (value);
      break;
    case PROP_DTLS_ROLE:
      g_mutex_lock (&self->lock);
      self->dtls_role = g_value_get_enum (value);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_SRTP_PROFILES:
      g_mutex_lock (&self->lock);
      g_free (self->srtp_profiles);
      self->srtp_profiles = g_value_dup_string (value);
      if (self->srtp_profiles == NULL)
        self->srtp_profiles = g_strdup (DEFAULT_SRTP_PROFILES);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_FORCE_RELAY:
      g_mutex_lock (&self->lock);
      self->force_relay = g_value_get_boolean (value);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_ICE_TCP:
      g_mutex_lock (&self->lock);
      self->ice_tcp = g_value_get_boolean (value);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_EXPECTED_FINGERPRINT:
      p2p_transport_set_expected_fingerprint (self, g_value_get_string (value));
      break;
    case PROP_PORT_MAPPING:
      g_mutex_lock (&self->lock);
      self->port_mapping = g_value_get_boolean (value);
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
p2p_transport_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  P2pTransport *self = P2P_TRANSPORT (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_LOOP:
      g_value_set_object (value, self->loop);
      break;
    case PROP_IDENTITY:
      g_value_set_object (value, self->identity);
      break;
    case PROP_CONTROLLING:
      g_value_set_boolean (value, self->controlling);
      break;
    case PROP_DTLS_ROLE:
      g_value_set_enum (value, self->dtls_role);
      break;
    case PROP_SRTP_PROFILES:
      g_value_set_string (value, self->srtp_profiles);
      break;
    case PROP_FORCE_RELAY:
      g_value_set_boolean (value, self->force_relay);
      break;
    case PROP_ICE_TCP:
      g_value_set_boolean (value, self->ice_tcp);
      break;
    case PROP_EXPECTED_FINGERPRINT:
      g_value_set_string (value, self->expected_fingerprint);
      break;
    case PROP_PORT_MAPPING:
      g_value_set_boolean (value, self->port_mapping);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_PAYLOAD_MTU:
      g_value_set_int (value, self->payload_mtu);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
p2p_transport_class_init (P2pTransportClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->constructed = p2p_transport_constructed;
  gobject_class->dispose = p2p_transport_dispose;
  gobject_class->finalize = p2p_transport_finalize;
  gobject_class->set_property = p2p_transport_set_property;
  gobject_class->get_property = p2p_transport_get_property;

  /**
   * P2pTransport:loop:
   *
   * The loop whose thread runs this transport's networking. Default: the
   * process-wide p2p_loop_get_default().
   */
  properties[PROP_LOOP] = g_param_spec_object ("loop", "Loop",
      "Loop running the networking", P2P_TYPE_LOOP,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:identity:
   *
   * Key and certificate used for DTLS. Default: a freshly generated
   * ephemeral ECDSA P-256 identity.
   */
  properties[PROP_IDENTITY] = g_param_spec_object ("identity", "Identity",
      "Key and certificate for DTLS", P2P_TYPE_IDENTITY,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:controlling:
   *
   * %TRUE on the side that makes the offer (ICE controlling agent, DTLS
   * `actpass`), %FALSE on the answering side. Default: %FALSE.
   */
  properties[PROP_CONTROLLING] = g_param_spec_boolean ("controlling",
      "Controlling", "Offering side (ICE controlling)", FALSE,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:dtls-role:
   *
   * DTLS role the answering side asks for when the offer says `actpass`.
   * Set it before p2p_transport_set_remote_description(). Default:
   * %P2P_DTLS_ROLE_AUTO (client).
   */
  properties[PROP_DTLS_ROLE] = g_param_spec_enum ("dtls-role", "DTLS role",
      "DTLS role of an answerer", P2P_TYPE_DTLS_ROLE, P2P_DTLS_ROLE_AUTO,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:srtp-profiles:
   *
   * SRTP protection profiles offered in the DTLS handshake, most preferred
   * first, in OpenSSL's colon-separated form. Default:
   * `SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80`.
   */
  properties[PROP_SRTP_PROFILES] = g_param_spec_string ("srtp-profiles",
      "SRTP profiles", "SRTP protection profiles, preferred first",
      DEFAULT_SRTP_PROFILES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:force-relay:
   *
   * Only gather and use TURN relay candidates (hides both peers' addresses
   * from each other). Set before the first description. Default: %FALSE.
   */
  properties[PROP_FORCE_RELAY] = g_param_spec_boolean ("force-relay",
      "Force relay", "Use TURN relay candidates only", FALSE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:ice-tcp:
   *
   * Also gather ICE-TCP candidates (RFC 6544), a fallback for networks that
   * block UDP. Set before the first description. Default: %TRUE.
   */
  properties[PROP_ICE_TCP] = g_param_spec_boolean ("ice-tcp", "ICE-TCP",
      "Gather ICE-TCP candidates", TRUE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:port-mapping:
   *
   * Ask the host's gateway (its IPv4 default route) for a port mapping to
   * the ICE socket, with PCP and else NAT-PMP, and offer the mapped address
   * as one more candidate: a peer then reaches us directly even through a
   * symmetric NAT. A gateway silent on PCP for 750 ms is looked for with
   * UPnP IGD (one SSDP search on the default route's interface only).
   * Asynchronous: no candidate waits for the gateway, and "gathering
   * done" waits at most a second for it (a UPnP mapping, about 2 s, comes
   * after it as a trickled candidate). The mapping is renewed
   * while the transport lives and deleted when it closes. Set before the
   * first description. Default: %FALSE (the elements turn it on).
   */
  properties[PROP_PORT_MAPPING] = g_param_spec_boolean ("port-mapping",
      "Port mapping",
      "Ask the gateway for a port mapping (PCP, NAT-PMP, UPnP IGD)",
      FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:expected-fingerprint:
   *
   * When set, the peer's DTLS certificate must also have this SHA-256
   * fingerprint (SDP form), whatever its description says. A viewer sets
   * the fingerprint registered for the camera's UID, so a compromised
   * signalling server cannot substitute its own certificate. Default: %NULL.
   */
  properties[PROP_EXPECTED_FINGERPRINT] =
      g_param_spec_string ("expected-fingerprint", "Expected fingerprint",
      "Fingerprint the peer certificate must have", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:state:
   *
   * Current #P2pTransportState; notified on the loop thread.
   */
  properties[PROP_STATE] = g_param_spec_enum ("state", "State",
      "Transport state", P2P_TYPE_TRANSPORT_STATE, P2P_TRANSPORT_STATE_NEW,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:mode:
   *
   * #P2pConnectionMode of the selected candidate pair. Notified on the loop
   * thread when the mode or the finer technique
   * (p2p_transport_get_technique()) changes: a path that settles on another
   * pair than the first one selected is reported again.
   */
  properties[PROP_MODE] = g_param_spec_enum ("mode", "Mode",
      "Connection mode of the selected pair", P2P_TYPE_CONNECTION_MODE,
      P2P_CONNECTION_MODE_NONE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * P2pTransport:payload-mtu:
   *
   * The RTP packet size the selected pair carries unfragmented (the
   * statistics' `payload_mtu`): what payloaders feeding this transport
   * use as their `mtu`. Notified on the loop thread when it changes: the
   * pair changes, or the path MTU of a direct pair shrinks mid-call (the
   * kernel refused the batched path's segments).
   */
  properties[PROP_PAYLOAD_MTU] = g_param_spec_int ("payload-mtu",
      "Payload MTU", "RTP packet size the selected pair carries",
      0, G_MAXINT, P2P_TRANSPORT_SAFE_PAYLOAD_MTU,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  /**
   * P2pTransport::local-candidate:
   * @transport: the transport
   * @candidate: an SDP candidate line without the `a=` prefix
   *     (`candidate:…`), or an empty string when gathering is complete
   *
   * A local candidate to send to the peer (trickle ICE).
   */
  signals[SIGNAL_LOCAL_CANDIDATE] = g_signal_new ("local-candidate",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * P2pTransport::message-received:
   * @transport: the transport
   * @message: the message
   *
   * A message from the peer's message channel, in order.
   */
  signals[SIGNAL_MESSAGE_RECEIVED] = g_signal_new ("message-received",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_BYTES);
}

/* ------------------------------------------------------------------------ */
/* Public API */

/**
 * p2p_transport_new:
 * @loop: (nullable): loop to run on, %NULL for the default loop
 * @identity: (nullable): DTLS identity (with private key), %NULL for an
 *     ephemeral one
 * @controlling: %TRUE for the side that makes the offer
 *
 * Returns: (transfer full): a new transport
 */
P2pTransport *
p2p_transport_new (P2pLoop * loop, P2pIdentity * identity, gboolean controlling)
{
  g_return_val_if_fail (loop == NULL || P2P_IS_LOOP (loop), NULL);
  g_return_val_if_fail (identity == NULL || P2P_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (identity == NULL
      || p2p_identity_has_private_key (identity), NULL);

  return g_object_new (P2P_TYPE_TRANSPORT, "loop", loop, "identity",
      identity, "controlling", controlling, NULL);
}

/**
 * p2p_transport_add_ice_server:
 * @self: a #P2pTransport
 * @uri: a STUN or TURN URI (RFC 7064, RFC 7065): `stun:host[:port]`,
 *     `turn:host[:port][?transport=udp|tcp]` or `turns:host[:port]`
 * @username: (nullable): TURN username
 * @credential: (nullable): TURN password
 * @error: return location for a #GError
 *
 * Adds a STUN or TURN server. Call before the first description is made.
 * Host names are resolved in the background, never blocking the loop
 * thread: a TURN server joins the gathering once its address is known,
 * and one whose name does not resolve is left out (logged). libnice uses
 * one STUN server; later STUN URIs are ignored.
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_transport_add_ice_server (P2pTransport * self, const gchar * uri,
    const gchar * username, const gchar * credential, GError ** error)
{
  g_autofree gchar *ip = NULL;
  g_autoptr (GError) err = NULL;
  P2pIceUri parsed;
  NiceRelayType type;
  gboolean stun, is_name;
  guint port;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);

  if (!p2p_ice_uri_parse (uri, &parsed, &err)) {
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_ICE_SERVER, err->message);
    return FALSE;
  }
  stun = parsed.transport == P2P_ICE_URI_STUN;
  type = parsed.transport == P2P_ICE_URI_TURN_TLS ? NICE_RELAY_TYPE_TURN_TLS
      : parsed.transport == P2P_ICE_URI_TURN_TCP ? NICE_RELAY_TYPE_TURN_TCP :
      NICE_RELAY_TYPE_TURN_UDP;
  port = parsed.port;
  if (!stun && (username == NULL || credential == NULL)) {
    p2p_ice_uri_clear (&parsed);
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_ICE_SERVER,
        "TURN server \"%s\" needs a username and a credential", uri);
    return FALSE;
  }
  /* A host name stays a name: resolved without blocking, see above. */
  {
    g_autoptr (GInetAddress) addr =
        g_inet_address_new_from_string (parsed.host);

    is_name = addr == NULL;
    ip = addr ? g_inet_address_to_string (addr) : g_strdup (parsed.host);
  }
  p2p_ice_uri_clear (&parsed);

  g_mutex_lock (&self->lock);
  if (stun) {
    /* libnice resolves a STUN host name itself, asynchronously. */
    if (self->stun_ip == NULL) {
      self->stun_ip = g_steal_pointer (&ip);
      self->stun_port = port;
    }
  } else {
    RelayServer *r = g_new0 (RelayServer, 1);

    r->type = type;
    r->port = port;
    r->username = g_strdup (username);
    r->credential = g_strdup (credential);
    if (is_name)
      r->host = g_steal_pointer (&ip);
    else
      r->ip = g_steal_pointer (&ip);
    g_ptr_array_add (self->relays, r);
    if (is_name)
      resolve_relay (self, r);
  }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/**
 * p2p_transport_add_local_address:
 * @self: a #P2pTransport
 * @address: a numeric IPv4 or IPv6 address of this host
 *
 * Restricts host candidates to the given addresses (call once per address,
 * before the first description). By default every interface is used.
 * Tests use it to keep all traffic on loopback.
 *
 * Returns: %TRUE if @address is a valid numeric address
 */
gboolean
p2p_transport_add_local_address (P2pTransport * self, const gchar * address)
{
  g_autoptr (GInetAddress) addr = NULL;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  addr = g_inet_address_new_from_string (address);
  if (addr == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->local_addresses, g_strdup (address));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/**
 * p2p_transport_set_link_local_scope:
 * @self: a #P2pTransport
 * @scope_id: an interface index, or 0 for none
 *
 * The peer is a neighbour on the link of interface @scope_id, reached over
 * IPv6 link-local addresses (p2p_signaller_get_call_scope_id()): this end
 * also offers its link-local address on that interface as a host
 * candidate, and the peer's link-local candidates, which SDP cannot give a
 * scope, get this one. On a link with no router these are the only
 * addresses the two ends share. Set it before the first description.
 */
void
p2p_transport_set_link_local_scope (P2pTransport * self, guint scope_id)
{
  g_return_if_fail (P2P_IS_TRANSPORT (self));

  g_mutex_lock (&self->lock);
  self->link_scope = scope_id;
  g_mutex_unlock (&self->lock);
}

/**
 * p2p_transport_set_expected_fingerprint:
 * @self: a #P2pTransport
 * @fingerprint: (nullable): SHA-256 fingerprint in SDP form, or %NULL
 *
 * See #P2pTransport:expected-fingerprint. Must be set before the remote
 * description.
 */
void
p2p_transport_set_expected_fingerprint (P2pTransport * self,
    const gchar * fingerprint)
{
  g_return_if_fail (P2P_IS_TRANSPORT (self));

  g_mutex_lock (&self->lock);
  g_free (self->expected_fingerprint);
  self->expected_fingerprint = g_strdup (fingerprint);
  g_mutex_unlock (&self->lock);
}

/**
 * p2p_transport_set_media_callback:
 * @self: a #P2pTransport
 * @func: (nullable) (scope notified): called for each received packet
 * @user_data: (closure): data for @func
 * @notify: (nullable): frees @user_data when replaced or on dispose
 *
 * Sets the receiver of decrypted RTP and RTCP. See #P2pMediaFunc.
 */
void
p2p_transport_set_media_callback (P2pTransport * self, P2pMediaFunc func,
    gpointer user_data, GDestroyNotify notify)
{
  MediaCallback mc = { self, func, NULL, user_data, notify };

  g_return_if_fail (P2P_IS_TRANSPORT (self));

  /* Swapped on the loop thread so no packet sees a half-set callback. */
  p2p_loop_invoke_sync (self->loop, set_media_callback, &mc);
}

/**
 * p2p_transport_set_media_list_callback:
 * @self: a #P2pTransport
 * @func: (nullable): called for the packets that arrived together, with
 *     the user data of the media callback
 *
 * Sets a receiver for packets that arrive as a batch (the viewer's batched
 * receive path), given in one call per read instead of one media callback
 * each; packets that arrive one at a time still go to the media callback.
 * Call after p2p_transport_set_media_callback(), which clears it.
 */
void
p2p_transport_set_media_list_callback (P2pTransport * self,
    P2pMediaListFunc func)
{
  MediaCallback mc = { self, NULL, func, NULL, NULL };

  g_return_if_fail (P2P_IS_TRANSPORT (self));

  p2p_loop_invoke_sync (self->loop, set_media_list_callback, &mc);
}

static gchar *
run_description_op (P2pTransport * self, const GstSDPMessage * media,
    gboolean is_offer, GError ** error)
{
  Op op = { self, media, NULL, is_offer };

  p2p_loop_invoke_sync (self->loop, create_local_description, &op);
  if (op.error)
    g_propagate_error (error, op.error);
  return op.result;
}

/**
 * p2p_transport_create_offer:
 * @self: a controlling #P2pTransport
 * @media: (nullable): media sections to offer (`m=` lines with formats and
 *     attributes such as rtpmap, fmtp, direction, mid); the transport adds
 *     its own ICE, DTLS and bundle attributes
 * @error: return location for a #GError
 *
 * Starts candidate gathering and returns the offer. Local candidates follow
 * through #P2pTransport::local-candidate.
 *
 * Returns: (transfer full) (nullable): the offer SDP text
 */
gchar *
p2p_transport_create_offer (P2pTransport * self, const GstSDPMessage * media,
    GError ** error)
{
  g_return_val_if_fail (P2P_IS_TRANSPORT (self), NULL);
  return run_description_op (self, media, TRUE, error);
}

/**
 * p2p_transport_create_answer:
 * @self: a non-controlling #P2pTransport with the remote offer set
 * @media: (nullable): media sections of the answer
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the answer SDP text
 */
gchar *
p2p_transport_create_answer (P2pTransport * self, const GstSDPMessage * media,
    GError ** error)
{
  g_return_val_if_fail (P2P_IS_TRANSPORT (self), NULL);
  return run_description_op (self, media, FALSE, error);
}

/**
 * p2p_transport_set_remote_description:
 * @self: a #P2pTransport
 * @sdp: the peer's offer or answer
 * @error: return location for a #GError
 *
 * Applies the peer's description: ICE credentials, certificate fingerprint,
 * DTLS role and any candidates it carries. A malformed description is
 * refused with %P2P_TRANSPORT_ERROR_SDP and changes nothing.
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_transport_set_remote_description (P2pTransport * self, const gchar * sdp,
    GError ** error)
{
  Op op = { self, NULL, sdp };

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);

  p2p_loop_invoke_sync (self->loop, set_remote_description, &op);
  if (op.error)
    g_propagate_error (error, op.error);
  return op.ok;
}

/**
 * p2p_transport_get_remote_description:
 * @self: a #P2pTransport
 *
 * Returns: (transfer full) (nullable): a copy of the parsed remote
 *     description (the caller reads its media sections), or %NULL
 */
GstSDPMessage *
p2p_transport_get_remote_description (P2pTransport * self)
{
  GstSDPMessage *copy = NULL;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->remote_sdp)
    gst_sdp_message_copy (self->remote_sdp, &copy);
  g_mutex_unlock (&self->lock);
  return copy;
}

/**
 * p2p_transport_add_remote_candidate:
 * @self: a #P2pTransport
 * @candidate: (nullable): a `candidate:…` line from the peer, or %NULL / an
 *     empty string when the peer finished gathering
 * @error: return location for a #GError
 *
 * Adds a trickled remote candidate. Candidates arriving before the remote
 * description are kept (up to 64) and applied with it.
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_transport_add_remote_candidate (P2pTransport * self,
    const gchar * candidate, GError ** error)
{
  Op op = { self, NULL, candidate };

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);

  p2p_loop_invoke_sync (self->loop, add_remote_candidate, &op);
  if (op.error)
    g_propagate_error (error, op.error);
  return op.ok;
}

/**
 * p2p_transport_restart_ice:
 * @self: a controlling #P2pTransport
 * @error: return location for a #GError
 *
 * Starts an ICE restart (new credentials, new checks) while DTLS and SRTP
 * stay up: afterwards call p2p_transport_create_offer() again and send the
 * new offer; the peer answers as usual.
 *
 * Returns: %TRUE on success
 */
gboolean
p2p_transport_restart_ice (P2pTransport * self, GError ** error)
{
  Op op = { self };

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);

  p2p_loop_invoke_sync (self->loop, restart_ice, &op);
  if (op.error)
    g_propagate_error (error, op.error);
  return op.ok;
}

/* Checks what the caller asks to send. */
static gboolean
check_packet (gboolean rtcp, const guint8 * data, gsize size, GError ** error)
{
  if (size > P2P_TRANSPORT_MAX_PACKET) {
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_TOO_LARGE,
        "Packet of %" G_GSIZE_FORMAT " bytes exceeds the limit of %d", size,
        P2P_TRANSPORT_MAX_PACKET);
    return FALSE;
  }
  if (p2p_demux_classify (data, size) !=
      (rtcp ? P2P_PACKET_RTCP : P2P_PACKET_RTP)) {
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_FAILED, rtcp ? "Not an RTCP packet" :
        "Not an RTP packet");
    return FALSE;
  }
  return TRUE;
}

static P2pSrtp *
check_connected (P2pTransport * self, GError ** error)
{
  P2pSrtp *srtp = g_atomic_pointer_get (&self->srtp);

  if (srtp == NULL || g_atomic_int_get (&self->state) !=
      P2P_TRANSPORT_STATE_CONNECTED) {
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_INVALID_STATE, "The transport is not connected");
    return NULL;
  }
  return srtp;
}

/* Hands @n (at most P2P_BATCH_SENDER_MAX) encrypted datagrams to the
 * network: the batched path when it is up, libnice for the rest. Returns
 * how many were taken; a full socket buffer drops the others, as UDP
 * would, and RTX repairs. */
static guint
send_datagrams (P2pTransport * self, guint8 * const *datagrams,
    const gsize * sizes, guint n)
{
  NiceOutputMessage messages[P2P_BATCH_SENDER_MAX];
  GOutputVector vectors[P2P_BATCH_SENDER_MAX];
  guint sent = 0, i;
  gint r = 0;

  /* While a punched path carries the traffic (p2p-punch.c), ICE's pair is
   * only the fallback; a path lost in mid-batch drops the rest, as a full
   * socket buffer would. */
  for (i = 0; i < n && r >= 0; i++) {
    r = p2p_punch_send (self->punch, datagrams[i], sizes[i]);
    sent += MAX (r, 0);
  }
  if (r >= 0 || i > 1)
    return sent;
  sent = 0;
  switch (p2p_batch_sender_send (self->batch, datagrams, sizes, n, &sent)) {
    case P2P_BATCH_PATH_MTU:
      p2p_loop_invoke (self->loop, path_mtu_refused, g_object_ref (self),
          g_object_unref);
      break;
    case P2P_BATCH_INACTIVE:
      break;
    default:
      return sent;
  }
  if (sent == n)
    return sent;
  for (i = sent; i < n; i++) {
    vectors[i].buffer = datagrams[i];
    vectors[i].size = sizes[i];
    messages[i].buffers = &vectors[i];
    messages[i].n_buffers = 1;
  }
  r = nice_agent_send_messages_nonblocking (self->agent, self->stream_id,
      COMPONENT_ID, messages + sent, n - sent, NULL, NULL);
  return sent + MAX (r, 0);
}

static void
set_would_block (GError ** error)
{
  g_set_error_literal (error, P2P_TRANSPORT_ERROR,
      P2P_TRANSPORT_ERROR_WOULD_BLOCK, "The network did not take the packet");
}

static gboolean
send_media (P2pTransport * self, gboolean rtcp, const guint8 * data,
    gsize size, GError ** error)
{
  guint8 buf[P2P_TRANSPORT_MAX_PACKET + P2P_SRTP_MAX_TRAILER];
  guint8 *datagram = buf;
  P2pSrtp *srtp;
  gsize len;

  if (!(srtp = check_connected (self, error))
      || !check_packet (rtcp, data, size, error))
    return FALSE;

  /* The caller's packet may be shared (fan-out to many viewers): encrypted
   * onto the stack, with no copy before. */
  if (!p2p_srtp_protect_into (srtp, rtcp, data, size, buf, &len)) {
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_SRTP, "SRTP protection failed");
    return FALSE;
  }
  if (send_datagrams (self, &datagram, &len, 1) == 0) {
    set_would_block (error);
    return FALSE;
  }
  if (rtcp) {
    COUNT (rtcp_packets_sent, 1);
  } else {
    COUNT (rtp_packets_sent, 1);
    COUNT (rtp_bytes_sent, size);
  }
  return TRUE;
}

/* Where p2p_transport_send_rtp_list() encrypts a batch: one per sending
 * thread, for the thread's life (too large for a streaming thread's stack
 * under a sanitizer). */
typedef struct
{
  guint8 slot[P2P_BATCH_SENDER_MAX][P2P_TRANSPORT_MAX_PACKET +
      P2P_SRTP_MAX_TRAILER];
} BatchScratch;

static GPrivate batch_scratch = G_PRIVATE_INIT (g_free);

/**
 * p2p_transport_send_rtp:
 * @self: a connected #P2pTransport
 * @data: (array length=size): an RTP packet
 * @size: its size, at most %P2P_TRANSPORT_MAX_PACKET
 * @error: return location for a #GError
 *
 * Encrypts and sends one RTP packet. Callable from any thread; does not
 * allocate (except a #GError on failure) and does not wait for the loop.
 *
 * Returns: %TRUE when the packet was handed to the network
 */
gboolean
p2p_transport_send_rtp (P2pTransport * self, const guint8 * data, gsize size,
    GError ** error)
{
  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  return send_media (self, FALSE, data, size, error);
}

/**
 * p2p_transport_send_rtp_list:
 * @self: a connected #P2pTransport
 * @packets: (array length=n_packets): RTP packets, in sending order
 * @sizes: (array length=n_packets): their sizes, each at most
 *     %P2P_TRANSPORT_MAX_PACKET
 * @n_packets: the number of packets
 * @error: return location for a #GError
 *
 * Encrypts and sends RTP packets as p2p_transport_send_rtp() does, as few
 * system calls as possible: on a direct UDP path, each run of equal-sized
 * packets (a payloader's packets of one frame) leaves in one UDP GSO
 * send. Nothing is sent when a packet is not RTP or too large. Callable
 * from any thread; does not wait for the loop.
 *
 * Returns: %TRUE when every packet was handed to the network
 */
gboolean
p2p_transport_send_rtp_list (P2pTransport * self,
    const guint8 * const *packets, const gsize * sizes, guint n_packets,
    GError ** error)
{
  guint8 *datagrams[P2P_BATCH_SENDER_MAX];
  gsize lens[P2P_BATCH_SENDER_MAX];
  BatchScratch *scratch;
  P2pSrtp *srtp;
  gboolean all = TRUE;
  guint first, i;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (n_packets == 0 || (packets && sizes), FALSE);

  if (!(srtp = check_connected (self, error)))
    return FALSE;
  for (i = 0; i < n_packets; i++) {
    if (!check_packet (FALSE, packets[i], sizes[i], error))
      return FALSE;
  }
  scratch = g_private_get (&batch_scratch);
  if (scratch == NULL) {
    scratch = g_new (BatchScratch, 1);
    g_private_set (&batch_scratch, scratch);
  }

  for (first = 0; first < n_packets; first += P2P_BATCH_SENDER_MAX) {
    guint n = MIN (n_packets - first, P2P_BATCH_SENDER_MAX), sent;
    gsize bytes = 0;

    for (i = 0; i < n; i++) {
      datagrams[i] = scratch->slot[i];
      if (!p2p_srtp_protect_into (srtp, FALSE, packets[first + i],
              sizes[first + i], datagrams[i], &lens[i])) {
        g_set_error_literal (error, P2P_TRANSPORT_ERROR,
            P2P_TRANSPORT_ERROR_SRTP, "SRTP protection failed");
        return FALSE;
      }
    }
    sent = send_datagrams (self, datagrams, lens, n);
    for (i = 0; i < sent; i++)
      bytes += sizes[first + i];
    COUNT (rtp_packets_sent, sent);
    COUNT (rtp_bytes_sent, bytes);
    all &= sent == n;
  }
  if (!all)
    set_would_block (error);
  return all;
}

/**
 * p2p_transport_send_rtcp:
 * @self: a connected #P2pTransport
 * @data: (array length=size): a (compound) RTCP packet
 * @size: its size, at most %P2P_TRANSPORT_MAX_PACKET
 * @error: return location for a #GError
 *
 * As p2p_transport_send_rtp(), for RTCP.
 *
 * Returns: %TRUE when the packet was handed to the network
 */
gboolean
p2p_transport_send_rtcp (P2pTransport * self, const guint8 * data,
    gsize size, GError ** error)
{
  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  return send_media (self, TRUE, data, size, error);
}

/**
 * p2p_transport_send_message:
 * @self: a connected #P2pTransport
 * @message: the message, at most %P2P_TRANSPORT_MAX_MESSAGE bytes
 * @error: return location for a #GError
 *
 * Queues a message for reliable, ordered delivery to the peer's
 * #P2pTransport::message-received. Fails with
 * %P2P_TRANSPORT_ERROR_WOULD_BLOCK when 1 MiB is already waiting for
 * acknowledgement.
 *
 * Returns: %TRUE when queued
 */
gboolean
p2p_transport_send_message (P2pTransport * self, GBytes * message,
    GError ** error)
{
  Op op = { self, (const GstSDPMessage *) message };

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  p2p_loop_invoke_sync (self->loop, send_message, &op);
  if (op.error)
    g_propagate_error (error, op.error);
  return op.ok;
}

typedef struct
{
  P2pTransport *self;
  const gchar *label;
  guint8 *out;
  gsize length;
  gboolean ok;
} ExportOp;

static gboolean
export_keying_material (gpointer data)
{
  ExportOp *op = data;
  P2pTransport *self = op->self;

  op->ok = self->dtls && g_atomic_int_get (&self->state) ==
      P2P_TRANSPORT_STATE_CONNECTED
      && p2p_dtls_export_keying_material (self->dtls, op->label, op->out,
      op->length);
  return G_SOURCE_REMOVE;
}

/**
 * p2p_transport_export_keying_material:
 * @self: a connected #P2pTransport
 * @label: an RFC 5705 exporter label; must start with `EXPORTER-`
 * @length: bytes wanted, 1 to #P2P_TRANSPORT_MAX_EXPORT
 * @error: return location for a #P2P_TRANSPORT_ERROR
 *
 * Exports keying material from this transport's DTLS session (RFC 5705,
 * no context value). Both ends of one DTLS session get the same bytes for
 * the same label, and nobody else can compute them: not the signalling
 * server, and not a party that terminates two DTLS sessions and relays
 * between them (each of its sessions has its own value). Protocols on the
 * message channel bind to the session with it, as the viewer login does
 * (docs/viewer-auth.md). Labels of other uses (`EXTRACTOR-dtls_srtp`, the
 * SRTP keys) are refused.
 *
 * Returns: (transfer full) (nullable): @length bytes, or %NULL with
 *     %P2P_TRANSPORT_ERROR_INVALID_STATE when the transport is not
 *     connected, %P2P_TRANSPORT_ERROR_FAILED for a bad label or length
 */
GBytes *
p2p_transport_export_keying_material (P2pTransport * self,
    const gchar * label, gsize length, GError ** error)
{
  ExportOp op = { self, label, NULL, length, FALSE };

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), NULL);
  g_return_val_if_fail (label != NULL, NULL);

  if (!g_str_has_prefix (label, "EXPORTER-") || length == 0
      || length > P2P_TRANSPORT_MAX_EXPORT) {
    g_set_error (error, P2P_TRANSPORT_ERROR, P2P_TRANSPORT_ERROR_FAILED,
        "An exporter label must start with \"EXPORTER-\" and the length "
        "be 1 to %d bytes", P2P_TRANSPORT_MAX_EXPORT);
    return NULL;
  }
  op.out = g_malloc (length);
  p2p_loop_invoke_sync (self->loop, export_keying_material, &op);
  if (!op.ok) {
    g_free (op.out);
    g_set_error_literal (error, P2P_TRANSPORT_ERROR,
        P2P_TRANSPORT_ERROR_INVALID_STATE,
        "The transport is not connected: no DTLS session to export from");
    return NULL;
  }
  return g_bytes_new_take (op.out, length);
}

/**
 * p2p_transport_close:
 * @self: a #P2pTransport
 *
 * Closes the transport: the peer is told (DTLS close_notify), ICE stops and
 * the state becomes %P2P_TRANSPORT_STATE_CLOSED. Idempotent.
 */
void
p2p_transport_close (P2pTransport * self)
{
  g_return_if_fail (P2P_IS_TRANSPORT (self));
  p2p_loop_invoke_sync (self->loop, close_transport, self);
}

/**
 * p2p_transport_get_state:
 * @self: a #P2pTransport
 *
 * Returns: the current state
 */
P2pTransportState
p2p_transport_get_state (P2pTransport * self)
{
  g_return_val_if_fail (P2P_IS_TRANSPORT (self), P2P_TRANSPORT_STATE_FAILED);
  return g_atomic_int_get (&self->state);
}

/**
 * p2p_transport_get_mode:
 * @self: a #P2pTransport
 *
 * Returns: the connection mode of the selected pair
 */
P2pConnectionMode
p2p_transport_get_mode (P2pTransport * self)
{
  P2pConnectionMode mode;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), P2P_CONNECTION_MODE_NONE);
  g_mutex_lock (&self->lock);
  mode = self->mode;
  g_mutex_unlock (&self->lock);
  return mode;
}

/**
 * p2p_transport_get_error:
 * @self: a #P2pTransport
 *
 * Returns: (transfer full) (nullable): why the transport failed or closed,
 *     or %NULL
 */
GError *
p2p_transport_get_error (P2pTransport * self)
{
  GError *error;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), NULL);
  g_mutex_lock (&self->lock);
  error = self->error ? g_error_copy (self->error) : NULL;
  g_mutex_unlock (&self->lock);
  return error;
}

/* Called with @lock held. */
static gchar *
describe_paths_locked (P2pTransport * self)
{
  GString *s = g_string_new (NULL);
  const guint *h = self->local_count, *r = self->remote_count;

  g_string_append_printf (s, "%u host, %u server-reflexive, %u relayed "
      "candidates here; %u host, %u server-reflexive, %u relayed from the "
      "peer", h[NICE_CANDIDATE_TYPE_HOST],
      h[NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE], h[NICE_CANDIDATE_TYPE_RELAYED],
      r[NICE_CANDIDATE_TYPE_HOST], r[NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE],
      r[NICE_CANDIDATE_TYPE_RELAYED]);
  if (self->remote_dropped)
    g_string_append_printf (s, " (%u more over the limit)",
        self->remote_dropped);
  if (self->relays->len > 0 && h[NICE_CANDIDATE_TYPE_RELAYED] == 0)
    g_string_append (s, "; no relay answered here");
  else if (self->relays->len == 0)
    g_string_append (s, "; no relay configured here");
  else if (r[NICE_CANDIDATE_TYPE_RELAYED] > 0)
    g_string_append (s, "; the relays answered but no pair through them "
        "worked");
  return g_string_free (s, FALSE);
}

/**
 * p2p_transport_describe_paths:
 * @self: a #P2pTransport
 *
 * A sentence for people on why a path exists or not: how many host,
 * server-reflexive and relayed candidates each side had, how many of the
 * peer's were dropped over the limits, and whether a relay answered here.
 * A failure message names its real cause with it ("no relay answered"
 * only when no TURN allocation succeeded here).
 *
 * Returns: (transfer full): the description
 */
gchar *
p2p_transport_describe_paths (P2pTransport * self)
{
  gchar *text;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), NULL);
  g_mutex_lock (&self->lock);
  text = describe_paths_locked (self);
  g_mutex_unlock (&self->lock);
  return text;
}

/**
 * p2p_transport_get_stats:
 * @self: a #P2pTransport
 *
 * Returns: (transfer full): a snapshot of the counters; free with
 *     p2p_transport_stats_free()
 */
P2pTransportStats *
p2p_transport_get_stats (P2pTransport * self)
{
  P2pTransportStats *s;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), NULL);

  s = g_new0 (P2pTransportStats, 1);
  g_mutex_lock (&self->lock);
  s->state = self->state;
  s->mode = self->mode;
  s->technique = self->technique;
  s->local_candidate_type = g_strdup (self->local_candidate_type);
  s->remote_candidate_type = g_strdup (self->remote_candidate_type);
  s->local_address = g_strdup (self->local_address);
  s->remote_address = g_strdup (self->remote_address);
  s->srtp_profile = self->srtp_profile;
  s->rtt_ms = self->rtt_ms;
  s->handshake_us = self->handshake_us;
  s->receive_buffer = self->receive_buffer;
  s->send_buffer = self->send_buffer;
  s->path_mtu = self->path_mtu;
  s->payload_mtu = self->payload_mtu;
  g_mutex_unlock (&self->lock);

  s->rtp_packets_sent = READ (rtp_packets_sent);
  s->rtp_bytes_sent = READ (rtp_bytes_sent);
  s->rtp_packets_received = READ (rtp_packets_received);
  s->rtp_bytes_received = READ (rtp_bytes_received);
  s->rtcp_packets_sent = READ (rtcp_packets_sent);
  s->rtcp_packets_received = READ (rtcp_packets_received);
  s->messages_sent = READ (messages_sent);
  s->messages_received = READ (messages_received);
  s->dropped_malformed = READ (dropped_malformed);
  s->dropped_srtp = READ (dropped_srtp);
  s->dropped_before_keys = READ (dropped_before_keys);
  s->rtcp_dropped = READ (rtcp_dropped);
  s->batched_packets_sent = p2p_batch_sender_get_batched (self->batch);
  s->batched_packets_received =
      p2p_batch_receiver_get_batched (self->batch_receiver);
  return s;
}

/**
 * p2p_transport_stats_copy:
 * @stats: a #P2pTransportStats
 *
 * Returns: (transfer full): a deep copy
 */
P2pTransportStats *
p2p_transport_stats_copy (const P2pTransportStats * stats)
{
  P2pTransportStats *copy = g_memdup2 (stats, sizeof (*stats));

  copy->local_candidate_type = g_strdup (stats->local_candidate_type);
  copy->remote_candidate_type = g_strdup (stats->remote_candidate_type);
  copy->local_address = g_strdup (stats->local_address);
  copy->remote_address = g_strdup (stats->remote_address);
  return copy;
}

/**
 * p2p_transport_stats_free:
 * @stats: (nullable): a #P2pTransportStats
 *
 * Frees @stats.
 */
void
p2p_transport_stats_free (P2pTransportStats * stats)
{
  if (stats == NULL)
    return;
  g_free (stats->local_candidate_type);
  g_free (stats->remote_candidate_type);
  g_free (stats->local_address);
  g_free (stats->remote_address);
  g_free (stats);
}

/**
 * p2p_transport_state_to_string:
 * @state: a #P2pTransportState
 *
 * Returns: a short lower-case name (`new`, `gathering`, `checking`,
 *     `connected`, `failed`, `closed`)
 */
const gchar *
p2p_transport_state_to_string (P2pTransportState state)
{
  static const gchar *const names[] = { "new", "gathering", "checking",
    "connected", "failed", "closed"
  };

  if ((guint) state < G_N_ELEMENTS (names))
    return names[state];
  return "unknown";
}

/**
 * p2p_connection_mode_to_string:
 * @mode: a #P2pConnectionMode
 *
 * Returns: `none`, `lan`, `direct` or `relay`
 */
const gchar *
p2p_connection_mode_to_string (P2pConnectionMode mode)
{
  static const gchar *const names[] = { "none", "lan", "direct", "relay" };

  if ((guint) mode < G_N_ELEMENTS (names))
    return names[mode];
  return "unknown";
}

/**
 * p2p_transport_get_technique:
 * @self: a #P2pTransport
 *
 * Returns: how the selected pair crosses the networks
 *     (%P2P_CONNECTION_TECHNIQUE_NONE before one is selected)
 */
P2pConnectionTechnique
p2p_transport_get_technique (P2pTransport * self)
{
  P2pConnectionTechnique technique;

  g_return_val_if_fail (P2P_IS_TRANSPORT (self), P2P_CONNECTION_TECHNIQUE_NONE);
  g_mutex_lock (&self->lock);
  technique = self->technique;
  g_mutex_unlock (&self->lock);
  return technique;
}

/**
 * p2p_connection_technique_to_string:
 * @technique: a #P2pConnectionTechnique
 *
 * Returns: `none`, `lan`, `direct`, `mapped`, `punched` or `relay`
 */
const gchar *
p2p_connection_technique_to_string (P2pConnectionTechnique technique)
{
  static const gchar *const names[] = { "none", "lan", "direct", "mapped",
    "punched", "relay"
  };

  if ((guint) technique < G_N_ELEMENTS (names))
    return names[technique];
  return "unknown";
}

#if P2P_ENABLE_TEST_HOOKS
void
p2p_transport_set_receive_loss (P2pTransport * self, guint percent,
    guint32 seed)
{
  if (self->loss_rand)
    g_rand_free (self->loss_rand);
  self->loss_rand = g_rand_new_with_seed (seed);
  self->loss_percent = percent;
}

void
p2p_transport_fail_next_batch (P2pTransport * self)
{
  p2p_batch_sender_fail_next (self->batch, EIO);
}

/* Loop thread: the test drives the path MTU from now on. A periodic
 * recheck (more than 30 s after the pair was selected, so under valgrind
 * or ASan at load) would read the kernel's figure between the test's
 * steps and raise the payload size the test lowered. */
static gboolean
test_drive_path_mtu (gpointer data)
{
  P2pTransport *self = data;

  self->test_path_mtu_driven = TRUE;
  if (self->mtu_timer) {
    g_source_destroy (self->mtu_timer);
    g_clear_pointer (&self->mtu_timer, g_source_unref);
  }
  return G_SOURCE_REMOVE;
}

void
p2p_transport_shrink_path_mtu (P2pTransport * self, gint path_mtu)
{
  p2p_loop_invoke_sync (self->loop, test_drive_path_mtu, self);
  g_mutex_lock (&self->lock);
  self->test_refused_path_mtu = path_mtu;
  g_mutex_unlock (&self->lock);
  p2p_batch_sender_fail_next (self->batch, EINVAL);
}

static gboolean
path_mtu_recheck_once (gpointer data)
{
  path_mtu_recheck (data);
  return G_SOURCE_REMOVE;
}

void
p2p_transport_recheck_path_mtu (P2pTransport * self, gint path_mtu)
{
  p2p_loop_invoke_sync (self->loop, test_drive_path_mtu, self);
  g_mutex_lock (&self->lock);
  self->test_recheck_path_mtu = path_mtu;
  g_mutex_unlock (&self->lock);
  p2p_loop_invoke (self->loop, path_mtu_recheck_once, g_object_ref (self),
      g_object_unref);
}

typedef struct
{
  P2pTransport *self;
  const gchar *gateway_ip;
  guint gateway_port;
} MapPortCall;

static gboolean
map_port_on_loop (gpointer data)
{
  MapPortCall *call = data;
  P2pTransport *self = call->self;

  self->mapping_port = 9;
  self->mapping = p2p_port_mapping_new (self->context, "127.0.0.1",
      self->mapping_port, call->gateway_ip, call->gateway_port,
      port_mapped_cb, self);
  return G_SOURCE_REMOVE;
}

void
p2p_transport_map_port_at (P2pTransport * self, const gchar * gateway_ip,
    guint gateway_port)
{
  MapPortCall call = { self, gateway_ip, gateway_port };

  p2p_loop_invoke_sync (self->loop, map_port_on_loop, &call);
}

static gboolean
end_gathering_on_loop (gpointer data)
{
  P2pTransport *self = data;

  g_signal_emit_by_name (self->agent, "candidate-gathering-done",
      self->stream_id);
  return G_SOURCE_REMOVE;
}

void
p2p_transport_end_gathering (P2pTransport * self)
{
  p2p_loop_invoke_sync (self->loop, end_gathering_on_loop, self);
}

guint
p2p_transport_get_gathering_rounds (P2pTransport * self)
{
  return g_atomic_int_get (&self->gathering_rounds);
}

guint
p2p_transport_get_check_grace (P2pTransport * self)
{
  guint ms = 0;

  g_object_get (self->agent, "idle-timeout", &ms, NULL);
  return ms;
}

gboolean
p2p_transport_is_batching (P2pTransport * self)
{
  return p2p_batch_sender_is_active (self->batch);
}

typedef struct
{
  P2pTransport *self;
  gboolean active;
} BatchReceivingCall;

static gboolean
batch_receiving_on_loop (gpointer data)
{
  BatchReceivingCall *call = data;

  call->active = p2p_batch_receiver_is_active (call->self->batch_receiver);
  return G_SOURCE_REMOVE;
}

gboolean
p2p_transport_is_batch_receiving (P2pTransport * self)
{
  BatchReceivingCall call = { self, FALSE };

  p2p_loop_invoke_sync (self->loop, batch_receiving_on_loop, &call);
  return call.active;
}

gboolean
p2p_transport_send_raw (P2pTransport * self, const guint8 * data, gsize size)
{
  return nice_agent_send (self->agent, self->stream_id, COMPONENT_ID, size,
      (const gchar *) data) >= 0;
}
#endif
