// The drafter plugins on their own: the n-gram lookup's proposals, and both
// plugins loaded through the registry as the engine loads them, checked
// against a small fake target model.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ngram_lookup.h"
#include "rmlx/registry/registry.h"
#include "rmlx/sdk/drafter.h"

namespace {

using Ids = std::vector<std::int32_t>;
using rmlx::drafter_ngram::ngram_lookup;

TEST(NgramLookup, ContinuesTheMostRecentLongestMatch) {
  // "5 6" occurred twice; the most recent earlier occurrence is followed by 9.
  const Ids t = {5, 6, 7, 8, 5, 6, 9, 1, 5, 6};
  EXPECT_EQ(ngram_lookup(t, 2, 1, 8), (Ids{9, 1}));
  // A longer match beats a more recent short one: "1 2 3" -> 4, not "3" -> 0.
  const Ids u = {1, 2, 3, 4, 4, 3, 0, 7, 1, 2, 3};
  EXPECT_EQ(ngram_lookup(u, 3, 1, 8), (Ids{4, 4, 3}));
  EXPECT_EQ(ngram_lookup(u, 3, 4, 8), Ids{});  // no match of four tokens
}

TEST(NgramLookup, ExtendsARepeatingPattern) {
  const Ids t = {9, 1, 2, 3, 1, 2, 3, 1};
  // "3 1" last seen at 3..4, followed by 2 3 1 (then the copy runs on).
  EXPECT_EQ(ngram_lookup(t, 7, 1, 8), (Ids{2, 3, 1, 2, 3, 1, 2}));
}

TEST(NgramLookup, NothingToFind) {
  EXPECT_EQ(ngram_lookup(Ids{1, 2, 3, 4}, 4, 1, 8), Ids{});
  EXPECT_EQ(ngram_lookup(Ids{7}, 4, 1, 8), Ids{});
  EXPECT_EQ(ngram_lookup(Ids{}, 4, 1, 8), Ids{});
  EXPECT_EQ(ngram_lookup(Ids{1, 1}, 0, 1, 8), Ids{});
  EXPECT_EQ(ngram_lookup(Ids{1, 1}, 3, 1, 8), (Ids{1, 1, 1}));
}

// The definition, tried length by length from the longest: what the one-pass
// search must return on any sequence.
Ids lookup_by_definition(const Ids& t, int k, int min_n, int max_n, int* matched) {
  const auto len = static_cast<std::ptrdiff_t>(t.size());
  *matched = 0;
  for (std::ptrdiff_t n = std::min<std::ptrdiff_t>(max_n, len - 1); n >= min_n; --n) {
    for (std::ptrdiff_t i = len - n - 1; i >= 0; --i) {
      if (!std::equal(t.end() - n, t.end(), t.begin() + i)) continue;
      *matched = static_cast<int>(n);
      Ids ext = t;
      for (int j = 0; j < k; ++j) ext.push_back(ext[static_cast<std::size_t>(i + n + j)]);
      return Ids(ext.begin() + len, ext.end());
    }
  }
  return {};
}

TEST(NgramLookup, OnePassEqualsTheDefinition) {
  std::mt19937 rng(7);
  int found = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    // Small alphabets make long repeats common; large ones make misses common.
    const int alphabet = 2 + trial % 7;
    Ids t(static_cast<std::size_t>(rng() % 60), 0);
    for (auto& v : t) v = static_cast<std::int32_t>(rng() % static_cast<unsigned>(alphabet));
    const int min_n = 1 + static_cast<int>(rng() % 3);
    const int max_n = min_n + static_cast<int>(rng() % 20);
    const int k = 1 + static_cast<int>(rng() % 12);
    int m_fast = -1, m_def = -1;
    const Ids fast = ngram_lookup(t, k, min_n, max_n, &m_fast);
    const Ids def = lookup_by_definition(t, k, min_n, max_n, &m_def);
    ASSERT_EQ(fast, def) << "trial " << trial;
    ASSERT_EQ(m_fast, m_def) << "trial " << trial;
    found += !def.empty();
  }
  EXPECT_GT(found, 1000);  // the comparison covered real matches, not only misses
}

