// Kernels for encoder models (BERT): bidirectional attention over the rows of
// one sequence without a cache, and the exact (erf) GELU.
#pragma once

#include <cstdint>
#include <vector>

#include "rmlx/kernels/isa.h"

namespace rmlx::kernels::encoder {

struct SelfAttentionShape {
  std::int64_t n_rows = 0;  // tokens of this sequence
  int n_heads = 0;
  int n_kv_heads = 0;  // divides n_heads (grouped-query)
  int head_dim = 0;
  float scale = 0.0f;
  bool causal = false;
};

// q: [n_rows, n_heads, head_dim], k/v: [n_rows, n_kv_heads, head_dim],
// out: [n_rows, n_heads, head_dim]. Softmax in float32 with the row maximum
// subtracted; every row only sees rows of the same call, so results do not
// depend on what else is in the batch.
void self_attention(const Exec& exec, const SelfAttentionShape& s, const float* q, const float* k,
                    const float* v, float* out);

// out[i] = x[i] * (1 + erf(x[i] / sqrt(2))) / 2; out may alias x.
void gelu_erf(const Exec& exec, const float* x, std::int64_t count, float* out);

// A float linear layer y = x w^T + bias, repacked for products of many rows:
// panels of kPanel output columns, each stored k-major, so a row of x is
// broadcast against whole vectors of weights and no horizontal sums are left.
// The weights keep their type (16-bit ones are widened as they are read), so
// the packed copy is no larger than the stored one.
// Every output sums its k terms in order, then adds the bias, whatever the
// number of rows or the threads: a row's result never depends on the others.
class PackedLinear {
 public:
  static constexpr std::int64_t kPanel = 32;
  enum class Type : std::uint8_t { f32, f16, bf16 };
  // w: [rows, cols] of `type`; bias: rows floats or nullptr.
  PackedLinear(const void* w, Type type, std::int64_t rows, std::int64_t cols, const float* bias);

  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  // y[n, rows] = x[n, cols] w^T + bias.
  void apply(const Exec& exec, const float* x, std::int64_t n, float* y) const;

 private:
  std::int64_t rows_, cols_, panels_;
  Type type_;
  // [panels][cols][kPanel], zero past `rows`: packed_ for f32, half_ otherwise.
  std::vector<float> packed_;
  std::vector<std::uint16_t> half_;
  std::vector<float> bias_;  // [panels * kPanel], zero when none
};

namespace detail {
// Rows [i0, i1) of x against panels [p0, p1): the AVX-512 path.
void packed_linear_avx512(const void* packed, PackedLinear::Type type, const float* bias,
                          std::int64_t rows, std::int64_t cols, const float* x, std::int64_t i0,
                          std::int64_t i1, std::int64_t p0, std::int64_t p1, float* y);
void gelu_erf_avx512(const float* x, std::int64_t count, float* out);
}  // namespace detail

}  // namespace rmlx::kernels::encoder
