// Paged attention over an f16 KV cache: new K/V rows are written into their
// slots, then each (query row, head) is scored against its sequence's keys with
// an online softmax. Long key ranges are cut into splits that run in parallel
// (flash-decoding). Up to 16 splits of a (row, heads) form one thread-block cluster
// and merge through each other's shared memory; more are merged by the last split
// to finish (by a second kernel when the backend has no counters to give).
#include <cooperative_groups.h>

#include <cmath>
#include <cstdlib>
#include <type_traits>

#include "common.cuh"
#include "rmlx/kernels_cuda/fused.h"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kWarps = 8;
constexpr int kKeysAtOnce = 4;      // keys a warp loads before it reduces them
constexpr int kKeysPerSplit = 256;  // the bucket of key ranges
// The smallest piece a split attends over: one pass of the block's warps. (16 keys,
// half a pass, measured 3% slower at B=1 on an H100 once splits merge in a cluster.)
constexpr int kMinKeysPerSplit = kWarps * kKeysAtOnce;

__device__ __forceinline__ std::size_t slot_offset(const AttnArgs& a, const AttnSeq& sq, int t,
                                                   int kvh) {
  const int block = a.tables[sq.table_offset + t / a.block_size];
  return ((static_cast<std::size_t>(block) * a.n_kv_heads + kvh) * a.block_size +
          t % a.block_size) *
         a.head_dim;
}

// The sequence of row r: with one sequence, without reading the row map (one memory
// round trip less on the chain a decode step's attention waits on).
__device__ __forceinline__ AttnSeq seq_of(const AttnArgs& a, int r) {
  return a.seqs[a.n_seqs == 1 ? 0 : a.row_seq[r]];
}

__global__ void write_kv_kernel(AttnArgs a) {
  const int r = blockIdx.x, kvh = blockIdx.y;
  const AttnSeq sq = seq_of(a, r);
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
  const int r = blockIdx.x, y = blockIdx.y;
  const bool is_q = y < a.n_heads;
  const int hh = is_q ? y : y - a.n_heads;
  const int n_h = is_q ? a.n_heads : a.n_kv_heads;
  const int hd = a.head_dim;
  // Constants and this step's staged positions, before waiting on the kernel that
  // writes q and k: the thread's first norm weight and its first rotation.
  const void* w = is_q ? p.q_norm : p.k_norm;
  const int d0 = static_cast<int>(threadIdx.x);
  const float w0 = w != nullptr && d0 < hd ? load_any(w, p.norm_type, d0) : 0.0f;
  const int half = p.rotary_dim / 2;
  float sn0 = 0.0f, co0 = 1.0f;
  if (d0 < half)
    sincosf(static_cast<float>(p.positions[r]) * p.position_scale * p.inv_freq[d0], &sn0, &co0);
  if (p.early_dependents) launch_dependents();
  wait_prior_grid();
  float* x = const_cast<float*>(is_q ? a.q : a.k) + (static_cast<std::size_t>(r) * n_h + hh) * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) head[d] = x[d];
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
    for (int d = d0; d < hd; d += blockDim.x) {
      head[d] = head[d] * rs * (d == d0 ? w0 : load_any(w, p.norm_type, d));
    }
  }
  __syncthreads();
  if (half > 0) {
    const float pos = static_cast<float>(p.positions[r]) * p.position_scale;
    for (int i = d0; i < half; i += blockDim.x) {
      float sn = sn0, co = co0;
      if (i != d0) sincosf(pos * p.inv_freq[i], &sn, &co);
      const int ia = p.traditional ? 2 * i : i, ic = p.traditional ? 2 * i + 1 : i + half;
      const float x1 = head[ia] * p.x_scale, x2 = head[ic] * p.x_scale;
      head[ia] = x1 * co - x2 * sn;
      head[ic] = x1 * sn + x2 * co;
    }
    __syncthreads();
  }
  for (int d = threadIdx.x; d < hd; d += blockDim.x) x[d] = head[d];
  if (is_q) return;
  const AttnSeq sq = seq_of(a, r);
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

