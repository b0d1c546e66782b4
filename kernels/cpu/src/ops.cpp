#include "rmlx/kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "ops_impl.h"
#include "rmlx/kernels/affine.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kernels::ops {

namespace {

// Runs fn(begin, end) over [0, n) on the pool when there is enough work to share.
template <typename Fn>
void split(const Exec& exec, std::int64_t n, std::int64_t min_grain, Fn fn) {
  if (exec.pool == nullptr || exec.pool->size() == 1 || n <= min_grain) {
    fn(std::int64_t{0}, n);
    return;
  }
  const std::int64_t grain = std::max(min_grain, n / (exec.pool->size() * 4));
  exec.pool->parallel_for(n, grain, [&](std::int64_t b, std::int64_t e, int) { fn(b, e); });
}

// Rows per task so that a task touches at least ~16K values.
std::int64_t row_grain(std::int64_t dim) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(dim, 1));
}

using GluFn = void (*)(const float*, const float*, std::int64_t, Glu, float*);
using SoftmaxFn = void (*)(float*, std::int64_t);

GluFn glu_fn(Isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case Isa::avx512:
      return &detail::glu_avx512;
    case Isa::avx2:
      return &detail::glu_avx2;
#endif
    default:
      return &detail::glu_portable;
  }
}

SoftmaxFn softmax_fn(Isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case Isa::avx512:
      return &detail::softmax_row_avx512;
    case Isa::avx2:
      return &detail::softmax_row_avx2;
#endif
    default:
      return &detail::softmax_row_portable;
  }
}

void check_rows(std::int64_t rows, std::int64_t dim, const char* op) {
  if (rows < 0 || dim <= 0) {
    throw std::invalid_argument(std::string(op) + ": bad shape [" + std::to_string(rows) + ", " +
                                std::to_string(dim) + "]");
  }
}

// As mlx computes it on the CPU: squares summed one after another in float32, the mean
// as sum * (1 / n), then 1 / sqrt(mean + eps); the sequential sum makes it bit-exact.
void rms_row(const float* x, const float* w, std::int64_t dim, float eps, float* out) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < dim; ++i) sum += x[i] * x[i];
  const float mean = sum * (1.0f / static_cast<float>(dim));
  const float r = 1.0f / std::sqrt(mean + eps);
  if (w != nullptr) {
    for (std::int64_t i = 0; i < dim; ++i) out[i] = (x[i] * r) * w[i];
  } else {
    for (std::int64_t i = 0; i < dim; ++i) out[i] = x[i] * r;
  }
}

// As mlx's layer_norm fallback: mean = sum * (1/n) and var = mean((x - mean)^2), both
// summed sequentially in float32, then (x - mean) * (1 / sqrt(var + eps)) * w + b.
void layer_row(const float* x, const float* w, const float* b, std::int64_t dim, float eps,
               float* out) {
  const float inv_n = 1.0f / static_cast<float>(dim);
  float sum = 0.0f;
  for (std::int64_t i = 0; i < dim; ++i) sum += x[i];
  const float mean = sum * inv_n;
  float sq = 0.0f;
  for (std::int64_t i = 0; i < dim; ++i) {
    const float d = x[i] - mean;
    sq += d * d;
  }
  const float r = 1.0f / std::sqrt(sq * inv_n + eps);
  for (std::int64_t k = 0; k < dim; ++k) {
    float v = (x[k] - mean) * r;
    if (w != nullptr) v *= w[k];
    if (b != nullptr) v += b[k];
    out[k] = v;
  }
}

}  // namespace

void rms_norm(const Exec& exec, const float* x, const float* w, std::int64_t rows, std::int64_t dim,
              float eps, float* out) {
  check_rows(rows, dim, "rms_norm");
  split(exec, rows, row_grain(dim), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r) rms_row(x + r * dim, w, dim, eps, out + r * dim);
  });
}

void layer_norm(const Exec& exec, const float* x, const float* w, const float* b, std::int64_t rows,
                std::int64_t dim, float eps, float* out) {
  check_rows(rows, dim, "layer_norm");
  split(exec, rows, row_grain(dim), [&](std::int64_t s, std::int64_t e) {
    for (std::int64_t r = s; r < e; ++r) layer_row(x + r * dim, w, b, dim, eps, out + r * dim);
  });
}

void glu(const Exec& exec, const float* gate, const float* up, std::int64_t count, Glu kind,
         float* out) {
  split(exec, count, 16384, [&](std::int64_t b, std::int64_t e) {
    glu_fn(exec.isa)(gate + b, up + b, e - b, kind, out + b);
  });
}

void add(const Exec& exec, const float* a, const float* b, std::int64_t count, float* out) {
  split(exec, count, 65536, [&](std::int64_t s, std::int64_t e) {
    for (std::int64_t i = s; i < e; ++i) out[i] = a[i] + b[i];
  });
}

