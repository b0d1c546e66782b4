#!/usr/bin/env bash
# The whole test suite: a Release build with every test, then an
# AddressSanitizer + UndefinedBehaviorSanitizer build running the unit tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${RMLX_JOBS:-2}
"$root/scripts/install-deps.sh" --test
# Both trees together take about 3 GB; say up front what the disk holds.
echo "== disk: $(df -h --output=avail "$root" | tail -1 | tr -d ' ') free at $root"

echo "== Release build"
RMLX_JOBS=$jobs "$root/scripts/build.sh" "$root/build"
# The model tests (label `model`) run on the default chat model and on the
# embedding model; both are cached under ~/.cache/rmlx (exit 3: no network,
# those tests then skip).
RMLX_HOST="$root/build/bin/rmlx-host" "$root/scripts/prepare-default-model.sh" >/dev/null || [ $? -eq 3 ]
"$root/scripts/prepare-embedding-model.sh" >/dev/null || [ $? -eq 3 ]
(cd "$root/build" && ctest -j "$jobs" --output-on-failure --timeout 900)
# The snapshots the Release tests converted (about 2 GB) are not used by the
# sanitizer stage: drop each whole, so their fixtures write them again.
find "$root/build/tests" "$root/build/models" -name '*.safetensors' -size +1M -printf '%h\0' 2>/dev/null |
  sort -zu | xargs -0r rm -rf

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
# -g1: line tables are all the sanitizers' stack traces need, at a quarter of
# the disk that full debug information takes.
RMLX_JOBS=$jobs RMLX_BUILD_TYPE=RelWithDebInfo "$root/scripts/build.sh" "$root/build-asan" -DRMLX_SANITIZE=ON -DRMLX_BUILD_BENCH=OFF \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
(cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest -j "$jobs" --output-on-failure --timeout 900 -LE 'slow|model|install|bench')
