#!/bin/sh
# Every UID the documentation, the examples and the element reference show
# is one p2p-uid accepts (right symbols, matching check symbols), so a
# reader who copies one gets a camera that is not registered, not a
# malformed UID. The `XXXX-XXXX-XXXX-XXXX` template is not a UID, nor is a
# lower-case property name of four 4-letter words (`rtcp-sync-send-time`).
# Usage: uids-test.sh SOURCE_ROOT P2P_UID
set -e
root=$1
tool=$2
tmp=$(mktemp -d /tmp/p2p-uids-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
"$tool" --registry "$tmp/registry.db" init
cd "$root"
# UID-shaped words, and what follows uid=, --uid and p2p:// when it looks
# meant as one (not a placeholder like UID, not a cut-off log field).
uids=$( (grep -rhoE '\b[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}\b' \
      README.md docs examples gst
    grep -rhoE '(uid=|--uid |p2p://)[0-9A-Za-z-]+' README.md docs examples gst |
      sed -E 's/^(uid=|--uid |p2p:\/\/)//' | grep -E '^.{9,}$' | grep -- -) |
    grep -v '^XXXX-XXXX-XXXX-XXXX$' | grep -v '^[a-z-]*$' | sort -u)
[ -n "$uids" ]
bad=0
for uid in $uids; do
  if "$tool" --registry "$tmp/registry.db" show "$uid" 2>&1 | grep -q 'Bad UID'; then
    echo "not a valid UID: $uid in $(grep -rlwF -- "$uid" README.md docs examples gst | tr '\n' ' ')"
    bad=1
  fi
done
exit $bad
