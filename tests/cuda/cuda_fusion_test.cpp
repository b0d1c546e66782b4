// The CUDA backend's fused small ops (residual add + RMSNorm; q/k norms + RoPE +
// KV-cache write) against the same ops unfused (RMLX_CUDA_FUSE=0) and against the
// CPU backend, on random inputs with odd sizes.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu_ops.h"
#include "cuda_ops.h"
#include "cuda_test_util.h"
#include "rmlx/kernels/half.h"

namespace {

namespace sdk = rmlx::sdk;
using rmlx::backend_cpu::CpuOps;
using rmlx::backend_cuda::CudaOps;
using rmlx::cuda_test::attention_params;
using rmlx::cuda_test::download;
using rmlx::cuda_test::host_tensor;
using rmlx::cuda_test::random_floats;
using rmlx::cuda_test::random_weight;
using rmlx::cuda_test::Weight;
namespace kc = rmlx::kernels_cuda;

float max_abs(const std::vector<float>& v) {
  float m = 1e-6f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

// Largest |a - b| over the largest |b|.
float rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0.0f;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const float e = std::fabs(a[i] - b[i]);
    if (!(e <= worst)) worst = e;
  }
  return worst / max_abs(b);
}

std::unique_ptr<CudaOps> make_gpu(bool fuse) {
  setenv("RMLX_CUDA_FUSE", fuse ? "1" : "0", 1);
  auto ops = std::make_unique<CudaOps>(0);
  unsetenv("RMLX_CUDA_FUSE");
  return ops;
}

struct AddNormOut {
  std::vector<float> sum, normed;
};

// h += x; x = rms_norm(h) as a decoder layer's residual stream does.
AddNormOut add_norm_gpu(bool fuse, std::vector<float> h, std::vector<float> x,
                        std::vector<std::uint16_t>& w16, std::int64_t rows, std::int64_t dim) {
  auto gpu = make_gpu(fuse);
  gpu->begin_step();
  auto hd = gpu->upload(host_tensor(h.data(), sdk::DType::f32, {rows, dim}));
  auto xd = gpu->upload(host_tensor(x.data(), sdk::DType::f32, {rows, dim}));
  const auto wd = gpu->upload(host_tensor(w16.data(), sdk::DType::bf16, {dim}));
  gpu->add(hd, xd, hd);
  gpu->rms_norm(hd, wd, 1e-5f, xd);
  return {download(*gpu, hd), download(*gpu, xd)};
}

TEST(CudaFusion, AddRmsNormMatchesUnfusedAndCpu) {
  REQUIRE_GPU();
  unsigned seed = 40;
  for (std::int64_t dim : {64, 1000, 2049, 4096}) {
    for (std::int64_t rows : {1, 3}) {
      auto h = random_floats(static_cast<std::size_t>(rows * dim), seed++);
      auto x = random_floats(h.size(), seed++);
      auto w = random_floats(static_cast<std::size_t>(dim), seed++);
      std::vector<std::uint16_t> w16(w.size());
      for (std::size_t i = 0; i < w.size(); ++i) w16[i] = rmlx::kernels::f32_to_bf16(w[i]);
      const auto fused = add_norm_gpu(true, h, x, w16, rows, dim);
      const auto plain = add_norm_gpu(false, h, x, w16, rows, dim);
      const std::string what = "dim " + std::to_string(dim) + " rows " + std::to_string(rows);
      EXPECT_EQ(fused.sum, plain.sum) << what;
      EXPECT_EQ(fused.normed, plain.normed) << what;
      // A fresh CPU backend per case: it caches f32 norm weights by address.
      CpuOps cpu(1);
      std::vector<float> sum(h.size()), normed(h.size());
      for (std::size_t i = 0; i < h.size(); ++i) sum[i] = h[i] + x[i];
      auto out = host_tensor(normed.data(), sdk::DType::f32, {rows, dim});
      cpu.rms_norm(host_tensor(sum.data(), sdk::DType::f32, {rows, dim}),
                   host_tensor(w16.data(), sdk::DType::bf16, {dim}), 1e-5f, out);
      EXPECT_EQ(fused.sum, sum) << what;
      EXPECT_LE(rel_diff(fused.normed, normed), 1e-5f) << what;
    }
  }
}

