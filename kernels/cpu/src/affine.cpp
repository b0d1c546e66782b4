#include "rmlx/kernels/affine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace rmlx::kernels::affine {

void check_shape(std::int64_t rows, std::int64_t cols, int bits, int group_size) {
  if (bits != 2 && bits != 3 && bits != 4 && bits != 5 && bits != 6 && bits != 8) {
    throw std::invalid_argument("affine: bits must be 2, 3, 4, 5, 6 or 8, got " +
                                std::to_string(bits));
  }
  if (group_size != 32 && group_size != 64 && group_size != 128) {
    throw std::invalid_argument("affine: group_size must be 32, 64 or 128, got " +
                                std::to_string(group_size));
  }
  if (rows < 0) throw std::invalid_argument("affine: negative row count");
  if (cols <= 0 || cols % group_size != 0) {
    throw std::invalid_argument("affine: cols (" + std::to_string(cols) +
                                ") must be a positive multiple of group_size (" +
                                std::to_string(group_size) + ")");
  }
}

void pack_row(const std::uint8_t* q, std::int64_t cols, int bits, std::uint32_t* out) {
  const std::int64_t words = packed_cols(cols, bits);
  std::uint64_t acc = 0;
  int filled = 0;
  std::int64_t w = 0;
  for (std::int64_t i = 0; i < cols; ++i) {
    acc |= static_cast<std::uint64_t>(q[i] & ((1u << bits) - 1u)) << filled;
    filled += bits;
    if (filled >= 32) {
      out[w++] = static_cast<std::uint32_t>(acc);
      acc >>= 32;
      filled -= 32;
    }
  }
  for (; w < words; ++w) {
    out[w] = static_cast<std::uint32_t>(acc);
    acc >>= 32;
  }
}

void unpack_row(const std::uint32_t* packed, std::int64_t cols, int bits, std::uint8_t* q) {
  for (std::int64_t i = 0; i < cols; ++i)
    q[i] = static_cast<std::uint8_t>(unpack_one(packed, i, bits));
}

namespace {

// One group, exactly as MLX's CPU quantizer: min/max in float32, the edge of larger
// magnitude maps to an integer so that 0 stays exact, then rint (ties to even).
template <typename Load>
void quantize_group(Load load, std::int64_t base, int bits, int group_size, std::uint8_t* q,
                    float& scale_out, float& bias_out) {
  const float n_bins = static_cast<float>((1 << bits) - 1);
  const float eps = 1e-7f;
  float w_min = std::numeric_limits<float>::infinity();
  float w_max = -w_min;
  for (int j = 0; j < group_size; ++j) {
    const float v = load(base + j);
    if (!std::isfinite(v)) {
      throw std::invalid_argument("affine: cannot quantize non-finite value " + std::to_string(v) +
                                  " at flat index " + std::to_string(base + j));
    }
    w_max = std::max(w_max, v);
    w_min = std::min(w_min, v);
  }
  const bool mask = std::abs(w_min) > std::abs(w_max);
  float scale = std::max((w_max - w_min) / n_bins, eps);
  scale = mask ? scale : -scale;
  const float edge = mask ? w_min : w_max;
  const float q0 = std::rint(edge / scale);
  float bias = 0.0f;
  if (q0 != 0.0f) {
    scale = edge / q0;
    bias = edge;
  }
  for (int j = 0; j < group_size; ++j) {
    float v = std::rint((load(base + j) - bias) / scale);
    v = std::min(std::max(v, 0.0f), n_bins);
    q[j] = static_cast<std::uint8_t>(v);
  }
  scale_out = scale;
  bias_out = bias;
}

template <typename Load, typename Store>
void quantize_impl(Load load, Store store, std::int64_t rows, std::int64_t cols, int bits,
                   int group_size, std::uint32_t* packed) {
  check_shape(rows, cols, bits, group_size);
  std::vector<std::uint8_t> q(static_cast<std::size_t>(cols));
  const std::int64_t groups = cols / group_size;
  const std::int64_t pcols = packed_cols(cols, bits);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t g = 0; g < groups; ++g) {
      float s = 0.0f;
      float b = 0.0f;
      quantize_group(load, r * cols + g * group_size, bits, group_size, q.data() + g * group_size,
                     s, b);
      store(r * groups + g, s, b);
    }
    pack_row(q.data(), cols, bits, packed + r * pcols);
  }
}

