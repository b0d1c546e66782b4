#include "codebook.h"

#include <cmath>
#include <numbers>
#include <vector>

namespace rmlx::kv_turboquant {

int Codebook::index(float u) const {
  int i = 0;
  // Binary search over the 15 thresholds.
  for (int step = 8; step > 0; step /= 2) {
    if (u > thresholds[static_cast<std::size_t>(i + step - 1)]) i += step;
  }
  return i;
}

namespace {

using Levels = std::array<double, 16>;

// Lloyd's iteration for N(0, 1): the centroid of a cell (a, b) is
// (phi(a) - phi(b)) / (Phi(b) - Phi(a)), in closed form.
Levels gaussian_levels() {
  const auto phi = [](double x) {
    return std::isinf(x) ? 0.0 : std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
  };
  const auto cdf = [](double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); };
  Levels lv{};
  for (int k = 0; k < 16; ++k) lv[k] = -2.7 + 5.4 * k / 15.0;
  for (int iter = 0; iter < 20000; ++iter) {
    Levels next{};
    for (int k = 0; k < 16; ++k) {
      const double a = k == 0 ? -INFINITY : 0.5 * (lv[k - 1] + lv[k]);
      const double b = k == 15 ? INFINITY : 0.5 * (lv[k] + lv[k + 1]);
      next[k] = (phi(a) - phi(b)) / (cdf(b) - cdf(a));
    }
    lv = next;
  }
  return lv;
}

// Lloyd's iteration for the density (1 - u^2/d)^((d-3)/2) on |u| < sqrt(d),
// integrated on a fine grid, starting from the Gaussian solution.
Levels sphere_levels(int d, Levels lv) {
  const double lim = std::sqrt(static_cast<double>(d));
  constexpr int kGrid = 4096;
  std::vector<double> u(kGrid), w(kGrid);
  for (int i = 0; i < kGrid; ++i) {
    u[i] = -lim + (2.0 * lim) * (i + 0.5) / kGrid;
    const double r = 1.0 - u[i] * u[i] / d;
    w[i] = r > 0.0 ? std::pow(r, 0.5 * (d - 3)) : 0.0;
  }
  for (int iter = 0; iter < 400; ++iter) {
    Levels num{}, den{};
    int k = 0;
    for (int i = 0; i < kGrid; ++i) {
      while (k < 15 && u[i] > 0.5 * (lv[k] + lv[k + 1])) ++k;
      num[k] += w[i] * u[i];
      den[k] += w[i];
    }
    for (int j = 0; j < 16; ++j) {
      if (den[j] > 0.0) lv[j] = num[j] / den[j];
    }
  }
  return lv;
}

}  // namespace

Codebook lloyd_max(int d, const Codebook* gaussian) {
  Levels lv{};
  if (gaussian != nullptr) {
    for (int k = 0; k < 16; ++k) lv[k] = gaussian->levels[k];
  } else {
    lv = gaussian_levels();
  }
  if (d > 3) lv = sphere_levels(d, lv);
  Codebook cb;
  for (int j = 0; j < 16; ++j) cb.levels[j] = static_cast<float>(lv[j]);
  for (int j = 0; j < 15; ++j) cb.thresholds[j] = 0.5f * (cb.levels[j] + cb.levels[j + 1]);
  return cb;
}

}  // namespace rmlx::kv_turboquant
