/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS
/**
 * GstP2pNalFraming:
 *
 * Turns H.264 or H.265 access units in byte-stream form (start codes),
 * or H.264 in `avc` form with 1-, 2- or 4-byte lengths, into units after
 * 4-byte lengths (H.264 `avc`, H.265 `hvc1`), keeping the parameter sets
 * seen for the `codec_data` and for keyframes that come without them.
 */
typedef struct _GstP2pNalFraming GstP2pNalFraming;

GstP2pNalFraming *gst_p2p_nal_framing_new (gboolean h265);

void gst_p2p_nal_framing_free (GstP2pNalFraming * avc);

gboolean gst_p2p_nal_framing_set_codec_data (GstP2pNalFraming * avc,
    GstBuffer * codec_data, gboolean * params_changed, GError ** error);

GstBuffer *gst_p2p_nal_framing_convert (GstP2pNalFraming * avc, GstBuffer * au,
    gboolean * params_changed, GError ** error);

GstBuffer *gst_p2p_nal_framing_codec_data (GstP2pNalFraming * avc);

gboolean gst_p2p_nal_framing_takes (const GstCaps * caps);

GstElement *gst_p2p_nal_framing_element_new (void);

GstCaps *gst_p2p_prefer_decodable_h264 (GstCaps * caps);

gboolean gst_p2p_nal_framing_is_element (GstElement * element);

G_END_DECLS
