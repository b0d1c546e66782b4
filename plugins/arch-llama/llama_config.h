// The fields of config.json the Llama family needs, with mlx_lm's defaults.
#pragma once

#include <rmlx/sdk/ops.h>

#include <string_view>

namespace rmlx::arch_llama {

struct LlamaConfig {
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int vocab_size = 0;
  int max_position_embeddings = 0;
  float rms_norm_eps = 1e-6f;
  bool tie_word_embeddings = false;
  sdk::RopeParams rope;
};

// Throws std::runtime_error naming the config.json field that is missing or wrong.
LlamaConfig parse_llama_config(std::string_view config_json);

}  // namespace rmlx::arch_llama
