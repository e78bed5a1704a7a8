# Sourced by the example scripts: finds the build tree and loads the p2p
# plugin from it (an installed plugin is found without this).
#
#   BUILD     build directory (default: ../../build next to this file, or
#             the first argument of the scripts that take one)
#   STATE     where provision.sh and server.sh keep their files
#             (default: /tmp/p2p-example)

here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
BUILD=$(cd "$BUILD" && pwd)
STATE=${STATE:-/tmp/p2p-example}
export BUILD STATE
mkdir -p "$STATE"

export GST_PLUGIN_PATH="$BUILD/gst/p2p${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
# A registry of our own, so the system one is never rewritten.
export GST_REGISTRY="${GST_REGISTRY:-$STATE/registry.bin}"

P2P_UID_TOOL="$BUILD/server/p2p-uid"
P2P_SERVER_BIN="$BUILD/server/p2p-server"

# Values written by provision.sh and server.sh, when they ran.
[ -f "$STATE/uid" ] && DEVICE_UID=$(cat "$STATE/uid")
[ -f "$STATE/port" ] && SERVER="ws://127.0.0.1:$(cat "$STATE/port")"
KEY_FILE="$STATE/device.pem"
PASSWORD=${PASSWORD:-example-password}
