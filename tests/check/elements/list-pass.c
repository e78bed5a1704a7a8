/* Unit tests of the packet lists kept whole through rtpbin's storage,
 * retransmission receiver, SSRC and payload type demultiplexers
 * (gstp2plistpass.c, issue 13).
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <string.h>
#include "gstp2plistpass.h"

#define PT 96
#define RTX_PT 97
#define SSRC 0x11223344u
#define OTHER_SSRC 0x55667788u
#define RTX_SSRC 0xaabbccddu

typedef struct
{
  GstElement *element;
  GstPad *in;
  GPtrArray *outs;
  /* Every packet out, in order, and how many arrived in lists. */
  GQueue got;
  guint lists;
} Harness;

static GstFlowReturn
collect (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Harness *h = g_object_get_data (G_OBJECT (pad), "harness");

  g_queue_push_tail (&h->got, buf);
  return GST_FLOW_OK;
}

static GstFlowReturn
collect_list (GstPad * pad, GstObject * parent, GstBufferList * list)
{
  Harness *h = g_object_get_data (G_OBJECT (pad), "harness");
  guint i;

  h->lists++;
  for (i = 0; i < gst_buffer_list_length (list); i++)
    g_queue_push_tail (&h->got, gst_buffer_ref (gst_buffer_list_get (list, i)));
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

static void
link_out (Harness * h, GstPad * src)
{
  GstPad *out = gst_pad_new (NULL, GST_PAD_SINK);

  g_object_set_data (G_OBJECT (out), "harness", h);
  gst_pad_set_chain_function (out, collect);
  gst_pad_set_chain_list_function (out, collect_list);
  gst_pad_set_active (out, TRUE);
  g_assert_cmpint (gst_pad_link (src, out), ==, GST_PAD_LINK_OK);
  g_ptr_array_add (h->outs, out);
}

static void
pad_added (GstElement * element, GstPad * pad, Harness * h)
{
  if (g_str_has_prefix (GST_PAD_NAME (pad), "src_"))
    link_out (h, pad);
}

/* @factory between two pads of ours (its sometimes pads linked as they
 * come), with the list pass attached (or not, @attach FALSE: the element
 * alone). */
static void
harness_init (Harness * h, const gchar * factory, gboolean attach)
{
  GstCaps *caps = gst_caps_from_string ("application/x-rtp");
  GstSegment segment;
  GstPad *sink, *src;

  memset (h, 0, sizeof (*h));
  g_queue_init (&h->got);
  h->outs = g_ptr_array_new_with_free_func (gst_object_unref);
  h->element = gst_element_factory_make (factory, NULL);
  g_assert_nonnull (h->element);
  gst_object_ref_sink (h->element);
  if (g_str_equal (factory, "rtprtxreceive")) {
    GstStructure *map = gst_structure_new ("application/x-rtp-pt-map",
        G_STRINGIFY (PT), G_TYPE_UINT, RTX_PT, NULL);

    g_object_set (h->element, "payload-type-map", map, NULL);
    gst_structure_free (map);
  }
  if (attach)
    g_assert_true (gst_p2p_list_pass_attach (h->element));

  h->in = gst_pad_new ("in", GST_PAD_SRC);
  sink = gst_element_get_static_pad (h->element, "sink");
  g_assert_cmpint (gst_pad_link (h->in, sink), ==, GST_PAD_LINK_OK);
  gst_object_unref (sink);
  src = gst_element_get_static_pad (h->element, "src");
  if (src) {
    link_out (h, src);
    gst_object_unref (src);
  } else {
    g_signal_connect (h->element, "pad-added", G_CALLBACK (pad_added), h);
  }
  gst_pad_set_active (h->in, TRUE);
  g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_SUCCESS);
  gst_pad_push_event (h->in, gst_event_new_stream_start ("list-pass"));
  gst_pad_push_event (h->in, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (h->in, gst_event_new_segment (&segment));
}

static void
harness_clear (Harness * h)
{
  gst_element_set_state (h->element, GST_STATE_NULL);
  g_queue_clear_full (&h->got, (GDestroyNotify) gst_buffer_unref);
  gst_object_unref (h->in);
  g_ptr_array_unref (h->outs);
  gst_object_unref (h->element);
}

/* An RTP packet of @pt / @ssrc / @seq at @ms; a retransmission carries
 * the original sequence number @osn in front of its payload. */
static GstBuffer *
packet (guint pt, guint32 ssrc, guint16 seq, guint16 osn, guint ms)
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
  return buf;
}

