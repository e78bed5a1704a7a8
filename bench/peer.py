#!/usr/bin/python3
"""One benchmark process, started by bench/run.  Prints its result as one
JSON object on the last line of stdout.

  peer.py cpu ROW        camera + viewer in this process; CPU time of the
                         whole process per streamed second (1x real time)
  peer.py ttff ROW       N connects in turn against a running camera
  peer.py throughput ROW one viewer at `--speed` x the clip's bitrate
                         (camera and viewer in this process)
  peer.py throughput-camera ROW / throughput-viewer ROW
                         the same in two processes, as deployed: each end
                         with its own threads; bench/run relays their JSON
                         lines and times the window
  peer.py talkback p2p    talk-back mouth-to-ear: a viewer's tone bursts
                         from capture to the camera's decoded talkback pad
  peer.py fanout-camera ROW / fanout-viewers ROW
                         the two halves of the fan-out benchmark; bench/run
                         relays their JSON lines and measures the camera
                         (with env["sub_clip"]: two layers, video_0 and
                         video_1)
  peer.py adapt p2p      camera with two layers + one viewer, run inside a
                         network namespace of bench/run's own: its loopback
                         is shaped with tbf, the viewer's layer moves timed
  peer.py gateway-clients p2p
                         `--count` RTSP clients (rtspsrc) of the p2p-gateway
                         at env["gateway_url"], held until told to quit
  peer.py gateway-ttff p2p
                         time to first keyframe, in turn: p2psrc straight
                         to the camera, through the gateway with its p2p
                         session running, and through the gateway starting
                         it on demand

Every loop here is bounded by count and by time; the parent also kills a
process that overstays.
"""

import argparse
import json
import os
import random
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip import ClipFeeder  # noqa: E402
from rows import ROWS, _first_keyframe_probe, udp_drops  # noqa: E402


# The clip's frame rate (bench/run makes it 720p30).
CLIP_FPS = 30

