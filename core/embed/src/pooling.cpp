#include "rmlx/embed/pooling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace rmlx::embed {

namespace {

void l2_normalize(std::vector<float>& v) {
  double ss = 0.0;
  for (float x : v) ss += static_cast<double>(x) * x;
  // sentence-transformers divides by max(norm, 1e-12).
  const double norm = std::max(std::sqrt(ss), 1e-12);
  for (float& x : v) x = static_cast<float>(x / norm);
}

}  // namespace

std::vector<float> pool(std::span<const float> states, std::int64_t n_tokens, std::int64_t dim,
                        Pooling pooling, bool normalize) {
  if (n_tokens <= 0 || dim <= 0 || static_cast<std::int64_t>(states.size()) < n_tokens * dim) {
    throw std::invalid_argument("pool: no token states");
  }
  const auto d = static_cast<std::size_t>(dim);
  std::vector<float> out(d, 0.0f);
  auto row = [&](std::int64_t i) { return states.data() + i * dim; };
  switch (pooling) {
    case Pooling::cls:
      std::copy(row(0), row(0) + dim, out.begin());
      break;
    case Pooling::last_token:
      std::copy(row(n_tokens - 1), row(n_tokens - 1) + dim, out.begin());
      break;
    case Pooling::max:
      std::fill(out.begin(), out.end(), -std::numeric_limits<float>::infinity());
      for (std::int64_t i = 0; i < n_tokens; ++i) {
        for (std::size_t j = 0; j < d; ++j) out[j] = std::max(out[j], row(i)[j]);
      }
      break;
    case Pooling::mean:
    case Pooling::mean_sqrt_len: {
      std::vector<double> sum(d, 0.0);
      for (std::int64_t i = 0; i < n_tokens; ++i) {
        for (std::size_t j = 0; j < d; ++j) sum[j] += row(i)[j];
      }
      const double div = pooling == Pooling::mean ? static_cast<double>(n_tokens)
                                                  : std::sqrt(static_cast<double>(n_tokens));
      for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<float>(sum[j] / div);
      break;
    }
  }
  if (normalize) l2_normalize(out);
  return out;
}

void shorten(std::vector<float>& v, std::size_t dims) {
  if (dims >= v.size()) return;
  v.resize(dims);
  l2_normalize(v);
}

}  // namespace rmlx::embed
