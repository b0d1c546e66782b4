// Affine-quantized linear on tensor cores, exact enough to stand in for the f32
// GEMV: 2-, 4- and 8-bit codes, groups of 32/64/128, 1-128 activation rows.
//
// mma.sync m16n8k16 bf16 x bf16 -> f32. A = 16 weight rows x 16 k, B = 16 k x 8
// columns. Codes become exact bf16 integers (the code in the mantissa of 128.0,
// minus 128.0); each f32 activation becomes two or three bf16 parts (hi, mid, lo
// of its 24-bit significand: three parts are exact) in separate B columns, so
// every product is exact in f32 and the parts are summed at the end. The sum of
// each group is folded with its scale and bias in f32 (y += s * sum q x + b * sum
// x), the sum of x coming from one more mma with an all-ones A.
//
// The k order inside a group is free as long as A and B agree and a k16 tile
// stays in one group: lane t of a quad takes words t*WPL .. t*WPL+WPL-1 of the
// group (contiguous loads, MLX's layout unchanged) and pairs code s with code
// s + NC/2 of a word (one shift and one logic op make a bf16x2 of them); its
// activation reads are the word's contiguous float4s.
//
// A block owns 32 weight rows (two m16 tiles sharing each B fragment) and 8-32
// columns; its eight warps split the groups into contiguous ranges (split-K) and
// reduce through shared memory. Each warp streams its codes and scales with
// cp.async through its own ring of shared-memory stages (64-128 contiguous bytes
// per row per stage), so the loads in flight do not hold registers. Activations of
// one or two rows are split once per block into shared memory; larger batches split
// them per lane. Measurements: bench/gpu/NOTES.md, version 5.
#include <cuda_bf16.h>

#include "common.cuh"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kWarps = 8;
constexpr int kMT = 2;  // m16 tiles per warp
constexpr int kRowsPerBlock = 16 * kMT;

