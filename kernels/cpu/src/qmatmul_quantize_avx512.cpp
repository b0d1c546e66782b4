// AVX-512 int8 activation quantization (one digit per value): the same values as the
// scalar loop of quantize_acts (product x * (127 / amax) rounded to nearest even), the
// group sums added in vector order.
#include "qmatmul_impl.h"
#include "simd_avx512.h"

namespace rmlx::kernels::qmm::detail {

namespace {

// Even and odd lanes of the 32 int32 values a:b, as 16 bytes each.
inline void split_even_odd(__m512i a, __m512i b, std::int8_t* even, std::int8_t* odd) {
  const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_add_epi32(ie, _mm512_set1_epi32(1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(even),
                   _mm512_cvtepi32_epi8(_mm512_permutex2var_epi32(a, ie, b)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(odd),
                   _mm512_cvtepi32_epi8(_mm512_permutex2var_epi32(a, io, b)));
}

}  // namespace

bool quantize_rows_avx512(const float* x, std::int64_t i0, std::int64_t i1, int group_size,
                          QuantActs& a) {
  if (a.limbs != 1 || a.planes > 2) return false;
  const int g = group_size;
  const int vecs = g / 16;
  const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (std::int64_t i = i0; i < i1; ++i) {
    const float* xr = x + i * a.cols;
    std::int8_t* qr = a.q.data() + i * a.padded_cols;
    float* scale = a.scale.data() + i * a.padded_groups;
    float* sum = a.sum.data() + i * a.padded_groups;
    std::int32_t* qsum = a.qsum.data() + i * a.padded_groups;
    for (std::int64_t grp = 0; grp < a.groups; ++grp) {
      const float* xg = xr + grp * g;
      __m512 v[8];
      __m512 vmax = _mm512_setzero_ps(), vsum = _mm512_setzero_ps();
      for (int k = 0; k < vecs; ++k) {
        v[k] = _mm512_loadu_ps(xg + 16 * k);
        vmax = _mm512_max_ps(vmax, _mm512_and_ps(v[k], sign));
        vsum = _mm512_add_ps(vsum, v[k]);
      }
      const float amax = _mm512_reduce_max_ps(vmax);
      const __m512 inv = _mm512_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
      __m512i q[8];
      __m512i qs = _mm512_setzero_si512();
      for (int k = 0; k < vecs; ++k) {
        // Default rounding mode: to nearest, ties to even.
        q[k] = _mm512_cvtps_epi32(_mm512_mul_ps(v[k], inv));
        qs = _mm512_add_epi32(qs, q[k]);
      }
      scale[grp] = amax / 127.0f;
      sum[grp] = _mm512_reduce_add_ps(vsum);
      qsum[grp] = _mm512_reduce_add_epi32(qs);
      if (a.planes == 1) {
        for (int k = 0; k < vecs; ++k) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(qr + grp * g + 16 * k),
                           _mm512_cvtepi32_epi8(q[k]));
        }
      } else {
        // Two planes per 128 values: value 2e + p at byte p * 64 + e of the chunk.
        for (int t = 0; t < vecs / 2; ++t) {
          const std::int64_t k0 = grp * g + 32 * t;
          std::int8_t* chunk = qr + k0 / 128 * 128 + (k0 % 128) / 2;
          split_even_odd(q[2 * t], q[2 * t + 1], chunk, chunk + 64);
        }
      }
    }
  }
  return true;
}

}  // namespace rmlx::kernels::qmm::detail
