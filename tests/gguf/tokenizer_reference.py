#!/usr/bin/env python3
"""Encodes test strings with Python `tokenizers` loading the imported tokenizer.json, and checks
that it matches transformers' own tokenizer rebuilt from the same GGUF (when transformers can).

Usage: tokenizer_reference.py SNAPSHOT_DIR GOLDEN.jsonl MODEL.gguf OUT.json
Exit 77 (skip) when `tokenizers` or the inputs are missing.
"""
import json
import os
import sys

try:
    from tokenizers import Tokenizer
except ImportError:
    sys.exit(77)

EXTRA = ["", " ", "  leading spaces", "digits 1234567890 and 3.14159", "<|im_start|>user\nHi<|im_end|>\n",
         "tabs\tand\nnewlines\r\n", "emoji 🤗🎉 and accents: café naïve", "日本語のテキスト", "code: def f(x):\n    return x**2"]


def main():
    snap, golden, gguf_path, out = sys.argv[1:5]
    tj = os.path.join(snap, "tokenizer.json")
    if not os.path.exists(tj) or not os.path.exists(golden):
        sys.exit(77)
    texts = []
    with open(golden, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)["text"]
            if t not in texts:
                texts.append(t)
    texts += [t for t in EXTRA if t not in texts]
    tok = Tokenizer.from_file(tj)
    cases = []
    for t in texts:
        for special in (False, True):
            cases.append({"text": t, "add_special_tokens": special,
                          "ids": tok.encode(t, add_special_tokens=special).ids})
    # Independent reference: transformers' conversion of the GGUF tokenizer metadata.
    try:
        from transformers import AutoTokenizer
        ref = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path))
        diffs = [t for t in texts if ref(t, add_special_tokens=False)["input_ids"] != tok.encode(t, add_special_tokens=False).ids]
        print(f"transformers GGUF tokenizer: {len(texts) - len(diffs)}/{len(texts)} identical")
        if diffs:
            for t in diffs[:5]:
                print("differs:", json.dumps(t), file=sys.stderr)
            sys.exit(1)
    except Exception as e:  # transformers missing, or unable to read GGUF without torch
        print(f"transformers GGUF tokenizer unavailable ({e.__class__.__name__}): comparison skipped")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False)
    print(f"{len(cases)} encodings written")


if __name__ == "__main__":
    main()
