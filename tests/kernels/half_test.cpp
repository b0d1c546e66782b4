// float16/bfloat16 conversions against the compiler's own IEEE conversions.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

#include "rmlx/kernels/half.h"

namespace rmlx::kernels {
namespace {

TEST(Half, EveryF16RoundTripsThroughF32) {
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    const auto bits = static_cast<std::uint16_t>(h);
    const float f = f16_to_f32(bits);
    const _Float16 ref = std::bit_cast<_Float16>(bits);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(ref)));
      continue;
    }
    ASSERT_EQ(std::bit_cast<std::uint32_t>(f),
              std::bit_cast<std::uint32_t>(static_cast<float>(ref)))
        << h;
    ASSERT_EQ(f32_to_f16(f), bits) << h;
  }
}

TEST(Half, F32ToF16RoundsToNearestEven) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> any;
  for (int i = 0; i < 2000000; ++i) {
    // Bias toward the half range (exponents 100..145) so ties and subnormals occur.
    std::uint32_t u = any(rng);
    if (i % 2) u = (u & 0x807fffffu) | ((100u + u % 46u) << 23);
    if (i % 7 == 0) u &= 0xffffe000u | 0x1000u;  // exact ties
    const float f = std::bit_cast<float>(u);
    if (std::isnan(f)) continue;
    const auto ref = std::bit_cast<std::uint16_t>(static_cast<_Float16>(f));
    ASSERT_EQ(f32_to_f16(f), ref) << std::hex << u;
  }
}

TEST(Half, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f7fffffu)), 0x7f80);  // overflows to inf
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    const float f = bf16_to_f32(static_cast<std::uint16_t>(h));
    if (!std::isnan(f)) {
      ASSERT_EQ(f32_to_bf16(f), h);
    }
  }
}

}  // namespace
}  // namespace rmlx::kernels
