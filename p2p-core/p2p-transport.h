/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>
#include <gst/sdp/sdp.h>

#include "p2p-identity.h"
#include "p2p-loop.h"

G_BEGIN_DECLS

/**
 * P2P_TRANSPORT_ERROR:
 *
 * Error domain of #P2pTransport; codes are from #P2pTransportError.
 */
#define P2P_TRANSPORT_ERROR (p2p_transport_error_quark ())
GQuark p2p_transport_error_quark (void);

/**
 * P2pTransportError:
 * @P2P_TRANSPORT_ERROR_FAILED: unspecified failure
 * @P2P_TRANSPORT_ERROR_INVALID_STATE: the call does not fit the current state
 *     (an answer before an offer, sending before connected, …)
 * @P2P_TRANSPORT_ERROR_SDP: a session description is malformed or lacks a
 *     required field (ICE credentials, fingerprint, setup role)
 * @P2P_TRANSPORT_ERROR_CANDIDATE: a remote candidate line is malformed
 * @P2P_TRANSPORT_ERROR_ICE_SERVER: a STUN/TURN server URI is malformed or its
 *     host cannot be resolved
 * @P2P_TRANSPORT_ERROR_ICE_FAILED: no candidate pair works, or consent to send
 *     was lost
 * @P2P_TRANSPORT_ERROR_DTLS: the DTLS handshake failed or the peer closed it
 * @P2P_TRANSPORT_ERROR_FINGERPRINT_MISMATCH: the peer's certificate does not
 *     match the fingerprint it announced or the one the caller expected
 * @P2P_TRANSPORT_ERROR_SRTP: SRTP could not be set up or protecting failed
 * @P2P_TRANSPORT_ERROR_TOO_LARGE: a packet or message exceeds its size limit
 * @P2P_TRANSPORT_ERROR_WOULD_BLOCK: the message channel's send window is full
 * @P2P_TRANSPORT_ERROR_CLOSED: the transport was closed
 * @P2P_TRANSPORT_ERROR_TIMEOUT: the peer did not answer in time
 *
 * Stable error codes of #P2P_TRANSPORT_ERROR.
 */
typedef enum
{
  P2P_TRANSPORT_ERROR_FAILED,
  P2P_TRANSPORT_ERROR_INVALID_STATE,
  P2P_TRANSPORT_ERROR_SDP,
  P2P_TRANSPORT_ERROR_CANDIDATE,
  P2P_TRANSPORT_ERROR_ICE_SERVER,
  P2P_TRANSPORT_ERROR_ICE_FAILED,
  P2P_TRANSPORT_ERROR_DTLS,
  P2P_TRANSPORT_ERROR_FINGERPRINT_MISMATCH,
  P2P_TRANSPORT_ERROR_SRTP,
  P2P_TRANSPORT_ERROR_TOO_LARGE,
  P2P_TRANSPORT_ERROR_WOULD_BLOCK,
  P2P_TRANSPORT_ERROR_CLOSED,
  P2P_TRANSPORT_ERROR_TIMEOUT,
} P2pTransportError;

/**
 * P2pTransportState:
 * @P2P_TRANSPORT_STATE_NEW: created, nothing started
 * @P2P_TRANSPORT_STATE_GATHERING: collecting local candidates
 * @P2P_TRANSPORT_STATE_CHECKING: ICE connectivity checks and DTLS handshake
 * @P2P_TRANSPORT_STATE_CONNECTED: a pair is selected, DTLS is up and SRTP keys
 *     are installed: media and messages flow
 * @P2P_TRANSPORT_STATE_FAILED: the transport gave up; see
 *     p2p_transport_get_error()
 * @P2P_TRANSPORT_STATE_CLOSED: closed by either side
 *
 * Life cycle of a #P2pTransport. FAILED and CLOSED are final.
 */
typedef enum
{
  P2P_TRANSPORT_STATE_NEW,
  P2P_TRANSPORT_STATE_GATHERING,
  P2P_TRANSPORT_STATE_CHECKING,
  P2P_TRANSPORT_STATE_CONNECTED,
  P2P_TRANSPORT_STATE_FAILED,
  P2P_TRANSPORT_STATE_CLOSED,
} P2pTransportState;

/**
 * P2pConnectionMode:
 * @P2P_CONNECTION_MODE_NONE: no pair selected yet
 * @P2P_CONNECTION_MODE_LAN: both ends on private, link-local or loopback
 *     addresses (two hosts on public addresses are `direct`)
 * @P2P_CONNECTION_MODE_DIRECT: no relay: hole-punched (server- or
 *     peer-reflexive candidates) or between public addresses
 * @P2P_CONNECTION_MODE_RELAY: through a TURN relay
 *
 * How the media reaches the peer, from the selected ICE pair.
 */
