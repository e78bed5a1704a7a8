/* p2p-gateway: restreams p2p cameras to RTSP and browser clients
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "p2p-gateway-media-factory.h"

#include <gst/app/gstappsink.h>
#include <gstp2pcodecs.h>

/* First payload type of streams whose codec has a dynamic one. */
#define DYNAMIC_PT 96

/* The back channel a client may send on: G.711 µ-law, which ONVIF
 * requires of every back channel and the camera's talk-back takes. */
#define BACKCHANNEL_CAPS "application/x-rtp, media=audio, payload=0, " \
  "clock-rate=8000, encoding-name=PCMU"

struct _P2pGatewayMediaFactory
{
  GstRTSPOnvifMediaFactory parent;

  P2pGatewayCamera *camera;
  guint timeout_ms;
};

G_DEFINE_TYPE (P2pGatewayMediaFactory, p2p_gateway_media_factory,
    GST_TYPE_RTSP_ONVIF_MEDIA_FACTORY);

/* The back channel's bin, which GstRTSPOnvifMedia moves into a
 * GstRTSPLatencyBin. Two faults of that bin in gst-rtsp-server 1.22 are
 * undone here:
 * - gst_rtsp_latency_bin_message_handler() never frees the LATENCY
 *   messages it is handed: our sink's (posted on READY->PAUSED and on
 *   preroll) end here instead, as the latency bin recalculates on
 *   PAUSED->PLAYING anyway;
 * - gst_rtsp_latency_bin_add_element() takes a reference on the element
 *   it wraps that the latency bin never drops, which would keep this bin
 *   and the talk-back branch in it for good: once the latency bin is
 *   gone and this bin unparented, a reference beyond our own can only
 *   be that one (the pipeline flushed its bus when it went to NULL). */
typedef struct
{
  GstBin parent;

  gboolean watched;             /* a latency bin's end is watched */
} BackchannelBin;

typedef GstBinClass BackchannelBinClass;

static GType backchannel_bin_get_type (void);
G_DEFINE_TYPE (BackchannelBin, backchannel_bin, GST_TYPE_BIN);

static void
backchannel_bin_handle_message (GstBin * bin, GstMessage * message)
{
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_LATENCY)
    gst_message_unref (message);
  else
    GST_BIN_CLASS (backchannel_bin_parent_class)->handle_message (bin, message);
}

/* Weak notify of the latency bin, which has unparented @data (holding
 * the reference taken when it was parented). */
static void
backchannel_bin_latency_bin_gone (gpointer data, GObject * latency_bin)
{
  GstObject *bin = data;

  if (GST_OBJECT_PARENT (bin) == NULL && GST_OBJECT_REFCOUNT_VALUE (bin) == 2)
    gst_object_unref (bin);
  gst_object_unref (bin);
}

static void
backchannel_bin_parent_set (GObject * object, GParamSpec * pspec, gpointer data)
{
  BackchannelBin *self = (BackchannelBin *) object;
  GstObject *parent = gst_object_get_parent (GST_OBJECT (object));

  if (parent && !self->watched
      && g_strcmp0 (G_OBJECT_TYPE_NAME (parent), "GstRTSPLatencyBin") == 0) {
    self->watched = TRUE;
    g_object_weak_ref (G_OBJECT (parent), backchannel_bin_latency_bin_gone,
        gst_object_ref (object));
  }
  g_clear_object (&parent);
}

static void
backchannel_bin_class_init (BackchannelBinClass * klass)
{
  GST_BIN_CLASS (klass)->handle_message = backchannel_bin_handle_message;
}

static void
backchannel_bin_init (BackchannelBin * bin)
{
  g_signal_connect (bin, "notify::parent",
      G_CALLBACK (backchannel_bin_parent_set), NULL);
}

/* What one media holds of the camera: an acquisition and the appsrcs
 * attached to its hub. Finished when the media is unprepared, or at the
 * latest when its element goes. */
