/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Encoded formats p2psink takes on its request pads. H.264 and H.265 must
 * come whole access units or NAL units in byte-stream or avc form, which is
 * what encoders and parsers produce. */
#define GST_P2P_VIDEO_CAPS \
  "video/x-h264, stream-format = (string) { avc, byte-stream }, " \
  "alignment = (string) { au, nal }; " \
  "video/x-h265, stream-format = (string) { hvc1, hev1, byte-stream }, " \
  "alignment = (string) { au, nal }; " \
  "video/x-vp8; video/x-vp9; video/x-av1"

#define GST_P2P_AUDIO_CAPS \
  "audio/x-opus; " \
  "audio/x-mulaw, rate = (int) 8000, channels = (int) 1; " \
  "audio/x-alaw, rate = (int) 8000, channels = (int) 1; " \
  "audio/mpeg, mpegversion = (int) 4, stream-format = (string) raw"

/* RTP payload types the device uses; fixed, because the device makes the
 * offer and no two of its streams share a type. */
#define GST_P2P_PT_VIDEO 96
#define GST_P2P_PT_VIDEO_RTX 97

/* The RTP header extension id of the transport-wide sequence number
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01), in every stream
 * the device sends: the payloaders make room for it, the fan-out writes
 * each viewer's own. */
#define GST_P2P_TWCC_EXT_ID 1
#define GST_P2P_TWCC_URI \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* Payload size, in bytes, the payloaders produce: leaves room under
 * P2P_TRANSPORT_MAX_PACKET for the SRTP tag, the 2-byte RTX header and a
 * TURN channel header on any common path MTU. */
#define GST_P2P_MTU 1200

typedef struct _GstP2pCodec GstP2pCodec;

/**
 * GstP2pCodec:
 * @media_type: caps name of the encoded format
 * @parser: (nullable): element factory of a parser put in front of the
 *     payloader, or %NULL
 * @payloader: element factory of its RTP payloader
 * @pt: RTP payload type
 * @is_video: %TRUE for video (keyframes, retransmission, PLI)
 *
 * One encoded format p2psink can send.
 */
struct _GstP2pCodec
{
  const gchar *media_type;
  const gchar *parser;
  const gchar *payloader;
  guint pt;
  gboolean is_video;
};

const GstP2pCodec *gst_p2p_codec_find (const GstCaps * caps);

GstElement *gst_p2p_codec_make_parser (const GstP2pCodec * codec,
    GError ** error);

GstElement *gst_p2p_codec_make_payloader (const GstP2pCodec * codec,
    GError ** error);

GstElement *gst_p2p_codec_make_depayloader (const GstCaps * rtp_caps);

GstCaps *gst_p2p_codec_talkback_caps (guint pt);

const guint *gst_p2p_codec_talkback_pts (guint * n);

GstStructure *gst_p2p_codec_talkback_rtx_map (void);

#define GST_P2P_TALKBACK_CAPS \
  "audio/x-opus; " \
  "audio/x-mulaw, rate = (int) 8000, channels = (int) 1; " \
  "audio/x-alaw, rate = (int) 8000, channels = (int) 1"

G_END_DECLS
