// Paged attention over an f16 KV cache: new K/V rows are written into their
// slots, then each (query row, head) is scored against its sequence's keys with
// an online softmax. Long key ranges are cut into splits that run in parallel
// (flash-decoding) and are merged by a second kernel.
#include <cmath>

#include "common.cuh"
#include "rmlx/kernels_cuda/fused.h"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kWarps = 4;
constexpr int kKeysPerSplit = 256;    // the bucket of key ranges
constexpr int kMinKeysPerSplit = 32;  // the smallest piece a split attends over

__device__ __forceinline__ std::size_t slot_offset(const AttnArgs& a, const AttnSeq& sq, int t,
                                                   int kvh) {
  const int block = a.tables[sq.table_offset + t / a.block_size];
  return ((static_cast<std::size_t>(block) * a.n_kv_heads + kvh) * a.block_size +
          t % a.block_size) *
         a.head_dim;
}

__global__ void write_kv_kernel(AttnArgs a) {
  const int r = blockIdx.x, kvh = blockIdx.y;
  const AttnSeq sq = a.seqs[a.row_seq[r]];
  const int t = sq.start_pos + (r - sq.first_row);
  const std::size_t dst = slot_offset(a, sq, t, kvh);
  const std::size_t src = (static_cast<std::size_t>(r) * a.n_kv_heads + kvh) * a.head_dim;
  auto* kc = static_cast<__half*>(a.k_cache);
  auto* vc = static_cast<__half*>(a.v_cache);
  for (int d = threadIdx.x; d < a.head_dim; d += blockDim.x) {
    kc[dst + d] = __float2half_rn(a.k[src + d]);
    vc[dst + d] = __float2half_rn(a.v[src + d]);
  }
}

// Block sum over the block's threads (a multiple of 32, at most 1024).
__device__ float head_sum(float v, float* red) {
  v = warp_sum(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) red[warp] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / 32 ? red[threadIdx.x] : 0.0f;
  if (warp == 0) v = warp_sum(v);
  if (threadIdx.x == 0) red[0] = v;
  __syncthreads();
  const float r = red[0];
  __syncthreads();
  return r;
}

// One block per (row, head of q then of k): the head is normed (rms_norm's
// arithmetic) and rotated (rope_kernel's) in shared memory, written back, and for
// a k head written with its v head to the cache slot. head_dim a multiple of 4.
__global__ void prep_heads_kernel(AttnArgs a, HeadPrep p) {
  extern __shared__ float head[];
  __shared__ float red[32];
  wait_prior_grid();
  const int r = blockIdx.x, y = blockIdx.y;
  const bool is_q = y < a.n_heads;
  const int hh = is_q ? y : y - a.n_heads;
  const int n_h = is_q ? a.n_heads : a.n_kv_heads;
  const int hd = a.head_dim;
  float* x = const_cast<float*>(is_q ? a.q : a.k) + (static_cast<std::size_t>(r) * n_h + hh) * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) head[d] = x[d];
  const void* w = is_q ? p.q_norm : p.k_norm;
  if (w != nullptr) {
    // Four consecutive values per thread, as rms_norm's register-resident kernel
    // sums them (same partial sums, same reduction: the same result).
    __syncthreads();
    float ss = 0.0f;
    if (4 * static_cast<int>(threadIdx.x) < hd) {
      const float4 v = reinterpret_cast<const float4*>(head)[threadIdx.x];
      ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
    }
    ss = head_sum(ss, red);
    const float rs = rsqrtf(ss / static_cast<float>(hd) + p.eps);
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
      head[d] = head[d] * rs * load_any(w, p.norm_type, d);
    }
  }
  __syncthreads();
  const int half = p.rotary_dim / 2;
  if (half > 0) {
    const float pos = static_cast<float>(p.positions[r]) * p.position_scale;
    for (int i = threadIdx.x; i < half; i += blockDim.x) {
      const float theta = pos * p.inv_freq[i];
      float sn, co;
      sincosf(theta, &sn, &co);
      const int ia = p.traditional ? 2 * i : i, ic = p.traditional ? 2 * i + 1 : i + half;
      const float x1 = head[ia] * p.x_scale, x2 = head[ic] * p.x_scale;
      head[ia] = x1 * co - x2 * sn;
      head[ic] = x1 * sn + x2 * co;
    }
    __syncthreads();
  }
  for (int d = threadIdx.x; d < hd; d += blockDim.x) x[d] = head[d];
  if (is_q) return;
  const AttnSeq sq = a.seqs[a.row_seq[r]];
  const int t = sq.start_pos + (r - sq.first_row);
  const std::size_t dst = slot_offset(a, sq, t, hh);
  const std::size_t src = (static_cast<std::size_t>(r) * a.n_kv_heads + hh) * hd;
  auto* kc = static_cast<__half*>(a.k_cache);
  auto* vc = static_cast<__half*>(a.v_cache);
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    kc[dst + d] = __float2half_rn(head[d]);
    vc[dst + d] = __float2half_rn(a.v[src + d]);
  }
}

