"""Writes an MLX affine-quantized copy of a BERT snapshot: every encoder
linear layer (attention q/k/v/output, intermediate, output) quantized with
mlx.core.quantize, embeddings and norms kept as they are, and config.json's
"quantization" entry as mlx_lm writes it.

  python3 quantize_snapshot.py SRC DST BITS [GROUP_SIZE]

Exit 77 when mlx or the source snapshot is missing (the test skips).
"""
import json
import os
import shutil
import sys


def main():
    src, dst, bits = sys.argv[1], sys.argv[2], int(sys.argv[3])
    group = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    if not os.path.exists(os.path.join(src, "model.safetensors")):
        print(f"{src}: no snapshot (run scripts/prepare-embedding-model.sh)")
        return 77
    try:
        import mlx.core as mx
    except ImportError:
        print("mlx is not installed")
        return 77
    weights = mx.load(os.path.join(src, "model.safetensors"))
    out = {}
    linear_suffixes = ("attention.self.query", "attention.self.key", "attention.self.value",
                       "attention.output.dense", "intermediate.dense", "output.dense")
    for name, w in weights.items():
        module = name[: -len(".weight")] if name.endswith(".weight") else None
        if module and "encoder.layer." in module and module.endswith(linear_suffixes):
            q, scales, biases = mx.quantize(w, group_size=group, bits=bits)
            out[module + ".weight"] = q
            out[module + ".scales"] = scales
            out[module + ".biases"] = biases
        else:
            out[name] = w
    tmp = dst + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("model.safetensors", "*.md"))
    mx.save_safetensors(os.path.join(tmp, "model.safetensors"), out, metadata={"format": "mlx"})
    cfg = json.load(open(os.path.join(src, "config.json")))
    cfg["quantization"] = {"group_size": group, "bits": bits}
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    shutil.rmtree(dst, ignore_errors=True)
    os.rename(tmp, dst)
    print(f"{dst}: {bits}-bit affine, group {group}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
