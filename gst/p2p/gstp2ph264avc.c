/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* H.264 from byte-stream to avc form on p2psink's send path, in place of
 * h264parse. Encoders (x264enc, openh264enc, V4L2 and VA-API ones) give
 * whole access units with start codes. rtph264pay takes them so, but then
 * scans every byte of every frame for start codes with a byte loop; put
 * behind h264parse it gets the `avc` form and scans nothing, but the
 * parser scans, copies and parses each frame instead, and was the costliest
 * stage of the camera's streaming thread (issue 13). Here one pass finds
 * the start codes (memchr for their 01 byte: a few calls per kilobyte
 * rather than a test per byte), and the lengths are written over the
 * 4-byte start codes in place, or the units are copied once into a new
 * buffer when the start codes are 3 bytes, zeros trail a unit or the
 * parameter sets have to go in.
 *
 * What h264parse (config-interval -1) did for a viewer joining late stays:
 * every IDR access unit leaves with the SPS and PPS in band (the last ones
 * seen go in front of one that lacks them), the `codec_data` (avcC) comes
 * from them and is sent again when they change, and keyframes are flagged
 * by their IDR slices. Parameter sets are kept as the last access unit
 * carrying them had them (all SPS, all PPS), which is how cameras send
 * them. Data the conversion cannot frame (no start code, bytes before the
 * first one, a forbidden bit set, a parameter set too short or too large)
 * is refused with an error and not sent: the element drops that access
 * unit and asks upstream for a keyframe.
 *
 * An encoder linked straight to p2psink (x264enc lists `avc` first) gives
 * `avc` instead: lengths rather than start codes, the parameter sets in the
 * caps' codec_data and, from x264enc, not in band. Those access units need
 * only their lengths walked; with 4-byte lengths and nothing to put in
 * (all but keyframes) they go out as they came, else as above. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2ph264avc.h"
#include "gstp2pdroppable.h"

#include <gst/video/video.h>
#include <string.h>

/* NAL unit types (ITU-T H.264 Table 7-1). */
#define NAL_IDR 5
#define NAL_SPS 7
#define NAL_PPS 8
#define NAL_AUD 9
/* avcC counts its SPS in 5 bits; more PPS than that is not a camera's. */
#define MAX_PARAM_SETS 31
/* An SPS with scaling lists and VUI stays well under this. */
#define MAX_PARAM_SET_SIZE 4096
/* The profile, constraint flags and level avcC copies follow the SPS's
 * NAL header. */
#define MIN_SPS_SIZE 4
#define LENGTH_SIZE 4

typedef struct
{
  gsize start;                  /* the NAL header */
  gsize end;                    /* past its last byte */
} Nal;

struct _GstP2pH264Avc
{
  /* GBytes each, without start codes: those of the last access unit that
   * carried any. */
  GPtrArray *sps;
  GPtrArray *pps;
  /* Whether an IDR access unit went out: before it, nothing is
   * decodable. */
  gboolean started;
  /* Bytes of each unit's length in the input, 0 for start codes. */
  guint length_size;
  GArray *nals;                 /* scratch of Nal, per access unit */
};

/**
 * gst_p2p_h264_avc_new:
 *
 * Returns: (transfer full): a converter with no parameter sets seen
 */
GstP2pH264Avc *
gst_p2p_h264_avc_new (void)
{
  GstP2pH264Avc *avc = g_new0 (GstP2pH264Avc, 1);

  avc->sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  avc->pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  avc->nals = g_array_new (FALSE, FALSE, sizeof (Nal));
  return avc;
}

/**
 * gst_p2p_h264_avc_free:
 * @avc: (transfer full) (nullable): a converter
 */
void
gst_p2p_h264_avc_free (GstP2pH264Avc * avc)
{
  if (!avc)
    return;
  g_ptr_array_unref (avc->sps);
  g_ptr_array_unref (avc->pps);
  g_array_unref (avc->nals);
  g_free (avc);
}

/**
 * gst_p2p_h264_avc_takes:
 * @caps: fixed caps of an encoded stream
 *
 * Returns: whether @caps are H.264 in whole access units, as a byte-stream
 *     or in avc form with its codec_data, which the converter takes
 */
