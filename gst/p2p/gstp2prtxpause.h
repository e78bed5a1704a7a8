/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void gst_p2p_rtx_pause_attach (GstElement * jitterbuffer, gint * pauses);

G_END_DECLS
