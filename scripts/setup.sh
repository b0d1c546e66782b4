#!/usr/bin/env bash
# One step from a fresh Debian machine to a runnable server: installs the
# packages, builds rmlx into build/, and prepares the default model
# (SmolLM2-135M-Instruct, imported from its GGUF into an MLX snapshot) and the
# default embedding model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build"
if [ -x "$root/scripts/prepare-default-model.sh" ]; then
  RMLX_HOST="$root/build/bin/rmlx-host" "$root/scripts/prepare-default-model.sh"
fi
# The embedding model (all-MiniLM-L6-v2) beside it; optional (exit 3: no network).
"$root/scripts/prepare-embedding-model.sh" >/dev/null || [ $? -eq 3 ]