gboolean
gst_p2p_h264_avc_takes (const GstCaps * caps)
{
  const GstStructure *s;
  const gchar *format;

  if (!caps || gst_caps_get_size (caps) != 1)
    return FALSE;
  s = gst_caps_get_structure (caps, 0);
  format = gst_structure_get_string (s, "stream-format");
  return gst_structure_has_name (s, "video/x-h264")
      && g_strcmp0 (gst_structure_get_string (s, "alignment"), "au") == 0
      && (g_strcmp0 (format, "byte-stream") == 0
      || (g_strcmp0 (format, "avc") == 0
          && gst_structure_has_field_typed (s, "codec_data", GST_TYPE_BUFFER)));
}

/* The first start code (00 00 01) at or after @from: where its first zero
 * is, @size if none. Emulation prevention keeps 00 00 01 out of NAL units,
 * and a 01 byte comes about once in 256 of compressed data, so memchr
 * (vectorised) does nearly all the reading. */
static gsize
find_start_code (const guint8 * data, gsize size, gsize from)
{
  const guint8 *p, *end;

  /* Also keeps an empty unit's NULL data out of pointer arithmetic. */
  if (size < 3 || from > size - 3)
    return size;
  p = data + from;
  end = data + size;
  while (end - p >= 3) {
    const guint8 *one = memchr (p + 2, 1, end - (p + 2));

    if (!one)
      break;
    if (one[-1] == 0 && one[-2] == 0)
      return one - 2 - data;
    /* The next candidate 01 lies past this one. */
    p = one - 1;
  }
  return size;
}

/* Splits @data into its NAL units (start codes and trailing zeros left
 * out) in avc->nals. */
static gboolean
split_units (GstP2pH264Avc * avc, const guint8 * data, gsize size,
    GError ** error)
{
  gsize pos = find_start_code (data, size, 0), i;

  g_array_set_size (avc->nals, 0);
  for (i = 0; i < pos; i++) {
    if (data[i] != 0) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "H.264 access unit of %" G_GSIZE_FORMAT " bytes: %s", size,
          pos == size ? "no start code" : "data before the first start code");
      return FALSE;
    }
  }
  while (pos < size) {
    Nal nal = { pos + 3, 0 };
    gsize next = find_start_code (data, size, nal.start);

    /* A NAL unit never ends in a zero byte (H.264 7.4.1): zeros before
     * the next start code are trailing_zero_8bits or its leading zero. */
    for (nal.end = next; nal.end > nal.start && data[nal.end - 1] == 0;
        nal.end--);
    if (nal.end > nal.start)
      g_array_append_val (avc->nals, nal);
    pos = next;
  }
  if (avc->nals->len == 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "H.264 access unit of %" G_GSIZE_FORMAT " bytes: no NAL unit", size);
    return FALSE;
  }
  return TRUE;
}

/* Splits @data, units each after its length in avc->length_size bytes,
 * into avc->nals. */
static gboolean
split_lengths (GstP2pH264Avc * avc, const guint8 * data, gsize size,
    GError ** error)
{
  gsize pos = 0;

  g_array_set_size (avc->nals, 0);
  while (pos < size) {
    Nal nal = { pos + avc->length_size, 0 };
    gsize len = 0;
    guint i;

    if (size - pos <= avc->length_size)
      goto truncated;
    for (i = 0; i < avc->length_size; i++)
      len = len << 8 | data[pos + i];
    if (len == 0 || len > size - nal.start)
      goto truncated;
    nal.end = nal.start + len;
    g_array_append_val (avc->nals, nal);
    pos = nal.end;
  }
  if (avc->nals->len == 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "H.264 access unit of %" G_GSIZE_FORMAT " bytes: no NAL unit", size);
    return FALSE;
  }
  return TRUE;

truncated:
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "H.264 access unit of %" G_GSIZE_FORMAT " bytes: a NAL unit at %"
      G_GSIZE_FORMAT " is empty or runs past its end", size, pos);
  return FALSE;
}

/* Makes @sets (SPS or PPS) those of type @type among the units of @data;
 * returns whether they changed. */
static gboolean
take_param_sets (GstP2pH264Avc * avc, GPtrArray * sets, guint type,
    const guint8 * data)
{
  gboolean changed = FALSE;
  guint i, n = 0;

  for (i = 0; i < avc->nals->len; i++) {
    const Nal *nal = &g_array_index (avc->nals, Nal, i);
    gsize len = nal->end - nal->start;
    GBytes *old;

    if ((data[nal->start] & 0x1f) != type)
      continue;
    old = n < sets->len ? g_ptr_array_index (sets, n) : NULL;
    if (!old || g_bytes_get_size (old) != len
        || memcmp (g_bytes_get_data (old, NULL), data + nal->start, len)) {
      GBytes *b = g_bytes_new (data + nal->start, len);

      if (old) {
        g_bytes_unref (old);
        g_ptr_array_index (sets, n) = b;
      } else {
        g_ptr_array_add (sets, b);
      }
      changed = TRUE;
    }
    n++;
  }
  if (n < sets->len) {
    g_ptr_array_set_size (sets, n);
    changed = TRUE;
  }
  return changed;
}

