// Temperature / top-k / top-p / min-p sampling of logits rows on the device: one block
// per row, thresholds found by radix selection over order-preserving keys (exact counts
// for top-k, fixed-point masses for top-p, so a draw does not depend on the order of
// atomic additions), then one Gumbel-max pass with Philox4x32-10 numbers.
#include <climits>
#include <cmath>

#include "common.cuh"
#include "rmlx/kernels_cuda/sampling.h"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kThreads = 1024;
constexpr double kMassScale = 1099511627776.0;  // 2^40: fixed-point masses, <= 1 each

// Order-preserving map of a float to an unsigned key (larger float, larger key).
__device__ __forceinline__ unsigned key_of(float f) {
  const unsigned b = __float_as_uint(f);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ __forceinline__ void philox_round(unsigned (&c)[4], const unsigned (&k)[2]) {
  const unsigned long long p0 = 0xD2511F53ull * c[0], p1 = 0xCD9E8D57ull * c[2];
  const unsigned hi0 = static_cast<unsigned>(p0 >> 32), lo0 = static_cast<unsigned>(p0);
  const unsigned hi1 = static_cast<unsigned>(p1 >> 32), lo1 = static_cast<unsigned>(p1);
  c[0] = hi1 ^ c[1] ^ k[0];
  c[1] = lo1;
  c[2] = hi0 ^ c[3] ^ k[1];
  c[3] = lo0;
}

// Philox4x32-10 of counter (i, counter_lo, counter_hi, 0) under key (seed_lo, seed_hi):
// a uniform in (0, 1).
__device__ float philox_uniform(const RowSampling& p, unsigned i) {
  unsigned c[4] = {i, p.counter_lo, p.counter_hi, 0u};
  unsigned k[2] = {p.seed_lo, p.seed_hi};
#pragma unroll
  for (int r = 0; r < 10; ++r) {
    philox_round(c, k);
    k[0] += 0x9E3779B9u;
    k[1] += 0xBB67AE85u;
  }
  return (static_cast<float>(c[0] >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

__device__ float block_max(float v, float* red) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) red[warp] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / 32 ? red[threadIdx.x] : -INFINITY;
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (threadIdx.x == 0) red[0] = v;
  __syncthreads();
  return red[0];
}

// Largest threshold key t with weight(key >= t) >= target, where weight is a count (1 per
// kept token) or a fixed-point mass; MSB-first radix selection, 8 bits a pass.
template <bool kMass>
__device__ unsigned select_threshold(const float* row, int vocab, unsigned floor_key, float m,
                                     float inv_t, unsigned long long target,
                                     unsigned long long* hist, unsigned* shared_prefix,
                                     unsigned long long* shared_target) {
  unsigned prefix = 0, mask = 0;
  if (threadIdx.x == 0) *shared_target = target;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int b = threadIdx.x; b < 256; b += blockDim.x) hist[b] = 0;
    __syncthreads();
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
      const float l = row[j];
      const unsigned key = key_of(l);
      if (key < floor_key || (key & mask) != prefix) continue;
      const unsigned long long w =
          kMass ? static_cast<unsigned long long>(__expf((l - m) * inv_t) * kMassScale) : 1ull;
      atomicAdd(&hist[(key >> shift) & 255u], w);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      unsigned long long cum = 0, want = *shared_target;
      int b = 255;
      for (; b > 0; --b) {
        if (cum + hist[b] >= want) break;
        cum += hist[b];
      }
      *shared_target = want > cum ? want - cum : 0;
      *shared_prefix = prefix | (static_cast<unsigned>(b) << shift);
    }
    __syncthreads();
    prefix = *shared_prefix;
    mask |= 255u << shift;
    __syncthreads();
  }
  return prefix;
}

struct Pick {
  float v;
  int i;
};

