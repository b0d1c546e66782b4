#!/usr/bin/env python3
"""Writes seed inputs for the tokenizer and template fuzz targets: small tokenizer.json files of
every model type combined with the normalizers, pre-tokenizers and decoders of
tests/tokenizer/unit_cases.json; mixed-script texts; and the chat templates of the
tokenizer_config.json files under ../shared/tokenizers.

Usage: make_seeds.py UNIT_CASES.json TOKENIZERS_DIR OUT_DIR
Writes OUT_DIR/{load,encode,template}/seed-N.
"""
import json
import os
import sys


def vocab_models():
    chars = list("abcdefghijklmnopqrstuvwxyz ▁Ġ.,!?0123456789")
    vocab = {c: i for i, c in enumerate(chars)}
    for w in ["th", "he", "the", "▁t", "▁the", "in", "ing", "Ġt", "Ġthe"]:
        vocab[w] = len(vocab)
    byte_vocab = dict(vocab)
    for b in range(256):
        byte_vocab[f"<0x{b:02X}>"] = len(byte_vocab)
    merges = [["t", "h"], ["h", "e"], ["th", "e"], ["▁", "t"], ["▁t", "he"], ["i", "n"],
              ["in", "g"], ["Ġ", "t"], ["Ġt", "he"]]
    yield {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
           "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
           "ignore_merges": True, "vocab": vocab, "merges": merges}
    yield {"type": "BPE", "unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True,
           "vocab": {"<unk>": len(byte_vocab), **byte_vocab},
           "merges": [" ".join(m) for m in merges]}
    yield {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
           "max_input_chars_per_word": 100,
           "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "the": 3, "##s": 4, "in": 5, "##g": 6,
                     "a": 7, "b": 8, "##a": 9, ",": 10}}
    yield {"type": "Unigram", "unk_id": 0, "byte_fallback": True,
           "vocab": [["<unk>", 0.0], ["▁", -2.0], ["▁the", -3.0], ["t", -4.0], ["h", -4.5],
                     ["e", -4.2], ["the", -3.5]] + [[f"<0x{b:02X}>", -10.0] for b in range(256)]}


def main():
    cases, tok_dir, out = sys.argv[1:4]
    units = json.load(open(cases, encoding="utf-8"))
    comp = {k: [c["json"] for c in v if isinstance(c, dict) and "json" in c]
            for k, v in units.items()}
    for d in ("load", "encode", "template"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    added = [{"id": 900, "content": "<s>", "special": True, "normalized": False},
             {"id": 901, "content": "[L]", "special": False, "normalized": False, "lstrip": True,
              "rstrip": True},
             {"id": 902, "content": "word", "special": False, "normalized": True,
              "single_word": True}]
    post = {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [900], "tokens": ["<s>"]}}}
    n = 0
    models = list(vocab_models())
    norms = comp.get("normalizers", []) + [None]
    pres = comp.get("pre_tokenizers", []) + [None]
    decs = comp.get("decoders", []) + [None]
    for i in range(max(len(norms), len(pres), len(decs))):
        tok = {"version": "1.0", "added_tokens": added, "normalizer": norms[i % len(norms)],
               "pre_tokenizer": pres[i % len(pres)], "post_processor": post if i % 2 else None,
               "decoder": decs[i % len(decs)], "model": models[i % len(models)]}
        with open(os.path.join(out, "load", f"seed-{n}"), "w", encoding="utf-8") as f:
            json.dump(tok, f, ensure_ascii=False)
        n += 1
    texts = ["Hello, wörld! 123  \n\t<s> 😀 ▁x", "日本語のテキスト 中文", "مرحبا بالعالم",
             "नमस्ते दुनिया", "👩‍👩‍👧‍👦 🇫🇷 1️⃣", "def f(x):\n    return x ** 2\n", "1234567890" * 5,
             "   \u00a0\u3000\r\n\r\n  ", "word [L] the<s>in"]
    for i, t in enumerate(texts):
        with open(os.path.join(out, "encode", f"seed-{i}"), "w", encoding="utf-8") as f:
            f.write(t)
    seen = []
    for name in sorted(os.listdir(tok_dir)):
        path = os.path.join(tok_dir, name, "tokenizer_config.json")
        if not os.path.exists(path):
            continue
        src = json.load(open(path, encoding="utf-8")).get("chat_template")
        if isinstance(src, list):
            src = [t.get("template") for t in src]
        for t in src if isinstance(src, list) else [src]:
            if isinstance(t, str) and t not in seen:
                seen.append(t)
                with open(os.path.join(out, "template", f"seed-{len(seen)}"), "w",
                          encoding="utf-8") as f:
                    f.write(t)
    print(f"{n} tokenizer.json seeds, {len(texts)} texts, {len(seen)} templates")


if __name__ == "__main__":
    main()
