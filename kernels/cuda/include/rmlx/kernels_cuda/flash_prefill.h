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
// Kernel variants, for tuning: `best` is the one measured fastest on an H100.
enum class FlashVariant : int {
  best = 0,
  q_in_registers = 1,           // queries in registers, no register cap
  q_in_registers_3_blocks = 2,  // the same, registers capped for 3 blocks per SM
  q_in_shared = 3,              // queries reloaded from shared memory, 3 blocks per SM
};
void flash_prefill(const AttnArgs& a, cudaStream_t s, FlashVariant v = FlashVariant::best);

}  // namespace rmlx::kernels_cuda
