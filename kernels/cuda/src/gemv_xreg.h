// One activation row on 4-bit affine weights of 4096-16384 columns, activations
// held in registers as fixed point (gemv_xreg.cu). Internal to the CUDA kernels.
#pragma once

#include <cuda_runtime_api.h>

#include "rmlx/kernels_cuda/fused.h"
#include "rmlx/kernels_cuda/kernels.h"

namespace rmlx::kernels_cuda {

// y_i = x W_i^T for up to kMaxSharedLinear weights of equal columns, group and scale
// type read by one activation row x, as one launch (a row's result is the same in a
// shared launch as alone). false, with nothing launched, where it does not apply
// (other widths or shapes, RMLX_CUDA_GEMV_XREG=0). With norm_in, x is ignored: the
// activations are norm_in's sum, normalised as linear_normed describes.
bool gemv_xreg(const WeightView* ws, int count, const float* x, float* const* ys, cudaStream_t s,
               const ResidualNorm* norm_in = nullptr);
// g = x gate^T, u = x up^T and out = silu(g) * u in one launch (out may be g), each value
// as gemv_xreg and glu compute it apart. false, with nothing launched, where gemv_xreg
// does not apply to both or their rows differ.
bool gemv_xreg_glu_applies(const WeightView& gate, const WeightView& up);
bool gemv_xreg_glu(const WeightView& gate, const WeightView& up, const float* x, float* g, float* u,
                   float* out, cudaStream_t s, const ResidualNorm* norm_in = nullptr);
bool gemv_xreg_applies(const WeightView& w);
// linear_residual / residual_norm_applies (fused.h) on this kernel.
bool gemv_xreg_norm_applies(const WeightView& producer, const WeightView& consumer,
                            const ResidualNorm& n);
bool gemv_xreg_residual(const WeightView& w, const float* x, float* y, ResidualNorm& n,
                        cudaStream_t s);

}  // namespace rmlx::kernels_cuda
