"""Turns a synthetic Qwen3-shaped snapshot (rmlx-host synth) into two decoder
embedding models, declared the way Qwen3-Embedding declares itself: a
sentence-transformers modules.json, 1_Pooling/config.json, 2_Normalize and
sentence_bert_config.json.

  OUT/lasttoken  last-token pooling; tensor names without the "model." prefix,
                 as Qwen3-Embedding's safetensors store them
  OUT/mean       mean pooling; tensor names as the synth wrote them

  python3 decoder_snapshot.py SYNTH_DIR OUT
Standard library only (CI runs it without torch).
"""
import json
import os
import shutil
import struct
import sys

MAX_SEQ = 512


def rewrite_safetensors(src, dst, rename):
    with open(src, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        out[k if k == "__metadata__" else rename(k)] = v
    raw = json.dumps(out, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        f.write(data)


def declare(out, hidden, pooling):
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ]
    json.dump(modules, open(os.path.join(out, "modules.json"), "w"), indent=2)
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)
    os.makedirs(os.path.join(out, "2_Normalize"), exist_ok=True)
    modes = {k: False for k in ("pooling_mode_cls_token", "pooling_mode_mean_tokens",
                                "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                                "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken")}
    modes[pooling] = True
    json.dump({"word_embedding_dimension": hidden, **modes, "include_prompt": True},
              open(os.path.join(out, "1_Pooling", "config.json"), "w"), indent=2)
    json.dump({"max_seq_length": MAX_SEQ, "do_lower_case": False},
              open(os.path.join(out, "sentence_bert_config.json"), "w"), indent=2)


def make(src, out, pooling, strip_prefix):
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    for name in os.listdir(src):
        if name.endswith(".safetensors") or name == "model.safetensors.index.json":
            continue
        if os.path.isfile(os.path.join(src, name)):
            shutil.copy(os.path.join(src, name), out)

    def rename(k):
        return k[len("model."):] if strip_prefix and k.startswith("model.") else k

    for name in os.listdir(src):
        if name.endswith(".safetensors"):
            rewrite_safetensors(os.path.join(src, name), os.path.join(out, name), rename)
    index = os.path.join(src, "model.safetensors.index.json")
    if os.path.exists(index):
        idx = json.load(open(index))
        idx["weight_map"] = {rename(k): v for k, v in idx["weight_map"].items()}
        json.dump(idx, open(os.path.join(out, "model.safetensors.index.json"), "w"), indent=2)
    hidden = json.load(open(os.path.join(src, "config.json")))["hidden_size"]
    declare(out, hidden, pooling)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: decoder_snapshot.py SYNTH_DIR OUT")
    src, out = sys.argv[1], sys.argv[2]
    make(src, os.path.join(out, "lasttoken"), "pooling_mode_lasttoken", True)
    make(src, os.path.join(out, "mean"), "pooling_mode_mean_tokens", False)


if __name__ == "__main__":
    main()
