// `serve` answers /health and /v1/models; a second server on the same port
// fails with a clear message instead of crashing or sharing the port.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "process.h"
#include "temp_dir.h"

namespace {

TEST(Serve, HealthModelsAndPortInUse) {
  TempDir model("model-dir");
  Process server({RMLX_HOST_BIN, "serve", "--port", "0", "--model", model.path()});
  const std::string port = server.wait_for_stderr(R"(listening on http://127\.0\.0\.1:(\d+))");
  ASSERT_FALSE(port.empty()) << server.err();

  httplib::Client client("127.0.0.1", std::stoi(port));
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(nlohmann::json::parse(health->body), nlohmann::json({{"status", "ok"}}));

  auto models = client.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
  auto body = nlohmann::json::parse(models->body);
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 1u);
  const auto& m = body["data"][0];
  EXPECT_EQ(m["object"], "model");
  EXPECT_EQ(m["id"], std::filesystem::path(model.path()).filename().string());
  EXPECT_EQ(m["owned_by"], "rmlx");
  EXPECT_TRUE(m["created"].is_number_integer());

  auto missing = client.Get("/v1/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  Process second({RMLX_HOST_BIN, "serve", "--port", port});
  EXPECT_EQ(second.wait(), 1);
  EXPECT_NE(
      second.err().find("error: cannot listen on 127.0.0.1:" + port + ": Address already in use\n"),
      std::string::npos)
      << second.err();

  // The first server is unharmed and stops cleanly on SIGTERM.
  auto again = client.Get("/health");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

}  // namespace
