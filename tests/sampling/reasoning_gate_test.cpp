// The think block as a constraint: free thinking up to the budget, the closing tokens forced
// one by one, the answer constraint only after the block.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "rmlx/sampling/reasoning_gate.h"

namespace rmlx::sampling {
namespace {

constexpr std::int32_t kOpen = 10, kClose = 11, kNl = 12, kA = 1, kB = 2, kC = 3;

ReasoningGateOptions options(std::optional<int> budget, bool inside) {
  ReasoningGateOptions o;
  o.open = {kOpen};
  o.close = {kClose};
  o.forced_close = {kNl, kClose, kNl};
  o.starts_inside = inside;
  o.budget = budget;
  return o;
}

std::vector<std::size_t> allowed(const TokenMask& m) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m.test(i)) out.push_back(i);
  return out;
}

// Allows only kB, twice, then is finished.
class TwoBs final : public TokenConstraint {
 public:
  bool fill_mask(TokenMask& mask) override {
    mask = TokenMask(16);
    mask.set(kB);
    return true;
  }
  void accept(std::int32_t token) override {
    EXPECT_EQ(token, kB);
    ++seen;
  }
  bool is_finished() const override { return seen == 2; }
  int seen = 0;
};

TEST(ReasoningGate, BudgetForcesTheCloseThenFreesTheAnswer) {
  ReasoningGate g(options(3, true), nullptr);
  TokenMask m;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(g.fill_mask(m)) << i;
    g.accept(kA);
  }
  EXPECT_EQ(g.thinking_tokens(), 3);
  for (std::int32_t want : {kNl, kClose, kNl}) {
    ASSERT_TRUE(g.fill_mask(m));
    EXPECT_EQ(allowed(m), std::vector<std::size_t>{static_cast<std::size_t>(want)});
    g.accept(want);
  }
  EXPECT_EQ(g.phase(), ReasoningGate::Phase::answer);
  EXPECT_FALSE(g.fill_mask(m));
  EXPECT_FALSE(g.is_finished());
}

TEST(ReasoningGate, AClosedBlockBeforeTheBudgetForcesNothing) {
  ReasoningGate g(options(5, true), nullptr);
  TokenMask m;
  for (std::int32_t t : {kA, kB, kClose, kA, kA, kA, kA, kA}) {
    EXPECT_FALSE(g.fill_mask(m));
    g.accept(t);
  }
  EXPECT_EQ(g.phase(), ReasoningGate::Phase::answer);
  EXPECT_EQ(g.thinking_tokens(), 3);
}

TEST(ReasoningGate, TheModelOpensTheBlockItself) {
  ReasoningGate g(options(1, false), nullptr);
  TokenMask m;
  EXPECT_FALSE(g.fill_mask(m));
  g.accept(kOpen);
  EXPECT_EQ(g.phase(), ReasoningGate::Phase::thinking);
  EXPECT_FALSE(g.fill_mask(m));
  g.accept(kC);
  ASSERT_TRUE(g.fill_mask(m));
  EXPECT_EQ(allowed(m), std::vector<std::size_t>{kNl});
}

TEST(ReasoningGate, ZeroBudgetClosesAtOnce) {
  ReasoningGate g(options(0, true), nullptr);
  TokenMask m;
  ASSERT_TRUE(g.fill_mask(m));
  EXPECT_EQ(allowed(m), std::vector<std::size_t>{kNl});
}

TEST(ReasoningGate, AnswerConstraintAppliesAfterTheBlock) {
  auto answer = std::make_shared<TwoBs>();
  ReasoningGate g(options(1, true), answer);
  TokenMask m;
  EXPECT_FALSE(g.fill_mask(m));
  g.accept(kA);
  for (std::int32_t t : {kNl, kClose, kNl}) {
    ASSERT_TRUE(g.fill_mask(m));
    g.accept(t);
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(g.is_finished());
    ASSERT_TRUE(g.fill_mask(m));
    EXPECT_EQ(allowed(m), std::vector<std::size_t>{kB});
    g.accept(kB);
  }
  EXPECT_TRUE(g.is_finished());
}

TEST(ReasoningGate, BeforeTheBlockTheAnswerOrTheOpenTokenMayCome) {
  auto answer = std::make_shared<TwoBs>();
  ReasoningGate g(options(std::nullopt, false), answer);
  TokenMask m;
  ASSERT_TRUE(g.fill_mask(m));
  EXPECT_EQ(allowed(m), (std::vector<std::size_t>{kB, kOpen}));
  g.accept(kB);  // no thinking: the answer started
  EXPECT_EQ(g.phase(), ReasoningGate::Phase::answer);
  EXPECT_EQ(answer->seen, 1);
}

TEST(ReasoningGate, BadOptionsAreRefused) {
  auto o = options(-1, true);
  EXPECT_THROW(ReasoningGate(o, nullptr), std::invalid_argument);
  o = options(1, true);
  o.forced_close.clear();
  EXPECT_THROW(ReasoningGate(o, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace rmlx::sampling
