# Sourced by the example scripts: finds the build tree and loads the p2p
# plugin from it (an installed plugin is found without this).
#
#   BUILD     build directory (default: the first argument of the scripts
#             that take one, else the first of build, build-demo and
#             build-ci in the source tree: the names the READMEs use)
#   STATE     where provision.sh and server.sh keep their files
#             (default: /tmp/p2p-example)
#   LAN       false keeps the viewers off the local network (the tests)

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "$BUILD" ]; then
  for dir in build build-demo build-ci; do
    if [ -d "$here/../../$dir/gst/p2p" ]; then
      BUILD=$here/../../$dir
      break
    fi
  done
fi
if [ -z "$BUILD" ] || [ ! -d "$BUILD/gst/p2p" ]; then
  echo "No build tree found${BUILD:+ at $BUILD}: build one (meson setup build" \
      "&& meson compile -C build) or set BUILD=DIR" >&2
  exit 1
fi
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
LAN=${LAN:-true}
