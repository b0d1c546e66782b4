// config.json of a BERT encoder (transformers' BertConfig fields).
#pragma once

#include <string>

namespace rmlx::arch_bert {

struct BertConfig {
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 512;
  int type_vocab_size = 2;
  float layer_norm_eps = 1e-12f;
};

// Throws std::runtime_error naming config.json and the field.
BertConfig parse_bert_config(const std::string& config_json);

}  // namespace rmlx::arch_bert
