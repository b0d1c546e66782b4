#!/usr/bin/env python3
"""Converts an MLX snapshot with `mlx_lm.convert` (bf16, and -q with 4 and 8 bits) and writes,
for each result, a manifest of every tensor as `mlx.core.load` reads it: shape, dtype
(safetensors spelling) and the sha256 of its bytes.

Usage: mlx_manifest.py SOURCE_SNAPSHOT OUT_DIR
Writes OUT_DIR/{bf16,q4,q8}/ and OUT_DIR/manifest.json. Exit 77 (skip) without mlx / mlx-lm.
"""
import hashlib
import glob
import json
import os
import shutil
import sys

try:
    import mlx.core as mx
    import numpy as np
    from mlx_lm import convert
except ImportError:
    print("mlx / mlx-lm not installed", file=sys.stderr)
    sys.exit(77)

DTYPES = {mx.float32: "F32", mx.float16: "F16", mx.bfloat16: "BF16", mx.uint32: "U32",
          mx.int32: "I32", mx.uint8: "U8", mx.int8: "I8", mx.uint16: "U16", mx.int16: "I16",
          mx.int64: "I64", mx.uint64: "U64", mx.bool_: "BOOL"}
VARIANTS = {"bf16": {}, "q4": {"quantize": True, "q_bits": 4, "q_group_size": 64},
            "q8": {"quantize": True, "q_bits": 8, "q_group_size": 64}}


def tensor_bytes(a):
    if a.dtype == mx.bfloat16:
        a = a.view(mx.uint16)
    return np.ascontiguousarray(np.array(a)).tobytes()


def main():
    src, out = sys.argv[1], sys.argv[2]
    if not os.path.exists(os.path.join(src, "config.json")):
        print(f"{src}: no snapshot", file=sys.stderr)
        sys.exit(77)
    manifest = {}
    for name, args in VARIANTS.items():
        dst = os.path.join(out, name)
        shutil.rmtree(dst, ignore_errors=True)
        convert(src, mlx_path=dst, dtype="bfloat16", **args)
        tensors = {}
        for f in sorted(glob.glob(os.path.join(dst, "*.safetensors"))):
            for k, v in mx.load(f).items():
                tensors[k] = {"shape": list(v.shape), "dtype": DTYPES[v.dtype],
                              "sha256": hashlib.sha256(tensor_bytes(v)).hexdigest(),
                              "file": os.path.basename(f)}
        manifest[name] = tensors
        print(f"{name}: {len(tensors)} tensors")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
