// Greedy token choice over logits rows in device memory.
#include <algorithm>
#include <climits>
#include <cmath>

#include "common.cuh"
#include "rmlx/kernels_cuda/sampling.h"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kArgmaxThreads = 1024;

struct Best {
  float v;
  int i;  // INT_MAX: nothing seen yet
};

// The larger value wins; equal values go to the lower index.
__device__ __forceinline__ Best better(Best a, Best b) {
  if (b.v > a.v || (b.v == a.v && b.i < a.i)) return b;
  return a;
}

__device__ __forceinline__ Best warp_best(Best b) {
  for (int o = 16; o > 0; o >>= 1) {
    Best other;
    other.v = __shfl_xor_sync(0xffffffffu, b.v, o);
    other.i = __shfl_xor_sync(0xffffffffu, b.i, o);
    b = better(b, other);
  }
  return b;
}

constexpr int kSplitThreads = 512;
constexpr int kMaxSplit = 64;
constexpr int kPerBlock = 4096;  // logits per block, about

// Each thread scans a strided slice of row[lo, hi) in increasing order, so its
// first maximum is the lowest index it saw. vec: lo, hi and the row are float4-aligned.
__device__ __forceinline__ void scan_best(const float* row, int lo, int hi, bool vec, Best& b,
                                          bool& nan) {
  if (vec) {
    const float4* r4 = reinterpret_cast<const float4*>(row);
    for (int j = lo / 4 + threadIdx.x; j < hi / 4; j += blockDim.x) {
      const float4 q = r4[j];
      const float v[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        nan |= isnan(v[k]);
        if (v[k] > b.v || (b.i == INT_MAX && v[k] == b.v)) b = Best{v[k], 4 * j + k};
      }
    }
  } else {
    for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) {
      const float v = row[j];
      nan |= isnan(v);
      if (v > b.v || (b.i == INT_MAX && v == b.v)) b = Best{v, j};
    }
  }
}

// The token id of a row's best (NaN folded in as kArgmaxNaN; nothing above -inf:
// kArgmaxNoToken).
__device__ __forceinline__ std::int32_t token_of(Best b) {
  return b.i != kArgmaxNaN && b.v == -INFINITY ? kArgmaxNoToken : b.i;
}

// The best of a block's threads (every thread gets it), NaN folded in as index -1.
__device__ Best block_best(Best b, bool nan, Best* part, int* any_nan) {
  if (threadIdx.x == 0) *any_nan = 0;
  __syncthreads();
  if (nan) *any_nan = 1;
  b = warp_best(b);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) part[warp] = b;
  __syncthreads();
  if (warp == 0) {
    b = lane < static_cast<int>(blockDim.x / 32) ? part[lane] : Best{-INFINITY, INT_MAX};
    b = warp_best(b);
    if (lane == 0) part[0] = *any_nan ? Best{NAN, kArgmaxNaN} : b;
  }
  __syncthreads();
  const Best r = part[0];
  __syncthreads();
  return r;
}

// Block (z, row) scans [z * chunk, (z + 1) * chunk) of its row, writes its best to
// partials and takes a ticket; the block that takes the last ticket reduces the
// row's partials (lowest index among equal values, NaN anywhere wins) and puts the
// ticket counter back to zero for the next launch (a replayed graph).
__global__ void __launch_bounds__(kSplitThreads)
    greedy_argmax_split_kernel(const float* logits, int vocab, int chunk, std::int32_t* ids,
                               Best* partials, unsigned* tickets) {
  wait_prior_grid();
  const int z = blockIdx.x, r = blockIdx.y, nz = gridDim.x;
  const float* row = logits + static_cast<std::size_t>(r) * vocab;
  const int lo = z * chunk, hi = min(vocab, lo + chunk);
  Best b{-INFINITY, INT_MAX};
  bool nan = false;
  const bool vec =
      (vocab & 3) == 0 && (chunk & 3) == 0 && (reinterpret_cast<std::uintptr_t>(logits) & 15) == 0;
  scan_best(row, lo, hi, vec, b, nan);
  __shared__ Best part[kSplitThreads / 32];
  __shared__ int any_nan;
  __shared__ bool last;
  b = block_best(b, nan, part, &any_nan);
  if (threadIdx.x == 0) {
    partials[static_cast<std::size_t>(r) * nz + z] = b;
    __threadfence();
    last = atomicAdd(&tickets[r], 1u) == static_cast<unsigned>(nz - 1);
  }
  __syncthreads();
  if (!last) return;
  __threadfence();
  Best m{-INFINITY, INT_MAX};
  bool row_nan = false;
  if (threadIdx.x < nz) {
    const Best* p = partials + static_cast<std::size_t>(r) * nz + threadIdx.x;
    m.v = __ldcg(&p->v);
    m.i = __ldcg(&p->i);
    if (m.i == kArgmaxNaN) {
      row_nan = true;
      m = Best{-INFINITY, INT_MAX};
    }
  }
  m = block_best(m, row_nan, part, &any_nan);
  if (threadIdx.x == 0) {
    ids[r] = token_of(m);
    tickets[r] = 0;
  }
}

// One block per row (no scratch for partials).
__global__ void __launch_bounds__(kArgmaxThreads)
    greedy_argmax_kernel(const float* logits, int vocab, std::int32_t* ids) {
  const float* row = logits + static_cast<std::size_t>(blockIdx.x) * vocab;
  Best b{-INFINITY, INT_MAX};
  bool nan = false;
  scan_best(row, 0, vocab, (vocab & 3) == 0 && (reinterpret_cast<std::uintptr_t>(row) & 15) == 0, b,
            nan);
  __shared__ Best part[kArgmaxThreads / 32];
  __shared__ int any_nan;
  b = block_best(b, nan, part, &any_nan);
  if (threadIdx.x == 0) ids[blockIdx.x] = token_of(b);
}

}  // namespace

int argmax_blocks(std::int64_t vocab) {
  return static_cast<int>(std::min<std::int64_t>(kMaxSplit, (vocab + kPerBlock - 1) / kPerBlock));
}

void greedy_argmax(const float* logits, std::int64_t rows, std::int64_t vocab, std::int32_t* ids,
                   cudaStream_t s, void* partials, unsigned* tickets) {
  if (rows == 0) return;
  const int nz = argmax_blocks(vocab);
  if (partials != nullptr && tickets != nullptr && nz > 1 && rows <= 65535) {
    const int chunk = static_cast<int>((vocab + nz - 1) / nz + 3) / 4 * 4;
    launch_pdl("greedy_argmax", greedy_argmax_split_kernel, dim3(nz, static_cast<unsigned>(rows)),
               dim3(kSplitThreads), 0, s, logits, static_cast<int>(vocab), chunk, ids,
               static_cast<Best*>(partials), tickets);
    return;
  }
  greedy_argmax_kernel<<<static_cast<unsigned>(rows), kArgmaxThreads, 0, s>>>(
      logits, static_cast<int>(vocab), ids);
  check_launch("greedy_argmax");
}

}  // namespace rmlx::kernels_cuda
