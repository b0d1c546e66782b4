#!/usr/bin/env bash
# The same load against llama.cpp's llama-server on the same weights (the
# SmolLM2 GGUF the default model is imported from): N parallel slots, one
# per client, then rmlx-load against it. Loopback only; the server is
# stopped at the end.
#   bench/load/run_llama_server.sh LLAMA_BIN_DIR RMLX_LOAD [CLIENTS] [SECONDS] [MAX_TOKENS]
set -euo pipefail
bin=${1:?usage: run_llama_server.sh LLAMA_BIN_DIR RMLX_LOAD [CLIENTS] [SECONDS] [MAX_TOKENS]}
load=${2:?usage: run_llama_server.sh LLAMA_BIN_DIR RMLX_LOAD [CLIENTS] [SECONDS] [MAX_TOKENS]}
clients=${3:-64}
seconds=${4:-120}
max_tokens=${5:-64}
cache="${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}"
gguf=${GGUF:-$cache/gguf/SmolLM2-135M-Instruct.Q4_1.gguf}
port=${PORT:-18081}
[ -f "$gguf" ] || { echo "no GGUF at $gguf (scripts/prepare-default-model.sh --gguf-only)" >&2; exit 1; }
# 512 tokens of context per slot: a prompt of ~40 tokens plus max_tokens.
"$bin/llama-server" -m "$gguf" --host 127.0.0.1 --port "$port" --parallel "$clients" \
  -c $((clients * 512)) --threads "$(nproc)" >/tmp/llama-server-load.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  kill -0 $pid 2>/dev/null || { cat /tmp/llama-server-load.log >&2; exit 1; }
  sleep 1
done
"$load" --port "$port" --pid "$pid" --model-name SmolLM2-135M-Instruct --clients "$clients" \
  --seconds "$seconds" --max-tokens "$max_tokens" --json "${JSON_OUT:-/dev/null}"
