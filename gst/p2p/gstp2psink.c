/* GStreamer p2p plugin
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-p2psink
 * @title: p2psink
 * @see_also: p2psrc, rtpbin
 *
 * The camera end of a peer-to-peer stream. p2psink logs in to a p2p-server
 * as the device @uid, proving its identity with the private key in
 * #GstP2pSink:key-file, and waits for viewers. Each viewer that calls gets
 * its own ICE path (direct on a LAN, hole-punched, or through the server's
 * TURN relay), its own DTLS handshake with the device's certificate, its
 * own SRTP keys and its own RTCP; the encoded stream is payloaded once and
 * sent to every viewer.
 *
 * Before any media flows a viewer must prove the password set with
 * #GstP2pSink:password or #GstP2pSink:password-file. The login is end to
 * end over the DTLS channel and bound to it: SPAKE2+, in which the viewer
 * never sends the password and the camera proves first that it holds the
 * password's verifier (docs/viewer-auth.md). The device keeps only that
 * verifier. A viewer with a wrong password is refused (reason
 * `wrong-password`) and its address must wait before its next login
 * (1 s, doubling up to 60 s; reason `retry-later`); a viewer beyond
 * #GstP2pSink:max-viewers gets `busy`; the other viewers are not affected.
 *
 * A joining viewer starts at a keyframe: p2psink asks the encoder for one
 * (an upstream force-key-unit event, at most one every 500 ms whatever the
 * number of viewers), and H.264/H.265 parameter sets are sent in front of
 * every keyframe. Picture loss indications (PLI, FIR) from a viewer ask for
 * a keyframe too (one held back by the 500 ms spacing goes out when the
 * spacing allows, unless a keyframe came meanwhile); NACKs are answered by RFC 4588 retransmission to the
 * asking viewer alone, from a short history of recently sent packets.
 *
 * The offer a viewer gets describes the payloaders' output, so a call that
 * arrives before every requested pad has negotiated waits for it, at most
 * 3 seconds; after that the viewer gets the streams that are known.
 *
 * Nothing here blocks the streaming thread on the network: signalling and
 * connection set-up run on p2p-core's own thread; sending a packet to a
 * viewer only encrypts it and hands it to the socket.
 *
 * ## Bus messages
 *
 * Element messages, all with a `uid` field:
 *
 * * `p2p-registered` (`server`): logged in to a server, viewers can call.
 * * `p2p-unregistered` (`reason`): no longer logged in; p2psink retries by
 *   itself with back-off.
 * * `p2p-viewer-joined` (`viewer-id`, `address`, `mode`): a viewer proved
 *   its credential and receives media. `mode` is `lan`, `direct` or
 *   `relay`.
 * * `p2p-viewer-left` (`viewer-id`, `reason`): a viewer hung up, was lost
 *   or was refused (`wrong-password`, `busy`, `timeout`, `failed`, `bye`).
 * * `p2p-connection` (`viewer-id`, `state`, `mode`, `local-candidate-type`,
 *   `remote-candidate-type`, `rtt-ms`): a viewer's path changed.
 * * `p2p-talkback` (`viewer-id`, `state`, `reason`): a viewer `started` or
 *   `stopped` talking, or was `refused` (`busy`, `disabled`).
 *
 * ## Talk-back, commands and events
 *
 * A viewer may talk back over its own session (#GstP2pSink:talkback): the
 * `talkback` sometimes pad gives the talking viewer's encoded audio. An
 * admitted viewer's commands arrive with #GstP2pSink::command and are
 * answered with #GstP2pSink::reply; #GstP2pSink::send-event sends events
 * (docs/commands.md).
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! x264enc tune=zerolatency ! \
 *     p2psink uid=7KQ2-M9XD-4HPA-R3MJ key-file=/etc/p2p/device.pem \
 *     server=wss://p2p.example.com password-file=/etc/p2p/viewer-password
 * ]| A camera with H.264 video.
 * |[
 * gst-launch-1.0 p2psink name=s uid=7KQ2-M9XD-4HPA-R3MJ \
 *     key-file=device.pem server=ws://127.0.0.1:8443 password=secret \
 *     videotestsrc is-live=true ! x264enc tune=zerolatency ! s.video \
 *     audiotestsrc is-live=true ! opusenc ! s.audio
 * ]| Video and Opus audio, with a local test server.
 * |[
 * gst-launch-1.0 p2psink name=s uid=7KQ2-M9XD-4HPA-R3MJ \
 *     key-file=device.pem server=ws://127.0.0.1:8443 password=secret \
 *     videotestsrc is-live=true ! x264enc tune=zerolatency ! s.video \
 *     s.talkback ! decodebin ! audioconvert ! autoaudiosink
 * ]| A doorbell: plays what the talking viewer says.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psink.h"
#include "gstp2pelements.h"
#include "gstp2pcodecs.h"
#include "gstp2pcommon.h"
#include "gstp2pfanout.h"
#include "gstp2ppacketsink.h"
#include "gstp2psdp.h"
#include "gstp2ptalkback.h"

#include <string.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <p2p-core/p2p-camera-session.h>
#include <p2p-core/p2p-command.h>
#include <p2p-core/p2p-combined-signaller.h>
#include <p2p-core/p2p-lan-signaller.h>
#include <p2p-core/p2p-signalling.h>
#include <p2p-core/p2p-transport.h>
#include <p2p-core/p2p-auth-backoff.h>
#include <p2p-core/p2p-viewer-auth.h>
#include <openssl/crypto.h>

#define GST_CAT_DEFAULT gst_p2p_debug

#define DEFAULT_MAX_VIEWERS 4
#define MAX_MAX_VIEWERS 64
#define DEFAULT_COMMAND_RATE 20
/* A viewer must prove its credential this long after its path is up. */
#define AUTH_TIMEOUT_MS 10000
/* Failed logins from one address: wait 1 s, doubling up to a minute; the
 * table remembers at most this many addresses. */
#define BACKOFF_INITIAL_MS 1000
#define BACKOFF_MAX_MS 60000
#define BACKOFF_MAX_ADDRESSES 1024
/* How long a call waits for every stream's format before it is offered
 * what is known. */
#define MEDIA_WAIT_MS 3000
/* Packets kept for retransmission: about 1.5 s of a 3 Mbit/s stream. */
#define HISTORY_VIDEO 512
#define HISTORY_AUDIO 64

enum
{
  PROP_0,
  PROP_UID,
  PROP_KEY_FILE,
  PROP_SERVER,
  PROP_SERVER_ID,
  PROP_PASSWORD,
  PROP_PASSWORD_FILE,
  PROP_MAX_VIEWERS,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_STATS,
  PROP_VIEWERS,
  PROP_COMMAND_RATE,
  PROP_SIGNALLER,
  PROP_LAN,
  PROP_TALKBACK,
};

