/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

guint64 gst_p2p_encoder_rate_target (guint64 lowest_estimate, guint64 floor,
    guint64 ceiling);

guint64 gst_p2p_encoder_rate_needed (guint64 ceiling);

gboolean gst_p2p_encoder_rate_get (GstElement * encoder, guint64 * bps);

gboolean gst_p2p_encoder_rate_set (GstElement * encoder, guint64 bps);

G_END_DECLS
