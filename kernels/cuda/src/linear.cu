// Linear layers: a warp-per-row GEMV for decode (weights streamed once with
// 16-byte loads, every activation row of the batch reusing them) and a tiled
// GEMM for prefill, over dense f32/f16/bf16 or MLX affine-quantized weights.
#include "common.cuh"
#include "gemv_wide.cuh"
#include "gemv_xreg.h"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kGemvWarps = 4;

// One activation row: a block's warps share its weight rows and split their columns
// (four times the warps in flight on the narrow matrices of a decode step).
// RMLX_CUDA_GEMV_SPLITK=0 gives each warp whole rows (for comparisons).
bool gemv_splits(std::int64_t n) {
  static const bool on = env_on("RMLX_CUDA_GEMV_SPLITK");
  return on && n == 1;
}

template <WType T>
__device__ __forceinline__ void decode16(const uint4& raw, float* out) {
  if constexpr (T == WType::f32) {
    out[0] = __uint_as_float(raw.x);
    out[1] = __uint_as_float(raw.y);
    out[2] = __uint_as_float(raw.z);
    out[3] = __uint_as_float(raw.w);
  } else {
    const unsigned u[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const auto lo = static_cast<std::uint16_t>(u[i] & 0xffffu);
      const auto hi = static_cast<std::uint16_t>(u[i] >> 16);
      if constexpr (T == WType::bf16) {
        out[2 * i] = bf16_bits_to_f32(lo);
        out[2 * i + 1] = bf16_bits_to_f32(hi);
      } else {
        out[2 * i] = f16_bits_to_f32(lo);
        out[2 * i + 1] = f16_bits_to_f32(hi);
      }
    }
  }
}

// y[b, row] for NB activation rows and R weight rows per warp (R > 1 reuses each
// activation load); cols is a multiple of the 16-byte vector.
// Each warp's sums of its R rows x NB activation rows reach y. split: the block's
// warps took quarters of the same rows' columns (more warps in flight for the
// narrow matrices of one decode row), so they are added in warp order first.
template <int R, int NB>
__device__ __forceinline__ void store_rows(float (&acc)[R][NB], float* __restrict__ y, int rows,
                                           int n, int row0, int b0, bool split) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __shared__ float part[kGemvWarps][R * NB];
#pragma unroll
  for (int j = 0; j < R; ++j)
#pragma unroll
    for (int b = 0; b < NB; ++b) {
      const float v = warp_sum(acc[j][b]);
      if (!split) {
        if (lane == 0 && b0 + b < n && row0 + j < rows) {
          y[static_cast<std::size_t>(b0 + b) * rows + row0 + j] = v;
        }
      } else if (lane == 0) {
        part[warp][j * NB + b] = v;
      }
    }
  if (!split) return;
  __syncthreads();
  if (warp == 0 && lane < R * NB) {
    const int j = lane / NB, b = lane % NB;
    float v = part[0][lane];
#pragma unroll
    for (int w = 1; w < kGemvWarps; ++w) v += part[w][lane];
    if (b0 + b < n && row0 + j < rows) y[static_cast<std::size_t>(b0 + b) * rows + row0 + j] = v;
  }
}

template <WType T, int NB, int R>
__device__ __forceinline__ void gemv_dense_body(const void* __restrict__ w,
                                                const float* __restrict__ x, float* __restrict__ y,
                                                int rows, int cols, int n, int bx, int by,
                                                bool split) {
  constexpr int VEC = T == WType::f32 ? 4 : 8;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int row0 = split ? bx * R : (bx * kGemvWarps + warp) * R;
  const int b0 = by * NB;
  if (row0 >= rows) return;
  const std::size_t row_bytes = static_cast<std::size_t>(cols) * (T == WType::f32 ? 4 : 2);
  const uint4* wr[R];
#pragma unroll
  for (int j = 0; j < R; ++j) {
    const int row = min(row0 + j, rows - 1);
    wr[j] = reinterpret_cast<const uint4*>(static_cast<const char*>(w) + row * row_bytes);
  }
  wait_prior_grid();
  float acc[R][NB];
#pragma unroll
  for (int j = 0; j < R; ++j)
#pragma unroll
    for (int b = 0; b < NB; ++b) acc[j][b] = 0.0f;
  const int nvec = cols / VEC;
#pragma unroll 2
  for (int i = split ? warp * 32 + lane : lane; i < nvec; i += split ? 32 * kGemvWarps : 32) {
    uint4 raw[R];
#pragma unroll
    for (int j = 0; j < R; ++j) raw[j] = __ldcs(wr[j] + i);
#pragma unroll
    for (int b = 0; b < NB; ++b) {
      if (b0 + b < n) {
        const float4* xp =
            reinterpret_cast<const float4*>(x + static_cast<std::size_t>(b0 + b) * cols + i * VEC);
        float xv[VEC];
#pragma unroll
        for (int q = 0; q < VEC / 4; ++q) {
          const float4 v = __ldg(xp + q);
          xv[4 * q] = v.x, xv[4 * q + 1] = v.y, xv[4 * q + 2] = v.z, xv[4 * q + 3] = v.w;
        }
#pragma unroll
        for (int j = 0; j < R; ++j) {
          float wv[VEC];
          decode16<T>(raw[j], wv);
#pragma unroll
          for (int e = 0; e < VEC; ++e) acc[j][b] += wv[e] * xv[e];
        }
      }
    }
  }
  store_rows<R, NB>(acc, y, rows, n, row0, b0, split);
}

