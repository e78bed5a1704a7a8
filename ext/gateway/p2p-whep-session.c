/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-whep-session.h"

#include "gstp2pcodecs.h"

#include <string.h>

#include <gst/video/video.h>
#include <nice/agent.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

GST_DEBUG_CATEGORY_STATIC (whep_debug);
#define GST_CAT_DEFAULT whep_debug

G_DEFINE_QUARK (p2p_whep_error, p2p_whep_error);

/* What one appsrc may hold when webrtcbin falls behind (a congested path):
 * past it the newest buffers are dropped, so memory stays bounded. */
#define WHEP_APPSRC_MAX_BYTES (2 * 1024 * 1024)

typedef struct
{
  const gchar *media_type;
  const gchar *media;
  const gchar *encoding;
} WhepCodec;

/* The camera's codecs a browser can play as they are, by their SDP names;
 * their parsers and payloaders are p2psink's (gstp2pcodecs.c). Other audio
 * (AAC) is not sent: the gateway never transcodes. */
static const WhepCodec codecs[] = {
  {"video/x-h264", "video", "H264"},
  {"video/x-vp8", "video", "VP8"},
  {"video/x-vp9", "video", "VP9"},
  {"video/x-h265", "video", "H265"},
  {"audio/x-opus", "audio", "OPUS"},
  {"audio/x-mulaw", "audio", "PCMU"},
  {"audio/x-alaw", "audio", "PCMA"},
};

typedef struct
{
  guint stream;
  guint mline;
  gint pt;
  const WhepCodec *codec;
  GstCaps *caps;
  GstAppSrc *appsrc;
  gboolean attached;
} WhepBranch;

struct _P2pWhepSession
{
  GObject parent;

  gchar *id;
  const P2pWhepCameraFuncs *funcs;
  gpointer camera;
  gchar *ice_address;

  GstSDPMessage *offer;
  GArray *branches;

  GstElement *pipeline;
  GstElement *webrtc;
  GMainContext *context;
  GTask *task;
  GSource *timeout;
  gboolean answering;
  gboolean local_set;
  gboolean closed;
};

enum
{
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (P2pWhepSession, p2p_whep_session, G_TYPE_OBJECT);

static void
branch_clear (gpointer data)
{
  WhepBranch *b = data;

  gst_clear_caps (&b->caps);
  gst_clear_object (&b->appsrc);
}

static void
p2p_whep_session_init (P2pWhepSession * self)
{
  self->branches = g_array_new (FALSE, TRUE, sizeof (WhepBranch));
  g_array_set_clear_func (self->branches, branch_clear);
}

static void
p2p_whep_session_finalize (GObject * object)
{
  P2pWhepSession *self = P2P_WHEP_SESSION (object);

  p2p_whep_session_stop (self);
  g_array_unref (self->branches);
  if (self->offer)
    gst_sdp_message_free (self->offer);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->ice_address);
  g_free (self->id);
  G_OBJECT_CLASS (p2p_whep_session_parent_class)->finalize (object);
}

