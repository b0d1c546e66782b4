// One activation row against 4-bit affine weights whose rows are 4096..16384
// codes long (q/k/v/o, gate/up, down, the output layer of 7-8B shapes).
//
// The SIMT GEMV that reads a chunk of activations per chunk of codes keeps the
// L1/TEX pipe ~86% busy with those activation loads while DRAM sits at ~35%
// (ncu, llama-3.1-8b gate/up on an H100). Here a block has one thread per 32
// columns: each thread turns its 32 activations into 16-bit fixed point once
// (xreg_fixed) and then streams whole weight rows past them, eight rows a batch,
// the first batches issued before waiting on the kernel that writes x. Codes meet
// the fixed-point digits in dp4a (two integer dot products per four codes, the sum
// exact; the kernel is partly bound by these instructions: 24-bit activations and a
// third dot product measured 2.6% slower end to end); a row's scale and bias fold in f32 as s dx
// sum(c v) + b sum x. Per row a thread's sum goes through a warp reduction and the block's shared
// memory in a fixed order: a row's result does not depend on which block took it, so the shared
// q/k/v or gate/up launch equals one launch per weight bit for bit.
#include "gemv_xreg.h"

#include <cooperative_groups.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <type_traits>

#include "common.cuh"
#include "gemv_xreg_batch.cuh"
#include "rmlx/kernels_cuda/fused.h"

