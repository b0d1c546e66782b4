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
// Affine weights below this stay on the fused dequantizing GEMV (it reads the
// codes, not a dequantized bf16 copy, and multiplies the exact f32 weight);
// from here on they are dequantized to bf16 and multiplied on tensor cores.
// 16 would be faster for decode batches (8B, 32 sequences: 802 against 490
// tok/s on an H100), but the bf16-rounded weight then changes greedy tokens
// against the CPU backend within 64 tokens on most affine shapes.
inline constexpr std::int64_t kTensorMinRowsAffine = 33;
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

  // Rows from which affine weights take this path (kTensorMinRowsAffine unless set).
  void set_min_rows_affine(std::int64_t rows) { min_rows_affine_ = rows; }
  std::int64_t min_rows_affine() const { return min_rows_affine_; }

  // Whether cuBLASLt could be opened (tries once); why not, otherwise.
  bool available();
  const std::string& unavailable_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::int64_t min_rows_affine_ = kTensorMinRowsAffine;
};

// The affine weight dequantized to bf16, [rows, cols] row-major: scale * code +
// bias in f32 with two roundings (as mlx and the CPU backend), then to nearest even.
void dequantize_to_bf16(const WeightView& w, std::uint16_t* out, cudaStream_t s);

}  // namespace rmlx::kernels_cuda
