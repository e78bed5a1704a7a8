/* Which H.264 and VP8 frames a thinned viewer may go without
 * (gstp2pdroppable.c), on generated bitstreams; the fan-out's thinning is
 * tested in fanout.c.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <string.h>

#include "gstp2pdroppable.h"

/* ---------------------------------------------------------------------- */
/* Generated frames                                                       */

/* An H.264 NAL unit header. */
#define NAL(ref_idc, type) (((ref_idc) << 5) | (type))

/* An access unit of @n NAL units (headers @nals, each with a few bytes of
 * payload) in @out: with 4-byte length prefixes (`avc`) or start codes.
 * Returns its size. */
static gsize
make_h264 (guint8 * out, const guint8 * nals, guint n, gboolean avc)
{
  gsize pos = 0;
  guint i;

  for (i = 0; i < n; i++) {
    static const guint8 start[] = { 0, 0, 0, 1 };
    static const guint8 len[] = { 0, 0, 0, 4 };

    memcpy (out + pos, avc ? len : start, 4);
    out[pos + 4] = nals[i];
    memset (out + pos + 5, 0x88, 3);
    pos += 8;
  }
  return pos;
}

/* VP8's boolean entropy encoder (RFC 6386 section 7.3), to write frame
 * headers for the parser to read. */
typedef struct
{
  guint8 buf[64];
  gsize pos;
  guint32 range;
  guint32 bottom;
  gint bit_count;
} BoolEncoder;

static void
bool_write (BoolEncoder * e, guint prob, gboolean bit)
{
  guint32 split = 1 + (((e->range - 1) * prob) >> 8);

  if (bit) {
    e->bottom += split;
    e->range -= split;
  } else {
    e->range = split;
  }
  while (e->range < 128) {
    e->range <<= 1;
    if (e->bottom & (1u << 31)) {
      gssize q = e->pos;

      /* Carry into what is written already. */
      while (--q >= 0 && e->buf[q] == 255)
        e->buf[q] = 0;
      e->buf[q]++;
    }
    e->bottom <<= 1;
    if (!--e->bit_count) {
      e->buf[e->pos++] = e->bottom >> 24;
      e->bottom &= (1 << 24) - 1;
      e->bit_count = 8;
    }
  }
}

static void
bool_write_literal (BoolEncoder * e, guint value, guint bits)
{
  while (bits--)
    bool_write (e, 128, (value >> bits) & 1);
}

typedef struct
{
  gboolean segmentation;
  gboolean refresh_golden;
  gboolean refresh_alt;
  guint copy_golden;
  guint copy_alt;
  gboolean refresh_entropy;
  gboolean refresh_last;
} Vp8Header;

