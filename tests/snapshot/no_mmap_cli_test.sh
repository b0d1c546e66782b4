#!/usr/bin/env bash
# --no-mmap end to end: greedy and seeded sampled tokens identical to the mapped load, the flag on every
# command that loads a model, and a truncated weight file named with one clear line.
#   no_mmap_cli_test.sh RMLX_HOST WORK_DIR TOKENIZER_XZ
set -euo pipefail
host=$1 work=$2 tok_xz=$3
rm -rf "$work" && mkdir -p "$work/tok"
xz -dc "$tok_xz" > "$work/tok/tokenizer.json"
"$host" synth --like smollm2-135m --layers 2 --vocab 512 --quant affine:4:32 --seed 9 \
  --tokenizer "$work/tok" --out "$work/model" > /dev/null

fail() { echo "FAIL: $*"; exit 1; }
ids() {  # the "ids" list of generate --json
  python3 -c 'import json, sys; print(json.load(sys.stdin)["ids"])'
}

# Greedy, and seeded sampling (it reads the whole distribution, not only its top).
for args in "--threads 1" "--threads 2 --int8-activations" "--threads 2 --temperature 1.5 --seed 4"; do
  # shellcheck disable=SC2086
  mapped=$("$host" generate --model "$work/model" --prompt-ids 5,17,200,3,99,41 --raw -n 24 \
    --ignore-eos --json $args 2>/dev/null | ids)
  # shellcheck disable=SC2086
  read=$("$host" generate --model "$work/model" --prompt-ids 5,17,200,3,99,41 --raw -n 24 \
    --ignore-eos --json --no-mmap $args 2>"$work/stderr" | ids)
  [[ "$mapped" == "$read" ]] || fail "$args: mapped $mapped, --no-mmap $read"
  [[ $(echo "$read" | tr -cd , | wc -c) == 23 ]] || fail "$args: not 24 ids: $read"
  grep -q "^read model.safetensors: .* into memory$" "$work/stderr" ||
    fail "$args: no load summary line: $(cat "$work/stderr")"
  echo "$args: 24 identical ids $read"
done

for cmd in generate chat serve bench; do
  help=$("$host" "$cmd" --help)
  [[ "$help" == *"--no-mmap "*"read the weight files into memory"* ]] || fail "$cmd --help: no --no-mmap"
done

# A weight file cut short: the same line with and without --no-mmap.
cp -r "$work/model" "$work/cut"
size=$(stat -c %s "$work/cut/model.safetensors")
truncate -s $((size - 100)) "$work/cut/model.safetensors"
for flag in "" --no-mmap; do
  set +e
  # shellcheck disable=SC2086
  err=$("$host" generate --model "$work/cut" --prompt-ids 1,2 --raw -n 1 $flag 2>&1 >/dev/null)
  rc=$?
  set -e
  [[ $rc != 0 ]] || fail "generate $flag on a truncated file succeeded"
  want="$work/cut/model.safetensors: tensor 'model.norm.weight': data_offsets"
  [[ "$err" == *"$want"*"run past the data buffer ($((size - 100 - 8 - $(python3 -c \
    "import struct,sys; print(struct.unpack('<Q', open(sys.argv[1],'rb').read(8))[0])" \
    "$work/cut/model.safetensors"))) bytes)"* ]] || fail "generate $flag: $err"
  echo "truncated${flag:+ $flag}: $(echo "$err" | grep -o "tensor '.*")"
done
echo "ok"
