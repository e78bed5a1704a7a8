/* The encoder's bitrate fitted to the slowest viewer: the rule, and each
 * known encoder's property and unit on the real element.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>

#include "gstp2pencoderrate.h"

/* 85 % of the lowest estimate, between the floor and the ceiling. */
static void
test_target (void)
{
  g_assert_cmpuint (gst_p2p_encoder_rate_target (2000000, 300000, 3000000),
      ==, 1700000);
  g_assert_cmpuint (gst_p2p_encoder_rate_target (10000000, 300000, 3000000),
      ==, 3000000);
  g_assert_cmpuint (gst_p2p_encoder_rate_target (100000, 300000, 3000000),
      ==, 300000);
  g_assert_cmpuint (gst_p2p_encoder_rate_target (10000000, 300000, 0), ==,
      8500000);
}

static GstElement *
make (const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (!e)
    g_test_skip_printf ("%s is not installed", factory);
  return e;
}

/* x264enc counts kbit/s. */
static void
test_x264enc_units (void)
{
  GstElement *enc = make ("x264enc");
  guint64 bps = 0;
  guint kbit;

  if (!enc)
    return;
  g_object_set (enc, "bitrate", 3000, NULL);
  g_assert_true (gst_p2p_encoder_rate_get (enc, &bps));
  g_assert_cmpuint (bps, ==, 3000000);
  g_assert_true (gst_p2p_encoder_rate_set (enc, 1234567));
  g_object_get (enc, "bitrate", &kbit, NULL);
  g_assert_cmpuint (kbit, ==, 1234);
  gst_object_unref (enc);
}

/* vp8enc counts bit/s, in a signed property (and keeps whole kbit/s, as
 * libvpx does). */
static void
test_vp8enc_units (void)
{
  GstElement *enc = make ("vp8enc");
  guint64 bps = 0;
  gint rate;

  if (!enc)
    return;
  g_object_set (enc, "target-bitrate", 2000000, NULL);
  g_assert_true (gst_p2p_encoder_rate_get (enc, &bps));
  g_assert_cmpuint (bps, ==, 2000000);
  g_assert_true (gst_p2p_encoder_rate_set (enc, 1234567));
  g_object_get (enc, "target-bitrate", &rate, NULL);
  g_assert_cmpint (rate, ==, 1234000);
  gst_object_unref (enc);
}

/* Anything else is not driven. */
static void
test_unknown_element (void)
{
  GstElement *e = gst_element_factory_make ("identity", NULL);
  guint64 bps = 0;

  g_assert_false (gst_p2p_encoder_rate_get (e, &bps));
  g_assert_false (gst_p2p_encoder_rate_set (e, 1000000));
  gst_object_unref (e);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/encoder-rate/target", test_target);
  g_test_add_func ("/p2p/encoder-rate/x264enc", test_x264enc_units);
  g_test_add_func ("/p2p/encoder-rate/vp8enc", test_vp8enc_units);
  g_test_add_func ("/p2p/encoder-rate/unknown", test_unknown_element);
  return g_test_run ();
}
