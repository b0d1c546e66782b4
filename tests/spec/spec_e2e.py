#!/usr/bin/env python3
"""Speculative decoding end to end on the default SmolLM2 snapshot.

Usage: spec_e2e.py RMLX_HOST MODE   MODE: generate | server | sampled | errors
  generate  16 varied greedy prompts through `rmlx-host generate`, with each
            drafter at K = 2, 4, 8: token ids identical to no drafter
  server    the same through one server, per-request drafters, sent
            concurrently so drafting and plain sequences share batches
  sampled   seeded sampled runs with and without the ngram drafter: the
            acceptance rate, and a chi-square test of the token distribution
            at the first sampled positions that go through verification
  errors    malformed choices get a clear error naming the value; the server
            keeps serving
Exit 77 when the default model is not prepared.
"""
import concurrent.futures
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PROMPTS = [
    "Repeat this line three times: the quick brown fox jumps over the lazy dog.",
    "List the numbers from 1 to 20, separated by commas.",
    "Write a Python function that returns the factorial of n.",
    "def add(a, b):\n    return a + b\n\nRewrite this function so it adds three numbers a, b and c.",
    "What is the capital of France?",
    "Tell me a short story about a cat.",
    "Explain in two sentences why the sky is blue.",
    "Translate 'good morning, my friend' into Spanish.",
    "Write a haiku about the sea.",
    "Give three tips for staying healthy.",
    'Quote exactly: "To be, or not to be, that is the question." Then quote it again.',
    "Write the alphabet in capital letters with spaces between the letters.",
    "SELECT name, age FROM users WHERE age > 30; -- explain what this SQL query does.",
    "Summarise: The meeting is on Monday. The meeting is at noon. The meeting is in room 4.",
    "What is 12 times 12?",
    "Name the planets of the solar system in order.",
]
DRAFTERS = ["ngram", "layerskip:24"]
KS = [2, 4, 8]
MAX_TOKENS = 40


def run(host, args):
    return subprocess.run([host] + args, capture_output=True, text=True)


def generate_ids(host, prompt, extra):
    r = run(host, ["generate", "--prompt", prompt, "--max-tokens", str(MAX_TOKENS), "--json",
                   "--threads", "1"] + extra)
    if r.returncode != 0:
        raise RuntimeError(f"generate {extra} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def mode_generate(host):
    bad = 0
    checks = 0
    proposed = accepted = 0
    for prompt in PROMPTS:
        base = generate_ids(host, prompt, [])["ids"]
        for d in DRAFTERS:
            for k in KS:
                out = generate_ids(host, prompt, ["--drafter", d, "--draft-tokens", str(k)])
                checks += 1
                proposed += out.get("draft_tokens", 0)
                accepted += out.get("draft_tokens_accepted", 0)
                if out["ids"] != base:
                    bad += 1
                    first = next((i for i, (a, b) in enumerate(zip(out["ids"], base)) if a != b),
                                 min(len(base), len(out["ids"])))
                    print(f"{d} K={k} {prompt[:40]!r}: differs at token {first}: "
                          f"{out['ids'][first:first + 5]} vs {base[first:first + 5]}")
    print(f"generate: {checks - bad}/{checks} (prompt, drafter, K) runs give the ids of plain "
          f"greedy decoding; drafts accepted {accepted}/{proposed}")
    return 0 if bad == 0 and proposed > 0 and accepted > 0 else 1


class Server:
    def __init__(self, host, extra=()):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        # The server's log goes to a file: a pipe nobody reads could fill and stall it.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([host, "serve", "--port", str(self.port), "--threads", "1"] +
                                     list(extra), stdout=subprocess.DEVNULL,
                                     stderr=self.log, text=True)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError("serve exited: " + self.log_tail())
            try:
                self.get("/health")
                break
            except OSError:
                time.sleep(0.1)
        self.model = json.loads(self.get("/v1/models"))["data"][0]["id"]

    def log_tail(self, n=3000):
        self.log.seek(0)
        return self.log.read()[-n:]

    def state(self):
        # Whether the server still runs, and the end of its log: for a failed request.
        rc = self.proc.poll()
        return ("running" if rc is None else f"exited with {rc}") + "; log:\n" + self.log_tail()

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
            return r.read().decode()

    def post(self, path, body):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def chat(self, prompt, spec=None, **kw):
        body = {"model": self.model, "messages": [{"role": "user", "content": prompt}],
                "max_tokens": MAX_TOKENS, "temperature": 0, "logprobs": True}
        body.update(kw)
        if spec is not None:
            body["speculative"] = spec
        return self.post("/v1/chat/completions", body)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def tokens_of(reply):
    # Each token's exact text (as bytes) from the logprobs: equal lists mean the
    # same token ids for all practical purposes, and the text must match too.
    c = reply["choices"][0]
    return c["message"]["content"], [(t["token"], t["bytes"]) for t in c["logprobs"]["content"]]