static void
p2p_whep_session_class_init (P2pWhepSessionClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = p2p_whep_session_finalize;

  /**
   * P2pWhepSession::closed:
   *
   * The viewer is gone: its connection failed or was closed without a
   * DELETE. Emitted once, in the session's #GMainContext.
   *
   * Since: 0.2
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  GST_DEBUG_CATEGORY_INIT (whep_debug, "p2p-whep", 0, "p2p-gateway WHEP");
}

/**
 * p2p_whep_session_new:
 * @id: the session's resource id (unguessable: it authorizes the DELETE)
 * @funcs: how to reach the camera's streams
 * @camera: the camera, passed to @funcs
 * @ice_address: (nullable): the one local address ICE gathers on, %NULL
 *     for every interface
 *
 * Returns: (transfer full): a session waiting for its offer
 *
 * Since: 0.2
 */
P2pWhepSession *
p2p_whep_session_new (const gchar * id, const P2pWhepCameraFuncs * funcs,
    gpointer camera, const gchar * ice_address)
{
  P2pWhepSession *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (funcs != NULL, NULL);

  self = g_object_new (P2P_TYPE_WHEP_SESSION, NULL);
  self->id = g_strdup (id);
  self->funcs = funcs;
  self->camera = camera;
  self->ice_address = g_strdup (ice_address);
  return self;
}

/**
 * p2p_whep_session_get_id:
 * @session: a session
 *
 * Returns: the id given to p2p_whep_session_new()
 *
 * Since: 0.2
 */
const gchar *
p2p_whep_session_get_id (P2pWhepSession * session)
{
  g_return_val_if_fail (P2P_IS_WHEP_SESSION (session), NULL);
  return session->id;
}

static gboolean
media_is_rtp (const GstSDPMedia * media)
{
  const gchar *proto = gst_sdp_media_get_proto (media);

  return proto && strstr (proto, "RTP/SAVPF") != NULL;
}

/**
 * p2p_whep_session_set_offer:
 * @session: a session
 * @sdp: (array length=size): the body of the client's POST
 * @size: its length in bytes
 * @error: a #P2P_WHEP_ERROR_BAD_OFFER error
 *
 * Checks that @sdp is an SDP offer webrtcbin can answer: media sections
 * over DTLS-SRTP, each with ICE credentials and a certificate fingerprint.
 *
 * Returns: %TRUE when the offer is kept for p2p_whep_session_answer_async()
 *
 * Since: 0.2
 */
gboolean
p2p_whep_session_set_offer (P2pWhepSession * session, const gchar * sdp,
    gsize size, GError ** error)
{
  GstSDPMessage *msg;
  guint i, n_rtp = 0;
  const gchar *what = NULL;

  g_return_val_if_fail (P2P_IS_WHEP_SESSION (session), FALSE);
  g_return_val_if_fail (session->offer == NULL, FALSE);

  if (size == 0 || memchr (sdp, '\0', size)) {
    g_set_error (error, P2P_WHEP_ERROR, P2P_WHEP_ERROR_BAD_OFFER,
        "The body is empty or not text; an SDP offer was expected");
    return FALSE;
  }
  gst_sdp_message_new (&msg);
  if (gst_sdp_message_parse_buffer ((const guint8 *) sdp, size, msg)
      != GST_SDP_OK || !gst_sdp_message_get_version (msg)
      || g_strcmp0 (gst_sdp_message_get_version (msg), "0") != 0) {
    what = "it has no 'v=0' line";
    goto bad;
  }
  for (i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
    const gchar *fp, *ufrag;

    if (!media_is_rtp (media))
      continue;
    n_rtp++;
    fp = gst_sdp_media_get_attribute_val (media, "fingerprint");
    if (!fp)
      fp = gst_sdp_message_get_attribute_val (msg, "fingerprint");
    ufrag = gst_sdp_media_get_attribute_val (media, "ice-ufrag");
    if (!ufrag)
      ufrag = gst_sdp_message_get_attribute_val (msg, "ice-ufrag");
    if (!fp || !ufrag) {
      what = "a media section has no DTLS fingerprint or no ICE credentials";
      goto bad;
    }
  }
  if (n_rtp == 0) {
    what = "it has no media section over UDP/TLS/RTP/SAVPF";
    goto bad;
  }
  session->offer = msg;
  return TRUE;

bad:
  g_set_error (error, P2P_WHEP_ERROR, P2P_WHEP_ERROR_BAD_OFFER,
      "The body is not a WebRTC SDP offer: %s", what);
  gst_sdp_message_free (msg);
  return FALSE;
}

static const WhepCodec *
codec_for_caps (const GstCaps * caps)
{
  const GstStructure *s;
  guint i;

  if (!caps || gst_caps_get_size (caps) < 1)
    return NULL;
  s = gst_caps_get_structure (caps, 0);
  for (i = 0; i < G_N_ELEMENTS (codecs); i++)
    if (gst_structure_has_name (s, codecs[i].media_type))
      return &codecs[i];
  return NULL;
}

/* The profile_idc of an H.264 stream, as named in its caps. */
static guint
h264_profile_idc (const GstCaps * caps)
{
  const gchar *p = gst_structure_get_string (gst_caps_get_structure (caps,
          0), "profile");

  if (!p)
    return 0;
  if (g_str_has_suffix (p, "baseline"))
    return 0x42;
  if (g_str_equal (p, "main"))
    return 0x4d;
  if (g_str_has_prefix (p, "high"))
    return 0x64;
  return 0;
}

static const gchar *
fmtp_for_pt (const GstSDPMedia * media, gint pt)
{
  guint i;

  for (i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    gchar *end;

    if (g_strcmp0 (a->key, "fmtp") != 0 || !a->value)
      continue;
    if (g_ascii_strtoll (a->value, &end, 10) == pt && end != a->value)
      return end;
  }
  return "";
}

/* The payload type of @media that carries @codec best, or -1. For H.264
 * the non-interleaved mode comes first, then the camera's profile (and for
 * constrained baseline, its constraint_set1 flag: Chromium offers baseline
 * 42001f before constrained baseline 42e01f): a browser decodes any
 * profile it offers, the others often too, but the answer has to name one
 * it offered. */
static gint
choose_pt (const GstSDPMedia * media, const WhepCodec * codec,
    const GstCaps * caps)
{
  gint best = -1, best_score = -1;
  guint i, idc = 0;
  gboolean constrained = FALSE;

  if (g_str_equal (codec->encoding, "H264")) {
    idc = h264_profile_idc (caps);
    constrained = g_strcmp0 (gst_structure_get_string
        (gst_caps_get_structure (caps, 0), "profile"),
        "constrained-baseline") == 0;
  }

  for (i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    gchar *end;
    gint pt, score = 0;
    gsize n;

    if (g_strcmp0 (a->key, "rtpmap") != 0 || !a->value)
      continue;
    pt = g_ascii_strtoll (a->value, &end, 10);
    if (end == a->value || pt < 0 || pt > 127)
      continue;
    while (*end == ' ')
      end++;
    n = strlen (codec->encoding);
    if (g_ascii_strncasecmp (end, codec->encoding, n) != 0 || end[n] != '/')
      continue;
    if (g_str_equal (codec->encoding, "H264")) {
      const gchar *fmtp = fmtp_for_pt (media, pt);
      const gchar *pli = strstr (fmtp, "profile-level-id=");

      guint64 id = pli ? g_ascii_strtoull (pli + 17, NULL, 16) : 0;

      if (strstr (fmtp, "packetization-mode=1"))
        score += 4;
      if (idc && id >> 16 == idc)
        score += 2;
      if (constrained && (id >> 8 & 0x40))
        score += 1;
    } else if (g_str_equal (codec->encoding, "VP9")) {
      if (!strstr (fmtp_for_pt (media, pt), "profile-id=")
          || strstr (fmtp_for_pt (media, pt), "profile-id=0"))
        score += 1;
    }
    if (score > best_score) {
      best = pt;
      best_score = score;
    }
  }
  return best;
}

/**
 * p2p_whep_session_choose_codecs:
 * @session: a session with an offer
 * @stream_caps: (element-type GstCaps): the camera's encoded streams
 * @error: a #P2P_WHEP_ERROR_NO_CODEC error
 *
 * Pairs each of the camera's streams with a media section of the offer
 * that accepts its codec as it is. Audio the offer cannot take is left
 * out; video it cannot take is an error, as a page without the picture is
 * of no use.
 *
 * Returns: %TRUE when the camera's video (or, without video, its audio)
 *     has a place in the answer
 *
 * Since: 0.2
 */
gboolean
p2p_whep_session_choose_codecs (P2pWhepSession * session,
    GPtrArray * stream_caps, GError ** error)
{
  guint i, m, n_media;
  gboolean *used;
  gchar *missing = NULL;

  g_return_val_if_fail (P2P_IS_WHEP_SESSION (session), FALSE);
  g_return_val_if_fail (session->offer != NULL, FALSE);

  n_media = gst_sdp_message_medias_len (session->offer);
  used = g_new0 (gboolean, n_media);
  g_array_set_size (session->branches, 0);

  for (i = 0; i < stream_caps->len; i++) {
    GstCaps *caps = g_ptr_array_index (stream_caps, i);
    const WhepCodec *codec = codec_for_caps (caps);
    gboolean placed = FALSE;

    if (!codec) {
      GST_INFO ("session %s: stream %u (%" GST_PTR_FORMAT ") is not sent: "
          "browsers cannot play it without transcoding", session->id, i, caps);
      continue;
    }
    for (m = 0; m < n_media && !placed; m++) {
      const GstSDPMedia *media = gst_sdp_message_get_media (session->offer, m);
      WhepBranch b = { 0, };

      if (used[m] || !media_is_rtp (media)
          || g_strcmp0 (gst_sdp_media_get_media (media), codec->media) != 0
          || gst_sdp_media_get_port (media) == 0)
        continue;
      b.pt = choose_pt (media, codec, caps);
      if (b.pt < 0)
        continue;
      b.stream = i;
      b.mline = m;
      b.codec = codec;
      b.caps = gst_caps_ref (caps);
      g_array_append_val (session->branches, b);
      used[m] = placed = TRUE;
    }
    if (!placed && g_str_equal (codec->media, "video") && !missing)
      missing = g_strdup (codec->encoding);
  }
  g_free (used);

  if (missing || session->branches->len == 0) {
    g_set_error (error, P2P_WHEP_ERROR, P2P_WHEP_ERROR_NO_CODEC,
        "The camera sends %s, which the offer does not accept (the gateway "
        "does not transcode)", missing ? missing : "no stream a browser plays");
    g_free (missing);
    g_array_set_size (session->branches, 0);
    return FALSE;
  }
  return TRUE;
}

/* Negotiation: each step runs in the session's context; webrtcbin's
 * promises and notifications hop there from webrtcbin's threads. */

typedef void (*StepFunc) (P2pWhepSession * self, GstPromise * promise);

typedef struct
{
  P2pWhepSession *self;
  StepFunc step;
  GstPromise *promise;
} Step;

static gboolean
step_run (gpointer data)
{
  Step *s = data;

  s->step (s->self, s->promise);
  return G_SOURCE_REMOVE;
}

static void
step_free (gpointer data)
{
  Step *s = data;

  if (s->promise)
    gst_promise_unref (s->promise);
  g_object_unref (s->self);
  g_free (s);
}

static void
step_schedule (P2pWhepSession * self, StepFunc step, GstPromise * promise)
{
  Step *s = g_new0 (Step, 1);

  s->self = g_object_ref (self);
  s->step = step;
  s->promise = promise ? gst_promise_ref (promise) : NULL;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, step_run, s,
      step_free);
}

