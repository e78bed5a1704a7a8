"""The bench clip: an H.264 file made once by bench/run with x264enc, loaded
into memory by each benchmark process and replayed in real time.

Replaying from memory (rather than filesrc ! qtdemux) lets one clip serve
every benchmark: it loops without a seek, plays at any speed for the
throughput steps (rate = clip bitrate x speed) and can answer an upstream
force-key-unit event by jumping to the clip's next keyframe, the way a live
encoder would emit an IDR when a viewer joins.  Pacing
waits for each frame's time on the pipeline clock before pushing it (as a
capture source delivers frames), so a keyframe request is served at the
next frame slot and the Python side costs one wake-up per frame, not per
packet.
"""

import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import Gst, GstVideo  # noqa: E402

# Frames appsrc may hold: frames are pushed at their due time, so the
# queue only absorbs scheduling jitter.
QUEUE_FRAMES = 4


def _is_idr(buf):
    """True when the access unit holds an IDR slice (NAL type 5).  The
    container's sync-sample flags are not trusted: with some muxer/encoder
    settings they mark non-IDR frames too, and a viewer can only start on an
    IDR."""
    data = buf.extract_dup(0, buf.get_size())
    pos = data.find(b"\x00\x00\x01")
    while pos >= 0 and pos + 3 < len(data):
        nal_type = data[pos + 3] & 0x1f
        if nal_type == 5:
            return True
        if nal_type in (1, 12):
            # A non-IDR slice or filler: the rest of the unit adds nothing.
            return False
        pos = data.find(b"\x00\x00\x01", pos + 3)
    return False


def load_clip(path):
    """Returns (caps, frames, frame_duration_ns); frames are (buffer, is_key)
    with SPS/PPS in band before every keyframe (h264parse config-interval)."""
    pipe = Gst.parse_launch(
        "filesrc name=f ! qtdemux ! h264parse config-interval=-1 ! "
        "video/x-h264,stream-format=byte-stream,alignment=au ! "
        "appsink name=s sync=false max-buffers=0")
    pipe.get_by_name("f").set_property("location", path)
    sink = pipe.get_by_name("s")
    pipe.set_state(Gst.State.PLAYING)
    frames = []
    caps = None
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        if caps is None:
            caps = sample.get_caps()
        buf = sample.get_buffer()
        frames.append((buf, _is_idr(buf)))
    pipe.set_state(Gst.State.NULL)
    if not frames:
        raise RuntimeError("clip %s has no frames" % path)
    s = caps.get_structure(0)
    ok, num, den = s.get_fraction("framerate")
    if not ok or num == 0:
        num, den = 30, 1
    return caps, frames, Gst.util_uint64_scale(Gst.SECOND, den, num)


class ClipFeeder:
    """Pushes the clip into an appsrc, looping, at `speed` x real time.  Use
    `bin` as the camera's source; link its `src` pad onwards; start() once
    the pipeline is PLAYING."""

    def __init__(self, path, speed=1.0):
        self.caps, self.frames, self.frame_ns = load_clip(path)
        self.speed = speed
        self.clip_bytes = sum(b.get_size() for b, _ in self.frames)
        # Bits per second of the clip at 1x.
        self.clip_bps = self.clip_bytes * 8 * Gst.SECOND / (
            len(self.frames) * self.frame_ns)
        self.bin = Gst.parse_bin_from_description(
            "appsrc name=clipsrc format=time is-live=false block=true "
            "max-buffers=%d" % QUEUE_FRAMES, True)
        self.bin.set_name("clip")
        self.appsrc = self.bin.get_by_name("clipsrc")
        self.appsrc.set_property("caps", self.caps)
        self.appsrc.get_static_pad("src").add_probe(
            Gst.PadProbeType.EVENT_UPSTREAM, self._on_upstream_event)
        self._want_key = threading.Event()
        self._stop = threading.Event()
        self._held = threading.Event()
        self._resumed = threading.Event()
        self._thread = None
        self.pushed_bytes = 0
        self.pushed_frames = 0
        self.keyframe_requests = 0

    def _on_upstream_event(self, pad, info):
        if GstVideo.video_event_is_force_key_unit(info.get_event()):
            self.request_keyframe()
        return Gst.PadProbeReturn.OK

    def request_keyframe(self):
        """Next frame pushed is a keyframe (with SPS/PPS)."""
        self.keyframe_requests += 1
        self._want_key.set()

    def hold(self):
        """Stops pushing after the current frame (until resume()), so the
        packets in flight can land and counters on both ends agree."""
        self._resumed.clear()
        self._held.set()

    def resume(self):
        self._held.clear()
        self._resumed.set()

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self):
        flags = (Gst.BufferCopyFlags.FLAGS | Gst.BufferCopyFlags.META |
                 Gst.BufferCopyFlags.MEMORY)
        step = int(self.frame_ns / self.speed)
        clock = self.appsrc.get_clock()
        base = self.appsrc.get_base_time()
        if clock is None:
            return
        ts = 0
        i = 0
        n = len(self.frames)
        while not self._stop.is_set():
            if self._held.is_set():
                paused_at = clock.get_time()
                while not self._resumed.wait(0.1):
                    if self._stop.is_set():
                        return
                # Carry on from where the schedule stopped, no catch-up burst.
                base += clock.get_time() - paused_at
            ahead = base + ts - clock.get_time()
            if ahead > 0:
                time.sleep(ahead / Gst.SECOND)
            # Decided at the frame's due time, so a request made since the
            # previous frame is served by this one.
            if self._want_key.is_set():
                self._want_key.clear()
                j = 0
                while not self.frames[i][1] and j < n:
                    i = (i + 1) % n
                    j += 1
            buf, _ = self.frames[i]
            out = buf.copy_region(flags, 0, buf.get_size())
            out.pts = out.dts = ts
            out.duration = step
            if self.appsrc.emit("push-buffer", out) != Gst.FlowReturn.OK:
                break
            self.pushed_bytes += buf.get_size()
            self.pushed_frames += 1
            ts += step
            i = (i + 1) % n
