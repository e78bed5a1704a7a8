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
 * ## Layers
 *
 * A camera that encodes the scene more than once (a main and a sub stream,
 * from encoders of its own or from its hardware) links each encoding to a
 * `video_%u` pad: `video_0` (or `video`) the best, `video_1` the next, up
 * to `video_3`. Every viewer gets one layer at a time: the best one its
 * bandwidth estimate (`p2p-viewer-bandwidth`) sustains, video_0 until its
 * transport-wide feedback measured what it receives; its first keyframe
 * is always video_0's, whose parameter sets the offer carries. It moves
 * down once its layer's rate has exceeded the estimate for 1 s while it
 * received less than 80 % of what it was sent, and up once the estimate
 * has exceeded the better layer's rate by 15 % for 2 s, so that it does
 * not flap; a move up undone within 10 s doubles the next wait (up to
 * 60 s). A viewer on a lower layer whose path carries what it is sent is
 * probed, 2 s after its move and then at most 4 s apart: a 30 ms cluster
 * of retransmissions (RTX) of what it just got, at 1.25 times the rate
 * the better layer needs, which its p2psrc drops as duplicates after
 * reporting them in its transport-wide feedback; a cluster that gets
 * through raises its estimate. Probes take at most half as many bytes
 * as the viewer's video (48 KB at once). The estimate stops at twice what
 * the best layer and audio are sent at.
 * #GstP2pSink::set-layer pins a viewer to a layer, and a viewer may ask
 * for one itself (#GstP2pSrc:layer). A move takes effect at a keyframe of
 * the new layer, asked of its encoder for a frame after the last one the
 * viewer got, and the new layer's packets continue the viewer's sequence
 * numbers under the same SSRC: the viewer's p2psrc sees one stream, whose
 * caps may change at that keyframe
 * (another resolution or profile, with the parameter sets in band). The
 * layers must therefore share a codec and their timestamps (encoders fed
 * from one source, in one pipeline): every video payloader gets the same
 * `timestamp-offset`. A move that finds the new layer's keyframe more than
 * 10 s of RTP time from the viewer's last frame says they do not (a
 * payloader on a base of its own, a layer whose buffer times run apart):
 * a warning (`GST_STREAM_ERROR_FAILED`) names the two layers, once per
 * pair, as such a move may never complete. The offer has one video
 * section, from the best layer's caps. A `p2p-layer` message (`viewer-id`, `layer`) tells of
 * each move; a viewer's stats carry its `layer`.
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
 * * `p2p-viewer-joined` (`viewer-id`, `address`, `mode`, `technique`): a
 *   viewer proved its credential and receives media. `mode` is `lan`,
 *   `direct` or `relay`; `technique` is `lan`, `direct`, `mapped`,
 *   `punched` or `relay` (see `p2p-connection`). Both describe the pair in
 *   use when the viewer was admitted; if ICE settles on another pair later,
 *   a `p2p-connection` message for the same `viewer-id` follows.
 * * `p2p-viewer-left` (`viewer-id`, `reason`): a viewer hung up, was lost
 *   or was refused (`wrong-password`, `busy`, `timeout`, `failed`, `bye`).
 *   A call refused as `busy` (#GstP2pSink:max-viewers viewers already)
 *   gets a `viewer-id` of its own and carries the caller's `address`.
 * * `p2p-connection` (`viewer-id`, `state`, `mode`, `technique`,
 *   `local-candidate-type`, `remote-candidate-type`, `rtt-ms`): a viewer's
 *   path changed. `lan` means both ends on private or link-local addresses;
 *   `direct` a path with no relay (technique `direct` between public
 *   addresses, `punched` through NAT mappings, `mapped` through a port
 *   mapping); `relay` through TURN.
 * * `p2p-talkback` (`viewer-id`, `state`, `reason`): a viewer `started` or
 *   `stopped` talking, or was `refused` (`busy`, `disabled`).
 * * `p2p-layer` (`viewer-id`, `layer`): a viewer receives that video
 *   layer from now on (see Layers below), on joining and at each move.
 * * `p2p-viewer-bandwidth` (`viewer-id`, `estimated-bitrate`, `limited`):
 *   what a viewer's path sustains, in bits per second, estimated from its
 *   transport-wide feedback (or its receiver reports), when it moved by
 *   more than a quarter since the last message for that viewer (checked
 *   once a second; the first once the viewer joined). Smaller moves are
 *   the estimator probing around the path's capacity. `limited` is %FALSE
 *   until the path has shown its limit (congestion or loss): until then
 *   the figure is a lower bound still climbing from a 2 Mbit/s guess.
 *   docs/performance.md, "Adaptive quality", explains the estimator.
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
 * |[
 * gst-launch-1.0 p2psink name=s uid=7KQ2-M9XD-4HPA-R3MJ \
 *     key-file=device.pem server=ws://127.0.0.1:8443 password=secret \
 *     videotestsrc is-live=true ! video/x-raw,format=I420,width=1280,height=720 ! \
 *     tee name=t \
 *     t. ! queue ! x264enc tune=zerolatency bitrate=4000 key-int-max=60 ! s.video_0 \
 *     t. ! queue ! videoscale ! video/x-raw,width=640,height=360 ! \
 *         x264enc tune=zerolatency bitrate=500 key-int-max=60 ! s.video_1
 * ]| Two layers, main and sub: each viewer gets the one its bandwidth
 * sustains.
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! \
 *     x264enc name=enc tune=zerolatency bitrate=3000 ! \
 *     p2psink encoder=enc min-bitrate=500000 uid=7KQ2-M9XD-4HPA-R3MJ \
 *     key-file=/etc/p2p/device.pem server=wss://p2p.example.com \
 *     password-file=/etc/p2p/viewer-password
 * ]| One encoder whose bitrate (3 Mbit/s at most, 0.5 at least) follows
 * the slowest viewer's bandwidth.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2psinkprivate.h"
