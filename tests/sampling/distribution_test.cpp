// Goodness of fit: sampled frequencies against the distribution each setting should produce,
// computed here independently (full sort, double precision). Seeds are fixed, so the test is
// deterministic; the threshold is the chi-square critical value at alpha = 0.001.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "rmlx/sampling/sampler.h"

namespace rmlx::sampling {
namespace {

const std::vector<float> kLogits{1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 0.0f, 1.5f, -0.5f, 2.5f, 0.25f};

std::vector<double> expected(const SamplingParams& p) {
  const std::size_t n = kLogits.size();
  std::vector<double> w(n);
  double m = *std::max_element(kLogits.begin(), kLogits.end());
  for (std::size_t i = 0; i < n; ++i) w[i] = std::exp((kLogits[i] - m) / p.temperature);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return w[a] > w[b]; });
  std::vector<bool> keep(n, true);
  if (p.top_k > 0)
    for (std::size_t r = static_cast<std::size_t>(p.top_k); r < n; ++r) keep[order[r]] = false;
  double z = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (keep[i]) z += w[i];
  double before = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const auto i = order[r];
    if (!keep[i]) continue;
    if (r > 0 && before >= p.top_p * z) keep[i] = false;
    before += w[i];
  }
  const double wmax = w[order[0]];
  for (std::size_t i = 0; i < n; ++i)
    if (w[i] < p.min_p * wmax) keep[i] = false;
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) total += keep[i] ? w[i] : 0.0;
  std::vector<double> prob(n);
  for (std::size_t i = 0; i < n; ++i) prob[i] = keep[i] ? w[i] / total : 0.0;
  return prob;
}

// Chi-square critical values at alpha = 0.001 for 1..9 degrees of freedom.
const double kCritical[] = {10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877};

void expect_fits(const SamplingParams& p, std::uint64_t seed, std::size_t expect_support) {
  const int draws = 40000;
  Sampler s(p, seed);
  std::vector<int> counts(kLogits.size(), 0);
  for (int i = 0; i < draws; ++i) {
    auto row = kLogits;
    ++counts[static_cast<std::size_t>(s.sample(row, {}, {}).token)];
  }
  const auto prob = expected(p);
  double chi2 = 0;
  std::size_t support = 0;
  for (std::size_t i = 0; i < prob.size(); ++i) {
    if (prob[i] == 0.0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " is outside the truncated distribution";
      continue;
    }
    ++support;
    const double e = prob[i] * draws;
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  ASSERT_EQ(support, expect_support);
  ASSERT_GE(support, 2u);
  EXPECT_LT(chi2, kCritical[support - 2]) << "support " << support;
}

TEST(Distribution, PlainSoftmax) {
  SamplingParams p;
  expect_fits(p, 1, 10);
}

TEST(Distribution, Temperature) {
  SamplingParams p;
  p.temperature = 0.6f;
  expect_fits(p, 2, 10);
  p.temperature = 1.7f;
  expect_fits(p, 3, 10);
}

TEST(Distribution, TopK) {
  SamplingParams p;
  p.top_k = 4;
  expect_fits(p, 4, 4);
}

TEST(Distribution, TopP) {
  SamplingParams p;
  p.top_p = 0.8f;
  expect_fits(p, 5, 4);
  p.temperature = 2.0f;
  p.top_p = 0.9f;
  expect_fits(p, 6, 8);
}

TEST(Distribution, MinP) {
  SamplingParams p;
  p.min_p = 0.1f;  // keeps logits >= 3 + ln(0.1) = 0.697
  expect_fits(p, 7, 5);
}

TEST(Distribution, AllTogether) {
  SamplingParams p;
  p.temperature = 1.3f;
  p.top_k = 7;
  p.top_p = 0.95f;
  p.min_p = 0.05f;
  expect_fits(p, 8, 6);
}

}  // namespace
}  // namespace rmlx::sampling
