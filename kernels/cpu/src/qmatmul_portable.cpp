// Plain C++ kernels: the path for CPUs without AVX2, and the behaviour the SIMD
// kernels must reproduce.
#include <vector>

#include "qmatmul_impl.h"
#include "rmlx/kernels/affine.h"

namespace rmlx::kernels::qmm::detail {

namespace {

// Unpacks a packed row with 64-bit windows (bits <= 8, so one window holds a value).
void unpack_fast(const std::uint32_t* packed, std::int64_t cols, int bits, std::uint8_t* out) {
  const std::uint32_t mask = (1u << bits) - 1u;
  if (32 % bits == 0) {
    const int per = 32 / bits;
    for (std::int64_t w = 0; w < cols / per; ++w) {
      std::uint32_t v = packed[w];
      for (int j = 0; j < per; ++j, v >>= bits)
        out[w * per + j] = static_cast<std::uint8_t>(v & mask);
    }
    return;
  }
  for (std::int64_t i = 0; i < cols; ++i)
    out[i] = static_cast<std::uint8_t>(affine::unpack_one(packed, i, bits));
}

}  // namespace

void int8_portable(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
                   float* y) {
  const int g = w.group_size;
  const std::int64_t groups = w.cols / g;
  const std::int64_t pcols = affine::packed_cols(w.cols, w.bits);
  std::vector<std::uint8_t> q(static_cast<std::size_t>(w.cols));
  for (std::int64_t r = r0; r < r1; ++r) {
    unpack_fast(w.packed + r * pcols, w.cols, w.bits, q.data());
    for (std::int64_t i = 0; i < a.n; ++i) {
      const std::int8_t* xq = a.row_q(i);
      float acc = 0.0f;
      for (std::int64_t gi = 0; gi < groups; ++gi) {
        std::int32_t dot = 0;
        for (int j = 0; j < g; ++j)
          dot += static_cast<std::int32_t>(q[gi * g + j]) * xq[gi * g + j];
        const float s = load_float(w.scales, w.scale_type, r * groups + gi);
        const float b = load_float(w.biases, w.scale_type, r * groups + gi);
        acc += s * a.row_scale(i)[gi] * static_cast<float>(dot) + b * a.row_sum(i)[gi];
      }
      y[i * w.rows + r] = acc;
    }
  }
}

void exact_portable(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                    float* y) {
  const int g = w.group_size;
  const std::int64_t groups = w.cols / g;
  const std::int64_t pcols = affine::packed_cols(w.cols, w.bits);
  std::vector<std::uint8_t> q(static_cast<std::size_t>(w.cols));
  for (std::int64_t r = r0; r < r1; ++r) {
    unpack_fast(w.packed + r * pcols, w.cols, w.bits, q.data());
    for (std::int64_t i = 0; i < a.n; ++i) {
      const float* x = a.row(i);
      float acc = 0.0f;
      for (std::int64_t gi = 0; gi < groups; ++gi) {
        float dot = 0.0f;
        for (int j = 0; j < g; ++j) dot += static_cast<float>(q[gi * g + j]) * x[gi * g + j];
        const float s = load_float(w.scales, w.scale_type, r * groups + gi);
        const float b = load_float(w.biases, w.scale_type, r * groups + gi);
        acc += s * dot + b * a.row_sum(i)[gi];
      }
      y[i * w.rows + r] = acc;
    }
  }
}

}  // namespace rmlx::kernels::qmm::detail