// Merges the splits' partial results of heads row_head0 .. + g_count - 1 with all
// of the block's threads. Each step's loads are independent of one another (a
// loop over splits whose loads wait on each other costs a L2 round trip a split);
// the partials are read through L2 (__ldcg): other blocks wrote them moments ago.
constexpr int kMaxSplits = 32;
constexpr int kMaxClusterSplits = 16;  // splits merged in one cluster at most (H100: 16)
constexpr int kMaxGroup = 8;           // query heads one block takes at most
constexpr int kMaxMerge = kMaxGroup * kMaxSplits;

__device__ void merge_heads(const AttnArgs& a, std::size_t row_head0, int g_count) {
  __shared__ float mz[kMaxMerge], lz[kMaxMerge], wz[kMaxMerge], total[kMaxGroup];
  const std::size_t stride = static_cast<std::size_t>(a.n_rows) * a.n_heads * (a.head_dim + 2);
  const int S = a.splits, n = g_count * S;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const int g = i / S, z = i - g * S;
    const float* part = a.partial + z * stride + (row_head0 + g) * (a.head_dim + 2);
    mz[i] = __ldcg(part);
    lz[i] = __ldcg(part + 1);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const int g = i / S;
    float big = -INFINITY;
    for (int z = 0; z < S; ++z) big = fmaxf(big, mz[g * S + z]);
    wz[i] = mz[i] == -INFINITY ? 0.0f : __expf(mz[i] - big);
  }
  __syncthreads();
  for (int g = threadIdx.x; g < g_count; g += blockDim.x) {
    float t = 0.0f;
    for (int z = 0; z < S; ++z) t += lz[g * S + z] * wz[g * S + z];
    total[g] = t;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < g_count * a.head_dim; i += blockDim.x) {
    const int g = i / a.head_dim, d = i - g * a.head_dim;
    const float* part = a.partial + (row_head0 + g) * (a.head_dim + 2) + 2 + d;
    float o = 0.0f;
#pragma unroll 8
    for (int z = 0; z < S; ++z) o += __ldcg(part + z * stride) * wz[g * S + z];
    a.out[(row_head0 + g) * a.head_dim + d] = o / total[g];
  }
}

// A row of DPL halves a lane holds (dims lane * DPL ..), as floats; zero past head_dim.
template <int DPL>
__device__ __forceinline__ void load_dims(const __half* row, int lane, int head_dim,
                                          float (&v)[DPL]) {
  if (head_dim == DPL * 32) {
    const __half* p = row + lane * DPL;
    if constexpr (DPL == 2) {
      const float2 f = __half22float2(*reinterpret_cast<const __half2*>(p));
      v[0] = f.x, v[1] = f.y;
    } else {
      using Vec = std::conditional_t<DPL == 4, uint2, uint4>;
      const Vec raw = *reinterpret_cast<const Vec*>(p);
      const auto* h2 = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
      for (int j = 0; j < DPL / 2; ++j) {
        const float2 f = __half22float2(h2[j]);
        v[2 * j] = f.x, v[2 * j + 1] = f.y;
      }
    }
  } else {
#pragma unroll
    for (int j = 0; j < DPL; ++j) {
      const int d = lane * DPL + j;
      v[j] = d < head_dim ? __half2float(row[d]) : 0.0f;
    }
  }
}

// A lane's DPL halves of a row as loaded, kept in the first DPL / 2 of the floats that
// will hold them converted (no registers beside them): a load whose value is used at
// once holds the thread there until it arrives.
template <int DPL>
__device__ __forceinline__ void load_raw(const __half* row, int lane, float (&v)[DPL]) {
  const auto* p = reinterpret_cast<const unsigned*>(row + lane * DPL);
  if constexpr (DPL == 2) {
    v[0] = __uint_as_float(p[0]);
  } else if constexpr (DPL == 4) {
    const uint2 w = *reinterpret_cast<const uint2*>(p);
    v[0] = __uint_as_float(w.x), v[1] = __uint_as_float(w.y);
  } else {
    const uint4 w = *reinterpret_cast<const uint4*>(p);
    v[0] = __uint_as_float(w.x), v[1] = __uint_as_float(w.y);
    v[2] = __uint_as_float(w.z), v[3] = __uint_as_float(w.w);
  }
}

