/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-p2psrc
 * @title: p2psrc
 * @see_also: p2psink, rtpbin
 *
 * The viewer end of a peer-to-peer stream: connects to the camera with UID
 * #GstP2pSrc:uid through a p2p-server, checks that the camera's DTLS
 * certificate is the one registered for that UID (and, optionally, the
 * pinned #GstP2pSrc:device-fingerprint), proves #GstP2pSrc:password to the
 * camera end to end without sending it (and has the camera prove it too),
 * and outputs the camera's **encoded** streams on
 * sometimes pads `video_%u` and `audio_%u`, so decoders, parsers and muxers
 * can follow directly. The element signals no-more-pads once every stream
 * the camera offered has a pad.
 *
 * The stream goes through rtpbin: a jitter buffer of #GstP2pSrc:latency
 * milliseconds, retransmission requests (NACK, answered with RFC 4588
 * retransmission) and keyframe requests (PLI) when packets are lost for
 * good. p2psrc is a live source; its latency is the jitter buffer's.
 *
 * A lost path or a lost server is not an error: p2psrc posts a WARNING and
 * a `p2p-connection` message and connects again by itself (unless
 * #GstP2pSrc:reconnect is %FALSE). It posts an ERROR only for faults that
 * retrying cannot fix: an unknown or revoked UID, a wrong password, a
 * certificate that does not match the camera's, or, with reconnect off, no
 * connection within #GstP2pSrc:timeout.
 *
 * The element also handles `p2p://UID?server=URI&password=PASSWORD` URIs
 * (optional `fingerprint=`, `latency=`), so playbin, uridecodebin and
 * gst-play-1.0 can play a camera. Such a URI carries the password: where
 * command lines or logs are visible to others, set #GstP2pSrc:password on
 * the element instead (p2psrc itself never gives the password back, not
 * even in the URI it reports).
 *
 * ## Bus messages
 *
 * `p2p-connection` element messages with `uid`, `state` (`connecting`,
 * `connected`, `reconnecting`, `failed`), `mode` (`lan`, `direct`,
 * `relay`), `local-candidate-type`, `remote-candidate-type`, `rtt-ms` and,
 * for failures, `reason`.
 *
 * ## Talk-back, commands and events
 *
 * Encoded audio (Opus, PCMU, PCMA) linked to the `talkback` request pad goes
 * to the camera over the same session, when the camera takes talk-back; the
 * camera answers with `p2p-talkback` element messages (`state` `granted`,
 * `refused` with a `reason`, or `released`). Commands go with
 * #GstP2pSrc::send-command and come back with #GstP2pSrc::command-reply;
 * the camera's events arrive with #GstP2pSrc::event (docs/commands.md).
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 p2psrc uid=7KQ2-M9XD-4HPA-R3MJ server=wss://p2p.example.com \
 *     password=secret ! decodebin ! videoconvert ! autovideosink
 * ]| Watch a camera.
 * |[
 * gst-launch-1.0 -e p2psrc uid=7KQ2-M9XD-4HPA-R3MJ \
 *     server=wss://p2p.example.com password=secret ! h264parse ! \
 *     splitmuxsink location=cam-%05d.mp4 max-size-time=60000000000
 * ]| Record the camera's H.264 without re-encoding, one MP4 file a minute.
 * |[
 * gst-play-1.0 'p2p://7KQ2-M9XD-4HPA-R3MJ?server=wss://p2p.example.com&password=secret'
 * ]| Play a camera by URI.
 * |[
 * gst-launch-1.0 p2psrc name=src uid=7KQ2-M9XD-4HPA-R3MJ \
 *     server=wss://p2p.example.com password=secret ! decodebin ! \
 *     videoconvert ! autovideosink \
 *     autoaudiosrc ! audioconvert ! audioresample ! opusenc ! src.talkback
 * ]| Watch a doorbell and talk to the visitor.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psrc.h"
#include "gstp2pelements.h"
#include "gstp2pcodecs.h"
#include "gstp2pcommon.h"
#include "gstp2ppacketsink.h"
#include "gstp2ppacketsrc.h"
#include "gstp2psdp.h"

#include <stdio.h>
#include <string.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <p2p-core/p2p-command.h>
#include <p2p-core/p2p-known-cameras.h>
#include <p2p-core/p2p-message-router.h>
#include <p2p-core/p2p-viewer-session.h>

#define GST_CAT_DEFAULT gst_p2p_debug

#define DEFAULT_LATENCY 50
/* Shortest wait before a retransmission request is repeated, in ms. The
 * jitter buffer otherwise waits at least a frame interval (~33 ms at
 * 30 fps), which within a 50 ms latency leaves no second attempt, and a
 * lost NACK or a lost retransmission (each as likely as the loss itself)
 * then loses the packet for good. The measured round trip, when longer,
 * still sets the pace; this only keeps a LAN from being asked every
 * millisecond. */
#define RTX_MIN_RETRY_TIMEOUT_MS 10
/* RTCP budget of the viewer's session, in bits per second. RFC 4585 lets
 * a receiver send its next early feedback (NACK, PLI) only one regular
 * RTCP interval after the previous one, an interval derived from this
 * budget. rtpsession assumes a 64 kbit/s session until it re-estimates
 * the stream's rate, so for the first seconds every NACK after the first
 * waits ~0.5 s and arrives after the jitter buffer gave up. This is 5 %
 * of a 4 Mbit/s stream: ~8 ms between feedback packets. RTCP is only sent
 * this often while packets are being lost; receiver reports still go
 * every rtcp-min-interval. */
#define RTCP_FEEDBACK_BANDWIDTH 200000.0
#define DEFAULT_RECONNECT TRUE
#define DEFAULT_TIMEOUT 15000
/* Packets queued in front of rtpbin before the oldest are dropped, so the
 * network thread never blocks on a stalled pipeline. */
#define MAX_QUEUED_PACKETS 2048

enum
{
  PROP_0,
  PROP_UID,
  PROP_SERVER,
  PROP_PASSWORD,
  PROP_DEVICE_FINGERPRINT,
  PROP_KNOWN_CAMERAS_FILE,
  PROP_LATENCY,
  PROP_RECONNECT,
  PROP_TIMEOUT,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_STATS,
  PROP_SIGNALLER,
  PROP_LAN,
};

enum
{
  SIGNAL_SEND_COMMAND,
  SIGNAL_COMMAND_REPLY,
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  GstP2pSrc *src;
  gchar *kind;                  /* "video" or "audio" */
  guint index;                  /* of the pad name */
  GstPad *ghost;
  GstElement *depay;
  guint32 ssrc;
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
  guint latency;
  gboolean reconnect;
  guint timeout;
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
  P2pSignaller *user_signaller; /* the 'signaller' property */
  gboolean lan;
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
  guint n_media;                /* streams offered (without RTX) */
  GPtrArray *streams;           /* SrcStream */
  gboolean no_more_pads;
  gint64 first_buffer_time;
};

static void gst_p2p_src_uri_handler_init (gpointer g_iface,
    gpointer iface_data);
static void gst_p2p_src_finalize (GObject * object);
static GstPad *gst_p2p_src_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_p2p_src_release_pad (GstElement * element, GstPad * pad);
static void gst_p2p_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_p2p_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_p2p_src_change_state (GstElement * element,
    GstStateChange transition);
static guint64 gst_p2p_src_send_command (GstP2pSrc * self,
    const gchar * name, const gchar * payload);
static void src_on_camera_message (JsonObject * message, gpointer context,
    gpointer user_data);
static void src_on_talkback_message (JsonObject * message, gpointer context,
    gpointer user_data);
static gboolean src_learn_media (GstP2pSrc * self, const GstSDPMessage * sdp);

#define gst_p2p_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstP2pSrc, gst_p2p_src, GST_TYPE_BIN,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER, gst_p2p_src_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (p2psrc, "p2psrc", GST_RANK_PRIMARY,
    GST_TYPE_P2P_SRC, p2p_element_init (plugin));

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video_%u",
    GST_PAD_SRC,
    GST_PAD_SOMETIMES,
    GST_STATIC_CAPS (GST_P2P_VIDEO_CAPS));

