#!/usr/bin/env python3
"""Teacher-forced logits of two backends (the CPU backend as the reference) on synthetic snapshots.

For each shape and mode, writes a snapshot with `rmlx-host synth` (full hidden, head and MLP
sizes; --layers and --vocab cut the depth and the vocabulary to keep a run short), runs
rmlx_teacher_forced with each backend over the same token ids and compares the logits of every
position: max |test - ref| / max |ref| and argmax agreement (outside positions whose top two
reference logits are within 2 * tol * max |ref|, which count as ties).

Usage: compare_backends.py RMLX_HOST RMLX_TEACHER_FORCED WORK_DIR [--backend cuda]
           [--shapes llama-3.2-1b,qwen3-0.6b] [--quants bf16,affine:4:64,affine:8:64]
           [--layers 4] [--vocab 8192] [--positions 256] [--chunk 512] [--tol 1e-2]
           [--min-argmax 0.99]
Exit status 1 when a mode is outside the tolerance.
"""
import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np


def snapshot(host, work: Path, shape, quant, layers, vocab):
    out = work / f"{shape}-{quant.replace(':', '_')}-l{layers}-v{vocab}"
    if not (out / "done").exists():
        cmd = [host, "--log-level", "warn", "synth", "--like", shape, "--out", str(out),
               "--layers", str(layers), "--vocab", str(vocab), "--seed", "11"]
        if quant != "bf16":
            cmd += ["--quant", quant]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        (out / "done").write_text("")
    return out


def logits(tf, model: Path, ids, backend, out: Path, vocab, chunk):
    subprocess.run([tf, str(model), ",".join(map(str, ids)), str(out), "--backend", backend,
                    "--chunk", str(chunk)], check=True)
    return np.fromfile(out, dtype=np.float32).reshape(len(ids), vocab)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("tf")
    ap.add_argument("work", type=Path)
    ap.add_argument("--backend", default="cuda")
    ap.add_argument("--shapes", default="llama-3.2-1b,qwen3-0.6b")
    ap.add_argument("--quants", default="bf16,affine:4:64,affine:8:64")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--positions", type=int, default=256)
    ap.add_argument("--chunk", type=int, default=512,
                    help="prefill chunk: rows per forward pass (a backend may pick kernels by it)")
    ap.add_argument("--tol", type=float, default=1e-2)
    ap.add_argument("--min-argmax", type=float, default=0.99)
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    ids = np.random.default_rng(5).integers(10, a.vocab, a.positions).tolist()
    bad = 0
    # A position whose reference top two logits lie within 2 * tol * max |logit| of each
    # other is a tie at the stated tolerance: either order is within it, so argmax
    # agreement is counted over the other positions (ties are listed).
    print("| shape | quant | positions | max abs diff / max abs logit | argmax agreement "
          "(outside ties) | ok | ties |")
    print("|---|---|---:|---:|---:|---|---:|")
    for shape in a.shapes.split(","):
        for quant in a.quants.split(","):
            snap = snapshot(a.host, a.work, shape, quant, a.layers, a.vocab)
            ref = logits(a.tf, snap, ids, "cpu", a.work / "ref.f32", a.vocab, a.chunk)
            got = logits(a.tf, snap, ids, a.backend, a.work / "got.f32", a.vocab, a.chunk)
            scale = float(np.abs(ref).max())
            rel = float(np.abs(got - ref).max() / scale)
            top2 = np.sort(ref, axis=1)[:, -2:]
            clear = (top2[:, 1] - top2[:, 0]) > 2 * a.tol * scale
            same = got.argmax(1) == ref.argmax(1)
            agree = float(same[clear].mean()) if clear.any() else 1.0
            ok = rel <= a.tol and agree >= a.min_argmax
            bad += not ok
            ties = int((~clear).sum())
            print(f"| {shape} | {quant} | {len(ids)} | {rel:.2e} | {agree:.4f} | {ok} | "
                  f"{ties} ({int((~same[~clear]).sum())} ordered differently) |", flush=True)
    print(f"{a.backend} vs cpu: {bad} mode(s) outside max-rel {a.tol} / argmax {a.min_argmax}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
