// AVX-512 exact (float activation) kernels for the fused affine matmul: each group
// contributes s * dot(q, x) + b * sum(x), in float32.
#include <algorithm>

#include "qmatmul_impl.h"
#include "simd_avx512.h"

namespace rmlx::kernels::qmm::detail {

namespace {

using avx512::byte_mask;
using avx512::lane_mask;
using avx512::load16;

// Lane -> group within a 16-group block for every 16-byte step (direct layouts).
template <int BITS>
struct StepGroups {
  static constexpr int kPlanes = BITS == 2 ? 4 : BITS == 4 ? 2 : 1;
  static constexpr int kStep = 16 * kPlanes;
  static constexpr int kMaxSteps = 16 * 128 / kStep;
  alignas(64) std::int32_t idx[kMaxSteps][16];
  explicit StepGroups(int log2g) {
    for (int st = 0; st < kMaxSteps; ++st) {
      for (int l = 0; l < 16; ++l) idx[st][l] = ((st * kStep + l * kPlanes) >> log2g) & 15;
    }
  }
};

template <int BITS, FloatType ST, int R, int C>
void exact_tile(const AffineWeight& w, const FloatActs& a, const StepGroups<BITS>& lg,
                std::int64_t r, std::int64_t i0, std::int64_t r_end, float* y) {
  constexpr bool kDirect = BITS == 2 || BITS == 4 || BITS == 8;
  constexpr int kPlanes = BITS == 2 ? 4 : BITS == 4 ? 2 : 1;
  // Values per step: 16 packed bytes (direct) or 64 unpacked values.
  constexpr int kStep = kDirect ? 16 * kPlanes : 64;
  const int g = w.group_size;
  const int log2g = g == 32 ? 5 : g == 64 ? 6 : 7;
  const std::int64_t groups = w.cols / g;
  const std::int64_t row_bytes = w.cols * BITS / 8;
  const auto* base = reinterpret_cast<const std::uint8_t*>(w.packed);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

  __m512 acc[R][C];
  for (int rr = 0; rr < R; ++rr) {
    for (int c = 0; c < C; ++c) acc[rr][c] = _mm512_setzero_ps();
  }
  for (std::int64_t g0 = 0; g0 < groups; g0 += kBlockGroups) {
    const __mmask16 gm = lane_mask(groups - g0);
    __m512 sw[R];
    for (int rr = 0; rr < R; ++rr) {
      const std::int64_t ahead =
          std::min(r_end * groups - 1,
                   (r + rr) * groups + g0 +
                       (R > 1 ? R : std::max<std::int64_t>(1, 4096 / row_bytes)) * groups);
      avx512::prefetch_groups<ST>(w.scales, ahead);
      avx512::prefetch_groups<ST>(w.biases, ahead);
      sw[rr] = load16<ST>(w.scales, (r + rr) * groups + g0, gm);
      const __m512 b = load16<ST>(w.biases, (r + rr) * groups + g0, gm);
      for (int c = 0; c < C; ++c) {
        acc[rr][c] = _mm512_fmadd_ps(b, _mm512_loadu_ps(a.row_sum(i0 + c) + g0), acc[rr][c]);
      }
    }
    const std::int64_t k0 = g0 << log2g;
    const std::int64_t kend = std::min(w.cols, k0 + (std::int64_t{kBlockGroups} << log2g));
    for (std::int64_t k = k0; k < kend; k += kStep) {
      const std::int64_t boff = k * BITS / 8;
      if constexpr (kDirect) {
        const __m512i idx = _mm512_load_si512(lg.idx[(k - k0) / kStep]);
        for (int rr = 0; rr < R; ++rr) {
          const std::uint8_t* src = base + (r + rr) * row_bytes + boff;
          if ((boff & 63) == 0) {
            _mm_prefetch(reinterpret_cast<const char*>(std::min(
                             src + (R > 1 ? R * row_bytes : 4096), base + r_end * row_bytes - 1)),
                         _MM_HINT_T0);
          }
          const __m128i raw =
              row_bytes - boff >= 16
                  ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(src))
                  : _mm_maskz_loadu_epi8(static_cast<__mmask16>(byte_mask(row_bytes - boff)), src);
          const __m512i v = _mm512_cvtepu8_epi32(raw);
          const __m512 sl = _mm512_permutexvar_ps(idx, sw[rr]);
          for (int p = 0; p < kPlanes; ++p) {
            __m512i qi = v;
            if constexpr (BITS != 8) {
              qi = p == 0 ? v : _mm512_srli_epi32(v, p * BITS);
              // Bytes were zero-extended: the top field needs no mask.
              if (p < kPlanes - 1) qi = _mm512_and_si512(qi, _mm512_set1_epi32((1 << BITS) - 1));
            }
            const __m512 wv = _mm512_mul_ps(_mm512_cvtepi32_ps(qi), sl);
            for (int c = 0; c < C; ++c) {
              acc[rr][c] =
                  _mm512_fmadd_ps(wv, _mm512_loadu_ps(a.row(i0 + c) + k + 16 * p), acc[rr][c]);
            }
          }
        }
      } else {
        for (int rr = 0; rr < R; ++rr) {
          const __m512i u =
              avx512::unpack_odd_bits<BITS>(base + (r + rr) * row_bytes + boff, row_bytes - boff);
          for (int qd = 0; qd < 4 && k + 16 * qd < kend; ++qd) {
            const __m512i idx = _mm512_srli_epi32(
                _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(k - k0 + 16 * qd)), iota),
                log2g);
            const __m512 sl = _mm512_permutexvar_ps(idx, sw[rr]);
            __m128i part;
            switch (qd) {
              case 0:
                part = _mm512_extracti32x4_epi32(u, 0);
                break;
              case 1:
                part = _mm512_extracti32x4_epi32(u, 1);
                break;
              case 2:
                part = _mm512_extracti32x4_epi32(u, 2);
                break;
              default:
                part = _mm512_extracti32x4_epi32(u, 3);
                break;
            }
            const __m512 wv = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(part)), sl);
            for (int c = 0; c < C; ++c) {
              acc[rr][c] =
                  _mm512_fmadd_ps(wv, _mm512_loadu_ps(a.row(i0 + c) + k + 16 * qd), acc[rr][c]);
            }
          }
        }
      }
    }
  }
  for (int rr = 0; rr < R; ++rr) {
    for (int c = 0; c < C; ++c) y[(i0 + c) * w.rows + r + rr] = _mm512_reduce_add_ps(acc[rr][c]);
  }
}

