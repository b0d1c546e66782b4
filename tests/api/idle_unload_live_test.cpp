// --idle-unload on the default model: the engine is freed after a second
// without requests, /v1/models says so, and the next request reloads it and
// gets the same greedy reply. Skipped when the default model is not prepared.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "live_server.h"
#include "rmlx/snapshot/default_model.h"

namespace rmlx::api::test {
namespace {

using nlohmann::json;

std::string state_of(httplib::Client& cli) {
  auto r = cli.Get("/v1/models");
  if (!r || r->status != 200) return "request failed";
  return json::parse(r->body)["data"][0]["state"];
}

std::string complete(httplib::Client& cli) {
  auto r = cli.Post("/v1/completions",
                    R"({"model": "SmolLM2-135M-Instruct", "prompt": "The capital of France is",
                        "max_tokens": 6, "temperature": 0})",
                    "application/json");
  if (!r) return "no response";
  if (r->status != 200) return "status " + std::to_string(r->status) + ": " + r->body;
  return json::parse(r->body)["choices"][0]["text"];
}

TEST(IdleUnload, UnloadsAfterOneSecondAndAnswersAgain) {
  const std::string model = snapshot::default_model_dir();
  if (!std::filesystem::is_regular_file(model + "/config.json")) {
    GTEST_SKIP() << "the default model is not prepared at " << model;
  }
  LiveServer server({"--model", model, "--idle-unload", "1", "--max-batch", "2", "--max-model-len",
                     "256", "--threads", "1"});
  auto cli = server.client();
  EXPECT_EQ(state_of(*cli), "unloaded");
  const std::string first = complete(*cli);
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(first.find("status"), std::string::npos) << first;
  const auto answered = std::chrono::steady_clock::now();
  EXPECT_EQ(state_of(*cli), "loaded");
  // The engine's KV gauges are on /metrics while it is loaded, gone once freed.
  const std::string kv_gauge = "rmlx:kv_blocks_free{model_name=\"SmolLM2-135M-Instruct\"}";
  auto metrics = cli->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(kv_gauge), std::string::npos) << metrics->body;

  std::string state = "loaded";
  while (state == "loaded" &&
         std::chrono::steady_clock::now() - answered < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    state = state_of(*cli);
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - answered).count();
  EXPECT_EQ(state, "unloaded");
  EXPECT_GE(waited, 1.0);
  EXPECT_LT(waited, 5.0);
  metrics = cli->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body.find(kv_gauge), std::string::npos) << metrics->body;
  EXPECT_NE(server.process().wait_for_stderr(
                R"(model 'SmolLM2-135M-Instruct' unloaded after 1\.0 s without requests)", 2000),
            "");

  // The next request loads it again and gets the same greedy text.
  EXPECT_EQ(complete(*cli), first);
  EXPECT_EQ(state_of(*cli), "loaded");
}

}  // namespace
}  // namespace rmlx::api::test
