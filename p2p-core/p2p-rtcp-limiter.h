/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Packets and bytes a second of a peer's SRTCP that is decrypted, from
 * SSRCs that authenticated before; a second's worth may come at once. */
#define P2P_RTCP_LIMIT_PACKETS 500
#define P2P_RTCP_LIMIT_BYTES (64 * 1024)
/* The same for SSRCs not seen authenticated yet (a new stream's first
 * report, or forgeries). */
#define P2P_RTCP_LIMIT_NEW_PACKETS 50
#define P2P_RTCP_LIMIT_NEW_BYTES (8 * 1024)

typedef struct _P2pRtcpLimiter P2pRtcpLimiter;

G_GNUC_INTERNAL P2pRtcpLimiter *p2p_rtcp_limiter_new (void);
G_GNUC_INTERNAL void p2p_rtcp_limiter_free (P2pRtcpLimiter * limiter);
G_GNUC_INTERNAL gboolean p2p_rtcp_limiter_admit (P2pRtcpLimiter * limiter,
    const guint8 * data, gsize size, gint64 now_us);
G_GNUC_INTERNAL void p2p_rtcp_limiter_authenticated (P2pRtcpLimiter *
    limiter, const guint8 * data);

G_END_DECLS
