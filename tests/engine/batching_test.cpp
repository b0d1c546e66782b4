// Continuous batching is exact: a sequence's greedy tokens never depend on
// what it was batched with, preempted behind, or which prefix blocks it
// reused. Runs on the real SmolLM2 snapshot (RMLX_TEST_MODEL).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "rmlx/engine/engine.h"
#include "rmlx/registry/registry.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace {

using rmlx::engine::Engine;
using rmlx::engine::EngineOptions;
using rmlx::engine::Event;
using rmlx::engine::FinishReason;
using rmlx::engine::Request;

struct Result {
  std::vector<std::int32_t> ids;
  FinishReason finish = FinishReason::none;
  int cached = 0;
  int prompt = 0;
};

Result collect(rmlx::engine::Stream& s) {
  Result r;
  Event ev;
  while (s.next(ev, std::chrono::minutes(10))) {
    for (const auto& t : ev.tokens) r.ids.push_back(t.token);
    if (ev.finish != FinishReason::none) {
      r.finish = ev.finish;
      r.cached = ev.cached_tokens;
      r.prompt = ev.prompt_tokens;
      break;
    }
  }
  return r;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* m = std::getenv("RMLX_TEST_MODEL");
    if (m == nullptr) GTEST_SKIP() << "RMLX_TEST_MODEL not set";
    model_ = m;
    registry_.scan({RMLX_PLUGIN_BUILD_DIR});
    tokenizer_ =
        std::make_unique<rmlx::tokenizer::Tokenizer>(rmlx::tokenizer::Tokenizer::from_dir(model_));
  }
  std::unique_ptr<Engine> load(std::int64_t kv_memory = 0) {
    EngineOptions o;
    o.model_dir = model_;
    o.threads = 2;
    o.max_batch = 16;
    o.kv_memory_bytes = kv_memory;
    o.prefill_chunk = 64;  // several chunks per prompt, interleaved with decodes
    return Engine::load(o, registry_);
  }
  Request greedy(const std::string& text, int max_tokens) {
    Request r;
    r.prompt = tokenizer_->encode(text, true);
    r.sampling.temperature = 0.0f;
    r.max_tokens = max_tokens;
    r.ignore_eos = true;
    return r;
  }
  std::vector<std::string> prompts() const {
    std::vector<std::string> p;
    const char* topics[] = {"the sea",    "mountains", "a robot",      "bread",
                            "the moon",   "jazz",      "a library",    "rain",
                            "chess",      "volcanoes", "a bicycle",    "coffee",
                            "the desert", "winter",    "a lighthouse", "bees"};
    for (int i = 0; i < 16; ++i) {
      std::string text = "Write a few sentences about " + std::string(topics[i]) + ".";
      for (int k = 0; k < i; ++k) text += " Please be vivid.";  // lengths differ
      p.push_back(text);
    }
    return p;
  }

  std::string model_;
  rmlx::registry::Registry registry_;
  std::unique_ptr<rmlx::tokenizer::Tokenizer> tokenizer_;
};

TEST_F(EngineTest, SixteenConcurrentRequestsEqualTheirSoloRuns) {
  auto engine = load();
  const auto texts = prompts();
  std::vector<Result> alone;
  for (const auto& t : texts) alone.push_back(collect(*engine->submit(greedy(t, 24))));

  auto fresh = load();  // no prefix cache carried over from the solo runs
  std::vector<std::shared_ptr<rmlx::engine::Stream>> streams;
  for (const auto& t : texts) streams.push_back(fresh->submit(greedy(t, 24)));
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Result r = collect(*streams[i]);
    EXPECT_EQ(r.finish, FinishReason::length);
    EXPECT_EQ(r.ids, alone[i].ids) << "prompt " << i;
  }
  EXPECT_EQ(fresh->metrics().kv_blocks_used, 0);
}

TEST_F(EngineTest, PreemptionByRecomputeKeepsTokens) {
  auto big = load();
  const auto texts = prompts();
  std::vector<Result> alone;
  for (int i = 0; i < 6; ++i) alone.push_back(collect(*big->submit(greedy(texts[i], 40))));
  // A cache of 24 blocks (16 tokens each) cannot hold six sequences of ~70 tokens.
  const std::int64_t per_token = 30 * 3 * 64 * 2 * 2;
  auto small = load(24 * 16 * per_token);
  std::vector<std::shared_ptr<rmlx::engine::Stream>> streams;
  for (int i = 0; i < 6; ++i) streams.push_back(small->submit(greedy(texts[i], 40)));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(collect(*streams[i]).ids, alone[i].ids) << "prompt " << i;
}

TEST_F(EngineTest, SharedPrefixIsServedFromCache) {
  auto engine = load();
  std::string system = "You are a meticulous assistant. ";
  while (tokenizer_->encode(system, true).size() < 1000) {
    system += "Answer precisely, cite your reasoning, and keep each answer short. ";
  }
  Result first = collect(*engine->submit(greedy(system + "Question: what is 2+2?", 4)));
  EXPECT_EQ(first.cached, 0);
  Result second = collect(*engine->submit(greedy(system + "Question: name a color.", 4)));
  EXPECT_GE(second.cached, 1000 / 16 * 16 - 16);
  EXPECT_GE(static_cast<double>(second.cached) / second.prompt, 0.9)
      << second.cached << " of " << second.prompt;
  const auto m = engine->metrics();
  EXPECT_EQ(m.prefix_cache_hits, second.cached);
}

TEST_F(EngineTest, CancelFreesBlocksWithinAStep) {
  auto engine = load();
  auto stream = engine->submit(greedy("Tell me a very long story about dragons.", 2000));
  Event ev;
  ASSERT_TRUE(stream->next(ev, std::chrono::minutes(5)));
  EXPECT_GT(engine->metrics().kv_blocks_used, 0);
  stream->cancel();
  Result r = collect(*stream);
  EXPECT_EQ(r.finish, FinishReason::cancelled);
  EXPECT_EQ(engine->metrics().kv_blocks_used, 0);
}

TEST_F(EngineTest, BadRequestsNameTheField) {
  auto engine = load();
  Request r;
  EXPECT_THROW(engine->submit(r), std::invalid_argument);
  r.prompt = {1, 2, 999999};
  try {
    engine->submit(r);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "prompt: token id 999999 is outside the vocabulary (0..49151)");
  }
  r.prompt = {1, 2};
  r.max_tokens = 0;
  EXPECT_THROW(engine->submit(r), std::invalid_argument);
}

}  // namespace