typedef enum
{
  P2P_CONNECTION_MODE_NONE,
  P2P_CONNECTION_MODE_LAN,
  P2P_CONNECTION_MODE_DIRECT,
  P2P_CONNECTION_MODE_RELAY,
} P2pConnectionMode;

/**
 * P2pConnectionTechnique:
 * @P2P_CONNECTION_TECHNIQUE_NONE: no pair selected yet
 * @P2P_CONNECTION_TECHNIQUE_LAN: both ends on private, link-local or
 *     loopback addresses (the same network, or one reached without NAT)
 * @P2P_CONNECTION_TECHNIQUE_DIRECT: host candidate to host candidate with
 *     a public address: no NAT on the path
 * @P2P_CONNECTION_TECHNIQUE_MAPPED: through a port mapping a router made on
 *     request (UPnP IGD, NAT-PMP, PCP); reserved: not produced until the
 *     transport asks routers for mappings
 * @P2P_CONNECTION_TECHNIQUE_PUNCHED: through NAT mappings opened by the
 *     connectivity checks themselves (server- or peer-reflexive candidates)
 * @P2P_CONNECTION_TECHNIQUE_RELAY: through a TURN relay
 *
 * How the selected pair gets through the networks between the peers; a
 * finer #P2pConnectionMode (`lan` is `lan`, `relay` is `relay`, the others
 * are `direct`).
 */
typedef enum
{
  P2P_CONNECTION_TECHNIQUE_NONE,
  P2P_CONNECTION_TECHNIQUE_LAN,
  P2P_CONNECTION_TECHNIQUE_DIRECT,
  P2P_CONNECTION_TECHNIQUE_MAPPED,
  P2P_CONNECTION_TECHNIQUE_PUNCHED,
  P2P_CONNECTION_TECHNIQUE_RELAY,
} P2pConnectionTechnique;

/**
 * P2pDtlsRole:
 * @P2P_DTLS_ROLE_AUTO: follow RFC 5763: the offerer says `actpass`, the
 *     answerer becomes the DTLS client (`active`)
 * @P2P_DTLS_ROLE_CLIENT: answer with `active` (DTLS client)
 * @P2P_DTLS_ROLE_SERVER: answer with `passive` (DTLS server)
 *
 * DTLS role an answerer picks; an offerer always offers `actpass`.
 */
typedef enum
{
  P2P_DTLS_ROLE_AUTO,
  P2P_DTLS_ROLE_CLIENT,
  P2P_DTLS_ROLE_SERVER,
} P2pDtlsRole;

/**
 * P2pSrtpProfile:
 * @P2P_SRTP_PROFILE_NONE: not negotiated (yet)
 * @P2P_SRTP_PROFILE_AEAD_AES_128_GCM: `SRTP_AEAD_AES_128_GCM` (RFC 7714)
 * @P2P_SRTP_PROFILE_AES128_CM_SHA1_80: `SRTP_AES128_CM_SHA1_80` (RFC 5764)
 *
 * SRTP protection profile negotiated in the DTLS handshake.
 */
typedef enum
{
  P2P_SRTP_PROFILE_NONE,
  P2P_SRTP_PROFILE_AEAD_AES_128_GCM,
  P2P_SRTP_PROFILE_AES128_CM_SHA1_80,
} P2pSrtpProfile;

/**
 * P2P_TRANSPORT_MAX_PACKET:
 *
 * Largest RTP or RTCP packet, in bytes, that p2p_transport_send_rtp() and
 * p2p_transport_send_rtcp() accept (before the SRTP tag is added).
 */
#define P2P_TRANSPORT_MAX_PACKET 1400

/**
 * P2P_TRANSPORT_MAX_MESSAGE:
 *
 * Largest message, in bytes, of the message channel.
 */
#define P2P_TRANSPORT_MAX_MESSAGE (64 * 1024)

/**
 * P2P_TRANSPORT_SAFE_PAYLOAD_MTU:
 *
 * The RTP packet size (before SRTP) that fits any path: the 1,280-byte
 * IPv6 minimum MTU less the IPv6, UDP and TURN channel headers and the
 * SRTP tag. Used until a transport knows its path, and on TURN, TCP and
 * unknown paths.
 */
#define P2P_TRANSPORT_SAFE_PAYLOAD_MTU 1200

