#include "rmlx/kernels/encoder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmlx/kernels/half.h"
#include "rmlx/kernels/thread_pool.h"

#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2,avx512f,avx512bw,avx512dq,avx512vl")
#pragma GCC diagnostic push
// GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "encoder_avx512.inc"
#pragma GCC diagnostic pop
#pragma GCC pop_options
#endif

namespace rmlx::kernels::encoder {

namespace {

template <typename Fn>
void for_ranges(const Exec& exec, std::int64_t n, std::int64_t grain, Fn&& fn) {
  if (exec.pool != nullptr) {
    exec.pool->parallel_for(n, grain, [&](std::int64_t b, std::int64_t e, int) { fn(b, e); });
  } else {
    fn(std::int64_t{0}, n);
  }
}

float dot(const float* a, const float* b, int n) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

void self_attention(const Exec& exec, const SelfAttentionShape& s, const float* q, const float* k,
                    const float* v, float* out) {
  if (s.n_rows < 0 || s.n_heads <= 0 || s.n_kv_heads <= 0 || s.head_dim <= 0 ||
      s.n_heads % s.n_kv_heads != 0) {
    throw std::invalid_argument("encoder::self_attention: bad shape");
  }
  if (s.n_rows == 0) return;
  const std::int64_t n = s.n_rows;
  const int hd = s.head_dim, group = s.n_heads / s.n_kv_heads;
  const std::int64_t q_stride = static_cast<std::int64_t>(s.n_heads) * hd;
  const std::int64_t kv_stride = static_cast<std::int64_t>(s.n_kv_heads) * hd;
  // One task per (head, query row); each writes its own output row.
  const std::int64_t tasks = n * s.n_heads;
  const std::int64_t grain = std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(n, 1));
  for_ranges(exec, tasks, grain, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> w(static_cast<std::size_t>(n));
    std::vector<float> acc(static_cast<std::size_t>(hd));
    for (std::int64_t t = begin; t < end; ++t) {
      const int h = static_cast<int>(t / n);
      const std::int64_t i = t % n;
      const int kvh = h / group;
      const float* qi = q + i * q_stride + static_cast<std::int64_t>(h) * hd;
      const std::int64_t last = s.causal ? i + 1 : n;
      float mx = -INFINITY;
      for (std::int64_t j = 0; j < last; ++j) {
        const float sc =
            dot(qi, k + j * kv_stride + static_cast<std::int64_t>(kvh) * hd, hd) * s.scale;
        w[static_cast<std::size_t>(j)] = sc;
        mx = std::max(mx, sc);
      }
      float sum = 0.0f;
      for (std::int64_t j = 0; j < last; ++j) {
        const float e = std::exp(w[static_cast<std::size_t>(j)] - mx);
        w[static_cast<std::size_t>(j)] = e;
        sum += e;
      }
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (std::int64_t j = 0; j < last; ++j) {
        const float p = w[static_cast<std::size_t>(j)];
        const float* vj = v + j * kv_stride + static_cast<std::int64_t>(kvh) * hd;
        for (int d = 0; d < hd; ++d) acc[static_cast<std::size_t>(d)] += p * vj[d];
      }
      const float inv = 1.0f / sum;
      float* oi = out + i * q_stride + static_cast<std::int64_t>(h) * hd;
      for (int d = 0; d < hd; ++d) oi[d] = acc[static_cast<std::size_t>(d)] * inv;
    }
  });
}

void gelu_erf(const Exec& exec, const float* x, std::int64_t count, float* out) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f;
#if defined(__x86_64__)
  if (exec.isa == Isa::avx512) {
    for_ranges(exec, count, 16384, [&](std::int64_t b, std::int64_t e) {
      detail::gelu_erf_avx512(x + b, e - b, out + b);
    });
    return;
  }
#endif
  for_ranges(exec, count, 16384, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const float xi = x[i];
      out[i] = 0.5f * xi * (1.0f + std::erf(xi * kInvSqrt2));
    }
  });
}

