// Each codec's stated error bound, on random head vectors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "codecs.h"

namespace rmlx::kv_test {
namespace {

struct Shape {
  int n, d;
};
constexpr Shape kShapes[] = {{33, 64}, {17, 128}, {9, 80}, {5, 256}};

std::vector<float> round_trip(const sdk::KvCodec& c, const std::vector<float>& x, int n, int d) {
  std::vector<std::uint8_t> bytes(c.bytes_per_head_token(d) * static_cast<std::size_t>(n));
  c.encode(x.data(), n, d, bytes.data());
  std::vector<float> y(x.size());
  c.decode(bytes.data(), n, d, y.data());
  return y;
}

TEST(KvCodecRoundTrip, Float16WithinHalfAnUlp) {
  for (const char* name : {"f16", "bf16"}) {
    auto c = codec(name);
    const float rel = std::string(name) == "f16" ? 0x1p-11f : 0x1p-8f;
    for (const auto& s : kShapes) {
      const auto x = head_rows(s.n, s.d, 7);
      const auto y = round_trip(*c, x, s.n, s.d);
      for (std::size_t i = 0; i < x.size(); ++i) {
        ASSERT_LE(std::fabs(x[i] - y[i]), rel * std::fabs(x[i])) << name << " element " << i;
      }
    }
  }
}

TEST(KvCodecRoundTrip, Fp8WithinItsMantissaAndScale) {
  auto c = codec("fp8");
  ASSERT_TRUE(c->has_rotation());
  for (const auto& s : kShapes) {
    EXPECT_EQ(c->bytes_per_head_token(s.d), static_cast<std::size_t>(s.d) + 4);
    const auto x = head_rows(s.n, s.d, 11);
    std::vector<std::uint8_t> bytes(c->bytes_per_head_token(s.d) * static_cast<std::size_t>(s.n));
    c->encode(x.data(), s.n, s.d, bytes.data());
    // In the rotated basis every element is within its E4M3 rounding.
    auto rx = x;
    c->rotate(rx.data(), s.n, s.d);
    std::vector<float> ry(x.size());
    c->decode_rotated(bytes.data(), s.n, s.d, ry.data());
    const auto y = round_trip(*c, x, s.n, s.d);
    for (int t = 0; t < s.n; ++t) {
      float amax = 0.0f;
      double norm2 = 0.0, err2 = 0.0;
      for (int i = 0; i < s.d; ++i) amax = std::max(amax, std::fabs(rx[t * s.d + i]));
      // Codes hold y^2 (scale s = amax^2 / 448): three mantissa bits on y^2 are
      // 1 - sqrt(1 - 2^-4) < 0.0318 relative on y (+ 2^-14 for an approximate
      // square root in the reader), and the subnormal spacing
      // s * 2^-9 is at most sqrt(s * 2^-10) on y.
      const float near_zero = std::sqrt(amax * amax / 448.0f * 0x1p-10f);
      for (int i = 0; i < s.d; ++i) {
        const std::size_t k = static_cast<std::size_t>(t * s.d + i);
        ASSERT_LE(std::fabs(rx[k] - ry[k]), 0.0319f * std::fabs(rx[k]) + near_zero + 1e-6f * amax)
            << "row " << t << " col " << i << ": " << rx[k] << " -> " << ry[k];
        ASSERT_EQ(std::signbit(rx[k]), std::signbit(ry[k])) << "row " << t << " col " << i;
        norm2 += static_cast<double>(x[k]) * x[k];
        err2 += static_cast<double>(x[k] - y[k]) * (x[k] - y[k]);
      }
      // The largest rotated element maps to 448 and reads back as itself.
      float ymax = 0.0f;
      for (int i = 0; i < s.d; ++i) ymax = std::max(ymax, std::fabs(ry[t * s.d + i]));
      EXPECT_NEAR(ymax, amax, 0x1p-14f * amax);
      // R is orthogonal: the row's error keeps its norm in the original basis
      // (plus float rounding of the two transforms).
      EXPECT_LE(std::sqrt(err2),
                0.0319 * std::sqrt(norm2) + near_zero * std::sqrt(s.d) + 1e-5 * std::sqrt(norm2))
          << "row " << t;
    }
  }
}

TEST(KvCodecRoundTrip, Fp8RotationIsOrthogonal) {
  auto c = codec("fp8");
  for (const auto& s : kShapes) {
    const auto x = head_rows(s.n, s.d, 5);
    auto r = x;
    c->rotate(r.data(), s.n, s.d);
    for (int t = 0; t < s.n; ++t) {
      double nx = 0.0, nr = 0.0;
      for (int i = 0; i < s.d; ++i) {
        nx += static_cast<double>(x[t * s.d + i]) * x[t * s.d + i];
        nr += static_cast<double>(r[t * s.d + i]) * r[t * s.d + i];
      }
      EXPECT_NEAR(std::sqrt(nr), std::sqrt(nx), 1e-5 * std::sqrt(nx)) << "row " << t;
    }
    c->unrotate(r.data(), s.n, s.d);
    for (std::size_t i = 0; i < x.size(); ++i)
      ASSERT_NEAR(r[i], x[i], 1e-5f * (1.0f + std::fabs(x[i]))) << "element " << i;
  }
}

TEST(KvCodecRoundTrip, Fp8NamesAnUnsupportedHeadDim) {
  auto c = codec("fp8");
  try {
    c->bytes_per_head_token(12);
    FAIL() << "head_dim 12 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "fp8 KV codec: head_dim 12 must be a multiple of 8 up to 4096");
  }
}

TEST(KvCodecRoundTrip, AffineWithinHalfAStep) {
  for (int bits : {8, 4}) {
    auto c = codec(bits == 8 ? "int8" : "int4");
    const float levels = static_cast<float>((1 << bits) - 1);
    for (const auto& s : kShapes) {
      const int group = s.d % 64 == 0 ? 64 : (s.d % 32 == 0 ? 32 : 16);
      EXPECT_EQ(c->bytes_per_head_token(s.d),
                static_cast<std::size_t>(s.d * bits / 8 + 4 * (s.d / group)));
      const auto x = head_rows(s.n, s.d, 13);
      const auto y = round_trip(*c, x, s.n, s.d);
      for (int t = 0; t < s.n; ++t) {
        for (int g0 = 0; g0 < s.d; g0 += group) {
          const float* xg = x.data() + t * s.d + g0;
          const float lo = *std::min_element(xg, xg + group);
          const float hi = *std::max_element(xg, xg + group);
          // Half a quantization step, widened by the float16 rounding of scale and bias.
          const float bound = 0.5f * (hi - lo) / levels * (1.0f + 0x1p-9f) +
                              0x1p-10f * std::max(std::fabs(lo), std::fabs(hi));
          for (int i = 0; i < group; ++i) {
            const std::size_t k = static_cast<std::size_t>(t * s.d + g0 + i);
            ASSERT_LE(std::fabs(x[k] - y[k]), bound)
                << "int" << bits << " d=" << s.d << " row " << t << " col " << g0 + i;
          }
        }
      }
    }
  }
}

TEST(KvCodecRoundTrip, AffineInt4PacksLowNibbleFirst) {
  auto c = codec("int4");
  std::vector<float> x(64);
  for (int i = 0; i < 64; ++i) x[i] = static_cast<float>(i % 16);  // codes 0..15, scale 1, bias 0
  std::vector<std::uint8_t> bytes(c->bytes_per_head_token(64));
  c->encode(x.data(), 1, 64, bytes.data());
  EXPECT_EQ(bytes[0], 0x10);
  EXPECT_EQ(bytes[7], 0xfe);
  std::uint16_t sb[2];
  std::memcpy(sb, bytes.data() + 32, 4);
  EXPECT_EQ(sb[0], 0x3c00);  // scale 1.0 in float16
  EXPECT_EQ(sb[1], 0x0000);  // bias 0.0
}

// Mean squared error relative to the row's squared norm: 4-bit Lloyd-Max on the
// rotated coordinates gives about 0.0095; outlier channels do not change it.
TEST(KvCodecRoundTrip, TurboquantRelativeErrorOfFourBitLloydMax) {
  auto c = codec("turboquant");
  for (const auto& s : kShapes) {
    EXPECT_EQ(c->bytes_per_head_token(s.d), static_cast<std::size_t>(s.d / 2 + 4));
    const int n = 400;
    const auto x = head_rows(n, s.d, 17);
    const auto y = round_trip(*c, x, n, s.d);
    double sum = 0.0, worst = 0.0;
    for (int t = 0; t < n; ++t) {
      double err = 0.0, norm = 0.0;
      for (int i = 0; i < s.d; ++i) {
        const double e = x[t * s.d + i] - y[t * s.d + i];
        err += e * e;
        norm += static_cast<double>(x[t * s.d + i]) * x[t * s.d + i];
      }
      sum += err / norm;
      worst = std::max(worst, err / norm);
    }
    EXPECT_LT(sum / n, 0.0105) << "d=" << s.d;
    EXPECT_LT(worst, 0.03) << "d=" << s.d;
  }
}

// At the same bytes per row, the rotation beats plain int4 on outlier-heavy rows.
TEST(KvCodecRoundTrip, TurboquantBeatsInt4AtTheSameBytes) {
  auto tq = codec("turboquant");
  auto i4 = codec("int4");
  const int n = 200, d = 64;
  ASSERT_EQ(tq->bytes_per_head_token(d), i4->bytes_per_head_token(d));
  const auto x = head_rows(n, d, 19);
  const auto a = round_trip(*tq, x, n, d);
  const auto b = round_trip(*i4, x, n, d);
  double ea = 0.0, eb = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    ea += (x[i] - a[i]) * (x[i] - a[i]);
    eb += (x[i] - b[i]) * (x[i] - b[i]);
  }
  EXPECT_LT(ea, 0.5 * eb);
}

TEST(KvCodecRoundTrip, UnsupportedHeadDimIsAClearError) {
  auto tq = codec("turboquant");
  try {
    (void)tq->bytes_per_head_token(12);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "turboquant KV codec: head_dim 12 must be a multiple of 8 up to 4096");
  }
  auto i4 = codec("int4");
  EXPECT_THROW((void)i4->bytes_per_head_token(12), std::invalid_argument);
}

TEST(KvCodecRoundTrip, UnknownCodecNamesTheValue) {
  for (const char* name : {"nosuch", "int9"}) {
    try {
      (void)codec(name);
      FAIL() << "expected an error for " << name;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("kv_codec '") + name + "'"),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace rmlx::kv_test
