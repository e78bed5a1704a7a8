#!/bin/sh
# A viewer showing the camera in a window (VIDEO_SINK replaces the window,
# e.g. VIDEO_SINK="fakesink num-buffers=100"). With a camera that sends
# audio too, the line still gets the video: p2psrc adds its video pad
# first.
set -e
. "$(dirname "$0")/env.sh"

exec gst-launch-1.0 \
    p2psrc uid="$DEVICE_UID" server="$SERVER" password="$PASSWORD" \
        lan="$LAN" ! \
    decodebin ! videoconvert ! ${VIDEO_SINK:-autovideosink}