/* The parameter set of @len bytes at @data (of type @type), as it would
 * have come in band, is one the converter keeps. */
static gboolean
check_param_set (const guint8 * data, gsize len, guint type, GError ** error)
{
  if (len < (type == NAL_SPS ? MIN_SPS_SIZE : 1) || len > MAX_PARAM_SET_SIZE
      || (data[0] & 0x80) || (data[0] & 0x1f) != type) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "H.264 codec_data: a %s of %" G_GSIZE_FORMAT " bytes that is not one",
        type == NAL_SPS ? "SPS" : "PPS", len);
    return FALSE;
  }
  return TRUE;
}

/* Reads @n parameter sets of type @type, each after a 2-byte length, from
 * the @size bytes at @data, from *@pos on, into @sets, and moves *@pos
 * past them. */
static gboolean
read_param_sets (const guint8 * data, gsize size, gsize * pos, guint n,
    guint type, GPtrArray * sets, GError ** error)
{
  guint i;

  for (i = 0; i < n; i++) {
    gsize len;

    if (size - *pos < 2
        || (len = data[*pos] << 8 | data[*pos + 1]) > size - *pos - 2) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "H.264 codec_data of %" G_GSIZE_FORMAT " bytes: truncated", size);
      return FALSE;
    }
    if (!check_param_set (data + *pos + 2, len, type, error))
      return FALSE;
    g_ptr_array_add (sets, g_bytes_new (data + *pos + 2, len));
    *pos += 2 + len;
  }
  return TRUE;
}

static gboolean
same_param_sets (GPtrArray * a, GPtrArray * b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;
  for (i = 0; i < a->len; i++)
    if (!g_bytes_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)))
      return FALSE;
  return TRUE;
}

/**
 * gst_p2p_h264_avc_set_codec_data:
 * @avc: a converter
 * @codec_data: (nullable): the AVCDecoderConfigurationRecord of `avc`
 *     input, %NULL for a byte-stream
 * @params_changed: (out): set to whether the parameter sets, and with them
 *     gst_p2p_h264_avc_codec_data(), changed
 * @error: return location for a #GST_STREAM_ERROR_FORMAT error
 *
 * Sets what the following access units are: a byte-stream, or `avc` with
 * the unit length and parameter sets @codec_data gives. On error nothing
 * changes.
 *
 * Returns: whether @codec_data could be read
 */
gboolean
gst_p2p_h264_avc_set_codec_data (GstP2pH264Avc * avc, GstBuffer * codec_data,
    gboolean * params_changed, GError ** error)
{
  g_autoptr (GPtrArray) sps = NULL;
  g_autoptr (GPtrArray) pps = NULL;
  GstMapInfo map;
  gsize pos;
  gboolean ok = FALSE;

  g_return_val_if_fail (avc != NULL, FALSE);

  *params_changed = FALSE;
  if (!codec_data) {
    avc->length_size = 0;
    return TRUE;
  }
  if (!gst_buffer_map (codec_data, &map, GST_MAP_READ)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "could not read an H.264 codec_data");
    return FALSE;
  }
  sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  /* Version 1, then lengthSizeMinusOne in 2 bits: 1, 2 or 4 bytes. */
  if (map.size < 7 || map.data[0] != 1 || (map.data[4] & 3) == 2) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "H.264 codec_data of %" G_GSIZE_FORMAT " bytes: not an "
        "AVCDecoderConfigurationRecord", map.size);
    goto out;
  }
  pos = 6;
  if (!read_param_sets (map.data, map.size, &pos, map.data[5] & 0x1f, NAL_SPS,
          sps, error))
    goto out;
  if (pos == map.size) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "H.264 codec_data of %" G_GSIZE_FORMAT " bytes: truncated", map.size);
    goto out;
  }
  if (map.data[pos++] > MAX_PARAM_SETS) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "H.264 codec_data: more than %d PPS", MAX_PARAM_SETS);
    goto out;
  }
  if (!read_param_sets (map.data, map.size, &pos, map.data[pos - 1], NAL_PPS,
          pps, error))
    goto out;

  avc->length_size = (map.data[4] & 3) + 1;
  if (sps->len > 0 && pps->len > 0 && (!same_param_sets (sps, avc->sps)
          || !same_param_sets (pps, avc->pps))) {
    g_ptr_array_unref (avc->sps);
    g_ptr_array_unref (avc->pps);
    avc->sps = g_steal_pointer (&sps);
    avc->pps = g_steal_pointer (&pps);
    *params_changed = TRUE;
  }
  ok = TRUE;
