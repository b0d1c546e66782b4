// Linear layers with many activation rows (prefill, large batches) on tensor
// cores through cuBLASLt with f32 accumulation. The library is opened at run
// time, so a machine without it still runs every linear on the SIMT kernels.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>

#include "rmlx/kernels_cuda/kernels.h"

namespace rmlx::kernels_cuda {

// Dense 16-bit weights take the tensor-core path from this many rows on.
inline constexpr std::int64_t kTensorMinRowsDense = 16;
// Affine weights below this stay on the kernels that read the codes and multiply
// the exact weight (the tensor-core affine kernel for 2/4/8-bit codes from
// kAffineMmaMinRows rows, the SIMT GEMVs otherwise); from here on they are
// dequantized to bf16 and multiplied by cuBLASLt, whose bf16-rounded weight
// changes greedy tokens against the CPU backend within 64 tokens on most affine
// shapes. The exact kernel could take up to kAffineMmaMaxRows rows, but from 33
// rows on cuBLASLt is faster (8B step at 64 rows: 21 ms against 38 ms on an H100;
// at 32 rows they tie at 20 ms: bench/gpu/NOTES.md, version 5). The CUDA backend
// runs 2..kAffineBatchMaxRows rows of 4-bit codes on the int8 kernel first
// (affine_batch.h), so for them cuBLASLt starts at kAffineBatchMaxRows + 1.
inline constexpr std::int64_t kTensorMinRowsAffine = 33;
// Affine weights the tensor-core affine kernel does not take (3/5/6-bit codes, 2-bit
// groups of 32): the SIMT GEMV below this, dequantize + cuBLASLt from here on.
inline constexpr std::int64_t kTensorMinRowsAffineSimt = 33;
// f32 weights take cuBLAS's f32 GEMM from this many rows on.
inline constexpr std::int64_t kTensorMinRowsF32 = 33;
// Below this many rows the GEMM is bound by weight traffic, so activations are
// split into a bf16 high part and a bf16 remainder (two stacked row blocks, one
// pass over the weights): products carry ~16 significant bits, close to f32.
// From here on (prefill) activations are rounded to the weight's 16-bit type once.
inline constexpr std::int64_t kTensorSplitBelow = 128;

class TensorGemm {
 public:
  TensorGemm();
  ~TensorGemm();
  TensorGemm(const TensorGemm&) = delete;
  TensorGemm& operator=(const TensorGemm&) = delete;

  // y[n, w.rows] = x[n, w.cols] W^T on tensor cores, queued on s. Returns false,
  // having queued nothing, when this path does not take the call (too few rows,
  // an f32 weight below the prefill size, no cuBLASLt): the caller runs the
  // SIMT kernels then. Buffers grow outside CUDA graph capture only: a shape
  // must have run once before a capture that contains it.
  bool linear(const WeightView& w, const float* x, std::int64_t n, float* y, cudaStream_t s);

  // Rows from which affine weights take this path (unless set: kTensorMinRowsAffine where
  // the tensor-core affine kernel applies, kTensorMinRowsAffineSimt otherwise).
  void set_min_rows_affine(std::int64_t rows) { min_rows_affine_ = rows; }
  std::int64_t min_rows_affine() const { return min_rows_affine_; }

  // Whether cuBLASLt could be opened (tries once); why not, otherwise.
  bool available();
  const std::string& unavailable_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::int64_t min_rows_affine_ = 0;
};

// The affine weight dequantized to bf16, [rows, cols] row-major: scale * code +
// bias in f32 with two roundings (as mlx and the CPU backend), then to nearest even.
void dequantize_to_bf16(const WeightView& w, std::uint16_t* out, cudaStream_t s);

}  // namespace rmlx::kernels_cuda
