#!/bin/sh
# A camera with two layers of one scene, main (1280x720, 4 Mbit/s) and sub
# (640x360, 0.5 Mbit/s): each viewer gets the one its bandwidth sustains
# and moves between them at keyframes. A viewer can ask for one:
#   gst-launch-1.0 p2psrc uid=... layer=1 ! decodebin ! ...
# Needs provision.sh and server.sh first.
set -e
. "$(dirname "$0")/env.sh"

exec gst-launch-1.0 -e \
    p2psink name=cam uid="$DEVICE_UID" key-file="$KEY_FILE" \
        server="$SERVER" password="$PASSWORD" \
    videotestsrc is-live=true pattern=ball ! \
    video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! timeoverlay ! \
    tee name=t \
    t. ! queue ! x264enc tune=zerolatency speed-preset=veryfast \
        bitrate=4000 key-int-max=120 ! cam.video_0 \
    t. ! queue ! videoscale ! video/x-raw,width=640,height=360 ! \
        x264enc tune=zerolatency speed-preset=veryfast bitrate=500 \
        key-int-max=120 ! cam.video_1
