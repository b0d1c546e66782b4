// Helpers for the AVX-512 translation units (only included by files built with the
// AVX-512 flags).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "rmlx/kernels/half.h"

namespace rmlx::kernels::avx512 {

// Mask of the first n (0..64) bytes.
inline __mmask64 byte_mask(std::int64_t n) {
  return n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
}
inline __mmask16 lane_mask(std::int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1u);
}

// 16 float, float16 or bfloat16 values from base[idx..], lanes outside m read as 0.
template <FloatType T>
inline __m512 load16(const void* base, std::int64_t idx, __mmask16 m) {
  if constexpr (T == FloatType::f32) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float*>(base) + idx);
  } else if constexpr (T == FloatType::f16) {
    return _mm512_cvtph_ps(
        _mm256_maskz_loadu_epi16(m, static_cast<const std::uint16_t*>(base) + idx));
  } else {
    const __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const std::uint16_t*>(base) + idx);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
}

// Prefetches the scales or biases of the group `ahead` groups past idx: they are
// separate streams next to the weights, and the hardware prefetchers of the machines
// measured follow them poorly.
template <FloatType T>
[[gnu::always_inline]] inline void prefetch_groups(const void* base, std::int64_t idx) {
  constexpr std::int64_t kSize = T == FloatType::f32 ? 4 : 2;
  _mm_prefetch(static_cast<const char*>(base) + idx * kSize, _MM_HINT_T0);
}

inline float hsum(__m512 v) {
  return _mm512_reduce_add_ps(v);
}

// 64 values of 3, 5 or 6 bits (BITS * 8 packed bytes, fewer at a row end) as bytes.
template <int BITS>
inline __m512i unpack_odd_bits(const std::uint8_t* src, std::int64_t avail_bytes) {
  // Qword j gathers the BITS source bytes of values 8j..8j+7, then each byte takes its
  // bit field with one multishift.
  alignas(64) static constexpr struct Tables {
    std::uint8_t gather[64];
    std::uint8_t shifts[64];
    constexpr Tables() : gather(), shifts() {
      for (int j = 0; j < 8; ++j) {
        for (int m = 0; m < 8; ++m) {
          const int s = j * BITS + m;
          gather[j * 8 + m] = static_cast<std::uint8_t>(s < 64 ? s : 63);
          shifts[j * 8 + m] = static_cast<std::uint8_t>(m * BITS);
        }
      }
    }
  } t{};
  const __m512i raw =
      _mm512_maskz_loadu_epi8(byte_mask(avail_bytes < BITS * 8 ? avail_bytes : BITS * 8), src);
  const __m512i g = _mm512_permutexvar_epi8(_mm512_load_si512(t.gather), raw);
  const __m512i v = _mm512_multishift_epi64_epi8(_mm512_load_si512(t.shifts), g);
  return _mm512_and_si512(v, _mm512_set1_epi8(static_cast<char>((1 << BITS) - 1)));
}

}  // namespace rmlx::kernels::avx512
