"""Embedding throughput, side by side in one run: rmlx (rmlx_embed_bench),
a float32 numpy encoder standing in for sentence-transformers on the CPU
(numpy_baseline.py), and llama.cpp's llama-embedding when a GGUF of the same
snapshot exists. Inputs are the first --inputs texts of tests/embed/inputs.py
(1 to 256 tokens); every engine embeds each of them at least once per batch size.

  python3 bench/embed/run.py --bench build/bench/embed/rmlx_embed_bench \
      --model ~/.cache/rmlx/models/all-MiniLM-L6-v2 [--seconds 5] [--out result.json]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "embed"))
sys.path.insert(0, HERE)
from inputs import inputs  # noqa: E402


def numpy_rows(model, texts, seconds):
    from numpy_baseline import Float32Encoder
    enc = Float32Encoder(model)
    ids = [enc.ids(t) for t in texts]
    rows = []
    for b in (1, 64):
        enc.encode_batch(ids[:b])
        start = time.perf_counter()
        n_inputs = n_tokens = 0
        nxt = 0
        while True:
            req = [ids[(nxt + k) % len(ids)] for k in range(b)]
            nxt = (nxt + b) % len(ids)
            enc.encode_batch(req)
            n_inputs += b
            n_tokens += sum(len(r) for r in req)
            el = time.perf_counter() - start
            if el >= seconds and n_inputs >= len(ids):
                break
        rows.append({"engine": "numpy-f32 (sentence-transformers stand-in)", "batch": b,
                     "inputs_per_s": n_inputs / el, "tokens_per_s": n_tokens / el,
                     "mean_tokens": n_tokens / n_inputs, "seconds": el})
    return rows


def llama_rows(model_name):
    ready = os.path.expanduser("~/.cache/rmlx/llama.cpp-READY")
    if not os.path.exists(ready):
        return [], "llama.cpp not built (~/.cache/rmlx/llama.cpp-READY missing)"
    ggufs = glob.glob(os.path.expanduser(f"~/.cache/rmlx/gguf/{model_name}*.gguf"))
    if not ggufs:
        return [], ("no GGUF of the snapshot: llama.cpp's convert_hf_to_gguf.py needs torch, "
                    "which is not installable here")
    bindir = open(ready).read().strip()
    return [], f"llama-embedding found in {bindir} with {ggufs[0]}; not wired up"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--inputs", type=int, default=128, help="texts of tests/embed/inputs.py used")
    ap.add_argument("--out")
    a = ap.parse_args()
    # Both engines get the same threads (numpy through OpenBLAS).
    if a.threads > 0:
        os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    texts = [t.replace("\n", " ").replace("\r", " ") for t in inputs()][: a.inputs]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
        path = f.name
    rows = []
    out = subprocess.run([a.bench, a.model, path, "--batch", "1", "--batch", "64",
                          "--seconds", str(a.seconds), "--threads", str(a.threads)],
                         capture_output=True, text=True, check=True).stdout
    rows += [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    os.unlink(path)
    rows += numpy_rows(a.model, texts, a.seconds)
    lrows, note = llama_rows(os.path.basename(os.path.normpath(a.model)))
    rows += lrows
    print(f"{'engine':45s} {'batch':>5s} {'inputs/s':>10s} {'tokens/s':>10s}")
    for r in rows:
        print(f"{r['engine']:45s} {r['batch']:5d} {r['inputs_per_s']:10.1f} {r['tokens_per_s']:10.1f}")
    if note:
        print(f"llama.cpp: {note}")
    by = {(r["engine"], r["batch"]): r for r in rows}
    others = [r for r in rows if r["engine"] != "rmlx" and r["batch"] == 64]
    if ("rmlx", 64) in by and others:
        best = max(others, key=lambda r: r["inputs_per_s"])
        print(f"batch 64: rmlx / fastest other ({best['engine']}) = "
              f"{by[('rmlx', 64)]['inputs_per_s'] / best['inputs_per_s']:.2f}x")
    if a.out:
        json.dump({"rows": rows, "llama_cpp": note}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
