#!/bin/sh
# Installs the Debian packages czprof needs to build and test, when missing.
# Runs apt-get only if something is missing; needs root for that.
set -e
# zlib1g-dev gzips the pprof export; protobuf-compiler (protoc --decode_raw)
# and valgrind (ms_print) only check the pprof and massif exports in the
# tests; man-db (man, groff) reads the man pages in tests/e2e/install.sh
need="sqlite3 libunwind-dev libsqlite3-dev libncurses-dev libdw-dev libelf-dev libzstd-dev pkg-config tmux python3 clang zstd zlib1g-dev protobuf-compiler valgrind man-db"
# In CI (CI=true), also the real readers of the exports, so that their
# checks in tests/e2e/pictures.sh run rather than skip; elsewhere they are
# skipped when missing.  Measured on Debian 12 (bookworm):
#   golang-go (go tool pprof)  81 MB to fetch, 464 MB installed, 15 s to
#                              install once fetched
#   chromium (the flame graph) 124 MB to fetch, 414 MB installed, 21 s in
#                              all, fetching included
[ "$CI" = true ] && need="$need golang-go chromium"
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
