// Affine linears of 16-33 rows on the tensor-core path (dequantize to bf16,
// activations split in two, one cuBLASLt GEMM) through the CUDA backend, as a
// model's layer runs them: several weights of different sizes in one step (the
// shared buffers grow between them without a synchronisation), eagerly and
// recorded into a CUDA graph, against the CPU backend. Skips without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu_ops.h"
#include "cuda_ops.h"
#include "cuda_test_util.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels_cuda/gemm.h"

namespace {

namespace sdk = rmlx::sdk;
namespace k = rmlx::kernels;
namespace kc = rmlx::kernels_cuda;
using rmlx::backend_cpu::CpuOps;
using rmlx::backend_cuda::CudaOps;
using rmlx::cuda_test::have_gpu;
using rmlx::cuda_test::host_tensor;
using rmlx::cuda_test::random_floats;

// Largest |got - want| over the largest |want|; NaN counts as infinitely wrong.
float rel_error(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return INFINITY;
  float scale = 1e-6f, worst = 0.0f;
  for (float w : want) scale = std::max(scale, std::fabs(w));
  for (std::size_t i = 0; i < got.size(); ++i) {
    const float e = std::fabs(got[i] - want[i]);
    if (!(e <= worst)) worst = std::isnan(e) ? INFINITY : e;
  }
  return worst / scale;
}

// One quantized weight: its CUDA binding and the CPU references.
struct Weight {
  std::int64_t rows, cols;
  std::unique_ptr<sdk::LinearWeight> gpu;
  std::vector<float> deq;            // dequantized in f32
  std::vector<std::uint16_t> deq16;  // the same rounded to bf16 (what the tensor path multiplies)
};

Weight make_weight(CudaOps& gpu, std::int64_t rows, std::int64_t cols, sdk::DType scale_type,
                   unsigned seed) {
  constexpr int bits = 4, gs = 64;
  Weight w{rows, cols, nullptr, {}, {}};
  const auto wf = random_floats(static_cast<std::size_t>(rows * cols), seed, 0.05f);
  const std::int64_t groups = rows * (cols / gs);
  std::vector<std::uint32_t> packed(static_cast<std::size_t>(rows * cols * bits / 32));
  std::vector<float> scales(static_cast<std::size_t>(groups)), biases(scales.size());
  k::affine::quantize(wf.data(), rows, cols, bits, gs, packed.data(), scales.data(), biases.data());
  std::vector<std::uint16_t> s16(scales.size()), b16(biases.size());
  for (std::size_t i = 0; i < scales.size(); ++i) {
    s16[i] = k::f32_to_bf16(scales[i]);
    b16[i] = k::f32_to_bf16(biases[i]);
  }
  const bool bf16 = scale_type == sdk::DType::bf16;
  w.deq.resize(static_cast<std::size_t>(rows * cols));
  if (bf16) {
    k::affine::dequantize_to_f32(k::FloatType::bf16, packed.data(), s16.data(), b16.data(), rows,
                                 cols, bits, gs, w.deq.data());
  } else {
    k::affine::dequantize_to_f32(k::FloatType::f32, packed.data(), scales.data(), biases.data(),
                                 rows, cols, bits, gs, w.deq.data());
  }
  w.deq16.resize(w.deq.size());
  for (std::size_t i = 0; i < w.deq.size(); ++i) w.deq16[i] = k::f32_to_bf16(w.deq[i]);
  void* sp = bf16 ? static_cast<void*>(s16.data()) : scales.data();
  void* bp = bf16 ? static_cast<void*>(b16.data()) : biases.data();
  w.gpu = rmlx::backend_cuda::bind_affine(
      host_tensor(packed.data(), sdk::DType::u32, {rows, cols * bits / 32}),
      host_tensor(sp, scale_type, {rows, cols / gs}),
      host_tensor(bp, scale_type, {rows, cols / gs}), sdk::Tensor{}, bits, gs, gpu);
  return w;
}

// A llama-like layer in miniature: q, k/v, o, gate/up, down, then a tall
// "lm_head" that makes the dequantization buffer grow mid-step.
std::vector<Weight> make_layer(CudaOps& gpu, sdk::DType scale_type) {
  const std::int64_t d = 512, kv = 128, ff = 1536;
  std::vector<Weight> ws;
  unsigned seed = scale_type == sdk::DType::bf16 ? 100 : 200;
  for (auto [r, c] : {std::pair{d, d},
                      {kv, d},
                      {kv, d},
                      {d, d},
                      {ff, d},
                      {ff, d},
                      {d, ff},
                      {std::int64_t{8192}, d}}) {
    ws.push_back(make_weight(gpu, r, c, scale_type, seed++));
  }
  return ws;
}

// Everything a step reads and writes, in device memory allocated up front (so
// a graph can record it): an input and an output per weight.
struct Step {
  std::int64_t n;
  std::vector<sdk::Tensor> xt, yt;
};

Step make_step(CudaOps& gpu, const std::vector<Weight>& ws, std::int64_t n) {
  Step s{n, {}, {}};
  for (const auto& w : ws) {
    // Uploaded, so the backend knows them as its own device memory.
    std::vector<float> zx(static_cast<std::size_t>(n * w.cols)),
        zy(static_cast<std::size_t>(n * w.rows));
    s.xt.push_back(gpu.upload(host_tensor(zx.data(), sdk::DType::f32, {n, w.cols})));
    s.yt.push_back(gpu.upload(host_tensor(zy.data(), sdk::DType::f32, {n, w.rows})));
  }
  return s;
}

void put(const sdk::Tensor& t, const std::vector<float>& v) {
  ASSERT_EQ(cudaMemcpy(t.data, v.data(), v.size() * 4, cudaMemcpyHostToDevice), cudaSuccess);
}

std::vector<float> get(const sdk::Tensor& t) {
  std::vector<float> v(static_cast<std::size_t>(t.numel()), std::nanf(""));
  EXPECT_EQ(cudaMemcpy(v.data(), t.data, v.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  return v;
}

void run_step(CudaOps& gpu, const std::vector<Weight>& ws, Step& s) {
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i].gpu->apply(gpu, s.xt[i], s.yt[i]);
}

// Fresh inputs for every weight; the CPU backend's results on the bf16 weight
// (what the tensor path multiplies, 1e-5) and on the f32 weight (2e-2).
void check_step(CudaOps& gpu, CpuOps& cpu, const std::vector<Weight>& ws, Step& s, unsigned seed,
                bool graph, const std::string& what) {
  std::vector<std::vector<float>> xs;
  for (std::size_t i = 0; i < ws.size(); ++i) {
    xs.push_back(random_floats(static_cast<std::size_t>(s.n * ws[i].cols),
                               seed + static_cast<unsigned>(i), 1.0f));
    put(s.xt[i], xs.back());
    ASSERT_EQ(cudaMemset(s.yt[i].data, 0xff, static_cast<std::size_t>(s.yt[i].numel()) * 4),
              cudaSuccess);
  }
  if (graph) {
    cudaGraph_t g = nullptr;
    cudaGraphExec_t exec = nullptr;
    ASSERT_EQ(cudaStreamBeginCapture(gpu.stream(), cudaStreamCaptureModeRelaxed), cudaSuccess);
    run_step(gpu, ws, s);
    ASSERT_EQ(cudaStreamEndCapture(gpu.stream(), &g), cudaSuccess) << what;
    ASSERT_EQ(cudaGraphInstantiate(&exec, g, 0), cudaSuccess) << what;
    cudaGraphDestroy(g);
    ASSERT_EQ(cudaGraphLaunch(exec, gpu.stream()), cudaSuccess) << what;
    gpu.synchronize();
    cudaGraphExecDestroy(exec);
  } else {
    gpu.begin_step();
    run_step(gpu, ws, s);
    gpu.synchronize();
  }
  for (std::size_t i = 0; i < ws.size(); ++i) {
    const auto& w = ws[i];
    const std::string at = what + " weight " + std::to_string(i) + " [" + std::to_string(w.rows) +
                           ", " + std::to_string(w.cols) + "]";
    const auto got = get(s.yt[i]);
    std::vector<float> want(got.size()), exact(got.size());
    auto x = host_tensor(xs[i].data(), sdk::DType::f32, {s.n, w.cols});
    auto y_ref = host_tensor(want.data(), sdk::DType::f32, {s.n, w.rows});
    auto y_exact = host_tensor(exact.data(), sdk::DType::f32, {s.n, w.rows});
    cpu.dense_linear(
        host_tensor(const_cast<std::uint16_t*>(w.deq16.data()), sdk::DType::bf16, {w.rows, w.cols}),
        nullptr, x, y_ref);
    cpu.dense_linear(
        host_tensor(const_cast<float*>(w.deq.data()), sdk::DType::f32, {w.rows, w.cols}), nullptr,
        x, y_exact);
    EXPECT_LE(rel_error(got, want), 1e-5f) << at;
    EXPECT_LE(rel_error(got, exact), 2e-2f) << at;
  }
}

class CudaTensorAffine : public ::testing::TestWithParam<sdk::DType> {};

TEST_P(CudaTensorAffine, SixteenToThirtyThreeRowsMatchCpuEagerAndInAGraph) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  CudaOps gpu(0);
  CpuOps cpu(1);
  ASSERT_TRUE(gpu.tensor_gemm().available()) << gpu.tensor_gemm().unavailable_reason();
  gpu.tensor_gemm().set_min_rows_affine(16);
  const auto ws = make_layer(gpu, GetParam());
  const std::string type(sdk::dtype_name(GetParam()));
  unsigned seed = 1000;
  for (std::int64_t n : {16, 17, 24, 32, 33}) {
    Step s = make_step(gpu, ws, n);
    const std::string what = type + " scales, n=" + std::to_string(n);
    // The eager step grows the shared buffers; the graph then records this shape.
    check_step(gpu, cpu, ws, s, seed += 100, false, what + " eager");
    check_step(gpu, cpu, ws, s, seed += 100, true, what + " graph");
    check_step(gpu, cpu, ws, s, seed += 100, false, what + " eager again");
  }
}

// The row switch is checked before the device is touched: a bad value is named.
TEST(CudaTensorAffineSwitch, RejectsARowCountBelowOne) {
  ASSERT_EQ(setenv("RMLX_CUDA_AFFINE_TENSOR_ROWS", "0", 1), 0);
  try {
    CudaOps gpu(0);
    ADD_FAILURE() << "CudaOps accepted RMLX_CUDA_AFFINE_TENSOR_ROWS=0";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "cuda: RMLX_CUDA_AFFINE_TENSOR_ROWS must be a positive row count, got '0'");
  }
  unsetenv("RMLX_CUDA_AFFINE_TENSOR_ROWS");
}

INSTANTIATE_TEST_SUITE_P(Scales, CudaTensorAffine,
                         ::testing::Values(sdk::DType::bf16, sdk::DType::f32),
                         [](const auto& info) { return std::string(sdk::dtype_name(info.param)); });

}  // namespace
