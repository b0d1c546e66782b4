// Helpers for the AVX2 translation units (only included by files built with AVX2 flags).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "rmlx/kernels/half.h"

namespace rmlx::kernels::avx2 {

// n (0..8) float, float16 or bfloat16 values from base[idx..]; the rest read as 0.
template <FloatType T>
inline __m256 load8(const void* base, std::int64_t idx, std::int64_t n) {
  if (n <= 0) return _mm256_setzero_ps();
  if constexpr (T == FloatType::f32) {
    const float* p = static_cast<const float*>(base) + idx;
    if (n >= 8) return _mm256_loadu_ps(p);
    alignas(32) float tmp[8] = {};
    std::memcpy(tmp, p, static_cast<std::size_t>(n) * 4);
    return _mm256_load_ps(tmp);
  } else {
    const std::uint16_t* p = static_cast<const std::uint16_t*>(base) + idx;
    __m128i h;
    if (n >= 8) {
      h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    } else {
      alignas(16) std::uint16_t tmp[8] = {};
      std::memcpy(tmp, p, static_cast<std::size_t>(n) * 2);
      h = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
    }
    if constexpr (T == FloatType::f16) {
      return _mm256_cvtph_ps(h);
    } else {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
  }
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 32 bytes from src, of which only the first `avail` (a multiple of 4) may be read.
inline __m256i load32(const std::uint8_t* src, std::int64_t avail) {
  if (avail >= 32) return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(avail / 4)), lanes);
  return _mm256_maskload_epi32(reinterpret_cast<const int*>(src), m);
}

// 32 values of 3, 5 or 6 bits (BITS * 4 packed bytes, `avail` readable) into out[32].
template <int BITS>
inline void unpack_odd_bits(const std::uint8_t* src, std::int64_t avail, std::uint8_t* out) {
  constexpr std::uint64_t kMask = (1u << BITS) - 1u;
  for (int j = 0; j < 4; ++j) {
    std::uint64_t v = 0;
    const std::int64_t have = std::clamp<std::int64_t>(avail - j * BITS, 0, BITS);
    if (have > 0) std::memcpy(&v, src + j * BITS, static_cast<std::size_t>(have));
    for (int m = 0; m < 8; ++m)
      out[j * 8 + m] = static_cast<std::uint8_t>((v >> (m * BITS)) & kMask);
  }
}

}  // namespace rmlx::kernels::avx2
