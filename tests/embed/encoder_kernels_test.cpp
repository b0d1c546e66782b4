// The encoder kernels against plain double-precision formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "rmlx/kernels/encoder.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels/thread_pool.h"

namespace {

namespace enc = rmlx::kernels::encoder;

std::vector<float> random_vec(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// softmax(q k^T * scale) v for one head of one query row, in double.
std::vector<double> naive(const enc::SelfAttentionShape& s, const std::vector<float>& q,
                          const std::vector<float>& k, const std::vector<float>& v, std::int64_t i,
                          int h) {
  const int hd = s.head_dim, kvh = h / (s.n_heads / s.n_kv_heads);
  const std::int64_t last = s.causal ? i + 1 : s.n_rows;
  std::vector<double> w(static_cast<std::size_t>(last));
  double mx = -1e300;
  for (std::int64_t j = 0; j < last; ++j) {
    double dot = 0;
    for (int d = 0; d < hd; ++d) {
      dot += static_cast<double>(q[static_cast<std::size_t>((i * s.n_heads + h) * hd + d)]) *
             k[static_cast<std::size_t>((j * s.n_kv_heads + kvh) * hd + d)];
    }
    w[static_cast<std::size_t>(j)] = dot * s.scale;
    mx = std::max(mx, w[static_cast<std::size_t>(j)]);
  }
  double sum = 0;
  for (double& x : w) sum += (x = std::exp(x - mx));
  std::vector<double> out(static_cast<std::size_t>(hd), 0.0);
  for (std::int64_t j = 0; j < last; ++j) {
    for (int d = 0; d < hd; ++d) {
      out[static_cast<std::size_t>(d)] +=
          w[static_cast<std::size_t>(j)] / sum *
          v[static_cast<std::size_t>((j * s.n_kv_heads + kvh) * hd + d)];
    }
  }
  return out;
}

void check(bool causal, int n_kv_heads, rmlx::kernels::ThreadPool* pool) {
  enc::SelfAttentionShape s;
  s.n_rows = 37;
  s.n_heads = 4;
  s.n_kv_heads = n_kv_heads;
  s.head_dim = 24;
  s.scale = 1.0f / std::sqrt(24.0f);
  s.causal = causal;
  const auto rows = static_cast<std::size_t>(s.n_rows);
  auto q = random_vec(rows * 4 * 24, 1);
  auto k = random_vec(rows * static_cast<std::size_t>(n_kv_heads) * 24, 2);
  auto v = random_vec(rows * static_cast<std::size_t>(n_kv_heads) * 24, 3);
  std::vector<float> out(q.size());
  rmlx::kernels::Exec exec;
  exec.pool = pool;
  enc::self_attention(exec, s, q.data(), k.data(), v.data(), out.data());
  for (std::int64_t i = 0; i < s.n_rows; ++i) {
    for (int h = 0; h < s.n_heads; ++h) {
      auto ref = naive(s, q, k, v, i, h);
      for (int d = 0; d < s.head_dim; ++d) {
        ASSERT_NEAR(out[static_cast<std::size_t>((i * s.n_heads + h) * s.head_dim + d)],
                    ref[static_cast<std::size_t>(d)], 1e-5)
            << "row " << i << " head " << h;
      }
    }
  }
}

TEST(EncoderKernels, BidirectionalAttentionMatchesTheFormula) {
  check(false, 4, nullptr);
  rmlx::kernels::ThreadPool pool(2);
  check(false, 4, &pool);
}

TEST(EncoderKernels, CausalAndGroupedQueryAttention) {
  check(true, 4, nullptr);
  check(false, 2, nullptr);
  check(true, 1, nullptr);
}

TEST(EncoderKernels, BadShapeIsAnError) {
  enc::SelfAttentionShape s;
  s.n_rows = 1;
  s.n_heads = 3;
  s.n_kv_heads = 2;
  s.head_dim = 4;
  rmlx::kernels::Exec exec;
  std::vector<float> x(12);
  EXPECT_THROW(enc::self_attention(exec, s, x.data(), x.data(), x.data(), x.data()),
               std::invalid_argument);
}

TEST(EncoderKernels, GeluIsTheErfForm) {
  const std::vector<float> x = {-3.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 3.0f};
  std::vector<float> out(x.size());
  rmlx::kernels::Exec exec;
  enc::gelu_erf(exec, x.data(), static_cast<std::int64_t>(x.size()), out.data());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ref = 0.5 * x[i] * (1.0 + std::erf(x[i] / std::sqrt(2.0)));
    EXPECT_NEAR(out[i], ref, 1e-7) << x[i];
  }
  EXPECT_NEAR(out[5], 0.8413447f, 1e-6);  // gelu(1) = Phi(1)
}

TEST(EncoderKernels, GeluOnEveryInstructionSet) {
  std::vector<float> x;
  for (int i = -800; i <= 800; ++i) x.push_back(static_cast<float>(i) / 80.0f);
  for (auto isa : rmlx::kernels::supported_isas()) {
    std::vector<float> out(x.size());
    rmlx::kernels::Exec exec;
    exec.isa = isa;
    enc::gelu_erf(exec, x.data(), static_cast<std::int64_t>(x.size()), out.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double ref = 0.5 * x[i] * (1.0 + std::erf(x[i] / std::sqrt(2.0)));
      ASSERT_NEAR(out[i], ref, 2e-6 * std::max(1.0, std::abs(ref)))
          << rmlx::kernels::isa_name(isa) << " x=" << x[i];
    }
  }
}

// y = x w^T + b in double.
double linear_ref(const std::vector<float>& w, const std::vector<float>& b,
                  const std::vector<float>& x, std::int64_t cols, std::int64_t i, std::int64_t r) {
  double acc = b.empty() ? 0.0 : b[static_cast<std::size_t>(r)];
  for (std::int64_t k = 0; k < cols; ++k) {
    acc += static_cast<double>(x[static_cast<std::size_t>(i * cols + k)]) *
           w[static_cast<std::size_t>(r * cols + k)];
  }
  return acc;
}

TEST(EncoderKernels, PackedLinearMatchesTheProductAndIgnoresTheBatch) {
  // 70 outputs: two full panels of 32 and a partial one; 13 rows: a full
  // strip of 8 and a partial one.
  const std::int64_t rows = 70, cols = 45, n = 13;
  const auto w = random_vec(static_cast<std::size_t>(rows * cols), 4);
  const auto b = random_vec(static_cast<std::size_t>(rows), 5);
  const auto x = random_vec(static_cast<std::size_t>(n * cols), 6);
  rmlx::kernels::ThreadPool pool(2);
  for (auto isa : rmlx::kernels::supported_isas()) {
    for (bool with_bias : {false, true}) {
      enc::PackedLinear lin(w.data(), enc::PackedLinear::Type::f32, rows, cols,
                            with_bias ? b.data() : nullptr);
      EXPECT_EQ(lin.rows(), rows);
      EXPECT_EQ(lin.cols(), cols);
      rmlx::kernels::Exec exec;
      exec.isa = isa;
      exec.pool = &pool;
      std::vector<float> y(static_cast<std::size_t>(n * rows), -1.0f);
      lin.apply(exec, x.data(), n, y.data());
      const std::vector<float> no_bias;
      for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t r = 0; r < rows; ++r) {
          ASSERT_NEAR(y[static_cast<std::size_t>(i * rows + r)],
                      linear_ref(w, with_bias ? b : no_bias, x, cols, i, r), 1e-4)
              << rmlx::kernels::isa_name(isa) << " row " << i << " out " << r;
        }
      }
      // Each row alone, on one thread, gives the same bits.
      rmlx::kernels::Exec single;
      single.isa = isa;
      for (std::int64_t i = 0; i < n; ++i) {
        std::vector<float> one(static_cast<std::size_t>(rows));
        lin.apply(single, x.data() + i * cols, 1, one.data());
        for (std::int64_t r = 0; r < rows; ++r) {
          ASSERT_EQ(one[static_cast<std::size_t>(r)], y[static_cast<std::size_t>(i * rows + r)])
              << rmlx::kernels::isa_name(isa) << " row " << i << " out " << r;
        }
      }
    }
  }
}