__device__ __forceinline__ void mma_bf16(float* d, unsigned a0, unsigned a1, unsigned a2,
                                         unsigned a3, unsigned b0, unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

__device__ __forceinline__ unsigned bf16x2_sub(unsigned a, unsigned b) {
  __nv_bfloat162 x = *reinterpret_cast<__nv_bfloat162*>(&a);
  __nv_bfloat162 y = *reinterpret_cast<__nv_bfloat162*>(&b);
  __nv_bfloat162 r = __hsub2(x, y);
  return *reinterpret_cast<unsigned*>(&r);
}

// Pair s of a word as bf16x2: code s (low half) and code s + NC/2 (high half).
template <int BITS>
__device__ __forceinline__ unsigned code_pair(unsigned w, int s) {
  if constexpr (BITS == 8) {
    // 128 + low 7 bits, minus 128 unless bit 7 is set: exact 0..255.
    const unsigned v = w >> (8 * s);
    const unsigned x = (v & 0x007f007fu) | 0x43004300u;
    const unsigned z = ((~v >> 7) & 0x00010001u) * 0x4300u;
    return bf16x2_sub(x, z);
  } else {
    constexpr unsigned mask = ((1u << BITS) - 1u) * 0x00010001u;
    return bf16x2_sub(((w >> (BITS * s)) & mask) | 0x43004300u, 0x43004300u);
  }
}

__device__ __forceinline__ unsigned pack_bf16(float lo, float hi) {
  const __nv_bfloat162 p = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const unsigned*>(&p);
}
__device__ __forceinline__ float low_f(unsigned p) {
  return __uint_as_float(p << 16);
}
__device__ __forceinline__ float high_f(unsigned p) {
  return __uint_as_float(p & 0xffff0000u);
}

template <int WPL>
__device__ __forceinline__ void load_words(const unsigned* p, unsigned* w) {
  if constexpr (WPL == 1) {
    w[0] = __ldcs(p);
  } else if constexpr (WPL == 2) {
    const uint2 a = __ldcs(reinterpret_cast<const uint2*>(p));
    w[0] = a.x, w[1] = a.y;
  } else {
#pragma unroll
    for (int i = 0; i < WPL / 4; ++i) {
      const uint4 a = __ldcs(reinterpret_cast<const uint4*>(p) + i);
      w[4 * i] = a.x, w[4 * i + 1] = a.y, w[4 * i + 2] = a.z, w[4 * i + 3] = a.w;
    }
  }
}

struct MmaArgs {
  const unsigned* packed;
  const void* scales;
  const void* biases;
  WType stype;
  const float* x;
  float* y;
  int rows, cols, group_size, n, parts;
  int staged;  // activations split once per block into shared memory (columns staged)
};

// A scale or bias from the 32-bit word cp.async brought in: the f32 itself, or the
// 16-bit value in the half `odd` names (the word is the aligned pair holding it).
template <bool S32>
__device__ __forceinline__ float sb_value(unsigned raw, bool odd, WType t) {
  if constexpr (S32) {
    return __uint_as_float(raw);
  } else {
    const unsigned v = odd ? raw >> 16 : raw & 0xffffu;
    return t == WType::bf16 ? __uint_as_float(v << 16)
                            : __half2float(__ushort_as_half(static_cast<unsigned short>(v)));
  }
}

template <int B>
__device__ __forceinline__ void cp_async(unsigned smem, const void* g) {
  if constexpr (B == 16) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem), "l"(g) : "memory");
  } else {
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2;\n" ::"r"(smem), "l"(g), "n"(B)
                 : "memory");
  }
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// Part `part` (0 hi, 1 mid, 2 lo, else zero) of two activations as bf16x2.
__device__ __forceinline__ unsigned act_part(float a, float b, int part) {
  const unsigned h = pack_bf16(a, b);
  if (part == 0) return h;
  const float ra = a - low_f(h), rb = b - high_f(h);
  const unsigned m = pack_bf16(ra, rb);
  if (part == 1) return m;
  return part == 2 ? pack_bf16(ra - low_f(m), rb - high_f(m)) : 0u;
}

constexpr int kStages = 3;  // cp.async pipeline depth per warp

template <int BITS, int GS, bool S32>
struct Cfg {
  static constexpr int NC = 32 / BITS;              // codes per word
  static constexpr int NP = NC / 2;                 // bf16x2 pairs per word
  static constexpr int WPL = GS * BITS / 128;       // words per lane per group and row
  static constexpr int U = WPL >= 4 ? 1 : 4 / WPL;  // groups per pipeline stage
  // Per warp and stage: the 32 rows' words of U consecutive groups (RW words, 64 or
  // 128 contiguous bytes per row, copied 16 bytes per lane), rows R words apart so a
  // quad's reads of eight rows fall in different banks; then the scale words
  // [U * kMT][32 lanes].
  static constexpr int RW = U * 4 * WPL;
  static constexpr int R = RW + (WPL <= 2 ? 4 * WPL : 0);
  static constexpr int CPR = RW / 4;  // 16-byte chunks per row
  static constexpr int kCodeBytes = kRowsPerBlock * R * 4;
  static constexpr int kStageBytes = kCodeBytes + U * kMT * 32 * 4;
  static constexpr int kRingBytes = kWarps * kStages * kStageBytes;
};

