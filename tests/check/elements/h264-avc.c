/* p2psink's H.264 byte-stream to avc conversion (gstp2pnalframing.c), on
 * generated access units: start codes of 3 and 4 bytes, emulation
 * prevention, trailing zeros, parameter sets put in and changed, and input
 * it must refuse without crashing. The element on a real encoder's stream
 * is tested in p2psink.c.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <string.h>

#include "gstp2pnalframing.h"

#define NAL(ref_idc, type) (((ref_idc) << 5) | (type))
#define AUD NAL (0, 9)
#define SPS NAL (3, 7)
#define PPS NAL (3, 8)
#define IDR NAL (3, 5)
#define SLICE NAL (2, 1)
#define SEI NAL (0, 6)

/* An SPS: Baseline-compatible constrained High 3.1 header bytes, then
 * some payload. */
static const guint8 sps_31[] = { SPS, 100, 0x00, 31, 0xac, 0xd9, 0x40, 0x50 };
static const guint8 sps_40[] = { SPS, 100, 0x00, 40, 0xac, 0xd9, 0x40, 0x78 };
static const guint8 pps[] = { PPS, 0xeb, 0xe3, 0xcb, 0x22, 0xc0 };

/* Slices whose payload has what a scan must not take for a start code:
 * 00 00 03 01 (emulation prevention before a 01), 01 bytes after single
 * zeros, a payload ending in 03 after two zeros (a cabac_zero_word). */
static const guint8 idr[] = { IDR, 0x88, 0x00, 0x00, 0x03, 0x01, 0x00, 0x01,
  0x01, 0x00, 0x00, 0x03, 0x00, 0x42, 0x00, 0x00, 0x03
};

static const guint8 slice[] = { SLICE, 0x9a, 0x01, 0x01, 0x00, 0x00, 0x03,
  0x02, 0x77
};
static const guint8 sei[] = { SEI, 0x05, 0x01, 0xff, 0x80 };
static const guint8 aud[] = { AUD, 0xf0 };

typedef struct
{
  const guint8 *data;
  gsize size;
} Unit;

#define U(a) { a, sizeof (a) }

/* A byte-stream access unit: @units each after a start code of
 * @start_code bytes (3 or 4) with @zeros zero bytes after each. */
static GstBuffer *
byte_stream (const Unit * units, guint n, guint start_code, guint zeros)
{
  static const guint8 sc[] = { 0, 0, 0, 1 };
  GByteArray *a = g_byte_array_new ();
  guint i, len;

  for (i = 0; i < n; i++) {
    g_byte_array_append (a, sc + 4 - start_code, start_code);
    g_byte_array_append (a, units[i].data, units[i].size);
    g_byte_array_set_size (a, a->len + zeros);
    memset (a->data + a->len - zeros, 0, zeros);
  }
  len = a->len;
  return gst_buffer_new_wrapped (g_byte_array_free (a, FALSE), len);
}

static GstBuffer *
byte_stream_bytes (const guint8 * data, gsize size)
{
  return gst_buffer_new_memdup (data, size);
}

