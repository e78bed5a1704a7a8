/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* H.264 and H.265 from byte-stream to length-prefixed units (`avc`,
 * `hvc1`) on p2psink's send path, in place of h264parse and h265parse.
 * What follows says H.264; H.265 differs only in its 2-byte NAL header,
 * its three kinds of parameter set (VPS, SPS, PPS), its keyframes (IRAP
 * pictures) and its codec_data (hvcC), which NalCodec holds. Encoders (x264enc, openh264enc, V4L2 and VA-API ones) give
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

#include "gstp2pnalframing.h"
#include "gstp2pdroppable.h"

#include <gst/video/video.h>
#include <string.h>

/* NAL unit types (ITU-T H.264 Table 7-1, H.265 Table 7-1). */
#define NAL_IDR 5
#define NAL_SPS 7
#define NAL_PPS 8
#define NAL_AUD 9
#define H265_BLA_W_LP 16
#define H265_RSV_IRAP_23 23
#define H265_VPS 32
#define H265_SPS 33
#define H265_PPS 34
#define H265_AUD 35
/* avcC counts its SPS in 5 bits; more PPS than that is not a camera's. */
#define MAX_PARAM_SETS 31
/* An SPS with scaling lists and VUI stays well under this. */
#define MAX_PARAM_SET_SIZE 4096
/* Kinds of parameter set: SPS and PPS; VPS, SPS and PPS. */
#define MAX_KINDS 3
#define LENGTH_SIZE 4

typedef struct
{
  gsize start;                  /* the NAL header */
  gsize end;                    /* past its last byte */
} Nal;

typedef struct _NalCodec NalCodec;

/* What differs between H.264 and H.265 here. */
struct _NalCodec
{
  const gchar *name;
  const gchar *media_type;
  const gchar *format;          /* the stream-format that goes out */
  guint header_size;            /* bytes of a NAL unit header */
  guint n_kinds;
  /* NAL unit types of the parameter sets, in the order a decoder reads
   * them, and the fewest bytes of each the codec_data is built from. */
  guint kinds[MAX_KINDS];
  gsize min_size[MAX_KINDS];
  guint aud;
  /* Slices of a picture a decoder can start from. */
  guint key_first;
  guint key_last;
  GstBuffer *(*codec_data) (GstP2pNalFraming * framing);
};

struct _GstP2pNalFraming
{
  const NalCodec *codec;
  /* Per kind, GBytes each, without start codes: those of the last access
   * unit that carried any. */
  GPtrArray *sets[MAX_KINDS];
  /* Whether a keyframe went out: before it, nothing is decodable. */
  gboolean started;
  /* Bytes of each unit's length in the input, 0 for start codes. */
  guint length_size;
  GArray *nals;                 /* scratch of Nal, per access unit */
};

static GstBuffer *avcc_codec_data (GstP2pNalFraming * framing);
static GstBuffer *hvcc_codec_data (GstP2pNalFraming * framing);

/* The SPS's profile, constraint flags and level follow its header: what
 * avcC copies. */
static const NalCodec h264 = { "H.264", "video/x-h264", "avc", 1, 2,
  {NAL_SPS, NAL_PPS}, {4, 1}, NAL_AUD, NAL_IDR, NAL_IDR, avcc_codec_data
};

/* The SPS's general profile_tier_level (12 bytes after its header and
 * first byte) is what hvcC copies. `hvc1` is what rtph265pay takes; the
 * parameter sets also go in band at keyframes, as h265parse's
 * config-interval -1 puts them. */
static const NalCodec h265_codec = { "H.265", "video/x-h265", "hvc1", 2, 3,
  {H265_VPS, H265_SPS, H265_PPS}, {2, 15, 2}, H265_AUD, H265_BLA_W_LP,
  H265_RSV_IRAP_23, hvcc_codec_data
};

static guint
nal_type (const NalCodec * codec, guint8 header)
{
  return codec->header_size == 1 ? header & 0x1f : (header >> 1) & 0x3f;
}

/* The kind of parameter set a unit of @type is, -1 if none. */
static gint
param_set_kind (const NalCodec * codec, guint type)
{
  guint k;

  for (k = 0; k < codec->n_kinds; k++)
    if (codec->kinds[k] == type)
      return k;
  return -1;
}