/* A VP8 inter frame with header @h in @out; returns its size. */
static gsize
make_vp8 (guint8 * out, const Vp8Header * h)
{
  BoolEncoder e = { {0}, 0, 255, 0, 24 };
  guint32 tag;
  guint i;

  bool_write_literal (&e, h->segmentation, 1);
  if (h->segmentation) {
    bool_write_literal (&e, 1, 1);      /* update the map */
    bool_write_literal (&e, 1, 1);      /* update the feature data */
    bool_write_literal (&e, 0, 1);
    for (i = 0; i < 4; i++) {
      bool_write_literal (&e, i & 1, 1);
      if (i & 1)
        bool_write_literal (&e, 0x55, 7 + 1);
    }
    for (i = 0; i < 4; i++) {
      bool_write_literal (&e, 1, 1);
      bool_write_literal (&e, 0x2a, 6 + 1);
    }
    for (i = 0; i < 3; i++) {
      bool_write_literal (&e, 1, 1);
      bool_write_literal (&e, 200, 8);
    }
  }
  bool_write_literal (&e, 0, 1);        /* filter type */
  bool_write_literal (&e, 40, 6);       /* level */
  bool_write_literal (&e, 3, 3);        /* sharpness */
  bool_write_literal (&e, 1, 1);        /* loop filter deltas */
  bool_write_literal (&e, 1, 1);        /* updated */
  for (i = 0; i < 8; i++) {
    bool_write_literal (&e, i % 3 == 0, 1);
    if (i % 3 == 0)
      bool_write_literal (&e, 0x3f, 6 + 1);
  }
  bool_write_literal (&e, 2, 2);        /* four DCT partitions */
  bool_write_literal (&e, 60, 7);       /* y_ac_qi */
  for (i = 0; i < 5; i++) {
    bool_write_literal (&e, i == 2, 1);
    if (i == 2)
      bool_write_literal (&e, 0x1f, 4 + 1);
  }
  bool_write_literal (&e, h->refresh_golden, 1);
  bool_write_literal (&e, h->refresh_alt, 1);
  if (!h->refresh_golden)
    bool_write_literal (&e, h->copy_golden, 2);
  if (!h->refresh_alt)
    bool_write_literal (&e, h->copy_alt, 2);
  bool_write_literal (&e, 0, 2);        /* sign biases */
  bool_write_literal (&e, h->refresh_entropy, 1);
  bool_write_literal (&e, h->refresh_last, 1);
  /* What follows (probability updates, modes): padding here. */
  for (i = 0; i < 64; i++)
    bool_write (&e, 128, FALSE);

  /* Frame tag: inter frame (bit 0 set), version 0, shown. */
  tag = 1 | (1 << 4) | (e.pos << 5);
  out[0] = tag & 0xff;
  out[1] = (tag >> 8) & 0xff;
  out[2] = tag >> 16;
  memcpy (out + 3, e.buf, e.pos);
  memset (out + 3 + e.pos, 0x77, 16);   /* the DCT partitions */
  return 3 + e.pos + 16;
}

/* ---------------------------------------------------------------------- */
/* Droppable frames                                                       */

static void
test_h264_droppable (void)
{
  /* NAL unit headers of an access unit, and whether it is droppable. */
  static const struct
  {
    guint8 nals[4];
    guint n;
    gboolean droppable;
  } cases[] = {
    /* A B-frame nothing refers to, with a delimiter and an SEI. */
    {{NAL (0, 9), NAL (0, 6), NAL (0, 1), NAL (0, 1)}, 4, TRUE},
    /* An SVC-T top layer: prefix and extension slice. */
    {{NAL (0, 14), NAL (0, 20)}, 2, TRUE},
    {{NAL (0, 9), NAL (2, 1), NAL (2, 1)}, 3, FALSE},
    /* One referenced slice keeps the whole picture. */
    {{NAL (0, 1), NAL (2, 1)}, 2, FALSE},
    {{NAL (3, 7), NAL (3, 8), NAL (3, 5)}, 3, FALSE},
    {{NAL (3, 8), NAL (0, 1)}, 2, FALSE},
    /* No picture: nothing to drop. */
    {{NAL (0, 9), NAL (0, 6)}, 2, FALSE},
  };
  guint8 au[64];
  gsize size;
  guint i;
  gint avc;

  for (avc = 0; avc <= 1; avc++) {
    for (i = 0; i < G_N_ELEMENTS (cases); i++) {
      size = make_h264 (au, cases[i].nals, cases[i].n, avc);
      g_assert_cmpint (gst_p2p_droppable_h264 (au, size, avc ? 4 : 0), ==,
          cases[i].droppable);
    }
  }

  /* Truncated or malformed length prefixes: kept. */
  size = make_h264 (au, cases[0].nals, cases[0].n, TRUE);
  g_assert_false (gst_p2p_droppable_h264 (au, size - 1, 4));
  g_assert_false (gst_p2p_droppable_h264 (au, size + 2, 4));
  g_assert_false (gst_p2p_droppable_h264 (au, size, 3));
  g_assert_false (gst_p2p_droppable_h264 (au, 0, 4));
  g_assert_false (gst_p2p_droppable_h264 (au, 0, 0));
  au[3] = 0;
  g_assert_false (gst_p2p_droppable_h264 (au, size, 4));
}