/**
 * P2pTransportStats:
 * @state: current state
 * @mode: connection mode of the selected pair
 * @local_candidate_type: type of the selected local candidate (`host`,
 *     `srflx`, `prflx`, `relay`) or %NULL
 * @remote_candidate_type: type of the selected remote candidate or %NULL
 * @local_address: selected local address as `ip:port` or %NULL
 * @remote_address: selected remote address as `ip:port` or %NULL
 * @srtp_profile: negotiated SRTP profile
 * @rtt_ms: round-trip time measured by the message channel, in
 *     milliseconds, or -1 when unknown
 * @handshake_us: time from ICE connected to SRTP keys ready, in
 *     microseconds, or -1
 * @rtp_packets_sent: RTP packets sent
 * @rtp_bytes_sent: RTP payload bytes sent (before SRTP)
 * @rtp_packets_received: RTP packets received and authenticated
 * @rtp_bytes_received: RTP bytes received (after SRTP)
 * @rtcp_packets_sent: RTCP packets sent
 * @rtcp_packets_received: RTCP packets received and authenticated
 * @messages_sent: message channel messages sent
 * @messages_received: message channel messages received
 * @dropped_malformed: packets dropped because they were not RTP, RTCP or
 *     DTLS, or were truncated
 * @dropped_srtp: packets dropped because SRTP authentication or replay
 *     checks failed
 * @dropped_before_keys: media packets dropped because they arrived before
 *     the SRTP keys
 * @technique: how the selected pair crosses the networks
 * @receive_buffer: receive buffer of the selected pair's socket in bytes,
 *     as the kernel reports it (Linux: twice the usable size), or -1 when
 *     unknown (no pair yet, or a TURN relay)
 * @send_buffer: the same for the send buffer
 * @batched_packets_sent: RTP and RTCP packets (of @rtp_packets_sent and
 *     @rtcp_packets_sent) that left in UDP GSO messages (several packets
 *     in one system call) on the selected pair's socket
 * @path_mtu: the kernel's path MTU (IP packet size) towards the selected
 *     direct UDP pair's remote address, or -1 when unknown or not read (TURN,
 *     TCP and punched paths)
 * @payload_mtu: the `mtu` for a payloader whose packets (before SRTP,
 *     with up to 16 bytes of header extensions beyond it) the path carries
 *     unfragmented: derived from @path_mtu and at most
 *     %P2P_TRANSPORT_MAX_PACKET - 16 on a direct UDP path between two host
 *     candidates, %P2P_TRANSPORT_SAFE_PAYLOAD_MTU otherwise (through a NAT,
 *     where the path beyond the local route is unknown; TURN, TCP); less
 *     when @path_mtu is known to be smaller, also when it shrinks mid-call
 *     (#P2pTransport:payload-mtu is notified)
 * @batched_packets_received: packets (DTLS, RTP and RTCP) the viewer read
 *     from the selected pair's socket itself, several per system call with
 *     UDP GRO, instead of through libnice
 * @rtcp_dropped: SRTCP packets dropped before decryption, beyond what the
 *     peer may send: 500 packets and 64 KiB a second from SSRCs that
 *     authenticated before, 50 and 8 KiB from others
 *
 * A snapshot of a transport's counters.
 */
typedef struct
{
  P2pTransportState state;
  P2pConnectionMode mode;
  gchar *local_candidate_type;
  gchar *remote_candidate_type;
  gchar *local_address;
  gchar *remote_address;
  P2pSrtpProfile srtp_profile;
  gint64 rtt_ms;
  gint64 handshake_us;
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
  P2pConnectionTechnique technique;
  gint receive_buffer;
  gint send_buffer;
  guint64 batched_packets_sent;
  gint path_mtu;
  gint payload_mtu;
  guint64 batched_packets_received;
  guint64 rtcp_dropped;
} P2pTransportStats;

