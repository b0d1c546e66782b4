// The fixed random orthogonal rotation of the turboquant codec:
// R = H D / sqrt(p), with D random signs from a fixed seed and H the
// Walsh-Hadamard matrix of order p, the largest power of two dividing the row
// length (applied blockwise when the row is longer).
#pragma once

#include <vector>

namespace rmlx::kv_turboquant {

class Rotation {
 public:
  static constexpr int kMaxDim = 4096;
  Rotation();

  // The order of the Hadamard blocks for rows of n values; throws
  // std::invalid_argument unless n is a multiple of 8 in 8..kMaxDim.
  static int block_order(int n);

  // x <- s * R x, and x <- s * R^T x, for one row of n values.
  void forward(float* x, int n, float s = 1.0f) const;
  void inverse(float* x, int n, float s = 1.0f) const;

 private:
  std::vector<float> signs_;
};

}  // namespace rmlx::kv_turboquant
