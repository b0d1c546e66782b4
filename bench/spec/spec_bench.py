#!/usr/bin/env python3
"""Speculative decoding benchmark: decode tokens/s with and without each
drafter, on repetitive workloads (editing a given source file, summarising
with quotes) and on free chat, with acceptance rates, side by side.

Usage: spec_bench.py RMLX_HOST [--model DIR] [--threads N] [--max-tokens N]
                     [--configs none,ngram:4,layerskip:20:4] [--repeat N]
Each config is DRAFTER:K ("none" for plain decoding; "layerskip:L:K").
Greedy decoding; every config must give the same ids as "none" (checked).
Speed is decode tokens per CPU-second of the process (with the default
--threads 1 this is tokens/s on an idle core; it stays meaningful on a
shared, busy machine where wall-clock tokens/s does not).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

SOURCE = open(os.path.join(HERE, "workload_source.cpp")).read()
ARTICLE = open(os.path.join(HERE, "workload_article.txt")).read()

WORKLOADS = {
    "edit source": [
        "Rename the function `clamp_index` to `bounded_index` everywhere in this file and "
        "output the whole file, unchanged otherwise:\n\n" + SOURCE,
        "Add a comment line `// checked` above every return statement of this file and output "
        "the whole file:\n\n" + SOURCE,
    ],
    "quote summary": [
        "Summarise the following text in five bullet points. Each bullet must quote one "
        "sentence of the text word for word, in double quotes.\n\n" + ARTICLE,
        "Which sentences of this text mention the harbour? Quote each of them exactly.\n\n" +
        ARTICLE,
    ],
    "free chat": [
        "Tell me about the history of the bicycle.",
        "What should I pack for a week of hiking in the mountains?",
    ],
}


def run(host, model, threads, max_tokens, prompt, drafter, k):
    args = [host, "generate", "--json", "--prompt", prompt, "--max-tokens", str(max_tokens),
            "--threads", str(threads)]
    if model:
        args += ["--model", model]
    if drafter != "none":
        args += ["--drafter", drafter, "--draft-tokens", str(k)]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"generate failed ({drafter} K={k}): {r.stderr.strip()}")
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("--model", default="")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--configs", default="none,ngram:4,ngram:8,layerskip:20:4")
    a = ap.parse_args()
    configs = []
    for c in a.configs.split(","):
        if c == "none":
            configs.append(("none", "none", 0))
        else:
            drafter, k = c.rsplit(":", 1)
            configs.append((c, drafter, int(k)))

    print(f"| workload | config | decode tok/s (wall) | tok per CPU-s | speed-up (CPU) | "
          f"drafts accepted | tokens/step | same ids |")
    print("|---|---|---|---|---|---|---|---|")
    for wname, prompts in WORKLOADS.items():
        base_speed = None
        base_ids = {}
        for label, drafter, k in configs:
            tokens = seconds = cpu = 0.0
            prop = acc = steps = 0
            same = True
            for _ in range(a.repeat):
                for i, p in enumerate(prompts):
                    out = run(a.host, a.model, a.threads, a.max_tokens, p, drafter, k)
                    n = len(out["ids"])
                    tokens += n - 1
                    seconds += (n - 1) / out["decode_tokens_per_s"] if out[
                        "decode_tokens_per_s"] > 0 else 0
                    cpu += out["decode_cpu_s"]
                    prop += out.get("draft_tokens", 0)
                    acc += out.get("draft_tokens_accepted", 0)
                    steps += out.get("decode_steps", 0)
                    if drafter == "none":
                        base_ids[i] = out["ids"]
                    elif out["ids"] != base_ids.get(i):
                        same = False
            speed = tokens / seconds if seconds > 0 else 0.0
            cpu_speed = tokens / cpu if cpu > 0 else 0.0
            if drafter == "none":
                base_speed = cpu_speed
            up = f"{cpu_speed / base_speed:.2f}x" if base_speed else "-"
            rate = f"{acc}/{prop} ({acc / prop:.0%})" if prop else "-"
            per_step = f"{tokens / steps:.2f}" if steps else "-"
            print(f"| {wname} | {label} | {speed:.1f} | {cpu_speed:.1f} | {up} | {rate} | {per_step} | "
                  f"{'yes' if same else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
