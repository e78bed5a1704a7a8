/* Fuzz target: p2psink's H.264 and H.265 conversion to length-prefixed units
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What an encoder hands p2psink (gstp2pnalframing.c): the input split at
 * each "AU!" into access units, converted in turn by one converter, so
 * that parameter sets seen in one are put into (or change) the next. An
 * input starting with "avcC" is avc: its first part (after those 4 bytes)
 * is the codec_data; one starting with "h265" is an H.265 byte-stream. */

#include "gstp2pnalframing.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

/* The 4-byte big-endian length at @p, at any address. */
static gsize
read_length (const guint8 * p)
{
  return ((gsize) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

/* What a valid conversion promises rtph264pay: units with 4-byte lengths
 * filling the buffer exactly. */
static void
check_avc (GstBuffer * buf)
{
  GstMapInfo map;
  gsize pos = 0;

  g_assert (gst_buffer_map (buf, &map, GST_MAP_READ));
  while (pos < map.size) {
    gsize len;

    g_assert (map.size - pos > 4);
    len = read_length (map.data + pos);
    g_assert (len > 0 && len <= map.size - pos - 4);
    pos += 4 + len;
  }
  gst_buffer_unmap (buf, &map);
}

/* The length of the access unit at @data: up to the next delimiter. */
static gsize
unit_length (const guint8 * data, gsize size, const guint8 * delimiter,
    gsize delimiter_size)
{
  gsize i;

  for (i = 0; i + delimiter_size <= size; i++)
    if (memcmp (data + i, delimiter, delimiter_size) == 0)
      return i;
  return size;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static const guint8 delimiter[] = { 'A', 'U', '!' };
  GstP2pNalFraming *avc;
  gsize pos = 0;

  gst_init (NULL, NULL);
  avc = gst_p2p_nal_framing_new (size >= 4 && memcmp (data, "h265", 4) == 0);
  if (size >= 4 && memcmp (data, "h265", 4) == 0) {
    pos = 4;
  } else if (size >= 4 && memcmp (data, "avcC", 4) == 0) {
    gsize len = unit_length (data + 4, size - 4, delimiter,
        sizeof (delimiter));
    GstBuffer *codec_data = gst_buffer_new_memdup (data + 4, len);
    GError *err = NULL;
    gboolean changed;

    if (!gst_p2p_nal_framing_set_codec_data (avc, codec_data, &changed, &err))
      g_assert (err);
    g_clear_error (&err);
    gst_buffer_unref (codec_data);
    pos = 4 + len + sizeof (delimiter);
  }
  while (pos <= size) {
    gsize len = unit_length (data + pos, size - pos, delimiter,
        sizeof (delimiter));
    GError *err = NULL;
    gboolean changed;
    GstBuffer *out;

    out = gst_p2p_nal_framing_convert (avc, len ? gst_buffer_new_memdup (data +
            pos, len) : gst_buffer_new (), &changed, &err);
    g_assert (!out || !err);
    if (out) {
      check_avc (out);
      gst_buffer_unref (out);
    }
    g_clear_error (&err);
    if (changed) {
      GstBuffer *codec_data = gst_p2p_nal_framing_codec_data (avc);

      g_assert (codec_data);
      gst_buffer_unref (codec_data);
    }
    pos += len + sizeof (delimiter);
  }
  gst_p2p_nal_framing_free (avc);
  return 0;
}
