// The pieces both single-row 4-bit kernels of gemv_xreg.cu are built from (gemv_xreg.cu
// includes this): the weights of a launch, a batch's loads, the activations as fixed point,
// the integer dot product, the warp's eight-row reduction, the activation prologue after the
// wait and the GLU's outputs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common.cuh"

namespace rmlx::kernels_cuda {

namespace {

constexpr int kXregRows = 8;        // rows per batch (RB)
constexpr int kXregSplitRows = 64;  // rows a block pair at most, when its columns are split

// Up to three weights sharing the activation row: each has its own run of blocks.
struct XregSeg {
  const unsigned* codes;
  const void* scales;
  const void* biases;
  float* y;
  int rows;
  int first_block;
};
struct XregSegs {
  XregSeg seg[3];
  int count;
  // Gate/up with the GLU: seg[0] the gate, seg[1] the up weight (equal rows), each
  // block takes the same rows of both and also writes silu(gate) * up here.
  float* glu = nullptr;
  // The residual add after this GEMV (one weight): sum = y + residual, and block b's
  // sum of squares of its rows of sum in parts[b] (the next norm's pieces).
  const float* residual = nullptr;
  float* sum = nullptr;
  float* parts = nullptr;
  int max_per_sm = 0;  // row blocks an SM at most (0: as many as fit)
  // The RMSNorm before this GEMV: x is a sum whose squares come in n_parts pieces;
  // each block normalises its activations, block 0 also writes them to normed.
  const float* in_parts = nullptr;
  int n_parts = 0;
  const void* norm_w = nullptr;
  WType norm_wt = WType::f32;
  float eps = 0.0f;
  float* normed = nullptr;
};

template <WType S>
struct XregRow {
  uint4 w;
  float s, b;
};

// Rows r0 .. r0 + RB - 1 (clamped to r_end - 1) of a weight for thread tid: the
// address of the first row once, the others as offsets from it.
// CLAMP: rows past r_end may occur (a block's last batch); without it the offsets are
// j * (row stride), constants where the kernel's columns and group are.
template <WType S, int RB, bool CLAMP = true>
__device__ __forceinline__ void xreg_load(XregRow<S>* cur, const XregSeg& sg, int r0, int r_end,
                                          int tid, int cols, int groups, int g) {
  const unsigned wpr = static_cast<unsigned>(cols) / 32;  // 16-byte chunks per row
  const uint4* w0 =
      reinterpret_cast<const uint4*>(sg.codes + static_cast<std::size_t>(r0) * cols / 8) + tid;
  const std::int64_t g0 = static_cast<std::int64_t>(r0) * groups + g;
#pragma unroll
  for (int j = 0; j < RB; ++j) {
    const unsigned d = CLAMP ? static_cast<unsigned>(min(r0 + j, r_end - 1) - r0) : j;
    cur[j].w = __ldcs(w0 + d * wpr);
    cur[j].s = Elem<S>::load(sg.scales, g0 + d * groups);
    cur[j].b = Elem<S>::load(sg.biases, g0 + d * groups);
  }
}

// The warp's sums of eight values, one row per lane quad: lane l ends with the sum
// over all 32 lanes of p[row] for row = 4 * bit4(l) + 2 * bit3(l) + bit2(l). Nine
// shuffles instead of forty, in an order that does not depend on the block.
__device__ __forceinline__ float xreg_reduce8(const float (&p)[8], int lane, int& row) {
  const bool b4 = lane & 16, b3 = lane & 8, b2 = lane & 4;
  float q[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float send = b4 ? p[i] : p[i + 4];
    q[i] = (b4 ? p[i + 4] : p[i]) + __shfl_xor_sync(0xffffffffu, send, 16);
  }
  float r[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const float send = b3 ? q[i] : q[i + 2];
    r[i] = (b3 ? q[i + 2] : q[i]) + __shfl_xor_sync(0xffffffffu, send, 8);
  }
  float t = (b2 ? r[1] : r[0]) + __shfl_xor_sync(0xffffffffu, b2 ? r[0] : r[1], 4);
  t += __shfl_xor_sync(0xffffffffu, t, 2);
  t += __shfl_xor_sync(0xffffffffu, t, 1);
  row = (b4 ? 4 : 0) + (b3 ? 2 : 0) + (b2 ? 1 : 0);
  return t;
}

// The 32 activations of a thread as D-digit fixed point for dp4a: x ~= dx * v in
// signed base-256 digits (D = 3: v = q2 * 65536 + q1 * 256 + q0, |v| <= 2^22, each
// value off by at most 2^-23 of the chunk's largest, about f32 rounding). Digit d of
// the codes that word k's low (high) nibbles hold, packed in the same byte order:
// lo[d][k] (hi[d][k]).
template <int D>
struct XregFixed {
  int lo[D][4], hi[D][4];
  float dx;
};

// D = 2 (the default): |v| <= 127 * 256 + 127, each value off by at most 2^-16 of the
// chunk's largest (bf16 activations, as MLX computes, are off by up to 2^-9 of their
// own value): two dot products per four codes instead of three.
template <int D>
__device__ __forceinline__ float xreg_span() {
  return D == 3 ? 4194304.0f : 32639.0f;
}

template <int D>
__device__ __forceinline__ XregFixed<D> xreg_fixed(const float (&xr)[32]) {
  float m = 0.0f;
#pragma unroll
  for (int e = 0; e < 32; ++e) m = fmaxf(m, fabsf(xr[e]));
  XregFixed<D> f;
  const float inv = m > 0.0f ? xreg_span<D>() / m : 0.0f;
  f.dx = m > 0.0f ? m / xreg_span<D>() : 0.0f;
#pragma unroll
  for (int k = 0; k < 4; ++k) {
#pragma unroll
    for (int d = 0; d < D; ++d) f.lo[d][k] = f.hi[d][k] = 0;
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      int v = __float2int_rn(xr[8 * k + e] * inv);
      const unsigned byte_at = 8u * static_cast<unsigned>(e >> 1);
#pragma unroll
      for (int d = 0; d < D; ++d) {
        // The signed digit that leaves v - q divisible by 256 (the last one takes the rest).
        const int q = d < D - 1 ? static_cast<int>(static_cast<signed char>(v & 0xff)) : v;
        v = (v - q) >> 8;
        const int packed = static_cast<int>((static_cast<unsigned>(q) & 0xffu) << byte_at);
        if (e & 1) {
          f.hi[d][k] |= packed;
        } else {
          f.lo[d][k] |= packed;
        }
      }
    }
  }
  return f;
}

// sum over the thread's 32 codes of code * v (v the fixed-point activations): exact,
// as |c v| <= 15 * 2^22 over 32 codes stays below 2^31 (each digit's sum too).
template <int D>
__device__ __forceinline__ int xreg_dot(const uint4& w, const XregFixed<D>& fx) {
  const unsigned words[4] = {w.x, w.y, w.z, w.w};
  int a[D] = {};
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    // Word k holds codes 8k..8k+7, code e at bits 4e: the low nibbles of its bytes
    // are the even codes, the high nibbles the odd ones.
    const int lo = static_cast<int>(words[k] & 0x0F0F0F0Fu);
    const int hi = static_cast<int>((words[k] >> 4) & 0x0F0F0F0Fu);
#pragma unroll
    for (int d = 0; d < D; ++d) a[d] = __dp4a(hi, fx.hi[d][k], __dp4a(lo, fx.lo[d][k], a[d]));
  }
  if constexpr (D == 3) return a[2] * 65536 + a[1] * 256 + a[0];
  return a[1] * 256 + a[0];
}