// Merges the splits' partial results of one (row, head); the partials are read
// through L2 (__ldcg): in the fused case other blocks wrote them moments ago.
__device__ void merge_row_head(const AttnArgs& a, std::size_t row_head) {
  const std::size_t stride = static_cast<std::size_t>(a.n_rows) * a.n_heads * (a.head_dim + 2);
  const float* base = a.partial + row_head * (a.head_dim + 2);
  float big = -INFINITY;
  for (int z = 0; z < a.splits; ++z) big = fmaxf(big, __ldcg(base + z * stride));
  float total = 0.0f;
  for (int z = 0; z < a.splits; ++z) {
    const float mz = __ldcg(base + z * stride);
    if (mz != -INFINITY) total += __ldcg(base + z * stride + 1) * __expf(mz - big);
  }
  for (int d = threadIdx.x; d < a.head_dim; d += blockDim.x) {
    float o = 0.0f;
    for (int z = 0; z < a.splits; ++z) {
      const float mz = __ldcg(base + z * stride);
      if (mz != -INFINITY) o += __ldcg(base + z * stride + 2 + d) * __expf(mz - big);
    }
    a.out[row_head * a.head_dim + d] = o / total;
  }
}

// One block per (head, row, split); its warps take every kWarps-th key.
template <int DPL>
__global__ void __launch_bounds__(kWarps * 32) attention_kernel(AttnArgs a) {
  __shared__ float sm_m[kWarps], sm_l[kWarps];
  __shared__ float sm_acc[kWarps][DPL * 32];
  wait_prior_grid();
  const int h = blockIdx.x, r = blockIdx.y, z = blockIdx.z;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int kvh = h / (a.n_heads / a.n_kv_heads);
  const AttnSeq sq = a.seqs[a.row_seq[r]];
  const int pos = sq.start_pos + (r - sq.first_row);
  const int lo = a.sliding_window > 0 ? max(0, pos - a.sliding_window + 1) : 0;
  const int len = pos - lo + 1;
  const int chunk = (len + a.splits - 1) / a.splits;
  const int begin = lo + z * chunk, end = min(pos + 1, begin + chunk);

  const float* qr = a.q + (static_cast<std::size_t>(r) * a.n_heads + h) * a.head_dim;
  float q[DPL], acc[DPL];
#pragma unroll
  for (int j = 0; j < DPL; ++j) {
    const int d = lane + 32 * j;
    q[j] = d < a.head_dim ? qr[d] * a.scale : 0.0f;
    acc[j] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  const auto* kc = static_cast<const __half*>(a.k_cache);
  const auto* vc = static_cast<const __half*>(a.v_cache);
  for (int t = begin + warp; t < end; t += kWarps) {
    const std::size_t off = slot_offset(a, sq, t, kvh);
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < DPL; ++j) {
      const int d = lane + 32 * j;
      if (d < a.head_dim) s += q[j] * __half2float(kc[off + d]);
    }
    s = warp_sum(s);
    if (a.softcap > 0.0f) s = a.softcap * tanhf(s / a.softcap);
    const float m_new = fmaxf(m, s);
    const float corr = __expf(m - m_new), p = __expf(s - m_new);
    l = l * corr + p;
#pragma unroll
    for (int j = 0; j < DPL; ++j) {
      const int d = lane + 32 * j;
      const float v = d < a.head_dim ? __half2float(vc[off + d]) : 0.0f;
      acc[j] = acc[j] * corr + p * v;
    }
    m = m_new;
  }
  if (lane == 0) {
    sm_m[warp] = m;
    sm_l[warp] = l;
  }
#pragma unroll
  for (int j = 0; j < DPL; ++j) sm_acc[warp][lane + 32 * j] = acc[j];
  __syncthreads();
  float big = -INFINITY;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) big = fmaxf(big, sm_m[w]);
  float wt[kWarps], total = 0.0f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) {
    wt[w] = sm_m[w] == -INFINITY ? 0.0f : __expf(sm_m[w] - big);
    total += sm_l[w] * wt[w];
  }
  const std::size_t row_head = static_cast<std::size_t>(r) * a.n_heads + h;
  for (int d = threadIdx.x; d < a.head_dim; d += blockDim.x) {
    float o = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) o += sm_acc[w][d] * wt[w];
    if (a.splits == 1) {
      a.out[row_head * a.head_dim + d] = o / total;
    } else {
      float* part = a.partial + (static_cast<std::size_t>(z) * a.n_rows * a.n_heads + row_head) *
                                    (a.head_dim + 2);
      part[2 + d] = o;
      if (d == 0) {
        part[0] = big;
        part[1] = total;
      }
    }
  }
  if (a.splits == 1 || a.tickets == nullptr) return;
  // The last split of this (row, head) to finish merges all of them.
  __shared__ bool last;
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) {
    last = atomicAdd(&a.tickets[row_head], 1u) == static_cast<unsigned>(a.splits - 1);
  }
  __syncthreads();
  if (!last) return;
  __threadfence();
  merge_row_head(a, row_head);
  if (threadIdx.x == 0) a.tickets[row_head] = 0;
}