TEST(EncoderKernels, PackedLinearReadsHalfWeights) {
  // Values exact in both 16-bit formats, so f16, bf16 and f32 must agree bit for bit.
  const std::int64_t rows = 45, cols = 19, n = 11;
  std::vector<float> w(static_cast<std::size_t>(rows * cols));
  std::vector<std::uint16_t> bf(w.size()), f16(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    w[i] = static_cast<float>(static_cast<int>(i % 13) - 6) / 8.0f;
    bf[i] = rmlx::kernels::f32_to_bf16(w[i]);
    f16[i] = rmlx::kernels::f32_to_f16(w[i]);
  }
  const auto x = random_vec(static_cast<std::size_t>(n * cols), 7);
  const auto b = random_vec(static_cast<std::size_t>(rows), 8);
  using T = enc::PackedLinear::Type;
  for (auto isa : rmlx::kernels::supported_isas()) {
    rmlx::kernels::Exec exec;
    exec.isa = isa;
    std::vector<float> y32(static_cast<std::size_t>(n * rows));
    enc::PackedLinear(w.data(), T::f32, rows, cols, b.data()).apply(exec, x.data(), n, y32.data());
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t r = 0; r < rows; ++r) {
        ASSERT_NEAR(y32[static_cast<std::size_t>(i * rows + r)], linear_ref(w, b, x, cols, i, r),
                    1e-4);
      }
    }
    for (auto [type, data] : {std::pair{T::bf16, bf.data()}, std::pair{T::f16, f16.data()}}) {
      std::vector<float> y(y32.size());
      enc::PackedLinear(data, type, rows, cols, b.data()).apply(exec, x.data(), n, y.data());
      EXPECT_EQ(y, y32) << rmlx::kernels::isa_name(isa) << (type == T::bf16 ? " bf16" : " f16");
    }
  }
  EXPECT_THROW(enc::PackedLinear(nullptr, T::f32, 2, 2, nullptr), std::invalid_argument);
}

}  // namespace
