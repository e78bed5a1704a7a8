/* p2p-gateway tests: GStreamer's webrtcbin as a WHEP client
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "whep-client.h"

#include <nice/agent.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>


static GstPadProbeReturn
count_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  WhepClient *c = user_data;

  g_atomic_int_inc (&c->frames);
  return GST_PAD_PROBE_OK;
}

static void
on_decoded_pad (GstElement * decodebin, GstPad * pad, gpointer user_data)
{
  GstElement *pipeline = user_data;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  GstCaps *caps = gst_pad_get_current_caps (pad);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  gst_pad_link (pad, sinkpad);
  if (caps && g_str_has_prefix (gst_structure_get_name
          (gst_caps_get_structure (caps, 0)), "video/x-raw"))
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_frame,
        g_object_get_data (G_OBJECT (pipeline), "client"), NULL);
  gst_clear_caps (&caps);
  gst_object_unref (sinkpad);
}

static void
on_incoming (GstElement * webrtc, GstPad * pad, gpointer user_data)
{
  GstElement *pipeline = user_data;
  GstElement *decode;
  GstPad *sinkpad;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  decode = gst_element_factory_make ("decodebin", NULL);
  g_signal_connect (decode, "pad-added", G_CALLBACK (on_decoded_pad), pipeline);
  gst_bin_add (GST_BIN (pipeline), decode);
  gst_element_sync_state_with_parent (decode);
  sinkpad = gst_element_get_static_pad (decode, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static GstStructure *
wait_promise (GstPromise * promise)
{
  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  return (GstStructure *) gst_promise_get_reply (promise);
}

/* A webrtcbin that will offer to receive @encoding video (and Opus). */
void
whep_client_start (WhepClient * c, const gchar * encoding, gboolean audio)
{
  GstObject *ice;
  NiceAgent *agent;
  NiceAddress addr;
  GstCaps *caps;
  GstWebRTCRTPTransceiver *trans = NULL;

  c->pipeline = gst_pipeline_new ("client");
  c->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_object_set_data (G_OBJECT (c->pipeline), "client", c);
  g_object_set (c->webrtc, "bundle-policy",
      GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  g_object_get (c->webrtc, "ice-agent", &ice, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  nice_address_init (&addr);
  g_assert_true (nice_address_set_from_string (&addr, "127.0.0.1"));
  g_assert_true (nice_agent_add_local_address (agent, &addr));
  g_object_set (agent, "upnp", FALSE, NULL);
  g_object_unref (agent);
  gst_object_unref (ice);
  gst_bin_add (GST_BIN (c->pipeline), c->webrtc);
  g_signal_connect (c->webrtc, "pad-added", G_CALLBACK (on_incoming),
      c->pipeline);
  g_assert_cmpint (gst_element_set_state (c->pipeline, GST_STATE_PLAYING),
      !=, GST_STATE_CHANGE_FAILURE);

  caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
      "video", "encoding-name", G_TYPE_STRING, encoding, "clock-rate",
      G_TYPE_INT, 90000, "payload", G_TYPE_INT, 96, NULL);
  if (g_str_equal (encoding, "H264"))
    gst_caps_set_simple (caps, "packetization-mode", G_TYPE_STRING, "1",
        "profile-level-id", G_TYPE_STRING, "42e01f", NULL);
  g_signal_emit_by_name (c->webrtc, "add-transceiver",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
  gst_caps_unref (caps);
  gst_object_unref (trans);
  if (audio) {
    caps = gst_caps_from_string ("application/x-rtp,media=audio,"
        "encoding-name=OPUS,clock-rate=48000,payload=111");
    g_signal_emit_by_name (c->webrtc, "add-transceiver",
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
    gst_caps_unref (caps);
    gst_object_unref (trans);
  }
}

/* The client's offer, with all its candidates, before @end (monotonic). */
gchar *
whep_client_offer (WhepClient * c, gint64 end)
{
  GstPromise *promise = gst_promise_new ();
  GstWebRTCSessionDescription *offer = NULL;
  GstWebRTCICEGatheringState state;
  gchar *text;

  g_signal_emit_by_name (c->webrtc, "create-offer", NULL, promise);
  gst_structure_get (wait_promise (promise), "offer",
      GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  gst_promise_unref (promise);
  g_assert_nonnull (offer);
  promise = gst_promise_new ();
  g_signal_emit_by_name (c->webrtc, "set-local-description", offer, promise);
  wait_promise (promise);
  gst_promise_unref (promise);
  gst_webrtc_session_description_free (offer);

  do {
    g_assert_cmpint (g_get_monotonic_time (), <, end);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (10000);
    g_object_get (c->webrtc, "ice-gathering-state", &state, NULL);
  } while (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE);
  g_object_get (c->webrtc, "local-description", &offer, NULL);
  text = gst_sdp_message_as_text (offer->sdp);
  gst_webrtc_session_description_free (offer);
  return text;
}

void
whep_client_answer (WhepClient * c, const gchar * text)
{
  GstSDPMessage *sdp;
  GstWebRTCSessionDescription *answer;
  GstPromise *promise = gst_promise_new ();
  const GstStructure *reply;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name (c->webrtc, "set-remote-description", answer, promise);
  reply = wait_promise (promise);
  g_assert_true (!reply || !gst_structure_has_field (reply, "error"));
  gst_promise_unref (promise);
  gst_webrtc_session_description_free (answer);
}

void
whep_client_stop (WhepClient * c)
{
  gst_element_set_state (c->pipeline, GST_STATE_NULL);
  gst_object_unref (c->pipeline);
}

/* Asks the gateway for a keyframe as a browser does when it lost the
 * picture: an upstream force-key-unit into the video's source pad, which
 * webrtcbin's RTP session turns into an RTCP PLI. */
void
whep_client_request_keyframe (WhepClient * c)
{
  GstIterator *it = gst_element_iterate_src_pads (c->webrtc);
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstPad *pad = g_value_get_object (&item);
    GstCaps *caps = gst_pad_get_current_caps (pad);

    if (caps && g_strcmp0 (gst_structure_get_string
            (gst_caps_get_structure (caps, 0), "media"), "video") == 0)
      gst_pad_send_event (pad,
          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
              TRUE, 0));
    gst_clear_caps (&caps);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
}

/* Video frames decoded so far. */
gint
whep_client_frames (WhepClient * c)
{
  return g_atomic_int_get (&c->frames);
}
