/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/* Limits on untrusted session descriptions. */
#define P2P_SDP_MAX_SIZE (64 * 1024)
#define P2P_SDP_MAX_MEDIA 16
/* Candidate lines kept from a description; further ones are ignored, not
 * refused (a peer with many interfaces must still connect): the transport
 * then keeps the host and other candidates it has room for
 * (p2p-transport.c). Also the most a description we build carries. */
#define P2P_SDP_MAX_CANDIDATES 64

/*
 * P2pSdpTransport:
 *
 * The transport half of a session description: what the ICE and DTLS
 * layers need, as opposed to the media half, which is the caller's.
 */
typedef struct
{
  gchar *ufrag;
  gchar *pwd;
  gchar *fingerprint;           /* "sha-256 AB:…" */
  gchar *setup;                 /* "actpass", "active" or "passive" */
  GPtrArray *candidates;        /* "candidate:…" lines, may be empty */
} P2pSdpTransport;

G_GNUC_INTERNAL
void p2p_sdp_transport_clear (P2pSdpTransport * transport);

G_GNUC_INTERNAL
gchar *p2p_sdp_build (const GstSDPMessage * media,
    const P2pSdpTransport * transport, GError ** error);

G_GNUC_INTERNAL
GstSDPMessage *p2p_sdp_parse (const gchar * text,
    P2pSdpTransport * transport, GError ** error);

G_GNUC_INTERNAL
gboolean p2p_sdp_candidate_is_valid (const gchar * candidate);

G_END_DECLS
