// AVX2 (+FMA, F16C) kernels for the fused affine matmul: maddubs integer dots with
// int8 activations, and the exact float path.
#include <algorithm>

#include "qmatmul_impl.h"
#include "simd_avx2.h"

namespace rmlx::kernels::qmm::detail {

namespace {

using avx2::load8;

template <int BITS>
constexpr int kPlanes = BITS == 2   ? 4
                        : BITS == 4 ? 2
                                    : 1;
template <int BITS>
constexpr bool kDirect = BITS == 2 || BITS == 4 || BITS == 8;

// int32 lanes of dot(q, x) over 32 weight bytes (direct) or 32 unpacked values.
template <int BITS>
inline __m256i dot32(const std::uint8_t* wsrc, std::int64_t avail, const std::int8_t* xq) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (BITS == 8) {
    // maddubs would saturate on u8 x s8 here: shift weights to s8 (q - 128) and use
    // the sign trick; the caller adds 128 * sum(xq) per group.
    const __m256i v =
        _mm256_xor_si256(avx2::load32(wsrc, avail), _mm256_set1_epi8(static_cast<char>(0x80)));
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(v), _mm256_sign_epi8(x, v)),
                             ones);
  } else if constexpr (kDirect<BITS>) {
    const __m256i v = avx2::load32(wsrc, avail);
    const __m256i m = _mm256_set1_epi8(static_cast<char>((1 << BITS) - 1));
    __m256i s16 = _mm256_setzero_si256();
    for (int p = 0; p < kPlanes<BITS>; ++p) {
      const __m256i q = _mm256_and_si256(p == 0 ? v : _mm256_srli_epi16(v, p * BITS), m);
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + 64 * p));
      s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(q, x));
    }
    return _mm256_madd_epi16(s16, ones);
  } else {
    alignas(32) std::uint8_t u[32];
    avx2::unpack_odd_bits<BITS>(wsrc, avail, u);
    const __m256i q = _mm256_load_si256(reinterpret_cast<const __m256i*>(u));
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(q, x), ones);
  }
}