static GstStaticPadTemplate audio_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u",
    GST_PAD_SRC,
    GST_PAD_SOMETIMES,
    GST_STATIC_CAPS (GST_P2P_AUDIO_CAPS));

static GstStaticPadTemplate talkback_template =
GST_STATIC_PAD_TEMPLATE ("talkback",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (GST_P2P_TALKBACK_CAPS));

static void
gst_p2p_src_class_init (GstP2pSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_p2p_src_finalize;
  gobject_class->set_property = gst_p2p_src_set_property;
  gobject_class->get_property = gst_p2p_src_get_property;

  /**
   * GstP2pSrc:uid:
   *
   * UID of the camera to watch. Required. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_UID,
      g_param_spec_string ("uid", "UID", "Camera UID (required)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:server:
   *
   * Rendezvous server URI, or a comma-separated list tried in order:
   * `wss://host[:port][/path]`; `ws://` only for a loopback host. Required.
   * Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_SERVER,
      g_param_spec_string ("server", "Server",
          "Signalling server URI(s), comma-separated (required)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:password:
   *
   * Password the camera asks for. It never leaves the viewer: p2psrc
   * proves it with SPAKE2+ bound to the DTLS session (docs/viewer-auth.md),
   * and refuses a camera that does not prove it knows the password, or
   * that claims to need none. Write-only. Default: none.
   */
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "Camera password (write-only)", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:device-fingerprint:
   *
   * Expected certificate fingerprint of the camera, `sha-256 AB:CD:…` (as
   * printed by `p2p-uid add`). When set, a camera whose certificate does
   * not match is refused even if the server vouches for it; it also wins
   * over #GstP2pSrc:known-cameras-file, and is remembered there after an
   * authenticated session (the way to accept a replaced camera). Default:
   * %NULL (trust the fingerprint remembered in
   * #GstP2pSrc:known-cameras-file, or on first use the one registered on
   * the server).
   */
  g_object_class_install_property (gobject_class, PROP_DEVICE_FINGERPRINT,
      g_param_spec_string ("device-fingerprint", "Device fingerprint",
          "Pinned camera certificate fingerprint (sha-256 AB:CD:...)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:known-cameras-file:
   *
   * Trust on first use: the file of camera certificates this viewer
   * trusts, one line per UID (`UID sha-256 AB:CD:…`). After the first
   * session in which a camera accepted the viewer's login, its certificate
   * fingerprint is stored here; later calls require exactly that
   * certificate (checked in the DTLS handshake, before anything is sent to
   * the camera), whatever the server vouches for. A different certificate
   * is refused with an ERROR naming both fingerprints: if the camera was
   * really replaced, delete its line from the file (or set
   * #GstP2pSrc:device-fingerprint to the new fingerprint once). Malformed
   * lines are reported in a WARNING and ignored. %NULL uses the per-user
   * file `$XDG_CONFIG_HOME/gst-p2p/known-cameras`
   * (`~/.config/gst-p2p/known-cameras`); an empty string turns trust on
   * first use off (every call then trusts the server's registry).
   * Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_KNOWN_CAMERAS_FILE,
      g_param_spec_string ("known-cameras-file", "Known cameras file",
          "File of trusted camera certificates per UID (trust on first "
          "use); NULL: per-user default, empty: off", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:latency:
   *
   * Jitter buffer size in milliseconds: time allowed for reordering and
   * retransmission. Every packet, the first keyframe included, is held
   * this long, so it adds directly to the time to first frame. The default
   * suits a live camera on a LAN or a short internet path, with loss too:
   * 5 % loss each way at 4 Mbit/s leaves over 99 % of frames decodable. A
   * lost packet is only repaired when the request and the retransmission
   * fit in it, and a second request (when the first or its answer is lost
   * too) waits another round trip, at least 10 ms; so on lossy paths with
   * round trips above ~20 ms, or any path above ~40 ms, raise it (200 is
   * rtpbin's own default). Default: 50.
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Jitter buffer size in milliseconds", 0, 10000, DEFAULT_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:reconnect:
   *
   * Whether to connect again after a transient fault (lost path, lost
   * server, camera offline or busy) instead of posting an error.
   * Default: %TRUE.
   */
  g_object_class_install_property (gobject_class, PROP_RECONNECT,
      g_param_spec_boolean ("reconnect", "Reconnect",
          "Reconnect after transient faults", DEFAULT_RECONNECT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstP2pSrc:timeout:
   *
   * Time allowed for one connection attempt, from the start to the first
   * authorized media, in milliseconds. When it runs out the attempt counts
   * as a transient fault (or, with #GstP2pSrc:reconnect off, an error).
   * Default: 15000.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Connection time-out in milliseconds", 100, 600000,
          DEFAULT_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:stun-server:
   *
   * Extra STUN server, `stun://host[:port]` (or `stun:host[:port]`), used
   * besides those the server hands out. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_STUN_SERVER,
      g_param_spec_string ("stun-server", "STUN server",
          "Extra STUN server (stun://host[:port])", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:turn-server:
   *
   * Extra TURN server, `turn(s)://user:password@host[:port]`, used besides
   * those the server hands out. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_TURN_SERVER,
      g_param_spec_string ("turn-server", "TURN server",
          "Extra TURN server (turn(s)://user:password@host[:port])", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:stats:
   *
   * A `p2psrc-stats` structure: `state` (`idle`, `calling`,
   * `negotiating`, `authorizing`, `playing`, `waiting`, `failed`), `mode`,
   * `local-candidate-type`, `remote-candidate-type`, `rtt-ms` (-1 unknown),
   * `packets-received`, `bytes-received`, `dropped-srtp`, `attempts`,
   * `connect-time-ms` (start to media authorized, -1 before) and
   * `first-buffer-ms` (start to the first buffer on a source pad, -1
   * before). Read-only.
   */
  /**
   * GstP2pSrc:signaller:
   *
   * The #P2pSignaller to call the camera through, from C or Python (a
   * #P2pDirectSignaller, the application's own): when set, 'server' and
   * 'lan' are not used. Authentication is the same whatever carries the
   * call. The element handles the signaller's signals on the default
   * #P2pLoop's thread: a signaller of the application's emits them from a
   * function run with p2p_loop_invoke() on p2p_loop_get_default() (p2p-core's
   * signallers made with a %NULL loop do). Default: %NULL (the server and
   * the local network).
   */
  g_object_class_install_property (gobject_class, PROP_SIGNALLER,
      g_param_spec_object ("signaller", "Signaller",
          "Signaller to call through instead of server and LAN",
          P2P_TYPE_SIGNALLER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:lan:
   *
   * Also look for the camera on the local network, at the same time as
   * through the server; the first to answer is used. Only with a
   * 'device-fingerprint', a remembered certificate or a 'password', since
   * the local network vouches for no certificate. 'server' is optional
   * when this is %TRUE. Default: %TRUE.
   */
  g_object_class_install_property (gobject_class, PROP_LAN,
      g_param_spec_boolean ("lan", "LAN",
          "Also look for the camera on the local network", TRUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics", "Connection statistics",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstP2pSrc::send-command:
   * @src: the element
   * @name: the command's name (1 to 64 letters, digits, `.`, `_`, `-`)
   * @payload: (nullable): its payload, UTF-8 text of at most 16 KiB (JSON by
   *     convention)
   *
   * Action signal: sends a command to the camera, which answers with
   * #GstP2pSrc::command-reply. Commands go in order over the session's
   * reliable message channel, and only once the camera has admitted this
   * viewer. Any thread.
   *
   * Returns: the request id (from 1), or 0 when the command was not sent:
   *     not admitted yet, or a name or payload breaking the rules (an
   *     element WARNING says which)
   *
   * Since: 0.2
   */
  signals[SIGNAL_SEND_COMMAND] = g_signal_new_class_handler ("send-command",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_p2p_src_send_command), NULL, NULL, NULL, G_TYPE_UINT64,
      2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstP2pSrc::command-reply:
   * @src: the element
   * @request_id: the id #GstP2pSrc::send-command returned
   * @ok: whether the camera reports success
   * @payload: the result, or the error text when @ok is %FALSE (for
   *     example `rate-limited: …` when commands come too fast)
   *
   * The camera answered a command. Emitted on p2p-core's thread, in the
   * order the camera answered.
   *
   * Since: 0.2
   */
  signals[SIGNAL_COMMAND_REPLY] = g_signal_new ("command-reply",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_UINT64, G_TYPE_BOOLEAN, G_TYPE_STRING);

  /**
   * GstP2pSrc::event:
   * @src: the element
   * @name: the event's name (`ring`, `motion`, …)
   * @payload: its payload
   *
   * The camera sent an event (#GstP2pSink::send-event). Emitted on
   * p2p-core's thread.
   *
   * Since: 0.2
   */
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_add_static_pad_template (element_class, &talkback_template);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_p2p_src_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_p2p_src_release_pad);

  gst_element_class_set_static_metadata (element_class,
      "P2P camera source", "Source/Network",
      "Receives a camera's encoded media by device UID, peer to peer over "
      "ICE and DTLS-SRTP", "The gst-p2p authors");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_p2p_src_change_state);
}

/* ---------------------------------------------------------------------- */
/* Receive pipeline: appsrc → rtpbin → depayloaders → ghost pads          */

static GstCaps *
rtpbin_request_pt_map (GstElement * rtpbin, guint session, guint pt,
    GstP2pSrc * self)
{
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = g_hash_table_lookup (self->pt_caps, GUINT_TO_POINTER (pt));
  if (caps)
    gst_caps_ref (caps);
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "pt %u: %" GST_PTR_FORMAT, pt, caps);
  return caps;
}

static GstElement *
rtpbin_request_aux_receiver (GstElement * rtpbin, guint session,
    GstP2pSrc * self)
{
  GstElement *rtx;
  GstElement *bin = gst_p2p_rtx_bin_new ("rtprtxreceive", session, NULL,
      &rtx);

  if (!bin)
    return NULL;
  GST_OBJECT_LOCK (self);
  gst_object_replace ((GstObject **) & self->rtx_receive, GST_OBJECT (rtx));
  GST_OBJECT_UNLOCK (self);
  return bin;
}

/* Keeps the talk-back audio sent for a while, to retransmit what the
 * camera's jitter buffer asks for (RFC 4588). */
static GstElement *
rtpbin_request_aux_sender (GstElement * rtpbin, guint session, GstP2pSrc * self)
{
  GstStructure *map;
  GstElement *bin;

  if (session != 1)
    return NULL;
  map = gst_p2p_codec_talkback_rtx_map ();
  bin = gst_p2p_rtx_bin_new ("rtprtxsend", session, map, NULL);
  gst_structure_free (map);
  return bin;
}

static void
rtpbin_new_jitterbuffer (GstElement * rtpbin, GstElement * jitterbuffer,
    guint session, guint ssrc, GstP2pSrc * self)
{
  g_object_set (jitterbuffer, "rtx-min-retry-timeout",
      RTX_MIN_RETRY_TIMEOUT_MS, NULL);
}

static GstPadProbeReturn
first_buffer_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstP2pSrc *self = data;

  GST_OBJECT_LOCK (self);
  if (self->first_buffer_time == 0)
    self->first_buffer_time = g_get_monotonic_time ();
  GST_OBJECT_UNLOCK (self);
  return GST_PAD_PROBE_REMOVE;
}

static void
rtpbin_pad_added (GstElement * rtpbin, GstPad * pad, GstP2pSrc * self)
{
  guint session, ssrc, pt, i;
  GstCaps *caps = NULL;
  GstElement *depay;
  GstPad *depay_sink, *depay_src;
  const gchar *media;
  SrcStream *stream = NULL;
  gboolean announce = FALSE;

  if (sscanf (GST_PAD_NAME (pad), "recv_rtp_src_%u_%u_%u", &session, &ssrc,
          &pt) != 3)
    return;

  GST_OBJECT_LOCK (self);
  caps = g_hash_table_lookup (self->pt_caps, GUINT_TO_POINTER (pt));
  if (caps)
    gst_caps_ref (caps);
  GST_OBJECT_UNLOCK (self);
  if (!caps)
    return;

  media = gst_structure_get_string (gst_caps_get_structure (caps, 0), "media");
  depay = gst_p2p_codec_make_depayloader (caps);
  if (!depay) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("No depayloader installed for the camera's format"),
        ("%" GST_PTR_FORMAT, caps));
    gst_caps_unref (caps);
    return;
  }
  gst_caps_unref (caps);

  gst_bin_add (GST_BIN (self), depay);
  depay_sink = gst_element_get_static_pad (depay, "sink");
  depay_src = gst_element_get_static_pad (depay, "src");
  gst_element_sync_state_with_parent (depay);
  gst_pad_link (pad, depay_sink);

  GST_OBJECT_LOCK (self);
  for (i = 0; i < self->streams->len; i++) {
    SrcStream *s = g_ptr_array_index (self->streams, i);

    if (g_strcmp0 (s->kind, media) == 0)
      stream = s;
  }
  if (!stream) {
    guint n = 0;

    for (i = 0; i < self->streams->len; i++)
      n += g_strcmp0 (((SrcStream *) g_ptr_array_index (self->streams,
                  i))->kind, media) == 0;
    stream = g_new0 (SrcStream, 1);
    stream->src = self;
    stream->kind = g_strdup (media);
    stream->index = n;
    g_ptr_array_add (self->streams, stream);
  }
  GST_OBJECT_UNLOCK (self);

  if (stream->ghost) {
    /* The camera restarted its stream (new SSRC): keep the pad, swap the
     * depayloader behind it. */
    GstElement *old = stream->depay;

    GST_INFO_OBJECT (self, "%s stream restarted (ssrc %08x)", media, ssrc);
    gst_ghost_pad_set_target (GST_GHOST_PAD (stream->ghost), depay_src);
    stream->depay = depay;
    stream->ssrc = ssrc;
    if (old)
      gst_element_call_async (GST_ELEMENT (self), gst_p2p_remove_element_async,
          old, NULL);
  } else {
    GstPadTemplate *templ = gst_element_class_get_pad_template
        (GST_ELEMENT_GET_CLASS (self),
        g_strcmp0 (media, "audio") == 0 ? "audio_%u" : "video_%u");
    gchar *name = g_strdup_printf ("%s_%u",
        g_strcmp0 (media, "audio") == 0 ? "audio" : "video", stream->index);

    stream->depay = depay;
    stream->ssrc = ssrc;
    stream->ghost = gst_ghost_pad_new_from_template (name, depay_src, templ);
    g_free (name);
    gst_pad_add_probe (stream->ghost, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, first_buffer_probe, self, NULL);
    gst_pad_set_active (stream->ghost, TRUE);
    gst_element_add_pad (GST_ELEMENT (self), stream->ghost);

    GST_OBJECT_LOCK (self);
    if (!self->no_more_pads && self->streams->len >= self->n_media) {
      self->no_more_pads = TRUE;
      announce = TRUE;
    }
    GST_OBJECT_UNLOCK (self);
  }
  gst_object_unref (depay_sink);
  gst_object_unref (depay_src);

  if (announce)
    gst_element_no_more_pads (GST_ELEMENT (self));
}

static void
src_stream_free (SrcStream * stream)
{
  g_free (stream->kind);
  g_free (stream);
}

/* Any thread: the current calls, if started. */
static P2pViewerSession *
src_ref_session (GstP2pSrc * self)
{
  P2pViewerSession *session;

  GST_OBJECT_LOCK (self);
  session = self->session ? g_object_ref (self->session) : NULL;
  GST_OBJECT_UNLOCK (self);
  return session;
}

/* RTCP from rtpbin (receiver reports, NACK, PLI) to the camera. */
static void
src_on_rtcp (const guint8 * data, gsize size, GstBuffer * buffer,
    gpointer user_data)
{
  P2pViewerSession *session = src_ref_session (user_data);

  if (session) {
    p2p_viewer_session_send_rtcp (session, data, size);
    g_object_unref (session);
  }
}

static GstElement *
make_appsrc (const gchar * name, const gchar * caps)
{
  GstElement *src = gst_element_factory_make ("appsrc", name);
  GstCaps *c = gst_caps_from_string (caps);

  /* Live, stamped with the arrival time (the jitter buffer needs it), and
   * dropping the oldest packets rather than blocking the network thread. */
  g_object_set (src, "is-live", TRUE, "do-timestamp", TRUE, "format",
      GST_FORMAT_TIME, "caps", c, "max-buffers", (guint64) MAX_QUEUED_PACKETS,
      "max-bytes", (guint64) 0, "block", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "leaky-type", "downstream");
  gst_caps_unref (c);
  return src;
}

static void
gst_p2p_src_init (GstP2pSrc * self)
{
  GstPad *pad;

  self->latency = DEFAULT_LATENCY;
  self->reconnect = DEFAULT_RECONNECT;
  self->timeout = DEFAULT_TIMEOUT;
  self->lan = TRUE;
  self->pt_caps = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_caps_unref);
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      src_stream_free);
  self->router = p2p_message_router_new ();
  p2p_message_router_add (self->router, "command-reply", src_on_camera_message,
      self);
  p2p_message_router_add (self->router, "event", src_on_camera_message, self);
  p2p_message_router_add (self->router, "talkback", src_on_talkback_message,
      self);

  self->rtpbin = gst_element_factory_make ("rtpbin", "rtpbin");
  /* RTP, the bulk, goes straight from the network thread into rtpbin;
   * RTCP, a few packets a second, through an appsrc. */
  self->rtp_src = gst_p2p_packet_src_new ("rtpsrc", "application/x-rtp");
  self->rtcp_appsrc = make_appsrc ("rtcpsrc", "application/x-rtcp");
  if (!self->rtpbin || !self->rtcp_appsrc) {
    gst_clear_object (&self->rtpbin);
    gst_clear_object (&self->rtp_src);
    gst_clear_object (&self->rtcp_appsrc);
    return;
  }
  self->rtcp_sink = gst_p2p_packet_sink_new ("rtcpsink", src_on_rtcp, self,
      FALSE);

  g_object_set (self->rtpbin, "do-retransmission", TRUE, "do-lost", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (self->rtpbin), "rtp-profile", "avpf");
  g_signal_connect (self->rtpbin, "request-pt-map",
      G_CALLBACK (rtpbin_request_pt_map), self);
  g_signal_connect (self->rtpbin, "request-aux-receiver",
      G_CALLBACK (rtpbin_request_aux_receiver), self);
  g_signal_connect (self->rtpbin, "request-aux-sender",
      G_CALLBACK (rtpbin_request_aux_sender), self);
  g_signal_connect (self->rtpbin, "pad-added",
      G_CALLBACK (rtpbin_pad_added), self);
  g_signal_connect (self->rtpbin, "new-jitterbuffer",
      G_CALLBACK (rtpbin_new_jitterbuffer), self);

  gst_bin_add_many (GST_BIN (self), self->rtp_src, self->rtcp_appsrc,
      self->rtpbin, self->rtcp_sink, NULL);
  gst_element_link_pads (self->rtp_src, "src", self->rtpbin, "recv_rtp_sink_0");
  gst_element_link_pads (self->rtcp_appsrc, "src", self->rtpbin,
      "recv_rtcp_sink_0");
  {
    GstElement *session = NULL;

    /* Above 1.0, rtcp-fraction is an absolute budget. */
    g_signal_emit_by_name (self->rtpbin, "get-session", 0, &session);
    if (session) {
      g_object_set (session, "rtcp-fraction", RTCP_FEEDBACK_BANDWIDTH, NULL);
      gst_object_unref (session);
    }
  }
  pad = gst_element_request_pad_simple (self->rtpbin, "send_rtcp_src_0");
  if (pad) {
    GstPad *sinkpad = gst_element_get_static_pad (self->rtcp_sink, "sink");

    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    gst_object_unref (pad);
  }
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_p2p_src_finalize (GObject * object)
{
  GstP2pSrc *self = GST_P2P_SRC (object);

  g_clear_object (&self->user_signaller);
  g_free (self->uid);
  g_free (self->server);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->device_fingerprint);
  g_free (self->stun_server);
  g_free (self->known_cameras_file);
  g_free (self->turn_server);
  g_hash_table_unref (self->pt_caps);
  g_ptr_array_unref (self->streams);
  gst_clear_object (&self->rtx_receive);
  p2p_message_router_free (self->router);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---------------------------------------------------------------------- */
/* Connection (loop thread)                                               */

static void
src_post_connection (GstP2pSrc * self, P2pViewerSession * session,
    const gchar * state, const gchar * reason)
{
  P2pTransportStats *st = p2p_viewer_session_get_stats (session);
  GstStructure *s;

  s = gst_structure_new ("p2p-connection", "uid", G_TYPE_STRING, self->uid,
      "state", G_TYPE_STRING, state, NULL);
  gst_p2p_set_path_fields (s, st);
  if (reason)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  if (st)
    p2p_transport_stats_free (st);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
src_session_configure (P2pViewerSession * session, P2pTransport * transport,
    P2pSignaller * signaller, const gchar * call, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  g_autofree gchar *stun = NULL, *turn = NULL;

  GST_OBJECT_LOCK (self);
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  GST_OBJECT_UNLOCK (self);
  gst_p2p_add_ice_servers (GST_ELEMENT (self), transport, signaller, call,
      stun, turn);
}

/* The camera's offer: its streams for rtpbin, and an answer that sends
 * talk-back when there is a talkback pad and the camera takes it. */
static GstSDPMessage *
src_session_answer_media (P2pViewerSession * session,
    const GstSDPMessage * offer, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  GstSDPMessage *media;
  gboolean talk, allowed = FALSE;
  guint i;

  if (!src_learn_media (self, offer))
    return NULL;
  GST_OBJECT_LOCK (self);
  talk = self->talkback != NULL;
  GST_OBJECT_UNLOCK (self);
  media = gst_p2p_sdp_answer (offer, GST_P2P_DIRECTION_RECVONLY,
      talk ? GST_P2P_DIRECTION_SENDRECV : GST_P2P_DIRECTION_RECVONLY);
  for (i = 0; talk && i < gst_sdp_message_medias_len (media); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (media, i);

    if (g_strcmp0 (gst_sdp_media_get_media (m), "audio") == 0
        && (gst_p2p_sdp_media_get_direction (m) & GST_P2P_DIRECTION_SENDONLY))
      allowed = TRUE;
  }
  g_atomic_int_set (&self->talk_allowed, allowed);
  return media;
}

static void
src_session_connecting (P2pViewerSession * session, gpointer user_data)
{
  src_post_connection (user_data, session, "connecting", NULL);
}

static void
src_session_connected (P2pViewerSession * session, gpointer user_data)
{
  src_post_connection (user_data, session, "connected", NULL);
}

static void
src_session_retrying (P2pViewerSession * session, const GError * error,
    const gchar * debug, gpointer user_data)
{
  GstP2pSrc *self = user_data;

  GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ, ("%s; reconnecting",
          error->message), ("%s", debug ? debug : ""));
  src_post_connection (self, session, "reconnecting", error->message);
}

/* A fault retrying cannot fix: one ERROR, then nothing more. */
static void
src_session_failed (P2pViewerSession * session, const GError * error,
    const gchar * debug, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  GQuark domain = GST_RESOURCE_ERROR;
  gint code;

  switch (error->code) {
    case P2P_VIEWER_SESSION_ERROR_NOT_FOUND:
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      break;
    case P2P_VIEWER_SESSION_ERROR_REVOKED:
    case P2P_VIEWER_SESSION_ERROR_LOGIN_REFUSED:
    case P2P_VIEWER_SESSION_ERROR_FINGERPRINT_MISMATCH:
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      break;
    case P2P_VIEWER_SESSION_ERROR_INSECURE_SERVER:
    case P2P_VIEWER_SESSION_ERROR_BAD_UID:
      code = GST_RESOURCE_ERROR_SETTINGS;
      break;
    case P2P_VIEWER_SESSION_ERROR_NO_MEDIA:
      domain = GST_STREAM_ERROR;
      code = GST_STREAM_ERROR_FORMAT;
      break;
    default:
      code = GST_RESOURCE_ERROR_OPEN_READ;
      break;
  }
  GST_WARNING_OBJECT (self, "permanent failure: %s (%s)", error->message,
      debug);
  src_post_connection (self, session, "failed", error->message);
  gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR, domain,
      code, g_strdup (error->message), g_strdup (debug), __FILE__,
      GST_FUNCTION, __LINE__);
}

static void
src_session_warning (P2pViewerSession * session, const GError * error,
    const gchar * debug, gpointer user_data)
{
  gst_element_message_full (GST_ELEMENT (user_data), GST_MESSAGE_WARNING,
      GST_RESOURCE_ERROR,
      error->code == P2P_VIEWER_SESSION_ERROR_KNOWN_CAMERAS_WRITE ?
      GST_RESOURCE_ERROR_WRITE : GST_RESOURCE_ERROR_READ,
      g_strdup (error->message), g_strdup (debug), __FILE__, GST_FUNCTION,
      __LINE__);
}

static void
src_session_media (P2pViewerSession * session, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data)
{
  GstP2pSrc *self = user_data;
  GstElement *talkback_rtcp;

  if (is_rtcp) {
    gst_app_src_push_buffer (GST_APP_SRC (self->rtcp_appsrc),
        gst_buffer_new_memdup (data, size));
    talkback_rtcp = g_atomic_pointer_get (&self->talkback_rtcp);
    if (talkback_rtcp)
      gst_app_src_push_buffer (GST_APP_SRC (talkback_rtcp),
          gst_buffer_new_memdup (data, size));
  } else
    gst_p2p_packet_src_push (GST_P2P_PACKET_SRC (self->rtp_src), data, size);
}

static const P2pViewerSessionCallbacks session_callbacks = {
  src_session_configure,
  src_session_answer_media,
  src_session_connecting,
  src_session_connected,
  src_session_retrying,
  src_session_failed,
  src_session_warning,
  src_session_media,
};

/* ---------------------------------------------------------------------- */
/* Commands and events (docs/protocol.md, "Commands and events")         */

static void
src_on_camera_message (JsonObject * message, gpointer context,
    gpointer user_data)
{
  GstP2pSrc *self = user_data;
  g_autoptr (GError) err = NULL;
  P2pCommand msg;

  if (!p2p_command_parse (message, &msg, &err)) {
    GST_DEBUG_OBJECT (self, "%s", err->message);
    return;
  }
  if (msg.name)
    g_signal_emit (self, signals[SIGNAL_EVENT], 0, msg.name, msg.payload);
  else
    g_signal_emit (self, signals[SIGNAL_COMMAND_REPLY], 0, msg.id, msg.ok,
        msg.payload);
}

static guint64
gst_p2p_src_send_command (GstP2pSrc * self, const gchar * name,
    const gchar * payload)
{
  g_autoptr (GError) err = NULL;
  P2pViewerSession *session = src_ref_session (self);
  guint64 id = 0;

  if (session) {
    id = p2p_viewer_session_send_command (session, name, payload, &err);
    g_object_unref (session);
  } else {
    g_set_error_literal (&err, P2P_VIEWER_SESSION_ERROR,
        P2P_VIEWER_SESSION_ERROR_NOT_ADMITTED,
        "the camera has not admitted this viewer yet");
  }
  if (id == 0)
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Command '%.80s' not sent: %s", name ? name : "", err->message),
        (NULL));
  return id;
}

/* ---------------------------------------------------------------------- */
/* Talk-back: talkback pad → payloader → rtpbin session 1 → camera        */

/* The camera's word on the floor: posted as `p2p-talkback`. */
static void
src_on_talkback_message (JsonObject * message, gpointer context,
    gpointer user_data)
{
  GstP2pSrc *self = user_data;
  JsonNode *state = json_object_get_member (message, "state");
  JsonNode *reason = json_object_get_member (message, "reason");

  if (!state || !JSON_NODE_HOLDS_VALUE (state)
      || json_node_get_value_type (state) != G_TYPE_STRING)
    return;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("p2p-talkback", "uid", G_TYPE_STRING, self->uid,
              "state", G_TYPE_STRING, json_node_get_string (state),
              "reason", G_TYPE_STRING, reason && JSON_NODE_HOLDS_VALUE (reason)
              && json_node_get_value_type (reason) == G_TYPE_STRING ?
              json_node_get_string (reason) : "", NULL)));
}

/* Streaming thread: a payloaded talk-back packet, sent once admitted and
 * when the camera's offer takes talk-back. */
static void
src_on_talkback_rtp (const guint8 * data, gsize size, GstBuffer * buffer,
    gpointer user_data)
{
  GstP2pSrc *self = user_data;
  P2pViewerSession *session;

  if (!g_atomic_int_get (&self->talk_allowed))
    return;
  session = src_ref_session (self);
  if (session) {
    p2p_viewer_session_send_rtp (session, data, size);
    g_object_unref (session);
  }
}

static gboolean
talkback_setup_payloader (GstP2pSrc * self, GstCaps * caps)
{
  const GstP2pCodec *codec = gst_p2p_codec_find (caps);
  g_autoptr (GError) err = NULL;
  g_autoptr (GstCaps) rtp = NULL;
  GstElement *pay, *out, *rtcp_in;
  GstPad *sinkpad, *pad;

  if (self->talkback_pay)
    return TRUE;
  rtp = codec ? gst_p2p_codec_talkback_caps (codec->pt) : NULL;
  if (!rtp) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("talk-back takes Opus, PCMU or PCMA, not %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  pay = gst_p2p_codec_make_payloader (codec, &err);
  if (!pay) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("%s", err->message),
        (NULL));
    return FALSE;
  }
  out = gst_p2p_packet_sink_new ("talkback_rtpsink", src_on_talkback_rtp,
      self, FALSE);
  gst_bin_add_many (GST_BIN (self), pay, out, NULL);
  gst_element_link_pads (pay, "src", self->rtpbin, "send_rtp_sink_1");
  gst_element_link_pads (self->rtpbin, "send_rtp_src_1", out, "sink");
  pad = gst_element_request_pad_simple (self->rtpbin, "send_rtcp_src_1");
  if (pad) {
    GstElement *rtcp = gst_p2p_packet_sink_new ("talkback_rtcpsink",
        src_on_rtcp, self, FALSE);

    gst_bin_add (GST_BIN (self), rtcp);
    sinkpad = gst_element_get_static_pad (rtcp, "sink");
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    gst_object_unref (pad);
    gst_element_sync_state_with_parent (rtcp);
  }
  /* The camera's NACKs for it, into its session. */
  rtcp_in = make_appsrc ("talkback_rtcpsrc", "application/x-rtcp");
  gst_bin_add (GST_BIN (self), rtcp_in);
  gst_element_link_pads (rtcp_in, "src", self->rtpbin, "recv_rtcp_sink_1");
  gst_element_sync_state_with_parent (rtcp_in);
  g_atomic_pointer_set (&self->talkback_rtcp, rtcp_in);
  sinkpad = gst_element_get_static_pad (pay, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->talkback), sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (out);
  gst_element_sync_state_with_parent (pay);
  self->talkback_pay = pay;
  GST_INFO_OBJECT (self, "talk-back: %s via %s", codec->media_type,
      codec->payloader);
  return TRUE;
}

static gboolean
talkback_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstP2pSrc *self = GST_P2P_SRC (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (event, &caps);
    if (!talkback_setup_payloader (self, caps)) {
      gst_event_unref (event);
      return FALSE;
    }
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstPad *
gst_p2p_src_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstP2pSrc *self = GST_P2P_SRC (element);
  GstPad *pad;

  if (!self->rtpbin)
    return NULL;
  GST_OBJECT_LOCK (self);
  if (self->talkback) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "already have a talkback pad");
    return NULL;
  }
  pad = self->talkback = gst_ghost_pad_new_no_target_from_template
      ("talkback", templ);
  GST_OBJECT_UNLOCK (self);
  gst_pad_set_event_function (pad, talkback_sink_event);
  gst_pad_set_query_function (pad, gst_p2p_ghost_sink_query);
  gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_p2p_src_release_pad (GstElement * element, GstPad * pad)
{
  GstP2pSrc *self = GST_P2P_SRC (element);

  GST_OBJECT_LOCK (self);
  if (pad == self->talkback)
    self->talkback = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_element_remove_pad (element, pad);
}

/* Learns the camera's streams from its offer: payload type → caps for
 * rtpbin, RTX mapping, the number of pads to expect. */
static gboolean
src_learn_media (GstP2pSrc * self, const GstSDPMessage * sdp)
{
  GstStructure *rtx_map;
  GstElement *rtx;
  guint i, j, n_media = 0;

  rtx_map = gst_structure_new_empty ("application/x-rtp-pt-map");
  GST_OBJECT_LOCK (self);
  g_hash_table_remove_all (self->pt_caps);
  for (i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
    const gchar *kind = gst_sdp_media_get_media (m);
    gboolean counted = FALSE;

    /* The offer is untrusted: only audio and video, only dynamic or
     * static RTP payload types. */
    if ((g_strcmp0 (kind, "audio") != 0 && g_strcmp0 (kind, "video") != 0)
        || !(gst_p2p_sdp_media_get_direction (m) & GST_P2P_DIRECTION_SENDONLY))
      continue;
    for (j = 0; j < gst_sdp_media_formats_len (m) && j < 16; j++) {
      guint64 pt;
      GstCaps *caps;
      GstStructure *s;
      const gchar *enc;

      if (!g_ascii_string_to_unsigned (gst_sdp_media_get_format (m, j), 10,
              0, 127, &pt, NULL))
        continue;
      caps = gst_sdp_media_get_caps_from_media (m, pt);
      if (!caps)
        continue;
      s = gst_caps_get_structure (caps, 0);
      gst_structure_set_name (s, "application/x-rtp");
      enc = gst_structure_get_string (s, "encoding-name");
      if (enc && g_ascii_strcasecmp (enc, "rtx") == 0) {
        const gchar *apt = gst_structure_get_string (s, "apt");
        guint64 orig;

        if (apt && g_ascii_string_to_unsigned (apt, 10, 0, 127, &orig, NULL)) {
          gchar key[4];

          g_snprintf (key, sizeof (key), "%u", (guint) orig);
          gst_structure_set (rtx_map, key, G_TYPE_UINT, (guint) pt, NULL);
        }
      } else if (!counted) {
        n_media++;
        counted = TRUE;
      }
      GST_DEBUG_OBJECT (self, "pt %u: %" GST_PTR_FORMAT, (guint) pt, caps);
      g_hash_table_insert (self->pt_caps, GUINT_TO_POINTER ((guint) pt), caps);
    }
  }
  self->n_media = n_media;
  rtx = self->rtx_receive ? gst_object_ref (self->rtx_receive) : NULL;
  GST_OBJECT_UNLOCK (self);
  /* Outside our lock: the property change notifies up the hierarchy. */
  if (rtx) {
    g_object_set (rtx, "payload-type-map", rtx_map, NULL);
    gst_object_unref (rtx);
  }
  gst_structure_free (rtx_map);
  return n_media > 0;
}

static gboolean
src_start (gpointer data)
{
  GstP2pSrc *self = data;
  P2pViewerSession *session;
  g_autofree gchar *uid = NULL, *password = NULL, *pin = NULL;
  P2pViewerSessionConfig config = { self->loop };

  GST_OBJECT_LOCK (self);
  self->first_buffer_time = 0;
  uid = g_strdup (self->uid);
  password = g_strdup (self->password);
  pin = g_strdup (self->device_fingerprint);
  config.signaller = self->user_signaller;
  config.lan = self->lan;
  config.timeout_ms = self->timeout;
  config.reconnect = self->reconnect;
  GST_OBJECT_UNLOCK (self);
  config.uid = uid;
  config.password = password;
  config.device_fingerprint = pin;
  config.known = self->known;
  config.servers = (const gchar * const *) self->servers;
  config.allow_insecure = self->allow_insecure;
  config.router = self->router;
  session = p2p_viewer_session_new (&config, &session_callbacks, self);
  if (password)
    memset (password, 0, strlen (password));
  GST_OBJECT_LOCK (self);
  self->session = session;
  GST_OBJECT_UNLOCK (self);
  p2p_viewer_session_start (session);
  return G_SOURCE_REMOVE;
}

static gboolean
src_stop (gpointer data)
{
  GstP2pSrc *self = data;
  P2pViewerSession *session;

  GST_OBJECT_LOCK (self);
  session = g_steal_pointer (&self->session);
  GST_OBJECT_UNLOCK (self);
  if (session) {
    p2p_viewer_session_stop (session);
    g_object_unref (session);
  }
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GstP2pSrc *self;
  GstStructure *result;
} StatsCall;

/* Loop thread, where the session changes. */
static gboolean
src_collect_stats (gpointer data)
{
  StatsCall *call = data;
  GstP2pSrc *self = call->self;
  P2pViewerSession *session = self->session;
  P2pTransportStats *st = NULL;
  gint64 first, start = 0, connected = 0;

  if (!session)
    return G_SOURCE_REMOVE;
  st = p2p_viewer_session_get_stats (session);
  start = p2p_viewer_session_get_start_time (session);
  connected = p2p_viewer_session_get_connected_time (session);
  GST_OBJECT_LOCK (self);
  first = self->first_buffer_time;
  GST_OBJECT_UNLOCK (self);
  gst_structure_set (call->result,
      "state", G_TYPE_STRING, p2p_viewer_session_state_to_string
      (p2p_viewer_session_get_state (session)),
      "attempts", G_TYPE_UINT, p2p_viewer_session_get_attempts (session),
      "connect-time-ms", G_TYPE_INT64, connected ?
      (connected - start) / 1000 : (gint64) - 1,
      "first-buffer-ms", G_TYPE_INT64, first && start ?
      (first - start) / 1000 : (gint64) - 1, NULL);
  gst_p2p_set_path_fields (call->result, st);
  if (st) {
    gst_structure_set (call->result,
        "packets-received", G_TYPE_UINT64, st->rtp_packets_received,
        "bytes-received", G_TYPE_UINT64, st->rtp_bytes_received,
        "dropped-srtp", G_TYPE_UINT64, st->dropped_srtp, NULL);
    p2p_transport_stats_free (st);
  }
  return G_SOURCE_REMOVE;
}

static GstStructure *
gst_p2p_src_get_stats (GstP2pSrc * self)
{
  StatsCall call = { self, NULL };

  call.result = gst_structure_new ("p2psrc-stats", "state", G_TYPE_STRING,
      "idle", "mode", G_TYPE_STRING, "none", "rtt-ms", G_TYPE_INT64,
      (gint64) - 1, "packets-received", G_TYPE_UINT64, (guint64) 0,
      "bytes-received", G_TYPE_UINT64, (guint64) 0, "attempts", G_TYPE_UINT,
      0, "connect-time-ms", G_TYPE_INT64, (gint64) - 1, "first-buffer-ms",
      G_TYPE_INT64, (gint64) - 1, NULL);
  if (self->loop)
    p2p_loop_invoke_sync (self->loop, src_collect_stats, &call);
  return call.result;
}

/* ---------------------------------------------------------------------- */
/* State changes                                                          */

static gboolean
src_prepare (GstP2pSrc * self)
{
  g_autofree gchar *uid = NULL, *server = NULL, *stun = NULL, *turn = NULL;
  g_autofree gchar *pin = NULL, *known = NULL;
  gboolean has_signaller;
  guint latency;

  GST_OBJECT_LOCK (self);
  known = g_strdup (self->known_cameras_file);
  uid = g_strdup (self->uid);
  server = g_strdup (self->server);
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  pin = g_strdup (self->device_fingerprint);
  latency = self->latency;
  has_signaller = self->user_signaller != NULL;
  GST_OBJECT_UNLOCK (self);

  if (!self->rtpbin) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The 'rtpbin' and 'appsrc' elements are not installed"), (NULL));
    return FALSE;
  }
  if (!gst_p2p_check_uid (GST_ELEMENT (self), uid))
    return FALSE;
  if (!gst_p2p_check_ice_overrides (GST_ELEMENT (self), stun, turn))
    return FALSE;
  if (pin && !g_str_has_prefix (pin, "sha-256 ")) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid device-fingerprint '%s': expected 'sha-256 AB:CD:...'",
            pin), (NULL));
    return FALSE;
  }
  /* The server is optional when calls can go another way. */
  if (server && *server) {
    self->servers = gst_p2p_parse_servers (GST_ELEMENT (self), server,
        &self->allow_insecure);
    if (!self->servers)
      return FALSE;
  } else if (!has_signaller && !self->lan) {
    gst_p2p_parse_servers (GST_ELEMENT (self), NULL, &self->allow_insecure);
    return FALSE;
  }
  if (known == NULL)
    known = p2p_known_cameras_get_default_path ();
  if (*known)
    self->known = p2p_known_cameras_new (known);
  g_object_set (self->rtpbin, "latency", latency, NULL);
  self->loop = p2p_loop_get_default ();
  /* P2pTransport's class initialisation starts libsrtp's ~20 ms cipher
   * self-test on a thread of its own: start it now, while signalling
   * connects, rather than on the first call's critical path. */
  g_type_class_unref (g_type_class_ref (P2P_TYPE_TRANSPORT));
  GST_OBJECT_LOCK (self);
  self->config_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
