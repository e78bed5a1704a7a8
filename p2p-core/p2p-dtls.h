/* p2p-core
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "p2p-transport.h"

G_BEGIN_DECLS

typedef struct _P2pDtls P2pDtls;

/*
 * P2pDtlsCallbacks:
 * @send: put one datagram on the wire
 * @connected: the handshake finished and the peer certificate matched
 * @data: application data arrived (one DTLS record)
 * @failed: the handshake failed or the peer closed (@error says which);
 *     no further callbacks follow
 *
 * All callbacks run on the thread that feeds the DTLS object (the loop
 * thread), never with a lock of the DTLS object held.
 */
typedef struct
{
  void (*send) (const guint8 * data, gsize size, gpointer user_data);
  void (*connected) (gpointer user_data);
  void (*data) (const guint8 * data, gsize size, gpointer user_data);
  void (*failed) (const GError * error, gpointer user_data);
} P2pDtlsCallbacks;

G_GNUC_INTERNAL
P2pDtls *p2p_dtls_new (P2pIdentity * identity, gboolean is_client,
    const gchar * srtp_profiles, GMainContext * context,
    const P2pDtlsCallbacks * callbacks, gpointer user_data, GError ** error);

G_GNUC_INTERNAL
void p2p_dtls_add_accepted_fingerprint (P2pDtls * dtls,
    const gchar * fingerprint);

G_GNUC_INTERNAL
void p2p_dtls_start (P2pDtls * dtls);

G_GNUC_INTERNAL
void p2p_dtls_receive (P2pDtls * dtls, const guint8 * data, gsize size);

G_GNUC_INTERNAL
gboolean p2p_dtls_send (P2pDtls * dtls, const guint8 * data, gsize size);

G_GNUC_INTERNAL
gboolean p2p_dtls_export_srtp (P2pDtls * dtls, P2pSrtpProfile * profile,
    guint8 * material, gsize material_size);

G_GNUC_INTERNAL
gboolean p2p_dtls_export_keying_material (P2pDtls * dtls, const gchar * label,
    guint8 * out, gsize size);

G_GNUC_INTERNAL
void p2p_dtls_close (P2pDtls * dtls);

G_GNUC_INTERNAL
void p2p_dtls_free (P2pDtls * dtls);

G_END_DECLS
