// Row-wise and element-wise ops: norms, rotary embeddings, GLU, residual add.
#include "common.cuh"

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
  rms_norm_kernel<<<static_cast<unsigned>(rows), dim <= 128 ? 128 : 256, 0, s>>>(
      x, w, wt, static_cast<int>(dim), eps, out);
  check_launch("rms_norm");
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
  glu_kernel<<<blocks_for(count, 256), 256, 0, s>>>(gate, up, count, gelu_tanh, out);
  check_launch("glu");
}

void add(const float* a, const float* b, std::int64_t count, float* out, cudaStream_t s) {
  if (count == 0) return;
  add_kernel<<<blocks_for(count, 256), 256, 0, s>>>(a, b, count, out);
  check_launch("add");
}

}  // namespace rmlx::kernels_cuda
