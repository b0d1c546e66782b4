// Fused affine matmul kernels against the dequantize-then-dot reference, on every
// instruction-set path this CPU supports.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <tuple>

#include "ref_file.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/qmatmul.h"
#include "rmlx/kernels/thread_pool.h"
#include "test_util.h"

namespace rmlx::kernels {
namespace {

struct Problem {
  qmm::AffineWeight w;
  std::vector<std::uint32_t> packed;
  test::FloatStore scales, biases;
  std::vector<float> x;
  std::vector<float> dequant;  // [rows, cols]
  std::int64_t n = 0;
};

Problem make_problem(int bits, int g, FloatType st, std::int64_t rows, std::int64_t cols,
                     std::int64_t n, std::uint32_t seed) {
  Problem p;
  p.n = n;
  const std::int64_t groups = cols / g;
  p.packed = test::random_words(static_cast<std::size_t>(rows * cols * bits / 32), seed);
  p.scales = test::store_as(
      st, test::random_floats(static_cast<std::size_t>(rows * groups), seed + 1, -0.05f, 0.05f));
  p.biases = test::store_as(
      st, test::random_floats(static_cast<std::size_t>(rows * groups), seed + 2, -0.5f, 0.5f));
  p.x = test::random_floats(static_cast<std::size_t>(n * cols), seed + 3, -2.0f, 2.0f);
  p.w = {p.packed.data(), p.scales.bytes.data(), p.biases.bytes.data(), st, rows, cols, bits, g};
  p.dequant.resize(static_cast<std::size_t>(rows * cols));
  affine::dequantize_to_f32(st, p.packed.data(), p.scales.bytes.data(), p.biases.bytes.data(), rows,
                            cols, bits, g, p.dequant.data());
  return p;
}

// Per output: the sum of |w * x| (scales the float rounding error) and the bound on the
// int8 activation error, sum over groups of max|x| / 254 * sum |w|.
void error_bounds(const Problem& p, std::vector<double>& mag, std::vector<double>& int8_bound) {
  const auto& w = p.w;
  mag.assign(static_cast<std::size_t>(p.n * w.rows), 0.0);
  int8_bound.assign(mag.size(), 0.0);
  for (std::int64_t i = 0; i < p.n; ++i) {
    for (std::int64_t r = 0; r < w.rows; ++r) {
      double m = 0.0, b = 0.0;
      for (std::int64_t g0 = 0; g0 < w.cols; g0 += w.group_size) {
        double amax = 0.0, wsum = 0.0;
        for (int j = 0; j < w.group_size; ++j) {
          const double xv = p.x[static_cast<std::size_t>(i * w.cols + g0 + j)];
          const double wv = p.dequant[static_cast<std::size_t>(r * w.cols + g0 + j)];
          amax = std::max(amax, std::abs(xv));
          wsum += std::abs(wv);
          m += std::abs(xv * wv);
        }
        b += amax / 254.0 * wsum;
      }
      mag[static_cast<std::size_t>(i * w.rows + r)] = m;
      int8_bound[static_cast<std::size_t>(i * w.rows + r)] = b;
    }
  }
}

using Param = std::tuple<int, int, FloatType>;

class QMatmul : public ::testing::TestWithParam<Param> {};

TEST_P(QMatmul, MatchesReferenceOnEveryPath) {
  const auto [bits, g, st] = GetParam();
  ThreadPool pool(2);
  // Odd row counts, column counts that end inside a 16-group block, n across GEMV/GEMM.
  const std::int64_t shapes[][3] = {{13, g * 3, 1}, {8, g * 17, 2}, {37, g * 5, 7}, {5, g, 4}};
  std::uint32_t seed = static_cast<std::uint32_t>(bits * 1000 + g);
  for (const auto& s : shapes) {
    const Problem p = make_problem(bits, g, st, s[0], s[1], s[2], seed++);
    std::vector<float> ref(static_cast<std::size_t>(p.n * p.w.rows));
    qmm::matmul_reference(p.w, p.x.data(), p.n, ref.data());
    std::vector<double> mag, bound;
    error_bounds(p, mag, bound);
    for (Isa isa : supported_isas()) {
      for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
        for (auto mode : {qmm::Activations::exact, qmm::Activations::int8}) {
          std::vector<float> y(ref.size(), std::nanf(""));
          qmm::matmul({isa, tp}, p.w, p.x.data(), p.n, y.data(), mode);
          for (std::size_t o = 0; o < y.size(); ++o) {
            // exact: float32 rounding of ~cols terms; int8: the activation rounding bound.
            const double tol =
                1e-5 * mag[o] + 1e-6 + (mode == qmm::Activations::int8 ? bound[o] : 0.0);
            ASSERT_NEAR(y[o], ref[o], tol)
                << isa_name(isa) << " mode " << static_cast<int>(mode) << " rows=" << p.w.rows
                << " cols=" << p.w.cols << " n=" << p.n << " out=" << o << (tp ? " pool" : "");
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, QMatmul,
    ::testing::Combine(::testing::Values(2, 3, 4, 5, 6, 8), ::testing::Values(32, 64, 128),
                       ::testing::Values(FloatType::f16, FloatType::bf16, FloatType::f32)),
    [](const auto& info) {
      std::string name = "b";
      name += std::to_string(std::get<0>(info.param));
      name += "_g";
      name += std::to_string(std::get<1>(info.param));
      name += "_";
      name += test::type_name(std::get<2>(info.param));
      return name;
    });

TEST(QMatmulPanels, ManyActivationRowsCrossPanels) {
  // 300 rows of 4096 values span two activation panels of the GEMM driver.
  ThreadPool pool(2);
  for (int bits : {4, 3}) {
    const Problem p = make_problem(bits, 128, FloatType::f16, 9, 4096, 300, 77);
    std::vector<float> ref(static_cast<std::size_t>(p.n * p.w.rows));
    qmm::matmul_reference(p.w, p.x.data(), p.n, ref.data());
    std::vector<double> mag, bound;
    error_bounds(p, mag, bound);
    for (auto mode : {qmm::Activations::exact, qmm::Activations::int8}) {
      std::vector<float> y(ref.size(), std::nanf(""));
      qmm::matmul({select_isa(), &pool}, p.w, p.x.data(), p.n, y.data(), mode);
      for (std::size_t o = 0; o < y.size(); ++o) {
        const double tol = 1e-5 * mag[o] + 1e-6 + (mode == qmm::Activations::int8 ? bound[o] : 0.0);
        ASSERT_NEAR(y[o], ref[o], tol) << "bits=" << bits << " out=" << o;
      }
    }
  }
}

TEST(QMatmulShared, SeveralWeightsOneInput) {
  ThreadPool pool(2);
  const std::int64_t rows[] = {13, 5, 20};
  std::vector<Problem> ps;
  for (int j = 0; j < 3; ++j)
    ps.push_back(make_problem(4, 32, FloatType::bf16, rows[j], 32 * 7, 3, 500 + j));
  // Same activations for all three.
  for (auto& p : ps) p.x = ps[0].x;
  std::vector<qmm::AffineWeight> ws;
  for (const auto& p : ps) ws.push_back(p.w);
  for (Isa isa : supported_isas()) {
    for (auto mode : {qmm::Activations::exact, qmm::Activations::int8}) {
      std::vector<std::vector<float>> ys(3);
      std::vector<float*> yp;
      for (int j = 0; j < 3; ++j) {
        ys[static_cast<std::size_t>(j)].assign(static_cast<std::size_t>(3 * rows[j]),
                                               std::nanf(""));
        yp.push_back(ys[static_cast<std::size_t>(j)].data());
      }
      qmm::matmul_shared_input({isa, &pool}, ws, ps[0].x.data(), 3, yp, mode);
      for (int j = 0; j < 3; ++j) {
        const Problem& p = ps[static_cast<std::size_t>(j)];
        std::vector<float> ref(static_cast<std::size_t>(3 * rows[j]));
        qmm::matmul_reference(p.w, p.x.data(), 3, ref.data());
        std::vector<double> mag, bound;
        error_bounds(p, mag, bound);
        for (std::size_t o = 0; o < ref.size(); ++o) {
          const double tol =
              1e-5 * mag[o] + 1e-6 + (mode == qmm::Activations::int8 ? bound[o] : 0.0);
          ASSERT_NEAR(ys[static_cast<std::size_t>(j)][o], ref[o], tol)
              << isa_name(isa) << " weight " << j << " out=" << o;
        }
      }
    }
  }
  ws[1].cols = 32 * 8;
  std::vector<float*> yp(3, nullptr);
  try {
    qmm::matmul_shared_input({Isa::portable, nullptr}, ws, ps[0].x.data(), 3, yp);
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(
        e.what(),
        "qmm::matmul: weights sharing an input need equal in_features, bits and group_size");
  }
}

// A few activation rows (speculative verification, small decode batches): every path
// against the reference, with row counts that leave every tile remainder.
TEST(QMatmulFewRows, MatchesReferenceForTwoToSixteenRows) {
  ThreadPool pool(2);
  std::uint32_t seed = 900;
  for (int bits : {4, 8, 3}) {
    for (int g : {32, 64, 128}) {
      for (std::int64_t n : {2, 3, 5, 8, 9, 16}) {
        // 23 rows: four-row tiles plus a remainder; 9 groups end inside a 16-group block.
        const Problem p = make_problem(bits, g, FloatType::bf16, 23, g * 9, n, seed++);
        std::vector<float> ref(static_cast<std::size_t>(p.n * p.w.rows));
        qmm::matmul_reference(p.w, p.x.data(), p.n, ref.data());
        std::vector<double> mag, bound;
        error_bounds(p, mag, bound);
        for (Isa isa : supported_isas()) {
          for (auto mode : {qmm::Activations::exact, qmm::Activations::int8}) {
            std::vector<float> y(ref.size(), std::nanf(""));
            qmm::matmul({isa, &pool}, p.w, p.x.data(), p.n, y.data(), mode);
            for (std::size_t o = 0; o < y.size(); ++o) {
              const double tol =
                  1e-5 * mag[o] + 1e-6 + (mode == qmm::Activations::int8 ? bound[o] : 0.0);
              ASSERT_NEAR(y[o], ref[o], tol)
                  << isa_name(isa) << " mode " << static_cast<int>(mode) << " bits=" << bits
                  << " g=" << g << " n=" << n << " out=" << o;
            }
          }
        }
      }
    }
  }
}

// Exact activations: a row computed among up to 16 others is bit-for-bit the row
// computed alone, so a verified draft sees the logits a plain decode step would.
TEST(QMatmulFewRows, ExactRowsEqualSingleRowBitForBit) {
  ThreadPool pool(2);
  std::uint32_t seed = 1300;
  for (int bits : {4, 8}) {
    for (int g : {32, 64, 128}) {
      for (FloatType st : {FloatType::f16, FloatType::bf16, FloatType::f32}) {
        for (std::int64_t n : {2, 7, 9, 16}) {
          const Problem p = make_problem(bits, g, st, 13, g * 21, n, seed++);
          for (Isa isa : supported_isas()) {
            std::vector<float> all(static_cast<std::size_t>(n * p.w.rows));
            qmm::matmul({isa, &pool}, p.w, p.x.data(), n, all.data(), qmm::Activations::exact);
            for (std::int64_t i = 0; i < n; ++i) {
              std::vector<float> one(static_cast<std::size_t>(p.w.rows));
              qmm::matmul({isa, &pool}, p.w, p.x.data() + i * p.w.cols, 1, one.data(),
                          qmm::Activations::exact);
              for (std::int64_t r = 0; r < p.w.rows; ++r) {
                ASSERT_EQ(all[static_cast<std::size_t>(i * p.w.rows + r)],
                          one[static_cast<std::size_t>(r)])
                    << isa_name(isa) << " bits=" << bits << " g=" << g
                    << " type=" << test::type_name(st) << " n=" << n << " row " << i << " out "
                    << r;
              }
            }
          }
        }
      }
    }
  }
}

// One activation row against long rows (the 1B model's 2 and 8 KiB 8-bit rows are tiled
// four at a time): each output equals the same row computed on its own, bit for bit, and
// the reference within the int8 bound, on every path, with and without the pool (task
// boundaries inside the row range), for row counts that leave 1-3 rows after the tiles.
TEST(QMatmulLongRows, TiledRowsEqualRowsOnTheirOwn) {
  ThreadPool pool(2);
  std::uint32_t seed = 2300;
  for (int bits : {8, 4}) {
    for (int g : {32, 64, 128}) {
      for (std::int64_t rows : {23, 38, 41}) {
        const Problem p =
            make_problem(bits, g, FloatType::f16, rows, g * (bits == 8 ? 67 : 71), 1, seed++);
        std::vector<float> ref(static_cast<std::size_t>(rows));
        qmm::matmul_reference(p.w, p.x.data(), 1, ref.data());
        std::vector<double> mag, bound;
        error_bounds(p, mag, bound);
        const std::int64_t words = p.w.cols * bits / 32, groups = p.w.cols / g;
        for (Isa isa : supported_isas()) {
          for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
            std::vector<float> y(ref.size(), std::nanf(""));
            qmm::matmul({isa, tp}, p.w, p.x.data(), 1, y.data(), qmm::Activations::int8);
            for (std::int64_t r = 0; r < rows; ++r) {
              qmm::AffineWeight one = p.w;
              one.rows = 1;
              one.packed = p.w.packed + r * words;
              one.scales = p.scales.bytes.data() + r * groups * 2;
              one.biases = p.biases.bytes.data() + r * groups * 2;
              float alone = std::nanf("");
              qmm::matmul({isa, nullptr}, one, p.x.data(), 1, &alone, qmm::Activations::int8);
              const auto o = static_cast<std::size_t>(r);
              ASSERT_EQ(0, std::memcmp(&alone, &y[o], 4))
                  << isa_name(isa) << " bits=" << bits << " g=" << g << " rows=" << rows << " row "
                  << r << ": " << y[o] << " tiled, " << alone << " alone" << (tp ? " pool" : "");
              ASSERT_NEAR(y[o], ref[o], 1e-5 * mag[o] + 1e-6 + bound[o])
                  << isa_name(isa) << " bits=" << bits << " g=" << g << " row " << r;
            }
          }
        }
      }
    }
  }
}

// Q8_0 / Q4_0 imports store bias = -2^(bits-1) * scale. Deriving the bias from the
// scale instead of reading it must give the same bits on every path.
TEST(QMatmulSymmetric, DerivedBiasesGiveTheSameOutput) {
  ThreadPool pool(2);
  std::uint32_t seed = 1700;
  for (int bits : {4, 8}) {
    for (int g : {32, 64, 128}) {
      for (FloatType st : {FloatType::f16, FloatType::bf16, FloatType::f32}) {
        for (std::int64_t n : {1, 3, 9}) {
          Problem p = make_problem(bits, g, st, 37, g * 13, n, seed++);
          // Rewrite the biases as k * scale (the stored scale, so the product is exact).
          const float k = -static_cast<float>(1 << (bits - 1));
          std::vector<float> b(p.scales.values.size());
          for (std::size_t i = 0; i < b.size(); ++i) b[i] = k * p.scales.values[i];
          p.biases = test::store_as(st, b);
          p.w.biases = p.biases.bytes.data();
          ASSERT_EQ(qmm::symmetric_bias_factor(p.w), k);
          qmm::AffineWeight sym = p.w;
          sym.bias_per_scale = k;
          for (Isa isa : supported_isas()) {
            std::vector<float> read(static_cast<std::size_t>(n * p.w.rows)), derived(read.size());
            qmm::matmul({isa, &pool}, p.w, p.x.data(), n, read.data(), qmm::Activations::int8);
            qmm::matmul({isa, &pool}, sym, p.x.data(), n, derived.data(), qmm::Activations::int8);
            ASSERT_EQ(0, std::memcmp(read.data(), derived.data(), read.size() * 4))
                << isa_name(isa) << " bits=" << bits << " g=" << g
                << " type=" << test::type_name(st) << " n=" << n;
            ASSERT_NE(read[0], 0.0f);
          }
        }
      }
    }
  }
  // One bias off by one unit in the last place, or an asymmetric weight: not symmetric.
  Problem p = make_problem(8, 32, FloatType::f32, 5, 64, 1, 42);
  EXPECT_EQ(qmm::symmetric_bias_factor(p.w), 0.0f);
  std::vector<float> b(p.scales.values.size());
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = -128.0f * p.scales.values[i];
  b[3] = std::nextafter(b[3], 0.0f);
  p.biases = test::store_as(FloatType::f32, b);
  p.w.biases = p.biases.bytes.data();
  EXPECT_EQ(qmm::symmetric_bias_factor(p.w), 0.0f);
}

TEST(QMatmulMlx, MatchesMlxQuantizedMatmul) {
  if (!test::mlx_refs_available()) GTEST_SKIP() << "mlx references not generated";
  struct Ref {
    int bits, g;
    const char* dtype;
  };
  for (const Ref& c : {Ref{4, 32, "f32"}, Ref{4, 64, "bf16"}, Ref{3, 64, "f16"}, Ref{8, 128, "f32"},
                       Ref{6, 32, "bf16"}}) {
    const std::string name = std::string("qmm_b") + std::to_string(c.bits) + "_g" +
                             std::to_string(c.g) + "_" + c.dtype + ".bin";
    test::RefFile f(name, 3);
    const std::int64_t rows = f.header(0), cols = f.header(1), n = f.header(2);
    const FloatType st = std::string(c.dtype) == "f32"   ? FloatType::f32
                         : std::string(c.dtype) == "f16" ? FloatType::f16
                                                         : FloatType::bf16;
    const std::size_t ssize = st == FloatType::f32 ? 4 : 2;
    const auto ng = static_cast<std::size_t>(rows * cols / c.g);
    const auto packed = f.next<std::uint32_t>(static_cast<std::size_t>(rows * cols * c.bits / 32));
    const auto scales = f.next<std::uint8_t>(ng * ssize);
    const auto biases = f.next<std::uint8_t>(ng * ssize);
    const auto x = f.next<float>(static_cast<std::size_t>(n * cols));
    const auto want = f.next<float>(static_cast<std::size_t>(n * rows));
    const qmm::AffineWeight w{packed.data(), scales.data(), biases.data(), st,
                              rows,          cols,          c.bits,        c.g};
    Problem p;
    p.w = w;
    p.n = n;
    p.x = x;
    p.dequant.resize(static_cast<std::size_t>(rows * cols));
    affine::dequantize_to_f32(st, packed.data(), scales.data(), biases.data(), rows, cols, c.bits,
                              c.g, p.dequant.data());
    std::vector<double> mag, bound;
    error_bounds(p, mag, bound);
    for (Isa isa : supported_isas()) {
      for (auto mode :
           {qmm::Activations::exact, qmm::Activations::fixed24, qmm::Activations::int8}) {
        std::vector<float> y(want.size());
        qmm::matmul({isa, nullptr}, w, x.data(), n, y.data(), mode);
        for (std::size_t o = 0; o < y.size(); ++o) {
          // mlx sums sequentially in float32: both sides carry float32 rounding.
          const double tol = 2e-6 * mag[o] + (mode == qmm::Activations::int8 ? bound[o] : 0.0);
          ASSERT_NEAR(y[o], want[o], tol)
              << name << " " << isa_name(isa) << " mode " << static_cast<int>(mode) << " out=" << o;
        }
      }
    }
  }
}

TEST(QMatmulErrors, RejectsBadShapes) {
  std::vector<std::uint32_t> packed(64);
  std::vector<std::uint16_t> s(8);
  std::vector<float> x(64), y(4);
  qmm::AffineWeight w{packed.data(), s.data(), s.data(), FloatType::f16, 2, 48, 4, 32};
  EXPECT_THROW(
      {
        try {
          qmm::matmul({Isa::portable, nullptr}, w, x.data(), 1, y.data());
        } catch (const std::invalid_argument& e) {
          EXPECT_STREQ(e.what(),
                       "affine: cols (48) must be a positive multiple of group_size (32)");
          throw;
        }
      },
      std::invalid_argument);
  w.cols = 64;
  w.bits = 7;
  EXPECT_THROW(qmm::matmul({Isa::portable, nullptr}, w, x.data(), 1, y.data()),
               std::invalid_argument);
}

}  // namespace
}  // namespace rmlx::kernels
