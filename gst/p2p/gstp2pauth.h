/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Viewer authorization, end to end over the transport's message channel
 * (so over DTLS, to a peer whose certificate matched the UID's registered
 * fingerprint). Two JSON messages:
 *
 *   viewer → device  {"type":"auth","version":1,"password":"…"}
 *   device → viewer  {"type":"auth-result","result":"ok"}
 *                    {"type":"auth-result","result":"refused",
 *                     "reason":"wrong-password"|"busy"|"bad-request",
 *                     "message":"…"}
 *
 * The device keeps only a salted PBKDF2-HMAC-SHA256 verifier of its
 * password; checking a password is deliberately slow and must not run on
 * the transport's loop thread. */

#define GST_P2P_AUTH_REFUSED_WRONG_PASSWORD "wrong-password"
#define GST_P2P_AUTH_REFUSED_BUSY "busy"
#define GST_P2P_AUTH_REFUSED_BAD_REQUEST "bad-request"

/* Default work factor; about 50 ms on a desktop core, a few hundred on a
 * small camera SoC. Only paid once per viewer connection. */
#define GST_P2P_VERIFIER_ITERATIONS 100000

typedef struct _GstP2pVerifier GstP2pVerifier;

GstP2pVerifier *gst_p2p_verifier_new (const gchar * password,
    guint iterations);

GstP2pVerifier *gst_p2p_verifier_parse (const gchar * text, GError ** error);

gchar *gst_p2p_verifier_to_string (const GstP2pVerifier * verifier);

gboolean gst_p2p_verifier_check (const GstP2pVerifier * verifier,
    const gchar * password);

GstP2pVerifier *gst_p2p_verifier_copy (const GstP2pVerifier * verifier);

void gst_p2p_verifier_free (GstP2pVerifier * verifier);

GBytes *gst_p2p_auth_request_new (const gchar * password);

gchar *gst_p2p_auth_request_parse (GBytes * message, GError ** error);

GBytes *gst_p2p_auth_result_new (const gchar * reason, const gchar * text);

gboolean gst_p2p_auth_result_parse (GBytes * message, gchar ** reason,
    gchar ** text, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstP2pVerifier, gst_p2p_verifier_free)

G_END_DECLS
