// Prefix caching seen from the client: a second request sharing a long
// (~1,000-token) system prompt reports at least 90% of its prompt as cached,
// in OpenAI's usage.prompt_tokens_details.cached_tokens and in Anthropic's
// cache_read_input_tokens. Skipped when the default model is not prepared.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "live_server.h"
#include "rmlx/snapshot/default_model.h"

namespace rmlx::api::test {
namespace {

using nlohmann::json;

const char* kModel = "SmolLM2-135M-Instruct";

// About 1,100 tokens of text that differs per `tag`.
std::string long_system_prompt(const std::string& tag) {
  std::string s = "You are the archivist of library " + tag + ". The catalogue follows.\n";
  for (int i = 0; i < 90; ++i) {
    s += "Shelf " + std::to_string(i) + " holds volumes on rivers, bridges and old maps.\n";
  }
  return s;
}

class PrefixCacheLive : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string model = snapshot::default_model_dir();
    if (!std::filesystem::is_regular_file(model + "/config.json")) {
      GTEST_SKIP() << "the default model is not prepared at " << model;
    }
    server_ = std::make_unique<LiveServer>(std::vector<std::string>{
        "--model", model, "--max-batch", "2", "--max-model-len", "2048", "--threads", "2"});
  }
  json post(const std::string& path, const json& body) {
    auto r = server_->client()->Post(path, body.dump(), "application/json");
    if (!r) throw std::runtime_error("no response from " + path);
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body);
  }
  std::unique_ptr<LiveServer> server_;
};

TEST_F(PrefixCacheLive, OpenAISecondRequestIsServedFromCache) {
  const std::string system = long_system_prompt("north");
  auto ask = [&](const std::string& question) {
    return post("/v1/chat/completions", {{"model", kModel},
                                         {"max_tokens", 1},
                                         {"messages",
                                          {{{"role", "system"}, {"content", system}},
                                           {{"role", "user"}, {"content", question}}}}})["usage"];
  };
  const json cold = ask("Which shelf holds maps?");
  ASSERT_GE(cold["prompt_tokens"].get<int>(), 1000);
  EXPECT_EQ(cold["prompt_tokens_details"]["cached_tokens"], 0);
  const json warm = ask("Which shelf holds rivers?");
  const int prompt = warm["prompt_tokens"], cached = warm["prompt_tokens_details"]["cached_tokens"];
  EXPECT_GE(cached * 10, prompt * 9) << "cached " << cached << " of " << prompt;
  EXPECT_LT(cached, prompt);
}

TEST_F(PrefixCacheLive, AnthropicReportsCacheReadInputTokens) {
  const std::string system = long_system_prompt("south");
  auto ask = [&](const std::string& question) {
    return post("/v1/messages",
                {{"model", kModel},
                 {"max_tokens", 1},
                 {"system", system},
                 {"messages", {{{"role", "user"}, {"content", question}}}}})["usage"];
  };
  const json cold = ask("Which shelf holds maps?");
  EXPECT_EQ(cold["cache_read_input_tokens"], 0);
  ASSERT_GE(cold["input_tokens"].get<int>(), 1000);
  const json warm = ask("Which shelf holds bridges?");
  const int cached = warm["cache_read_input_tokens"], fresh = warm["input_tokens"];
  EXPECT_GE(cached * 10, (cached + fresh) * 9) << "cached " << cached << ", fresh " << fresh;
  EXPECT_GT(fresh, 0);
}

}  // namespace
}  // namespace rmlx::api::test
