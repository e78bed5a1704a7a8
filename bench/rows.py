"""Transports under test ("rows" of the result table).

Every row has the same shape so the benchmarks in peer.py never know which
transport they drive:

  row = ROWS[name](env, camera_pipeline, source_pad)
      builds the camera side behind `source_pad` (paced H.264 access units,
      byte-stream, SPS/PPS in band) inside `camera_pipeline`; with
      camera_pipeline None, only the viewer side is usable.
  v = row.connect(on_phase)        creates and starts one viewer pipeline
                                   in this process and attaches it;
                                   on_phase(name, t) is called for the
                                   phases the transport can see, with
                                   "keyframe" last (first depayloaded
                                   keyframe).  t is time.monotonic().
  row.disconnect(v)
  row.packet_counts(v)             (sent, received) RTP packets, for loss

Rows that can run camera and viewers in two processes (fan-out) split
connect() into viewer() on the viewer side and attach(info) on the camera
side, with v["info"] the JSON-able description passed between them.

`env` is a dict handed down by bench/run (p2p server address and device
credentials; "viewer_latency_ms", when set, overrides the receivers'
jitter-buffer latency, which otherwise stays at the elements' defaults).
A row is listed as "n/a (why)" when unavailable(env) returns a reason.

To add a transport, subclass Row and add it to ROWS.
"""

import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import Gst, GstWebRTC  # noqa: E402

RTP_CAPS = ("application/x-rtp,media=video,encoding-name=H264,"
            "clock-rate=90000,payload=96")

# Bytes of receive buffer the plain RTP viewer asks for: p2p-core's
# MEDIA_SOCKET_BUFFER (both capped by net.core.rmem_max alike).
RECEIVE_BUFFER = 4 * 1024 * 1024

# webrtcbin hands out its GstWebRTCICE without a reference in 1.22, so the
# Python wrapper would free it when collected; keep them alive for the life
# of the process (peer.py leaves with os._exit for the same reason).
_ICE_KEEP = []


def _first_keyframe_probe(pad, on_phase, viewer):
    """Reports the first buffer without DELTA_UNIT leaving `pad`."""

    def probe(p, info):
        buf = info.get_buffer()
        if buf is not None and not buf.has_flags(Gst.BufferFlags.DELTA_UNIT):
            viewer["keyframe_at"] = time.monotonic()
            on_phase("keyframe", viewer["keyframe_at"])
            return Gst.PadProbeReturn.REMOVE
        return Gst.PadProbeReturn.OK

    pad.add_probe(Gst.PadProbeType.BUFFER, probe)


def udp_drops(keep):
    """Datagrams the kernel dropped (receive buffer full) on the UDP
    sockets whose /proc/net/udp{,6} columns `keep` accepts: on loopback the
    only place a datagram is lost."""
    drops = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if len(cols) > 12 and keep(cols):
                        drops += int(cols[-1])
        except OSError:
            pass
    return drops


def _udp_drops(port):
    """udp_drops() of the local socket bound to `port`."""
    return udp_drops(lambda cols: int(cols[1].split(":")[1], 16) == port)


class Row:
    name = None
    label = None
    # Whether camera and viewers may live in two processes (fan-out):
    # needs viewer()/attach() with JSON-able info instead of connect().
    fanout = True

    @classmethod
    def unavailable(cls, env):
        return None

    def __init__(self, env, camera, source_pad):
        self.env = env
        self.camera = camera
        self.source_pad = source_pad
        self.feeder = env.get("feeder")

    # Viewer side: build and start one viewer pipeline; v["info"] is what
    # the camera side needs to serve it (JSON), v["out"] the pad carrying
    # its depayloaded H.264.
    def viewer(self, on_phase):
        raise NotImplementedError

    # Camera side: start serving a viewer described by `info`.
    def attach(self, info):
        pass

    def detach(self, info):
        pass

    # Phases a transport can only tell afterwards (from its stats): name ->
    # ms from viewer start.
    def late_phases(self, v):
        return {}

    # Two-process throughput: RTP packets sent to the viewer `info`
    # (camera side), and what the viewer `v` counted as received (viewer
    # side; None: sent minus its sockets' receive-buffer drops, the only
    # place loopback loses a datagram) with whatever else its stats say.
    def sent_count(self, info):
        raise NotImplementedError

    def received_count(self, v):
        return None

    def receive_stats(self, v):
        return {}

    # Camera side: the RTP payload size its packets are cut to ("mtu",
    # bytes) and, where the transport chose a path, its candidate pair
    # ("pair"), for a row's runs to show when they sent different sizes.
    def path_info(self):
        return {}

    def connect(self, on_phase):
        v = self.viewer(on_phase)
        self.attach(v["info"])
        return v

    def disconnect(self, v):
        self.detach(v["info"])
        v["pipe"].set_state(Gst.State.NULL)


