// Element-wise and row-wise ops against their plain references, on random inputs of
// odd sizes, single-threaded and on a pool, on every instruction-set path.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/ops.h"
#include "rmlx/kernels/rope.h"
#include "rmlx/kernels/thread_pool.h"
#include "test_util.h"

namespace rmlx::kernels {
namespace {

void expect_rel(const std::vector<float>& got, const std::vector<float>& want, float rel,
                float abs_tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], abs_tol + rel * std::abs(want[i])) << what << " at " << i;
  }
}

class Ops : public ::testing::Test {
 protected:
  ThreadPool pool_{2};
  std::vector<Exec> execs() {
    std::vector<Exec> v;
    for (Isa isa : supported_isas()) {
      v.push_back({isa, nullptr});
      v.push_back({isa, &pool_});
    }
    return v;
  }
};

TEST_F(Ops, NormsMatchReference) {
  for (std::int64_t dim : {1, 5, 17, 96, 1000}) {
    for (std::int64_t rows : {1, 3, 40}) {
      const auto x = test::random_floats(static_cast<std::size_t>(rows * dim), 11, -3.0f, 3.0f);
      const auto w = test::random_floats(static_cast<std::size_t>(dim), 12);
      const auto b = test::random_floats(static_cast<std::size_t>(dim), 13);
      std::vector<float> want(x.size()), got(x.size());
      ops::ref::rms_norm(x.data(), w.data(), rows, dim, 1e-6f, want.data());
      for (const Exec& ex : execs()) {
        ops::rms_norm(ex, x.data(), w.data(), rows, dim, 1e-6f, got.data());
        expect_rel(got, want, 2e-6f, 1e-7f, "rms_norm dim=" + std::to_string(dim));
      }
      ops::ref::layer_norm(x.data(), w.data(), b.data(), rows, dim, 1e-5f, want.data());
      for (const Exec& ex : execs()) {
        ops::layer_norm(ex, x.data(), w.data(), b.data(), rows, dim, 1e-5f, got.data());
        expect_rel(got, want, 1e-5f, 1e-5f, "layer_norm dim=" + std::to_string(dim));
      }
    }
  }
  // In place, and without a weight.
  auto x = test::random_floats(63, 14);
  std::vector<float> want(63);
  ops::ref::rms_norm(x.data(), nullptr, 3, 21, 1e-5f, want.data());
  ops::rms_norm({Isa::portable, nullptr}, x.data(), nullptr, 3, 21, 1e-5f, x.data());
  expect_rel(x, want, 2e-6f, 1e-7f, "rms_norm in place");
}

TEST_F(Ops, GluAddSoftmaxMatchReference) {
  for (std::int64_t n : {1, 7, 333, 70001}) {
    const auto g = test::random_floats(static_cast<std::size_t>(n), 21, -8.0f, 8.0f);
    const auto u = test::random_floats(static_cast<std::size_t>(n), 22, -2.0f, 2.0f);
    std::vector<float> want(g.size()), got(g.size());
    for (auto kind : {ops::Glu::silu, ops::Glu::gelu_tanh}) {
      ops::ref::glu(g.data(), u.data(), n, kind, want.data());
      for (const Exec& ex : execs()) {
        ops::glu(ex, g.data(), u.data(), n, kind, got.data());
        // gelu's 1 + tanh(..) cancels for very negative gates: float32 leaves an absolute
        // error of ~|gate * up| * 2^-24 there, as in mlx's own float32 formula.
        expect_rel(got, want, 1e-5f, 1e-6f, kind == ops::Glu::silu ? "silu" : "gelu");
      }
    }
    for (const Exec& ex : execs()) {
      ops::add(ex, g.data(), u.data(), n, got.data());
      for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], g[i] + u[i]);
    }
    if (n % 7 == 0) {
      // 7 rows of n / 7 values, one bias row broadcast over them.
      const std::int64_t cols = n / 7;
      for (const Exec& ex : execs()) {
        std::vector<float> y = g;
        ops::add_bias(ex, y.data(), u.data(), 7, cols);
        for (std::int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(y[static_cast<std::size_t>(i)],
                    g[static_cast<std::size_t>(i)] + u[static_cast<std::size_t>(i % cols)]);
        }
      }
    }
  }
  for (std::int64_t dim : {1, 9, 1031}) {
    auto x = test::random_floats(static_cast<std::size_t>(5 * dim), 23, -20.0f, 20.0f);
    auto want = x;
    ops::ref::softmax(want.data(), 5, dim);
    for (const Exec& ex : execs()) {
      auto got = x;
      ops::softmax(ex, got.data(), 5, dim);
      expect_rel(got, want, 1e-5f, 1e-9f, "softmax dim=" + std::to_string(dim));
    }
  }
}

