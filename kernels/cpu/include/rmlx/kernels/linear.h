// y[n, out] = x[n, in] * W^T for unquantized weights stored as float32, float16 or
// bfloat16 (W [out, in], row-major as in safetensors).
#pragma once

#include <cstdint>

#include "rmlx/kernels/half.h"
#include "rmlx/kernels/isa.h"

namespace rmlx::kernels::linear {

struct FloatWeight {
  const void* data = nullptr;
  FloatType type = FloatType::bf16;
  std::int64_t rows = 0;  // out_features
  std::int64_t cols = 0;  // in_features
};

enum class Precision : std::uint8_t {
  // Weights widened to float32 and multiplied with float32 activations (what mlx does
  // for a model run in float32). The default.
  exact,
  // bfloat16 weights only, AVX-512 BF16 only (else exact): activations rounded to
  // bfloat16 and dotted with vdpbf16ps. Faster for prefill; activation rounding error.
  bf16_dot,
};

// Throws std::invalid_argument on a bad shape or null pointer.
void matmul(const Exec& exec, const FloatWeight& w, const float* x, std::int64_t n, float* y,
            Precision precision = Precision::exact);

// Plain reference: double-precision dot products.
void matmul_reference(const FloatWeight& w, const float* x, std::int64_t n, float* y);

}  // namespace rmlx::kernels::linear
