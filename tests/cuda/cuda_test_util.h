// What the CUDA backend tests share: GPU presence, random inputs, host tensors, raw device
// buffers and reading a device tensor back.
#pragma once

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cuda_ops.h"
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

}  // namespace rmlx::cuda_test
