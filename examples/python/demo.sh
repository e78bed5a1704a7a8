#!/bin/sh
# The Python examples end to end, headless: a doorbell that rings twice
# while a visitor talks back and opens the door, then a PTZ camera that a
# viewer pans three times. Fails unless every ring got its command through
# and every move was answered. Nothing leaves loopback: no discovery on the
# local network (--no-lan). Usage: demo.sh [BUILD]
set -e
[ -n "$1" ] && BUILD=$1
. "$(dirname "$0")/../pipelines/start-server.sh"
py=/usr/bin/python3
ex=$(cd "$(dirname "$0")" && pwd)

timeout 60 $py "$ex/doorbell.py" camera --uid "$DEVICE_UID" \
    --key-file "$KEY_FILE" --server "$SERVER" --password "$PASSWORD" \
    --ring-every 2 --rings 2 --headless --no-lan > "$STATE/doorbell.log" 2>&1 &
doorbell=$!
pids="$pids $doorbell"
timeout 60 $py "$ex/doorbell.py" visitor --uid "$DEVICE_UID" \
    --server "$SERVER" --password "$PASSWORD" --rings 2 --headless --no-lan \
    > "$STATE/visitor.log" 2>&1 || { cat "$STATE/visitor.log"; exit 1; }
cat "$STATE/visitor.log"
[ "$(grep -c '^reply .*: ok {"door":"open"}' "$STATE/visitor.log")" -eq 2 ]
grep -q '^talk-back: granted' "$STATE/visitor.log"
# The doorbell stops by itself after its rings: the PTZ camera, with the
# same UID, must not share the server with it.
wait "$doorbell"

timeout 60 $py "$ex/ptz.py" camera --uid "$DEVICE_UID" \
    --key-file "$KEY_FILE" --server "$SERVER" --password "$PASSWORD" \
    --no-lan > "$STATE/ptz.log" 2>&1 &
pids="$pids $!"
timeout 60 $py "$ex/ptz.py" viewer --uid "$DEVICE_UID" --server "$SERVER" \
    --password "$PASSWORD" --headless --no-lan --moves l,l,j \
    > "$STATE/ptz-viewer.log" 2>&1 || { cat "$STATE/ptz-viewer.log"; exit 1; }
cat "$STATE/ptz-viewer.log"
grep -q '^reply 3: ok {"x": 480, "y": 260}' "$STATE/ptz-viewer.log"
