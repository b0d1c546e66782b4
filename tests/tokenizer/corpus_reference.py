#!/usr/bin/env python3
"""Encodes the corpus with Python `tokenizers` (the reference) for every tokenizer under
TOKENIZER_DIR and writes OUT_DIR/<name>.ref, read by corpus_test.cpp.

.ref layout (little endian): "RTKR", u32 text count, then per text:
u32 n + n*i32 ids (add_special_tokens=True), u32 n + n*i32 ids (False),
u32 len + bytes of decode(ids False, skip_special_tokens=False),
u32 len + bytes of decode(ids True, skip_special_tokens=True).

Usage: corpus_reference.py CORPUS.jsonl TOKENIZER_DIR OUT_DIR
Exit 77 (skip) when `tokenizers` is not installed.
"""
import json
import os
import struct
import sys

try:
    from tokenizers import Tokenizer
except ImportError:
    print("tokenizers is not installed", file=sys.stderr)
    sys.exit(77)


def main():
    corpus, tok_dir, out_dir = sys.argv[1:4]
    texts = [json.loads(line) for line in open(corpus, encoding="utf-8")]
    os.makedirs(out_dir, exist_ok=True)
    for name in sorted(os.listdir(tok_dir)):
        path = os.path.join(tok_dir, name, "tokenizer.json")
        if not os.path.exists(path):
            continue
        tok = Tokenizer.from_file(path)
        with_special = tok.encode_batch(texts, add_special_tokens=True)
        without = tok.encode_batch(texts, add_special_tokens=False)
        buf = bytearray(b"RTKR")
        buf += struct.pack("<I", len(texts))
        for a, b in zip(with_special, without):
            for ids in (a.ids, b.ids):
                buf += struct.pack("<I", len(ids))
                buf += struct.pack(f"<{len(ids)}i", *ids)
            for text in (tok.decode(b.ids, skip_special_tokens=False), tok.decode(a.ids, skip_special_tokens=True)):
                raw = text.encode("utf-8")
                buf += struct.pack("<I", len(raw)) + raw
        with open(os.path.join(out_dir, name + ".ref"), "wb") as f:
            f.write(buf)
        print(f"{name}: {sum(len(e.ids) for e in without)} tokens")


if __name__ == "__main__":
    main()
