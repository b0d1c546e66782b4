#!/usr/bin/env bash
# Every KV codec side by side on SmolLM2-135M: teacher-forced KL and top-1
# agreement against the f16 cache over 8 varied texts (licence prose, Python,
# C++, Markdown docs, research notes), bytes per token, decode tok/s at 1,024
# and 4,096 tokens of context.
#   bench/kv/run.sh [BUILD_DIR] [extra rmlx_kv_bench options]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
shift || true
shared=${RMLX_SHARED_DIR:-$root/../shared}
py=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
texts=(
  /usr/share/common-licenses/GPL-3
  /usr/share/common-licenses/Apache-2.0
  "$py/textwrap.py"
  "$py/json/decoder.py"
  "$root/kernels/cpu/src/attention.cpp"
  "$root/docs/api.md"
  "$shared/research/CACHE_AND_SPECULATION.md"
  "$shared/research/KERNELS.md"
)
args=()
for t in "${texts[@]}"; do args+=(--text "$t"); done
exec nice -n 10 "$build/bench/kv/rmlx_kv_bench" "${args[@]}" "$@"
