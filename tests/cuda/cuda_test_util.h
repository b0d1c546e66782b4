// What the CUDA backend tests share: GPU presence, random inputs, host tensors, raw device
// buffers and reading a device tensor back.
#pragma once

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "cpu_ops.h"
#include "cuda_ops.h"
#include "rmlx/kernels_cuda/kernels.h"
#include "rmlx/sdk/ops.h"

namespace rmlx::cuda_test {

inline bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

#define REQUIRE_GPU() \
  if (!rmlx::cuda_test::have_gpu()) GTEST_SKIP() << "no CUDA device"

inline std::vector<float> random_floats(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Device memory freed on scope exit.
struct DevBuf {
  void* p = nullptr;
  explicit DevBuf(std::size_t bytes) { EXPECT_EQ(cudaMalloc(&p, bytes), cudaSuccess); }
  ~DevBuf() { cudaFree(p); }
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  template <typename T>
  void put(const std::vector<T>& v) {
    ASSERT_EQ(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  }
};

// Random 2/4/8-bit affine codes with random scales and biases (bf16 or f32) on the device.
struct Weight {
  std::unique_ptr<DevBuf> codes, scales, biases;
  kernels_cuda::WeightView view;
};

inline Weight random_weight(int rows, int cols, int bits, int group, kernels_cuda::WType st,
                            unsigned seed) {
  std::mt19937 rng(seed);
  const std::size_t words = static_cast<std::size_t>(rows) * cols * bits / 32;
  std::vector<std::uint32_t> codes(words);
  for (auto& w : codes) w = rng();
  const std::size_t groups = static_cast<std::size_t>(rows) * (cols / group);
  const std::size_t eb = st == kernels_cuda::WType::f32 ? 4 : 2;
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

inline sdk::Tensor host_tensor(void* data, sdk::DType t, std::vector<std::int64_t> shape) {
  sdk::Tensor x;
  x.data = data;
  x.dtype = t;
  x.shape = std::move(shape);
  return x;
}

// One layer of a paged KV cache in device memory (contents undefined): n_blocks
// blocks of block_size f16 rows for each KV head, keys and values apart.
inline sdk::KvLayerView device_kv_layer(backend_cuda::CudaOps& ops, int n_blocks, int block_size,
                                        int kv_heads, int head_dim) {
  const std::int64_t bytes =
      static_cast<std::int64_t>(n_blocks) * block_size * kv_heads * head_dim * 2;
  sdk::KvLayerView kv{nullptr, nullptr, block_size, kv_heads, head_dim, nullptr, nullptr};
  kv.k_blocks = ops.upload(host_tensor(nullptr, sdk::DType::u8, {bytes})).data;
  kv.v_blocks = ops.upload(host_tensor(nullptr, sdk::DType::u8, {bytes})).data;
  return kv;
}

// The CPU backend's side of device_kv_layer: the same layer in host memory (zeros). Not
// copyable: the view points into its own vectors.
struct HostKvLayer {
  HostKvLayer(int n_blocks, int block_size, int kv_heads, int head_dim)
      : k(static_cast<std::size_t>(n_blocks) * block_size * kv_heads * head_dim * 2),
        v(k.size()),
        view{k.data(), v.data(), block_size, kv_heads, head_dim, nullptr, nullptr} {}
  HostKvLayer(const HostKvLayer&) = delete;
  HostKvLayer& operator=(const HostKvLayer&) = delete;
  std::vector<std::uint8_t> k, v;
  sdk::KvLayerView view;
};

// Attention of heads query heads over kv_heads KV heads, scaled by 1 / sqrt(head_dim).
inline sdk::AttentionParams attention_params(int heads, int kv_heads, int head_dim,
                                             int sliding_window = 0) {
  sdk::AttentionParams p;
  p.n_heads = heads;
  p.n_kv_heads = kv_heads;
  p.head_dim = head_dim;
  p.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  p.sliding_window = sliding_window;
  return p;
}

inline std::vector<float> download(backend_cuda::CudaOps& ops, const sdk::Tensor& t) {
  ops.synchronize();
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  EXPECT_EQ(cudaMemcpy(out.data(), t.data, out.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  return out;
}

// One attention op on the CPU backend (the reference) and on the GPU: {gpu, cpu} outputs.
inline std::pair<std::vector<float>, std::vector<float>> attend_both(
    backend_cuda::CudaOps& gpu, backend_cpu::CpuOps& cpu, const sdk::KvLayerView& cv,
    const sdk::KvLayerView& gv, const std::vector<sdk::AttentionSeq>& seqs,
    const sdk::AttentionParams& p, std::int64_t n, unsigned& seed) {
  const int heads = p.n_heads, kv_heads = p.n_kv_heads, hd = p.head_dim;
  auto q = random_floats(static_cast<std::size_t>(n * heads * hd), seed++);
  auto kk = random_floats(static_cast<std::size_t>(n * kv_heads * hd), seed++);
  auto vv = random_floats(static_cast<std::size_t>(n * kv_heads * hd), seed++);
  std::vector<float> want(q.size());
  auto out_c = host_tensor(want.data(), sdk::DType::f32, {n, heads, hd});
  cpu.attention(host_tensor(q.data(), sdk::DType::f32, {n, heads, hd}),
                host_tensor(kk.data(), sdk::DType::f32, {n, kv_heads, hd}),
                host_tensor(vv.data(), sdk::DType::f32, {n, kv_heads, hd}), cv, seqs, p, out_c);
  gpu.begin_step();
  auto qd = gpu.upload(host_tensor(q.data(), sdk::DType::f32, {n, heads, hd}));
  auto kd = gpu.upload(host_tensor(kk.data(), sdk::DType::f32, {n, kv_heads, hd}));
  auto vd = gpu.upload(host_tensor(vv.data(), sdk::DType::f32, {n, kv_heads, hd}));
  auto od = gpu.scratch(sdk::DType::f32, {n, heads, hd});
  // NaN until written: an output the kernel leaves alone cannot pass.
  EXPECT_EQ(cudaMemset(od.data, 0xff, static_cast<std::size_t>(od.nbytes())), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);  // before the backend's own stream runs
  gpu.attention(qd, kd, vd, gv, seqs, p, od);
  return {download(gpu, od), want};
}

}  // namespace rmlx::cuda_test
