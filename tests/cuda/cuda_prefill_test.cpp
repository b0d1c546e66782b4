// The prefill kernels of the CUDA backend against the CPU backend: the
// tensor-core linear path (dense 16-bit, f32, affine dequantized to bf16) and
// flash-attention prefill over the paged cache. Skips without a usable GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>
#include <rmlx/sdk/weight_format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cpu_ops.h"
#include "cuda_ops.h"
#include "cuda_test_util.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels_cuda/flash_prefill.h"
#include "rmlx/kernels_cuda/gemm.h"

namespace {

namespace sdk = rmlx::sdk;
namespace k = rmlx::kernels;
namespace kc = rmlx::kernels_cuda;
using rmlx::backend_cpu::CpuOps;
using rmlx::backend_cuda::CudaOps;
using rmlx::cuda_test::attend_both;
using rmlx::cuda_test::attention_params;
using rmlx::cuda_test::device_kv_layer;
using rmlx::cuda_test::download;
using rmlx::cuda_test::have_gpu;
using rmlx::cuda_test::host_tensor;
using rmlx::cuda_test::HostKvLayer;
using rmlx::cuda_test::random_floats;

// Largest |got - want| as a fraction of the largest |want|.
float rel_error(const std::vector<float>& got, const std::vector<float>& want) {
  EXPECT_EQ(got.size(), want.size());
  float scale = 1e-6f, worst = 0.0f;
  for (float w : want) scale = std::max(scale, std::fabs(w));
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
    const float e = std::fabs(got[i] - want[i]);
    if (!(e <= worst)) worst = e;  // NaN counts as worst
  }
  return worst / scale;
}

std::vector<std::uint16_t> to_16(const std::vector<float>& v, sdk::DType t) {
  std::vector<std::uint16_t> o(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    o[i] = t == sdk::DType::bf16 ? k::f32_to_bf16(v[i]) : k::f32_to_f16(v[i]);
  }
  return o;
}

// The values a 16-bit activation conversion leaves (round to nearest even).
std::vector<float> rounded(const std::vector<float>& v, sdk::DType t) {
  std::vector<float> o(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    o[i] = t == sdk::DType::bf16 ? k::bf16_to_f32(k::f32_to_bf16(v[i]))
                                 : k::f16_to_f32(k::f32_to_f16(v[i]));
  }
  return o;
}

// Runs y = x W^T (+ bias) on the GPU with x uploaded and y copied back.
std::vector<float> gpu_linear(CudaOps& gpu, const sdk::Tensor& w_dev, const sdk::Tensor* bias,
                              std::vector<float>& x, std::int64_t n, std::int64_t out) {
  gpu.begin_step();
  const auto x_dev = gpu.upload(
      host_tensor(x.data(), sdk::DType::f32, {n, static_cast<std::int64_t>(x.size()) / n}));
  std::vector<float> got(static_cast<std::size_t>(n * out), std::nanf(""));
  auto y = host_tensor(got.data(), sdk::DType::f32, {n, out});
  gpu.dense_linear(w_dev, bias, x_dev, y);
  return got;
}

TEST(CudaPrefill, DenseLinearOnTensorCoresMatchesCpu) {
  REQUIRE_GPU();
  CudaOps gpu(0);
  CpuOps cpu(1);
  kc::TensorGemm probe;
  ASSERT_TRUE(probe.available()) << probe.unavailable_reason();
  const std::int64_t out = 200, in = 320;
  auto wf = random_floats(static_cast<std::size_t>(out * in), 1, 0.05f);
  auto bias = random_floats(static_cast<std::size_t>(out), 2);
  const auto b_host = host_tensor(bias.data(), sdk::DType::f32, {out});
  const auto b_dev = gpu.upload(b_host);
  for (sdk::DType t : {sdk::DType::f32, sdk::DType::f16, sdk::DType::bf16}) {
    std::vector<std::uint16_t> w16;
    void* wp = wf.data();
    if (t != sdk::DType::f32) {
      w16 = to_16(wf, t);
      wp = w16.data();
    }
    const auto w_host = host_tensor(wp, t, {out, in});
    const auto w_dev = gpu.upload(w_host);
    for (std::int64_t n : {16, 40, 127, 128, 300}) {
      const std::string what = std::string(sdk::dtype_name(t)) + " n=" + std::to_string(n);
      auto x = random_floats(static_cast<std::size_t>(n * in), 3 + static_cast<unsigned>(n));
      const bool single = t != sdk::DType::f32 && n >= kc::kTensorSplitBelow;
      // From kTensorSplitBelow rows on, activations are rounded once to the weight's
      // type: the reference takes the same rounded activations.
      auto x_ref = single ? rounded(x, t) : x;
      std::vector<float> want(static_cast<std::size_t>(n * out));
      auto y_cpu = host_tensor(want.data(), sdk::DType::f32, {n, out});
      cpu.dense_linear(w_host, &b_host, host_tensor(x_ref.data(), sdk::DType::f32, {n, in}), y_cpu);
      const auto got = gpu_linear(gpu, w_dev, &b_dev, x, n, out);
      // f32 accumulation in another order; split activations keep ~16 bits.
      EXPECT_LE(rel_error(got, want), 1e-5f) << what;
      if (single) {
        // Against the unrounded activations: the bf16/f16 rounding stays small.
        std::vector<float> exact(want.size());
        auto y_exact = host_tensor(exact.data(), sdk::DType::f32, {n, out});
        cpu.dense_linear(w_host, &b_host, host_tensor(x.data(), sdk::DType::f32, {n, in}), y_exact);
        EXPECT_LE(rel_error(got, exact), t == sdk::DType::bf16 ? 1e-2f : 2e-3f) << what;
      }
    }
  }
}

