/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What p2psrc's files share: the element's instance and the functions one
 * part of it offers the others (gstp2psrc.c the element, gstp2psrcmedia.c
 * its rtpbin and pads, gstp2psrcsession.c its P2pViewerSession). */

#pragma once

#include "gstp2psrc.h"

#include <gst/sdp/sdp.h>
#include <p2p-core/p2p-known-cameras.h>
#include <p2p-core/p2p-loop.h>
#include <p2p-core/p2p-message-router.h>
#include <p2p-core/p2p-viewer-session.h>

typedef struct
{
  GstP2pSrc *src;
  gchar *kind;                  /* "video" or "audio" */
  guint index;                  /* of the pad name */
  GstPad *ghost;
  GstElement *depay;            /* NULL until the stream's first packet */
  guint32 ssrc;
  /* This pad's own stream: its id and GstStream replace the stream-start
   * that rtpbin gives every stream of the session alike. */
  gchar *stream_id;
  GstStream *stream;
  /* Ended by an EOS before its first packet; object lock. */
  gboolean ended;
} SrcStream;

struct _GstP2pSrc
{
  GstBin parent;

  /* Properties, object lock. */
  gchar *uid;
  gchar *server;
  gchar *password;
  gchar *device_fingerprint;
  gchar *known_cameras_file;    /* NULL: the per-user file; "": none */
  gchar *tls_ca_file;
  guint latency;
  gboolean own_jitter_buffer;
  gboolean reconnect;
  guint timeout;
  guint login_timeout;           /* ms, the signalling client's */
  gint layer;                   /* asked of the camera, -1: its choice */
  gchar *stun_server;
  gchar *turn_server;

  GstElement *rtpbin;
  GstElement *rtp_src;
  GstElement *rtcp_appsrc;
  GstElement *rtcp_sink;
  GstElement *rtx_receive;
  /* Talk-back: the request pad, its payloader, and whether this call's
   * answer lets us send (atomic). */
  GstPad *talkback;
  GstElement *talkback_pay;
  gint talk_allowed;
  /* The camera's RTCP also goes to the talk-back session (its NACKs);
   * set once, then read on the network thread. */
  GstElement *talkback_rtcp;

  /* NULL→READY to READY→NULL. */
  P2pLoop *loop;
  gchar **servers;
  gboolean allow_insecure;
  GTlsDatabase *tls_database;   /* tls-ca-file's; NULL: the system's */
  P2pSignaller *user_signaller; /* the 'signaller' property */
  gboolean lan;
  gboolean port_mapping;        /* port-mapping, under the object lock */
  P2pKnownCameras *known;       /* NULL when trust on first use is off */
  /* A configuration property changed after NULL→READY read them. */
  gboolean config_dirty;

  /* The calls to the camera, from READY→PAUSED to PAUSED→READY: set on
   * the loop thread, under the object lock for other threads. */
  P2pViewerSession *session;
  /* The camera's messages once admitted, by type; routes set in init. */
  P2pMessageRouter *router;

  /* Streaming threads and loop thread; object lock. */
  GHashTable *pt_caps;          /* pt → GstCaps */
  GPtrArray *streams;           /* SrcStream */
  gboolean no_more_pads;
  gint64 first_buffer_time;
  /* Times the jitter buffers paused their retransmission requests
   * (gstp2prtxpause.c); atomic. */
  gint rtx_pauses;
};

/* gstp2psrcuri.c */
void gst_p2p_src_uri_handler_init (gpointer g_iface, gpointer iface_data);

/* gstp2psrcmedia.c: streaming threads and the loop thread. */
gboolean gst_p2p_src_media_init (GstP2pSrc * self);
void gst_p2p_src_stream_free (SrcStream * stream);
gboolean gst_p2p_src_learn_media (GstP2pSrc * self, const GstSDPMessage * sdp);
gboolean gst_p2p_src_talkback_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
void gst_p2p_src_remove_pads (GstP2pSrc * self);
void gst_p2p_src_drain (GstP2pSrc * self, GstEvent * event);

/* gstp2psrcsession.c */
P2pViewerSession *gst_p2p_src_ref_session (GstP2pSrc * self);
gboolean gst_p2p_src_start (gpointer data);
gboolean gst_p2p_src_stop (gpointer data);
GstStructure *gst_p2p_src_get_stats (GstP2pSrc * self);
