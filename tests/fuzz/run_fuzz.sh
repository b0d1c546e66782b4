#!/usr/bin/env bash
# Builds the tokenizer and template fuzz targets with clang (libFuzzer + ASan + UBSan, the
# libraries instrumented too) and runs them one after another for SECONDS seconds each at low
# priority, from seeds written by make_seeds.py. Prints each target's final libFuzzer stats;
# crashes are left in BUILD_DIR/crashes.
# Usage: run_fuzz.sh [SECONDS] [BUILD_DIR]   (default 620 s, build-fuzz-tokenizer)
set -euo pipefail
secs="${1:-620}"
root="${RMLX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
build="${2:-$root/build-fuzz-tokenizer}"
shared="${RMLX_SHARED_DIR:-$root/../shared}"
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DRMLX_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" >/dev/null
ninja -C "$build" -j1 fuzz_tokenizer_load fuzz_tokenizer_encode fuzz_template_render
python3 "$root/tests/fuzz/make_seeds.py" "$root/tests/tokenizer/unit_cases.json" \
  "$shared/tokenizers" "$build/corpus"
mkdir -p "$build/crashes"
for t in tokenizer_load tokenizer_encode template_render; do
  case $t in
    tokenizer_load) dir=load ;;
    tokenizer_encode) dir=encode ;;
    template_render) dir=template ;;
  esac
  exe=$(find "$build" -name "fuzz_$t" -type f -perm -u+x | head -1)
  (cd "$build/crashes" && nice -n 15 "$exe" "$build/corpus/$dir" -max_total_time="$secs" \
    -max_len=16384 -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 >"$build/fuzz_$t.log" 2>&1) || true
  echo "== fuzz_$t"
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|ERROR|Done" \
    "$build/fuzz_$t.log" || tail -5 "$build/fuzz_$t.log"
done
