#!/usr/bin/env bash
# `make dist`: vlog for machines without a Swift toolchain, in dist/:
#   vlog-VERSION-linux-ARCH.tar.gz   bin/vlog (stripped, the Swift standard library linked in),
#                                    share/vlog (templates, public), the man page, bash/zsh/fish
#                                    completions, README.md, LICENSE; unpack anywhere, run bin/vlog
#   vlog_DEBVERSION_DEBARCH.deb      the same under /usr, Depends computed by dpkg-shlibdeps (+ ffmpeg)
# VERSION is `git describe --tags --always --dirty` without a leading v, as `vlog version` prints it;
# the .deb's version is the same made into a Debian one (0.1.0-3-gabc1234 -> 0.1.0+3.gabc1234).
# The release build has a scratch folder of its own (.build/dist), so it never relinks the
# .build/release/vlog a benchmark may be running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh dist >/dev/null
start=$(date +%s)

describe=$(git describe --tags --always --dirty 2>/dev/null || echo unknown)
version=${describe#v}
# A release tag (v0.1.0) gives 0.1.0, commits after it 0.1.0+3.gabc1234; no tag, 0.0.0+gabc1234.
if [[ "$version" =~ ^[0-9]+\.[0-9] ]]; then
  deb_version=$(echo "$version" | sed -E 's/^([0-9][0-9.]*)-([0-9]+)-g([0-9a-f]+)/\1+\2.g\3/; s/-dirty$/+dirty/')
else
  deb_version="0.0.0+g${version//-/.}"
fi
arch=$(uname -m)
deb_arch=$(dpkg --print-architecture)
scratch=.build/dist

echo "Building vlog $version (release, static Swift standard library)..."
# The man page from the commands' own help (swift-argument-parser's plugin, which builds the
# package in release in the same scratch folder: never the .build a running `swift test` holds).
scripts/swiftpm.sh package --scratch-path "$scratch" plugin generate-manual >/dev/null
man="$scratch/plugins/GenerateManual/outputs/vlog/vlog.1"
# Then linked again with the Swift standard library and Foundation inside (the plugin's build
# linked them as shared libraries, and SwiftPM does not relink for a link flag alone).
bin="$scratch/release/vlog"
scripts/swiftpm.sh build -c release --static-swift-stdlib --scratch-path "$scratch" --product vlog
if ldd "$bin" | grep -q libswift; then
  rm -f "$bin"
  scripts/swiftpm.sh build -c release --static-swift-stdlib --scratch-path "$scratch" --product vlog
fi
if ldd "$bin" | grep -q libswift; then
  echo "error: $bin still links the Swift runtime as shared libraries" >&2
  exit 1
fi

mkdir -p dist
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# One tree, laid out under PREFIX: the tarball's root, and /usr in the .deb.
layout() {  # PREFIX MAN_GZIP ZSH_DIR
  local p=$1
  install -d "$p/bin" "$p/share/vlog" "$p/share/man/man1" "$p/share/bash-completion/completions" \
    "$p/share/$3" "$p/share/fish/vendor_completions.d"
  install -m 755 "$bin" "$p/bin/vlog"
  strip --strip-unneeded "$p/bin/vlog"
  cp -R templates public "$p/share/vlog/"
  chmod -R u=rwX,go=rX "$p/share/vlog"
  if [ "$2" = gzip ]; then gzip -9n < "$man" > "$p/share/man/man1/vlog.1.gz"; else install -m 644 "$man" "$p/share/man/man1/vlog.1"; fi
  # Sourced, never run: no #! line (lintian: bash-completion-with-hashbang).
  "$p/bin/vlog" --generate-completion-script bash | sed '1{/^#!/d}' > "$p/share/bash-completion/completions/vlog"
  "$p/bin/vlog" --generate-completion-script zsh > "$p/share/$3/_vlog"
  "$p/bin/vlog" --generate-completion-script fish > "$p/share/fish/vendor_completions.d/vlog.fish"
  chmod 644 "$p/share/bash-completion/completions/vlog" "$p/share/$3/_vlog" "$p/share/fish/vendor_completions.d/vlog.fish"
}

# The tarball.
name="vlog-$version-linux-$arch"
layout "$stage/$name" plain zsh/site-functions
install -m 644 README.md LICENSE "$stage/$name/"
tar --owner=0 --group=0 --numeric-owner --sort=name -C "$stage" -czf "dist/$name.tar.gz" "$name"

# The Debian package.
root="$stage/deb"
layout "$root/usr" gzip zsh/vendor-completions
doc="$root/usr/share/doc/vlog"
install -d "$doc" "$root/DEBIAN"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: vlog"
  echo
  echo "Files: *"
  echo "Copyright: 2026 The vlog authors"
  echo "License: MIT"
  sed 's/^$/./; s/^/ /' LICENSE
  echo
  echo "Files: usr/bin/vlog"
  echo "Copyright: 2014-2026 Apple Inc. and the Swift project authors (the Swift standard library and Foundation, linked in)"
  echo "License: Apache-2.0 with Runtime Library Exception"
  echo " On Debian systems, the full text of the Apache License, Version 2.0 can be found in"
  echo " /usr/share/common-licenses/Apache-2.0. Runtime Library Exception: see"
  echo " https://swift.org/LICENSE.txt"
} > "$doc/copyright"
{
  echo "vlog ($deb_version) unstable; urgency=medium"
  echo
  echo "  * Built from $describe:"
  git log -1 --format='    %s' 2>/dev/null | cut -c1-76 || echo "    a build outside git"
  echo
  echo " -- vlog maintainers <vlog@example.org>  $(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n > "$doc/changelog.gz"
chmod 644 "$doc/copyright" "$doc/changelog.gz"

# Depends: what the binary links, as dpkg-shlibdeps names it (from a debian/ of its own), and ffmpeg.
shlib=$(mkdir -p "$stage/shlib/debian" && touch "$stage/shlib/debian/control" &&
  cd "$stage/shlib" && dpkg-shlibdeps -O -e "$root/usr/bin/vlog" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: vlog
Version: $deb_version
Architecture: $deb_arch
Maintainer: vlog maintainers <vlog@example.org>
Installed-Size: $size
Depends: $shlib, ffmpeg
Recommends: nginx | caddy
Suggests: pocketsphinx, parallel, rsync, rclone
Section: video
Priority: optional
Description: self-hosted video publishing as a static site
 vlog transcodes your videos with ffmpeg into an adaptive HLS ladder, keeps its
 catalogue in one SQLite file and renders static pages with its own player that
 any web server or CDN serves. A nightly job reads the web server's access logs
 into privacy-friendly analytics: sessions, watch time, completion, quality.
EOF
deb="dist/vlog_${deb_version}_${deb_arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null

end=$(date +%s)
echo "dist/$name.tar.gz  $(du -h "dist/$name.tar.gz" | cut -f1)"
echo "$deb  $(du -h "$deb" | cut -f1)"
echo "bin/vlog: $(stat -c %s "$root/usr/bin/vlog") bytes stripped; make dist took $((end - start)) s"