/* @n packets of SSRC from @seq on, at @ms, as one list. */
static void
push_list (Harness * h, guint16 seq, guint n, guint ms)
{
  GstBufferList *list = gst_buffer_list_new ();
  guint i;

  for (i = 0; i < n; i++)
    gst_buffer_list_add (list, packet (PT, SSRC, seq + i, 0, ms));
  g_assert_cmpint (gst_pad_push_list (h->in, list), ==, GST_FLOW_OK);
}

/* The packets out are the sequence numbers @seqs (terminated by -1), in
 * that order. */
static void
assert_seqs (Harness * h, const gint * seqs)
{
  GList *l = h->got.head;
  guint i;

  for (i = 0; seqs[i] >= 0; i++, l = l->next) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

    g_assert_nonnull (l);
    g_assert_true (gst_rtp_buffer_map (l->data, GST_MAP_READ, &rtp));
    g_assert_cmpint (gst_rtp_buffer_get_seq (&rtp), ==, seqs[i]);
    gst_rtp_buffer_unmap (&rtp);
  }
  g_assert_null (l);
}

/* Storage that stores nothing passes a list as it came; with storage on
 * (FEC), each packet goes through it as before. */
static void
test_storage (void)
{
  const gint seqs[] = { 10, 11, 12, 13, -1 };
  Harness h;

  harness_init (&h, "rtpstorage", TRUE);
  push_list (&h, 10, 4, 0);
  assert_seqs (&h, seqs);
  g_assert_cmpuint (h.lists, ==, 1);
  harness_clear (&h);

  harness_init (&h, "rtpstorage", TRUE);
  g_object_set (h.element, "size-time", (guint64) GST_SECOND, NULL);
  push_list (&h, 10, 4, 0);
  assert_seqs (&h, seqs);
  g_assert_cmpuint (h.lists, ==, 0);
  harness_clear (&h);
}

/* A list of one stream leaves the demultiplexer as its first packet and
 * the rest in one list, on the pad the first one created; a list of two
 * streams goes packet by packet, each to its own pad. */
static void
test_ssrc_demux (void)
{
  const gint seqs[] = { 10, 11, 12, 13, 14, -1 };
  const gint mixed[] = { 10, 11, 12, 13, 14, 20, 21, -1 };
  GstBufferList *list;
  Harness h;

  harness_init (&h, "rtpssrcdemux", TRUE);
  push_list (&h, 10, 5, 0);
  assert_seqs (&h, seqs);
  g_assert_cmpuint (h.lists, ==, 1);
  g_assert_cmpuint (h.outs->len, ==, 1);

  list = gst_buffer_list_new ();
  gst_buffer_list_add (list, packet (PT, OTHER_SSRC, 20, 0, 5));
  gst_buffer_list_add (list, packet (PT, OTHER_SSRC, 21, 0, 5));
  gst_buffer_list_add (list, packet (PT, SSRC, 15, 0, 5));
  g_assert_cmpint (gst_pad_push_list (h.in, list), ==, GST_FLOW_OK);
  /* The collector keeps one order for all pads: 20, 21 then 15. */
  g_assert_cmpuint (h.got.length, ==, 8);
  g_assert_cmpuint (h.lists, ==, 1);
  g_assert_cmpuint (h.outs->len, ==, 2);
  gst_buffer_unref (g_queue_pop_tail (&h.got));
  assert_seqs (&h, mixed);
  harness_clear (&h);
}

/* The retransmission receiver passes a list of originals on after its
 * first packet; a list holding retransmissions goes packet by packet and
 * each is restored. */
