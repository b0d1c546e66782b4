#!/usr/bin/env python3
"""Greedy token ids from mlx-lm for the golden gate.

Runs the snapshot with mlx-lm in float32 (the reference) and writes, for each
prompt, the prompt's token ids and the next N greedy ids, without stopping at
EOS. Usage: mlx_greedy.py SNAPSHOT PROMPTS.json OUT.json [N]
"""
import json
import sys

import mlx.core as mx
from mlx.utils import tree_map
from mlx_lm.utils import load
from mlx_lm.generate import generate_step


def main():
    snapshot, prompts_path, out_path = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    model, tokenizer = load(snapshot)
    # Float weights and quantization scales in float32: the computation is float32.
    model.update(tree_map(lambda p: p.astype(mx.float32) if p.dtype in (mx.float16, mx.bfloat16) else p,
                          model.parameters()))
    prompts = json.load(open(prompts_path))
    results = []
    for p in prompts:
        if tokenizer.chat_template:
            text = tokenizer.apply_chat_template([{"role": "user", "content": p}],
                                                 add_generation_prompt=True, tokenize=False)
            ids = tokenizer.encode(text, add_special_tokens=False)
        else:
            ids = tokenizer.encode(p)
        out = []
        for tok, _ in generate_step(mx.array(ids), model, max_tokens=n):
            out.append(int(tok))
        results.append({"prompt": p, "prompt_ids": ids, "ids": out})
    json.dump(results, open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main()
