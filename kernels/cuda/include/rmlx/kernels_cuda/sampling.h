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

// One row's sampling parameters, as the device reads them (8 words).
struct RowSampling {
  float temperature = 0.0f;  // < 1e-5: greedy (argmax, ties to the lowest id)
  float top_p = 1.0f;        // 1: off
  float min_p = 0.0f;        // 0: off
  std::int32_t top_k = 0;    // 0: off
  std::uint32_t seed_lo = 0, seed_hi = 0;
  std::uint32_t counter_lo = 0, counter_hi = 0;  // e.g. the tokens generated so far
};
static_assert(sizeof(RowSampling) == 32);

// ids[r] = a token drawn from row r of logits after temperature, then top-k, then top-p
// (over the top-k set; the most likely token always stays), then min-p (relative to the
// most likely token): the Gumbel-max trick with Philox4x32-10 keyed by the row's seed and
// counter, so a draw depends only on (logits, parameters, seed, counter). Tokens tied with
// the k-th / nucleus threshold all stay. NaN rows give kArgmaxNaN, rows of -inf only
// kArgmaxNoToken. One block per row; rows are device memory.
void sample_rows(const float* logits, std::int64_t rows, std::int64_t vocab,
                 const RowSampling* params, std::int32_t* ids, cudaStream_t s);

// One change of logits[row, token] before sampling, as the device reads it (6 words):
// if (flags & 1) x += bias; if (flags & 2) x = x < 0 ? x * repetition : x / repetition;
// if (flags & 4) x -= subtract (f32, IEEE division: the host sampler's logit bias and
// penalties for that token, bit for bit; sdk::DeviceSampler::LogitEdit).
struct LogitEditDev {
  std::int32_t row = 0, token = 0;
  float bias = 0.0f, repetition = 1.0f, subtract = 0.0f;
  std::uint32_t flags = 0;
};
static_assert(sizeof(LogitEditDev) == 24);

// Applies n edits (device memory; at most one a (row, token), tokens inside the
// vocabulary) to logits [rows, vocab] in place, one thread an edit.
void apply_logit_edits(float* logits, std::int64_t vocab, const LogitEditDev* edits, std::int64_t n,
                       cudaStream_t s);

}  // namespace rmlx::kernels_cuda