struct AttnOut {
  std::vector<float> out, q, k;
  std::vector<std::uint16_t> k_cache, v_cache;
};

struct Variant {
  int heads, kv_heads, hd;
  bool qk_norm;
  sdk::RopeParams rope;
};

// Two sequences: a prefill of 13 + 5 rows, then two decode steps; each step runs
// [q/k norms,] rope q, rope k, attention, as the Llama / Qwen3 layers issue them.
template <typename OpsT>
AttnOut run_layer(OpsT& ops, const Variant& v, bool device) {
  const int bs = 16, n_blocks = 6;
  const std::size_t layer_bytes = static_cast<std::size_t>(n_blocks) * bs * v.kv_heads * v.hd * 2;
  std::vector<std::uint16_t> kc(layer_bytes / 2), vc(layer_bytes / 2);
  sdk::KvLayerView kv{kc.data(), vc.data(), bs, v.kv_heads, v.hd, nullptr, nullptr};
  auto to_dev = [&](std::vector<float>& x, std::vector<std::int64_t> shape) {
    auto t = host_tensor(x.data(), sdk::DType::f32, std::move(shape));
    return device ? ops.upload(t) : t;
  };
  if (device) {
    kv.k_blocks =
        ops.upload(host_tensor(nullptr, sdk::DType::u8, {(std::int64_t)layer_bytes})).data;
    kv.v_blocks =
        ops.upload(host_tensor(nullptr, sdk::DType::u8, {(std::int64_t)layer_bytes})).data;
  }
  auto qn = random_floats(static_cast<std::size_t>(v.hd), 7);
  auto kn = random_floats(static_cast<std::size_t>(v.hd), 8);
  const auto qn_t = to_dev(qn, {v.hd});
  const auto kn_t = to_dev(kn, {v.hd});
  const sdk::AttentionParams p = attention_params(v.heads, v.kv_heads, v.hd);
  const std::vector<std::int32_t> table_a = {4, 1}, table_b = {0, 5};
  int pos_a = 0, pos_b = 0;
  AttnOut r;
  unsigned seed = 300;
  for (auto [na, nb] : std::vector<std::pair<int, int>>{{13, 5}, {1, 1}, {1, 1}}) {
    const std::int64_t n = na + nb;
    auto q = random_floats(static_cast<std::size_t>(n * v.heads * v.hd), seed++);
    auto k = random_floats(static_cast<std::size_t>(n * v.kv_heads * v.hd), seed++);
    auto vv = random_floats(static_cast<std::size_t>(n * v.kv_heads * v.hd), seed++);
    std::vector<std::int32_t> positions;
    for (int i = 0; i < na; ++i) positions.push_back(pos_a + i);
    for (int i = 0; i < nb; ++i) positions.push_back(pos_b + i);
    std::vector<sdk::AttentionSeq> seqs = {{0, na, pos_a, table_a}, {na, nb, pos_b, table_b}};
    ops.begin_step();
    auto qt = to_dev(q, {n, v.heads, v.hd});
    auto kt = to_dev(k, {n, v.kv_heads, v.hd});
    auto vt = to_dev(vv, {n, v.kv_heads, v.hd});
    std::vector<float> out_h(q.size());
    sdk::Tensor out = device ? ops.scratch(sdk::DType::f32, {n, v.heads, v.hd})
                             : host_tensor(out_h.data(), sdk::DType::f32, {n, v.heads, v.hd});
    if (v.qk_norm) {
      sdk::Tensor qh = qt, kh = kt;
      qh.shape = {n * v.heads, v.hd};
      kh.shape = {n * v.kv_heads, v.hd};
      ops.rms_norm(qh, qn_t, 1e-6f, qh);
      ops.rms_norm(kh, kn_t, 1e-6f, kh);
    }
    ops.rope(qt, positions, v.rope);
    ops.rope(kt, positions, v.rope);
    ops.attention(qt, kt, vt, kv, seqs, p, out);
    auto back = [&](const sdk::Tensor& t, std::vector<float>& host) {
      if constexpr (std::is_same_v<OpsT, CudaOps>) {
        return download(ops, t);
      } else {
        (void)t;
        return host;
      }
    };
    auto o = back(out, out_h);
    auto qa = back(qt, q);
    auto ka = back(kt, k);
    r.out.insert(r.out.end(), o.begin(), o.end());
    r.q.insert(r.q.end(), qa.begin(), qa.end());
    r.k.insert(r.k.end(), ka.begin(), ka.end());
    pos_a += na;
    pos_b += nb;
  }
  r.k_cache.resize(layer_bytes / 2);
  r.v_cache.resize(layer_bytes / 2);
  if (device) {
    EXPECT_EQ(cudaMemcpy(r.k_cache.data(), kv.k_blocks, layer_bytes, cudaMemcpyDeviceToHost),
              cudaSuccess);
    EXPECT_EQ(cudaMemcpy(r.v_cache.data(), kv.v_blocks, layer_bytes, cudaMemcpyDeviceToHost),
              cudaSuccess);
  } else {
    r.k_cache = kc;
    r.v_cache = vc;
  }
  return r;
}

