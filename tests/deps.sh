#!/bin/sh
# deps.sh - makes sure the system packages camarena builds and tests with are
# installed: installs only the missing ones with apt-get when run as root,
# otherwise prints the exact command and fails.
set -eu
PACKAGES="libzmq3-dev liblz4-dev libinih-dev libcmocka-dev ffmpeg pkg-config python3-zmq python3-numpy python3-lz4"
missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages:$missing" >&2
    echo "deps: run: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
