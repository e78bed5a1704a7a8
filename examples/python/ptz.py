#!/usr/bin/python3
# Pan and tilt over the command channel, in Python with PyGObject. The
# camera end shows a 640x360 window of a larger test picture (videocrop)
# and moves it on the viewer's "pan" commands, so the effect is visible;
# the viewer end sends them from the keyboard (h/j/k/l + Enter) or from
# --moves.
#
#   ptz.py camera --uid UID --key-file device.pem --server URI \
#       --password secret
#   ptz.py viewer --uid UID --server URI --password secret
#
# Against the local demo server (examples/pipelines/provision.sh, then
# server.sh):
#
#   . examples/pipelines/env.sh
#   ptz.py camera --uid $DEVICE_UID --key-file $KEY_FILE --server $SERVER \
#       --password $PASSWORD
#   ptz.py viewer --uid $DEVICE_UID --server $SERVER --password $PASSWORD
#
# --headless shows nothing, --no-lan keeps to the server; "ptz.py viewer --headless --moves l,l,j" sends
# three moves, prints the camera's answers and exits.

import argparse
import json
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

WIDTH, HEIGHT = 1280, 720           # the whole picture
VIEW_W, VIEW_H = 640, 360           # the window sent
STEP = 80                           # pixels per move
MOVES = {"h": (-STEP, 0), "l": (STEP, 0), "k": (0, -STEP), "j": (0, STEP)}

CAMERA = (
    "videotestsrc is-live=true pattern=smpte100 ! "
    "video/x-raw,width={w},height={h},framerate=15/1 ! "
    "videocrop name=crop ! videoconvert ! "
    "x264enc tune=zerolatency speed-preset=veryfast bitrate=800 ! "
    "p2psink name=cam").format(w=WIDTH, h=HEIGHT)
VIEWER = "p2psrc name=src ! decodebin ! videoconvert ! {sink}"


def watch(pipeline, loop):
    def on_message(_bus, message):
        if message.type == Gst.MessageType.ERROR:
            print("error: %s" % message.parse_error()[0].message,
                  file=sys.stderr)
            loop.quit()
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)


def play(pipeline, loop):
    pipeline.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    pipeline.set_state(Gst.State.NULL)


def camera(args):
    pipeline = Gst.parse_launch(CAMERA)
    cam = pipeline.get_by_name("cam")
    crop = pipeline.get_by_name("crop")
    for name, value in (("uid", args.uid), ("key-file", args.key_file),
                        ("server", args.server),
                        ("password", args.password),
                        ("lan", not args.no_lan)):
        cam.set_property(name, value)
    pos = {"x": (WIDTH - VIEW_W) // 2, "y": (HEIGHT - VIEW_H) // 2}

    def place():
        crop.set_property("left", pos["x"])
        crop.set_property("right", WIDTH - VIEW_W - pos["x"])
        crop.set_property("top", pos["y"])
        crop.set_property("bottom", HEIGHT - VIEW_H - pos["y"])
    place()

    # p2p-core's thread: parse, move, answer the asking viewer alone.
    def on_command(element, viewer, request, name, payload):
        try:
            if name != "pan":
                raise ValueError("unknown command %s" % name)
            move = json.loads(payload)
            dx, dy = int(move.get("dx", 0)), int(move.get("dy", 0))
        except (ValueError, TypeError, AttributeError) as e:
            element.emit("reply", viewer, request, False, str(e))
            return
        pos["x"] = max(0, min(WIDTH - VIEW_W, pos["x"] + dx))
        pos["y"] = max(0, min(HEIGHT - VIEW_H, pos["y"] + dy))
        place()
        print("%s: pan to %d,%d" % (viewer, pos["x"], pos["y"]), flush=True)
        element.emit("reply", viewer, request, True, json.dumps(pos))
    cam.connect("command", on_command)

    loop = GLib.MainLoop()
    watch(pipeline, loop)
    play(pipeline, loop)


def viewer(args):
    pipeline = Gst.parse_launch(VIEWER.format(
        sink="fakesink sync=false" if args.headless else "autovideosink"))
    src = pipeline.get_by_name("src")
    for name, value in (("uid", args.uid), ("server", args.server),
                        ("password", args.password),
                        ("lan", not args.no_lan)):
        src.set_property(name, value)
    loop = GLib.MainLoop()
    moves = [m for m in (args.moves or "").split(",") if m]
    pending = {"replies": 0}

    def send(key):
        if key not in MOVES:
            print("moves: h (left), l (right), k (up), j (down)")
            return
        dx, dy = MOVES[key]
        if src.emit("send-command", "pan", json.dumps({"dx": dx, "dy": dy})):
            pending["replies"] += 1

    def on_reply(_element, request, ok, payload):
        print("reply %d: %s %s" % (request, "ok" if ok else "refused",
                                   payload), flush=True)
        pending["replies"] -= 1
        if moves:
            send(moves.pop(0))
        elif args.moves and pending["replies"] == 0:
            loop.quit()
    src.connect("command-reply", on_reply)

    # Scripted moves start once the camera has admitted us.
    def on_message(_bus, message):
        s = message.get_structure()
        if (message.type == Gst.MessageType.ELEMENT and
                s.get_name() == "p2p-connection" and
                s.get_string("state") == "connected" and moves):
            send(moves.pop(0))
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    watch(pipeline, loop)

    if not args.moves:
        def on_stdin(channel, _condition):
            line = channel.readline()
            for key in line.strip():
                send(key)
            return bool(line)
        GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()),
                          GLib.IO_IN, on_stdin)
    play(pipeline, loop)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=("camera", "viewer"))
    parser.add_argument("--uid", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--key-file", help="camera: device.pem")
    parser.add_argument("--moves", help="viewer: comma-separated h/j/k/l "
                        "moves to send, then exit")
    parser.add_argument("--no-lan", action="store_true",
                        help="do not look for or answer viewers on the local "
                        "network (the server only)")
    parser.add_argument("--headless", action="store_true",
                        help="no window")
    args = parser.parse_args()
    Gst.init(None)
    if Gst.ElementFactory.find("p2psrc") is None:
        sys.exit("p2psrc not found: set GST_PLUGIN_PATH to build/gst/p2p")
    if args.role == "camera":
        if not args.key_file:
            sys.exit("camera needs --key-file")
        camera(args)
    else:
        viewer(args)


if __name__ == "__main__":
    main()