#define P2P_TYPE_TRANSPORT_STATS (p2p_transport_stats_get_type ())
GType p2p_transport_stats_get_type (void);
P2pTransportStats *p2p_transport_stats_copy (const P2pTransportStats * stats);
void p2p_transport_stats_free (P2pTransportStats * stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (P2pTransportStats, p2p_transport_stats_free)

#define P2P_TYPE_TRANSPORT (p2p_transport_get_type ())
G_DECLARE_FINAL_TYPE (P2pTransport, p2p_transport, P2P, TRANSPORT, GObject)

/**
 * P2pMediaFunc:
 * @transport: the transport
 * @is_rtcp: %TRUE for an RTCP packet, %FALSE for RTP
 * @data: (array length=size): the decrypted packet, valid during the call only
 * @size: packet size in bytes
 * @user_data: data given to p2p_transport_set_media_callback()
 *
 * Receives decrypted media. Called on the loop thread with no transport lock
 * held, once per packet; must not block.
 */
typedef void (*P2pMediaFunc) (P2pTransport * transport, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data);

/**
 * P2pMediaPacket:
 * @data: (array length=size): the decrypted packet
 * @size: packet size in bytes
 * @is_rtcp: %TRUE for an RTCP packet, %FALSE for RTP
 *
 * One packet of a #P2pMediaListFunc call.
 */
typedef struct
{
  const guint8 *data;
  gsize size;
  gboolean is_rtcp;
} P2pMediaPacket;

/**
 * P2pMediaListFunc:
 * @transport: the transport
 * @packets: (array length=n_packets): decrypted packets in arrival order,
 *     valid during the call only
 * @n_packets: how many (at least 1)
 * @user_data: data given to p2p_transport_set_media_callback()
 *
 * Receives the packets that arrived together (one read of a batched
 * receive path) in one call, so that the receiver can hand them on as one
 * batch: one wake-up of a downstream thread instead of one per packet.
 * Called on the loop thread with no transport lock held; must not block.
 */
typedef void (*P2pMediaListFunc) (P2pTransport * transport,
    const P2pMediaPacket * packets, guint n_packets, gpointer user_data);

P2pTransport *p2p_transport_new (P2pLoop * loop, P2pIdentity * identity,
    gboolean controlling);

gboolean p2p_transport_add_ice_server (P2pTransport * self, const gchar * uri,
    const gchar * username, const gchar * credential, GError ** error);

gboolean p2p_transport_add_local_address (P2pTransport * self,
    const gchar * address);

void p2p_transport_set_link_local_scope (P2pTransport * self,
    guint scope_id);

void p2p_transport_set_expected_fingerprint (P2pTransport * self,
    const gchar * fingerprint);

void p2p_transport_set_media_callback (P2pTransport * self, P2pMediaFunc func,
    gpointer user_data, GDestroyNotify notify);

void p2p_transport_set_media_list_callback (P2pTransport * self,
    P2pMediaListFunc func);

gchar *p2p_transport_create_offer (P2pTransport * self,
    const GstSDPMessage * media, GError ** error);

gchar *p2p_transport_create_answer (P2pTransport * self,
    const GstSDPMessage * media, GError ** error);

gboolean p2p_transport_set_remote_description (P2pTransport * self,
    const gchar * sdp, GError ** error);

GstSDPMessage *p2p_transport_get_remote_description (P2pTransport * self);

gboolean p2p_transport_add_remote_candidate (P2pTransport * self,
    const gchar * candidate, GError ** error);

gboolean p2p_transport_restart_ice (P2pTransport * self, GError ** error);

gboolean p2p_transport_send_rtp (P2pTransport * self, const guint8 * data,
    gsize size, GError ** error);

gboolean p2p_transport_send_rtp_list (P2pTransport * self,
    const guint8 * const *packets, const gsize * sizes, guint n_packets,
    GError ** error);

gboolean p2p_transport_send_rtcp (P2pTransport * self, const guint8 * data,
    gsize size, GError ** error);

gboolean p2p_transport_send_message (P2pTransport * self, GBytes * message,
    GError ** error);

/**
 * P2P_TRANSPORT_MAX_EXPORT:
 *
 * Most bytes p2p_transport_export_keying_material() returns at once.
 */
#define P2P_TRANSPORT_MAX_EXPORT 64

GBytes *p2p_transport_export_keying_material (P2pTransport * self,
    const gchar * label, gsize length, GError ** error);

void p2p_transport_close (P2pTransport * self);

P2pTransportState p2p_transport_get_state (P2pTransport * self);

P2pConnectionMode p2p_transport_get_mode (P2pTransport * self);

GError *p2p_transport_get_error (P2pTransport * self);

P2pTransportStats *p2p_transport_get_stats (P2pTransport * self);

gchar *p2p_transport_describe_paths (P2pTransport * self);

const gchar *p2p_transport_state_to_string (P2pTransportState state);

const gchar *p2p_connection_mode_to_string (P2pConnectionMode mode);

P2pConnectionTechnique p2p_transport_get_technique (P2pTransport * self);

const gchar *p2p_connection_technique_to_string (P2pConnectionTechnique
    technique);

G_END_DECLS
