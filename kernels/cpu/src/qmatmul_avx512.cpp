// AVX-512 (VNNI, VBMI) kernels for the fused affine matmul.
#include <algorithm>

#include "qmatmul_impl.h"
#include "rmlx/kernels/affine.h"
#include "simd_avx512.h"

namespace rmlx::kernels::qmm::detail {

namespace {

using avx512::byte_mask;
using avx512::lane_mask;
using avx512::load16;

// Software prefetch distance for a single weight stream; the hardware prefetchers of
// the machines measured fall well short of the bandwidth roofline without it.
constexpr std::int64_t kPrefetchAhead = 8192;
// A second, far prefetch once per block and row: a model's weights span hundreds of MB
// of 4 KiB pages (file mappings), and a page walk that starts only when the near
// prefetch reaches a page stalls the stream; this one starts it several pages early.
constexpr std::int64_t kPrefetchFar = 65536;

template <int BITS>
struct Layout {
  static constexpr bool kDirect = BITS == 2 || BITS == 4 || BITS == 8;
  static constexpr int kPlanes = BITS == 2 ? 4 : BITS == 4 ? 2 : 1;
  static constexpr int kValues = 64 * kPlanes;       // values per 64-byte chunk of q
  static constexpr int kBytes = kValues * BITS / 8;  // packed bytes per chunk
  static constexpr int kLaneValues = 4 * kPlanes;    // values per int32 lane
};

// Bit-field planes of one chunk of packed weights.
template <int BITS>
inline void load_planes(const std::uint8_t* src, std::int64_t avail, __m512i* p) {
  if constexpr (Layout<BITS>::kDirect) {
    const __m512i v = _mm512_maskz_loadu_epi8(byte_mask(avail), src);
    if constexpr (BITS == 8) {
      p[0] = v;
    } else {
      const __m512i m = _mm512_set1_epi8(static_cast<char>((1 << BITS) - 1));
      for (int k = 0; k < Layout<BITS>::kPlanes; ++k) {
        p[k] = _mm512_and_si512(k == 0 ? v : _mm512_srli_epi16(v, k * BITS), m);
      }
    }
  } else {
    p[0] = avx512::unpack_odd_bits<BITS>(src, avail);
  }
}

// R weight rows against C activation rows; y[i, r] for r in [r, r + R), i in [i0, i0 + C).
// Lane -> group (within a 16-group block) for every chunk of a block.
template <int BITS>
struct LaneGroups {
  static constexpr int kMaxChunks = 16 * 128 / Layout<BITS>::kValues;
  alignas(64) std::int32_t idx[kMaxChunks][16];
  explicit LaneGroups(int log2g) {
    for (int c = 0; c < kMaxChunks; ++c) {
      for (int l = 0; l < 16; ++l)
        idx[c][l] = ((c * Layout<BITS>::kValues + l * Layout<BITS>::kLaneValues) >> log2g) & 15;
    }
  }
};

// Prefetches stop at row r_end, the end of the calling task's rows: past it they would
// pull the rows of another thread's task into this core's cache (measured: 2-thread
// decode of a 1B model went from 1.1x to 1.5x the 1-thread rate with this bound).
template <int BITS, FloatType ST, int R, int C, int LIMBS>
void int8_tile(const AffineWeight& w, const QuantActs& a, const LaneGroups<BITS>& lg,
               std::int64_t r, std::int64_t i0, std::int64_t r_end, float* y) {
  using L = Layout<BITS>;
  const int g = w.group_size;
  const int log2g = g == 32 ? 5 : g == 64 ? 6 : 7;
  const std::int64_t groups = a.groups;
  const std::int64_t row_bytes = w.cols * BITS / 8;
  const auto* base = reinterpret_cast<const std::uint8_t*>(w.packed);
  const std::uint8_t* last = base + r_end * row_bytes - 1;
  const std::int64_t last_group = r_end * groups - 1;
  const bool symmetric = w.bias_per_scale != 0.0f;
  __m512 acc[R][C];
  for (int rr = 0; rr < R; ++rr) {
    for (int c = 0; c < C; ++c) acc[rr][c] = _mm512_setzero_ps();
  }
  for (std::int64_t g0 = 0; g0 < groups; g0 += kBlockGroups) {
    const __mmask16 gm = lane_mask(groups - g0);
    __m512 dx[C];
    for (int c = 0; c < C; ++c) {
      dx[c] = _mm512_loadu_ps(a.row_scale(i0 + c) + g0);
      const __m512 sx = _mm512_loadu_ps(a.row_sum(i0 + c) + g0);
      for (int rr = 0; rr < R; ++rr) {
        // Symmetric weights (bias = k * scale exactly): the same bias, without its bytes.
        const __m512 b = symmetric ? _mm512_mul_ps(_mm512_set1_ps(w.bias_per_scale),
                                                   load16<ST>(w.scales, (r + rr) * groups + g0, gm))
                                   : load16<ST>(w.biases, (r + rr) * groups + g0, gm);
        acc[rr][c] = _mm512_fmadd_ps(b, sx, acc[rr][c]);
      }
    }
    __m512 sw[R];
    for (int rr = 0; rr < R; ++rr) {
      // Scales and biases of the rows the weight prefetch is fetching (8 KiB ahead).
      const std::int64_t ahead =
          std::min(last_group, (r + rr) * groups + g0 +
                                   std::max<std::int64_t>(R, kPrefetchAhead / row_bytes) * groups);
      avx512::prefetch_groups<ST>(w.scales, ahead);
      if (!symmetric) avx512::prefetch_groups<ST>(w.biases, ahead);
      sw[rr] = load16<ST>(w.scales, (r + rr) * groups + g0, gm);
      if constexpr (C == 1) sw[rr] = _mm512_mul_ps(sw[rr], dx[0]);
    }
    const std::int64_t k0 = g0 << log2g;
    const std::int64_t kend = std::min(w.cols, k0 + (std::int64_t{kBlockGroups} << log2g));
    if constexpr (kPrefetchFar > 0) {
      // Once per 4 KiB page of the far address: starting the page walk is all it is
      // for. One per 16-group block (every 256 bytes of 4-bit rows) made one decode
      // step's matmuls of the 1B Q4 import 21.2 ms instead of 19.2-19.5 at one thread on
      // the mapped weights, and 19.5 instead of 19.1 on 2 MiB pages (8-bit: no change).
      constexpr std::uintptr_t kBlockBytes = kBlockGroups * 32 * BITS / 8;
      for (int rr = 0; rr < R; ++rr) {
        const std::uint8_t* far = base + (r + rr) * row_bytes + k0 * BITS / 8 + kPrefetchFar;
        if ((reinterpret_cast<std::uintptr_t>(far) & 4095) < kBlockBytes * (g >> 5)) {
          _mm_prefetch(reinterpret_cast<const char*>(std::min(far, last)), _MM_HINT_T1);
        }
      }
    }
    for (std::int64_t k = k0; k < kend; k += L::kValues) {
      const __m512i idx = _mm512_load_si512(lg.idx[(k - k0) / L::kValues]);
      __m512 dl[C];
      if constexpr (C > 1) {
        for (int c = 0; c < C; ++c) dl[c] = _mm512_permutexvar_ps(idx, dx[c]);
      }
      const std::int64_t boff = k * BITS / 8;
      for (int rr = 0; rr < R; ++rr) {
        __m512i p[L::kPlanes];
        const std::uint8_t* src = base + (r + rr) * row_bytes + boff;
        // The rows of a tile are separate streams, which the hardware prefetchers follow
        // poorly. The tile ahead is fetched in address order instead, R lines per step,
        // so that it is one sequential stream (real weights, one decode step's matmuls:
        // 1B Q4 23.5 -> 21.9 ms, SmolLM2 Q8 5.0 -> 4.4 ms at one thread; fetching the
        // same spot of the next tile's rows made 4-row tiles of 2 KiB rows 20% slower
        // than single rows).
        const std::uint8_t* ahead =
            R == 1 ? src + std::max<std::int64_t>(row_bytes, kPrefetchAhead)
                   : base + r * row_bytes + std::max<std::int64_t>(R * row_bytes, kPrefetchAhead) +
                         boff * R + rr * 64;
        _mm_prefetch(reinterpret_cast<const char*>(std::min(ahead, last)), _MM_HINT_T0);
        load_planes<BITS>(src, row_bytes - boff, p);
        const __m512 sl = _mm512_permutexvar_ps(idx, sw[rr]);
        for (int c = 0; c < C; ++c) {
          __m512 dot;
          if constexpr (LIMBS == 1) {
            const std::int8_t* xq = a.row_q(i0 + c) + k;
            __m512i d = _mm512_setzero_si512();
            for (int pl = 0; pl < L::kPlanes; ++pl) {
              d = _mm512_dpbusd_epi32(d, p[pl], _mm512_loadu_si512(xq + 64 * pl));
            }
            dot = _mm512_cvtepi32_ps(d);
          } else {
            // Digit dot products are exact int32; combining them rounds once per
            // lane, like a float32 product would.
            __m512 part[3];
            for (int limb = 0; limb < 3; ++limb) {
              const std::int8_t* xq = a.row_q(i0 + c, limb) + k;
              __m512i d = _mm512_setzero_si512();
              for (int pl = 0; pl < L::kPlanes; ++pl) {
                d = _mm512_dpbusd_epi32(d, p[pl], _mm512_loadu_si512(xq + 64 * pl));
              }
              part[limb] = _mm512_cvtepi32_ps(d);
            }
            dot = _mm512_fmadd_ps(part[2], _mm512_set1_ps(65536.0f),
                                  _mm512_fmadd_ps(part[1], _mm512_set1_ps(256.0f), part[0]));
          }
          const __m512 scale = C == 1 ? sl : _mm512_mul_ps(sl, dl[c]);
          acc[rr][c] = _mm512_fmadd_ps(dot, scale, acc[rr][c]);
        }
      }
    }
  }
  for (int rr = 0; rr < R; ++rr) {
    for (int c = 0; c < C; ++c) y[(i0 + c) * w.rows + r + rr] = _mm512_reduce_add_ps(acc[rr][c]);
  }
}

template <int BITS, FloatType ST, int LIMBS>
void int8_rows_limbs(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
                     float* y) {
  constexpr int kR = 4;
  constexpr int kC = 3;
  const LaneGroups<BITS> lg(w.group_size == 32 ? 5 : w.group_size == 64 ? 6 : 7);
  // The tiles prefetch ahead of themselves; the start of the range is fetched here.
  const std::int64_t row_bytes = w.cols * BITS / 8;
  const auto* first = reinterpret_cast<const char*>(w.packed) + r0 * row_bytes;
  const std::int64_t lead = std::min(kPrefetchAhead, (r1 - r0) * row_bytes);
  for (std::int64_t off = 0; off < lead; off += 64) _mm_prefetch(first + off, _MM_HINT_T0);
  std::int64_t r = r0;
  // One activation row: 4- and 8-bit rows are tiled too. 4-bit: half the compute per
  // weight byte of the single-row loop, at the same memory traffic. 8-bit: the per-row
  // block and reduction overhead dominates short rows (SmolLM2 Q8 matmuls 5.8 -> 4.5 ms
  // per token at one thread), and with the tile ahead prefetched in address order long
  // rows stream faster tiled too (1B Q8 real weights, one decode step's matmuls at one
  // thread: 38.8 -> 36.1 ms; row by row was faster before that prefetch order).
  // 8-bit rows longer than 4 KiB (a 1B model's down_proj: 8 KiB) go two at a time: a
  // 4-row tile spans 32 KiB and its tile-ahead prefetch as much again, more than L1
  // holds (1B Q8 down_proj, one decode step at one thread: 8.2-8.5 -> 7.5-7.6 ms).
  // 4-bit rows of 4 KiB gain nothing from it.
  if constexpr (BITS == 8) {
    if (a.n == 1 && row_bytes > 4096) {
      for (; r + 2 <= r1; r += 2) int8_tile<BITS, ST, 2, 1, LIMBS>(w, a, lg, r, 0, r1, y);
    }
  }
  for (; (a.n > 1 || BITS == 4 || BITS == 8) && r + kR <= r1; r += kR) {
    std::int64_t i = 0;
    if (a.n > 1) {
      for (; i + kC <= a.n; i += kC) int8_tile<BITS, ST, kR, kC, LIMBS>(w, a, lg, r, i, r1, y);
    }
    // Two rows left (a verification of 2, 5, 8 ... rows): unpack the weights once.
    if (a.n - i == 2) {
      int8_tile<BITS, ST, kR, 2, LIMBS>(w, a, lg, r, i, r1, y);
      i += 2;
    }
    for (; i < a.n; ++i) int8_tile<BITS, ST, kR, 1, LIMBS>(w, a, lg, r, i, r1, y);
  }
  for (; r < r1; ++r) {
    std::int64_t i = 0;
    for (; i + kC <= a.n; i += kC) int8_tile<BITS, ST, 1, kC, LIMBS>(w, a, lg, r, i, r1, y);
    for (; i < a.n; ++i) int8_tile<BITS, ST, 1, 1, LIMBS>(w, a, lg, r, i, r1, y);
  }
}

template <int BITS, FloatType ST>
void int8_rows(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
               float* y) {
  if (a.limbs == 3) {
    int8_rows_limbs<BITS, ST, 3>(w, a, r0, r1, y);
  } else {
    int8_rows_limbs<BITS, ST, 1>(w, a, r0, r1, y);
  }
}

template <FloatType ST>
void int8_by_bits(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
                  float* y) {
  switch (w.bits) {
    case 2:
      return int8_rows<2, ST>(w, a, r0, r1, y);
    case 3:
      return int8_rows<3, ST>(w, a, r0, r1, y);
    case 4:
      return int8_rows<4, ST>(w, a, r0, r1, y);
    case 5:
      return int8_rows<5, ST>(w, a, r0, r1, y);
    case 6:
      return int8_rows<6, ST>(w, a, r0, r1, y);
    default:
      return int8_rows<8, ST>(w, a, r0, r1, y);
  }
}

}  // namespace

void int8_avx512(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
                 float* y) {
  switch (w.scale_type) {
    case FloatType::f16:
      return int8_by_bits<FloatType::f16>(w, a, r0, r1, y);
    case FloatType::bf16:
      return int8_by_bits<FloatType::bf16>(w, a, r0, r1, y);
    case FloatType::f32:
      return int8_by_bits<FloatType::f32>(w, a, r0, r1, y);
  }
}

}  // namespace rmlx::kernels::qmm::detail
