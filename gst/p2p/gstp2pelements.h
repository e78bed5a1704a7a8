/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void p2p_element_init (GstPlugin * plugin);

GST_ELEMENT_REGISTER_DECLARE (p2psink);
GST_ELEMENT_REGISTER_DECLARE (p2psrc);

GST_DEBUG_CATEGORY_EXTERN (gst_p2p_debug);

G_END_DECLS