typedef struct
{
  P2pGatewayCamera *camera;
  GPtrArray *appsrcs;           /* GstAppSrc, with the stream number as
                                 * "p2p-gateway-stream" data */
  gboolean attached;
  gboolean finished;
} MediaClient;

static void
media_client_finish (MediaClient * client)
{
  guint i;

  if (client->finished)
    return;
  client->finished = TRUE;
  for (i = 0; client->attached && i < client->appsrcs->len; i++)
    p2p_gateway_camera_detach (client->camera,
        g_ptr_array_index (client->appsrcs, i));
  p2p_gateway_camera_release (client->camera);
}

static void
media_client_free (MediaClient * client)
{
  media_client_finish (client);
  g_ptr_array_unref (client->appsrcs);
  g_object_unref (client->camera);
  g_free (client);
}

/* Adds appsrc ! [parser !] payloader for @caps as stream @n of @bin. */
static gboolean
add_stream (GstBin * bin, MediaClient * client, guint index, guint n,
    GstCaps * caps, guint8 * used_pts, GError ** error)
{
  const GstP2pCodec *codec = gst_p2p_codec_find (caps);
  GstElement *appsrc, *parse = NULL, *pay;
  gchar *name;
  guint pt;

  if (!codec) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND,
        "no RTP payloader for %" GST_PTR_FORMAT, caps);
    return FALSE;
  }
  if (codec->parser && !(parse = gst_p2p_codec_make_parser (codec, error)))
    return FALSE;
  if (!(pay = gst_p2p_codec_make_payloader (codec, error))) {
    if (parse)
      gst_object_unref (gst_object_ref_sink (parse));
    return FALSE;
  }
  /* Two streams of one dynamic type (two video streams) must differ. */
  pt = codec->pt;
  while (pt >= DYNAMIC_PT && pt < 128 && used_pts[pt])
    pt = pt == 127 ? DYNAMIC_PT : pt + 1;
  used_pts[pt] = TRUE;
  name = g_strdup_printf ("pay%u", n);
  gst_object_set_name (GST_OBJECT (pay), name);
  g_free (name);
  /* RTSP clients are not p2p viewers: the usual Ethernet-sized packets. */
  g_object_set (pay, "pt", pt, "mtu", 1400, NULL);

  appsrc = gst_element_factory_make ("appsrc", NULL);
  gst_app_src_set_caps (GST_APP_SRC (appsrc), caps);
  g_object_set_data (G_OBJECT (appsrc), "p2p-gateway-stream",
      GUINT_TO_POINTER (index));
  gst_bin_add_many (bin, appsrc, pay, NULL);
  if (parse) {
    gst_bin_add (bin, parse);
    gst_element_link_many (appsrc, parse, pay, NULL);
  } else {
    gst_element_link (appsrc, pay);
  }
  g_ptr_array_add (client->appsrcs, gst_object_ref (appsrc));
  return TRUE;
}

