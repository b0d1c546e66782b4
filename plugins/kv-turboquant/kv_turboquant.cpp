// The turboquant KV codec (after TurboQuant, Zandieh et al. 2025): each row (one
// token of one KV head) is rotated by a fixed random orthogonal matrix, then every
// coordinate is quantized to 4 bits with the Lloyd-Max quantizer of the rotated
// coordinate distribution. A random rotation spreads outlier channels over all
// coordinates, so one scalar quantizer fits every coordinate of every row and
// no per-group minimum or range is stored.
//
// Rotation R = H D / sqrt(p): D flips signs drawn once from a fixed seed, H is
// the Walsh-Hadamard matrix of order p (the largest power of two dividing
// head_dim, applied blockwise), so R is orthogonal and costs p log p additions.
// The row keeps one float32 gain g, the least-squares fit of the codebook values
// to the rotated row (so x ~ g * R^T c); its direction and length both survive.
//
// Row layout: head_dim 4-bit codes (two per byte, low nibble first), then g:
// head_dim / 2 + 4 bytes, the same as int4 with 64-value groups.
// The optional 1-bit residual sketch (QJL) of the paper is not stored: it makes
// inner products unbiased but adds variance, which softmax attention amplifies.
#include <rmlx/sdk/plugin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "codebook.h"
#include "rotation.h"

namespace {

using rmlx::kv_turboquant::Codebook;
using rmlx::kv_turboquant::Rotation;

[[gnu::target_clones("avx512f", "avx2", "default")]] void unpack_scaled(const std::uint8_t* codes,
                                                                        int head_dim,
                                                                        const float* levels,
                                                                        float gain, float* out) {
  for (int i = 0; i < head_dim / 2; ++i) {
    out[2 * i] = levels[codes[i] & 0x0f] * gain;
    out[2 * i + 1] = levels[codes[i] >> 4] * gain;
  }
}

#if defined(__x86_64__)
// 16 codes per 8 bytes; each looked up in the 16-level table held in two
// registers (a permute per half, bit 3 of the code picks the half).
[[gnu::target("avx2,fma")]] void unpack_scaled_avx2(const std::uint8_t* codes, int head_dim,
                                                    const float* levels, float gain, float* out) {
  const __m128i low4 = _mm_set1_epi8(0x0f);
  const __m256 lo_tab = _mm256_loadu_ps(levels), hi_tab = _mm256_loadu_ps(levels + 8);
  const __m256 g = _mm256_set1_ps(gain);
  int i = 0;
  for (; i + 16 <= head_dim; i += 16) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i / 2));
    const __m128i c = _mm_unpacklo_epi8(_mm_and_si128(bytes, low4),
                                        _mm_and_si128(_mm_srli_epi16(bytes, 4), low4));
    for (int half = 0; half < 2; ++half) {
      const __m256i idx = _mm256_cvtepu8_epi32(half == 0 ? c : _mm_srli_si128(c, 8));
      const __m256 v = _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo_tab, idx),
                                        _mm256_permutevar8x32_ps(hi_tab, idx),
                                        _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
      _mm256_storeu_ps(out + i + 8 * half, _mm256_mul_ps(v, g));
    }
  }
  for (; i < head_dim; i += 2) {
    out[i] = levels[codes[i / 2] & 0x0f] * gain;
    out[i + 1] = levels[codes[i / 2] >> 4] * gain;
  }
}
#endif

#if defined(__x86_64__)
// The whole tile at once: 16 codes per 8 bytes, all 16 levels in one register,
// one permute per 16 values. (The zero-masked forms sidestep a GCC 12
// maybe-uninitialized false positive in the unmasked intrinsics.)
[[gnu::target("avx512f")]] void decode_rows_avx512(const std::uint8_t* src, int n, int head_dim,
                                                   std::size_t row_bytes, const float* levels,
                                                   float* dst) {
  const __m128i low4 = _mm_set1_epi8(0x0f);
  const __m512 tab = _mm512_loadu_ps(levels);
  for (int t = 0; t < n; ++t) {
    const std::uint8_t* row = src + static_cast<std::size_t>(t) * row_bytes;
    float* out = dst + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim);
    float gain = 0.0f;
    std::memcpy(&gain, row + head_dim / 2, 4);
    const __m512 g = _mm512_set1_ps(gain);
    int i = 0;
    for (; i + 16 <= head_dim; i += 16) {
      const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + i / 2));
      const __m128i c = _mm_unpacklo_epi8(_mm_and_si128(bytes, low4),
                                          _mm_and_si128(_mm_srli_epi16(bytes, 4), low4));
      _mm512_storeu_ps(
          out + i,
          _mm512_mul_ps(
              _mm512_maskz_permutexvar_ps(0xffff, _mm512_maskz_cvtepu8_epi32(0xffff, c), tab), g));
    }
    for (; i < head_dim; i += 2) {
      out[i] = levels[row[i / 2] & 0x0f] * gain;
      out[i + 1] = levels[row[i / 2] >> 4] * gain;
    }
  }
}
#endif

