#!/bin/sh
# The camera as a URI: any playbin-based player understands p2p://.
set -e
. "$(dirname "$0")/env.sh"

exec gst-play-1.0 "p2p://$DEVICE_UID?server=$SERVER&password=$PASSWORD"
