/* The media half of offers and answers, shared by p2psink and p2psrc.
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/gst.h>
#include <string.h>

#include "gstp2psdp.h"
#include "gstp2pcodecs.h"

#define H264_CAPS "application/x-rtp, media=video, clock-rate=90000, " \
  "encoding-name=H264, payload=96, ssrc=(uint)1234, seqnum-offset=(uint)5, " \
  "packetization-mode=(string)1"
#define OPUS_CAPS "application/x-rtp, media=audio, clock-rate=48000, " \
  "encoding-name=OPUS, payload=111, ssrc=(uint)99"

static GstSDPMessage *
make_offer (GstP2pDirection audio)
{
  g_autoptr (GstCaps) video = gst_caps_from_string (H264_CAPS);
  g_autoptr (GstCaps) opus = gst_caps_from_string (OPUS_CAPS);
  GstSDPMessage *msg;

  gst_sdp_message_new (&msg);
  g_assert_true (gst_p2p_sdp_add_media (msg, "video", video,
          GST_P2P_DIRECTION_SENDONLY, NULL));
  g_assert_true (gst_p2p_sdp_add_media (msg, "audio", opus, audio, NULL));
  return msg;
}

static void
test_offer (void)
{
  GstSDPMessage *offer = make_offer (GST_P2P_DIRECTION_SENDRECV);
  const GstSDPMedia *v, *a;
  g_autofree gchar *text = gst_sdp_message_as_text (offer);

  g_assert_cmpuint (gst_sdp_message_medias_len (offer), ==, 2);
  v = gst_sdp_message_get_media (offer, 0);
  a = gst_sdp_message_get_media (offer, 1);
  g_assert_cmpstr (gst_sdp_media_get_attribute_val (v, "mid"), ==, "video");
  g_assert_cmpint (gst_p2p_sdp_media_get_direction (v), ==,
      GST_P2P_DIRECTION_SENDONLY);
  g_assert_cmpint (gst_p2p_sdp_media_get_direction (a), ==,
      GST_P2P_DIRECTION_SENDRECV);
  /* Video: the codec and its RTX; feedback; no per-sender values. */
  g_assert_cmpuint (gst_sdp_media_formats_len (v), ==, 2);
  g_assert_cmpstr (gst_sdp_media_get_format (v, 1), ==, "97");
  g_assert_nonnull (strstr (text, "a=fmtp:97 apt=96"));
  g_assert_nonnull (strstr (text, "a=rtcp-fb:96 nack pli"));
  g_assert_null (strstr (text, "ssrc"));
  g_assert_cmpstr (gst_sdp_media_get_proto (a), ==, "UDP/TLS/RTP/SAVPF");
  gst_sdp_message_free (offer);
}

static void
test_answer_directions (void)
{
  GstSDPMessage *offer = make_offer (GST_P2P_DIRECTION_SENDRECV);
  GstSDPMessage *answer;

  /* A viewer that talks back. */
  answer = gst_p2p_sdp_answer (offer, GST_P2P_DIRECTION_RECVONLY,
      GST_P2P_DIRECTION_SENDRECV);
  g_assert_cmpint (gst_p2p_sdp_media_get_direction (gst_sdp_message_get_media
          (answer, 0)), ==, GST_P2P_DIRECTION_RECVONLY);
  g_assert_cmpint (gst_p2p_sdp_media_get_direction (gst_sdp_message_get_media
          (answer, 1)), ==, GST_P2P_DIRECTION_SENDRECV);
  gst_sdp_message_free (answer);

  /* One that only listens. */
  answer = gst_p2p_sdp_answer (offer, GST_P2P_DIRECTION_RECVONLY,
      GST_P2P_DIRECTION_RECVONLY);
  g_assert_cmpint (gst_p2p_sdp_media_get_direction (gst_sdp_message_get_media
          (answer, 1)), ==, GST_P2P_DIRECTION_RECVONLY);
  gst_sdp_message_free (answer);
  gst_sdp_message_free (offer);

  /* A camera that takes no talk-back: the viewer cannot send either. */
  offer = make_offer (GST_P2P_DIRECTION_SENDONLY);
  answer = gst_p2p_sdp_answer (offer, GST_P2P_DIRECTION_RECVONLY,
      GST_P2P_DIRECTION_SENDRECV);
  g_assert_cmpint (gst_p2p_sdp_media_get_direction (gst_sdp_message_get_media
          (answer, 1)), ==, GST_P2P_DIRECTION_RECVONLY);
  g_assert_cmpuint (gst_sdp_media_attributes_len (gst_sdp_message_get_media
          (answer, 1)), >, 0);
  gst_sdp_message_free (answer);
  gst_sdp_message_free (offer);
}

/* A section the answerer does not know is answered inactive, in its
 * place. */
static void
test_answer_unknown_section (void)
{
  GstSDPMessage *offer = make_offer (GST_P2P_DIRECTION_SENDONLY);
  GstSDPMessage *answer;
  GstSDPMedia *app;

  gst_sdp_media_new (&app);
  gst_sdp_media_set_media (app, "application");
  gst_sdp_media_add_format (app, "webrtc-datachannel");
  gst_sdp_message_add_media (offer, app);
  gst_sdp_media_free (app);
  answer = gst_p2p_sdp_answer (offer, GST_P2P_DIRECTION_RECVONLY,
      GST_P2P_DIRECTION_RECVONLY);
  g_assert_cmpuint (gst_sdp_message_medias_len (answer), ==, 3);
  g_assert_cmpint (gst_p2p_sdp_media_get_direction (gst_sdp_message_get_media
          (answer, 2)), ==, GST_P2P_DIRECTION_INACTIVE);
  gst_sdp_message_free (answer);
  gst_sdp_message_free (offer);
}

/* The transport-wide sequence number's id, from a payloader's caps through
 * the offer; an id outside the one-byte form, or another extension, is
 * none. */
static void
test_twcc_id (void)
{
  static const gchar *refused[] = {
    "0 " GST_P2P_TWCC_URI, "15 " GST_P2P_TWCC_URI, "x " GST_P2P_TWCC_URI,
    "3 urn:ietf:params:rtp-hdrext:toffset", "3", "",
  };
  g_autoptr (GstCaps) caps = gst_caps_from_string (H264_CAPS
      ", extmap-3=(string)\"" GST_P2P_TWCC_URI "\"");
  GstSDPMessage *msg;
  GstSDPMedia *media;
  guint i;

  gst_sdp_message_new (&msg);
  g_assert_true (gst_p2p_sdp_add_media (msg, "video", caps,
          GST_P2P_DIRECTION_SENDONLY, NULL));
  g_assert_cmpuint (gst_p2p_sdp_media_get_twcc_id (gst_sdp_message_get_media
          (msg, 0)), ==, 3);
  gst_sdp_message_free (msg);

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    gst_sdp_media_new (&media);
    gst_sdp_media_add_attribute (media, "extmap", refused[i]);
    g_assert_cmpuint (gst_p2p_sdp_media_get_twcc_id (media), ==, 0);
    gst_sdp_media_free (media);
  }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/p2p/sdp/offer", test_offer);
  g_test_add_func ("/p2p/sdp/twcc-id", test_twcc_id);
  g_test_add_func ("/p2p/sdp/answer/directions", test_answer_directions);
  g_test_add_func ("/p2p/sdp/answer/unknown-section",
      test_answer_unknown_section);
  return g_test_run ();
}
