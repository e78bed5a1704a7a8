/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _P2pChannel P2pChannel;

/*
 * P2pChannelCallbacks:
 * @send: put one chunk on the (unreliable, encrypted) datagram path
 * @message: a whole message arrived, in order
 * @rtt: a new round-trip time sample, in microseconds
 * @failed: the peer stopped acknowledging; the channel is dead
 *
 * Called on the channel's context thread, with no channel state locked.
 */
typedef struct
{
  gboolean (*send) (const guint8 * data, gsize size, gpointer user_data);
  void (*message) (GBytes * message, gpointer user_data);
  void (*rtt) (gint64 rtt_us, gpointer user_data);
  void (*failed) (gpointer user_data);
} P2pChannelCallbacks;

/* Largest chunk on the wire, header included: fits one DTLS record in a
 * 1200-byte datagram with room for the record overhead. */
#define P2P_CHANNEL_MAX_CHUNK 1100

G_GNUC_INTERNAL
P2pChannel *p2p_channel_new (GMainContext * context, gsize max_message,
    gsize max_pending, const P2pChannelCallbacks * callbacks,
    gpointer user_data);

G_GNUC_INTERNAL
gboolean p2p_channel_send (P2pChannel * channel, GBytes * message,
    GError ** error);

G_GNUC_INTERNAL
void p2p_channel_receive (P2pChannel * channel, const guint8 * data,
    gsize size);

G_GNUC_INTERNAL
gsize p2p_channel_get_pending (P2pChannel * channel);

G_GNUC_INTERNAL
void p2p_channel_free (P2pChannel * channel);

G_END_DECLS