template <int DPL>
__device__ __forceinline__ void raw_to_float(float (&v)[DPL]) {
#pragma unroll
  for (int j = DPL / 2 - 1; j >= 0; --j) {  // from the top: word j lands in 2j, 2j + 1
    const unsigned w = __float_as_uint(v[j]);
    const float lo = __half2float(__ushort_as_half(static_cast<unsigned short>(w & 0xffffu)));
    const float hi = __half2float(__ushort_as_half(static_cast<unsigned short>(w >> 16)));
    v[2 * j] = lo, v[2 * j + 1] = hi;
  }
}

// One block per (G query heads of one KV head, row, split): each key's K and V rows
// are read once for the G heads. A warp takes kKeysAtOnce keys at a time with
// their loads issued together (the chain per key is a table lookup, then the
// rows: latency, not bandwidth, at decode's short contexts).
// CL: the splits of these heads form one cluster (grid z) and merge through each
// other's shared memory: no partials in global memory, no ticket, no second pass.
template <int DPL, int G, bool CL>
__global__ void __launch_bounds__(kWarps * 32) attention_kernel(AttnArgs a) {
  constexpr int KB = kKeysAtOnce;
  __shared__ float sm_m[kWarps][G], sm_l[kWarps][G];
  __shared__ float sm_acc[kWarps][G][DPL * 32];
  // CL: what the splits send to this one (the outputs it writes, every head's max and sum).
  __shared__ float rc_m[CL ? kMaxClusterSplits : 1][G], rc_l[CL ? kMaxClusterSplits : 1][G];
  __shared__ float rc_o[CL ? G * DPL * 32 + kMaxClusterSplits : 1];
  const int r = blockIdx.y, z = blockIdx.z, h0 = blockIdx.x * G;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int kvh = h0 / (a.n_heads / a.n_kv_heads);
  if constexpr (CL) cluster_arrive_relaxed();  // splits store into each other's shared memory
  // The tables were staged before this step's kernels, and cache slots before the
  // sequence's start_pos hold earlier steps' keys: both are read before waiting on
  // the kernel that writes q and this step's keys, even before the kernel before that
  // one has finished (the q/k prep lets this kernel start early: HeadPrep). Nothing
  // else may be read before the wait.
  const AttnSeq sq = seq_of(a, r);
  const int pos = sq.start_pos + (r - sq.first_row);
  const int lo = a.sliding_window > 0 ? max(0, pos - a.sliding_window + 1) : 0;
  const int len = pos - lo + 1;
  const int chunk = (len + a.splits - 1) / a.splits;
  const int begin = lo + z * chunk, end = min(pos + 1, begin + chunk);
  const auto* kc = static_cast<const __half*>(a.k_cache);
  const auto* vc = static_cast<const __half*>(a.v_cache);

  // The slots of a warp's next keys are looked up while the current ones load.
  const int t_first = begin + KB * warp;
  std::size_t off[KB];
#pragma unroll
  for (int u = 0; u < KB; ++u) {
    off[u] = t_first + u < end ? slot_offset(a, sq, t_first + u, kvh) : 0;
  }
  float kr[KB][DPL], vr[KB][DPL];
  const auto load_key = [&](int u, std::size_t o) {
    load_dims<DPL>(kc + o, lane, a.head_dim, kr[u]);
    load_dims<DPL>(vc + o, lane, a.head_dim, vr[u]);
  };
  // Keys before start_pos were written by earlier steps. With whole rows a lane's
  // halves stay raw until after the wait and the loads of q and this step's keys, so
  // the thread does not sit on these loads before it may issue those (the rows come
  // from DRAM while the q/k/v GEMV still streams).
  const auto earlier = [&](int t) { return t < end && t < sq.start_pos; };
  const bool whole = a.head_dim == DPL * 32;
#pragma unroll
  for (int u = 0; u < KB; ++u) {
    if (!earlier(t_first + u)) continue;
    if (whole) {
      load_raw<DPL>(kc + off[u], lane, kr[u]);
      load_raw<DPL>(vc + off[u], lane, vr[u]);
    } else {
      load_key(u, off[u]);
    }
  }
  wait_prior_grid();

  float q[G][DPL], acc[G][DPL], m[G], l[G];
#pragma unroll
  for (int g = 0; g < G; ++g) {
    const float* qr = a.q + (static_cast<std::size_t>(r) * a.n_heads + h0 + g) * a.head_dim;
#pragma unroll
    for (int j = 0; j < DPL; ++j) {
      const int d = lane * DPL + j;
      q[g][j] = d < a.head_dim ? qr[d] * a.scale : 0.0f;
      acc[g][j] = 0.0f;
    }
    m[g] = -INFINITY;
    l[g] = 0.0f;
  }
  for (int t0 = t_first; t0 < end; t0 += KB * kWarps) {
#pragma unroll
    for (int u = 0; u < KB; ++u) {
      // Past the end a key repeats the first one (its score is masked below).
      if (t0 != t_first || !earlier(t0 + u)) load_key(u, t0 + u < end ? off[u] : off[0]);
    }
    if (t0 == t_first && whole) {
#pragma unroll
      for (int u = 0; u < KB; ++u) {
        if (earlier(t0 + u)) {
          raw_to_float<DPL>(kr[u]);
          raw_to_float<DPL>(vr[u]);
        }
      }
    }
    const int tn = t0 + KB * kWarps;
#pragma unroll
    for (int u = 0; u < KB; ++u) {
      if (tn + u < end) off[u] = slot_offset(a, sq, tn + u, kvh);
    }
#pragma unroll
    for (int g = 0; g < G; ++g) {
      float sc[KB];
#pragma unroll
      for (int u = 0; u < KB; ++u) {
        float s = 0.0f;
#pragma unroll
        for (int j = 0; j < DPL; ++j) s += q[g][j] * kr[u][j];
        s = warp_sum(s);
        if (a.softcap > 0.0f) s = a.softcap * tanhf(s / a.softcap);
        sc[u] = t0 + u < end ? s : -INFINITY;
      }
      float mn = m[g];
#pragma unroll
      for (int u = 0; u < KB; ++u) mn = fmaxf(mn, sc[u]);
      const float corr = __expf(m[g] - mn);
      float p[KB];
      l[g] *= corr;
#pragma unroll
      for (int u = 0; u < KB; ++u) {
        p[u] = __expf(sc[u] - mn);
        l[g] += p[u];
      }
#pragma unroll
      for (int j = 0; j < DPL; ++j) {
        float o = acc[g][j] * corr;
#pragma unroll
        for (int u = 0; u < KB; ++u) o += p[u] * vr[u][j];
        acc[g][j] = o;
      }
      m[g] = mn;
    }
  }
#pragma unroll
  for (int g = 0; g < G; ++g) {
    if (lane == 0) {
      sm_m[warp][g] = m[g];
      sm_l[warp][g] = l[g];
    }
#pragma unroll
    for (int j = 0; j < DPL; ++j) sm_acc[warp][g][lane * DPL + j] = acc[g][j];
  }
  __syncthreads();
  const std::size_t row_head0 = static_cast<std::size_t>(r) * a.n_heads + h0;
  namespace cg = cooperative_groups;
  // CL: split k writes outputs [k * per, (k + 1) * per) of the G heads.
  const int n_out = G * a.head_dim, per = (n_out + a.splits - 1) / a.splits;
  if constexpr (CL) cluster_wait();
  for (int i = threadIdx.x; i < G * a.head_dim; i += blockDim.x) {
    const int g = i / a.head_dim, d = i - g * a.head_dim;
    float big = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) big = fmaxf(big, sm_m[w][g]);
    float o = 0.0f, total = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float wt = sm_m[w][g] == -INFINITY ? 0.0f : __expf(sm_m[w][g] - big);
      total += sm_l[w][g] * wt;
      o += sm_acc[w][g][d] * wt;
    }
    const std::size_t row_head = row_head0 + g;
    if constexpr (CL) {
      const cg::cluster_group cluster = cg::this_cluster();
      const int k = i / per;
      cluster.map_shared_rank(rc_o, k)[z * per + (i - k * per)] = o;
      if (d == 0) {
        for (int j = 0; j < a.splits; ++j) {
          cluster.map_shared_rank(&rc_m[0][0], j)[z * G + g] = big;
          cluster.map_shared_rank(&rc_l[0][0], j)[z * G + g] = total;
        }
      }
    } else if (a.splits == 1) {
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
  if constexpr (CL) {
    cg::this_cluster().sync();  // every split's sends have landed
    const int S = a.splits, z0 = z * per, i_end = min(n_out, z0 + per);
    for (int i = z0 + static_cast<int>(threadIdx.x); i < i_end; i += static_cast<int>(blockDim.x)) {
      const int g = i / a.head_dim;
      float big = -INFINITY;
      for (int k = 0; k < S; ++k) big = fmaxf(big, rc_m[k][g]);
      float o = 0.0f, total = 0.0f;
      for (int k = 0; k < S; ++k) {
        const float wt = rc_m[k][g] == -INFINITY ? 0.0f : __expf(rc_m[k][g] - big);
        total += rc_l[k][g] * wt;
        o += rc_o[k * per + (i - z0)] * wt;
      }
      a.out[(row_head0 + g) * a.head_dim + (i - g * a.head_dim)] = o / total;
    }
    return;
  }
  if (a.splits == 1 || a.tickets == nullptr) return;
  // The last split of these (row, heads) to finish merges all of them.
  __shared__ bool last;
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) {
    last = atomicAdd(&a.tickets[row_head0], 1u) == static_cast<unsigned>(a.splits - 1);
  }
  __syncthreads();
  if (!last) return;
  __threadfence();
  merge_heads(a, row_head0, G);
  if (threadIdx.x == 0) a.tickets[row_head0] = 0;
}

