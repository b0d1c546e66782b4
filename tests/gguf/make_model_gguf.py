#!/usr/bin/env python3
"""Writes a tiny random GGUF model of a given architecture (qwen2, qwen3 or llama) with a
byte-level BPE tokenizer, mixing tensor types (F32 norms, F16, BF16, Q8_0, Q4_0, Q5_1,
Q4_K, Q6_K), to exercise the importer beyond the SmolLM2 file.

Usage: make_model_gguf.py ARCH OUT.gguf
Exit 77 (skip) when the gguf package is missing.
"""
import sys

try:
    import numpy as np
    from gguf import GGUFWriter, GGMLQuantizationType as T
    from gguf.quants import quantize
    from gguf.constants import GGML_QUANT_SIZES
except ImportError:
    sys.exit(77)


def byte_tokens():
    # GPT-2's printable mapping of the 256 bytes.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def main():
    arch, out = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng({"qwen2": 2, "qwen3": 3, "llama": 4}[arch])
    hidden, ffn, layers, heads, kv, hd = 256, 512, 2, 4, 2, 64
    tokens = byte_tokens()
    merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a"]
    for m in merges:
        tokens.append(m.replace(" ", ""))
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tokens += specials
    types = [1] * (len(tokens) - len(specials)) + [3] * len(specials)
    vocab = len(tokens)
    w = GGUFWriter(out, arch)
    w.add_block_count(layers)
    w.add_context_length(512)
    w.add_embedding_length(hidden)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(1000000.0)
    if arch == "qwen3":
        w.add_key_length(hd)
        w.add_value_length(hd)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2" if arch != "llama" else "llama-bpe")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(vocab - 3)
    w.add_eos_token_id(vocab - 1)
    w.add_add_bos_token(arch == "llama")
    w.add_chat_template("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}")

    def add(name, shape, qtype):
        x = (rng.standard_normal(shape) * 0.05).astype(np.float32)
        if qtype == T.F32:
            w.add_tensor(name, x)
        elif qtype == T.F16:
            w.add_tensor(name, x.astype(np.float16))
        elif qtype in (T.Q4_K, T.Q6_K):
            # gguf-py has no K-quant quantizer: random blocks with small finite scales.
            block, size = GGML_QUANT_SIZES[qtype]
            data = rng.integers(0, 256, size=(x.size // block, size), dtype=np.uint8)
            for off in ([0, 2] if qtype == T.Q4_K else [208]):
                data[:, off:off + 2] = (rng.standard_normal((x.size // block, 1)) * 0.001).astype(np.float16).view(np.uint8)
            w.add_tensor(name, data.reshape(shape[0], -1), raw_dtype=qtype)
        elif qtype == T.BF16:
            b = (x.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
            w.add_tensor(name, b.reshape(shape[0], -1), raw_dtype=qtype)
        else:
            w.add_tensor(name, quantize(x, qtype), raw_dtype=qtype)

    add("token_embd.weight", (vocab, hidden), T.Q8_0)
    linear_types = [T.Q4_0, T.Q5_1, T.Q4_K, T.Q6_K, T.F16, T.BF16, T.Q8_0, T.Q4_1]
    k = 0
    for l in range(layers):
        p = f"blk.{l}."
        add(p + "attn_norm.weight", (hidden,), T.F32)
        add(p + "ffn_norm.weight", (hidden,), T.F32)
        for name, shape in [("attn_q", (heads * hd, hidden)), ("attn_k", (kv * hd, hidden)),
                            ("attn_v", (kv * hd, hidden)), ("attn_output", (hidden, heads * hd)),
                            ("ffn_gate", (ffn, hidden)), ("ffn_up", (ffn, hidden))]:
            qt = linear_types[k % len(linear_types)]
            if qt in (T.Q4_K, T.Q6_K) and shape[1] % 256:
                qt = T.Q8_0
            add(p + name + ".weight", shape, qt)
            k += 1
        add(p + "ffn_down.weight", (hidden, ffn), T.Q4_0)
        if arch == "qwen2":
            add(p + "attn_q.bias", (heads * hd,), T.F32)
            add(p + "attn_k.bias", (kv * hd,), T.F32)
            add(p + "attn_v.bias", (kv * hd,), T.F32)
        if arch == "qwen3":
            add(p + "attn_q_norm.weight", (hd,), T.F32)
            add(p + "attn_k_norm.weight", (hd,), T.F32)
    add("output_norm.weight", (hidden,), T.F32)
    if arch == "llama":
        # Llama 3 rope scaling as llama.cpp exports it (factor 32, as Llama 3.2 1B).
        factor, low, high, old = 32.0, 1.0, 4.0, 8192.0
        freqs = 1.0 / (1000000.0 ** (np.arange(0, hd, 2, dtype=np.float32) / hd))
        factors = []
        for f in freqs:
            wavelen = 2 * np.pi / f
            if wavelen < old / high:
                factors.append(1.0)
            elif wavelen > old / low:
                factors.append(factor)
            else:
                smooth = (old / wavelen - low) / (high - low)
                factors.append(1 / ((1 - smooth) / factor + smooth))
        w.add_tensor("rope_freqs.weight", np.array(factors, dtype=np.float32))
    if arch != "qwen3":
        add("output.weight", (vocab, hidden), T.Q6_K if hidden % 256 == 0 else T.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
