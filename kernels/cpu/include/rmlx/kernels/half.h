// Exact conversions between float32 and the 16-bit float formats (IEEE binary16 and
// bfloat16), rounding to nearest, ties to even, as hardware converters do.
#pragma once

#include <bit>
#include <cstdint>

namespace rmlx::kernels {

[[gnu::always_inline]] inline float bf16_to_f32(std::uint16_t h) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
}

[[gnu::always_inline]] inline std::uint16_t f32_to_bf16(float f) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep the sign, force a quiet NaN
    return static_cast<std::uint16_t>((u >> 16) | 0x0040u);
  }
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}

[[gnu::always_inline]] inline float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
  if (mant == 0) return std::bit_cast<float>(sign);
  // Subnormal half: value = mant * 2^-24, exact in float.
  const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
  return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(v));
}

[[gnu::always_inline]] inline std::uint16_t f32_to_f16(float f) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (a >= 0x38800000u) {               // normal half range (>= 2^-14)
    std::uint32_t r = a - 0x38000000u;  // rebias exponent 127 -> 15
    r += 0xfffu + ((r >> 13) & 1u);
    return static_cast<std::uint16_t>(sign | (r >> 13));
  }
  if (a < 0x33000000u) return sign;  // below half the smallest subnormal: rounds to zero
  // Subnormal half: shift the full mantissa into place, rounding to nearest even.
  const std::uint32_t exp = a >> 23;
  const std::uint32_t mant = (a & 0x7fffffu) | 0x800000u;
  const std::uint32_t shift = 126u - exp;  // 14..24 extra bits (plus 13) to drop
  const std::uint32_t q = mant >> shift;
  const std::uint32_t rem = mant & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1u);
  const std::uint32_t rounded = q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
  return static_cast<std::uint16_t>(sign | rounded);
}

// Storage type of a float tensor's elements.
enum class FloatType : std::uint8_t { f32, f16, bf16 };

[[gnu::always_inline]] inline float load_float(const void* base, FloatType t, std::int64_t i) {
  switch (t) {
    case FloatType::f16:
      return f16_to_f32(static_cast<const std::uint16_t*>(base)[i]);
    case FloatType::bf16:
      return bf16_to_f32(static_cast<const std::uint16_t*>(base)[i]);
    case FloatType::f32:
      break;
  }
  return static_cast<const float*>(base)[i];
}

// Rounds a float to the nearest value of type t (identity for f32).
[[gnu::always_inline]] inline float round_to(FloatType t, float v) {
  switch (t) {
    case FloatType::f16:
      return f16_to_f32(f32_to_f16(v));
    case FloatType::bf16:
      return bf16_to_f32(f32_to_bf16(v));
    case FloatType::f32:
      break;
  }
  return v;
}

}  // namespace rmlx::kernels
