// ggml tensor types: block geometry, dequantization to float32 (bit-identical
// to the reference gguf-py implementation: float32 arithmetic, no fused
// multiply-add), and the lossless mapping of Q4_0, Q4_1 and Q8_0 blocks onto
// MLX affine groups of 32.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rmlx::gguf {

enum class GgmlType : std::uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q4_1 = 3,
  q5_0 = 6,
  q5_1 = 7,
  q8_0 = 8,
  q8_1 = 9,
  q2_k = 10,
  q3_k = 11,
  q4_k = 12,
  q5_k = 13,
  q6_k = 14,
  q8_k = 15,
  i8 = 24,
  i16 = 25,
  i32 = 26,
  i64 = 27,
  f64 = 28,
  bf16 = 30,
};

struct TypeTraits {
  const char* name = nullptr;  // "Q4_1"
  std::uint32_t block = 0;     // elements per block
  std::uint32_t bytes = 0;     // bytes per block
  bool dequantizable = false;  // supported by dequantize_row
};

// nullopt for an id this reader does not know.
std::optional<TypeTraits> type_traits(std::uint32_t id);
std::string type_name(std::uint32_t id);  // "Q4_1", or "type 17"

// Dequantizes `n` elements (a multiple of the block size) from `src`.
// Throws std::invalid_argument for a type without dequantization.
void dequantize_row(GgmlType type, const std::uint8_t* src, float* dst, std::int64_t n);

// True for the types that map onto MLX affine g32 without loss (Q4_0, Q4_1, Q8_0).
bool has_affine_form(GgmlType type);
int affine_bits(GgmlType type);  // 4 or 8

// One row of `n` elements of a Q4_0/Q4_1/Q8_0 tensor as MLX affine g32: quantized
// values `q` (n bytes, each < 2^bits) and per-group float16 scale/bias bits, such
// that scale * q + bias (float32) equals dequantize_row exactly. Returns false if a
// bias overflows float16 (Q4_0: 8*d, Q8_0: 128*d beyond 65504); then the float32
// scales/biases (always filled) must be used instead.
bool affine_row(GgmlType type, const std::uint8_t* src, std::int64_t n, std::uint8_t* q,
                std::uint16_t* scales_f16, std::uint16_t* biases_f16, float* scales_f32,
                float* biases_f32);

}  // namespace rmlx::gguf
