// Scalar quantizers fitted to the coordinates of a randomly rotated vector.
#pragma once

#include <array>

namespace rmlx::kv_turboquant {

// 16 reconstruction levels (ascending) and the 15 decision thresholds between them.
struct Codebook {
  std::array<float, 16> levels{};
  std::array<float, 15> thresholds{};
  int index(float u) const;  // the level nearest to u
};

// The Lloyd-Max quantizer (minimum mean squared error) for one coordinate of a
// uniformly random direction in R^d scaled by sqrt(d), whose density is
// proportional to (1 - u^2/d)^((d-3)/2); d <= 0 gives the limit N(0, 1).
// `gaussian`, when given, is lloyd_max(0), the starting point (saves its cost).
Codebook lloyd_max(int d, const Codebook* gaussian = nullptr);

}  // namespace rmlx::kv_turboquant
