// Kernels for encoder models (BERT): bidirectional attention over the rows of
// one sequence without a cache, and the exact (erf) GELU.
#pragma once

#include <cstdint>

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

}  // namespace rmlx::kernels::encoder