TEST_F(Ops, EmbeddingGathersRows) {
  const std::int64_t vocab = 37, dim = 96;
  const auto table = test::random_floats(static_cast<std::size_t>(vocab * dim), 31);
  const std::vector<std::int32_t> ids = {5, 0, 36, 5, 17};
  for (FloatType t : {FloatType::f32, FloatType::f16, FloatType::bf16}) {
    const auto st = test::store_as(t, table);
    std::vector<float> out(ids.size() * dim);
    ops::embedding(st.bytes.data(), t, vocab, dim, ids.data(),
                   static_cast<std::int64_t>(ids.size()), out.data());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      for (std::int64_t k = 0; k < dim; ++k) {
        ASSERT_EQ(out[i * dim + static_cast<std::size_t>(k)],
                  st.values[static_cast<std::size_t>(ids[i] * dim + k)]);
      }
    }
  }
  // Affine table: rows equal the dequantized rows.
  const int bits = 3, g = 32;
  std::vector<std::uint32_t> packed(static_cast<std::size_t>(vocab * dim * bits / 32));
  std::vector<float> s(static_cast<std::size_t>(vocab * dim / g)), b(s.size());
  affine::quantize(table.data(), vocab, dim, bits, g, packed.data(), s.data(), b.data());
  std::vector<float> deq(table.size());
  affine::dequantize(packed.data(), s.data(), b.data(), vocab, dim, bits, g, deq.data());
  const qmm::AffineWeight w{packed.data(), s.data(), b.data(), FloatType::f32, vocab, dim, bits, g};
  std::vector<float> out(ids.size() * dim);
  ops::embedding(w, ids.data(), static_cast<std::int64_t>(ids.size()), out.data());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    for (std::int64_t k = 0; k < dim; ++k) {
      ASSERT_EQ(out[i * dim + static_cast<std::size_t>(k)],
                deq[static_cast<std::size_t>(ids[i] * dim + k)]);
    }
  }
  const std::int32_t bad = 37;
  try {
    ops::embedding(w, &bad, 1, out.data());
    FAIL() << "expected an exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "embedding: token id 37 outside [0, 37)");
  }
}

TEST_F(Ops, RopeMatchesReferenceForEverySchedule) {
  struct Case {
    rope::Scaling scaling;
    int head_dim, rotary_dim;
  };
  const Case cases[] = {{rope::Scaling::none, 64, 0},
                        {rope::Scaling::none, 96, 34},
                        {rope::Scaling::linear, 128, 0},
                        {rope::Scaling::llama3, 64, 0},
                        {rope::Scaling::yarn, 80, 64}};
  for (const auto& c : cases) {
    for (bool trad : {false, true}) {
      rope::Config cfg;
      cfg.head_dim = c.head_dim;
      cfg.rotary_dim = c.rotary_dim;
      cfg.traditional = trad;
      cfg.base = 500000.0f;
      cfg.scaling = c.scaling;
      cfg.factor = 8.0f;
      cfg.original_max_position = 4096;
      const rope::Rope r(cfg);
      const std::int64_t n = 9;
      const int heads = 5;
      const auto x = test::random_floats(static_cast<std::size_t>(n * heads * c.head_dim), 41);
      std::vector<std::int32_t> pos(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i)
        pos[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i * 977 + 3);
      auto want = x;
      rope::apply_reference(r, want.data(), n, heads, pos.data());
      for (const Exec& ex : execs()) {
        auto got = x;
        r.apply(ex, got.data(), n, heads, pos.data());
        expect_rel(got, want, 1e-6f, 3e-7f, "rope");
        // Dims past rotary_dim pass through untouched.
        for (std::int64_t t = 0; t < n * heads; ++t) {
          for (int k = r.rotary_dim(); k < c.head_dim; ++k) {
            ASSERT_EQ(got[static_cast<std::size_t>(t * c.head_dim + k)],
                      x[static_cast<std::size_t>(t * c.head_dim + k)]);
          }
        }
      }
    }
  }
  // yarn's attention factor: derived as mlx_lm does, or given explicitly.
  rope::Config y;
  y.head_dim = 64;
  y.scaling = rope::Scaling::yarn;
  y.factor = 4.0f;
  EXPECT_FLOAT_EQ(rope::Rope(y).x_scale(), static_cast<float>(0.1 * std::log(4.0) + 1.0));
  y.attention_factor = 1.25f;
  EXPECT_EQ(rope::Rope(y).x_scale(), 1.25f);
  rope::Config bad;
  bad.head_dim = 64;
  bad.rotary_dim = 33;
  try {
    const rope::Rope r(bad);
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "rope: rotary_dim 33 must be even and at most head_dim 64");
  }
}

}  // namespace
}  // namespace rmlx::kernels
