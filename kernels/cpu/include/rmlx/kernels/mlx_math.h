// Elementary functions computed the way mlx's CPU backend computes them, so that
// results derived from them (rope frequencies, sigmoid, softmax) match mlx bit for bit
// where the surrounding arithmetic does. Always inlined (see half.h).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace rmlx::kernels {

// exp(x) as mlx's CPU exp: 2^(x*log2(e)) split into an integer power built from the
// exponent bits and a degree-6 polynomial (Cephes exp2 coefficients) in fused
// multiply-adds; saturates to 0 below -88 and +inf above 88.
[[gnu::always_inline]] inline float mlx_exp(float x_init) {
  if (std::isnan(x_init)) return x_init;
  if (x_init > 88.0f) return std::numeric_limits<float>::infinity();
  if (x_init < -88.0f) return 0.0f;
  const float x = x_init * 1.442695f;
  const float ipart = std::floor(x + 0.5f);
  const float f = x - ipart;
  float p = 1.535336188319500e-4f;
  p = std::fma(p, f, 1.339887440266574e-3f);
  p = std::fma(p, f, 9.618437357674640e-3f);
  p = std::fma(p, f, 5.550332471162809e-2f);
  p = std::fma(p, f, 2.402264791363012e-1f);
  p = std::fma(p, f, 6.931472028550421e-1f);
  p = std::fma(p, f, 1.0f);
  const auto e = static_cast<std::uint32_t>(static_cast<std::int32_t>(ipart) + 127) << 23;
  return std::bit_cast<float>(e) * p;
}

// mlx's sigmoid, in its overflow-free form: y = 1 / (1 + exp(|x|)), then y for
// negative x and 1 - y otherwise.
[[gnu::always_inline]] inline float mlx_sigmoid(float x) {
  const float y = 1.0f / (1.0f + mlx_exp(std::abs(x)));
  return x < 0.0f ? y : 1.0f - y;
}

}  // namespace rmlx::kernels
