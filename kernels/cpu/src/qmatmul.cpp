#include <algorithm>
#include <cmath>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qmatmul_impl.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/half.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kernels::qmm {

namespace detail {

namespace {

std::int64_t round_up(std::int64_t v, std::int64_t m) {
  return (v + m - 1) / m * m;
}

// Position of value k of a row in the planar layout with kChunkBytes bytes per plane
// (constants, so the divisions are shifts).
template <int kPlanes, int kChunkBytes>
std::int64_t planar_index(std::int64_t k) {
  if constexpr (kPlanes == 1) {
    return k;
  } else {
    constexpr std::int64_t kChunk = std::int64_t{kChunkBytes} * kPlanes;
    const std::int64_t base = k / kChunk * kChunk;
    const std::int64_t e = (k - base) / kPlanes;
    const std::int64_t p = (k - base) % kPlanes;
    return base + p * kChunkBytes + e;
  }
}

std::int64_t planar_index(std::int64_t k, int planes, int chunk_bytes) {
  if (chunk_bytes == 64) {
    return planes == 4 ? planar_index<4, 64>(k) : planes == 2 ? planar_index<2, 64>(k) : k;
  }
  return planes == 4 ? planar_index<4, 16>(k) : planes == 2 ? planar_index<2, 16>(k) : k;
}

// Round to nearest, ties to even, for |v| <= 2^22, without a libm call: adding 1.5 * 2^23
// leaves no fraction bits.
inline float round_even(float v) {
  constexpr float kMagic = 12582912.0f;
  return (v + kMagic) - kMagic;
}

// Activation rows are independent: a prefill spreads them over the pool (decode, one
// row, stays on the calling thread).
template <typename Fn>
void for_rows(ThreadPool* pool, std::int64_t n, std::int64_t cols, const Fn& fn) {
  // A few rows (decode, verification) are not worth waking the pool.
  if (pool == nullptr || pool->size() == 1 || n < 4 || n * cols < (std::int64_t{1} << 15)) {
    for (std::int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  pool->parallel_for(n, std::max<std::int64_t>(1, n / (pool->size() * 4)),
                     [&](std::int64_t b, std::int64_t e, int) {
                       for (std::int64_t i = b; i < e; ++i) fn(i);
                     });
}

}  // namespace

void quantize_acts(const float* x, std::int64_t n, std::int64_t cols, int group_size, int planes,
                   int limbs, QuantActs& a, ThreadPool* pool, Isa isa) {
  a.n = n;
  a.cols = cols;
  a.padded_cols = round_up(cols, static_cast<std::int64_t>(kBlockGroups) * group_size);
  a.groups = cols / group_size;
  a.padded_groups = a.padded_cols / group_size;
  a.planes = planes;
  a.limbs = limbs;
  a.q.assign(static_cast<std::size_t>(limbs * n * a.padded_cols), 0);
  a.scale.assign(static_cast<std::size_t>(n * a.padded_groups), 0.0f);
  a.sum.assign(static_cast<std::size_t>(n * a.padded_groups), 0.0f);
  a.qsum.assign(static_cast<std::size_t>(n * a.padded_groups), 0);
  for_rows(pool, n, cols, [&](std::int64_t i) {
#if defined(__x86_64__)
    if (isa == Isa::avx512 && quantize_rows_avx512(x, i, i + 1, group_size, a)) return;
#endif
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
      std::int32_t qsum = 0;
      float scale = 0.0f;
      if (limbs == 1) {
        scale = amax / 127.0f;
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        for (int j = 0; j < group_size; ++j) {
          const auto q = static_cast<std::int8_t>(round_even(xg[j] * inv));
          qsum += q;
          qr[planar_index(g * group_size + j, planes, 64)] = q;
        }
      } else {
        constexpr float kRange = 4194304.0f;  // 2^22: the top digit stays within int8
        scale = amax / kRange;
        const float inv = amax > 0.0f ? kRange / amax : 0.0f;
        const std::int64_t limb_stride = n * a.padded_cols;
        for (int j = 0; j < group_size; ++j) {
          auto v = static_cast<std::int32_t>(round_even(xg[j] * inv));
          v = std::clamp(v, -4194304, 4194304);
          const std::int64_t at = planar_index(g * group_size + j, planes, 64);
          for (int limb = 0; limb < 3; ++limb) {
            // Balanced digits in [-128, 127]; the last one is at most 65 in magnitude.
            const std::int32_t d = limb == 2 ? v : ((v + 128) & 255) - 128;
            qr[limb * limb_stride + at] = static_cast<std::int8_t>(d);
            v = (v - d) / 256;
          }
        }
      }
      a.scale[static_cast<std::size_t>(i * a.padded_groups + g)] = scale;
      a.sum[static_cast<std::size_t>(i * a.padded_groups + g)] = sum;
      a.qsum[static_cast<std::size_t>(i * a.padded_groups + g)] = qsum;
    }
  });
}

void prepare_float_acts(const float* x, std::int64_t n, std::int64_t cols, int group_size,
                        int planes, FloatActs& a, ThreadPool* pool) {
  a.n = n;
  a.padded_cols = round_up(cols, static_cast<std::int64_t>(kBlockGroups) * group_size);
  a.padded_groups = a.padded_cols / group_size;
  a.x.assign(static_cast<std::size_t>(n * a.padded_cols), 0.0f);
  a.sum.assign(static_cast<std::size_t>(n * a.padded_groups), 0.0f);
  for_rows(pool, n, cols, [&](std::int64_t i) {
    const float* xr = x + i * cols;
    float* dst = a.x.data() + i * a.padded_cols;
    for (std::int64_t k = 0; k < cols; ++k) dst[planar_index(k, planes, 16)] = xr[k];
    for (std::int64_t g = 0; g < cols / group_size; ++g) {
      float s = 0.0f;
      for (int j = 0; j < group_size; ++j) s += xr[g * group_size + j];
      a.sum[static_cast<std::size_t>(i * a.padded_groups + g)] = s;
    }
  });
}

}  // namespace detail

namespace {

int simd_planes(Isa isa, int bits) {
  if (isa == Isa::portable) return 1;
  return bits == 2 ? 4 : bits == 4 ? 2 : 1;
}

// Rows of W per parallel task. Each task restarts the weight prefetch stream, so tasks
// hold at least ~64 KiB of weights (a SmolLM2 projection is ~330 KiB: a few tasks, not
// 16 of 20 KiB); and a multiple of the thread count, so that threads running at equal
// speed finish together. 8 tasks per thread made the 1B Q4 decode step's matmuls 3-10%
// slower at two threads (each restart ramps the stream up again), and 2 per thread
// another ~3% against 1 for one activation row (decode, bound by the weight stream; a
// worker that has not woken up yet still leaves its task to the caller). Several rows
// (prefill, compute-bound) keep 2 per thread, so that a thread slowed down by a shared
// core can be covered by the others.
std::int64_t row_grain(std::int64_t rows, std::int64_t row_bytes, int threads,
                       std::int64_t act_rows) {
  const std::int64_t t = threads;
  const std::int64_t per_thread = act_rows == 1 ? 1 : 2;
  std::int64_t tasks = std::clamp<std::int64_t>(rows * row_bytes / 65536, 1, per_thread * t);
  tasks = std::max<std::int64_t>(t, tasks / t * t);
  const std::int64_t grain = (rows + tasks - 1) / tasks;
  return std::max<std::int64_t>(4, (grain + 3) / 4 * 4);
}

// Rows of several weights reading the same activations, as one range split over the
// pool: weight j owns rows [offset_j, offset_j + rows_j).
template <typename Kernel, typename Acts>
void run_rows(const Exec& exec, std::span<const AffineWeight> ws, const Acts& acts,
              std::span<float* const> ys, Kernel kernel) {
  std::int64_t total = 0;
  for (const auto& w : ws) total += w.rows;
  const auto range = [&](std::int64_t b, std::int64_t e) {
    std::int64_t off = 0;
    for (std::size_t j = 0; j < ws.size(); ++j) {
      const std::int64_t lo = std::max(b, off), hi = std::min(e, off + ws[j].rows);
      if (lo < hi) kernel(ws[j], acts, lo - off, hi - off, ys[j]);
      off += ws[j].rows;
    }
  };
  const int threads = exec.pool != nullptr ? exec.pool->size() : 1;
  if (threads == 1) {
    range(0, total);
    return;
  }
  exec.pool->parallel_for(total, row_grain(total, ws[0].cols * ws[0].bits / 8, threads, acts.n),
                          [&](std::int64_t b, std::int64_t e, int) { range(b, e); });
}

}  // namespace

void matmul_shared_input(const Exec& exec, std::span<const AffineWeight> ws, const float* x,
                         std::int64_t n, std::span<float* const> ys, Activations mode) {
  if (ws.empty()) return;
  if (ws.size() != ys.size()) {
    throw std::invalid_argument("qmm::matmul: " + std::to_string(ws.size()) + " weights but " +
                                std::to_string(ys.size()) + " outputs");
  }
  const AffineWeight& w0 = ws[0];
  for (const auto& w : ws) {
    affine::check_shape(w.rows, w.cols, w.bits, w.group_size);
    if (w.cols != w0.cols || w.bits != w0.bits || w.group_size != w0.group_size) {
      throw std::invalid_argument(
          "qmm::matmul: weights sharing an input need equal in_features, bits and group_size");
    }
    if (w.rows > 0 && (w.packed == nullptr || w.scales == nullptr || w.biases == nullptr)) {
      throw std::invalid_argument("qmm::matmul: null pointer argument");
    }
  }
  if (n < 0) throw std::invalid_argument("qmm::matmul: negative activation row count");
  if (n == 0) return;
  if (x == nullptr) throw std::invalid_argument("qmm::matmul: null pointer argument");
  for (float* y : ys) {
    if (y == nullptr) throw std::invalid_argument("qmm::matmul: null pointer argument");
  }
  const int planes = simd_planes(exec.isa, w0.bits);
  // Activation panels small enough to stay in L2 while a weight panel is reused.
  const std::int64_t panel =
      std::max<std::int64_t>(8, (std::int64_t{1} << 20) / std::max<std::int64_t>(w0.cols, 1));
  std::vector<float*> yp(ys.size());
  for (std::int64_t i0 = 0; i0 < n; i0 += panel) {
    const std::int64_t m = std::min(panel, n - i0);
    // Output rows of this panel start at i0; kernels index y as [i, rows].
    for (std::size_t j = 0; j < ys.size(); ++j) yp[j] = ys[j] + i0 * ws[j].rows;
    const std::span<float* const> yps(yp);
#if defined(__x86_64__)
    if (mode == Activations::fixed24 && exec.isa == Isa::avx512) {
      detail::QuantActs acts;
      detail::quantize_acts(x + i0 * w0.cols, m, w0.cols, w0.group_size, planes, 3, acts,
                            exec.pool);
      run_rows(exec, ws, acts, yps, detail::int8_avx512);
      continue;
    }
#endif
    if (mode == Activations::int8) {
      detail::QuantActs acts;
      detail::quantize_acts(x + i0 * w0.cols, m, w0.cols, w0.group_size, planes, 1, acts, exec.pool,
                            exec.isa);
      switch (exec.isa) {
#if defined(__x86_64__)
        case Isa::avx512:
          run_rows(exec, ws, acts, yps, detail::int8_avx512);
          break;
        case Isa::avx2:
          run_rows(exec, ws, acts, yps, detail::int8_avx2);
          break;
#endif
        default:
          run_rows(exec, ws, acts, yps, detail::int8_portable);
          break;
      }
    } else {
      detail::FloatActs acts;
      detail::prepare_float_acts(x + i0 * w0.cols, m, w0.cols, w0.group_size, planes, acts,
                                 exec.pool);
      switch (exec.isa) {
#if defined(__x86_64__)
        case Isa::avx512:
          run_rows(exec, ws, acts, yps, detail::exact_avx512);
          break;
        case Isa::avx2:
          run_rows(exec, ws, acts, yps, detail::exact_avx2);
          break;
#endif
        default:
          run_rows(exec, ws, acts, yps, detail::exact_portable);
          break;
      }
    }
  }
}

float symmetric_bias_factor(const AffineWeight& w) {
  if (w.bits <= 0 || w.bits > 8 || w.group_size <= 0 || w.scales == nullptr ||
      w.biases == nullptr) {
    return 0.0f;
  }
  const float k = -static_cast<float>(1 << (w.bits - 1));
  const std::int64_t count = w.rows * (w.cols / w.group_size);
  for (std::int64_t i = 0; i < count; ++i) {
    // Both sides exact: k is a power of two and the stored bias is compared as stored.
    if (load_float(w.biases, w.scale_type, i) != k * load_float(w.scales, w.scale_type, i)) {
      return 0.0f;
    }
  }
  return count > 0 ? k : 0.0f;
}

void matmul(const Exec& exec, const AffineWeight& w, const float* x, std::int64_t n, float* y,
            Activations mode) {
  float* const ys[1] = {y};
  matmul_shared_input(exec, std::span<const AffineWeight>(&w, 1), x, n, ys, mode);
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