class TurboQuantCodec final : public rmlx::sdk::KvCodec {
 public:
  TurboQuantCodec() : gaussian_(rmlx::kv_turboquant::lloyd_max(0)) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    avx2_ = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    avx512_ = __builtin_cpu_supports("avx512f");
#endif
    for (std::size_t i = 0; i < kFitted.size(); ++i) {
      fitted_[i] = rmlx::kv_turboquant::lloyd_max(kFitted[i], &gaussian_);
    }
  }

  std::string name() const override {
    return "turboquant";
  }

  std::size_t bytes_per_head_token(int head_dim) const override {
    Rotation::block_order(head_dim);
    return static_cast<std::size_t>(head_dim) / 2 + 4;
  }

  void encode(const float* src, int n_tokens, int head_dim, void* dst) const override {
    const Codebook& cb = codebook(head_dim);
    const std::size_t row_bytes = bytes_per_head_token(head_dim);
    const float sqrt_d = std::sqrt(static_cast<float>(head_dim));
    std::vector<float> y(static_cast<std::size_t>(head_dim));
    auto* out = static_cast<std::uint8_t*>(dst);
    for (int t = 0; t < n_tokens; ++t) {
      const float* x = src + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim);
      std::uint8_t* row = out + static_cast<std::size_t>(t) * row_bytes;
      std::copy_n(x, head_dim, y.data());
      rotation_.forward(y.data(), head_dim);
      double norm2 = 0.0;
      for (int i = 0; i < head_dim; ++i) {
        norm2 += static_cast<double>(y[i]) * y[i];
      }
      const float norm = static_cast<float>(std::sqrt(norm2));
      const float to_unit = norm > 0.0f ? sqrt_d / norm : 0.0f;
      double dot = 0.0, cc = 0.0;
      std::memset(row, 0, static_cast<std::size_t>(head_dim) / 2);
      for (int i = 0; i < head_dim; ++i) {
        const int k = cb.index(y[i] * to_unit);
        const float c = cb.levels[static_cast<std::size_t>(k)];
        dot += static_cast<double>(c) * y[i];
        cc += static_cast<double>(c) * c;
        row[i / 2] = static_cast<std::uint8_t>(row[i / 2] | (k << (4 * (i % 2))));
      }
      const float gain = cc > 0.0 && std::isfinite(norm) ? static_cast<float>(dot / cc) : 0.0f;
      std::memcpy(row + head_dim / 2, &gain, 4);
    }
  }

  void decode(const void* src, int n_tokens, int head_dim, float* dst) const override {
    decode_rotated(src, n_tokens, head_dim, dst);
    unrotate(dst, n_tokens, head_dim);
  }

  // Attention works in the rotated basis: the rows then cost one table lookup
  // and one multiply per value to read, and the queries and outputs are rotated
  // instead (once per head per step rather than once per cached row).
  bool has_rotation() const override {
    return true;
  }

  void rotate(float* x, int n, int head_dim) const override {
    for (int t = 0; t < n; ++t) {
      rotation_.forward(x + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim),
                        head_dim);
    }
  }

  void unrotate(float* x, int n, int head_dim) const override {
    for (int t = 0; t < n; ++t) {
      rotation_.inverse(x + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim),
                        head_dim);
    }
  }

  void decode_rotated(const void* src, int n_tokens, int head_dim, float* dst) const override {
    const Codebook& cb = codebook(head_dim);
    const std::size_t row_bytes = bytes_per_head_token(head_dim);
    const auto* in = static_cast<const std::uint8_t*>(src);
#if defined(__x86_64__)
    if (avx512_) {
      decode_rows_avx512(in, n_tokens, head_dim, row_bytes, cb.levels.data(), dst);
      return;
    }
#endif
    for (int t = 0; t < n_tokens; ++t) {
      const std::uint8_t* row = in + static_cast<std::size_t>(t) * row_bytes;
      float gain = 0.0f;
      std::memcpy(&gain, row + head_dim / 2, 4);
      float* out = dst + static_cast<std::size_t>(t) * static_cast<std::size_t>(head_dim);
#if defined(__x86_64__)
      if (avx2_) {
        unpack_scaled_avx2(row, head_dim, cb.levels.data(), gain, out);
        continue;
      }
#endif
      unpack_scaled(row, head_dim, cb.levels.data(), gain, out);
    }
  }

 private:
  // Head sizes whose exact coordinate distribution gets its own codebook; any
  // other uses the Gaussian limit, which they approach as head_dim grows.
  static constexpr std::array<int, 8> kFitted = {32, 48, 64, 80, 96, 128, 192, 256};

  const Codebook& codebook(int head_dim) const {
    for (std::size_t i = 0; i < kFitted.size(); ++i) {
      if (kFitted[i] == head_dim) return fitted_[i];
    }
    return gaussian_;
  }

  Rotation rotation_;
  bool avx2_ = false;
  bool avx512_ = false;
  Codebook gaussian_;
  std::array<Codebook, kFitted.size()> fitted_;
};

}  // namespace

RMLX_PLUGIN("kv-turboquant", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::KvCodec, TurboQuantCodec>("turboquant"))