enum
{
  SIGNAL_COMMAND,
  SIGNAL_REPLY,
  SIGNAL_SEND_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef GstP2pFanoutStream StreamIndex;
#define STREAM_VIDEO GST_P2P_FANOUT_VIDEO
#define STREAM_AUDIO GST_P2P_FANOUT_AUDIO
#define N_STREAMS GST_P2P_FANOUT_N_STREAMS

typedef struct
{
  GstP2pSink *sink;
  StreamIndex index;
  GstPad *ghost;
  GstPad *rtp_src;              /* rtpbin's send_rtp_src_N */
  GstElement *packet_sink;
  GstElement *rtcp_sink;

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
  gchar *password_file;
  gchar *password;              /* until NULL→READY makes the verifier */
  guint max_viewers;
  guint command_rate;
  gboolean talkback_enabled;
  gchar *stun_server;
  gchar *turn_server;

  GstElement *rtpbin;
  Stream *streams[N_STREAMS];

  /* Set in NULL→READY, cleared in READY→NULL. */
  P2pLoop *loop;
  P2pIdentity *identity;
  P2pPasswordVerifier *verifier;
  gchar **servers;
  gchar **server_ids;           /* NULL: each server's URI host */
  gboolean allow_insecure;
  /* A configuration property changed after NULL→READY read them. */
  gboolean config_dirty;

  /* Failed logins per viewer address; kept for the element's lifetime so
   * that restarting the pipeline does not reset it. */
  P2pAuthBackoff *backoff;

  /* The application's signaller (property), and whether the camera also
   * answers on the local network; read in NULL→READY. */
  P2pSignaller *user_signaller;
  gboolean lan;

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
};

static void gst_p2p_sink_finalize (GObject * object);
static void gst_p2p_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_p2p_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_p2p_sink_change_state (GstElement * element,
    GstStateChange transition);
static GstPad *gst_p2p_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_p2p_sink_release_pad (GstElement * element, GstPad * pad);

static void sink_on_command (JsonObject * message, gpointer context,
    gpointer user_data);
static gboolean gst_p2p_sink_reply (GstP2pSink * self, const gchar * viewer_id,
    guint64 request_id, gboolean ok, const gchar * payload);
static guint gst_p2p_sink_send_event (GstP2pSink * self,
    const gchar * viewer_id, const gchar * name, const gchar * payload);
static void sink_request_keyframe (guint count, const gchar * why,
    gpointer user_data);
static void sink_send_packet (gpointer target, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data);
static gboolean sink_start_pending_viewers (GstP2pSink * self);

#define gst_p2p_sink_parent_class parent_class
G_DEFINE_TYPE (GstP2pSink, gst_p2p_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (p2psink, "p2psink", GST_RANK_NONE,
    GST_TYPE_P2P_SINK, p2p_element_init (plugin));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE ("video",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (GST_P2P_VIDEO_CAPS));

static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE ("audio",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (GST_P2P_AUDIO_CAPS));

static GstStaticPadTemplate talkback_template =
GST_STATIC_PAD_TEMPLATE ("talkback",
    GST_PAD_SRC,
    GST_PAD_SOMETIMES,
    GST_STATIC_CAPS (GST_P2P_TALKBACK_CAPS));

static void
gst_p2p_sink_class_init (GstP2pSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_p2p_sink_finalize;
  gobject_class->set_property = gst_p2p_sink_set_property;
  gobject_class->get_property = gst_p2p_sink_get_property;

  /**
   * GstP2pSink:uid:
   *
   * The device's UID, as created by `p2p-uid add` (e.g.
   * `7KQ2-M9XD-4HPA-R3MJ`). Required. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_UID,
      g_param_spec_string ("uid", "UID", "Device UID (required)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:key-file:
   *
   * PEM file with the device's private key and certificate, written by
   * `p2p-uid add`. It signs the server login and is the DTLS certificate
   * viewers check. Required. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_KEY_FILE,
      g_param_spec_string ("key-file", "Key file",
          "PEM file with the device key and certificate (required)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:server:
   *
   * Rendezvous server URI, or a comma-separated list tried in order:
   * `wss://host[:port][/path]`. Plain `ws://` is accepted only for a
   * loopback host (local demos and tests). Required. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_SERVER,
      g_param_spec_string ("server", "Server",
          "Signalling server URI(s), comma-separated (required)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:server-id:
   *
   * The server id (`server-id` in p2p-server's configuration) this camera
   * signs its login for, or a comma-separated list of them. The login
   * signature names the server, so that a server the camera talks to
   * cannot use it to log in elsewhere as this camera; the id is therefore
   * never taken from the server. By default (%NULL) each server is
   * expected to present its own host name from #GstP2pSink:server (e.g.
   * `p2p.example.com` for `wss://p2p.example.com:8443`); set this only when
   * the servers' ids are something else. A server presenting an id not
   * expected gets no signature: p2psink posts a WARNING naming both ids
   * and tries the next server. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_SERVER_ID,
      g_param_spec_string ("server-id", "Server id",
          "Server id(s) the login is signed for, comma-separated "
          "(default: each server URI's host)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:password:
   *
   * The password viewers must give. Write-only. It is turned into a SPAKE2+
   * verifier in NULL→READY (a PBKDF2 with a fresh salt, about 50 ms) and
   * then dropped; prefer #GstP2pSink:password-file with a verifier, so the
   * device never holds the password. Without #GstP2pSink:password and
   * #GstP2pSink:password-file any viewer that knows the UID may watch (a
   * warning is posted). Default: none.
   */
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "Password viewers must give (write-only)", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:password-file:
   *
   * File holding the viewer password's SPAKE2+ verifier
   * `spake2plus-p256$ITERATIONS$SALT$W0$L`, as `p2p-uid passwd` writes it,
   * so that the password itself is not stored on the device (a plain
   * password is accepted too, and hashed at start). A malformed file, or a
   * verifier of the old `pbkdf2-sha256$` format, stops the element with a
   * message saying how to make one. Read in NULL→READY; overrides
   * #GstP2pSink:password. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_PASSWORD_FILE,
      g_param_spec_string ("password-file", "Password file",
          "File with the viewer password's verifier (p2p-uid passwd)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:max-viewers:
   *
   * Most viewers served at once; a viewer calling beyond it is refused with
   * `busy`. Each viewer costs one encryption of the stream and its upload
   * bandwidth. Default: 4.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_VIEWERS,
      g_param_spec_uint ("max-viewers", "Maximum viewers",
          "Most viewers served at once", 1, MAX_MAX_VIEWERS,
          DEFAULT_MAX_VIEWERS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstP2pSink:stun-server:
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
   * GstP2pSink:turn-server:
   *
   * Extra TURN server, `turn(s)://user:password@host[:port][?transport=udp]`,
   * used besides those the server hands out. Default: %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_TURN_SERVER,
      g_param_spec_string ("turn-server", "TURN server",
          "Extra TURN server (turn(s)://user:password@host[:port])", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:stats:
   *
   * A `p2psink-stats` structure: `registered` (boolean), `viewers` (uint)
   * and one field per viewer, named by its viewer id, holding a
   * `p2p-viewer-stats` structure: `state`, `mode` (`lan`, `direct`,
   * `relay`), `local-candidate-type` and `remote-candidate-type` (`host`,
   * `srflx`, `prflx`, `relay`), `address`, `rtt-ms` (int64, -1 unknown),
   * `fraction-lost`
   * (double, 0–1, from the viewer's receiver reports), `bitrate` (uint64,
   * bits per second over the last second), `packets-sent`, `bytes-sent`,
   * `retransmissions`. Read-only.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Connection statistics, one entry per viewer", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstP2pSink:viewers:
   *
   * Number of viewers receiving media now. Read-only.
   */
  g_object_class_install_property (gobject_class, PROP_VIEWERS,
      g_param_spec_uint ("viewers", "Viewers",
          "Number of viewers receiving media", 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstP2pSink:command-rate:
   *
   * Most commands a viewer may send a second (and in a burst); the camera
   * answers those beyond with an error reply `rate-limited` without
   * emitting #GstP2pSink::command. 0 refuses all commands. Default: 20.
   */
  g_object_class_install_property (gobject_class, PROP_COMMAND_RATE,
      g_param_spec_uint ("command-rate", "Command rate",
          "Most commands per second per viewer (0: none)", 0, 10000,
          DEFAULT_COMMAND_RATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstP2pSink:signaller:
   *
   * The #P2pSignaller viewers' calls come through, from C or Python
   * (a #P2pDirectSignaller, the application's own): when set, 'server' and
   * 'lan' are not used. Authentication is the same whatever carries the
   * call. The element handles the signaller's signals on the default
   * #P2pLoop's thread: a signaller of the application's emits them from a
   * function run with p2p_loop_invoke() on p2p_loop_get_default() (p2p-core's
   * signallers made with a %NULL loop do). Default: %NULL (the server and
   * the local network).
   */
  g_object_class_install_property (gobject_class, PROP_SIGNALLER,
      g_param_spec_object ("signaller", "Signaller",
          "Signaller to take calls through instead of server and LAN",
          P2P_TYPE_SIGNALLER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:lan:
   *
   * Also take calls on the local network, with or without a server:
   * answer discovery queries for this camera's UID (UDP port 47230,
   * docs/protocol.md §10) from viewers that know it. 'server' is optional
   * when this is %TRUE. Default: %TRUE.
   */
  g_object_class_install_property (gobject_class, PROP_LAN,
      g_param_spec_boolean ("lan", "LAN",
          "Also take calls on the local network", TRUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSink:talkback:
   *
   * Whether viewers may talk back. The `talkback` pad appears with the
   * first talking viewer's encoded audio (Opus, PCMU or PCMA, after a
   * jitter buffer of 60 ms): one viewer talks at a time, the first whose
   * audio arrives, until it is silent for a second or leaves; the others
   * are told the floor is taken. `p2p-talkback` bus messages (`viewer-id`,
   * `state` `started`, `stopped` or `refused`, `reason`) tell who talks.
   * Default: %TRUE.
   */
  g_object_class_install_property (gobject_class, PROP_TALKBACK,
      g_param_spec_boolean ("talkback", "Talk-back",
          "Whether viewers may talk back", TRUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstP2pSink::command:
   * @sink: the element
   * @viewer_id: the viewer that sent it (`viewer-N`, as in bus messages)
   * @request_id: the viewer's id of the request, for #GstP2pSink::reply
   * @name: the command's name (letters, digits, `.`, `_`, `-`)
   * @payload: its payload, UTF-8 text of at most 16 KiB (JSON by
   *     convention)
   *
   * An admitted viewer sent a command, within #GstP2pSink:command-rate.
   * Emitted on p2p-core's thread, in the order the viewer sent them; answer
   * each with #GstP2pSink::reply, from the handler or later from any
   * thread. Viewers that have not proved the password never get here.
   *
   * Since: 0.2
   */
  signals[SIGNAL_COMMAND] = g_signal_new ("command", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING,
      G_TYPE_UINT64, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstP2pSink::reply:
   * @sink: the element
   * @viewer_id: the viewer, as #GstP2pSink::command named it
   * @request_id: the command's request id
   * @ok: whether the command succeeded
   * @payload: (nullable): the result, or an error text when @ok is %FALSE
   *
   * Action signal: answers a command of one viewer; no other viewer sees
   * it.
   *
   * Returns: %FALSE when the viewer is gone or @payload is too large
   *
   * Since: 0.2
   */
  signals[SIGNAL_REPLY] = g_signal_new_class_handler ("reply",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_p2p_sink_reply), NULL, NULL, NULL, G_TYPE_BOOLEAN, 4,
      G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_BOOLEAN, G_TYPE_STRING);

  /**
   * GstP2pSink::send-event:
   * @sink: the element
   * @viewer_id: (nullable): one viewer, or %NULL for every admitted viewer
   * @name: the event's name (`ring`, `motion`, …)
   * @payload: (nullable): its payload, UTF-8 text of at most 16 KiB
   *
   * Action signal: sends an event to viewers, which p2psrc delivers with
   * its #GstP2pSrc::event signal.
   *
   * Returns: the number of viewers it was sent to; 0 also when @name or
   *     @payload break the channel's rules (a warning is logged)
   *
   * Since: 0.2
   */
  signals[SIGNAL_SEND_EVENT] = g_signal_new_class_handler ("send-event",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_p2p_sink_send_event), NULL, NULL, NULL, G_TYPE_UINT, 3,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_add_static_pad_template (element_class, &talkback_template);

  gst_element_class_set_static_metadata (element_class,
      "P2P camera sink", "Sink/Network",
      "Serves encoded media to viewers connecting by device UID, peer to "
      "peer over ICE and DTLS-SRTP", "The gst-p2p authors");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_p2p_sink_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_p2p_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_p2p_sink_release_pad);
}

static void
gst_p2p_sink_init (GstP2pSink * self)
{
  self->max_viewers = DEFAULT_MAX_VIEWERS;
  self->command_rate = DEFAULT_COMMAND_RATE;
  self->lan = TRUE;
  self->talkback_enabled = TRUE;
  self->router = p2p_message_router_new ();
  p2p_message_router_add (self->router, "command", sink_on_command, self);
  self->viewers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_object_unref);
  self->fanout = gst_p2p_fanout_new (sink_send_packet, sink_request_keyframe,
      self);
  self->backoff = p2p_auth_backoff_new (BACKOFF_INITIAL_MS, BACKOFF_MAX_MS,
      BACKOFF_MAX_ADDRESSES);

  self->rtpbin = gst_element_factory_make ("rtpbin", "rtpbin");
  if (self->rtpbin) {
    /* AVPF: feedback (NACK, PLI) is sent at once, not at the next report. */
    gst_util_set_object_arg (G_OBJECT (self->rtpbin), "rtp-profile", "avpf");
    gst_bin_add (GST_BIN (self), self->rtpbin);
    self->talkback = gst_p2p_talkback_new (GST_ELEMENT (self), self->rtpbin,
        gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
            "talkback"));
  }
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
stream_free (Stream * stream)
{
  gst_clear_caps (&stream->rtp_caps);
  gst_clear_object (&stream->payloader);
  gst_clear_object (&stream->parser);
  gst_clear_object (&stream->packet_sink);
  gst_clear_object (&stream->rtcp_sink);
  gst_clear_object (&stream->rtp_src);
  g_free (stream);
}

static void
gst_p2p_sink_finalize (GObject * object)
{
  GstP2pSink *self = GST_P2P_SINK (object);
  guint i;

  for (i = 0; i < N_STREAMS; i++)
    g_clear_pointer (&self->streams[i], stream_free);
  g_clear_object (&self->user_signaller);
  g_free (self->uid);
  g_free (self->key_file);
  g_free (self->server);
  g_free (self->server_id);
  g_free (self->password_file);
  g_free (self->stun_server);
  g_free (self->turn_server);
  if (self->password)
    OPENSSL_cleanse (self->password, strlen (self->password));
  g_free (self->password);
  g_clear_object (&self->backoff);
  g_hash_table_unref (self->viewers);
  gst_p2p_fanout_free (self->fanout);
  p2p_message_router_free (self->router);
  g_clear_pointer (&self->talkback, gst_p2p_talkback_free);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---------------------------------------------------------------------- */
/* Keyframes and the fan-out                                              */

/* The fan-out asks the encoder for a keyframe, through the payloader so
 * that it also re-sends its parameter sets. Any thread. */
static void
sink_request_keyframe (guint count, const gchar * why, gpointer user_data)
{
  GstP2pSink *self = user_data;
  GstElement *pay = NULL;
  GstPad *srcpad;

  GST_OBJECT_LOCK (self);
  if (self->streams[STREAM_VIDEO] && self->streams[STREAM_VIDEO]->payloader)
    pay = gst_object_ref (self->streams[STREAM_VIDEO]->payloader);
  GST_OBJECT_UNLOCK (self);
  if (!pay)
    return;

  GST_DEBUG_OBJECT (self, "requesting a keyframe (%s)", why);
  srcpad = gst_element_get_static_pad (pay, "src");
  gst_pad_send_event (srcpad,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          count));
  gst_object_unref (srcpad);
  gst_object_unref (pay);
}

/* The fan-out's way out to one viewer: encrypt and write, never call
 * back. */
static void
sink_send_packet (gpointer target, gboolean is_rtcp, const guint8 * data,
    gsize size, gpointer user_data)
{
  P2pTransport *transport = p2p_camera_session_get_transport (target);

  if (is_rtcp)
    p2p_transport_send_rtcp (transport, data, size, NULL);
  else
    p2p_transport_send_rtp (transport, data, size, NULL);
}

static GstPadProbeReturn
payloader_input_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Stream *stream = data;
  GstBuffer *buf = NULL;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    buf = GST_PAD_PROBE_INFO_BUFFER (info);
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    buf = gst_buffer_list_get (GST_PAD_PROBE_INFO_BUFFER_LIST (info), 0);
  if (buf)
    gst_p2p_fanout_input (stream->sink->fanout, stream->index,
        !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
  return GST_PAD_PROBE_OK;
}

/* Streaming thread: one RTP packet from the payloader (through rtpbin). */
static void
stream_on_rtp (const guint8 * data, gsize size, GstBuffer * buffer,
    gpointer user_data)
{
  Stream *stream = user_data;

  gst_p2p_fanout_push_rtp (stream->sink->fanout, stream->index, data, size);
}

/* Streaming thread (rtpbin's RTCP thread): sender reports for everyone. */
static void
stream_on_rtcp (const guint8 * data, gsize size, GstBuffer * buffer,
    gpointer user_data)
{
  Stream *stream = user_data;

  gst_p2p_fanout_push_rtcp (stream->sink->fanout, data, size);
}

/* ---------------------------------------------------------------------- */
/* Request pads                                                           */

static gboolean
stream_setup_payloader (Stream * stream, GstCaps * caps)
{
  GstP2pSink *self = stream->sink;
  const GstP2pCodec *codec = gst_p2p_codec_find (caps);
  g_autoptr (GError) err = NULL;
  GstElement *pay, *parse = NULL;
  GstPad *paysink, *sinkpad;
  gchar *name;

  if (stream->payloader) {
    if (codec == stream->codec)
      return TRUE;
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The encoded format changed while streaming"),
        ("%" GST_PTR_FORMAT " after %s", caps, stream->codec->media_type));
    return FALSE;
  }
  if (!codec) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("no payloader for %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  pay = gst_p2p_codec_make_payloader (codec, &err);
  if (pay && codec->parser) {
    parse = gst_p2p_codec_make_parser (codec, &err);
    if (!parse)
      gst_clear_object (&pay);
  }
  if (!pay) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("%s", err->message),
        (NULL));
    return FALSE;
  }

  name = g_strdup_printf ("send_rtp_sink_%u", stream->index);
  gst_bin_add (GST_BIN (self), pay);
  if (parse)
    gst_bin_add (GST_BIN (self), parse);
  if (!gst_element_link_pads (pay, "src", self->rtpbin, name)
      || (parse && !gst_element_link (parse, pay))) {
    g_free (name);
    gst_bin_remove (GST_BIN (self), pay);
    if (parse)
      gst_bin_remove (GST_BIN (self), parse);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("could not link %s to rtpbin", codec->payloader));
    return FALSE;
  }
  g_free (name);

  /* Keyframes are flagged on the payloader's input, after the parser. */
  paysink = gst_element_get_static_pad (pay, "sink");
  gst_pad_add_probe (paysink,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      payloader_input_probe, stream, NULL);
  gst_object_unref (paysink);
  sinkpad = gst_element_get_static_pad (parse ? parse : pay, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (stream->ghost), sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (pay);
  if (parse)
    gst_element_sync_state_with_parent (parse);

  GST_OBJECT_LOCK (self);
  stream->codec = codec;
  stream->payloader = gst_object_ref (pay);
  stream->parser = parse ? gst_object_ref (parse) : NULL;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "%s stream: %s via %s",
      stream->index == STREAM_VIDEO ? "video" : "audio", codec->media_type,
      codec->payloader);
  return TRUE;
}

static gboolean
stream_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Stream *stream = gst_pad_get_element_private (pad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (event, &caps);
    if (!stream_setup_payloader (stream, caps)) {
      gst_event_unref (event);
      return FALSE;
    }
  }
  return gst_pad_event_default (pad, parent, event);
}

static void
payloader_caps_notify (GstPad * pad, GParamSpec * pspec, Stream * stream)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstP2pSink *self = stream->sink;

  if (!caps)
    return;
  GST_OBJECT_LOCK (self);
  gst_caps_replace (&stream->rtp_caps, caps);
  GST_OBJECT_UNLOCK (self);
  gst_caps_unref (caps);

  /* Calls that arrived before the media was known can get their offer. */
  if (self->loop)
    p2p_loop_invoke (self->loop, (GSourceFunc) sink_start_pending_viewers,
        gst_object_ref (self), gst_object_unref);
}

static GstPad *
gst_p2p_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstP2pSink *self = GST_P2P_SINK (element);
  StreamIndex index;
  Stream *stream;
  GstPad *rtp_src, *rtcp_src, *sinkpad;
  gchar *pad_name;
  GObject *session = NULL;

  if (!self->rtpbin) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The 'rtpbin' element (gst-plugins-good) is not installed"), (NULL));
    return NULL;
  }
  index = g_str_equal (templ->name_template, "video") ? STREAM_VIDEO :
      STREAM_AUDIO;
  if (self->streams[index]) {
    GST_WARNING_OBJECT (self, "already have a %s pad", templ->name_template);
    return NULL;
  }

  stream = g_new0 (Stream, 1);
  stream->sink = self;
  stream->index = index;
  GST_OBJECT_LOCK (self);
  self->streams[index] = stream;
  GST_OBJECT_UNLOCK (self);
  gst_p2p_fanout_add_stream (self->fanout, index,
      index == STREAM_VIDEO ? HISTORY_VIDEO : HISTORY_AUDIO);

  pad_name = g_strdup_printf ("rtpsink_%u", index);
  stream->packet_sink = gst_p2p_packet_sink_new (pad_name, stream_on_rtp,
      stream, TRUE);
  g_free (pad_name);
  pad_name = g_strdup_printf ("rtcpsink_%u", index);
  stream->rtcp_sink = gst_p2p_packet_sink_new (pad_name, stream_on_rtcp,
      stream, FALSE);
  g_free (pad_name);
  /* Our own references: the bin drops its ones before releasing pads. */
  gst_object_ref_sink (stream->packet_sink);
  gst_object_ref_sink (stream->rtcp_sink);
  gst_bin_add_many (GST_BIN (self), stream->packet_sink, stream->rtcp_sink,
      NULL);

  /* rtpbin adds send_rtp_src_N only once send_rtp_sink_N exists. */
  pad_name = g_strdup_printf ("send_rtp_sink_%u", index);
  sinkpad = gst_element_request_pad_simple (self->rtpbin, pad_name);
  g_free (pad_name);
  pad_name = g_strdup_printf ("send_rtp_src_%u", index);
  rtp_src = gst_element_get_static_pad (self->rtpbin, pad_name);
  g_free (pad_name);
  if (rtp_src) {
    GstPad *p = gst_element_get_static_pad (stream->packet_sink, "sink");

    gst_pad_link (rtp_src, p);
    /* The payloader's output caps, known once it negotiated, are what the
     * offer describes. */
    g_signal_connect (rtp_src, "notify::caps",
        G_CALLBACK (payloader_caps_notify), stream);
    gst_object_unref (p);
    stream->rtp_src = rtp_src;
  }
  gst_clear_object (&sinkpad);

  pad_name = g_strdup_printf ("send_rtcp_src_%u", index);
  rtcp_src = gst_element_request_pad_simple (self->rtpbin, pad_name);
  g_free (pad_name);
  if (rtcp_src) {
    GstPad *p = gst_element_get_static_pad (stream->rtcp_sink, "sink");

    gst_pad_link (rtcp_src, p);
    gst_object_unref (p);
    gst_object_unref (rtcp_src);
  }

  /* Sender reports every second rather than every five: a new viewer can
   * synchronise audio and video sooner. */
  g_signal_emit_by_name (self->rtpbin, "get-internal-session", index, &session);
  if (session) {
    g_object_set (session, "rtcp-min-interval", (guint64) GST_SECOND, NULL);
    g_object_unref (session);
  }

  gst_element_sync_state_with_parent (stream->packet_sink);
  gst_element_sync_state_with_parent (stream->rtcp_sink);

  stream->ghost = gst_ghost_pad_new_no_target_from_template
      (templ->name_template, templ);
  gst_pad_set_element_private (stream->ghost, stream);
  gst_pad_set_event_function (stream->ghost, stream_sink_event);
  gst_pad_set_query_function (stream->ghost, gst_p2p_ghost_sink_query);
  gst_pad_set_active (stream->ghost, TRUE);
  gst_element_add_pad (element, stream->ghost);
  return stream->ghost;
}

static void
gst_p2p_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstP2pSink *self = GST_P2P_SINK (element);
  Stream *stream = gst_pad_get_element_private (pad);
  GstElement *pay, *parse;

  if (!stream)
    return;
  GST_OBJECT_LOCK (self);
  pay = g_steal_pointer (&stream->payloader);
  parse = g_steal_pointer (&stream->parser);
  self->streams[stream->index] = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_p2p_fanout_remove_stream (self->fanout, stream->index);

  if (stream->rtp_src)
    g_signal_handlers_disconnect_by_data (stream->rtp_src, stream);
  gst_element_remove_pad (element, pad);
  if (pay) {
    gst_element_set_state (pay, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (pay) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), pay);
    gst_object_unref (pay);
  }
  if (parse) {
    gst_element_set_state (parse, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (parse) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), parse);
    gst_object_unref (parse);
  }
  gst_element_set_state (stream->packet_sink, GST_STATE_NULL);
  gst_element_set_state (stream->rtcp_sink, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (stream->packet_sink) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), stream->packet_sink);
  if (GST_OBJECT_PARENT (stream->rtcp_sink) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), stream->rtcp_sink);
  stream_free (stream);
}

