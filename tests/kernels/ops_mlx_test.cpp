// RMSNorm, LayerNorm and RoPE against mlx.core.fast (and mlx_lm's rope schedules).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <string>

#include "ref_file.h"
#include "rmlx/kernels/mlx_math.h"
#include "rmlx/kernels/ops.h"
#include "rmlx/kernels/rope.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kernels {
namespace {

// Largest |a - b| / (|b| + 1e-6 scale) over the arrays.
void expect_close(const std::vector<float>& got, const std::vector<float>& want, float rel,
                  float abs_tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], abs_tol + rel * std::abs(want[i])) << what << " at " << i;
  }
}

TEST(OpsMlx, RmsNormMatchesMlxFast) {
  if (!test::mlx_refs_available()) GTEST_SKIP() << "mlx references not generated";
  ThreadPool pool(2);
  for (int dims : {1, 7, 64, 257, 1024}) {
    for (int e : {5, 6}) {
      test::RefFile f("rmsnorm_d" + std::to_string(dims) + "_e" + std::to_string(e) + ".bin", 2);
      const std::int64_t n = f.header(0), d = f.header(1);
      const auto x = f.next<float>(static_cast<std::size_t>(n * d));
      const auto w = f.next<float>(static_cast<std::size_t>(d));
      const auto want = f.next<float>(static_cast<std::size_t>(n * d));
      const float eps = e == 5 ? 1e-5f : 1e-6f;
      std::vector<float> got(want.size()), ref(want.size());
      ops::ref::rms_norm(x.data(), w.data(), n, d, eps, ref.data());
      expect_close(ref, want, 1e-6f, 1e-7f, "reference d=" + std::to_string(d));
      // The kernel follows mlx's float32 arithmetic step by step: bit-exact.
      for (Isa isa : supported_isas()) {
        ops::rms_norm({isa, &pool}, x.data(), w.data(), n, d, eps, got.data());
        for (std::size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(want[i]))
              << "d=" << d << " at " << i;
        }
      }
    }
  }
}

TEST(OpsMlx, LayerNormMatchesMlxFast) {
  if (!test::mlx_refs_available()) GTEST_SKIP() << "mlx references not generated";
  for (int dims : {3, 64, 333}) {
    test::RefFile f("layernorm_d" + std::to_string(dims) + ".bin", 2);
    const std::int64_t n = f.header(0), d = f.header(1);
    const auto x = f.next<float>(static_cast<std::size_t>(n * d));
    const auto w = f.next<float>(static_cast<std::size_t>(d));
    const auto b = f.next<float>(static_cast<std::size_t>(d));
    const auto want = f.next<float>(static_cast<std::size_t>(n * d));
    std::vector<float> got(want.size());
    // The kernel follows mlx's float32 arithmetic step by step: bit-exact.
    for (Isa isa : supported_isas()) {
      ops::layer_norm({isa, nullptr}, x.data(), w.data(), b.data(), n, d, 1e-5f, got.data());
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(want[i]))
            << "d=" << d << " at " << i;
      }
    }
    // The double reference: inputs are ~N(1.5, 1) and mlx centers in float32, so compare
    // at the input scale.
    ops::ref::layer_norm(x.data(), w.data(), b.data(), n, d, 1e-5f, got.data());
    expect_close(got, want, 2e-6f, 1e-5f, "reference d=" + std::to_string(d));
  }
}

TEST(OpsMlx, RopeMatchesMlxLmSchedules) {
  if (!test::mlx_refs_available()) GTEST_SKIP() << "mlx references not generated";
  ThreadPool pool(2);
  for (const char* name : {"plain", "partial", "linear", "llama3", "yarn"}) {
    for (int trad : {0, 1}) {
      test::RefFile f(std::string("rope_") + name + "_t" + std::to_string(trad) + ".bin", 6);
      const std::int64_t n = f.header(0);
      const int heads = static_cast<int>(f.header(1)), hd = static_cast<int>(f.header(2));
      const auto pos64 = f.next<std::int64_t>(static_cast<std::size_t>(n));
      const auto p = f.next<float>(9);
      const auto x = f.next<float>(static_cast<std::size_t>(n * heads * hd));
      const auto want = f.next<float>(x.size());
      rope::Config c;
      c.head_dim = hd;
      c.rotary_dim = static_cast<int>(f.header(3));
      c.traditional = f.header(4) != 0;
      c.scaling = static_cast<rope::Scaling>(f.header(5));
      c.base = p[0];
      c.factor = p[1];
      c.low_freq_factor = p[2];
      c.high_freq_factor = p[3];
      c.original_max_position = static_cast<int>(p[4]);
      c.beta_fast = p[5];
      c.beta_slow = p[6];
      c.mscale = p[7];
      c.mscale_all_dim = p[8];
      const rope::Rope r(c);
      std::vector<std::int32_t> pos(pos64.begin(), pos64.end());
      const std::string what = std::string(name) + (trad ? " traditional" : "");
      // Angles reach ~2e4 rad, where one float32 ulp of theta is ~1e-3 rad: this only
      // passes because the frequencies and angles are computed exactly as mlx does
      // (mlx's exp included); what remains is rounding of the final products.
      for (Isa isa : supported_isas()) {
        std::vector<float> got = x;
        r.apply({isa, &pool}, got.data(), n, heads, pos.data());
        expect_close(got, want, 1e-6f, 2e-7f, what);
      }
      std::vector<float> ref = x;
      rope::apply_reference(r, ref.data(), n, heads, pos.data());
      expect_close(ref, want, 1e-6f, 2e-7f, what + " reference");
    }
  }
}

TEST(OpsMlx, ExpAndSwiGluMatchMlxBitForBit) {
  if (!test::mlx_refs_available()) GTEST_SKIP() << "mlx references not generated";
  test::RefFile f("elementwise.bin", 1);
  const auto n = static_cast<std::size_t>(f.header(0));
  const auto x = f.next<float>(n);
  const auto up = f.next<float>(n);
  const auto want_exp = f.next<float>(n);
  const auto want_glu = f.next<float>(n);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(std::bit_cast<std::uint32_t>(mlx_exp(x[i])),
              std::bit_cast<std::uint32_t>(want_exp[i]))
        << x[i];
  }
  for (Isa isa : supported_isas()) {
    std::vector<float> got(n);
    ops::glu({isa, nullptr}, x.data(), up.data(), static_cast<std::int64_t>(n), ops::Glu::silu,
             got.data());
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(want_glu[i]))
          << isa_name(isa) << " silu(" << x[i] << ") * " << up[i];
    }
  }
}

}  // namespace
}  // namespace rmlx::kernels