out:
  gst_buffer_unmap (codec_data, &map);
  return ok;
}

/* @len, big-endian, in the @size bytes at @out: byte by byte, since a
 * unit's length falls at any address. */
static void
write_length (guint8 * out, guint size, gsize len)
{
  for (; size > 0; size--, len >>= 8)
    out[size - 1] = len & 0xff;
}

/* Writes @len bytes of @data after their length, in @length_size bytes
 * (4 in an access unit, 2 in avcC). */
static guint8 *
write_unit (guint8 * out, guint length_size, const guint8 * data, gsize len)
{
  write_length (out, length_size, len);
  memcpy (out + length_size, data, len);
  return out + length_size + len;
}

static guint8 *
write_param_sets (guint8 * out, guint length_size, GPtrArray * sets)
{
  guint i;

  for (i = 0; i < sets->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (g_ptr_array_index (sets, i), &len);

    out = write_unit (out, length_size, data, len);
  }
  return out;
}

static gsize
param_sets_size (GPtrArray * sets, gsize prefix)
{
  gsize size = 0;
  guint i;

  for (i = 0; i < sets->len; i++)
    size += prefix + g_bytes_get_size (g_ptr_array_index (sets, i));
  return size;
}

/* Where the parameter sets an IDR access unit lacks go. */
typedef struct
{
  gboolean sps;                 /* before unit sps_at */
  gboolean pps;                 /* before unit pps_at, after the SPS */
  guint sps_at;
  guint pps_at;
} Insert;

/* Each unit's 00 00 00 01 becomes its length, in @au's own memory. */
static void
convert_in_place (GstP2pH264Avc * avc, GstBuffer * au)
{
  const Nal *nals = (const Nal *) avc->nals->data;
  GstMapInfo map;
  guint i;

  gst_buffer_map (au, &map, GST_MAP_WRITE);
  for (i = 0; i < avc->nals->len; i++)
    write_length (map.data + nals[i].start - LENGTH_SIZE, LENGTH_SIZE,
        nals[i].end - nals[i].start);
  gst_buffer_unmap (au, &map);
}

/* Writes the parameter sets that go in and each unit's length, each
 * followed by the unit itself when @data (the access unit) is given;
 * returns past the last byte. */
static guint8 *
write_access_unit (GstP2pH264Avc * avc, const Insert * insert, guint8 * w,
    const guint8 * data)
{
  const Nal *nals = (const Nal *) avc->nals->data;
  guint i;

  for (i = 0; i <= avc->nals->len; i++) {
    if (i == insert->sps_at && insert->sps)
      w = write_param_sets (w, LENGTH_SIZE, avc->sps);
    if (i == insert->pps_at && insert->pps)
      w = write_param_sets (w, LENGTH_SIZE, avc->pps);
    if (i < avc->nals->len && data) {
      w = write_unit (w, LENGTH_SIZE, data + nals[i].start,
          nals[i].end - nals[i].start);
    } else if (i < avc->nals->len) {
      write_length (w, LENGTH_SIZE, nals[i].end - nals[i].start);
      w += LENGTH_SIZE;
    }
  }
  return w;
}

/* The bytes written in front of unit @i (the parameter sets that go in
 * there, its length), @i == the number of units for after the last. */
static gsize
prefix_size (GstP2pH264Avc * avc, const Insert * insert, guint i)
{
  gsize size = i < avc->nals->len ? LENGTH_SIZE : 0;

  if (i == insert->sps_at && insert->sps)
    size += param_sets_size (avc->sps, LENGTH_SIZE);
  if (i == insert->pps_at && insert->pps)
    size += param_sets_size (avc->pps, LENGTH_SIZE);
  return size;
}

/* The units of @au (in its one memory, which others hold too: a tee, a
 * source replaying frames) referenced, not copied, each after a length
 * in a memory of their own; rtph264pay reads avc memory by memory. */
