#!/usr/bin/env python3
"""Prints bench/cpu/run.sh's results side by side: tok/s, rmlx / llama.cpp, and
decode as a fraction of the memory-read roofline (bandwidth / bytes per token)."""
import json
import os
import re
import sys


def weight_bytes(snapshot):
    """Bytes a decode token reads at least: the smaller of the imported snapshot and the
    GGUF it came from (run.sh leaves the GGUF's size beside the snapshot). A Q8_0 / Q4_0
    import stores biases that equal -2^(bits-1) x the scales, which rmlx derives instead
    of reading, so the GGUF is the smaller there."""
    total = sum(os.path.getsize(os.path.join(snapshot, f)) for f in os.listdir(snapshot)
                if f.endswith(".safetensors"))
    gguf = snapshot.rstrip("/") + ".gguf-bytes"
    if os.path.exists(gguf):
        total = min(total, int(open(gguf).read().split()[0]))
    return total


def read_bandwidth(path):
    return {int(m.group(1)): float(m.group(2)) for m in
            re.finditer(r"== (\d+) thread\(s\): read bandwidth ([\d.]+) GB/s", open(path).read())}


def main():
    results = [json.loads(l) for l in open(sys.argv[1])]
    bw = read_bandwidth(sys.argv[2])
    work = sys.argv[3]
    # Each weight set's roofline uses the bandwidth over a buffer of its own size, measured
    # next to its runs.
    bw_of = {}
    for name in sorted({r["weights"] for r in results}):
        path = os.path.join(work, f"bandwidth-{name}.txt")
        bw_of[name] = read_bandwidth(path) if os.path.exists(path) else bw
    by = {(r["engine"], r["weights"], r["test"], r["threads"]): r["tok_s"] for r in results}
    engines = sorted({r["engine"] for r in results if r["engine"] != "llama.cpp"})
    print(f"memory read bandwidth, 64 MiB buffer: " +
          ", ".join(f"{t} thread(s) {b:.1f} GB/s" for t, b in sorted(bw.items())))
    for name, b in bw_of.items():
        if b is not bw:
            mib = weight_bytes(os.path.join(work, name)) / 2**20
            print(f"  over {name}'s {mib:.0f} MiB (its roofline): " +
                  ", ".join(f"{t} thread(s) {v:.1f} GB/s" for t, v in sorted(b.items())))
    header = f"{'weights':12} {'test':6} {'thr':>3} {'llama.cpp':>10}"
    for e in engines:
        header += f" {e:>11} {'ratio':>6}"
    header += "   roofline fraction (decode)"
    print(header)
    for (eng, w, test, t) in sorted({k for k in by if k[0] == "llama.cpp"}, key=lambda k: (k[1], k[3], k[2])):
        base = by[(eng, w, test, t)]
        line = f"{w:12} {test:6} {t:>3} {base:>10.1f}"
        for e in engines:
            v = by.get((e, w, test, t))
            line += f" {v:>11.1f} {v / base:>5.2f}x" if v else f" {'-':>11} {'-':>6}"
        if test.startswith("tg") and t in bw_of[w]:
            roof = bw_of[w][t] * 1e9 / weight_bytes(os.path.join(work, w))
            fr = [f"llama.cpp {base / roof:.0%}"] + [f"{e} {by[(e, w, test, t)] / roof:.0%}" for e in engines
                                                     if (e, w, test, t) in by]
            line += "   " + ", ".join(fr) + f" of {roof:.0f} tok/s"
        print(line)
    # The targets: decode >= 1.2x llama.cpp, prefill >= 1.0x, at both thread counts (best rmlx mode).
    met, total = 0, 0
    for (eng, w, test, t) in {k for k in by if k[0] == "llama.cpp"}:
        best = max((by.get((e, w, test, t), 0.0) for e in engines), default=0.0)
        need = 1.2 if test.startswith("tg") else 1.0
        total += 1
        met += best >= need * by[(eng, w, test, t)]
    print(f"targets (decode >= 1.2x, prefill >= 1.0x llama.cpp, best rmlx mode): {met}/{total} met")
    # The decode window: rmlx decode alone, between two bandwidth readings seconds apart.
    rows = []
    for name in sorted(bw_of):
        path = os.path.join(work, f"window-{name}.jsonl")
        if not os.path.exists(path):
            continue
        before = read_bandwidth(os.path.join(work, f"window-{name}.before"))
        after = read_bandwidth(os.path.join(work, f"window-{name}.after"))
        nbytes = weight_bytes(os.path.join(work, name))
        for r in (json.loads(l) for l in open(path)):
            t = r["threads"]
            if t not in before or t not in after:
                continue
            lo, hi = sorted((before[t], after[t]))
            frac_hi = r["tok_s"] / (lo * 1e9 / nbytes)
            frac_lo = r["tok_s"] / (hi * 1e9 / nbytes)
            drift = "  (bandwidth moved > 10%: not a reading)" if hi > 1.1 * lo else ""
            rows.append(f"{name:12} {r['test']:6} {t:>3} {r['engine']:>10} {r['tok_s']:>7.1f} tok/s"
                        f"   bandwidth {before[t]:.1f} before, {after[t]:.1f} after:"
                        f" {frac_lo:.0%}-{frac_hi:.0%} of the roofline{drift}")
    if rows:
        print("decode window (rmlx decode alone, between two bandwidth readings):")
        for line in rows:
            print("  " + line)


if __name__ == "__main__":
    main()
