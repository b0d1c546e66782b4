#!/usr/bin/env bash
# CPU decode/prefill, side by side in one run: rmlx against llama.cpp on
# identical weights, at 1 and 2 threads, with each engine's fraction of the
# memory-read roofline (bandwidth measured in the same run).
#   smollm2 q41: SmolLM2-135M-Instruct Q4_1 GGUF   vs its lossless affine 4-bit g32 import
#   smollm2 q80: the same requantized to Q8_0       vs its affine 8-bit import
#   llama1b q41/q80: a llama-3.2-1b shaped synthetic (rmlx-host synth, bf16, Llama 3
#            tokenizer) written as a BF16 GGUF (bench/common/snapshot_to_gguf.py),
#            `llama-quantize --pure` to Q4_1 / Q8_0, imported the same way.
# The two engines alternate per weight set and thread count (the machine may be
# shared: each pair of numbers is measured back to back).
# Both engines load the weights the same way: by default read into memory (rmlx
# --no-mmap: anonymous memory on 2 MiB pages; llama-bench -lm none, or -mmp 0 in
# older builds); RMLX_BENCH_LOAD=map maps the files in both instead.
# Usage: bench/cpu/run.sh [BUILD_DIR]   (default build/; needs rmlx-host, the
#        cpu/affine/llama/kv-f16 plugins and bench/kernels/rmlx_kernels_bench)
# Env: RMLX_BENCH_THREADS (1,2), RMLX_BENCH_REPS (2), RMLX_BENCH_MODELS (smollm2,llama1b),
#      RMLX_BENCH_MODES (exact,int8), RMLX_BENCH_LOAD (read or map; default read),
#      LLAMA_CPP_BIN (default: ~/.cache/rmlx/llama.cpp-READY or a build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
host="$build/bin/rmlx-host"
cache=${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}
work="$cache/bench-cpu"
mkdir -p "$work"
threads=${RMLX_BENCH_THREADS:-1,2}
reps=${RMLX_BENCH_REPS:-2}
models=${RMLX_BENCH_MODELS:-smollm2,llama1b}
modes=${RMLX_BENCH_MODES:-exact,int8}
load=${RMLX_BENCH_LOAD:-read}
case $load in read | map) ;; *) echo "RMLX_BENCH_LOAD: read or map, got '$load'" >&2; exit 2 ;; esac
shared=${RMLX_SHARED_DIR:-$root/../shared}
[ -d "$shared/tokenizers" ] || shared=/work/shared
log() { echo "== $*" >&2; }

if [ -n "${LLAMA_CPP_BIN:-}" ]; then
  llama_bin=$LLAMA_CPP_BIN
elif [ -f "$cache/llama.cpp-READY" ]; then
  llama_bin=$(cat "$cache/llama.cpp-READY")
else
  log "building llama.cpp"
  llama_bin=$("$root/bench/cpu/build_llama_cpp.sh" "$cache")
fi

# name:gguf pairs, prepared once and cached under $work
weights=()
if [[ ",$models," == *,smollm2,* ]]; then
  log "preparing SmolLM2-135M"
  q41=$("$root/scripts/prepare-default-model.sh" --gguf-only)
  q80="$work/smollm2.Q8_0.gguf"
  [ -f "$q80" ] || "$llama_bin/llama-quantize" --allow-requantize "$q41" "$q80" Q8_0 >/dev/null 2>&1
  weights+=("smollm2-q41:$q41" "smollm2-q80:$q80")
fi
if [[ ",$models," == *,llama1b,* ]]; then
  log "preparing the llama-3.2-1b shaped synthetic"
  src="$work/llama1b-bf16"
  if [ ! -f "$src/done" ]; then
    rm -rf "$src" "$work/llama3-tokenizer"
    mkdir -p "$work/llama3-tokenizer"
    tok="$shared/tokenizers/llama3_1"
    xz -dc "$tok/tokenizer.json.xz" > "$work/llama3-tokenizer/tokenizer.json"
    cp "$tok/tokenizer_config.json" "$work/llama3-tokenizer/"
    "$host" --log-level warn synth --like llama-3.2-1b --quant bf16 --seed 1 \
      --tokenizer "$work/llama3-tokenizer" --out "$src" >/dev/null
    touch "$src/done"
  fi
  bf16="$work/llama1b.BF16.gguf"
  [ -f "$bf16" ] || python3 "$root/bench/common/snapshot_to_gguf.py" "$src" "$bf16" --outtype bf16 >/dev/null
  for t in Q4_1 Q8_0; do
    f="$work/llama1b.$t.gguf"
    [ -f "$f" ] || "$llama_bin/llama-quantize" --pure "$bf16" "$f" "$t" >/dev/null 2>&1
  done
  weights+=("llama1b-q41:$work/llama1b.Q4_1.gguf" "llama1b-q80:$work/llama1b.Q8_0.gguf")
