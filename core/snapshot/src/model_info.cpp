#include "rmlx/snapshot/model_info.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace rmlx::snapshot {

namespace {

std::int64_t int_of(const nlohmann::json& c, const char* key, std::int64_t fallback) {
  auto it = c.find(key);
  return it != c.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Layer index and module suffix of "model.layers.N.<suffix>", or -1.
int layer_of(const std::string& module, std::string& suffix) {
  const std::string prefix = "model.layers.";
  if (module.rfind(prefix, 0) != 0) return -1;
  const auto dot = module.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size() || dot + 1 >= module.size()) return -1;
  const std::string digits = module.substr(prefix.size(), dot - prefix.size());
  if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  suffix = module.substr(dot + 1);
  return std::stoi(digits);
}

// "layers 3-7" or "layer 3".
std::string layer_range(int a, int b) {
  return a == b ? "layer " + std::to_string(a)
                : "layers " + std::to_string(a) + "-" + std::to_string(b);
}

void read_tokenizer(const Snapshot& s, ModelInfo& info) {
  const auto path = std::filesystem::path(s.dir()) / "tokenizer.json";
  if (!s.has_file("tokenizer.json")) return;
  const auto j = parse_json_text(read_text_file(path.string()), path.string());
  std::map<std::int64_t, std::string> names;
  if (auto m = j.find("model"); m != j.end() && m->is_object()) {
    info.tokenizer_type = m->value("type", "");
    if (auto v = m->find("vocab"); v != m->end() && v->is_object()) {
      for (auto it = v->begin(); it != v->end(); ++it) {
        if (it->is_number_integer()) names[it->get<std::int64_t>()] = it.key();
      }
    }
  }
  if (auto a = j.find("added_tokens"); a != j.end() && a->is_array()) {
    for (const auto& t : *a) {
      if (t.is_object() && t.contains("id") && t["id"].is_number_integer() &&
          t.contains("content")) {
        names[t["id"].get<std::int64_t>()] = t["content"].get<std::string>();
      }
    }
  }
  for (auto id : info.eos_ids) {
    auto it = names.find(id);
    info.eos_tokens.push_back(it == names.end() ? "" : it->second);
  }
}

}  // namespace

ModelInfo describe_model(const Snapshot& s) {
  ModelInfo info;
  const auto& c = s.config();
  info.architecture = s.architecture();
  info.model_type = s.model_type();
  info.layers = int_of(c, "num_hidden_layers", 0);
  const std::int64_t heads = int_of(c, "num_attention_heads", 0);
  info.kv_heads = int_of(c, "num_key_value_heads", heads);
  info.head_dim = int_of(c, "head_dim", heads > 0 ? int_of(c, "hidden_size", 0) / heads : 0);
  info.max_context = int_of(c, "max_position_embeddings", 0);
  info.tied_embeddings = c.value("tie_word_embeddings", s.find("lm_head.weight") == nullptr);
  info.weight_bytes = s.weight_bytes();
  info.disk_bytes = s.bytes_on_disk();
  info.chat_template = s.chat_template().has_value();
  info.eos_ids = s.generation().eos_token_ids;

  // Quantized modules and the parameter count.
  std::map<std::string, sdk::QuantSpec> quantized;
  for (const auto& name : s.names()) {
    if (!ends_with(name, ".weight")) continue;
    const std::string module = name.substr(0, name.size() - 7);
    if (auto spec = s.quant_for(module); spec && s.find(module + ".scales") != nullptr) {
      quantized[module] = *spec;
    }
  }
  for (const auto& name : s.names()) {
    const auto* t = s.find(name);
    const auto dot = name.rfind('.');
    const std::string module = dot == std::string::npos ? name : name.substr(0, dot);
    const std::string leaf = dot == std::string::npos ? "" : name.substr(dot + 1);
    auto q = quantized.find(module);
    if (q != quantized.end()) {
      if (leaf == "weight") {
        info.parameters += static_cast<std::uint64_t>(t->numel()) * sdk::dtype_size(t->dtype) * 8 /
                           static_cast<std::uint64_t>(q->second.bits);
      } else if (leaf != "scales" && leaf != "biases") {
        info.parameters += static_cast<std::uint64_t>(t->numel());
      }
      continue;
    }
    info.parameters += static_cast<std::uint64_t>(t->numel());
  }

  // Quantization per run of layers with the same per-module specs.
  std::map<int, std::map<std::string, std::string>> per_layer;  // layer -> suffix -> spec
  std::vector<QuantGroup> others;
  for (const auto& [module, spec] : quantized) {
    info.quant_modes.insert(spec.mode);
    std::string suffix;
    const int layer = layer_of(module, suffix);
    if (layer < 0) {
      others.push_back({module, describe(spec)});
    } else {
      per_layer[layer][suffix] = describe(spec);
    }
  }
  auto signature = [](const std::map<std::string, std::string>& m) {
    std::map<std::string, std::vector<std::string>> by_spec;
    for (const auto& [suffix, spec] : m) by_spec[spec].push_back(suffix);
    if (by_spec.size() == 1) return by_spec.begin()->first;
    std::string out;
    for (const auto& [spec, suffixes] : by_spec) {
      if (!out.empty()) out += "; ";
      for (std::size_t i = 0; i < suffixes.size(); ++i) out += (i ? "," : "") + suffixes[i];
      out += ": " + spec;
    }
    return out;
  };
  int start = -1, prev = -1;
  std::string sig;
  for (const auto& [layer, modules] : per_layer) {
    const std::string cur = signature(modules);
    if (start >= 0 && (layer != prev + 1 || cur != sig)) {
      info.quantization.push_back({layer_range(start, prev), sig});
      start = -1;
    }
    if (start < 0) {
      start = layer;
      sig = cur;
    }
    prev = layer;
  }
  if (start >= 0) info.quantization.push_back({layer_range(start, prev), sig});
  for (auto& o : others) info.quantization.push_back(std::move(o));
  read_tokenizer(s, info);
  return info;
}

}  // namespace rmlx::snapshot