/* ---------------------------------------------------------------------- */
/* Viewers: one P2pCameraSession each (loop thread)                       */

static guint
sink_count_active (GstP2pSink * self)
{
  return gst_p2p_fanout_get_n_targets (self->fanout);
}

static void
sink_post_viewer_count (GstP2pSink * self)
{
  g_object_notify (G_OBJECT (self), "viewers");
}

static void
viewer_post (GstP2pSink * self, P2pCameraSession * session,
    const gchar * name, const gchar * first_field, ...)
{
  GstStructure *s;
  va_list args;

  s = gst_structure_new (name, "uid", G_TYPE_STRING, self->uid,
      "viewer-id", G_TYPE_STRING, p2p_camera_session_get_id (session), NULL);
  va_start (args, first_field);
  gst_structure_set_valist (s, first_field, args);
  va_end (args);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
viewer_configure (P2pCameraSession * session, P2pTransport * transport,
    gpointer user_data)
{
  GstP2pSink *self = user_data;
  g_autofree gchar *stun = NULL, *turn = NULL;

  GST_OBJECT_LOCK (self);
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  GST_OBJECT_UNLOCK (self);
  gst_p2p_add_ice_servers (GST_ELEMENT (self), transport, self->signaller,
      p2p_camera_session_get_call (session), stun, turn);
}

static gboolean
viewer_send_offer (P2pCameraSession * session, const gchar * sdp,
    GError ** error, gpointer user_data)
{
  GstP2pSink *self = user_data;

  return p2p_signaller_send_offer (self->signaller,
      p2p_camera_session_get_call (session), sdp, error);
}

static void
viewer_send_candidate (P2pCameraSession * session, const gchar * candidate,
    gpointer user_data)
{
  GstP2pSink *self = user_data;

  if (self->signaller)
    p2p_signaller_send_candidate (self->signaller,
        p2p_camera_session_get_call (session), candidate, NULL, NULL);
}

static void
viewer_end_call (P2pCameraSession * session, const gchar * reason,
    gpointer user_data)
{
  GstP2pSink *self = user_data;

  if (self->signaller)
    p2p_signaller_end_call (self->signaller,
        p2p_camera_session_get_call (session), reason, NULL);
}

static gboolean
viewer_admit (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;
  guint max;

  GST_OBJECT_LOCK (self);
  max = self->max_viewers;
  GST_OBJECT_UNLOCK (self);
  return sink_count_active (self) < max;
}

static void
viewer_joined (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;
  P2pConnectionMode mode;

  gst_p2p_fanout_add (self->fanout, g_object_ref (session));
  mode = p2p_transport_get_mode (p2p_camera_session_get_transport (session));
  GST_INFO_OBJECT (self, "%s joined from %s (%s)",
      p2p_camera_session_get_id (session),
      p2p_camera_session_get_address (session),
      p2p_connection_mode_to_string (mode));
  viewer_post (self, session, "p2p-viewer-joined", "address", G_TYPE_STRING,
      p2p_camera_session_get_address (session), "mode", G_TYPE_STRING,
      p2p_connection_mode_to_string (mode), NULL);
  sink_post_viewer_count (self);
}

static void
viewer_left (P2pCameraSession * session, const gchar * reason,
    gpointer user_data)
{
  GstP2pSink *self = user_data;

  GST_INFO_OBJECT (self, "%s left: %s", p2p_camera_session_get_id (session),
      reason);
  viewer_post (self, session, "p2p-viewer-left", "reason", G_TYPE_STRING,
      reason, NULL);
  if (self->talkback)
    gst_p2p_talkback_release (self->talkback, session, "left");
  if (gst_p2p_fanout_remove (self->fanout, session)) {
    g_object_unref (session);
    sink_post_viewer_count (self);
  }
}

static void
viewer_closed (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;

  g_hash_table_remove (self->viewers, p2p_camera_session_get_call (session));
}

static void
viewer_path_changed (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;
  g_autoptr (P2pTransportStats) st = p2p_transport_get_stats
      (p2p_camera_session_get_transport (session));
  GstStructure *s = gst_structure_new ("p2p-connection", "uid",
      G_TYPE_STRING, self->uid, "viewer-id", G_TYPE_STRING,
      p2p_camera_session_get_id (session), "state", G_TYPE_STRING,
      p2p_transport_state_to_string (st->state), NULL);

  gst_p2p_set_path_fields (s, st);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Network thread: RTCP from an admitted viewer — its receiver reports,
 * PLI/FIR and NACKs, for the fan-out — and its talk-back audio. */
static void
viewer_media (P2pCameraSession * session, gboolean is_rtcp,
    const guint8 * data, gsize size, gpointer user_data)
{
  GstP2pSink *self = user_data;

  if (is_rtcp)
    gst_p2p_fanout_feedback (self->fanout, session, data, size);
  if (self->talkback)
    gst_p2p_talkback_push (self->talkback, session, is_rtcp, data, size);
}

/* Whether every requested stream (@all) or at least one knows its RTP
 * caps. */
static gboolean
sink_media_known (GstP2pSink * self, gboolean all)
{
  guint i, requested = 0, known = 0;

  GST_OBJECT_LOCK (self);
  for (i = 0; i < N_STREAMS; i++) {
    if (self->streams[i]) {
      requested++;
      known += self->streams[i]->rtp_caps != NULL;
    }
  }
  GST_OBJECT_UNLOCK (self);
  return known > 0 && (!all || known == requested);
}

/* The media half of the offer, from the payloaders' output caps. */
static GstSDPMessage *
sink_build_media (GstP2pSink * self)
{
  GstSDPMessage *msg;
  gboolean talkback;
  guint i;

  gst_sdp_message_new (&msg);
  for (i = 0; i < N_STREAMS; i++) {
    g_autoptr (GstCaps) caps = NULL;
    g_autoptr (GError) err = NULL;

    GST_OBJECT_LOCK (self);
    if (self->streams[i] && self->streams[i]->rtp_caps)
      caps = gst_caps_ref (self->streams[i]->rtp_caps);
    GST_OBJECT_UNLOCK (self);
    if (caps && !gst_p2p_sdp_add_media (msg, i == STREAM_VIDEO ? "video" :
            "audio", caps, GST_P2P_DIRECTION_SENDONLY, &err))
      GST_WARNING_OBJECT (self, "%s", err->message);
  }
  GST_OBJECT_LOCK (self);
  talkback = self->talkback_enabled && self->talkback;
  GST_OBJECT_UNLOCK (self);
  if (talkback)
    gst_p2p_sdp_add_talkback (msg);
  return msg;
}

static void
viewer_start (GstP2pSink * self, P2pCameraSession * session)
{
  GstSDPMessage *media = sink_build_media (self);

  p2p_camera_session_start (session, media);
  gst_sdp_message_free (media);
}

static gboolean
sink_start_pending_viewers (GstP2pSink * self)
{
  GHashTableIter iter;
  gpointer value;
  g_autoptr (GPtrArray) pending = NULL;
  guint i;

  if (!self->signaller || !sink_media_known (self, TRUE))
    return G_SOURCE_REMOVE;
  pending = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (p2p_camera_session_get_state (value) ==
        P2P_CAMERA_SESSION_STATE_WAITING_MEDIA)
      g_ptr_array_add (pending, g_object_ref (value));
  }
  for (i = 0; i < pending->len; i++)
    viewer_start (self, g_ptr_array_index (pending, i));
  return G_SOURCE_REMOVE;
}

/* A stream that never gets data (an audio pad nobody feeds) must not keep
 * viewers out: after a while they get what is known. */
static void
viewer_media_wait_done (P2pCameraSession * session, gpointer user_data)
{
  GstP2pSink *self = user_data;

  if (sink_media_known (self, FALSE))
    viewer_start (self, session);
  else
    p2p_camera_session_close (session, "no-media", TRUE);
}

static const P2pCameraSessionCallbacks viewer_callbacks = {
  viewer_configure, viewer_send_offer, viewer_send_candidate, viewer_end_call,
  viewer_admit, viewer_joined, viewer_left, viewer_closed, viewer_path_changed,
  viewer_media, viewer_media_wait_done
};

/* ---------------------------------------------------------------------- */
/* Commands and events (docs/protocol.md, "Commands and events")         */

static GQuark
command_limit_quark (void)
{
  return g_quark_from_static_string ("p2psink-command-limit");
}

static void
sink_send_reply (P2pCameraSession * session, guint64 id, gboolean ok,
    const gchar * payload)
{
  g_autoptr (GBytes) msg = p2p_command_build ("command-reply", id, NULL, ok,
      payload);

  p2p_camera_session_send_message (session, msg, NULL);
}

/* Loop thread: a command from an admitted viewer (the router sees no
 * other). */
static void
sink_on_command (JsonObject * message, gpointer context, gpointer user_data)
{
  GstP2pSink *self = user_data;
  P2pCameraSession *session = context;
  g_autoptr (GError) err = NULL;
  P2pRateLimit *limit;
  P2pCommand cmd;
  guint rate;

  if (!p2p_command_parse (message, &cmd, &err)) {
    GST_INFO_OBJECT (self, "%s: %s", p2p_camera_session_get_id (session),
        err->message);
    if (!g_error_matches (err, P2P_COMMAND_ERROR, P2P_COMMAND_ERROR_MALFORMED))
      sink_send_reply (session, cmd.id, FALSE, err->message);
    return;
  }
  GST_OBJECT_LOCK (self);
  rate = self->command_rate;
  GST_OBJECT_UNLOCK (self);
  limit = g_object_get_qdata (G_OBJECT (session), command_limit_quark ());
  if (!limit) {
    limit = p2p_rate_limit_new (rate, rate);
    g_object_set_qdata_full (G_OBJECT (session), command_limit_quark (),
        limit, (GDestroyNotify) p2p_rate_limit_free);
  }
  if (rate == 0 || !p2p_rate_limit_take (limit, g_get_monotonic_time ())) {
    sink_send_reply (session, cmd.id, FALSE, rate == 0 ?
        "refused: this camera takes no commands" :
        "rate-limited: too many commands, slow down");
    return;
  }
  g_signal_emit (self, signals[SIGNAL_COMMAND], 0,
      p2p_camera_session_get_id (session), cmd.id, cmd.name, cmd.payload);
}

typedef struct
{
  GstP2pSink *self;
  const gchar *viewer_id;
  GBytes *message;
  guint sent;
} Outgoing;

static gboolean
sink_send_to_viewers (gpointer data)
{
  Outgoing *out = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, out->self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (p2p_camera_session_get_state (value) !=
        P2P_CAMERA_SESSION_STATE_ACTIVE || (out->viewer_id
            && g_strcmp0 (out->viewer_id,
                p2p_camera_session_get_id (value)) != 0))
      continue;
    if (p2p_camera_session_send_message (value, out->message, NULL))
      out->sent++;
  }
  return G_SOURCE_REMOVE;
}