class RtpRow(Row):
    """Plain RTP over UDP: the floor.  No connection set-up, no crypto, no
    feedback channel, so "connect" means adding the viewer's address to the
    sender and asking the clip for a keyframe (what any signalling would
    trigger)."""

    name = "rtp"
    label = "plain RTP/UDP"

    def __init__(self, env, camera, source_pad):
        super().__init__(env, camera, source_pad)
        if camera is None:
            return
        self.pay = Gst.ElementFactory.make("rtph264pay")
        self.pay.set_property("config-interval", -1)
        self.pay.set_property("pt", 96)
        self.sink = Gst.ElementFactory.make("multiudpsink")
        self.sink.set_property("sync", False)
        self.sink.set_property("async", False)
        camera.add(self.pay)
        camera.add(self.sink)
        self.pay.link(self.sink)
        source_pad.link(self.pay.get_static_pad("sink"))

    def viewer(self, on_phase):
        v = {}
        # The receive buffer p2p-core asks for on its media socket
        # (MEDIA_SOCKET_BUFFER), so the throughput row compares transports,
        # not buffer sizes: with the kernel's default 208 KiB the floor
        # lost datagrams at 50 Mbit/s whenever this thread was descheduled.
        pipe = Gst.parse_launch(
            "udpsrc name=net address=127.0.0.1 port=0 buffer-size=%d "
            "caps=\"%s\" ! rtph264depay name=depay ! "
            "fakesink sync=false async=false"
            % (RECEIVE_BUFFER, RTP_CAPS))
        v["pipe"] = pipe
        v["out"] = pipe.get_by_name("depay").get_static_pad("src")
        _first_keyframe_probe(v["out"], on_phase, v)
        v["start"] = time.monotonic()
        pipe.set_state(Gst.State.PLAYING)
        # udpsrc binds in NULL->READY; the port the OS chose is read back.
        v["info"] = {"port": pipe.get_by_name("net").get_property("port")}
        return v

    def attach(self, info):
        self.sink.emit("add", "127.0.0.1", info["port"])
        if self.feeder:
            self.feeder.request_keyframe()

    def detach(self, info):
        self.sink.emit("remove", "127.0.0.1", info["port"])

    def path_info(self):
        return {"mtu": self.pay.get_property("mtu")}

    def sent_count(self, info):
        stats = self.sink.emit("get-stats", "127.0.0.1", info["port"])
        return stats.get_value("packets-sent") if stats else 0

    def packet_counts(self, v):
        sent = self.sent_count(v["info"])
        return sent, max(0, sent - _udp_drops(v["info"]["port"]))


def _restrict_ice_to_loopback(webrtc):
    """Gathers only 127.0.0.1 host candidates over UDP: no STUN server, no
    other interfaces, no ICE-TCP, and no UPnP (libnice's is on by default
    and searches for a gateway with SSDP multicast on every interface)."""
    gi.require_version("Nice", "0.1")
    from gi.repository import Nice
    ice = webrtc.get_property("ice-agent")
    _ICE_KEEP.append(ice)
    for prop in ("ice-tcp",):
        if ice.find_property(prop):
            ice.set_property(prop, False)
    agent = ice.get_property("agent")
    agent.set_property("upnp", False)
    addr = Nice.Address.new()
    addr.set_from_string("127.0.0.1")
    agent.add_local_address(addr)


