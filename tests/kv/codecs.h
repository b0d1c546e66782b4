// Shared by the KV codec tests: the codec plugins of the build, and random head
// vectors shaped like real keys (a few large outlier channels, never zero).
#pragma once

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "rmlx/registry/registry.h"
#include "rmlx/sdk/kv_codec.h"

namespace rmlx::kv_test {

inline registry::Registry& plugins() {
  static registry::Registry reg;
  static const bool scanned = [] {
    reg.scan({RMLX_PLUGIN_BUILD_DIR});
    return true;
  }();
  (void)scanned;
  return reg;
}

inline registry::Component<sdk::KvCodec> codec(const std::string& name) {
  return plugins().create<sdk::KvCodec>(name);
}

// n rows of d values: N(0, 1) with every 16th channel scaled by 8 (outliers);
// values within 1e-3 of zero are pushed away so no element is zero.
inline std::vector<float> head_rows(int n, int d, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(n) * static_cast<std::size_t>(d));
  for (std::size_t i = 0; i < x.size(); ++i) {
    float v = normal(rng) * ((i % static_cast<std::size_t>(d)) % 16 == 3 ? 8.0f : 1.0f);
    if (std::fabs(v) < 1e-3f) v = v < 0.0f ? -1e-3f : 1e-3f;
    x[i] = v;
  }
  return x;
}

}  // namespace rmlx::kv_test