// A fake target: the next token after t is (t * 3 + layers) % vocab, and it
// records every call so positions and layer counts can be checked.
class FakeTarget final : public rmlx::sdk::DraftTarget {
 public:
  int num_layers() const override { return 30; }
  std::int64_t vocab_size() const override { return 100; }
  std::span<const float> forward(std::span<const std::int32_t> tokens, int first_pos,
                                 int layers) override {
    calls.push_back({Ids(tokens.begin(), tokens.end()), first_pos, layers});
    row.assign(100, 0.0f);
    row[static_cast<std::size_t>((tokens.back() * 3 + layers) % 100)] = 1.0f;
    return row;
  }
  struct Call {
    Ids tokens;
    int first_pos;
    int layers;
  };
  std::vector<Call> calls;
  std::vector<float> row;
};

class DrafterPlugins : public ::testing::Test {
 protected:
  void SetUp() override { registry.scan({RMLX_PLUGIN_BUILD_DIR}); }
  rmlx::registry::Registry registry;
};

TEST_F(DrafterPlugins, NgramProposesThroughTheRegistry) {
  auto d = registry.create<rmlx::sdk::Drafter>("ngram");
  EXPECT_EQ(d->name(), "ngram");
  const Ids t = {5, 6, 7, 8, 5, 6};
  rmlx::sdk::DraftContext ctx;
  ctx.tokens = t;
  ctx.max_tokens = 3;
  // A two-token match proposes at most two tokens.
  EXPECT_EQ(d->propose(ctx), (Ids{7, 8}));
  // None accepted: the next proposal is one token; all of that accepted: two again.
  d->accepted(0);
  EXPECT_EQ(d->propose(ctx), Ids{7});
  d->accepted(1);
  EXPECT_EQ(d->propose(ctx), (Ids{7, 8}));
  // "ngram:3-8" needs three tokens to match; "5 6" alone is not enough.
  auto strict = registry.create<rmlx::sdk::Drafter>("ngram", R"({"arg":"3-8"})");
  EXPECT_EQ(strict->propose(ctx), Ids{});
}

TEST_F(DrafterPlugins, NgramRejectsABadRange) {
  try {
    registry.create<rmlx::sdk::Drafter>("ngram", R"({"arg":"9-2"})");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("drafter ngram: '9-2' has MIN above MAX"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(DrafterPlugins, LayerskipDraftsWithTheFirstLayers) {
  auto d = registry.create<rmlx::sdk::Drafter>("layerskip", R"({"arg":"7"})");
  FakeTarget target;
  d->bind(target);
  const Ids t = {1, 2, 3, 4};
  rmlx::sdk::DraftContext ctx;
  ctx.tokens = t;
  ctx.n_computed = 3;  // token 4 is not in the cache yet
  ctx.max_tokens = 3;
  ctx.target = &target;
  // 4 -> 19 -> 64 -> 99 with seven layers.
  EXPECT_EQ(d->propose(ctx), (Ids{19, 64, 99}));
  ASSERT_EQ(target.calls.size(), 3u);
  EXPECT_EQ(target.calls[0].tokens, Ids{4});
  EXPECT_EQ(target.calls[0].first_pos, 3);
  EXPECT_EQ(target.calls[1].tokens, Ids{19});
  EXPECT_EQ(target.calls[1].first_pos, 4);
  EXPECT_EQ(target.calls[2].first_pos, 5);
  for (const auto& c : target.calls) EXPECT_EQ(c.layers, 7);
}

TEST_F(DrafterPlugins, LayerskipDefaultsToHalfTheModel) {
  auto d = registry.create<rmlx::sdk::Drafter>("layerskip");
  FakeTarget target;
  d->bind(target);
  const Ids t = {1};
  rmlx::sdk::DraftContext ctx;
  ctx.tokens = t;
  ctx.max_tokens = 1;
  ctx.target = &target;
  EXPECT_EQ(d->propose(ctx), Ids{18});  // 1 * 3 + 15
}

TEST_F(DrafterPlugins, LayerskipNamesAnImpossibleLayerCount) {
  auto d = registry.create<rmlx::sdk::Drafter>("layerskip", R"({"arg":"999"})");
  FakeTarget target;
  try {
    d->bind(target);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "drafter layerskip:999: the model has only 30 layers (use 1..30)");
  }
  try {
    registry.create<rmlx::sdk::Drafter>("layerskip", R"({"arg":"x"})");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "drafter layerskip:x: the layer count must be a positive integer"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
