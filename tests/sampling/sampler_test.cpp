#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "rmlx/sampling/sampler.h"

namespace rmlx::sampling {
namespace {

using Tokens = std::vector<std::int32_t>;

SamplingParams greedy() {
  SamplingParams p;
  p.temperature = 0.0f;
  return p;
}

// Platform-independent test logits (std:: distributions are implementation-defined).
std::vector<float> random_logits(std::size_t n, std::uint64_t seed) {
  Rng gen(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(gen.uniform() * 12.0 - 6.0);
  return v;
}

TEST(Sampler, GreedyPicksArgmaxLowestIdOnTies) {
  Sampler s(greedy(), 1);
  std::vector<float> logits{0.5f, 3.0f, -1.0f, 3.0f, 2.9f};
  EXPECT_EQ(s.sample(logits, {}, {}).token, 1);

  auto big = random_logits(151936, 7);
  big[123457] = 100.0f;
  EXPECT_EQ(s.sample(big, {}, {}).token, 123457);
}

TEST(Sampler, TinyTemperatureIsGreedy) {
  SamplingParams p;
  p.temperature = 1e-30f;
  Sampler s(p, 5);
  std::vector<float> logits{0.5f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(s.sample(logits, {}, {}).token, 1);
}

TEST(Sampler, GreedyRespectsMask) {
  Sampler s(greedy(), 1);
  std::vector<float> logits{5.0f, 1.0f, 4.0f, 3.0f};
  TokenMask allowed(4);
  allowed.set(1);
  allowed.set(3);
  EXPECT_EQ(s.sample(logits, {}, {}, &allowed).token, 3);
  EXPECT_EQ(logits[0], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(logits[2], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(logits[3], 3.0f);

  // A mask shorter than the logits row forbids the ids past its end.
  std::vector<float> padded{1.0f, 2.0f, 9.0f};
  TokenMask two(2, true);
  EXPECT_EQ(s.sample(padded, {}, {}, &two).token, 1);
}

TEST(Sampler, NothingAllowedIsAClearError) {
  Sampler s(greedy(), 1);
  std::vector<float> logits{1.0f, 2.0f};
  TokenMask none(2);
  try {
    s.sample(logits, {}, {}, &none);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "sampling: no token can be chosen (every logit is -inf or masked)");
  }
  std::vector<float> nan{1.0f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_THROW(s.sample(nan, {}, {}), std::runtime_error);
}

TEST(Sampler, RepetitionPenaltyMatchesHuggingFace) {
  // HF RepetitionPenaltyLogitsProcessor(penalty=2.0) over input_ids = prompt + generated:
  // every distinct id seen once: negative logits * 2, positive / 2; unseen ones untouched.
  SamplingParams p = greedy();
  p.repetition_penalty = 2.0f;
  Sampler s(p, 1);
  std::vector<float> logits{2.0f, -2.0f, 1.0f, 0.5f, 0.0f};
  Tokens prompt{0, 1, 0, 4}, generated{3, 3};
  s.sample(logits, prompt, generated);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, -4.0f, 1.0f, 0.25f, 0.0f}));
}

TEST(Sampler, PresenceAndFrequencyFollowOpenAIOnGeneratedTokens) {
  // logit -= presence * [count > 0] + frequency * count, counting generated tokens only.
  SamplingParams p = greedy();
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  Sampler s(p, 1);
  std::vector<float> logits{2.0f, -2.0f, 1.0f, 0.5f};
  Tokens prompt{0, 0, 2}, generated{1, 3, 3, 3};
  s.sample(logits, prompt, generated);
  EXPECT_EQ(logits, (std::vector<float>{2.0f, -2.75f, 1.0f, -0.75f}));
}

TEST(Sampler, BiasThenRepetitionThenPresenceInThatOrder) {
  SamplingParams p = greedy();
  p.logit_bias = {{0, 1.0f}, {1, -3.0f}};
  p.repetition_penalty = 1.25f;
  p.presence_penalty = 1.0f;
  Sampler s(p, 1);
  std::vector<float> logits{1.5f, 2.0f, 0.0f};
  // token 0: (1.5 + 1) / 1.25 - 1 = 1.0; token 1: (2 - 3) * 1.25 = -1.25 (prompt only).
  s.sample(logits, Tokens{1}, Tokens{0});
  EXPECT_FLOAT_EQ(logits[0], 1.0f);
  EXPECT_FLOAT_EQ(logits[1], -1.25f);
  EXPECT_FLOAT_EQ(logits[2], 0.0f);
}

TEST(Sampler, PenaltyWindowSeesOnlyTheLastTokens) {
  SamplingParams p = greedy();
  p.repetition_penalty = 2.0f;
  p.frequency_penalty = 1.0f;
  p.penalty_window = 3;
  Sampler s(p, 1);
  std::vector<float> logits{4.0f, 4.0f, 4.0f, 4.0f};
  // Window = last 3 of [0, 1 | 2, 3, 3]: tokens 2, 3, 3. Token 0 and 1 are outside.
  s.sample(logits, Tokens{0, 1}, Tokens{2, 3, 3});
  EXPECT_EQ(logits, (std::vector<float>{4.0f, 4.0f, 1.0f, 0.0f}));
}

TEST(Sampler, LogitBiasCanForceAndBan) {
  SamplingParams p = greedy();
  p.logit_bias = {{2, 100.0f}, {0, -100.0f}};
  Sampler s(p, 1);
  std::vector<float> logits{10.0f, 5.0f, -20.0f};
  EXPECT_EQ(s.sample(logits, {}, {}).token, 2);

  SamplingParams bad = greedy();
  bad.logit_bias = {{3, 1.0f}};
  Sampler b(bad, 1);
  std::vector<float> three{0.0f, 0.0f, 0.0f};
  try {
    b.sample(three, {}, {});
    FAIL();
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "sampling: logit_bias token id 3 outside the vocabulary of 3");
  }
}

TEST(Sampler, HistoryIdsOutsideTheRowAreIgnored) {
  SamplingParams p = greedy();
  p.repetition_penalty = 2.0f;
  p.frequency_penalty = 1.0f;
  Sampler s(p, 1);
  std::vector<float> logits{1.0f, 1.0f};
  s.sample(logits, Tokens{-1, 7}, Tokens{5, 1});
  EXPECT_EQ(logits, (std::vector<float>{1.0f, -0.5f}));
}

// What a device applies (logit_edits, then apply_logit_edits) leaves every logit with the
// bits the sampler's own steps 1-3 leave: bias, repetition, presence / frequency and the
// window, with negative, zero and repeated history entries.
TEST(Sampler, LogitEditsLeaveTheRowAsTheSamplerDoes) {
  const std::size_t n = 5000;
  Rng gen(99);
  for (int round = 0; round < 40; ++round) {
    SamplingParams p = greedy();
    p.repetition_penalty = round % 3 == 0 ? 1.0f : 1.0f + static_cast<float>(gen.uniform());
    p.presence_penalty = round % 4 == 1 ? 0.0f : static_cast<float>(gen.uniform() * 2.0 - 1.0);
    p.frequency_penalty = round % 5 == 2 ? 0.0f : static_cast<float>(gen.uniform() * 2.0 - 1.0);
    p.penalty_window = round % 2 == 0 ? 0 : 1 + static_cast<int>(gen.uniform() * 60.0);
    for (int b = 0; b < round % 7; ++b) {
      p.logit_bias.emplace_back(static_cast<std::int32_t>(gen.uniform() * 20.0) * 7 + b,
                                static_cast<float>(gen.uniform() * 10.0 - 5.0));
    }
    Tokens prompt, generated;
    for (int i = 0; i < 40; ++i) prompt.push_back(static_cast<std::int32_t>(gen.uniform() * 300.0));
    for (int i = 0; i < 50; ++i) {
      generated.push_back(static_cast<std::int32_t>(gen.uniform() * 300.0));
    }
    generated.push_back(-3);  // outside the row: ignored
    generated.push_back(static_cast<std::int32_t>(n) + 4);
    std::vector<float> want = random_logits(n, 1000 + round);
    want[5] = 0.0f;
    want[6] = -0.0f;
    std::vector<float> got = want;
    Sampler host(p, 1);
    host.sample(want, prompt, generated);
    Sampler device(p, 1);
    std::vector<LogitEdit> edits{LogitEdit{}};  // appended after what is there
    ASSERT_TRUE(device.logit_edits(static_cast<std::int64_t>(n), prompt, generated, edits));
    apply_logit_edits(got, std::span(edits).subspan(1));
    ASSERT_EQ(0, std::memcmp(want.data(), got.data(), n * sizeof(float))) << "round " << round;
    // Each token at most once, so a device may apply them in any order.
    std::vector<std::int32_t> ids;
    for (std::size_t i = 1; i < edits.size(); ++i) ids.push_back(edits[i].token);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  }
}

TEST(Sampler, LogitEditsDeclineWhatTheyCannotExpress) {
  SamplingParams p = greedy();
  p.logit_bias = {{3, 1.0f}, {3, 2.0f}};  // two additions that round one after the other
  std::vector<LogitEdit> edits;
  EXPECT_FALSE(Sampler(p, 1).logit_edits(10, {}, {}, edits));
  p.logit_bias = {{10, 1.0f}};  // outside a row of 10: sample() throws
  EXPECT_FALSE(Sampler(p, 1).logit_edits(10, {}, {}, edits));
  EXPECT_TRUE(edits.empty());
  p.logit_bias = {{9, 1.0f}};
  ASSERT_TRUE(Sampler(p, 1).logit_edits(10, {}, {}, edits));
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].token, 9);
  EXPECT_EQ(edits[0].flags, kEditBias);
}