# Time for packets in flight (socket buffers, jitter buffers) to land.
DRAIN_S = 0.3
# ttff: a random wait of up to this much on top of the gap between two
# connects, more than a frame (33 ms) and the viewer's feedback interval
# (100 ms). With the gap alone every connect started at the same point of
# the frame clock, and the p95 read low.
START_JITTER_S = 0.2


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def thread_switches():
    """{tid: context switches so far (voluntary and not)} of this process's
    threads, from /proc."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/status" % tid) as f:
                out[int(tid)] = sum(
                    int(line.split()[1]) for line in f
                    if line.startswith(("voluntary_ctxt_switches",
                                        "nonvoluntary_ctxt_switches")))
        except OSError:
            pass  # thread gone meanwhile
    return out


# System calls counted one by one besides the total: the media path's.
PERF_CALLS = ["sendmsg", "sendmmsg", "sendto", "recvmsg", "recvmmsg",
              "recvfrom", "poll", "ppoll", "futex", "read", "write"]


class PerfCount:
    """`perf stat` counting the system calls (tracepoints
    raw_syscalls:sys_enter and syscalls:sys_enter_*) of some threads of
    this process, started disabled and switched on and off through its
    control FIFOs, so that the count covers exactly the window the packets
    are counted in (perf takes a while to attach).  `ok` is False where
    perf is missing or not allowed."""

    def __init__(self, tids):
        self.ok = False
        self.proc = None
        perf = shutil.which("perf")
        if not perf:
            return
        self.events = ["raw_syscalls:sys_enter"] + \
            ["syscalls:sys_enter_" + c for c in PERF_CALLS]
        self.dir = tempfile.mkdtemp(prefix="bench-perf-")
        ctl, ack = (os.path.join(self.dir, n) for n in ("ctl", "ack"))
        os.mkfifo(ctl)
        os.mkfifo(ack)
        self.ack = os.open(ack, os.O_RDONLY | os.O_NONBLOCK)
        self.proc = subprocess.Popen(
            [perf, "stat", "--per-thread", "-x,", "-D", "-1",
             "--control", "fifo:%s,%s" % (ctl, ack),
             "-e", ",".join(self.events), "-t", ",".join(map(str, tids))],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # The control FIFO opens once perf has opened its end.
        end = time.monotonic() + 5
        self.ctl = None
        while self.ctl is None and time.monotonic() < end and \
                self.proc.poll() is None:
            try:
                self.ctl = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.01)
        self.ok = self.ctl is not None and self._command("enable")

    def _command(self, cmd):
        os.write(self.ctl, cmd.encode() + b"\n")
        got, end = b"", time.monotonic() + 5
        while b"ack" not in got and time.monotonic() < end:
            if select.select([self.ack], [], [], 0.1)[0]:
                got += os.read(self.ack, 64) or b""
        return b"ack" in got

    def stop(self):
        """Switches counting off; returns {"total": n, call: n, ...} or
        None."""
        if self.proc is None:
            return None
        out = {}
        if self.ok and self._command("disable"):
            self.proc.send_signal(signal.SIGINT)
            try:
                err = self.proc.communicate(timeout=10)[1]
            except subprocess.TimeoutExpired:
                err = ""
            for line in err.splitlines():
                f = line.split(",")
                if len(f) > 3 and f[3] in self.events and f[1].isdigit():
                    key = f[3].rpartition("sys_enter")[2].lstrip("_") or \
                        "total"
                    out[key] = out.get(key, 0) + int(f[1])
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.ctl, self.ack):
            if fd is not None:
                os.close(fd)
        shutil.rmtree(self.dir, ignore_errors=True)
        return out if "total" in out else None


def count_per_packet(cam, v, seconds):
    """The `perf stat`-style figures: system calls and context switches of
    the whole process (camera and viewer: p2psink and p2psrc share p2p-core's
    loop thread, so no thread belongs to one end) per RTP packet sent, over
    `seconds`."""
    perf = PerfCount(sorted(thread_switches()))
    s0, _ = cam.row.packet_counts(v)
    cs0 = thread_switches()
    time.sleep(seconds)
    cs1 = thread_switches()
    s1, _ = cam.row.packet_counts(v)
    calls = perf.stop()
    packets = s1 - s0
    if packets <= 0:
        return {"error": "no packets sent"}
    out = {"packets": packets, "switches": sum(
        n - cs0.get(t, 0) for t, n in cs1.items()) / packets}
    if calls is not None:
        out["syscalls"] = calls.pop("total") / packets
        out["by_call"] = {k: n / packets for k, n in calls.items() if n}
    return out


def thread_times():
    """{tid: (comm, run s, runqueue wait s)} of this process's threads, from
    /proc/self/task/TID/schedstat: the run time says whether a thread was
    saturated, the wait time whether it was ready but descheduled (other
    jobs on the machine)."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/schedstat" % tid) as f:
                run, wait = (int(x) / 1e9 for x in f.read().split()[:2])
            with open("/proc/self/task/%s/comm" % tid) as f:
                out[int(tid)] = (f.read().strip(), run, wait)
        except (OSError, ValueError):
            pass  # thread gone meanwhile
    return out


def busiest_threads(t0, t1, seconds, n=3):
    """The `n` threads that ran most between two thread_times() readings:
    [(name, share of a core, share of the window spent runnable but
    waiting)]."""
    rows = []
    for tid, (name, run, wait) in t1.items():
        _, run0, wait0 = t0.get(tid, (name, 0.0, 0.0))
        rows.append((name, (run - run0) / seconds, (wait - wait0) / seconds))
    rows.sort(key=lambda r: -r[1])
    return [(name, round(run, 3), round(wait, 3)) for name, run, wait in
            rows[:n]]


