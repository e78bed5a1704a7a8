#!/usr/bin/python3
# A camera viewer in Python with PyGObject: connects to a camera by UID,
# shows it (or just counts frames with --frames), and prints the
# connection's progress from p2psrc's bus messages and statistics.
#
#   viewer.py --uid 7KQ2-M9XD-4HPA-R3MJ --server wss://p2p.example.com \
#       --password secret
#
# With a camera that sends audio too, it shows the video; the audio pad
# stays unlinked.
#
# From a build tree: GST_PLUGIN_PATH=build/gst/p2p viewer.py ...

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uid", required=True, help="camera UID")
    parser.add_argument("--server", required=True,
                        help="signalling server URI(s), comma-separated")
    parser.add_argument("--password", default=None, help="camera password")
    parser.add_argument("--fingerprint", default=None,
                        help="pinned camera certificate fingerprint")
    parser.add_argument("--latency", type=int, default=50,
                        help="jitter buffer in milliseconds")
    parser.add_argument("--frames", type=int, default=0,
                        help="count this many video frames without showing "
                        "them, then print the statistics and exit")
    parser.add_argument("--no-lan", action="store_true",
                        help="do not look for the camera on the local network")
    args = parser.parse_args()

    Gst.init(None)
    src = Gst.ElementFactory.make("p2psrc", "src")
    if src is None:
        sys.exit("p2psrc not found: set GST_PLUGIN_PATH to build/gst/p2p")
    src.set_property("uid", args.uid)
    src.set_property("server", args.server)
    src.set_property("latency", args.latency)
    src.set_property("lan", not args.no_lan)
    if args.password:
        src.set_property("password", args.password)
    if args.fingerprint:
        src.set_property("device-fingerprint", args.fingerprint)

    pipeline = Gst.Pipeline.new("viewer")
    pipeline.add(src)
    if args.frames:
        # The encoded video as it arrives; no decoder needed.
        sink = Gst.ElementFactory.make("fakesink", "sink")
        sink.set_property("num-buffers", args.frames)
        sink.set_property("sync", False)
        pipeline.add(sink)
        first = sink.get_static_pad("sink")
    else:
        decode = Gst.ElementFactory.make("decodebin", None)
        convert = Gst.ElementFactory.make("videoconvert", None)
        sink = Gst.ElementFactory.make("autovideosink", None)
        for element in (decode, convert, sink):
            pipeline.add(element)
        convert.link(sink)
        first = decode.get_static_pad("sink")
        decode.connect("pad-added", lambda _, pad: pad.link(
            convert.get_static_pad("sink")))

    def on_pad_added(_src, pad):
        # p2psrc has a pad per stream (video_0, and audio_0 when the camera
        # sends audio): the first video pad is shown, the others may stay
        # unlinked.
        if pad.get_name().startswith("video") and not first.is_linked():
            pad.link(first)

    src.connect("pad-added", on_pad_added)

    loop = GLib.MainLoop()

    def on_message(_bus, message):
        if message.type == Gst.MessageType.ELEMENT:
            s = message.get_structure()
            if s.get_name() == "p2p-connection":
                print("connection: %s, mode %s (%s to %s), rtt %s ms" % (
                    s.get_string("state"), s.get_string("mode"),
                    s.get_string("local-candidate-type"),
                    s.get_string("remote-candidate-type"),
                    s.get_value("rtt-ms")), flush=True)
        elif message.type == Gst.MessageType.WARNING:
            err, _ = message.parse_warning()
            print("warning: %s" % err.message, flush=True)
        elif message.type == Gst.MessageType.ERROR:
            err, debug = message.parse_error()
            print("error: %s" % err.message, file=sys.stderr)
            loop.quit()
            return
        elif message.type == Gst.MessageType.EOS:
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    pipeline.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    stats = src.get_property("stats")
    print("statistics: %s" % stats.to_string())
    ok, first = stats.get_int64("first-buffer-ms")
    if ok and first >= 0:
        print("first frame %d ms after start" % first)
    pipeline.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
