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

// The residual add and RMSNorm between two GEMVs of one decode row on 4-bit weights
// (o then gate/up, down then q/k/v or the output layer), carried by those GEMVs instead
// of a kernel of their own, whose launch and memory round trips sit on the decode
// step's critical path. The first writes y, sum = y + residual and one sum of squares
// of sum per block (parts); the second adds the pieces in a fixed order, normalises its
// activations as rms_norm does (x * rsqrt(mean + eps) * w) and writes them to normed
// from one block. The sum of squares is added in another order than add_rms_norm's:
// the values agree with add_rms_norm to float rounding, not bit for bit.
struct ResidualNorm {
  const float* residual = nullptr;
  float* sum = nullptr;    // may be residual (in place)
  float* parts = nullptr;  // residual_norm_max_parts floats of scratch
  int n_parts = 0;         // set by linear_residual
  const void* w = nullptr;
  WType wt = WType::f32;
  float eps = 0.0f;
  float* normed = nullptr;  // neither sum nor residual
  // The first GEMV's blocks an SM at most (0: as many as fit). After attention, 2 lets
  // every block of the o projection start while attention's blocks still hold their
  // SMs (H100, 8B B=1: +1.5%; 3 leaves the rows per block off the batch size, slower).
  int producer_blocks_per_sm = 0;
};
bool residual_norm_applies(const WeightView& producer, const WeightView& consumer,
                           const ResidualNorm& n);
// 0 where producer cannot carry a residual norm.
std::int64_t residual_norm_max_parts(const WeightView& producer);
// y = x W^T, n.sum = y + n.residual, n.parts; false, with nothing launched, where the
// kernel does not take it (then run linear, add_rms_norm and the consumer apart).
bool linear_residual(const WeightView& w, const float* x, float* y, ResidualNorm& n,
                     cudaStream_t s);
// ys_i = rms_norm(n.sum) W_i^T after linear_residual (and n.normed written).
bool linear_normed(const WeightView* ws, int count, const ResidualNorm& n, float* const* ys,
                   cudaStream_t s);
// counter: as linear_glu's.
bool linear_glu_normed(const WeightView& gate, const WeightView& up, const ResidualNorm& n,
                       float* g, float* u, float* out, cudaStream_t s, unsigned* counter = nullptr);

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
  // Let the attention kernel after this one start before this one waits on the kernel
  // that writes q and k (its table lookups and earlier keys then load meanwhile). Sound
  // because attention reads, before its own wait, only what was written before that
  // kernel started: the step's staged tables and earlier steps' cache slots.
  bool early_dependents = true;
};

// For each row: q and k heads normed and rotated in place, then the row's k and v
// written to their cache slots (write_kv's layout): one launch instead of up to
// five (two norms, two ropes, write_kv). a.q / a.k are modified in place.
void prep_heads_write_kv(const AttnArgs& a, const HeadPrep& p, cudaStream_t s);

}  // namespace rmlx::kernels_cuda
