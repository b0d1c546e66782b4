// Shared between the quantized matmul driver and its per-ISA kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "rmlx/kernels/qmatmul.h"

namespace rmlx::kernels::qmm::detail {

// Groups per block: one 16-lane vector of scales covers a block.
constexpr int kBlockGroups = 16;

// Activation rows quantized to int8 with one scale per weight group, laid out so that
// a 64-byte load of packed weights lines up with a 64-byte load of activations.
// With planes = 8 / bits (2-bit: 4, 4-bit: 2), a chunk of 64 * planes values stores
// value e * planes + p at byte p * 64 + e: plane p then pairs with the bit field p of
// every weight byte. planes = 1 is the natural order (8-bit and unpacked 3/5/6-bit).
struct QuantActs {
  std::int64_t n = 0;
  std::int64_t cols = 0;
  std::int64_t padded_cols = 0;    // multiple of kBlockGroups * group_size; zero filled
  std::int64_t groups = 0;         // cols / group_size
  std::int64_t padded_groups = 0;  // padded_cols / group_size
  int planes = 1;
  // 1: x ~= scale * q, q in [-127, 127]. 3: 24-bit fixed point in signed base-256
  // digits, x ~= scale * (q2 * 65536 + q1 * 256 + q0), |x / scale| <= 2^22.
  int limbs = 1;
  std::vector<std::int8_t> q;      // [limbs, n, padded_cols]
  std::vector<float> scale;        // [n, padded_groups]: x ~= scale * q
  std::vector<float> sum;          // [n, padded_groups]: exact sum of x over the group
  std::vector<std::int32_t> qsum;  // [n, padded_groups]: sum of q over the group

  [[gnu::always_inline]] const std::int8_t* row_q(std::int64_t i, int limb = 0) const {
    return q.data() + (limb * n + i) * padded_cols;
  }
  [[gnu::always_inline]] const float* row_scale(std::int64_t i) const {
    return scale.data() + i * padded_groups;
  }
  [[gnu::always_inline]] const float* row_sum(std::int64_t i) const {
    return sum.data() + i * padded_groups;
  }
  [[gnu::always_inline]] const std::int32_t* row_qsum(std::int64_t i) const {
    return qsum.data() + i * padded_groups;
  }
};

void quantize_acts(const float* x, std::int64_t n, std::int64_t cols, int group_size, int planes,
                   int limbs, QuantActs& out, ThreadPool* pool = nullptr, Isa isa = Isa::portable);

// Float activations in the layout the exact kernels read: for 2- and 4-bit weights the
// values of each 16 weight bytes are split into planes (as above, with 16 instead of
// 64), else natural order; padded like QuantActs.
struct FloatActs {
  std::int64_t n = 0;
  std::int64_t padded_cols = 0;
  std::int64_t padded_groups = 0;
  std::vector<float> x;    // [n, padded_cols]
  std::vector<float> sum;  // [n, padded_groups]
  [[gnu::always_inline]] const float* row(std::int64_t i) const {
    return x.data() + i * padded_cols;
  }
  [[gnu::always_inline]] const float* row_sum(std::int64_t i) const {
    return sum.data() + i * padded_groups;
  }
};

void prepare_float_acts(const float* x, std::int64_t n, std::int64_t cols, int group_size,
                        int planes, FloatActs& out, ThreadPool* pool = nullptr);

// Kernels: y[i, r] for all activation rows i and weight rows r in [r0, r1).
// ldy is the row stride of y.
void int8_portable(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
                   float* y);
void exact_portable(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                    float* y);
#if defined(__x86_64__)
void int8_avx2(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
               float* y);
void exact_avx2(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                float* y);
// Handles limbs 1 and 3.
void int8_avx512(const AffineWeight& w, const QuantActs& a, std::int64_t r0, std::int64_t r1,
                 float* y);
void exact_avx512(const AffineWeight& w, const FloatActs& a, std::int64_t r0, std::int64_t r1,
                  float* y);
// Rows [i0, i1) of quantize_acts (buffers sized and zeroed) when limbs is 1 and planes
// at most 2; false (nothing done) otherwise.
bool quantize_rows_avx512(const float* x, std::int64_t i0, std::int64_t i1, int group_size,
                          QuantActs& a);
#endif

}  // namespace rmlx::kernels::qmm::detail
