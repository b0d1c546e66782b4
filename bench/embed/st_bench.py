"""sentence-transformers (PyTorch, CPU) under the same loop as rmlx_embed_bench:
requests of --batch consecutive texts, round after round for at least
--seconds and at least once over every text; prints one JSON line. Text in,
vector out: tokenizing, padding and pooling are timed, as rmlx's are.

  python3 st_bench.py MODEL_DIR TEXTS_FILE --batch 64 --threads 2 [--seconds 3] [--dump F]
"""
import argparse
import json
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("texts")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--dump")
    a = ap.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(a.model, device="cpu")
    texts = open(a.texts, encoding="utf-8").read().split("\n")
    if texts and texts[-1] == "":
        texts.pop()
    lengths = [len(model.tokenizer(t, truncation=True, max_length=model.max_seq_length)["input_ids"])
               for t in texts]
    if a.dump:
        vecs = model.encode(texts, batch_size=a.batch, convert_to_numpy=True)
        json.dump(vecs.tolist(), open(a.dump, "w"))
    model.encode(texts[:a.batch], batch_size=a.batch)  # warm-up
    start = time.perf_counter()
    inputs = tokens = nxt = 0
    with torch.inference_mode():
        while True:
            idx = [(nxt + k) % len(texts) for k in range(a.batch)]
            nxt = (nxt + a.batch) % len(texts)
            model.encode([texts[i] for i in idx], batch_size=a.batch, convert_to_numpy=True)
            inputs += a.batch
            tokens += sum(lengths[i] for i in idx)
            el = time.perf_counter() - start
            if el >= a.seconds and inputs >= len(texts):
                break
    print(json.dumps({"engine": "sentence-transformers", "batch": a.batch, "inputs_per_s": inputs / el,
                      "tokens_per_s": tokens / el, "mean_tokens": tokens / inputs, "seconds": el,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
