// Row-wise and element-wise ops: norms, rotary embeddings, GLU, residual add.
#include <algorithm>

#include "common.cuh"
#include "rmlx/kernels_cuda/fused.h"

namespace rmlx::kernels_cuda {

namespace {

// Block-wide sum over 256 threads.
__device__ float block_sum(float v, float* shared) {
  v = warp_sum(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / 32 ? shared[threadIdx.x] : 0.0f;
  if (warp == 0) v = warp_sum(v);
  if (threadIdx.x == 0) shared[0] = v;
  __syncthreads();
  const float r = shared[0];
  __syncthreads();
  return r;
}

__global__ void rms_norm_kernel(const float* x, const void* w, WType wt, int dim, float eps,
                                float* out) {
  __shared__ float red[32];
  const float* xr = x + static_cast<std::size_t>(blockIdx.x) * dim;
  float* o = out + static_cast<std::size_t>(blockIdx.x) * dim;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) ss += xr[i] * xr[i];
  ss = block_sum(ss, red);
  const float rs = rsqrtf(ss / static_cast<float>(dim) + eps);
  for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = xr[i] * rs * load_any(w, wt, i);
}

// rms_norm_kernel over a + b, with the sum written out: each thread reads and
// writes only its own elements, so sum may alias a or b and out may alias b.
__global__ void add_rms_norm_kernel(const float* a, const float* b, float* sum, const void* w,
                                    WType wt, int dim, float eps, float* out) {
  __shared__ float red[32];
  const std::size_t base = static_cast<std::size_t>(blockIdx.x) * dim;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) {
    const float v = a[base + i] + b[base + i];
    sum[base + i] = v;
    ss += v * v;
  }
  ss = block_sum(ss, red);
  const float rs = rsqrtf(ss / static_cast<float>(dim) + eps);
  for (int i = threadIdx.x; i < dim; i += blockDim.x) {
    out[base + i] = sum[base + i] * rs * load_any(w, wt, i);
  }
}

// Four weights from index i (a multiple of 4) of a 16-byte-aligned weight row.
__device__ __forceinline__ float4 load4(const void* w, WType t, int i) {
  if (t == WType::f32) return reinterpret_cast<const float4*>(w)[i / 4];
  const uint2 u = reinterpret_cast<const uint2*>(w)[i / 4];
  const std::uint16_t h[4] = {
      static_cast<std::uint16_t>(u.x & 0xffffu), static_cast<std::uint16_t>(u.x >> 16),
      static_cast<std::uint16_t>(u.y & 0xffffu), static_cast<std::uint16_t>(u.y >> 16)};
  float f[4];
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    f[k] = t == WType::bf16 ? bf16_bits_to_f32(h[k]) : f16_bits_to_f32(h[k]);
  }
  return make_float4(f[0], f[1], f[2], f[3]);
}

