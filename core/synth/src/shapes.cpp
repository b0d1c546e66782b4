// Configurations of the real models (their published config.json values).
#include <stdexcept>

#include "rmlx/synth/synth.h"

namespace rmlx::synth {

using nlohmann::ordered_json;

namespace {

ordered_json llama3_rope(double factor) {
  return {{"factor", factor},
          {"high_freq_factor", 4.0},
          {"low_freq_factor", 1.0},
          {"original_max_position_embeddings", 8192},
          {"rope_type", "llama3"}};
}

ordered_json llama(std::int64_t hidden, std::int64_t inter, std::int64_t layers, std::int64_t heads,
                   std::int64_t kv, std::int64_t head_dim, bool tied, double rope_factor) {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"hidden_size", hidden},
          {"intermediate_size", inter},
          {"num_hidden_layers", layers},
          {"num_attention_heads", heads},
          {"num_key_value_heads", kv},
          {"head_dim", head_dim},
          {"hidden_act", "silu"},
          {"max_position_embeddings", 131072},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 500000.0},
          {"rope_scaling", llama3_rope(rope_factor)},
          {"vocab_size", 128256},
          {"tie_word_embeddings", tied},
          {"attention_bias", false},
          {"mlp_bias", false},
          {"bos_token_id", 128000},
          {"eos_token_id", {128001, 128008, 128009}},
          {"torch_dtype", "bfloat16"}};
}

ordered_json qwen3(std::int64_t hidden, std::int64_t inter, std::int64_t layers, std::int64_t heads,
                   bool tied) {
  return {{"architectures", {"Qwen3ForCausalLM"}},
          {"model_type", "qwen3"},
          {"hidden_size", hidden},
          {"intermediate_size", inter},
          {"num_hidden_layers", layers},
          {"num_attention_heads", heads},
          {"num_key_value_heads", 8},
          {"head_dim", 128},
          {"hidden_act", "silu"},
          {"max_position_embeddings", 40960},
          {"rms_norm_eps", 1e-6},
          {"rope_theta", 1000000.0},
          {"rope_scaling", nullptr},
          {"vocab_size", 151936},
          {"tie_word_embeddings", tied},
          {"attention_bias", false},
          {"bos_token_id", 151643},
          {"eos_token_id", 151645},
          {"torch_dtype", "bfloat16"}};
}

}  // namespace

const std::vector<ModelShape>& known_shapes() {
  static const std::vector<ModelShape> shapes = {
      {"llama-3.2-1b", llama(2048, 8192, 16, 32, 8, 64, true, 32.0)},
      {"llama-3.1-8b", llama(4096, 14336, 32, 32, 8, 128, false, 8.0)},
      {"qwen3-0.6b", qwen3(1024, 3072, 28, 16, true)},
      {"qwen3-8b", qwen3(4096, 12288, 36, 32, false)},
      {"smollm2-135m",
       {{"architectures", {"LlamaForCausalLM"}},
        {"model_type", "llama"},
        {"hidden_size", 576},
        {"intermediate_size", 1536},
        {"num_hidden_layers", 30},
        {"num_attention_heads", 9},
        {"num_key_value_heads", 3},
        {"head_dim", 64},
        {"hidden_act", "silu"},
        {"max_position_embeddings", 8192},
        {"rms_norm_eps", 1e-5},
        {"rope_theta", 100000.0},
        {"vocab_size", 49152},
        {"tie_word_embeddings", true},
        {"attention_bias", false},
        {"mlp_bias", false},
        {"bos_token_id", 1},
        {"eos_token_id", 2},
        {"torch_dtype", "bfloat16"}}},
  };
  return shapes;
}

const ModelShape& shape_named(const std::string& name) {
  std::string known;
  for (const auto& s : known_shapes()) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  throw std::invalid_argument("unknown model shape '" + name + "' (known: " + known + ")");
}

}  // namespace rmlx::synth