TEST(Sampler, InvalidParamsNameTheField) {
  const auto message = [](SamplingParams p) {
    try {
      Sampler s(p, 0);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SamplingParams p;
  p.temperature = -1.0f;
  EXPECT_EQ(message(p), "sampling: temperature must be >= 0");
  p = {};
  p.top_p = 0.0f;
  EXPECT_EQ(message(p), "sampling: top_p must be in (0, 1]");
  p = {};
  p.min_p = 1.5f;
  EXPECT_EQ(message(p), "sampling: min_p must be in [0, 1]");
  p = {};
  p.top_k = -2;
  EXPECT_EQ(message(p), "sampling: top_k must be >= 0");
  p = {};
  p.repetition_penalty = 0.0f;
  EXPECT_EQ(message(p), "sampling: repetition_penalty must be > 0");
  p = {};
  p.top_logprobs = 21;
  EXPECT_EQ(message(p), "sampling: top_logprobs must be in [0, 20]");
  p = {};
  p.logit_bias = {{-4, 1.0f}};
  EXPECT_EQ(message(p), "sampling: logit_bias token id must be >= 0");
}

TEST(Sampler, LogprobsMatchDoublePrecisionLogSoftmax) {
  SamplingParams p;
  p.temperature = 0.7f;  // logprobs are taken before temperature
  p.top_k = 5;
  p.logprobs = true;
  p.top_logprobs = 20;
  p.logit_bias = {{17, 2.5f}};
  Sampler s(p, 99);
  const auto raw = random_logits(50000, 3);
  auto logits = raw;
  auto out = s.sample(logits, {}, {});

  auto processed = raw;
  processed[17] += 2.5f;
  double m = -1e300;
  for (float x : processed) m = std::max(m, static_cast<double>(x));
  double sum = 0.0;
  for (float x : processed) sum += std::exp(static_cast<double>(x) - m);
  const double lse = m + std::log(sum);
  EXPECT_NEAR(out.logprob, processed[static_cast<std::size_t>(out.token)] - lse, 1e-5);

  std::vector<std::int32_t> order(processed.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) {
    return processed[static_cast<std::size_t>(a)] > processed[static_cast<std::size_t>(b)];
  });
  ASSERT_EQ(out.top.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(out.top[i].first, order[i]);
    EXPECT_NEAR(out.top[i].second, processed[static_cast<std::size_t>(order[i])] - lse, 1e-5);
  }
  // top-k 5 at temperature 0.7: the draw is one of the five most likely tokens.
  EXPECT_NE(std::find(order.begin(), order.begin() + 5, out.token), order.begin() + 5);
}

TEST(Sampler, TopLogprobsTiesByLowerId) {
  SamplingParams p = greedy();
  p.top_logprobs = 3;
  Sampler s(p, 1);
  std::vector<float> logits{0.0f, 1.0f, 0.0f, 1.0f, -1.0f};
  auto out = s.sample(logits, {}, {});
  ASSERT_EQ(out.top.size(), 3u);
  EXPECT_EQ(out.top[0].first, 1);
  EXPECT_EQ(out.top[1].first, 3);
  EXPECT_EQ(out.top[2].first, 0);
  EXPECT_FLOAT_EQ(out.top[0].second, out.top[1].second);
  EXPECT_TRUE(std::isnan(Sampler(greedy(), 1).sample(logits, {}, {}).logprob));
}

TEST(Rng, Xoshiro256StarStarSeededBySplitmix64) {
  // Reference values from the published xoshiro256** and splitmix64 algorithms for seed 0.
  Rng r(0);
  EXPECT_EQ(r.next(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(r.next(), 0xbf6e1f784956452aULL);
  EXPECT_EQ(r.next(), 0x1a5f849d4933e6e0ULL);
}

TEST(Sampler, SameSeedSameTokensExactly) {
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_p = 0.95f;
  const auto base = random_logits(1000, 11);
  const auto run = [&](std::uint64_t seed) {
    Sampler s(p, seed);
    Tokens out;
    for (int i = 0; i < 12; ++i) {
      auto logits = base;
      logits[static_cast<std::size_t>(i) * 7] += 4.0f;  // vary the row per step
      out.push_back(s.sample(logits, {}, out).token);
    }
    return out;
  };
  EXPECT_EQ(run(1234), run(1234));
  EXPECT_NE(run(1234), run(1235));
  // golden_draws.py computes the same list independently.
  EXPECT_EQ(run(1234), (Tokens{24, 608, 681, 876, 28, 904, 435, 214, 516, 610, 412, 227}));
}

}  // namespace
}  // namespace rmlx::sampling