template <WType T, int NB, int R>
__global__ void __launch_bounds__(kGemvWarps * 32)
    gemv_dense(const void* __restrict__ w, const float* __restrict__ x, float* __restrict__ y,
               int rows, int cols, int n, bool split) {
  gemv_dense_body<T, NB, R>(w, x, y, rows, cols, n, blockIdx.x, blockIdx.y, split);
}

// Row blocks of up to kMaxSharedLinear weights in one grid (q/k/v, gate/up of one
// activation row): small matrices do not each pay a launch and a ramp of their own.
struct SharedSeg {
  const void* w;  // dense values or packed codes
  const void* scales;
  const void* biases;
  float* y;
  int rows;
  int first_block;
};
struct SharedSegs {
  SharedSeg seg[kMaxSharedLinear];
  int count;
};

__device__ __forceinline__ SharedSeg shared_seg(const SharedSegs& segs, int& local_block) {
  int i = 0;
#pragma unroll
  for (int j = 1; j < kMaxSharedLinear; ++j) {
    if (j < segs.count && static_cast<int>(blockIdx.x) >= segs.seg[j].first_block) i = j;
  }
  SharedSeg sg = segs.seg[0];
#pragma unroll
  for (int j = 1; j < kMaxSharedLinear; ++j) {
    if (i == j) sg = segs.seg[j];
  }
  local_block = static_cast<int>(blockIdx.x) - sg.first_block;
  return sg;
}

template <WType T, int R>
__global__ void __launch_bounds__(kGemvWarps * 32)
    gemv_dense_shared(SharedSegs segs, const float* __restrict__ x, int cols, bool split) {
  int bx = 0;
  const SharedSeg sg = shared_seg(segs, bx);
  gemv_dense_body<T, 1, R>(sg.w, x, sg.y, sg.rows, cols, 1, bx, 0, split);
}

template <int BITS>
__device__ __forceinline__ void load_chunk(const unsigned* p, unsigned* w) {
  if constexpr (BITS == 4) {
    const uint4 a = __ldcs(reinterpret_cast<const uint4*>(p));
    w[0] = a.x, w[1] = a.y, w[2] = a.z, w[3] = a.w;
  } else if constexpr (BITS == 8) {
    const uint4 a = __ldcs(reinterpret_cast<const uint4*>(p));
    const uint4 b = __ldcs(reinterpret_cast<const uint4*>(p) + 1);
    w[0] = a.x, w[1] = a.y, w[2] = a.z, w[3] = a.w;
    w[4] = b.x, w[5] = b.y, w[6] = b.z, w[7] = b.w;
  } else if constexpr (BITS == 2) {
    const uint2 a = __ldcs(reinterpret_cast<const uint2*>(p));
    w[0] = a.x, w[1] = a.y;
  } else {
#pragma unroll
    for (int i = 0; i < BITS; ++i) w[i] = __ldcs(p + i);
  }
}

