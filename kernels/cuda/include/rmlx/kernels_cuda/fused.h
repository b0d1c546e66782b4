// Fused kernels for the small ops of a decode step: each replaces several launches
// of the kernels in kernels.h with one, computing the same values element for element.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "rmlx/kernels_cuda/kernels.h"

namespace rmlx::kernels_cuda {

// sum = a + b (sum may alias a or b), then out = rms_norm(sum) * w: the residual add
// and the next norm in one pass. out may alias b (not a when a != sum).
void add_rms_norm(const float* a, const float* b, float* sum, const void* w, WType wt,
                  std::int64_t rows, std::int64_t dim, float eps, float* out, cudaStream_t s);

// What happens to the heads of q and k before attention, in place: an optional
// per-head RMSNorm (q_norm / k_norm weights), then the rotary embedding.
struct HeadPrep {
  const void* q_norm = nullptr;  // [head_dim] or null
  const void* k_norm = nullptr;
  WType norm_type = WType::f32;
  float eps = 0.0f;
  int rotary_dim = 0;  // 0: no rotation
  bool traditional = false;
  const float* inv_freq = nullptr;  // [rotary_dim / 2], device
  float position_scale = 1.0f, x_scale = 1.0f;
  const std::int32_t* positions = nullptr;  // one per row, device
};

// For each row: q and k heads normed and rotated in place, then the row's k and v
// written to their cache slots (write_kv's layout): one launch instead of up to
// five (two norms, two ropes, write_kv). a.q / a.k are modified in place.
void prep_heads_write_kv(const AttnArgs& a, const HeadPrep& p, cudaStream_t s);

}  // namespace rmlx::kernels_cuda