template <int BITS, FloatType ST, int R, int C>
void int8_tile(const AffineWeight& w, const QuantActs& a, std::int64_t r, std::int64_t i0,
               std::int64_t r_end, float* y) {
  // A step is 32 weight bytes (direct) or 32 unpacked values.
  constexpr int kStepValues = kDirect<BITS> ? 32 * kPlanes<BITS> : 32;
  constexpr int kLaneValues = kStepValues / 8;
  const int g = w.group_size;
  const int log2g = g == 32 ? 5 : g == 64 ? 6 : 7;
  const std::int64_t groups = a.groups;
  const std::int64_t row_bytes = w.cols * BITS / 8;
  const auto* base = reinterpret_cast<const std::uint8_t*>(w.packed);
  const __m256i lane_off =
      _mm256_setr_epi32(0, kLaneValues, 2 * kLaneValues, 3 * kLaneValues, 4 * kLaneValues,
                        5 * kLaneValues, 6 * kLaneValues, 7 * kLaneValues);
  __m256 acc[R][C];
  for (int rr = 0; rr < R; ++rr) {
    for (int c = 0; c < C; ++c) acc[rr][c] = _mm256_setzero_ps();
  }
  for (std::int64_t g0 = 0; g0 < groups; g0 += kBlockGroups) {
    const std::int64_t left = groups - g0;
    __m256 sw[R][2];
    for (int rr = 0; rr < R; ++rr) {
      for (int h = 0; h < 2; ++h) {
        const std::int64_t gi = (r + rr) * groups + g0 + 8 * h;
        if (h == 0) {
          // Scales and biases of the rows the weight prefetch is fetching (4 KiB ahead).
          constexpr std::int64_t kSize = ST == FloatType::f32 ? 4 : 2;
          const std::int64_t ahead =
              std::min(r_end * groups - 1,
                       gi + (R > 1 ? R : std::max<std::int64_t>(1, 4096 / row_bytes)) * groups);
          _mm_prefetch(static_cast<const char*>(w.scales) + ahead * kSize, _MM_HINT_T0);
          _mm_prefetch(static_cast<const char*>(w.biases) + ahead * kSize, _MM_HINT_T0);
        }
        sw[rr][h] = load8<ST>(w.scales, gi, left - 8 * h);
        const __m256 b = load8<ST>(w.biases, gi, left - 8 * h);
        for (int c = 0; c < C; ++c) {
          const __m256 sx = _mm256_loadu_ps(a.row_sum(i0 + c) + g0 + 8 * h);
          acc[rr][c] = _mm256_fmadd_ps(b, sx, acc[rr][c]);
          if constexpr (BITS == 8) {
            const __m256 dx = _mm256_loadu_ps(a.row_scale(i0 + c) + g0 + 8 * h);
            const __m256 qs = _mm256_cvtepi32_ps(_mm256_loadu_si256(
                reinterpret_cast<const __m256i*>(a.row_qsum(i0 + c) + g0 + 8 * h)));
            acc[rr][c] = _mm256_fmadd_ps(_mm256_mul_ps(sw[rr][h], dx),
                                         _mm256_mul_ps(qs, _mm256_set1_ps(128.0f)), acc[rr][c]);
          }
        }
      }
    }
    if constexpr (C == 1) {
      for (int rr = 0; rr < R; ++rr) {
        for (int hh = 0; hh < 2; ++hh) {
          sw[rr][hh] = _mm256_mul_ps(sw[rr][hh], _mm256_loadu_ps(a.row_scale(i0) + g0 + 8 * hh));
        }
      }
    }
    const std::int64_t k0 = g0 << log2g;
    const std::int64_t kend = std::min(w.cols, k0 + (std::int64_t{kBlockGroups} << log2g));
    for (std::int64_t k = k0; k < kend; k += kStepValues) {
      // Position of this step in the planar activation layout (64-byte planes).
      std::int64_t xoff = k;
      if constexpr (kDirect<BITS> && kPlanes < BITS >> 1) {
        const std::int64_t chunk = 64 * kPlanes<BITS>;
        xoff = k / chunk * chunk + (k % chunk) / kPlanes<BITS>;
      }
      const int first_group = static_cast<int>((k - k0) >> log2g);
      const int h = first_group >= 8 ? 1 : 0;
      const __m256i idx = _mm256_and_si256(
          _mm256_srli_epi32(_mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(k - k0)), lane_off),
                            log2g),
          _mm256_set1_epi32(7));
      __m256 dl[C];
      if constexpr (C > 1) {
        for (int c = 0; c < C; ++c) {
          dl[c] = _mm256_permutevar8x32_ps(_mm256_loadu_ps(a.row_scale(i0 + c) + g0 + 8 * h), idx);
        }
      }
      const std::int64_t boff = k * BITS / 8;
      for (int rr = 0; rr < R; ++rr) {
        const std::uint8_t* src = base + (r + rr) * row_bytes + boff;
        // Prefetches stop at the end of the task's rows (see the AVX-512 kernels).
        _mm_prefetch(reinterpret_cast<const char*>(std::min(src + (R > 1 ? R * row_bytes : 4096),
                                                            base + r_end * row_bytes - 1)),
                     _MM_HINT_T0);
        const __m256 sl = _mm256_permutevar8x32_ps(sw[rr][h], idx);
        for (int c = 0; c < C; ++c) {
          const __m256i d = dot32<BITS>(src, row_bytes - boff, a.row_q(i0 + c) + xoff);
          const __m256 scale = C == 1 ? sl : _mm256_mul_ps(sl, dl[c]);
          acc[rr][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), scale, acc[rr][c]);
        }
      }
    }
  }
  for (int rr = 0; rr < R; ++rr) {
    for (int c = 0; c < C; ++c) y[(i0 + c) * w.rows + r + rr] = avx2::hsum(acc[rr][c]);
  }
}