__global__ void merge_splits_kernel(AttnArgs a) {
  merge_heads(a, static_cast<std::size_t>(blockIdx.y) * a.n_heads + blockIdx.x, 1);
}

}  // namespace

std::int64_t attention_workspace(int n_rows, int n_heads, int head_dim, int splits) {
  return splits <= 1 || attention_cluster_merge(splits)
             ? 0
             : static_cast<std::int64_t>(splits) * n_rows * n_heads * (head_dim + 2);
}

// RMLX_CUDA_ATTN_BLOCKS: blocks a decode step's attention aims at (splits fill
// up to it); read once.
int attention_target_blocks() {
  static const int n = [] {
    const char* v = std::getenv("RMLX_CUDA_ATTN_BLOCKS");
    return v == nullptr ? 132 : std::max(1, std::atoi(v));
  }();
  return n;
}

int attention_heads_per_block(int n_heads, int n_kv_heads, int head_dim) {
  const int group = n_kv_heads > 0 && n_heads % n_kv_heads == 0 ? n_heads / n_kv_heads : 1;
  // q and the output of G heads stay in registers: G * head_dim / 32 values each.
  const int cap = head_dim <= 128 ? kMaxGroup : kMaxGroup / 2;
  for (int g = cap; g > 1; g /= 2) {
    if (group % g == 0) return g;
  }
  return 1;
}