namespace {

float weight_at(const void* w, PackedLinear::Type type, std::int64_t i) {
  switch (type) {
    case PackedLinear::Type::f32:
      return static_cast<const float*>(w)[i];
    case PackedLinear::Type::f16:
      return f16_to_f32(static_cast<const std::uint16_t*>(w)[i]);
    case PackedLinear::Type::bf16:
      return bf16_to_f32(static_cast<const std::uint16_t*>(w)[i]);
  }
  return 0.0f;
}

void packed_linear_portable(const void* packed, PackedLinear::Type type, const float* bias,
                            std::int64_t rows, std::int64_t cols, const float* x, std::int64_t i0,
                            std::int64_t i1, std::int64_t p0, std::int64_t p1, float* y) {
  constexpr std::int64_t kPanel = PackedLinear::kPanel;
  float acc[kPanel];
  for (std::int64_t p = p0; p < p1; ++p) {
    const std::int64_t base = p * cols * kPanel;
    const std::int64_t c0 = p * kPanel, width = std::min(kPanel, rows - c0);
    for (std::int64_t i = i0; i < i1; ++i) {
      std::fill(acc, acc + kPanel, 0.0f);
      const float* xi = x + i * cols;
      for (std::int64_t k = 0; k < cols; ++k) {
        for (std::int64_t c = 0; c < kPanel; ++c)
          acc[c] += xi[k] * weight_at(packed, type, base + k * kPanel + c);
      }
      for (std::int64_t c = 0; c < width; ++c) y[i * rows + c0 + c] = acc[c] + bias[c0 + c];
    }
  }
}

}  // namespace

PackedLinear::PackedLinear(const void* w, Type type, std::int64_t rows, std::int64_t cols,
                           const float* bias)
    : rows_(rows), cols_(cols), panels_((rows + kPanel - 1) / kPanel), type_(type) {
  if (w == nullptr || rows <= 0 || cols <= 0) {
    throw std::invalid_argument("encoder::PackedLinear: bad weight [" + std::to_string(rows) +
                                ", " + std::to_string(cols) + "]");
  }
  const auto size = static_cast<std::size_t>(panels_ * cols * kPanel);
  auto dst = [&](std::int64_t r, std::int64_t k) {
    return static_cast<std::size_t>((r / kPanel) * cols * kPanel + k * kPanel + r % kPanel);
  };
  if (type == Type::f32) {
    packed_.assign(size, 0.0f);
    const auto* src = static_cast<const float*>(w);
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t k = 0; k < cols; ++k) packed_[dst(r, k)] = src[r * cols + k];
    }
  } else {
    half_.assign(size, 0);  // +0 in both 16-bit formats
    const auto* src = static_cast<const std::uint16_t*>(w);
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t k = 0; k < cols; ++k) half_[dst(r, k)] = src[r * cols + k];
    }
  }
  bias_.assign(static_cast<std::size_t>(panels_ * kPanel), 0.0f);
  if (bias != nullptr) std::copy(bias, bias + rows, bias_.begin());
}

void PackedLinear::apply(const Exec& exec, const float* x, std::int64_t n, float* y) const {
  if (n < 0) throw std::invalid_argument("encoder::PackedLinear: negative row count");
  if (n == 0) return;
  auto* kernel = &packed_linear_portable;
#if defined(__x86_64__)
  if (exec.isa == Isa::avx512) kernel = &detail::packed_linear_avx512;
#endif
  const void* data = type_ == Type::f32 ? static_cast<const void*>(packed_.data())
                                        : static_cast<const void*>(half_.data());
  // Tasks: blocks of rows (kept in L2 while the panels pass over them) times
  // groups of panels, so that a few rows still keep every thread busy.
  constexpr std::int64_t kRowBlock = 64, kPanelGroup = 4;
  const std::int64_t row_blocks = (n + kRowBlock - 1) / kRowBlock;
  const std::int64_t groups = (panels_ + kPanelGroup - 1) / kPanelGroup;
  for_ranges(exec, row_blocks * groups, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t t = b; t < e; ++t) {
      const std::int64_t i0 = (t / groups) * kRowBlock, g = t % groups;
      kernel(data, type_, bias_.data(), rows_, cols_, x, i0, std::min(n, i0 + kRowBlock),
             g * kPanelGroup, std::min(panels_, (g + 1) * kPanelGroup), y);
    }
  });
}

}  // namespace rmlx::kernels::encoder