def own_socket_drops():
    """Datagrams the kernel dropped on this process's UDP sockets (receive
    buffer full), from the `drops` column of /proc/net/udp{,6} for the
    socket inodes among our file descriptors: on loopback the only place a
    datagram is lost, and unlike the system-wide RcvbufErrors untouched by
    other processes."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return udp_drops(lambda cols: cols[9] in inodes)


def snmp_rcvbuf_errors():
    """Udp + Udp6 RcvbufErrors of the network namespace (all processes)."""
    total = 0
    for path, prefix in (("/proc/net/snmp", "Udp:"),
                         ("/proc/net/snmp6", "Udp6RcvbufErrors")):
        try:
            with open(path) as f:
                lines = [ln.split() for ln in f if ln.startswith(prefix)]
        except OSError:
            continue
        if prefix == "Udp:" and len(lines) >= 2:
            total += int(lines[1][lines[0].index("RcvbufErrors")])
        elif lines:
            total += int(lines[0][1])
    return total


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def finish(obj):
    emit(obj)
    # Skip interpreter teardown: see _ICE_KEEP in rows.py.
    os._exit(0)


class Camera:
    """Clip feeder -> row's camera side, in one pipeline."""

    def __init__(self, args, env):
        try:
            self.feeder = ClipFeeder(args.clip, args.speed)
        except RuntimeError as e:
            finish({"error": str(e)})
        env["feeder"] = self.feeder
        self.pipe = Gst.Pipeline.new("camera")
        self.pipe.add(self.feeder.bin)
        # A second layer (the sub stream), fed alongside the first.
        self.sub = None
        if env.get("sub_clip"):
            self.sub = ClipFeeder(env["sub_clip"], args.speed, "subclip")
            self.pipe.add(self.sub.bin)
            env["sub_pad"] = self.sub.bin.get_static_pad("src")
        self.row = ROWS[args.row](env, self.pipe,
                                  self.feeder.bin.get_static_pad("src"))
        bus = self.pipe.get_bus()
        bus.enable_sync_message_emission()
        self.errors = []
        bus.connect("sync-message::error", self._on_error)

    def _on_error(self, bus, msg):
        err, dbg = msg.parse_error()
        self.errors.append("%s: %s" % (msg.src.get_name(), err.message))

    def start(self):
        if self.pipe.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            finish({"error": "camera pipeline failed to start: %s" %
                    "; ".join(self.errors)})

    def stop(self):
        self.pipe.set_state(Gst.State.NULL)


def wait_for(cond, timeout):
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        time.sleep(0.005)
    return cond()


def rendered(pad):
    """Buffers the fakesink behind `pad` has taken so far, from its base
    sink's stats: counted in C, so no Python runs per frame in the
    streaming path (a pad probe here cost a GIL round per frame in every
    row, and one per viewer per frame in the fan-out's viewer process)."""
    sink = pad.get_peer().get_parent_element()
    return sink.get_property("stats").get_value("rendered")


def connect_one(cam, timeout):
    phases = {}
    v = cam.row.connect(lambda name, t: phases.setdefault(name, t))
    ok = wait_for(lambda: "keyframe" in phases, timeout)
    return v, phases, ok


def run_cpu(args, env):
    cam = Camera(args, env)
    cam.start()
    v, phases, ok = connect_one(cam, args.timeout)
    if not ok:
        finish({"error": "no keyframe within %.0f s%s" %
                (args.timeout, "".join("; " + e for e in cam.errors))})
    time.sleep(args.warmup)
    c0, t0, f0 = cpu_seconds(), time.monotonic(), rendered(v["out"])
    time.sleep(args.window)
    c1, t1, f1 = cpu_seconds(), time.monotonic(), rendered(v["out"])
    sent, received = cam.row.packet_counts(v)
    path = cam.row.path_info()
    # Counted after the CPU window: perf's counting must not cost the
    # window anything.
    counts = count_per_packet(cam, v, args.counters) \
        if args.counters > 0 else None
    cam.row.disconnect(v)
    cam.stop()
    finish({"cpu_s": c1 - c0, "wall_s": t1 - t0,
            "cpu_per_s": (c1 - c0) / (t1 - t0),
            "frames": f1 - f0, "fps": (f1 - f0) / (t1 - t0),
            "clip_mbps": cam.feeder.clip_bps / 1e6,
            "packets_sent": sent, "packets_received": received,
            "path": path, "counts": counts})