static GstBuffer *
convert_shared (GstP2pH264Avc * avc, GstBuffer * au, const Insert * insert)
{
  const Nal *nals = (const Nal *) avc->nals->data;
  GstMemory *units = gst_buffer_peek_memory (au, 0), *prefixes;
  GstBuffer *out = gst_buffer_new ();
  gsize size = 0, offset = 0;
  GstMapInfo map;
  guint8 *w;
  guint i;

  for (i = 0; i <= avc->nals->len; i++)
    size += prefix_size (avc, insert, i);
  prefixes = gst_allocator_alloc (NULL, size, NULL);
  gst_memory_map (prefixes, &map, GST_MAP_WRITE);
  w = write_access_unit (avc, insert, map.data, NULL);
  g_assert (w == map.data + size);
  gst_memory_unmap (prefixes, &map);
  /* Shared once written: a memory mapped for writing cannot be. */
  for (i = 0; i <= avc->nals->len; i++) {
    gsize prefix = prefix_size (avc, insert, i);

    if (prefix > 0)
      gst_buffer_append_memory (out, gst_memory_share (prefixes, offset,
              prefix));
    offset += prefix;
    if (i < avc->nals->len)
      gst_buffer_append_memory (out, gst_memory_share (units, nals[i].start,
              nals[i].end - nals[i].start));
  }
  gst_memory_unref (prefixes);
  return out;
}

/* @au's units copied into one new buffer of @size bytes. */
static GstBuffer *
convert_copied (GstP2pH264Avc * avc, const guint8 * data, gsize size,
    const Insert * insert)
{
  GstBuffer *out = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  guint8 *w;

  gst_buffer_map (out, &map, GST_MAP_WRITE);
  w = write_access_unit (avc, insert, map.data, data);
  g_assert (w == map.data + size);
  gst_buffer_unmap (out, &map);
  return out;
}

/**
 * gst_p2p_h264_avc_convert:
 * @avc: a converter
 * @au: (transfer full): one H.264 access unit, in byte-stream form or, after
 *     gst_p2p_h264_avc_set_codec_data(), in avc form
 * @params_changed: (out): set to whether the parameter sets, and with them
 *     gst_p2p_h264_avc_codec_data(), changed
 * @error: return location for a #GST_STREAM_ERROR_FORMAT error
 *
 * Streaming thread. An IDR access unit that lacks the SPS or PPS gets the
 * last seen put in front of its first unit other than an access unit
 * delimiter (a PPS after the unit's own SPS). %GST_BUFFER_FLAG_DELTA_UNIT
 * is set on all but IDR access units, and %GST_BUFFER_FLAG_DROPPABLE on
 * those that no other picture refers to (gst_p2p_droppable_h264_unit()).
 *
 * Returns: (transfer full) (nullable): the access unit in avc form with
 *     4-byte lengths, or %NULL: with @error set when @au could not be
 *     framed, without when nothing decodable went out yet and @au is not
 *     an IDR access unit with its parameter sets. It is @au itself
 *     (its flags set) when it had 4-byte lengths and nothing went in, or
 *     written over when @au was writable, its start codes all had 4
 *     bytes and nothing went in; else it references @au's memory where it
 *     can, and is a copy where it cannot.
 */
