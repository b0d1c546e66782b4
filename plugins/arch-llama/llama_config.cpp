#include "llama_config.h"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace rmlx::arch_llama {

namespace {

using nlohmann::json;

int positive_int(const json& c, const char* key) {
  if (!c.contains(key)) throw std::runtime_error(std::string("config.json: missing '") + key + "'");
  const auto& v = c[key];
  if (!v.is_number_integer() || v.get<long long>() <= 0 || v.get<long long>() > (1LL << 30)) {
    throw std::runtime_error(std::string("config.json: '") + key + "' must be a positive integer");
  }
  return v.get<int>();
}

float number_or(const json& c, const char* key, float fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  if (!c[key].is_number()) {
    throw std::runtime_error(std::string("config.json: '") + key + "' must be a number");
  }
  return c[key].get<float>();
}

void parse_rope_scaling(const json& s, sdk::RopeParams& rope) {
  std::string type;
  if (s.contains("rope_type") && s["rope_type"].is_string())
    type = s["rope_type"];
  else if (s.contains("type") && s["type"].is_string())
    type = s["type"];
  if (type.empty() || type == "default") return;
  rope.factor = number_or(s, "factor", 1.0f);
  if (type == "linear") {
    rope.kind = sdk::RopeKind::linear;
  } else if (type == "llama3") {
    rope.kind = sdk::RopeKind::llama3;
    rope.low_freq_factor = number_or(s, "low_freq_factor", 1.0f);
    rope.high_freq_factor = number_or(s, "high_freq_factor", 4.0f);
    rope.original_max_position =
        static_cast<int>(number_or(s, "original_max_position_embeddings", 8192.0f));
  } else if (type == "yarn") {
    rope.kind = sdk::RopeKind::yarn;
    rope.original_max_position =
        static_cast<int>(number_or(s, "original_max_position_embeddings", 4096.0f));
    rope.beta_fast = number_or(s, "beta_fast", 32.0f);
    rope.beta_slow = number_or(s, "beta_slow", 1.0f);
    rope.attention_factor = number_or(s, "mscale", 1.0f);
  } else {
    throw std::runtime_error("config.json: rope_scaling type '" + type +
                             "' is not supported (default, linear, llama3, yarn)");
  }
}

}  // namespace

LlamaConfig parse_llama_config(std::string_view config_json) {
  json c;
  try {
    c = json::parse(config_json);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(std::string("config.json: invalid JSON: ") + e.what());
  }
  LlamaConfig cfg;
  cfg.hidden_size = positive_int(c, "hidden_size");
  cfg.intermediate_size = positive_int(c, "intermediate_size");
  cfg.num_layers = positive_int(c, "num_hidden_layers");
  cfg.num_heads = positive_int(c, "num_attention_heads");
  cfg.num_kv_heads = c.contains("num_key_value_heads") && !c["num_key_value_heads"].is_null()
                         ? positive_int(c, "num_key_value_heads")
                         : cfg.num_heads;
  cfg.head_dim = c.contains("head_dim") && !c["head_dim"].is_null()
                     ? positive_int(c, "head_dim")
                     : cfg.hidden_size / cfg.num_heads;
  cfg.vocab_size = positive_int(c, "vocab_size");
  cfg.max_position_embeddings =
      c.contains("max_position_embeddings") ? positive_int(c, "max_position_embeddings") : 4096;
  if (cfg.num_heads % cfg.num_kv_heads != 0) {
    throw std::runtime_error(
        "config.json: num_attention_heads must be a multiple of num_key_value_heads");
  }
  cfg.rms_norm_eps = number_or(c, "rms_norm_eps", 1e-6f);
  cfg.tie_word_embeddings = c.value("tie_word_embeddings", false);
  cfg.rope.kind = sdk::RopeKind::default_;
  cfg.rope.theta = number_or(c, "rope_theta", 10000.0f);
  cfg.rope.interleaved = c.value("rope_traditional", false);
  const float partial = number_or(c, "partial_rotary_factor", 1.0f);
  cfg.rope.rotary_dim = static_cast<int>(static_cast<float>(cfg.head_dim) * partial);
  if (c.contains("rope_scaling") && c["rope_scaling"].is_object()) {
    parse_rope_scaling(c["rope_scaling"], cfg.rope);
  }
  return cfg;
}

}  // namespace rmlx::arch_llama
