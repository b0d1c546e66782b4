#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds the example plugin
# against the installed SDK alone, and has the installed host load it.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
test -x "$work/prefix/bin/rmlx-host"
test -f "$work/prefix/include/rmlx/sdk/plugin.h"
test -f "$work/prefix/lib/cmake/RmlxSdk/RmlxSdkConfig.cmake"
test -f "$work/prefix/lib/rmlx/plugins/plugins.yaml"

cmake -S "$source_dir/docs/examples/kv-f32" -B "$work/example" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/example" > "$work/build.log"

out=$(env -u RMLX_PLUGIN_PATH "$work/prefix/bin/rmlx-host" --plugins "$work/example" list-plugins --check)
echo "$out"
# Every plugin, the example and the installed in-tree ones, must be OK.
echo "$out" | grep -E '^example-kv-f32 +kv_codec +f32 +1\.0\.0 .* OK$'
echo "$out" | grep -E '^kv-f16 +kv_codec +f16,bf16 .*/prefix/lib/rmlx/plugins/librmlx-kv-f16\.so +OK$'
if echo "$out" | tail -n +2 | grep -v ' OK$'; then
  echo "some plugins are not OK" >&2
  exit 1
fi
echo "install test: OK"
