#!/usr/bin/env python3
"""Where a decode step leaves DRAM idle: fold Nsight Compute's PM sampling of one
recorded decode step (a CUDA graph profiled as one workload) by layer.

usage: dram_timeline.py RAW_CSV [--period SAMPLES] [--interval US]

RAW_CSV is `ncu -i REPORT --page raw --print-metric-instances values --csv` of a
report made by bench/gpu/dram_timeline.sh. The layer period is found by
autocorrelation of the DRAM read throughput unless given; the fold starts at the
period's least busy sample. Each row: time into the layer, DRAM read, L2 and
instruction throughput (% of peak) and thread blocks launched, averaged over the
middle layers; then the DRAM-busy time of a layer at peak rate.
"""
import argparse
import csv
import io
import statistics


def load(path):
    lines = open(path).read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith('"ID"'))
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    return rows[0], rows[2]


def series(header, row, key):
    i = next(j for j, n in enumerate(header) if key in n)
    raw = row[i]
    if "(" not in raw:
        raise SystemExit(f"{key}: no samples (was the PmSampling section collected?)")
    body = raw[raw.index("(") + 1 : raw.rindex(")")]
    return [float(x.replace(",", "")) if x.strip() not in ("", "n/a") else 0.0
            for x in body.split(";")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw_csv")
    ap.add_argument("--period", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.0, help="us a sample (default: the report's)")
    a = ap.parse_args()
    header, row = load(a.raw_csv)
    dt = a.interval
    if dt <= 0:
        i = header.index("profiler__pmsampler_interval_time")
        dt = float(row[i].split()[0])
    dram = series(header, row, "dramc__read_throughput.avg.pct")
    ctas = series(header, row, "gr__ctas_launched_realtime")
    lts = series(header, row, "lts__throughput.avg.pct")
    inst = series(header, row, "sm__inst_executed_realtime.avg.pct")
    busy = [i for i, x in enumerate(dram) if x > 5]
    first, last = busy[0], busy[-1]
    n = last - first + 1
    print(f"step: {n * dt:.1f} us sampled every {dt} us; DRAM read {statistics.mean(dram[first:last + 1]):.1f}% of peak on average")
    lo, hi = first + n // 8, last - n // 8  # the middle layers
    mu = statistics.mean(dram[lo:hi])
    period = a.period
    if period <= 0:
        def corr(p):
            return sum((dram[i] - mu) * (dram[i + p] - mu) for i in range(lo, hi - p))
        period = max(range(10, min(200, (hi - lo) // 3)), key=corr)
    layers = (hi - lo) // period - 1
    fold = [statistics.mean(dram[lo + k:lo + k + layers * period:period]) for k in range(period)]
    start = lo + min(range(period), key=lambda k: fold[k])

    def avg(s, k):
        return statistics.mean(s[start + k:start + k + layers * period:period])

    print(f"layer: {period} samples ({period * dt:.1f} us), {layers} layers folded")
    print("    us  dram%   L2%  inst%  blocks")
    total = 0.0
    for k in range(period):
        d = avg(dram, k)
        total += d / 100 * dt
        print(f"{k * dt:6.1f} {d:6.1f} {avg(lts, k):5.1f} {avg(inst, k):6.1f} {avg(ctas, k):7.1f}  {'#' * int(d / 4)}")
    print(f"DRAM busy at peak rate: {total:.1f} us of a {period * dt:.1f} us layer")


if __name__ == "__main__":
    main()
