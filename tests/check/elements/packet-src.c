/* Unit tests of p2psrc's packet source (gstp2ppacketsrc.c): the hold of
 * the jitter buffers' threads while a batch of packets goes in.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <string.h>
#include "gstp2ppacketsrc.h"

/* Defined by the plugin, which this test does not link. */
GST_DEBUG_CATEGORY (gst_p2p_debug);

/* A wait in this test; the hold itself gives up after 20 ms. */
#define WAIT_US (10 * G_USEC_PER_SEC)

static GMutex lock;
static GCond cond;
/* A held thread is waiting (the packet source logs it under its lock,
 * right before the wait). */
static guint held;
/* Held threads that gave up waiting (the safety net). */
static guint timeouts;
/* Held threads let go because their element stopped taking packets in. */
static guint stalls;
/* Buffers that went through the held pad. */
static guint passed;
/* Buffers that reached the packet source's downstream. */
static guint received;
static GstPad *held_src;

static void
log_function (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text;

  if (category != gst_p2p_debug)
    return;
  text = gst_debug_message_get (message);
  g_mutex_lock (&lock);
  if (g_str_has_prefix (text, "holding "))
    held = 1;
  else if (g_str_has_prefix (text, "hold of "))
    timeouts++;
  else if (g_str_has_prefix (text, "list ") && strstr (text, " stalled, "))
    stalls++;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
}

/* Waits for *@value to reach @want; FALSE after WAIT_US. */
static gboolean
wait_for (guint * value, guint want)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  gboolean ok = TRUE;

  g_mutex_lock (&lock);
  while (*value < want && ok)
    ok = g_cond_wait_until (&cond, &lock, end);
  ok = *value >= want;
  g_mutex_unlock (&lock);
  return ok;
}

static gpointer
push_held (gpointer data)
{
  gst_pad_push (held_src, gst_buffer_new ());
  return NULL;
}

static GstFlowReturn
held_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  gst_buffer_unref (buf);
  g_mutex_lock (&lock);
  passed++;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  return GST_FLOW_OK;
}

/* The packet source's downstream, on the thread pushing the lists: the
 * first list's packet starts the held pad's thread and returns once that
 * thread waits; the second list's packet returns once the held pad's
 * buffer went through. */
static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GThread **thread = g_object_get_data (G_OBJECT (pad), "held-thread");
  guint n;

  gst_buffer_unref (buf);
  g_mutex_lock (&lock);
  n = ++received;
  g_mutex_unlock (&lock);
  if (n == 1) {
    *thread = g_thread_new ("held", push_held, NULL);
    g_assert_true (wait_for (&held, 1));
  } else if (n == 2) {
    g_assert_true (wait_for (&passed, 1));
  }
  return GST_FLOW_OK;
}

static gboolean
accept_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

static GstBufferList *
one_packet_list (void)
{
  GstBufferList *list = gst_buffer_list_new ();

  gst_buffer_list_add (list, gst_buffer_new_allocate (NULL, 100, NULL));
  return list;
}

/* A jitter buffer's thread held for one list goes on when that list is
 * in, even if the network thread has started the next list by the time
 * it wakes: it used to wait for that one too, and the next, until the
 * 20 ms safety net let it go, so a busy network thread throttled it to a
 * packet or so per list. */