static guint
sink_send_message (GstP2pSink * self, const gchar * viewer_id, GBytes * message)
{
  Outgoing out = { self, viewer_id, message, 0 };

  if (self->loop)
    p2p_loop_invoke_sync (self->loop, sink_send_to_viewers, &out);
  return out.sent;
}

static gboolean
gst_p2p_sink_reply (GstP2pSink * self, const gchar * viewer_id,
    guint64 request_id, gboolean ok, const gchar * payload)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) msg = NULL;

  g_return_val_if_fail (viewer_id != NULL, FALSE);
  if (!p2p_command_check (NULL, payload, &err)) {
    GST_WARNING_OBJECT (self, "reply to %s refused: %s", viewer_id,
        err->message);
    return FALSE;
  }
  msg = p2p_command_build ("command-reply", request_id, NULL, ok, payload);
  return sink_send_message (self, viewer_id, msg) > 0;
}

static guint
gst_p2p_sink_send_event (GstP2pSink * self, const gchar * viewer_id,
    const gchar * name, const gchar * payload)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) msg = NULL;

  if (!p2p_command_check (name ? name : "", payload, &err)) {
    GST_WARNING_OBJECT (self, "event refused: %s", err->message);
    return 0;
  }
  msg = p2p_command_build ("event", 0, name, TRUE, payload);
  return sink_send_message (self, viewer_id, msg);
}