def mode_server(host):
    srv = Server(host)
    try:
        base = {}
        for p in PROMPTS:
            code, r = srv.chat(p)
            if code != 200:
                print("baseline failed:", r)
                return 1
            base[p] = tokens_of(r)
        jobs = [(p, d, k) for d in DRAFTERS for k in KS for p in PROMPTS]
        # Half the requests draft, half do not, all at once: mixed batches.
        jobs += [(p, None, 0) for p in PROMPTS]
        bad = 0
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futs = {pool.submit(srv.chat, p, None if d is None else
                                {"drafter": d, "num_draft_tokens": k}): (p, d, k)
                    for p, d, k in jobs}
            for f in concurrent.futures.as_completed(futs):
                p, d, k = futs[f]
                try:
                    code, r = f.result()
                except OSError as e:
                    code, r = None, f"{e}; server {srv.state()}"
                if code != 200 or tokens_of(r) != base[p]:
                    bad += 1
                    print(f"{d} K={k} {p[:40]!r}: {code} {r if code is None else str(r)[:300]}")
        metrics = srv.get("/metrics")
        prop = re.search(r"^rmlx:spec_decode_num_draft_tokens_total\{[^}]*\} (\d+)", metrics, re.M)
        acc = re.search(r"^rmlx:spec_decode_num_accepted_tokens_total\{[^}]*\} (\d+)", metrics, re.M)
        prop = int(prop.group(1)) if prop else 0
        acc = int(acc.group(1)) if acc else 0
        n_spec = len(DRAFTERS) * len(KS) * len(PROMPTS)
        print(f"server: {len(jobs) - bad}/{len(jobs)} concurrent requests ({n_spec} drafting) give "
              f"the tokens of plain greedy decoding; /metrics: {acc}/{prop} drafts accepted")
    finally:
        srv.close()
    # A KV cache of a few blocks: sequences are preempted and recomputed while
    # they draft; their output must not change.
    small = Server(host, ["--kv-memory", "5M", "--max-batch", "8"])
    try:
        jobs = [(p, d) for p in PROMPTS[:8] for d in DRAFTERS]
        tight = 0
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futs = {pool.submit(small.chat, p, {"drafter": d, "num_draft_tokens": 8}): (p, d)
                    for p, d in jobs}
            for f in concurrent.futures.as_completed(futs):
                try:
                    code, r = f.result()
                except OSError as e:
                    code, r = None, f"{e}; server {small.state()}"
                if code == 200 and tokens_of(r) == base[futs[f][0]]:
                    tight += 1
                else:
                    print(f"small cache {futs[f]}: {code} {r if code is None else str(r)[:300]}")
        print(f"server: {tight}/{len(jobs)} drafting requests give the same tokens with a 5 MB KV "
              f"cache (preemption)")
    finally:
        small.close()
    return 0 if bad == 0 and prop > 0 and tight == len(jobs) else 1


def chi2_sf(x, dof):
    # Survival function of the chi-square distribution (regularised upper gamma).
    a, z = dof / 2.0, x / 2.0
    if z <= 0:
        return 1.0
    if z < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(1000):
            n += 1
            term *= z / n
            total += term
        return max(0.0, 1.0 - total * math.exp(-z + a * math.log(z) - math.lgamma(a)))
    # continued fraction
    b = z + 1 - a
    c = 1e300
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1 / d
        h *= d * c
    return math.exp(-z + a * math.log(z) - math.lgamma(a)) * h


def chi2_two_sample(a, b):
    keys = sorted(set(a) | set(b))
    na, nb = sum(a.values()), sum(b.values())
    # Pool rare categories so each expected count is at least 5.
    rare_a = rare_b = 0
    cells = []
    for k in keys:
        x, y = a.get(k, 0), b.get(k, 0)
        if (x + y) * min(na, nb) / (na + nb) < 5:
            rare_a += x
            rare_b += y
        else:
            cells.append((x, y))
    if rare_a + rare_b > 0:
        cells.append((rare_a, rare_b))
    stat = 0.0
    for x, y in cells:
        tot = x + y
        ea, eb = tot * na / (na + nb), tot * nb / (na + nb)
        stat += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb
    dof = max(1, len(cells) - 1)
    return stat, dof, chi2_sf(stat, dof)


