"""Golden vectors for decoder embedding models (Qwen3-Embedding style) from
transformers' Qwen3Model in float32 on the CPU: last-token pooling and mean
pooling of the final hidden states, then L2 normalization, for fixed token-id
inputs. The snapshot is the synthetic one the ctest fixture builds:

  rmlx-host synth --like qwen3-0.6b --layers 2 --vocab 1024 --seed 11 --quant bf16 --out S
  python3 tests/embed/decoder_snapshot.py S D
  python3 tests/embed/make_decoder_golden.py D/mean tests/embed/decoder_golden.json.xz

Needs torch and transformers >= 4.51 (Qwen3); CI only reads the golden file.
"""
import json
import lzma
import random
import sys

import torch
from transformers import Qwen3Model

LENGTHS = [1, 2, 3, 4, 7, 16, 31, 64, 100, 127, 200, 333, 511, 512]


def inputs(vocab):
    rng = random.Random(2025)
    out = [[rng.randrange(vocab) for _ in range(n)] for n in LENGTHS]
    # The same prefix with different endings: last-token pooling must see the end.
    base = [rng.randrange(vocab) for _ in range(40)]
    out += [base + [t] for t in (0, 1, vocab - 1)]
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_decoder_golden.py SNAPSHOT OUT.json.xz")
    model = Qwen3Model.from_pretrained(sys.argv[1], torch_dtype=torch.float32,
                                       attn_implementation="eager").eval()
    ids = inputs(model.config.vocab_size)
    last, mean = [], []
    with torch.no_grad():
        for seq in ids:
            h = model(input_ids=torch.tensor([seq])).last_hidden_state[0].double()
            for pooled, out in ((h[-1], last), (h.mean(0), mean)):
                out.append([float(f"{x:.9g}") for x in (pooled / pooled.norm()).tolist()])
    doc = {"source": "transformers Qwen3Model float32, eager attention", "inputs": ids,
           "last_token": last, "mean": mean}
    with lzma.open(sys.argv[2], "wt") as f:
        f.write(json.dumps(doc, separators=(",", ":")))
    print(f"{len(ids)} inputs, {len(last[0])} dimensions -> {sys.argv[2]}")


if __name__ == "__main__":
    main()
