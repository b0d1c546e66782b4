// Flash-attention prefill: a block takes 64 query rows of one sequence and one
// head; each warp owns 16 rows. Key/value tiles of 64 tokens are gathered from
// the paged cache with cp.async into padded shared rows (conflict-free
// ldmatrix), S = Q K^T and O += P V run on mma.sync, and the softmax is online
// in registers (base-2 exponent, scale folded into the f16 queries).
#include <cuda_fp16.h>

#include <cmath>
#include <stdexcept>

#include "common.cuh"
#include "rmlx/kernels_cuda/flash_prefill.h"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kWarps = kFlashRows / 16;
constexpr int kThreads = kWarps * 32;
constexpr int kKeys = 64;  // keys per tile
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void ldsm_x4(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

__device__ __forceinline__ void ldsm_x4_trans(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

// c += a (16x16, row) * b (16x8, col), f16 inputs, f32 accumulators.
__device__ __forceinline__ void mma16816(float (&c)[4], const unsigned (&a)[4], unsigned b0,
                                         unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// 16 bytes global -> shared; bytes == 0 writes zeros without reading.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ unsigned pack_half2(float lo, float hi) {
  const __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const unsigned*>(&h);
}

// QS: the queries stay in shared memory (reloaded per tile) instead of registers;
// MINB: blocks per SM the register budget is cut for.
template <int D, bool QS, int MINB>
__global__ void __launch_bounds__(kThreads, MINB) flash_prefill_kernel(AttnArgs a) {
  constexpr int SD = D + 8;  // padded row: 8 consecutive rows hit distinct banks
  constexpr int KSTEPS = D / 16;
  constexpr int DTILES = D / 8;
  constexpr int CHUNKS = D / 8;  // 16-byte chunks per cached row
  extern __shared__ __align__(16) unsigned char smem_raw[];
  __half* sk = reinterpret_cast<__half*>(smem_raw);
  __half* sv = sk + kKeys * SD;
  __half* sq_s = QS ? sv + kKeys * SD : sk;

  // Heaviest tiles (late rows attend to most keys) first.
  int tile = static_cast<int>(gridDim.x - 1 - blockIdx.x);
  int si = -1;
  for (int i = 0; i < a.n_seqs; ++i) {
    const int t = (a.seqs[i].n_rows + kFlashRows - 1) / kFlashRows;
    if (tile < t) {
      si = i;
      break;
    }
    tile -= t;
  }
  if (si < 0) return;
  const AttnSeq sq = a.seqs[si];
  const int h = blockIdx.y;
  const int kvh = h / (a.n_heads / a.n_kv_heads);
  const int row0 = tile * kFlashRows;
  const int nq = min(kFlashRows, sq.n_rows - row0);
  const int p_first = sq.start_pos + row0, p_last = p_first + nq - 1;
  const int k_lo = a.sliding_window > 0 ? max(0, p_first - a.sliding_window + 1) : 0;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

  // Queries (scaled, f16) into shared memory (through the key buffer when they
  // live in registers).
  for (int i = threadIdx.x; i < kFlashRows * D / 4; i += kThreads) {
    const int r = i / (D / 4), d = (i % (D / 4)) * 4;
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    if (r < nq) {
      const std::size_t g = static_cast<std::size_t>(sq.first_row + row0 + r);
      v = *reinterpret_cast<const float4*>(a.q + (g * a.n_heads + h) * D + d);
    }
    unsigned* dst = reinterpret_cast<unsigned*>(sq_s + r * SD + d);
    dst[0] = pack_half2(v.x * a.scale, v.y * a.scale);
    dst[1] = pack_half2(v.z * a.scale, v.w * a.scale);
  }
  __syncthreads();
  unsigned qf[QS ? 1 : KSTEPS][4];
  if constexpr (!QS) {
    const int mi = lane >> 3, r = lane & 7;
#pragma unroll
    for (int kk = 0; kk < KSTEPS; ++kk) {
      ldsm_x4(qf[kk], sq_s + (warp * 16 + (mi & 1) * 8 + r) * SD + kk * 16 + (mi >> 1) * 8);
    }
    __syncthreads();
  }

  // This thread's two rows (c0/c1 and c2/c3 of every accumulator).
  const int ra = warp * 16 + (lane >> 2), rb = ra + 8;
  const int pa = p_first + min(ra, nq - 1), pb = p_first + min(rb, nq - 1);
  const int loa = a.sliding_window > 0 ? pa - a.sliding_window + 1 : 0;
  const int lob = a.sliding_window > 0 ? pb - a.sliding_window + 1 : 0;

  float o[DTILES][4];
#pragma unroll
  for (int j = 0; j < DTILES; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.0f;
  float ma = -INFINITY, mb = -INFINITY, la = 0.0f, lb = 0.0f;

  const auto* kc = static_cast<const __half*>(a.k_cache);
  const auto* vc = static_cast<const __half*>(a.v_cache);
  const int* table = a.tables + sq.table_offset;

  // One tile of keys or values (token kt on) into shared memory, as one cp.async
  // group; rows past the last key are zero-filled.
  const auto load_tile = [&](const __half* cache, __half* dst, int kt) {
    if (kt <= p_last) {
      for (int i = threadIdx.x; i < kKeys * CHUNKS; i += kThreads) {
        const int r = i / CHUNKS, c = i % CHUNKS;
        const int t = kt + r;
        const __half* src = cache;
        int bytes = 0;
        if (t <= p_last) {
          const int block = table[t / a.block_size];
          src = cache +
                ((static_cast<std::size_t>(block) * a.n_kv_heads + kvh) * a.block_size +
                 t % a.block_size) *
                    D +
                c * 8;
          bytes = 16;
        }
        cp_async16(dst + r * SD + c * 8, src, bytes);
      }
    }
    cp_async_commit();
  };

  // Staggered pipeline: the next keys load while P.V runs, the next values while
  // the next Q.K^T runs (one buffer each).
  load_tile(kc, sk, k_lo);
  load_tile(vc, sv, k_lo);
  for (int kt = k_lo; kt <= p_last; kt += kKeys) {
    cp_async_wait<1>();
    __syncthreads();

    float s[kKeys / 8][4];
#pragma unroll
    for (int j = 0; j < kKeys / 8; ++j) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.0f;
    {
      const int mi = lane >> 3, r = lane & 7;
#pragma unroll
      for (int kk = 0; kk < KSTEPS; ++kk) {
        unsigned qa[4];
        if constexpr (QS) {
          ldsm_x4(qa, sq_s + (warp * 16 + (mi & 1) * 8 + r) * SD + kk * 16 + (mi >> 1) * 8);
        } else {
#pragma unroll
          for (int e = 0; e < 4; ++e) qa[e] = qf[QS ? 0 : kk][e];
        }
#pragma unroll
        for (int jp = 0; jp < kKeys / 16; ++jp) {
          unsigned b[4];
          ldsm_x4(b, sk + (16 * jp + (mi >> 1) * 8 + r) * SD + kk * 16 + (mi & 1) * 8);
          mma16816(s[2 * jp], qa, b[0], b[1]);
          mma16816(s[2 * jp + 1], qa, b[2], b[3]);
        }
      }
    }

    __syncthreads();
    load_tile(kc, sk, kt + kKeys);

    // Mask, soft-cap, online softmax.
    float tmax_a = -INFINITY, tmax_b = -INFINITY;
#pragma unroll
    for (int j = 0; j < kKeys / 8; ++j) {
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        const int t = kt + 8 * j + 2 * (lane & 3) + (c & 1);
        const bool top = c < 2;
        const int p = top ? pa : pb, lo = top ? loa : lob;
        float v = s[j][c];
        if (a.softcap > 0.0f) v = a.softcap * tanhf(v / a.softcap);
        v = (t <= p && t >= lo) ? v * kLog2e : -INFINITY;
        s[j][c] = v;
        if (top) {
          tmax_a = fmaxf(tmax_a, v);
        } else {
          tmax_b = fmaxf(tmax_b, v);
        }
      }
    }
#pragma unroll
    for (int off = 1; off <= 2; off <<= 1) {
      tmax_a = fmaxf(tmax_a, __shfl_xor_sync(0xffffffffu, tmax_a, off));
      tmax_b = fmaxf(tmax_b, __shfl_xor_sync(0xffffffffu, tmax_b, off));
    }
    const float na = fmaxf(ma, tmax_a), nb = fmaxf(mb, tmax_b);
    // A row with no visible key yet keeps zero weight (no inf - inf).
    const float ua = na == -INFINITY ? 0.0f : na, ub = nb == -INFINITY ? 0.0f : nb;
    const float ca = exp2f(ma - ua), cb = exp2f(mb - ub);
    ma = na;
    mb = nb;
    float sa = 0.0f, sb = 0.0f;
#pragma unroll
    for (int j = 0; j < kKeys / 8; ++j) {
      s[j][0] = exp2f(s[j][0] - ua);
      s[j][1] = exp2f(s[j][1] - ua);
      s[j][2] = exp2f(s[j][2] - ub);
      s[j][3] = exp2f(s[j][3] - ub);
      sa += s[j][0] + s[j][1];
      sb += s[j][2] + s[j][3];
    }
    la = la * ca + sa;
    lb = lb * cb + sb;
#pragma unroll
    for (int j = 0; j < DTILES; ++j) {
      o[j][0] *= ca;
      o[j][1] *= ca;
      o[j][2] *= cb;
      o[j][3] *= cb;
    }

    cp_async_wait<1>();
    __syncthreads();
    {
      const int mi = lane >> 3, r = lane & 7;
#pragma unroll
      for (int kk = 0; kk < kKeys / 16; ++kk) {
        const unsigned pf[4] = {pack_half2(s[2 * kk][0], s[2 * kk][1]),
                                pack_half2(s[2 * kk][2], s[2 * kk][3]),
                                pack_half2(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                pack_half2(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
        for (int jp = 0; jp < DTILES / 2; ++jp) {
          unsigned b[4];
          ldsm_x4_trans(b, sv + (16 * kk + (mi & 1) * 8 + r) * SD + (2 * jp + (mi >> 1)) * 8);
          mma16816(o[2 * jp], pf, b[0], b[1]);
          mma16816(o[2 * jp + 1], pf, b[2], b[3]);
        }
      }
    }
    __syncthreads();
    load_tile(vc, sv, kt + kKeys);
  }
  cp_async_wait<0>();

#pragma unroll
  for (int off = 1; off <= 2; off <<= 1) {
    la += __shfl_xor_sync(0xffffffffu, la, off);
    lb += __shfl_xor_sync(0xffffffffu, lb, off);
  }
  const float ia = 1.0f / la, ib = 1.0f / lb;
  const int col = 2 * (lane & 3);
  if (ra < nq) {
    float* dst =
        a.out + (static_cast<std::size_t>(sq.first_row + row0 + ra) * a.n_heads + h) * D + col;
#pragma unroll
    for (int j = 0; j < DTILES; ++j) {
      *reinterpret_cast<float2*>(dst + 8 * j) = make_float2(o[j][0] * ia, o[j][1] * ia);
    }
  }
  if (rb < nq) {
    float* dst =
        a.out + (static_cast<std::size_t>(sq.first_row + row0 + rb) * a.n_heads + h) * D + col;
#pragma unroll
    for (int j = 0; j < DTILES; ++j) {
      *reinterpret_cast<float2*>(dst + 8 * j) = make_float2(o[j][2] * ib, o[j][3] * ib);
    }
  }
}

}  // namespace

bool flash_prefill_takes(const AttnArgs& a) {
  return (a.head_dim == 64 || a.head_dim == 128) && a.n_kv_heads > 0 &&
         a.n_heads % a.n_kv_heads == 0 && a.n_seqs > 0 &&
         a.n_rows >= kFlashRows * static_cast<std::int64_t>(a.n_seqs);
}

template <int D, bool QS, int MINB>
void launch_flash(const AttnArgs& a, dim3 grid, cudaStream_t s) {
  constexpr int SD = D + 8;
  const std::size_t bytes = static_cast<std::size_t>(QS ? 3 : 2) * kKeys * SD * sizeof(__half);
  if (bytes > 48 * 1024) {
    const cudaError_t e =
        cudaFuncSetAttribute(flash_prefill_kernel<D, QS, MINB>,
                             cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
    if (e != cudaSuccess) {
      throw std::runtime_error(std::string("cuda: flash_prefill shared memory: ") +
                               cudaGetErrorString(e));
    }
  }
  flash_prefill_kernel<D, QS, MINB><<<grid, kThreads, bytes, s>>>(a);
}

template <int D>
void launch_variant(const AttnArgs& a, dim3 grid, cudaStream_t s, FlashVariant v) {
  switch (v) {
    case FlashVariant::q_in_registers:
      launch_flash<D, false, 1>(a, grid, s);
      break;
    case FlashVariant::q_in_registers_3_blocks:
      launch_flash<D, false, 3>(a, grid, s);
      break;
    default:
      launch_flash<D, true, 3>(a, grid, s);
  }
}

void flash_prefill(const AttnArgs& a, cudaStream_t s, FlashVariant v) {
  if (a.n_rows == 0) return;
  if (!flash_prefill_takes(a)) {
    throw std::invalid_argument(
        "cuda: flash_prefill needs head_dim 64 or 128 and whole GQA groups");
  }
  // An upper bound on the tiles: each sequence wastes at most one partial tile.
  const unsigned tiles = static_cast<unsigned>((a.n_rows + kFlashRows - 1) / kFlashRows + a.n_seqs);
  const dim3 grid(tiles, static_cast<unsigned>(a.n_heads));
  if (v == FlashVariant::best) v = FlashVariant::q_in_shared;
  if (a.head_dim == 64) {
    launch_variant<64>(a, grid, s, v);
  } else {
    launch_variant<128>(a, grid, s, v);
  }
  check_launch("flash_prefill");
}

}  // namespace rmlx::kernels_cuda
