#!/usr/bin/env python3
"""Writes reference outputs of mlx (CPU) for the kernel tests into a folder.

Usage: mlx_refs.py OUT_DIR. Exits 77 (ctest skip) when mlx is not installed.
Every file is little-endian: a header of int64 values, then raw arrays in order.
"""
import os
import struct
import sys

try:
    import mlx.core as mx
    import numpy as np
    from mlx_lm.models.rope_utils import initialize_rope
except ImportError:
    print("mlx, mlx_lm or numpy not installed: skipping")
    sys.exit(77)

mx.set_default_device(mx.cpu)
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
DTYPES = {"f32": mx.float32, "f16": mx.float16, "bf16": mx.bfloat16}


def raw(a):
    """Bytes of an mlx array as stored (16-bit floats as their bit patterns)."""
    if a.dtype == mx.bfloat16:
        a = a.view(mx.uint16)
    return np.array(a).tobytes()


def write(name, header, arrays):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack("<%dq" % len(header), *header))
        for a in arrays:
            f.write(raw(a))


def affine(rng):
    for dname, dt in DTYPES.items():
        for bits in (2, 3, 4, 5, 6, 8):
            for g in (32, 64, 128):
                rows, cols = 7, g * 3
                w = rng.standard_normal((rows, cols)).astype(np.float32)
                w *= rng.uniform(0.01, 3.0, (rows, 1)).astype(np.float32)
                w[1, :] = np.abs(w[1, :])  # all positive rows: bias is the max
                w[2, :] = -np.abs(w[2, :])  # all negative rows
                w[3, :g] = 0.25  # constant group (scale clamps to eps)
                w[4, g:2 * g] += 5.0  # offset group: q0 far from zero
                wm = mx.array(w).astype(dt)
                q, s, b = mx.quantize(wm, group_size=g, bits=bits, mode="affine")
                d = mx.dequantize(q, s, b, group_size=g, bits=bits, mode="affine")
                write(f"affine_{dname}_b{bits}_g{g}.bin", [rows, cols], [wm, q, s, b, d])


def rms_norm(rng):
    for dims in (1, 7, 64, 257, 1024):
        n = 5
        x = rng.standard_normal((n, dims)).astype(np.float32) * 3
        w = rng.standard_normal(dims).astype(np.float32)
        for eps in (1e-5, 1e-6):
            y = mx.fast.rms_norm(mx.array(x), mx.array(w), eps)
            write(f"rmsnorm_d{dims}_e{int(round(-np.log10(eps)))}.bin", [n, dims],
                  [mx.array(x), mx.array(w), y])


def layer_norm(rng):
    for dims in (3, 64, 333):
        n = 4
        x = rng.standard_normal((n, dims)).astype(np.float32) + 1.5
        w = rng.standard_normal(dims).astype(np.float32)
        b = rng.standard_normal(dims).astype(np.float32)
        y = mx.fast.layer_norm(mx.array(x), mx.array(w), mx.array(b), 1e-5)
        write(f"layernorm_d{dims}.bin", [n, dims], [mx.array(x), mx.array(w), mx.array(b), y])


