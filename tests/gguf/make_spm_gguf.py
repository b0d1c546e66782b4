#!/usr/bin/env python3
"""Writes a tiny random Llama GGUF whose vocabulary is Llama 2's SentencePiece model
(tokenizer.ggml.model "llama": pieces, scores, token types, <0xXX> byte pieces), as
llama.cpp's converter stores it, rebuilt from Llama 2's tokenizer.json.

The scores are those of Llama 2's tokenizer.model: 0 for <unk>, <s>, </s> and the byte
pieces, -1e9 for the pieces made only of "▁" (their merges come last), and -(id - 259)
for every other piece. The script checks that Hugging Face's merge derivation from these
scores gives back tokenizer.json's merges exactly, so the GGUF is faithful.

Usage: make_spm_gguf.py LLAMA2_TOKENIZER.json[.xz] OUT.gguf
Exit 77 (skip) when numpy or the gguf package is missing.
"""
import json
import lzma
import sys

try:
    import numpy as np
    from gguf import GGUFWriter
except ImportError:
    sys.exit(77)


def load(path):
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def hf_merges(pieces, scores):
    # transformers' SentencePieceExtractor.extract(vocab_scores), restated.
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = []
    for piece, score in dict(zip(pieces, scores)).items():
        local = [(piece[:k], piece[k:], score) for k in range(1, len(piece))
                 if piece[:k] in vocab and piece[k:] in vocab]
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)
    return [f"{a} {b}" for a, b, _ in merges]


def main():
    tok = load(sys.argv[1])
    out = sys.argv[2]
    model = tok["model"]
    pieces = [None] * len(model["vocab"])
    for piece, i in model["vocab"].items():
        pieces[i] = piece
    scores, types = [], []
    for i, p in enumerate(pieces):
        if i == 0:
            scores.append(0.0), types.append(2)  # unknown
        elif i < 3:
            scores.append(0.0), types.append(3)  # control
        elif p.startswith("<0x") and len(p) == 6:
            scores.append(0.0), types.append(6)  # byte
        elif set(p) == {"\u2581"}:
            scores.append(-1e9), types.append(1)
        else:
            scores.append(-float(i - 259)), types.append(1)
    expected = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    if hf_merges(pieces, scores) != expected:
        sys.exit("the scores do not reproduce tokenizer.json's merges")

    rng = np.random.default_rng(7)
    vocab, hidden, ffn, heads, kv = len(pieces), 64, 128, 4, 2
    hd = hidden // heads
    w = GGUFWriter(out, "llama")
    w.add_block_count(1)
    w.add_context_length(256)
    w.add_embedding_length(hidden)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_tokenizer_model("llama")
    w.add_token_list(pieces)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)
    w.add_chat_template("{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]"
                        "{% endfor %}")

    def add(name, shape):
        w.add_tensor(name, (rng.standard_normal(shape) * 0.05).astype(np.float16 if len(shape) > 1
                                                                       else np.float32))

    add("token_embd.weight", (vocab, hidden))
    add("blk.0.attn_norm.weight", (hidden,))
    add("blk.0.ffn_norm.weight", (hidden,))
    for name, shape in [("attn_q", (heads * hd, hidden)), ("attn_k", (kv * hd, hidden)),
                        ("attn_v", (kv * hd, hidden)), ("attn_output", (hidden, heads * hd)),
                        ("ffn_gate", (ffn, hidden)), ("ffn_up", (ffn, hidden)),
                        ("ffn_down", (hidden, ffn))]:
        add(f"blk.0.{name}.weight", shape)
    add("output_norm.weight", (hidden,))
    add("output.weight", (vocab, hidden))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