// NT n8 tiles of columns per block: tokens_per_block = NT*8 / parts.
// XS: activations staged (split) in shared memory, else read and split per lane.
template <int BITS, int GS, int NT, bool S32, bool XS>
__global__ void __launch_bounds__(kWarps * 32, NT == 1 ? 2 : 1) affine_mma_kernel(MmaArgs a) {
  using C = Cfg<BITS, GS, S32>;
  constexpr int NC = C::NC, NP = C::NP, WPL = C::WPL, U = C::U;
  extern __shared__ uint4 smem_raw[];

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int row0 = blockIdx.y * kRowsPerBlock;
  const int P = a.parts;
  const int tpb = NT * 8 / P;  // tokens per block
  const int tok0 = blockIdx.x * tpb;
  const int groups = a.cols / GS;
  const int words_row = a.cols / NC;

  // This lane's B columns: token and part, or part 3 (a zero column).
  const float* xrow[NT];
  int part[NT];
#pragma unroll
  for (int j = 0; j < NT; ++j) {
    const int c = j * 8 + g;
    const int tok = tok0 + c / P;
    const bool ok = c < tpb * P && tok < a.n;
    part[j] = ok ? c % P : 3;
    xrow[j] = a.x + static_cast<std::size_t>(ok ? tok : 0) * a.cols;
  }
  // Scale rows of this lane: tile mt, half h (row g or g + 8).
  std::int64_t srow[kMT][2];
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int r = min(row0 + mt * 16 + h * 8 + g, a.rows - 1);
      srow[mt][h] = static_cast<std::int64_t>(r) * groups;
    }
  // The scale word this lane brings in for tile mt: lane t of the quad takes row
  // half t / 2, the scale (t even) or the bias (t odd).
  const char* sb_base = static_cast<const char*>((t & 1) ? a.biases : a.scales);

  // This warp's groups: one contiguous range (whole stages), so each row's codes
  // come in as 64-128 contiguous bytes.
  const int per_warp = (groups + kWarps * U - 1) / (kWarps * U) * U;
  const int g_begin = warp * per_warp;
  const int g_end = min(groups, g_begin + per_warp);
  const int nst = g_begin < g_end ? (g_end - g_begin + U - 1) / U : 0;

  // Per-warp ring of kStages stages in shared memory, filled by cp.async.
  char* ring = reinterpret_cast<char*>(smem_raw) + warp * kStages * C::kStageBytes;
  const unsigned ring_s = static_cast<unsigned>(__cvta_generic_to_shared(ring));
  const auto issue = [&](int i) {
    if (i < nst) {
      const unsigned st = ring_s + (i % kStages) * C::kStageBytes;
      const int grp0 = g_begin + i * U;
#pragma unroll
      for (int k = 0; k < C::CPR; ++k) {
        const int id = k * 32 + lane, r = id / C::CPR, c = id % C::CPR;
        if (grp0 + c / WPL < g_end) {
          const int rg = min(row0 + r, a.rows - 1);
          cp_async<16>(
              st + (r * C::R + c * 4) * 4,
              a.packed + static_cast<std::size_t>(rg) * words_row + grp0 * 4 * WPL + c * 4);
        }
      }
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int grp = grp0 + u;
        if (grp < g_end) {
#pragma unroll
          for (int mt = 0; mt < kMT; ++mt) {
            const std::int64_t idx = srow[mt][t >> 1] + grp;
            const std::int64_t off = S32 ? idx * 4 : (idx & ~std::int64_t{1}) * 2;
            cp_async<4>(st + C::kCodeBytes + ((u * kMT + mt) * 32 + lane) * 4, sb_base + off);
          }
        }
      }
    }
    cp_async_commit();
  };
