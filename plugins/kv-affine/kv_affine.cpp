// Affine integer KV codecs, as MLX quantizes a KV cache: each row (one token of
// one KV head) is split into groups along head_dim (64 values, or the largest of
// 32/16/8 that divides head_dim), and each group stores unsigned codes q with a
// float16 scale s and bias b: x ~ s * q + b, where b is the group minimum and
// s = (max - min) / (2^bits - 1).
//
// Row layout: codes first (int8: one byte each; int4: two per byte, low nibble
// first, as MLX packs them), then one (scale, bias) pair of float16 per group.
// Error bound per element: s / 2, plus the float16 rounding of s and b.
#include <rmlx/sdk/plugin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "rmlx/kernels/half.h"

namespace {

int group_size(int head_dim) {
  for (int g : {64, 32, 16, 8}) {
    if (head_dim % g == 0) return g;
  }
  throw std::invalid_argument("affine KV codec: head_dim " + std::to_string(head_dim) +
                              " is not a multiple of 8");
}

// Decode loops: portable ones (cloned per instruction set so the vectorizer may use
// wide registers), and AVX2 ones that widen 8 codes per instruction.
[[gnu::target_clones("avx512f", "avx2", "default")]] void decode_int8_rows(
    const std::uint8_t* src, int n, int head_dim, int group, std::size_t row_bytes, float* dst) {
  const int n_groups = head_dim / group;
  for (int t = 0; t < n; ++t) {
    const std::uint8_t* row = src + static_cast<std::size_t>(t) * row_bytes;
    const std::uint8_t* meta = row + head_dim;
    float* out = dst + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim);
    for (int g = 0; g < n_groups; ++g) {
      std::uint16_t sb[2];
      std::memcpy(sb, meta + 4 * g, 4);
      const float s = rmlx::kernels::f16_to_f32(sb[0]);
      const float b = rmlx::kernels::f16_to_f32(sb[1]);
      const std::uint8_t* q = row + g * group;
      float* o = out + g * group;
      for (int i = 0; i < group; ++i) o[i] = static_cast<float>(q[i]) * s + b;
    }
  }
}

[[gnu::target_clones("avx512f", "avx2", "default")]] void decode_int4_rows(
    const std::uint8_t* src, int n, int head_dim, int group, std::size_t row_bytes, float* dst) {
  const int n_groups = head_dim / group;
  const int code_bytes = head_dim / 2;
  for (int t = 0; t < n; ++t) {
    const std::uint8_t* row = src + static_cast<std::size_t>(t) * row_bytes;
    const std::uint8_t* meta = row + code_bytes;
    float* out = dst + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim);
    for (int g = 0; g < n_groups; ++g) {
      std::uint16_t sb[2];
      std::memcpy(sb, meta + 4 * g, 4);
      const float s = rmlx::kernels::f16_to_f32(sb[0]);
      const float b = rmlx::kernels::f16_to_f32(sb[1]);
      const std::uint8_t* q = row + g * group / 2;
      float* o = out + g * group;
      for (int i = 0; i < group / 2; ++i) {
        o[2 * i] = static_cast<float>(q[i] & 0x0f) * s + b;
        o[2 * i + 1] = static_cast<float>(q[i] >> 4) * s + b;
      }
    }
  }
}

#if defined(__x86_64__)
inline void scale_bias(const std::uint8_t* meta, int g, float& s, float& b) {
  std::uint16_t sb[2];
  std::memcpy(sb, meta + 4 * g, 4);
  s = rmlx::kernels::f16_to_f32(sb[0]);
  b = rmlx::kernels::f16_to_f32(sb[1]);
}

[[gnu::target("avx2,fma")]] void decode_int8_rows_avx2(const std::uint8_t* src, int n, int head_dim,
                                                       int group, std::size_t row_bytes,
                                                       float* dst) {
  const int n_groups = head_dim / group;
  for (int t = 0; t < n; ++t) {
    const std::uint8_t* row = src + static_cast<std::size_t>(t) * row_bytes;
    float* out = dst + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim);
    for (int g = 0; g < n_groups; ++g) {
      float s = 0.0f, b = 0.0f;
      scale_bias(row + head_dim, g, s, b);
      const __m256 vs = _mm256_set1_ps(s), vb = _mm256_set1_ps(b);
      const std::uint8_t* q = row + g * group;
      float* o = out + g * group;
      for (int i = 0; i < group; i += 8) {  // group is a multiple of 8
        const __m128i c = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + i));
        _mm256_storeu_ps(o + i,
                         _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(c)), vs, vb));
      }
    }
  }
}

