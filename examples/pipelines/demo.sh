#!/bin/sh
# The whole chain on this machine, headless: provisions a camera, starts
# p2p-server, runs a camera pipeline and a viewer pipeline through it, and
# prints the connection mode and the number of frames the viewer received.
# Usage: demo.sh [BUILD] [FRAMES]
set -e
[ -n "$1" ] && BUILD=$1
FRAMES=${2:-150}
. "$(dirname "$0")/start-server.sh"

# lan=false and port-mapping=false: the demo shows the server path, and,
# run as a test, sends nothing on this host's networks (no LAN discovery,
# no multicast joins, no port-mapping request to the real gateway).

gst-launch-1.0 -q videotestsrc is-live=true ! \
    video/x-raw,width=640,height=480,framerate=30/1 ! \
    x264enc tune=zerolatency speed-preset=veryfast bitrate=1500 ! \
    p2psink uid="$DEVICE_UID" key-file="$KEY_FILE" server="$SERVER" \
        password="$PASSWORD" lan=false port-mapping=false \
        > "$STATE/camera.log" 2>&1 &
pids="$pids $!"

# Each received frame is one "chain" line of the fakesink; the element
# messages carry the connection mode.
timeout 60 gst-launch-1.0 -m -v \
    p2psrc uid="$DEVICE_UID" server="$SERVER" password="$PASSWORD" \
        known-cameras-file="$STATE/known-cameras" lan=false ! \
    h264parse ! fakesink silent=false num-buffers="$FRAMES" \
    > "$STATE/viewer.log" 2>&1 || { echo "viewer failed:"; tail -20 "$STATE/viewer.log"; exit 1; }

mode=$(sed -n 's/.*p2p-connection.*state=(string)connected, mode=(string)\([a-z]*\).*/\1/p' "$STATE/viewer.log" | head -1)
types=$(sed -n 's/.*state=(string)connected.*local-candidate-type=(string)\([a-z]*\), remote-candidate-type=(string)\([a-z]*\).*/\1 to \2/p' "$STATE/viewer.log" | head -1)
frames=$(grep -c "chain   \*" "$STATE/viewer.log" || true)
echo "mode:    ${mode:-unknown} (${types:-?} candidates)"
echo "frames:  $frames received"
[ "$frames" -gt 0 ]
