// 2..64 activation rows against 4-bit affine weights on tensor cores (decode steps
// of several sequences), in one of two forms that share the staging, the splits and
// the reduction below:
//
// - Exact (2..16 rows, or any count with RMLX_CUDA_EXACT_BATCH=1): int8 tensor cores.
//   batch_prep_exact (affine_batch_prep.cu) turns each 32-column chunk of each activation row once
//   into 24-bit fixed point against the chunk's largest |x| (v = round(x / dx), |v| <= 2^22, dx =
//   max |x| / 2^22), stored as three signed base-256 digits in the order the mma B fragment reads
//   them, with the chunk's dx and its sum of x. For each 32-column chunk mma.m16n8k32 multiplies
//   the codes (4-bit codes are valid int8) by each digit; the three int32 sums combine exactly
//   (|sum| < 2^31: the top digit is at most 64), so a chunk adds s * dx * sum + b * (sum of x) in
//   f32. Error: at most 2^-23 of the chunk's largest |x| per activation, about f32 rounding. The
//   per-chunk fold is three quarters of its instructions.
// - F16 (17..64 rows): f16 tensor cores with no per-chunk fold. batch_prep_f16 scales
//   each activation row by a power of two (its largest |x| into [2^14, 2^15)) and
//   rounds it to f16; the kernel turns each code into s * q + b rounded to f16 (one
//   logic op and two f16x2 ops per pair) and mma.m16n8k16 sums the whole row in f32.
//   Scales and biases must fit f16 (|v| < 65,504, as in any quantized model).
//   Error: one f16 rounding of each weight and each activation (unit roundoff 2^-11),
//   as in dequantizing GEMMs such as MLX's own; 0.6e-3 of max |y| in the op test
//   against 6e-7 for the exact form, for 1.3-1.5x the speed at 32 rows
//   (bench/gpu/NOTES.md, version 10).
//
// Weight tiles of 128 rows x 256 columns a stage go through a cp.async ring in shared
// memory (codes, scales and biases; the prep's activations of all the pass's rows
// beside them). Small matrices split their columns over several blocks; the last
// block of a row tile adds the partial sums in split order (deterministic), as the
// split-K attention does.
#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "affine_batch_act.cuh"
#include "common.cuh"
#include "rmlx/kernels_cuda/affine_batch.h"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kThreads = 256;             // eight warps: four row groups x two chunk halves
constexpr int kTileRows = 128;            // weight rows per block: 32 per warp
constexpr int kStageCols = 256;           // columns per pipeline stage
constexpr int kChunks = kStageCols / 32;  // mma k-steps per stage
constexpr int kWStride =
    kStageCols / 2 + 16;       // bytes per staged weight row (padding: no bank conflicts)
constexpr int kMaxSplits = 8;  // column ranges per row tile at most

using namespace affine_batch_detail;

// Up to three weights reading the same activation rows (q/k/v, gate/up), each with
// its own run of row tiles in one launch.
struct BatchSeg {
  const unsigned* codes;
  const void* scales;
  const void* biases;
  float* y;
  int rows, first_tile;
};

struct MainArgs {
  BatchSeg seg[3];
  int count;
  const void* acts;     // the prep's digits (exact) or halves (f16)
  const void* xscales;  // exact: (dx, sum of x) per chunk and token; f16: dx per token
  float* partial;
  unsigned* tickets;
  int cols, gs, n, per_pass, splits, stages_per_split, row_tiles;
};

__device__ __forceinline__ void cp8(void* dst, const void* src) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8;\n" ::"r"(smem_u32(dst)), "l"(src));
}
__device__ __forceinline__ void cp4(void* dst, const void* src) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(smem_u32(dst)), "l"(src));
}
__device__ __forceinline__ void cp_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
template <int N>
__device__ __forceinline__ void cp_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
// 4, 8, 16 or 32 bytes (a row's scales for one stage).
__device__ __forceinline__ void cp_bytes(unsigned char* dst, const unsigned char* src, int bytes) {
  if (bytes >= 16) {
    for (int o = 0; o < bytes; o += 16) cp16(dst + o, src + o);
  } else if (bytes == 8) {
    cp8(dst, src);
  } else {
    cp4(dst, src);
  }
}

__device__ __forceinline__ void mma_s8(int (&d)[4], unsigned a0, unsigned a1, unsigned a2,
                                       unsigned a3, uint2 b) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%10,%10,%10,%10};\n"
      : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b.x), "r"(b.y), "r"(0));
}

