#!/usr/bin/env bash
# Batch throughput: `consentry batch --suite builtin` over 1, 2, 4 and 8
# simulated devices with real device costs (`--latency realistic`: a
# uiautomator dump ~2 s, a screenshot ~150 ms, activity starts 300-800 ms),
# reported as apps per minute and scaling efficiency, with the controller's
# peak RSS (GNU time). Method and figures: docs/performance.md, "Batch
# throughput".
#
# The workload per device is the same for every N: each device gets the K
# apps of WORKLOAD once. For N devices the list holds N copies of WORKLOAD;
# the first copy is the fixture apps themselves, the others are the same
# app models under other package names (`com.example.tidynotes.c2`, ...),
# written to a private fixtures folder for this run, because a list may not
# name an app twice. Jobs are whole apps, so this keeps the makespan from
# measuring how unlike the apps are rather than how the batch scales.
#
#   scripts/bench_batch.sh            (make bench-batch builds the binary first)
#
# Environment (all optional):
#   DEVICES="1 2 4 8"      the device counts, in order (efficiency is against N=1)
#   WORKLOAD="PKG ..."     the apps each device runs (default below; never the
#                          spinner, whose suite runs every wait to its bound)
#   TIME_SCALE=10          the simulator's clock speed; the batch gets the same
#   BIN=PATH               the consentry binary (default target/release/consentry)
#   BENCH_ADB_PORT=PORT    the private adb server's port (default: a free one)
#   BENCH_KEEP=1           keep the work folder (batch directories, logs)
#   BENCH_OUT=FILE         where the tables go (default target/bench-batch.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${BIN:-./target/release/consentry}
devices_list=${DEVICES:-1 2 4 8}
workload=${WORKLOAD:-com.example.mazeaccount com.example.gatekeeper}
scale=${TIME_SCALE:-10}
list_src=fixtures/batch/apps.yaml
result=${BENCH_OUT:-target/bench-batch.txt}

[ -x "$bin" ] || { echo "error: $bin is missing: run 'make build' (or make bench-batch)" >&2; exit 2; }