// One weight row against one activation row, 4- or 8-bit: every 16 packed bytes lie in
// one group (group sizes are at least 32 values), so each group accumulates q * x
// without its scale and is scaled once at its end.
template <int BITS, FloatType ST>
[[gnu::always_inline]] inline void exact_row(const AffineWeight& w, const FloatActs& a,
                                             std::int64_t r, std::int64_t i, std::int64_t r_end,
                                             float* y) {
  static_assert(BITS == 4 || BITS == 8);
  constexpr int kSubValues = BITS == 4 ? 32 : 16;  // values per 16 packed bytes
  const int g = w.group_size;
  const std::int64_t groups = w.cols / g;
  const std::int64_t row_bytes = w.cols * BITS / 8;
  const auto* src = reinterpret_cast<const std::uint8_t*>(w.packed) + r * row_bytes;
  // Prefetches stop at the end of the task's rows (see the int8 kernels).
  const std::uint8_t* last =
      reinterpret_cast<const std::uint8_t*>(w.packed) + r_end * row_bytes - 1;
  const float* x = a.row(i);
  const int subs = g / kSubValues;
  const __m512i low4 = _mm512_set1_epi32(15);
  alignas(64) float sc[16];
  __m512 acc = _mm512_setzero_ps();
  for (std::int64_t g0 = 0; g0 < groups; g0 += kBlockGroups) {
    const __mmask16 gm = lane_mask(groups - g0);
    const std::int64_t ahead = std::min(
        r_end * groups - 1, r * groups + g0 + std::max<std::int64_t>(1, 4096 / row_bytes) * groups);
    avx512::prefetch_groups<ST>(w.scales, ahead);
    avx512::prefetch_groups<ST>(w.biases, ahead);
    _mm512_store_ps(sc, load16<ST>(w.scales, r * groups + g0, gm));
    acc = _mm512_fmadd_ps(load16<ST>(w.biases, r * groups + g0, gm),
                          _mm512_loadu_ps(a.row_sum(i) + g0), acc);
    const int ng = static_cast<int>(std::min<std::int64_t>(kBlockGroups, groups - g0));
    for (int gg = 0; gg < ng; ++gg) {
      const std::int64_t k0 = (g0 + gg) * g;
      __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
      for (int sub = 0; sub < subs; ++sub) {
        const std::int64_t k = k0 + static_cast<std::int64_t>(sub) * kSubValues;
        const std::int64_t boff = k * BITS / 8;
        if ((boff & 63) == 0)
          _mm_prefetch(reinterpret_cast<const char*>(std::min(src + boff + 4096, last)),
                       _MM_HINT_T0);
        const __m512i v =
            _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + boff)));
        if constexpr (BITS == 4) {
          lo = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_and_si512(v, low4)),
                               _mm512_loadu_ps(x + k), lo);
          hi = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(v, 4)),
                               _mm512_loadu_ps(x + k + 16), hi);
        } else {
          // Alternate accumulators for two independent chains.
          if (sub % 2 == 0) {
            lo = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_loadu_ps(x + k), lo);
          } else {
            hi = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_loadu_ps(x + k), hi);
          }
        }
      }
      acc = _mm512_fmadd_ps(_mm512_add_ps(lo, hi), _mm512_set1_ps(sc[gg]), acc);
    }
  }
  y[i * w.rows + r] = _mm512_reduce_add_ps(acc);
}