__global__ void merge_splits_kernel(AttnArgs a) {
  merge_row_head(a, static_cast<std::size_t>(blockIdx.y) * a.n_heads + blockIdx.x);
}

}  // namespace

std::int64_t attention_workspace(int n_rows, int n_heads, int head_dim, int splits) {
  return splits <= 1 ? 0 : static_cast<std::int64_t>(splits) * n_rows * n_heads * (head_dim + 2);
}

int attention_splits(int n_rows, int n_heads, int max_keys) {
  // Enough blocks to cover the GPU when few rows attend over many keys: pieces
  // of at least 32 keys, so a decode step over a short context is not one long
  // dependent loop per head. The count depends only on the 256-key bucket of
  // max_keys, which a recorded decode step keeps.
  const int bucket = (max_keys + kKeysPerSplit - 1) / kKeysPerSplit * kKeysPerSplit;
  const int by_keys = (bucket + kMinKeysPerSplit - 1) / kMinKeysPerSplit;
  const int blocks = n_rows * n_heads;
  const int wanted = blocks >= 264 ? 1 : (264 + blocks - 1) / blocks;
  return std::max(1, std::min(std::min(by_keys, wanted), 32));
}

void write_kv(const AttnArgs& a, cudaStream_t s) {
  if (a.n_rows == 0) return;
  write_kv_kernel<<<dim3(a.n_rows, a.n_kv_heads), 128, 0, s>>>(a);
  check_launch("write_kv");
}

void prep_heads_write_kv(const AttnArgs& a, const HeadPrep& p, cudaStream_t s) {
  if (a.n_rows == 0) return;
  if (a.head_dim % 4 != 0 || a.head_dim > 1024) {
    throw std::invalid_argument("cuda: fused q/k preparation needs head_dim a multiple of 4");
  }
  const int threads = a.head_dim <= 128 ? 128 : 256;
  launch_pdl("prep_heads_write_kv", prep_heads_kernel, dim3(a.n_rows, a.n_heads + a.n_kv_heads),
             dim3(threads), static_cast<std::size_t>(a.head_dim) * sizeof(float), s, a, p);
}

void attention(const AttnArgs& a, cudaStream_t s) {
  if (a.n_rows == 0) return;
  if (a.head_dim > 256 || a.n_heads % a.n_kv_heads != 0) {
    throw std::invalid_argument("cuda: attention needs head_dim <= 256 and whole GQA groups");
  }
  const dim3 grid(a.n_heads, a.n_rows, a.splits);
  auto* kernel = a.head_dim <= 64    ? attention_kernel<2>
                 : a.head_dim <= 128 ? attention_kernel<4>
                                     : attention_kernel<8>;
  launch_pdl("attention", kernel, grid, dim3(kWarps * 32), 0, s, a);
  if (a.splits > 1 && a.tickets == nullptr) {
    merge_splits_kernel<<<dim3(a.n_heads, a.n_rows), 128, 0, s>>>(a);
    check_launch("attention merge");
  }
}

}  // namespace rmlx::kernels_cuda
