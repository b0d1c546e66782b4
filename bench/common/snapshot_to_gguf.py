#!/usr/bin/env python3
"""Write an unquantized (bf16/f16/f32) MLX/Hugging Face llama-family snapshot as
an F16 or BF16 GGUF that llama.cpp loads, using only the `gguf` and `numpy`
packages (no torch).

The snapshot's tokenizer.json must be a byte-level BPE vocabulary; it becomes a
"gpt2"-model GGUF vocabulary padded to the embedding's row count. From the
result, `llama-quantize --pure` makes Q4_1 / Q8_0 files, and
`rmlx-host convert --from-gguf` imports those back into MLX affine layout, so
rmlx and llama.cpp can run the same weights.

Usage: snapshot_to_gguf.py SNAPSHOT_DIR OUT.gguf [--outtype bf16|f16] [--pre NAME]
"""
import argparse
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover - reported to the user
    sys.exit("snapshot_to_gguf.py: the `gguf` Python package is required (pip install gguf)")

ARCHS = {
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
    "Qwen3ForCausalLM": "qwen3",
}
LAYER_NAMES = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm",
    "self_attn.k_norm": "attn_k_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
TOP_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
# gguf token types
NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5


def fail(msg):
    sys.exit(f"snapshot_to_gguf.py: {msg}")


class Safetensors:
    """Memory-mapped tensors of one .safetensors file, as raw numpy arrays
    (bf16 comes back as uint16 bits)."""

    DTYPES = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32}

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            self.header = json.loads(f.read(n))
        self.base = 8 + n
        self.map = np.memmap(path, dtype=np.uint8, mode="r")

    def names(self):
        return [k for k in self.header if k != "__metadata__"]

    def get(self, name):
        info = self.header[name]
        dt = info["dtype"]
        if dt not in self.DTYPES:
            fail(f"{self.path}: tensor {name}: dtype {dt} is not supported "
                 "(bf16, f16 or f32 snapshots only; quantized snapshots cannot be converted)")
        begin, end = info["data_offsets"]
        raw = self.map[self.base + begin:self.base + end]
        return dt, raw.view(self.DTYPES[dt]).reshape(info["shape"])


def load_tensors(snapshot):
    files = sorted(snapshot.glob("*.safetensors"))
    if not files:
        fail(f"{snapshot}: no .safetensors files")
    out = {}
    for p in files:
        st = Safetensors(p)
        for name in st.names():
            out[name] = (st, name)
    return out


def to_f32(dt, a):
    if dt == "BF16":
        return (a.astype(np.uint32) << 16).view(np.float32)
    return a.astype(np.float32)


def to_out(dt, a, outtype):
    """Array in the output's 16-bit type: uint16 bits for BF16, float16 for F16."""
    if outtype == "bf16":
        if dt == "BF16":
            return a
        f = to_f32(dt, a)
        bits = f.view(np.uint32)
        # round to nearest even, as every converter does
        return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    if dt == "F16":
        return a
    return to_f32(dt, a).astype(np.float16)


