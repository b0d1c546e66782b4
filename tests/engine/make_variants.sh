#!/usr/bin/env bash
# Prepares the SmolLM2 snapshots the golden gate runs on, under OUT_DIR:
#   q4    the lossless affine 4-bit import of the GGUF (the default model)
#   bf16  the GGUF dequantized to bfloat16
#   q3 q6 q8  mlx_lm.convert of bf16 to affine 3/6/8-bit (group 64)
# Usage: make_variants.sh RMLX_HOST SOURCE_DIR OUT_DIR   (exit 3: no network, 77: no mlx_lm)
set -euo pipefail
host=$1 src=$2 out=$3
mkdir -p "$out"
gguf=$("$src/scripts/prepare-default-model.sh" --gguf-only)
if [ ! -f "$out/q4/config.json" ]; then
  rm -rf "$out/q4"
  "$host" convert --from-gguf "$gguf" --out "$out/q4" >/dev/null
fi
if [ ! -f "$out/bf16/config.json" ]; then
  rm -rf "$out/bf16"
  "$host" convert --from-gguf "$gguf" --out "$out/bf16" --dequantize --dtype bf16 >/dev/null
fi
python3 -c "import mlx_lm" 2>/dev/null || exit 77
for bits in 3 6 8; do
  if [ ! -f "$out/q$bits/config.json" ]; then
    rm -rf "$out/q$bits"
    python3 -m mlx_lm convert --hf-path "$out/bf16" --mlx-path "$out/q$bits" -q --q-bits "$bits" --q-group-size 64 >/dev/null
  fi
done
