#!/usr/bin/env python3
"""Write a llama-family GGUF whose every matrix is Q4_1 (or Q8_0) with random
codes, shaped like a synthetic rmlx snapshot (its config.json), so llama.cpp
can be timed on weights of exactly the size rmlx streams for affine 4-bit
group 32 (Q4_1: an f16 scale and an f16 minimum per 32 weights, 16 bytes of
codes; affine 4-bit g32 with bf16 scales and biases: the same 20 bytes).
Decode speed does not depend on the values, so no bf16 model is needed.

Usage: synth_gguf.py SNAPSHOT_DIR TOKENIZER_JSON OUT.gguf [--type q4_1|q8_0]
SNAPSHOT_DIR needs only config.json (rmlx-host synth writes it).
"""
import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import snapshot_to_gguf as s2g  # noqa: E402  (vocabulary and rope helpers)

gguf = s2g.gguf

# bytes per block of 32 weights, and the f16 header fields of each block
TYPES = {
    "q4_1": (gguf.GGMLQuantizationType.Q4_1, gguf.LlamaFileType.MOSTLY_Q4_1, 20, (0.004, -0.03)),
    "q8_0": (gguf.GGMLQuantizationType.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0, 34, (0.0005,)),
}


def random_blocks(rng, n_blocks, block_bytes, header):
    """n_blocks blocks: random code bytes after a fixed, finite f16 header."""
    pool = rng.integers(0, 256, size=(min(n_blocks, 1 << 20), block_bytes), dtype=np.uint8)
    head = np.array(header, dtype=np.float16).view(np.uint8)
    pool[:, : head.size] = head
    reps = -(-n_blocks // pool.shape[0])
    return np.tile(pool, (reps, 1))[:n_blocks]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("snapshot", type=Path)
    ap.add_argument("tokenizer", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--type", choices=sorted(TYPES), default="q4_1")
    args = ap.parse_args()
    qtype, ftype, block_bytes, header = TYPES[args.type]
    config = json.loads((args.snapshot / "config.json").read_text())
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    head_dim = config.get("head_dim") or hidden // heads
    ff = config["intermediate_size"]
    vocab = config["vocab_size"]
    layers = config["num_hidden_layers"]
    theta = float(config.get("rope_theta", 10000.0))
    arch = s2g.ARCHS[config["architectures"][0]]

    w = gguf.GGUFWriter(str(args.out), arch)
    w.add_name(args.snapshot.name)
    w.add_context_length(int(config.get("max_position_embeddings", 4096)))
    w.add_embedding_length(hidden)
    w.add_block_count(layers)
    w.add_feed_forward_length(ff)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(theta)
    w.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    w.add_vocab_size(vocab)
    w.add_file_type(ftype)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    # The vocabulary comes from a real tokenizer.json (the helper reads a snapshot dir).
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(args.tokenizer, Path(tmp) / "tokenizer.json")
        s2g.add_vocab(w, Path(tmp), config, vocab, None)
    scaling = config.get("rope_scaling") or {}
    if scaling.get("rope_type", scaling.get("type")) == "llama3":
        w.add_tensor("rope_freqs.weight", s2g.llama3_rope_factors(head_dim, theta, scaling))

    rng = np.random.default_rng(0)

    def matrix(name, rows, cols):
        blocks = random_blocks(rng, rows * cols // 32, block_bytes, header)
        w.add_tensor(name, blocks.reshape(rows, cols // 32 * block_bytes), raw_dtype=qtype)

    matrix("token_embd.weight", vocab, hidden)
    w.add_tensor("output_norm.weight", np.ones(hidden, dtype=np.float32))
    if not config.get("tie_word_embeddings", False):
        matrix("output.weight", vocab, hidden)
    for i in range(layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(hidden, dtype=np.float32))
        w.add_tensor(p + "ffn_norm.weight", np.ones(hidden, dtype=np.float32))
        if arch == "qwen3":
            w.add_tensor(p + "attn_q_norm.weight", np.ones(head_dim, dtype=np.float32))
            w.add_tensor(p + "attn_k_norm.weight", np.ones(head_dim, dtype=np.float32))
        matrix(p + "attn_q.weight", heads * head_dim, hidden)
        matrix(p + "attn_k.weight", kv_heads * head_dim, hidden)
        matrix(p + "attn_v.weight", kv_heads * head_dim, hidden)
        matrix(p + "attn_output.weight", hidden, heads * head_dim)
        matrix(p + "ffn_gate.weight", ff, hidden)
        matrix(p + "ffn_up.weight", ff, hidden)
        matrix(p + "ffn_down.weight", hidden, ff)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(args.out)


if __name__ == "__main__":
    main()
