#!/usr/bin/env python3
"""Times OpenCV's matchTemplate(TM_CCOEFF_NORMED) + minMaxLoc on the
comparison images and prints a side-by-side table with consentry's timings
(JSON lines from examples/vision_timing.rs, read from a file).

PNG decoding and the BGR->gray conversion happen once, outside the timed
region, as on the consentry side (which converts with the same BT.601
weights). Usage: opencv_timing.py FIXTURE_DIR CONSENTRY_JSONL [RUNS]
"""
import json
import statistics
import sys
import time

import cv2

SCREENS = ["app", "ui", "sim"]
TEMPLATES = ["t64", "t200x80", "t400", "d150x60"]


def time_opencv(screen, tpl, runs):
    times = []
    loc = None
    for i in range(runs + 2):
        t0 = time.perf_counter()
        res = cv2.matchTemplate(screen, tpl, cv2.TM_CCOEFF_NORMED)
        _, max_val, _, max_loc = cv2.minMaxLoc(res)
        ms = (time.perf_counter() - t0) * 1e3
        if i >= 2:
            times.append(ms)
        loc = (max_loc[0], max_loc[1], max_val)
    return statistics.median(times), loc


def main():
    fixtures, rust_file = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    rust = {}
    with open(rust_file) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rust[(r["screen"], r["template"], r["mode"])] = r
    print(f"opencv {cv2.__version__}, default threads: {cv2.getNumThreads()}; median of {runs} runs; "
          "decoding excluded on both sides")
    header = (f"{'screen':<6} {'template':<9} {'opencv ms':>9} {'opencv 1t':>9} {'consentry':>9} {'ratio':>6} "
              f"{'ratio 1t':>8} {'same loc':>8} {'0.5..2.0':>9} {'ratio':>6} {'range at':>8}  score cv / consentry")
    print(header)
    print("-" * len(header))
    for screen_name in SCREENS:
        screen = cv2.cvtColor(cv2.imread(f"{fixtures}/{screen_name}.png", cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
        for name in TEMPLATES:
            tpl = cv2.cvtColor(cv2.imread(f"{fixtures}/{screen_name}_{name}.png", cv2.IMREAD_COLOR),
                               cv2.COLOR_BGR2GRAY)
            cv2.setNumThreads(-1)
            cv_ms, (cx, cy, cscore) = time_opencv(screen, tpl, runs)
            cv2.setNumThreads(1)
            cv1_ms, _ = time_opencv(screen, tpl, runs)
            cv2.setNumThreads(-1)
            single = rust.get((screen_name, name, "single"))
            multi = rust.get((screen_name, name, "range"))
            if single is None or multi is None:
                print(f"{screen_name:<6} {name:<9} {cv_ms:9.2f} {cv1_ms:9.2f}  (no consentry timing)")
                continue
            same = (single["x"], single["y"]) == (cx, cy)
            print(f"{screen_name:<6} {name:<9} {cv_ms:9.2f} {cv1_ms:9.2f} {single['median_ms']:9.2f} "
                  f"{single['median_ms'] / cv_ms:6.2f} {single['median_ms'] / cv1_ms:8.2f} "
                  f"{'yes' if same else 'NO':>8} {multi['median_ms']:9.2f} {multi['median_ms'] / cv_ms:6.2f} "
                  f"{multi['at'] if multi['at'] != 'elsewhere' else 'ELSEWHERE':>9}  "
                  f"{cscore:.4f} / {single['score']:.4f}"
                  + ("" if same else f"  (cv at {cx},{cy}; consentry at {single['x']},{single['y']})"))
    print("ratio = consentry / OpenCV (default threads); ratio 1t = against OpenCV on one thread; "
          "0.5..2.0 = consentry over that range with the default steps, ratio against OpenCV single scale; "
          "range at = where the range search put the template (its region's place within 2 px, an identical copy of "
          "the region, or elsewhere); "
          "d150x60 is a 200x80 region saved at 0.75x: at one scale neither side can find it")


if __name__ == "__main__":
    main()