// One lane decodes a chunk of 32 codes (BITS words, one scale and bias) at a
// time, for R weight rows that share the chunk's activations.
// bx, by: the block's place in the grid of this weight (a shared launch runs several).
template <int BITS, WType S, int NB, int R>
__device__ __forceinline__ void gemv_affine_body(const unsigned* __restrict__ packed,
                                                 const void* __restrict__ scales,
                                                 const void* __restrict__ biases,
                                                 const float* __restrict__ x, float* __restrict__ y,
                                                 int rows, int cols, int group_size, int n, int bx,
                                                 int by, bool split) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int row0 = split ? bx * R : (bx * kGemvWarps + warp) * R;
  const int b0 = by * NB;
  if (row0 >= rows) return;
  const int chunks = cols / 32, groups = cols / group_size;
  wait_prior_grid();
  float acc[R][NB];
#pragma unroll
  for (int j = 0; j < R; ++j)
#pragma unroll
    for (int b = 0; b < NB; ++b) acc[j][b] = 0.0f;
#pragma unroll 2
  for (int c = split ? warp * 32 + lane : lane; c < chunks; c += split ? 32 * kGemvWarps : 32) {
    unsigned w[R][BITS];
    float s[R], bias[R];
#pragma unroll
    for (int j = 0; j < R; ++j) {
      const int row = min(row0 + j, rows - 1);
      load_chunk<BITS>(packed + (static_cast<std::size_t>(row) * chunks + c) * BITS, w[j]);
      const std::int64_t g = static_cast<std::int64_t>(row) * groups + (c * 32) / group_size;
      s[j] = Elem<S>::load(scales, g);
      bias[j] = Elem<S>::load(biases, g);
    }
    if constexpr (R == 1) {
      // One row: decode once, reuse for every activation row.
      float q[32];
#pragma unroll
      for (int e = 0; e < 32; ++e) q[e] = code_f<BITS>(w[0], e);
#pragma unroll
      for (int b = 0; b < NB; ++b) {
        if (b0 + b < n) {
          const float4* xp =
              reinterpret_cast<const float4*>(x + static_cast<std::size_t>(b0 + b) * cols + c * 32);
          float dot = 0.0f, sum = 0.0f;
#pragma unroll
          for (int k = 0; k < 8; ++k) {
            const float4 xv = __ldg(xp + k);
            dot +=
                q[4 * k] * xv.x + q[4 * k + 1] * xv.y + q[4 * k + 2] * xv.z + q[4 * k + 3] * xv.w;
            sum += xv.x + xv.y + xv.z + xv.w;
          }
          acc[0][b] += s[0] * dot + bias[0] * sum;
        }
      }
    } else {
      // Several rows, one activation row: each activation load feeds R rows.
      const float4* xp =
          reinterpret_cast<const float4*>(x + static_cast<std::size_t>(b0) * cols + c * 32);
      float dot[R], sum = 0.0f;
#pragma unroll
      for (int j = 0; j < R; ++j) dot[j] = 0.0f;
#pragma unroll
      for (int k = 0; k < 8; ++k) {
        const float4 xv = __ldg(xp + k);
        sum += xv.x + xv.y + xv.z + xv.w;
#pragma unroll
        for (int j = 0; j < R; ++j) {
          dot[j] += code_f<BITS>(w[j], 4 * k) * xv.x + code_f<BITS>(w[j], 4 * k + 1) * xv.y +
                    code_f<BITS>(w[j], 4 * k + 2) * xv.z + code_f<BITS>(w[j], 4 * k + 3) * xv.w;
        }
      }
#pragma unroll
      for (int j = 0; j < R; ++j) acc[j][0] += s[j] * dot[j] + bias[j] * sum;
    }
  }
  store_rows<R, NB>(acc, y, rows, n, row0, b0, split);
}

template <int BITS, WType S, int NB, int R>
__global__ void __launch_bounds__(kGemvWarps * 32)
    gemv_affine(const unsigned* __restrict__ packed, const void* __restrict__ scales,
                const void* __restrict__ biases, const float* __restrict__ x, float* __restrict__ y,
                int rows, int cols, int group_size, int n, bool split) {
  gemv_affine_body<BITS, S, NB, R>(packed, scales, biases, x, y, rows, cols, group_size, n,
                                   blockIdx.x, blockIdx.y, split);
}

template <int BITS, WType S, int R>
__global__ void __launch_bounds__(kGemvWarps * 32)
    gemv_affine_shared(SharedSegs segs, const float* __restrict__ x, int cols, int group_size,
                       bool split) {
  int bx = 0;
  const SharedSeg sg = shared_seg(segs, bx);
  gemv_affine_body<BITS, S, 1, R>(static_cast<const unsigned*>(sg.w), sg.scales, sg.biases, x, sg.y,
                                  sg.rows, cols, group_size, 1, bx, 0, split);
}

