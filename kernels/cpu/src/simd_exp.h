// mlx's CPU exp on a vector of lanes (the same operations and rounding as mlx_exp),
// for translation units built with AVX2+FMA or AVX-512 flags. Everything here has
// internal linkage, so each ISA's copy stays in its own translation unit.
#pragma once

#include <cmath>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace rmlx::kernels {

namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
using Vec = __m512;
[[gnu::always_inline]] inline Vec vload(const float* p) {
  return _mm512_loadu_ps(p);
}
[[gnu::always_inline]] inline void vstore(float* p, Vec v) {
  _mm512_storeu_ps(p, v);
}
[[gnu::always_inline]] inline Vec vset(float v) {
  return _mm512_set1_ps(v);
}
[[gnu::always_inline]] inline Vec vexp(Vec x_init) {
  const Vec xc = _mm512_min_ps(_mm512_max_ps(x_init, vset(-88.0f)), vset(88.0f));
  const Vec x = _mm512_mul_ps(xc, vset(1.442695f));
  const Vec ipart =
      _mm512_roundscale_ps(_mm512_add_ps(x, vset(0.5f)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const Vec f = _mm512_sub_ps(x, ipart);
  Vec p = vset(1.535336188319500e-4f);
  p = _mm512_fmadd_ps(p, f, vset(1.339887440266574e-3f));
  p = _mm512_fmadd_ps(p, f, vset(9.618437357674640e-3f));
  p = _mm512_fmadd_ps(p, f, vset(5.550332471162809e-2f));
  p = _mm512_fmadd_ps(p, f, vset(2.402264791363012e-1f));
  p = _mm512_fmadd_ps(p, f, vset(6.931472028550421e-1f));
  p = _mm512_fmadd_ps(p, f, vset(1.0f));
  const __m512i e =
      _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(ipart), _mm512_set1_epi32(127)), 23);
  Vec r = _mm512_mul_ps(_mm512_castsi512_ps(e), p);
  r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x_init, vset(88.0f), _CMP_GT_OQ), r, vset(INFINITY));
  r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x_init, vset(-88.0f), _CMP_LT_OQ), r,
                           _mm512_setzero_ps());
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x_init, x_init, _CMP_UNORD_Q), r, x_init);
}
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kLanes = 8;
using Vec = __m256;
[[gnu::always_inline]] inline Vec vload(const float* p) {
  return _mm256_loadu_ps(p);
}
[[gnu::always_inline]] inline void vstore(float* p, Vec v) {
  _mm256_storeu_ps(p, v);
}
[[gnu::always_inline]] inline Vec vset(float v) {
  return _mm256_set1_ps(v);
}
[[gnu::always_inline]] inline Vec vexp(Vec x_init) {
  const Vec xc = _mm256_min_ps(_mm256_max_ps(x_init, vset(-88.0f)), vset(88.0f));
  const Vec x = _mm256_mul_ps(xc, vset(1.442695f));
  const Vec ipart = _mm256_floor_ps(_mm256_add_ps(x, vset(0.5f)));
  const Vec f = _mm256_sub_ps(x, ipart);
  Vec p = vset(1.535336188319500e-4f);
  p = _mm256_fmadd_ps(p, f, vset(1.339887440266574e-3f));
  p = _mm256_fmadd_ps(p, f, vset(9.618437357674640e-3f));
  p = _mm256_fmadd_ps(p, f, vset(5.550332471162809e-2f));
  p = _mm256_fmadd_ps(p, f, vset(2.402264791363012e-1f));
  p = _mm256_fmadd_ps(p, f, vset(6.931472028550421e-1f));
  p = _mm256_fmadd_ps(p, f, vset(1.0f));
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(ipart), _mm256_set1_epi32(127)), 23);
  Vec r = _mm256_mul_ps(_mm256_castsi256_ps(e), p);
  r = _mm256_blendv_ps(r, vset(INFINITY), _mm256_cmp_ps(x_init, vset(88.0f), _CMP_GT_OQ));
  r = _mm256_blendv_ps(r, _mm256_setzero_ps(), _mm256_cmp_ps(x_init, vset(-88.0f), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x_init, _mm256_cmp_ps(x_init, x_init, _CMP_UNORD_Q));
}
#else
constexpr int kLanes = 0;
#endif

}  // namespace

}  // namespace rmlx::kernels
