#!/usr/bin/env bash
# bench/gpu/dram_timeline.sh PREFIX SNAPSHOT [OUT]: DRAM, L2 and instruction throughput
# sampled through one recorded B=1 decode step (Nsight Compute's PM sampling, the step's
# CUDA graph profiled as one workload, clocks left alone), folded by layer with
# dram_timeline.py. PREFIX is a tree made by bench/gpu/pack.sh; OUT (default /tmp) gets
# the report and its raw CSV.
set -euo pipefail
prefix=$1 snapshot=$2 out=${3:-/tmp}
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$prefix/libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
check="$prefix/bin/rmlx-gpu-check"
# Workloads in order: the warm-up's prefill and first (plain) decode step are kernels,
# later decode steps graph replays. List them cheaply, then sample a replay of the
# first timed repetition.
ncu --graph-profiling graph --metrics gpu__time_duration.sum --clock-control none -c 1500 \
  --csv --page raw "$check" decode "$snapshot" cuda 128 > "$out/workloads.csv" 2>/dev/null
skip=$(python3 - "$out/workloads.csv" <<'PY'
import csv, io, sys
lines = open(sys.argv[1]).read().split("\n")
start = next(i for i, l in enumerate(lines) if l.startswith('"ID"'))
rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
k = rows[0].index("Kernel Name")
graphs = [i for i, r in enumerate(rows[2:]) if len(r) > k and r[k] == "graph"]
# the first run of graph replays is the warm-up's; take the middle of the next run
runs, cur = [], [graphs[0]]
for g in graphs[1:]:
    if g == cur[-1] + 1:
        cur.append(g)
    else:
        runs.append(cur)
        cur = [g]
runs.append(cur)
run = runs[1] if len(runs) > 1 else runs[0]
print(run[len(run) // 2])
PY
)
ncu --graph-profiling graph --section PmSampling --clock-control none --launch-skip "$skip" \
  --launch-count 1 -f -o "$out/dram_timeline" "$check" decode "$snapshot" cuda 128 > /dev/null 2>&1
ncu -i "$out/dram_timeline.ncu-rep" --page raw --print-metric-instances values --csv \
  > "$out/dram_timeline.csv"
python3 "$here/dram_timeline.py" "$out/dram_timeline.csv"