// exact_row for C activation rows at once (the few rows of a speculative verification
// or a small batch): the weights are unpacked once for all of them, and each row's
// arithmetic is exact_row's, so a verified row equals the decoded one bit for bit.
template <int BITS, FloatType ST, int C>
void exact_row_tile(const AffineWeight& w, const FloatActs& a, std::int64_t r, std::int64_t i0,
                    std::int64_t r_end, float* y) {
  static_assert(BITS == 4 || BITS == 8);
  constexpr int kSubValues = BITS == 4 ? 32 : 16;  // values per 16 packed bytes
  const int g = w.group_size;
  const std::int64_t groups = w.cols / g;
  const std::int64_t row_bytes = w.cols * BITS / 8;
  const auto* src = reinterpret_cast<const std::uint8_t*>(w.packed) + r * row_bytes;
  // Prefetches stop at the end of the task's rows (see the int8 kernels).
  const std::uint8_t* last =
      reinterpret_cast<const std::uint8_t*>(w.packed) + r_end * row_bytes - 1;
  const float* x[C];
  for (int c = 0; c < C; ++c) x[c] = a.row(i0 + c);
  const int subs = g / kSubValues;
  const __m512i low4 = _mm512_set1_epi32(15);
  alignas(64) float sc[16];
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (std::int64_t g0 = 0; g0 < groups; g0 += kBlockGroups) {
    const __mmask16 gm = lane_mask(groups - g0);
    const std::int64_t ahead = std::min(
        r_end * groups - 1, r * groups + g0 + std::max<std::int64_t>(1, 4096 / row_bytes) * groups);
    avx512::prefetch_groups<ST>(w.scales, ahead);
    avx512::prefetch_groups<ST>(w.biases, ahead);
    _mm512_store_ps(sc, load16<ST>(w.scales, r * groups + g0, gm));
    const __m512 bias = load16<ST>(w.biases, r * groups + g0, gm);
    for (int c = 0; c < C; ++c) {
      acc[c] = _mm512_fmadd_ps(bias, _mm512_loadu_ps(a.row_sum(i0 + c) + g0), acc[c]);
    }
    const int ng = static_cast<int>(std::min<std::int64_t>(kBlockGroups, groups - g0));
    for (int gg = 0; gg < ng; ++gg) {
      const std::int64_t k0 = (g0 + gg) * g;
      __m512 lo[C], hi[C];
      for (int c = 0; c < C; ++c) lo[c] = hi[c] = _mm512_setzero_ps();
      for (int sub = 0; sub < subs; ++sub) {
        const std::int64_t k = k0 + static_cast<std::int64_t>(sub) * kSubValues;
        const std::int64_t boff = k * BITS / 8;
        if ((boff & 63) == 0)
          _mm_prefetch(reinterpret_cast<const char*>(std::min(src + boff + 4096, last)),
                       _MM_HINT_T0);
        const __m512i v =
            _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + boff)));
        if constexpr (BITS == 4) {
          const __m512 wl = _mm512_cvtepi32_ps(_mm512_and_si512(v, low4));
          const __m512 wh = _mm512_cvtepi32_ps(_mm512_srli_epi32(v, 4));
          for (int c = 0; c < C; ++c) {
            lo[c] = _mm512_fmadd_ps(wl, _mm512_loadu_ps(x[c] + k), lo[c]);
            hi[c] = _mm512_fmadd_ps(wh, _mm512_loadu_ps(x[c] + k + 16), hi[c]);
          }
        } else {
          const __m512 wv = _mm512_cvtepi32_ps(v);
          // Alternate accumulators for two independent chains.
          for (int c = 0; c < C; ++c) {
            if (sub % 2 == 0) {
              lo[c] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x[c] + k), lo[c]);
            } else {
              hi[c] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x[c] + k), hi[c]);
            }
          }
        }
      }
      const __m512 s = _mm512_set1_ps(sc[gg]);
      for (int c = 0; c < C; ++c) acc[c] = _mm512_fmadd_ps(_mm512_add_ps(lo[c], hi[c]), s, acc[c]);
    }
  }
  for (int c = 0; c < C; ++c) y[(i0 + c) * w.rows + r] = _mm512_reduce_add_ps(acc[c]);
}