static GstFlowReturn
on_talk_sample (GstAppSink * appsink, gpointer data)
{
  MediaClient *client = data;
  GstSample *sample = gst_app_sink_pull_sample (appsink);

  if (!sample)
    return GST_FLOW_EOS;
  if (!client->finished)
    p2p_gateway_camera_talk (client->camera, sample);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* The ONVIF back channel as GstRTSPOnvifMedia looks for it: a bin named
 * `onvif-backchannel` whose `sink` ghost pad leads to an element named
 * `depay_backchannel`, whose sink caps are what the SDP offers the client
 * (a capsfilter stating them exactly, in front of the depayloader); its
 * audio goes to the camera. */
static GstElement *
make_backchannel (MediaClient * client)
{
  GstAppSinkCallbacks callbacks = { NULL, NULL, on_talk_sample };
  GstElement *bin, *filter, *depay, *sink;
  GstCaps *caps;
  GstPad *pad;

  depay = gst_element_factory_make ("rtppcmudepay", NULL);
  if (!depay) {
    g_warning ("talk-back needs rtppcmudepay (gst-plugins-good)");
    return NULL;
  }
  bin = g_object_new (backchannel_bin_get_type (), "name",
      "onvif-backchannel", NULL);
  filter = gst_element_factory_make ("capsfilter", "depay_backchannel");
  caps = gst_caps_from_string (BACKCHANNEL_CAPS);
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  sink = gst_element_factory_make ("appsink", NULL);
  /* Not prerolling: the media must prepare before the client sends. */
  g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", 50,
      "drop", TRUE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, client, NULL);
  gst_bin_add_many (GST_BIN (bin), filter, depay, sink, NULL);
  gst_element_link_many (filter, depay, sink, NULL);
  pad = gst_element_get_static_pad (filter, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  gst_object_unref (pad);
  return bin;
}

static GstElement *
p2p_gateway_media_factory_create_element (GstRTSPMediaFactory * factory,
    const GstRTSPUrl * url)
{
  P2pGatewayMediaFactory *self = P2P_GATEWAY_MEDIA_FACTORY (factory);
  const gchar *name = p2p_gateway_camera_get_name (self->camera);
  guint8 used_pts[128] = { 0 };
  MediaClient *client;
  GError *err = NULL;
  GPtrArray *streams;
  GstElement *bin;
  guint i, n = 0;

  /* Blocks this client's thread (the server has a pool) until the
   * camera's streams are known: the SDP needs them. */
  p2p_gateway_camera_acquire (self->camera);
  streams = p2p_gateway_camera_wait_streams (self->camera, self->timeout_ms,
      &err);
  if (!streams) {
    g_warning ("%s", err->message);
    g_error_free (err);
    p2p_gateway_camera_release (self->camera);
    return NULL;
  }

  bin = gst_bin_new (name);
  client = g_new0 (MediaClient, 1);
  client->camera = g_object_ref (self->camera);
  client->appsrcs = g_ptr_array_new_with_free_func (gst_object_unref);
  g_object_set_data_full (G_OBJECT (bin), "p2p-gateway-client", client,
      (GDestroyNotify) media_client_free);
  for (i = 0; i < streams->len; i++) {
    if (add_stream (GST_BIN (bin), client, i, n, g_ptr_array_index (streams,
                i), used_pts, &err)) {
      n++;
    } else {
      g_warning ("camera %s, stream %u: %s", name, i, err->message);
      g_clear_error (&err);
    }
  }
  g_ptr_array_unref (streams);
  if (n == 0) {
    gst_object_unref (gst_object_ref_sink (bin));
    return NULL;
  }
  if (gst_rtsp_onvif_media_factory_requires_backchannel (factory,
          gst_rtsp_context_get_current ())) {
    GstElement *backchannel = make_backchannel (client);

    if (!backchannel) {
      gst_object_unref (gst_object_ref_sink (bin));
      return NULL;
    }
    gst_bin_add (GST_BIN (bin), backchannel);
  }
  return bin;
}

static void
on_unprepared (GstRTSPMedia * media, MediaClient * client)
{
  media_client_finish (client);
}

static void
p2p_gateway_media_factory_configure (GstRTSPMediaFactory * factory,
    GstRTSPMedia * media)
{
  GstElement *element = gst_rtsp_media_get_element (media);
  MediaClient *client = g_object_get_data (G_OBJECT (element),
      "p2p-gateway-client");
  guint i;

  GST_RTSP_MEDIA_FACTORY_CLASS (p2p_gateway_media_factory_parent_class)
      ->configure (factory, media);
  if (client) {
    for (i = 0; i < client->appsrcs->len; i++) {
      GstAppSrc *appsrc = g_ptr_array_index (client->appsrcs, i);
      GError *err = NULL;

      if (!p2p_gateway_camera_attach (client->camera,
              GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (appsrc),
                      "p2p-gateway-stream")), appsrc, &err)) {
        g_warning ("%s", err->message);
        g_error_free (err);
      }
    }
    client->attached = TRUE;
    g_signal_connect (media, "unprepared", G_CALLBACK (on_unprepared), client);
  }
  gst_object_unref (element);
}