def run_ttff(args, env):
    cam = Camera(args, env)
    cam.start()
    # The camera streams for a moment first, as a camera would be.
    time.sleep(args.warmup)
    results = []
    # Connect 0 is a warm-up, reported apart: it carries one-time costs of
    # the process (webrtcbin generates its DTLS certificate there) that a
    # camera pays once, not per viewer.
    for _ in range(args.connects + 1):
        v, phases, ok = connect_one(cam, args.timeout)
        start = v["start"]
        if ok:
            times = {k: (t - start) * 1000 for k, t in phases.items()}
            times.update(cam.row.late_phases(v))
            results.append(times)
        else:
            results.append(None)
        cam.row.disconnect(v)
        time.sleep(args.gap + random.uniform(0, START_JITTER_S))
    cam.stop()
    finish({"first": results[0], "connects": results[1:],
            "errors": cam.errors[:3]})


def run_throughput(args, env):
    cam = Camera(args, env)
    cam.start()
    v, phases, ok = connect_one(cam, args.timeout)
    if not ok:
        finish({"error": "no keyframe within %.0f s%s" %
                (args.timeout, "".join("; " + e for e in cam.errors))})
    # Counting starts once the stream has settled (ICE/DTLS done, first
    # keyframe through), so set-up effects are not mistaken for loss; the
    # sender is held at both ends of the window so nothing is in flight
    # when the two sides' counters are read.
    time.sleep(args.warmup)
    cam.feeder.hold()
    time.sleep(DRAIN_S)
    s0, r0 = cam.row.packet_counts(v)
    # What explains a loss: drops in our sockets' receive buffers (and the
    # namespace's RcvbufErrors, which other processes add to), and how
    # busy the busiest threads were.
    d0, e0, th0 = own_socket_drops(), snmp_rcvbuf_errors(), thread_times()
    cam.feeder.resume()
    f0, t0 = cam.feeder.pushed_frames, time.monotonic()
    time.sleep(args.window)
    f1, t1 = cam.feeder.pushed_frames, time.monotonic()
    th1 = thread_times()
    cam.feeder.hold()
    time.sleep(DRAIN_S)
    s1, r1 = cam.row.packet_counts(v)
    d1, e1 = own_socket_drops(), snmp_rcvbuf_errors()
    sent, received = s1 - s0, r1 - r0
    # p2psrc's count went backwards in runs that collapsed under load (its
    # session restarted and counted from zero): the window's count is then
    # meaningless, and the run a failure.
    reset = received < 0 or sent < 0
    extra = cam.row.receive_stats(v)
    target = cam.feeder.clip_bps * args.speed
    cam.row.disconnect(v)
    cam.pipe.set_state(Gst.State.NULL)
    # Whether the sender kept up is judged by frames, not bytes: over a
    # short window the bytes swing with where the keyframes fall.
    expected = CLIP_FPS * args.speed * (t1 - t0)
    out = {"target_bps": target,
           "achieved_bps": target * (f1 - f0) / expected,
           "packets_sent": sent, "packets_received": received,
           "loss": (1 - received / sent) if sent > 0 and not reset else 1.0,
           "counters_reset": reset,
           "socket_drops": d1 - d0, "rcvbuf_errors": e1 - e0,
           "threads": busiest_threads(th0, th1, t1 - t0),
           "receive_buffer": None, "load": os.getloadavg()[0]}
    out.update(extra)
    finish(out)


