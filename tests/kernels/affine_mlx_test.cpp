// Bit-exact comparison of affine quantize/dequantize with mlx.core.quantize/dequantize.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <tuple>
#include <vector>

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

TEST(Affine, RejectsBadInput) {
  std::vector<float> w(64, 0.5f), s(2), b(2);
  std::vector<std::uint32_t> q(16);
  w[37] = std::numeric_limits<float>::infinity();
  try {
    affine::quantize(w.data(), 1, 64, 4, 32, q.data(), s.data(), b.data());
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "affine: cannot quantize non-finite value inf at flat index 37");
  }
  try {
    affine::quantize(w.data(), 1, 64, 7, 32, q.data(), s.data(), b.data());
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "affine: bits must be 2, 3, 4, 5, 6 or 8, got 7");
  }
  EXPECT_THROW(affine::quantize(w.data(), 1, 64, 4, 48, q.data(), s.data(), b.data()),
               std::invalid_argument);
}

TEST(Affine, PacksAsMlxDocuments) {
  // 4-bit q = 15, 14, ..., 0 packs to 0x89abcdef, 0x01234567; 3-bit value 10 straddles
  // words 0 and 1 (bits 30-31 and bit 0).
  std::vector<std::uint8_t> q(16);
  for (int i = 0; i < 16; ++i) q[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(15 - i);
  std::uint32_t words[2];
  affine::pack_row(q.data(), 16, 4, words);
  EXPECT_EQ(words[0], 0x89abcdefu);
  EXPECT_EQ(words[1], 0x01234567u);
  std::vector<std::uint8_t> q3(32, 0);
  q3[10] = 7;
  std::uint32_t w3[3];
  affine::pack_row(q3.data(), 32, 3, w3);
  EXPECT_EQ(w3[0], 0xc0000000u);
  EXPECT_EQ(w3[1], 0x00000001u);
  EXPECT_EQ(affine::unpack_one(w3, 10, 3), 7u);
  std::vector<std::uint8_t> back(32);
  affine::unpack_row(w3, 32, 3, back.data());
  EXPECT_EQ(back, q3);
}

}  // namespace
}  // namespace rmlx::kernels