// RMSNorm of one row per block with the row held in registers (VPT float4 per
// thread, up to 1024 threads): one read and one write of the row, so a decode
// step's norm is a few memory round trips instead of a loop of them. With b, the
// row is a + b and is written to sum first (the residual add fused in).
template <int VPT>
__global__ void __launch_bounds__(1024)
    rms_norm_rows_kernel(const float* a, const float* b, float* sum, const void* w, WType wt,
                         int dim, float eps, float* out) {
  __shared__ float red[32];
  // The norm's weights are constants: loaded before waiting on the kernel that
  // writes the row (one memory round trip fewer on a decode step's critical path).
  float4 g[VPT];
#pragma unroll
  for (int k = 0; k < VPT; ++k) {
    const int j = threadIdx.x + k * blockDim.x;
    g[k] = 4 * j < dim ? load4(w, wt, 4 * j) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
  wait_prior_grid();
  const std::size_t base = static_cast<std::size_t>(blockIdx.x) * dim;
  const float4* a4 = reinterpret_cast<const float4*>(a + base);
  float4 v[VPT];
  float ss = 0.0f;
#pragma unroll
  for (int k = 0; k < VPT; ++k) {
    const int j = threadIdx.x + k * blockDim.x;
    v[k] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (4 * j < dim) {
      v[k] = a4[j];
      if (b != nullptr) {
        const float4 c = reinterpret_cast<const float4*>(b + base)[j];
        v[k].x += c.x;
        v[k].y += c.y;
        v[k].z += c.z;
        v[k].w += c.w;
      }
    }
  }
  // Reads of the whole row come before any write: sum and out may alias a or b.
  if (sum != nullptr) {
    __syncthreads();
#pragma unroll
    for (int k = 0; k < VPT; ++k) {
      const int j = threadIdx.x + k * blockDim.x;
      if (4 * j < dim) reinterpret_cast<float4*>(sum + base)[j] = v[k];
    }
  }
#pragma unroll
  for (int k = 0; k < VPT; ++k) {
    ss += v[k].x * v[k].x + v[k].y * v[k].y + v[k].z * v[k].z + v[k].w * v[k].w;
  }
  ss = block_sum(ss, red);
  const float rs = rsqrtf(ss / static_cast<float>(dim) + eps);
#pragma unroll
  for (int k = 0; k < VPT; ++k) {
    const int j = threadIdx.x + k * blockDim.x;
    if (4 * j < dim) {
      reinterpret_cast<float4*>(out + base)[j] = make_float4(
          v[k].x * rs * g[k].x, v[k].y * rs * g[k].y, v[k].z * rs * g[k].z, v[k].w * rs * g[k].w);
    }
  }
}

bool aligned16(const void* p) {
  return (reinterpret_cast<std::uintptr_t>(p) & 15) == 0;
}

// The register-resident kernel when the shapes allow it (dim a multiple of 4, at
// most 16384, rows 16-byte aligned); false otherwise.
bool rms_norm_rows(const float* a, const float* b, float* sum, const void* w, WType wt,
                   std::int64_t rows, std::int64_t dim, float eps, float* out, cudaStream_t s) {
  if (dim % 4 != 0 || dim > 16384 || !aligned16(a) || !aligned16(out) ||
      (b != nullptr && !aligned16(b)) || (sum != nullptr && !aligned16(sum)) || !aligned16(w)) {
    return false;
  }
  const int quads = static_cast<int>(dim / 4);
  const int threads = std::min(1024, (quads + 31) / 32 * 32);
  const int vpt = (quads + threads - 1) / threads;
  const auto grid = static_cast<unsigned>(rows);
  const int d = static_cast<int>(dim);
  auto* kernel = vpt == 1   ? rms_norm_rows_kernel<1>
                 : vpt == 2 ? rms_norm_rows_kernel<2>
                            : rms_norm_rows_kernel<4>;
  launch_pdl("rms_norm", kernel, dim3(grid), dim3(threads), 0, s, a, b, sum, w, wt, d, eps, out);
  return true;
}

__global__ void layer_norm_kernel(const float* x, const float* w, const float* b, int dim,
                                  float eps, float* out) {
  __shared__ float red[32];
  const float* xr = x + static_cast<std::size_t>(blockIdx.x) * dim;
  float* o = out + static_cast<std::size_t>(blockIdx.x) * dim;
  float s = 0.0f;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) s += xr[i];
  const float mean = block_sum(s, red) / static_cast<float>(dim);
  float v = 0.0f;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) v += (xr[i] - mean) * (xr[i] - mean);
  const float rs = rsqrtf(block_sum(v, red) / static_cast<float>(dim) + eps);
  for (int i = threadIdx.x; i < dim; i += blockDim.x) {
    o[i] = (xr[i] - mean) * rs * w[i] + (b != nullptr ? b[i] : 0.0f);
  }
}

