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
 * can follow directly. The pads come from the camera's offer, before its
 * first packet, video first: a line with one branch (`p2psrc ! decodebin !
 * videoconvert ! ...`) gets the video of a camera that also sends audio,
 * and a line with two names them (`src.video_0 ! ...` and
 * `src.audio_0 ! ...`). Each pad has a stream-id of its own; the element
 * posts a stream collection and signals no-more-pads once every stream the
 * camera offered has a pad.
 *
 * An EOS sent to the pipeline (`gst-launch-1.0 -e` on Ctrl-C) drains the
 * jitter buffer and the depayloaders and ends every pad, so muxers
 * downstream finish their files.
 *
 * The stream goes through rtpbin: a jitter buffer of #GstP2pSrc:latency
 * milliseconds (with #GstP2pSrc:own-jitter-buffer, p2psrc's own: packets
 * in order go on at once, only a gap holds the packets behind it),
 * retransmission requests (NACK, answered with RFC 4588
 * retransmission) and keyframe requests (PLI) when packets are lost for
 * good. When the camera's offer announces transport-wide sequence numbers
 * (`a=extmap` of draft-holmer-rmcat-transport-wide-cc-extensions-01, as
 * p2psink's does), rtpbin reports each packet's arrival to the camera
 * (transport-cc feedback), from which p2psink estimates this viewer's
 * bandwidth. p2psrc is a live source; its latency is the jitter
 * buffer's.
 *
 * A lost path or a lost server is not an error: p2psrc posts a WARNING and
 * a `p2p-connection` message and connects again by itself (unless
 * #GstP2pSrc:reconnect is %FALSE). It posts an ERROR only for faults that
 * retrying cannot fix: an unknown or revoked UID, a wrong password, a
 * certificate that does not match the camera's, or, with reconnect off, no
 * connection within #GstP2pSrc:timeout. Servers that cannot be reached
 * are reported as soon as each of them failed (within 2 s more when the
 * local network is asked too), naming the cause: connection refused, DNS
 * failure, TLS handshake failure, an untrusted certificate (see
 * #GstP2pSrc:tls-ca-file) or one for another host name.
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
 * ## Layers
 *
 * A camera that sends its scene in several layers (p2psink's `video_%u`
 * pads) sends each viewer the best one its bandwidth sustains, on the one
 * video pad: the caps may change at the keyframe where it moves (another
 * resolution), never the stream, so decoders and recorders go on.
 * #GstP2pSrc:layer asks for one layer instead.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 p2psrc uid=7KQ2-M9XD-4HPA-R3MJ server=wss://p2p.example.com \
 *     password=secret ! decodebin ! videoconvert ! autovideosink
 * ]| Watch a camera.
 * |[
 * gst-launch-1.0 p2psrc name=src uid=7KQ2-M9XD-4HPA-R3MJ \
 *     server=wss://p2p.example.com password=secret \
 *     src.video_0 ! queue ! decodebin ! videoconvert ! autovideosink \
 *     src.audio_0 ! queue ! decodebin ! audioconvert ! autoaudiosink
 * ]| Watch and listen to a camera that sends audio too.
 * |[
 * gst-launch-1.0 -e p2psrc uid=7KQ2-M9XD-4HPA-R3MJ \
 *     server=wss://p2p.example.com password=secret ! h264parse ! \
 *     splitmuxsink location=cam-%05d.mp4 max-size-time=60000000000
 * ]| Record the camera's H.264 without re-encoding, one MP4 file a minute;
 * Ctrl-C finishes the last file.
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

#include "gstp2psrcprivate.h"
#include "gstp2pelements.h"
#include "gstp2pcodecs.h"
#include "gstp2pcommon.h"

#include <string.h>
#include <p2p-core/p2p-command.h>

#define GST_CAT_DEFAULT gst_p2p_debug

#define DEFAULT_LATENCY 50
#define DEFAULT_RECONNECT TRUE
#define DEFAULT_TIMEOUT 15000
#define DEFAULT_LOGIN_TIMEOUT 10000

enum
{
  PROP_0,
  PROP_UID,
  PROP_SERVER,
  PROP_PASSWORD,
  PROP_DEVICE_FINGERPRINT,
  PROP_KNOWN_CAMERAS_FILE,
  PROP_TLS_CA_FILE,
  PROP_LATENCY,
  PROP_OWN_JITTER_BUFFER,
  PROP_RECONNECT,
  PROP_TIMEOUT,
  PROP_LOGIN_TIMEOUT,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_STATS,
  PROP_SIGNALLER,
  PROP_LAN,
  PROP_PORT_MAPPING,
  PROP_LAYER,
};

enum
{
  SIGNAL_SEND_COMMAND,
  SIGNAL_COMMAND_REPLY,
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
static gboolean gst_p2p_src_send_event (GstElement * element, GstEvent * event);
static guint64 gst_p2p_src_send_command (GstP2pSrc * self,
    const gchar * name, const gchar * payload);
static void src_on_camera_message (JsonObject * message, gpointer context,
    gpointer user_data);
static void src_on_talkback_message (JsonObject * message, gpointer context,
    gpointer user_data);

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
   * GstP2pSrc:tls-ca-file:
   *
   * A PEM file of certificate authorities: the viewer verifies its
   * `wss://` servers with these instead of the system's, as it must for a
   * server whose certificate a private CA signed (an untrusted certificate
   * is reported as such). Default: %NULL (the system's authorities).
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      gst_p2p_tls_ca_file_param_spec ());

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
   * GstP2pSrc:own-jitter-buffer:
   *
   * Whether the stream goes through p2psrc's own jitter buffer instead of
   * rtpjitterbuffer: packets in order go on at once on the network
   * thread, as lists, a queue behind each depayloader hands the media to
   * the application once per frame, and only a gap holds packets back
   * (docs/performance.md, "p2psrc's own jitter buffer"). About a quarter
   * fewer instructions per packet on the receive path. %FALSE goes back to
   * rtpjitterbuffer and its thread. Default: %TRUE.
   */
  g_object_class_install_property (gobject_class, PROP_OWN_JITTER_BUFFER,
      g_param_spec_boolean ("own-jitter-buffer", "Own jitter buffer",
          "Use p2psrc's own jitter buffer instead of rtpjitterbuffer", TRUE,
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
   * GstP2pSrc:login-timeout:
   *
   * Time a signalling server gets to accept the connection and log the
   * viewer in (TCP, TLS with its certificate check, `welcome`), in
   * milliseconds. When it runs out the next server in #GstP2pSrc:server
   * is tried; once every one has been, the attempt fails with "The server
   * did not complete the login in time" (a transient fault). It starts
   * after the system's certificate authorities are loaded (once per
   * process, off the streaming and signalling threads, before the first
   * `wss://` connection), which can take seconds on a slow or busy host.
   * Default: 10000.
   */
  g_object_class_install_property (gobject_class, PROP_LOGIN_TIMEOUT,
      g_param_spec_uint ("login-timeout", "Login timeout",
          "Signalling login time-out in milliseconds", 100, 600000,
          DEFAULT_LOGIN_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstP2pSrc:layer:
   *
   * The camera's video layer to receive, 0 the best (its `video_0`), up to
   * 3; -1 lets the camera choose by this viewer's bandwidth. Asked of the
   * camera once it admitted the viewer (and again on each call), and at
   * once when changed while playing; a camera with fewer layers ignores
   * it. Default: -1.
   */
  g_object_class_install_property (gobject_class, PROP_LAYER,
      g_param_spec_int ("layer", "Layer",
          "Video layer to receive, 0 the best (-1: the camera's choice)", -1,
          P2P_COMMAND_MAX_LAYER, -1,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

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
   * `packets-received`, `bytes-received`, `dropped-srtp`, `rtcp-dropped`
   * (the camera's SRTCP dropped undecrypted beyond its limit, as in
   * p2psink's), `attempts`,
   * `connect-time-ms` (start to media authorized, -1 before),
   * `first-buffer-ms` (start to the first buffer on a source pad, -1
   * before) and `retransmission-pauses` (times the jitter buffer stopped
   * asking for retransmissions because more than half of the packets
   * were lost, more than the camera can repair; it asks again once the
   * loss is back to a tenth at most for half a second).
   * Read-only.
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

  /**
   * GstP2pSrc:port-mapping:
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
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_p2p_src_send_event);
}

static void
gst_p2p_src_init (GstP2pSrc * self)
{
  self->latency = DEFAULT_LATENCY;
  self->own_jitter_buffer = TRUE;
  self->reconnect = DEFAULT_RECONNECT;
  self->timeout = DEFAULT_TIMEOUT;
  self->login_timeout = DEFAULT_LOGIN_TIMEOUT;
  self->layer = -1;
  self->lan = TRUE;
  self->port_mapping = TRUE;
  self->pt_caps = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_caps_unref);
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_p2p_src_stream_free);
  self->router = p2p_message_router_new ();
  p2p_message_router_add (self->router, "command-reply", src_on_camera_message,
      self);
  p2p_message_router_add (self->router, "event", src_on_camera_message, self);
  p2p_message_router_add (self->router, "talkback", src_on_talkback_message,
      self);

  if (gst_p2p_src_media_init (self))
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
  g_free (self->tls_ca_file);
  g_free (self->turn_server);
  g_hash_table_unref (self->pt_caps);
  g_ptr_array_unref (self->streams);
  gst_clear_object (&self->rtx_receive);
  p2p_message_router_free (self->router);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

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
  P2pViewerSession *session = gst_p2p_src_ref_session (self);
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
  gst_pad_set_event_function (pad, gst_p2p_src_talkback_sink_event);
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

/* An EOS ends the stream gracefully (gst_p2p_src_drain()). */
static gboolean
gst_p2p_src_send_event (GstElement * element, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
  gst_p2p_src_drain (GST_P2P_SRC (element), event);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* State changes                                                          */

static gboolean
src_prepare (GstP2pSrc * self)
{
  g_autofree gchar *uid = NULL, *server = NULL, *stun = NULL, *turn = NULL;
  g_autofree gchar *pin = NULL, *known = NULL, *ca_file = NULL;
  gboolean has_signaller;
  guint latency;

  GST_OBJECT_LOCK (self);
  known = g_strdup (self->known_cameras_file);
  ca_file = g_strdup (self->tls_ca_file);
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
  g_clear_object (&self->tls_database);
  if (ca_file && *ca_file) {
    self->tls_database = gst_p2p_load_tls_ca_file (GST_ELEMENT (self), ca_file);
    if (!self->tls_database)
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
  g_clear_object (&self->tls_database);
  g_clear_pointer (&self->servers, g_strfreev);
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
      p2p_loop_invoke_sync (self->loop, gst_p2p_src_start, self);
      break;
    }
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Before the children stop, so no packet arrives mid-teardown. */
      p2p_loop_invoke_sync (self->loop, gst_p2p_src_stop, self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_NULL_TO_READY)
      src_unprepare (self);
    else if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      p2p_loop_invoke_sync (self->loop, gst_p2p_src_stop, self);
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
      gst_p2p_src_remove_pads (self);
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
  P2pViewerSession *ask = NULL;

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
    case PROP_TLS_CA_FILE:
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
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
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    case PROP_OWN_JITTER_BUFFER:
      self->own_jitter_buffer = g_value_get_boolean (value);
      break;
    case PROP_RECONNECT:
      self->reconnect = g_value_get_boolean (value);
      if (self->session)
        p2p_viewer_session_set_reconnect (self->session, self->reconnect);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      break;
    case PROP_LOGIN_TIMEOUT:
      self->login_timeout = g_value_get_uint (value);
      break;
    case PROP_LAYER:
      self->layer = g_value_get_int (value);
      if (self->session)
        ask = g_object_ref (self->session);
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
  if (prop_id != PROP_RECONNECT && prop_id != PROP_LAYER)
    self->config_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);

  /* Before admission the call's start asks (gstp2psrcsession.c). */
  if (ask) {
    p2p_viewer_session_send_layer (ask, g_value_get_int (value), NULL);
    g_object_unref (ask);
  }
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
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
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
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    case PROP_OWN_JITTER_BUFFER:
      g_value_set_boolean (value, self->own_jitter_buffer);
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_LOGIN_TIMEOUT:
      g_value_set_uint (value, self->login_timeout);
      break;
    case PROP_LAYER:
      g_value_set_int (value, self->layer);
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