static void
promise_done (GstPromise * promise, gpointer user_data)
{
  Step *s = user_data;

  step_schedule (s->self, s->step, promise);
}

static GstPromise *
promise_to_step (P2pWhepSession * self, StepFunc step)
{
  Step *s = g_new0 (Step, 1);

  s->self = g_object_ref (self);
  s->step = step;
  return gst_promise_new_with_change_func (promise_done, s, step_free);
}

/* Emits webrtcbin's action @signal (@arg, a promise) and runs @step once
 * webrtcbin replies. */
static void
emit_then (P2pWhepSession * self, const gchar * signal, gpointer arg,
    StepFunc step)
{
  GstPromise *promise = promise_to_step (self, step);

  g_signal_emit_by_name (self->webrtc, signal, arg, promise);
  gst_promise_unref (promise);
}

static void
fail (P2pWhepSession * self, gint code, const gchar * format, ...)
G_GNUC_PRINTF (3, 4);

/* Ends the pending answer with an error (once; later failures of the same
 * negotiation have nobody to tell). */
     static void
         fail (P2pWhepSession * self, gint code, const gchar * format, ...)
{
  GTask *task = g_steal_pointer (&self->task);
  gchar *message;
  va_list args;

  if (!task)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  GST_WARNING ("session %s: %s", self->id, message);
  if (self->timeout) {
    g_source_destroy (self->timeout);
    g_clear_pointer (&self->timeout, g_source_unref);
  }
  g_task_return_new_error (task, P2P_WHEP_ERROR, code, "%s", message);
  g_free (message);
  g_object_unref (task);
}