/* The 4-byte big-endian length at @p, at any address. */
static gsize
read_length (const guint8 * p)
{
  return ((gsize) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

/* Asserts that @buf is @units in avc form with 4-byte lengths. */
static void
assert_avc (GstBuffer * buf, const Unit * units, guint n)
{
  GstMapInfo map;
  gsize pos = 0;
  guint i;

  g_assert_nonnull (buf);
  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i < n; i++) {
    g_assert_cmpuint (pos + 4 + units[i].size, <=, map.size);
    g_assert_cmpuint (read_length (map.data + pos), ==, units[i].size);
    g_assert_cmpmem (map.data + pos + 4, units[i].size, units[i].data,
        units[i].size);
    pos += 4 + units[i].size;
  }
  g_assert_cmpuint (pos, ==, map.size);
  gst_buffer_unmap (buf, &map);
}

static GstBuffer *
convert (GstP2pNalFraming * avc, GstBuffer * au, gboolean * changed)
{
  g_autoptr (GError) err = NULL;
  GstBuffer *out = gst_p2p_nal_framing_convert (avc, au, changed, &err);

  g_assert_no_error (err);
  return out;
}

static void
test_in_place (void)
{
  const Unit units[] = { U (aud), U (sps_31), U (pps), U (sei), U (idr) };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  GstBuffer *au = byte_stream (units, G_N_ELEMENTS (units), 4, 0), *out;
  GstMemory *mem = gst_buffer_peek_memory (au, 0);
  gboolean changed = FALSE;
  GstMapInfo map;
  static const guint8 expected_codec_data[] = { 1, 100, 0x00, 31, 0xff,
    0xe1, 0, sizeof (sps_31), SPS, 100, 0x00, 31, 0xac, 0xd9, 0x40, 0x50,
    1, 0, sizeof (pps), PPS, 0xeb, 0xe3, 0xcb, 0x22, 0xc0
  };
  GstBuffer *codec_data;

  GST_BUFFER_FLAG_SET (au, GST_BUFFER_FLAG_DELTA_UNIT);
  GST_BUFFER_PTS (au) = 42 * GST_MSECOND;
  out = convert (avc, au, &changed);
  assert_avc (out, units, G_N_ELEMENTS (units));
  /* Written over the start codes: the same buffer and memory. */
  g_assert_true (out == au);
  g_assert_true (gst_buffer_peek_memory (out, 0) == mem);
  g_assert_true (changed);
  /* An IDR access unit is a keyframe, whatever the input said. */
  g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  g_assert_cmpuint (GST_BUFFER_PTS (out), ==, 42 * GST_MSECOND);

  codec_data = gst_p2p_nal_framing_codec_data (avc);
  g_assert_nonnull (codec_data);
  g_assert_true (gst_buffer_map (codec_data, &map, GST_MAP_READ));
  g_assert_cmpmem (map.data, map.size, expected_codec_data,
      sizeof (expected_codec_data));
  gst_buffer_unmap (codec_data, &map);
  gst_buffer_unref (codec_data);
  gst_buffer_unref (out);
  gst_p2p_nal_framing_free (avc);
}

/* Whether @out references the memory of @in rather than a copy. */
static gboolean
shares_memory (GstBuffer * out, GstMemory * in)
{
  guint i;

  for (i = 0; i < gst_buffer_n_memory (out); i++) {
    GstMemory *parent = gst_buffer_peek_memory (out, i)->parent;

    if (parent == in || (in->parent && parent == in->parent))
      return TRUE;
  }
  return FALSE;
}

/* 3-byte start codes, trailing zeros and a leading zero_byte, and 4-byte
 * start codes in a buffer others hold too: the units referenced, not
 * copied, and the input left as it was. */
static void
test_shared (void)
{
  const Unit key[] = { U (sps_31), U (pps), U (idr), U (idr) };
  const Unit delta[] = { U (aud), U (sei), U (slice), U (slice), U (slice) };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  gboolean changed;
  GstBuffer *au, *held, *out;
  GstMapInfo map;
  guint sc, zeros;

  gst_buffer_unref (convert (avc, byte_stream (key, 3, 4, 0), &changed));
  for (sc = 3; sc <= 4; sc++) {
    for (zeros = 0; zeros <= 3; zeros++) {
      const Unit *units = zeros % 2 ? key : delta;
      guint n = zeros % 2 ? G_N_ELEMENTS (key) : G_N_ELEMENTS (delta);

      au = byte_stream (units, n, sc, zeros);
      held = gst_buffer_ref (au);
      out = convert (avc, au, &changed);
      g_assert_true (out != held);
      /* Before mapping it, which merges its memories. */
      g_assert_true (shares_memory (out, gst_buffer_peek_memory (held, 0)));
      assert_avc (out, units, n);
      g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (out,
              GST_BUFFER_FLAG_DELTA_UNIT), ==, units == delta);
      /* Still the byte-stream it was. */
      g_assert_true (gst_buffer_map (held, &map, GST_MAP_READ));
      g_assert_cmpuint (read_length (map.data), ==, sc == 4 ? 1 :
          0x00000100 | units[0].data[0]);
      gst_buffer_unmap (held, &map);
      gst_buffer_unref (held);
      gst_buffer_unref (out);
    }
  }
  gst_p2p_nal_framing_free (avc);
}

/* An access unit in two memories, and one of more units than a buffer
 * has memories for: copied once into one memory. */
