// Import of a GGUF model (llama, qwen2, qwen3) into an MLX snapshot directory:
// config.json (HF/MLX layout with a "quantization" block), model.safetensors
// (sharded when large), tokenizer.json, tokenizer_config.json and
// generation_config.json.
//
// Q4_0, Q4_1 and Q8_0 weights become MLX affine groups of 32 (4 or 8 bits) with
// float16 scales/biases without loss; every other type is dequantized to float32
// and stored in `dtype`, or re-quantized with q_bits/q_group_size when given.
// llama.cpp's Q/K row permutation (arch llama) is undone on whole rows.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "rmlx/gguf/gguf_file.h"
#include "rmlx/sdk/dtype.h"

namespace rmlx::gguf {

struct ImportOptions {
  std::string out_dir;
  int q_bits = 0;  // 0: keep dequantized tensors in `dtype`
  int q_group_size = 64;
  sdk::DType dtype = sdk::DType::bf16;  // bf16, f16 or f32
  // Store Q4_0/Q4_1/Q8_0 in `dtype` too instead of as lossless affine.
  bool dequantize_all = false;
  std::uint64_t max_shard_bytes = 5ull << 30;
  bool progress = true;
};

struct ImportSummary {
  std::size_t tensors_in = 0;
  std::size_t lossless_affine = 0;  // Q4_0/Q4_1/Q8_0 kept as affine
  std::size_t dequantized = 0;
  std::size_t requantized = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t parameters = 0;
  std::size_t shards = 0;
};

struct ModelHparams {
  std::string gguf_arch;  // "llama"
  std::string hf_arch;    // "LlamaForCausalLM"
  std::string model_type;
  std::int64_t layers = 0, hidden = 0, intermediate = 0, heads = 0, kv_heads = 0, head_dim = 0;
  std::int64_t context = 0, vocab = 0;
  double rms_eps = 1e-6, rope_theta = 10000;
  bool tied = true, attention_bias = false;
  nlohmann::ordered_json rope_scaling;  // null when none
};

ModelHparams read_hparams(const GgufFile& f);

// The Hugging Face name of a GGUF tensor ("blk.3.ffn_up.weight" ->
// "model.layers.3.mlp.up_proj.weight"); nullopt when it has none.
std::optional<std::string> hf_tensor_name(const std::string& gguf_name);

// For arch llama: the head count whose rows llama.cpp permuted in this HF tensor
// (q_proj: heads, k_proj: kv heads), else 0.
std::int64_t permuted_heads(const ModelHparams& hp, const std::string& hf_name);
// Source (GGUF) row of HF row `r` for a tensor of `rows` rows in `heads` heads.
std::int64_t gguf_row_of(std::int64_t r, std::int64_t rows, std::int64_t heads);

ImportSummary import_gguf(const GgufFile& f, const ImportOptions& options);

}  // namespace rmlx::gguf
