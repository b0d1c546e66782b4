// Flash-attention-style prefill over the paged f16 KV cache on tensor cores
// (mma.sync m16n8k16 with f32 accumulation, online softmax): causal, grouped-query
// heads, sliding window and soft-capping, as attention() computes them.
#pragma once

#include <cuda_runtime_api.h>

#include "rmlx/kernels_cuda/kernels.h"

namespace rmlx::kernels_cuda {

// Query rows per block (four warps of 16).
inline constexpr int kFlashRows = 64;

// Whether flash_prefill takes these arguments: head_dim 64 or 128, whole GQA
// groups, and prefill-sized work (on average at least kFlashRows rows per
// sequence; decode steps keep the split-K kernel).
bool flash_prefill_takes(const AttnArgs& a);

// out for every row of a.seqs; the rows' own K/V must already be in the cache
// (write_kv). Queries are rounded to f16 after scaling and probabilities to f16
// before the P.V product (the cache itself is f16).
void flash_prefill(const AttnArgs& a, cudaStream_t s);

}  // namespace rmlx::kernels_cuda
