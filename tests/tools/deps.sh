#!/bin/sh
# Makes sure the four libraries the kit builds on are installed: on
# Debian/Ubuntu it installs what is missing with apt-get; elsewhere it names
# what to install and stops.
set -u
PKGS="libcurl libcjson cmocka libmicrohttpd"
DEBS="pkg-config libcurl4-openssl-dev libcjson-dev libcmocka-dev libmicrohttpd-dev"

# Tools the test suite runs, as command:Debian-package pairs.
TOOLS="promtool:prometheus xmllint:libxml2-utils timeout:coreutils clang-format:clang-format"

missing=""
if command -v pkg-config >/dev/null 2>&1; then
    for p in $PKGS; do
        pkg-config --exists "$p" || missing="$missing $p"
    done
else
    missing="pkg-config $PKGS"
fi
for pair in $TOOLS; do
    if ! command -v "${pair%%:*}" >/dev/null 2>&1; then
        missing="$missing ${pair%%:*}"
        DEBS="$DEBS ${pair#*:}"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: missing:$missing" >&2
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "deps: run as root: apt-get install -y $DEBS" >&2
        exit 1
    fi
    echo "deps: installing with apt-get: $DEBS" >&2
    $SUDO apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $DEBS >&2 ||
        { echo "deps: apt-get failed; install by hand: $DEBS" >&2; exit 1; }
    exit 0
fi
echo "deps: this is not a Debian/Ubuntu machine. Install the development" >&2
echo "      packages of libcurl, cJSON, CMocka and libmicrohttpd, and pkg-config" >&2
echo "      (e.g. Fedora: dnf install libcurl-devel cjson-devel libcmocka-devel" >&2
echo "      libmicrohttpd-devel pkgconf; macOS: brew install curl cjson cmocka" >&2
echo "      libmicrohttpd pkg-config), and for the tests prometheus (promtool)" >&2
echo "      and libxml2 (xmllint), then run make again." >&2
exit 1
