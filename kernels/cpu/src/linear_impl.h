// Shared between the float linear driver and its per-ISA kernels.
#pragma once

#include <cstdint>

#include "rmlx/kernels/linear.h"

namespace rmlx::kernels::linear::detail {

// y[i, r] for i in [0, n) and weight rows r in [r0, r1); x is [n, cols].
using Kernel = void (*)(const FloatWeight& w, const float* x, std::int64_t n, std::int64_t r0,
                        std::int64_t r1, float* y);

void exact_portable(const FloatWeight&, const float*, std::int64_t, std::int64_t, std::int64_t,
                    float*);
#if defined(__x86_64__)
void exact_avx2(const FloatWeight&, const float*, std::int64_t, std::int64_t, std::int64_t, float*);
void exact_avx512(const FloatWeight&, const float*, std::int64_t, std::int64_t, std::int64_t,
                  float*);
// xb: activations as bfloat16, [n, cols rounded up to an even count].
void bf16_dot_avx512(const FloatWeight& w, const std::uint16_t* xb, std::int64_t n, std::int64_t r0,
                     std::int64_t r1, float* y);
#endif

}  // namespace rmlx::kernels::linear::detail
