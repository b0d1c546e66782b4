// Affine GEMV for 2-, 4- and 8-bit codes (the widths whose codes never straddle
// a 32-bit word) and up to 8 activation rows. A block of 256 threads owns R
// weight rows; thread t reads word t, t + 256, ... of each row, so a warp reads
// 128 contiguous bytes of a row per load and the activations it needs are
// contiguous too (no strided L1 traffic). The split of each row over the whole
// block keeps enough blocks in flight to cover every SM even for 4096-row
// matrices. Codes become floats with one byte permute each: the code lands in
// the low mantissa byte of 2^23, and subtracting 2^23 leaves it exactly.
#pragma once

#include "common.cuh"

namespace rmlx::kernels_cuda {

constexpr int kWideThreads = 256;

template <int BITS>
__device__ __forceinline__ void word_codes(unsigned w, float* q) {
  constexpr int per_byte = 8 / BITS;
  constexpr unsigned mask = ((1u << BITS) - 1u) * 0x01010101u;
#pragma unroll
  for (int s = 0; s < per_byte; ++s) {
    const unsigned m = (w >> (s * BITS)) & mask;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      q[k * per_byte + s] = __uint_as_float(__byte_perm(m, 0x4B000000u, 0x7440 + k)) - 8388608.0f;
    }
  }
}

template <int BITS, WType S, int NB, int R>
__global__ void __launch_bounds__(kWideThreads)
    gemv_affine_wide(const unsigned* __restrict__ packed, const void* __restrict__ scales,
                     const void* __restrict__ biases, const float* __restrict__ x,
                     float* __restrict__ y, int rows, int cols, int group_size, int n) {
  constexpr int CPW = 32 / BITS;  // codes per word
  __shared__ float red[kWideThreads / 32][R * NB];
  const int row0 = blockIdx.x * R;
  const int b0 = blockIdx.y * NB;
  const int words = cols / CPW, groups = cols / group_size;
  float acc[R][NB];
#pragma unroll
  for (int j = 0; j < R; ++j)
#pragma unroll
    for (int b = 0; b < NB; ++b) acc[j][b] = 0.0f;
  const unsigned* wr[R];
#pragma unroll
  for (int j = 0; j < R; ++j) {
    wr[j] = packed + static_cast<std::size_t>(min(row0 + j, rows - 1)) * words;
  }
#pragma unroll 2
  for (int i = threadIdx.x; i < words; i += kWideThreads) {
    unsigned w[R];
    float s[R], bb[R];
    const int g = (i * CPW) / group_size;
#pragma unroll
    for (int j = 0; j < R; ++j) {
      w[j] = __ldcs(wr[j] + i);
      const std::int64_t gi = static_cast<std::int64_t>(min(row0 + j, rows - 1)) * groups + g;
      s[j] = Elem<S>::load(scales, gi);
      bb[j] = Elem<S>::load(biases, gi);
    }
    float xv[NB][CPW], sum[NB];
#pragma unroll
    for (int b = 0; b < NB; ++b) {
      const int bi = min(b0 + b, n - 1);
      const float4* xp =
          reinterpret_cast<const float4*>(x + static_cast<std::size_t>(bi) * cols + i * CPW);
      sum[b] = 0.0f;
#pragma unroll
      for (int v = 0; v < CPW / 4; ++v) {
        const float4 t = __ldg(xp + v);
        xv[b][4 * v] = t.x, xv[b][4 * v + 1] = t.y, xv[b][4 * v + 2] = t.z, xv[b][4 * v + 3] = t.w;
        sum[b] += (t.x + t.y) + (t.z + t.w);
      }
    }
#pragma unroll
    for (int j = 0; j < R; ++j) {
      float q[CPW];
      word_codes<BITS>(w[j], q);
#pragma unroll
      for (int b = 0; b < NB; ++b) {
        float dot = 0.0f;
#pragma unroll
        for (int e = 0; e < CPW; ++e) dot = fmaf(q[e], xv[b][e], dot);
        acc[j][b] += s[j] * dot + bb[j] * sum[b];
      }
    }
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int j = 0; j < R; ++j)
#pragma unroll
    for (int b = 0; b < NB; ++b) {
      const float v = warp_sum(acc[j][b]);
      if (lane == 0) red[warp][j * NB + b] = v;
    }
  __syncthreads();
  if (threadIdx.x < R * NB) {
    const int j = threadIdx.x / NB, b = threadIdx.x % NB;
    float v = 0.0f;
#pragma unroll
    for (int k = 0; k < kWideThreads / 32; ++k) v += red[k][threadIdx.x];
    if (row0 + j < rows && b0 + b < n) y[static_cast<std::size_t>(b0 + b) * rows + row0 + j] = v;
  }
}

// Rows per block: four keep >= 1000 blocks on 4096-row matrices; batches use
// two so the accumulators stay in registers.
template <int BITS, WType S>
void run_affine_wide(const unsigned* packed, const void* scales, const void* biases, const float* x,
                     std::int64_t n, float* y, int rows, int cols, int group_size, cudaStream_t s) {
  const int nn = static_cast<int>(n);
  const auto go = [&]<int NB, int R>() {
    const dim3 grid(blocks_for(rows, R), blocks_for(n, NB));
    gemv_affine_wide<BITS, S, NB, R>
        <<<grid, kWideThreads, 0, s>>>(packed, scales, biases, x, y, rows, cols, group_size, nn);
  };
  if (n == 1) {
    go.template operator()<1, 4>();
  } else if (n == 2) {
    go.template operator()<2, 4>();
  } else if (n <= 4) {
    go.template operator()<4, 2>();
  } else {
    go.template operator()<8, 2>();
  }
}

}  // namespace rmlx::kernels_cuda
