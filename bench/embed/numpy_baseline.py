"""A float32 numpy BERT sentence encoder run the way sentence-transformers
runs one on the CPU: each request's inputs sorted by length, padded to the
longest, with an attention mask, through BLAS matmuls. It stands in for
sentence-transformers (its torch dependency is not installable here) in the
throughput comparison; its vectors equal tests/embed/reference.py's to float32
precision.
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "embed"))
from reference import Reference  # noqa: E402


def erf(x):
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), vectorized.
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
               + 0.254829592) * t * np.exp(-a * a)
    return s * y


class Float32Encoder:
    def __init__(self, model_dir):
        ref = Reference(model_dir)
        self.ref = ref
        self.w = {k: v.astype(np.float32) for k, v in ref.w.items()}
        self.cfg = ref.cfg

    def ids(self, text):
        return self.ref.ids(text)

    def encode_batch(self, batch):
        order = sorted(range(len(batch)), key=lambda i: -len(batch[i]))
        seqs = [batch[i] for i in order]
        b, n = len(seqs), len(seqs[0])
        ids = np.zeros((b, n), np.int64)
        mask = np.zeros((b, n), np.float32)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
            mask[i, : len(s)] = 1
        w, c = self.w, self.cfg
        eps = c.get("layer_norm_eps", 1e-12)
        heads = c["num_attention_heads"]
        d = c["hidden_size"]
        hd = d // heads

        def ln(x, p):
            mu = x.mean(-1, keepdims=True)
            var = ((x - mu) ** 2).mean(-1, keepdims=True)
            return (x - mu) / np.sqrt(var + eps) * w[p + ".weight"] + w[p + ".bias"]

        def lin(p, x):
            return x @ w[p + ".weight"].T + w[p + ".bias"]

        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = ln(x, "embeddings.LayerNorm").reshape(b * n, d)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q = lin(p + "attention.self.query", x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3)
            k = lin(p + "attention.self.key", x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3)
            v = lin(p + "attention.self.value", x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3)
            s = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(hd)) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(0, 2, 1, 3).reshape(b * n, d)
            x = ln(x + lin(p + "attention.output.dense", a), p + "attention.output.LayerNorm")
            h = lin(p + "intermediate.dense", x)
            h = 0.5 * h * (1.0 + erf(h / np.float32(math.sqrt(2.0))))
            x = ln(x + lin(p + "output.dense", h), p + "output.LayerNorm")
        x = x.reshape(b, n, d)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        out = np.empty_like(pooled)
        out[order] = pooled
        return out
