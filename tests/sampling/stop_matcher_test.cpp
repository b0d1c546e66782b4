#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rmlx/sampling/stop_matcher.h"

namespace rmlx::sampling {
namespace {

struct Outcome {
  std::string text;
  long stop = -1;
};

Outcome run(const std::vector<std::string>& stops, const std::vector<std::string>& deltas) {
  StopMatcher m(stops);
  Outcome o;
  for (const auto& d : deltas) {
    auto step = m.feed(d);
    o.text += step.text;
    if (step.stop) {
      EXPECT_EQ(o.stop, -1) << "second stop reported";
      o.stop = static_cast<long>(*step.stop);
    }
  }
  o.text += m.flush();
  return o;
}

// Every way of cutting the text into two pieces, and byte by byte, gives the same result.
void expect_all_splits(const std::vector<std::string>& stops, const std::string& text,
                       const std::string& want_text, long want_stop) {
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    for (std::size_t cut2 = cut; cut2 <= text.size(); ++cut2) {
      auto o = run(stops, {text.substr(0, cut), text.substr(cut, cut2 - cut), text.substr(cut2)});
      EXPECT_EQ(o.text, want_text) << "cuts at " << cut << "," << cut2;
      EXPECT_EQ(o.stop, want_stop) << "cuts at " << cut << "," << cut2;
    }
  }
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  auto o = run(stops, bytes);
  EXPECT_EQ(o.text, want_text);
  EXPECT_EQ(o.stop, want_stop);
}

TEST(StopMatcher, DropsTheStopAndWhatFollows) {
  expect_all_splits({"</answer>"}, "The answer is 42.</answer> trailing", "The answer is 42.", 0);
}

TEST(StopMatcher, NoStopReleasesEverything) {
  expect_all_splits({"STOP", "\n\n"}, "almost STO but \n not quite ST",
                    "almost STO but \n not quite ST", -1);
}

TEST(StopMatcher, FalseStartThenRealStop) {
  expect_all_splits({"abcabd"}, "xxabcabcabdyy", "xxabc", 0);
}

TEST(StopMatcher, EarliestEndingStopWinsThenLongest) {
  // "b" completes before "abc" can, whatever the split.
  expect_all_splits({"abc", "b"}, "zabcz", "za", 1);
  // Both end at the same byte: the longer one wins.
  expect_all_splits({"c", "abc"}, "zabcz", "z", 1);
}

TEST(StopMatcher, MultiByteUtf8StopString) {
  expect_all_splits({"。\n"}, "你好。世界。\n后面", "你好。世界", 0);
}

TEST(StopMatcher, HoldsBackOnlyAPossibleStart) {
  StopMatcher m({"<|end|>"});
  auto s = m.feed("hello <|e");
  EXPECT_EQ(s.text, "hello ");
  EXPECT_FALSE(s.stop);
  s = m.feed("x");
  EXPECT_EQ(s.text, "<|ex");
  s = m.feed("<|end|>more");
  EXPECT_EQ(s.text, "");
  ASSERT_TRUE(s.stop);
  EXPECT_EQ(*s.stop, 0u);
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.feed("after").text, "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, EmptyStopStringsAreIgnored) {
  expect_all_splits({"", "END"}, "abcEND", "abc", 1);
}

}  // namespace
}  // namespace rmlx::sampling
