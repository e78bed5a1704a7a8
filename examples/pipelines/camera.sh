#!/bin/sh
# The camera: a test pattern encoded with x264, served to viewers that know
# the password. Needs provision.sh and server.sh first.
set -e
. "$(dirname "$0")/env.sh"

exec gst-launch-1.0 -e \
    videotestsrc is-live=true pattern=ball ! \
    video/x-raw,width=640,height=480,framerate=30/1 ! \
    timeoverlay ! x264enc tune=zerolatency speed-preset=veryfast bitrate=1500 ! \
    p2psink uid="$DEVICE_UID" key-file="$KEY_FILE" server="$SERVER" \
        password="$PASSWORD"
