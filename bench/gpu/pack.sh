#!/usr/bin/env bash
# bench/gpu/pack.sh BUILD_DIR DEST: copies what bench/gpu/run --prefix needs from a
# RMLX_CUDA=ON build (binaries, plugins, the op test) plus the shared libraries
# they link that a bare CUDA machine may lack (libs/, for LD_LIBRARY_PATH).
set -euo pipefail
build=$1 dest=$2
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib/rmlx/plugins" "$dest/tests" "$dest/libs"
cp "$build/bin/rmlx-host" "$build/bench/gpu/rmlx-gpu-check" "$build/bench/gpu/rmlx-gpu-kernels" "$dest/bin/"
cp "$build/tests/engine/rmlx_teacher_forced" "$dest/bin/"
cp "$build/tests/cuda/cuda_ops_test" "$dest/tests/"
# Only the plugins carried here, so the manifest names no missing library.
python3 - "$build/lib/rmlx/plugins/plugins.yaml" > "$dest/lib/rmlx/plugins/plugins.yaml" <<'PY'
import re, sys
keep = {"backend-cuda", "backend-cpu", "arch-llama", "quant-affine", "kv-f16"}
text = open(sys.argv[1]).read()
head, _, body = text.partition("plugins:\n")
entries = re.split(r"(?m)^(?=  - name: )", body)
print(head + "plugins:\n" + "".join(e for e in entries if re.match(r"  - name: (\S+)", e) and re.match(r"  - name: (\S+)", e).group(1) in keep), end="")
PY
for p in backend-cuda backend-cpu arch-llama quant-affine kv-f16; do
  cp "$build/lib/rmlx/plugins/librmlx-$p.so" "$dest/lib/rmlx/plugins/"
done
strip --strip-unneeded "$dest"/bin/* "$dest"/tests/* "$dest"/lib/rmlx/plugins/*.so
for f in "$dest"/bin/* "$dest"/tests/* "$dest"/lib/rmlx/plugins/*.so; do
  ldd "$f" | awk '/=> \// {print $3}'
done | sort -u | grep -Ev '/(libc|libm|libpthread|libdl|librt|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" "$dest/libs/"; done
du -sh "$dest"
