// MLX affine quantization ("mode": "affine"), bit-exact with mlx.core.quantize and
// mlx.core.dequantize on the CPU.
//
// A row of `cols` values is split into groups of `group_size` consecutive values;
// each group has a scale s and a bias b with w ~= s * q + b, q in [0, 2^bits - 1].
// Each row of q values is one little-endian bit stream of cols * bits / 32 uint32
// words: value i occupies stream bits [i * bits, (i + 1) * bits), and stream bit k is
// bit k % 32 of word k / 32 (3-, 5- and 6-bit values may straddle two words).
//
// Shapes: w [rows, cols] -> packed [rows, cols * bits / 32], scales/biases
// [rows, cols / group_size]. Scales and biases have the input's float type.
#pragma once

#include <cstdint>

#include "rmlx/kernels/half.h"

namespace rmlx::kernels::affine {

// Throws std::invalid_argument (one line naming the problem) unless bits is one of
// 2,3,4,5,6,8, group_size one of 32,64,128, cols > 0 a multiple of group_size, rows >= 0.
void check_shape(std::int64_t rows, std::int64_t cols, int bits, int group_size);

// uint32 words per packed row.
inline std::int64_t packed_cols(std::int64_t cols, int bits) {
  return cols * bits / 32;
}

// Value i of a packed row.
inline std::uint32_t unpack_one(const std::uint32_t* row, std::int64_t i, int bits) {
  const std::int64_t bit = i * bits;
  const std::int64_t word = bit >> 5;
  const int shift = static_cast<int>(bit & 31);
  std::uint64_t v = row[word] >> shift;
  if (shift + bits > 32) v |= static_cast<std::uint64_t>(row[word + 1]) << (32 - shift);
  return static_cast<std::uint32_t>(v) & ((1u << bits) - 1u);
}

// Packs `cols` values (each < 2^bits) into a row of packed_cols(cols, bits) words.
void pack_row(const std::uint8_t* q, std::int64_t cols, int bits, std::uint32_t* out);
// Unpacks a packed row into `cols` values.
void unpack_row(const std::uint32_t* packed, std::int64_t cols, int bits, std::uint8_t* q);

// float32 input; float32 scales/biases (mx.quantize on a float32 array).
void quantize(const float* w, std::int64_t rows, std::int64_t cols, int bits, int group_size,
              std::uint32_t* packed, float* scales, float* biases);
// float32 output, computed as MLX does for float32: (s * q) + b, two roundings.
void dequantize(const std::uint32_t* packed, const float* scales, const float* biases,
                std::int64_t rows, std::int64_t cols, int bits, int group_size, float* out);

// 16-bit inputs (float16 or bfloat16 bits, chosen by `type`), with scales and biases in
// that same type, as mx.quantize does for a float16/bfloat16 array.
void quantize_16(FloatType type, const std::uint16_t* w, std::int64_t rows, std::int64_t cols,
                 int bits, int group_size, std::uint32_t* packed, std::uint16_t* scales,
                 std::uint16_t* biases);
// Output in `type` (bits), rounded after the multiply and after the add as MLX does.
void dequantize_16(FloatType type, const std::uint32_t* packed, const std::uint16_t* scales,
                   const std::uint16_t* biases, std::int64_t rows, std::int64_t cols, int bits,
                   int group_size, std::uint16_t* out);

// Any scale/bias storage type, float32 output computed in float32 as s * q + b (two
// roundings, no fused multiply-add). This is what the fused matmul kernels compute
// with their exact (float activation) path, and what mlx computes for a model run in
// float32 (scales upcast to float32).
void dequantize_to_f32(FloatType scale_type, const std::uint32_t* packed, const void* scales,
                       const void* biases, std::int64_t rows, std::int64_t cols, int bits,
                       int group_size, float* out);

}  // namespace rmlx::kernels::affine
