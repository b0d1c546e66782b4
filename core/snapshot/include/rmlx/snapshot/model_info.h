// A summary of a snapshot for `rmlx-host info`: parameter count (packed
// quantized weights counted by their logical size), quantization per run of
// layers, sizes, KV cache cost, tokenizer and chat template facts.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "rmlx/snapshot/snapshot.h"

namespace rmlx::snapshot {

struct QuantGroup {
  std::string modules;      // "layers 0-29", "model.embed_tokens", "lm_head"
  std::string description;  // "affine 4-bit g64", or "mlp.down_proj: affine 8-bit g64; ..."
};

struct ModelInfo {
  std::string architecture, model_type;
  std::uint64_t parameters = 0;
  std::uint64_t weight_bytes = 0;
  std::uint64_t disk_bytes = 0;
  std::int64_t layers = 0, kv_heads = 0, head_dim = 0, max_context = 0;
  bool tied_embeddings = false;
  std::vector<QuantGroup> quantization;  // empty when nothing is quantized
  std::set<std::string> quant_modes;     // weight formats needed ("affine")
  std::string tokenizer_type;            // tokenizer.json model.type ("BPE"), or ""
  bool chat_template = false;
  std::vector<std::int64_t> eos_ids;
  std::vector<std::string> eos_tokens;  // same order; "" when unknown

  // f16 K and V for every layer: 2 * layers * kv_heads * head_dim * 2 bytes.
  std::uint64_t kv_bytes_per_token() const {
    return 2ull * static_cast<std::uint64_t>(layers * kv_heads * head_dim) * 2ull;
  }
};

ModelInfo describe_model(const Snapshot& s);

}  // namespace rmlx::snapshot