TEST(CudaFusion, HeadNormRopeAndCacheWriteMatchUnfusedAndCpu) {
  REQUIRE_GPU();
  std::vector<Variant> variants;
  sdk::RopeParams llama3;
  llama3.kind = sdk::RopeKind::llama3;
  llama3.theta = 500000.0f;
  llama3.factor = 8.0f;
  sdk::RopeParams neox;
  neox.theta = 1000000.0f;
  sdk::RopeParams partial;
  partial.interleaved = true;
  partial.rotary_dim = 32;
  variants.push_back({8, 2, 128, false, llama3});  // Llama 3
  variants.push_back({6, 3, 128, true, neox});     // Qwen3 (q/k norms)
  variants.push_back({4, 4, 64, true, partial});   // interleaved, partial rotary
  for (const Variant& v : variants) {
    const std::string what = "heads " + std::to_string(v.heads) + "/" + std::to_string(v.kv_heads) +
                             " hd " + std::to_string(v.hd) + (v.qk_norm ? " qk-norm" : "");
    auto fused_ops = make_gpu(true);
    auto plain_ops = make_gpu(false);
    const AttnOut fused = run_layer(*fused_ops, v, true);
    const AttnOut plain = run_layer(*plain_ops, v, true);
    // The fused kernel does the unfused kernels' arithmetic in the same order.
    EXPECT_LE(rel_diff(fused.q, plain.q), 1e-6f) << what;
    EXPECT_LE(rel_diff(fused.k, plain.k), 1e-6f) << what;
    EXPECT_LE(rel_diff(fused.out, plain.out), 1e-6f) << what;
    std::size_t cache_diffs = 0;
    for (std::size_t i = 0; i < fused.k_cache.size(); ++i) {
      cache_diffs += fused.k_cache[i] != plain.k_cache[i];
      cache_diffs += fused.v_cache[i] != plain.v_cache[i];
    }
    EXPECT_LE(cache_diffs, fused.k_cache.size() / 1000) << what;
    EXPECT_EQ(fused.v_cache, plain.v_cache) << what;
    CpuOps cpu(1);
    const AttnOut ref = run_layer(cpu, v, false);
    EXPECT_LE(rel_diff(fused.q, ref.q), 2e-5f) << what;
    EXPECT_LE(rel_diff(fused.k, ref.k), 2e-5f) << what;
    EXPECT_LE(rel_diff(fused.out, ref.out), 1e-4f) << what;
  }
}