void add_bias(const Exec& exec, float* y, const float* bias, std::int64_t rows, std::int64_t cols) {
  check_rows(rows, cols, "add_bias");
  split(exec, rows, row_grain(cols), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r) {
      float* yr = y + r * cols;
      for (std::int64_t k = 0; k < cols; ++k) yr[k] += bias[k];
    }
  });
}

void softmax(const Exec& exec, float* x, std::int64_t rows, std::int64_t dim) {
  check_rows(rows, dim, "softmax");
  split(exec, rows, row_grain(dim), [&](std::int64_t b, std::int64_t e) {
    const SoftmaxFn fn = softmax_fn(exec.isa);
    for (std::int64_t r = b; r < e; ++r) fn(x + r * dim, dim);
  });
}

namespace {
void check_id(std::int32_t id, std::int64_t vocab) {
  if (id < 0 || id >= vocab) {
    throw std::out_of_range("embedding: token id " + std::to_string(id) + " outside [0, " +
                            std::to_string(vocab) + ")");
  }
}
}  // namespace

void embedding(const void* table, FloatType type, std::int64_t vocab, std::int64_t dim,
               const std::int32_t* ids, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    check_id(ids[i], vocab);
    const std::int64_t base = static_cast<std::int64_t>(ids[i]) * dim;
    float* o = out + i * dim;
    if (type == FloatType::f32) {
      std::copy_n(static_cast<const float*>(table) + base, dim, o);
    } else {
      for (std::int64_t k = 0; k < dim; ++k) o[k] = load_float(table, type, base + k);
    }
  }
}

void embedding(const qmm::AffineWeight& t, const std::int32_t* ids, std::int64_t n, float* out) {
  affine::check_shape(t.rows, t.cols, t.bits, t.group_size);
  const std::int64_t groups = t.cols / t.group_size;
  const std::size_t ssize = t.scale_type == FloatType::f32 ? 4 : 2;
  for (std::int64_t i = 0; i < n; ++i) {
    check_id(ids[i], t.rows);
    const std::int64_t r = ids[i];
    const auto off = static_cast<std::size_t>(r * groups) * ssize;
    affine::dequantize_to_f32(t.scale_type, t.packed + r * affine::packed_cols(t.cols, t.bits),
                              static_cast<const char*>(t.scales) + off,
                              static_cast<const char*>(t.biases) + off, 1, t.cols, t.bits,
                              t.group_size, out + i * t.cols);
  }
}

namespace ref {

void rms_norm(const float* x, const float* w, std::int64_t rows, std::int64_t dim, float eps,
              float* out) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    double sum = 0.0;
    for (std::int64_t i = 0; i < dim; ++i) sum += static_cast<double>(xr[i]) * xr[i];
    const double rs = 1.0 / std::sqrt(sum / static_cast<double>(dim) + eps);
    for (std::int64_t i = 0; i < dim; ++i) {
      const double v = xr[i] * rs;
      out[r * dim + i] = static_cast<float>(w != nullptr ? v * w[i] : v);
    }
  }
}

void layer_norm(const float* x, const float* w, const float* b, std::int64_t rows, std::int64_t dim,
                float eps, float* out) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    double mean = 0.0;
    for (std::int64_t i = 0; i < dim; ++i) mean += xr[i];
    mean /= static_cast<double>(dim);
    double var = 0.0;
    for (std::int64_t i = 0; i < dim; ++i) var += (xr[i] - mean) * (xr[i] - mean);
    var /= static_cast<double>(dim);
    const double rs = 1.0 / std::sqrt(var + eps);
    for (std::int64_t i = 0; i < dim; ++i) {
      double v = (xr[i] - mean) * rs;
      if (w != nullptr) v *= w[i];
      if (b != nullptr) v += b[i];
      out[r * dim + i] = static_cast<float>(v);
    }
  }
}

void glu(const float* gate, const float* up, std::int64_t count, Glu kind, float* out) {
  for (std::int64_t i = 0; i < count; ++i) {
    const double g = gate[i];
    double a;
    if (kind == Glu::silu) {
      a = g / (1.0 + std::exp(-g));
    } else {
      a = 0.5 * g *
          (1.0 + std::tanh(std::sqrt(2.0 / 3.14159265358979323846) * (g + 0.044715 * g * g * g)));
    }
    out[i] = static_cast<float>(a * up[i]);
  }
}

void softmax(float* x, std::int64_t rows, std::int64_t dim) {
  for (std::int64_t r = 0; r < rows; ++r) {
    float* xr = x + r * dim;
    double m = xr[0];
    for (std::int64_t i = 1; i < dim; ++i) m = std::max<double>(m, xr[i]);
    double s = 0.0;
    for (std::int64_t i = 0; i < dim; ++i) s += std::exp(xr[i] - m);
    for (std::int64_t i = 0; i < dim; ++i) xr[i] = static_cast<float>(std::exp(xr[i] - m) / s);
  }
}

}  // namespace ref

}  // namespace rmlx::kernels::ops