// A chunk of 32 consecutive weights of one row, dequantized to floats.
template <WType T>
struct DenseChunk {
  const void* w;
  int cols;
  __device__ __forceinline__ void operator()(int row, int chunk, float* q) const {
    const uint4* p = reinterpret_cast<const uint4*>(
        static_cast<const char*>(w) +
        (static_cast<std::size_t>(row) * cols + chunk * 32) * (T == WType::f32 ? 4 : 2));
    constexpr int VEC = T == WType::f32 ? 4 : 8;
#pragma unroll
    for (int i = 0; i < 32 / VEC; ++i) decode16<T>(__ldcs(p + i), q + i * VEC);
  }
};

template <int BITS, WType S>
struct AffineChunk {
  const unsigned* packed;
  const void* scales;
  const void* biases;
  int cols;
  int group_size;
  __device__ __forceinline__ void operator()(int row, int chunk, float* q) const {
    unsigned w[BITS];
    load_chunk<BITS>(packed + (static_cast<std::size_t>(row) * (cols / 32) + chunk) * BITS, w);
    const std::int64_t g =
        static_cast<std::int64_t>(row) * (cols / group_size) + (chunk * 32) / group_size;
    const float s = Elem<S>::load(scales, g), b = Elem<S>::load(biases, g);
    if constexpr (BITS == 2 || BITS == 4 || BITS == 8) {
      constexpr int CPW = 32 / BITS;
#pragma unroll
      for (int i = 0; i < BITS; ++i) word_codes<BITS>(w[i], q + i * CPW);
#pragma unroll
      for (int e = 0; e < 32; ++e) q[e] = fmaf(s, q[e], b);
    } else {
#pragma unroll
      for (int e = 0; e < 32; ++e) q[e] = s * code_f<BITS>(w, e) + b;
    }
  }
};

constexpr int kBatchRows = 8;      // activation rows per block (the default)
constexpr int kBatchTileK = 1024;  // columns of activations staged at a time

// 2-32 activation rows (beyond that the tiled GEMM wins): a block stages up to 8 activation rows,
// 1024 columns at a time, in shared memory (permuted so each lane's float4 reads are
// conflict-free); each lane dequantizes one 32-weight chunk of R rows into registers and multiplies
// it with every staged row. Activations are read from L2 once per block instead of
// once per weight row.
template <typename Chunk, int R, int kBatchRows = 8>
__global__ void __launch_bounds__(kGemvWarps * 32)
    gemv_batched(Chunk chunk, const float* __restrict__ x, float* __restrict__ y, int rows,
                 int cols, int n) {
  __shared__ float4 xs[kBatchRows][kBatchTileK / 4];
  const int lane = threadIdx.x & 31;
  const int row0 = (blockIdx.x * kGemvWarps + (threadIdx.x >> 5)) * R;
  const int b0 = blockIdx.y * kBatchRows;
  const int nb = min(kBatchRows, n - b0);
  float acc[R][kBatchRows];
#pragma unroll
  for (int j = 0; j < R; ++j)
#pragma unroll
    for (int b = 0; b < kBatchRows; ++b) acc[j][b] = 0.0f;
  for (int k0 = 0; k0 < cols; k0 += kBatchTileK) {
    const int kt = min(kBatchTileK, cols - k0);  // a multiple of 32
    const int f4 = kt / 4;
    __syncthreads();
    for (int i = threadIdx.x; i < kBatchRows * f4; i += blockDim.x) {
      const int b = i / f4, f = i % f4;
      float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      if (b < nb) {
        v = __ldg(
            reinterpret_cast<const float4*>(x + static_cast<std::size_t>(b0 + b) * cols + k0) + f);
      }
      xs[b][(f % 8) * 32 + f / 8] = v;
    }
    __syncthreads();
    if (row0 < rows && lane * 32 < kt) {
      float q[R][32];
#pragma unroll
      for (int j = 0; j < R; ++j) chunk(min(row0 + j, rows - 1), k0 / 32 + lane, q[j]);
#pragma unroll
      for (int b = 0; b < kBatchRows; ++b) {
        if (b < nb) {
#pragma unroll
          for (int k = 0; k < 8; ++k) {
            const float4 xv = xs[b][k * 32 + lane];
#pragma unroll
            for (int j = 0; j < R; ++j) {
              acc[j][b] += q[j][4 * k] * xv.x + q[j][4 * k + 1] * xv.y + q[j][4 * k + 2] * xv.z +
                           q[j][4 * k + 3] * xv.w;
            }
          }
        }
      }
    }
  }
#pragma unroll
  for (int j = 0; j < R; ++j)
#pragma unroll
    for (int b = 0; b < kBatchRows; ++b) {
      const float v = warp_sum(acc[j][b]);
      if (lane == 0 && b < nb && row0 + j < rows) {
        y[static_cast<std::size_t>(b0 + b) * rows + row0 + j] = v;
      }
    }
}

