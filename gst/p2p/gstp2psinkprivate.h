/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What p2psink's files share: the element's instance and the functions one
 * part offers the others (gstp2psink.c the element, gstp2psinkstreams.c
 * its request pads and their payloading into the fan-out,
 * gstp2psinkviewers.c its calls, one P2pCameraSession per viewer,
 * gstp2psinklayers.c which video layer each viewer gets,
 * gstp2psinkencoder.c the encoder's bitrate fitted to the slowest). */

#pragma once

#include "gstp2psink.h"
#include "gstp2pcodecs.h"
#include "gstp2pfanout.h"
#include "gstp2psenderreport.h"
#include "gstp2ptalkback.h"

#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>
#include <p2p-core/p2p-auth-backoff.h>
#include <p2p-core/p2p-camera-session.h>
#include <p2p-core/p2p-identity.h>
#include <p2p-core/p2p-loop.h>
#include <p2p-core/p2p-message-router.h>
#include <p2p-core/p2p-password-verifier.h>
#include <p2p-core/p2p-signaller.h>
#include <p2p-core/p2p-signalling.h>

enum
{
  SIGNAL_COMMAND,
  SIGNAL_REPLY,
  SIGNAL_SEND_EVENT,
  SIGNAL_SET_LAYER,
  N_SIGNALS
};

extern guint gst_p2p_sink_signals[N_SIGNALS];

typedef GstP2pFanoutStream StreamIndex;
#define STREAM_VIDEO GST_P2P_FANOUT_VIDEO
#define STREAM_AUDIO GST_P2P_FANOUT_AUDIO
#define N_STREAMS GST_P2P_FANOUT_N_STREAMS

typedef struct
{
  GstP2pSink *sink;
  StreamIndex index;
  GstPad *ghost;
  GstPad *rtp_src;              /* the payloader's src pad */
  GstElement *packet_sink;
  /* Its sender reports, on the streaming thread. */
  GstP2pSenderReport *report;
  /* The last report had a BYE, and nothing was sent since (streaming
   * thread; read once it stopped). */
  gboolean said_bye;

  /* Set once on the streaming thread under the object lock. */
  GstElement *payloader;
  GstElement *parser;
  const GstP2pCodec *codec;
  GstCaps *rtp_caps;
} Stream;

struct _GstP2pSink
{
  GstBin parent;

  /* Properties, object lock. */
  gchar *uid;
  gchar *key_file;
  gchar *server;
  gchar *server_id;
  gchar *tls_ca_file;
  gchar *password_file;
  gchar *password;              /* until NULL→READY makes the verifier */
  guint max_viewers;
  guint command_rate;
  gboolean talkback_enabled;
  gchar *stun_server;
  gchar *turn_server;

  /* Talk-back's receive session; the streams do without. */
  GstElement *rtpbin;
  Stream *streams[N_STREAMS];
  /* The streams' RTCP canonical name: one, so viewers play them in sync. */
  gchar *cname;
  /* Every video layer's payloader starts its RTP timestamps here, so that
   * the same frame has the same timestamp in every layer. */
  guint32 video_ts_offset;

  /* Set in NULL→READY, cleared in READY→NULL. */
  P2pLoop *loop;
  P2pIdentity *identity;
  P2pPasswordVerifier *verifier;
  gchar **servers;
  gchar **server_ids;           /* NULL: each server's URI host */
  gboolean allow_insecure;
  GTlsDatabase *tls_database;   /* tls-ca-file's; NULL: the system's */
  /* A configuration property changed after NULL→READY read them. */
  gboolean config_dirty;

  /* Failed logins per viewer address; kept for the element's lifetime so
   * that restarting the pipeline does not reset it. */
  P2pAuthBackoff *backoff;

  /* The application's signaller (property), and whether the camera also
   * answers on the local network; read in NULL→READY. */
  P2pSignaller *user_signaller;
  gboolean lan;
  gboolean port_mapping;        /* port-mapping, under the object lock */

  /* Loop thread only. The signaller calls come through (the
   * application's, or the server's and the local network's together) and
   * the server client within it, if any. */
  P2pSignaller *signaller;
  P2pSignalling *signalling;
  gboolean registered;
  gboolean warned_unreachable;
  gboolean warned_wrong_server;
  GHashTable *viewers;          /* call → P2pCameraSession */
  guint next_serial;
  GSource *stats_timer;

  /* Admitted viewers (sessions, each holding a reference). */
  GstP2pFanout *fanout;
  /* The admitted viewers' messages by type; routes set in init. */
  P2pMessageRouter *router;
  /* The talking viewer's audio to the talkback pad. */
  GstP2pTalkback *talkback;

  /* Encoder rate control (gstp2psinkencoder.c): the properties, under the
   * object lock; the encoder's configured rate (the ceiling) and the last
   * one applied, in bits per second, on the loop thread. */
  gchar *encoder_name;
  guint64 min_bitrate;
  guint64 encoder_ceiling;
  guint64 encoder_applied;
  gboolean warned_encoder;
};

/* gstp2psinkstreams.c */
GstPad *gst_p2p_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
void gst_p2p_sink_release_pad (GstElement * element, GstPad * pad);
void gst_p2p_sink_stream_free (Stream * stream);
void gst_p2p_sink_streams_say_bye (GstP2pSink * self);
void gst_p2p_sink_request_keyframe (StreamIndex index, guint count,
    gint64 not_before, const gchar * why, gpointer user_data);
void gst_p2p_sink_send_packet (gpointer target, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data);
void gst_p2p_sink_send_packets (gpointer target, const guint8 * const *data,
    const gsize * sizes, guint n, gpointer user_data);
gboolean gst_p2p_sink_media_known (GstP2pSink * self, gboolean all);
GstSDPMessage *gst_p2p_sink_build_media (GstP2pSink * self);

/* gstp2psinkencoder.c: the loop thread. */
void gst_p2p_sink_drive_encoder (GstP2pSink * self);
void gst_p2p_sink_release_encoder (GstP2pSink * self);

/* gstp2psinkviewers.c: the loop thread, but for the action signals. */
gboolean gst_p2p_sink_start (gpointer data);
gboolean gst_p2p_sink_stop (gpointer data);
guint gst_p2p_sink_count_active (GstP2pSink * self);
gboolean gst_p2p_sink_start_pending_viewers (GstP2pSink * self);
void gst_p2p_sink_on_command (JsonObject * message, gpointer context,
    gpointer user_data);
gboolean gst_p2p_sink_reply (GstP2pSink * self, const gchar * viewer_id,
    guint64 request_id, gboolean ok, const gchar * payload);
guint gst_p2p_sink_send_event (GstP2pSink * self, const gchar * viewer_id,
    const gchar * name, const gchar * payload);
GstStructure *gst_p2p_sink_get_stats (GstP2pSink * self);

/* gstp2psinklayers.c */
void gst_p2p_sink_layer_changed (gpointer target, guint layer,
    gpointer user_data);
void gst_p2p_sink_layers_apart (guint from, guint to, gint32 apart,
    gpointer user_data);
gboolean gst_p2p_sink_set_layer (GstP2pSink * self, const gchar * viewer_id,
    gint layer);
void gst_p2p_sink_on_layer_request (JsonObject * message, gpointer context,
    gpointer user_data);
