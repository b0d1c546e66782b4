// AVX-512 float linear kernels: float32 FMA over widened weights, and vdpbf16ps.
#include <algorithm>

#include "linear_impl.h"
#include "simd_avx512.h"

namespace rmlx::kernels::linear::detail {

namespace {

using avx512::lane_mask;
using avx512::load16;

constexpr std::int64_t kPrefetchAhead = 4096;

// One weight row against one activation row, four independent accumulators.
template <FloatType T>
void row_dot(const FloatWeight& w, const float* x, std::int64_t r, float* y) {
  constexpr std::int64_t kElem = T == FloatType::f32 ? 4 : 2;
  const char* wb = static_cast<const char*>(w.data) + r * w.cols * kElem;
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  std::int64_t k = 0;
  for (; k + 64 <= w.cols; k += 64) {
    _mm_prefetch(wb + k * kElem + kPrefetchAhead, _MM_HINT_T0);
    if constexpr (kElem == 4) _mm_prefetch(wb + k * kElem + kPrefetchAhead + 128, _MM_HINT_T0);
    for (int j = 0; j < 4; ++j) {
      const __m512 wv = load16<T>(w.data, r * w.cols + k + 16 * j, 0xffff);
      acc[j] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + k + 16 * j), acc[j]);
    }
  }
  for (; k < w.cols; k += 16) {
    const __mmask16 m = lane_mask(w.cols - k);
    acc[0] = _mm512_fmadd_ps(load16<T>(w.data, r * w.cols + k, m), _mm512_maskz_loadu_ps(m, x + k),
                             acc[0]);
  }
  *y = _mm512_reduce_add_ps(
      _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

template <FloatType T, int R, int C>
void tile(const FloatWeight& w, const float* x, std::int64_t r, std::int64_t i0, float* y) {
  __m512 acc[R][C];
  for (int a = 0; a < R; ++a) {
    for (int c = 0; c < C; ++c) acc[a][c] = _mm512_setzero_ps();
  }
  for (std::int64_t k = 0; k < w.cols; k += 16) {
    const __mmask16 m = lane_mask(w.cols - k);
    __m512 xv[C];
    for (int c = 0; c < C; ++c) xv[c] = _mm512_maskz_loadu_ps(m, x + (i0 + c) * w.cols + k);
    for (int a = 0; a < R; ++a) {
      const __m512 wv = load16<T>(w.data, (r + a) * w.cols + k, m);
      for (int c = 0; c < C; ++c) acc[a][c] = _mm512_fmadd_ps(wv, xv[c], acc[a][c]);
    }
  }
  for (int a = 0; a < R; ++a) {
    for (int c = 0; c < C; ++c) y[(i0 + c) * w.rows + r + a] = _mm512_reduce_add_ps(acc[a][c]);
  }
}

template <FloatType T>
void exact_rows(const FloatWeight& w, const float* x, std::int64_t n, std::int64_t r0,
                std::int64_t r1, float* y) {
  if (n == 1) {
    for (std::int64_t r = r0; r < r1; ++r) row_dot<T>(w, x, r, y + r);
    return;
  }
  std::int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    std::int64_t i = 0;
    for (; i + 3 <= n; i += 3) tile<T, 4, 3>(w, x, r, i, y);
    for (; i < n; ++i) tile<T, 4, 1>(w, x, r, i, y);
  }
  for (; r < r1; ++r) {
    for (std::int64_t i = 0; i < n; ++i) tile<T, 1, 1>(w, x, r, i, y);
  }
}

template <int R, int C>
void bf16_tile(const FloatWeight& w, const std::uint16_t* xb, std::int64_t cols2, std::int64_t r,
               std::int64_t i0, float* y) {
  const auto* wb = static_cast<const std::uint16_t*>(w.data);
  __m512 acc[R][C];
  for (int a = 0; a < R; ++a) {
    for (int c = 0; c < C; ++c) acc[a][c] = _mm512_setzero_ps();
  }
  for (std::int64_t k = 0; k < w.cols; k += 32) {
    const std::int64_t left = w.cols - k;
    const __mmask32 m = left >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << left) - 1u);
    __m512bh xv[C];
    for (int c = 0; c < C; ++c) {
      // Padded activations: even length, zero beyond cols.
      const __mmask32 mx =
          (cols2 - k) >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << (cols2 - k)) - 1u);
      xv[c] = (__m512bh)_mm512_maskz_loadu_epi16(mx, xb + (i0 + c) * cols2 + k);
    }
    for (int a = 0; a < R; ++a) {
      const __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(m, wb + (r + a) * w.cols + k);
      if constexpr (R == 1)
        _mm_prefetch(reinterpret_cast<const char*>(wb + (r + a) * w.cols + k) + kPrefetchAhead,
                     _MM_HINT_T0);
      for (int c = 0; c < C; ++c) acc[a][c] = _mm512_dpbf16_ps(acc[a][c], wv, xv[c]);
    }
  }
  for (int a = 0; a < R; ++a) {
    for (int c = 0; c < C; ++c) y[(i0 + c) * w.rows + r + a] = _mm512_reduce_add_ps(acc[a][c]);
  }
}

}  // namespace

void exact_avx512(const FloatWeight& w, const float* x, std::int64_t n, std::int64_t r0,
                  std::int64_t r1, float* y) {
  switch (w.type) {
    case FloatType::f32:
      return exact_rows<FloatType::f32>(w, x, n, r0, r1, y);
    case FloatType::f16:
      return exact_rows<FloatType::f16>(w, x, n, r0, r1, y);
    case FloatType::bf16:
      return exact_rows<FloatType::bf16>(w, x, n, r0, r1, y);
  }
}

void bf16_dot_avx512(const FloatWeight& w, const std::uint16_t* xb, std::int64_t n, std::int64_t r0,
                     std::int64_t r1, float* y) {
  const std::int64_t cols2 = (w.cols + 1) / 2 * 2;
  std::int64_t r = r0;
  if (n > 1) {
    for (; r + 4 <= r1; r += 4) {
      std::int64_t i = 0;
      for (; i + 3 <= n; i += 3) bf16_tile<4, 3>(w, xb, cols2, r, i, y);
      for (; i < n; ++i) bf16_tile<4, 1>(w, xb, cols2, r, i, y);
    }
  }
  for (; r < r1; ++r) {
    for (std::int64_t i = 0; i < n; ++i) bf16_tile<1, 1>(w, xb, cols2, r, i, y);
  }
}

}  // namespace rmlx::kernels::linear::detail