#include "gstp2pelements.h"
#include "gstp2pcodecs.h"
#include "gstp2pcommon.h"

#include <string.h>
#include <openssl/crypto.h>

#define GST_CAT_DEFAULT gst_p2p_debug

#define DEFAULT_MAX_VIEWERS 4
#define DEFAULT_MIN_BITRATE 300000
#define MAX_MAX_VIEWERS 128
#define DEFAULT_COMMAND_RATE 20
/* Failed logins from one address: wait 1 s, doubling up to a minute; the
 * table remembers at most this many addresses. */
#define BACKOFF_INITIAL_MS 1000
#define BACKOFF_MAX_MS 60000
#define BACKOFF_MAX_ADDRESSES 1024

enum
{
  PROP_0,
  PROP_UID,
  PROP_KEY_FILE,
  PROP_SERVER,
  PROP_SERVER_ID,
  PROP_TLS_CA_FILE,
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
  PROP_PORT_MAPPING,
  PROP_TALKBACK,
  PROP_ENCODER,
  PROP_MIN_BITRATE,
};

/* Shared with gstp2psinkviewers.c, which emits `command`. */
guint gst_p2p_sink_signals[N_SIGNALS];

static void gst_p2p_sink_finalize (GObject * object);
static void gst_p2p_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_p2p_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_p2p_sink_change_state (GstElement * element,
    GstStateChange transition);
