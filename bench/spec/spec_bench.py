#!/usr/bin/env python3
"""Speculative decoding benchmark: decode tokens/s with and without each
drafter, on repetitive workloads (editing a given source file, summarising
with quotes) and on free chat, with acceptance rates, side by side.

Usage: spec_bench.py BUILD_DIR|RMLX_HOST [--model DIR] [--threads N] [--max-tokens N]
                     [--configs none,ngram:16,layerskip:24:2] [--repeat N] [--no-step-cost]
Each config is DRAFTER:K ("none" for plain decoding; "layerskip:L:K").
Greedy decoding; every config must give the same ids as "none" (checked).
Speed is decode tokens per CPU-second of the process (with the default
--threads 1 this is tokens/s on an idle core; it stays meaningful on a
shared, busy machine where wall-clock tokens/s does not). After the table it
prints the CPU cost of a forward pass of M rows against one (what a verified
draft costs) when BUILD/bench/spec/rmlx_spec_step_cost is built.
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


def run(host, model, threads, max_tokens, prompt, drafter, k, int8):
    args = [host, "generate", "--json", "--prompt", prompt, "--max-tokens", str(max_tokens),
            "--threads", str(threads)]
    if int8:
        args.append("--int8-activations")
    if model:
        args += ["--model", model]
    if drafter != "none":
        args += ["--drafter", drafter, "--draft-tokens", str(k)]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"generate failed ({drafter} K={k}): {r.stderr.strip()}")
    return json.loads(r.stdout)


def load_average():
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def commit_of(path):
    r = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True)
    return r.stdout.strip() if r.returncode == 0 else "unknown"


def step_cost_table(build, model, threads, int8):
    """The CPU price of a verification pass of M rows (bench/spec/step_cost.cpp)."""
    tool = os.path.join(build, "bench", "spec", "rmlx_spec_step_cost")
    if not os.path.exists(tool):
        print(f"\n(step cost table skipped: {tool} is not built)")
        return
    args = [tool] + ([model] if model else []) + [
        "--rows", "1,2,3,4,5,8,9,16,17", "--reps", "9", "--threads", str(threads)] + (
        ["--int8"] if int8 else [])
    r = subprocess.run(args, capture_output=True, text=True)
    print("\nCost of one forward pass of M rows (logits for every row), as a verification step runs it:")
    print(r.stdout.strip() if r.returncode == 0 else f"step cost failed: {r.stderr.strip()}")


class Tally:
    def __init__(self):
        self.tokens = self.seconds = self.cpu = 0.0
        self.prop = self.acc = self.steps = 0
        self.same = True

    def add(self, out):
        n = len(out["ids"])
        self.tokens += n - 1  # the first token comes from the prompt pass
        if out["decode_tokens_per_s"] > 0:
            self.seconds += (n - 1) / out["decode_tokens_per_s"]
        self.cpu += out["decode_cpu_s"]
        self.prop += out.get("draft_tokens", 0)
        self.acc += out.get("draft_tokens_accepted", 0)
        self.steps += out.get("decode_steps", 0)

    def wall_speed(self):
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    def cpu_speed(self):
        return self.tokens / self.cpu if self.cpu > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host", help="rmlx-host, or the build folder that holds bin/rmlx-host")
    ap.add_argument("--model", default="")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--configs", default="none,ngram:4,ngram:8,ngram:15,ngram:16,layerskip:24:2")
    ap.add_argument("--no-step-cost", action="store_true", help="skip the M-row cost table")
    ap.add_argument("--int8-activations", action="store_true",
                    help="int8 activations in quantized matmuls (every config alike)")
    a = ap.parse_args()
    host = a.host
    if os.path.isdir(host):
        host = os.path.join(host, "bin", "rmlx-host")
    build = os.path.dirname(os.path.dirname(os.path.abspath(host)))
    configs = []
    for c in a.configs.split(","):
        if c == "none":
            configs.append(("none", "none", 0))
        else:
            drafter, k = c.rsplit(":", 1)
            configs.append((c, drafter, int(k)))
    if configs[0][1] != "none":
        configs.insert(0, ("none", "none", 0))

    print(f"rmlx speculative decoding bench: commit {commit_of(HERE)}, {os.cpu_count()} CPUs, "
          f"--threads {a.threads}, {a.max_tokens} tokens per prompt, greedy, "
          f"{'int8' if a.int8_activations else 'float32 (exact)'} activations, "
          f"load average at start {load_average()}")
    # Every prompt runs under every config back to back, so a change of machine
    # load touches all configs alike.
    tallies = {(w, c[0]): Tally() for w in WORKLOADS for c in configs}
    for _ in range(a.repeat):
        for wname, prompts in WORKLOADS.items():
            for p in prompts:
                base_ids = None
                for label, drafter, k in configs:
                    out = run(host, a.model, a.threads, a.max_tokens, p, drafter, k,
                              a.int8_activations)
                    t = tallies[(wname, label)]
                    t.add(out)
                    if drafter == "none":
                        base_ids = out["ids"]
                    elif out["ids"] != base_ids:
                        t.same = False

    print(f"load average at end {load_average()}\n")
    print("| workload | config | decode tok/s (wall) | tok per CPU-s | speed-up (CPU) | "
          "speed-up (wall) | drafts accepted | accepted per step | tokens/step | same ids |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    best = {}
    for wname in WORKLOADS:
        base = tallies[(wname, "none")]
        for label, drafter, _ in configs:
            t = tallies[(wname, label)]
            up = t.cpu_speed() / base.cpu_speed() if base.cpu_speed() else 0.0
            up_wall = t.wall_speed() / base.wall_speed() if base.wall_speed() else 0.0
            rate = f"{t.acc}/{t.prop} ({t.acc / t.prop:.0%})" if t.prop else "-"
            per_step = f"{t.tokens / t.steps:.2f}" if t.steps else "-"
            acc_step = f"{t.acc / t.steps:.2f}" if t.steps and drafter != "none" else "-"
            print(f"| {wname} | {label} | {t.wall_speed():.1f} | {t.cpu_speed():.1f} | {up:.2f}x | "
                  f"{up_wall:.2f}x | {rate} | {acc_step} | {per_step} | "
                  f"{'yes' if t.same else 'NO'} |", flush=True)
            if drafter == "ngram" and up > best.get(wname, (0.0, ""))[0]:
                best[wname] = (up, label)
    repetitive = [w for w in ("edit source", "quote summary") if w in best]
    if repetitive:
        parts = ", ".join(f"{w} {best[w][0]:.3f}x ({best[w][1]})" for w in repetitive)
        met = all(best[w][0] >= 1.5 for w in repetitive)
        print(f"\ntarget ngram >= 1.5x decode speed (tok per CPU-s) on the repetitive workloads: "
              f"{parts} -> {'met' if met else 'NOT met'}")
    if not a.no_step_cost:
        step_cost_table(build, a.model, a.threads, a.int8_activations)
    if not all(t.same for t in tallies.values()):
        sys.exit("some drafting run gave other ids than plain decoding")


if __name__ == "__main__":
    main()
