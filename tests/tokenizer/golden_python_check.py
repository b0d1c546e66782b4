#!/usr/bin/env python3
"""Checks golden/tokenizer_public.jsonl against Python `tokenizers` (the reference) and prints
the lines where the golden file disagrees with it, as C++ initializers for golden_test.cpp:
{line, "tokenizer", text_length, ids_differ, decoded_differs}.

Usage: golden_python_check.py GOLDEN.jsonl TOKENIZER_DIR [--check golden_divergences.inc]
With --check, exits 1 when the list differs from the file (the C++ test's list is stale).
"""
import json
import sys

try:
    from tokenizers import Tokenizer
except ImportError:
    print("tokenizers is not installed", file=sys.stderr)
    sys.exit(77)


def main():
    golden, tok_dir = sys.argv[1], sys.argv[2]
    cache = {}
    lines = []
    for n, line in enumerate(open(golden, encoding="utf-8"), 1):
        if not line.strip():
            continue
        j = json.loads(line)
        name = j["tokenizer"]
        if name not in cache:
            cache[name] = Tokenizer.from_file(f"{tok_dir}/{name}/tokenizer.json")
        tok = cache[name]
        ids = tok.encode(j["text"], add_special_tokens=j["add_special_tokens"]).ids
        dec = tok.decode(j["ids"], skip_special_tokens=False)
        ids_differ = ids != j["ids"]
        dec_differs = dec != j["decoded"]
        if ids_differ or dec_differs:
            lines.append(f'    {{{n}, "{name}", {len(j["text"].encode())}, {str(ids_differ).lower()}, '
                         f'{str(dec_differs).lower()}}},')
    text = "".join(line + "\n" for line in lines)
    if "--check" in sys.argv:
        expected = open(sys.argv[sys.argv.index("--check") + 1], encoding="utf-8").read()
        if expected != text:
            print("golden divergences changed; Python now reports:\n" + text)
            sys.exit(1)
        print(f"{len(lines)} golden lines disagree with Python tokenizers, as listed")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