/* Whether the promise failed; webrtcbin puts its GError in the reply. */
static gboolean
promise_failed (P2pWhepSession * self, GstPromise * promise, const gchar * what)
{
  const GstStructure *reply;
  GError *err = NULL;

  if (!self->task)
    return TRUE;
  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED) {
    fail (self, P2P_WHEP_ERROR_NEGOTIATION, "webrtcbin did not %s", what);
    return TRUE;
  }
  reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field_typed (reply, "error", G_TYPE_ERROR)) {
    gst_structure_get (reply, "error", G_TYPE_ERROR, &err, NULL);
    fail (self, P2P_WHEP_ERROR_NEGOTIATION, "webrtcbin could not %s: %s",
        what, err ? err->message : "no reason given");
    g_clear_error (&err);
    return TRUE;
  }
  return FALSE;
}

static gboolean
attach_all (P2pWhepSession * self, GError ** error)
{
  guint i;

  for (i = 0; i < self->branches->len; i++) {
    WhepBranch *b = &g_array_index (self->branches, WhepBranch, i);

    if (!self->funcs->attach (self->camera, b->stream, b->appsrc, error))
      return FALSE;
    b->attached = TRUE;
  }
  return TRUE;
}

static void
finish_if_gathered (P2pWhepSession * self, GstPromise * unused)
{
  GstWebRTCICEGatheringState state;
  GstWebRTCSessionDescription *desc = NULL;
  GError *err = NULL;
  GTask *task;
  gchar *text;

  if (!self->task || !self->local_set)
    return;
  g_object_get (self->webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  g_object_get (self->webrtc, "local-description", &desc, NULL);
  if (!desc) {
    fail (self, P2P_WHEP_ERROR_NEGOTIATION, "webrtcbin has no answer");
    return;
  }
  text = gst_sdp_message_as_text (desc->sdp);
  gst_webrtc_session_description_free (desc);
  if (!attach_all (self, &err)) {
    fail (self, P2P_WHEP_ERROR_CAMERA, "The camera's stream cannot be "
        "attached: %s", err->message);
    g_error_free (err);
    g_free (text);
    return;
  }
  if (self->timeout) {
    g_source_destroy (self->timeout);
    g_clear_pointer (&self->timeout, g_source_unref);
  }
  task = g_steal_pointer (&self->task);
  g_task_return_pointer (task, text, g_free);
  g_object_unref (task);
}

static void
on_local_set (P2pWhepSession * self, GstPromise * promise)
{
  if (promise_failed (self, promise, "apply its answer"))
    return;
  self->local_set = TRUE;
  finish_if_gathered (self, NULL);
}

static void
on_answer_created (P2pWhepSession * self, GstPromise * promise)
{
  const GstStructure *reply;
  GstWebRTCSessionDescription *answer = NULL;

  if (promise_failed (self, promise, "create an answer"))
    return;
  reply = gst_promise_get_reply (promise);
  gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
      &answer, NULL);
  if (!answer) {
    fail (self, P2P_WHEP_ERROR_NEGOTIATION, "webrtcbin gave no answer");
    return;
  }
  emit_then (self, "set-local-description", answer, on_local_set);
  gst_webrtc_session_description_free (answer);
}