/**
 * gst_p2p_nal_framing_new:
 * @h265: %TRUE for H.265, %FALSE for H.264
 *
 * Returns: (transfer full): a converter with no parameter sets seen
 */
GstP2pNalFraming *
gst_p2p_nal_framing_new (gboolean h265)
{
  GstP2pNalFraming *avc = g_new0 (GstP2pNalFraming, 1);
  guint k;

  avc->codec = h265 ? &h265_codec : &h264;
  for (k = 0; k < MAX_KINDS; k++)
    avc->sets[k] =
        g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  avc->nals = g_array_new (FALSE, FALSE, sizeof (Nal));
  return avc;
}

/**
 * gst_p2p_nal_framing_free:
 * @avc: (transfer full) (nullable): a converter
 */
void
gst_p2p_nal_framing_free (GstP2pNalFraming * avc)
{
  guint k;

  if (!avc)
    return;
  for (k = 0; k < MAX_KINDS; k++)
    g_ptr_array_unref (avc->sets[k]);
  g_array_unref (avc->nals);
  g_free (avc);
}

/**
 * gst_p2p_nal_framing_takes:
 * @caps: fixed caps of an encoded stream
 *
 * Returns: whether @caps are H.264 or H.265 in whole access units as a
 *     byte-stream, or H.264 in avc form with its codec_data, which the
 *     converter takes
 */
gboolean
gst_p2p_nal_framing_takes (const GstCaps * caps)
{
  const GstStructure *s;
  const gchar *format;

  if (!caps || gst_caps_get_size (caps) != 1)
    return FALSE;
  s = gst_caps_get_structure (caps, 0);
  format = gst_structure_get_string (s, "stream-format");
  if (g_strcmp0 (gst_structure_get_string (s, "alignment"), "au") != 0)
    return FALSE;
  if (gst_structure_has_name (s, "video/x-h265"))
    return g_strcmp0 (format, "byte-stream") == 0;
  return gst_structure_has_name (s, "video/x-h264")
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
 * out) in avc->nals; none when there are none. */
static gboolean
split_units (GstP2pNalFraming * avc, const guint8 * data, gsize size,
    GError ** error)
{
  gsize pos = find_start_code (data, size, 0), i;

  g_array_set_size (avc->nals, 0);
  for (i = 0; i < pos; i++) {
    if (data[i] != 0) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "%s access unit of %" G_GSIZE_FORMAT " bytes: %s", avc->codec->name,
          size,
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
  return TRUE;
}

/* Splits @data, units each after its length in avc->length_size bytes,
 * into avc->nals. */
static gboolean
split_lengths (GstP2pNalFraming * avc, const guint8 * data, gsize size,
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
  return TRUE;

truncated:
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "%s access unit of %" G_GSIZE_FORMAT " bytes: a NAL unit at %"
      G_GSIZE_FORMAT " is empty or runs past its end", avc->codec->name, size,
      pos);
  return FALSE;
}

/* Makes the parameter sets of kind @kind those among the units of @data;
 * returns whether they changed. */