TEST(CudaPrefill, AffineDequantizesExactlyAndMultipliesOnTensorCores) {
  REQUIRE_GPU();
  CudaOps gpu(0);
  CpuOps cpu(1);
  const std::int64_t out = 48, in = 384;
  auto wf = random_floats(static_cast<std::size_t>(out * in), 7, 0.1f);
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int gs : {32, 64, 128}) {
      const std::string what = std::to_string(bits) + "-bit g" + std::to_string(gs);
      const std::int64_t groups = out * (in / gs);
      std::vector<std::uint32_t> packed(static_cast<std::size_t>(out * in * bits / 32));
      std::vector<float> scales(static_cast<std::size_t>(groups)), biases(scales.size());
      k::affine::quantize(wf.data(), out, in, bits, gs, packed.data(), scales.data(),
                          biases.data());
      // Scales and biases as bf16, the type mlx_lm stores.
      auto s16 = to_16(scales, sdk::DType::bf16), b16 = to_16(biases, sdk::DType::bf16);
      std::vector<float> deq(static_cast<std::size_t>(out * in));
      k::affine::dequantize_to_f32(k::FloatType::bf16, packed.data(), s16.data(), b16.data(), out,
                                   in, bits, gs, deq.data());
      const auto deq16 = to_16(deq, sdk::DType::bf16);

      // The dequantized bf16 weight, bit for bit.
      auto p_dev = gpu.upload(host_tensor(packed.data(), sdk::DType::u32, {out, in * bits / 32}));
      auto s_dev = gpu.upload(host_tensor(s16.data(), sdk::DType::bf16, {out, in / gs}));
      auto b_dev = gpu.upload(host_tensor(b16.data(), sdk::DType::bf16, {out, in / gs}));
      kc::WeightView v;
      v.data = p_dev.data;
      v.type = kc::WType::bf16;
      v.rows = out;
      v.cols = in;
      v.bits = bits;
      v.group_size = gs;
      v.scales = s_dev.data;
      v.biases = b_dev.data;
      auto o_dev = gpu.scratch(sdk::DType::bf16, {out, in});
      kc::dequantize_to_bf16(v, static_cast<std::uint16_t*>(o_dev.data), gpu.stream());
      gpu.synchronize();
      std::vector<std::uint16_t> got16(deq16.size());
      ASSERT_EQ(cudaMemcpy(got16.data(), o_dev.data, got16.size() * 2, cudaMemcpyDeviceToHost),
                cudaSuccess);
      EXPECT_EQ(got16, deq16) << what;

      // Through the backend: from kTensorMinRowsAffine rows on, the tensor-core path over
      // that bf16 weight.
      auto lw = rmlx::backend_cuda::bind_affine(
          host_tensor(packed.data(), sdk::DType::u32, {out, in * bits / 32}),
          host_tensor(s16.data(), sdk::DType::bf16, {out, in / gs}),
          host_tensor(b16.data(), sdk::DType::bf16, {out, in / gs}), sdk::Tensor{}, bits, gs, gpu);
      const auto w_ref =
          host_tensor(const_cast<std::uint16_t*>(deq16.data()), sdk::DType::bf16, {out, in});
      for (std::int64_t n : {kc::kTensorMinRowsAffine, std::int64_t{160}}) {
        auto x = random_floats(static_cast<std::size_t>(n * in), 11 + static_cast<unsigned>(n));
        auto x_ref = n >= kc::kTensorSplitBelow ? rounded(x, sdk::DType::bf16) : x;
        std::vector<float> want(static_cast<std::size_t>(n * out)), exact(want.size());
        auto y_cpu = host_tensor(want.data(), sdk::DType::f32, {n, out});
        cpu.dense_linear(w_ref, nullptr, host_tensor(x_ref.data(), sdk::DType::f32, {n, in}),
                         y_cpu);
        gpu.begin_step();
        auto x_dev = gpu.upload(host_tensor(x.data(), sdk::DType::f32, {n, in}));
        std::vector<float> got(want.size(), std::nanf(""));
        auto y = host_tensor(got.data(), sdk::DType::f32, {n, out});
        lw->apply(gpu, x_dev, y);
        EXPECT_LE(rel_error(got, want), 1e-5f) << what << " n=" << n;
        // Against the f32 dequantized weight and unrounded activations.
        auto w_f32 = host_tensor(deq.data(), sdk::DType::f32, {out, in});
        auto y_exact = host_tensor(exact.data(), sdk::DType::f32, {n, out});
        cpu.dense_linear(w_f32, nullptr, host_tensor(x.data(), sdk::DType::f32, {n, in}), y_exact);
        EXPECT_LE(rel_error(got, exact), 1e-2f) << what << " n=" << n;
      }
    }
  }
}