static void
test_copied (void)
{
  const Unit key[] = { U (sps_31), U (pps), U (idr) };
  Unit many[12];
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  gboolean changed;
  GstBuffer *au, *out;
  guint i;

  au = gst_buffer_append (byte_stream (key, 2, 3, 0),
      byte_stream (key + 2, 1, 4, 1));
  g_assert_cmpuint (gst_buffer_n_memory (au), ==, 2);
  out = convert (avc, au, &changed);
  assert_avc (out, key, G_N_ELEMENTS (key));
  g_assert_cmpuint (gst_buffer_n_memory (out), ==, 1);
  gst_buffer_unref (out);

  for (i = 0; i < G_N_ELEMENTS (many); i++)
    many[i] = (Unit) U (slice);
  out = convert (avc, byte_stream (many, G_N_ELEMENTS (many), 3, 0), &changed);
  assert_avc (out, many, G_N_ELEMENTS (many));
  g_assert_cmpuint (gst_buffer_n_memory (out), ==, 1);
  gst_buffer_unref (out);
  gst_p2p_nal_framing_free (avc);
}

/* Frames no other refers to (only nal_ref_idc 0 slices, no parameter
 * sets) are flagged droppable; the rest not, whatever the input said. */
static void
test_droppable (void)
{
  static const guint8 b_slice[] = { NAL (0, 1), 0x9a, 0x42 };
  const Unit key[] = { U (sps_31), U (pps), U (idr) };
  const Unit b_frame[] = { U (aud), U (sei), U (b_slice), U (b_slice) };
  const Unit p_frame[] = { U (b_slice), U (slice) };
  const Unit no_slice[] = { U (aud), U (sei) };
  const struct
  {
    const Unit *units;
    guint n;
    gboolean droppable;
  } cases[] = {
    {key, G_N_ELEMENTS (key), FALSE},
    {b_frame, G_N_ELEMENTS (b_frame), TRUE},
    {p_frame, G_N_ELEMENTS (p_frame), FALSE},
    {no_slice, G_N_ELEMENTS (no_slice), FALSE},
  };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  gboolean changed;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstBuffer *au = byte_stream (cases[i].units, cases[i].n, 4, 0), *out;

    if (!cases[i].droppable)
      GST_BUFFER_FLAG_SET (au, GST_BUFFER_FLAG_DROPPABLE);
    out = convert (avc, au, &changed);
    g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DROPPABLE),
        ==, cases[i].droppable);
    gst_buffer_unref (out);
  }
  gst_p2p_nal_framing_free (avc);
}

/* A keyframe without its parameter sets gets the last ones, after its
 * access unit delimiter; one without any seen yet, or a frame before the
 * first keyframe, is held back (no error). */
static void
test_param_sets_put_in (void)
{
  const Unit bare_key[] = { U (aud), U (sei), U (idr) };
  const Unit full_key[] = { U (sps_31), U (pps), U (idr) };
  const Unit only_sps[] = { U (sps_31), U (idr) };
  const Unit delta[] = { U (slice) };
  const Unit completed[] = { U (aud), U (sps_31), U (pps), U (sei), U (idr) };
  const Unit pps_added[] = { U (sps_31), U (pps), U (idr) };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  gboolean changed;
  GstBuffer *out;

  g_assert_null (convert (avc, byte_stream (delta, 1, 4, 0), &changed));
  g_assert_null (convert (avc, byte_stream (bare_key, 3, 4, 0), &changed));
  g_assert_null (gst_p2p_nal_framing_codec_data (avc));

  out = convert (avc, byte_stream (full_key, 3, 4, 0), &changed);
  g_assert_true (changed);
  assert_avc (out, full_key, 3);
  gst_buffer_unref (out);

  out = convert (avc, byte_stream (bare_key, 3, 4, 0), &changed);
  g_assert_false (changed);
  assert_avc (out, completed, G_N_ELEMENTS (completed));
  gst_buffer_unref (out);

  /* Only the missing kind goes in. */
  out = convert (avc, byte_stream (only_sps, 2, 3, 0), &changed);
  g_assert_false (changed);
  assert_avc (out, pps_added, G_N_ELEMENTS (pps_added));
  gst_buffer_unref (out);

  /* Delta frames are left alone. */
  out = convert (avc, byte_stream (delta, 1, 4, 0), &changed);
  assert_avc (out, delta, 1);
  gst_buffer_unref (out);
  gst_p2p_nal_framing_free (avc);
}

/* A new SPS (another level) changes the codec_data; the same one again
 * does not. */