// d += a * b on f16 tensor cores with f32 sums. Not volatile: the compiler may
// interleave them with other work.
__device__ __forceinline__ void mma_f16(float (&d)[4], const unsigned (&a)[4], unsigned b0,
                                        unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ __half2 u32_as_half2(unsigned v) {
  __half2 h;
  static_assert(sizeof(h) == sizeof(v));
  memcpy(&h, &v, sizeof(v));
  return h;
}
__device__ __forceinline__ unsigned half2_as_u32(__half2 h) {
  unsigned v;
  memcpy(&v, &h, sizeof(v));
  return v;
}

// The weights s * q + b of two codes as an f16 pair, each rounded once: the codes sit
// in the mantissa of 1024.0 (bits 0-3 of each half, or bits 4-7: 1024 + 16 q), taken
// out exactly by one f16x2 subtract or multiply-add, then scaled by one f16x2 fma.
__device__ __forceinline__ unsigned weights_lo(unsigned w, __half2 s, __half2 b) {
  const __half2 k = __float2half2_rn(1024.0f);
  const __half2 q = __hsub2(u32_as_half2((w & 0x000F000Fu) | 0x64006400u), k);
  return half2_as_u32(__hfma2(q, s, b));
}
__device__ __forceinline__ unsigned weights_hi(unsigned w, __half2 s, __half2 b) {
  const __half2 q = __hfma2(u32_as_half2((w & 0x00F000F0u) | 0x64006400u),
                            __float2half2_rn(0.0625f), __float2half2_rn(-64.0f));
  return half2_as_u32(__hfma2(q, s, b));
}

// One code word of two weight rows (g and g + 8 of an m tile) and their groups'
// scales and biases.
struct RowPair {
  unsigned w_lo, w_hi;
  float s_lo, s_hi, b_lo, b_hi;
};

// Byte offsets inside one stage buffer.
struct StageLayout {
  int digits, xs, scales, biases, bytes, sbytes;
};

__host__ __device__ inline StageLayout stage_layout(int tokens, int gs, int esize, bool f16) {
  StageLayout l;
  l.sbytes = kStageCols / gs * esize;
  l.digits = kTileRows * kWStride;
  l.xs = l.digits + kChunks * tokens * (f16 ? kHalfBytes : kLimbs * 32);
  l.scales = l.xs + (f16 ? 0 : kChunks * tokens * 8);
  l.biases = l.scales + kTileRows * l.sbytes;
  l.bytes = (l.biases + kTileRows * l.sbytes + 15) / 16 * 16;
  return l;
}

template <WType S, int NTILES, int STAGES, bool F16>
__global__ void __launch_bounds__(kThreads) affine_batch_kernel(MainArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  constexpr int NT = NTILES * 8;
  constexpr int esize = S == WType::f32 ? 4 : 2;
  const int tile = blockIdx.x, split = blockIdx.y, pass = blockIdx.z;
  int si = 0;
#pragma unroll
  for (int k = 1; k < 3; ++k) {
    if (k < a.count && tile >= a.seg[k].first_tile) si = k;
  }
  const BatchSeg sg = si == 0 ? a.seg[0] : si == 1 ? a.seg[1] : a.seg[2];
  const int tid = threadIdx.x, lane = tid & 31, g = lane >> 2, t = lane & 3;
  // Warp w takes rows 32 (w % 4) .. + 31 of the tile and chunks 4 (w / 4) .. + 3 of each
  // stage; the two halves' sums are added at the end.
  const int warp = (tid >> 5) & 3, half = tid >> 7;
  const StageLayout L = stage_layout(NT, a.gs, esize, F16);
  const int groups = a.cols / a.gs, chunks = a.cols / 32, gps = kStageCols / a.gs;
  const int total = a.cols / kStageCols;
  const int k_begin = split * a.stages_per_split;
  const int k_end = min(total, k_begin + a.stages_per_split);
  const int row0 = (tile - sg.first_tile) * kTileRows;

  // Codes, scales and biases of stage k: constants, so they may go before the wait.
  const auto load_weights = [&](int k, unsigned char* st) {
    for (int p = tid; p < kTileRows * 8; p += kThreads) {
      const int r = p >> 3, part = p & 7;
      const int rg = min(row0 + r, sg.rows - 1);
      cp16(st + r * kWStride + part * 16,
           sg.codes +
               (static_cast<std::size_t>(rg) * a.cols + static_cast<std::size_t>(k) * kStageCols) /
                   8 +
               part * 4);
    }
    const int r = tid & (kTileRows - 1);
    const int rg = min(row0 + r, sg.rows - 1);
    const std::size_t o =
        (static_cast<std::size_t>(rg) * groups + static_cast<std::size_t>(k) * gps) * esize;
    const auto* src =
        static_cast<const unsigned char*>(tid < kTileRows ? sg.scales : sg.biases) + o;
    cp_bytes(st + (tid < kTileRows ? L.scales : L.biases) + r * L.sbytes, src, L.sbytes);
  };
  // The prep's output for stage k: digits, dx and sums of x (exact) or halves (f16).
  const auto load_acts = [&](int k, unsigned char* st) {
    const std::size_t c0 =
        static_cast<std::size_t>(pass) * chunks + static_cast<std::size_t>(k) * kChunks;
    constexpr int per_chunk = F16 ? kHalfBytes : kLimbs * 32;
    const unsigned char* src = static_cast<const unsigned char*>(a.acts) + c0 * per_chunk * NT;
    constexpr int pieces = kChunks * per_chunk * NT / 16;
    for (int p = tid; p < pieces; p += kThreads) cp16(st + L.digits + p * 16, src + p * 16);
    if (!F16) {
      const auto* xs = static_cast<const unsigned char*>(a.xscales) + c0 * NT * 8;
      for (int p = tid; p < kChunks * NT / 2; p += kThreads) cp16(st + L.xs + p * 16, xs + p * 16);
    }
  };

  for (int i = 0; i < STAGES - 1; ++i) {
    if (k_begin + i < k_end) load_weights(k_begin + i, smem + i * L.bytes);
  }
  wait_prior_grid();
  for (int i = 0; i < STAGES - 1; ++i) {
    if (k_begin + i < k_end) load_acts(k_begin + i, smem + i * L.bytes);
    cp_commit();
  }

  float acc[2][NTILES][4];
#pragma unroll
  for (int m = 0; m < 2; ++m)
#pragma unroll
    for (int j = 0; j < NTILES; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[m][j][e] = 0.0f;

  for (int k = k_begin; k < k_end; ++k) {
    cp_wait<STAGES - 2>();
    __syncthreads();
    {
      const int kn = k + STAGES - 1;
      if (kn < k_end) {
        unsigned char* st = smem + ((kn - k_begin) % STAGES) * L.bytes;
        load_weights(kn, st);
        load_acts(kn, st);
      }
      cp_commit();
    }
    const unsigned char* st = smem + ((k - k_begin) % STAGES) * L.bytes;
    const unsigned char* sw = st + warp * 32 * kWStride;
    const unsigned char* ss = st + L.scales + warp * 32 * L.sbytes;
    const unsigned char* sb = st + L.biases + warp * 32 * L.sbytes;
#pragma unroll 2
    for (int c = half * (kChunks / 2); c < (half + 1) * (kChunks / 2); ++c) {
      const int gl = (c * 32) / a.gs;
      // Code word t of this chunk (columns 8t..8t+7) of rows g and g + 8 of m tile m,
      // with their groups' scales and biases.
      const auto rows_of = [&](int m) {
        const int r_lo = m * 16 + g, r_hi = r_lo + 8;
        return RowPair{*reinterpret_cast<const unsigned*>(sw + r_lo * kWStride + c * 16 + 4 * t),
                       *reinterpret_cast<const unsigned*>(sw + r_hi * kWStride + c * 16 + 4 * t),
                       Elem<S>::load(ss + r_lo * L.sbytes, gl),
                       Elem<S>::load(ss + r_hi * L.sbytes, gl),
                       Elem<S>::load(sb + r_lo * L.sbytes, gl),
                       Elem<S>::load(sb + r_hi * L.sbytes, gl)};
      };
      if constexpr (F16) {
        // B fragments of both k halves (x, y: k 0-15; z, w: k 16-31) of each n tile.
        uint4 bf[NTILES];
#pragma unroll
        for (int j = 0; j < NTILES; ++j)
          bf[j] = *reinterpret_cast<const uint4*>(st + L.digits +
                                                  ((c * NT) + j * 8 + g) * kHalfBytes + 16 * t);
#pragma unroll
        for (int m = 0; m < 2; ++m) {
          const RowPair rp = rows_of(m);
          const unsigned w_lo = rp.w_lo, w_hi = rp.w_hi;
          const __half2 s_lo = __float2half2_rn(rp.s_lo), s_hi = __float2half2_rn(rp.s_hi);
          const __half2 b_lo = __float2half2_rn(rp.b_lo), b_hi = __float2half2_rn(rp.b_hi);
          // k half 0 takes the code pairs (0, 4) and (1, 5) of the word, k half 1 the
          // pairs (2, 6) and (3, 7).
          const unsigned k0[4] = {weights_lo(w_lo, s_lo, b_lo), weights_lo(w_hi, s_hi, b_hi),
                                  weights_hi(w_lo, s_lo, b_lo), weights_hi(w_hi, s_hi, b_hi)};
          const unsigned k1[4] = {
              weights_lo(w_lo >> 8, s_lo, b_lo), weights_lo(w_hi >> 8, s_hi, b_hi),
              weights_hi(w_lo >> 8, s_lo, b_lo), weights_hi(w_hi >> 8, s_hi, b_hi)};
#pragma unroll
          for (int j = 0; j < NTILES; ++j) {
            mma_f16(acc[m][j], k0, bf[j].x, bf[j].y);
            mma_f16(acc[m][j], k1, bf[j].z, bf[j].w);
          }
        }
      } else {
        uint2 bf[kLimbs][NTILES];
#pragma unroll
        for (int l = 0; l < kLimbs; ++l)
#pragma unroll
          for (int j = 0; j < NTILES; ++j)
            bf[l][j] = *reinterpret_cast<const uint2*>(
                st + L.digits + (((c * kLimbs + l) * NT) + j * 8 + g) * 32 + 8 * t);
        // (dx, sum x) of tokens 2t and 2t + 1 of each n tile.
        float4 xq[NTILES];
#pragma unroll
        for (int j = 0; j < NTILES; ++j)
          xq[j] = *reinterpret_cast<const float4*>(st + L.xs + (c * NT + j * 8 + 2 * t) * 8);
#pragma unroll
        for (int m = 0; m < 2; ++m) {
          const RowPair rp = rows_of(m);
          const unsigned a0 = rp.w_lo & 0x0F0F0F0Fu, a2 = (rp.w_lo >> 4) & 0x0F0F0F0Fu;
          const unsigned a1 = rp.w_hi & 0x0F0F0F0Fu, a3 = (rp.w_hi >> 4) & 0x0F0F0F0Fu;
          const float s_lo = rp.s_lo, s_hi = rp.s_hi, b_lo = rp.b_lo, b_hi = rp.b_hi;
#pragma unroll
          for (int j = 0; j < NTILES; ++j) {
            int d0[4], d1[4], d2[4];
            mma_s8(d0, a0, a1, a2, a3, bf[0][j]);
            mma_s8(d1, a0, a1, a2, a3, bf[1][j]);
            mma_s8(d2, a0, a1, a2, a3, bf[2][j]);
#pragma unroll
            for (int e = 0; e < 4; ++e) {
              const int sum = d2[e] * 65536 + d1[e] * 256 + d0[e];
              const float sv = e < 2 ? s_lo : s_hi, bv = e < 2 ? b_lo : b_hi;
              const float dx = (e & 1) ? xq[j].z : xq[j].x, xs = (e & 1) ? xq[j].w : xq[j].y;
              acc[m][j][e] = fmaf(bv, xs, fmaf(sv * dx, static_cast<float>(sum), acc[m][j][e]));
            }
          }
        }
      }
    }
  }
  cp_wait<0>();
  // The second chunk half's sums go through shared memory (the stage buffers are free
  // now) into the first half's, in that order.
  {
    float* red = reinterpret_cast<float*>(smem) + warp * 2 * NTILES * 128 + lane;
    float* flat = &acc[0][0][0];
    __syncthreads();
    if (half == 1) {
#pragma unroll
      for (int i = 0; i < 2 * NTILES * 4; ++i) red[i * 32] = flat[i];
    }
    __syncthreads();
    if (half == 0) {
#pragma unroll
      for (int i = 0; i < 2 * NTILES * 4; ++i) flat[i] += red[i * 32];
    }
  }

  // Each accumulator with its row in the tile and its token slot in the pass.
  const auto for_each_out = [&](auto&& f) {
#pragma unroll
    for (int m = 0; m < 2; ++m)
#pragma unroll
      for (int j = 0; j < NTILES; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          f(warp * 32 + m * 16 + g + (e >= 2 ? 8 : 0), j * 8 + 2 * t + (e & 1), acc[m][j][e]);
  };
  // The f16 form's sums are of x scaled by 1 / dx per row.
  const auto scaled = [&](int slot, float v) {
    return F16 ? v * static_cast<const float*>(a.xscales)[pass * NT + slot] : v;
  };
  if (a.splits == 1) {
    if (half == 1) return;
    for_each_out([&](int r, int slot, float v) {
      const int row = row0 + r, tok = pass * a.per_pass + slot;
      if (row < sg.rows && slot < a.per_pass && tok < a.n) {
        sg.y[static_cast<std::size_t>(tok) * sg.rows + row] = scaled(slot, v);
      }
    });
    return;
  }
  const std::size_t tile_elems = static_cast<std::size_t>(NT) * kTileRows;
  float* part =
      a.partial +
      ((static_cast<std::size_t>(pass) * a.splits + split) * a.row_tiles + tile) * tile_elems;
  if (half == 0) for_each_out([&](int r, int slot, float v) { part[slot * kTileRows + r] = v; });
  // The last split of this row tile to finish adds them all, in split order.
  __shared__ bool last;
  __threadfence();
  __syncthreads();
  unsigned* ticket = a.tickets + static_cast<std::size_t>(pass) * a.row_tiles + tile;
  if (tid == 0) last = atomicAdd(ticket, 1u) == static_cast<unsigned>(a.splits - 1);
  __syncthreads();
  if (!last) return;
  __threadfence();
  const float* base = a.partial +
                      static_cast<std::size_t>(pass) * a.splits * a.row_tiles * tile_elems +
                      static_cast<std::size_t>(tile) * tile_elems;
  const std::size_t stride = static_cast<std::size_t>(a.row_tiles) * tile_elems;
  // Four outputs a thread at a time, every split's value loaded before any is added
  // (at most kMaxSplits): one round trip to L2 per four outputs, not one per split.
  for (int i0 = tid; i0 < static_cast<int>(tile_elems); i0 += 4 * kThreads) {
    float v[4][kMaxSplits];
#pragma unroll
    for (int u = 0; u < 4; ++u)
#pragma unroll
      for (int sp = 0; sp < kMaxSplits; ++sp) {
        const int i = i0 + u * kThreads;
        v[u][sp] = sp < a.splits && i < static_cast<int>(tile_elems)
                       ? __ldcg(base + sp * stride + i)
                       : 0.0f;
      }
#pragma unroll
    for (int u = 0; u < 4; ++u) {
      const int i = i0 + u * kThreads;
      if (i >= static_cast<int>(tile_elems)) break;
      float sum = 0.0f;
#pragma unroll
      for (int sp = 0; sp < kMaxSplits; ++sp) sum += v[u][sp];
      const int slot = i / kTileRows, r = i % kTileRows;
      const int row = row0 + r, tok = pass * a.per_pass + slot;
      if (row < sg.rows && slot < a.per_pass && tok < a.n)
        sg.y[static_cast<std::size_t>(tok) * sg.rows + row] = scaled(slot, sum);
    }
  }
  if (tid == 0) *ticket = 0;
}

// RMLX_CUDA_AFFINE_BATCH=0 keeps 2..64 rows of 4-bit codes on the older kernels (for
// comparisons); RMLX_CUDA_AFFINE_BATCH_STAGES=3 gives the ring a third stage.
bool batch_enabled() {
  static const bool on = env_on("RMLX_CUDA_AFFINE_BATCH");
  return on;
}

// Two stages (a third measured slower at every row count: bench/gpu/NOTES.md, version 8).
int ring_stages() {
  static const int stages = [] {
    const char* v = std::getenv("RMLX_CUDA_AFFINE_BATCH_STAGES");
    return v != nullptr && std::string_view(v) == "3" ? 3 : 2;
  }();
  return stages;
}

int esize_of(WType t) {
  return t == WType::f32 ? 4 : 2;
}

// Launches the kernel for a's shape; with a == nullptr only answers how many of its
// blocks fit on one SM (registers and shared memory).
template <WType S, int NTILES, int STAGES, bool F16>
int launch_main(const MainArgs* a, int gs, const AffineBatchPlan& p, cudaStream_t s) {
  const StageLayout L = stage_layout(NTILES * 8, gs, esize_of(S), F16);
  const int smem = STAGES * L.bytes;
  auto* kernel = affine_batch_kernel<S, NTILES, STAGES, F16>;
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
  if (e != cudaSuccess) {
    throw std::runtime_error(std::string("cuda: affine batch kernel: ") + cudaGetErrorString(e));
  }
  if (a == nullptr) {
    int per_sm = 0;
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, smem);
    return e == cudaSuccess ? std::max(1, per_sm) : 1;
  }
  launch_pdl("affine batch linear", kernel, dim3(p.row_tiles, p.splits, p.passes), dim3(kThreads),
             smem, s, *a);
  return 0;
}

template <WType S, bool F16>
int launch_f(const MainArgs* a, int gs, const AffineBatchPlan& p, cudaStream_t s) {
  const int ntiles = p.tokens / 8;
  const bool two = ring_stages() == 2;
  switch (ntiles) {
    case 1:
      return two ? launch_main<S, 1, 2, F16>(a, gs, p, s) : launch_main<S, 1, 3, F16>(a, gs, p, s);
    case 2:
      return two ? launch_main<S, 2, 2, F16>(a, gs, p, s) : launch_main<S, 2, 3, F16>(a, gs, p, s);
    case 3:
      return two ? launch_main<S, 3, 2, F16>(a, gs, p, s) : launch_main<S, 3, 3, F16>(a, gs, p, s);
    default:
      return two ? launch_main<S, 4, 2, F16>(a, gs, p, s) : launch_main<S, 4, 3, F16>(a, gs, p, s);
  }
}

template <WType S>
int launch_s(const MainArgs* a, int gs, const AffineBatchPlan& p, cudaStream_t s) {
  return p.f16 ? launch_f<S, true>(a, gs, p, s) : launch_f<S, false>(a, gs, p, s);
}

int launch_any(WType t, const MainArgs* a, int gs, const AffineBatchPlan& p, cudaStream_t s) {
  switch (t) {
    case WType::f32:
      return launch_s<WType::f32>(a, gs, p, s);
    case WType::f16:
      return launch_s<WType::f16>(a, gs, p, s);
    default:
      return launch_s<WType::bf16>(a, gs, p, s);
  }
}

}  // namespace

bool affine_batch_applies(const WeightView& w, std::int64_t n) {
  if (!batch_enabled() || n < kAffineBatchMinRows || n > kAffineBatchMaxRows) return false;
  const auto aligned = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; };
  if (!(w.bits == 4 && (w.group_size == 32 || w.group_size == 64 || w.group_size == 128) &&
        w.rows >= 1 && w.cols >= kStageCols && w.cols % kStageCols == 0 && w.cols <= (1 << 20) &&
        aligned(w.data) && aligned(w.scales) && aligned(w.biases))) {
    return false;
  }
  // The ring must fit one block's shared memory on this GPU (Hopper: 227 KiB).
  int passes = 0, per_pass = 0, tokens = 0, dev = 0, most = 0;
  pass_shape(n, passes, per_pass, tokens);
  const StageLayout L = stage_layout(tokens, w.group_size, esize_of(w.type), use_f16(n));
  cudaGetDevice(&dev);
  if (cudaDeviceGetAttribute(&most, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) != cudaSuccess) {
    return false;
  }
  return ring_stages() * L.bytes + 64 <= most;
}

