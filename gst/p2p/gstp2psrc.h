/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_P2P_SRC (gst_p2p_src_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pSrc, gst_p2p_src, GST, P2P_SRC, GstBin)

G_END_DECLS