// Exact path: per 8 packed bytes (direct) or 8 unpacked values, one group.
template <int BITS, FloatType ST, int R, int C>
void exact_tile(const AffineWeight& w, const FloatActs& a, std::int64_t r, std::int64_t i0,
                std::int64_t r_end, float* y) {
  constexpr int kP = kPlanes<BITS>;
  const int g = w.group_size;
  const std::int64_t groups = w.cols / g;
  const std::int64_t row_bytes = w.cols * BITS / 8;
  const auto* base = reinterpret_cast<const std::uint8_t*>(w.packed);
  __m256 acc[R][C];
  float bias_acc[R][C] = {};
  for (int rr = 0; rr < R; ++rr) {
    for (int c = 0; c < C; ++c) acc[rr][c] = _mm256_setzero_ps();
  }
  // Scales and biases converted 8 groups at a time (F16C / shifts), not one by one.
  alignas(32) float sbuf[R][8];
  alignas(32) float bbuf[R][8];
  for (std::int64_t gi = 0; gi < groups; ++gi) {
    if (gi % 8 == 0) {
      for (int rr = 0; rr < R; ++rr) {
        _mm256_store_ps(sbuf[rr], load8<ST>(w.scales, (r + rr) * groups + gi, groups - gi));
        _mm256_store_ps(bbuf[rr], load8<ST>(w.biases, (r + rr) * groups + gi, groups - gi));
      }
    }
    __m256 s[R];
    for (int rr = 0; rr < R; ++rr) {
      s[rr] = _mm256_set1_ps(sbuf[rr][gi % 8]);
      const float b = bbuf[rr][gi % 8];
      for (int c = 0; c < C; ++c) bias_acc[rr][c] += b * a.row_sum(i0 + c)[gi];
    }
    const std::int64_t kg = gi * g;
    if constexpr (kDirect<BITS>) {
      // 8 packed bytes = 8 * kP values; the planar float layout has 16-value planes.
      for (std::int64_t k = kg; k < kg + g; k += 8 * kP) {
        const std::int64_t sub = k / (16 * kP) * (16 * kP);
        const std::int64_t half = (k - sub) / (8 * kP);
        for (int rr = 0; rr < R; ++rr) {
          const std::uint8_t* src = base + (r + rr) * row_bytes + k * BITS / 8;
          _mm_prefetch(reinterpret_cast<const char*>(std::min(src + (R > 1 ? R * row_bytes : 4096),
                                                              base + r_end * row_bytes - 1)),
                       _MM_HINT_T0);
          const __m256i v =
              _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(src)));
          for (int p = 0; p < kP; ++p) {
            __m256i qi = v;
            if constexpr (BITS != 8) {
              qi = _mm256_and_si256(_mm256_srli_epi32(v, p * BITS),
                                    _mm256_set1_epi32((1 << BITS) - 1));
            }
            const __m256 wv = _mm256_mul_ps(_mm256_cvtepi32_ps(qi), s[rr]);
            for (int c = 0; c < C; ++c) {
              const float* x = a.row(i0 + c) + sub + 16 * p + 8 * half;
              acc[rr][c] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x), acc[rr][c]);
            }
          }
        }
      }
    } else {
      for (std::int64_t k = kg; k < kg + g; k += 32) {
        for (int rr = 0; rr < R; ++rr) {
          alignas(32) std::uint8_t u[32];
          const std::int64_t boff = k * BITS / 8;
          avx2::unpack_odd_bits<BITS>(base + (r + rr) * row_bytes + boff, row_bytes - boff, u);
          for (int j = 0; j < 4; ++j) {
            const __m256i qi =
                _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(u + 8 * j)));
            const __m256 wv = _mm256_mul_ps(_mm256_cvtepi32_ps(qi), s[rr]);
            for (int c = 0; c < C; ++c) {
              acc[rr][c] =
                  _mm256_fmadd_ps(wv, _mm256_loadu_ps(a.row(i0 + c) + k + 8 * j), acc[rr][c]);
            }
          }
        }
      }
    }
  }
  for (int rr = 0; rr < R; ++rr) {
    for (int c = 0; c < C; ++c) {
      y[(i0 + c) * w.rows + r + rr] = avx2::hsum(acc[rr][c]) + bias_acc[rr][c];
    }
  }
}

