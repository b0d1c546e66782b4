#!/usr/bin/env bash
# Regenerates golden/smollm2_<variant>.json with mlx-lm (float32, greedy).
# Usage: regenerate_golden.sh RMLX_HOST [VARIANTS_DIR]   (slow: minutes per variant on a CPU)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
host=$1 dir=${2:-$(mktemp -d)}
"$here/make_variants.sh" "$host" "$here/../.." "$dir"
for v in q4 bf16 q3 q6 q8; do
  python3 "$here/mlx_greedy.py" "$dir/$v" "$here/prompts.json" "$here/golden/smollm2_$v.json" 64
done
