/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Droppable frames: encoded frames that no later frame refers to, which
 * the fan-out may leave out of a slow viewer's stream (thinning) without
 * its decoder noticing more than a lower frame rate. Only what the
 * bitstream itself says counts: an H.264 access unit whose slices all
 * have nal_ref_idc 0, a VP8 inter frame that updates no reference buffer
 * and keeps no probability it changed. Anything unsure, truncated or
 * malformed is not droppable: a frame wrongly kept costs bandwidth, one
 * wrongly dropped breaks the picture until the next keyframe. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pdroppable.h"

#include <string.h>

/* H.264 NAL unit types (ITU-T H.264 Table 7-1) that matter here. */
#define H264_SLICE 1
#define H264_IDR 5
#define H264_SPS 7
#define H264_PPS 8
#define H264_PREFIX 14
#define H264_SUBSET_SPS 15
#define H264_SLICE_EXT 20

/**
 * gst_p2p_droppable_h264_unit:
 * @header: the header byte of one NAL unit of an H.264 access unit
 * @slices: (inout): slices seen in the access unit so far, counted on
 *
 * Folds one unit into the verdict on its access unit: droppable when
 * every unit is and @slices ends above 0.
 *
 * Returns: FALSE when the unit makes its access unit one to keep
 */
gboolean
gst_p2p_droppable_h264_unit (guint8 header, guint * slices)
{
  guint type = header & 0x1f, ref_idc = (header >> 5) & 3;

  /* Parameter sets travel with keyframes; never leave them out. */
  if (type == H264_SPS || type == H264_PPS || type == H264_SUBSET_SPS)
    return FALSE;
  /* Slices (data partitions included) and their SVC prefixes. */
  if ((type >= H264_SLICE && type <= H264_IDR) || type == H264_SLICE_EXT) {
    (*slices)++;
    return ref_idc == 0;
  }
  if (type == H264_PREFIX)
    return ref_idc == 0;
  /* SEI, access unit delimiters, filler: never referenced. */
  return TRUE;
}

/**
 * gst_p2p_droppable_h264:
 * @data: (array length=size): one H.264 access unit
 * @size: its size
 * @nal_length_size: the size of each NAL unit's length prefix (`avc`
 *     stream format: 1, 2 or 4), 0 for start codes (`byte-stream`)
 *
 * Returns: whether every slice of the access unit has nal_ref_idc 0 (no
 *     later picture refers to it: x264's B-frames without B-pyramid,
 *     the top temporal layer of an SVC-T encoder), and it carries no
 *     parameter set
 */
gboolean
gst_p2p_droppable_h264 (const guint8 * data, gsize size, guint nal_length_size)
{
  guint slices = 0;
  gsize pos = 0;

  if (nal_length_size == 0) {
    /* Emulation prevention keeps 00 00 01 out of NAL unit payloads. */
    while (pos + 3 < size) {
      if (data[pos] == 0 && data[pos + 1] == 0 && data[pos + 2] == 1) {
        if (!gst_p2p_droppable_h264_unit (data[pos + 3], &slices))
          return FALSE;
        pos += 4;
      } else {
        pos++;
      }
    }
    return slices > 0;
  }
  if (nal_length_size != 1 && nal_length_size != 2 && nal_length_size != 4)
    return FALSE;
  while (pos < size) {
    gsize len = 0;
    guint i;

    if (size - pos <= nal_length_size)
      return FALSE;
    for (i = 0; i < nal_length_size; i++)
      len = (len << 8) | data[pos + i];
    pos += nal_length_size;
    if (len == 0 || len > size - pos
        || !gst_p2p_droppable_h264_unit (data[pos], &slices))
      return FALSE;
    pos += len;
  }
  return slices > 0;
}

/* VP8's boolean entropy decoder (RFC 6386 section 7), enough to read the
 * fixed-probability fields of a frame header: a two-byte window over the
 * first partition, zeros past its end (which @loaded tells). */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize loaded;
  guint value;
  guint range;
  guint bit_count;
} BoolDecoder;

static guint
bool_next_byte (BoolDecoder * d)
{
  guint b = d->loaded < d->size ? d->data[d->loaded] : 0;

  d->loaded++;
  return b;
}

static void
bool_init (BoolDecoder * d, const guint8 * data, gsize size)
{
  memset (d, 0, sizeof (*d));
  d->data = data;
  d->size = size;
  d->value = bool_next_byte (d) << 8;
  d->value |= bool_next_byte (d);
  d->range = 255;
}

static guint
bool_read (BoolDecoder * d, guint prob)
{
  guint split = 1 + (((d->range - 1) * prob) >> 8);
  guint big_split = split << 8;
  guint bit;

  if (d->value >= big_split) {
    bit = 1;
    d->range -= split;
    d->value -= big_split;
  } else {
    bit = 0;
    d->range = split;
  }
  while (d->range < 128) {
    d->value <<= 1;
    d->range <<= 1;
    if (++d->bit_count == 8) {
      d->bit_count = 0;
      d->value |= bool_next_byte (d);
    }
  }
  return bit;
}

/* An unsigned n-bit field, most significant bit first: L(n). */
static guint
bool_literal (BoolDecoder * d, guint n)
{
  guint v = 0;

  while (n--)
    v = (v << 1) | bool_read (d, 128);
  return v;
}