__global__ void __launch_bounds__(kThreads)
    sample_rows_kernel(const float* logits, int vocab, const RowSampling* params,
                       std::int32_t* ids) {
  __shared__ float red[32];
  __shared__ unsigned long long hist[256];
  __shared__ unsigned shared_prefix;
  __shared__ unsigned long long shared_target, shared_mass;
  __shared__ int any_nan;
  __shared__ Pick part[kThreads / 32];
  wait_prior_grid();
  const int r = blockIdx.x;
  const float* row = logits + static_cast<std::size_t>(r) * vocab;
  const RowSampling p = params[r];
  // Pass 1: the maximum, and whether any logit is NaN.
  if (threadIdx.x == 0) any_nan = 0;
  float mx = -INFINITY;
  bool nan = false;
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
    const float l = row[j];
    nan |= isnan(l);
    mx = fmaxf(mx, l);
  }
  __syncthreads();
  if (nan) any_nan = 1;
  const float m = block_max(mx, red);
  if (any_nan || m == -INFINITY) {
    if (threadIdx.x == 0) ids[r] = any_nan ? kArgmaxNaN : kArgmaxNoToken;
    return;
  }
  const bool greedy = !(p.temperature >= 1e-5f);
  const float inv_t = greedy ? 0.0f : 1.0f / p.temperature;
  unsigned floor_key = 0;  // tokens with a smaller key are out
  if (!greedy && p.top_k > 0 && p.top_k < vocab) {
    floor_key =
        select_threshold<false>(row, vocab, 0, m, inv_t, static_cast<unsigned long long>(p.top_k),
                                hist, &shared_prefix, &shared_target);
  }
  if (!greedy && p.top_p < 1.0f) {
    // The kept mass, then the nucleus: the fewest top tokens holding top_p of it.
    if (threadIdx.x == 0) shared_mass = 0;
    __syncthreads();
    unsigned long long z = 0;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
      const float l = row[j];
      if (key_of(l) >= floor_key) {
        z += static_cast<unsigned long long>(__expf((l - m) * inv_t) * kMassScale);
      }
    }
    atomicAdd(&shared_mass, z);
    __syncthreads();
    const auto target = static_cast<unsigned long long>(static_cast<double>(shared_mass) *
                                                        static_cast<double>(fmaxf(p.top_p, 0.0f)));
    const unsigned t =
        select_threshold<true>(row, vocab, floor_key, m, inv_t, target > 0 ? target : 1ull, hist,
                               &shared_prefix, &shared_target);
    floor_key = t > floor_key ? t : floor_key;
  }
  // min-p: p_i / p_max = exp((l_i - m) / T) >= min_p.
  const float min_logit =
      (!greedy && p.min_p > 0.0f) ? m + p.temperature * logf(p.min_p) : -INFINITY;
  // Gumbel-max over the kept tokens (plain argmax when greedy); ties to the lowest id.
  Pick best{-INFINITY, INT_MAX};
  for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
    const float l = row[j];
    if (key_of(l) < floor_key || l < min_logit || l == -INFINITY) continue;
    float score = l;
    if (!greedy) {
      const float u = philox_uniform(p, static_cast<unsigned>(j));
      score = (l - m) * inv_t - logf(-logf(u));
    }
    if (score > best.v || (score == best.v && j < best.i)) best = Pick{score, j};
  }
  for (int o = 16; o > 0; o >>= 1) {
    const Pick other{__shfl_xor_sync(0xffffffffu, best.v, o),
                     __shfl_xor_sync(0xffffffffu, best.i, o)};
    if (other.v > best.v || (other.v == best.v && other.i < best.i)) best = other;
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) part[warp] = best;
  __syncthreads();
  if (warp == 0) {
    best = lane < static_cast<int>(blockDim.x / 32) ? part[lane] : Pick{-INFINITY, INT_MAX};
    for (int o = 16; o > 0; o >>= 1) {
      const Pick other{__shfl_xor_sync(0xffffffffu, best.v, o),
                       __shfl_xor_sync(0xffffffffu, best.i, o)};
      if (other.v > best.v || (other.v == best.v && other.i < best.i)) best = other;
    }
    if (lane == 0) ids[r] = best.i == INT_MAX ? kArgmaxNoToken : best.i;
  }
}

__global__ void apply_logit_edits_kernel(float* logits, std::int64_t vocab,
                                         const LogitEditDev* edits, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  wait_prior_grid();  // the logits come from the kernel before
  if (i >= n) return;
  const LogitEditDev e = edits[i];
  float& x = logits[static_cast<std::int64_t>(e.row) * vocab + e.token];
  float v = x;
  // __fadd_rn / __fmul_rn / __fdiv_rn / __fsub_rn: no contraction, IEEE rounding, as the host.
  if (e.flags & 1u) v = __fadd_rn(v, e.bias);
  if (e.flags & 2u) v = v < 0.0f ? __fmul_rn(v, e.repetition) : __fdiv_rn(v, e.repetition);
  if (e.flags & 4u) v = __fsub_rn(v, e.subtract);
  x = v;
}

}  // namespace

void apply_logit_edits(float* logits, std::int64_t vocab, const LogitEditDev* edits, std::int64_t n,
                       cudaStream_t s) {
  if (n <= 0) return;
  constexpr int kEditThreads = 256;
  launch_pdl("apply_logit_edits", apply_logit_edits_kernel,
             dim3(static_cast<unsigned>((n + kEditThreads - 1) / kEditThreads)), dim3(kEditThreads),
             0, s, logits, vocab, edits, n);
}

void sample_rows(const float* logits, std::int64_t rows, std::int64_t vocab,
                 const RowSampling* params, std::int32_t* ids, cudaStream_t s) {
  if (rows == 0) return;
  launch_pdl("sample_rows", sample_rows_kernel, dim3(static_cast<unsigned>(rows)), dim3(kThreads),
             0, s, logits, static_cast<int>(vocab), params, ids);
}

}  // namespace rmlx::kernels_cuda