#pragma unroll
  for (int i = 0; i < kStages - 1; ++i) issue(i);

  // Staged activations: column c (token c / P, part c % P) of this block, word wd,
  // pair s at xs[c * xstride + wd * NP + s] (bf16x2), split once for all warps.
  unsigned* xw = reinterpret_cast<unsigned*>(reinterpret_cast<char*>(smem_raw) + C::kRingBytes);
  const int xstride = a.cols / 2 + 4;  // pad: parts of one word in other banks
  const int staged = a.staged;
  if constexpr (XS) {
    const int ntok = staged / P;
    for (int i = threadIdx.x; i < ntok * words_row; i += kWarps * 32) {
      const int tl = i / words_row, wd = i % words_row;
      const float4* xp = reinterpret_cast<const float4*>(
          a.x + static_cast<std::size_t>(tok0 + tl) * a.cols + wd * NC);
      float xv[NC];
#pragma unroll
      for (int q = 0; q < NC / 4; ++q) {
        const float4 v = __ldg(xp + q);
        xv[4 * q] = v.x, xv[4 * q + 1] = v.y, xv[4 * q + 2] = v.z, xv[4 * q + 3] = v.w;
      }
      for (int p = 0; p < P; ++p) {
        unsigned pr[NP];
#pragma unroll
        for (int s2 = 0; s2 < NP; ++s2) pr[s2] = act_part(xv[s2], xv[s2 + NP], p);
        unsigned* dst = xw + (tl * P + p) * xstride + wd * NP;
#pragma unroll
        for (int s2 = 0; s2 < NP; s2 += 2) {
          *reinterpret_cast<uint2*>(dst + s2) = make_uint2(pr[s2], pr[s2 + 1]);
        }
      }
    }
    __syncthreads();
  }

  float tot[kMT][NT][4];
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
      for (int i = 0; i < 4; ++i) tot[mt][j][i] = 0.0f;

  constexpr unsigned kOnes = 0x3f803f80u;  // bf16x2 (1, 1)
  for (int i = 0; i < nst; ++i) {
    issue(i + kStages - 1);
    cp_async_wait<kStages - 1>();
    __syncwarp();  // the scale words came in through the other lanes of the quad
    const char* st = ring + (i % kStages) * C::kStageBytes;
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int grp = g_begin + i * U + u;
      if (grp >= g_end) break;
      unsigned w[kMT][2][WPL];
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const unsigned* src = reinterpret_cast<const unsigned*>(st) +
                                (mt * 16 + h * 8 + g) * C::R + u * 4 * WPL + t * WPL;
          if constexpr (WPL == 1) {
            w[mt][h][0] = src[0];
          } else if constexpr (WPL == 2) {
            const uint2 v = *reinterpret_cast<const uint2*>(src);
            w[mt][h][0] = v.x, w[mt][h][1] = v.y;
          } else {
#pragma unroll
            for (int c = 0; c < WPL / 4; ++c) {
              const uint4 v = *reinterpret_cast<const uint4*>(src + 4 * c);
              w[mt][h][4 * c] = v.x, w[mt][h][4 * c + 1] = v.y;
              w[mt][h][4 * c + 2] = v.z, w[mt][h][4 * c + 3] = v.w;
            }
          }
        }
      float acc[kMT][NT][4], sx[NT][4];
#pragma unroll
      for (int j = 0; j < NT; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          sx[j][e] = 0.0f;
#pragma unroll
          for (int mt = 0; mt < kMT; ++mt) acc[mt][j][e] = 0.0f;
        }
