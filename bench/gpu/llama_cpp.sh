#!/usr/bin/env bash
# llama.cpp's CUDA backend beside rmlx, from the source in the llama-cpp-python
# sdist (PyPI: llama-cpp-python 0.3.36, its vendor/llama.cpp).
#
#   llama_cpp.sh pack SDIST_OR_SRC_DIR OUT.tar.xz
#       the sdist's llama.cpp source without models/docs/tests/examples/other
#       GPU backends, the benches and a nested git pack (~4 MB), for a GPU machine
#       with no network
#   llama_cpp.sh build SRC.tar.xz DEST [JOBS]
#       llama-bench and llama-batched-bench, CUDA for sm_90a, flash attention
#       kernels, shared libraries; DEST/bin + DEST/lib (cached: skipped when built)
#   llama_cpp.sh bench DEST GGUF
#       one JSON line per measurement: B=1 decode (128 tokens), prefill of 2,048
#       tokens, aggregate decode of 1/8/32/128 sequences (32-token prompts, 64 new
#       tokens each); flash attention on, every layer on the GPU
set -euo pipefail
cmd=${1:-}
case "$cmd" in
  pack)
    src=$2 out=$3
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    if [ -f "$src" ]; then
      tar -xzf "$src" -C "$tmp" --strip-components=3 --wildcards '*/vendor/llama.cpp'
      src=$tmp
    fi
    tar -C "$src" -cJf "$out" --exclude=./build --exclude=./models --exclude=./docs \
      --exclude=./tests --exclude=./media --exclude=./examples --exclude=./tools/ui \
      --exclude=./tools/server/public --exclude=./ggml/src/ggml-vulkan \
      --exclude=./ggml/src/ggml-sycl --exclude=./ggml/src/ggml-metal \
      --exclude=./ggml/src/ggml-cann --exclude=./ggml/src/ggml-opencl \
      --exclude=./ggml/src/ggml-musa --exclude=./ggml/src/ggml-webgpu \
      --exclude=./ggml/src/ggml-hexagon --exclude=./benches --exclude='*.mp4' \
      --exclude=./vendor/llama.cpp .
    ls -l "$out"
    ;;
  build)
    tarball=$2 dest=$3 jobs=${4:-$(nproc)}
    if [ -x "$dest/bin/llama-bench" ] && [ -x "$dest/bin/llama-batched-bench" ]; then
      echo "llama.cpp: cached in $dest" >&2
      exit 0
    fi
    src=$dest/src
    rm -rf "$src" && mkdir -p "$src" "$dest/bin" "$dest/lib"
    tar -xJf "$tarball" -C "$src"
    cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
      -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90a -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
      -DLLAMA_BUILD_APP=OFF -DBUILD_SHARED_LIBS=ON >&2
    cmake --build "$src/build" -j "$jobs" --target llama-bench llama-batched-bench >&2
    cp "$src/build/bin/llama-bench" "$src/build/bin/llama-batched-bench" "$dest/bin/"
    find "$src/build" -name '*.so*' -exec cp -P {} "$dest/lib/" \;
    strip --strip-unneeded "$dest"/bin/* "$dest"/lib/*.so* 2>/dev/null || true
    rm -rf "$src"
    ;;
  bench)
    dest=$2 gguf=$3
    export LD_LIBRARY_PATH="$dest/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    name=$(basename "$gguf" .gguf)
    "$dest/bin/llama-bench" -m "$gguf" -ngl 99 -fa 1 -p 0 -n 128 -r 3 -o json 2>>"$dest/bench.log" |
      python3 -c "
import json, sys
r = json.load(sys.stdin)[0]
print(json.dumps({'mode': 'llama.cpp decode', 'model': '$name', 'sequences': 1, 'tok_s': r['avg_ts']}))"
    "$dest/bin/llama-bench" -m "$gguf" -ngl 99 -fa 1 -p 2048 -n 0 -r 2 -o json 2>>"$dest/bench.log" |
      python3 -c "
import json, sys
r = json.load(sys.stdin)[0]
print(json.dumps({'mode': 'llama.cpp prefill', 'model': '$name', 'tokens': 2048, 'tok_s': r['avg_ts']}))"
    "$dest/bin/llama-batched-bench" -m "$gguf" -ngl 99 -fa on -c 16384 -npp 32 -ntg 64 \
      -npl 1,8,32,128 --output-format jsonl 2>>"$dest/bench.log" | grep '^{' | python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(json.dumps({'mode': 'llama.cpp batch', 'model': '$name', 'sequences': r['pl'],
                      'tok_s': r['speed_tg']}))"
    ;;
  *)
    echo "usage: llama_cpp.sh pack|build|bench ..." >&2
    exit 2
    ;;
esac
