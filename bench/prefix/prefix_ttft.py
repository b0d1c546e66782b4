#!/usr/bin/env python3
"""Prefix-cache time to first token: cold against warm.

Starts rmlx-host on a model (loopback, a free port), then for each of
--rounds fresh ~1,000-token system prompts sends two streaming chat requests
that share it: the first is cold (nothing cached), the second asks another
question and should find the system prompt's blocks in the prefix cache.
Prints, per round and as medians, the time to first token of each and the
share of the warm prompt reported as cached (usage.prompt_tokens_details).

    bench/prefix/prefix_ttft.py build/bin/rmlx-host [--model DIR] [--rounds 5]
"""
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time


def default_model():
    root = os.environ.get("RMLX_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rmlx")
    return os.path.join(root, "models", "SmolLM2-135M-Instruct")


def system_prompt(tag):
    lines = [f"You are the archivist of library {tag}. The catalogue follows."]
    lines += [f"Shelf {i} holds volumes on rivers, bridges and old maps." for i in range(90)]
    return "\n".join(lines) + "\n"


def stream_chat(port, model, system, question):
    """Returns (seconds to the first streamed token, usage)."""
    body = json.dumps({"model": model, "stream": True, "max_tokens": 8, "temperature": 0,
                       "stream_options": {"include_usage": True},
                       "messages": [{"role": "system", "content": system},
                                    {"role": "user", "content": question}]})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"status {resp.status}: {resp.read()[:300]!r}")
    ttft, usage = None, None
    for raw in resp:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk.get("choices", []):
            if ttft is None and choice.get("delta", {}).get("content"):
                ttft = time.perf_counter() - start
    conn.close()
    if ttft is None or usage is None:
        raise RuntimeError("the stream ended without a token or without usage")
    return ttft, usage


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host_bin")
    ap.add_argument("--model", default=default_model())
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if not os.path.isfile(os.path.join(args.model, "config.json")):
        sys.exit(f"no model at {args.model} (run scripts/prepare-default-model.sh)")
    name = os.path.basename(os.path.normpath(args.model))
    server = subprocess.Popen([args.host_bin, "serve", "--port", "0", "--model", args.model,
                               "--threads", str(args.threads), "--max-batch", "2",
                               "--max-model-len", "2048"],
                              stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in server.stderr:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            sys.exit("rmlx-host did not start")
        # Drain the log so the server never blocks on a full pipe.
        import threading
        threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
        stream_chat(port, name, system_prompt("warm-up"), "Hello?")  # loads the model
        cold, warm, shares = [], [], []
        print(f"{'round':>5} {'prompt':>6} {'cold TTFT ms':>12} {'warm TTFT ms':>12} "
              f"{'cached':>6} {'cached %':>8}")
        for r in range(args.rounds):
            system = system_prompt(f"r{r}-{time.time_ns()}")
            c, _ = stream_chat(port, name, system, "Which shelf holds maps?")
            w, usage = stream_chat(port, name, system, "Which shelf holds rivers?")
            cached = usage["prompt_tokens_details"]["cached_tokens"]
            share = 100.0 * cached / usage["prompt_tokens"]
            cold.append(c)
            warm.append(w)
            shares.append(share)
            print(f"{r:>5} {usage['prompt_tokens']:>6} {c * 1000:>12.1f} {w * 1000:>12.1f} "
                  f"{cached:>6} {share:>7.1f}%")
        print(f"median cold TTFT {statistics.median(cold) * 1000:.1f} ms, "
              f"warm TTFT {statistics.median(warm) * 1000:.1f} ms "
              f"({statistics.median(cold) / statistics.median(warm):.1f}x faster), "
              f"cached {statistics.median(shares):.1f}% of the warm prompt")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