static gboolean
take_param_sets (GstP2pNalFraming * avc, guint kind, const guint8 * data)
{
  GPtrArray *sets = avc->sets[kind];
  gboolean changed = FALSE;
  guint i, n = 0;

  for (i = 0; i < avc->nals->len; i++) {
    const Nal *nal = &g_array_index (avc->nals, Nal, i);
    gsize len = nal->end - nal->start;
    GBytes *old;

    if (nal_type (avc->codec, data[nal->start]) != avc->codec->kinds[kind])
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
  if (len < h264.min_size[type == NAL_PPS] || len > MAX_PARAM_SET_SIZE
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
 * gst_p2p_nal_framing_set_codec_data:
 * @avc: a converter
 * @codec_data: (nullable): the AVCDecoderConfigurationRecord of `avc`
 *     input, %NULL for a byte-stream
 * @params_changed: (out): set to whether the parameter sets, and with them
 *     gst_p2p_nal_framing_codec_data(), changed
 * @error: return location for a #GST_STREAM_ERROR_FORMAT error
 *
 * Sets what the following access units are: a byte-stream, or `avc` with
 * the unit length and parameter sets @codec_data gives. On error nothing
 * changes.
 *
 * Returns: whether @codec_data could be read
 */
gboolean
gst_p2p_nal_framing_set_codec_data (GstP2pNalFraming * avc,
    GstBuffer * codec_data, gboolean * params_changed, GError ** error)
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
  if (avc->codec != &h264) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "%s in a form with codec_data is not taken", avc->codec->name);
    return FALSE;
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
  if (sps->len > 0 && pps->len > 0 && (!same_param_sets (sps, avc->sets[0])
          || !same_param_sets (pps, avc->sets[1]))) {
    g_ptr_array_unref (avc->sets[0]);
    g_ptr_array_unref (avc->sets[1]);
    avc->sets[0] = g_steal_pointer (&sps);
    avc->sets[1] = g_steal_pointer (&pps);
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

/* Where the parameter sets a keyframe lacks go: those of kind k before
 * unit at[k] when put[k]. */
typedef struct
{
  gboolean put[MAX_KINDS];
  guint at[MAX_KINDS];
} Insert;

/* Writes the parameter sets that go in before unit @i. */
static guint8 *
write_inserted (GstP2pNalFraming * avc, const Insert * insert, guint i,
    guint8 * w)
{
  guint k;

  for (k = 0; k < avc->codec->n_kinds; k++)
    if (insert->put[k] && insert->at[k] == i)
      w = write_param_sets (w, LENGTH_SIZE, avc->sets[k]);
  return w;
}

/* Each unit's 00 00 00 01 becomes its length, in @au's own memory. */
static void
convert_in_place (GstP2pNalFraming * avc, GstBuffer * au)
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
write_access_unit (GstP2pNalFraming * avc, const Insert * insert, guint8 * w,
    const guint8 * data)
{
  const Nal *nals = (const Nal *) avc->nals->data;
  guint i;

  for (i = 0; i <= avc->nals->len; i++) {
    w = write_inserted (avc, insert, i, w);
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
prefix_size (GstP2pNalFraming * avc, const Insert * insert, guint i)
{
  gsize size = i < avc->nals->len ? LENGTH_SIZE : 0;
  guint k;

  for (k = 0; k < avc->codec->n_kinds; k++)
    if (insert->put[k] && insert->at[k] == i)
      size += param_sets_size (avc->sets[k], LENGTH_SIZE);
  return size;
}

/* The units of @au (in its one memory, which others hold too: a tee, a
 * source replaying frames) referenced, not copied, each after a length
 * in a memory of their own; rtph264pay reads avc memory by memory. */
static GstBuffer *
convert_shared (GstP2pNalFraming * avc, GstBuffer * au, const Insert * insert)
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
convert_copied (GstP2pNalFraming * avc, const guint8 * data, gsize size,
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
 * gst_p2p_nal_framing_convert:
 * @avc: a converter
 * @au: (transfer full): one access unit, in byte-stream form or, after
 *     gst_p2p_nal_framing_set_codec_data(), in avc form
 * @params_changed: (out): set to whether the parameter sets, and with them
 *     gst_p2p_nal_framing_codec_data(), changed
 * @error: return location for a #GST_STREAM_ERROR_FORMAT error
 *
 * Streaming thread. A keyframe (H.264 IDR, H.265 IRAP access unit) that
 * lacks parameter sets of a kind gets the last seen: after the unit's own
 * parameter sets of the kinds read before them (VPS, SPS, PPS), else in
 * front of its first unit other than an access unit delimiter.
 * %GST_BUFFER_FLAG_DELTA_UNIT is set on all but keyframes, and for H.264
 * %GST_BUFFER_FLAG_DROPPABLE on those that no other picture refers to
 * (gst_p2p_droppable_h264_unit()).
 *
 * Returns: (transfer full) (nullable): the access unit with 4-byte
 *     lengths, or %NULL: with @error set when @au could not be framed,
 *     without when nothing decodable went out yet and @au is not a
 *     keyframe with its parameter sets. It is @au itself (its flags set)
 *     when it had 4-byte lengths and nothing went in, or written over
 *     when @au was writable, its start codes all had 4 bytes and nothing
 *     went in; else it references @au's memory where it can, and is a
 *     copy where it cannot.
 */
GstBuffer *
gst_p2p_nal_framing_convert (GstP2pNalFraming * avc, GstBuffer * au,
    gboolean * params_changed, GError ** error)
{
  const NalCodec *codec = avc->codec;
  const Nal *nals;
  GstBuffer *out;
  GstMapInfo map;
  Insert insert = { {FALSE}, {0} };
  guint i, k, slices = 0, n_memories, front = 0;
  guint n[MAX_KINDS] = { 0 }, after[MAX_KINDS] = { 0 };
  gboolean key = FALSE, found_front = FALSE, droppable = codec == &h264;
  gboolean in_place, complete = TRUE;
  gsize out_size = 0;

  g_return_val_if_fail (avc != NULL && GST_IS_BUFFER (au), NULL);

  *params_changed = FALSE;
  if (!gst_buffer_map (au, &map, GST_MAP_READ)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "could not read an %s access unit", codec->name);
    gst_buffer_unref (au);
    return NULL;
  }
  if (!(avc->length_size ? split_lengths (avc, map.data, map.size, error) :
          split_units (avc, map.data, map.size, error)))
    goto refuse;
  if (avc->nals->len == 0) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "%s access unit of %" G_GSIZE_FORMAT " bytes: no NAL unit",
        codec->name, map.size);
    goto refuse;
  }
  nals = (const Nal *) avc->nals->data;

  for (i = 0; i < avc->nals->len; i++) {
    const guint8 *unit = map.data + nals[i].start;
    gsize len = nals[i].end - nals[i].start;
    guint type = nal_type (codec, unit[0]);
    gint kind = param_set_kind (codec, type);

    if ((unit[0] & 0x80) || len < codec->header_size) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "%s NAL unit %u of type %u has its forbidden bit set or is "
          "shorter than its header", codec->name, i, type);
      goto refuse;
    }
    if (kind >= 0 && (len > MAX_PARAM_SET_SIZE || len < codec->min_size[kind]
            || ++n[kind] > MAX_PARAM_SETS)) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "%s parameter set of type %u: %" G_GSIZE_FORMAT " bytes (or more "
          "than %d)", codec->name, type, len, MAX_PARAM_SETS);
      goto refuse;
    }
    key |= type >= codec->key_first && type <= codec->key_last;
    if (codec == &h264)
      droppable &= gst_p2p_droppable_h264_unit (unit[0], &slices);
    if (kind >= 0)
      after[kind] = i + 1;
    if (!found_front && type != codec->aud) {
      front = i;
      found_front = TRUE;
    }
    out_size += LENGTH_SIZE + len;
  }

  for (k = 0; k < codec->n_kinds; k++) {
    if (n[k] > 0 && take_param_sets (avc, k, map.data))
      *params_changed = TRUE;
    complete &= avc->sets[k]->len > 0;
  }
  if (!complete)
    *params_changed = FALSE;
  if (!avc->started && (!key || !complete))
    goto refuse;
  avc->started = TRUE;

  /* A parameter set is read against those of the kinds before it: a
   * missing one goes after the access unit's own of those. */
  n_memories = 2 * avc->nals->len;
  for (k = 0; k < codec->n_kinds; k++) {
    guint j;

    insert.put[k] = key && n[k] == 0;
    insert.at[k] = front;
    for (j = 0; j < k; j++)
      if (n[j] > 0)
        insert.at[k] = MAX (insert.at[k], after[j]);
    if (insert.put[k]) {
      out_size += param_sets_size (avc->sets[k], LENGTH_SIZE);
      n_memories++;
    }
  }
  in_place = n_memories == 2 * avc->nals->len
      && nals[0].start == LENGTH_SIZE
      && nals[avc->nals->len - 1].end == map.size;
  for (i = 1; in_place && i < avc->nals->len; i++)
    in_place = nals[i].start - nals[i - 1].end == LENGTH_SIZE;

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
    /* Per unit a length and the unit, within a buffer's 16 memories. */
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
  if (key)
    GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DELTA_UNIT);
  else
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DELTA_UNIT);
  if (!key && droppable && slices > 0)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DROPPABLE);
  else
    GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DROPPABLE);
  return out;

