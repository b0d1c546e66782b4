#include "bert_config.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace rmlx::arch_bert {

namespace {

using nlohmann::json;

int positive_int(const json& c, const char* key, int fallback = -1) {
  if (!c.contains(key) || c[key].is_null()) {
    if (fallback >= 0) return fallback;
    throw std::runtime_error(std::string("config.json: missing '") + key + "'");
  }
  const auto& v = c[key];
  if (!v.is_number_integer() || v.get<long long>() <= 0 || v.get<long long>() > (1LL << 30)) {
    throw std::runtime_error(std::string("config.json: '") + key + "' must be a positive integer");
  }
  return v.get<int>();
}

std::string string_or(const json& c, const char* key, const std::string& fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  if (!c[key].is_string()) {
    throw std::runtime_error(std::string("config.json: '") + key + "' must be a string");
  }
  return c[key].get<std::string>();
}

}  // namespace

BertConfig parse_bert_config(const std::string& config_json) {
  json c = json::parse(config_json, nullptr, false);
  if (!c.is_object()) throw std::runtime_error("config.json: not a JSON object");
  BertConfig b;
  b.hidden_size = positive_int(c, "hidden_size");
  b.num_layers = positive_int(c, "num_hidden_layers");
  b.num_heads = positive_int(c, "num_attention_heads");
  b.intermediate_size = positive_int(c, "intermediate_size");
  b.max_position_embeddings = positive_int(c, "max_position_embeddings", 512);
  b.type_vocab_size = positive_int(c, "type_vocab_size", 2);
  if (c.contains("layer_norm_eps") && !c["layer_norm_eps"].is_null()) {
    if (!c["layer_norm_eps"].is_number() || c["layer_norm_eps"].get<double>() <= 0) {
      throw std::runtime_error("config.json: 'layer_norm_eps' must be a positive number");
    }
    b.layer_norm_eps = c["layer_norm_eps"].get<float>();
  }
  if (b.hidden_size % b.num_heads != 0) {
    throw std::runtime_error(
        "config.json: 'hidden_size' must be a multiple of 'num_attention_heads'");
  }
  const std::string act = string_or(c, "hidden_act", "gelu");
  if (act != "gelu") {
    throw std::runtime_error("config.json: 'hidden_act' '" + act + "' is not supported (gelu)");
  }
  const std::string pos = string_or(c, "position_embedding_type", "absolute");
  if (pos != "absolute") {
    throw std::runtime_error("config.json: 'position_embedding_type' '" + pos +
                             "' is not supported (absolute)");
  }
  return b;
}

}  // namespace rmlx::arch_bert
