#include "rmlx/snapshot/quant_config.h"

#include "rmlx/snapshot/error.h"

namespace rmlx::snapshot {

using nlohmann::json;

sdk::QuantSpec default_spec(const std::string& mode, const std::string& origin) {
  if (mode == "affine") return {"affine", 4, 64};
  if (mode == "mxfp4") return {"mxfp4", 4, 32};
  if (mode == "nvfp4") return {"nvfp4", 4, 16};
  if (mode == "mxfp8") return {"mxfp8", 8, 32};
  throw SnapshotError(origin + ": unknown quantization mode '" + mode + "'");
}

namespace {

int int_field(const json& block, const char* key, int fallback, const std::string& where) {
  auto it = block.find(key);
  if (it == block.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<long long>() <= 0 || it->get<long long>() > 1024) {
    throw SnapshotError(where + "." + key + ": expected a positive integer, got " + it->dump());
  }
  return it->get<int>();
}

sdk::QuantSpec parse_spec(const json& block, const std::string& where) {
  std::string mode = "affine";
  if (auto m = block.find("mode"); m != block.end() && !m->is_null()) {
    if (!m->is_string()) throw SnapshotError(where + ".mode: expected a string, got " + m->dump());
    mode = m->get<std::string>();
  }
  sdk::QuantSpec s = default_spec(mode, where + ".mode");
  s.bits = int_field(block, "bits", s.bits, where);
  s.group_size = int_field(block, "group_size", s.group_size, where);
  if (s.bits > 8) throw SnapshotError(where + ".bits: " + std::to_string(s.bits) + " is above 8");
  return s;
}

}  // namespace

QuantConfig QuantConfig::from_config(const json& config, const std::string& origin) {
  QuantConfig q;
  if (!config.is_object()) return q;
  const json* block = nullptr;
  std::string name;
  if (auto it = config.find("quantization"); it != config.end() && !it->is_null()) {
    block = &*it;
    name = "quantization";
  } else if (auto jt = config.find("quantization_config"); jt != config.end() && !jt->is_null()) {
    block = &*jt;
    name = "quantization_config";
  }
  if (block == nullptr) return q;
  const std::string where = origin + ": " + name;
  if (!block->is_object())
    throw SnapshotError(where + ": expected an object, got " + block->dump());
  if (auto m = block->find("quant_method"); m != block->end()) {
    const std::string method = m->is_string() ? m->get<std::string>() : m->dump();
    if (method == "mxfp4") {
      q.defaults_ = default_spec("mxfp4", where);
      return q;
    }
    if (!block->contains("bits")) {
      throw SnapshotError(where + ".quant_method: '" + method +
                          "' checkpoints must be converted to MLX first (mlx_lm.convert)");
    }
  }
  q.defaults_ = parse_spec(*block, where);
  for (auto it = block->begin(); it != block->end(); ++it) {
    if (it->is_object()) {
      q.overrides_[it.key()] = parse_spec(*it, where + "[\"" + it.key() + "\"]");
    } else if (it->is_boolean() && !it->get<bool>()) {
      q.overrides_[it.key()] = std::nullopt;
    }
  }
  return q;
}

std::optional<std::optional<sdk::QuantSpec>> QuantConfig::override_for(
    const std::string& module) const {
  auto it = overrides_.find(module);
  if (it == overrides_.end()) return std::nullopt;
  return it->second;
}

json QuantConfig::to_json() const {
  if (!defaults_) return nullptr;
  json j = {
      {"group_size", defaults_->group_size}, {"bits", defaults_->bits}, {"mode", defaults_->mode}};
  for (const auto& [k, v] : overrides_) {
    if (v) {
      j[k] = {{"group_size", v->group_size}, {"bits", v->bits}, {"mode", v->mode}};
    } else {
      j[k] = false;
    }
  }
  return j;
}

std::string describe(const sdk::QuantSpec& s) {
  return s.mode + " " + std::to_string(s.bits) + "-bit g" + std::to_string(s.group_size);
}

}  // namespace rmlx::snapshot
