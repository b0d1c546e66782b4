#include "rmlx/kernels/encoder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "rmlx/kernels/thread_pool.h"

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
  for_ranges(exec, count, 16384, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const float xi = x[i];
      out[i] = 0.5f * xi * (1.0f + std::erf(xi * kInvSqrt2));
    }
  });
}

}  // namespace rmlx::kernels::encoder