static void
test_rtx_receive (void)
{
  const gint seqs[] = { 10, 11, 12, 13, -1 };
  const gint repaired[] = { 10, 11, 12, 13, 15, 14, 16, -1 };
  GstStructure *s;
  GstBufferList *list;
  Harness h;

  harness_init (&h, "rtprtxreceive", TRUE);
  push_list (&h, 10, 4, 0);
  assert_seqs (&h, seqs);
  g_assert_cmpuint (h.lists, ==, 1);

  s = gst_structure_new ("GstRTPRetransmissionRequest", "seqnum", G_TYPE_UINT,
      14u, "ssrc", G_TYPE_UINT, SSRC, NULL);
  gst_pad_push_event (g_ptr_array_index (h.outs, 0),
      gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
  list = gst_buffer_list_new ();
  gst_buffer_list_add (list, packet (PT, SSRC, 15, 0, 5));
  gst_buffer_list_add (list, packet (RTX_PT, RTX_SSRC, 1, 14, 5));
  gst_buffer_list_add (list, packet (PT, SSRC, 16, 0, 5));
  g_assert_cmpint (gst_pad_push_list (h.in, list), ==, GST_FLOW_OK);
  assert_seqs (&h, repaired);
  g_assert_cmpuint (h.lists, ==, 1);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (g_queue_peek_nth (&h.got, 5),
          GST_RTP_BUFFER_FLAG_RETRANSMISSION));
  harness_clear (&h);
}

/* The element's clock moves with a list as with its packets one by one:
 * a request older than its 1 s limit at the list's time has expired,
 * and the retransmission answering it is dropped, as by the element
 * alone. */
static void
test_rtx_receive_clock (void)
{
  guint i;

  for (i = 0; i < 2; i++) {
    GstStructure *s;
    Harness h;

    harness_init (&h, "rtprtxreceive", i == 1);
    g_assert_cmpint (gst_pad_push (h.in, packet (PT, SSRC, 10, 0, 0)), ==,
        GST_FLOW_OK);
    s = gst_structure_new ("GstRTPRetransmissionRequest", "seqnum",
        G_TYPE_UINT, 11u, "ssrc", G_TYPE_UINT, SSRC, NULL);
    gst_pad_push_event (g_ptr_array_index (h.outs, 0),
        gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
    push_list (&h, 12, 3, 1500);
    g_assert_cmpint (gst_pad_push (h.in, packet (RTX_PT, RTX_SSRC, 1, 11,
                1500)), ==, GST_FLOW_OK);
    g_assert_cmpuint (h.got.length, ==, 4);
    harness_clear (&h);
  }
}

static GstCaps *
pt_map (GstElement * demux, guint pt, gpointer data)
{
  return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
      "video", "clock-rate", G_TYPE_INT, 90000, "payload", G_TYPE_INT, pt,
      NULL);
}

/* The payload type demultiplexer passes a list of one stream whatever its
 * packets' times (stamped from their RTP times, a list may span frames);
 * a list of two payload types goes packet by packet. */
static void
test_pt_demux (void)
{
  const gint seqs[] = { 10, 11, 12, 13, -1 };
  const gint mixed[] = { 10, 11, 12, 13, 14, 15, 16, -1 };
  GstBufferList *list;
  Harness h;
  guint i;

  harness_init (&h, "rtpptdemux", FALSE);
  g_signal_connect (h.element, "request-pt-map", G_CALLBACK (pt_map), NULL);
  g_assert_true (gst_p2p_list_pass_attach (h.element));
  list = gst_buffer_list_new ();
  for (i = 0; i < 4; i++)
    gst_buffer_list_add (list, packet (PT, SSRC, 10 + i, 0, i / 2 * 33));
  g_assert_cmpint (gst_pad_push_list (h.in, list), ==, GST_FLOW_OK);
  assert_seqs (&h, seqs);
  g_assert_cmpuint (h.lists, ==, 1);
  g_assert_cmpuint (h.outs->len, ==, 1);

  list = gst_buffer_list_new ();
  gst_buffer_list_add (list, packet (PT, SSRC, 14, 0, 66));
  gst_buffer_list_add (list, packet (RTX_PT, SSRC, 15, 0, 66));
  gst_buffer_list_add (list, packet (PT, SSRC, 16, 0, 66));
  g_assert_cmpint (gst_pad_push_list (h.in, list), ==, GST_FLOW_OK);
  assert_seqs (&h, mixed);
  g_assert_cmpuint (h.lists, ==, 1);
  g_assert_cmpuint (h.outs->len, ==, 2);
  harness_clear (&h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/list-pass/storage", test_storage);
  g_test_add_func ("/list-pass/ssrc-demux", test_ssrc_demux);
  g_test_add_func ("/list-pass/rtx-receive", test_rtx_receive);
  g_test_add_func ("/list-pass/rtx-receive-clock", test_rtx_receive_clock);
  g_test_add_func ("/list-pass/pt-demux", test_pt_demux);
  return g_test_run ();
}
