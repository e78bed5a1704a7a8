/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS
/**
 * GstP2pH264Avc:
 *
 * Turns H.264 access units in byte-stream form (start codes), or in `avc`
 * form with lengths of any size, into `avc` form (4-byte lengths), keeping the parameter sets seen for the
 * `codec_data` and for keyframes that come without them.
 */
typedef struct _GstP2pH264Avc GstP2pH264Avc;

GstP2pH264Avc *gst_p2p_h264_avc_new (void);

void gst_p2p_h264_avc_free (GstP2pH264Avc * avc);

gboolean gst_p2p_h264_avc_set_codec_data (GstP2pH264Avc * avc,
    GstBuffer * codec_data, gboolean * params_changed, GError ** error);

GstBuffer *gst_p2p_h264_avc_convert (GstP2pH264Avc * avc, GstBuffer * au,
    gboolean * params_changed, GError ** error);

GstBuffer *gst_p2p_h264_avc_codec_data (GstP2pH264Avc * avc);

gboolean gst_p2p_h264_avc_takes (const GstCaps * caps);

GstElement *gst_p2p_h264_avc_element_new (void);

gboolean gst_p2p_h264_avc_is_element (GstElement * element);

G_END_DECLS