refuse:
  gst_buffer_unmap (au, &map);
  gst_buffer_unref (au);
  return NULL;
}

/* AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1). */
static GstBuffer *
avcc_codec_data (GstP2pNalFraming * avc)
{
  GPtrArray *sps_sets = avc->sets[0], *pps_sets = avc->sets[1];
  const guint8 *sps = g_bytes_get_data (g_ptr_array_index (sps_sets, 0),
      NULL);
  GstBuffer *buf;
  GstMapInfo map;
  guint8 *w;

  buf = gst_buffer_new_allocate (NULL, 7 + param_sets_size (sps_sets, 2)
      + param_sets_size (pps_sets, 2), NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  w = map.data;
  *w++ = 1;                     /* configurationVersion */
  *w++ = sps[1];                /* AVCProfileIndication */
  *w++ = sps[2];                /* profile_compatibility */
  *w++ = sps[3];                /* AVCLevelIndication */
  *w++ = 0xfc | (LENGTH_SIZE - 1);
  *w++ = 0xe0 | sps_sets->len;
  w = write_param_sets (w, 2, sps_sets);
  *w++ = pps_sets->len;
  w = write_param_sets (w, 2, pps_sets);
  g_assert (w == map.data + map.size);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Reads an H.265 SPS's fields bit by bit, from its bytes with emulation
 * prevention (00 00 03) taken out; past the end it reads zeros. */
typedef struct
{
  guint8 rbsp[64];
  gsize size;
  gsize bit;
} BitReader;

static void
bit_reader_init (BitReader * r, const guint8 * data, gsize size)
{
  gsize i, zeros = 0;

  r->size = r->bit = 0;
  for (i = 0; i < size && r->size < sizeof (r->rbsp); i++) {
    if (zeros >= 2 && data[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = data[i] == 0 ? zeros + 1 : 0;
    r->rbsp[r->size++] = data[i];
  }
}

static guint
read_bits (BitReader * r, guint n)
{
  guint v = 0;

  for (; n > 0; n--, r->bit++)
    v = v << 1 | (r->bit / 8 < r->size ?
        (r->rbsp[r->bit / 8] >> (7 - r->bit % 8)) & 1 : 0);
  return v;
}

/* An unsigned Exp-Golomb code (H.265 9.2), 0 when it does not fit. */
static guint
read_ue (BitReader * r)
{
  guint zeros = 0;

  while (read_bits (r, 1) == 0) {
    if (++zeros > 31 || r->bit / 8 >= r->size)
      return 0;
  }
  return (1u << zeros) - 1 + read_bits (r, zeros);
}

/* HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1): the general
 * profile, tier and level copied from the SPS, its chroma format and bit
 * depths read from it, and the VPS, SPS and PPS arrays. */
static GstBuffer *
hvcc_codec_data (GstP2pNalFraming * avc)
{
  gsize sps_size, size = 23;
  const guint8 *sps = g_bytes_get_data (g_ptr_array_index (avc->sets[1], 0),
      &sps_size);
  guint i, k, sub_layers, profile_present = 0, level_present = 0;
  guint chroma, luma_depth, chroma_depth;
  BitReader r;
  GstBuffer *buf;
  GstMapInfo map;
  guint8 *w;

  /* After the 2-byte header: the VPS id, sub-layers, nesting flag, then
   * profile_tier_level (H.265 7.3.3). */
  bit_reader_init (&r, sps + 2, sps_size - 2);
  read_bits (&r, 4);
  sub_layers = read_bits (&r, 3);
  read_bits (&r, 1);
  read_bits (&r, 96);           /* the general profile, copied below */
  for (i = 0; i < sub_layers; i++) {
    profile_present |= read_bits (&r, 1) << i;
    level_present |= read_bits (&r, 1) << i;
  }
  if (sub_layers > 0)
    read_bits (&r, 2 * (8 - sub_layers));
  for (i = 0; i < sub_layers; i++) {
    read_bits (&r, (profile_present >> i) & 1 ? 88 : 0);
    read_bits (&r, (level_present >> i) & 1 ? 8 : 0);
  }
  read_ue (&r);                 /* sps_seq_parameter_set_id */
  chroma = read_ue (&r);
  if (chroma == 3)
    read_bits (&r, 1);          /* separate_colour_plane_flag */
  read_ue (&r);                 /* width */
  read_ue (&r);                 /* height */
  if (read_bits (&r, 1))        /* conformance window */
    for (i = 0; i < 4; i++)
      read_ue (&r);
  luma_depth = read_ue (&r);
  chroma_depth = read_ue (&r);

  for (k = 0; k < avc->codec->n_kinds; k++)
    size += 3 + param_sets_size (avc->sets[k], 2);
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  w = map.data;
  *w++ = 1;                     /* configurationVersion */
  /* Profile space, tier, profile, compatibility and constraint flags,
   * level: 12 bytes. */
  for (i = 0; i < 12; i++)
    *w++ = i + 1 < r.size ? r.rbsp[i + 1] : 0;
  *w++ = 0xf0;                  /* min_spatial_segmentation_idc 0 */
  *w++ = 0x00;
  *w++ = 0xfc;                  /* parallelismType unknown */
  *w++ = 0xfc | (chroma & 3);
  *w++ = 0xf8 | (luma_depth & 7);
  *w++ = 0xf8 | (chroma_depth & 7);
  *w++ = 0;                     /* avgFrameRate unknown */
  *w++ = 0;
  /* constantFrameRate 0, numTemporalLayers, temporalIdNested,
   * lengthSizeMinusOne. */
  *w++ = ((sub_layers + 1) & 7) << 3 | ((r.rbsp[0] & 1) << 2)
      | (LENGTH_SIZE - 1);
  *w++ = avc->codec->n_kinds;   /* numOfArrays */
  for (k = 0; k < avc->codec->n_kinds; k++) {
    /* array_completeness: all of the kind are here. */
    *w++ = 0x80 | avc->codec->kinds[k];
    *w++ = avc->sets[k]->len >> 8;
    *w++ = avc->sets[k]->len & 0xff;
    w = write_param_sets (w, 2, avc->sets[k]);
  }
  g_assert (w == map.data + map.size);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/**
 * gst_p2p_nal_framing_codec_data:
 * @avc: a converter
 *
 * Returns: (transfer full) (nullable): the decoder configuration record
 *     (ISO/IEC 14496-15: avcC for H.264, hvcC for H.265) of the parameter
 *     sets last seen, with 4-byte lengths, or %NULL while not all kinds
 *     were seen
 */
GstBuffer *
gst_p2p_nal_framing_codec_data (GstP2pNalFraming * avc)
{
  guint k;

  g_return_val_if_fail (avc != NULL, NULL);

  for (k = 0; k < avc->codec->n_kinds; k++)
    if (avc->sets[k]->len == 0)
      return NULL;
  return avc->codec->codec_data (avc);
}

/* ---------------------------------------------------------------------- */
/* The element p2psink puts in front of rtph264pay and rtph265pay         */

#define GST_TYPE_P2P_NAL_FRAMING_ELEMENT (gst_p2p_nal_framing_element_get_type ())
G_DECLARE_FINAL_TYPE (GstP2pNalFramingElement, gst_p2p_nal_framing_element, GST,
    P2P_NAL_FRAMING_ELEMENT, GstElement);

GST_DEBUG_CATEGORY_STATIC (gst_p2p_nal_framing_debug);
#define GST_CAT_DEFAULT gst_p2p_nal_framing_debug

struct _GstP2pNalFramingElement
{
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  /* Streaming thread (and PAUSED→READY, with streaming stopped). */
  GstP2pNalFraming *avc;
  GstCaps *in_caps;
  gboolean caps_sent;
  /* Serialized events held back until the caps can go out: a segment
   * must not come before them. */
  GQueue pending;
  gboolean keyframe_asked;
  gboolean warned;
};

G_DEFINE_TYPE (GstP2pNalFramingElement, gst_p2p_nal_framing_element,
    GST_TYPE_ELEMENT);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) avc, "
        "alignment = (string) au; "
        "video/x-h264, stream-format = (string) byte-stream, "
        "alignment = (string) au; "
        "video/x-h265, stream-format = (string) byte-stream, "
        "alignment = (string) au"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) avc, "
        "alignment = (string) au; "
        "video/x-h265, stream-format = (string) hvc1, "
        "alignment = (string) au"));

/* The input caps in length-prefixed form with the current codec_data, then
 * what was held back for them. */
static gboolean
avc_push_caps (GstP2pNalFramingElement * self)
{
  GstBuffer *codec_data = gst_p2p_nal_framing_codec_data (self->avc);
  GstCaps *caps;
  GstEvent *event;
  gboolean ok;

  if (!self->in_caps || !codec_data) {
    gst_clear_buffer (&codec_data);
    return FALSE;
  }
  caps = gst_caps_copy (self->in_caps);
  gst_caps_set_simple (caps, "stream-format", G_TYPE_STRING,
      self->avc->codec->format,
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
 * picture until then. Without all-headers: the parameter sets go in front
 * of the keyframe here (the payloader would send them again alone,
 * gst_p2p_sink_request_keyframe()). */
static void
avc_ask_keyframe (GstP2pNalFramingElement * self)
{
  if (self->keyframe_asked)
    return;
  self->keyframe_asked = TRUE;
  gst_pad_push_event (self->sinkpad,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
          FALSE, 0));
}

static GstFlowReturn
avc_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstP2pNalFramingElement *self = GST_P2P_NAL_FRAMING_ELEMENT (parent);
  g_autoptr (GError) err = NULL;
  gboolean changed;
  GstBuffer *out;

  if (!self->avc) {
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  out = gst_p2p_nal_framing_convert (self->avc, buf, &changed, &err);
  if (!out) {
    if (err) {
      GST_WARNING_OBJECT (self, "dropped: %s", err->message);
      if (!self->warned)
        GST_ELEMENT_WARNING (self, STREAM, FORMAT,
            ("Dropped a malformed %s access unit", self->avc->codec->name),
            ("%s", err->message));
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
  GstP2pNalFramingElement *self = GST_P2P_NAL_FRAMING_ELEMENT (parent);
  g_autoptr (GError) err = NULL;
  const GValue *codec_data;
  gboolean changed;
  GstCaps *caps;
  gboolean h265;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      gst_event_parse_caps (event, &caps);
      if (!gst_p2p_nal_framing_takes (caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      h265 = gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/x-h265");
      /* Another codec starts afresh. */
      if (self->avc && (self->avc->codec == &h265_codec) != h265)
        g_clear_pointer (&self->avc, gst_p2p_nal_framing_free);
      if (!self->avc)
        self->avc = gst_p2p_nal_framing_new (h265);
      codec_data = gst_structure_get_value (gst_caps_get_structure (caps, 0),
          "codec_data");
      if (!gst_p2p_nal_framing_set_codec_data (self->avc,
              codec_data ? gst_value_get_buffer (codec_data) : NULL, &changed,
              &err)) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL), ("%s", err->message));
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

/**
 * gst_p2p_prefer_decodable_h264:
 * @caps: (transfer full): caps p2psink takes
 *
 * Puts before each H.264 structure of @caps a copy limited to the 8-bit
 * 4:2:0 profiles every viewer decodes (high first: it allows the B-frames
 * thinning drops). An encoder linked straight to p2psink fixates to the
 * first structure; with no profile named, x264enc picks its first raw
 * format, 10-bit 4:4:4, which neither browsers nor openh264 decode.
 *
 * Returns: (transfer full): the caps in order of preference
 */
GstCaps *
gst_p2p_prefer_decodable_h264 (GstCaps * caps)
{
  GstCaps *result = gst_caps_new_empty ();
  guint i;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);

    if (gst_structure_has_name (s, "video/x-h264")
        && !gst_structure_has_field (s, "profile")) {
      GstStructure *preferred = gst_structure_copy (s);
      GValue profiles = G_VALUE_INIT, v = G_VALUE_INIT;
      const gchar *names[] = { "high", "main", "constrained-baseline",
        "baseline"
      };
      guint j;

      gst_value_list_init (&profiles, G_N_ELEMENTS (names));
      g_value_init (&v, G_TYPE_STRING);
      for (j = 0; j < G_N_ELEMENTS (names); j++) {
        g_value_set_static_string (&v, names[j]);
        gst_value_list_append_value (&profiles, &v);
      }
      g_value_unset (&v);
      gst_structure_take_value (preferred, "profile", &profiles);
      gst_caps_append_structure (result, preferred);
    }
    gst_caps_append_structure (result, gst_structure_copy (s));
  }
  gst_caps_unref (caps);
  return result;
}

/* Caps queries get the same answer as p2psink's before this element
 * exists (gst_p2p_ghost_sink_query()), so that an encoder renegotiating
 * once it is in keeps its format: 8-bit 4:2:0 profiles first, avc before
 * byte-stream (4-byte lengths go out untouched). */
static gboolean
avc_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstCaps *filter, *result;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CAPS)
    return gst_pad_query_default (pad, parent, query);
  gst_query_parse_caps (query, &filter);
  result = gst_p2p_prefer_decodable_h264 (gst_pad_get_pad_template_caps (pad));
  if (filter) {
    GstCaps *filtered = gst_caps_intersect_full (filter, result,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (result);
    result = filtered;
  }
  gst_query_set_caps_result (query, result);
  gst_caps_unref (result);
  return TRUE;
}

static void
avc_reset (GstP2pNalFramingElement * self)
{
  g_clear_pointer (&self->avc, gst_p2p_nal_framing_free);
  gst_clear_caps (&self->in_caps);
  g_queue_clear_full (&self->pending, (GDestroyNotify) gst_event_unref);
  self->caps_sent = FALSE;
  self->keyframe_asked = FALSE;
}

static GstStateChangeReturn
avc_change_state (GstElement * element, GstStateChange transition)
{
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (gst_p2p_nal_framing_element_parent_class)
      ->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    avc_reset (GST_P2P_NAL_FRAMING_ELEMENT (element));
  return ret;
}

static void
avc_finalize (GObject * object)
{
  GstP2pNalFramingElement *self = GST_P2P_NAL_FRAMING_ELEMENT (object);

  gst_p2p_nal_framing_free (self->avc);
  gst_clear_caps (&self->in_caps);
  g_queue_clear_full (&self->pending, (GDestroyNotify) gst_event_unref);
  G_OBJECT_CLASS (gst_p2p_nal_framing_element_parent_class)->finalize (object);
}

static void
gst_p2p_nal_framing_element_class_init (GstP2pNalFramingElementClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = avc_finalize;
  element_class->change_state = avc_change_state;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "H.264/H.265 to length-prefixed units", "Codec/Parser/Converter/Video",
      "p2psink's H.264 and H.265 framing for their payloaders, in place of "
      "h264parse and h265parse", "The gst-p2p authors");
  GST_DEBUG_CATEGORY_INIT (gst_p2p_nal_framing_debug, "p2pnalframing", 0,
      "p2psink's H.264 and H.265 conversion to length-prefixed units");
}

static void
gst_p2p_nal_framing_element_init (GstP2pNalFramingElement * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, avc_chain);
  gst_pad_set_event_function (self->sinkpad, avc_sink_event);
  gst_pad_set_query_function (self->sinkpad, avc_sink_query);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  g_queue_init (&self->pending);
}