class WebrtcRow(Row):
    """Two webrtcbin in one process (camera pipeline, viewer pipeline) with
    in-process signalling: offer/answer and candidates are handed over by
    direct calls, candidates filtered to loopback UDP."""

    name = "webrtc"
    label = "webrtcbin pair"
    fanout = False

    @classmethod
    def unavailable(cls, env):
        for f in ("webrtcbin", "nicesrc", "dtlssrtpenc"):
            if Gst.ElementFactory.find(f) is None:
                return "element %s not available" % f
        return None

    def __init__(self, env, camera, source_pad):
        super().__init__(env, camera, source_pad)
        if camera is None:
            return
        # One sender branch per viewer, like a camera serving several.
        self.tee = Gst.ElementFactory.make("tee")
        self.tee.set_property("allow-not-linked", True)
        camera.add(self.tee)
        source_pad.link(self.tee.get_static_pad("sink"))

    def connect(self, on_phase):
        v = {"phases": {}}

        def phase(name):
            if name not in v["phases"]:
                v["phases"][name] = time.monotonic()
                on_phase(name, v["phases"][name])

        branch = Gst.parse_bin_from_description(
            "queue max-size-buffers=2 ! rtph264pay config-interval=-1 pt=96 ! "
            "%s ! webrtcbin name=w bundle-policy=max-bundle" % RTP_CAPS, True)
        send = branch.get_by_name("w")
        _restrict_ice_to_loopback(send)
        view = Gst.Pipeline.new(None)
        recv = Gst.ElementFactory.make("webrtcbin")
        recv.set_property("bundle-policy",
                          GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        if "viewer_latency_ms" in self.env:
            recv.set_property("latency", self.env["viewer_latency_ms"])
        _restrict_ice_to_loopback(recv)
        view.add(recv)
        v.update(pipe=view, branch=branch, send=send, recv=recv)

        def on_candidate(el, mline, cand, other):
            if " 127.0.0.1 " in cand and " UDP " in cand.upper():
                other.emit("add-ice-candidate", mline, cand)

        send.connect("on-ice-candidate", on_candidate, recv)
        recv.connect("on-ice-candidate", on_candidate, send)

        def on_ice_state(el, _):
            st = el.get_property("ice-connection-state")
            if st in (GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                      GstWebRTC.WebRTCICEConnectionState.COMPLETED):
                phase("ice")

        def on_conn_state(el, _):
            if (el.get_property("connection-state") ==
                    GstWebRTC.WebRTCPeerConnectionState.CONNECTED):
                phase("dtls")

        recv.connect("notify::ice-connection-state", on_ice_state)
        recv.connect("notify::connection-state", on_conn_state)

        def on_pad(el, pad):
            if pad.get_direction() != Gst.PadDirection.SRC:
                return
            # request-keyframe: the depayloader asks (PLI over RTCP) rather
            # than waiting for the clip's next GOP.
            d = Gst.parse_bin_from_description(
                "rtph264depay name=depay request-keyframe=true ! "
                "fakesink sync=false async=false", True)
            view.add(d)
            d.sync_state_with_parent()
            v["out"] = d.get_by_name("depay").get_static_pad("src")
            _first_keyframe_probe(v["out"], on_phase, v)
            pad.link(d.get_static_pad("sink"))

        recv.connect("pad-added", on_pad)

        # The reply structure must stay referenced while its description is
        # used: PyGObject does not copy the boxed value out of it.
        def on_answer(promise, _):
            reply = promise.get_reply()
            answer = reply.get_value("answer")
            recv.emit("set-local-description", answer, None)
            send.emit("set-remote-description", answer, None)
            phase("signalling")

        def on_offer(promise, _):
            reply = promise.get_reply()
            offer = reply.get_value("offer")
            send.emit("set-local-description", offer, None)
            recv.emit("set-remote-description", offer, None)
            recv.emit("create-answer", None,
                      Gst.Promise.new_with_change_func(on_answer, None))

        def on_negotiation_needed(el):
            el.emit("create-offer", None,
                    Gst.Promise.new_with_change_func(on_offer, None))

        send.connect("on-negotiation-needed", on_negotiation_needed)

        v["start"] = time.monotonic()
        view.set_state(Gst.State.PLAYING)
        self.camera.add(branch)
        v["tee_pad"] = self.tee.request_pad_simple("src_%u")
        v["tee_pad"].link(branch.get_static_pad("sink"))
        branch.sync_state_with_parent()
        return v

    def disconnect(self, v):
        pad = v["tee_pad"]
        branch = v["branch"]
        pad.unlink(branch.get_static_pad("sink"))
        self.tee.release_request_pad(pad)
        branch.set_state(Gst.State.NULL)
        self.camera.remove(branch)
        v["pipe"].set_state(Gst.State.NULL)

    @staticmethod
    def _stat_total(el, kind, field):
        """Sum of `field` over the get-stats entries of type `kind`.  Values
        are read while the reply is referenced (PyGObject does not copy the
        nested structures out)."""
        promise = Gst.Promise.new()
        el.emit("get-stats", None, promise)
        promise.wait()
        reply = promise.get_reply()
        total = 0
        for i in range(reply.n_fields()):
            entry = reply.get_value(reply.nth_field_name(i))
            if isinstance(entry, Gst.Structure) and \
                    entry.get_name() == kind and \
                    entry.has_field(field):
                total += entry.get_value(field)
        return total

    def packet_counts(self, v):
        return (self._stat_total(v["send"], "outbound-rtp", "packets-sent"),
                self._stat_total(v["recv"], "inbound-rtp",
                                 "packets-received"))


class P2pRow(Row):
    """p2psink on the camera, one p2psrc per viewer, p2p-server on loopback
    (started by bench/run; its address and the device's credentials arrive
    in env["p2p"]: server, uid, key_file, password).  Phases of the time to
    first frame are the `state` values of p2psrc's p2p-connection
    messages, in order of arrival."""

    name = "p2p"
    label = "p2p (p2psink/p2psrc)"

    @classmethod
    def unavailable(cls, env):
        for f in ("p2psink", "p2psrc"):
            if Gst.ElementFactory.find(f) is None:
                return "element not available"
        if not env.get("p2p"):
            return "p2p-server not running"
        return None

    def __init__(self, env, camera, source_pad):
        super().__init__(env, camera, source_pad)
        if camera is None:
            return
        p = env["p2p"]
        self.sink = Gst.ElementFactory.make("p2psink")
        self.sink.set_property("uid", p["uid"])
        self.sink.set_property("key-file", p["key_file"])
        self.sink.set_property("server", p["server"])
        self.sink.set_property("lan", False)
        if p.get("password"):
            self.sink.set_property("password", p["password"])
        spec = self.sink.find_property("max-viewers")
        if spec:
            self.sink.set_property("max-viewers", spec.maximum)
        camera.add(self.sink)
        if env.get("sub_pad"):
            # Two layers: the clip is main, the sub clip is the sub stream.
            source_pad.link(self.sink.request_pad_simple("video_0"))
            env["sub_pad"].link(self.sink.request_pad_simple("video_1"))
        else:
            source_pad.link(self.sink.request_pad_simple("video"))

    def viewer(self, on_phase):
        p = self.env["p2p"]
        v = {"phases": {}}
        pipe = Gst.Pipeline.new(None)
        src = Gst.ElementFactory.make("p2psrc")
        src.set_property("uid", p["uid"])
        src.set_property("server", p["server"])
        # Loopback only: no discovery queries on the host's networks.
        src.set_property("lan", False)
        if p.get("password"):
            src.set_property("password", p["password"])
        if "viewer_latency_ms" in self.env:
            src.set_property("latency", self.env["viewer_latency_ms"])
        pipe.add(src)
        v.update(pipe=pipe, src=src)

        def on_pad(el, pad):
            if not pad.get_name().startswith("video"):
                return
            sink = Gst.ElementFactory.make("fakesink")
            sink.set_property("sync", False)
            sink.set_property("async", False)
            pipe.add(sink)
            sink.sync_state_with_parent()
            v["out"] = pad
            _first_keyframe_probe(pad, on_phase, v)
            pad.link(sink.get_static_pad("sink"))

        src.connect("pad-added", on_pad)

        # The breakdown comes from the element's own p2p-connection
        # messages: every new `state` value is a phase, timed on arrival.
        def on_message(bus, msg):
            s = msg.get_structure()
            if s is None or s.get_name() != "p2p-connection":
                return
            st = s.get_string("state")
            if st and st not in v["phases"]:
                v["phases"][st] = time.monotonic()
                on_phase(st, v["phases"][st])

        bus = pipe.get_bus()
        bus.enable_sync_message_emission()
        bus.connect("sync-message::element", on_message)
        v["start"] = time.monotonic()
        v["info"] = {}
        pipe.set_state(Gst.State.PLAYING)
        return v

    def late_phases(self, v):
        # p2psrc's own clock of start -> media authorized (after ICE, DTLS
        # and the viewer credential check).
        s = v["src"].get_property("stats")
        if s is not None and s.has_field("connect-time-ms"):
            ms = s.get_value("connect-time-ms")
            if ms >= 0:
                return {"authorized": float(ms)}
        return {}

    # RTP packets on the wire at both ends (p2psink's per-viewer
    # packets-sent, p2psrc's packets-received): loss before any
    # retransmission repairs it, as for the baselines.
    def sent_count(self, info):
        sent = 0
        s = self.sink.get_property("stats")
        for i in range(s.n_fields()):
            entry = s.get_value(s.nth_field_name(i))
            if isinstance(entry, Gst.Structure) and \
                    entry.has_field("packets-sent"):
                sent += entry.get_value("packets-sent")
        return sent

    def path_info(self):
        # The first viewer's: the benchmarks that ask have one.
        s = self.sink.get_property("stats")
        for i in range(s.n_fields()):
            entry = s.get_value(s.nth_field_name(i))
            if isinstance(entry, Gst.Structure) and \
                    entry.has_field("payload-mtu"):
                return {"mtu": entry.get_value("payload-mtu"),
                        "pair": "%s/%s" % (
                            entry.get_value("local-candidate-type"),
                            entry.get_value("remote-candidate-type"))}
        return {}

    def received_count(self, v):
        r = v["src"].get_property("stats")
        return r.get_value("packets-received") if r.has_field(
            "packets-received") else 0

    def receive_stats(self, v):
        # What the kernel granted the media socket (Linux reports twice
        # the usable size) and how often the jitter buffer stopped asking
        # for retransmissions (both absent from older builds).
        r = v["src"].get_property("stats")
        out = {}
        for field, key in (("receive-buffer", "receive_buffer"),
                           ("retransmission-pauses", "rtx_pauses")):
            if r is not None and r.has_field(field):
                out[key] = r.get_value(field)
        return out

    def packet_counts(self, v):
        return self.sent_count(v["info"]), self.received_count(v)


ROWS = {r.name: r for r in (RtpRow, WebrtcRow, P2pRow)}