static void
test_param_sets_change (void)
{
  const Unit key_31[] = { U (sps_31), U (pps), U (idr) };
  const Unit key_40[] = { U (sps_40), U (pps), U (idr) };
  const Unit bare_key[] = { U (idr) };
  const Unit completed_40[] = { U (sps_40), U (pps), U (idr) };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  GstBuffer *out, *codec_data;
  gboolean changed;
  guint8 level;

  out = convert (avc, byte_stream (key_31, 3, 4, 0), &changed);
  g_assert_true (changed);
  gst_buffer_unref (out);
  out = convert (avc, byte_stream (key_31, 3, 4, 0), &changed);
  g_assert_false (changed);
  gst_buffer_unref (out);
  out = convert (avc, byte_stream (key_40, 3, 4, 0), &changed);
  g_assert_true (changed);
  gst_buffer_unref (out);
  codec_data = gst_p2p_nal_framing_codec_data (avc);
  g_assert_cmpuint (gst_buffer_extract (codec_data, 3, &level, 1), ==, 1);
  g_assert_cmpuint (level, ==, 40);
  gst_buffer_unref (codec_data);

  out = convert (avc, byte_stream (bare_key, 1, 4, 0), &changed);
  assert_avc (out, completed_40, G_N_ELEMENTS (completed_40));
  gst_buffer_unref (out);
  gst_p2p_nal_framing_free (avc);
}

/* Input that cannot be framed is refused with a format error and leaves
 * the converter working. */
static void
test_malformed (void)
{
  static const guint8 no_start_code[] = { 0x65, 0x88, 0x84, 0x00, 0x01 };
  static const guint8 junk_first[] = { 0x12, 0, 0, 0, 1, 0x65, 0x88 };
  static const guint8 forbidden[] = { 0, 0, 0, 1, 0xe5, 0x88 };
  static const guint8 short_sps[] = { 0, 0, 0, 1, SPS, 66, 0,
    0, 0, 0, 1, IDR, 0x88
  };
  static const guint8 zeros[] = { 0, 0, 0, 0, 0, 0 };
  static const guint8 truncated[] = { 0, 0 };
  static const guint8 start_codes_only[] = { 0, 0, 1, 0, 0, 0, 1 };
  const struct
  {
    const guint8 *data;
    gsize size;
  } bad[] = {
    {no_start_code, sizeof (no_start_code)},
    {junk_first, sizeof (junk_first)},
    {forbidden, sizeof (forbidden)},
    {short_sps, sizeof (short_sps)},
    {zeros, sizeof (zeros)},
    {truncated, sizeof (truncated)},
    {start_codes_only, sizeof (start_codes_only)},
    {NULL, 0},
  };
  const Unit key[] = { U (sps_31), U (pps), U (idr) };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  GByteArray *many = g_byte_array_new ();
  gboolean changed;
  GstBuffer *out;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) err = NULL;
    GstBuffer *au = bad[i].data ? byte_stream_bytes (bad[i].data,
        bad[i].size) : gst_buffer_new ();

    g_assert_null (gst_p2p_nal_framing_convert (avc, au, &changed, &err));
    g_assert_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  }
  /* More SPS than avcC can count. */
  for (i = 0; i < 40; i++) {
    static const guint8 sc[] = { 0, 0, 0, 1 };

    g_byte_array_append (many, sc, 4);
    g_byte_array_append (many, sps_31, sizeof (sps_31));
  }
  {
    g_autoptr (GError) err = NULL;

    g_assert_null (gst_p2p_nal_framing_convert (avc,
            byte_stream_bytes (many->data, many->len), &changed, &err));
    g_assert_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  }
  g_byte_array_unref (many);
  g_assert_null (gst_p2p_nal_framing_codec_data (avc));

  out = convert (avc, byte_stream (key, 3, 4, 0), &changed);
  assert_avc (out, key, 3);
  gst_buffer_unref (out);
  gst_p2p_nal_framing_free (avc);
}

/* Random units (with emulation prevention, as an encoder writes them),
 * random start codes and trailing zeros: each comes out as it went in. */
