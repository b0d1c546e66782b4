#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "linear_impl.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kernels::linear {

namespace detail {

void exact_portable(const FloatWeight& w, const float* x, std::int64_t n, std::int64_t r0,
                    std::int64_t r1, float* y) {
  std::vector<float> row(static_cast<std::size_t>(w.cols));
  for (std::int64_t r = r0; r < r1; ++r) {
    for (std::int64_t k = 0; k < w.cols; ++k)
      row[static_cast<std::size_t>(k)] = load_float(w.data, w.type, r * w.cols + k);
    for (std::int64_t i = 0; i < n; ++i) {
      float acc[8] = {};
      const float* xr = x + i * w.cols;
      std::int64_t k = 0;
      for (; k + 8 <= w.cols; k += 8) {
        for (int j = 0; j < 8; ++j) acc[j] += row[static_cast<std::size_t>(k + j)] * xr[k + j];
      }
      for (; k < w.cols; ++k) acc[0] += row[static_cast<std::size_t>(k)] * xr[k];
      y[i * w.rows + r] =
          ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
  }
}

}  // namespace detail

void matmul(const Exec& exec, const FloatWeight& w, const float* x, std::int64_t n, float* y,
            Precision precision) {
  if (w.rows < 0 || w.cols <= 0 || n < 0) {
    throw std::invalid_argument("linear: bad shape [" + std::to_string(w.rows) + ", " +
                                std::to_string(w.cols) + "] x " + std::to_string(n) + " rows");
  }
  if (n == 0 || w.rows == 0) return;
  if (w.data == nullptr || x == nullptr || y == nullptr)
    throw std::invalid_argument("linear: null pointer argument");
  const int threads = exec.pool != nullptr ? exec.pool->size() : 1;
  const std::int64_t grain = std::clamp<std::int64_t>(w.rows / (threads * 8) / 4 * 4, 4, 256);
  const auto run = [&](auto&& kernel) {
    if (threads == 1) {
      kernel(std::int64_t{0}, w.rows);
    } else {
      exec.pool->parallel_for(w.rows, grain,
                              [&](std::int64_t r0, std::int64_t r1, int) { kernel(r0, r1); });
    }
  };
  // Activation panels sized to stay in L2 while a weight tile is reused across them.
  const std::int64_t panel = std::max<std::int64_t>(8, (std::int64_t{1} << 19) / w.cols);
#if defined(__x86_64__)
  if (precision == Precision::bf16_dot && w.type == FloatType::bf16 && exec.isa == Isa::avx512) {
    const std::int64_t cols2 = (w.cols + 1) / 2 * 2;
    std::vector<std::uint16_t> xb;
    for (std::int64_t i0 = 0; i0 < n; i0 += panel) {
      const std::int64_t m = std::min(panel, n - i0);
      xb.assign(static_cast<std::size_t>(m * cols2), 0);
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t k = 0; k < w.cols; ++k)
          xb[static_cast<std::size_t>(i * cols2 + k)] = f32_to_bf16(x[(i0 + i) * w.cols + k]);
      }
      run([&](std::int64_t r0, std::int64_t r1) {
        detail::bf16_dot_avx512(w, xb.data(), m, r0, r1, y + i0 * w.rows);
      });
    }
    return;
  }
#endif
  detail::Kernel kernel = &detail::exact_portable;
#if defined(__x86_64__)
  if (exec.isa == Isa::avx512) kernel = &detail::exact_avx512;
  if (exec.isa == Isa::avx2) kernel = &detail::exact_avx2;
#endif
  for (std::int64_t i0 = 0; i0 < n; i0 += panel) {
    const std::int64_t m = std::min(panel, n - i0);
    run([&](std::int64_t r0, std::int64_t r1) {
      kernel(w, x + i0 * w.cols, m, r0, r1, y + i0 * w.rows);
    });
  }
}

void matmul_reference(const FloatWeight& w, const float* x, std::int64_t n, float* y) {
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t r = 0; r < w.rows; ++r) {
      double acc = 0.0;
      for (std::int64_t k = 0; k < w.cols; ++k)
        acc += static_cast<double>(load_float(w.data, w.type, r * w.cols + k)) * x[i * w.cols + k];
      y[i * w.rows + r] = static_cast<float>(acc);
    }
  }
}

}  // namespace rmlx::kernels::linear
