/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS
    gboolean gst_p2p_droppable_h264_unit (guint8 header, guint * slices);

gboolean gst_p2p_droppable_h264 (const guint8 * data, gsize size,
    guint nal_length_size);

gboolean gst_p2p_droppable_vp8 (const guint8 * data, gsize size);

gboolean gst_p2p_droppable_frame (const GstCaps * caps, const guint8 * data,
    gsize size);

G_END_DECLS
