// kernels_cuda::linear_shared (q/k/v or gate/up of one decode row in one launch)
// against kernels_cuda::linear applied to each weight: the same kernel body, so
// every output must be bit-identical; plus the shapes it must refuse.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "rmlx/kernels_cuda/fused.h"
#include "rmlx/kernels_cuda/kernels.h"

namespace {

namespace kc = rmlx::kernels_cuda;
using rmlx::cuda_test::DevBuf;
using rmlx::cuda_test::random_floats;
using rmlx::cuda_test::random_weight;
using rmlx::cuda_test::Weight;

std::vector<float> download(const float* p, std::size_t n) {
  std::vector<float> v(n);
  EXPECT_EQ(cudaMemcpy(v.data(), p, n * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  return v;
}

void check_shared(const std::vector<int>& rows, int cols, int bits, int group, kc::WType st) {
  SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(group) + " cols " +
               std::to_string(cols) + " weights " + std::to_string(rows.size()));
  std::vector<Weight> ws;
  std::vector<kc::WeightView> views;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ws.push_back(random_weight(rows[i], cols, bits, group, st, 100 + static_cast<unsigned>(i)));
    views.push_back(ws.back().view);
  }
  const auto xh = random_floats(cols, 7);
  DevBuf x(cols * 4);
  ASSERT_EQ(cudaMemcpy(x.p, xh.data(), cols * 4, cudaMemcpyHostToDevice), cudaSuccess);
  std::vector<std::unique_ptr<DevBuf>> one, shared;
  std::vector<float*> ys;
  for (int r : rows) {
    one.push_back(std::make_unique<DevBuf>(r * 4));
    shared.push_back(std::make_unique<DevBuf>(r * 4));
    ASSERT_EQ(cudaMemset(shared.back()->p, 0xff, r * 4), cudaSuccess);  // NaN until written
    ys.push_back(static_cast<float*>(shared.back()->p));
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    kc::linear(views[i], static_cast<const float*>(x.p), 1, static_cast<float*>(one[i]->p),
               nullptr);
  }
  ASSERT_TRUE(kc::linear_shared(views.data(), static_cast<int>(views.size()),
                                static_cast<const float*>(x.p), 1, ys.data(), nullptr));
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto a = download(static_cast<const float*>(one[i]->p), rows[i]);
    const auto b = download(ys[i], rows[i]);
    ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4)) << "weight " << i;
    ASSERT_NE(a[0], 0.0f);
  }
}

TEST(CudaSharedLinear, EqualsEachWeightAlone) {
  REQUIRE_GPU();
  for (int bits : {2, 4, 8}) {
    for (int group : {32, 64, 128}) {
      for (auto st : {kc::WType::bf16, kc::WType::f32}) {
        check_shared({67, 33, 33}, 384, bits, group, st);  // q/k/v, odd row counts
        check_shared({45, 45}, 256, bits, group, st);      // gate/up
      }
    }
  }
  // Tall 8-bit weights take eight rows per warp.
  check_shared({8195, 8195}, 256, 8, 64, kc::WType::bf16);
  // 4-bit rows of 4096-16384 columns keep the activations in registers.
  for (int group : {32, 64, 128}) {
    check_shared({67, 33, 33}, 8192, 4, group, kc::WType::bf16);
    check_shared({1000, 1000}, 4096, 4, group, kc::WType::f32);
  }
}

