/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-transport.h"

G_BEGIN_DECLS

/* Room SRTP needs after an RTP packet (tag) or RTCP packet (index + tag):
 * 20 bytes for AES-GCM RTCP, the largest of both profiles. */
#define P2P_SRTP_MAX_TRAILER 20

/* Most SSRCs one direction keeps state for (replay window, rollover
 * counter, SRTCP index): beyond, sending from a new SSRC fails and a new
 * SSRC received replaces the least recently used one. */
#define P2P_SRTP_MAX_STREAMS 64

typedef struct _P2pSrtp P2pSrtp;

/* Session keys of one direction (RFC 3711 section 4.3); the salts are 14
 * bytes for AES-CM and 12 for AES-GCM, the authentication keys unused by
 * AES-GCM. */
typedef struct
{
  guint8 rtp_key[16];
  guint8 rtp_salt[14];
  guint8 rtp_auth[20];
  guint8 rtcp_key[16];
  guint8 rtcp_salt[14];
  guint8 rtcp_auth[20];
} P2pSrtpSessionKeys;

G_GNUC_INTERNAL
gsize p2p_srtp_profile_key_material_size (P2pSrtpProfile profile);

G_GNUC_INTERNAL
gboolean p2p_srtp_derive_session_keys (P2pSrtpProfile profile,
    const guint8 * master_key, const guint8 * master_salt,
    P2pSrtpSessionKeys * keys);

G_GNUC_INTERNAL
P2pSrtp *p2p_srtp_new_from_session_keys (P2pSrtpProfile profile,
    const P2pSrtpSessionKeys * outbound, const P2pSrtpSessionKeys * inbound,
    GError ** error);

G_GNUC_INTERNAL
P2pSrtp *p2p_srtp_new (P2pSrtpProfile profile, const guint8 * material,
    gboolean is_client, GError ** error);

G_GNUC_INTERNAL
gboolean p2p_srtp_protect (P2pSrtp * srtp, gboolean rtcp, guint8 * buf,
    gsize * size);

G_GNUC_INTERNAL
gboolean p2p_srtp_protect_into (P2pSrtp * srtp, gboolean rtcp,
    const guint8 * in, gsize size, guint8 * out, gsize * out_size);

G_GNUC_INTERNAL
gboolean p2p_srtp_unprotect (P2pSrtp * srtp, gboolean rtcp, guint8 * buf,
    gsize * size);

G_GNUC_INTERNAL
void p2p_srtp_free (P2pSrtp * srtp);

G_END_DECLS