AffineBatchPlan affine_batch_plan(const WeightView* ws, int count, std::int64_t n,
                                  bool allow_splits) {
  AffineBatchPlan p;
  int per_pass = 0;
  pass_shape(n, p.passes, per_pass, p.tokens);
  p.f16 = use_f16(n);
  p.row_tiles = 0;
  for (int i = 0; i < count; ++i)
    p.row_tiles += static_cast<int>(blocks_for(ws[i].rows, kTileRows));
  const WeightView& w = ws[0];
  const int total = static_cast<int>(w.cols / kStageCols);
  const int slots = std::max(1, sm_count() * launch_any(w.type, nullptr, w.group_size, p, nullptr));
  // Blocks run in waves of `slots`: the split count (at most kMaxSplits, ranges of at
  // least two stages) that needs the fewest waves x (stages per block + 1); ties take
  // fewer splits (fewer partial sums). A second, mostly idle wave costs as much as a
  // full one, and a block's fill and drain (first loads, partial sums, the last block's
  // reduction) about one stage more: without that term gate/up at 32 rows took eight
  // splits of two stages in seven waves instead of one wave of whole rows (H100, 8B
  // 4:32: 32 sequences 4,860-5,060 -> 5,630-5,680 tok/s, 8 sequences 1,806 -> 1,956-1,978).
  const int have = p.row_tiles * p.passes;
  const int most = allow_splits ? std::min(kMaxSplits, std::max(1, total / 2)) : 1;
  int splits = 1;
  long long best = -1;
  for (int sp = 1; sp <= most; ++sp) {
    const int per = (total + sp - 1) / sp;
    const long long waves = (static_cast<long long>(have) * sp + slots - 1) / slots;
    const long long cost = waves * (per + 1);
    if (best < 0 || cost < best) {
      best = cost;
      splits = sp;
    }
  }
  const int per_split = (total + splits - 1) / splits;
  splits = (total + per_split - 1) / per_split;
  p.splits = splits;
  p.act_bytes = affine_batch_act_bytes(n, w.cols);
  p.partial_bytes = splits > 1 ? static_cast<std::size_t>(p.passes) * splits * p.row_tiles *
                                     p.tokens * kTileRows * 4
                               : 0;
  p.tickets = splits > 1 ? p.passes * p.row_tiles : 0;
  return p;
}