template <typename Emit>
void dequantize_impl(const std::uint32_t* packed, std::int64_t rows, std::int64_t cols, int bits,
                     int group_size, Emit emit) {
  check_shape(rows, cols, bits, group_size);
  std::vector<std::uint8_t> q(static_cast<std::size_t>(cols));
  const std::int64_t groups = cols / group_size;
  const std::int64_t pcols = packed_cols(cols, bits);
  for (std::int64_t r = 0; r < rows; ++r) {
    unpack_row(packed + r * pcols, cols, bits, q.data());
    for (std::int64_t c = 0; c < cols; ++c) emit(r * cols + c, r * groups + c / group_size, q[c]);
  }
}

std::uint16_t to_16(FloatType t, float v) {
  return t == FloatType::bf16 ? f32_to_bf16(v) : f32_to_f16(v);
}

void check_16(FloatType t) {
  if (t == FloatType::f32) {
    throw std::invalid_argument("affine: 16-bit variant called with float32 type");
  }
}

}  // namespace

void quantize(const float* w, std::int64_t rows, std::int64_t cols, int bits, int group_size,
              std::uint32_t* packed, float* scales, float* biases) {
  quantize_impl([w](std::int64_t i) { return w[i]; },
                [scales, biases](std::int64_t i, float s, float b) {
                  scales[i] = s;
                  biases[i] = b;
                },
                rows, cols, bits, group_size, packed);
}

void dequantize(const std::uint32_t* packed, const float* scales, const float* biases,
                std::int64_t rows, std::int64_t cols, int bits, int group_size, float* out) {
  dequantize_to_f32(FloatType::f32, packed, scales, biases, rows, cols, bits, group_size, out);
}

void quantize_16(FloatType type, const std::uint16_t* w, std::int64_t rows, std::int64_t cols,
                 int bits, int group_size, std::uint32_t* packed, std::uint16_t* scales,
                 std::uint16_t* biases) {
  check_16(type);
  quantize_impl([w, type](std::int64_t i) { return load_float(w, type, i); },
                [scales, biases, type](std::int64_t i, float s, float b) {
                  scales[i] = to_16(type, s);
                  biases[i] = to_16(type, b);
                },
                rows, cols, bits, group_size, packed);
}

void dequantize_16(FloatType type, const std::uint32_t* packed, const std::uint16_t* scales,
                   const std::uint16_t* biases, std::int64_t rows, std::int64_t cols, int bits,
                   int group_size, std::uint16_t* out) {
  check_16(type);
  dequantize_impl(packed, rows, cols, bits, group_size,
                  [&](std::int64_t o, std::int64_t g, std::uint32_t q) {
                    const float s = load_float(scales, type, g);
                    const float b = load_float(biases, type, g);
                    const float sq = round_to(type, s * static_cast<float>(q));
                    out[o] = to_16(type, sq + b);
                  });
}

void dequantize_to_f32(FloatType scale_type, const std::uint32_t* packed, const void* scales,
                       const void* biases, std::int64_t rows, std::int64_t cols, int bits,
                       int group_size, float* out) {
  dequantize_impl(packed, rows, cols, bits, group_size,
                  [&](std::int64_t o, std::int64_t g, std::uint32_t q) {
                    const float s = load_float(scales, scale_type, g);
                    const float b = load_float(biases, scale_type, g);
                    out[o] = s * static_cast<float>(q) + b;  // built with -ffp-contract=off
                  });
}

}  // namespace rmlx::kernels::affine