/* Skips @count optional fields of a flag, @bits of magnitude and a sign
 * (the header's delta updates). */
static void
bool_skip_deltas (BoolDecoder * d, guint count, guint bits, gboolean sign)
{
  while (count--)
    if (bool_literal (d, 1))
      bool_literal (d, bits + (sign ? 1 : 0));
}

/* Whether the header read so far lay within the partition: what was read
 * is the bits shifted out of the window. */
static gboolean
bool_within (const BoolDecoder * d)
{
  return (d->loaded - 2) * 8 + d->bit_count <= d->size * 8;
}

/**
 * gst_p2p_droppable_vp8:
 * @data: (array length=size): one VP8 frame
 * @size: its size
 *
 * Reads the frame header (RFC 6386 sections 9.2 to 9.7 and 9.11).
 *
 * Returns: whether @data is an inter frame that refreshes none of the
 *     last, golden and altref buffers, copies nothing into them, and
 *     does not keep the probabilities it updates
 *     (`refresh_entropy_probs` 0): vp8enc's upper temporal layer with
 *     `no-upd-last+no-upd-golden+no-upd-arf+no-upd-entropy`
 */
gboolean
gst_p2p_droppable_vp8 (const guint8 * data, gsize size)
{
  BoolDecoder d;
  guint32 tag;
  gsize first_size;
  gboolean segmentation, refresh_golden, refresh_alt;
  guint copy_golden = 0, copy_alt = 0, refresh_entropy, refresh_last;

  if (size < 4)
    return FALSE;
  tag = data[0] | (data[1] << 8) | (data[2] << 16);
  /* Bit 0 clear: a keyframe, the reference of everything after it. */
  if (!(tag & 1))
    return FALSE;
  first_size = tag >> 5;
  if (first_size == 0 || first_size > size - 3)
    return FALSE;
  bool_init (&d, data + 3, first_size);

  segmentation = bool_literal (&d, 1);
  if (segmentation) {
    gboolean update_map = bool_literal (&d, 1);

    if (bool_literal (&d, 1)) {
      bool_literal (&d, 1);     /* segment_feature_mode */
      bool_skip_deltas (&d, 4, 7, TRUE);        /* quantizer */
      bool_skip_deltas (&d, 4, 6, TRUE);        /* loop filter */
    }
    if (update_map)
      bool_skip_deltas (&d, 3, 8, FALSE);       /* segment probabilities */
  }
  bool_literal (&d, 1 + 6 + 3); /* filter type, level, sharpness */
  if (bool_literal (&d, 1) && bool_literal (&d, 1)) {
    bool_skip_deltas (&d, 4, 6, TRUE);  /* reference frame deltas */
    bool_skip_deltas (&d, 4, 6, TRUE);  /* mode deltas */
  }
  bool_literal (&d, 2);         /* log2 of the DCT partitions */
  bool_literal (&d, 7);         /* y_ac_qi */
  bool_skip_deltas (&d, 5, 4, TRUE);    /* the other quantizer indices */
  refresh_golden = bool_literal (&d, 1);
  refresh_alt = bool_literal (&d, 1);
  if (!refresh_golden)
    copy_golden = bool_literal (&d, 2);
  if (!refresh_alt)
    copy_alt = bool_literal (&d, 2);
  bool_literal (&d, 2);         /* sign biases */
  refresh_entropy = bool_literal (&d, 1);
  refresh_last = bool_literal (&d, 1);
  return bool_within (&d) && !refresh_golden && !refresh_alt
      && copy_golden == 0 && copy_alt == 0 && !refresh_entropy && !refresh_last;
}

/**
 * gst_p2p_droppable_frame:
 * @caps: the encoded stream's caps (`video/x-h264` in `avc` or
 *     `byte-stream` format, `video/x-vp8`)
 * @data: (array length=size): one whole frame
 * @size: its size
 *
 * Returns: whether no later frame refers to @data
 *     (gst_p2p_droppable_h264(), gst_p2p_droppable_vp8()); %FALSE for
 *     other formats
 */
gboolean
gst_p2p_droppable_frame (const GstCaps * caps, const guint8 * data, gsize size)
{
  const GstStructure *s;
  const gchar *format;
  guint nal_length_size = 0;

  if (!caps || gst_caps_get_size (caps) == 0)
    return FALSE;
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_has_name (s, "video/x-vp8"))
    return gst_p2p_droppable_vp8 (data, size);
  if (!gst_structure_has_name (s, "video/x-h264"))
    return FALSE;
  format = gst_structure_get_string (s, "stream-format");
  if (g_strcmp0 (format, "avc") == 0) {
    const GValue *v = gst_structure_get_value (s, "codec_data");
    GstBuffer *codec_data;
    guint8 byte;

    /* AVCDecoderConfigurationRecord: lengthSizeMinusOne in byte 4. */
    if (!v || !GST_VALUE_HOLDS_BUFFER (v))
      return FALSE;
    codec_data = gst_value_get_buffer (v);
    if (gst_buffer_extract (codec_data, 4, &byte, 1) != 1)
      return FALSE;
    nal_length_size = (byte & 3) + 1;
  } else if (g_strcmp0 (format, "byte-stream") != 0) {
    return FALSE;
  }
  return gst_p2p_droppable_h264 (data, size, nal_length_size);
}
