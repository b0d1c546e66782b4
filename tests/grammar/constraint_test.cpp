// The grammar as the engine's constraint, on a small hand-made vocabulary: masks, refusals, and
// the end of a document that cannot grow.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rmlx/grammar/grammar_constraint.h"

namespace rmlx::grammar {
namespace {

// 0 '{', 1 '}', 2 '"a"', 3 ':', 4 '1', 5 '2', 6 eos, 7 '[', 8 ']', 9 ','
std::shared_ptr<const Vocabulary> vocab() {
  return Vocabulary::build({"{", "}", "\"a\"", ":", "1", "2", "", "[", "]", ","}, {6});
}

std::vector<std::size_t> allowed(const TokenMask& m) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m.test(i)) out.push_back(i);
  return out;
}

TEST(GrammarConstraint, MasksFollowTheSchemaAndAClosedObjectFinishes) {
  auto g = Grammar::from_json_schema(
      nlohmann::json::parse(R"({"type":"object","properties":{"a":{"type":"integer"}},
                                "required":["a"]})"),
      true);
  GrammarConstraint c(g, vocab());
  TokenMask m;
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_EQ(allowed(m), std::vector<std::size_t>{0});
  for (std::int32_t t : {0, 2, 3}) {
    ASSERT_TRUE(c.fill_mask(m));
    ASSERT_TRUE(m.test(static_cast<std::size_t>(t))) << t;
    c.accept(t);
  }
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_EQ(allowed(m), (std::vector<std::size_t>{4, 5}));
  c.accept(4);
  EXPECT_FALSE(c.is_finished());
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_EQ(allowed(m), (std::vector<std::size_t>{1, 4, 5}));  // more digits or the end
  c.accept(1);
  EXPECT_TRUE(c.is_finished());
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_EQ(allowed(m), std::vector<std::size_t>{6});
}

TEST(GrammarConstraint, AWholeNumberMayStillGrowSoItIsNotFinished) {
  auto g = Grammar::from_json_schema(nlohmann::json::parse(R"({"type":"integer"})"), true);
  GrammarConstraint c(g, vocab());
  c.accept(4);
  EXPECT_FALSE(c.is_finished());
  TokenMask m;
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_EQ(allowed(m), (std::vector<std::size_t>{4, 5, 6}));
  c.accept(6);
  EXPECT_TRUE(c.is_finished());
}

TEST(GrammarConstraint, ARefusedTokenIsAnError) {
  auto g =
      Grammar::from_json_schema(nlohmann::json::parse(R"({"type":"array","maxItems":1})"), true);
  GrammarConstraint c(g, vocab());
  EXPECT_THROW(c.accept(0), std::runtime_error);
  c.accept(7);
  c.accept(4);
  TokenMask m;
  ASSERT_TRUE(c.fill_mask(m));
  EXPECT_FALSE(m.test(9));  // maxItems 1: no comma
  try {
    c.accept(9);
    FAIL() << "comma accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "grammar: token 9 does not continue the document");
  }
}

}  // namespace
}  // namespace rmlx::grammar
