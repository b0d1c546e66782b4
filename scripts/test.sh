#!/usr/bin/env bash
# The whole test suite: a Release build with every test, then an
# AddressSanitizer + UndefinedBehaviorSanitizer build running the unit tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${RMLX_JOBS:-2}
"$root/scripts/install-deps.sh" --test

echo "== Release build"
RMLX_JOBS=$jobs "$root/scripts/build.sh" "$root/build"
# The model tests (label `model`) run on the default chat model and on the
# embedding model; both are cached under ~/.cache/rmlx (exit 3: no network,
# those tests then skip).
RMLX_HOST="$root/build/bin/rmlx-host" "$root/scripts/prepare-default-model.sh" >/dev/null || [ $? -eq 3 ]
"$root/scripts/prepare-embedding-model.sh" >/dev/null || [ $? -eq 3 ]
(cd "$root/build" && ctest -j "$jobs" --output-on-failure --timeout 900)

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
RMLX_JOBS=$jobs RMLX_BUILD_TYPE=RelWithDebInfo "$root/scripts/build.sh" "$root/build-asan" -DRMLX_SANITIZE=ON -DRMLX_BUILD_BENCH=OFF
(cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest -j "$jobs" --output-on-failure --timeout 900 -LE 'slow|model|install|bench')
