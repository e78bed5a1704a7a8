#!/bin/sh
# Creates a device registry and one camera identity with p2p-uid: the UID,
# its private key and certificate (device.pem) and the registered
# fingerprint viewers check. Usage: provision.sh [BUILD]
set -e
[ -n "$1" ] && BUILD=$1
. "$(dirname "$0")/env.sh"

rm -f "$STATE/registry.db" "$STATE/device.pem"
"$P2P_UID_TOOL" --registry "$STATE/registry.db" init
# Prints "UID sha-256 AB:CD:…"
"$P2P_UID_TOOL" --registry "$STATE/registry.db" add -o "$STATE/device.pem" \
    --label "example camera" > "$STATE/device.txt"
cut -d' ' -f1 "$STATE/device.txt" > "$STATE/uid"
cut -d' ' -f2- "$STATE/device.txt" > "$STATE/fingerprint"
echo "camera UID:  $(cat "$STATE/uid")"
echo "fingerprint: $(cat "$STATE/fingerprint")"
echo "key file:    $STATE/device.pem"
