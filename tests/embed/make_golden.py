"""Regenerates golden.json: the token ids and the float64 reference vector of
every input of inputs.py for all-MiniLM-L6-v2.

  python3 tests/embed/make_golden.py ~/.cache/rmlx/models/all-MiniLM-L6-v2
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inputs import inputs  # noqa: E402
from reference import Reference  # noqa: E402


def main():
    model = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "golden.json")
    ref = Reference(model)
    rows = []
    for text in inputs():
        ids = ref.ids(text)
        vec = ref.embed_ids(ids)
        rows.append({"text": text, "ids": ids, "embedding": [float(f"{x:.9g}") for x in vec]})
    doc = {"model": "all-MiniLM-L6-v2", "max_tokens": ref.max_len, "inputs": rows}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"{out}: {len(rows)} inputs")


if __name__ == "__main__":
    main()