/* ---------------------------------------------------------------------- */
/* Signalling (loop thread)                                               */

static void
sink_on_incoming (P2pSignaller * sig, const gchar * call,
    const gchar * session_id, const gchar * address, GstP2pSink * self)
{
  P2pCameraSessionConfig config = {
    self->loop, self->identity, self->uid, self->verifier, self->backoff,
    self->router, AUTH_TIMEOUT_MS
  };
  P2pCameraSession *session;
  g_autofree gchar *id = NULL;
  guint max;

  GST_OBJECT_LOCK (self);
  max = self->max_viewers;
  GST_OBJECT_UNLOCK (self);

  /* Refused before any ICE work: the call costs the camera nothing. */
  if (g_hash_table_size (self->viewers) >= max) {
    GST_INFO_OBJECT (self, "call from %s refused: busy", address);
    p2p_signaller_end_call (sig, call, P2P_VIEWER_AUTH_REASON_BUSY, NULL);
    return;
  }

  id = g_strdup_printf ("viewer-%u", ++self->next_serial);
  session = p2p_camera_session_new (&config, call, id, address,
      &viewer_callbacks, self);
  g_hash_table_insert (self->viewers, g_strdup (call), session);
  GST_INFO_OBJECT (self, "call %s from %s: %s", call, address, id);

  if (sink_media_known (self, TRUE)) {
    viewer_start (self, session);
  } else {
    GST_INFO_OBJECT (self, "%s waits until the media format is known", id);
    p2p_camera_session_wait_media (session, MEDIA_WAIT_MS);
  }
}