// The norm weights of a thread's 32 columns (16-bit types): constants, loaded before the wait.
__device__ __forceinline__ void xreg_norm_w(const XregSegs& segs, int ktid, uint4 (&nw)[4]) {
  if (segs.in_parts != nullptr && segs.norm_wt != WType::f32) {
#pragma unroll
    for (int k = 0; k < 4; ++k)
      nw[k] = __ldg(reinterpret_cast<const uint4*>(segs.norm_w) + ktid * 4 + k);
  }
}

// After the wait: the thread's 32 activations (columns 32 ktid..), normed where segs carries
// the norm (block 0 also writing them to segs.normed), as fixed point; xsum their sum.
template <int D>
__device__ __forceinline__ XregFixed<D> xreg_activations(const XregSegs& segs, const float* x,
                                                         int ktid, int lane, int blk, int cols,
                                                         const uint4 (&nw)[4], float& xsum) {
  float xr[32];
  const float4* xp = reinterpret_cast<const float4*>(x) + ktid * 8;
#pragma unroll
  for (int k = 0; k < 8; ++k) {
    const float4 v = __ldg(xp + k);
    xr[4 * k] = v.x, xr[4 * k + 1] = v.y, xr[4 * k + 2] = v.z, xr[4 * k + 3] = v.w;
  }
  if (segs.in_parts != nullptr) {
    // Each warp adds the pieces in the same order: every block gets the same scale.
    float ss = 0.0f;
    for (int i = lane; i < segs.n_parts; i += 32) ss += __ldcg(segs.in_parts + i);
    ss = warp_sum(ss);
    const float rs = rsqrtf(ss / static_cast<float>(cols) + segs.eps);
    // One branch on the weight's type, not one per element (this runs after the wait).
    if (segs.norm_wt == WType::f32) {
#pragma unroll
      for (int e = 0; e < 32; ++e)
        xr[e] = xr[e] * rs * static_cast<const float*>(segs.norm_w)[ktid * 32 + e];
    } else {
      const bool bf = segs.norm_wt == WType::bf16;
#pragma unroll
      for (int e = 0; e < 32; ++e) {
        const unsigned word = e % 8 < 2   ? nw[e / 8].x
                              : e % 8 < 4 ? nw[e / 8].y
                              : e % 8 < 6 ? nw[e / 8].z
                                          : nw[e / 8].w;
        const auto bits = static_cast<std::uint16_t>(e % 2 == 0 ? word & 0xffffu : word >> 16);
        xr[e] = xr[e] * rs * (bf ? bf16_bits_to_f32(bits) : f16_bits_to_f32(bits));
      }
    }
    if (blk == 0 && segs.normed != nullptr) {
      float4* np = reinterpret_cast<float4*>(segs.normed) + ktid * 8;
#pragma unroll
      for (int k = 0; k < 8; ++k)
        np[k] = make_float4(xr[4 * k], xr[4 * k + 1], xr[4 * k + 2], xr[4 * k + 3]);
    }
  }
  xsum = 0.0f;
#pragma unroll
  for (int k = 0; k < 8; ++k) xsum += (xr[4 * k] + xr[4 * k + 1]) + (xr[4 * k + 2] + xr[4 * k + 3]);
  return xreg_fixed<D>(xr);
}

// A GLU batch's row sums t on threads 0 .. 2 RS - 1 (gate rows r0 .., then the same up
// rows): the gate and up outputs and silu(gate) * up (as glu_kernel computes it). Every
// one of those threads calls it.
template <int RS>
__device__ __forceinline__ void xreg_glu_put(const XregSegs& segs, float t, int tid, int r0,
                                             int r_end) {
  const float up = __shfl_down_sync((1u << (2 * RS)) - 1u, t, RS);
  const int r = r0 + (tid & (RS - 1));
  if (r < r_end) {
    // The gate output is often the GLU's output too (applied in place).
    if (tid >= RS || segs.seg[0].y != segs.glu) segs.seg[tid < RS ? 0 : 1].y[r] = t;
    if (tid < RS) segs.glu[r] = t / (1.0f + expf(-t)) * up;
  }
}

}  // namespace

}  // namespace rmlx::kernels_cuda