[[gnu::target("avx2,fma")]] void decode_int4_rows_avx2(const std::uint8_t* src, int n, int head_dim,
                                                       int group, std::size_t row_bytes,
                                                       float* dst) {
  const int n_groups = head_dim / group;
  const __m128i low4 = _mm_set1_epi8(0x0f);
  for (int t = 0; t < n; ++t) {
    const std::uint8_t* row = src + static_cast<std::size_t>(t) * row_bytes;
    float* out = dst + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim);
    for (int g = 0; g < n_groups; ++g) {
      float s = 0.0f, b = 0.0f;
      scale_bias(row + head_dim / 2, g, s, b);
      const __m256 vs = _mm256_set1_ps(s), vb = _mm256_set1_ps(b);
      const std::uint8_t* q = row + g * group / 2;
      float* o = out + g * group;
      int i = 0;
      for (; i + 16 <= group; i += 16) {
        // 8 bytes -> 16 codes in order (low nibble first), then 8 floats at a time.
        const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + i / 2));
        const __m128i codes = _mm_unpacklo_epi8(_mm_and_si128(bytes, low4),
                                                _mm_and_si128(_mm_srli_epi16(bytes, 4), low4));
        _mm256_storeu_ps(o + i,
                         _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(codes)), vs, vb));
        _mm256_storeu_ps(
            o + i + 8,
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(codes, 8))), vs,
                            vb));
      }
      for (; i < group; i += 2) {
        o[i] = static_cast<float>(q[i / 2] & 0x0f) * s + b;
        o[i + 1] = static_cast<float>(q[i / 2] >> 4) * s + b;
      }
    }
  }
}
#endif

template <int Bits>
class AffineCodec final : public rmlx::sdk::KvCodec {
  static_assert(Bits == 8 || Bits == 4);
  static constexpr int kLevels = (1 << Bits) - 1;

 public:
  AffineCodec() {
#if defined(__x86_64__)
    __builtin_cpu_init();
    avx2_ = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  }

  std::string name() const override {
    return Bits == 8 ? "int8" : "int4";
  }

  std::size_t bytes_per_head_token(int head_dim) const override {
    const auto d = static_cast<std::size_t>(head_dim);
    const auto groups = static_cast<std::size_t>(head_dim / group_size(head_dim));
    return (d * Bits + 7) / 8 + 4 * groups;
  }

  void encode(const float* src, int n_tokens, int head_dim, void* dst) const override {
    const int group = group_size(head_dim);
    const std::size_t row_bytes = bytes_per_head_token(head_dim);
    const std::size_t code_bytes = (static_cast<std::size_t>(head_dim) * Bits + 7) / 8;
    auto* out = static_cast<std::uint8_t*>(dst);
    for (int t = 0; t < n_tokens; ++t) {
      const float* x = src + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim);
      std::uint8_t* row = out + static_cast<std::size_t>(t) * row_bytes;
      std::memset(row, 0, code_bytes);
      for (int g0 = 0; g0 < head_dim; g0 += group) {
        float lo = x[g0], hi = x[g0];
        for (int i = g0; i < g0 + group; ++i) {
          lo = std::min(lo, x[i]);
          hi = std::max(hi, x[i]);
        }
        // Quantize against the stored (float16) scale and bias so that the
        // decoder reproduces exactly what was measured here.
        const std::uint16_t bias_h = rmlx::kernels::f32_to_f16(lo);
        const float bias = rmlx::kernels::f16_to_f32(bias_h);
        float scale = (hi - bias) / kLevels;
        std::uint16_t scale_h = rmlx::kernels::f32_to_f16(scale);
        if (rmlx::kernels::f16_to_f32(scale_h) * kLevels + bias < hi) {
          scale_h = static_cast<std::uint16_t>(scale_h + 1);  // round the scale up one ulp
        }
        scale = rmlx::kernels::f16_to_f32(scale_h);
        const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
        for (int i = g0; i < g0 + group; ++i) {
          const float qf = std::nearbyint((x[i] - bias) * inv);
          const auto q = static_cast<unsigned>(std::clamp(qf, 0.0f, static_cast<float>(kLevels)));
          if constexpr (Bits == 8) {
            row[i] = static_cast<std::uint8_t>(q);
          } else {
            row[i / 2] = static_cast<std::uint8_t>(row[i / 2] | (q << (4 * (i % 2))));
          }
        }
        const std::uint16_t sb[2] = {scale_h, bias_h};
        std::memcpy(row + code_bytes + 4 * static_cast<std::size_t>(g0 / group), sb, 4);
      }
    }
  }

  void decode(const void* src, int n_tokens, int head_dim, float* dst) const override {
    const auto* in = static_cast<const std::uint8_t*>(src);
#if defined(__x86_64__)
    if (avx2_) {
      if constexpr (Bits == 8) {
        decode_int8_rows_avx2(in, n_tokens, head_dim, group_size(head_dim),
                              bytes_per_head_token(head_dim), dst);
      } else {
        decode_int4_rows_avx2(in, n_tokens, head_dim, group_size(head_dim),
                              bytes_per_head_token(head_dim), dst);
      }
      return;
    }
#endif
    if constexpr (Bits == 8) {
      decode_int8_rows(in, n_tokens, head_dim, group_size(head_dim), bytes_per_head_token(head_dim),
                       dst);
    } else {
      decode_int4_rows(in, n_tokens, head_dim, group_size(head_dim), bytes_per_head_token(head_dim),
                       dst);
    }
  }

 private:
  bool avx2_ = false;
};

}  // namespace

RMLX_PLUGIN("kv-affine", "0.1.0", rmlx::sdk::component<rmlx::sdk::KvCodec, AffineCodec<8>>("int8"),
            rmlx::sdk::component<rmlx::sdk::KvCodec, AffineCodec<4>>("int4"))
