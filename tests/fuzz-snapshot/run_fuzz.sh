#!/usr/bin/env bash
# Builds the snapshot fuzz targets with clang (libFuzzer + ASan + UBSan, the
# libraries instrumented too) and runs each for SECONDS seconds at low priority.
# Usage: run_fuzz.sh [SECONDS] [BUILD_DIR]   (default 600 s, build-fuzz-snapshot)
# Prints each target's final libFuzzer stats; crashes are left in BUILD_DIR/crashes.
set -euo pipefail
secs="${1:-600}"
root="${RMLX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
build="${2:-$root/build-fuzz-snapshot}"
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DRMLX_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" >/dev/null
ninja -C "$build" -j2 fuzz_safetensors fuzz_gguf
mkdir -p "$build/corpus/safetensors" "$build/corpus/gguf" "$build/crashes"
# Seeds: a small valid file of each format.
printf '\x4c\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}  12345678' \
  > "$build/corpus/safetensors/seed.safetensors"
printf 'GGUF\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00k.a\x04\x00\x00\x00\x07\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00w\x01\x00\x00\x00\x20\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' \
  > "$build/corpus/gguf/seed.gguf"
head -c 18 /dev/urandom >> "$build/corpus/gguf/seed.gguf"
for t in safetensors gguf; do
  (cd "$build/crashes" && nice -n 19 "$build/tests/fuzz-snapshot/fuzz_$t" "$build/corpus/$t" \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
    > "$build/fuzz_$t.log" 2>&1) &
done
wait
for t in safetensors gguf; do
  echo "== fuzz_$t"
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|ERROR|Done" "$build/fuzz_$t.log" || tail -5 "$build/fuzz_$t.log"
done
