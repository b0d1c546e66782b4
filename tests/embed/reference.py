"""Sentence embeddings in float64 numpy, written from the BERT paper (Devlin et
al. 2018: embeddings = word + position + segment, LayerNorm; post-norm encoder
blocks of multi-head self-attention and a GELU feed-forward layer) and the
sentence-transformers module files (1_Pooling/config.json, 2_Normalize,
sentence_bert_config.json). Tokenization is Hugging Face `tokenizers` on the
snapshot's tokenizer.json. Used to make the golden file; never at run time.
"""
import json
import math
import os
import struct

import numpy as np
from tokenizers import Tokenizer

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = arr
    return out


def erf_gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class Reference:
    def __init__(self, model_dir):
        self.dir = model_dir
        self.cfg = json.load(open(os.path.join(model_dir, "config.json")))
        raw = load_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.w = {k[5:] if k.startswith("bert.") else k: v.astype(np.float64) for k, v in raw.items()}
        self.tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tok.no_padding()
        self.tok.no_truncation()
        sb = os.path.join(model_dir, "sentence_bert_config.json")
        limit = self.cfg.get("max_position_embeddings", 512)
        if os.path.exists(sb):
            limit = min(limit, json.load(open(sb))["max_seq_length"])
        self.max_len = limit
        self.tok.enable_truncation(max_length=limit)
        pool = json.load(open(os.path.join(model_dir, "1_Pooling", "config.json")))
        modes = [k for k in ("pooling_mode_cls_token", "pooling_mode_mean_tokens",
                             "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
                 if pool.get(k)]
        assert len(modes) == 1, modes
        self.pooling = modes[0]
        modules = json.load(open(os.path.join(model_dir, "modules.json")))
        self.normalize = any(m["type"].endswith("Normalize") for m in modules)

    def ids(self, text):
        return self.tok.encode(text).ids

    def hidden(self, ids):
        c, w = self.cfg, self.w
        n = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        eps = c.get("layer_norm_eps", 1e-12)
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        heads = c["num_attention_heads"]
        hd = c["hidden_size"] // heads

        def lin(name, v):
            return v @ w[name + ".weight"].T + w[name + ".bias"]

        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q = lin(p + "attention.self.query", x).reshape(n, heads, hd).transpose(1, 0, 2)
            k = lin(p + "attention.self.key", x).reshape(n, heads, hd).transpose(1, 0, 2)
            v = lin(p + "attention.self.value", x).reshape(n, heads, hd).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(1, 0, 2).reshape(n, heads * hd)
            x = layer_norm(x + lin(p + "attention.output.dense", a),
                           w[p + "attention.output.LayerNorm.weight"],
                           w[p + "attention.output.LayerNorm.bias"], eps)
            h = erf_gelu(lin(p + "intermediate.dense", x))
            x = layer_norm(x + lin(p + "output.dense", h), w[p + "output.LayerNorm.weight"],
                           w[p + "output.LayerNorm.bias"], eps)
        return x

    def embed_ids(self, ids):
        h = self.hidden(ids)
        if self.pooling == "pooling_mode_cls_token":
            v = h[0]
        elif self.pooling == "pooling_mode_max_tokens":
            v = h.max(0)
        elif self.pooling == "pooling_mode_mean_sqrt_len_tokens":
            v = h.sum(0) / math.sqrt(len(ids))
        else:
            v = h.mean(0)
        if self.normalize:
            v = v / max(np.linalg.norm(v), 1e-12)
        return v

    def embed(self, text):
        return self.embed_ids(self.ids(text))
