"""rmlx's /v1/embeddings against sentence-transformers itself (PyPI, PyTorch on
the CPU) on every golden input of golden.json (220 texts: empty, one word,
1,000 words truncated, CJK, emoji, code, mixed case ...), float32 weights.
Prints the worst and mean cosine; fails under 0.99999. Exits 77 (skipped)
when sentence-transformers or the model is missing: CI does not install torch.

  python3 st_compare.py RMLX_HOST MODEL_DIR GOLDEN_JSON [--python PY]
(--python, or $RMLX_ST_PYTHON: a python with sentence-transformers, such as a
venv; default: this one.)
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def st_vectors(texts, model, python):
    """sentence-transformers' vectors, from `python` (a venv may hold it)."""
    code = ("import json, sys\nfrom sentence_transformers import SentenceTransformer\n"
            "texts = json.load(sys.stdin)\n"
            "m = SentenceTransformer(sys.argv[1], device='cpu')\n"
            "v = m.encode(texts, batch_size=32, convert_to_numpy=True)\n"
            "json.dump({'vectors': v.tolist(), 'max_seq_length': m.max_seq_length}, sys.stdout)\n")
    r = subprocess.run([python, "-c", code, model], input=json.dumps(texts), capture_output=True,
                       text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1:] or ["failed"]
    return json.loads(r.stdout), None


def main():
    args = sys.argv[1:]
    python = os.environ.get("RMLX_ST_PYTHON") or sys.executable
    if "--python" in args:
        i = args.index("--python")
        python = args[i + 1]
        del args[i:i + 2]
    host, model, golden_path = args[:3]
    if not os.path.exists(os.path.join(model, "model.safetensors")):
        print("all-MiniLM-L6-v2 not prepared")
        return 77
    texts = [r["text"] for r in json.load(open(golden_path))["inputs"]]
    ref, err = st_vectors(texts, model, python)
    if ref is None:
        print(f"sentence-transformers unavailable with {python}: {err[0]}")
        return 77
    port = free_port()
    server = subprocess.Popen([host, "serve", "--model", model, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                time.sleep(0.1)
        body = {"model": os.path.basename(os.path.normpath(model)), "input": texts,
                "encoding_format": "float"}
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/embeddings",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            got = np.array([d["embedding"] for d in json.load(r)["data"]], dtype=np.float64)
    finally:
        server.terminate()
        server.wait()
    want = np.array(ref["vectors"], dtype=np.float64)
    cos = (got * want).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
    worst = int(cos.argmin())
    print(f"{len(texts)} golden inputs (sentence-transformers max_seq_length "
          f"{ref['max_seq_length']}): worst cosine {cos.min():.9f} (input {worst}: "
          f"{texts[worst][:40]!r}), mean {cos.mean():.9f}")
    return 0 if cos.min() >= 0.99999 else 1


if __name__ == "__main__":
    sys.exit(main())
