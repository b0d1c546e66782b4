#!/usr/bin/env python3
"""Summarise a kernel trace (bench/gpu/kernel_trace.cpp) of repeated decode steps.

usage: trace_summary.py TRACE [--marker SUBSTRING] [--steps N]

Steps end at each kernel whose name contains the marker (default: the device
argmax). Over the last N steps, each kernel is charged the time from the end of
the kernel before it to its own end (its share of the chain: with programmatic
dependent launch a kernel starts before the previous one ends, so durations
overlap and do not add up). Kernels are grouped by name and grid size.
"""
import argparse
import collections
import re


def short(name):
    base = name.replace("(anonymous namespace)::", "").split("(")[0]
    base = re.sub(r"<.*", "", base)
    return base.split("::")[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--marker", default="argmax")
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    rows = []
    with open(a.trace) as f:
        for line in f:
            start, end, grid, block, name = line.rstrip("\n").split("\t", 4)
            rows.append((int(start), int(end), int(grid), int(block), name))
    rows.sort()
    ends = [i for i, r in enumerate(rows) if a.marker in r[4]]
    if len(ends) < a.steps + 1:
        raise SystemExit(f"{len(ends)} steps in the trace, need {a.steps + 1}")
    lo, hi = ends[-a.steps - 1], ends[-1]
    window = rows[lo + 1 : hi + 1]
    total = (rows[hi][1] - rows[lo][1]) / a.steps / 1e3
    groups = collections.OrderedDict()
    prev_end = rows[lo][1]
    for start, end, grid, block, name in window:
        key = (short(name), grid, block)
        g = groups.setdefault(key, [0, 0.0, 0.0, 0.0])
        g[0] += 1
        g[1] += max(0, end - prev_end) / 1e3
        g[2] += (end - start) / 1e3
        g[3] += max(0, prev_end - start) / 1e3
        prev_end = max(prev_end, end)
    print(f"{len(window) / a.steps:.0f} kernels a step, {total:.1f} us a step (end to end)")
    print(f"{'kernel':44s} {'grid':>6s} {'block':>5s} {'per step':>8s} {'chain us':>9s} {'us each':>8s} {'dur each':>8s} {'early':>6s}")
    for (name, grid, block), (n, chain, dur, early) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
        per = n / a.steps
        print(f"{name[:44]:44s} {grid:6d} {block:5d} {per:8.1f} {chain / a.steps:9.1f} {chain / n:8.2f} {dur / n:8.2f} {early / n:6.2f}")


if __name__ == "__main__":
    main()