def run_throughput_camera(args, env):
    """The camera half of the two-process throughput run: serves the
    viewer bench/run attaches, holds and resumes the sender on command and
    reports what it sent to that viewer."""
    deadline = time.monotonic() + args.timeout
    cam = Camera(args, env)
    cam.start()
    emit({"event": "ready", "pid": os.getpid()})
    info, th0, f0, t0 = None, None, 0, 0.0
    while True:
        cmd = read_cmd(deadline)
        if cmd["cmd"] == "attach":
            info = cmd["info"]
            cam.row.attach(info)
            emit({"event": "attached"})
        elif cmd["cmd"] == "hold":
            cam.feeder.hold()
            emit({"event": "held", "frames": cam.feeder.pushed_frames,
                  "t": time.monotonic()})
        elif cmd["cmd"] == "begin":
            th0 = thread_times()
            emit({"event": "counts", "sent": cam.row.sent_count(info)})
        elif cmd["cmd"] == "resume":
            cam.feeder.resume()
            f0, t0 = cam.feeder.pushed_frames, time.monotonic()
            emit({"event": "resumed"})
        elif cmd["cmd"] == "end":
            f1, t1 = cam.feeder.pushed_frames, time.monotonic()
            cam.feeder.hold()
            emit({"event": "ended", "frames": f1 - f0, "seconds": t1 - t0,
                  "target_bps": cam.feeder.clip_bps * args.speed,
                  "threads": busiest_threads(th0, thread_times(), t1 - t0,
                                             n=2)})
        elif cmd["cmd"] == "counts":
            emit({"event": "counts", "sent": cam.row.sent_count(info)})
        elif cmd["cmd"] == "quit":
            cam.stop()
            finish({"event": "done", "errors": cam.errors[:3]})


def run_throughput_viewer(args, env):
    """The viewer half: one viewer; its received count, its own sockets'
    receive-buffer drops and its busiest threads between `begin` and
    `end`."""
    deadline = time.monotonic() + args.timeout
    helper = ROWS[args.row](env, None, None)
    keyed = []
    v = helper.viewer(lambda name, t: keyed.append(t)
                      if name == "keyframe" else None)
    emit({"event": "viewer", "pid": os.getpid(), "info": v["info"]})
    mark = {}
    while True:
        cmd = read_cmd(deadline)
        if cmd["cmd"] == "wait-keyframe":
            ok = wait_for(lambda: keyed, max(0.0, min(
                cmd["timeout"], deadline - time.monotonic())))
            emit({"event": "keyframe", "ok": bool(ok)})
        elif cmd["cmd"] == "begin":
            mark = {"drops": own_socket_drops(), "threads": thread_times(),
                    "rcvbuf": snmp_rcvbuf_errors(), "t": time.monotonic()}
            emit({"event": "counts", "received": helper.received_count(v)})
        elif cmd["cmd"] == "end-window":
            t1 = time.monotonic()
            emit({"event": "window", "threads": busiest_threads(
                mark["threads"], thread_times(), t1 - mark["t"])})
        elif cmd["cmd"] == "end":
            out = {"event": "counts", "received": helper.received_count(v),
                   "socket_drops": own_socket_drops() - mark["drops"],
                   "rcvbuf_errors": snmp_rcvbuf_errors() - mark["rcvbuf"],
                   "load": os.getloadavg()[0]}
            out.update(helper.receive_stats(v))
            emit(out)
        elif cmd["cmd"] == "quit":
            v["pipe"].set_state(Gst.State.NULL)
            finish({"event": "done"})


def read_cmd(deadline):
    """One JSON command from bench/run on stdin (blocking, bounded by the
    parent's own time-out, which kills us)."""
    line = sys.stdin.readline()
    if not line or time.monotonic() > deadline:
        finish({"error": "parent went away"})
    return json.loads(line)


def run_fanout_camera(args, env):
    deadline = time.monotonic() + args.timeout
    cam = Camera(args, env)
    cam.start()
    emit({"event": "ready", "pid": os.getpid()})
    while True:
        cmd = read_cmd(deadline)
        if cmd["cmd"] == "attach":
            for info in cmd["infos"]:
                cam.row.attach(info)
            emit({"event": "attached"})
        elif cmd["cmd"] == "quit":
            cam.stop()
            finish({"event": "done", "errors": cam.errors[:3]})


