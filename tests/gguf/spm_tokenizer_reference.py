#!/usr/bin/env python3
"""Checks the tokenizer.json imported from a SentencePiece GGUF (make_spm_gguf.py) against
the ORIGINAL Llama 2 tokenizer.json, both loaded by the PyPI `tokenizers` package: the ids of
every corpus text, with and without special tokens, and the decoded text, must be equal; the
merges must be the original's, in order; and `rmlx-host tokenize` on the imported folder must
print the same ids for a sample of the corpus.

Usage: spm_tokenizer_reference.py IMPORTED_DIR ORIGINAL_TOKENIZER.json[.xz] CORPUS.jsonl RMLX_HOST
Exit 77 (skip) when `tokenizers` is missing.
"""
import json
import lzma
import os
import subprocess
import sys

try:
    from tokenizers import Tokenizer
except ImportError:
    sys.exit(77)


def main():
    imported_dir, original_path, corpus_path, host = sys.argv[1:5]
    opener = lzma.open if original_path.endswith(".xz") else open
    with opener(original_path, "rt", encoding="utf-8") as f:
        original_json = f.read()
    original = Tokenizer.from_str(original_json)
    imported_path = os.path.join(imported_dir, "tokenizer.json")
    imported = Tokenizer.from_file(imported_path)
    with open(imported_path, encoding="utf-8") as f:
        imported_json = json.load(f)
    original_model = json.loads(original_json)["model"]

    failures = []
    as_pairs = [m.split(" ", 1) if isinstance(m, str) else m for m in original_model["merges"]]
    if imported_json["model"]["merges"] != as_pairs:
        failures.append("merges differ from the original tokenizer.json")
    if imported_json["model"]["vocab"] != original_model["vocab"]:
        failures.append("vocab differs from the original tokenizer.json")
    with open(os.path.join(imported_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    for key, want in [("add_bos_token", True), ("add_eos_token", False), ("bos_token", "<s>"),
                      ("eos_token", "</s>"), ("unk_token", "<unk>")]:
        if config.get(key) != want:
            failures.append(f"tokenizer_config.json {key}: {config.get(key)!r}, want {want!r}")

    texts = [json.loads(line) for line in open(corpus_path, encoding="utf-8")]
    texts += ["", " ", "  leading", "trailing  ", "<s>Hello</s> <unk>", "\u2581already", "a\u00a0b"]
    compared = 0
    for text in texts:
        for special in (True, False):
            a = original.encode(text, add_special_tokens=special).ids
            b = imported.encode(text, add_special_tokens=special).ids
            compared += 1
            if a != b:
                failures.append(f"ids differ (special={special}) for {text[:60]!r}")
            elif original.decode(a) != imported.decode(b):
                failures.append(f"decode differs for {text[:60]!r}")

    # rmlx's own tokenizer on the imported folder, as a user runs it.
    sample = texts[:: max(1, len(texts) // 12)][:12] + texts[-7:]
    for text in sample:
        run = subprocess.run([host, "tokenize", "--model", imported_dir, "--json"],
                             input=text.encode("utf-8"), capture_output=True)
        if run.returncode != 0:
            failures.append(f"rmlx-host tokenize failed: {run.stderr.decode(errors='replace')}")
            break
        got = json.loads(run.stdout)["ids"]
        if got != original.encode(text).ids:
            failures.append(f"rmlx-host tokenize ids differ for {text[:60]!r}")

    for line in failures[:20]:
        print(line)
    print(f"{len(texts)} texts, {compared} encodings compared with the original Llama 2 "
          f"tokenizer.json, {len(sample)} through rmlx-host: {len(failures)} differences")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