__global__ void rope_kernel(float* x, int heads, int head_dim, int rotary_dim, bool traditional,
                            const float* inv_freq, float position_scale, float x_scale,
                            const std::int32_t* positions) {
  const int t = blockIdx.x;
  const int half = rotary_dim / 2;
  const float pos = static_cast<float>(positions[t]) * position_scale;
  for (int idx = threadIdx.x; idx < heads * half; idx += blockDim.x) {
    const int h = idx / half, i = idx % half;
    float* v = x + (static_cast<std::size_t>(t) * heads + h) * head_dim;
    const float theta = pos * inv_freq[i];
    float sn, co;
    sincosf(theta, &sn, &co);
    const int a = traditional ? 2 * i : i, c = traditional ? 2 * i + 1 : i + half;
    const float x1 = v[a] * x_scale, x2 = v[c] * x_scale;
    v[a] = x1 * co - x2 * sn;
    v[c] = x1 * sn + x2 * co;
  }
}

__global__ void glu_kernel(const float* gate, const float* up, std::int64_t count, bool gelu_tanh,
                           float* out) {
  wait_prior_grid();
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const float g = gate[i];
  float a;
  if (gelu_tanh) {
    a = 0.5f * g * (1.0f + tanhf(0.7978845608028654f * (g + 0.044715f * g * g * g)));
  } else {
    a = g / (1.0f + expf(-g));
  }
  out[i] = a * up[i];
}

__global__ void add_kernel(const float* a, const float* b, std::int64_t count, float* out) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < count) out[i] = a[i] + b[i];
}

}  // namespace

void rms_norm(const float* x, const void* w, WType wt, std::int64_t rows, std::int64_t dim,
              float eps, float* out, cudaStream_t s) {
  if (rows == 0) return;
  if (rms_norm_rows(x, nullptr, nullptr, w, wt, rows, dim, eps, out, s)) return;
  rms_norm_kernel<<<static_cast<unsigned>(rows), dim <= 128 ? 128 : 256, 0, s>>>(
      x, w, wt, static_cast<int>(dim), eps, out);
  check_launch("rms_norm");
}

void add_rms_norm(const float* a, const float* b, float* sum, const void* w, WType wt,
                  std::int64_t rows, std::int64_t dim, float eps, float* out, cudaStream_t s) {
  if (rows == 0) return;
  if (rms_norm_rows(a, b, sum, w, wt, rows, dim, eps, out, s)) return;
  add_rms_norm_kernel<<<static_cast<unsigned>(rows), dim <= 128 ? 128 : 256, 0, s>>>(
      a, b, sum, w, wt, static_cast<int>(dim), eps, out);
  check_launch("add_rms_norm");
}

void layer_norm(const float* x, const float* w, const float* b, std::int64_t rows, std::int64_t dim,
                float eps, float* out, cudaStream_t s) {
  if (rows == 0) return;
  layer_norm_kernel<<<static_cast<unsigned>(rows), 256, 0, s>>>(x, w, b, static_cast<int>(dim), eps,
                                                                out);
  check_launch("layer_norm");
}

void rope(float* x, std::int64_t n, int heads, int head_dim, int rotary_dim, bool traditional,
          const float* inv_freq, float position_scale, float x_scale, const std::int32_t* positions,
          cudaStream_t s) {
  if (n == 0) return;
  rope_kernel<<<static_cast<unsigned>(n), 256, 0, s>>>(
      x, heads, head_dim, rotary_dim, traditional, inv_freq, position_scale, x_scale, positions);
  check_launch("rope");
}

void glu(const float* gate, const float* up, std::int64_t count, bool gelu_tanh, float* out,
         cudaStream_t s) {
  if (count == 0) return;
  launch_pdl("glu", glu_kernel, dim3(blocks_for(count, 256)), dim3(256), 0, s, gate, up, count,
             gelu_tanh, out);
}

void add(const float* a, const float* b, std::int64_t count, float* out, cudaStream_t s) {
  if (count == 0) return;
  add_kernel<<<blocks_for(count, 256), 256, 0, s>>>(a, b, count, out);
  check_launch("add");
}

}  // namespace rmlx::kernels_cuda
