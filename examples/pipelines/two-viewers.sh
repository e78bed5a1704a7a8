#!/bin/sh
# Two viewers of one camera at once: the camera encodes once and sends to
# both, each over its own encrypted path.
set -e
. "$(dirname "$0")/env.sh"

view() {
  gst-launch-1.0 p2psrc uid="$DEVICE_UID" server="$SERVER" \
      password="$PASSWORD" ! decodebin ! videoconvert ! autovideosink &
}
view
view
wait
