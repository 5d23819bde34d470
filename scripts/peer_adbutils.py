#!/usr/bin/env python3
"""The peer for the speed benchmark: what a lab writes by hand with adbutils.

After every action it sleeps a fixed time (1 s), dumps the UI with
`uiautomator dump`, finds an element by a regex on its text and taps the
centre of its bounds. The flow is the one in benches/flows/navigation.yaml,
on the simulated com.example.tidynotes:

    pm clear, launch (monkey), wait for and tap the consent "Agree",
    tap "Me", "Settings", "Account", check "Delete account" is shown,
    press BACK twice, check "Delete account" is gone.

It talks to an adb server (adbutils speaks the server's protocol; pass its
host and port) and prints one JSON line at the end:

    {"tool": "adbutils", "ok": true, "wall_s": 14.2, "dumps": 6,
     "screenshots": 0, "taps": 4, "keys": 2}

Exit codes: 0 the flow passed, 1 a check failed (an element that should be
there is not, or one that should be gone is still there), 2 bad usage, no
device, or a device error (a failed dump).

Usage: peer_adbutils.py --serial SERIAL --adb-port PORT
                        [--adb-host 127.0.0.1] [--package com.example.tidynotes]
                        [--sleep 1.0] [--wait 20]
"""

import argparse
import json
import re
import sys
import time
import xml.etree.ElementTree as ET

import adbutils

BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


class CheckFailed(Exception):
    pass


class Peer:
    def __init__(self, device, pause):
        self.d = device
        self.pause = pause
        self.dumps = 0
        self.taps = 0
        self.keys = 0

    def find(self, pattern):
        """Sleeps, dumps the UI, returns the centre of the first node whose
        text matches `pattern` in full, or None."""
        time.sleep(self.pause)
        xml = self.d.dump_hierarchy()
        self.dumps += 1
        rx = re.compile(pattern)
        for node in ET.fromstring(xml).iter("node"):
            if rx.fullmatch(node.get("text", "")):
                m = BOUNDS.fullmatch(node.get("bounds", ""))
                if m:
                    left, top, right, bottom = map(int, m.groups())
                    return ((left + right) // 2, (top + bottom) // 2)
        return None

    def wait_for(self, pattern, wait):
        """Finds `pattern`, dumping again after each pause until `wait`
        seconds have passed."""
        deadline = time.monotonic() + wait
        while True:
            at = self.find(pattern)
            if at is not None:
                return at
            if time.monotonic() >= deadline:
                raise CheckFailed(f"{pattern!r} not on screen after {wait} s")

    def tap(self, pattern, wait):
        x, y = self.wait_for(pattern, wait)
        self.d.click(x, y)
        self.taps += 1

    def back(self):
        self.d.keyevent("KEYCODE_BACK")
        self.keys += 1


def run(peer, package, wait):
    peer.d.app_clear(package)
    peer.d.app_start(package)
    peer.tap(r"同意 Agree|Agree", wait)
    peer.tap(r"Me", wait)
    peer.tap(r"Settings", wait)
    peer.tap(r"Account", wait)
    peer.wait_for(r"Delete account", wait)
    peer.back()
    peer.back()
    if peer.find(r"Delete account") is not None:
        raise CheckFailed("'Delete account' still on screen after two BACKs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serial", required=True)
    ap.add_argument("--adb-port", type=int, required=True)
    ap.add_argument("--adb-host", default="127.0.0.1")
    ap.add_argument("--package", default="com.example.tidynotes")
    ap.add_argument("--sleep", type=float, default=1.0, help="pause after each action (s)")
    ap.add_argument("--wait", type=float, default=20.0, help="longest wait for an element (s)")
    args = ap.parse_args()

    try:
        client = adbutils.AdbClient(host=args.adb_host, port=args.adb_port)
        device = client.device(args.serial)
        device.shell("true")
    except (adbutils.AdbError, OSError) as e:
        print(f"peer_adbutils: no device {args.serial} at {args.adb_host}:{args.adb_port}: {e}",
              file=sys.stderr)
        return 2

    peer = Peer(device, args.sleep)
    result = {"tool": "adbutils", "ok": True}
    start = time.monotonic()
    try:
        run(peer, args.package, args.wait)
    except CheckFailed as e:
        result["ok"] = False
        result["error"] = str(e)
    except adbutils.AdbError as e:
        result["ok"] = False
        result["error"] = f"device error: {e}"
        result["device_error"] = True
    result.update({
        "wall_s": round(time.monotonic() - start, 3),
        "dumps": peer.dumps,
        "screenshots": 0,
        "taps": peer.taps,
        "keys": peer.keys,
    })
    print(json.dumps(result, ensure_ascii=False))
    if result.get("device_error"):
        print(f"peer_adbutils: {result['error']}", file=sys.stderr)
        return 2
    if not result["ok"]:
        print(f"peer_adbutils: check failed: {result['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
