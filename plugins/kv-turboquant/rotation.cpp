#include "rotation.h"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace rmlx::kv_turboquant {

namespace {

constexpr std::uint64_t kSeed = 0x7475726271756e74ull;

// In-place unnormalized Walsh-Hadamard transform of each p-long block of x;
// cloned per instruction set so the vectorizer may use wide registers.
[[gnu::target_clones("avx512f", "avx2", "default")]] void fwht_blocks(float* x, int n, int p) {
  for (int b = 0; b < n; b += p) {
    float* v = x + b;
    for (int h = 1; h < p; h *= 2) {
      for (int i = 0; i < p; i += 2 * h) {
        for (int j = i; j < i + h; ++j) {
          const float a = v[j], c = v[j + h];
          v[j] = a + c;
          v[j + h] = a - c;
        }
      }
    }
  }
}

[[gnu::target_clones("avx512f", "avx2", "default")]] void scale_signs(float* x, const float* signs,
                                                                      int n, float s) {
  for (int i = 0; i < n; ++i) x[i] *= signs[i] * s;
}

}  // namespace

Rotation::Rotation() : signs_(kMaxDim) {
  std::uint64_t s = kSeed;
  for (auto& v : signs_) {
    // splitmix64: a fixed, portable sign sequence.
    s += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    v = (z >> 63) != 0 ? -1.0f : 1.0f;
  }
}

int Rotation::block_order(int n) {
  if (n < 8 || n > kMaxDim || n % 8 != 0) {
    throw std::invalid_argument("turboquant KV codec: head_dim " + std::to_string(n) +
                                " must be a multiple of 8 up to " + std::to_string(kMaxDim));
  }
  return n & -n;
}

void Rotation::forward(float* x, int n, float s) const {
  const int p = block_order(n);
  scale_signs(x, signs_.data(), n, s / std::sqrt(static_cast<float>(p)));
  fwht_blocks(x, n, p);
}

void Rotation::inverse(float* x, int n, float s) const {
  const int p = block_order(n);
  fwht_blocks(x, n, p);
  scale_signs(x, signs_.data(), n, s / std::sqrt(static_cast<float>(p)));
}

}  // namespace rmlx::kv_turboquant