// An op between the deferred ones and attention runs them first: the result is
// the unfused one.
TEST(CudaFusion, InterveningOpRunsDeferredOpsFirst) {
  REQUIRE_GPU();
  auto gpu = make_gpu(true);
  const std::int64_t n = 3, heads = 2, hd = 64, d = heads * hd;
  auto x = random_floats(static_cast<std::size_t>(n * d), 61);
  auto y = random_floats(x.size(), 62);
  gpu->begin_step();
  auto xd = gpu->upload(host_tensor(x.data(), sdk::DType::f32, {n, heads, hd}));
  auto yd = gpu->upload(host_tensor(y.data(), sdk::DType::f32, {n, heads, hd}));
  auto zd = gpu->scratch(sdk::DType::f32, {n, heads, hd});
  const std::vector<std::int32_t> pos = {3, 4, 5};
  sdk::RopeParams rp;
  gpu->rope(xd, pos, rp);
  gpu->add(xd, yd, zd);  // reads the rotated x
  auto z = download(*gpu, zd);
  auto plain = make_gpu(false);
  plain->begin_step();
  auto xp = plain->upload(host_tensor(x.data(), sdk::DType::f32, {n, heads, hd}));
  auto yp = plain->upload(host_tensor(y.data(), sdk::DType::f32, {n, heads, hd}));
  auto zp = plain->scratch(sdk::DType::f32, {n, heads, hd});
  plain->rope(xp, pos, rp);
  plain->add(xp, yp, zp);
  EXPECT_EQ(z, download(*plain, zp));
}

// A decode row through o, the residual add and norm, gate/up with the GLU, down, the add
// and norm again, q/k/v shared, then o, add, norm and one weight: with the adds and norms
// carried by the GEMVs (the default) against RMLX_CUDA_FUSE_NORM=0, to float rounding.
struct ChainOut {
  std::vector<float> h, xn, act, q, k, v, last;
};

ChainOut residual_chain(bool carried, const std::vector<Weight>& ws, const std::vector<float>& h0,
                        const std::vector<float>& a0, std::vector<std::uint16_t>& w16) {
  if (!carried) setenv("RMLX_CUDA_FUSE_NORM", "0", 1);
  auto gpu = std::make_unique<CudaOps>(0);
  unsetenv("RMLX_CUDA_FUSE_NORM");
  const std::int64_t d = ws[0].view.rows, ff = ws[1].view.rows, kv = ws[5].view.rows;
  gpu->begin_step();
  auto h = gpu->upload(host_tensor(const_cast<float*>(h0.data()), sdk::DType::f32, {1, d}));
  auto a = gpu->upload(host_tensor(const_cast<float*>(a0.data()), sdk::DType::f32, {1, d}));
  const auto w = gpu->upload(host_tensor(w16.data(), sdk::DType::bf16, {d}));
  auto y = gpu->scratch(sdk::DType::f32, {1, d});
  auto xn = gpu->scratch(sdk::DType::f32, {1, d});
  auto g = gpu->scratch(sdk::DType::f32, {1, ff});
  auto u = gpu->scratch(sdk::DType::f32, {1, ff});
  auto q = gpu->scratch(sdk::DType::f32, {1, d});
  auto k = gpu->scratch(sdk::DType::f32, {1, kv});
  auto v = gpu->scratch(sdk::DType::f32, {1, kv});
  auto last = gpu->scratch(sdk::DType::f32, {1, ff});
  gpu->linear(ws[0].view, nullptr, a, y);  // o
  gpu->add(h, y, h);
  gpu->rms_norm(h, w, 1e-5f, y);  // into the GEMV's output, as the llama layer does
  const kc::WeightView gu[2] = {ws[1].view, ws[2].view};
  sdk::Tensor* gu_out[2] = {&g, &u};
  EXPECT_TRUE(gpu->linear_shared(gu, y, gu_out));
  gpu->glu(g, u, false, g);
  gpu->linear(ws[3].view, nullptr, g, y);  // down
  gpu->add(y, h, h);                       // the sum's operands the other way round
  gpu->rms_norm(h, w, 1e-5f, xn);
  const kc::WeightView qkv[3] = {ws[4].view, ws[5].view, ws[6].view};
  sdk::Tensor* qkv_out[3] = {&q, &k, &v};
  EXPECT_TRUE(gpu->linear_shared(qkv, xn, qkv_out));
  gpu->linear(ws[0].view, nullptr, q, y);
  gpu->add(h, y, h);
  gpu->rms_norm(h, w, 1e-5f, xn);
  gpu->linear(ws[1].view, nullptr, xn, last);
  return {download(*gpu, h), download(*gpu, xn), download(*gpu, g),   download(*gpu, q),
          download(*gpu, k), download(*gpu, v),  download(*gpu, last)};
}