fi
for w in "${weights[@]}"; do
  name=${w%%:*} file=${w#*:}
  if [ ! -f "$work/$name/config.json" ]; then
    rm -rf "${work:?}/$name"
    "$host" --log-level warn convert --from-gguf "$file" --out "$work/$name" >&2
  fi
  # The roofline counts the smaller of the GGUF and its import (summarize.py).
  stat -c %s "$file" > "$work/$name.gguf-bytes"
done

# Roofline bandwidth: over a buffer the size of each weight set, measured right before
# that set's runs at each thread count (on a shared host the bandwidth drifts by tens of
# percent within minutes); the 64 MiB figure at the start is printed for reference.
log "memory read bandwidth"
"$build/bench/kernels/rmlx_kernels_bench" --bandwidth-only --bandwidth-mib 64 --threads "$threads" \
  > "$work/kernels.txt"
grep "read bandwidth" "$work/kernels.txt" >&2
bandwidth() {  # weights-name threads [file]: appends to FILE (default $work/bandwidth-NAME.txt)
  local mib=$(( $(du -cb "$work/$1"/*.safetensors | tail -1 | cut -f1) / 1048576 + 1 ))
  "$build/bench/kernels/rmlx_kernels_bench" --bandwidth-only --bandwidth-mib "$mib" \
    --threads "$2" --reps 3 | grep "read bandwidth" | tee -a "${3:-$work/bandwidth-$1.txt}" >&2
}
for w in "${weights[@]}"; do rm -f "$work/bandwidth-${w%%:*}.txt" "$work/window-${w%%:*}".*; done

results="$work/results.jsonl"
: > "$results"
run_llama() {  # weights-name gguf threads
  "$LLAMA_BENCH" -m "$2" -p 128,512 -n 64 -t "$3" -r "$reps" "${llama_load[@]}" -o jsonl 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    test = ("pp%d" % r["n_prompt"]) if r["n_prompt"] else ("tg%d" % r["n_gen"])
    best = max(r.get("samples_ts") or [r["avg_ts"]])  # rmlx bench reports its best run too
    print(json.dumps({"engine": "llama.cpp", "weights": sys.argv[1], "test": test,
                      "threads": r["n_threads"], "tok_s": best}))' "$1" >> "$results"
}
run_rmlx() {  # weights-name threads mode
  local flag=()
  [ "$3" = int8 ] && flag=(--int8-activations)
  "$host" --log-level warn bench --model "$work/$1" --prompt-tokens 128,512 --gen-tokens 64 \
    --thread-counts "$2" -r "$reps" --json "${flag[@]}" "${rmlx_load[@]}" |
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(json.dumps({"engine": "rmlx-" + sys.argv[2], "weights": sys.argv[1], "test": r["test"],
                      "threads": r["threads"], "tok_s": r["tok_s"]}))' "$1" "$3" >> "$results"
}
decode_window() {  # weights-name threads mode: one tg64 into $work/window-NAME.jsonl
  local flag=()
  [ "$3" = int8 ] && flag=(--int8-activations)
  "$host" --log-level warn bench --model "$work/$1" --prompt-tokens 8 --gen-tokens 64 \
    --thread-counts "$2" -r "$reps" --json "${flag[@]}" "${rmlx_load[@]}" |
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["test"].startswith("tg"):
        print(json.dumps({"engine": "rmlx-" + sys.argv[2], "weights": sys.argv[1], "test": r["test"],
                          "threads": r["threads"], "tok_s": r["tok_s"]}))' "$1" "$3" >> "$work/window-$1.jsonl"
}
export LLAMA_BENCH="$llama_bin/llama-bench"
# The same load for both engines (llama-bench's flag changed name across versions).
rmlx_load=() llama_load=()
llama_help=$("$LLAMA_BENCH" --help 2>&1 || true)
if [ "$load" = read ]; then
  rmlx_load=(--no-mmap)
  if [[ $llama_help == *--load-mode* ]]; then llama_load=(-lm none); else llama_load=(-mmp 0); fi
  load_text="rmlx --no-mmap (read into 2 MiB pages), llama.cpp ${llama_load[*]} (read into memory)"
else
  if [[ $llama_help == *--load-mode* ]]; then llama_load=(-lm mmap); else llama_load=(-mmp 1); fi
  load_text="rmlx mmap (the default), llama.cpp ${llama_load[*]}"
fi
log "weights loaded: $load_text"
flip=0
for w in "${weights[@]}"; do
  name=${w%%:*} file=${w#*:}
  for t in ${threads//,/ }; do
    bandwidth "$name" "$t"
    # alternate which engine goes first, so neither always gets the cooler machine
    if [ $flip = 0 ]; then
      log "llama.cpp $name, $t thread(s)"
      run_llama "$name" "$file" "$t"
    fi
    for mode in ${modes//,/ }; do
      log "rmlx $name ($mode activations), $t thread(s)"
      run_rmlx "$name" "$t" "$mode"
    done
    if [ $flip = 1 ]; then
      log "llama.cpp $name, $t thread(s)"
      run_llama "$name" "$file" "$t"
    fi
    flip=$((1 - flip))
    # The decode fraction again within ~15 s: the bandwidth, rmlx decode alone, the
    # bandwidth (the table's decode runs last in a minute-long run, and this host's
    # 2-thread bandwidth can jump by half within that). summarize.py prints both ends.
    mode=${modes##*,}
    log "decode window: rmlx $name ($mode activations), $t thread(s)"
    bandwidth "$name" "$t" "$work/window-$name.before"
    decode_window "$name" "$t" "$mode"
    bandwidth "$name" "$t" "$work/window-$name.after"
  done
done
echo "weights loaded: $load_text"
python3 "$root/bench/cpu/summarize.py" "$results" "$work/kernels.txt" "$work"
