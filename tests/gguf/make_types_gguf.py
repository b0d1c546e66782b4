#!/usr/bin/env python3
"""Writes a GGUF file holding one tensor of random blocks for each ggml type the importer
dequantizes (block scales kept finite), for bit-exact comparison with `gguf.quants`.

Usage: make_types_gguf.py OUT.gguf   (then run gguf_reference.py on it)
Exit 77 (skip) when the gguf package is missing.
"""
import sys

try:
    import numpy as np
    from gguf import GGUFWriter, GGMLQuantizationType as T
    from gguf.constants import GGML_QUANT_SIZES
except ImportError:
    print("gguf/numpy not installed", file=sys.stderr)
    sys.exit(77)

# Byte offsets of the float16 scale fields inside each block.
HALF_FIELDS = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
               T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}


def random_half(rng, n):
    return (rng.standard_normal(n) * 0.01).astype(np.float16).view(np.uint8).reshape(n, 2)


def main():
    rng = np.random.default_rng(1234)
    w = GGUFWriter(sys.argv[1], "llama")
    rows, cols = 3, 512
    for t in [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q4_K, T.Q5_K, T.Q6_K]:
        block, size = GGML_QUANT_SIZES[t]
        n_blocks = rows * cols // block
        if t == T.F32:
            data = rng.standard_normal(rows * cols).astype(np.float32).view(np.uint8)
        elif t == T.F16:
            data = rng.standard_normal(rows * cols).astype(np.float16).view(np.uint8)
        elif t == T.BF16:
            f = rng.standard_normal(rows * cols).astype(np.float32)
            data = (f.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
        else:
            data = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
            for off in HALF_FIELDS[t]:
                data[:, off:off + 2] = random_half(rng, n_blocks)
        w.add_tensor(f"t.{t.name.lower()}", data.reshape(rows, -1), raw_dtype=t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
