#!/usr/bin/python3
# A video doorbell in Python with PyGObject: the camera end (p2psink) that
# plays what a viewer says through its talk-back, tells viewers when the
# bell rings (an event), and opens the door on a viewer's command.
#
#   doorbell.py camera --uid UID --key-file device.pem --server URI \
#       --password secret [--ring-every 10]
#   doorbell.py visitor --uid UID --server URI --password secret
#
# "camera" is the doorbell; "visitor" is the owner's app: it watches,
# answers each ring by talking (a test tone here, a microphone with
# --microphone) and sends "open-door". Against the local demo server
# (examples/pipelines/provision.sh, then server.sh):
#
#   . examples/pipelines/env.sh
#   doorbell.py camera --uid $DEVICE_UID --key-file $KEY_FILE \
#       --server $SERVER --password $PASSWORD
#   doorbell.py visitor --uid $DEVICE_UID --server $SERVER \
#       --password $PASSWORD
#
# --headless replaces the speaker and the window by fakesinks, --no-lan
# keeps to the server (no discovery on the local network); --rings N
# stops after N rings (both ends), for scripts.

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# The talkback pad appears with the first viewer who speaks; the pipeline
# links it then.
CAMERA = (
    "videotestsrc is-live=true pattern=smpte ! "
    "video/x-raw,width=640,height=480,framerate=15/1 ! "
    "x264enc tune=zerolatency speed-preset=veryfast bitrate=800 ! "
    "p2psink name=bell "
    "bell.talkback ! decodebin ! audioconvert ! audioresample ! {speaker}")
VISITOR = (
    "p2psrc name=src ! decodebin ! videoconvert ! {video} "
    "{audio} ! audioconvert ! audioresample ! opusenc ! src.talkback")


def run(pipeline, on_element, rings_left):
    loop = GLib.MainLoop()

    def on_message(_bus, message):
        if message.type == Gst.MessageType.ELEMENT:
            on_element(message.get_structure())
        elif message.type == Gst.MessageType.WARNING:
            print("warning: %s" % message.parse_warning()[0].message,
                  flush=True)
        elif message.type == Gst.MessageType.ERROR:
            print("error: %s" % message.parse_error()[0].message,
                  file=sys.stderr)
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    rings_left["loop"] = loop
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    pipeline.set_state(Gst.State.NULL)


def camera(args):
    pipeline = Gst.parse_launch(CAMERA.format(
        speaker="fakesink sync=false" if args.headless else "autoaudiosink"))
    bell = pipeline.get_by_name("bell")
    for name, value in (("uid", args.uid), ("key-file", args.key_file),
                        ("server", args.server),
                        ("password", args.password),
                        ("lan", not args.no_lan)):
        bell.set_property(name, value)
    state = {"rings": 0}

    def on_command(element, viewer, request, name, payload):
        print("%s asks %s %s" % (viewer, name, payload), flush=True)
        if name == "open-door":
            element.emit("reply", viewer, request, True, '{"door":"open"}')
        else:
            element.emit("reply", viewer, request, False, "unknown command")
    bell.connect("command", on_command)

    def ring():
        sent = bell.emit("send-event", None, "ring", '{"button":"front"}')
        if sent:
            state["rings"] += 1
            print("ring %d to %d viewer(s)" % (state["rings"], sent),
                  flush=True)
            if args.rings and state["rings"] >= args.rings:
                GLib.timeout_add_seconds(3, state["loop"].quit)
                return False
        return True
    GLib.timeout_add_seconds(args.ring_every, ring)

    def on_element(s):
        if s.get_name() == "p2p-talkback":
            print("talk-back: %s %s %s" % (
                s.get_string("viewer-id"), s.get_string("state"),
                s.get_string("reason") or ""), flush=True)
        elif s.get_name() in ("p2p-viewer-joined", "p2p-viewer-left"):
            print("%s: %s" % (s.get_name(), s.get_string("viewer-id")),
                  flush=True)
    run(pipeline, on_element, state)


def visitor(args):
    pipeline = Gst.parse_launch(VISITOR.format(
        video="fakesink sync=false" if args.headless else "autovideosink",
        audio="autoaudiosrc" if args.microphone else
        "audiotestsrc is-live=true freq=440 volume=0.3"))
    src = pipeline.get_by_name("src")
    for name, value in (("uid", args.uid), ("server", args.server),
                        ("password", args.password),
                        ("lan", not args.no_lan)):
        src.set_property(name, value)
    state = {"rings": 0}

    def on_event(element, name, payload):
        print("event %s %s" % (name, payload), flush=True)
        if name == "ring":
            state["rings"] += 1
            element.emit("send-command", "open-door", "{}")

    def on_reply(_element, request, ok, payload):
        print("reply %d: %s %s" % (request, "ok" if ok else "failed",
                                   payload), flush=True)
        if args.rings and state["rings"] >= args.rings:
            state["loop"].quit()
    src.connect("event", on_event)
    src.connect("command-reply", on_reply)

    def on_element(s):
        if s.get_name() == "p2p-talkback":
            print("talk-back: %s %s" % (s.get_string("state"),
                                        s.get_string("reason")), flush=True)
    run(pipeline, on_element, state)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=("camera", "visitor"))
    parser.add_argument("--uid", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--key-file", help="camera: device.pem")
    parser.add_argument("--ring-every", type=int, default=10,
                        help="camera: seconds between rings")
    parser.add_argument("--rings", type=int, default=0,
                        help="stop after this many rings (0: never)")
    parser.add_argument("--microphone", action="store_true",
                        help="visitor: talk through the microphone")
    parser.add_argument("--no-lan", action="store_true",
                        help="do not look for or answer viewers on the local "
                        "network (the server only)")
    parser.add_argument("--headless", action="store_true",
                        help="no window, no speaker")
    args = parser.parse_args()
    Gst.init(None)
    if Gst.ElementFactory.find("p2psink") is None:
        sys.exit("p2psink not found: set GST_PLUGIN_PATH to build/gst/p2p")
    if args.role == "camera":
        if not args.key_file:
            sys.exit("camera needs --key-file")
        camera(args)
    else:
        visitor(args)


if __name__ == "__main__":
    main()