#pragma unroll
      for (int wi = 0; wi < WPL; ++wi) {
        const int wd = grp * 4 * WPL + t * WPL + wi;  // word column of the row
        unsigned b[NT][NP];
#pragma unroll
        for (int j = 0; j < NT; ++j) {
          if constexpr (XS) {
            const int c = j * 8 + g;
            if (c < staged) {
              const unsigned* src = xw + c * xstride + wd * NP;
#pragma unroll
              for (int s2 = 0; s2 < NP; s2 += 2) {
                const uint2 v = *reinterpret_cast<const uint2*>(src + s2);
                b[j][s2] = v.x, b[j][s2 + 1] = v.y;
              }
            } else {
#pragma unroll
              for (int s2 = 0; s2 < NP; ++s2) b[j][s2] = 0u;
            }
          } else {
            float xv[NC];
            const float4* xp = reinterpret_cast<const float4*>(xrow[j] + wd * NC);
#pragma unroll
            for (int q = 0; q < NC / 4; ++q) {
              const float4 v = part[j] < 3 ? __ldg(xp + q) : make_float4(0.f, 0.f, 0.f, 0.f);
              xv[4 * q] = v.x, xv[4 * q + 1] = v.y, xv[4 * q + 2] = v.z, xv[4 * q + 3] = v.w;
            }
#pragma unroll
            for (int s2 = 0; s2 < NP; ++s2) b[j][s2] = act_part(xv[s2], xv[s2 + NP], part[j]);
          }
        }
#pragma unroll
        for (int tau = 0; tau < NP / 2; ++tau) {
#pragma unroll
          for (int j = 0; j < NT; ++j) {
            mma_bf16(sx[j], kOnes, kOnes, kOnes, kOnes, b[j][2 * tau], b[j][2 * tau + 1]);
          }
#pragma unroll
          for (int mt = 0; mt < kMT; ++mt) {
            const unsigned a0 = code_pair<BITS>(w[mt][0][wi], 2 * tau);
            const unsigned a1 = code_pair<BITS>(w[mt][1][wi], 2 * tau);
            const unsigned a2 = code_pair<BITS>(w[mt][0][wi], 2 * tau + 1);
            const unsigned a3 = code_pair<BITS>(w[mt][1][wi], 2 * tau + 1);
#pragma unroll
            for (int j = 0; j < NT; ++j) {
              mma_bf16(acc[mt][j], a0, a1, a2, a3, b[j][2 * tau], b[j][2 * tau + 1]);
            }
          }
        }
      }
      // y += s * sum q x + b * sum x, per row of the C fragment (g, g + 8).
      const unsigned* sbw = reinterpret_cast<const unsigned*>(st + C::kCodeBytes);
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const bool odd = ((srow[mt][h] + grp) & 1) != 0;
          const unsigned* q = sbw + (u * kMT + mt) * 32 + g * 4 + 2 * h;
          const float sc = sb_value<S32>(q[0], odd, a.stype);
          const float bi = sb_value<S32>(q[1], odd, a.stype);
#pragma unroll
          for (int j = 0; j < NT; ++j)
#pragma unroll
            for (int e = 0; e < 2; ++e) {
              tot[mt][j][2 * h + e] =
                  fmaf(sc, acc[mt][j][2 * h + e], fmaf(bi, sx[j][e], tot[mt][j][2 * h + e]));
            }
        }
    }
    __syncwarp();  // every lane is done with this slot before it is refilled
  }
  cp_async_wait<0>();
  __syncthreads();  // the ring's space becomes `red`

  auto* red = reinterpret_cast<float(*)[kRowsPerBlock][NT * 8 + 1]>(smem_raw);
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt)
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        red[warp][mt * 16 + (i >> 1) * 8 + g][j * 8 + 2 * t + (i & 1)] = tot[mt][j][i];
      }
  __syncthreads();
  for (int o = threadIdx.x; o < kRowsPerBlock * tpb; o += kWarps * 32) {
    const int r = o % kRowsPerBlock, tb = o / kRowsPerBlock;
    const int row = row0 + r, tok = tok0 + tb;
    if (row >= a.rows || tok >= a.n) continue;
    float v = 0.0f;
#pragma unroll
    for (int wp = 0; wp < kWarps; ++wp)
      for (int p = P - 1; p >= 0; --p) v += red[wp][r][tb * P + p];
    a.y[static_cast<std::size_t>(tok) * a.rows + row] = v;
  }
}

// Shared memory a block may take for the staged activations (on top of the ring).
constexpr std::size_t kStageBytes = 96u << 10;
constexpr std::size_t kMaxSmemBytes = 227u << 10;  // per block on sm_90