static void
sink_on_answer (P2pSignaller * sig, const gchar * call, const gchar * sdp,
    GstP2pSink * self)
{
  P2pCameraSession *session = g_hash_table_lookup (self->viewers, call);

  if (session)
    p2p_camera_session_set_answer (session, sdp);
}

static void
sink_on_candidate (P2pSignaller * sig, const gchar * call,
    const gchar * candidate, const gchar * mid, GstP2pSink * self)
{
  P2pCameraSession *session = g_hash_table_lookup (self->viewers, call);

  if (session)
    p2p_camera_session_add_candidate (session, candidate);
}

static void
sink_on_call_ended (P2pSignaller * sig, const gchar * call,
    const gchar * reason, GstP2pSink * self)
{
  P2pCameraSession *session = g_hash_table_lookup (self->viewers, call);

  if (session)
    p2p_camera_session_close (session, reason && *reason ? reason : "bye",
        FALSE);
}

static void
sink_on_call_error (P2pSignaller * sig, const gchar * call,
    const GError * error, GstP2pSink * self)
{
  P2pCameraSession *session = g_hash_table_lookup (self->viewers, call);

  /* The server forgot the call (the viewer left before our offer, say). */
  if (session && p2p_camera_session_get_state (session) !=
      P2P_CAMERA_SESSION_STATE_ACTIVE) {
    GST_INFO_OBJECT (self, "%s: %s", p2p_camera_session_get_id (session),
        error->message);
    p2p_camera_session_close (session, "failed", FALSE);
  }
}

static void
sink_on_signalling_state (P2pSignalling * sig, P2pSignallingState state,
    const GError * error, GstP2pSink * self)
{
  GST_DEBUG_OBJECT (self, "signalling %s%s%s",
      p2p_signalling_state_to_string (state), error ? ": " : "",
      error ? error->message : "");

  if (state == P2P_SIGNALLING_STATE_READY) {
    g_autofree gchar *server = p2p_signalling_dup_server_uri (sig);

    self->registered = TRUE;
    self->warned_unreachable = FALSE;
    self->warned_wrong_server = FALSE;
    GST_INFO_OBJECT (self, "registered with %s", server);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("p2p-registered", "uid", G_TYPE_STRING,
                self->uid, "server", G_TYPE_STRING, server, NULL)));
    return;
  }

  if (self->registered) {
    self->registered = FALSE;
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("p2p-unregistered", "uid", G_TYPE_STRING,
                self->uid, "reason", G_TYPE_STRING,
                error ? error->message : p2p_signalling_state_to_string
                (state), NULL)));
  }

  if (state == P2P_SIGNALLING_STATE_FAILED) {
    /* The server refused the login itself: retrying cannot help. */
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("The server refused this camera's login: %s",
            error ? error->message : "unknown reason"),
        ("uid %s; check uid and key-file against the server's registry",
            self->uid));
  } else if (state == P2P_SIGNALLING_STATE_WAITING && error
      && !self->warned_unreachable
      && !g_error_matches (error, P2P_SIGNALLING_ERROR,
          P2P_SIGNALLING_ERROR_WRONG_SERVER)) {
    /* Once per outage: the client keeps retrying with back-off. (A server
     * we refused was reachable: sink_on_server_refused() warned.) */
    self->warned_unreachable = TRUE;
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
        ("Cannot reach the signalling server, retrying: %s", error->message),
        (NULL));
  }
}

