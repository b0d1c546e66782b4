#include "rmlx/kernels/rope.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "rmlx/kernels/mlx_math.h"
#include "rmlx/kernels/thread_pool.h"

namespace rmlx::kernels::rope {

namespace {

constexpr double kPi = 3.14159265358979323846;

// base ** (2i / dims) in float32, as mlx_lm builds "freqs" (periods, not inverses).
std::vector<float> periods(float base, int dims) {
  std::vector<float> f(static_cast<std::size_t>(dims / 2));
  for (int i = 0; i < dims / 2; ++i) {
    f[static_cast<std::size_t>(i)] =
        std::pow(base, static_cast<float>(2 * i) / static_cast<float>(dims));
  }
  return f;
}

std::vector<float> llama3_periods(const Config& c, int dims) {
  std::vector<float> f = periods(c.base, dims);
  const float old_ctx = static_cast<float>(c.original_max_position);
  const float low_wavelen = old_ctx / c.low_freq_factor;
  const float high_wavelen = old_ctx / c.high_freq_factor;
  const float two_pi = static_cast<float>(2 * kPi);
  for (auto& v : f) {
    const float wavelen = two_pi * v;
    const float scaled = wavelen > low_wavelen ? v * c.factor : v;
    if (wavelen > high_wavelen && wavelen < low_wavelen) {
      const float smooth =
          (old_ctx / wavelen - c.low_freq_factor) / (c.high_freq_factor - c.low_freq_factor);
      v = v / ((1.0f - smooth) / c.factor + smooth);
    } else {
      v = scaled;
    }
  }
  return f;
}

double yarn_mscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

std::vector<float> yarn_periods(const Config& c, int dims) {
  const auto correction_dim = [&](double rotations) {
    return (dims * std::log(c.original_max_position / (rotations * 2 * kPi))) /
           (2 * std::log(static_cast<double>(c.base)));
  };
  const double low = std::max(std::floor(correction_dim(c.beta_fast)), 0.0);
  double high = std::min(std::ceil(correction_dim(c.beta_slow)), static_cast<double>(dims - 1));
  if (low == high) high += 0.001;
  const std::vector<float> extra = periods(c.base, dims);
  std::vector<float> f(extra.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    const float ramp = std::clamp(
        (static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low), 0.0f,
        1.0f);
    const float mask = 1.0f - ramp;
    const float inter = c.factor * extra[i];
    f[i] = (inter * extra[i]) / (inter * mask + extra[i] * (1.0f - mask));
  }
  return f;
}

}  // namespace

Rope::Rope(const Config& c)
    : head_dim_(c.head_dim),
      rotary_dim_(c.rotary_dim > 0 ? c.rotary_dim : c.head_dim),
      traditional_(c.traditional) {
  if (head_dim_ <= 0 || rotary_dim_ > head_dim_ || rotary_dim_ % 2 != 0) {
    throw std::invalid_argument("rope: rotary_dim " + std::to_string(rotary_dim_) +
                                " must be even and at most head_dim " + std::to_string(head_dim_));
  }
  if (!(c.base > 0.0f)) throw std::invalid_argument("rope: base (rope_theta) must be positive");
  if (c.scaling != Scaling::none && !(c.factor > 0.0f)) {
    throw std::invalid_argument("rope: scaling factor must be positive");
  }
  const int half = rotary_dim_ / 2;
  inv_freq_.resize(static_cast<std::size_t>(half));
  if (c.scaling == Scaling::none || c.scaling == Scaling::linear) {
    // mlx.core.fast.rope with a base: exp(-i * log(base) / half) in float32, with mlx's exp.
    const float step = std::log(c.base) / static_cast<float>(half);
    for (int i = 0; i < half; ++i)
      inv_freq_[static_cast<std::size_t>(i)] = mlx_exp(static_cast<float>(-i) * step);
    if (c.scaling == Scaling::linear) position_scale_ = 1.0f / c.factor;
  } else {
    const std::vector<float> p = c.scaling == Scaling::llama3 ? llama3_periods(c, rotary_dim_)
                                                              : yarn_periods(c, rotary_dim_);
    for (int i = 0; i < half; ++i)
      inv_freq_[static_cast<std::size_t>(i)] = 1.0f / p[static_cast<std::size_t>(i)];
    if (c.scaling == Scaling::yarn) {
      x_scale_ = c.attention_factor > 0.0f
                     ? c.attention_factor
                     : static_cast<float>(yarn_mscale(c.factor, c.mscale) /
                                          yarn_mscale(c.factor, c.mscale_all_dim));
    }
  }
}

void Rope::apply(const Exec& exec, float* x, std::int64_t n, int heads,
                 const std::int32_t* positions) const {
  const int half = rotary_dim_ / 2;
  const auto run = [&](std::int64_t b, std::int64_t e) {
    std::vector<float> cs(static_cast<std::size_t>(half)), sn(static_cast<std::size_t>(half));
    for (std::int64_t t = b; t < e; ++t) {
      const float pos = static_cast<float>(positions[t]) * position_scale_;
      for (int i = 0; i < half; ++i) {
        const float theta = pos * inv_freq_[static_cast<std::size_t>(i)];
        cs[static_cast<std::size_t>(i)] = std::cos(theta);
        sn[static_cast<std::size_t>(i)] = std::sin(theta);
      }
      for (int h = 0; h < heads; ++h) {
        float* v = x + (t * heads + h) * head_dim_;
        if (x_scale_ != 1.0f) {
          for (int i = 0; i < rotary_dim_; ++i) v[i] *= x_scale_;
        }
        // Pair i is (v[i], v[i + half]) or, traditional, (v[2i], v[2i + 1]).
        const int stride = traditional_ ? 2 : 1;
        const int offset = traditional_ ? 1 : half;
        for (int i = 0; i < half; ++i) {
          float& a = v[i * stride];
          float& c = v[i * stride + offset];
          const float x1 = a, x2 = c;
          const float co = cs[static_cast<std::size_t>(i)], si = sn[static_cast<std::size_t>(i)];
          a = x1 * co - x2 * si;
          c = x1 * si + x2 * co;
        }
      }
    }
  };
  if (exec.pool == nullptr || n < 8) {
    run(0, n);
  } else {
    exec.pool->parallel_for(n, std::max<std::int64_t>(1, n / (exec.pool->size() * 4)),
                            [&](std::int64_t b, std::int64_t e, int) { run(b, e); });
  }
}

void apply_reference(const Rope& rope, float* x, std::int64_t n, int heads,
                     const std::int32_t* positions) {
  const int d = rope.head_dim();
  const int rd = rope.rotary_dim();
  const int half = rd / 2;
  for (std::int64_t t = 0; t < n; ++t) {
    for (int h = 0; h < heads; ++h) {
      float* v = x + (t * heads + h) * d;
      for (int i = 0; i < half; ++i) {
        const float theta = (static_cast<float>(positions[t]) * rope.position_scale()) *
                            rope.inv_freq()[static_cast<std::size_t>(i)];
        const double co = std::cos(static_cast<double>(theta)),
                     si = std::sin(static_cast<double>(theta));
        const int ia = rope.traditional() ? 2 * i : i;
        const int ic = rope.traditional() ? 2 * i + 1 : i + half;
        const double x1 = static_cast<double>(v[ia]) * rope.x_scale();
        const double x2 = static_cast<double>(v[ic]) * rope.x_scale();
        v[ia] = static_cast<float>(x1 * co - x2 * si);
        v[ic] = static_cast<float>(x1 * si + x2 * co);
      }
    }
  }
}

}  // namespace rmlx::kernels::rope