/* The transceiver of the branch's media section sends, in the offer's own
 * terms for the chosen payload type (its fmtp included). */
static GstWebRTCRTPTransceiver *
configure_transceiver (P2pWhepSession * self, WhepBranch * b)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (self->offer, b->mline);
  GstWebRTCRTPTransceiver *found = NULL;
  GArray *all = NULL;
  GstCaps *prefs;
  guint i;

  g_signal_emit_by_name (self->webrtc, "get-transceivers", &all);
  for (i = 0; all && i < all->len && !found; i++) {
    GstWebRTCRTPTransceiver *t =
        g_array_index (all, GstWebRTCRTPTransceiver *, i);
    guint mline;

    g_object_get (t, "mlineindex", &mline, NULL);
    if (mline == b->mline)
      found = gst_object_ref (t);
  }
  if (all)
    g_array_unref (all);
  prefs = gst_sdp_media_get_caps_from_media (media, b->pt);
  if (!found || !prefs) {
    gst_clear_caps (&prefs);
    gst_clear_object (&found);
    return NULL;
  }
  /* The profile stays out of the preferences, as out of the payloader's
   * caps (drop_profile()): the answer takes the one the offer names. Both
   * its forms: webrtcbin names profile-level-id 42001f (Chromium's first
   * H.264) "profile=baseline" too, which a constrained-baseline camera's
   * payloader would not negotiate with. */
  for (i = 0; i < gst_caps_get_size (prefs); i++) {
    GstStructure *st = gst_caps_get_structure (prefs, i);

    gst_structure_set_name (st, "application/x-rtp");
    gst_structure_remove_fields (st, "profile-level-id", "profile", NULL);
  }
  g_object_set (found, "direction",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences",
      prefs, NULL);
  gst_caps_unref (prefs);
  return found;
}

/* The payloader names the camera's H.264 profile in its caps, in two
 * forms: profile-level-id, and "profile" (which rtph264pay passes on from
 * the stream's caps). The answer names the profile of the payload type the
 * offer chose. webrtcbin 1.22 intersects the offer's caps with the caps on
 * its sink pad while it answers: a "profile" at odds with the offer's
 * (Chromium's 42001f is "baseline", an encoder's stream
 * "constrained-baseline" or "high") leaves nothing, and webrtcbin answers
 * the media section inactive, with the offer's first codec, and never
 * sends. Both forms are left out of what webrtcbin is given; a browser
 * decodes the camera's profile all the same. */
static GstPadProbeReturn
drop_profile (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstStructure *s;
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_has_field (s, "profile-level-id")
      && !gst_structure_has_field (s, "profile"))
    return GST_PAD_PROBE_OK;
  caps = gst_caps_copy (caps);
  gst_structure_remove_fields (gst_caps_get_structure (caps, 0),
      "profile-level-id", "profile", NULL);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
  gst_caps_unref (caps);
  gst_event_unref (event);
  return GST_PAD_PROBE_OK;
}

