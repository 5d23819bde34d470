#!/usr/bin/env bash
# Times `consentry run` against what a lab writes by hand: a Python
# adbutils loop that sleeps 1 s after each action, dumps the UI, finds an
# element by a regex on its text and taps its centre
# (scripts/peer_adbutils.py). Both run the same flow
# (benches/flows/navigation.yaml) on the simulated com.example.tidynotes
# with realistic latencies (~2 s per uiautomator dump, 150 ms per
# screencap, 300-800 ms per activity start), in one session:
#
#   - builds consentry in release,
#   - installs adbutils into a virtualenv under the cargo target directory
#     (once; set VENV to use another),
#   - starts `consentry sim --latency realistic` on a free port and a
#     private adb server (its own HOME and ANDROID_ADB_SERVER_PORT) that
#     connects to it,
#   - runs the peer and `consentry run` RUNS times each (default 3),
#     alternating, and prints the median wall time of each, the ratio
#     consentry / peer, and per run the dumps and screenshots each took
#     (consentry's from the counters in its run directory's run.json).
#
# Every run must pass its checks; a failed run stops the comparison (exit
# 1). While `consentry run` is not available in the build, the script says
# so and exits 2 after the peer's first run. Everything it starts is
# stopped on exit. Outputs (run directories, the simulator's output, one
# JSON line per run) go to $target/compare-adbutils.
#
# Usage: scripts/compare_adbutils.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-3}"
case "$runs" in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]  (RUNS a whole number >= 1)" >&2; exit 2 ;; esac
target="${CARGO_TARGET_DIR:-target}"
venv="${VENV:-$target/adbutils-venv}"
cargo="${CARGO:-cargo}"
bin="$target/release/consentry"
flow=benches/flows/navigation.yaml
app=com.example.tidynotes
out="$target/compare-adbutils"

command -v adb >/dev/null || { echo "compare_adbutils: Debian's adb is not installed: run make setup" >&2; exit 2; }

"$cargo" build --release --quiet --bin consentry

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import adbutils' 2>/dev/null; then
  echo "compare_adbutils: installing adbutils into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet adbutils
fi
py="$venv/bin/python"

rm -rf "$out"
mkdir -p "$out"
results="$out/runs.jsonl"
: >"$results"

# A private adb server: its own HOME (keys, state) and port, so that the
# user's server and devices are left alone.
adb_home="$(mktemp -d "${TMPDIR:-/tmp}/compare-adbutils.XXXXXX")"
export HOME="$adb_home"
ANDROID_ADB_SERVER_PORT="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export ANDROID_ADB_SERVER_PORT
export ADB_MDNS=0
unset ANDROID_SERIAL ADB_SERVER_SOCKET

sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  adb kill-server >/dev/null 2>&1 || true
  rm -rf "$adb_home"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin" sim --apps fixtures/apps --port 0 --control 127.0.0.1:0 --latency realistic \
  >"$out/sim.txt" 2>"$out/sim.err" &
sim_pid=$!
for _ in $(seq 100); do
  grep -q '^control' "$out/sim.txt" 2>/dev/null && break
  kill -0 "$sim_pid" 2>/dev/null || { echo "compare_adbutils: the simulator exited:" >&2; cat "$out/sim.err" >&2; exit 1; }
  sleep 0.1
done
grep -q '^control' "$out/sim.txt" || { echo "compare_adbutils: the simulator did not start" >&2; exit 1; }
IFS=$'\t' read -r serial address <"$out/sim.txt"

adb start-server >/dev/null 2>&1
adb connect "$address" >/dev/null
for _ in $(seq 100); do
  [ "$(adb -s "$serial" get-state 2>/dev/null || true)" = device ] && break
  sleep 0.1
done
[ "$(adb -s "$serial" get-state 2>/dev/null || true)" = device ] \
  || { echo "compare_adbutils: $serial did not come online" >&2; adb devices >&2; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "consentry $("$bin" --version | awk '{print $2}') vs adbutils $("$py" -c 'import adbutils; print(adbutils.__version__)'); device $serial (simulated, --latency realistic); $runs runs each" >&2

for i in $(seq "$runs"); do
  t0="$(now)"
  if ! peer_json="$("$py" scripts/peer_adbutils.py --serial "$serial" --adb-port "$ANDROID_ADB_SERVER_PORT" --package "$app")"; then
    echo "compare_adbutils: the peer's run $i failed: $peer_json" >&2
    exit 1
  fi
  peer_wall="$(elapsed "$t0" "$(now)")"
  printf '{"tool":"adbutils","run":%d,"wall_s":%s,"peer":%s}\n' "$i" "$peer_wall" "$peer_json" >>"$results"
  echo "run $i: adbutils $peer_wall s" >&2

  dir="$out/consentry-$i"
  t0="$(now)"
  set +e
  "$bin" run "$flow" --app "$app" --device "$serial" --adb-server "127.0.0.1:$ANDROID_ADB_SERVER_PORT" --out "$dir" \
    >"$out/consentry-$i.out" 2>"$out/consentry-$i.err"
  code=$?
  set -e
  t1="$(now)"
  if grep -q 'not yet available' "$out/consentry-$i.err"; then
    echo "compare_adbutils: consentry run is not available in this build yet ($(head -n1 "$out/consentry-$i.err")); no comparison." >&2
    echo "adbutils run $i took $peer_wall s: $peer_json" >&2
    exit 2
  fi
  if [ "$code" -ne 0 ]; then
    echo "compare_adbutils: consentry run $i failed (exit $code):" >&2
    tail -n 20 "$out/consentry-$i.err" >&2
    exit 1
  fi
  printf '{"tool":"consentry","run":%d,"wall_s":%s,"dir":"%s"}\n' "$i" "$(elapsed "$t0" "$t1")" "$dir" >>"$results"
  echo "run $i: consentry $(elapsed "$t0" "$t1") s" >&2
done

"$py" - "$results" <<'EOF'
import json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]

def counts(row):
    """(dumps, screenshots, taps) of one run; None where unknown."""
    if row["tool"] == "adbutils":
        p = row["peer"]
        return p["dumps"], p["screenshots"], p["taps"]
    try:
        with open(row["dir"] + "/run.json", encoding="utf-8") as f:
            c = json.load(f).get("counters") or {}
    except (OSError, ValueError):
        c = {}
    return c.get("ui_dumps"), c.get("screenshots"), c.get("taps")

def cell(v):
    return "n/a" if v is None else str(v)

print(f"{'run':>3}  {'tool':<9}  {'wall (s)':>8}  {'dumps':>5}  {'screenshots':>11}  {'taps':>4}")
for r in rows:
    d, s, t = counts(r)
    print(f"{r['run']:>3}  {r['tool']:<9}  {r['wall_s']:>8.3f}  {cell(d):>5}  {cell(s):>11}  {cell(t):>4}")
med = {tool: statistics.median(r["wall_s"] for r in rows if r["tool"] == tool)
       for tool in ("adbutils", "consentry")}
print()
print(f"median wall time: adbutils {med['adbutils']:.3f} s, consentry {med['consentry']:.3f} s")
print(f"ratio consentry / adbutils: {med['consentry'] / med['adbutils']:.2f}")
if any(counts(r)[0] is None for r in rows if r["tool"] == "consentry"):
    print("consentry's run.json has no counters (ui_dumps, screenshots, taps): n/a above")
EOF
