// Element-wise and row-wise ops over float32 activations. Each op has a plain
// reference (namespace ref) that the tests compare the fast version with; the
// formulas follow mlx (mlx.core.fast.rms_norm / layer_norm, mlx.nn.silu / gelu_approx).
#pragma once

#include <cstdint>

#include "rmlx/kernels/half.h"
#include "rmlx/kernels/isa.h"
#include "rmlx/kernels/qmatmul.h"

namespace rmlx::kernels::ops {

// out[i] = x[i] * rsqrt(mean(x[i]^2) + eps) * w, per row of `dim` values (w may be
// nullptr: no weight). Accumulates in float32 like mlx. out may alias x.
void rms_norm(const Exec& exec, const float* x, const float* w, std::int64_t rows, std::int64_t dim,
              float eps, float* out);
// (x - mean) * rsqrt(var + eps) * w + b per row; w and b may be nullptr. out may alias x.
void layer_norm(const Exec& exec, const float* x, const float* w, const float* b, std::int64_t rows,
                std::int64_t dim, float eps, float* out);

enum class Glu : std::uint8_t {
  silu,       // silu(gate) * up, silu(g) = g * sigmoid(g)   (SwiGLU: Llama, Qwen, Mistral)
  gelu_tanh,  // gelu_approx(gate) * up                    (GeGLU)
};
// out[i] = act(gate[i]) * up[i]; out may alias gate or up.
void glu(const Exec& exec, const float* gate, const float* up, std::int64_t count, Glu kind,
         float* out);
// out[i] = a[i] + b[i]; out may alias a or b.
void add(const Exec& exec, const float* a, const float* b, std::int64_t count, float* out);
// y[r, :] += bias for each of `rows` rows of `cols` values (a linear layer's bias).
void add_bias(const Exec& exec, float* y, const float* bias, std::int64_t rows, std::int64_t cols);
// Numerically stable softmax of each row, in place.
void softmax(const Exec& exec, float* x, std::int64_t rows, std::int64_t dim);

// out[i, :] = table[ids[i], :] for a float table [vocab, dim] stored as `type`.
// Throws std::out_of_range naming the id when an id is outside [0, vocab).
void embedding(const void* table, FloatType type, std::int64_t vocab, std::int64_t dim,
               const std::int32_t* ids, std::int64_t n, float* out);
// Same for an affine-quantized table (rows = vocab, cols = dim): each row is
// dequantized as affine::dequantize_to_f32 does.
void embedding(const qmm::AffineWeight& table, const std::int32_t* ids, std::int64_t n, float* out);

namespace ref {
void rms_norm(const float* x, const float* w, std::int64_t rows, std::int64_t dim, float eps,
              float* out);
void layer_norm(const float* x, const float* w, const float* b, std::int64_t rows, std::int64_t dim,
                float eps, float* out);
void glu(const float* gate, const float* up, std::int64_t count, Glu kind, float* out);
void softmax(float* x, std::int64_t rows, std::int64_t dim);
}  // namespace ref

}  // namespace rmlx::kernels::ops
