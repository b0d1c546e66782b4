// kernels_cuda::linear_shared (q/k/v or gate/up of one decode row in one launch)
// against kernels_cuda::linear applied to each weight: the same kernel body, so
// every output must be bit-identical; plus the shapes it must refuse.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "rmlx/kernels_cuda/kernels.h"

namespace {

namespace kc = rmlx::kernels_cuda;
using rmlx::cuda_test::DevBuf;
using rmlx::cuda_test::random_floats;

struct Weight {
  std::unique_ptr<DevBuf> codes, scales, biases;
  kc::WeightView view;
};

Weight random_weight(int rows, int cols, int bits, int group, kc::WType st, unsigned seed) {
  std::mt19937 rng(seed);
  const std::size_t words = static_cast<std::size_t>(rows) * cols * bits / 32;
  std::vector<std::uint32_t> codes(words);
  for (auto& w : codes) w = rng();
  const std::size_t groups = static_cast<std::size_t>(rows) * (cols / group);
  const std::size_t eb = st == kc::WType::f32 ? 4 : 2;
  const auto s = random_floats(groups, seed + 1, 0.02f), b = random_floats(groups, seed + 2, 0.1f);
  std::vector<std::uint8_t> sb(groups * eb), bb(groups * eb);
  for (std::size_t i = 0; i < groups; ++i) {
    if (eb == 4) {
      std::memcpy(&sb[i * 4], &s[i], 4);
      std::memcpy(&bb[i * 4], &b[i], 4);
    } else {  // bf16: the top half of the f32 (truncation is fine for random values)
      std::uint32_t u, v;
      std::memcpy(&u, &s[i], 4);
      std::memcpy(&v, &b[i], 4);
      const std::uint16_t hu = static_cast<std::uint16_t>(u >> 16),
                          hv = static_cast<std::uint16_t>(v >> 16);
      std::memcpy(&sb[i * 2], &hu, 2);
      std::memcpy(&bb[i * 2], &hv, 2);
    }
  }
  Weight w;
  w.codes = std::make_unique<DevBuf>(words * 4);
  w.scales = std::make_unique<DevBuf>(sb.size());
  w.biases = std::make_unique<DevBuf>(bb.size());
  EXPECT_EQ(cudaMemcpy(w.codes->p, codes.data(), words * 4, cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(w.scales->p, sb.data(), sb.size(), cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(w.biases->p, bb.data(), bb.size(), cudaMemcpyHostToDevice), cudaSuccess);
  w.view.data = w.codes->p;
  w.view.scales = w.scales->p;
  w.view.biases = w.biases->p;
  w.view.type = st;
  w.view.rows = rows;
  w.view.cols = cols;
  w.view.bits = bits;
  w.view.group_size = group;
  return w;
}

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
// place over it.
void check_gate_up_glu(int rows, int cols, int group, kc::WType st) {
  SCOPED_TRACE("rows " + std::to_string(rows) + " cols " + std::to_string(cols) + " group " +
               std::to_string(group));
  const Weight gate = random_weight(rows, cols, 4, group, st, 300);
  const Weight up = random_weight(rows, cols, 4, group, st, 400);
  ASSERT_TRUE(kc::linear_glu_applies(gate.view, up.view));
  const auto xh = random_floats(cols, 9);
  DevBuf x(cols * 4);
  ASSERT_EQ(cudaMemcpy(x.p, xh.data(), cols * 4, cudaMemcpyHostToDevice), cudaSuccess);
  const auto* xp = static_cast<const float*>(x.p);
  const std::size_t bytes = static_cast<std::size_t>(rows) * 4;
  DevBuf g1(bytes), u1(bytes), o1(bytes), g2(bytes), u2(bytes), o2(bytes), g3(bytes), u3(bytes);
  for (DevBuf* b : {&g2, &u2, &o2, &g3, &u3}) ASSERT_EQ(cudaMemset(b->p, 0xff, bytes), cudaSuccess);
  const kc::WeightView views[2] = {gate.view, up.view};
  float* const ys[2] = {static_cast<float*>(g1.p), static_cast<float*>(u1.p)};
  ASSERT_TRUE(kc::linear_shared(views, 2, xp, 1, ys, nullptr));
  kc::glu(ys[0], ys[1], rows, false, static_cast<float*>(o1.p), nullptr);
  const auto f = [](DevBuf& b) { return static_cast<float*>(b.p); };
  ASSERT_TRUE(kc::linear_glu(gate.view, up.view, xp, f(g2), f(u2), f(o2), nullptr));
  ASSERT_TRUE(kc::linear_glu(gate.view, up.view, xp, f(g3), f(u3), f(g3), nullptr));
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const auto want_g = download(f(g1), rows), want_u = download(f(u1), rows),
             want_o = download(f(o1), rows);
  EXPECT_EQ(0, std::memcmp(want_g.data(), download(f(g2), rows).data(), bytes)) << "gate";
  EXPECT_EQ(0, std::memcmp(want_u.data(), download(f(u2), rows).data(), bytes)) << "up";
  EXPECT_EQ(0, std::memcmp(want_o.data(), download(f(o2), rows).data(), bytes)) << "glu";
  EXPECT_EQ(0, std::memcmp(want_u.data(), download(f(u3), rows).data(), bytes)) << "up, in place";
  EXPECT_EQ(0, std::memcmp(want_o.data(), download(f(g3), rows).data(), bytes)) << "glu in place";
  ASSERT_NE(want_o[0], 0.0f);
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