constexpr int kBatchR = 4;

// One activation row staged in shared memory, four weight rows per warp: the
// activation reads are conflict-free shared loads instead of strided L1 ones.
template <typename Chunk>
void run_staged_single(const Chunk& chunk, const float* x, float* y, int rows, int cols,
                       cudaStream_t s) {
  const dim3 grid(blocks_for(rows, kGemvWarps * kBatchR), 1);
  gemv_batched<Chunk, kBatchR, 1><<<grid, kGemvWarps * 32, 0, s>>>(chunk, x, y, rows, cols, 1);
}

template <typename Chunk>
void run_batched(const Chunk& chunk, const float* x, std::int64_t n, float* y, int rows, int cols,
                 cudaStream_t s) {
  const dim3 grid(blocks_for(rows, kGemvWarps * kBatchR), blocks_for(n, kBatchRows));
  gemv_batched<Chunk, kBatchR>
      <<<grid, kGemvWarps * 32, 0, s>>>(chunk, x, y, rows, cols, static_cast<int>(n));
}

// Element loaders for the GEMM and row gathers.
template <WType T>
struct DenseLoad {
  const void* w;
  int cols;
  __device__ __forceinline__ float operator()(int r, int k) const {
    return Elem<T>::load(w, static_cast<std::int64_t>(r) * cols + k);
  }
};

template <int BITS, WType S>
struct AffineLoad {
  const unsigned* packed;
  const void* scales;
  const void* biases;
  int cols;
  int group_size;
  __device__ __forceinline__ float operator()(int r, int k) const {
    const unsigned* wr = packed + static_cast<std::size_t>(r) * (cols / 32) * BITS;
    const unsigned q = code_at<BITS>(wr + (k >> 5) * BITS, k & 31);
    const std::int64_t g = static_cast<std::int64_t>(r) * (cols / group_size) + k / group_size;
    return Elem<S>::load(scales, g) * static_cast<float>(q) + Elem<S>::load(biases, g);
  }
};

constexpr int kTile = 64, kTileK = 32;

// y[n, rows] = x[n, cols] W^T with 64x64 output tiles, 4x4 per thread.
template <typename Load>
__global__ void __launch_bounds__(256)
    gemm_tiled(Load load, const float* __restrict__ x, float* __restrict__ y, int rows, int cols,
               int n) {
  __shared__ float xs[kTileK][kTile + 4];
  __shared__ float ws[kTileK][kTile + 4];
  const int t = threadIdx.x, tx = t % 16, ty = t / 16;
  const int m0 = blockIdx.y * kTile, r0 = blockIdx.x * kTile;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < cols; k0 += kTileK) {
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int idx = t + i * 256, rr = idx / kTileK, kk = idx % kTileK;
      const int k = k0 + kk;
      const int m = m0 + rr, r = r0 + rr;
      xs[kk][rr] = (m < n && k < cols) ? x[static_cast<std::size_t>(m) * cols + k] : 0.0f;
      ws[kk][rr] = (r < rows && k < cols) ? load(r, k) : 0.0f;
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kTileK; ++kk) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a[i] = xs[kk][ty * 4 + i];
#pragma unroll
      for (int j = 0; j < 4; ++j) b[j] = ws[kk][tx * 4 + j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + ty * 4 + i;
    if (m >= n) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int r = r0 + tx * 4 + j;
      if (r < rows) y[static_cast<std::size_t>(m) * rows + r] = acc[i][j];
    }
  }
}