// Activation rows up to which each weight row is unpacked once for all of them (tiles
// of at most kRowTile rows) instead of the register-tiled GEMM.
constexpr std::int64_t kFewRows = 16;
constexpr std::int64_t kRowTile = 6;

template <int BITS, FloatType ST>
void exact_few_rows(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                    float* y) {
  const std::int64_t tiles = (a.n + kRowTile - 1) / kRowTile;
  // Weight rows in blocks that stay in L1 while each tile of activation rows passes.
  const std::int64_t block = std::max<std::int64_t>(1, 16384 / (w.cols * BITS / 8));
  for (std::int64_t rb = r0; rb < r1; rb += block) {
    const std::int64_t re = std::min(r1, rb + block);
    std::int64_t i = 0;
    for (std::int64_t t = 0; t < tiles; ++t) {
      // Tiles as equal as possible (9 rows: 5 + 4).
      const std::int64_t c = (a.n - i) / (tiles - t);
      for (std::int64_t r = rb; r < re; ++r) {
        switch (c) {
          case 1:
            exact_row<BITS, ST>(w, a, r, i, r1, y);
            break;
          case 2:
            exact_row_tile<BITS, ST, 2>(w, a, r, i, r1, y);
            break;
          case 3:
            exact_row_tile<BITS, ST, 3>(w, a, r, i, r1, y);
            break;
          case 4:
            exact_row_tile<BITS, ST, 4>(w, a, r, i, r1, y);
            break;
          case 5:
            exact_row_tile<BITS, ST, 5>(w, a, r, i, r1, y);
            break;
          default:
            exact_row_tile<BITS, ST, 6>(w, a, r, i, r1, y);
            break;
        }
      }
      i += c;
    }
  }
}

template <int BITS, FloatType ST>
void exact_rows(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                float* y) {
  if constexpr (BITS == 4 || BITS == 8) {
    if (a.n > 1 && a.n <= kFewRows) return exact_few_rows<BITS, ST>(w, a, r0, r1, y);
  }
  constexpr int kR = 4;
  constexpr int kC = 4;
  const StepGroups<BITS> lg(w.group_size == 32 ? 5 : w.group_size == 64 ? 6 : 7);
  std::int64_t r = r0;
  for (; a.n > 1 && r + kR <= r1; r += kR) {
    std::int64_t i = 0;
    for (; i + kC <= a.n; i += kC) exact_tile<BITS, ST, kR, kC>(w, a, lg, r, i, r1, y);
    for (; i < a.n; ++i) exact_tile<BITS, ST, kR, 1>(w, a, lg, r, i, r1, y);
  }
  for (; r < r1; ++r) {
    for (std::int64_t i = 0; i < a.n; ++i) {
      if constexpr (BITS == 4 || BITS == 8) {
        exact_row<BITS, ST>(w, a, r, i, r1, y);
      } else {
        exact_tile<BITS, ST, 1, 1>(w, a, lg, r, i, r1, y);
      }
    }
  }
}

template <FloatType ST>
void exact_by_bits(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                   float* y) {
  switch (w.bits) {
    case 2:
      return exact_rows<2, ST>(w, a, r0, r1, y);
    case 3:
      return exact_rows<3, ST>(w, a, r0, r1, y);
    case 4:
      return exact_rows<4, ST>(w, a, r0, r1, y);
    case 5:
      return exact_rows<5, ST>(w, a, r0, r1, y);
    case 6:
      return exact_rows<6, ST>(w, a, r0, r1, y);
    default:
      return exact_rows<8, ST>(w, a, r0, r1, y);
  }
}

}  // namespace

void exact_avx512(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                  float* y) {
  switch (w.scale_type) {
    case FloatType::f16:
      return exact_by_bits<FloatType::f16>(w, a, r0, r1, y);
    case FloatType::bf16:
      return exact_by_bits<FloatType::bf16>(w, a, r0, r1, y);
    case FloatType::f32:
      return exact_by_bits<FloatType::f32>(w, a, r0, r1, y);
  }
}

}  // namespace rmlx::kernels::qmm::detail
