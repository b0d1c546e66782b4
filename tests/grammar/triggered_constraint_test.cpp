// Strict tool parameters under tool_choice "auto": free text until the call tag, then the call's
// grammar, then free text again.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rmlx/grammar/triggered_constraint.h"

namespace rmlx::grammar {
namespace {

// 0 "<tool_call>", 1 "\n", 2 "{", 3 "}", 4 "\"a\"", 5 ":", 6 "1", 7 "hi", 8 eos,
// 9 "<tool", 10 "_call>\n{", 11 " ", 12 "_call>x"
std::shared_ptr<const Vocabulary> vocab() {
  return Vocabulary::build({"<tool_call>", "\n", "{", "}", "\"a\"", ":", "1", "hi", "", "<tool",
                            "_call>\n{", " ", "_call>x"},
                           {8});
}

std::shared_ptr<const Grammar> object_a() {
  return Grammar::from_json_schema(
      nlohmann::json::parse(
          R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})"),
      true);
}

std::vector<std::size_t> allowed(const TokenMask& m) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m.test(i)) out.push_back(i);
  return out;
}

using Phase = TriggeredConstraint::Phase;

TEST(TriggeredConstraint, FreeUntilTheTagThenOneDocumentThenFreeAgain) {
  TriggeredConstraint c("<tool_call>", object_a(), vocab());
  TokenMask m;
  EXPECT_FALSE(c.fill_mask(m));
  c.accept(7);
  c.accept(0);
  EXPECT_EQ(c.phase(), Phase::leading);
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_EQ(allowed(m), (std::vector<std::size_t>{1, 2, 11}));  // blanks or the document
  c.accept(1);
  EXPECT_EQ(c.phase(), Phase::leading);
  c.accept(2);
  EXPECT_EQ(c.phase(), Phase::document);
  for (std::int32_t t : {4, 5, 6}) {
    ASSERT_TRUE(c.fill_mask(m));
    ASSERT_TRUE(m.test(static_cast<std::size_t>(t)));
    c.accept(t);
  }
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_EQ(allowed(m), (std::vector<std::size_t>{3, 6}));
  c.accept(3);
  EXPECT_EQ(c.phase(), Phase::free);
  EXPECT_FALSE(c.fill_mask(m));
  EXPECT_FALSE(c.is_finished());
  c.accept(0);  // a second call
  EXPECT_EQ(c.phase(), Phase::leading);
}

TEST(TriggeredConstraint, TagSplitAcrossTokensAndDocumentBegunInTheSameToken) {
  TriggeredConstraint c("<tool_call>", object_a(), vocab());
  c.accept(9);
  EXPECT_EQ(c.phase(), Phase::free);
  c.accept(10);
  EXPECT_EQ(c.phase(), Phase::document);
  TokenMask m;
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_EQ(allowed(m), std::vector<std::size_t>{4});
}

TEST(TriggeredConstraint, TextAfterTheTagThatCannotStartTheDocumentLeavesItFree) {
  TriggeredConstraint c("<tool_call>", object_a(), vocab());
  c.accept(9);
  c.accept(12);
  EXPECT_EQ(c.phase(), Phase::free);
  TokenMask m;
  EXPECT_FALSE(c.fill_mask(m));
}

TEST(TriggeredConstraint, APromptEndingWithTheTagStartsInsideTheCall) {
  TriggeredConstraint c("<tool_call>", object_a(), vocab());
  c.prime("<|im_start|>assistant\n<tool_call>\n");
  EXPECT_EQ(c.phase(), Phase::leading);
  TriggeredConstraint d("<tool_call>", object_a(), vocab());
  d.prime("<tool_call>{}</tool_call>\nDone.");
  EXPECT_EQ(d.phase(), Phase::free);
}

TEST(TriggeredConstraint, EmptyTriggerIsRefused) {
  EXPECT_THROW(TriggeredConstraint("", object_a(), vocab()), std::invalid_argument);
}

}  // namespace
}  // namespace rmlx::grammar
