#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rmlx/embed/pooling.h"

namespace {

using rmlx::embed::pool;
using rmlx::embed::Pooling;

// Three tokens of width 2.
const std::vector<float> kStates = {1.0f, -2.0f, 3.0f, 4.0f, -5.0f, 0.5f};

TEST(Pooling, MeanAveragesEveryToken) {
  auto v = pool(kStates, 3, 2, Pooling::mean, false);
  EXPECT_FLOAT_EQ(v[0], -1.0f / 3.0f);
  EXPECT_FLOAT_EQ(v[1], 2.5f / 3.0f);
}

TEST(Pooling, ClsTakesTheFirstTokenAndLastTokenTheLast) {
  EXPECT_EQ(pool(kStates, 3, 2, Pooling::cls, false), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(pool(kStates, 3, 2, Pooling::last_token, false), (std::vector<float>{-5.0f, 0.5f}));
}

TEST(Pooling, MaxIsPerDimension) {
  EXPECT_EQ(pool(kStates, 3, 2, Pooling::max, false), (std::vector<float>{3.0f, 4.0f}));
}

TEST(Pooling, MeanSqrtLenDividesTheSumBySqrtOfTheLength) {
  auto v = pool(kStates, 3, 2, Pooling::mean_sqrt_len, false);
  EXPECT_FLOAT_EQ(v[0], static_cast<float>(-1.0 / std::sqrt(3.0)));
  EXPECT_FLOAT_EQ(v[1], static_cast<float>(2.5 / std::sqrt(3.0)));
}

TEST(Pooling, NormalizeGivesUnitLength) {
  auto v = pool(kStates, 3, 2, Pooling::cls, true);
  EXPECT_FLOAT_EQ(v[0], static_cast<float>(1.0 / std::sqrt(5.0)));
  EXPECT_FLOAT_EQ(v[1], static_cast<float>(-2.0 / std::sqrt(5.0)));
  auto zero = pool(std::vector<float>{0.0f, 0.0f}, 1, 2, Pooling::mean, true);
  EXPECT_EQ(zero, (std::vector<float>{0.0f, 0.0f}));
}

TEST(Pooling, ShortenKeepsThePrefixAtUnitLength) {
  std::vector<float> v = {3.0f, 4.0f, 12.0f};
  rmlx::embed::shorten(v, 2);
  EXPECT_EQ(v, (std::vector<float>{0.6f, 0.8f}));
  std::vector<float> w = {1.0f, 2.0f};
  rmlx::embed::shorten(w, 5);
  EXPECT_EQ(w, (std::vector<float>{1.0f, 2.0f}));
}

TEST(Pooling, NoTokensIsAnError) {
  EXPECT_THROW(pool({}, 0, 2, Pooling::mean, false), std::invalid_argument);
}

}  // namespace
