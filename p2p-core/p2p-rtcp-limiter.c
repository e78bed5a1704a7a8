/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How much of a peer's SRTCP the transport decrypts. Checking an SRTCP
 * packet's tag costs a cipher and MAC pass over the packet, and nothing
 * limits how often a peer, or anyone on the path, sends one: a flood would
 * make the camera (or the viewer) authenticate at line rate. So before the
 * tag is checked, each packet (already checked by the demultiplexer:
 * length, version, packet type) must fit a token bucket of packets and
 * bytes per second, with a second's burst (full when the transport is
 * made); beyond, it is dropped undecrypted.
 *
 * The bucket is chosen by the packet's sender SSRC, which SRTCP leaves in
 * the clear: SSRCs that authenticated before share the peer's bucket, any
 * other SSRC a small one. Forgeries under made-up SSRCs (garbage, an
 * attacker who has not seen the traffic) thus cannot starve the peer's own
 * reports; one who copies a real SSRC from the path can, as it could drop
 * them. An honest peer sends far less than the peer's bucket: p2psrc's
 * RTCP budget is 200 kbit/s (25 KB/s), early feedback some 8 ms apart under
 * loss, transport-wide feedback every 100 ms, sender and receiver reports
 * every second or so.
 *
 * Loop thread only: no lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-rtcp-limiter.h"

/* SSRCs remembered as authenticated: one per RTP session and stream
 * (media, retransmission, layers) is a handful; the oldest makes room. */
#define KNOWN_SSRCS 16
#define SSRC_OFFSET 4

typedef struct
{
  gdouble packets;
  gdouble bytes;
  gint64 time_us;
} Bucket;

struct _P2pRtcpLimiter
{
  Bucket known;
  Bucket fresh;
  guint32 ssrcs[KNOWN_SSRCS];
  guint n_ssrcs;
  guint next;                   /* the slot to overwrite when full */
};

static guint32
read_ssrc (const guint8 * data)
{
  const guint8 *p = data + SSRC_OFFSET;

  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | (p[2] << 8) | p[3];
}

static gboolean
is_known (P2pRtcpLimiter * limiter, guint32 ssrc)
{
  guint i;

  for (i = 0; i < limiter->n_ssrcs; i++)
    if (limiter->ssrcs[i] == ssrc)
      return TRUE;
  return FALSE;
}

static gboolean
take (Bucket * b, gdouble max_packets, gdouble max_bytes, gsize size,
    gint64 now_us)
{
  gdouble dt = MAX (now_us - b->time_us, 0) / (gdouble) G_USEC_PER_SEC;

  b->packets = MIN (b->packets + dt * max_packets, max_packets);
  b->bytes = MIN (b->bytes + dt * max_bytes, max_bytes);
  b->time_us = now_us;
  if (b->packets < 1 || b->bytes < size)
    return FALSE;
  b->packets--;
  b->bytes -= size;
  return TRUE;
}

P2pRtcpLimiter *
p2p_rtcp_limiter_new (void)
{
  P2pRtcpLimiter *limiter = g_new0 (P2pRtcpLimiter, 1);

  limiter->known.packets = P2P_RTCP_LIMIT_PACKETS;
  limiter->known.bytes = P2P_RTCP_LIMIT_BYTES;
  limiter->known.time_us = g_get_monotonic_time ();
  limiter->fresh.packets = P2P_RTCP_LIMIT_NEW_PACKETS;
  limiter->fresh.bytes = P2P_RTCP_LIMIT_NEW_BYTES;
  limiter->fresh.time_us = limiter->known.time_us;
  return limiter;
}

void
p2p_rtcp_limiter_free (P2pRtcpLimiter * limiter)
{
  g_free (limiter);
}

/* Whether the SRTCP packet @data (@size bytes, at least an RTCP header:
 * the demultiplexer checked) may be decrypted at @now_us; takes its share
 * of the budget if so. */
gboolean
p2p_rtcp_limiter_admit (P2pRtcpLimiter * limiter, const guint8 * data,
    gsize size, gint64 now_us)
{
  if (is_known (limiter, read_ssrc (data)))
    return take (&limiter->known, P2P_RTCP_LIMIT_PACKETS,
        P2P_RTCP_LIMIT_BYTES, size, now_us);
  return take (&limiter->fresh, P2P_RTCP_LIMIT_NEW_PACKETS,
      P2P_RTCP_LIMIT_NEW_BYTES, size, now_us);
}

/* The packet @data (as admitted, its header untouched by decryption)
 * authenticated: its SSRC is the peer's. */
void
p2p_rtcp_limiter_authenticated (P2pRtcpLimiter * limiter, const guint8 * data)
{
  guint32 ssrc = read_ssrc (data);

  if (is_known (limiter, ssrc))
    return;
  if (limiter->n_ssrcs < KNOWN_SSRCS) {
    limiter->ssrcs[limiter->n_ssrcs++] = ssrc;
    return;
  }
  limiter->ssrcs[limiter->next] = ssrc;
  limiter->next = (limiter->next + 1) % KNOWN_SSRCS;
}
