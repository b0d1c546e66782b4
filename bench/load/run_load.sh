#!/usr/bin/env bash
# Builds rmlx-load next to the given rmlx-host build and runs it against the
# default model (or MODEL_DIR): 64 streaming clients for 120 s by default.
#   bench/load/run_load.sh BUILD_DIR [CLIENTS] [SECONDS] [MAX_TOKENS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_load.sh BUILD_DIR [CLIENTS] [SECONDS] [MAX_TOKENS]}
clients=${2:-64}
seconds=${3:-120}
max_tokens=${4:-64}
cache="${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}"
model=${MODEL_DIR:-$cache/models/SmolLM2-135M-Instruct}
mkdir -p "$build/bench"
g++ -O2 -std=c++20 -Wall -Wextra -Werror "$here/load_generator.cpp" -o "$build/bench/rmlx-load" \
  $(pkg-config --cflags --libs cpp-httplib) -lpthread
"$build/bench/rmlx-load" --server-bin "$build/bin/rmlx-host" --model "$model" \
  --clients "$clients" --seconds "$seconds" --max-tokens "$max_tokens" \
  --json "$build/bench/load-$clients-$seconds.json"
