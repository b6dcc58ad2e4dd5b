#!/usr/bin/env bash
# `scripts/swiftpm.sh ARGS...` runs `swift ARGS...`, again if SwiftPM itself died of a signal.
# SwiftPM on Linux now and then crashes in its own libdispatch event loop while it waits on a child
# (swiftlang/swift-package-manager#8171, swiftlang/swift#87033; a CI run of vlog: `swift package
# plugin generate-manual` exit 139 after a finished build). Such a death says nothing about vlog,
# so the command is tried again, at most 3 times in all. Any other failure (a compile error or a
# failed test: exit 1) stops at once with its own exit code.
set -uo pipefail
rc=0
for attempt in 1 2 3; do
  rc=0
  swift "$@" || rc=$?
  if [ "$rc" -le 128 ]; then exit "$rc"; fi
  echo "warning: swift $1 died of signal $((rc - 128)) (attempt $attempt of 3)" >&2
done
exit "$rc"
