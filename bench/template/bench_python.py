#!/usr/bin/env python3
"""transformers' render time for the conversation template_bench uses (single process).

Usage: bench_python.py SHARED_DIR [iterations]
"""
import json, os, sys, time

from transformers.utils.chat_template_utils import _compile_jinja_template, render_jinja_template

shared = sys.argv[1]
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 200
doc = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "conversation.json")))
messages = [{"role": "system", "content": "You are a helpful assistant."}] + doc["turn"] * 10
root = os.path.join(shared, "tokenizers")
for name in sorted(os.listdir(root)):
    if not os.path.isfile(os.path.join(root, name, "tokenizer_config.json")):
        continue
    cfg = json.load(open(os.path.join(root, name, "tokenizer_config.json")))
    tpl = cfg.get("chat_template")
    if not tpl:
        continue
    specials = {k: (v["content"] if isinstance(v, dict) else v) for k, v in cfg.items() if k.endswith("_token") and v}
    start = time.perf_counter()
    size = 0
    for _ in range(iterations):
        try:
            size = len(render_jinja_template([messages], tools=doc["tools"], chat_template=tpl, add_generation_prompt=True, **specials)[0][0].encode("utf-8"))
        except Exception:
            size = 0
    us = (time.perf_counter() - start) / iterations * 1e6
    start = time.perf_counter()
    for _ in range(iterations):
        _compile_jinja_template.__wrapped__(tpl)
    parse_us = (time.perf_counter() - start) / iterations * 1e6
    print(f"{name:<12} render {us:8.1f} us  parse {parse_us:7.1f} us  ({size} bytes)")
