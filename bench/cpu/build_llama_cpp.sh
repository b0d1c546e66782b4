#!/usr/bin/env bash
# Builds llama.cpp's llama-bench and llama-quantize (CPU) from the source in
# the llama-cpp-python sdist on PyPI. Cached: prints the bin folder.
# Usage: build_llama_cpp.sh [CACHE_DIR]
set -euo pipefail
cache=${1:-${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}}
version=0.3.36
dir="$cache/llama.cpp-$version"
if [ ! -x "$dir/build/bin/llama-bench" ]; then
  mkdir -p "$cache/sdist"
  sdist="$cache/sdist/llama_cpp_python-$version.tar.gz"
  [ -f "$sdist" ] || python3 -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$cache/sdist" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  tar -xzf "$sdist" -C "$dir" --strip-components=3 "llama_cpp_python-$version/vendor/llama.cpp"
  cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON >&2
  cmake --build "$dir/build" -j "$(nproc)" --target llama-bench llama-quantize llama-server >&2
fi
echo "$dir/build/bin"