// Gate/up with the GLU in one launch (kernels_cuda::linear_glu) against linear_shared
// and then glu: g, u and silu(g) * u bit for bit, with the output apart from g and in
// place over it. claims: then twice more with the blocks claiming batches of rows from
// counters, which each launch must leave zero (the second round would skip rows otherwise).
void check_gate_up_glu(int rows, int cols, int group, kc::WType st, bool claims = false) {
  SCOPED_TRACE("rows " + std::to_string(rows) + " cols " + std::to_string(cols) + " group " +
               std::to_string(group) + (claims ? " claiming rows" : ""));
  const Weight gate = random_weight(rows, cols, 4, group, st, 300);
  const Weight up = random_weight(rows, cols, 4, group, st, 400);
  ASSERT_TRUE(kc::linear_glu_applies(gate.view, up.view));
  if (claims) {
    ASSERT_TRUE(kc::linear_glu_claims(gate.view, up.view));
  }
  DevBuf x(cols * 4);
  x.put(random_floats(cols, 9));
  const auto* xp = static_cast<const float*>(x.p);
  const std::size_t bytes = static_cast<std::size_t>(rows) * 4;
  DevBuf g1(bytes), u1(bytes), o1(bytes), g2(bytes), u2(bytes), o2(bytes), g3(bytes), u3(bytes);
  const auto f = [](DevBuf& b) { return static_cast<float*>(b.p); };
  const kc::WeightView views[2] = {gate.view, up.view};
  float* const ys[2] = {f(g1), f(u1)};
  ASSERT_TRUE(kc::linear_shared(views, 2, xp, 1, ys, nullptr));
  kc::glu(ys[0], ys[1], rows, false, f(o1), nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const auto want_g = download(f(g1), rows), want_u = download(f(u1), rows),
             want_o = download(f(o1), rows);
  ASSERT_NE(want_o[0], 0.0f);
  DevBuf counters(2 * sizeof(unsigned));
  ASSERT_EQ(cudaMemset(counters.p, 0, 2 * sizeof(unsigned)), cudaSuccess);
  auto* c = static_cast<unsigned*>(counters.p);
  for (int round = 0; round < (claims ? 3 : 1); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    unsigned* c0 = round > 0 ? c : nullptr;
    unsigned* c1 = round > 0 ? c + 1 : nullptr;
    for (DevBuf* b : {&g2, &u2, &o2, &g3, &u3})
      ASSERT_EQ(cudaMemset(b->p, 0xff, bytes), cudaSuccess);  // NaN until written
    ASSERT_TRUE(kc::linear_glu(gate.view, up.view, xp, f(g2), f(u2), f(o2), nullptr, c0));
    ASSERT_TRUE(kc::linear_glu(gate.view, up.view, xp, f(g3), f(u3), f(g3), nullptr, c1));
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(0, std::memcmp(want_g.data(), download(f(g2), rows).data(), bytes)) << "gate";
    EXPECT_EQ(0, std::memcmp(want_u.data(), download(f(u2), rows).data(), bytes)) << "up";
    EXPECT_EQ(0, std::memcmp(want_o.data(), download(f(o2), rows).data(), bytes)) << "glu";
    EXPECT_EQ(0, std::memcmp(want_u.data(), download(f(u3), rows).data(), bytes)) << "up, in place";
    EXPECT_EQ(0, std::memcmp(want_o.data(), download(f(g3), rows).data(), bytes)) << "glu in place";
    if (c0 == nullptr) continue;
    unsigned left[2] = {1, 1};
    ASSERT_EQ(cudaMemcpy(left, c, sizeof(left), cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(left[0], 0u);
    EXPECT_EQ(left[1], 0u);
  }
}

TEST(CudaSharedLinear, GateUpWithGluEqualsSharedThenGlu) {
  REQUIRE_GPU();
  for (int group : {32, 64, 128}) {
    for (auto st : {kc::WType::bf16, kc::WType::f16, kc::WType::f32}) {
      check_gate_up_glu(1003, 4096, group, st);  // rows not a multiple of four
    }
  }
  check_gate_up_glu(14336, 4096, 64, kc::WType::bf16);  // llama-3.1-8b
  check_gate_up_glu(3072, 8192, 32, kc::WType::bf16);
}

TEST(CudaSharedLinear, GateUpClaimingRowsEqualsSharedThenGlu) {
  REQUIRE_GPU();
  check_gate_up_glu(14336, 4096, 64, kc::WType::bf16, true);  // llama-3.1-8b: constant shape
  check_gate_up_glu(14336, 4096, 32, kc::WType::f16, true);
  check_gate_up_glu(12288, 4096, 128, kc::WType::f32, true);  // qwen3-8b rows, generic kernel
  check_gate_up_glu(3072, 8192, 32, kc::WType::bf16, true);   // 256 threads a block
}

// The residual add and RMSNorm carried by two single-row GEMVs (kernels_cuda::ResidualNorm)
// against linear, add_rms_norm and the consumer apart: y and the sum bit for bit, the
// normed row and the consumer's outputs to float rounding (the sum of squares is added in
// another order). Consumers: q/k/v shared, gate/up with the GLU, one weight.
float worst_rel(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0.0f, big = 1e-30f;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const float e = std::fabs(a[i] - b[i]);
    if (!(e <= worst)) worst = e;
    big = std::max(big, std::fabs(b[i]));
  }
  return worst / big;
}

void check_residual_norm(int p_rows, int p_cols, int group, kc::WType nwt, bool in_place,
                         int producer_blocks_per_sm = 0) {
  SCOPED_TRACE("producer " + std::to_string(p_rows) + "x" + std::to_string(p_cols) + " group " +
               std::to_string(group) + (in_place ? " in place" : "") + " blocks an SM " +
               std::to_string(producer_blocks_per_sm));
  const auto st = kc::WType::bf16;
  const Weight prod = random_weight(p_rows, p_cols, 4, group, st, 500);
  const Weight q = random_weight(p_rows, p_rows, 4, group, st, 501);
  const Weight k = random_weight(p_rows / 4, p_rows, 4, group, st, 502);
  const Weight v = random_weight(p_rows / 4, p_rows, 4, group, st, 503);
  const Weight gate = random_weight(3 * p_rows, p_rows, 4, group, st, 504);
  const Weight up = random_weight(3 * p_rows, p_rows, 4, group, st, 505);
  const auto f = [](DevBuf& b) { return static_cast<float*>(b.p); };
  DevBuf x(p_cols * 4), res(p_rows * 4), res2(p_rows * 4), w(p_rows * 4);
  x.put(random_floats(p_cols, 11));
  const auto resh = random_floats(p_rows, 12, 3.0f);
  res.put(resh);
  res2.put(resh);
  const auto wf = random_floats(p_rows, 13);
  if (nwt == kc::WType::f32) {
    w.put(wf);
  } else {
    std::vector<std::uint16_t> wb(wf.size());
    for (std::size_t i = 0; i < wf.size(); ++i) {
      std::uint32_t u;
      std::memcpy(&u, &wf[i], 4);
      wb[i] = static_cast<std::uint16_t>(u >> 16);
    }
    w.put(wb);
  }
  const std::size_t pb = static_cast<std::size_t>(p_rows) * 4;
  DevBuf y1(pb), sum1(pb), n1(pb), y2(pb), sum2(pb), n2(pb), parts(pb);
  // q, k, v, gate, up, the one weight (the gate again), glu.
  const int sizes[7] = {p_rows,     p_rows / 4, p_rows / 4, 3 * p_rows,
                        3 * p_rows, 3 * p_rows, 3 * p_rows};
  std::vector<std::unique_ptr<DevBuf>> want, got;
  for (int i = 0; i < 7; ++i) {
    const std::size_t bytes = static_cast<std::size_t>(sizes[i]) * 4;
    want.push_back(std::make_unique<DevBuf>(bytes));
    got.push_back(std::make_unique<DevBuf>(bytes));
    ASSERT_EQ(cudaMemset(got.back()->p, 0xff, bytes), cudaSuccess);  // NaN until written
  }
  const float eps = 1e-5f;
  DevBuf counter(sizeof(unsigned));
  ASSERT_EQ(cudaMemset(counter.p, 0, sizeof(unsigned)), cudaSuccess);
  const kc::WeightView qkv[3] = {q.view, k.view, v.view};
  const auto run = [&](bool fused, DevBuf& y, DevBuf& sum, DevBuf& normed, DevBuf& r,
                       std::vector<std::unique_ptr<DevBuf>>& o) {
    float* const ys_qkv[3] = {f(*o[0]), f(*o[1]), f(*o[2])};
    float* const ys_gu[2] = {f(*o[3]), f(*o[4])};
    float* const ys_one[1] = {f(*o[5])};
    float* sum_p = in_place ? f(r) : f(sum);
    if (!fused) {
      kc::linear(prod.view, f(x), 1, f(y), nullptr);
      kc::add_rms_norm(f(r), f(y), sum_p, w.p, nwt, 1, p_rows, eps, f(normed), nullptr);
      ASSERT_TRUE(kc::linear_shared(qkv, 3, f(normed), 1, ys_qkv, nullptr));
      ASSERT_TRUE(
          kc::linear_glu(gate.view, up.view, f(normed), ys_gu[0], ys_gu[1], f(*o[6]), nullptr));
      ASSERT_TRUE(kc::linear_shared(&gate.view, 1, f(normed), 1, ys_one, nullptr));
      return;
    }
    kc::ResidualNorm rn;
    rn.residual = f(r);
    rn.sum = sum_p;
    rn.parts = f(parts);
    rn.w = w.p;
    rn.wt = nwt;
    rn.eps = eps;
    rn.normed = f(normed);
    rn.producer_blocks_per_sm = producer_blocks_per_sm;
    ASSERT_GE(kc::residual_norm_max_parts(prod.view), p_rows);
    for (const auto& c : qkv) ASSERT_TRUE(kc::residual_norm_applies(prod.view, c, rn));
    // Each consumer after its own producer launch (the parts are rewritten alike).
    ASSERT_TRUE(kc::linear_residual(prod.view, f(x), f(y), rn, nullptr));
    ASSERT_GT(rn.n_parts, 0);
    ASSERT_TRUE(kc::linear_normed(qkv, 3, rn, ys_qkv, nullptr));
    if (in_place) r.put(resh);
    ASSERT_TRUE(kc::linear_residual(prod.view, f(x), f(y), rn, nullptr));
    // Claiming its rows where it can (a counter used once per test case).
    ASSERT_TRUE(kc::linear_glu_normed(gate.view, up.view, rn, ys_gu[0], ys_gu[1], f(*o[6]), nullptr,
                                      static_cast<unsigned*>(counter.p)));
    if (in_place) r.put(resh);
    ASSERT_TRUE(kc::linear_residual(prod.view, f(x), f(y), rn, nullptr));
    ASSERT_TRUE(kc::linear_normed(&gate.view, 1, rn, ys_one, nullptr));
  };
  run(false, y1, sum1, n1, res, want);
  run(true, y2, sum2, n2, res2, got);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const auto dl = [&](DevBuf& b, int n) { return download(f(b), static_cast<std::size_t>(n)); };
  EXPECT_EQ(0, std::memcmp(dl(y1, p_rows).data(), dl(y2, p_rows).data(), pb)) << "y";
  DevBuf& s1 = in_place ? res : sum1;
  DevBuf& s2 = in_place ? res2 : sum2;
  EXPECT_EQ(0, std::memcmp(dl(s1, p_rows).data(), dl(s2, p_rows).data(), pb)) << "sum";
  EXPECT_LT(worst_rel(dl(n2, p_rows), dl(n1, p_rows)), 2e-6f) << "normed";
  const char* names[7] = {"q", "k", "v", "gate", "up", "one weight", "glu"};
  for (int i = 0; i < 7; ++i) {
    const auto a = dl(*got[i], sizes[i]), b = dl(*want[i], sizes[i]);
    EXPECT_LT(worst_rel(a, b), 1e-5f) << names[i];
    EXPECT_NE(b[0], 0.0f) << names[i];
  }
}

TEST(CudaSharedLinear, ResidualNormCarriedByTheGemvs) {
  REQUIRE_GPU();
  check_residual_norm(4096, 4096, 64, kc::WType::bf16, false);  // o of llama-3.1-8b
  // o after attention: two blocks an SM of up to two batches, both loaded before the wait.
  check_residual_norm(4096, 4096, 64, kc::WType::bf16, false, 2);
  check_residual_norm(4096, 4096, 32, kc::WType::f16, true, 2);
  check_residual_norm(4096, 4096, 32, kc::WType::f32, true);
  check_residual_norm(4096, 14336, 64, kc::WType::bf16, true);  // down: a cluster of two blocks
  check_residual_norm(4096, 14336, 128, kc::WType::f16, false);
}

Weight random_dense(int rows, int cols, unsigned seed) {
  const auto v = random_floats(static_cast<std::size_t>(rows) * cols, seed, 0.05f);
  std::vector<std::uint16_t> h(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t u;
    std::memcpy(&u, &v[i], 4);
    h[i] = static_cast<std::uint16_t>(u >> 16);
  }
  Weight w;
  w.codes = std::make_unique<DevBuf>(h.size() * 2);
  EXPECT_EQ(cudaMemcpy(w.codes->p, h.data(), h.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  w.view.data = w.codes->p;
  w.view.type = kc::WType::bf16;
  w.view.rows = rows;
  w.view.cols = cols;
  return w;
}

TEST(CudaSharedLinear, DenseEqualsEachWeightAlone) {
  REQUIRE_GPU();
  for (int cols : {264, 1024}) {
    std::vector<Weight> ws;
    std::vector<kc::WeightView> views;
    const std::vector<int> rows = {75, 19, 19};
    for (std::size_t i = 0; i < rows.size(); ++i) {
      ws.push_back(random_dense(rows[i], cols, 40 + static_cast<unsigned>(i)));
      views.push_back(ws.back().view);
    }
    const auto xh = random_floats(cols, 9);
    DevBuf x(cols * 4), y0(75 * 4), y1(19 * 4), y2(19 * 4), o(75 * 4);
    ASSERT_EQ(cudaMemcpy(x.p, xh.data(), cols * 4, cudaMemcpyHostToDevice), cudaSuccess);
    float* ys[] = {static_cast<float*>(y0.p), static_cast<float*>(y1.p), static_cast<float*>(y2.p)};
    ASSERT_TRUE(kc::linear_shared(views.data(), 3, static_cast<const float*>(x.p), 1, ys, nullptr));
    for (int i = 0; i < 3; ++i) {
      kc::linear(views[i], static_cast<const float*>(x.p), 1, static_cast<float*>(o.p), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      const auto a = download(static_cast<const float*>(o.p), rows[i]);
      const auto b = download(ys[i], rows[i]);
      ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4))
          << "cols " << cols << " weight " << i;
    }
  }
}

TEST(CudaSharedLinear, RefusesWhatItCannotRun) {
  REQUIRE_GPU();
  Weight a = random_weight(32, 256, 4, 64, kc::WType::bf16, 1);
  Weight b = random_weight(32, 512, 4, 64, kc::WType::bf16, 2);
  Weight c = random_weight(32, 256, 4, 32, kc::WType::bf16, 3);
  DevBuf x(2 * 512 * 4), y0(2 * 32 * 4), y1(2 * 32 * 4);
  float* ys[] = {static_cast<float*>(y0.p), static_cast<float*>(y1.p)};
  const auto* xp = static_cast<const float*>(x.p);
  kc::WeightView ab[] = {a.view, b.view}, ac[] = {a.view, c.view}, aa[] = {a.view, a.view};
  EXPECT_FALSE(kc::linear_shared(ab, 2, xp, 1, ys, nullptr));  // columns differ
  EXPECT_FALSE(kc::linear_shared(ac, 2, xp, 1, ys, nullptr));  // groups differ
  EXPECT_FALSE(kc::linear_shared(aa, 2, xp, 2, ys, nullptr));  // two activation rows
  kc::WeightView dense = a.view;
  dense.bits = 0;
  kc::WeightView da[] = {dense, a.view};
  EXPECT_FALSE(kc::linear_shared(da, 2, xp, 1, ys, nullptr));  // dense beside affine
  kc::WeightView three = a.view;
  three.bits = 3;
  kc::WeightView tt[] = {three, three};
  EXPECT_FALSE(kc::linear_shared(tt, 2, xp, 1, ys, nullptr));
}

}  // namespace
