#!/bin/sh
# A viewer of a camera that sends audio too: the video in a window, the
# audio on the speakers. p2psrc's pads are named after their streams, so
# each branch picks its own (VIDEO_SINK and AUDIO_SINK replace the window
# and the speakers).
set -e
. "$(dirname "$0")/env.sh"

exec gst-launch-1.0 \
    p2psrc name=src uid="$DEVICE_UID" server="$SERVER" password="$PASSWORD" \
        lan="$LAN" \
    src.video_0 ! queue ! decodebin ! videoconvert ! \
        ${VIDEO_SINK:-autovideosink} \
    src.audio_0 ! queue ! decodebin ! audioconvert ! \
        ${AUDIO_SINK:-autoaudiosink}