template <typename Load>
__global__ void gather_kernel(Load load, const std::int32_t* ids, int cols, float* out) {
  const int i = blockIdx.y;
  const int r = ids[i];
  for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x) {
    out[static_cast<std::size_t>(i) * cols + c] = load(r, c);
  }
}

__global__ void bias_kernel(float* y, const void* bias, WType t, std::int64_t total, int cols) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) y[i] += load_any(bias, t, i % cols);
}

template <typename Load>
void run_gemm(const Load& load, const float* x, std::int64_t n, float* y, int rows, int cols,
              cudaStream_t s) {
  const dim3 grid(blocks_for(rows, kTile), blocks_for(n, kTile));
  gemm_tiled<<<grid, 256, 0, s>>>(load, x, y, rows, cols, static_cast<int>(n));
}

template <typename Load>
void run_gather(const Load& load, const std::int32_t* ids, std::int64_t n, int cols, float* out,
                cudaStream_t s) {
  const dim3 grid(blocks_for(cols, 256 * 4) > 0 ? blocks_for(cols, 256 * 4) : 1,
                  static_cast<unsigned>(n));
  gather_kernel<<<grid, 256, 0, s>>>(load, ids, cols, out);
}

// Batch rows per GEMV pass.
int gemv_nb(std::int64_t n) {
  return n <= 1 ? 1 : n <= 2 ? 2 : n <= 4 ? 4 : 8;
}
// Up to 32 rows the GEMV (in passes of 8) beats the SIMT GEMM.
constexpr std::int64_t kGemvMaxRows = 32;

// Launches a GEMV kernel template K<NB, R> over the batch; R > 1 only for one
// activation row, where activation reuse matters most.
template <typename Launch>
void launch_gemv(std::int64_t rows, std::int64_t n, int rows_per_warp, cudaStream_t s,
                 Launch&& launch) {
  const int nb = gemv_nb(n);
  const int r = nb == 1 && rows_per_warp > 1 ? rows_per_warp : 1;
  const dim3 grid(blocks_for(rows, (gemv_splits(n) ? 1 : kGemvWarps) * r), blocks_for(n, nb));
  const dim3 block(kGemvWarps * 32);
  switch (nb * 8 + r) {
    case 1 * 8 + 1:
      launch.template operator()<1, 1>(grid, block, s);
      break;
    case 1 * 8 + 2:
      launch.template operator()<1, 2>(grid, block, s);
      break;
    case 1 * 8 + 4:
      launch.template operator()<1, 4>(grid, block, s);
      break;
    case 1 * 8 + 8:
      launch.template operator()<1, 8>(grid, block, s);
      break;
    case 2 * 8 + 1:
      launch.template operator()<2, 1>(grid, block, s);
      break;
    case 4 * 8 + 1:
      launch.template operator()<4, 1>(grid, block, s);
      break;
    default:
      launch.template operator()<8, 1>(grid, block, s);
  }
}

template <WType T>
void dense_linear(const WeightView& w, const float* x, std::int64_t n, float* y, int rpw,
                  cudaStream_t s) {
  const int rows = static_cast<int>(w.rows), cols = static_cast<int>(w.cols);
  constexpr int VEC = T == WType::f32 ? 4 : 8;
  if (n > 1 && n <= kGemvMaxRows && cols % 32 == 0 && rpw != -1) {
    run_batched(DenseChunk<T>{w.data, cols}, x, n, y, rows, cols, s);
  } else if (n <= kGemvMaxRows && cols % VEC == 0) {
    const int nn = static_cast<int>(n);
    launch_gemv(rows, n, rpw, s, [&]<int NB, int R>(dim3 grid, dim3 block, cudaStream_t st) {
      launch_pdl("linear", gemv_dense<T, NB, R>, grid, block, 0, st, w.data, x, y, rows, cols, nn,
                 gemv_splits(n));
    });
  } else {
    run_gemm(DenseLoad<T>{w.data, cols}, x, n, y, rows, cols, s);
  }
}

