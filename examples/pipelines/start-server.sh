# Sourced by the headless demos: provisions a camera in a fresh $STATE,
# starts p2p-server on loopback, and stops it (and every process whose id
# the demo adds to $pids) when the demo exits. Sets SERVER and DEVICE_UID.
STATE=$(mktemp -d /tmp/p2p-demo-XXXXXX)
export STATE
. "$(dirname "$0")/../pipelines/env.sh"

pids=
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

sh "$here/../pipelines/provision.sh" > /dev/null
"$P2P_SERVER_BIN" --registry "$STATE/registry.db" --listen 127.0.0.1 \
    --port 0 --port-file "$STATE/port" --allow-insecure --server-id 127.0.0.1 \
    > "$STATE/server.log" 2>&1 &
pids="$pids $!"
i=0
while [ ! -s "$STATE/port" ]; do
  i=$((i + 1))
  [ $i -gt 100 ] && { echo "p2p-server did not start:"; cat "$STATE/server.log"; exit 1; }
  sleep 0.1
done
. "$here/../pipelines/env.sh"
echo "server:  $SERVER"
echo "camera:  $DEVICE_UID"