/* The server client's own failures are reported by its state; this is
 * the others' (a local-network socket that cannot be opened, an
 * application's signaller): the camera keeps what still works. */
static void
sink_on_signaller_error (P2pSignaller * sig, const GError * error,
    GstP2pSink * self)
{
  if (self->signalling && sig == P2P_SIGNALLER (self->signalling))
    return;
  GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
      ("Signalling failed: %s", error->message), (NULL));
}

/* An impostor, or a server whose id is not its host name: once per
 * outage, whether or not another server of the list takes the login. */
static void
sink_on_server_refused (P2pSignalling * sig, const gchar * uri,
    const GError * error, GstP2pSink * self)
{
  if (self->warned_wrong_server)
    return;
  self->warned_wrong_server = TRUE;
  GST_ELEMENT_WARNING (self, RESOURCE, NOT_AUTHORIZED,
      ("Refused to log in to a server with an unexpected id: %s",
          error->message),
      ("uid %s; if that server is genuine, set 'server-id' to its id",
          self->uid));
}

/* Once a second: viewers' bitrates from their byte counters. */
static gboolean
sink_stats_tick (gpointer data)
{
  GstP2pSink *self = data;
  GHashTableIter iter;
  gpointer value;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    p2p_camera_session_tick (value, now);
  if (self->talkback)
    gst_p2p_talkback_tick (self->talkback, now);
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  GstP2pSink *self;
  GstStructure *result;
} StatsCall;

static gboolean
sink_collect_stats (gpointer data)
{
  StatsCall *call = data;
  GstP2pSink *self = call->self;
  GHashTableIter iter;
  gpointer value;

  gst_structure_set (call->result, "registered", G_TYPE_BOOLEAN,
      self->registered, NULL);
  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    P2pCameraSession *session = value;
    P2pTransport *transport = p2p_camera_session_get_transport (session);
    g_autoptr (P2pTransportStats) st = NULL;
    GstStructure *vs;
    GstP2pFanoutStats fs = { 0, 0.0, -1 };

    if (!transport)
      continue;
    st = p2p_transport_get_stats (transport);
    vs = gst_structure_new ("p2p-viewer-stats",
        "state", G_TYPE_STRING, p2p_camera_session_state_to_string
        (p2p_camera_session_get_state (session)),
        "address", G_TYPE_STRING, p2p_camera_session_get_address (session),
        NULL);
    gst_p2p_set_path_fields (vs, st);
    /* The message channel measures RTT; receiver reports stand in until it
     * has. */
    gst_p2p_fanout_get_stats (self->fanout, session, &fs);
    if (st->rtt_ms < 0)
      gst_structure_set (vs, "rtt-ms", G_TYPE_INT64, fs.rtt_ms, NULL);
    gst_structure_set (vs,
        "fraction-lost", G_TYPE_DOUBLE, fs.fraction_lost,
        "bitrate", G_TYPE_UINT64, p2p_camera_session_get_bitrate (session),
        "packets-sent", G_TYPE_UINT64, st->rtp_packets_sent,
        "bytes-sent", G_TYPE_UINT64, st->rtp_bytes_sent,
        "retransmissions", G_TYPE_UINT64, fs.retransmissions, NULL);
    gst_structure_set (call->result, p2p_camera_session_get_id (session),
        GST_TYPE_STRUCTURE, vs, NULL);
    gst_structure_free (vs);
  }
  return G_SOURCE_REMOVE;
}

static GstStructure *
gst_p2p_sink_get_stats (GstP2pSink * self)
{
  StatsCall call = { self, NULL };

  call.result = gst_structure_new ("p2psink-stats", "viewers", G_TYPE_UINT,
      sink_count_active (self), "registered", G_TYPE_BOOLEAN, FALSE, NULL);
  if (self->loop)
    p2p_loop_invoke_sync (self->loop, sink_collect_stats, &call);
  return call.result;
}

/* ---------------------------------------------------------------------- */
/* State changes                                                          */

static gboolean
sink_start (gpointer data)
{
  GstP2pSink *self = data;

  if (self->servers) {
    self->signalling = p2p_signalling_new_device (self->loop,
        (const gchar * const *) self->servers, self->uid, self->identity);
    if (self->allow_insecure)
      g_object_set (self->signalling, "allow-insecure", TRUE, NULL);
    if (self->server_ids)
      g_object_set (self->signalling, "server-ids", self->server_ids, NULL);
    g_signal_connect (self->signalling, "state-changed",
        G_CALLBACK (sink_on_signalling_state), self);
    g_signal_connect (self->signalling, "server-refused",
        G_CALLBACK (sink_on_server_refused), self);
  }
  self->signaller = gst_p2p_make_signaller (self->user_signaller,
      self->signalling, self->lan && !self->user_signaller ?
      P2P_SIGNALLER (p2p_lan_signaller_new_camera (self->loop, self->uid)) :
      NULL);
  g_signal_connect (self->signaller, "incoming-call",
      G_CALLBACK (sink_on_incoming), self);
  g_signal_connect (self->signaller, "remote-answer",
      G_CALLBACK (sink_on_answer), self);
  g_signal_connect (self->signaller, "remote-candidate",
      G_CALLBACK (sink_on_candidate), self);
  g_signal_connect (self->signaller, "call-ended",
      G_CALLBACK (sink_on_call_ended), self);
  g_signal_connect (self->signaller, "call-error",
      G_CALLBACK (sink_on_call_error), self);
  g_signal_connect (self->signaller, "error",
      G_CALLBACK (sink_on_signaller_error), self);

  self->stats_timer = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->stats_timer, sink_stats_tick, self, NULL);
  g_source_attach (self->stats_timer, p2p_loop_get_context (self->loop));

  p2p_signaller_start (self->signaller);
  return G_SOURCE_REMOVE;
}

static gboolean
sink_stop (gpointer data)
{
  GstP2pSink *self = data;
  GList *viewers, *l;

  viewers = g_hash_table_get_values (self->viewers);
  g_list_foreach (viewers, (GFunc) g_object_ref, NULL);
  for (l = viewers; l; l = l->next)
    p2p_camera_session_close (l->data, "shutdown", TRUE);
  g_list_free_full (viewers, g_object_unref);

  if (self->stats_timer) {
    g_source_destroy (self->stats_timer);
    g_clear_pointer (&self->stats_timer, g_source_unref);
  }
  if (self->signaller) {
    p2p_signaller_stop (self->signaller);
    g_signal_handlers_disconnect_by_data (self->signaller, self);
    g_clear_object (&self->signaller);
  }
  if (self->signalling) {
    g_signal_handlers_disconnect_by_data (self->signalling, self);
    g_clear_object (&self->signalling);
  }
  if (self->registered) {
    self->registered = FALSE;
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("p2p-unregistered", "uid", G_TYPE_STRING,
                self->uid, "reason", G_TYPE_STRING, "stopped", NULL)));
  }
  return G_SOURCE_REMOVE;
}

/* The ids go into the signed login text, one per line: printable, no
 * white space, within the server's own limit. */
static gboolean
sink_parse_server_ids (GstP2pSink * self, const gchar * list)
{
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; parts[i]; i++) {
    const gchar *id = g_strstrip (parts[i]);
    const gchar *p;

    if (*id == '\0')
      continue;
    for (p = id; *p > 0x20 && *p < 0x7f; p++);
    if (*p || strlen (id) > 255) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Invalid server-id '%s': expected the server's id (its host name, "
              "e.g. p2p.example.com), printable and without spaces", id),
          (NULL));
      g_ptr_array_unref (ids);
      return FALSE;
    }
    g_ptr_array_add (ids, g_strdup (id));
  }
  g_ptr_array_add (ids, NULL);
  self->server_ids = (gchar **) g_ptr_array_free (ids, FALSE);
  return TRUE;
}