src_unprepare (GstP2pSrc * self)
{
  g_clear_object (&self->loop);
  g_clear_object (&self->known);
  g_clear_pointer (&self->servers, g_strfreev);
}

static void
src_remove_pads (GstP2pSrc * self)
{
  GPtrArray *streams;
  guint i;

  GST_OBJECT_LOCK (self);
  streams = self->streams;
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      src_stream_free);
  self->no_more_pads = FALSE;
  g_hash_table_remove_all (self->pt_caps);
  GST_OBJECT_UNLOCK (self);

  for (i = 0; i < streams->len; i++) {
    SrcStream *s = g_ptr_array_index (streams, i);

    if (s->ghost) {
      gst_pad_set_active (s->ghost, FALSE);
      gst_element_remove_pad (GST_ELEMENT (self), s->ghost);
    }
    if (s->depay) {
      gst_element_set_state (s->depay, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), s->depay);
    }
  }
  g_ptr_array_unref (streams);
}

static GstStateChangeReturn
gst_p2p_src_change_state (GstElement * element, GstStateChange transition)
{
  GstP2pSrc *self = GST_P2P_SRC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!src_prepare (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:{
      gboolean dirty;

      /* Properties (or the URI) may change in READY: read them again. */
      GST_OBJECT_LOCK (self);
      dirty = self->config_dirty;
      GST_OBJECT_UNLOCK (self);
      if (dirty) {
        src_unprepare (self);
        if (!src_prepare (self))
          return GST_STATE_CHANGE_FAILURE;
      }
      p2p_loop_invoke_sync (self->loop, src_start, self);
      break;
    }
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Before the children stop, so no packet arrives mid-teardown. */
      p2p_loop_invoke_sync (self->loop, src_stop, self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_NULL_TO_READY)
      src_unprepare (self);
    else if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      p2p_loop_invoke_sync (self->loop, src_stop, self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      /* A live source: no preroll. */
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      src_remove_pads (self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      src_unprepare (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ---------------------------------------------------------------------- */
/* Properties                                                             */

static void
gst_p2p_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstP2pSrc *self = GST_P2P_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_UID:
      g_free (self->uid);
      self->uid = g_value_dup_string (value);
      break;
    case PROP_SERVER:
      g_free (self->server);
      self->server = g_value_dup_string (value);
      break;
    case PROP_PASSWORD:
      if (self->password)
        memset (self->password, 0, strlen (self->password));
      g_free (self->password);
      self->password = g_value_dup_string (value);
      break;
    case PROP_DEVICE_FINGERPRINT:
      g_free (self->device_fingerprint);
      self->device_fingerprint = g_value_dup_string (value);
      break;
    case PROP_KNOWN_CAMERAS_FILE:
      g_free (self->known_cameras_file);
      self->known_cameras_file = g_value_dup_string (value);
      break;
    case PROP_SIGNALLER:
      g_clear_object (&self->user_signaller);
      self->user_signaller = g_value_dup_object (value);
      break;
    case PROP_LAN:
      self->lan = g_value_get_boolean (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    case PROP_RECONNECT:
      self->reconnect = g_value_get_boolean (value);
      if (self->session)
        p2p_viewer_session_set_reconnect (self->session, self->reconnect);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      break;
    case PROP_STUN_SERVER:
      g_free (self->stun_server);
      self->stun_server = g_value_dup_string (value);
      break;
    case PROP_TURN_SERVER:
      g_free (self->turn_server);
      self->turn_server = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  if (prop_id != PROP_RECONNECT)
    self->config_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_p2p_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstP2pSrc *self = GST_P2P_SRC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_p2p_src_get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_UID:
      g_value_set_string (value, self->uid);
      break;
    case PROP_SERVER:
      g_value_set_string (value, self->server);
      break;
    case PROP_DEVICE_FINGERPRINT:
      g_value_set_string (value, self->device_fingerprint);
      break;
    case PROP_KNOWN_CAMERAS_FILE:
      g_value_set_string (value, self->known_cameras_file);
      break;
    case PROP_SIGNALLER:
      g_value_set_object (value, self->user_signaller);
      break;
    case PROP_LAN:
      g_value_set_boolean (value, self->lan);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, self->stun_server);
      break;
    case PROP_TURN_SERVER:
      g_value_set_string (value, self->turn_server);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---------------------------------------------------------------------- */
/* URI handler: p2p://UID?server=…&password=…&fingerprint=…&latency=…     */

static GstURIType
gst_p2p_src_uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
gst_p2p_src_uri_get_protocols (GType type)
{
  static const gchar *protocols[] = { "p2p", NULL };

  return protocols;
}

static gchar *
gst_p2p_src_uri_get_uri (GstURIHandler * handler)
{
  GstP2pSrc *self = GST_P2P_SRC (handler);
  g_autofree gchar *server = NULL;
  gchar *uri;

  GST_OBJECT_LOCK (self);
  if (!self->uid) {
    GST_OBJECT_UNLOCK (self);
    return NULL;
  }
  /* The password stays out: URIs end up in logs and window titles. */
  server = self->server ? g_uri_escape_string (self->server, "/:", FALSE) :
      NULL;
  uri = g_strdup_printf ("p2p://%s%s%s", self->uid, server ? "?server=" : "",
      server ? server : "");
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static gboolean
gst_p2p_src_uri_set_uri (GstURIHandler * handler, const gchar * uri,
    GError ** error)
{
  GstP2pSrc *self = GST_P2P_SRC (handler);
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *host, *query, *v;

  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, &err);
  if (!parsed || g_strcmp0 (g_uri_get_scheme (parsed), "p2p") != 0
      || !(host = g_uri_get_host (parsed)) || !*host) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "Invalid p2p URI '%s': expected p2p://UID?server=wss://…", uri);
    return FALSE;
  }
  query = g_uri_get_query (parsed);
  if (query) {
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, &err);
    if (!params) {
      g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
          "Invalid query in p2p URI: %s", err->message);
      return FALSE;
    }
  }

  GST_OBJECT_LOCK (self);
  g_free (self->uid);
  self->uid = g_ascii_strup (host, -1);
  if (params && (v = g_hash_table_lookup (params, "server"))) {
    g_free (self->server);
    self->server = g_strdup (v);
  }
  if (params && (v = g_hash_table_lookup (params, "password"))) {
    g_free (self->password);
    self->password = g_strdup (v);
  }
  if (params && (v = g_hash_table_lookup (params, "fingerprint"))) {
    g_free (self->device_fingerprint);
    self->device_fingerprint = g_strdup (v);
  }
  if (params && (v = g_hash_table_lookup (params, "latency")))
    self->latency = MIN (g_ascii_strtoull (v, NULL, 10), 10000);
  self->config_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_p2p_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = (GstURIHandlerInterface *) g_iface;

  iface->get_type = gst_p2p_src_uri_get_type;
  iface->get_protocols = gst_p2p_src_uri_get_protocols;
  iface->get_uri = gst_p2p_src_uri_get_uri;
  iface->set_uri = gst_p2p_src_uri_set_uri;
}