template <int BITS, WType S>
void affine_linear(const WeightView& w, const float* x, std::int64_t n, float* y, int rpw,
                   cudaStream_t s) {
  const int rows = static_cast<int>(w.rows), cols = static_cast<int>(w.cols);
  const auto* packed = static_cast<const unsigned*>(w.data);
  // The default for 2/4/8-bit codes: the exact tensor-core kernel (affine_mma.cu).
  if (rpw == 0 && n >= kAffineMmaMinRows && affine_mma_linear(w, x, n, y, s)) return;
  if (rpw == 0 && n == 1 && gemv_xreg(&w, 1, x, &y, s)) return;
  if (rpw == 16) rpw = 0;
  // 0 (the default), 2-32 rows: the block-wide GEMV where the codes never
  // straddle a word (on an H100 it beats the staged one; for one row the
  // four-rows-per-warp GEMV is faster, bench/gpu/NOTES.md).
  if constexpr (BITS == 2 || BITS == 4 || BITS == 8) {
    if (rpw == 0 && n > 1 && n <= kGemvMaxRows) {
      run_affine_wide<BITS, S>(packed, w.scales, w.biases, x, n, y, rows, cols, w.group_size, s);
      return;
    }
  }
  // One row: four weight rows per warp share each activation load; 8-bit codes
  // on tall matrices (MLP up/gate, the output layer) do better with eight
  // (H100, 8B shape: 4.30 ms per step against 4.67; 4-bit loses, 4.81 against 3.72).
  if (rpw == 0) rpw = BITS == 8 && rows >= 8192 ? 8 : 4;
  if (n == 1 && rpw == 1) {
    run_staged_single(AffineChunk<BITS, S>{packed, w.scales, w.biases, cols, w.group_size}, x, y,
                      rows, cols, s);
    return;
  }
  if (n > 1 && n <= kGemvMaxRows && rpw != -1) {
    run_batched(AffineChunk<BITS, S>{packed, w.scales, w.biases, cols, w.group_size}, x, n, y, rows,
                cols, s);
  } else if (n <= kGemvMaxRows) {
    const int nn = static_cast<int>(n), gs = w.group_size;
    launch_gemv(rows, n, rpw, s, [&]<int NB, int R>(dim3 grid, dim3 block, cudaStream_t st) {
      launch_pdl("linear", gemv_affine<BITS, S, NB, R>, grid, block, 0, st, packed, w.scales,
                 w.biases, x, y, rows, cols, gs, nn, gemv_splits(n));
    });
  } else {
    run_gemm(AffineLoad<BITS, S>{packed, w.scales, w.biases, cols, w.group_size}, x, n, y, rows,
             cols, s);
  }
}

// Calls f.template operator()<BITS, S>() for the weight's bit width and scale type.
template <typename F>
void dispatch_affine(const WeightView& w, F&& f) {
  const auto by_type = [&]<int BITS>() {
    switch (w.type) {
      case WType::f32:
        f.template operator()<BITS, WType::f32>();
        break;
      case WType::f16:
        f.template operator()<BITS, WType::f16>();
        break;
      default:
        f.template operator()<BITS, WType::bf16>();
    }
  };
  switch (w.bits) {
    case 2:
      by_type.template operator()<2>();
      break;
    case 3:
      by_type.template operator()<3>();
      break;
    case 4:
      by_type.template operator()<4>();
      break;
    case 5:
      by_type.template operator()<5>();
      break;
    case 6:
      by_type.template operator()<6>();
      break;
    case 8:
      by_type.template operator()<8>();
      break;
    default:
      throw std::invalid_argument("cuda: affine bits must be 2, 3, 4, 5, 6 or 8, got " +
                                  std::to_string(w.bits));
  }
}

template <typename F>
void dispatch_dense(WType t, F&& f) {
  switch (t) {
    case WType::f32:
      f.template operator()<WType::f32>();
      break;
    case WType::f16:
      f.template operator()<WType::f16>();
      break;
    default:
      f.template operator()<WType::bf16>();
  }
}

}  // namespace

void linear(const WeightView& w, const float* x, std::int64_t n, float* y, cudaStream_t s,
            int rows_per_warp) {
  if (n <= 0) return;
  // Measured on an H100 (bench/gpu/NOTES.md): bf16 streams best one row per warp;
  // affine weights take the block-wide GEMV (0) where it applies, else four rows
  // per warp sharing each activation load.
  // -1: the per-row GEMV for batches too (the version before the staged one).
  const bool per_row_batches = rows_per_warp == -1;
  if (rows_per_warp != 1 && rows_per_warp != 2 && rows_per_warp != 4 && rows_per_warp != 8 &&
      !(rows_per_warp == 16 && w.bits != 0)) {
    rows_per_warp = w.bits == 0 ? 1 : 0;
  }
  if (per_row_batches) rows_per_warp = -1;
  if (w.bits == 0) {
    dispatch_dense(w.type, [&]<WType T>() { dense_linear<T>(w, x, n, y, rows_per_warp, s); });
  } else {
    if (w.cols % 32 != 0 || w.cols % w.group_size != 0) {
      throw std::invalid_argument("cuda: affine weight columns must be a multiple of the group");
    }
    dispatch_affine(
        w, [&]<int BITS, WType S>() { affine_linear<BITS, S>(w, x, n, y, rows_per_warp, s); });
  }
  check_launch("linear");
}