/* Every camera may take talk-back; one that refuses says so to the
 * gateway (logged), not to the RTSP client. */
static gboolean
p2p_gateway_media_factory_has_backchannel_support (GstRTSPOnvifMediaFactory *
    factory)
{
  return TRUE;
}

static void
p2p_gateway_media_factory_finalize (GObject * object)
{
  P2pGatewayMediaFactory *self = P2P_GATEWAY_MEDIA_FACTORY (object);

  g_object_unref (self->camera);
  G_OBJECT_CLASS (p2p_gateway_media_factory_parent_class)->finalize (object);
}

static void
p2p_gateway_media_factory_init (P2pGatewayMediaFactory * self)
{
}

static void
p2p_gateway_media_factory_class_init (P2pGatewayMediaFactoryClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstRTSPMediaFactoryClass *factory_class =
      GST_RTSP_MEDIA_FACTORY_CLASS (klass);
  GstRTSPOnvifMediaFactoryClass *onvif_class =
      GST_RTSP_ONVIF_MEDIA_FACTORY_CLASS (klass);

  gobject_class->finalize = p2p_gateway_media_factory_finalize;
  onvif_class->has_backchannel_support =
      p2p_gateway_media_factory_has_backchannel_support;
  factory_class->create_element = p2p_gateway_media_factory_create_element;
  factory_class->configure = p2p_gateway_media_factory_configure;
}

/**
 * p2p_gateway_media_factory_new:
 * @camera: the camera to serve
 * @timeout_ms: how long a DESCRIBE waits for the camera's streams
 *
 * Returns: (transfer full): a live media factory for @camera, one media
 *     per client, on the system clock (the camera hub's)
 *
 * Since: 0.2
 */
GstRTSPMediaFactory *
p2p_gateway_media_factory_new (P2pGatewayCamera * camera, guint timeout_ms)
{
  P2pGatewayMediaFactory *self;
  GstClock *clock;

  g_return_val_if_fail (P2P_GATEWAY_IS_CAMERA (camera), NULL);

  self = g_object_new (P2P_GATEWAY_TYPE_MEDIA_FACTORY, NULL);
  self->camera = g_object_ref (camera);
  self->timeout_ms = timeout_ms;
  gst_rtsp_media_factory_set_media_gtype (GST_RTSP_MEDIA_FACTORY (self),
      GST_TYPE_RTSP_ONVIF_MEDIA);
  /* One media per client, each fed by the camera object (which the
   * clients share, as they share its p2p session). A shared media stays
   * in the factory's cache while a client that left without TEARDOWN has
   * it unprepared outside the media's lock: gst-rtsp-server 1.22 hands it
   * to a client connecting meanwhile, fails to prepare it again ("media
   * was not unprepared", "can not reuse media") and answers 503. */
  gst_rtsp_media_factory_set_shared (GST_RTSP_MEDIA_FACTORY (self), FALSE);
  gst_rtsp_media_factory_set_stop_on_disconnect (GST_RTSP_MEDIA_FACTORY
      (self), TRUE);
  /* A camera is live: an idle media is not kept paused, it is let go so
   * that the camera's linger time decides. */
  gst_rtsp_media_factory_set_suspend_mode (GST_RTSP_MEDIA_FACTORY (self),
      GST_RTSP_SUSPEND_MODE_NONE);
  clock = gst_system_clock_obtain ();
  gst_rtsp_media_factory_set_clock (GST_RTSP_MEDIA_FACTORY (self), clock);
  gst_object_unref (clock);
  return GST_RTSP_MEDIA_FACTORY (self);
}
