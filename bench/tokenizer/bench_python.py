#!/usr/bin/env python3
"""Single-threaded encode throughput of Python `tokenizers` on the same corpus.
Usage: bench_python.py TOKENIZER_JSON CORPUS_JSONL [REPEATS]
Run with RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false (run_bench.sh sets them).
Prints: load_s bytes tokens encode_s (best of REPEATS, encode_batch) MB_per_s."""
import json
import sys
import time

from tokenizers import Tokenizer


def main():
    path, corpus = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    texts = [json.loads(line) for line in open(corpus, encoding="utf-8") if line.strip()]
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    t0 = time.perf_counter()
    tok = Tokenizer.from_file(path)
    load_s = time.perf_counter() - t0
    best = 1e30
    tokens = 0
    for _ in range(repeats):
        a = time.perf_counter()
        enc = tok.encode_batch(texts, add_special_tokens=True)
        best = min(best, time.perf_counter() - a)
        tokens = sum(len(e.ids) for e in enc)
    print(f"load_s={load_s:.3f} bytes={nbytes} tokens={tokens} encode_s={best:.4f} MB_per_s={nbytes / best / 1e6:.2f}")


if __name__ == "__main__":
    main()
