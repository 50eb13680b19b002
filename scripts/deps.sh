#!/bin/sh
# Installs the Debian packages czprof needs to build and test, when missing.
# Runs apt-get only if something is missing; needs root for that.
set -e
# zlib1g-dev gzips the pprof export; protobuf-compiler (protoc --decode_raw)
# and valgrind (ms_print) only check the pprof and massif exports in the tests
need="sqlite3 libunwind-dev libsqlite3-dev libncurses-dev libdw-dev libelf-dev libzstd-dev pkg-config tmux python3 clang zstd zlib1g-dev protobuf-compiler valgrind"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "czprof: installing missing packages:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "czprof: need root to install:$missing (or install them yourself)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