static void
test_vp8_droppable (void)
{
  /* segmentation, refresh golden, alt, copy golden, alt, refresh
   * entropy, last; droppable */
  static const struct
  {
    Vp8Header h;
    gboolean droppable;
  } cases[] = {
    {{FALSE, FALSE, FALSE, 0, 0, FALSE, FALSE}, TRUE},
    {{TRUE, FALSE, FALSE, 0, 0, FALSE, FALSE}, TRUE},
    /* Each way of being referenced. */
    {{FALSE, FALSE, FALSE, 0, 0, FALSE, TRUE}, FALSE},
    {{TRUE, TRUE, FALSE, 0, 0, FALSE, FALSE}, FALSE},
    {{FALSE, FALSE, TRUE, 0, 0, FALSE, FALSE}, FALSE},
    {{FALSE, FALSE, FALSE, 1, 0, FALSE, FALSE}, FALSE},
    {{FALSE, FALSE, FALSE, 0, 2, FALSE, FALSE}, FALSE},
    /* Probabilities kept for the next frames. */
    {{FALSE, FALSE, FALSE, 0, 0, TRUE, FALSE}, FALSE},
  };
  Vp8Header none = { 0 };
  guint8 frame[128];
  gsize size, first_size;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    size = make_vp8 (frame, &cases[i].h);
    g_assert_cmpint (gst_p2p_droppable_vp8 (frame, size), ==,
        cases[i].droppable);
  }

  /* A keyframe; a first partition longer than the frame, or too short for
   * the header. */
  size = make_vp8 (frame, &none);
  first_size = (frame[0] | (frame[1] << 8) | (frame[2] << 16)) >> 5;
  frame[0] &= ~1;
  g_assert_false (gst_p2p_droppable_vp8 (frame, size));
  frame[0] |= 1;
  g_assert_true (gst_p2p_droppable_vp8 (frame, 3 + first_size));
  g_assert_false (gst_p2p_droppable_vp8 (frame, 3 + first_size - 1));
  frame[0] = (frame[0] & 0x1f) | (2 << 5);
  frame[1] = frame[2] = 0;
  g_assert_false (gst_p2p_droppable_vp8 (frame, size));
  g_assert_false (gst_p2p_droppable_vp8 (frame, 2));
}

/* The caps choose the parser, and an avc stream's prefix length. */
static void
test_droppable_caps (void)
{
  static const guint8 b_frame[] = { NAL (0, 1) };
  static const guint8 record[] = { 1, 0x42, 0xc0, 0x1e, 0xff };
  GstBuffer *codec_data = gst_buffer_new_memdup (record, sizeof (record));
  GstCaps *avc = gst_caps_new_simple ("video/x-h264", "stream-format",
      G_TYPE_STRING, "avc", "codec_data", GST_TYPE_BUFFER, codec_data, NULL);
  GstCaps *bytestream = gst_caps_from_string
      ("video/x-h264,stream-format=byte-stream");
  GstCaps *vp8 = gst_caps_from_string ("video/x-vp8");
  GstCaps *h265 = gst_caps_from_string ("video/x-h265");
  Vp8Header none = { 0 };
  guint8 frame[128];
  gsize size;

  size = make_h264 (frame, b_frame, 1, TRUE);
  g_assert_true (gst_p2p_droppable_frame (avc, frame, size));
  g_assert_false (gst_p2p_droppable_frame (h265, frame, size));
  size = make_h264 (frame, b_frame, 1, FALSE);
  g_assert_true (gst_p2p_droppable_frame (bytestream, frame, size));
  size = make_vp8 (frame, &none);
  g_assert_true (gst_p2p_droppable_frame (vp8, frame, size));
  g_assert_false (gst_p2p_droppable_frame (NULL, frame, size));

  gst_buffer_unref (codec_data);
  gst_caps_unref (avc);
  gst_caps_unref (bytestream);
  gst_caps_unref (vp8);
  gst_caps_unref (h265);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/droppable/h264", test_h264_droppable);
  g_test_add_func ("/p2p/droppable/vp8", test_vp8_droppable);
  g_test_add_func ("/p2p/droppable/caps", test_droppable_caps);
  return g_test_run ();
}
