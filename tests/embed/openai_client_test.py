"""The openai SDK against `rmlx-host serve` with all-MiniLM-L6-v2: 64 inputs
as floats, as base64 (the SDK decodes it) and shortened to 128 dimensions,
each compared with the float64 reference (golden.json); token-id inputs;
and malformed requests, each a 400 naming the field while the server keeps
serving.

  python3 openai_client_test.py RMLX_HOST MODEL_DIR GOLDEN_JSON

Exit 77 (skip) without the model or the openai package.
"""
import base64
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


def post(port, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/embeddings",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def cos(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def main():
    host, model, golden_path = sys.argv[1:4]
    if not os.path.exists(os.path.join(model, "model.safetensors")):
        print("all-MiniLM-L6-v2 not prepared")
        return 77
    try:
        import openai
    except ImportError:
        print("openai not installed")
        return 77
    golden = json.load(open(golden_path))["inputs"]
    rows = golden[:64]
    texts = [r["text"] for r in rows]
    port = free_port()
    server = subprocess.Popen([host, "serve", "--model", model, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                time.sleep(0.1)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none")
        mid = os.path.basename(os.path.normpath(model))

        r = client.embeddings.create(model=mid, input=texts, encoding_format="float")
        worst = min(cos(d.embedding, g["embedding"]) for d, g in zip(r.data, rows))
        check(len(r.data) == 64 and [d.index for d in r.data] == list(range(64)), "64 vectors in order")
        check(worst >= 0.99999, f"float: worst cosine vs reference {worst:.9f}")
        check(r.usage.prompt_tokens == sum(len(g["ids"]) for g in rows),
              f"usage.prompt_tokens {r.usage.prompt_tokens}")

        # Without encoding_format the SDK asks for base64 and decodes it itself.
        sdk = client.embeddings.create(model=mid, input=texts)
        check(all(x.embedding == y.embedding for x, y in zip(sdk.data, r.data)),
              "default (base64 decoded by the SDK) equals the float reply")
        b = client.embeddings.create(model=mid, input=texts, encoding_format="base64")
        same = all(np.array_equal(np.frombuffer(base64.b64decode(x.embedding), "<f4"),
                                  np.asarray(y.embedding, np.float32))
                   for x, y in zip(b.data, r.data))
        check(same, "encoding_format=base64: little-endian float32 equal to the float reply")

        d = client.embeddings.create(model=mid, input=texts, dimensions=128)
        worst_d = 1.0
        for x, g in zip(d.data, rows):
            ref = np.asarray(g["embedding"][:128])
            ref /= np.linalg.norm(ref)
            worst_d = min(worst_d, cos(x.embedding, ref))
        check(all(len(x.embedding) == 128 for x in d.data) and
              all(abs(np.linalg.norm(x.embedding) - 1) < 1e-5 for x in d.data),
              "dimensions=128: 128 values of unit length")
        check(worst_d >= 0.99999, f"dimensions=128: worst cosine vs reference {worst_d:.9f}")

        one = client.embeddings.create(model=mid, input=texts[9])
        check(one.data[0].embedding == r.data[9].embedding, "an input alone equals itself in the batch of 64")

        content_ids = rows[9]["ids"][1:-1]  # without [CLS]/[SEP]
        t = client.embeddings.create(model=mid, input=content_ids)
        check(t.data[0].embedding == r.data[9].embedding, "token ids give the text's vector")
        t2 = client.embeddings.create(model=mid, input=[content_ids, rows[10]["ids"][1:-1]])
        check(t2.data[1].embedding == r.data[10].embedding, "a list of token-id lists")

        bad = [
            ({"model": mid, "input": []}, "input"),
            ({"model": mid, "input": ["x"] * 10000}, "input"),
            ({"model": mid, "input": [101, 30522]}, "input[1]"),
            ({"model": mid, "input": [[1, 2], [3, -1]]}, "input[1][1]"),
            ({"model": mid, "input": ["a", 1]}, "input[1]"),
            ({"model": mid, "input": [[1, 2], "a"]}, "input[1]"),
            ({"model": mid, "input": [["a"]]}, "input[0][0]"),
            ({"model": mid, "input": "a", "dimensions": 0}, "dimensions"),
            ({"model": mid, "input": "a", "dimensions": 385}, "dimensions"),
            ({"model": mid, "input": "a", "encoding_format": "int8"}, "encoding_format"),
            ({"model": mid, "input": "word " * 1000, "truncate": False}, "input"),
            ({"model": mid}, "input"),
        ]
        for body, field in bad:
            status, reply = post(port, body)
            err = reply.get("error", {})
            check(status == 400 and err.get("param") == field,
                  f"400 param={field}: {status} {err.get('param')} {err.get('message', '')[:90]}")
        status, reply = post(port, {"model": mid, "input": "still serving"})
        check(status == 200 and len(reply["data"][0]["embedding"]) == 384, "still serving after the bad requests")
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
