/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS
#define GST_P2P_TYPE_JITTER_BUFFER (gst_p2p_jitter_buffer_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pJitterBuffer, gst_p2p_jitter_buffer, GST_P2P,
    JITTER_BUFFER, GstElement)
     GstElement *gst_p2p_jitter_buffer_new (void);

G_END_DECLS
