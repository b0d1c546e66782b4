// The engine's check that drafting pays off for a sequence, driven with
// synthetic CPU times: a drafter that costs more than it saves is paused (for
// longer each time), one that saves is never paused, and time spent outside
// decode steps is not held against it.
#include <gtest/gtest.h>

#include <vector>

#include "draft_payoff.h"

namespace {

using rmlx::engine::DraftPayoff;

// A sequence decoding `steps` steps. A drafting step feeds 1 + drafts rows,
// costs `draft_cost` and emits `draft_tokens(i)` tokens; a plain step costs 1
// and emits 1. `proposes(i)`: whether the drafter has a guess at step i.
struct Trace {
  int drafting = 0;  // steps that drafted
  std::vector<bool> on;
};

template <typename Tokens, typename Proposes>
Trace drive(DraftPayoff& p, int steps, double draft_cost, Tokens draft_tokens, Proposes proposes) {
  Trace r;
  double t = 100.0;
  int generated = 1;
  for (int i = 0; i < steps; ++i) {
    const bool on = p.plan_step(t, generated);
    r.on.push_back(on);
    if (on && proposes(i)) {
      p.set_rows(3);
      t += draft_cost;
      generated += draft_tokens(i);
      ++r.drafting;
    } else {
      t += 1.0;
      generated += 1;
    }
  }
  return r;
}

TEST(DraftPayoff, PausesADrafterThatCostsMoreThanItSaves) {
  // layerskip-like: every step drafts 2 tokens at 2.5x the price of a plain
  // step and gains 0.2 tokens on average.
  DraftPayoff p;
  const Trace r = drive(
      p, 600, 2.5, [](int i) { return i % 5 == 0 ? 2 : 1; }, [](int) { return true; });
  EXPECT_LT(r.drafting, 600 / 8);
  // The pauses grow: fewer drafting steps in the second half than the first.
  int first = 0, second = 0;
  for (int i = 0; i < 600; ++i) (i < 300 ? first : second) += r.on[static_cast<std::size_t>(i)];
  EXPECT_LT(second, first);
  EXPECT_GT(second, 0);  // it keeps trying
}

TEST(DraftPayoff, NeverPausesADrafterThatSaves) {
  // ngram-like on a copying workload: a guess on 3 steps of 4, each giving 3
  // tokens for 1.5 steps' price.
  DraftPayoff p;
  const Trace r = drive(
      p, 400, 1.5, [](int) { return 3; }, [](int i) { return i % 4 != 0; });
  for (int i = 0; i < 400; ++i) EXPECT_TRUE(r.on[static_cast<std::size_t>(i)]) << "step " << i;
}

TEST(DraftPayoff, TakesPlainStepsToCompareWithWhenTheDrafterAlwaysProposes) {
  DraftPayoff p;
  const Trace r = drive(
      p, 200, 1.5, [](int) { return 3; }, [](int) { return true; });
  int off = 0;
  for (bool on : r.on) off += !on;
  EXPECT_EQ(off, DraftPayoff::kMinSteps);  // one look at plain decoding, then drafting for good
  EXPECT_FALSE(r.on[static_cast<std::size_t>(DraftPayoff::kMinSteps) + 1]);
  EXPECT_TRUE(r.on.back());
}

TEST(DraftPayoff, TimeOutsideDecodeStepsIsNotBooked) {
  DraftPayoff p;
  double t = 0.0;
  int generated = 1;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(p.plan_step(t, generated)) << "step " << i;
    p.set_rows(i % 2 == 0 ? 3 : 1);
    t += i % 2 == 0 ? 1.2 : 1.0;
    generated += i % 2 == 0 ? 3 : 1;
    if (i == 20) {
      // A long prompt pass (recompute after preemption) between two steps.
      p.interrupt();
      t += 500.0;
    }
  }
}

}  // namespace