namespace rmlx::kernels_cuda {

namespace {

// blockDim.x = cols / 32 / KS (a multiple of 32, at most 512); row block b of a weight
// takes its rows [b * rows_per_block, (b + 1) * rows_per_block). The next batch is
// loaded into registers while the current one is reduced. (Streaming two batches
// ahead through a cp.async ring in shared memory instead measured the same in
// isolation and 5% slower end to end: bench/gpu/NOTES.md.) KS = 2: a cluster of two
// blocks takes a row block, each half of the columns, so an SM holds two blocks' loads
// in flight where one block of cols / 32 threads fills its registers; the halves'
// row sums meet in the first block's shared memory (the second stores its own there:
// one cluster barrier, no remote reads) and are added in that order.
// GLU: a batch is four gate rows and the same four up rows; the warp holding their
// sums writes the gate and up outputs and silu(gate) * up (as glu_kernel computes it).
// COLS, GS (0: from the arguments): the columns and group as constants, so a row's
// addresses in a whole batch are constant offsets from the batch's first (H100, B=1:
// llama-3.1-8b 4:32 423.1 -> 425.6 tok/s, 4:64 448.1 -> 454.1, qwen3-8b 4:64 428 -> 436).
template <WType S, int KS, bool GLU, bool PRE2 = false, int D = 3, int COLS = 0, int GS = 0>
__global__ void __launch_bounds__(PRE2 ? 256 : 512)
    gemv4_xreg(XregSegs segs, const float* __restrict__ x, int cols_arg, int gs_arg,
               int rows_per_block) {
  const int cols = COLS > 0 ? COLS : cols_arg, group_size = GS > 0 ? GS : gs_arg;
  static_assert(!(GLU && KS > 1), "the GLU form keeps whole rows in a block");
  constexpr int RB = kXregRows;
  constexpr int RS = GLU ? RB / 2 : RB;  // rows a batch advances
  static_assert(RB == 8, "xreg_reduce8 reduces eight rows");
  __shared__ float red[2][RB][32];
  // KS = 2: the first block's row sums, and the second's, stored here by that block.
  __shared__ float half_sums[KS > 1 ? kXregSplitRows : 1], other_sums[KS > 1 ? kXregSplitRows : 1];
  __shared__ float res_rows[kXregSplitRows];  // the residual of this block's rows
  __shared__ float sq_warps[16];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, warps = blockDim.x >> 5;
  const int rank = static_cast<int>(blockIdx.x) % KS, blk = static_cast<int>(blockIdx.x) / KS;
  const int ktid = rank * static_cast<int>(blockDim.x) + tid;  // its columns: 32 ktid..
  const int groups = cols / group_size, g = (ktid * 32) / group_size;
  int si = 0;
#pragma unroll
  for (int k = 1; k < 3; ++k) {
    if (k < segs.count && blk >= segs.seg[k].first_block) si = k;
  }
  const XregSeg sg = GLU || si == 0 ? segs.seg[0] : si == 1 ? segs.seg[1] : segs.seg[2];
  const int r_begin = (blk - sg.first_block) * rows_per_block;
  const int r_end = min(sg.rows, r_begin + rows_per_block);
  if (r_begin >= r_end) {  // both blocks of a cluster: same rows
    if (segs.parts != nullptr && rank == 0 && tid == 0) segs.parts[blk] = 0.0f;
    return;
  }
  if constexpr (KS > 1) cluster_arrive_relaxed();  // the second block stores into the first

  XregRow<S> cur[RB];
  const auto load_as = [&](auto clamp, int r0) {
    constexpr bool C = decltype(clamp)::value;
    if constexpr (GLU) {
      xreg_load<S, RS, C>(cur, sg, r0, r_end, ktid, cols, groups, g);
      xreg_load<S, RS, C>(cur + RS, segs.seg[1], r0, r_end, ktid, cols, groups, g);
    } else {
      xreg_load<S, RB, C>(cur, sg, r0, r_end, ktid, cols, groups, g);
    }
  };
  const auto load = [&](int r0) {
    if (r0 + RS <= r_end) {
      load_as(std::false_type{}, r0);
    } else {
      load_as(std::true_type{}, r0);
    }
  };
  load(r_begin);
  // PRE2: the block's second (and last) batch too.
  XregRow<S> cur2[PRE2 ? RB : 1];
  if constexpr (PRE2) {
    if (r_begin + RS < r_end)
      xreg_load<S, RB>(cur2, sg, r_begin + RS, r_end, ktid, cols, groups, g);
  }
  // The residual was written by a kernel that finished before the one this waits on.
  if (segs.residual != nullptr && tid < r_end - r_begin)
    res_rows[tid] = segs.residual[r_begin + tid];
  uint4 nw[4];
  xreg_norm_w(segs, ktid, nw);
  // The codes above are constants; x is the previous kernel's output.
  wait_prior_grid();
  float xsum = 0.0f;
  const XregFixed<D> fx = xreg_activations<D>(segs, x, ktid, lane, blk, cols, nw, xsum);
  float sq = 0.0f;  // this thread's share of the rows' sum of squares (residual form)
  const auto put = [&](int r, float t) {
    sg.y[r] = t;
    if (segs.residual != nullptr) {
      const float v = t + res_rows[r - r_begin];
      segs.sum[r] = v;
      sq += v * v;
    }
  };
  float* sums_to = half_sums;
  if constexpr (KS > 1) {
    cluster_wait();
    if (rank == 1) sums_to = cooperative_groups::this_cluster().map_shared_rank(other_sums, 0);
  }
  int buf = 0;
  for (int r0 = r_begin; r0 < r_end; r0 += RS) {
    float part[RB];
#pragma unroll
    for (int j = 0; j < RB; ++j) {
      part[j] = fmaf(cur[j].s * fx.dx, static_cast<float>(xreg_dot(cur[j].w, fx)), cur[j].b * xsum);
    }
    // The next batch's loads go out before this one's reduction.
    if (r0 + RS < r_end) {
      if (PRE2 && r0 == r_begin) {
#pragma unroll
        for (int j = 0; j < RB; ++j) cur[j] = cur2[PRE2 ? j : 0];
      } else {
        load(r0 + RS);
      }
    }
    int row = 0;
    const float v = xreg_reduce8(part, lane, row);
    if ((lane & 3) == 0) red[buf][row][warp] = v;
    __syncthreads();
    if constexpr (GLU) {
      if (tid < RB) {
        float t = 0.0f;
        for (int k = 0; k < warps; ++k) t += red[buf][tid][k];
        xreg_glu_put<RS>(segs, t, tid, r0, r_end);
      }
    } else if (tid < RB && r0 + tid < r_end) {
      float t = 0.0f;
      for (int k = 0; k < warps; ++k) t += red[buf][tid][k];
      if (KS == 1) {
        put(r0 + tid, t);
      } else {
        sums_to[r0 + tid - r_begin] = t;
      }
    }
    buf ^= 1;
  }
  if constexpr (KS > 1) {
    cooperative_groups::this_cluster().sync();  // both halves' sums are in the first block
    if (rank == 0) {
      for (int i = tid; i < r_end - r_begin; i += static_cast<int>(blockDim.x))
        put(r_begin + i, half_sums[i] + other_sums[i]);
    }
  }
  if (segs.parts != nullptr) {
    const float v = warp_sum(sq);
    if (lane == 0) sq_warps[warp] = v;
    __syncthreads();
    if (tid == 0 && rank == 0) {
      float t = 0.0f;
      for (int k = 0; k < warps; ++k) t += sq_warps[k];
      segs.parts[blk] = t;
    }
  }
}

// Gate/up with the GLU whose blocks claim their batches (RS gate rows and the same up rows)
// from a counter instead of taking a fixed run of rows: with fixed runs the blocks of one
// launch ended up to 8 us apart (in-kernel timestamps, 8B 4:64 on an H100: SMs hold
// unequal numbers of blocks, some land late), and the last ones stream alone. Block b
// takes batches b and b + grid (the first loaded before the wait, the second asked of L2),
// then 2 grid + c for each ticket c it draws; thread 0 draws one ticket a batch, two
// batches ahead of its use, so the atomic's round trip hides behind a batch. Each block
// draws exactly three tickets past the end, so the block that draws the last ticket
// (total + grid - 1) knows every draw is done and zeroes the counter for the next launch.
// A batch's rows are computed as gemv4_xreg computes them: the same bits.
template <WType S, int D, int COLS = 0, int GS = 0>
__global__ void __launch_bounds__(512)
    gemv4_glu_claimed(XregSegs segs, const float* __restrict__ x, int cols_arg, int gs_arg,
                      int batches, unsigned* counter) {
  const int cols = COLS > 0 ? COLS : cols_arg, group_size = GS > 0 ? GS : gs_arg;
  constexpr int RB = kXregRows, RS = RB / 2;
  __shared__ float red[2][RB][32];
  __shared__ int claimed[2];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, warps = blockDim.x >> 5;
  const int blk = static_cast<int>(blockIdx.x), grid = static_cast<int>(gridDim.x);
  const int groups = cols / group_size, g = (tid * 32) / group_size;
  XregRow<S> cur[RB];
  const auto load = [&](int b) {
    xreg_load<S, RS, false>(cur, segs.seg[0], b * RS, 0, tid, cols, groups, g);
    xreg_load<S, RS, false>(cur + RS, segs.seg[1], b * RS, 0, tid, cols, groups, g);
  };
  load(blk);
  {
    // Batch blk + grid into L2: one request a 128-byte line of codes, scales and biases.
    const int r1 = (blk + grid) * RS;
    constexpr int esz = S == WType::f32 ? 4 : 2;
    const int sb_lines = (groups * esz + 127) / 128;
#pragma unroll
    for (int k = 0; k < 2; ++k) {
      const XregSeg& q = segs.seg[k];
      if ((lane & 7) == 0) {
        const uint4* w =
            reinterpret_cast<const uint4*>(q.codes + static_cast<std::size_t>(r1) * cols / 8) + tid;
#pragma unroll
        for (int j = 0; j < RS; ++j) prefetch_l2(w + static_cast<std::size_t>(j) * (cols / 32));
      }
      if (tid < 2 * RS * sb_lines) {
        const int j = tid / (2 * sb_lines), line = (tid >> 1) % sb_lines;
        const char* base = static_cast<const char*>((tid & 1) ? q.biases : q.scales);
        prefetch_l2(base + static_cast<std::size_t>(r1 + j) * groups * esz + line * 128);
      }
    }
  }
  // The counter was zeroed by its previous launch, which has ended (see linear_glu).
  unsigned ticket = 0;
  if (tid == 0) ticket = atomicAdd(counter, 1u);
  uint4 nw[4];
  xreg_norm_w(segs, tid, nw);
  wait_prior_grid();
  float xsum = 0.0f;
  const XregFixed<D> fx = xreg_activations<D>(segs, x, tid, lane, blk, cols, nw, xsum);
  int b = blk, next = blk + grid;
  for (int i = 0; b < batches; ++i) {
    float part[RB];
#pragma unroll
    for (int j = 0; j < RB; ++j) {
      part[j] = fmaf(cur[j].s * fx.dx, static_cast<float>(xreg_dot(cur[j].w, fx)), cur[j].b * xsum);
    }
    if (next < batches) load(next);
    if (tid == 0) {
      claimed[i & 1] = 2 * grid + static_cast<int>(ticket);
      ticket = atomicAdd(counter, 1u);
    }
    int row = 0;
    const float v = xreg_reduce8(part, lane, row);
    if ((lane & 3) == 0) red[i & 1][row][warp] = v;
    __syncthreads();
    if (tid < RB) {
      float t = 0.0f;
      for (int k = 0; k < warps; ++k) t += red[i & 1][tid][k];
      xreg_glu_put<RS>(segs, t, tid, b * RS, segs.seg[0].rows);
    }
    b = next;
    next = claimed[i & 1];
  }
  if (tid == 0 && ticket == static_cast<unsigned>(batches + grid - 1)) *counter = 0u;
}

// RMLX_CUDA_GEMV_XREG=0 keeps one activation row on 4-bit weights off this kernel
// (for comparisons).
bool xreg_enabled() {
  static const bool on = env_on("RMLX_CUDA_GEMV_XREG");
  return on;
}

// From 4096 columns on (H100: llama-3.1-8b affine 4-bit B=1 271 -> 312 tok/s; the
// 2048-column matrices of llama-3.2-1b lose, 1094 -> 1020, so they keep the SIMT GEMV).
bool applies(const WeightView& w, const WeightView& w0) {
  return w.bits == 4 && w.cols % 1024 == 0 && w.cols >= 4096 && w.cols <= 16384 &&
         (w.group_size == 32 || w.group_size == 64 || w.group_size == 128) &&
         reinterpret_cast<std::uintptr_t>(w.data) % 16 == 0 && w.cols == w0.cols &&
         w.group_size == w0.group_size && w.type == w0.type;
}

// RMLX_CUDA_GEMV_KSPLIT=0 keeps long single-weight rows in one block (for comparisons).
bool ksplit_enabled() {
  static const bool on = env_on("RMLX_CUDA_GEMV_KSPLIT");
  return on;
}

// Rows per block: as many blocks as fit on the device at once share all the rows
// equally (one wave; a block's activations are loaded once); each weight of a shared
// launch takes whole blocks. KS = 2 counts a cluster of two blocks as one slot.
struct XregShape {
  int threads = 0;
  int per_block = 0;  // rows of a block; 0: this form does not take the launch
  int blocks = 0;     // blocks (clusters) in all
};

using XregKernel = void (*)(XregSegs, const float*, int, int, int);
using XregKernelClaimed = void (*)(XregSegs, const float*, int, int, int, unsigned*);

// The kernel for these columns and group: constants for the shapes of 7-8B models
// (4096 columns everywhere but down's 12,288 or 14,336) at groups 32 and 64.
template <WType S, int KS, bool GLU, bool PRE2, int D, int COLS>
XregKernel kernel_cols(int gs) {
  if (gs == 32) return gemv4_xreg<S, KS, GLU, PRE2, D, COLS, 32>;
  if (gs == 64) return gemv4_xreg<S, KS, GLU, PRE2, D, COLS, 64>;
  return gemv4_xreg<S, KS, GLU, PRE2, D>;
}

template <WType S, int KS, bool GLU, bool PRE2, int D>
XregKernel kernel_for(int cols, int gs) {
  if constexpr (D == 2 && S != WType::f32) {
    if constexpr (KS == 1) {
      if (cols == 4096) return kernel_cols<S, KS, GLU, PRE2, D, 4096>(gs);
    }
    if constexpr (!GLU && !PRE2) {
      if (cols == 12288) return kernel_cols<S, KS, GLU, PRE2, D, 12288>(gs);
      if (cols == 14336) return kernel_cols<S, KS, GLU, PRE2, D, 14336>(gs);
    }
  }
  return gemv4_xreg<S, KS, GLU, PRE2, D>;
}

template <WType S, int KS, bool GLU, bool PRE2 = false, int D = 3>
XregShape shape_of(XregSegs& segs, int cols, int gs) {
  XregShape sh;
  sh.threads = cols / 32 / KS;
  int per_sm = blocks_per_sm(kernel_for<S, KS, GLU, PRE2, D>(cols, gs), sh.threads);
  if (segs.max_per_sm > 0) per_sm = std::min(per_sm, segs.max_per_sm * KS);
  const int slots = std::max(1, sm_count() * per_sm / KS);
  int total = 0;
  for (int i = 0; i < (GLU ? 1 : segs.count); ++i) total += segs.seg[i].rows;
  const int per_block = std::max(1, (total + slots - 1) / slots);
  if ((KS > 1 || segs.residual != nullptr) && per_block > kXregSplitRows) return sh;
  sh.per_block = per_block;
  for (int i = 0; i < segs.count; ++i) {
    segs.seg[i].first_block = GLU ? 0 : sh.blocks;
    if (!GLU || i == 0) sh.blocks += static_cast<int>(blocks_for(segs.seg[i].rows, per_block));
  }
  return sh;
}

// RMLX_CUDA_GEMV_PRE2=0 keeps the second batch after the wait (for comparisons).
bool pre2_enabled() {
  static const bool on = env_on("RMLX_CUDA_GEMV_PRE2");
  return on;
}

template <WType S, int KS, bool GLU, bool PRE2 = false, int D = 3>
int launch_shape(const XregSegs& segs, const XregShape& sh, const float* x, int cols,
                 int group_size, cudaStream_t s) {
  launch_pdl_cluster("linear", kernel_for<S, KS, GLU, PRE2, D>(cols, group_size),
                     dim3(sh.blocks * KS), dim3(sh.threads), KS, 0, s, segs, x, cols, group_size,
                     sh.per_block);
  return sh.blocks;
}

// RMLX_CUDA_GEMV_DIGITS=3: activations as 24-bit fixed point (three dot products per
// four codes) instead of 16-bit (for comparisons; H100, 8B B=1 4:32 423 vs 412 tok/s).
int xreg_digits() {
  static const int d = [] {
    const char* v = std::getenv("RMLX_CUDA_GEMV_DIGITS");
    return v != nullptr && std::string_view(v) == "3" ? 3 : 2;
  }();
  return d;
}

// Returns the blocks (clusters) launched, 0 when none was. Blocks capped per SM (the o
// projection after attention) all land while the kernel before still runs: with at
// most two batches each, both are loaded before the wait (H100, 8B B=1: +1..2%).
template <WType S, int KS, bool GLU, int D>
int launch_digits(XregSegs segs, const float* x, int cols, int group_size, cudaStream_t s) {
  if constexpr (KS == 1 && !GLU) {
    if (segs.max_per_sm > 0 && pre2_enabled()) {
      // shape_of sets the weights' first blocks anew for whichever form launches.
      const XregShape sh = shape_of<S, 1, false, true, D>(segs, cols, group_size);
      if (sh.per_block > 0 && sh.per_block <= 2 * kXregRows && sh.threads <= 256) {
        return launch_shape<S, 1, false, true, D>(segs, sh, x, cols, group_size, s);
      }
    }
  }
  const XregShape sh = shape_of<S, KS, GLU, false, D>(segs, cols, group_size);
  if (sh.per_block == 0) return 0;
  return launch_shape<S, KS, GLU, false, D>(segs, sh, x, cols, group_size, s);
}

template <WType S, int KS, bool GLU = false>
int launch(XregSegs segs, const float* x, int cols, int group_size, cudaStream_t s) {
  return xreg_digits() == 2 ? launch_digits<S, KS, GLU, 2>(segs, x, cols, group_size, s)
                            : launch_digits<S, KS, GLU, 3>(segs, x, cols, group_size, s);
}

// One weight whose rows hold more codes than one block's threads keep in flight well
// (down of 7-8B shapes: 14,336 columns, one 448-thread block an SM) splits its columns
// over a cluster of two blocks; gate/up with the GLU (segs.glu) keep whole rows.
template <WType S>
int launch_any(XregSegs segs, const float* x, int cols, int group_size, cudaStream_t s) {
  if (segs.glu != nullptr) return launch<S, 1, true>(segs, x, cols, group_size, s);
  if (segs.count == 1 && cols > 8192 && cols % 2048 == 0 && ksplit_enabled()) {
    if (const int b = launch<S, 2>(segs, x, cols, group_size, s)) return b;
  }
  return launch<S, 1>(segs, x, cols, group_size, s);
}

// Launches for segs of weights like w (their scale type, columns and groups).
int launch_like(const WeightView& w, const XregSegs& segs, const float* x, cudaStream_t s) {
  const int cols = static_cast<int>(w.cols), gs = w.group_size;
  switch (w.type) {
    case WType::f32:
      return launch_any<WType::f32>(segs, x, cols, gs, s);
    case WType::f16:
      return launch_any<WType::f16>(segs, x, cols, gs, s);
    default:
      return launch_any<WType::bf16>(segs, x, cols, gs, s);
  }
}

// RMLX_CUDA_GEMV_CLAIM=0 keeps gate/up on fixed runs of rows (for comparisons).
bool claim_enabled() {
  static const bool on = env_on("RMLX_CUDA_GEMV_CLAIM");
  return on;
}

template <WType S, int D>
XregKernelClaimed claimed_kernel_for(int cols, int gs) {
  if constexpr (D == 2 && S != WType::f32) {
    if (cols == 4096 && gs == 32) return gemv4_glu_claimed<S, D, 4096, 32>;
    if (cols == 4096 && gs == 64) return gemv4_glu_claimed<S, D, 4096, 64>;
  }
  return gemv4_glu_claimed<S, D>;
}

// The grid of the claimed form: as many blocks as fit at once, each taking two batches
// before it draws (0: the rows are too few for that, or the form does not apply).
template <WType S, int D>
int claimed_grid(const WeightView& gate) {
  if (!claim_enabled() || gate.rows % 4 != 0) return 0;
  const int cols = static_cast<int>(gate.cols);
  const int grid =
      sm_count() * blocks_per_sm(claimed_kernel_for<S, D>(cols, gate.group_size), cols / 32);
  return grid > 0 && 2 * static_cast<std::int64_t>(grid) <= gate.rows / 4 ? grid : 0;
}

template <WType S, int D>
bool launch_claimed(const WeightView& gate, const XregSegs& segs, const float* x, unsigned* counter,
                    cudaStream_t s) {
  const int grid = claimed_grid<S, D>(gate);
  if (grid == 0) return false;
  const int cols = static_cast<int>(gate.cols);
  launch_pdl_cluster("linear with GLU", claimed_kernel_for<S, D>(cols, gate.group_size), dim3(grid),
                     dim3(cols / 32), 1, 0, s, segs, x, cols, gate.group_size,
                     static_cast<int>(gate.rows / 4), counter);
  return true;
}

// f.template operator()<S, D>() for the scale type t and the activation digits in use.
template <typename F>
auto for_type_digits(WType t, F&& f) {
  const bool two = xreg_digits() == 2;
  switch (t) {
    case WType::f32:
      return two ? f.template operator()<WType::f32, 2>() : f.template operator()<WType::f32, 3>();
    case WType::f16:
      return two ? f.template operator()<WType::f16, 2>() : f.template operator()<WType::f16, 3>();
    default:
      return two ? f.template operator()<WType::bf16, 2>()
                 : f.template operator()<WType::bf16, 3>();
  }
}

XregSeg seg_of(const WeightView& w, float* y) {
  return {static_cast<const unsigned*>(w.data), w.scales, w.biases, y, static_cast<int>(w.rows), 0};
}

void take_norm(XregSegs& segs, const ResidualNorm* n) {
  if (n == nullptr) return;
  segs.in_parts = n->parts;
  segs.n_parts = n->n_parts;
  segs.norm_w = n->w;
  segs.norm_wt = n->wt;
  segs.eps = n->eps;
  segs.normed = n->normed;
}

bool aligned16(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

// Weights of equal columns, group and scale type sharing one activation row (x, or the
// normed sum of norm_in) in one launch.
bool launch_rows(const WeightView* ws, int count, const float* x, float* const* ys, cudaStream_t s,
                 const ResidualNorm* norm_in) {
  static_assert(kMaxSharedLinear <= 3, "XregSegs holds three weights");
  if (!xreg_enabled() || count < 1 || count > kMaxSharedLinear) return false;
  XregSegs segs{};
  for (int i = 0; i < count; ++i) {
    if (!applies(ws[i], ws[0])) return false;
    segs.seg[i] = seg_of(ws[i], ys[i]);
  }
  segs.count = count;
  take_norm(segs, norm_in);
  launch_like(ws[0], segs, norm_in != nullptr ? norm_in->sum : x, s);
  check_launch("linear");
  return true;
}

// Gate and up with the GLU into out, from x or the normed sum of norm_in.
bool launch_glu(const WeightView& gate, const WeightView& up, const float* x, float* g, float* u,
                float* out, cudaStream_t s, const ResidualNorm* norm_in, unsigned* counter) {
  if (!linear_glu_applies(gate, up)) return false;
  XregSegs segs{};
  segs.seg[0] = seg_of(gate, g);
  segs.seg[1] = seg_of(up, u);
  segs.count = 2;
  segs.glu = out;
  take_norm(segs, norm_in);
  const float* in = norm_in != nullptr ? norm_in->sum : x;
  const bool claimed = counter != nullptr && for_type_digits(gate.type, [&]<WType S, int D>() {
                         return launch_claimed<S, D>(gate, segs, in, counter, s);
                       });
  if (!claimed) launch_like(gate, segs, in, s);
  check_launch("linear with GLU");
  return true;
}

}  // namespace

bool gemv_xreg(const WeightView* ws, int count, const float* x, float* const* ys, cudaStream_t s) {
  return launch_rows(ws, count, x, ys, s, nullptr);
}

bool linear_glu_applies(const WeightView& gate, const WeightView& up) {
  return xreg_enabled() && applies(gate, gate) && applies(up, gate) && up.rows == gate.rows;
}

bool linear_glu(const WeightView& gate, const WeightView& up, const float* x, float* g, float* u,
                float* out, cudaStream_t s, unsigned* counter) {
  return launch_glu(gate, up, x, g, u, out, s, nullptr, counter);
}

bool linear_glu_claims(const WeightView& gate, const WeightView& up) {
  return linear_glu_applies(gate, up) &&
         for_type_digits(gate.type, [&]<WType S, int D>() { return claimed_grid<S, D>(gate) > 0; });
}

bool residual_norm_applies(const WeightView& producer, const WeightView& consumer,
                           const ResidualNorm& n) {
  const bool w_ok = n.wt == WType::f32 || aligned16(n.w);
  return xreg_enabled() && applies(producer, producer) && applies(consumer, consumer) &&
         producer.rows == consumer.cols && w_ok && aligned16(n.sum) && aligned16(n.normed) &&
         n.residual != nullptr;
}

std::int64_t residual_norm_max_parts(const WeightView& producer) {
  return xreg_enabled() && applies(producer, producer) ? producer.rows : 0;
}

bool linear_residual(const WeightView& w, const float* x, float* y, ResidualNorm& n,
                     cudaStream_t s) {
  if (!xreg_enabled() || !applies(w, w) || n.parts == nullptr) return false;
  XregSegs segs{};
  segs.seg[0] = seg_of(w, y);
  segs.count = 1;
  segs.residual = n.residual;
  segs.sum = n.sum;
  segs.parts = n.parts;
  segs.max_per_sm = n.producer_blocks_per_sm;
  n.n_parts = launch_like(w, segs, x, s);
  check_launch("linear with residual");
  return n.n_parts > 0;
}

bool linear_normed(const WeightView* ws, int count, const ResidualNorm& n, float* const* ys,
                   cudaStream_t s) {
  return launch_rows(ws, count, nullptr, ys, s, &n);
}

bool linear_glu_normed(const WeightView& gate, const WeightView& up, const ResidualNorm& n,
                       float* g, float* u, float* out, cudaStream_t s, unsigned* counter) {
  return launch_glu(gate, up, nullptr, g, u, out, s, &n, counter);
}

}  // namespace rmlx::kernels_cuda
