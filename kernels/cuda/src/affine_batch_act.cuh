// The activation scratch of the batch linear (affine_batch.cu): how n rows split into
// passes and where the prep (affine_batch_prep.cu) puts each form's activations.
// Internal to the CUDA kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rmlx/kernels_cuda/affine_batch.h"

namespace rmlx::kernels_cuda::affine_batch_detail {

inline constexpr int kPassRows = 32;       // activation rows per pass over the weights
inline constexpr int kLimbs = 3;           // exact form: base-256 digits of each activation
inline constexpr int kHalfBytes = 32 * 2;  // f16 form: one token's 32-column chunk

inline std::size_t align256(std::size_t v) {
  return (v + 255) / 256 * 256;
}

// RMLX_CUDA_EXACT_BATCH=1 keeps every row count on the exact form.
inline bool exact_only() {
  static const bool on = [] {
    const char* v = std::getenv("RMLX_CUDA_EXACT_BATCH");
    return v != nullptr && std::string_view(v) == "1";
  }();
  return on;
}

inline bool use_f16(std::int64_t n) {
  return n >= kAffineBatchF16MinRows && !exact_only();
}

// Scratch sections of one prep. Exact: digits [pass][chunk][limb][token][32 bytes],
// then (dx, sum of x) [pass][chunk][token] as float2. F16: halves
// [pass][chunk][token][32], then dx [pass][token] as float.
struct ActLayout {
  std::size_t digits = 0, scales = 0, total = 0;
};

inline ActLayout act_layout(int passes, int tokens, std::int64_t cols, bool f16) {
  ActLayout l;
  const std::size_t chunks = static_cast<std::size_t>(passes) * static_cast<std::size_t>(cols / 32);
  l.digits = 0;
  if (f16) {
    l.scales = align256(chunks * tokens * kHalfBytes);
    l.total = l.scales + align256(static_cast<std::size_t>(passes) * tokens * 4);
  } else {
    l.scales = align256(chunks * kLimbs * tokens * 32);
    l.total = l.scales + align256(chunks * tokens * 8);
  }
  return l;
}

inline void pass_shape(std::int64_t n, int& passes, int& per_pass, int& tokens) {
  passes = static_cast<int>((n + kPassRows - 1) / kPassRows);
  per_pass = static_cast<int>((n + passes - 1) / passes);
  tokens = (per_pass + 7) / 8 * 8;
}

}  // namespace rmlx::kernels_cuda::affine_batch_detail
