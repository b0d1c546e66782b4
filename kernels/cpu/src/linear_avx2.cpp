// AVX2 float linear kernels: float32 FMA over weights widened with F16C or shifts.
#include "linear_impl.h"
#include "simd_avx2.h"

namespace rmlx::kernels::linear::detail {

namespace {

constexpr std::int64_t kPrefetchAhead = 4096;

template <FloatType T>
inline __m256 load8w(const void* base, std::int64_t idx) {
  return avx2::load8<T>(base, idx, 8);
}

template <FloatType T, int R, int C>
void tile(const FloatWeight& w, const float* x, std::int64_t r, std::int64_t i0, float* y) {
  constexpr std::int64_t kElem = T == FloatType::f32 ? 4 : 2;
  __m256 acc[R][C];
  for (int a = 0; a < R; ++a) {
    for (int c = 0; c < C; ++c) acc[a][c] = _mm256_setzero_ps();
  }
  const std::int64_t full = w.cols / 8 * 8;
  for (std::int64_t k = 0; k < full; k += 8) {
    __m256 xv[C];
    for (int c = 0; c < C; ++c) xv[c] = _mm256_loadu_ps(x + (i0 + c) * w.cols + k);
    for (int a = 0; a < R; ++a) {
      if constexpr (R == 1) {
        if (k % 32 == 0) {
          _mm_prefetch(
              static_cast<const char*>(w.data) + ((r + a) * w.cols + k) * kElem + kPrefetchAhead,
              _MM_HINT_T0);
        }
      }
      const __m256 wv = load8w<T>(w.data, (r + a) * w.cols + k);
      for (int c = 0; c < C; ++c) acc[a][c] = _mm256_fmadd_ps(wv, xv[c], acc[a][c]);
    }
  }
  for (int a = 0; a < R; ++a) {
    for (int c = 0; c < C; ++c) {
      float s = avx2::hsum(acc[a][c]);
      for (std::int64_t k = full; k < w.cols; ++k)
        s += load_float(w.data, T, (r + a) * w.cols + k) * x[(i0 + c) * w.cols + k];
      y[(i0 + c) * w.rows + r + a] = s;
    }
  }
}

template <FloatType T>
void rows(const FloatWeight& w, const float* x, std::int64_t n, std::int64_t r0, std::int64_t r1,
          float* y) {
  std::int64_t r = r0;
  if (n > 1) {
    for (; r + 4 <= r1; r += 4) {
      std::int64_t i = 0;
      for (; i + 3 <= n; i += 3) tile<T, 4, 3>(w, x, r, i, y);
      for (; i < n; ++i) tile<T, 4, 1>(w, x, r, i, y);
    }
  }
  for (; r < r1; ++r) {
    for (std::int64_t i = 0; i < n; ++i) tile<T, 1, 1>(w, x, r, i, y);
  }
}

}  // namespace

void exact_avx2(const FloatWeight& w, const float* x, std::int64_t n, std::int64_t r0,
                std::int64_t r1, float* y) {
  switch (w.type) {
    case FloatType::f32:
      return rows<FloatType::f32>(w, x, n, r0, r1, y);
    case FloatType::f16:
      return rows<FloatType::f16>(w, x, n, r0, r1, y);
    case FloatType::bf16:
      return rows<FloatType::bf16>(w, x, n, r0, r1, y);
  }
}

}  // namespace rmlx::kernels::linear::detail
