"""Bytes a decode step reads from a snapshot's weights: every tensor except an
untied embedding table (a tied one is read as the output layer), plus the
parameters of a matching dense prefill (2 * params FLOPs per token). Prints JSON."""
import json
import struct
import sys
from pathlib import Path


def main(model_dir):
    d = Path(model_dir)
    cfg = json.loads((d / "config.json").read_text())
    tied = cfg.get("tie_word_embeddings", False)
    total = embed = 0
    params = 0
    for f in sorted(d.glob("*.safetensors")):
        with open(f, "rb") as fh:
            n = struct.unpack("<Q", fh.read(8))[0]
            header = json.loads(fh.read(n))
        for name, t in header.items():
            if name == "__metadata__":
                continue
            size = t["data_offsets"][1] - t["data_offsets"][0]
            total += size
            if name.startswith("model.embed_tokens."):
                embed += size
    hidden, vocab = cfg["hidden_size"], cfg["vocab_size"]
    layers, inter = cfg["num_hidden_layers"], cfg["intermediate_size"]
    heads, kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
    hd = cfg.get("head_dim") or hidden // heads
    per_layer = hidden * hd * (2 * heads + 2 * kv) + 3 * hidden * inter
    params = layers * per_layer + hidden * vocab
    print(json.dumps({"decode_bytes": total - (0 if tied else embed),
                      "matmul_params": params}))


if __name__ == "__main__":
    main(sys.argv[1])
