// Rate limit, CORS, /metrics, /health and the access log on a live server.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <regex>

#include "live_server.h"

namespace rmlx::api::test {
namespace {

using nlohmann::json;

const std::string kCount =
    R"({"model": "weightless", "messages": [{"role": "user", "content": "Hello"}]})";

TEST(Operations, RateLimitMetricsAndAccessLog) {
  TempDir dir("weightless");
  LiveServer server({"--model", write_weightless_model(dir.path()), "--rate-limit", "3"});
  auto cli = server.client();
  for (int i = 0; i < 3; ++i) {
    auto r = cli->Post("/v1/messages/count_tokens", kCount, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("request-id").rfind("req_", 0), 0u);
  }
  auto limited = cli->Post("/v1/messages/count_tokens", kCount, "application/json");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  // A token comes back every 20 s; the wait left depends on how long the
  // first requests took (the tokenizer loads on the first one).
  const int retry = std::stoi(limited->get_header_value("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 21);
  auto body = json::parse(limited->body);
  EXPECT_EQ(body["error"]["type"], "rate_limit_error");
  EXPECT_EQ(
      body["error"]["message"],
      "rate limit of 3 requests per minute exceeded; try again in " + std::to_string(retry) + " s");
  auto limited_openai = cli->Post("/v1/chat/completions", kCount, "application/json");
  ASSERT_TRUE(limited_openai);
  EXPECT_EQ(limited_openai->status, 429);
  EXPECT_EQ(json::parse(limited_openai->body)["error"]["code"], "rate_limit_exceeded");
  // Health and metrics are not rate limited.
  auto health = cli->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // A request is counted when its response has gone out, which can be just
  // after the client has read it, on whichever server thread sent it (a busy
  // machine can count a later request first): poll briefly until every request
  // above is counted.
  const std::vector<std::string> counted = {
      "rmlx:requests_total{route=\"/v1/messages/count_tokens\",status=\"200\"} 3\n",
      "rmlx:requests_total{route=\"/v1/messages/count_tokens\",status=\"429\"} 1\n",
      "rmlx:requests_total{route=\"/v1/chat/completions\",status=\"429\"} 1\n",
      "rmlx:requests_total{route=\"/health\",status=\"200\"} 1\n"};
  const auto all_counted = [&](const std::string& body) {
    for (const auto& c : counted) {
      if (body.find(c) == std::string::npos) return false;
    }
    return true;
  };
  auto metrics = cli->Get("/metrics");
  for (int i = 0; i < 50 && metrics && !all_counted(metrics->body); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    metrics = cli->Get("/metrics");
  }
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = metrics->body;
  EXPECT_NE(
      text.find("rmlx:requests_total{route=\"/v1/messages/count_tokens\",status=\"200\"} 3\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("rmlx:requests_total{route=\"/v1/messages/count_tokens\",status=\"429\"} 1\n"),
      std::string::npos);
  EXPECT_NE(text.find("rmlx:requests_total{route=\"/v1/chat/completions\",status=\"429\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("rmlx:requests_total{route=\"/health\",status=\"200\"} 1\n"),
            std::string::npos);
  // One access-log line per request, as JSON.
  server.process().err();
  std::regex line(R"(access (\{[^\n]*\}))");
  const std::string& log = server.process().err();
  int lines = 0, rate_limited = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) {
    auto j = json::parse((*it)[1].str());
    if (j["path"] == "/metrics") continue;  // may be logged only after its reply was read
    ++lines;
    EXPECT_EQ(j["client"], "127.0.0.1");
    if (j["status"] == 429) {
      ++rate_limited;
      EXPECT_EQ(j["error"].get<std::string>().rfind("rate limit of 3", 0), 0u);
    }
  }
  EXPECT_EQ(lines, 6);
  EXPECT_EQ(rate_limited, 2);
}

TEST(Operations, CorsAllowlist) {
  LiveServer server({"--cors-origin", "https://app.example"});
  auto cli = server.client();
  auto pre = cli->Options("/v1/chat/completions", {{"Origin", "https://app.example"},
                                                   {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(pre->get_header_value("Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
  auto denied = cli->Options("/v1/chat/completions", {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(denied->get_header_value("Access-Control-Allow-Origin"), "");
  auto get = cli->Get("/health", {{"Origin", "https://app.example"}});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  auto other = cli->Get("/health", {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->get_header_value("Access-Control-Allow-Origin"), "");
}

TEST(Operations, BadOptionsAreRefusedAtStart) {
  Process p({RMLX_HOST_BIN, "serve", "--max-body-bytes", "lots"});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_NE(p.err().find("rmlx-host serve: --max-body-bytes: expected a size like 8M, got 'lots'"),
            std::string::npos)
      << p.err();
}

}  // namespace
}  // namespace rmlx::api::test
