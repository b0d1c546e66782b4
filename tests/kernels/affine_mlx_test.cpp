// Bit-exact comparison of affine quantize/dequantize with mlx.core.quantize/dequantize.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "ref_file.h"
#include "rmlx/kernels/affine.h"

namespace rmlx::kernels {
namespace {

using Param = std::tuple<std::string, int, int>;  // dtype, bits, group size

class AffineMlx : public ::testing::TestWithParam<Param> {};

TEST_P(AffineMlx, QuantizeAndDequantizeMatchBitForBit) {
  if (!test::mlx_refs_available()) GTEST_SKIP() << "mlx references not generated";
  const auto& [dtype, bits, g] = GetParam();
  test::RefFile f(
      "affine_" + dtype + "_b" + std::to_string(bits) + "_g" + std::to_string(g) + ".bin", 2);
  const std::int64_t rows = f.header(0), cols = f.header(1);
  const auto n = static_cast<std::size_t>(rows * cols);
  const auto np = static_cast<std::size_t>(rows * affine::packed_cols(cols, bits));
  const auto ng = static_cast<std::size_t>(rows * cols / g);
  std::vector<std::uint32_t> packed(np);
  if (dtype == "f32") {
    const auto w = f.next<float>(n);
    const auto ref_q = f.next<std::uint32_t>(np);
    const auto ref_s = f.next<float>(ng);
    const auto ref_b = f.next<float>(ng);
    const auto ref_d = f.next<float>(n);
    std::vector<float> s(ng), b(ng), d(n);
    affine::quantize(w.data(), rows, cols, bits, g, packed.data(), s.data(), b.data());
    EXPECT_EQ(packed, ref_q);
    EXPECT_EQ(s, ref_s);
    EXPECT_EQ(b, ref_b);
    affine::dequantize(ref_q.data(), ref_s.data(), ref_b.data(), rows, cols, bits, g, d.data());
    EXPECT_EQ(d, ref_d);
  } else {
    const FloatType t = dtype == "f16" ? FloatType::f16 : FloatType::bf16;
    const auto w = f.next<std::uint16_t>(n);
    const auto ref_q = f.next<std::uint32_t>(np);
    const auto ref_s = f.next<std::uint16_t>(ng);
    const auto ref_b = f.next<std::uint16_t>(ng);
    const auto ref_d = f.next<std::uint16_t>(n);
    std::vector<std::uint16_t> s(ng), b(ng), d(n);
    affine::quantize_16(t, w.data(), rows, cols, bits, g, packed.data(), s.data(), b.data());
    EXPECT_EQ(packed, ref_q);
    EXPECT_EQ(s, ref_s);
    EXPECT_EQ(b, ref_b);
    affine::dequantize_16(t, ref_q.data(), ref_s.data(), ref_b.data(), rows, cols, bits, g,
                          d.data());
    EXPECT_EQ(d, ref_d);
  }
  EXPECT_TRUE(f.at_end());
}

INSTANTIATE_TEST_SUITE_P(AllModes, AffineMlx,
                         ::testing::Combine(::testing::Values("f32", "f16", "bf16"),
                                            ::testing::Values(2, 3, 4, 5, 6, 8),
                                            ::testing::Values(32, 64, 128)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_b" +
                                  std::to_string(std::get<1>(info.param)) + "_g" +
                                  std::to_string(std::get<2>(info.param));
                         });

}  // namespace
}  // namespace rmlx::kernels
