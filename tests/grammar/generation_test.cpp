// Generation driven by random logits through the mask on the Qwen3 vocabulary: 10 documents for
// each of the five schemas, written to a JSON-lines file that validate_generated.py checks with
// python jsonschema. Here: every document ends with eos within the token budget, the mask is never
// empty, and the sampled token is always accepted.
#include <gtest/gtest.h>

#include <fstream>

#include "byte_level_vocab.h"
#include "rmlx/grammar/matcher.h"
#include "rmlx/sampling/rng.h"
#include "rmlx/sampling/sampler.h"
#include "test_schemas.h"

namespace rmlx::grammar {
namespace {

TEST(Generation, RandomLogitsThroughTheMaskEndInWholeDocuments) {
  auto loaded = testing::load_byte_level_vocab(RMLX_GRAMMAR_QWEN3, {"<|im_end|>", "<|endoftext|>"});
  const auto vocab = Vocabulary::build(std::move(loaded.token_bytes), std::move(loaded.eos_ids));
  const auto grammars = testing::load_test_schemas(RMLX_GRAMMAR_SCHEMAS);
  std::ofstream out(RMLX_GRAMMAR_GENERATED);
  ASSERT_TRUE(out);

  sampling::SamplingParams greedy;
  greedy.temperature = 0.0f;
  sampling::Rng rng(42);
  const std::size_t rows =
      151936;  // the model's padded vocabulary: ids past the tokenizer's are masked
  std::vector<float> logits(rows);
  TokenMask mask;
  std::vector<std::size_t> closers;
  for (std::size_t id = 0; id < vocab->size(); ++id)
    for (const char* closer : {"\"", "}", "]", ",", "\"}", "\","})
      if (vocab->bytes(static_cast<std::int32_t>(id)) == closer) closers.push_back(id);
  ASSERT_EQ(closers.size(), 6u);
  int documents = 0;
  for (const char* name : {"person", "choices", "route", "tree", "ticket"}) {
    for (int k = 0; k < 10; ++k) {
      Matcher m(grammars.at(name), vocab);
      sampling::Sampler sampler(greedy, 0);
      std::string text;
      std::vector<std::int32_t> generated;
      bool ended = false;
      for (int step = 0; step < 4000 && !ended; ++step) {
        m.fill_mask(mask);
        ASSERT_GT(mask.count(), 0u) << name << " dead end after: " << text;
        for (auto& x : logits) x = static_cast<float>(rng.uniform() * 10.0);
        // Lean towards short, closing tokens so documents finish in a few hundred steps.
        for (const auto eos : vocab->eos_ids()) logits[static_cast<std::size_t>(eos)] += 20.0f;
        for (const auto id : closers) logits[id] += 1.0f;
        const auto s = sampler.sample(logits, {}, generated, &mask);
        ASSERT_TRUE(m.accept(s.token)) << name << ": token " << s.token << " after " << text;
        generated.push_back(s.token);
        if (m.is_terminated()) {
          ended = true;
        } else {
          text += vocab->bytes(s.token);
        }
      }
      ASSERT_TRUE(ended) << name << ": no eos within 4000 tokens: " << text;
      out << nlohmann::json{{"schema", name}, {"doc", text}, {"tokens", generated.size()}}.dump(
                 -1, ' ', false, nlohmann::json::error_handler_t::replace)
          << "\n";
      ++documents;
    }
  }
  EXPECT_EQ(documents, 50);
}

}  // namespace
}  // namespace rmlx::grammar