static void
test_random (void)
{
  GRand *rand = g_rand_new_with_seed (13);
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  const Unit key[] = { U (sps_31), U (pps), U (idr) };
  gboolean changed;
  GstBuffer *out;
  guint round;

  out = convert (avc, byte_stream (key, 3, 4, 0), &changed);
  gst_buffer_unref (out);
  for (round = 0; round < 200; round++) {
    guint n = g_rand_int_range (rand, 1, 8), i;
    Unit units[8];
    guint8 *payloads[8];
    GByteArray *a = g_byte_array_new ();

    for (i = 0; i < n; i++) {
      gsize len = g_rand_int_range (rand, 1, 3000), j, zeros = 0;
      guint8 *p = g_malloc (len * 3 / 2 + 2);
      gsize w = 0;

      p[w++] = NAL (g_rand_int_range (rand, 0, 4), 1);
      /* Mostly small bytes, so that zeros and ones are frequent. */
      for (j = 1; j < len; j++) {
        guint8 b = g_rand_int_range (rand, 0, 4) ? g_rand_int_range (rand, 0,
            3) : g_rand_int_range (rand, 0, 256);

        if (zeros >= 2 && b <= 3) {
          p[w++] = 3;
          zeros = 0;
        }
        p[w++] = b;
        zeros = b == 0 ? zeros + 1 : 0;
      }
      if (p[w - 1] == 0)
        p[w++] = 3;
      payloads[i] = p;
      units[i].data = p;
      units[i].size = w;
    }
    for (i = 0; i < n; i++) {
      static const guint8 sc[] = { 0, 0, 0, 1 };
      guint sc_len = g_rand_boolean (rand) ? 3 : 4;
      guint zeros = g_rand_int_range (rand, 0, 3);

      g_byte_array_append (a, sc + 4 - sc_len, sc_len);
      g_byte_array_append (a, units[i].data, units[i].size);
      while (zeros--)
        g_byte_array_append (a, (const guint8 *) "", 1);
    }
    out = convert (avc, byte_stream_bytes (a->data, a->len), &changed);
    assert_avc (out, units, n);
    gst_buffer_unref (out);
    g_byte_array_unref (a);
    for (i = 0; i < n; i++)
      g_free (payloads[i]);
  }
  gst_p2p_nal_framing_free (avc);
  g_rand_free (rand);
}

/* An avc access unit: @units each after its length in @length_size
 * bytes. */
static GstBuffer *
avc_form (const Unit * units, guint n, guint length_size)
{
  GByteArray *a = g_byte_array_new ();
  guint i, j, len;

  for (i = 0; i < n; i++) {
    for (j = length_size; j > 0; j--) {
      guint8 b = units[i].size >> (8 * (j - 1));

      g_byte_array_append (a, &b, 1);
    }
    g_byte_array_append (a, units[i].data, units[i].size);
  }
  len = a->len;
  return gst_buffer_new_wrapped (g_byte_array_free (a, FALSE), len);
}

/* An AVCDecoderConfigurationRecord of @length_size-byte lengths and
 * parameter sets @sps and pps. */
static GstBuffer *
avcc (guint length_size, const guint8 * sps, gsize sps_size)
{
  GByteArray *a = g_byte_array_new ();
  const guint8 head[] = { 1, sps[1], sps[2], sps[3], 0xfc | (length_size - 1),
    0xe1, 0, sps_size
  };
  const guint8 pps_head[] = { 1, 0, sizeof (pps) };
  guint len;

  g_byte_array_append (a, head, sizeof (head));
  g_byte_array_append (a, sps, sps_size);
  g_byte_array_append (a, pps_head, sizeof (pps_head));
  g_byte_array_append (a, pps, sizeof (pps));
  len = a->len;
  return gst_buffer_new_wrapped (g_byte_array_free (a, FALSE), len);
}

static void
set_codec_data (GstP2pNalFraming * avc, GstBuffer * codec_data,
    gboolean expect_changed)
{
  g_autoptr (GError) err = NULL;
  gboolean changed;

  g_assert_true (gst_p2p_nal_framing_set_codec_data (avc, codec_data, &changed,
          &err));
  g_assert_no_error (err);
  g_assert_cmpint (changed, ==, expect_changed);
  gst_clear_buffer (&codec_data);
}

/* What x264enc gives when linked straight to p2psink: avc with the
 * parameter sets only in the codec_data. 4-byte lengths go out as they
 * came (even from a buffer others hold), keyframes with the parameter sets
 * put in; 1- and 2-byte lengths are rewritten. */