def rope(rng):
    """mlx_lm's rope modules (initialize_rope), applied token by token at random offsets."""
    # (name, head_dim, rotary_dim, base, scaling config or None, kind id)
    # kind ids: 0 none, 1 linear, 2 llama3, 3 yarn (rmlx::kernels::rope::Scaling).
    cases = [
        ("plain", 64, 64, 10000.0, None, 0),
        ("partial", 80, 32, 500000.0, None, 0),
        ("linear", 128, 128, 10000.0, {"type": "linear", "factor": 4.0}, 1),
        ("llama3", 64, 64, 500000.0, {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                      "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 8192}, 2),
        ("yarn", 64, 64, 10000.0, {"rope_type": "yarn", "factor": 4.0,
                                   "original_max_position_embeddings": 4096, "beta_fast": 32.0,
                                   "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 0.0}, 3),
    ]
    for name, hd, rd, base, cfg, kind in cases:
        for trad in (0, 1):
            module = initialize_rope(rd, base, bool(trad), cfg, 131072)
            n, heads = 6, 3
            x = rng.standard_normal((n, heads, hd)).astype(np.float32)
            pos = rng.integers(0, 20000, n).astype(np.int64)
            ys = []
            for i in range(n):
                xi = mx.array(x[i:i + 1]).transpose(1, 0, 2)  # [heads, 1, hd]
                y = module(xi, offset=int(pos[i]))
                ys.append(np.array(y.transpose(1, 0, 2)))
            y = mx.array(np.concatenate(ys, 0))
            c = cfg or {}
            params = np.array([base, c.get("factor", 1.0), c.get("low_freq_factor", 1.0),
                               c.get("high_freq_factor", 4.0),
                               c.get("original_max_position_embeddings", 0),
                               c.get("beta_fast", 32.0), c.get("beta_slow", 1.0),
                               c.get("mscale", 1.0), c.get("mscale_all_dim", 0.0)], np.float32)
            write(f"rope_{name}_t{trad}.bin", [n, heads, hd, rd, trad, kind],
                  [mx.array(pos), mx.array(params), mx.array(x), y])


def elementwise(rng):
    """mx.exp and mlx_lm's SwiGLU activation (nn.silu(gate) * up) over a wide range."""
    x = np.concatenate([rng.uniform(-100, 100, 4000), rng.standard_normal(4000) * 4,
                        np.array([0.0, -0.0, 88.0, -88.0, 88.5, -88.5, 1e-30, -1e-30])]).astype(np.float32)
    up = rng.standard_normal(x.size).astype(np.float32)
    import mlx.nn as nn
    xm, um = mx.array(x), mx.array(up)
    write("elementwise.bin", [x.size], [xm, um, mx.exp(xm), nn.silu(xm) * um])


def qmatmul(rng):
    """mx.quantized_matmul (x @ W.T) on float32 and bfloat16-scaled weights."""
    for bits, g, dname in ((4, 32, "f32"), (4, 64, "bf16"), (3, 64, "f16"), (8, 128, "f32"), (6, 32, "bf16")):
        dt = DTYPES[dname]
        rows, cols, n = 37, g * 9, 5
        w = mx.array(rng.standard_normal((rows, cols)).astype(np.float32) * 0.05).astype(dt)
        q, sc, bi = mx.quantize(w, group_size=g, bits=bits, mode="affine")
        x = mx.array(rng.standard_normal((n, cols)).astype(np.float32))
        # The model-in-float32 case: scales and biases upcast, float32 activations.
        y = mx.quantized_matmul(x, q, sc.astype(mx.float32), bi.astype(mx.float32), transpose=True,
                                group_size=g, bits=bits, mode="affine")
        write(f"qmm_b{bits}_g{g}_{dname}.bin", [rows, cols, n], [q, sc, bi, x, y])


def attention(rng):
    """mx.fast.scaled_dot_product_attention, causal, GQA: new rows at the end of the keys."""
    for name, heads, kvh, hd, total, n_new in (("prefill", 8, 2, 64, 37, 37), ("decode", 6, 3, 80, 50, 1),
                                               ("chunk", 4, 1, 32, 40, 9)):
        q = rng.standard_normal((1, heads, n_new, hd)).astype(np.float32)
        k = rng.standard_normal((1, kvh, total, hd)).astype(np.float32)
        v = rng.standard_normal((1, kvh, total, hd)).astype(np.float32)
        scale = 1.0 / np.sqrt(hd)
        o = mx.fast.scaled_dot_product_attention(mx.array(q), mx.array(k), mx.array(v), scale=scale,
                                                 mask="causal" if n_new > 1 else None)
        # Stored token-major as the kernels take them: q/out [n, heads, hd], k/v [total, kvh, hd].
        write(f"sdpa_{name}.bin", [heads, kvh, hd, total, n_new],
              [mx.array(q[0].transpose(1, 0, 2)), mx.array(k[0].transpose(1, 0, 2)),
               mx.array(v[0].transpose(1, 0, 2)), o[0].transpose(1, 0, 2)])


def main():
    rng = np.random.default_rng(1234)
    affine(rng)
    rms_norm(rng)
    layer_norm(rng)
    rope(rng)
    elementwise(rng)
    qmatmul(rng)
    attention(rng)
    with open(os.path.join(OUT, "DONE"), "w") as f:
        f.write(mx.__version__ + "\n")


main()
