#!/usr/bin/env bash
# Installs the Debian packages vlog needs, only those missing.
#   scripts/install-deps.sh          build + run (sqlite, cmark, zlib, ffmpeg)
#   scripts/install-deps.sh test     also what the tests use (nginx, browsers, pocketsphinx, espeak-ng)
#   scripts/install-deps.sh dist     also what `make dist` uses (strip, dpkg-shlibdeps, lintian)
#   scripts/install-deps.sh bench    also the tools the benchmarks compare with (hugo, goaccess, a DevTools client;
#                                    bench/search fetches Pagefind from PyPI into a venv)
set -euo pipefail
pkgs=(pkg-config libsqlite3-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libssl-dev zlib1g-dev ffmpeg sqlite3 rsync)
case "${1:-}" in
  test) pkgs+=(nginx caddy openssl rclone openssh-server openssh-client parallel slurm-wlm munge python3-venv chromium firefox-esr webext-ublock-origin-firefox curl pocketsphinx pocketsphinx-en-us espeak-ng gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav python3-gst-1.0 default-jre-headless binutils dpkg-dev lintian) ;;
  dist) pkgs+=(binutils dpkg-dev lintian) ;;
  bench) pkgs+=(nginx chromium curl hugo goaccess time python3-websocket python3-venv parallel) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