static gboolean
sink_prepare (GstP2pSink * self)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *uid = NULL, *key_file = NULL, *server = NULL;
  g_autofree gchar *server_id = NULL, *password_file = NULL;
  g_autofree gchar *stun = NULL, *turn = NULL;
  P2pPasswordVerifier *verifier = NULL;
  gboolean has_signaller, lan;
  gchar *password;

  GST_OBJECT_LOCK (self);
  uid = g_strdup (self->uid);
  key_file = g_strdup (self->key_file);
  server = g_strdup (self->server);
  server_id = g_strdup (self->server_id);
  password_file = g_strdup (self->password_file);
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  password = g_strdup (self->password);
  has_signaller = self->user_signaller != NULL;
  lan = self->lan;
  GST_OBJECT_UNLOCK (self);

  /* The password hash is slow on purpose: done here, once, never per
   * viewer and never under the object lock. */
  if (password && *password && !password_file) {
    verifier = p2p_password_verifier_new (password, 0, &err);
    if (!verifier) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Bad password: %s", err->message), (NULL));
      OPENSSL_cleanse (password, strlen (password));
      g_free (password);
      goto fail;
    }
  }
  if (password)
    OPENSSL_cleanse (password, strlen (password));
  g_free (password);

  if (!self->rtpbin) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The 'rtpbin' element (gst-plugins-good) is not installed"), (NULL));
    goto fail;
  }
  if (!gst_p2p_check_uid (GST_ELEMENT (self), uid))
    goto fail;
  if (!key_file || !*key_file) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No key file set: set the 'key-file' property to the device's PEM "
            "file from 'p2p-uid add'"), (NULL));
    goto fail;
  }
  self->identity = p2p_identity_new_from_file (key_file, &err);
  if (!self->identity || !p2p_identity_has_private_key (self->identity)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Cannot use key file '%s': %s", key_file,
            err ? err->message : "it holds no private key"), (NULL));
    g_clear_object (&self->identity);
    goto fail;
  }
  /* The server is optional when calls can come another way. */
  if (server && *server) {
    self->servers = gst_p2p_parse_servers (GST_ELEMENT (self), server,
        &self->allow_insecure);
    if (!self->servers)
      goto fail;
  } else if (!has_signaller && !lan) {
    gst_p2p_parse_servers (GST_ELEMENT (self), NULL, &self->allow_insecure);
    goto fail;
  }
  if (server_id && !sink_parse_server_ids (self, server_id))
    goto fail;
  if (!gst_p2p_check_ice_overrides (GST_ELEMENT (self), stun, turn))
    goto fail;

  if (password_file) {
    g_autofree gchar *contents = NULL;
    gsize len = 0;

    if (!g_file_get_contents (password_file, &contents, &len, &err)) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Cannot read password file '%s': %s", password_file,
              err->message), (NULL));
      goto fail;
    }
    g_clear_pointer (&verifier, p2p_password_verifier_free);
    verifier = p2p_password_verifier_parse (contents, &err);
    memset (contents, 0, len);
    if (!verifier) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Bad password file '%s': %s", password_file, err->message), (NULL));
      goto fail;
    }
  }
  if (!verifier)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("No viewer password set: anyone who knows the UID can watch"),
        ("set 'password' or 'password-file'"));
  self->verifier = verifier;
  self->loop = p2p_loop_get_default ();
  /* P2pTransport's class initialisation starts libsrtp's ~20 ms cipher
   * self-test on a thread of its own: start it now, while signalling
   * connects, rather than on the first viewer's critical path. */
  g_type_class_unref (g_type_class_ref (P2P_TYPE_TRANSPORT));
  GST_OBJECT_LOCK (self);
  self->config_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;

fail:
  p2p_password_verifier_free (verifier);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->servers, g_strfreev);
  g_clear_pointer (&self->server_ids, g_strfreev);
  return FALSE;
}

static void
sink_unprepare (GstP2pSink * self)
{
  g_clear_object (&self->loop);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->servers, g_strfreev);
  g_clear_pointer (&self->server_ids, g_strfreev);
  g_clear_pointer (&self->verifier, p2p_password_verifier_free);
}

static GstStateChangeReturn
gst_p2p_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstP2pSink *self = GST_P2P_SINK (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!sink_prepare (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:{
      gboolean dirty;

      /* Properties may change in READY: read them again. */
      GST_OBJECT_LOCK (self);
      dirty = self->config_dirty;
      GST_OBJECT_UNLOCK (self);
      if (dirty) {
        sink_unprepare (self);
        if (!sink_prepare (self))
          return GST_STATE_CHANGE_FAILURE;
      }
      self->warned_unreachable = FALSE;
      p2p_loop_invoke_sync (self->loop, sink_start, self);
      break;
    }
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_NULL_TO_READY)
      sink_unprepare (self);
    else if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      p2p_loop_invoke_sync (self->loop, sink_stop, self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      p2p_loop_invoke_sync (self->loop, sink_stop, self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      sink_unprepare (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ---------------------------------------------------------------------- */
/* Properties                                                             */

static void
gst_p2p_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstP2pSink *self = GST_P2P_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_UID:
      g_free (self->uid);
      self->uid = g_value_dup_string (value);
      break;
    case PROP_KEY_FILE:
      g_free (self->key_file);
      self->key_file = g_value_dup_string (value);
      break;
    case PROP_SERVER:
      g_free (self->server);
      self->server = g_value_dup_string (value);
      break;
    case PROP_SERVER_ID:
      g_free (self->server_id);
      self->server_id = g_value_dup_string (value);
      break;
    case PROP_PASSWORD:{
      const gchar *pw = g_value_get_string (value);

      /* Only kept until NULL→READY turns it into the verifier. */
      if (self->password)
        OPENSSL_cleanse (self->password, strlen (self->password));
      g_free (self->password);
      self->password = g_strdup (pw);
      break;
    }
    case PROP_PASSWORD_FILE:
      g_free (self->password_file);
      self->password_file = g_value_dup_string (value);
      break;
    case PROP_MAX_VIEWERS:
      self->max_viewers = g_value_get_uint (value);
      break;
    case PROP_COMMAND_RATE:
      self->command_rate = g_value_get_uint (value);
      break;
    case PROP_SIGNALLER:
      g_clear_object (&self->user_signaller);
      self->user_signaller = g_value_dup_object (value);
      break;
    case PROP_LAN:
      self->lan = g_value_get_boolean (value);
      break;
    case PROP_TALKBACK:
      self->talkback_enabled = g_value_get_boolean (value);
      if (self->talkback)
        gst_p2p_talkback_set_enabled (self->talkback, self->talkback_enabled);
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
  if (prop_id != PROP_MAX_VIEWERS && prop_id != PROP_COMMAND_RATE
      && prop_id != PROP_TALKBACK)
    self->config_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_p2p_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstP2pSink *self = GST_P2P_SINK (object);

  switch (prop_id) {
    case PROP_STATS:
      g_value_take_boxed (value, gst_p2p_sink_get_stats (self));
      return;
    case PROP_VIEWERS:
      g_value_set_uint (value, sink_count_active (self));
      return;
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_UID:
      g_value_set_string (value, self->uid);
      break;
    case PROP_KEY_FILE:
      g_value_set_string (value, self->key_file);
      break;
    case PROP_SERVER:
      g_value_set_string (value, self->server);
      break;
    case PROP_SERVER_ID:
      g_value_set_string (value, self->server_id);
      break;
    case PROP_PASSWORD_FILE:
      g_value_set_string (value, self->password_file);
      break;
    case PROP_MAX_VIEWERS:
      g_value_set_uint (value, self->max_viewers);
      break;
    case PROP_COMMAND_RATE:
      g_value_set_uint (value, self->command_rate);
      break;
    case PROP_SIGNALLER:
      g_value_set_object (value, self->user_signaller);
      break;
    case PROP_LAN:
      g_value_set_boolean (value, self->lan);
      break;
    case PROP_TALKBACK:
      g_value_set_boolean (value, self->talkback_enabled);
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