/* A viewer's picture loss indication (RTCP PLI or FIR): webrtcbin's RTP
 * session sends a force-key-unit event upstream, through the payloader
 * and parser, to the appsrc; the camera is asked for a keyframe, as the
 * gateway never encodes. The event stops here: a handled event is the
 * probe's to free, and its sender hears it was handled. */
static GstPadProbeReturn
forward_keyframe_request (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  P2pWhepSession *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  GST_DEBUG ("session %s: the viewer asks for a keyframe", self->id);
  self->funcs->request_keyframe (self->camera);
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = NULL;
  return GST_PAD_PROBE_HANDLED;
}

/* appsrc [! parser] ! payloader ! webrtcbin.sink_<mline> */
static gboolean
add_branch (P2pWhepSession * self, WhepBranch * b, GError ** error)
{
  GstElement *src, *parse = NULL, *pay, *last;
  const GstP2pCodec *codec;
  GstWebRTCRTPTransceiver *trans;
  GstPad *srcpad, *sinkpad;
  gchar *name;
  gboolean ok;

  if (!(trans = configure_transceiver (self, b))) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "webrtcbin has no transceiver for media section %u", b->mline);
    return FALSE;
  }

  codec = gst_p2p_codec_find (b->caps);
  g_assert (codec != NULL);
  if (!(pay = gst_p2p_codec_make_payloader (codec, error))) {
    gst_object_unref (trans);
    return FALSE;
  }
  if (codec->parser && !(parse = gst_p2p_codec_make_parser (codec, error))) {
    gst_object_unref (gst_object_ref_sink (pay));
    gst_object_unref (trans);
    return FALSE;
  }
  src = gst_element_factory_make ("appsrc", NULL);
  g_object_set (src, "format", GST_FORMAT_TIME, "is-live", TRUE,
      "caps", b->caps, "max-bytes", (guint64) WHEP_APPSRC_MAX_BYTES,
      "block", FALSE, NULL);
  gst_app_src_set_leaky_type (GST_APP_SRC (src), GST_APP_LEAKY_TYPE_DOWNSTREAM);
  /* The browser's payload type; the rest as p2psink pays (parameter sets
   * with every keyframe, payloads a browser takes). */
  g_object_set (pay, "pt", (guint) b->pt, NULL);

  if (self->funcs->request_keyframe && g_str_equal (b->codec->media, "video")) {
    srcpad = gst_element_get_static_pad (src, "src");
    /* The session outlives its pipeline's streaming threads. */
    gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        forward_keyframe_request, self, NULL);
    gst_object_unref (srcpad);
  }
  gst_bin_add_many (GST_BIN (self->pipeline), src, pay, NULL);
  last = src;
  if (parse) {
    gst_bin_add (GST_BIN (self->pipeline), parse);
    gst_element_link (src, parse);
    last = parse;
  }
  ok = gst_element_link (last, pay);
  name = g_strdup_printf ("sink_%u", b->mline);
  sinkpad = gst_element_request_pad_simple (self->webrtc, name);
  g_free (name);
  srcpad = gst_element_get_static_pad (pay, "src");
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      drop_profile, NULL, NULL);
  ok = ok && sinkpad && gst_pad_link (srcpad, sinkpad) == GST_PAD_LINK_OK;
  if (ok) {
    GstWebRTCRTPTransceiver *padtrans = NULL;

    g_object_get (sinkpad, "transceiver", &padtrans, NULL);
    ok = padtrans == trans;
    gst_clear_object (&padtrans);
  }
  gst_object_unref (srcpad);
  if (sinkpad)
    gst_object_unref (sinkpad);
  gst_object_unref (trans);
  if (!ok) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "%s cannot feed webrtcbin's media section %u", codec->payloader,
        b->mline);
    return FALSE;
  }
  if (parse)
    gst_element_sync_state_with_parent (parse);
  gst_element_sync_state_with_parent (pay);
  gst_element_sync_state_with_parent (src);
  b->appsrc = GST_APP_SRC (gst_object_ref (src));
  return TRUE;
}

static void
on_sink_caps (GObject * pad, GParamSpec * pspec, gpointer user_data);

