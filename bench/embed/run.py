"""Embedding throughput, side by side in one run, at the same thread counts:

  rmlx                   rmlx_embed_bench on the snapshot (float32 weights)
  sentence-transformers  PyPI, PyTorch on the CPU, the same snapshot
  llama.cpp              llama-embedding on a GGUF that llama.cpp's own
                         convert_hf_to_gguf.py made from the same snapshot
                         (--outtype f32: float32 weights, like for like)

For each thread count and batch size the three engines run one after the
other (interleaved, so a loaded machine slows all of them alike). The texts
are the texts of tests/embed/inputs.py (but the empty ones and those with a
word of over 100 characters), cut where the model's 256
tokens end so every engine embeds the same tokens. Every engine is timed
text in, vector out, with the model already loaded:
rmlx and sentence-transformers in-process over requests of `batch` texts
for at least --seconds; llama-embedding (one process per request: its input
is a file) from its first batch_decode to its end, both read from its own log
timestamps, so loading the model is not counted.

The last column is the worst and the mean cosine of each engine's vectors
against sentence-transformers' over all the texts.

  python3 bench/embed/run.py --bench build/bench/embed/rmlx_embed_bench \
      --model ~/.cache/rmlx/models/all-MiniLM-L6-v2 [--threads 1,2] [--batches 1,64]
"""
import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "embed"))
from inputs import inputs  # noqa: E402

MAX_TOKENS = 256