GstBuffer *
gst_p2p_h264_avc_convert (GstP2pH264Avc * avc, GstBuffer * au,
    gboolean * params_changed, GError ** error)
{
  const Nal *nals;
  GstBuffer *out;
  GstMapInfo map;
  Insert insert = { FALSE, FALSE, 0, 0 };
  guint i, n_sps = 0, n_pps = 0, slices = 0, n_memories;
  gboolean idr = FALSE, front = TRUE, droppable = TRUE, in_place;
  gsize out_size = 0;

  g_return_val_if_fail (avc != NULL && GST_IS_BUFFER (au), NULL);

  *params_changed = FALSE;
  if (!gst_buffer_map (au, &map, GST_MAP_READ)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "could not read an H.264 access unit");
    gst_buffer_unref (au);
    return NULL;
  }
  if (!(avc->length_size ? split_lengths (avc, map.data, map.size, error) :
          split_units (avc, map.data, map.size, error)))
    goto refuse;
  nals = (const Nal *) avc->nals->data;

  for (i = 0; i < avc->nals->len; i++) {
    const guint8 *unit = map.data + nals[i].start;
    gsize len = nals[i].end - nals[i].start;
    guint type = unit[0] & 0x1f;

    if (unit[0] & 0x80) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "H.264 NAL unit %u of type %u has its forbidden bit set", i, type);
      goto refuse;
    }
    n_sps += type == NAL_SPS;
    n_pps += type == NAL_PPS;
    if ((type == NAL_SPS || type == NAL_PPS) && (len > MAX_PARAM_SET_SIZE
            || (type == NAL_SPS && len < MIN_SPS_SIZE)
            || MAX (n_sps, n_pps) > MAX_PARAM_SETS)) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "H.264 %s of %" G_GSIZE_FORMAT " bytes (or more than %d)",
          type == NAL_SPS ? "SPS" : "PPS", len, MAX_PARAM_SETS);
      goto refuse;
    }
    idr |= type == NAL_IDR;
    droppable &= gst_p2p_droppable_h264_unit (unit[0], &slices);
    if (type == NAL_SPS)
      insert.pps_at = i + 1;
    if (front && type != NAL_AUD) {
      insert.sps_at = i;
      front = FALSE;
    }
    out_size += LENGTH_SIZE + len;
  }

  if (n_sps > 0 && take_param_sets (avc, avc->sps, NAL_SPS, map.data))
    *params_changed = TRUE;
  if (n_pps > 0 && take_param_sets (avc, avc->pps, NAL_PPS, map.data))
    *params_changed = TRUE;
  if (avc->sps->len == 0 || avc->pps->len == 0)
    *params_changed = FALSE;
  if (!avc->started && (!idr || avc->sps->len == 0 || avc->pps->len == 0))
    goto refuse;
  avc->started = TRUE;

  insert.sps = idr && n_sps == 0;
  insert.pps = idr && n_pps == 0;
  /* A PPS is read against its SPS: a missing one goes after the access
   * unit's own SPS. */
  if (n_sps == 0)
    insert.pps_at = insert.sps_at;
  if (insert.sps)
    out_size += param_sets_size (avc->sps, LENGTH_SIZE);
  if (insert.pps)
    out_size += param_sets_size (avc->pps, LENGTH_SIZE);
  in_place = !insert.sps && !insert.pps && nals[0].start == LENGTH_SIZE
      && nals[avc->nals->len - 1].end == map.size;
  for (i = 1; in_place && i < avc->nals->len; i++)
    in_place = nals[i].start - nals[i - 1].end == LENGTH_SIZE;
  /* Per unit a length and the unit, within a buffer's 16 memories. */
  n_memories = 2 * avc->nals->len + insert.sps + insert.pps;

  if (in_place && avc->length_size == LENGTH_SIZE) {
    /* Already what goes out: only the flags below change. */
    gst_buffer_unmap (au, &map);
    out = gst_buffer_make_writable (au);
  } else if (in_place && gst_buffer_is_writable (au)
      && gst_buffer_is_all_memory_writable (au)) {
    gst_buffer_unmap (au, &map);
    convert_in_place (avc, au);
    out = au;
  } else {
    if (gst_buffer_n_memory (au) == 1
        && n_memories <= gst_buffer_get_max_memory ()
        && !GST_MEMORY_FLAG_IS_SET (gst_buffer_peek_memory (au, 0),
            GST_MEMORY_FLAG_NO_SHARE))
      out = convert_shared (avc, au, &insert);
    else
      out = convert_copied (avc, map.data, out_size, &insert);
    gst_buffer_copy_into (out, au, GST_BUFFER_COPY_METADATA, 0, -1);
    gst_buffer_unmap (au, &map);
    gst_buffer_unref (au);
  }
  if (idr)
    GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DELTA_UNIT);
  else
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DELTA_UNIT);
  if (!idr && droppable && slices > 0)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DROPPABLE);
  else
    GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DROPPABLE);
  return out;

refuse:
  gst_buffer_unmap (au, &map);
  gst_buffer_unref (au);
  return NULL;
}

/**
 * gst_p2p_h264_avc_codec_data:
 * @avc: a converter
 *
 * Returns: (transfer full) (nullable): the AVCDecoderConfigurationRecord
 *     (ISO/IEC 14496-15 5.3.3.1) of the parameter sets last seen, with
 *     4-byte lengths, or %NULL while no SPS and PPS were seen
 */
