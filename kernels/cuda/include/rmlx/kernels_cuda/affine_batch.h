// A few activation rows (decode steps of 2..64 sequences) against 4-bit affine
// weights on tensor cores. Up to 16 rows exact to f32 rounding (int8 tensor cores:
// each 32 columns of an activation row become 24-bit fixed point, three signed
// base-256 digits, and each chunk folds in f32 with its group's scale and bias); from
// 17 rows on, weights and activations rounded once to f16 (f16 tensor cores, no
// per-chunk fold; RMLX_CUDA_EXACT_BATCH=1 keeps the exact form). Details and
// measurements: affine_batch.cu and bench/gpu/NOTES.md.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "rmlx/kernels_cuda/kernels.h"

namespace rmlx::kernels_cuda {

inline constexpr std::int64_t kAffineBatchMinRows = 2;
// Up to 128 rows (four passes over the weights) the f16 form beats dequantizing for
// cuBLASLt (H100, 8B 4:32 end to end: 96 sequences 4,142-4,173 -> 6,744-6,854 tok/s,
// 128 sequences 5,641-5,653 -> 7,406-7,450; bench/gpu/NOTES.md, version 11). (Against the
// int8 form alone, before the f16 form, cuBLASLt won from 65 rows.)
inline constexpr std::int64_t kAffineBatchMaxRows = 128;
// From this many rows on, the f16 form (error: one f16 rounding of each weight and
// activation, 0.6e-3 of max |y| in the op test against 6e-7; 1.3-1.5x faster at 32).
inline constexpr std::int64_t kAffineBatchF16MinRows = 17;

// How one call splits its work, and the scratch it needs (all zero-initialised by
// nobody: the kernels write what they read).
struct AffineBatchPlan {
  int passes = 0;             // groups of up to 32 activation rows, each one read of the weights
  int tokens = 0;             // activation rows per pass, a multiple of 8
  int row_tiles = 0;          // blocks of 128 weight rows
  int splits = 1;             // column ranges per row tile (partial sums when > 1)
  std::size_t act_bytes = 0;  // the prep's scratch (affine_batch_act_bytes)
  std::size_t partial_bytes = 0;  // split partial sums (0 when splits == 1)
  int tickets = 0;                // counters (zero before the call, zero after) when splits > 1
  bool f16 = false;               // the f16 form (rows >= kAffineBatchF16MinRows)
};

// False where the kernel does not take the weight or row count (then the caller
// keeps its other paths): 4-bit codes, groups of 32/64/128, columns a multiple of 256,
// codes 16-byte and scales/biases 4-byte aligned.
bool affine_batch_applies(const WeightView& w, std::int64_t n);
// allow_splits = false: one block per row tile and pass (no partials or counters).
AffineBatchPlan affine_batch_plan(const WeightView& w, std::int64_t n, bool allow_splits = true);
// One launch for 1..3 weights of the same columns, group size and scale type that read
// the same rows (q/k/v, gate/up): their row tiles side by side.
AffineBatchPlan affine_batch_plan(const WeightView* ws, int count, std::int64_t n,
                                  bool allow_splits = true);
// Scratch of one prep (fixed-point digits with per-chunk scales and sums, or f16 rows
// with per-row scales).
std::size_t affine_batch_act_bytes(std::int64_t n, std::int64_t cols);
// x[n, cols] into act (affine_batch_act_bytes(n, cols), 16-byte aligned): once for all
// the weights that read the same rows.
void affine_batch_prep(const float* x, std::int64_t n, std::int64_t cols, void* act,
                       cudaStream_t s);
// y[n, rows] = x W^T from a prep of the same n and columns. partial and tickets: as
// the plan asks (may be null when plan.splits == 1).
void affine_batch_run(const WeightView& w, std::int64_t n, const void* act, float* y,
                      const AffineBatchPlan& plan, float* partial, unsigned* tickets,
                      cudaStream_t s);
void affine_batch_run(const WeightView* ws, int count, std::int64_t n, const void* act,
                      float* const* ys, const AffineBatchPlan& plan, float* partial,
                      unsigned* tickets, cudaStream_t s);
// Prep and run.
void affine_batch_linear(const WeightView& w, const float* x, std::int64_t n, float* y,
                         const AffineBatchPlan& plan, void* act, float* partial, unsigned* tickets,
                         cudaStream_t s);

}  // namespace rmlx::kernels_cuda
