// Per-ISA element-wise loops behind ops.h.
#pragma once

#include <cstdint>

#include "rmlx/kernels/ops.h"

namespace rmlx::kernels::ops::detail {

void glu_portable(const float* gate, const float* up, std::int64_t count, Glu kind, float* out);
void softmax_row_portable(float* x, std::int64_t dim);
#if defined(__x86_64__)
void glu_avx2(const float* gate, const float* up, std::int64_t count, Glu kind, float* out);
void softmax_row_avx2(float* x, std::int64_t dim);
void glu_avx512(const float* gate, const float* up, std::int64_t count, Glu kind, float* out);
void softmax_row_avx512(float* x, std::int64_t dim);
#endif

}  // namespace rmlx::kernels::ops::detail
