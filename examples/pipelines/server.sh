#!/bin/sh
# Runs p2p-server on this machine (ws:// on loopback: a demo; use wss:// with
# --tls-cert/--tls-key anywhere else). The chosen port goes to $STATE/port.
# Usage: server.sh [BUILD]      (runs in the foreground; Ctrl-C stops it)
set -e
[ -n "$1" ] && BUILD=$1
. "$(dirname "$0")/env.sh"

rm -f "$STATE/port"
exec "$P2P_SERVER_BIN" --registry "$STATE/registry.db" --listen 127.0.0.1 \
    --port 0 --port-file "$STATE/port" --allow-insecure --server-id 127.0.0.1
