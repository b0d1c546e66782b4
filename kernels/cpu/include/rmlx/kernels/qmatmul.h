// Fused dequantize-and-multiply for MLX affine weights: y[n, out] = x[n, in] * W^T,
// W stored as MLX packs it (see affine.h). The weight matrix is never dequantized as
// a whole; each panel is unpacked in registers where it is used.
#pragma once

#include <cstdint>
#include <span>

#include "rmlx/kernels/half.h"
#include "rmlx/kernels/isa.h"

namespace rmlx::kernels::qmm {

// A view of one quantized linear weight [out_features, in_features].
struct AffineWeight {
  const std::uint32_t* packed = nullptr;  // [rows, cols * bits / 32]
  const void* scales = nullptr;           // [rows, cols / group_size] of scale_type
  const void* biases = nullptr;           // same shape and type
  FloatType scale_type = FloatType::f16;
  std::int64_t rows = 0;  // out_features
  std::int64_t cols = 0;  // in_features
  int bits = 4;
  int group_size = 64;
  // Nonzero when every bias is exactly this times its group's scale (symmetric
  // imports: Q8_0 gives -128, Q4_0 -8; see symmetric_bias_factor): the int8
  // kernels then derive the biases from the scales instead of reading them.
  float bias_per_scale = 0.0f;
};

// -2^(bits-1) when every bias of w equals that times its scale exactly, else 0.
// Reads every scale and bias once (meant for load time).
float symmetric_bias_factor(const AffineWeight& w);

enum class Activations : std::uint8_t {
  // Activations quantized to int8 per weight group once per call; integer dot
  // products (VNNI / maddubs) with the bias folded through per-group sums of x.
  // Fastest; relative error of a few 1e-3 per output on random data.
  int8,
  // Float32 activations against s * q + b dequantized in registers; equal to the
  // reference up to float summation order.
  exact,
  // Activations in 24-bit fixed point per group (three int8 digits, so the integer
  // dot products still run on VNNI): per value the error is at most 2^-23 of the
  // group's largest |x|, about float32 rounding, at near the int8 speed. AVX-512 only;
  // other paths compute `exact` instead.
  fixed24,
};

// y[n, rows] = x[n, cols] * W^T. Throws std::invalid_argument on a bad shape.
void matmul(const Exec& exec, const AffineWeight& w, const float* x, std::int64_t n, float* y,
            Activations mode = Activations::int8);

// Several weights that read the same activations (q/k/v or gate/up projections): the
// activations are quantized once and all their rows share one parallel pass. All
// weights need equal cols, bits and group_size; ys[j] is [n, ws[j].rows].
void matmul_shared_input(const Exec& exec, std::span<const AffineWeight> ws, const float* x,
                         std::int64_t n, std::span<float* const> ys,
                         Activations mode = Activations::int8);

// Plain reference: dequantize each row (affine::dequantize_to_f32), then a dot in
// double precision.
void matmul_reference(const AffineWeight& w, const float* x, std::int64_t n, float* y);

}  // namespace rmlx::kernels::qmm