TEST(CudaFusion, ResidualNormCarriedByGemvsMatchesUnfused) {
  REQUIRE_GPU();
  const int d = 4096, ff = 12288, kvr = 1024;
  std::vector<Weight> ws;
  const int shapes[7][2] = {{d, d}, {ff, d}, {ff, d}, {d, ff}, {d, d}, {kvr, d}, {kvr, d}};
  for (int i = 0; i < 7; ++i) {
    ws.push_back(random_weight(shapes[i][0], shapes[i][1], 4, 64, kc::WType::bf16, 700 + i));
  }
  const auto h0 = random_floats(d, 71, 2.0f), a0 = random_floats(d, 72);
  const auto wf = random_floats(d, 73);
  std::vector<std::uint16_t> w16(d);
  for (int i = 0; i < d; ++i) w16[i] = rmlx::kernels::f32_to_bf16(wf[i]);
  const ChainOut want = residual_chain(false, ws, h0, a0, w16);
  const ChainOut got = residual_chain(true, ws, h0, a0, w16);
  EXPECT_LT(rel_diff(got.h, want.h), 1e-5f);
  EXPECT_LT(rel_diff(got.xn, want.xn), 1e-5f);
  EXPECT_LT(rel_diff(got.act, want.act), 1e-5f);
  EXPECT_LT(rel_diff(got.q, want.q), 1e-5f);
  EXPECT_LT(rel_diff(got.k, want.k), 1e-5f);
  EXPECT_LT(rel_diff(got.v, want.v), 1e-5f);
  EXPECT_LT(rel_diff(got.last, want.last), 1e-5f);
  EXPECT_GT(max_abs(want.last), 1e-3f);
}

// The output layer of one row waits (a deferred GEMV); the greedy step's argmax must
// run after it.
TEST(CudaFusion, GreedyStepSeesTheDeferredOutputLayer) {
  REQUIRE_GPU();
  const int vocab = 1003, d = 4096;
  const Weight head = random_weight(vocab, d, 4, 64, kc::WType::bf16, 800);
  const auto xh = random_floats(d, 81);
  setenv("RMLX_CUDA_GRAPHS", "0", 1);
  CudaOps gpu(0);
  unsetenv("RMLX_CUDA_GRAPHS");
  auto* sampler = static_cast<sdk::DeviceSampler*>(gpu.native(sdk::kDeviceSamplerKey));
  ASSERT_NE(sampler, nullptr);
  const auto x = gpu.upload(host_tensor(const_cast<float*>(xh.data()), sdk::DType::f32, {1, d}));
  const std::vector<std::int32_t> tokens = {1}, positions = {0}, rows = {0};
  sdk::ForwardBatch b;
  b.tokens = tokens;
  b.positions = positions;
  b.logit_rows = rows;
  std::vector<float> logits(vocab);
  auto out = host_tensor(logits.data(), sdk::DType::f32, {1, vocab});
  gpu.begin_step();
  gpu.run_forward(b, out, [&] { gpu.linear(head.view, nullptr, x, out); });
  const auto want =
      static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  for (int step = 0; step < 2; ++step) {
    std::vector<std::int32_t> ids(1, -7);
    gpu.begin_step();
    sampler->run_forward_greedy(b, vocab, ids,
                                [&](sdk::Tensor& l) { gpu.linear(head.view, nullptr, x, l); });
    EXPECT_EQ(ids[0], want) << "step " << step;
  }
}

}  // namespace
