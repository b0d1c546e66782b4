// Token choice on the device (the CUDA backend's DeviceSampler): the logits rows
// stay in device memory and only the chosen ids are copied to the host.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace rmlx::kernels_cuda {

// Token ids greedy_argmax writes for a row it cannot choose from.
inline constexpr std::int32_t kArgmaxNaN = -1;      // the row holds a NaN
inline constexpr std::int32_t kArgmaxNoToken = -2;  // every logit is -inf

// Blocks the multi-block argmax splits a row into, and the 8-byte partial results
// it needs (rows * blocks).
int argmax_blocks(std::int64_t vocab);

// ids[r] = argmax of logits[r, 0:vocab] (the first index among equal maxima, as
// numpy / mlx argmax and the host sampler), or one of the codes above.
// With `partials` (8 * rows * argmax_blocks(vocab) bytes, any contents) and
// `tickets` (rows counters, zero before the first call; each call leaves them
// zero) each row is split over several blocks and the last block to finish
// reduces them, in one launch; without, one block scans each row.
void greedy_argmax(const float* logits, std::int64_t rows, std::int64_t vocab, std::int32_t* ids,
                   cudaStream_t s, void* partials = nullptr, unsigned* tickets = nullptr);

}  // namespace rmlx::kernels_cuda