/* The second answer, once every branch's caps are on its webrtcbin sink
 * pad. The appsrc pushes its caps from its own streaming thread: an
 * answer made before they arrive has no SSRC or msid for the media
 * section, webrtcbin never pairs the pad with it ("changing msid" is never
 * logged) and the browser never sees the stream. The wait is bounded by
 * the session's timeout. */
static void
answer_when_caps (P2pWhepSession * self, GstPromise * unused)
{
  gboolean all = TRUE;
  guint i;

  if (!self->task || self->answering || !self->webrtc)
    return;
  for (i = 0; i < self->branches->len; i++) {
    WhepBranch *b = &g_array_index (self->branches, WhepBranch, i);
    gchar *name = g_strdup_printf ("sink_%u", b->mline);
    GstPad *pad = gst_element_get_static_pad (self->webrtc, name);

    g_free (name);
    if (!pad)
      continue;
    if (!gst_pad_has_current_caps (pad)) {
      /* Once per pad, and checked again: caps that came in between are
       * not missed. */
      if (!g_signal_handler_find (pad, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
              self))
        g_signal_connect_object (pad, "notify::caps",
            G_CALLBACK (on_sink_caps), self, 0);
      if (!gst_pad_has_current_caps (pad))
        all = FALSE;
    }
    gst_object_unref (pad);
  }
  if (!all)
    return;
  GST_DEBUG ("session %s: caps on every sink pad, answering", self->id);
  self->answering = TRUE;
  emit_then (self, "create-answer", NULL, on_answer_created);
}

static void
on_sink_caps (GObject * pad, GParamSpec * pspec, gpointer user_data)
{
  step_schedule (user_data, answer_when_caps, NULL);
}

/* webrtcbin 1.22 pairs a media section of a remote offer with a
 * transceiver of its own only while it answers: a first answer, never
 * applied, makes the transceivers; the branches then feed them, and the
 * second answer sends. */
static void
on_transceivers_made (P2pWhepSession * self, GstPromise * promise)
{
  GError *err = NULL;
  guint i;

  if (promise_failed (self, promise, "pair the offer with transceivers"))
    return;

  for (i = 0; i < self->branches->len; i++) {
    if (!add_branch (self, &g_array_index (self->branches, WhepBranch, i),
            &err)) {
      fail (self, P2P_WHEP_ERROR_NEGOTIATION, "Cannot send the stream: %s",
          err->message);
      g_error_free (err);
      return;
    }
  }
  answer_when_caps (self, NULL);
}

static void
on_remote_set (P2pWhepSession * self, GstPromise * promise)
{
  if (promise_failed (self, promise, "apply the offer"))
    return;
  emit_then (self, "create-answer", NULL, on_transceivers_made);
}

static void
closed_in_context (P2pWhepSession * self, GstPromise * unused)
{
  if (self->closed || !self->pipeline)
    return;
  self->closed = TRUE;
  fail (self, P2P_WHEP_ERROR_NEGOTIATION, "The connection to the viewer "
      "failed before the answer was sent");
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
on_gathering_state (GObject * webrtc, GParamSpec * pspec, gpointer user_data)
{
  step_schedule (user_data, finish_if_gathered, NULL);
}

static void
on_connection_state (GObject * webrtc, GParamSpec * pspec, gpointer user_data)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  GST_INFO ("session %s: connection state %d",
      P2P_WHEP_SESSION (user_data)->id, state);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED
      || state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
    step_schedule (user_data, closed_in_context, NULL);
}

/* ICE on one address only: a gateway that must not show its other
 * interfaces to browsers, and tests that stay on loopback. */
static gboolean
restrict_ice (P2pWhepSession * self, GError ** error)
{
  GstObject *ice = NULL;
  NiceAgent *agent = NULL;
  NiceAddress addr;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp"))
    g_object_set (ice, "ice-tcp", FALSE, NULL);
  if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent) {
    /* libnice would look for a UPnP router (SSDP multicast on every
     * interface) to map ports: browsers reach the gateway directly.
     * Keep-alives that need an answer: a viewer that vanished without a
     * DELETE fails ICE, and its session ends, instead of being fed
     * forever. */
    g_object_set (agent, "upnp", FALSE, "keepalive-conncheck", TRUE, NULL);
  }
  if (self->ice_address) {
    nice_address_init (&addr);
    if (!agent || !nice_address_set_from_string (&addr, self->ice_address)
        || !nice_agent_add_local_address (agent, &addr)) {
      g_set_error (error, P2P_WHEP_ERROR, P2P_WHEP_ERROR_NEGOTIATION,
          "ICE cannot be limited to address '%s'", self->ice_address);
      g_clear_object (&agent);
      gst_clear_object (&ice);
      return FALSE;
    }
  }
  g_clear_object (&agent);
  gst_clear_object (&ice);
  return TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  P2pWhepSession *self = user_data;

  g_clear_pointer (&self->timeout, g_source_unref);
  fail (self, P2P_WHEP_ERROR_TIMEOUT, "No answer within the time limit "
      "(the camera's caps or ICE gathering did not arrive)");
  return G_SOURCE_REMOVE;
}

