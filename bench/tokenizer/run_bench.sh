#!/bin/sh
# Compares single-threaded encode throughput of rmlx_tokenizer and Python `tokenizers` on the
# mixed-script corpus, for every tokenizer in a folder of <name>/tokenizer.json.
# Usage: run_bench.sh BUILD_DIR [TOKENIZER_DIR] [REPEATS]
#   BUILD_DIR      the CMake build tree (holds bench/tokenizer/tokenizer_bench)
#   TOKENIZER_DIR  default: BUILD_DIR/tests/tokenizer/tokenizers (unpacked by ctest -R tokenizer_unpack)
set -eu
build=$1
toks=${2:-$build/tests/tokenizer/tokenizers}
repeats=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
corpus=$build/bench/tokenizer/corpus.jsonl
python3 "$here/../../tests/tokenizer/make_corpus.py" "$corpus" >/dev/null
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
printf '%-12s %10s %10s %8s\n' tokenizer rmlx_MB/s hf_MB/s ratio
for dir in "$toks"/*/; do
  name=$(basename "$dir")
  ours=$(taskset -c 0 "$build/bench/tokenizer/tokenizer_bench" "$dir/tokenizer.json" "$corpus" "$repeats" | sed 's/.*MB_per_s=//')
  theirs=$(taskset -c 0 python3 "$here/bench_python.py" "$dir/tokenizer.json" "$corpus" "$repeats" | sed 's/.*MB_per_s=//')
  ratio=$(python3 -c "print(f'{$ours / $theirs:.2f}')")
  printf '%-12s %10s %10s %7sx\n' "$name" "$ours" "$theirs" "$ratio"
done