static void
test_hold_one_list (void)
{
  GstElement *src = gst_p2p_packet_src_new ("packets", "application/x-rtp");
  GstPad *srcpad = gst_element_get_static_pad (src, "src");
  GstPad *sinkpad = gst_pad_new ("sink", GST_PAD_SINK);
  GstPad *held_sink = gst_pad_new ("held_sink", GST_PAD_SINK);
  GThread *thread = NULL;
  GstSegment segment;
  GstCaps *caps = gst_caps_new_empty_simple ("application/x-rtp");

  gst_object_ref_sink (src);
  gst_pad_set_chain_function (sinkpad, sink_chain);
  gst_pad_set_event_function (sinkpad, accept_event);
  g_object_set_data (G_OBJECT (sinkpad), "held-thread", &thread);
  g_assert_cmpint (gst_pad_link (srcpad, sinkpad), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (sinkpad, TRUE);

  held_src = gst_pad_new ("held_src", GST_PAD_SRC);
  gst_pad_set_chain_function (held_sink, held_chain);
  gst_pad_set_event_function (held_sink, accept_event);
  g_assert_cmpint (gst_pad_link (held_src, held_sink), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (held_sink, TRUE);
  gst_pad_set_active (held_src, TRUE);
  gst_pad_push_event (held_src, gst_event_new_stream_start ("held"));
  gst_pad_push_event (held_src, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (held_src, gst_event_new_segment (&segment));
  gst_p2p_packet_src_hold_downstream (GST_P2P_PACKET_SRC (src), held_src);

  g_assert_cmpint (gst_element_set_state (src, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_NO_PREROLL);
  g_assert_cmpint (gst_p2p_packet_src_push_list (GST_P2P_PACKET_SRC (src),
          one_packet_list ()), ==, GST_FLOW_OK);
  g_assert_cmpint (gst_p2p_packet_src_push_list (GST_P2P_PACKET_SRC (src),
          one_packet_list ()), ==, GST_FLOW_OK);
  g_assert_nonnull (thread);
  g_thread_join (thread);

  g_assert_cmpuint (received, ==, 2);
  g_assert_cmpuint (passed, ==, 1);
  /* Let go by the first list's end, not by the safety net. */
  g_assert_cmpuint (timeouts, ==, 0);

  gst_element_set_state (src, GST_STATE_NULL);
  gst_pad_set_active (held_src, FALSE);
  gst_object_unref (held_src);
  gst_object_unref (held_sink);
  gst_object_unref (sinkpad);
  gst_object_unref (srcpad);
  gst_object_unref (src);
}

/* The thread behind the held element, pushing into it. */
static GstPad *feed;

static gpointer
push_feed (gpointer data)
{
  gst_pad_push (feed, gst_buffer_new ());
  return NULL;
}

/* As sink_chain(), but the first list's packet does not return before the
 * held element's buffer went through, as a jitter buffer whose queue is
 * full waits for its own thread to take packets out. */
static GstFlowReturn
stuck_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GThread **thread = g_object_get_data (G_OBJECT (pad), "held-thread");

  gst_buffer_unref (buf);
  g_mutex_lock (&lock);
  received++;
  g_mutex_unlock (&lock);
  if (*thread == NULL) {
    *thread = g_thread_new ("held", push_feed, NULL);
    g_assert_true (wait_for (&held, 1));
    g_assert_true (wait_for (&passed, 1));
  }
  return GST_FLOW_OK;
}

/* A jitter buffer's thread held for a list goes on as soon as its jitter
 * buffer takes no more packets in, long before the hold's safety net: the
 * list may be stuck waiting for room in that very jitter buffer (its queue
 * full), which only the held thread can make. It used to stall 20 ms each
 * time. */
static void
test_hold_stuck_list (void)
{
  GstElement *src = gst_p2p_packet_src_new ("packets", "application/x-rtp");
  GstElement *element = gst_element_factory_make ("identity", NULL);
  GstPad *srcpad = gst_element_get_static_pad (src, "src");
  GstPad *sinkpad = gst_pad_new ("sink", GST_PAD_SINK);
  GstPad *element_sink = gst_element_get_static_pad (element, "sink");
  GstPad *element_src = gst_element_get_static_pad (element, "src");
  GstPad *held_sink = gst_pad_new ("held_sink", GST_PAD_SINK);
  GThread *thread = NULL;
  GstSegment segment;
  GstCaps *caps = gst_caps_new_empty_simple ("application/x-rtp");

  g_assert_nonnull (element);
  /* After the other tests. */
  g_mutex_lock (&lock);
  held = timeouts = stalls = passed = received = 0;
  g_mutex_unlock (&lock);
  gst_object_ref_sink (src);
  gst_object_ref_sink (element);
  gst_pad_set_chain_function (sinkpad, stuck_sink_chain);
  gst_pad_set_event_function (sinkpad, accept_event);
  g_object_set_data (G_OBJECT (sinkpad), "held-thread", &thread);
  g_assert_cmpint (gst_pad_link (srcpad, sinkpad), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (sinkpad, TRUE);

  feed = gst_pad_new ("feed", GST_PAD_SRC);
  gst_pad_set_chain_function (held_sink, held_chain);
  gst_pad_set_event_function (held_sink, accept_event);
  g_assert_cmpint (gst_pad_link (feed, element_sink), ==, GST_PAD_LINK_OK);
  g_assert_cmpint (gst_pad_link (element_src, held_sink), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (held_sink, TRUE);
  gst_pad_set_active (feed, TRUE);
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_SUCCESS);
  gst_pad_push_event (feed, gst_event_new_stream_start ("held"));
  gst_pad_push_event (feed, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (feed, gst_event_new_segment (&segment));
  gst_p2p_packet_src_hold_downstream (GST_P2P_PACKET_SRC (src), element_src);

  g_assert_cmpint (gst_element_set_state (src, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_NO_PREROLL);
  g_assert_cmpint (gst_p2p_packet_src_push_list (GST_P2P_PACKET_SRC (src),
          one_packet_list ()), ==, GST_FLOW_OK);
  g_assert_nonnull (thread);
  g_thread_join (thread);

  g_assert_cmpuint (received, ==, 1);
  g_assert_cmpuint (passed, ==, 1);
  /* Let go because the element took nothing in, not by the safety net. */
  g_assert_cmpuint (stalls, ==, 1);
  g_assert_cmpuint (timeouts, ==, 0);

  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_pad_set_active (feed, FALSE);
  gst_object_unref (feed);
  gst_object_unref (held_sink);
  gst_object_unref (element_sink);
  gst_object_unref (element_src);
  gst_object_unref (element);
  gst_object_unref (sinkpad);
  gst_object_unref (srcpad);
  gst_object_unref (src);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  GST_DEBUG_CATEGORY_INIT (gst_p2p_debug, "p2p", 0, "p2p plugin");
  gst_debug_set_threshold_for_name ("p2p", GST_LEVEL_LOG);
  gst_debug_add_log_function (log_function, NULL, NULL);

  g_test_add_func ("/p2p/packet-src/hold-one-list", test_hold_one_list);
  g_test_add_func ("/p2p/packet-src/hold-stuck-list", test_hold_stuck_list);
  return g_test_run ();
}
