#!/usr/bin/env bash
# Creates demo-site/ with two generated sample videos and runs the main job on it.
set -euo pipefail
VLOG="${VLOG:-$PWD/.build/release/vlog}"
DEMO="${DEMO:-$PWD/demo-site}"
mkdir -p "$DEMO/clips"
if [ ! -f "$DEMO/vlog.toml" ]; then
  "$VLOG" init "$DEMO" --title "vlog demo" --base-url http://localhost:8080/
fi
cd "$DEMO"
clip() {  # name size seconds
  [ -f "clips/$1.mp4" ] || ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=$2:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$3" -c:v libx264 -preset veryfast -pix_fmt yuv420p \
    -c:a aac -shortest "clips/$1.mp4"
}
clip test-pattern 1280x720 20
clip small-portrait 360x640 12
"$VLOG" category list | grep -q '^samples ' || "$VLOG" category add Samples --description "Clips made with *ffmpeg*'s lavfi sources."
printf 'A **test pattern** with a 440 Hz tone.\n\nMade by `make demo`.\n' > clips/test-pattern.md
"$VLOG" video show test-pattern >/dev/null 2>&1 || \
  "$VLOG" video add clips/test-pattern.mp4 --title "Test pattern" --slug test-pattern --category samples --description-file clips/test-pattern.md --publish
"$VLOG" video show small-portrait >/dev/null 2>&1 || \
  "$VLOG" video add clips/small-portrait.mp4 --title "A small portrait clip" --slug small-portrait --category samples --publish
"$VLOG" build
cat <<MSG

Demo site built in $DEMO/_site. To watch it:
  cd $DEMO && $VLOG serve          # then open http://127.0.0.1:8080/
or serve $DEMO/_site with any web server (\`vlog nginx-config --site $DEMO\` prints an nginx setup).
MSG
