#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "qmatmul_impl.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kernels::qmm {

namespace detail {

namespace {

std::int64_t round_up(std::int64_t v, std::int64_t m) {
  return (v + m - 1) / m * m;
}

// Position of value k of a row in the planar layout with `chunk_bytes` bytes per plane.
std::int64_t planar_index(std::int64_t k, int planes, int chunk_bytes) {
  if (planes == 1) return k;
  const std::int64_t chunk = static_cast<std::int64_t>(chunk_bytes) * planes;
  const std::int64_t base = k / chunk * chunk;
  const std::int64_t e = (k - base) / planes;
  const std::int64_t p = (k - base) % planes;
  return base + p * chunk_bytes + e;
}

}  // namespace

void quantize_acts(const float* x, std::int64_t n, std::int64_t cols, int group_size, int planes,
                   QuantActs& a) {
  a.n = n;
  a.cols = cols;
  a.padded_cols = round_up(cols, static_cast<std::int64_t>(kBlockGroups) * group_size);
  a.groups = cols / group_size;
  a.padded_groups = a.padded_cols / group_size;
  a.planes = planes;
  a.q.assign(static_cast<std::size_t>(n * a.padded_cols), 0);
  a.scale.assign(static_cast<std::size_t>(n * a.padded_groups), 0.0f);
  a.sum.assign(static_cast<std::size_t>(n * a.padded_groups), 0.0f);
  a.qsum.assign(static_cast<std::size_t>(n * a.padded_groups), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    const float* xr = x + i * cols;
    std::int8_t* qr = a.q.data() + i * a.padded_cols;
    for (std::int64_t g = 0; g < a.groups; ++g) {
      const float* xg = xr + g * group_size;
      float amax = 0.0f;
      float sum = 0.0f;
      for (int j = 0; j < group_size; ++j) {
        amax = std::max(amax, std::abs(xg[j]));
        sum += xg[j];
      }
      const float scale = amax / 127.0f;
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      std::int32_t qsum = 0;
      for (int j = 0; j < group_size; ++j) {
        const auto q = static_cast<std::int8_t>(std::nearbyint(xg[j] * inv));
        qsum += q;
        qr[planar_index(g * group_size + j, planes, 64)] = q;
      }
      a.scale[static_cast<std::size_t>(i * a.padded_groups + g)] = scale;
      a.sum[static_cast<std::size_t>(i * a.padded_groups + g)] = sum;
      a.qsum[static_cast<std::size_t>(i * a.padded_groups + g)] = qsum;
    }
  }
}

void prepare_float_acts(const float* x, std::int64_t n, std::int64_t cols, int group_size,
                        int planes, FloatActs& a) {
  a.n = n;
  a.padded_cols = round_up(cols, static_cast<std::int64_t>(kBlockGroups) * group_size);
  a.padded_groups = a.padded_cols / group_size;
  a.x.assign(static_cast<std::size_t>(n * a.padded_cols), 0.0f);
  a.sum.assign(static_cast<std::size_t>(n * a.padded_groups), 0.0f);
  for (std::int64_t i = 0; i < n; ++i) {
    const float* xr = x + i * cols;
    float* dst = a.x.data() + i * a.padded_cols;
    for (std::int64_t k = 0; k < cols; ++k) dst[planar_index(k, planes, 16)] = xr[k];
    for (std::int64_t g = 0; g < cols / group_size; ++g) {
      float s = 0.0f;
      for (int j = 0; j < group_size; ++j) s += xr[g * group_size + j];
      a.sum[static_cast<std::size_t>(i * a.padded_groups + g)] = s;
    }
  }
}

}  // namespace detail