template <typename Acts, typename Tile4x3, typename Tile4x1, typename Tile1x1>
void tiles(const Acts& a, std::int64_t r0, std::int64_t r1, Tile4x3 t43, Tile4x1 t41, Tile1x1 t11) {
  std::int64_t r = r0;
  // A single activation row streams one weight row at a time (one prefetch stream).
  for (; a.n > 1 && r + 4 <= r1; r += 4) {
    std::int64_t i = 0;
    for (; i + 3 <= a.n; i += 3) t43(r, i);
    for (; i < a.n; ++i) t41(r, i);
  }
  for (; r < r1; ++r) {
    for (std::int64_t i = 0; i < a.n; ++i) t11(r, i);
  }
}

template <int BITS, FloatType ST>
void int8_rows(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
               float* y) {
  tiles(
      a, r0, r1,
      [&](std::int64_t r, std::int64_t i) { int8_tile<BITS, ST, 4, 3>(w, a, r, i, r1, y); },
      [&](std::int64_t r, std::int64_t i) { int8_tile<BITS, ST, 4, 1>(w, a, r, i, r1, y); },
      [&](std::int64_t r, std::int64_t i) { int8_tile<BITS, ST, 1, 1>(w, a, r, i, r1, y); });
}

template <int BITS, FloatType ST>
void exact_rows(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                float* y) {
  tiles(
      a, r0, r1,
      [&](std::int64_t r, std::int64_t i) { exact_tile<BITS, ST, 4, 3>(w, a, r, i, r1, y); },
      [&](std::int64_t r, std::int64_t i) { exact_tile<BITS, ST, 4, 1>(w, a, r, i, r1, y); },
      [&](std::int64_t r, std::int64_t i) { exact_tile<BITS, ST, 1, 1>(w, a, r, i, r1, y); });
}

#define RMLX_DISPATCH(fn, acts_t)                                                           \
  template <FloatType ST>                                                                   \
  void fn##_bits(const AffineWeight& w, const acts_t& a, std::int64_t r0, std::int64_t r1,  \
                 float* y) {                                                                \
    switch (w.bits) {                                                                       \
      case 2:                                                                               \
        return fn<2, ST>(w, a, r0, r1, y);                                                  \
      case 3:                                                                               \
        return fn<3, ST>(w, a, r0, r1, y);                                                  \
      case 4:                                                                               \
        return fn<4, ST>(w, a, r0, r1, y);                                                  \
      case 5:                                                                               \
        return fn<5, ST>(w, a, r0, r1, y);                                                  \
      case 6:                                                                               \
        return fn<6, ST>(w, a, r0, r1, y);                                                  \
      default:                                                                              \
        return fn<8, ST>(w, a, r0, r1, y);                                                  \
    }                                                                                       \
  }                                                                                         \
  void fn##_types(const AffineWeight& w, const acts_t& a, std::int64_t r0, std::int64_t r1, \
                  float* y) {                                                               \
    switch (w.scale_type) {                                                                 \
      case FloatType::f16:                                                                  \
        return fn##_bits<FloatType::f16>(w, a, r0, r1, y);                                  \
      case FloatType::bf16:                                                                 \
        return fn##_bits<FloatType::bf16>(w, a, r0, r1, y);                                 \
      case FloatType::f32:                                                                  \
        return fn##_bits<FloatType::f32>(w, a, r0, r1, y);                                  \
    }                                                                                       \
  }

RMLX_DISPATCH(int8_rows, QuantActs)
RMLX_DISPATCH(exact_rows, FloatActs)
#undef RMLX_DISPATCH

}  // namespace

void int8_avx2(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
               float* y) {
  int8_rows_types(w, a, r0, r1, y);
}

void exact_avx2(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                float* y) {
  exact_rows_types(w, a, r0, r1, y);
}

}  // namespace rmlx::kernels::qmm::detail
