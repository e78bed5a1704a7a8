/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * P2P_PUNCH_CHUNK:
 *
 * First byte of a punch control message on the DTLS-protected message
 * channel, beside the channel's own chunk types (1-4), which a peer
 * without punching ignores.
 */
#define P2P_PUNCH_CHUNK 0x10

typedef struct _P2pPunch P2pPunch;

/*
 * P2pPunchCallbacks:
 * @send_control: sends a control message to the peer over DTLS
 * @path_ready: a punched path works both ways; from now on
 *     p2p_punch_send() carries the traffic; @local and @remote describe
 *     it, @receive_buffer and @send_buffer are its socket's buffer sizes
 *     as the kernel reports them
 * @path_lost: the punched path went silent; traffic is back on ICE
 * @receive: a datagram (DTLS, SRTP) that came in on the punched path
 *
 * All are called on the punch's main context.
 */
typedef struct
{
  void (*send_control) (const guint8 * data, gsize size, gpointer user_data);
  void (*path_ready) (const gchar * local, const gchar * remote,
      gint receive_buffer, gint send_buffer, gpointer user_data);
  void (*path_lost) (gpointer user_data);
  void (*receive) (guint8 * data, gsize size, gpointer user_data);
} P2pPunchCallbacks;

G_GNUC_INTERNAL
P2pPunch *p2p_punch_new (GMainContext * context,
    const P2pPunchCallbacks * callbacks, gpointer user_data);

G_GNUC_INTERNAL
void p2p_punch_classify (P2pPunch * punch, const gchar * server_ip,
    guint server_port, const gchar * other_ip, guint other_port);

G_GNUC_INTERNAL
void p2p_punch_start (P2pPunch * punch, GPtrArray * peer_ips);

G_GNUC_INTERNAL
void p2p_punch_control (P2pPunch * punch, const guint8 * data, gsize size);

G_GNUC_INTERNAL
gint p2p_punch_send (P2pPunch * punch, const guint8 * data, gsize size);

G_GNUC_INTERNAL
void p2p_punch_stop (P2pPunch * punch);

G_GNUC_INTERNAL
void p2p_punch_free (P2pPunch * punch);

#if P2P_ENABLE_TEST_HOOKS
G_GNUC_INTERNAL
void p2p_punch_set_spray_port (P2pPunch * punch, guint port);

G_GNUC_INTERNAL
gboolean p2p_punch_is_done (P2pPunch * punch);
#endif

G_END_DECLS
