// Shared helpers for the kernel tests: random data and the ISA paths to cover.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rmlx/kernels/half.h"
#include "rmlx/kernels/isa.h"

namespace rmlx::kernels::test {

inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) {
    do {
      x = d(rng);
    } while (x == 0.0f);
  }
  return v;
}

inline std::vector<std::uint32_t> random_words(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint32_t> v(n);
  for (auto& x : v) x = rng();
  return v;
}

// Values stored in `t` (as raw bytes), and the float they represent.
struct FloatStore {
  std::vector<std::uint8_t> bytes;
  std::vector<float> values;
};

inline FloatStore store_as(FloatType t, const std::vector<float>& v) {
  FloatStore s;
  const std::size_t size = t == FloatType::f32 ? 4 : 2;
  s.bytes.resize(v.size() * size);
  s.values.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (t == FloatType::f32) {
      std::memcpy(s.bytes.data() + 4 * i, &v[i], 4);
      s.values[i] = v[i];
    } else {
      const std::uint16_t h = t == FloatType::f16 ? f32_to_f16(v[i]) : f32_to_bf16(v[i]);
      std::memcpy(s.bytes.data() + 2 * i, &h, 2);
      s.values[i] = t == FloatType::f16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
  }
  return s;
}

inline std::string type_name(FloatType t) {
  return t == FloatType::f32 ? "f32" : t == FloatType::f16 ? "f16" : "bf16";
}

}  // namespace rmlx::kernels::test
