#!/usr/bin/env bash
# CPU decode/prefill, side by side in one run: rmlx against llama.cpp on
# identical weights (SmolLM2-135M-Instruct: the Q4_1 GGUF and its lossless
# affine 4-bit g32 import; a Q8_0 GGUF and its affine 8-bit import), at 1 and
# 2 threads, with each engine's fraction of the memory-read roofline measured
# in the same run.
# Usage: bench/cpu/run.sh [BUILD_DIR]   (BUILD_DIR defaults to build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
host="$build/bin/rmlx-host"
cache=${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}
work="$cache/bench-cpu"
mkdir -p "$work"
threads=${RMLX_BENCH_THREADS:-1,2}

echo "== preparing llama.cpp and the weights" >&2
llama_bin=$("$root/bench/cpu/build_llama_cpp.sh" "$cache")
q41=$("$root/scripts/prepare-default-model.sh" --gguf-only)
q80="$work/SmolLM2-135M-Instruct.Q8_0.gguf"
[ -f "$q80" ] || "$llama_bin/llama-quantize" --allow-requantize "$q41" "$q80" Q8_0 >/dev/null 2>&1
for g in q41:"$q41" q80:"$q80"; do
  name=${g%%:*} file=${g#*:}
  [ -f "$work/smollm2-$name/config.json" ] || "$host" convert --from-gguf "$file" --out "$work/smollm2-$name" >/dev/null
done

echo "== memory read bandwidth" >&2
"$build/bench/kernels/rmlx_kernels_bench" --quick --threads "$threads" > "$work/kernels.txt"

results="$work/results.jsonl"
: > "$results"
for name in q41 q80; do
  gguf=$q41; [ "$name" = q80 ] && gguf=$q80
  echo "== llama.cpp $name" >&2
  "$llama_bin/llama-bench" -m "$gguf" -p 128,512 -n 64 -t "$threads" -r 3 -o jsonl 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    test = f"pp{r[\"n_prompt\"]}" if r["n_prompt"] else f"tg{r[\"n_gen\"]}"
    print(json.dumps({"engine": "llama.cpp", "weights": sys.argv[1], "test": test,
                      "threads": r["n_threads"], "tok_s": r["avg_ts"]}))' "$name" >> "$results"
  for mode in exact int8; do
    flag=(); [ "$mode" = int8 ] && flag=(--int8-activations)
    echo "== rmlx $name ($mode activations)" >&2
    "$host" --log-level warn bench --model "$work/smollm2-$name" --prompt-tokens 128,512 \
      --gen-tokens 64 --thread-counts "$threads" -r 3 --json "${flag[@]}" |
      python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(json.dumps({"engine": "rmlx-" + sys.argv[2], "weights": sys.argv[1], "test": r["test"],
                      "threads": r["threads"], "tok_s": r["tok_s"]}))' "$name" "$mode" >> "$results"
  done
done
python3 "$root/bench/cpu/summarize.py" "$results" "$work/kernels.txt" "$work"
