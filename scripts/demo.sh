#!/usr/bin/env bash
# The demo's main job: validate the example scenarios, boot the built-in
# simulated device, drive it through Debian's real adb server as an
# emulator would be driven, and run the built-in compliance suite on
# fixture apps with `consentry run --suite builtin` (a verdict per
# category, with its evidence), then one scenario alone with its transcript.
# Then it lists the device with `consentry devices`, shows what `consentry
# inspect` reads on its screens, and what the tool's parsers read back.
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

cleanup() {
  [ -n "${sim_pid:-}" ] && kill "$sim_pid" 2>/dev/null || true
  [ -n "${reject_pid:-}" ] && kill "$reject_pid" 2>/dev/null || true
  adb kill-server >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "validate the example scenarios"
$bin validate scenarios/

step "boot the simulated device (fixtures/apps: $(ls fixtures/apps/*.yaml | wc -l) apps)"
# The device's clock runs 10 times faster, so the examples' `idle` waits
# take a tenth of the time (`consentry run --time-scale 10` matches it).
$bin sim --apps fixtures/apps --port "$port" --control "$control" --time-scale 10 > "$out/sim.txt" &
sim_pid=$!
for _ in $(seq 50); do grep -q '^control' "$out/sim.txt" 2>/dev/null && break; sleep 0.1; done
cat "$out/sim.txt"

step "connect Debian's adb"
adb start-server >/dev/null
adb connect "$serial"
adb devices -l

step "the main job: the built-in suite, both passes, on com.example.eagerfeed (it collects before consent)"
run() { $bin run "$@" --device "$serial" --time-scale 10 || echo "(exit code $?)"; }
run --suite builtin --app com.example.eagerfeed --app-type news --out "$out/suite-eagerfeed"

step "the same suite on com.example.mazeaccount: its deletion entry is buried deep, behind an ID photo"
run --suite builtin --app com.example.mazeaccount --app-type online-shopping --out "$out/suite-maze" -q
$bin analyze "$out/suite-maze" || echo "(exit code $?)"

step "one scenario alone: account deletion on com.example.tidynotes, with its transcript"
run scenarios/examples/account-deletion.yaml --app com.example.tidynotes --out "$out/run-deletion"
echo "run directory: $(ls "$out/run-deletion" | tr '\n' ' ')"

step "refusing the privacy policy on com.example.quitter (it quits: the expect fails, exit 1)"
run scenarios/examples/consent-refusal.yaml --app com.example.quitter --out "$out/run-quitter"

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
rport=$((port + 2))
$bin sim --apps fixtures/apps --port "$rport" --control "127.0.0.1:$((rport + 1))" --auth reject > "$out/sim-reject.txt" &
reject_pid=$!
for _ in $(seq 50); do grep -q '^control' "$out/sim-reject.txt" 2>/dev/null && break; sleep 0.1; done
adb connect "127.0.0.1:$rport" >/dev/null 2>&1 || true
for _ in $(seq 50); do adb devices | grep -q "127.0.0.1:$rport" && break; sleep 0.1; done
$bin devices

printf '\nDemo done; outputs (run directories included) in %s.\n' "$out"
