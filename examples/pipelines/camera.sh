#!/bin/sh
# The camera: a test pattern encoded with x264, served to viewers that know
# the password. p2psink fits the encoder's bitrate (1.5 Mbit/s at most) to
# the slowest viewer's bandwidth (encoder=enc, never below 300 kbit/s).
# Needs provision.sh and server.sh first.
set -e
. "$(dirname "$0")/env.sh"

exec gst-launch-1.0 -e \
    videotestsrc is-live=true pattern=ball ! \
    video/x-raw,width=640,height=480,framerate=30/1 ! \
    timeoverlay ! x264enc name=enc tune=zerolatency speed-preset=veryfast \
        bitrate=1500 ! \
    p2psink encoder=enc uid="$DEVICE_UID" key-file="$KEY_FILE" \
        server="$SERVER" password="$PASSWORD"
