#!/bin/sh
# The example scripts find the build tree the READMEs make (build-demo,
# build-ci, build) without being told: a copy of examples/ next to only a
# build-demo directory provisions a camera. Usage: build-dir-test.sh BUILD
set -e
tree=$(mktemp -d /tmp/p2p-build-dir-XXXXXX)
trap 'rm -rf "$tree"' EXIT INT TERM
cp -R "$(dirname "$0")" "$tree/examples"
ln -s "$(cd "$1" && pwd)" "$tree/build-demo"
unset BUILD
STATE=$tree/state sh "$tree/examples/pipelines/provision.sh"
test -s "$tree/state/uid"
