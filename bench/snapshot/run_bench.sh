#!/usr/bin/env bash
# Time from process start to ready for a ~5 GB synthetic snapshot (llama-3.1-8b shape,
# affine 4-bit g32), cold and warm page cache, and resident memory after load.
# Usage: run_bench.sh BUILD_DIR [SNAPSHOT_DIR]
#   BUILD_DIR has bin/rmlx-host (to synthesize once) and bench/snapshot/snapshot_load_bench.
# Cold runs need `echo 1 > /proc/sys/vm/drop_caches` (root); otherwise they are reported as skipped.
set -euo pipefail
build="$1"
snap="${2:-${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}/bench/llama-3.1-8b-affine4g32}"
bench="$build/bench/snapshot/snapshot_load_bench"
if [ ! -f "$snap/config.json" ]; then
  "${RMLX_HOST:-$build/bin/rmlx-host}" synth --like llama-3.1-8b --quant affine:4:32 --seed 1 --out "$snap"
fi
du -sh "$snap"
now_ms() { date +%s%3N; }
run() {  # label, args...
  local label="$1"; shift
  local t0; t0=$(now_ms)
  local out; out=$("$bench" "$snap" "$@")
  local t1; t1=$(now_ms)
  echo "[$label] process start to ready: $((t1 - t0)) ms"
  echo "$out" | sed 's/^/    /'
}
drop() { sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null; }
if drop; then
  run "cold, open" ; drop
  run "cold, open + touch every page" --touch
else
  echo "[cold] skipped: cannot write /proc/sys/vm/drop_caches (not permitted here)"
fi
"$bench" "$snap" --touch >/dev/null   # warm the page cache
run "warm, open"
run "warm, open + touch every page" --touch
