#!/bin/sh
# A viewer showing the camera in a window.
set -e
. "$(dirname "$0")/env.sh"

exec gst-launch-1.0 \
    p2psrc uid="$DEVICE_UID" server="$SERVER" password="$PASSWORD" ! \
    decodebin ! videoconvert ! autovideosink
