#!/usr/bin/env python3
"""Golden gate: rmlx's greedy ids equal mlx-lm's (committed in golden/).

Usage: compare_golden.py RMLX_HOST SNAPSHOT GOLDEN.json [extra generate flags...]
"""
import json
import subprocess
import sys


def main():
    host, snapshot, golden_path = sys.argv[1:4]
    extra = sys.argv[4:]
    golden = json.load(open(golden_path))
    same = 0
    for g in golden:
        r = subprocess.run([host, "generate", "--model", snapshot,
                            "--prompt-ids", ",".join(map(str, g["prompt_ids"])),
                            "--max-tokens", str(len(g["ids"])), "--ignore-eos", "--json"] + extra,
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"generate failed for {g['prompt']!r}:\n{r.stderr}")
            return 1
        ids = json.loads(r.stdout)["ids"]
        if ids == g["ids"]:
            same += 1
            continue
        first = next((i for i, (a, b) in enumerate(zip(ids, g["ids"])) if a != b), min(len(ids), len(g["ids"])))
        print(f"{g['prompt']!r}: first difference at token {first}: rmlx {ids[first:first + 6]} "
              f"mlx-lm {g['ids'][first:first + 6]}")
    print(f"{same}/{len(golden)} prompts give identical {len(golden[0]['ids'])}-token greedy ids")
    return 0 if same == len(golden) else 1


if __name__ == "__main__":
    sys.exit(main())