/**
 * p2p_whep_session_answer_async:
 * @session: a session with an offer and its codecs chosen
 * @timeout_ms: the longest the answer may take
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the thread-default #GMainContext of this call
 * @user_data: for @callback
 *
 * Starts the session's pipeline, answers the offer with every local ICE
 * candidate in the answer (WHEP without trickle), and then lets the
 * camera's streams flow.
 *
 * Since: 0.2
 */
void
p2p_whep_session_answer_async (P2pWhepSession * session, guint timeout_ms,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GstWebRTCSessionDescription *offer;
  GstSDPMessage *copy;
  GError *err = NULL;

  g_return_if_fail (P2P_IS_WHEP_SESSION (session));
  g_return_if_fail (session->offer != NULL && session->task == NULL);
  g_return_if_fail (session->pipeline == NULL);

  session->task = g_task_new (session, cancellable, callback, user_data);
  g_task_set_source_tag (session->task, p2p_whep_session_answer_async);
  session->context = g_main_context_ref_thread_default ();

  session->pipeline = gst_pipeline_new (session->id);
  session->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  if (!session->webrtc) {
    fail (session, P2P_WHEP_ERROR_NEGOTIATION, "The 'webrtcbin' element is "
        "not installed (gstreamer1.0-plugins-bad, gstreamer1.0-nice)");
    return;
  }
  gst_bin_add (GST_BIN (session->pipeline), session->webrtc);
  g_object_set (session->webrtc, "bundle-policy",
      GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  if (!restrict_ice (session, &err)) {
    fail (session, err->code, "%s", err->message);
    g_error_free (err);
    return;
  }
  g_signal_connect_object (session->webrtc, "notify::ice-gathering-state",
      G_CALLBACK (on_gathering_state), session, 0);
  g_signal_connect_object (session->webrtc, "notify::connection-state",
      G_CALLBACK (on_connection_state), session, 0);
  if (gst_element_set_state (session->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    fail (session, P2P_WHEP_ERROR_NEGOTIATION, "webrtcbin did not start");
    return;
  }

  session->timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (session->timeout, on_timeout, session, NULL);
  g_source_attach (session->timeout, session->context);

  gst_sdp_message_copy (session->offer, &copy);
  offer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, copy);
  emit_then (session, "set-remote-description", offer, on_remote_set);
  gst_webrtc_session_description_free (offer);
}

/**
 * p2p_whep_session_answer_finish:
 * @session: a session
 * @result: the result given to the callback
 * @error: a #P2P_WHEP_ERROR error
 *
 * Returns: (transfer full) (nullable): the SDP answer
 *
 * Since: 0.2
 */
gchar *
p2p_whep_session_answer_finish (P2pWhepSession * session,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, session), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * p2p_whep_session_stop:
 * @session: a session
 *
 * Ends the session: the camera stops pushing into it and its pipeline
 * stops. Safe to call more than once.
 *
 * Since: 0.2
 */
void
p2p_whep_session_stop (P2pWhepSession * session)
{
  guint i;

  g_return_if_fail (P2P_IS_WHEP_SESSION (session));

  if (session->task) {
    g_task_return_new_error (session->task, P2P_WHEP_ERROR,
        P2P_WHEP_ERROR_NEGOTIATION, "The session was stopped");
    g_clear_object (&session->task);
  }
  if (session->timeout) {
    g_source_destroy (session->timeout);
    g_clear_pointer (&session->timeout, g_source_unref);
  }
  for (i = 0; i < session->branches->len; i++) {
    WhepBranch *b = &g_array_index (session->branches, WhepBranch, i);

    if (b->attached)
      session->funcs->detach (session->camera, b->appsrc);
    b->attached = FALSE;
  }
  if (session->pipeline) {
    if (session->webrtc)
      g_signal_handlers_disconnect_by_data (session->webrtc, session);
    gst_element_set_state (session->pipeline, GST_STATE_NULL);
    gst_clear_object (&session->pipeline);
    session->webrtc = NULL;
  }
}
