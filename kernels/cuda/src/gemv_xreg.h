// One activation row on 4-bit affine weights of 4096-16384 columns, activations
// held in registers as fixed point (gemv_xreg.cu). Internal to the CUDA kernels; the
// same file defines linear_glu (kernels.h) and the residual-norm GEMVs (fused.h).
#pragma once

#include <cuda_runtime_api.h>

#include "rmlx/kernels_cuda/kernels.h"

namespace rmlx::kernels_cuda {

// y_i = x W_i^T for up to kMaxSharedLinear weights of equal columns, group and scale
// type read by one activation row x, as one launch (a row's result is the same in a
// shared launch as alone). false, with nothing launched, where it does not apply
// (other widths or shapes, RMLX_CUDA_GEMV_XREG=0).
bool gemv_xreg(const WeightView* ws, int count, const float* x, float* const* ys, cudaStream_t s);

}  // namespace rmlx::kernels_cuda