# GNU time reports the peak RSS (the shell's `time` does not).
if [ ! -x /usr/bin/time ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing GNU time" >&2
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq time >/dev/null
fi

work=$(mktemp -d)
sim_pid=""
sampler_pid=""
# A private adb server: its own port and its own HOME (keys, no user state).
export HOME="$work/home"
mkdir -p "$HOME"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
export ANDROID_ADB_SERVER_PORT=${BENCH_ADB_PORT:-$(free_port)}

stop_round() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; fi
  sampler_pid=""
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  sim_pid=""
  adb kill-server >/dev/null 2>&1 || true
}
cleanup() {
  stop_round
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "work folder kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CPU seconds (user + system) a process has used so far; 0 once it is gone.
tck=$(getconf CLK_TCK)
cpu_of() {
  awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# CPU seconds the whole machine has been busy (every core, not idle or iowait).
machine_busy() {
  awk -v t="$tck" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / t }' /proc/stat
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
# The adb server's pid: the process listening on its port.
adb_server_pid() {
  ss -Hltnp "sport = :$ANDROID_ADB_SERVER_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}

# The fixtures the simulator boots: every fixture app, plus the copies.
max_n=0
for n in $devices_list; do [ "$n" -gt "$max_n" ] && max_n=$n; done
mkdir -p "$work/apps"
cp fixtures/apps/*.yaml "$work/apps/"
python3 - "$list_src" "$work" "$max_n" $workload <<'PY'
import glob, sys, yaml
src, work, max_n, workload = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
# The app types the fixture list judges each app with.
types = {}
for a in yaml.safe_load(open(src))["apps"]:
    if isinstance(a, str):
        types[a] = None
    else:
        types[a["package"]] = a.get("app_type")
models = {}
for f in glob.glob("fixtures/apps/*.yaml"):
    text = open(f).read()
    models[yaml.safe_load(text)["package"]] = text
for pkg in workload:
    if pkg not in types or pkg not in models:
        sys.exit(f"error: {pkg} is not a fixture app of {src}")
    if pkg == "com.example.spinner":
        sys.exit("error: the spinner runs every wait to its bound; leave it out")
# One list per N: N copies of the workload, every app's first copies first
# (the queue runs in list order, so each device takes one copy of each).
for n in range(1, max_n + 1):
    apps = []
    for pkg in workload:
        for i in range(1, n + 1):
            name = pkg if i == 1 else f"{pkg}.c{i}"
            apps.append({"package": name, "app_type": types[pkg]} if types[pkg] else {"package": name})
    yaml.safe_dump({"kind": "app-list", "version": 1, "apps": apps},
                   open(f"{work}/apps-{n}.yaml", "w"), sort_keys=False)
# The copies: the same model under another package name.
for pkg in workload:
    for i in range(2, max_n + 1):
        lines = models[pkg].splitlines(keepends=True)
        out = [f"package: {pkg}.c{i}\n" if l.startswith("package:") else l for l in lines]
        open(f"{work}/apps/{pkg.rsplit('.', 1)[-1]}-c{i}.yaml", "w").write("".join(out))
PY

k=$(wc -w <<<"$workload")
echo "batch throughput: the built-in suite, --latency realistic, time scale $scale, $(nproc) cores" >&2
echo "per device: $workload" >&2
rows="$work/rows.tsv"
: > "$rows"

for n in $devices_list; do
  round="$work/n$n"
  mkdir -p "$round"
  load_before=$(load)
  # Free ports outside the emulator range (0: the system picks), so the adb
  # server finds the devices only through `adb connect`.
  $bin sim --apps "$work/apps" --devices "$n" --port 0 --control 127.0.0.1:0 \
    --latency realistic --time-scale "$scale" -q > "$round/sim.txt" 2> "$round/sim.err" &
  sim_pid=$!
  for _ in $(seq 100); do grep -q '^control' "$round/sim.txt" 2>/dev/null && break; sleep 0.1; done
  grep -q '^control' "$round/sim.txt" || { echo "error: the simulator did not start:" >&2; cat "$round/sim.err" >&2; exit 1; }
  adb start-server >/dev/null 2>&1
  for addr in $(grep -v '^control' "$round/sim.txt" | cut -f2); do adb connect "$addr" >/dev/null; done
  for _ in $(seq 100); do
    [ "$(adb devices | grep -c '	device$')" -ge "$n" ] && break
    sleep 0.2
  done
  [ "$(adb devices | grep -c '	device$')" -ge "$n" ] || { echo "error: only some devices connected:" >&2; adb devices >&2; exit 1; }
  adb_pid=$(adb_server_pid)

  # What the machine does meanwhile: every 30 s, top's second frame (its
  # first shows CPU shares since each process started).
  (
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 30 & nap=$!
      wait "$nap"
      top -b -n2 -d1 -w 200 | awk '/^top - / { frame++ } frame == 2' | head -n 20 >> "$round/top.txt"
      echo >> "$round/top.txt"
    done
  ) &
  sampler_pid=$!

  sim_cpu0=$(cpu_of "$sim_pid"); adb_cpu0=$(cpu_of "${adb_pid:-0}"); busy0=$(machine_busy)
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$round/time.txt" \
    $bin batch --apps "$work/apps-$n.yaml" --suite builtin --devices all --out "$round/batch" \
      --no-history --time-scale "$scale" -q > "$round/batch.out" 2> "$round/batch.err" &
  time_pid=$!
  # The controller's resident set, once a second, to see when it peaks.
  ctl_pid=""
  for _ in $(seq 50); do ctl_pid=$(pgrep -P "$time_pid" || true); [ -n "$ctl_pid" ] && break; sleep 0.1; done
  while [ -n "$ctl_pid" ] && kill -0 "$ctl_pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ctl_pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && printf '%s\t%s\n' "$(date +%s.%N)" "$rss" >> "$round/rss.tsv"
    sleep 1
  done
  code=0
  wait "$time_pid" || code=$?
  end=$(date +%s.%N)
  sim_cpu1=$(cpu_of "$sim_pid"); adb_cpu1=$(cpu_of "${adb_pid:-0}"); busy1=$(machine_busy)
  load_after=$(load)
  stop_round

  # 0 passes, 1 a violation, 3 an inconclusive verdict: the fixtures hold all
  # three. Anything else (2 bad input, 130 interrupted) is a failed round.
  case $code in 0|1|3) ;; *) echo "error: batch with $n device(s) exited $code:" >&2; tail -20 "$round/batch.err" >&2; exit 1;; esac
  python3 - "$round" "$n" "$start" "$end" "$sim_cpu0" "$sim_cpu1" "$adb_cpu0" "$adb_cpu1" \
    "$busy0" "$busy1" "$load_before" "$load_after" "$(nproc)" >> "$rows" <<'PY'
import datetime, glob, json, re, sys
(round_dir, n, start, end, s0, s1, a0, a1, b0, b1, lb, la, cores) = sys.argv[1:]
n, start, end, cores = int(n), float(start), float(end), int(cores)
report = json.load(open(f"{round_dir}/batch/report.json"))
planned, judged = report["summary"]["planned"], report["summary"]["judged"]
if judged != planned:
    sys.exit(f"error: with {n} device(s) only {judged} of {planned} apps were judged")
tv = open(f"{round_dir}/time.txt").read()
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv).group(1))
ctl_cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", tv).group(1)) for k in ("User", "System"))
# Each app's own time, from its attempts (whole seconds).
def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
app_s = []
for f in glob.glob(f"{round_dir}/batch/apps/*/result.json"):
    r = json.load(open(f))
    app_s.append(sum(ts(a["finished"]) - ts(a["started"]) for a in r["attempts"]))
wall = end - start
# When the sampled resident set peaked (seconds into the batch).
rss = [tuple(map(float, l.split())) for l in open(f"{round_dir}/rss.tsv")] if glob.glob(f"{round_dir}/rss.tsv") else []
peak_t, peak_kb = max(rss, key=lambda s: s[1]) if rss else (start, 0.0)
sim_cpu, adb_cpu = float(s1) - float(s0), float(a1) - float(a0)
busy = float(b1) - float(b0)
other = max(0.0, busy - ctl_cpu - sim_cpu - adb_cpu)
print("\t".join(str(x) for x in (
    n, planned, f"{wall:.1f}", f"{planned / (wall / 60):.3f}", f"{rss_kb / 1024:.1f}",
    f"{sum(app_s) / len(app_s):.1f}", f"{max(app_s):.0f}",
    f"{ctl_cpu:.1f}", f"{sim_cpu:.1f}", f"{adb_cpu:.1f}", f"{other:.1f}",
    f"{100 * busy / (cores * wall):.0f}", lb, la,
    f"{peak_kb / 1024:.1f}", f"{peak_t - start:.0f}")))
PY
  echo "$n device(s): $(cut -f3 "$rows" | tail -1) s" >&2
done

# The tables: throughput and efficiency, then where the CPU went.
python3 - "$rows" "$scale" "$k" "$workload" > "$result" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
scale, k, workload = sys.argv[2], sys.argv[3], sys.argv[4]
base = next((float(r[3]) for r in rows if r[0] == "1"), None)
print(f"consentry batch --suite builtin, sim --latency realistic --time-scale {scale}; "
      f"{k} app(s) per device: {workload}")
print()
print("| devices | apps | wall s | apps/min | efficiency | peak RSS MB | mean app s | slowest app s | load before | load after |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    n, apps, wall, tput = int(r[0]), r[1], r[2], float(r[3])
    eff = f"{tput / (n * base):.2f}" if base else "-"
    print(f"| {n} | {apps} | {wall} | {tput:.2f} | {eff} | {r[4]} | {r[5]} | {r[6]} | {r[12]} | {r[13]} |")
print()
print("CPU seconds during each batch (user + system):")
print()
print("| devices | controller | simulator | adb server | everything else | machine busy |")
print("|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[7]} | {r[8]} | {r[9]} | {r[10]} | {r[11]} % |")
print()
print("The controller's resident set, sampled once a second:")
print()
print("| devices | peak RSS MB (GNU time) | sampled peak MB | at s into the batch | wall s |")
print("|---|---|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[4]} | {r[14]} | {r[15]} | {r[2]} |")
PY
cat "$result"
echo "written to $result" >&2