static void
test_avc_input (void)
{
  const Unit bare_key[] = { U (sei), U (idr) };
  const Unit completed[] = { U (sps_31), U (pps), U (sei), U (idr) };
  const Unit delta[] = { U (aud), U (slice), U (slice) };
  const Unit key_40[] = { U (sps_40), U (pps), U (idr) };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  GstBuffer *au, *held, *out, *codec_data, *expected;
  gboolean changed;
  guint length_size;

  set_codec_data (avc, avcc (4, sps_31, sizeof (sps_31)), TRUE);
  /* The same again changes nothing. */
  set_codec_data (avc, avcc (4, sps_31, sizeof (sps_31)), FALSE);
  codec_data = gst_p2p_nal_framing_codec_data (avc);
  expected = avcc (4, sps_31, sizeof (sps_31));
  g_assert_cmpuint (gst_buffer_get_size (codec_data), ==,
      gst_buffer_get_size (expected));
  {
    GstMapInfo map;

    g_assert_true (gst_buffer_map (expected, &map, GST_MAP_READ));
    g_assert_cmpint (gst_buffer_memcmp (codec_data, 0, map.data, map.size),
        ==, 0);
    gst_buffer_unmap (expected, &map);
  }
  gst_buffer_unref (expected);
  gst_buffer_unref (codec_data);

  out = convert (avc, avc_form (bare_key, 2, 4), &changed);
  g_assert_false (changed);
  assert_avc (out, completed, G_N_ELEMENTS (completed));
  g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);

  au = avc_form (delta, 3, 4);
  held = gst_buffer_ref (au);
  out = convert (avc, au, &changed);
  assert_avc (out, delta, 3);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  /* Neither copied nor written over. */
  g_assert_true (gst_buffer_peek_memory (out, 0) ==
      gst_buffer_peek_memory (held, 0));
  g_assert_false (GST_BUFFER_FLAG_IS_SET (held, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (held);
  gst_buffer_unref (out);

  for (length_size = 1; length_size <= 2; length_size++) {
    set_codec_data (avc, avcc (length_size, sps_31, sizeof (sps_31)), FALSE);
    out = convert (avc, avc_form (delta, 3, length_size), &changed);
    assert_avc (out, delta, 3);
    gst_buffer_unref (out);
    out = convert (avc, avc_form (bare_key, 2, length_size), &changed);
    assert_avc (out, completed, G_N_ELEMENTS (completed));
    gst_buffer_unref (out);
  }

  /* New parameter sets in the caps, or in band, change the codec_data. */
  set_codec_data (avc, avcc (4, sps_40, sizeof (sps_40)), TRUE);
  out = convert (avc, avc_form (key_40, 3, 4), &changed);
  g_assert_false (changed);
  assert_avc (out, key_40, 3);
  gst_buffer_unref (out);
  out = convert (avc, avc_form (completed, 4, 4), &changed);
  g_assert_true (changed);
  gst_buffer_unref (out);
  gst_p2p_nal_framing_free (avc);
}

/* A started avc converter, then codec_data and access units it must
 * refuse: an error, and the converter goes on as before. */
static void
test_avc_malformed (void)
{
  static const guint8 bad_codec_data[][12] = {
    {0},                        /* version 0, too short */
    {1, 100, 0, 31, 0xfe, 0xe0, 0},     /* 3-byte lengths */
    {1, 100, 0, 31, 0xff, 0xe1, 0, 9, SPS, 100},        /* truncated SPS */
    {1, 100, 0, 31, 0xff, 0xe1, 0, 4, PPS, 100, 0, 31}, /* not an SPS */
    {1, 100, 0, 31, 0xff, 0xe1, 0, 4, SPS, 100, 0, 31}, /* no PPS count */
    {1, 100, 0, 31, 0xff, 0xe0, 1, 0, 4, PPS, 1, 2},    /* truncated PPS */
    {1, 100, 0, 31, 0xff, 0xe0, 40},    /* too many PPS */
  };
  static const gsize bad_sizes[] = { 1, 7, 10, 12, 12, 12, 7 };
  static const guint8 bad_units[][8] = {
    {0, 0, 0, 9, SLICE, 1, 2},  /* runs past the end */
    {0, 0, 0, 0, 0, 0, 0, 2},   /* an empty unit */
    {0, 0, 0, 2, SLICE, 1, 0, 0},       /* a truncated length */
    {0, 0, 0, 3, 0xe1, 1, 2},   /* forbidden bit */
  };
  static const gsize unit_sizes[] = { 7, 8, 8, 7 };
  const Unit key[] = { U (sps_31), U (pps), U (idr) };
  const Unit delta[] = { U (slice) };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (FALSE);
  GstBuffer *out, *codec_data;
  gboolean changed;
  guint i;

  set_codec_data (avc, avcc (4, sps_31, sizeof (sps_31)), TRUE);
  gst_buffer_unref (convert (avc, avc_form (key, 3, 4), &changed));
  for (i = 0; i < G_N_ELEMENTS (bad_codec_data); i++) {
    g_autoptr (GError) err = NULL;

    codec_data = gst_buffer_new_memdup (bad_codec_data[i], bad_sizes[i]);
    g_assert_false (gst_p2p_nal_framing_set_codec_data (avc, codec_data,
            &changed, &err));
    g_assert_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
    gst_buffer_unref (codec_data);
  }
  for (i = 0; i < G_N_ELEMENTS (bad_units); i++) {
    g_autoptr (GError) err = NULL;

    g_assert_null (gst_p2p_nal_framing_convert (avc,
            gst_buffer_new_memdup (bad_units[i], unit_sizes[i]), &changed,
            &err));
    g_assert_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  }
  out = convert (avc, avc_form (delta, 1, 4), &changed);
  assert_avc (out, delta, 1);
  gst_buffer_unref (out);
  gst_p2p_nal_framing_free (avc);
}

/* H.265 units: a 2-byte header (type, layer 0, temporal id 0). */
#define H265(type) ((type) << 1), 0x01
static const guint8 vps[] = { H265 (32), 0x0c, 0x01, 0xff, 0xff };

/* Main profile, level 3.1, 4:2:0, 8 bits, 160x120; its compatibility and
 * constraint flags carry emulation prevention bytes. */
static const guint8 h265_sps[] = { H265 (33), 0x01, 0x01, 0x60, 0x00, 0x00,
  0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5d, 0xa0,
  0x14, 0x20, 0x79, 0x70
};
static const guint8 h265_pps[] = { H265 (34), 0xc1, 0x72, 0xb4 };
static const guint8 h265_aud[] = { H265 (35), 0x10 };
static const guint8 idr_w_radl[] = { H265 (19), 0xaf, 0x00, 0x00, 0x03, 0x01 };
static const guint8 cra[] = { H265 (21), 0xaf, 0x42 };
static const guint8 trail_r[] = { H265 (1), 0xd0, 0x01 };

/* H.265: the hvcC built from the VPS, SPS and PPS; keyframes (IDR, CRA)
 * that lack them get them in that order, after those they have; other
 * frames are delta units; a unit shorter than its header is refused. */
static void
test_h265 (void)
{
  const Unit key[] = { U (vps), U (h265_sps), U (h265_pps), U (idr_w_radl) };
  const Unit bare_cra[] = { U (h265_aud), U (cra) };
  const Unit completed_cra[] = { U (h265_aud), U (vps), U (h265_sps),
    U (h265_pps), U (cra)
  };
  const Unit only_sps[] = { U (h265_sps), U (idr_w_radl) };
  const Unit completed_sps[] = { U (vps), U (h265_sps), U (h265_pps),
    U (idr_w_radl)
  };
  const Unit delta[] = { U (trail_r) };
  static const guint8 profile[] = { 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0,
    0x5d
  };
  static const guint8 short_unit[] = { 0, 0, 0, 1, 0x02 };
  GstP2pNalFraming *avc = gst_p2p_nal_framing_new (TRUE);
  g_autoptr (GError) err = NULL;
  GstBuffer *out, *codec_data;
  gboolean changed;
  GstMapInfo map;
  gsize pos;
  guint k;

  /* Nothing before a keyframe with all three. */
  g_assert_null (convert (avc, byte_stream (bare_cra, 2, 4, 0), &changed));
  out = convert (avc, byte_stream (key, 4, 3, 1), &changed);
  g_assert_true (changed);
  assert_avc (out, key, 4);
  g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);

  codec_data = gst_p2p_nal_framing_codec_data (avc);
  g_assert_true (gst_buffer_map (codec_data, &map, GST_MAP_READ));
  g_assert_cmpuint (map.data[0], ==, 1);
  g_assert_cmpmem (map.data + 1, 12, profile, sizeof (profile));
  g_assert_cmpuint (map.data[16], ==, 0xfc | 1);        /* 4:2:0 */
  g_assert_cmpuint (map.data[17], ==, 0xf8);    /* 8 bits */
  g_assert_cmpuint (map.data[18], ==, 0xf8);
  g_assert_cmpuint (map.data[21] & 3, ==, 3);   /* 4-byte lengths */
  g_assert_cmpuint (map.data[22], ==, 3);
  pos = 23;
  for (k = 0; k < 3; k++) {
    g_assert_cmpuint (pos + 5 + key[k].size, <=, map.size);
    g_assert_cmpuint (map.data[pos], ==, 0x80 | (32 + k));
    g_assert_cmpuint (map.data[pos + 1] << 8 | map.data[pos + 2], ==, 1);
    g_assert_cmpuint (map.data[pos + 3] << 8 | map.data[pos + 4], ==,
        key[k].size);
    g_assert_cmpmem (map.data + pos + 5, key[k].size, key[k].data, key[k].size);
    pos += 5 + key[k].size;
  }
  g_assert_cmpuint (pos, ==, map.size);
  gst_buffer_unmap (codec_data, &map);
  gst_buffer_unref (codec_data);

  out = convert (avc, byte_stream (bare_cra, 2, 4, 0), &changed);
  g_assert_false (changed);
  assert_avc (out, completed_cra, G_N_ELEMENTS (completed_cra));
  g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);
  out = convert (avc, byte_stream (only_sps, 2, 4, 0), &changed);
  assert_avc (out, completed_sps, G_N_ELEMENTS (completed_sps));
  gst_buffer_unref (out);
  out = convert (avc, byte_stream (delta, 1, 4, 0), &changed);
  assert_avc (out, delta, 1);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DROPPABLE));
  gst_buffer_unref (out);

  g_assert_null (gst_p2p_nal_framing_convert (avc,
          byte_stream_bytes (short_unit, sizeof (short_unit)), &changed, &err));
  g_assert_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  gst_p2p_nal_framing_free (avc);
}