namespace {

int simd_planes(Isa isa, int bits) {
  if (isa == Isa::portable) return 1;
  return bits == 2 ? 4 : bits == 4 ? 2 : 1;
}

// Rows of W per parallel task: enough to amortize the claim, small enough to balance.
std::int64_t row_grain(std::int64_t rows, int threads) {
  const std::int64_t per = rows / (static_cast<std::int64_t>(threads) * 8);
  return std::clamp<std::int64_t>(per / 4 * 4, 8, 256);
}

template <typename Kernel, typename Acts>
void run_rows(const Exec& exec, const AffineWeight& w, const Acts& acts, float* y, Kernel kernel) {
  const int threads = exec.pool != nullptr ? exec.pool->size() : 1;
  if (threads == 1) {
    kernel(w, acts, 0, w.rows, y);
    return;
  }
  exec.pool->parallel_for(
      w.rows, row_grain(w.rows, threads),
      [&](std::int64_t r0, std::int64_t r1, int) { kernel(w, acts, r0, r1, y); });
}

}  // namespace

void matmul(const Exec& exec, const AffineWeight& w, const float* x, std::int64_t n, float* y,
            Activations mode) {
  affine::check_shape(w.rows, w.cols, w.bits, w.group_size);
  if (n < 0) throw std::invalid_argument("qmm::matmul: negative activation row count");
  if (n == 0 || w.rows == 0) return;
  if (w.packed == nullptr || w.scales == nullptr || w.biases == nullptr || x == nullptr ||
      y == nullptr) {
    throw std::invalid_argument("qmm::matmul: null pointer argument");
  }
  const int planes = simd_planes(exec.isa, w.bits);
  // Activation panels small enough to stay in L2 while a weight panel is reused.
  const std::int64_t panel =
      std::max<std::int64_t>(8, (std::int64_t{1} << 20) / std::max<std::int64_t>(w.cols, 1));
  for (std::int64_t i0 = 0; i0 < n; i0 += panel) {
    const std::int64_t m = std::min(panel, n - i0);
    // y rows for this panel start at i0; kernels index y as [i, rows].
    float* yp = y + i0 * w.rows;
    if (mode == Activations::int8) {
      detail::QuantActs acts;
      detail::quantize_acts(x + i0 * w.cols, m, w.cols, w.group_size, planes, acts);
      switch (exec.isa) {
#if defined(__x86_64__)
        case Isa::avx512:
          run_rows(exec, w, acts, yp, detail::int8_avx512);
          break;
        case Isa::avx2:
          run_rows(exec, w, acts, yp, detail::int8_avx2);
          break;
#endif
        default:
          run_rows(exec, w, acts, yp, detail::int8_portable);
          break;
      }
    } else {
      detail::FloatActs acts;
      detail::prepare_float_acts(x + i0 * w.cols, m, w.cols, w.group_size, planes, acts);
      switch (exec.isa) {
#if defined(__x86_64__)
        case Isa::avx512:
          run_rows(exec, w, acts, yp, detail::exact_avx512);
          break;
        case Isa::avx2:
          run_rows(exec, w, acts, yp, detail::exact_avx2);
          break;
#endif
        default:
          run_rows(exec, w, acts, yp, detail::exact_portable);
          break;
      }
    }
  }
}

void matmul_reference(const AffineWeight& w, const float* x, std::int64_t n, float* y) {
  affine::check_shape(w.rows, w.cols, w.bits, w.group_size);
  std::vector<float> row(static_cast<std::size_t>(w.cols));
  const std::int64_t pcols = affine::packed_cols(w.cols, w.bits);
  const std::int64_t groups = w.cols / w.group_size;
  const std::size_t ssize = w.scale_type == FloatType::f32 ? 4 : 2;
  for (std::int64_t r = 0; r < w.rows; ++r) {
    const auto off = static_cast<std::size_t>(r * groups) * ssize;
    affine::dequantize_to_f32(
        w.scale_type, w.packed + r * pcols, static_cast<const char*>(w.scales) + off,
        static_cast<const char*>(w.biases) + off, 1, w.cols, w.bits, w.group_size, row.data());
    for (std::int64_t i = 0; i < n; ++i) {
      double acc = 0.0;
      for (std::int64_t k = 0; k < w.cols; ++k) {
        acc += static_cast<double>(row[static_cast<std::size_t>(k)]) * x[i * w.cols + k];
      }
      y[i * w.rows + r] = static_cast<float>(acc);
    }
  }
}

}  // namespace rmlx::kernels::qmm