struct AttnCase {
  int head_dim;
  int window;
  float softcap;
};

// Three sequences (two prefills, one of them continuing earlier context, and a
// single decode row) in one batch, against the CPU backend.
void check_flash(const AttnCase& c) {
  CudaOps gpu(0);
  CpuOps cpu(1);
  const int heads = 8, kv_heads = 2, hd = c.head_dim, bs = 16, n_blocks = 40;
  const HostKvLayer host_kv(n_blocks, bs, kv_heads, hd);
  const sdk::KvLayerView& cv = host_kv.view;
  const sdk::KvLayerView gv = device_kv_layer(gpu, n_blocks, bs, kv_heads, hd);
  sdk::AttentionParams p = attention_params(heads, kv_heads, hd, c.window);
  p.softcap = c.softcap;
  // Scattered blocks: a needs 18 (280 tokens), b 9 (130), c 2 (31).
  std::vector<std::int32_t> blocks(n_blocks);
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), std::mt19937(9));
  const std::vector<std::int32_t> ta(blocks.begin(), blocks.begin() + 18);
  const std::vector<std::int32_t> tb(blocks.begin() + 18, blocks.begin() + 27);
  const std::vector<std::int32_t> tc(blocks.begin() + 27, blocks.begin() + 30);
  int pos[3] = {0, 0, 0};
  // Step 1 fills context (b: 40 rows, c: 30 rows); step 2 is the flash prefill.
  const std::vector<std::array<int, 3>> steps = {{150, 40, 30}, {130, 90, 1}};
  unsigned seed = 500 + static_cast<unsigned>(hd + c.window);
  for (std::size_t st = 0; st < steps.size(); ++st) {
    const auto rows = steps[st];
    const std::int64_t n = rows[0] + rows[1] + rows[2];
    std::vector<sdk::AttentionSeq> seqs(3);
    seqs[0] = {0, rows[0], pos[0], ta};
    seqs[1] = {rows[0], rows[1], pos[1], tb};
    seqs[2] = {rows[0] + rows[1], rows[2], pos[2], tc};
    const auto [got, want] = attend_both(gpu, cpu, cv, gv, seqs, p, n, seed);
    const std::string what = "head_dim " + std::to_string(hd) + " window " +
                             std::to_string(c.window) + " softcap " + std::to_string(c.softcap) +
                             " step " + std::to_string(st);
    // Both steps have >= 64 rows per sequence on average: the flash kernel runs.
    kc::AttnArgs probe;
    probe.head_dim = hd;
    probe.n_heads = heads;
    probe.n_kv_heads = kv_heads;
    probe.n_rows = static_cast<int>(n);
    probe.n_seqs = 3;
    ASSERT_TRUE(kc::flash_prefill_takes(probe)) << what;
    // Queries and probabilities are rounded to f16 for the tensor cores (11
    // significant bits); the CPU keeps them in f32.
    EXPECT_LE(rel_error(got, want), 2e-3f) << what;
    for (int i = 0; i < 3; ++i) pos[i] += rows[i];
  }
}

TEST(CudaPrefill, FlashAttentionMatchesCpuCausalGqa) {
  REQUIRE_GPU();
  check_flash({128, 0, 0.0f});
  check_flash({64, 0, 0.0f});
}

TEST(CudaPrefill, FlashAttentionMatchesCpuWithSlidingWindowAndSoftcap) {
  REQUIRE_GPU();
  check_flash({128, 50, 0.0f});
  check_flash({64, 100, 30.0f});
}

TEST(CudaPrefill, FlashAttentionLeavesDecodeStepsToTheSplitKernel) {
  kc::AttnArgs a;
  a.head_dim = 128;
  a.n_heads = 32;
  a.n_kv_heads = 8;
  a.n_rows = 8;
  a.n_seqs = 8;
  EXPECT_FALSE(kc::flash_prefill_takes(a));
  a.n_rows = 2048;
  a.n_seqs = 1;
  EXPECT_TRUE(kc::flash_prefill_takes(a));
  a.head_dim = 96;
  EXPECT_FALSE(kc::flash_prefill_takes(a));
}

}  // namespace