static void
test_takes (void)
{
  const struct
  {
    const gchar *caps;
    gboolean takes;
  } cases[] = {
    {"video/x-h264, stream-format=byte-stream, alignment=au", TRUE},
    {"video/x-h264, stream-format=byte-stream, alignment=nal", FALSE},
    {"video/x-h264, stream-format=avc, alignment=au", FALSE},
    {"video/x-h264, stream-format=avc, alignment=au, codec_data=(buffer)01",
        TRUE},
    {"video/x-h264, stream-format=avc, alignment=nal, codec_data=(buffer)01",
        FALSE},
    {"video/x-h264", FALSE},
    {"video/x-h265, stream-format=byte-stream, alignment=au", TRUE},
    {"video/x-h265, stream-format=hvc1, alignment=au, codec_data=(buffer)01",
        FALSE},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstCaps *caps = gst_caps_from_string (cases[i].caps);

    g_assert_cmpint (gst_p2p_nal_framing_takes (caps), ==, cases[i].takes);
    gst_caps_unref (caps);
  }
  g_assert_false (gst_p2p_nal_framing_takes (NULL));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/h264-avc/in-place", test_in_place);
  g_test_add_func ("/p2p/h264-avc/shared", test_shared);
  g_test_add_func ("/p2p/h264-avc/copied", test_copied);
  g_test_add_func ("/p2p/h264-avc/droppable", test_droppable);
  g_test_add_func ("/p2p/h264-avc/param-sets-put-in", test_param_sets_put_in);
  g_test_add_func ("/p2p/h264-avc/param-sets-change", test_param_sets_change);
  g_test_add_func ("/p2p/h264-avc/malformed", test_malformed);
  g_test_add_func ("/p2p/h264-avc/random", test_random);
  g_test_add_func ("/p2p/h264-avc/avc-input", test_avc_input);
  g_test_add_func ("/p2p/h264-avc/avc-malformed", test_avc_malformed);
  g_test_add_func ("/p2p/h264-avc/h265", test_h265);
  g_test_add_func ("/p2p/h264-avc/takes", test_takes);
  return g_test_run ();
}