/**
 * gst_p2p_nal_framing_element_new:
 *
 * An element (not registered) with a `sink` pad taking H.264 or H.265
 * access units as gst_p2p_nal_framing_takes() says, and a `src` pad giving
 * them with 4-byte lengths (gst_p2p_nal_framing_convert(): H.264 `avc`,
 * H.265 `hvc1`), with the caps held back until the first keyframe with
 * its parameter sets: what rtph264pay and rtph265pay take without
 * scanning. Its buffers may reference the
 * input's memory in several pieces: a reader that maps them whole (rather
 * than memory by memory) pays a copy.
 *
 * Returns: (transfer floating): the element
 */
GstElement *
gst_p2p_nal_framing_element_new (void)
{
  return g_object_new (GST_TYPE_P2P_NAL_FRAMING_ELEMENT, NULL);
}

/**
 * gst_p2p_nal_framing_is_element:
 * @element: (nullable): an element
 *
 * Returns: whether @element is one of gst_p2p_nal_framing_element_new(),
 *     whose output carries %GST_BUFFER_FLAG_DROPPABLE where it applies
 */
gboolean
gst_p2p_nal_framing_is_element (GstElement * element)
{
  return element && G_TYPE_CHECK_INSTANCE_TYPE (element,
      GST_TYPE_P2P_NAL_FRAMING_ELEMENT);
}
