#!/usr/bin/env bash
# Builds llama.cpp's llama-bench, llama-quantize, llama-server, llama-cli,
# llama-embedding and llama-batched-bench (CPU) from the source in the
# llama-cpp-python sdist on PyPI. Cached: prints the bin folder.
# Env: JOBS (default 1; the machine may be shared).
# Usage: build_llama_cpp.sh [CACHE_DIR]
set -euo pipefail
cache=${1:-${RMLX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmlx}}
version=0.3.36
dir="$cache/llama.cpp-$version"
if [ ! -x "$dir/build/bin/llama-server" ] || [ ! -x "$dir/build/bin/llama-embedding" ]; then
  mkdir -p "$cache/sdist"
  sdist="$cache/sdist/llama_cpp_python-$version.tar.gz"
  [ -f "$sdist" ] || python3 -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$cache/sdist" >&2
  if [ ! -f "$dir/CMakeLists.txt" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xzf "$sdist" -C "$dir" --strip-components=3 "llama_cpp_python-$version/vendor/llama.cpp"
  fi
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=ON \
    "${launcher[@]}" >&2
  nice -n 10 cmake --build "$dir/build" -j "${JOBS:-1}" --target llama-quantize llama-bench \
    llama-batched-bench llama-embedding llama-cli llama-server >&2
fi
# Others wait for this file: it names the bin folder once every target is built.
echo "$dir/build/bin" > "$cache/llama.cpp-READY"
echo "$dir/build/bin"