AffineBatchPlan affine_batch_plan(const WeightView& w, std::int64_t n, bool allow_splits) {
  return affine_batch_plan(&w, 1, n, allow_splits);
}

void affine_batch_run(const WeightView* ws, int count, std::int64_t n, const void* act,
                      float* const* ys, const AffineBatchPlan& plan, float* partial,
                      unsigned* tickets, cudaStream_t s) {
  if (count < 1 || count > 3)
    throw std::invalid_argument("cuda: affine batch linear: 1..3 weights");
  if (plan.splits > 1 && (partial == nullptr || tickets == nullptr)) {
    throw std::invalid_argument("cuda: affine batch linear: split plan without scratch");
  }
  int passes = 0, per_pass = 0, tokens = 0;
  pass_shape(n, passes, per_pass, tokens);
  const int cols = static_cast<int>(ws[0].cols);
  if (plan.f16 != use_f16(n))
    throw std::invalid_argument("cuda: affine batch linear: plan of other rows");
  const ActLayout al = act_layout(passes, tokens, cols, plan.f16);
  const auto* base = static_cast<const unsigned char*>(act);
  const int total = cols / kStageCols;
  MainArgs a{};
  int tiles = 0;
  for (int i = 0; i < count; ++i) {
    if (ws[i].cols != ws[0].cols || ws[i].group_size != ws[0].group_size ||
        ws[i].type != ws[0].type) {
      throw std::invalid_argument(
          "cuda: affine batch linear: weights differ in columns, groups or type");
    }
    a.seg[i] = {static_cast<const unsigned*>(ws[i].data),
                ws[i].scales,
                ws[i].biases,
                ys[i],
                static_cast<int>(ws[i].rows),
                tiles};
    tiles += static_cast<int>(blocks_for(ws[i].rows, kTileRows));
  }
  if (tiles != plan.row_tiles)
    throw std::invalid_argument("cuda: affine batch linear: plan of other weights");
  a.count = count;
  a.acts = base + al.digits;
  a.xscales = base + al.scales;
  a.partial = partial;
  a.tickets = tickets;
  a.cols = cols;
  a.gs = ws[0].group_size;
  a.n = static_cast<int>(n);
  a.per_pass = per_pass;
  a.splits = plan.splits;
  a.stages_per_split = (total + plan.splits - 1) / plan.splits;
  a.row_tiles = plan.row_tiles;
  launch_any(ws[0].type, &a, a.gs, plan, s);
  check_launch("affine batch linear");
}

void affine_batch_run(const WeightView& w, std::int64_t n, const void* act, float* y,
                      const AffineBatchPlan& plan, float* partial, unsigned* tickets,
                      cudaStream_t s) {
  affine_batch_run(&w, 1, n, act, &y, plan, partial, tickets, s);
}

void affine_batch_linear(const WeightView& w, const float* x, std::int64_t n, float* y,
                         const AffineBatchPlan& plan, void* act, float* partial, unsigned* tickets,
                         cudaStream_t s) {
  affine_batch_prep(x, n, w.cols, act, s);
  affine_batch_run(w, n, act, y, plan, partial, tickets, s);
}

}  // namespace rmlx::kernels_cuda
