// The `quantization` block of an MLX config.json (or `quantization_config`):
// top-level mode/bits/group size plus per-module overrides, where an override
// is either its own spec or `false` (not quantized).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rmlx/sdk/weight_format.h"

namespace rmlx::snapshot {

// The defaults MLX applies for a mode (affine 64/4, mxfp4 32/4, nvfp4 16/4, mxfp8 32/8).
// Throws SnapshotError for an unknown mode.
sdk::QuantSpec default_spec(const std::string& mode, const std::string& origin);

class QuantConfig {
 public:
  // `origin` names config.json in errors. An absent block gives an empty config.
  static QuantConfig from_config(const nlohmann::json& config, const std::string& origin);

  bool present() const { return defaults_.has_value(); }
  const std::optional<sdk::QuantSpec>& defaults() const { return defaults_; }
  // Module path -> spec, or nullopt for `false`.
  const std::map<std::string, std::optional<sdk::QuantSpec>>& overrides() const {
    return overrides_;
  }
  // The override for `module`: outer nullopt when there is none.
  std::optional<std::optional<sdk::QuantSpec>> override_for(const std::string& module) const;
  // The block as MLX writes it.
  nlohmann::json to_json() const;

 private:
  std::optional<sdk::QuantSpec> defaults_;
  std::map<std::string, std::optional<sdk::QuantSpec>> overrides_;
};

std::string describe(const sdk::QuantSpec& s);  // "affine 4-bit g64"

}  // namespace rmlx::snapshot
