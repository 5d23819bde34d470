#!/usr/bin/env bash
# Times OpenCV's matchTemplate + minMaxLoc against consentry's matcher on
# the same images, in one run, and prints the ratios.
#
#   - installs opencv-python-headless and numpy into a virtualenv under
#     the cargo target directory (once; set VENV to use another),
#   - writes the images once (examples/vision_fixtures.rs): three 1080x2400
#     screens (app-like, generated noisy UI, simulator-rendered) and
#     templates of 64x64, 200x80 and 400x400 cut from each,
#   - times consentry without PNG decoding (examples/vision_timing.rs) and
#     OpenCV without PNG decoding (scripts/opencv_timing.py), both on the
#     same BT.601 gray images, median of RUNS runs (default 20).
#
# Usage: scripts/compare_opencv.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-20}"
target="${CARGO_TARGET_DIR:-target}"
venv="${VENV:-$target/opencv-venv}"
fixtures="$target/vision-fixtures"
cargo="${CARGO:-cargo}"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import cv2, numpy' 2>/dev/null; then
  echo "compare_opencv: installing opencv-python-headless into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet opencv-python-headless numpy
fi

"$cargo" build --release --quiet --example vision_fixtures --example vision_timing
if [ ! -f "$fixtures/sim_d150x60.png" ]; then
  "$target/release/examples/vision_fixtures" "$fixtures" >/dev/null
fi

rust_out="$(mktemp)"
trap 'rm -f "$rust_out"' EXIT
"$target/release/examples/vision_timing" "$fixtures" "$runs" >"$rust_out"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores)"
"$venv/bin/python" scripts/opencv_timing.py "$fixtures" "$rust_out" "$runs"
