// Shared between the attention driver and the per-ISA compilations of its inner loop.
#pragma once

#include <cstdint>
#include <vector>

#include "rmlx/kernels/attention.h"

namespace rmlx::kernels::attn::detail {

// One unit of work: query rows [i0, i1) of KV head `head` against the sequence's key
// blocks [b0, b1). Writes, for each row and each query head of the group, the running
// max, the softmax denominator and the unnormalized output.
struct Task {
  int head = 0;
  std::int32_t i0 = 0, i1 = 0;
  std::int32_t b0 = 0, b1 = 0;
  float* m = nullptr;        // [rows, group]
  float* l = nullptr;        // [rows, group]
  float* acc = nullptr;      // [rows, group, head_dim]
  float* scratch = nullptr;  // scratch_floats(...) floats owned by the caller
};

// Scratch per task. The per-ISA loops allocate nothing and use no standard-library
// templates, so no code built with wider instructions can leak into other paths.
inline std::size_t scratch_floats(int rows, int group, int head_dim, int block_size) {
  const auto padded = static_cast<std::size_t>((block_size + 15) / 16 * 16);
  const auto hd = static_cast<std::size_t>(head_dim);
  return static_cast<std::size_t>(rows * group) * hd +
         2 * static_cast<std::size_t>(block_size) * hd + padded * hd + padded;
}

using TaskFn = void (*)(const KvLayer& kv, const Sequence& seq, const Params& p, const float* q,
                        const Task& t);

void run_task_portable(const KvLayer&, const Sequence&, const Params&, const float*, const Task&);
#if defined(__x86_64__)
void run_task_avx2(const KvLayer&, const Sequence&, const Params&, const float*, const Task&);
void run_task_avx512(const KvLayer&, const Sequence&, const Params&, const float*, const Task&);
#endif

}  // namespace rmlx::kernels::attn::detail

namespace rmlx::kernels::attn::detail {
// The built-in row encodings (RowCodec::f16 / f32 point at these); the task loops
// recognize decode_f16 and convert inline with the ISA's own instructions.
void decode_f16(const void* ctx, const void* src, int n, int head_dim, float* dst);
void encode_f16(const void* ctx, const float* src, int n, int head_dim, void* dst);
void decode_f32(const void* ctx, const void* src, int n, int head_dim, float* dst);
void encode_f32(const void* ctx, const float* src, int n, int head_dim, void* dst);
}  // namespace rmlx::kernels::attn::detail
