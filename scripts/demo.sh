#!/usr/bin/env bash
# The demo's main job: validate the example scenarios, boot two simulated
# devices with the fixture apps, drive them through Debian's real adb server
# as emulators would be driven, and run the built-in compliance suite over
# every fixture app as a batch (`consentry batch`): the verdict matrix, the
# HTML, JUnit, JSON and Markdown reports, and the history. Then one scenario
# alone with its transcript, `consentry devices`, what `consentry inspect`
# reads on a screen, and what the parsers read back.
# Uses a private adb server port and cleans up after.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./target/release/consentry
out=target/demo
mkdir -p "$out"

export ANDROID_ADB_SERVER_PORT=${DEMO_ADB_PORT:-15037}
port=${DEMO_SIM_PORT:-16555}
control=127.0.0.1:${DEMO_CONTROL_PORT:-16554}
serial=127.0.0.1:$port
serial2=127.0.0.1:$((port + 2))

cleanup() {
  [ -n "${sim_pid:-}" ] && kill "$sim_pid" 2>/dev/null || true
  [ -n "${reject_pid:-}" ] && kill "$reject_pid" 2>/dev/null || true
  adb kill-server >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "validate the example scenarios"
$bin validate scenarios/

step "boot two simulated devices (fixtures/apps: $(ls fixtures/apps/*.yaml | wc -l) apps on each)"
# The devices' clocks run 60 times faster, so the suite's idle waits take
# a sixtieth of the time (the batch's --time-scale 60 matches it).
$bin sim --apps fixtures/apps --devices 2 --port "$port" --control "$control" --time-scale 60 > "$out/sim.txt" &
sim_pid=$!
for _ in $(seq 50); do grep -q '^control' "$out/sim.txt" 2>/dev/null && break; sleep 0.1; done
cat "$out/sim.txt"

step "connect Debian's adb"
adb start-server >/dev/null
adb connect "$serial"
adb connect "$serial2"
adb devices -l

step "the main job: the built-in suite over every fixture app, as a batch on both devices"
# fixtures/batch/apps.yaml names each app with its type. The simulated
# screens settle at once, so the waits are bounded tighter than on an
# emulator. Exit 1 means some app broke a rule, which the fixtures do.
rm -rf "$out/batch" "$out/history.sqlite"
$bin batch --apps fixtures/batch/apps.yaml --suite builtin --out "$out/batch" \
  --time-scale 60 --settle-timeout 2 --find-timeout 3 --dump-timeout 3 || echo "(exit code $?)"

step "what the reports say (open $out/batch/report.html in a browser)"
head -3 "$out/batch/report.md"
$bin history --history "$out/history.sqlite" list

step "one app again, by hand: account deletion on com.example.mazeaccount, with its transcript"
$bin run scenarios/examples/account-deletion.yaml --app com.example.mazeaccount --device "$serial" \
  --time-scale 60 --out "$out/run-deletion" -q || echo "(exit code $?)"
echo "run directory: $(ls "$out/run-deletion" | tr '\n' ' ')"

step "what consentry sees: consentry devices (state, model, SDK, usable)"
$bin devices

step "launch com.example.tidynotes and read the screen"
adb -s "$serial" shell monkey -p com.example.tidynotes -c android.intent.category.LAUNCHER 1 >/dev/null
adb -s "$serial" exec-out uiautomator dump /dev/tty > "$out/window_dump.xml"
$bin parse uiautomator "$out/window_dump.xml" --summary
grep -o 'text="[^"]*"' "$out/window_dump.xml" | grep -v 'text=""' | head -6
adb -s "$serial" exec-out screencap -p > "$out/screen.png"
echo "screenshot: $out/screen.png ($(wc -c < "$out/screen.png") bytes)"

step "what the screen is, and what its buttons do: consentry inspect"
$bin inspect --device "$serial"
adb -s "$serial" shell am force-stop com.example.tidynotes
adb -s "$serial" shell monkey -p com.example.gatekeeper -c android.intent.category.LAUNCHER 1 >/dev/null
$bin inspect --device "$serial"
adb -s "$serial" shell am force-stop com.example.gatekeeper

step "what the parsers read from the device"
adb -s "$serial" shell logcat -d > "$out/logcat.txt"
$bin parse logcat "$out/logcat.txt" --summary
adb -s "$serial" shell dumpsys package com.example.tidynotes > "$out/package.txt"
$bin parse package "$out/package.txt" --summary
adb -s "$serial" shell dumpsys activity activities > "$out/activities.txt"
$bin parse focus "$out/activities.txt" --summary

step "fault injection with simctl"
$bin simctl --control "$control" list

step "a device that rejects this computer's key is reported, not used"
rport=$((port + 6))
$bin sim --apps fixtures/apps --port "$rport" --control "127.0.0.1:$((rport + 1))" --auth reject > "$out/sim-reject.txt" &
reject_pid=$!
for _ in $(seq 50); do grep -q '^control' "$out/sim-reject.txt" 2>/dev/null && break; sleep 0.1; done
adb connect "127.0.0.1:$rport" >/dev/null 2>&1 || true
for _ in $(seq 50); do adb devices | grep -q "127.0.0.1:$rport" && break; sleep 0.1; done
$bin devices

printf '\nDemo done; outputs (run directories included) in %s.\n' "$out"