GstBuffer *
gst_p2p_h264_avc_codec_data (GstP2pH264Avc * avc)
{
  const guint8 *sps;
  GstBuffer *buf;
  GstMapInfo map;
  guint8 *w;

  g_return_val_if_fail (avc != NULL, NULL);

  if (avc->sps->len == 0 || avc->pps->len == 0)
    return NULL;
  sps = g_bytes_get_data (g_ptr_array_index (avc->sps, 0), NULL);
  buf = gst_buffer_new_allocate (NULL, 7 + param_sets_size (avc->sps, 2)
      + param_sets_size (avc->pps, 2), NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  w = map.data;
  *w++ = 1;                     /* configurationVersion */
  *w++ = sps[1];                /* AVCProfileIndication */
  *w++ = sps[2];                /* profile_compatibility */
  *w++ = sps[3];                /* AVCLevelIndication */
  *w++ = 0xfc | (LENGTH_SIZE - 1);
  *w++ = 0xe0 | avc->sps->len;
  w = write_param_sets (w, 2, avc->sps);
  *w++ = avc->pps->len;
  w = write_param_sets (w, 2, avc->pps);
  g_assert (w == map.data + map.size);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* ---------------------------------------------------------------------- */
/* The element p2psink puts in front of rtph264pay                        */

#define GST_TYPE_P2P_H264_AVC_ELEMENT (gst_p2p_h264_avc_element_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pH264AvcElement, gst_p2p_h264_avc_element, GST,
    P2P_H264_AVC_ELEMENT, GstElement);

GST_DEBUG_CATEGORY_STATIC (gst_p2p_h264_avc_debug);
#define GST_CAT_DEFAULT gst_p2p_h264_avc_debug

struct _GstP2pH264AvcElement
{
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  /* Streaming thread (and PAUSED→READY, with streaming stopped). */
  GstP2pH264Avc *avc;
  GstCaps *in_caps;
  gboolean caps_sent;
  /* Serialized events held back until the caps can go out: a segment
   * must not come before them. */
  GQueue pending;
  gboolean keyframe_asked;
  gboolean warned;
};

G_DEFINE_TYPE (GstP2pH264AvcElement, gst_p2p_h264_avc_element,
    GST_TYPE_ELEMENT);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) byte-stream, "
        "alignment = (string) au; "
        "video/x-h264, stream-format = (string) avc, "
        "alignment = (string) au"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) avc, "
        "alignment = (string) au"));

/* The input caps in avc form with the current codec_data, then what was
 * held back for them. */
static gboolean
avc_push_caps (GstP2pH264AvcElement * self)
{
  GstBuffer *codec_data = gst_p2p_h264_avc_codec_data (self->avc);
  GstCaps *caps;
  GstEvent *event;
  gboolean ok;

  if (!self->in_caps || !codec_data) {
    gst_clear_buffer (&codec_data);
    return FALSE;
  }
  caps = gst_caps_copy (self->in_caps);
  gst_caps_set_simple (caps, "stream-format", G_TYPE_STRING, "avc",
      "alignment", G_TYPE_STRING, "au", "codec_data", GST_TYPE_BUFFER,
      codec_data, NULL);
  gst_buffer_unref (codec_data);
  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
  ok = gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  if (!ok)
    return FALSE;
  self->caps_sent = TRUE;
  while ((event = g_queue_pop_head (&self->pending)))
    gst_pad_push_event (self->srcpad, event);
  return TRUE;
}

/* Once until the next keyframe passes: what was dropped breaks the
 * picture until then. */
static void
avc_ask_keyframe (GstP2pH264AvcElement * self)
{
  if (self->keyframe_asked)
    return;
  self->keyframe_asked = TRUE;
  gst_pad_push_event (self->sinkpad,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
}

static GstFlowReturn
avc_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstP2pH264AvcElement *self = GST_P2P_H264_AVC_ELEMENT (parent);
  g_autoptr (GError) err = NULL;
  gboolean changed;
  GstBuffer *out;

  out = gst_p2p_h264_avc_convert (self->avc, buf, &changed, &err);
  if (!out) {
    if (err) {
      GST_WARNING_OBJECT (self, "dropped: %s", err->message);
      if (!self->warned)
        GST_ELEMENT_WARNING (self, STREAM, FORMAT,
            ("Dropped a malformed H.264 access unit"), ("%s", err->message));
      self->warned = TRUE;
    } else {
      GST_DEBUG_OBJECT (self, "dropped a frame before the first keyframe");
    }
    avc_ask_keyframe (self);
    return GST_FLOW_OK;
  }
  if ((changed || !self->caps_sent) && !avc_push_caps (self)) {
    gst_buffer_unref (out);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("could not send avc caps downstream"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT))
    self->keyframe_asked = FALSE;
  return gst_pad_push (self->srcpad, out);
}