def mode_sampled(host):
    srv = Server(host)
    prompt = ("Continue the pattern: red green blue red green blue red green blue red green blue "
              "red green")
    runs = 400
    try:
        def sample(spec, seed):
            code, r = srv.post("/v1/completions", {
                "model": srv.model, "prompt": prompt, "max_tokens": 4, "temperature": 0.8, "top_k": 10,
                "n": 16, "seed": seed, "logprobs": 0,
                **({"speculative": spec} if spec else {})})
            if code != 200:
                raise RuntimeError(str(r))
            return [c["logprobs"]["tokens"] for c in r["choices"]]

        plain, spec = [], []
        # Different seeds for the two arms: the test compares distributions, not replays.
        for i in range(runs // 16):
            plain += sample(None, 1000 + i * 16)
            spec += sample({"drafter": "ngram", "num_draft_tokens": 4}, 900000 + i * 16)
        metrics = srv.get("/metrics")
        prop = int(re.search(r"^rmlx:spec_decode_num_draft_tokens_total\{[^}]*\} (\d+)", metrics, re.M).group(1))
        acc = int(re.search(r"^rmlx:spec_decode_num_accepted_tokens_total\{[^}]*\} (\d+)", metrics,
                            re.M).group(1))
        ok = True
        # Position 0 comes from the prompt's last row; positions 1 and 2 come
        # from verification rows (the draft of the first decode step).
        for pos in (1, 2):
            ca, cb = {}, {}
            for t in plain:
                if len(t) > pos:
                    ca[tuple(t[:pos + 1])] = ca.get(tuple(t[:pos + 1]), 0) + 1
            for t in spec:
                if len(t) > pos:
                    cb[tuple(t[:pos + 1])] = cb.get(tuple(t[:pos + 1]), 0) + 1
            stat, dof, p = chi2_two_sample(ca, cb)
            print(f"sampled: tokens 0..{pos} over {runs}+{runs} runs: chi2={stat:.2f} dof={dof} "
                  f"p={p:.3f} ({len(ca | cb)} distinct prefixes)")
            ok = ok and p > 0.001
        # The engine draws exactly once per emitted token, in order, so under the
        # same seed a drafting request replays plain sampling token for token.
        replay = sum(a == b for a, b in zip(sample(None, 77), sample(
            {"drafter": "ngram", "num_draft_tokens": 4}, 77)))
        print(f"sampled: same seed, with and without the drafter: {replay}/16 completions "
              f"identical")
        ok = ok and replay == 16
        print(f"sampled: acceptance rate {acc}/{prop} = {acc / max(1, prop):.2f} (ngram, K=4, "
              f"temperature 0.8, top_k 10)")
        return 0 if ok and prop > 0 else 1
    finally:
        srv.close()


def mode_errors(host):
    fails = 0

    def expect(cond, what):
        nonlocal fails
        if not cond:
            fails += 1
            print("FAILED:", what)

    r = run(host, ["generate", "--prompt", "hi", "--max-tokens", "4", "--drafter",
                   "layerskip:999"])
    expect(r.returncode != 0 and "layerskip:999: the model has only 30 layers" in r.stderr,
           f"generate --drafter layerskip:999: {r.stderr.strip()}")
    print("generate --drafter layerskip:999 ->", r.stderr.strip().splitlines()[-1:])
    r = run(host, ["generate", "--prompt", "hi", "--max-tokens", "4", "--drafter", "nosuch"])
    expect(r.returncode != 0 and "nosuch" in r.stderr, f"--drafter nosuch: {r.stderr.strip()}")
    print("generate --drafter nosuch ->", r.stderr.strip().splitlines()[-1:])
    r = run(host, ["generate", "--prompt", "hi", "--max-tokens", "4", "--drafter", "ngram",
                   "--draft-tokens", "0"])
    expect(r.returncode != 0 and "--draft-tokens 0" in r.stderr,
           f"--draft-tokens 0: {r.stderr.strip()}")
    print("generate --draft-tokens 0 ->", r.stderr.strip().splitlines()[-1:])
    srv = Server(host)
    try:
        for spec, needle in [({"drafter": "layerskip:999", "num_draft_tokens": 4},
                              "layerskip:999: the model has only 30 layers"),
                             ({"drafter": "nosuch"}, "no plugin provides drafter 'nosuch'"),
                             ({"drafter": "ngram", "num_draft_tokens": 0},
                              "speculative.num_draft_tokens"),
                             ({"drafter": "ngram", "num_draft_tokens": 1000},
                              "speculative.num_draft_tokens")]:
            code, r = srv.chat("hello", spec)
            msg = r.get("error", {}).get("message", "")
            expect(code == 400 and needle in msg, f"{spec}: {code} {r}")
            print(f"server {json.dumps(spec)} -> {code} {msg}")
            code, r = srv.chat("hello", None, max_tokens=4)
            expect(code == 200, f"the server stopped serving after {spec}: {code} {r}")
        print(f"errors: {'all clear' if fails == 0 else str(fails) + ' failed'}; the server kept "
              f"serving")
    finally:
        srv.close()
    return 0 if fails == 0 else 1


def main():
    host, mode = sys.argv[1:3]
    probe = run(host, ["generate", "--prompt", "hi", "--max-tokens", "1"])
    if probe.returncode != 0 and "default model is not prepared" in probe.stderr:
        print("skipped: the default model is not prepared")
        return 77
    return {"generate": mode_generate, "server": mode_server, "sampled": mode_sampled,
            "errors": mode_errors}[mode](host)


if __name__ == "__main__":
    sys.exit(main())
