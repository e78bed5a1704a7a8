#!/bin/sh
# The viewer examples against a camera that sends H.264 video and Opus
# audio, headless: viewer.sh (one branch: it must get the video),
# viewer-av.sh (a branch per stream) and python/viewer.py each run until
# their sinks have 30 buffers. Nothing leaves loopback (LAN=false).
# Usage: av-test.sh [BUILD]
set -e
[ -n "$1" ] && BUILD=$1
. "$(dirname "$0")/start-server.sh"
. "$here/start-av-camera.sh"

run() {
  name=$1
  shift
  if ! timeout 60 "$@" > "$STATE/$name.log" 2>&1; then
    echo "$name failed:"
    tail -20 "$STATE/$name.log"
    exit 1
  fi
  if grep -q "Delayed linking failed\|Traceback\|LinkError" "$STATE/$name.log"; then
    echo "$name:"
    cat "$STATE/$name.log"
    exit 1
  fi
  echo "$name: ok"
}

VIDEO_SINK="fakesink num-buffers=30" run viewer sh "$here/viewer.sh"
VIDEO_SINK="fakesink num-buffers=30" AUDIO_SINK="fakesink num-buffers=30" \
    run viewer-av sh "$here/viewer-av.sh"
run viewer.py /usr/bin/python3 "$here/../python/viewer.py" --uid "$DEVICE_UID" \
    --server "$SERVER" --password "$PASSWORD" --no-lan --frames 30
grep -q "first frame" "$STATE/viewer.py.log"