static gboolean
avc_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstP2pH264AvcElement *self = GST_P2P_H264_AVC_ELEMENT (parent);
  g_autoptr (GError) err = NULL;
  const GValue *codec_data;
  gboolean changed;
  GstCaps *caps;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      codec_data = gst_structure_get_value (gst_caps_get_structure (caps, 0),
          "codec_data");
      if (!gst_p2p_h264_avc_takes (caps)
          || !gst_p2p_h264_avc_set_codec_data (self->avc,
              codec_data ? gst_value_get_buffer (codec_data) : NULL, &changed,
              &err)) {
        if (err)
          GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL), ("%s",
                  err->message));
        gst_event_unref (event);
        return FALSE;
      }
      gst_caps_replace (&self->in_caps, caps);
      gst_event_unref (event);
      /* Before the first keyframe the codec_data is not known. */
      return !self->caps_sent || avc_push_caps (self);
    case GST_EVENT_STREAM_START:
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      break;
    case GST_EVENT_EOS:
      while (!self->caps_sent && !g_queue_is_empty (&self->pending))
        gst_pad_push_event (self->srcpad, g_queue_pop_head (&self->pending));
      break;
    default:
      if (!self->caps_sent && GST_EVENT_IS_SERIALIZED (event)) {
        g_queue_push_tail (&self->pending, event);
        return TRUE;
      }
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static void
avc_reset (GstP2pH264AvcElement * self)
{
  gst_p2p_h264_avc_free (self->avc);
  self->avc = gst_p2p_h264_avc_new ();
  gst_clear_caps (&self->in_caps);
  g_queue_clear_full (&self->pending, (GDestroyNotify) gst_event_unref);
  self->caps_sent = FALSE;
  self->keyframe_asked = FALSE;
}

static GstStateChangeReturn
avc_change_state (GstElement * element, GstStateChange transition)
{
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (gst_p2p_h264_avc_element_parent_class)
      ->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    avc_reset (GST_P2P_H264_AVC_ELEMENT (element));
  return ret;
}

static void
avc_finalize (GObject * object)
{
  GstP2pH264AvcElement *self = GST_P2P_H264_AVC_ELEMENT (object);

  gst_p2p_h264_avc_free (self->avc);
  gst_clear_caps (&self->in_caps);
  g_queue_clear_full (&self->pending, (GDestroyNotify) gst_event_unref);
  G_OBJECT_CLASS (gst_p2p_h264_avc_element_parent_class)->finalize (object);
}

static void
gst_p2p_h264_avc_element_class_init (GstP2pH264AvcElementClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = avc_finalize;
  element_class->change_state = avc_change_state;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "H.264 byte-stream to avc", "Codec/Parser/Converter/Video",
      "p2psink's H.264 framing for rtph264pay, in place of h264parse",
      "The gst-p2p authors");
  GST_DEBUG_CATEGORY_INIT (gst_p2p_h264_avc_debug, "p2ph264avc", 0,
      "p2psink's H.264 byte-stream to avc conversion");
}

static void
gst_p2p_h264_avc_element_init (GstP2pH264AvcElement * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, avc_chain);
  gst_pad_set_event_function (self->sinkpad, avc_sink_event);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  self->avc = gst_p2p_h264_avc_new ();
  g_queue_init (&self->pending);
}

/**
 * gst_p2p_h264_avc_element_new:
 *
 * An element (not registered) with a `sink` pad taking H.264 access
 * units, in byte-stream or avc form (gst_p2p_h264_avc_takes()), and a `src` pad
 * giving them in avc form (gst_p2p_h264_avc_convert()), with the caps
 * held back until the first IDR access unit with its parameter sets: what
 * rtph264pay takes without scanning. Its buffers may reference the
 * input's memory in several pieces: a reader that maps them whole (rather
 * than memory by memory) pays a copy.
 *
 * Returns: (transfer floating): the element
 */
GstElement *
gst_p2p_h264_avc_element_new (void)
{
  return g_object_new (GST_TYPE_P2P_H264_AVC_ELEMENT, NULL);
}

/**
 * gst_p2p_h264_avc_is_element:
 * @element: (nullable): an element
 *
 * Returns: whether @element is one of gst_p2p_h264_avc_element_new(),
 *     whose output carries %GST_BUFFER_FLAG_DROPPABLE where it applies
 */
gboolean
gst_p2p_h264_avc_is_element (GstElement * element)
{
  return element && G_TYPE_CHECK_INSTANCE_TYPE (element,
      GST_TYPE_P2P_H264_AVC_ELEMENT);
}
