/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <p2p-core/p2p-camera-session.h>

G_BEGIN_DECLS

/* The rtpbin session that receives talk-back audio (0 and 1 send). */
#define GST_P2P_TALKBACK_SESSION 2

typedef struct _GstP2pTalkback GstP2pTalkback;

GstP2pTalkback *gst_p2p_talkback_new (GstElement * element,
    GstElement * rtpbin, GstPadTemplate * templ);

void gst_p2p_talkback_free (GstP2pTalkback * talkback);

void gst_p2p_talkback_set_enabled (GstP2pTalkback * talkback,
    gboolean enabled);

void gst_p2p_talkback_push (GstP2pTalkback * talkback,
    P2pCameraSession * session, gboolean is_rtcp, const guint8 * data,
    gsize size);

void gst_p2p_talkback_release (GstP2pTalkback * talkback,
    P2pCameraSession * session, const gchar * reason);

void gst_p2p_talkback_tick (GstP2pTalkback * talkback, gint64 now_us);

G_END_DECLS
