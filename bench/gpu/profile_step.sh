#!/usr/bin/env bash
# bench/gpu/profile_step.sh PREFIX [SHAPE:QUANT ...]: where a B=1 decode step's time goes.
# For each synthetic snapshot (default llama-3.2-1b and llama-3.1-8b, affine 4-bit g64) it
# runs rmlx-gpu-check decode under RMLX_CUDA_PROFILE (plugins/backend-cuda/cuda_profile.h):
#   ops    decode steps op by op, each op timed with CUDA events (table: op, launches and
#          microseconds per step);
#   graph  decode steps replayed as CUDA graphs: device time per step against wall time
#          per token (the difference is the host's gap);
# each once as before this work (RMLX_CUDA_FUSE=0 RMLX_CUDA_SAMPLING=0 RMLX_CUDA_PDL=0:
# unfused small ops, logits copied to the host and sampled there, plain launches), once as
# now without programmatic dependent launch (graph only) and once as now; then plain tok/s.
# PREFIX is a tree made by bench/gpu/pack.sh. Snapshots go to $RMLX_GPU_WORK (/tmp default).
set -uo pipefail
prefix=$1
shift
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(llama-3.2-1b:affine:4:64 llama-3.1-8b:affine:4:64)
work=${RMLX_GPU_WORK:-/tmp/rmlx-gpu-models}
export LD_LIBRARY_PATH="$prefix/libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$work"
check="$prefix/bin/rmlx-gpu-check"
tokens=${PROFILE_TOKENS:-64}
for m in "${models[@]}"; do
  shape=${m%%:*} quant=${m#*:}
  dir="$work/$shape-${quant//:/-}"
  [ -f "$dir/config.json" ] || "$prefix/bin/rmlx-host" synth --like "$shape" --quant "$quant" \
    --out "$dir" >/dev/null 2>&1 || { echo "synth $m failed"; continue; }
  for setting in before now-without-pdl now; do
    case $setting in
      before) env_set="RMLX_CUDA_FUSE=0 RMLX_CUDA_SAMPLING=0 RMLX_CUDA_PDL=0" ;;
      now-without-pdl) env_set="RMLX_CUDA_PDL=0" ;;
      *) env_set="RMLX_CUDA_PDL=1" ;;
    esac
    modes="ops graph"
    [ $setting = now-without-pdl ] && modes=graph
    for mode in $modes; do
      echo "### $shape $quant, $setting, RMLX_CUDA_PROFILE=$mode"
      env $env_set RMLX_CUDA_PROFILE=$mode "$check" decode "$dir" cuda "$tokens" 2>&1 |
        grep -v '^\[' | grep -v '^{'
    done
    echo "### $shape $quant, $setting, tok/s: $(env $env_set "$check" decode "$dir" cuda 128 | grep '^{')"
  done
done
