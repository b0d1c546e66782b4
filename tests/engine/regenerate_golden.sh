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
# Teacher-forced logits of synthetic Qwen3/Llama-3 shaped snapshots, every affine mode
# (about 30 min: mlx-lm's quantized matmuls are slow on the CPU).
python3 "$here/teacher_forced.py" "$host" "$(dirname "$host")/../tests/engine/rmlx_teacher_forced" \
  "$dir/teacher_forced" --write-golden "$here/golden/teacher_forced.npz"