int attention_splits(int n_rows, int n_heads, int n_kv_heads, int head_dim, int max_keys) {
  // Enough blocks to cover the GPU when few rows attend over many keys: pieces of
  // at least one pass of the warps, so a decode step over a short context is not
  // one long dependent loop per head. The count depends only on the 256-key bucket of
  // max_keys, which a recorded decode step keeps.
  const int bucket = (max_keys + kKeysPerSplit - 1) / kKeysPerSplit * kKeysPerSplit;
  const int by_keys = (bucket + kMinKeysPerSplit - 1) / kMinKeysPerSplit;
  const int blocks = n_rows * (n_heads / attention_heads_per_block(n_heads, n_kv_heads, head_dim));
  const int target = attention_target_blocks();
  const int wanted = blocks >= target ? 1 : (target + blocks - 1) / blocks;
  return std::max(1, std::min(std::min(by_keys, wanted), kMaxSplits));
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

}  // namespace rmlx::kernels_cuda

#include "attention_short.cuh"

namespace rmlx::kernels_cuda {

namespace {

template <bool CL>
void (*attention_for(int head_dim, int G))(AttnArgs) {
  if (head_dim <= 64) {
    return G == 8   ? attention_kernel<2, 8, CL>
           : G == 4 ? attention_kernel<2, 4, CL>
           : G == 2 ? attention_kernel<2, 2, CL>
                    : attention_kernel<2, 1, CL>;
  }
  if (head_dim <= 128) {
    return G == 8   ? attention_kernel<4, 8, CL>
           : G == 4 ? attention_kernel<4, 4, CL>
           : G == 2 ? attention_kernel<4, 2, CL>
                    : attention_kernel<4, 1, CL>;
  }
  return G == 4   ? attention_kernel<8, 4, CL>
         : G == 2 ? attention_kernel<8, 2, CL>
                  : attention_kernel<8, 1, CL>;
}

// RMLX_CUDA_ATTN_CLUSTER=0 merges splits through global memory (for comparisons).
bool cluster_merge_enabled() {
  static const bool on = env_on("RMLX_CUDA_ATTN_CLUSTER");
  return on;
}

// Clusters of more than eight blocks are Hopper's non-portable sizes: allowed once for
// every merging kernel, at the first launch that needs them.
void allow_wide_clusters() {
  static const cudaError_t e = [] {
    cudaError_t r = cudaSuccess;
    for (int head_dim : {64, 128, 256}) {
      for (int g : {1, 2, 4, 8}) {
        const cudaError_t k = cudaFuncSetAttribute(
            attention_for<true>(head_dim, g), cudaFuncAttributeNonPortableClusterSizeAllowed, 1);
        if (r == cudaSuccess) r = k;
      }
    }
    return r;
  }();
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: attention cluster size: ") + cudaGetErrorString(e));
  }
}

// RMLX_CUDA_ATTN_SHORT=0: decode over one key bucket takes the split kernel too (for
// comparisons and tests; read at each launch).
bool short_enabled() {
  return env_on("RMLX_CUDA_ATTN_SHORT");
}

// Query heads a block of the short-context kernel takes: the fewest (keys and values
// are read once a block) that keep every block in one wave; 0 where it does not apply.
int short_heads(const AttnArgs& a) {
  if (a.max_keys > kShortKeys || (a.head_dim != 64 && a.head_dim != 128) || !short_enabled())
    return 0;
  const int sms = sm_count();
  const int group = a.n_heads / a.n_kv_heads;
  for (const int g : {1, 2, 4}) {
    if (group % g == 0 && static_cast<long>(a.n_rows) * (a.n_heads / g) <= sms) return g;
  }
  return 0;
}

template <int HD, int G>
void launch_short(const AttnArgs& a, cudaStream_t s) {
  static const cudaError_t e = cudaFuncSetAttribute(attention_short_kernel<HD, G>,
                                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                    static_cast<int>(short_smem<HD, G>()));
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: short attention: ") + cudaGetErrorString(e));
  }
  launch_pdl("attention", attention_short_kernel<HD, G>, dim3(a.n_heads / G, a.n_rows),
             dim3(kShortThreads), short_smem<HD, G>(), s, a);
}

