#!/usr/bin/env bash
# The built-in suite's cost for one app on a device with real costs: the
# simulator with `--latency realistic` (a uiautomator dump ~2 s, a
# screenshot ~150 ms, activity starts 300-800 ms) and its clock at real
# speed, so the scenarios' idle periods take their real time. Prints the
# wall time of `consentry run --suite builtin` (both passes), the UI dumps
# and screenshots it took, and the time the scenarios spend idle by design.
#   scripts/bench_suite.sh [PACKAGE] [APP_TYPE]
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${1:-com.example.mazeaccount}
type=${2:-online-shopping}
bin=./target/release/consentry
out=$(mktemp -d)
export ANDROID_ADB_SERVER_PORT=${BENCH_ADB_PORT:-15047}
port=${BENCH_SIM_PORT:-16575}
cleanup() {
  [ -n "${sim_pid:-}" ] && kill "$sim_pid" 2>/dev/null || true
  adb kill-server >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT
$bin sim --apps fixtures/apps --port "$port" --control "127.0.0.1:$((port + 1))" --latency realistic > "$out/sim.txt" &
sim_pid=$!
for _ in $(seq 50); do grep -q '^control' "$out/sim.txt" 2>/dev/null && break; sleep 0.1; done
adb start-server >/dev/null
adb connect "127.0.0.1:$port" >/dev/null
for _ in $(seq 50); do adb devices | grep -q "127.0.0.1:$port.*device$" && break; sleep 0.2; done
start=$(date +%s.%N)
$bin run --suite builtin --app "$pkg" --app-type "$type" --device "127.0.0.1:$port" --out "$out/suite" -q || true
end=$(date +%s.%N)
python3 - "$out/suite" "$start" "$end" <<'PY'
import glob, json, sys
root, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
dumps = shots = 0
idle_ms = 0
for f in sorted(glob.glob(f"{root}/*/run.json")):
    r = json.load(open(f))
    dumps += r["counters"]["ui_dumps"]
    shots += r["counters"]["screenshots"]
    idle_ms += sum(s["end_ms"] - s["start_ms"] for s in r["steps"] if s["command"] == "idle")
v = json.load(open(f"{root}/verdicts.json"))
wall = end - start
print(f"suite wall time: {wall:.1f} s ({wall / 60:.2f} min) for {v['package']}, {len(v['runs'])} runs")
print(f"ui dumps: {dumps}, screenshots: {shots}, idle by design: {idle_ms / 1000:.1f} s")
print("verdicts: " + ", ".join(f"{c['category']}={c['verdict']}" for c in v["categories"]))
PY
