#!/bin/sh
# NVR-style recording: the camera's H.264 as it is, no re-encoding, cut into
# MP4 files of 10 seconds in $STATE/rec/. Ctrl-C finishes the last file.
set -e
. "$(dirname "$0")/env.sh"

mkdir -p "$STATE/rec"
exec gst-launch-1.0 -e \
    p2psrc uid="$DEVICE_UID" server="$SERVER" password="$PASSWORD" \
        lan="$LAN" ! \
    h264parse ! splitmuxsink location="$STATE/rec/camera-%05d.mp4" \
        max-size-time=10000000000