template <int HD>
void launch_short_heads(int g, const AttnArgs& a, cudaStream_t s) {
  if (g == 1) {
    launch_short<HD, 1>(a, s);
  } else if (g == 2) {
    launch_short<HD, 2>(a, s);
  } else {
    launch_short<HD, 4>(a, s);
  }
}

bool attention_short(const AttnArgs& a, cudaStream_t s) {
  const int g = short_heads(a);
  if (g == 0) return false;
  if (a.head_dim == 64) {
    launch_short_heads<64>(g, a, s);
  } else {
    launch_short_heads<128>(g, a, s);
  }
  return true;
}

}  // namespace

bool attention_cluster_merge(int splits) {
  return splits > 1 && splits <= kMaxClusterSplits && cluster_merge_enabled();
}

void attention(const AttnArgs& a, cudaStream_t s) {
  if (a.n_rows == 0) return;
  if (a.head_dim > 256 || a.n_heads % a.n_kv_heads != 0) {
    throw std::invalid_argument("cuda: attention needs head_dim <= 256 and whole GQA groups");
  }
  if (attention_short(a, s)) return;
  const int G = attention_heads_per_block(a.n_heads, a.n_kv_heads, a.head_dim);
  const dim3 grid(a.n_heads / G, a.n_rows, a.splits);
  if (attention_cluster_merge(a.splits)) {
    if (a.splits > 8) allow_wide_clusters();
    launch_pdl_clusters("attention", attention_for<true>(a.head_dim, G), grid, dim3(kWarps * 32),
                        dim3(1, 1, static_cast<unsigned>(a.splits)), 0, s, a);
    return;
  }
  launch_pdl("attention", attention_for<false>(a.head_dim, G), grid, dim3(kWarps * 32), 0, s, a);
  if (a.splits > 1 && a.tickets == nullptr) {
    merge_splits_kernel<<<dim3(a.n_heads, a.n_rows), 128, 0, s>>>(a);
    check_launch("attention merge");
  }
}

}  // namespace rmlx::kernels_cuda
