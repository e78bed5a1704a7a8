/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-transport.h"

G_BEGIN_DECLS

/* Room SRTP needs after an RTP packet (tag) or RTCP packet (index + tag). */
#define P2P_SRTP_MAX_TRAILER 148

typedef struct _P2pSrtp P2pSrtp;

G_GNUC_INTERNAL
void p2p_srtp_warm_up (void);

G_GNUC_INTERNAL
gsize p2p_srtp_profile_key_material_size (P2pSrtpProfile profile);

G_GNUC_INTERNAL
P2pSrtp *p2p_srtp_new (P2pSrtpProfile profile, const guint8 * material,
    gboolean is_client, GError ** error);

G_GNUC_INTERNAL
gboolean p2p_srtp_protect (P2pSrtp * srtp, gboolean rtcp, guint8 * buf,
    gsize * size);

G_GNUC_INTERNAL
gboolean p2p_srtp_unprotect (P2pSrtp * srtp, gboolean rtcp, guint8 * buf,
    gsize * size);

G_GNUC_INTERNAL
void p2p_srtp_free (P2pSrtp * srtp);

G_END_DECLS
