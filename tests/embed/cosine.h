// Cosine similarity of an engine's float vector with a float64 reference, for the golden tests.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

namespace rmlx::embed::testing {

inline double cosine(const std::vector<float>& a, const std::vector<double>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    ab += a[i] * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += b[i] * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

}  // namespace rmlx::embed::testing