template <int BITS, int GS, bool S32>
void launch_nt(MmaArgs a, cudaStream_t s) {
  using C = Cfg<BITS, GS, S32>;
  // Columns per block: enough n8 tiles for the batch, at most four (registers).
  const int cols = a.n * a.parts;
  const auto go = [&]<int NT>() {
    static_assert(sizeof(float) * kWarps * kRowsPerBlock * (NT * 8 + 1) <= C::kRingBytes,
                  "the reduction reuses the ring");
    const int tpb = NT * 8 / a.parts;
    // Stage when every block's activation columns fit: each x element is then split
    // once per block instead of once per lane column.
    const int ntok = a.n < tpb ? a.n : tpb;
    const std::size_t xbytes =
        static_cast<std::size_t>(ntok * a.parts) * (static_cast<std::size_t>(a.cols) / 2 + 4) * 4;
    const bool stage = NT == 1 && a.n <= tpb && xbytes <= kStageBytes &&
                       C::kRingBytes + xbytes <= kMaxSmemBytes && a.staged >= 0;
    a.staged = stage ? ntok * a.parts : 0;
    const std::size_t bytes = C::kRingBytes + (stage ? xbytes : 0);
    auto* k = stage ? &affine_mma_kernel<BITS, GS, NT, S32, NT == 1>
                    : &affine_mma_kernel<BITS, GS, NT, S32, false>;
    if (bytes > (48u << 10)) {
      cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
    }
    // Column blocks of one row block are neighbours in launch order: the second
    // reads the weights from L2.
    const dim3 grid(blocks_for(a.n, tpb), blocks_for(a.rows, kRowsPerBlock));
    k<<<grid, kWarps * 32, bytes, s>>>(a);
  };
  if (cols <= 8) {
    go.template operator()<1>();
  } else if (cols <= 16) {
    go.template operator()<2>();
  } else {
    go.template operator()<4>();
  }
}

template <int BITS, int GS>
void launch_s(const MmaArgs& a, cudaStream_t s) {
  if (a.stype == WType::f32) {
    launch_nt<BITS, GS, true>(a, s);
  } else {
    launch_nt<BITS, GS, false>(a, s);
  }
}

template <int BITS>
void launch_gs(const MmaArgs& a, cudaStream_t s) {
  switch (a.group_size) {
    case 32:
      if constexpr (BITS != 2) launch_s<BITS, 32>(a, s);
      break;
    case 64:
      launch_s<BITS, 64>(a, s);
      break;
    default:
      launch_s<BITS, 128>(a, s);
  }
}

}  // namespace

bool affine_mma_applies(const WeightView& w, std::int64_t n) {
  if (n < 1 || n > kAffineMmaMaxRows || w.rows < 1 || w.cols < 1) return false;
  if (w.bits != 2 && w.bits != 4 && w.bits != 8) return false;
  if (w.group_size != 32 && w.group_size != 64 && w.group_size != 128) return false;
  if (w.bits == 2 && w.group_size == 32) return false;  // 16 bits per lane: not a word
  // cp.async moves 4-16 bytes: codes 16-byte aligned, scales and biases 4-byte aligned.
  const auto aligned = [](const void* p, unsigned a) {
    return reinterpret_cast<std::uintptr_t>(p) % a == 0;
  };
  return w.cols % w.group_size == 0 && aligned(w.data, 16) && aligned(w.scales, 4) &&
         aligned(w.biases, 4);
}

bool affine_mma_linear(const WeightView& w, const float* x, std::int64_t n, float* y,
                       cudaStream_t s, int parts, bool stage) {
  if (!affine_mma_applies(w, n) || reinterpret_cast<std::uintptr_t>(x) % 16 != 0) return false;
  if (parts != 2 && parts != 3) parts = n <= kAffineMmaThreePartsMaxRows ? 3 : 2;
  MmaArgs a{static_cast<const unsigned*>(w.data),
            w.scales,
            w.biases,
            w.type,
            x,
            y,
            static_cast<int>(w.rows),
            static_cast<int>(w.cols),
            w.group_size,
            static_cast<int>(n),
            parts,
            stage ? 0 : -1};
  switch (w.bits) {
    case 2:
      launch_gs<2>(a, s);
      break;
    case 4:
      launch_gs<4>(a, s);
      break;
    default:
      launch_gs<8>(a, s);
  }
  check_launch("affine_mma_linear");
  return true;
}

}  // namespace rmlx::kernels_cuda