def permute_qk(w, heads):
    """Hugging Face's rotate-half q/k rows back to the interleaved order that
    llama.cpp's `llama` architecture rotates (what convert_hf_to_gguf does)."""
    shape = w.shape
    return np.ascontiguousarray(
        w.reshape(heads, 2, shape[0] // heads // 2, *shape[1:]).swapaxes(1, 2).reshape(shape))


def llama3_rope_factors(head_dim, theta, scaling):
    factor = float(scaling.get("factor", 8.0))
    low = float(scaling.get("low_freq_factor", 1.0))
    high = float(scaling.get("high_freq_factor", 4.0))
    old = float(scaling.get("original_max_position_embeddings", 8192))
    low_wl, high_wl = old / low, old / high
    out = []
    for i in range(0, head_dim, 2):
        freq = 1.0 / (theta ** (np.float32(i) / np.float32(head_dim)))
        wl = 2 * math.pi / freq
        if wl < high_wl:
            out.append(1.0)
        elif wl > low_wl:
            out.append(factor)
        else:
            smooth = (old / wl - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def detect_pre(tok):
    text = json.dumps(tok.get("pre_tokenizer"))
    if "\\\\p{N}{1,3}" in text:
        return "llama-bpe"
    if "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}" in text:
        return "qwen2"
    if '"Digits"' in text and '"individual_digits": true' in text:
        return "smollm"
    if '"ByteLevel"' in text:
        return "gpt2"
    fail("tokenizer.json: cannot tell the pre-tokenizer; pass --pre (llama-bpe, qwen2, smollm, gpt2)")


def add_vocab(w, snapshot, config, n_vocab, pre):
    path = snapshot / "tokenizer.json"
    if not path.is_file():
        fail(f"{path}: missing (a byte-level BPE tokenizer.json is needed)")
    tok = json.loads(path.read_text())
    model = tok.get("model", {})
    if model.get("type") != "BPE":
        fail(f"{path}: model.type is {model.get('type')!r}, only byte-level BPE is supported")
    tokens = [None] * n_vocab
    types = [UNUSED] * n_vocab
    for text, i in model["vocab"].items():
        if i >= n_vocab:
            fail(f"{path}: token id {i} >= the embedding's {n_vocab} rows")
        tokens[i], types[i] = text, NORMAL
    for t in tok.get("added_tokens", []):
        i = t["id"]
        if i >= n_vocab:
            fail(f"{path}: added token id {i} >= the embedding's {n_vocab} rows")
        tokens[i] = t["content"]
        types[i] = CONTROL if t.get("special") else USER_DEFINED
    for i in range(n_vocab):
        if tokens[i] is None:
            tokens[i] = f"[PAD{i}]"
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre or detect_pre(tok))
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)

    tc_path = snapshot / "tokenizer_config.json"
    tc = json.loads(tc_path.read_text()) if tc_path.is_file() else {}
    ids = {t: i for i, t in enumerate(tokens)}

    def token_id(v):
        if isinstance(v, dict):
            v = v.get("content")
        return ids.get(v) if isinstance(v, str) else None

    bos = config.get("bos_token_id")
    if bos is None:
        bos = token_id(tc.get("bos_token"))
    eos = config.get("eos_token_id")
    if isinstance(eos, list):
        eos = eos[0] if eos else None
    if eos is None:
        eos = token_id(tc.get("eos_token"))
    if bos is not None:
        w.add_bos_token_id(int(bos))
    if eos is not None:
        w.add_eos_token_id(int(eos))
    pad = token_id(tc.get("pad_token"))
    if pad is not None:
        w.add_pad_token_id(pad)
    post = json.dumps(tok.get("post_processor"))
    add_bos = tc.get("add_bos_token")
    if add_bos is None:
        add_bos = bos is not None and '"SpecialToken"' in post and \
            tokens[int(bos)] in post.split('"single"', 1)[-1].split('"pair"', 1)[0]
    w.add_add_bos_token(bool(add_bos))
    w.add_add_eos_token(bool(tc.get("add_eos_token", False)))
    template = tc.get("chat_template")
    jinja = snapshot / "chat_template.jinja"
    if template is None and jinja.is_file():
        template = jinja.read_text()
    if isinstance(template, str):
        w.add_chat_template(template)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("snapshot", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--outtype", choices=["bf16", "f16"], default="bf16")
    ap.add_argument("--pre", help="llama.cpp pre-tokenizer name (default: detected)")
    args = ap.parse_args()

    cfg_path = args.snapshot / "config.json"
    if not cfg_path.is_file():
        fail(f"{cfg_path}: missing")
    config = json.loads(cfg_path.read_text())
    if "quantization" in config or "quantization_config" in config:
        fail(f"{cfg_path}: the snapshot is quantized; convert a bf16/f16/f32 snapshot")
    archs = config.get("architectures") or []
    if not archs or archs[0] not in ARCHS:
        fail(f"{cfg_path}: architectures: {archs} is not supported ({', '.join(ARCHS)})")
    arch = ARCHS[archs[0]]
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    head_dim = config.get("head_dim") or hidden // heads
    theta = float(config.get("rope_theta", 10000.0))
    tensors = load_tensors(args.snapshot)
    if "model.embed_tokens.weight" not in tensors:
        fail(f"{args.snapshot}: no model.embed_tokens.weight")
    emb_st, _ = tensors["model.embed_tokens.weight"]
    n_vocab = emb_st.header["model.embed_tokens.weight"]["shape"][0]

    w = gguf.GGUFWriter(str(args.out), arch)
    w.add_name(args.snapshot.name)
    w.add_context_length(int(config.get("max_position_embeddings", 4096)))
    w.add_embedding_length(hidden)
    w.add_block_count(config["num_hidden_layers"])
    w.add_feed_forward_length(config["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(theta)
    w.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    w.add_vocab_size(n_vocab)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16 if args.outtype == "bf16"
                    else gguf.LlamaFileType.MOSTLY_F16)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    scaling = config.get("rope_scaling") or {}
    rtype = scaling.get("rope_type", scaling.get("type"))
    extra = {}
    if rtype == "llama3":
        extra["rope_freqs.weight"] = llama3_rope_factors(head_dim, theta, scaling)
    elif rtype == "linear":
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(float(scaling["factor"]))
    elif rtype == "yarn":
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(float(scaling["factor"]))
        w.add_rope_scaling_orig_ctx_len(int(scaling["original_max_position_embeddings"]))
    elif rtype not in (None, "default"):
        fail(f"{cfg_path}: rope_scaling type {rtype!r} is not supported")
    add_vocab(w, args.snapshot, config, n_vocab, args.pre)

    outtype = gguf.GGMLQuantizationType.BF16 if args.outtype == "bf16" \
        else gguf.GGMLQuantizationType.F16
    for name, arr in extra.items():
        w.add_tensor(name, arr)
    tied = config.get("tie_word_embeddings", False) or "lm_head.weight" not in tensors
    for name, (st, key) in tensors.items():
        if name == "lm_head.weight" and tied:
            continue
        if name in TOP_NAMES:
            gname = TOP_NAMES[name]
        else:
            parts = name.split(".")
            if len(parts) < 5 or parts[:2] != ["model", "layers"]:
                fail(f"{st.path}: tensor {name}: not a llama-family tensor name")
            layer, leaf = parts[2], parts[-1]
            mod = ".".join(parts[3:-1])
            if mod not in LAYER_NAMES or leaf not in ("weight", "bias"):
                fail(f"{st.path}: tensor {name}: not a llama-family tensor name")
            gname = f"blk.{layer}.{LAYER_NAMES[mod]}.{leaf}"
        dt, a = st.get(key)
        if arch == "llama" and (".self_attn.q_proj." in name or ".self_attn.k_proj." in name):
            a = permute_qk(np.asarray(a), heads if ".q_proj." in name else kv_heads)
        if a.ndim == 1:  # norms and biases stay f32, as llama.cpp keeps them
            w.add_tensor(gname, to_f32(dt, a))
        else:
            w.add_tensor(gname, to_out(dt, a, args.outtype), raw_dtype=outtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(args.out)


if __name__ == "__main__":
    main()
