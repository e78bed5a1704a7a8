"""The bench clip: an H.264 file made once by bench/run with x264enc,
replayed in real time by every row's camera through benchclipsrc
(bench/gstbenchclipsrc.c, built into <builddir>/bench, which bench/run puts
on GST_PLUGIN_PATH).

The source is C so that no Python runs in the streaming path: a Python
feeder thread pushing into an appsrc cost ~0.01 CPU s/s in every row (its
wake-ups and the interpreter's), which compressed the ratios between rows.
It loops the clip from memory without a seek, plays at any speed for the
throughput steps (rate = clip bitrate x speed), answers a force-key-unit
event by jumping to the clip's next keyframe, the way a live encoder emits
an IDR when a viewer joins, and can hold and resume.  This module only
wraps its properties for peer.py and rows.py.
"""

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


class ClipFeeder:
    """The clip at `path`, looping, at `speed` x real time.  Add `bin` to
    the camera's pipeline and link its `src` pad onwards; frames flow once
    the pipeline is PLAYING."""

    def __init__(self, path, speed=1.0, name="clip"):
        self.bin = Gst.ElementFactory.make("benchclipsrc", name)
        if self.bin is None:
            raise RuntimeError("benchclipsrc not found: build bench/ "
                               "(meson -Dbench) and put <builddir>/bench "
                               "on GST_PLUGIN_PATH")
        self.bin.set_property("location", path)
        self.bin.set_property("speed", speed)

    @property
    def clip_bps(self):
        """Bits per second of the clip at 1x (once PAUSED)."""
        return self.bin.get_property("clip-bitrate")

    @property
    def pushed_bytes(self):
        return self.bin.get_property("pushed-bytes")

    @property
    def pushed_frames(self):
        return self.bin.get_property("pushed-frames")

    def request_keyframe(self):
        """Next frame pushed is a keyframe (with SPS/PPS)."""
        self.bin.emit("request-keyframe")

    def hold(self):
        """Stops pushing after the current frame (until resume()), so the
        packets in flight can land and counters on both ends agree."""
        self.bin.set_property("hold", True)

    def resume(self):
        """Carries on from where the schedule stopped, no catch-up
        burst."""
        self.bin.set_property("hold", False)
