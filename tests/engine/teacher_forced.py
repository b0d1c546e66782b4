#!/usr/bin/env python3
"""Teacher-forced logits: rmlx against mlx-lm (float32) on synthetic snapshots.

For each model shape and each MLX affine mode (bits x group size), writes a
synthetic snapshot with `rmlx-host synth --like SHAPE --layers L --vocab V
--quant affine:B:G` (L layers instead of the real count and V vocabulary rows
instead of 128k/152k keep a run short; hidden, head and MLP sizes are the real
model's), runs both engines over the same N token ids and compares the logits
of every position.

mlx-lm is slow on the CPU (about 30 s per mode here), so the ctest compares
against mlx's logits stored in golden/teacher_forced.npz, made by --write-golden.
For each mode and position it stores the 16 largest logits (ids and values),
the logits of 48 fixed vocabulary columns and the log-sum-exp of the row.
--live compares against a fresh mlx-lm run instead, over every logit.

Pass, per mode: max |rmlx - mlx| over the compared logits (and log-sum-exps)
<= TOL * max |mlx logit| (TOL 1e-3 by default), and rmlx's argmax equals
mlx's at >= 99% of positions (a near-tie may flip).

Usage: teacher_forced.py RMLX_HOST RMLX_TEACHER_FORCED WORK_DIR
           (--golden FILE | --write-golden FILE | --live)
           [--shapes qwen3-0.6b,llama-3.2-1b] [--bits 2,3,4,5,6,8] [--groups 32,64,128]
           [--layers 1] [--vocab 2048] [--positions 256] [--threads 2] [--tol 1e-3]
Exit 77 when numpy (or, to run mlx, mlx / mlx-lm) is not installed.
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

try:
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)


def make_snapshot(host, work: Path, shape, bits, group, layers, vocab):
    out = work / f"{shape}-l{layers}-v{vocab}-b{bits}-g{group}"
    if not (out / "done").exists():
        subprocess.run([host, "--log-level", "warn", "synth", "--like", shape, "--out", str(out),
                        "--quant", f"affine:{bits}:{group}", "--layers", str(layers),
                        "--vocab", str(vocab), "--seed", "7", "--tokenizer", str(work)],
                       check=True, stdout=subprocess.DEVNULL)
        (out / "done").write_text("")
    return out


def mlx_logits(snapshot: Path, ids):
    """mlx-lm's model in float32: its quantized layers swapped for float ones holding
    mx.dequantize of the same weights (float32 scales and biases); on the CPU this
    gives the same logits as the quantized layers in float32, in less time."""
    try:
        import mlx.core as mx
        import mlx.nn as nn
        from mlx.utils import tree_map, tree_unflatten
        from mlx_lm.utils import load_model
    except ImportError as e:  # pragma: no cover
        print(f"skipped: {e}")
        sys.exit(77)
    f32 = mx.float32
    model, _ = load_model(snapshot)
    swapped = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding)):
            w = mx.dequantize(m.weight, m.scales.astype(f32), m.biases.astype(f32), m.group_size,
                              m.bits)
            if isinstance(m, nn.QuantizedLinear):
                f = nn.Linear(w.shape[1], w.shape[0], bias="bias" in m)
                if "bias" in m:
                    f.bias = m.bias.astype(f32)
            else:
                f = nn.Embedding(w.shape[0], w.shape[1])
            f.weight = w
            swapped.append((name, f))
    model.update_modules(tree_unflatten(swapped))
    model.update(tree_map(lambda p: p.astype(f32) if p.dtype in (mx.float16, mx.bfloat16) else p,
                          model.parameters()))
    out = model(mx.array(ids)[None]).astype(f32)
    mx.eval(out)
    return np.array(out[0])


def rmlx_logits(tool, snapshot: Path, ids, threads, vocab, work: Path):
    path = work / "logits.f32"
    r = subprocess.run([tool, str(snapshot), ",".join(map(str, ids)), str(path),
                        "--threads", str(threads)], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"rmlx_teacher_forced failed on {snapshot}:\n{r.stderr}")
    a = np.fromfile(path, dtype=np.float32)
    return a.reshape(len(ids), vocab)


TOP, COLS = 16, 48


def summary(ref, cols):
    top = np.argsort(-ref, axis=-1)[:, :TOP].astype(np.int32)
    m = ref.max(-1, keepdims=True)
    return {"top_ids": top, "top_vals": np.take_along_axis(ref, top, -1),
            "col_vals": ref[:, cols], "lse": (m[:, 0] + np.log(np.exp(ref - m).sum(-1))),
            "max_abs": np.float32(np.abs(ref).max())}


def compare(got, ref):
    """(max |diff|, max |ref|, argmax agreement) against full logits or a summary."""
    if isinstance(ref, np.ndarray):
        return (float(np.abs(got - ref).max()), float(np.abs(ref).max()),
                float((got.argmax(-1) == ref.argmax(-1)).mean()))
    m = got.max(-1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(got - m).sum(-1))
    d = max(float(np.abs(np.take_along_axis(got, ref["top_ids"], -1) - ref["top_vals"]).max()),
            float(np.abs(got[:, ref["cols"]] - ref["col_vals"]).max()),
            float(np.abs(lse - ref["lse"]).max()))
    return d, float(ref["max_abs"]), float((got.argmax(-1) == ref["top_ids"][:, 0]).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("tool")
    ap.add_argument("work", type=Path)
    how = ap.add_mutually_exclusive_group(required=True)
    how.add_argument("--golden", type=Path)
    how.add_argument("--write-golden", type=Path)
    how.add_argument("--live", action="store_true")
    ap.add_argument("--shapes", default="qwen3-0.6b,llama-3.2-1b")
    ap.add_argument("--bits", default="2,3,4,5,6,8")
    ap.add_argument("--groups", default="32,64,128")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--positions", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--keep", action="store_true", help="keep the snapshots for the next run")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    golden = {}
    if a.golden:
        with np.load(a.golden) as g:
            golden = {k: g[k] for k in g.files}
        a.layers, a.vocab = int(golden["layers"]), int(golden["vocab"])
        ids = [int(x) for x in golden["ids"]]
        cols = golden["cols"]
        modes = sorted({k.rsplit("/", 1)[0] for k in golden if "/" in k})
    else:
        rng = np.random.default_rng(1234)
        ids = [int(x) for x in rng.integers(2, a.vocab, size=a.positions)]
        cols = np.sort(rng.choice(a.vocab, size=COLS, replace=False)).astype(np.int32)
        modes = [f"{s}/b{b}/g{g}" for b in a.bits.split(",") for g in a.groups.split(",")
                 for s in a.shapes.split(",")]
    out = {"layers": np.int32(a.layers), "vocab": np.int32(a.vocab),
           "ids": np.array(ids, np.int32), "cols": cols}
    failed = 0
    print(f"{'shape':<14} {'mode':<8} {'max|d|':>10} {'max|mlx|':>9} {'rel':>9} {'argmax':>7} {'s':>5}")
    for mode in modes:
        shape, b, g = mode.split("/")
        bits, group = int(b[1:]), int(g[1:])
        t0 = time.time()
        snap = make_snapshot(a.host, a.work, shape, bits, group, a.layers, a.vocab)
        if a.write_golden:
            for k, v in summary(mlx_logits(snap, ids), cols).items():
                out[f"{mode}/{k}"] = v
            np.savez_compressed(a.write_golden, **out)  # after each mode: slow runs may stop
            print(f"{shape:<14} {bits}b/g{group:<4} written {time.time() - t0:5.1f}", flush=True)
        else:
            if a.golden:
                ref = {k.rsplit("/", 1)[1]: v for k, v in golden.items() if k.startswith(mode + "/")}
                ref["cols"] = cols
            else:
                ref = mlx_logits(snap, ids)
            got = rmlx_logits(a.tool, snap, ids, a.threads, a.vocab, a.work)
            diff, scale, agree = compare(got, ref)
            rel = diff / scale
            ok = rel <= a.tol and agree >= 0.99 and bool(np.isfinite(got).all())
            failed += not ok
            print(f"{shape:<14} {bits}b/g{group:<4} {diff:10.3e} {scale:9.4f} {rel:9.2e} "
                  f"{agree:7.3f} {time.time() - t0:5.1f}{'' if ok else '  FAIL'}", flush=True)
        if not a.keep:
            for f in snap.iterdir():
                f.unlink()
            snap.rmdir()
    if a.write_golden:
        np.savez_compressed(a.write_golden, **out)
        print(f"wrote {a.write_golden}: {len(modes)} modes, {len(ids)} positions")
        return 0
    print(f"{len(modes) - failed}/{len(modes)} modes within {a.tol:g} x max|logit| over {len(ids)} "
          f"positions ({a.layers} layer(s), vocab cut to {a.vocab}, "
          f"{'every logit' if a.live else f'top-{TOP} + {COLS} columns + log-sum-exp per position'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