def shape_loopback(kbit):
    """tbf on this network namespace's loopback (bench/run made the
    namespace for this process alone), or none with kbit 0.  Burst and
    latency as the NAT lab's set_rate."""
    if kbit:
        cmd = ["tc", "qdisc", "replace", "dev", "lo", "root", "tbf", "rate",
               "%dkbit" % kbit, "burst", str(max(16000, kbit * 1000 // 400)),
               "latency", "200ms"]
    else:
        cmd = ["tc", "qdisc", "del", "dev", "lo", "root"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=10)


def run_adapt(args, env):
    """The viewer settles on main, the loopback is shaped to
    env["shape_kbit"]: time until p2psink moves the viewer to the sub layer,
    frames out of p2psrc on sub over env["shaped_s"], then the shaping
    lifted: time back on main.  Every wait is bounded."""
    cam = Camera(args, env)
    moves = []
    cond = threading.Condition()

    def on_layer(bus, msg):
        s = msg.get_structure()
        if s is not None and s.get_name() == "p2p-layer":
            with cond:
                moves.append((time.monotonic(), s.get_value("layer")))
                cond.notify_all()

    bus = cam.pipe.get_bus()
    bus.connect("sync-message::element", on_layer)
    cam.start()
    v, phases, ok = connect_one(cam, args.timeout)
    if not ok:
        finish({"error": "no keyframe within %.0f s%s" %
                (args.timeout, "".join("; " + e for e in cam.errors))})
    # (arrival, PTS): a frame is counted once, however many buffers carry
    # it.
    frames = []
    v["out"].add_probe(Gst.PadProbeType.BUFFER,
                       lambda p, i: frames.append((time.monotonic(),
                                                   i.get_buffer().pts)) or
                       Gst.PadProbeReturn.OK)

    def wait_layer(layer, after, timeout):
        with cond:
            cond.wait_for(lambda: any(t >= after and x == layer
                                      for t, x in moves), timeout)
            return next((t for t, x in moves if t >= after and x == layer),
                        None)

    # The estimator past its start, as in the NAT lab.
    time.sleep(args.warmup)
    out = {"shape_kbit": env["shape_kbit"]}
    t_shape = time.monotonic()
    shape_loopback(env["shape_kbit"])
    t_down = wait_layer(1, t_shape, env["down_timeout"])
    if t_down is None:
        shape_loopback(0)
        finish({"error": "not on sub within %.0f s of the shaping"
                % env["down_timeout"]})
    out["down_s"] = t_down - t_shape
    time.sleep(env["shaped_s"])
    t_lift = time.monotonic()
    shape_loopback(0)
    # Frames from 1 s after the move (the switch itself settled) to the
    # lift, against 30 per second; and the longest gap between two.
    got, seen = [], set()
    for t, pts in list(frames):
        if t_down + 1 <= t < t_lift and pts not in seen:
            seen.add(pts)
            got.append(t)
    out["frames"] = len(got)
    out["want"] = int((t_lift - t_down - 1) * 30)
    edges = [t_down + 1] + got + [t_lift]
    out["freeze_s"] = max(b - a for a, b in zip(edges, edges[1:]))
    t_up = wait_layer(0, t_lift, env["up_timeout"])
    out["up_s"] = None if t_up is None else t_up - t_lift
    out["moves"] = [x for _, x in moves]
    cam.row.disconnect(v)
    cam.stop()
    finish(out)


def run_fanout_viewers(args, env):
    deadline = time.monotonic() + args.timeout
    helper = ROWS[args.row](env, None, None)
    viewers = []
    keyed = []
    lock = threading.Lock()

    def on_phase(name, t):
        if name == "keyframe":
            with lock:
                keyed.append(t)

    for _ in range(args.count):
        viewers.append(helper.viewer(on_phase))
    emit({"event": "viewers", "pid": os.getpid(),
          "infos": [v["info"] for v in viewers]})
    while True:
        cmd = read_cmd(deadline)
        if cmd["cmd"] == "wait-receiving":
            ok = wait_for(lambda: len(keyed) >= args.count,
                          max(0.0, min(cmd["timeout"],
                                       deadline - time.monotonic())))
            emit({"event": "receiving", "ok": ok, "viewers": len(keyed)})
        elif cmd["cmd"] == "frames":
            emit({"event": "frames", "frames": [
                rendered(v["out"]) if v.get("out") else 0
                for v in viewers]})
        elif cmd["cmd"] == "quit":
            for v in viewers:
                v["pipe"].set_state(Gst.State.NULL)
            finish({"event": "done"})


def rtsp_viewer(url, on_phase):
    """rtspsrc (TCP, no jitter buffer: the gateway's own cost is measured,
    not a client's buffering) -> depayloader -> fakesink."""
    pipe = Gst.parse_launch(
        "rtspsrc name=src protocols=tcp latency=0 location=%s ! "
        "rtph264depay name=depay ! fakesink sync=false async=false" % url)
    v = {"pipe": pipe, "start": time.monotonic()}
    _first_keyframe_probe(pipe.get_by_name("depay").get_static_pad("src"),
                          on_phase, v)
    pipe.set_state(Gst.State.PLAYING)
    return v


def run_gateway_clients(args, env):
    deadline = time.monotonic() + args.timeout
    keyed = []
    lock = threading.Lock()

    def on_phase(name, t):
        if name == "keyframe":
            with lock:
                keyed.append(t)

    viewers = [rtsp_viewer(env["gateway_url"], on_phase)
               for _ in range(args.count)]
    while True:
        cmd = read_cmd(deadline)
        if cmd["cmd"] == "wait-receiving":
            ok = wait_for(lambda: len(keyed) >= args.count,
                          max(0.0, min(cmd["timeout"],
                                       deadline - time.monotonic())))
            emit({"event": "receiving", "ok": ok, "viewers": len(keyed)})
        elif cmd["cmd"] == "quit":
            for v in viewers:
                v["pipe"].set_state(Gst.State.NULL)
            finish({"event": "done"})


def run_gateway_ttff(args, env):
    helper = ROWS[args.row](env, None, None)
    url = env["gateway_url"]
    # The gateway stops its session this long after its last client.
    idle = env["gateway_linger_s"] + 1.0
    ms = {"direct": [], "cold": [], "warm": []}

    def first_frame(make):
        phases = {}
        v = make(lambda name, t: phases.setdefault(name, t))
        ok = wait_for(lambda: "keyframe" in phases, args.timeout)
        v["pipe"].set_state(Gst.State.NULL)
        return (phases["keyframe"] - v["start"]) * 1000 if ok else None

    # The first rounds are a warm-up (first calls pay one-time costs), not
    # reported.
    skip = args.warmup_rounds
    for i in range(args.connects + skip):
        d = first_frame(helper.viewer)
        time.sleep(idle)
        c = first_frame(lambda cb: rtsp_viewer(url, cb))
        held = {}
        holder = rtsp_viewer(url, lambda name, t: held.setdefault(name, t))
        wait_for(lambda: "keyframe" in held, args.timeout)
        time.sleep(args.gap)
        w = first_frame(lambda cb: rtsp_viewer(url, cb))
        holder["pipe"].set_state(Gst.State.NULL)
        if i >= skip:
            for k, t in (("direct", d), ("cold", c), ("warm", w)):
                ms[k].append(t)
        if i < args.connects + skip - 1:
            # The next direct connect finds the gateway's session gone.
            time.sleep(idle)
    finish(ms)


def loud(buf, threshold=3000):
    """Whether an S16 buffer holds a sample louder than `threshold`."""
    data = buf.extract_dup(0, buf.get_size())
    samples = memoryview(data).cast("h") if len(data) % 2 == 0 else []
    return any(abs(v) > threshold for v in samples)


def run_talkback(args, env):
    """Mouth-to-ear of talk-back with the elements' defaults: the time from
    a burst of tone leaving the viewer's audio source to its first decoded
    samples behind the camera's talkback pad, over `count` bursts."""
    p = env["p2p"]
    cam = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240,"
        "framerate=15/1 ! x264enc tune=zerolatency speed-preset=ultrafast ! "
        "p2psink name=cam uid=%s key-file=%s server=%s password=%s lan=false "
        "cam.talkback ! opusdec ! audio/x-raw,format=S16LE ! "
        "appsink name=ear sync=false emit-signals=true" %
        (p["uid"], p["key_file"], p["server"], p["password"]))
    viewer = Gst.parse_launch(
        "p2psrc name=src uid=%s server=%s password=%s lan=false ! "
        "fakesink sync=false "
        "audiotestsrc name=mouth is-live=true freq=1000 volume=0 ! "
        "audio/x-raw,format=S16LE,rate=48000,channels=1 ! opusenc ! "
        "src.talkback" % (p["uid"], p["server"], p["password"]))
    mouth = viewer.get_by_name("mouth")
    lock = threading.Lock()
    box = {"t0": None, "t1": None, "heard": 0}

    def on_mouth(pad, info):
        if box["t0"] is None and loud(info.get_buffer()):
            with lock:
                box["t0"] = time.monotonic()
        return Gst.PadProbeReturn.OK
    mouth.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_mouth)

    def on_ear(sink):
        buf = sink.emit("pull-sample").get_buffer()
        with lock:
            box["heard"] += 1
            if box["t0"] is not None and box["t1"] is None and loud(buf):
                box["t1"] = time.monotonic()
        return Gst.FlowReturn.OK
    cam.get_by_name("ear").connect("new-sample", on_ear)

    cam.set_state(Gst.State.PLAYING)
    viewer.set_state(Gst.State.PLAYING)
    if not wait_for(lambda: box["heard"] > 10, args.timeout):
        finish({"error": "no talk-back audio within %.0f s" % args.timeout})
    latencies = []
    for _ in range(args.count):
        with lock:
            box["t0"] = box["t1"] = None
        mouth.set_property("volume", 0.8)
        ok = wait_for(lambda: box["t1"] is not None, 2.0)
        mouth.set_property("volume", 0.0)
        if ok:
            latencies.append(1000 * (box["t1"] - box["t0"]))
        time.sleep(0.4)
    viewer.set_state(Gst.State.NULL)
    cam.set_state(Gst.State.NULL)
    if not latencies:
        finish({"error": "no burst heard"})
    finish({"latencies_ms": [round(v, 1) for v in latencies],
            "lost": args.count - len(latencies)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["cpu", "ttff", "throughput", "talkback",
                                     "throughput-camera", "throughput-viewer",
                                     "adapt",
                                     "fanout-camera", "fanout-viewers",
                                     "gateway-clients", "gateway-ttff"])
    ap.add_argument("row", choices=sorted(ROWS))
    ap.add_argument("--clip")
    ap.add_argument("--env", default="{}", help="JSON from bench/run")
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--window", type=float, default=5.0)
    ap.add_argument("--counters", type=float, default=0.0,
                    help="cpu: seconds of system call and context switch "
                    "counting after the window (0: none)")
    ap.add_argument("--connects", type=int, default=20)
    ap.add_argument("--warmup-rounds", type=int, default=1,
                    help="gateway-ttff: rounds before the counted ones")
    ap.add_argument("--gap", type=float, default=0.2)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    Gst.init(None)
    env = json.loads(args.env)
    why = ROWS[args.row].unavailable(env)
    if why:
        finish({"na": why})
    {"cpu": run_cpu, "ttff": run_ttff, "throughput": run_throughput,
     "throughput-camera": run_throughput_camera,
     "throughput-viewer": run_throughput_viewer,
     "talkback": run_talkback, "adapt": run_adapt,
     "fanout-camera": run_fanout_camera,
     "fanout-viewers": run_fanout_viewers,
     "gateway-clients": run_gateway_clients,
     "gateway-ttff": run_gateway_ttff}[args.mode](args, env)


if __name__ == "__main__":
    main()
