// Float linear (float32 / float16 / bfloat16 weights) against the double reference.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "rmlx/kernels/linear.h"
#include "rmlx/kernels/thread_pool.h"
#include "test_util.h"

namespace rmlx::kernels {
namespace {

TEST(Linear, MatchesReferenceOnEveryPath) {
  ThreadPool pool(2);
  const std::int64_t shapes[][3] = {
      {13, 33, 1}, {8, 100, 2}, {37, 1000, 7}, {5, 16, 4}, {70, 2048, 1}};
  std::uint32_t seed = 1;
  for (FloatType t : {FloatType::f32, FloatType::f16, FloatType::bf16}) {
    for (const auto& s : shapes) {
      const std::int64_t rows = s[0], cols = s[1], n = s[2];
      const auto ws =
          test::store_as(t, test::random_floats(static_cast<std::size_t>(rows * cols), seed++));
      const auto x = test::random_floats(static_cast<std::size_t>(n * cols), seed++, -2.0f, 2.0f);
      const linear::FloatWeight w{ws.bytes.data(), t, rows, cols};
      std::vector<float> want(static_cast<std::size_t>(n * rows)), got(want.size());
      linear::matmul_reference(w, x.data(), n, want.data());
      std::vector<double> mag(want.size());
      for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t r = 0; r < rows; ++r) {
          double m = 0.0;
          for (std::int64_t k = 0; k < cols; ++k)
            m += std::abs(ws.values[static_cast<std::size_t>(r * cols + k)] *
                          x[static_cast<std::size_t>(i * cols + k)]);
          mag[static_cast<std::size_t>(i * rows + r)] = m;
        }
      }
      for (Isa isa : supported_isas()) {
        for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
          for (auto prec : {linear::Precision::exact, linear::Precision::bf16_dot}) {
            linear::matmul({isa, tp}, w, x.data(), n, got.data(), prec);
            // bf16_dot rounds activations to bfloat16 (relative error <= 2^-9) on the
            // paths that implement it; exact leaves only float32 summation error.
            const bool rounded =
                prec == linear::Precision::bf16_dot && t == FloatType::bf16 && isa == Isa::avx512;
            for (std::size_t o = 0; o < got.size(); ++o) {
              const double tol = 1e-6 + (rounded ? mag[o] / 512.0 : 1e-5 * mag[o]);
              ASSERT_NEAR(got[o], want[o], tol)
                  << test::type_name(t) << " " << isa_name(isa) << " rows=" << rows
                  << " cols=" << cols << " n=" << n << " out=" << o;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace rmlx::kernels
