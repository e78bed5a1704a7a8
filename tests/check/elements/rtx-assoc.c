/* Unit tests of the retransmission association handed to rtprtxreceive
 * (gstp2prtxassoc.c, issue 13).
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>
#include "gstp2prtxassoc.h"

#define PT 96
#define RTX_PT 97
#define SSRC 0x11223344u
#define RTX_SSRC 0xaabbccddu

typedef struct
{
  GstElement *rtx;
  GstPad *in, *out;
  GQueue got;
} Harness;

static GstFlowReturn
collect (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Harness *h = g_object_get_data (G_OBJECT (pad), "harness");

  g_queue_push_tail (&h->got, buf);
  return GST_FLOW_OK;
}

/* rtprtxreceive between two pads of ours, with the association attached
 * (or not, @attach FALSE: the element alone) and RTX_PT mapped to PT. */
static void
harness_init (Harness * h, gboolean attach)
{
  GstStructure *map = gst_structure_new ("application/x-rtp-pt-map",
      G_STRINGIFY (PT), G_TYPE_UINT, RTX_PT, NULL);
  GstCaps *caps = gst_caps_from_string ("application/x-rtp");
  GstSegment segment;
  GstPad *sink, *src;

  g_queue_init (&h->got);
  h->rtx = gst_element_factory_make ("rtprtxreceive", NULL);
  g_assert_nonnull (h->rtx);
  gst_object_ref_sink (h->rtx);
  if (attach)
    gst_p2p_rtx_assoc_attach (h->rtx);
  g_object_set (h->rtx, "payload-type-map", map, NULL);
  gst_structure_free (map);

  h->in = gst_pad_new ("in", GST_PAD_SRC);
  h->out = gst_pad_new ("out", GST_PAD_SINK);
  g_object_set_data (G_OBJECT (h->out), "harness", h);
  gst_pad_set_chain_function (h->out, collect);
  sink = gst_element_get_static_pad (h->rtx, "sink");
  src = gst_element_get_static_pad (h->rtx, "src");
  g_assert_cmpint (gst_pad_link (h->in, sink), ==, GST_PAD_LINK_OK);
  g_assert_cmpint (gst_pad_link (src, h->out), ==, GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_pad_set_active (h->in, TRUE);
  gst_pad_set_active (h->out, TRUE);
  g_assert_cmpint (gst_element_set_state (h->rtx, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_SUCCESS);
  gst_pad_push_event (h->in, gst_event_new_stream_start ("rtx-assoc"));
  gst_pad_push_event (h->in, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (h->in, gst_event_new_segment (&segment));
}

static void
harness_clear (Harness * h)
{
  gst_element_set_state (h->rtx, GST_STATE_NULL);
  g_queue_clear_full (&h->got, (GDestroyNotify) gst_buffer_unref);
  gst_object_unref (h->in);
  gst_object_unref (h->out);
  gst_object_unref (h->rtx);
}

/* An RTP packet of @pt / @ssrc / @seq at @ms; a retransmission carries
 * the original sequence number @osn in front of its payload. */
static void
push (Harness * h, guint pt, guint32 ssrc, guint16 seq, guint16 osn, guint ms)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, pt);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  payload = gst_rtp_buffer_get_payload (&rtp);
  memset (payload, 0x5a, 20);
  if (pt == RTX_PT)
    GST_WRITE_UINT16_BE (payload, osn);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buf) = ms * GST_MSECOND;
  g_assert_cmpint (gst_pad_push (h->in, buf), ==, GST_FLOW_OK);
}

/* The jitter buffer's request for @seq, as it sends it upstream. */
static void
request (Harness * h, guint16 seq)
{
  GstStructure *s = gst_structure_new ("GstRTPRetransmissionRequest",
      "seqnum", G_TYPE_UINT, (guint) seq, "ssrc", G_TYPE_UINT, SSRC, NULL);

  gst_pad_push_event (h->out, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
          s));
}

/* The last packet out is the original @seq of SSRC, flagged as a
 * retransmission. */
static void
assert_restored (Harness * h, guint16 seq)
{
  GstBuffer *buf = g_queue_peek_tail (&h->got);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  g_assert_nonnull (buf);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf,
          GST_RTP_BUFFER_FLAG_RETRANSMISSION));
  g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  g_assert_cmpuint (gst_rtp_buffer_get_ssrc (&rtp), ==, SSRC);
  g_assert_cmpuint (gst_rtp_buffer_get_payload_type (&rtp), ==, PT);
  g_assert_cmpuint (gst_rtp_buffer_get_seq (&rtp), ==, seq);
  gst_rtp_buffer_unmap (&rtp);
}

/* A retransmission that answers no request still known (the request
 * expired after 1 s, as when the camera answered late under heavy loss)
 * is dropped by rtprtxreceive alone, which then never learns the
 * association and keeps every later request; with the association handed
 * over from the SSRCs it is restored, and so is every later one. */
static void
test_late_retransmission_restored (void)
{
  Harness h;
  guint i;

  for (i = 0; i < 2; i++) {
    gboolean attach = i == 1;

    harness_init (&h, attach);
    push (&h, PT, SSRC, 100, 0, 0);
    request (&h, 101);
    push (&h, PT, SSRC, 102, 0, 10);
    /* 1.5 s later: the request has expired. */
    push (&h, PT, SSRC, 300, 0, 1500);
    push (&h, RTX_PT, RTX_SSRC, 7, 101, 1510);
    g_assert_cmpuint (h.got.length, ==, attach ? 4 : 3);
    if (attach) {
      assert_restored (&h, 101);
      /* Not requested at all, restored just the same. */
      push (&h, RTX_PT, RTX_SSRC, 8, 250, 1520);
      g_assert_cmpuint (h.got.length, ==, 5);
      assert_restored (&h, 250);
    }
    harness_clear (&h);
  }
}

/* The usual case stays as it was: a retransmission answering a pending
 * request is restored. */
static void
test_answered_request_restored (void)
{
  Harness h;

  harness_init (&h, TRUE);
  push (&h, PT, SSRC, 100, 0, 0);
  request (&h, 101);
  push (&h, RTX_PT, RTX_SSRC, 1, 101, 5);
  g_assert_cmpuint (h.got.length, ==, 2);
  assert_restored (&h, 101);
  harness_clear (&h);
}

/* Before any media packet there is no original SSRC to map to: a
 * retransmission then is what rtprtxreceive alone makes of it (dropped,
 * nothing requested), and nothing breaks. */
static void
test_retransmission_before_media (void)
{
  Harness h;

  harness_init (&h, TRUE);
  push (&h, RTX_PT, RTX_SSRC, 1, 50, 0);
  g_assert_cmpuint (h.got.length, ==, 0);
  push (&h, PT, SSRC, 100, 0, 5);
  push (&h, RTX_PT, RTX_SSRC, 2, 60, 10);
  g_assert_cmpuint (h.got.length, ==, 2);
  assert_restored (&h, 60);
  harness_clear (&h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2p/rtx-assoc/late-retransmission-restored",
      test_late_retransmission_restored);
  g_test_add_func ("/p2p/rtx-assoc/answered-request-restored",
      test_answered_request_restored);
  g_test_add_func ("/p2p/rtx-assoc/retransmission-before-media",
      test_retransmission_before_media);
  return g_test_run ();
}