def bench_texts(model, count):
    """Non-empty texts, one line each, cut to the model's 256 tokens."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
    tok.no_truncation()
    out = []
    for t in inputs():
        t = " ".join(t.replace("\r", " ").replace("\n", " ").split())
        # Empty texts, and words past WordPiece's 100 characters (one [UNK] for
        # HF, hundreds of pieces past the 512 positions for llama.cpp's
        # tokenizer, which then aborts), are left to the accuracy tests.
        if not t or max(len(w) for w in t.split()) > 100:
            continue
        enc = tok.encode(t, add_special_tokens=False)
        if len(enc.ids) > MAX_TOKENS - 2:
            t = t[: enc.offsets[MAX_TOKENS - 3][1]]
        out.append(t)
        if len(out) == count:
            break
    return out


def st_python(arg):
    """A python that imports sentence_transformers with a working torch."""
    for py in ([arg] if arg else []) + [sys.executable,
                                         os.path.expanduser("~/.cache/rmlx/st-venv/bin/python")]:
        if py and shutil.which(py) and subprocess.run(
                [py, "-c", "import torch, sentence_transformers; torch.ones(1)"],
                capture_output=True).returncode == 0:
            return py
    return None


def stamp(line):
    # llama.cpp log time: minutes.seconds.milliseconds.microseconds
    m = re.match(r"\s*(\d+)\.(\d+)\.(\d+)\.(\d+) ", line)
    if not m:
        return None
    mi, s, ms, us = (int(g) for g in m.groups())
    return mi * 60 + s + ms / 1e3 + us / 1e6


def llama_request(binary, gguf, texts, threads):
    """One llama-embedding process over `texts`; returns (seconds, tokens, vectors)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(texts))
        path = f.name
    ctx = max(512, 256 * math.ceil(len(texts) * MAX_TOKENS / 256))
    ctx = min(ctx, 65536)
    try:
        p = subprocess.run([binary, "-m", gguf, "-f", path, "-t", str(threads), "-tb", str(threads),
                            "-c", str(ctx), "-b", str(ctx), "-ub", str(ctx), "-v",
                            "--embd-output-format", "json"],
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    if p.returncode != 0:
        raise RuntimeError(f"llama-embedding failed: {p.stderr[-500:]}")
    start = end = None
    tokens = 0
    for line in p.stderr.splitlines():
        if "batch_decode: n_tokens" in line:
            tokens += int(re.search(r"n_tokens = (\d+)", line).group(1))
            if start is None:
                start = stamp(line)
        if "llama_perf_context_print:" in line and "load time" in line:
            end = stamp(line)
    if start is None or end is None:
        raise RuntimeError("llama-embedding: no batch_decode / perf lines in its log")
    vecs = [d["embedding"] for d in json.loads(p.stdout)["data"]]
    if len(vecs) != len(texts):
        raise RuntimeError(f"llama-embedding returned {len(vecs)} vectors for {len(texts)} texts")
    return end - start, tokens, vecs


def llama_row(binary, gguf, texts, batch, threads, seconds):
    el = 0.0
    n_in = n_tok = 0
    nxt = 0
    vecs = [None] * len(texts)
    while el < seconds or n_in < len(texts):
        idx = [(nxt + k) % len(texts) for k in range(batch)]
        nxt = (nxt + batch) % len(texts)
        s, t, v = llama_request(binary, gguf, [texts[i] for i in idx], threads)
        for i, vec in zip(idx, v):
            vecs[i] = vec
        el += s
        n_in += batch
        n_tok += t
    return {"engine": "llama.cpp", "batch": batch, "inputs_per_s": n_in / el,
            "tokens_per_s": n_tok / el, "mean_tokens": n_tok / n_in, "seconds": el}, vecs


def worst_cosine(a, b):
    import numpy as np
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(cos.min()), float(cos.mean())


def json_lines(out):
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="rmlx_embed_bench")
    ap.add_argument("--model", required=True)
    ap.add_argument("--gguf", help="default: ~/.cache/rmlx/gguf/<model>.f32.gguf (made if missing)")
    ap.add_argument("--llama-bin", help="default: the folder in ~/.cache/rmlx/llama.cpp-READY")
    ap.add_argument("--st-python", help="a python with sentence-transformers (default: this one, "
                    "else ~/.cache/rmlx/st-venv/bin/python)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--inputs", type=int, default=128)
    ap.add_argument("--out")
    a = ap.parse_args()
    model = os.path.abspath(os.path.expanduser(a.model))
    name = os.path.basename(os.path.normpath(model))
    texts = bench_texts(model, a.inputs)
    tmp = tempfile.mkdtemp(prefix="rmlx-embed-bench-")
    tfile = os.path.join(tmp, "texts.txt")
    with open(tfile, "w", encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
    notes = []

    py = st_python(a.st_python)
    if py is None:
        notes.append("sentence-transformers: no python with torch + sentence_transformers "
                     "(pip install sentence-transformers, or --st-python)")

    llama_bin = a.llama_bin
    ready = os.path.expanduser("~/.cache/rmlx/llama.cpp-READY")
    if llama_bin is None and os.path.exists(ready):
        llama_bin = open(ready).read().strip()
    embedding = os.path.join(llama_bin, "llama-embedding") if llama_bin else None
    gguf = os.path.expanduser(a.gguf or f"~/.cache/rmlx/gguf/{name}.f32.gguf")
    if embedding and os.path.exists(embedding) and not os.path.exists(gguf):
        src = os.path.dirname(os.path.dirname(llama_bin.rstrip("/")))
        conv = os.path.join(src, "convert_hf_to_gguf.py")
        os.makedirs(os.path.dirname(gguf), exist_ok=True)
        r = subprocess.run([py or sys.executable, conv, model, "--outtype", "f32", "--outfile", gguf],
                           env={**os.environ, "PYTHONPATH": os.path.join(src, "gguf-py")},
                           capture_output=True, text=True)
        if r.returncode != 0:
            notes.append(f"llama.cpp: convert_hf_to_gguf.py failed: {r.stderr.strip()[-300:]}")
    if not (embedding and os.path.exists(embedding)):
        notes.append("llama.cpp: llama-embedding not built (bench/cpu/build_llama_cpp.sh)")
        embedding = None
    elif not os.path.exists(gguf):
        embedding = None

    load0 = os.getloadavg()
    rows = []
    vectors = {}
    for threads in [int(t) for t in a.threads.split(",")]:
        for batch in [int(b) for b in a.batches.split(",")]:
            dump = os.path.join(tmp, "rmlx.json")
            out = subprocess.run([a.bench, model, tfile, "--batch", str(batch), "--threads",
                                  str(threads), "--seconds", str(a.seconds), "--dump", dump],
                                 capture_output=True, text=True, check=True).stdout
            for r in json_lines(out):
                rows.append({**r, "threads": threads})
            vectors.setdefault("rmlx", json.load(open(dump)))
            if py:
                dump = os.path.join(tmp, "st.json")
                r = subprocess.run([py, os.path.join(HERE, "st_bench.py"), model, tfile,
                                    "--batch", str(batch), "--threads", str(threads),
                                    "--seconds", str(a.seconds), "--dump", dump],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    notes.append(f"sentence-transformers failed: {r.stderr.strip()[-300:]}")
                    py = None
                else:
                    for row in json_lines(r.stdout):
                        rows.append({**row, "threads": threads})
                    vectors.setdefault("sentence-transformers", json.load(open(dump)))
            if embedding:
                row, vecs = llama_row(embedding, gguf, texts, batch, threads, a.seconds)
                rows.append({**row, "threads": threads})
                vectors.setdefault("llama.cpp", vecs)
    load1 = os.getloadavg()
    shutil.rmtree(tmp, ignore_errors=True)

    ref = vectors.get("sentence-transformers")
    cosines = {e: worst_cosine(v, ref) for e, v in vectors.items()} if ref else {}
    n_tok = sum(r["mean_tokens"] for r in rows[:1])
    print(f"model {name}: {len(texts)} texts, {n_tok:.1f} tokens each on average (special tokens "
          f"included); CPU {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    if embedding:
        print(f"llama.cpp: {embedding} on {gguf} (float32 GGUF from convert_hf_to_gguf.py)")
    print(f"load average {load0[0]:.2f} at the start, {load1[0]:.2f} at the end")
    print(f"{'engine':24s} {'threads':>7s} {'batch':>5s} {'inputs/s':>10s} {'tokens/s':>10s} "
          f"{'cosine vs ST: worst / mean':>27s}")
    for r in rows:
        c = cosines.get(r["engine"])
        cs = f"{c[0]:.9f} / {c[1]:.9f}" if c is not None else "-"
        print(f"{r['engine']:24s} {r['threads']:7d} {r['batch']:5d} {r['inputs_per_s']:10.1f} "
              f"{r['tokens_per_s']:10.1f} {cs:>27s}")
    for threads in sorted({r["threads"] for r in rows}):
        for batch in sorted({r["batch"] for r in rows}):
            cell = [r for r in rows if r["threads"] == threads and r["batch"] == batch]
            mine = [r for r in cell if r["engine"] == "rmlx"]
            others = [r for r in cell if r["engine"] != "rmlx"]
            if mine and others:
                best = max(others, key=lambda r: r["inputs_per_s"])
                print(f"threads {threads} batch {batch}: rmlx / fastest other ({best['engine']}) = "
                      f"{mine[0]['inputs_per_s'] / best['inputs_per_s']:.2f}x")
    for n in notes:
        print(n)
    if a.out:
        json.dump({"rows": rows, "worst_cosine_vs_st": cosines, "load": [load0, load1],
                   "notes": notes}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