#define gst_p2p_sink_parent_class parent_class
G_DEFINE_TYPE (GstP2pSink, gst_p2p_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (p2psink, "p2psink", GST_RANK_NONE,
    GST_TYPE_P2P_SINK, p2p_element_init (plugin));

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE ("video",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (GST_P2P_VIDEO_CAPS));

static GstStaticPadTemplate layer_template =
GST_STATIC_PAD_TEMPLATE ("video_%u",
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
   * GstP2pSink:tls-ca-file:
   *
   * The certificate authorities (PEM) the camera trusts, instead of the
   * system's, for the certificates of its `wss://` servers: for servers
   * whose certificates a private CA signed. Viewers need the same file
   * (#GstP2pSrc:tls-ca-file). Default: %NULL (the system's authorities).
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      gst_p2p_tls_ca_file_param_spec ());

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
   * `packets-batched` (of the packets sent, RTCP included, those that left
   * in UDP GSO messages, several in one system call), `retransmissions`,
   * `retransmissions-refused` (uint64, packets the viewer asked for again
   * beyond its retransmission budget: its video plus 64 KB),
   * `estimated-bitrate` (uint64, bits per second the viewer's path
   * sustains, as in `p2p-viewer-bandwidth`), `received-bitrate` (uint64,
   * bits per second the viewer last received, from its transport-wide
   * feedback; 0 until known), `estimate-limited` (boolean, as `limited`
   * in `p2p-viewer-bandwidth`), `layer` (int, the video layer it gets, -1
   * before its first keyframe), `thinned` (boolean, whether it is below
   * #GstP2pSink:min-bitrate and goes without droppable frames),
   * `frames-thinned` (uint64, the frames it went without) and
   * `rtcp-dropped` (uint64, its RTCP packets dropped unread beyond 500
   * packets and 64 KB a second, before decryption or after). Read-only.
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
   * GstP2pSink:port-mapping:
   *
   * Ask the host's gateway for a port mapping to each call's ICE socket
   * (PCP, else NAT-PMP, else UPnP IGD) and offer the mapped address as one more
   * candidate, so that a peer reaches this host directly even through a
   * symmetric NAT. Asynchronous: no candidate waits for it. The mapping
   * forwards to the ICE socket only, is renewed during the call and
   * deleted after it (docs/security.md). Default: %TRUE.
   */
  g_object_class_install_property (gobject_class, PROP_PORT_MAPPING,
      g_param_spec_boolean ("port-mapping", "Port mapping",
          "Ask the gateway for a port mapping (PCP, NAT-PMP, UPnP IGD)",
          TRUE,
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
   * GstP2pSink:encoder:
   *
   * The name of the video encoder element (in the same pipeline) whose
   * bitrate p2psink fits to its slowest viewer: once a second, 85 % of the
   * lowest bandwidth estimate among the viewers whose path has shown its
   * limit (see `p2p-viewer-bandwidth`), never below
   * #GstP2pSink:min-bitrate nor above the encoder's bitrate when p2psink
   * first drove it, to which it returns when no viewer is limited and
   * when p2psink stops. Each change is posted as a `p2p-encoder-bitrate`
   * message (`bitrate` in bits per second, `viewer-id` of the slowest
   * viewer, none when back at the configured rate). Known encoders and
   * units: x264enc and x265enc `bitrate` (kbit/s), vp8enc and vp9enc
   * `target-bitrate`, openh264enc `bitrate` (bit/s), V4L2 encoders'
   * `video_bitrate` control in `extra-controls` (bit/s). For a camera with
   * one encoder and one video pad (with several, each viewer gets a layer
   * instead and the encoder is left alone); every viewer then gets what
   * the slowest can take. %NULL: the encoder is left alone. Default:
   * %NULL.
   */
  g_object_class_install_property (gobject_class, PROP_ENCODER,
      g_param_spec_string ("encoder", "Encoder",
          "Name of the video encoder whose bitrate follows the slowest "
          "viewer (NULL: none)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstP2pSink:min-bitrate:
   *
   * The least bitrate, in bits per second, that #GstP2pSink:encoder is
   * given however slow a viewer: below it a picture is not worth watching
   * for anyone, and a viewer that slow should not drag the others down.
   * A viewer estimated below it goes without the frames no other frame
   * refers to (thinning: x264enc's B-frames with `b-pyramid=false`,
   * vp8enc's upper temporal layer; see docs/performance.md), which its
   * stats count in `frames-thinned`. Default: 300000.
   */
  g_object_class_install_property (gobject_class, PROP_MIN_BITRATE,
      g_param_spec_uint64 ("min-bitrate", "Minimum bitrate",
          "Least bitrate given to the driven encoder, in bits per second",
          1000, G_MAXUINT32, DEFAULT_MIN_BITRATE,
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
  gst_p2p_sink_signals[SIGNAL_COMMAND] =
      g_signal_new ("command", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
      NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_UINT64,
      G_TYPE_STRING, G_TYPE_STRING);

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
  gst_p2p_sink_signals[SIGNAL_REPLY] = g_signal_new_class_handler ("reply",
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
  gst_p2p_sink_signals[SIGNAL_SEND_EVENT] =
      g_signal_new_class_handler ("send-event", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (gst_p2p_sink_send_event),
      NULL, NULL, NULL, G_TYPE_UINT, 3, G_TYPE_STRING, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * GstP2pSink::set-layer:
   * @sink: the element
   * @viewer_id: an admitted viewer (`viewer-N`, as in bus messages)
   * @layer: the video layer it is to get (0 the best, as in `video_0`), or
   *     -1 to let its bandwidth estimate choose
   *
   * Action signal: pins a viewer to a layer, from its next keyframe of that
   * layer on (asked for now). Overrides what the viewer asked for itself.
   *
   * Returns: %FALSE when the viewer is not admitted or there is no such
   *     layer
   *
   * Since: 0.3
   */
  gst_p2p_sink_signals[SIGNAL_SET_LAYER] =
      g_signal_new_class_handler ("set-layer", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (gst_p2p_sink_set_layer),
      NULL, NULL, NULL, G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_INT);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &layer_template);
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
  self->min_bitrate = DEFAULT_MIN_BITRATE;
  self->command_rate = DEFAULT_COMMAND_RATE;
  self->lan = TRUE;
  self->port_mapping = TRUE;
  self->talkback_enabled = TRUE;
  self->router = p2p_message_router_new ();
  p2p_message_router_add (self->router, "command", gst_p2p_sink_on_command,
      self);
  p2p_message_router_add (self->router, "layer",
      gst_p2p_sink_on_layer_request, self);
  self->viewers =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->fanout =
      gst_p2p_fanout_new (gst_p2p_sink_send_packet,
      gst_p2p_sink_request_keyframe, self);
  gst_p2p_fanout_set_send_list (self->fanout, gst_p2p_sink_send_packets);
  gst_p2p_fanout_set_layer_func (self->fanout, gst_p2p_sink_layer_changed);
  gst_p2p_fanout_set_base_func (self->fanout, gst_p2p_sink_layers_apart);
  /* Each viewer's keyframes spread to its bandwidth estimate. */
  gst_p2p_fanout_set_pacing (self->fanout, TRUE);
  gst_p2p_fanout_set_twcc_extension (self->fanout, TRUE);
  /* rtpbasepayload takes G_MAXUINT32 for "random". */
  self->video_ts_offset = g_random_int_range (0, G_MAXINT32);
  /* Random, as RFC 7022 asks: it names no user or host. */
  self->cname = g_strdup_printf ("p2psink-%08x%08x%08x", g_random_int (),
      g_random_int (), g_random_int ());
  self->backoff =
      p2p_auth_backoff_new (BACKOFF_INITIAL_MS, BACKOFF_MAX_MS,
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
gst_p2p_sink_finalize (GObject * object)
{
  GstP2pSink *self = GST_P2P_SINK (object);
  guint i;

  for (i = 0; i < N_STREAMS; i++)
    g_clear_pointer (&self->streams[i], gst_p2p_sink_stream_free);
  g_clear_object (&self->user_signaller);
  g_free (self->uid);
  g_free (self->key_file);
  g_free (self->tls_ca_file);
  g_free (self->server);
  g_free (self->server_id);
  g_free (self->password_file);
  g_free (self->stun_server);
  g_free (self->turn_server);
  g_free (self->encoder_name);
  g_free (self->cname);
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
/* State changes                                                          */

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
  g_autofree gchar *stun = NULL, *turn = NULL, *ca_file = NULL;
  P2pPasswordVerifier *verifier = NULL;
  gboolean has_signaller, lan;
  gchar *password;

  GST_OBJECT_LOCK (self);
  uid = g_strdup (self->uid);
  key_file = g_strdup (self->key_file);
  server = g_strdup (self->server);
  server_id = g_strdup (self->server_id);
  ca_file = g_strdup (self->tls_ca_file);
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
  if (ca_file && *ca_file) {
    self->tls_database = gst_p2p_load_tls_ca_file (GST_ELEMENT (self), ca_file);
    if (!self->tls_database)
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
  GST_OBJECT_LOCK (self);
  self->config_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;

fail:
  p2p_password_verifier_free (verifier);
  g_clear_object (&self->identity);
  g_clear_object (&self->tls_database);
  g_clear_pointer (&self->servers, g_strfreev);
  g_clear_pointer (&self->server_ids, g_strfreev);
  return FALSE;
}

static void
sink_unprepare (GstP2pSink * self)
{
  g_clear_object (&self->loop);
  g_clear_object (&self->identity);
  g_clear_object (&self->tls_database);
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
      p2p_loop_invoke_sync (self->loop, gst_p2p_sink_start, self);
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
      p2p_loop_invoke_sync (self->loop, gst_p2p_sink_stop, self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_p2p_sink_streams_say_bye (self);
      p2p_loop_invoke_sync (self->loop, gst_p2p_sink_stop, self);
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
    case PROP_TLS_CA_FILE:
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
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
    case PROP_PORT_MAPPING:
      self->port_mapping = g_value_get_boolean (value);
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
    case PROP_ENCODER:
      g_free (self->encoder_name);
      self->encoder_name = g_value_dup_string (value);
      break;
    case PROP_MIN_BITRATE:
      self->min_bitrate = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  if (prop_id != PROP_MAX_VIEWERS && prop_id != PROP_COMMAND_RATE
      && prop_id != PROP_TALKBACK && prop_id != PROP_ENCODER
      && prop_id != PROP_MIN_BITRATE)
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
      g_value_set_uint (value, gst_p2p_sink_count_active (self));
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
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
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
    case PROP_PORT_MAPPING:
      g_value_set_boolean (value, self->port_mapping);
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
    case PROP_ENCODER:
      g_value_set_string (value, self->encoder_name);
      break;
    case PROP_MIN_BITRATE:
      g_value_set_uint64 (value, self->min_bitrate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}
