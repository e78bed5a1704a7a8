#!/bin/sh
# record.sh as an NVR user runs it: gst-launch-1.0 -e recording a camera
# that sends H.264 and Opus, stopped with Ctrl-C (SIGINT) once the first
# file has data. gst-launch must finish by itself, and every file it left
# must be a playable MP4 (ffprobe decodes its frames). Nothing leaves
# loopback (LAN=false). Usage: record-test.sh [BUILD]
set -e
[ -n "$1" ] && BUILD=$1
. "$(dirname "$0")/start-server.sh"
. "$here/start-av-camera.sh"

# record.sh execs gst-launch-1.0: its process id is the recorder's.
sh "$here/record.sh" > "$STATE/record.log" 2>&1 &
recorder=$!
pids="$pids $recorder"
first=$STATE/rec/camera-00000.mp4
i=0
while [ "$(stat -c %s "$first" 2>/dev/null || echo 0)" -lt 50000 ]; do
  i=$((i + 1))
  [ $i -gt 600 ] && { echo "nothing recorded in 60 s:"; cat "$STATE/record.log"; exit 1; }
  kill -0 $recorder 2>/dev/null || { echo "record.sh ended:"; cat "$STATE/record.log"; exit 1; }
  sleep 0.1
done

kill -INT $recorder
i=0
while kill -0 $recorder 2>/dev/null; do
  i=$((i + 1))
  [ $i -gt 300 ] && { echo "gst-launch-1.0 -e still running 30 s after SIGINT:"; cat "$STATE/record.log"; exit 1; }
  sleep 0.1
done
wait $recorder || { echo "record.sh failed:"; cat "$STATE/record.log"; exit 1; }

n=0
for file in "$STATE"/rec/*.mp4; do
  probe=$(ffprobe -v error -count_frames -select_streams v:0 \
      -show_entries stream=codec_name,nb_read_frames -of csv=p=0 "$file") ||
    { echo "$file: not playable"; exit 1; }
  echo "$(basename "$file"): $probe"
  case $probe in
    h264,[1-9]*) n=$((n + 1)) ;;
    *) echo "$file: no H.264 frames"; exit 1 ;;
  esac
done
[ $n -gt 0 ]
