#!/usr/bin/env python3
"""Reference dequantization of every tensor of a GGUF file with the PyPI `gguf` package.

Usage: gguf_reference.py MODEL.gguf OUT.json
Writes {name: {"type": "Q4_1", "shape": [...], "sha256": sha256 of the float32 values}}.
Exit 77 (skip) when the gguf package or the file is missing.
"""
import hashlib
import json
import os
import sys

try:
    import numpy as np
    from gguf import GGUFReader
    from gguf.quants import dequantize
except ImportError:
    print("gguf/numpy not installed", file=sys.stderr)
    sys.exit(77)


def main():
    path, out = sys.argv[1], sys.argv[2]
    if not os.path.exists(path):
        print(f"{path} missing", file=sys.stderr)
        sys.exit(77)
    reader = GGUFReader(path)
    result = {}
    for t in reader.tensors:
        values = np.ascontiguousarray(dequantize(t.data, t.tensor_type).astype(np.float32, copy=False))
        shape = [int(d) for d in reversed(t.shape.tolist())]
        assert values.size == int(np.prod(shape)), t.name
        result[t.name] = {"type": t.tensor_type.name, "shape": shape,
                          "sha256": hashlib.sha256(values.tobytes()).hexdigest()}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
