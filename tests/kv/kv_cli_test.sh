#!/usr/bin/env bash
# --kv-codec from the command line: info's bytes per token and fitting context,
# generation through a quantized cache, and clear errors naming bad values.
#   kv_cli_test.sh RMLX_HOST WORK_DIR TOKENIZER_XZ
set -euo pipefail
host=$1 work=$2 tok_xz=$3
rm -rf "$work" && mkdir -p "$work/tok"
xz -dc "$tok_xz" > "$work/tok/tokenizer.json"
"$host" synth --like smollm2-135m --layers 2 --vocab 512 --tokenizer "$work/tok" \
  --out "$work/model" > /dev/null

fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect NAME WANT GOT
  [[ "$3" == *"$2"* ]] || fail "$1: wanted '$2' in: $3"
}

# 2 layers x 3 KV heads x (K row + V row): int8 68 bytes, int4 36 bytes at head_dim 64.
out=$("$host" info --model "$work/model" --context 1000 --kv-codec int8:int4 --kv-memory 1M 2>/dev/null)
expect "int8:int4 bytes" "kv per token:   624 bytes (int8:int4; f16: 1536 bytes, 0.406x)" "$out"
# 1 MiB / (624 * 16) = 105 whole blocks of 16 tokens.
expect "int8:int4 fits" "holds 1680 tokens (1680 per sequence x 1)" "$out"
json=$("$host" info --model "$work/model" --kv-codec turboquant --kv-memory 64K --batch 2 --json 2>/dev/null)
expect "json bytes" '"kv_bytes_per_token": 432' "$json"
expect "json fits" '"kv_memory_tokens": 144' "$json"
expect "json per seq" '"kv_memory_context_per_seq": 72' "$json"

for bad in nosuch int9; do
  set +e
  err=$("$host" info --model "$work/model" --kv-codec "$bad" 2>&1 >/dev/null)
  rc=$?
  set -e
  [[ $rc == 2 ]] || fail "info --kv-codec $bad exited $rc"
  expect "info $bad" "--kv-codec '$bad': no plugin provides kv_codec '$bad' (known:" "$err"
done
set +e
err=$("$host" info --model "$work/model" --kv-codec int8: 2>&1 >/dev/null)
set -e
expect "empty V" "--kv-codec 'int8:': expected a codec name or K:V" "$err"

# Every codec (and a K/V pair) generates through the model.
for codec in f16 bf16 fp8 int8 int4 turboquant int8:int4; do
  out=$("$host" generate --model "$work/model" --prompt-ids 1,2,3,4,5,6,7,8 --raw -n 4 \
    --kv-codec "$codec" --json --threads 1 2>/dev/null) || fail "generate --kv-codec $codec"
  expect "generate $codec" '"ids"' "$out"
done
set +e
err=$("$host" generate --model "$work/model" --prompt-ids 1,2,3 --raw -n 2 --kv-codec int9 2>&1)
rc=$?
set -e
[[ $rc != 0 ]] || fail "generate --kv-codec int9 succeeded"
expect "generate int9" "kv_codec 'int9'" "$err"
echo "ok"