bool linear_shared(const WeightView* ws, int count, const float* x, std::int64_t n,
                   float* const* ys, cudaStream_t s) {
  if (n != 1 || count < 1 || count > kMaxSharedLinear) return false;
  const WeightView& w0 = ws[0];
  const bool dense = w0.bits == 0;
  if (!dense && w0.bits != 2 && w0.bits != 4 && w0.bits != 8) return false;
  if (dense ? w0.cols % (w0.type == WType::f32 ? 4 : 8) != 0
            : w0.cols % 32 != 0 || w0.cols % w0.group_size != 0) {
    return false;
  }
  bool tall = true;
  for (int i = 0; i < count; ++i) {
    if (ws[i].bits != w0.bits || ws[i].cols != w0.cols || ws[i].type != w0.type ||
        (!dense && ws[i].group_size != w0.group_size) || ws[i].rows <= 0) {
      return false;
    }
    tall = tall && ws[i].rows >= 8192;
  }
  if (!dense && gemv_xreg(ws, count, x, ys, s)) return true;
  // The rows per warp kernels::linear picks for one activation row.
  const int r = dense ? 1 : w0.bits == 8 && tall ? 8 : 4;
  SharedSegs segs{};
  int blocks = 0;
  for (int i = 0; i < count; ++i) {
    segs.seg[i] = {ws[i].data, ws[i].scales, ws[i].biases, ys[i], static_cast<int>(ws[i].rows),
                   blocks};
    blocks += static_cast<int>(blocks_for(ws[i].rows, (gemv_splits(1) ? 1 : kGemvWarps) * r));
  }
  segs.count = count;
  const int cols = static_cast<int>(w0.cols), gs = w0.group_size;
  const dim3 grid(blocks), block(kGemvWarps * 32);
  if (dense) {
    dispatch_dense(w0.type, [&]<WType T>() {
      launch_pdl("linear_shared", gemv_dense_shared<T, 1>, grid, block, 0, s, segs, x, cols,
                 gemv_splits(1));
    });
    return true;
  }
  dispatch_affine(w0, [&]<int BITS, WType S>() {
    if constexpr (BITS == 2 || BITS == 4 || BITS == 8) {
      if (r == 8) {
        launch_pdl("linear_shared", gemv_affine_shared<BITS, S, 8>, grid, block, 0, s, segs, x,
                   cols, gs, gemv_splits(1));
      } else {
        launch_pdl("linear_shared", gemv_affine_shared<BITS, S, 4>, grid, block, 0, s, segs, x,
                   cols, gs, gemv_splits(1));
      }
    }
  });
  return true;
}

void add_bias(float* y, const void* bias, WType t, std::int64_t n, std::int64_t cols,
              cudaStream_t s) {
  const std::int64_t total = n * cols;
  if (total == 0) return;
  bias_kernel<<<blocks_for(total, 256), 256, 0, s>>>(y, bias, t, total, static_cast<int>(cols));
  check_launch("add_bias");
}

void gather_rows(const WeightView& w, const std::int32_t* ids, std::int64_t n, float* out,
                 cudaStream_t s) {
  if (n <= 0) return;
  const int cols = static_cast<int>(w.cols);
  if (w.bits == 0) {
    dispatch_dense(w.type, [&]<WType T>() {
      run_gather(DenseLoad<T>{w.data, cols}, ids, n, cols, out, s);
    });
  } else {
    dispatch_affine(w, [&]<int BITS, WType S>() {
      run_gather(AffineLoad<BITS, S>{static_cast<const unsigned*>(w.data), w.scales, w.biases, cols,
                                     w.group_size},
                 ids, n, cols, out, s);
    });
  }
  check_launch("gather_rows");
}

}  // namespace rmlx::kernels_cuda
