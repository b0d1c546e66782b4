// Operations pieces on their own: API key checks, the rate limiter, CORS,
// error bodies of both dialects and the Prometheus text.
#include <gtest/gtest.h>

#include "api/access_control.h"
#include "api/api_error.h"
#include "api/metrics.h"

namespace rmlx::api {
namespace {

TEST(ApiKey, ConstantTimeEqualAndPresentedKey) {
  EXPECT_TRUE(constant_time_equal("sk-abc", "sk-abc"));
  EXPECT_FALSE(constant_time_equal("sk-abc", "sk-abd"));
  EXPECT_FALSE(constant_time_equal("sk-abc", "sk-ab"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_EQ(presented_key("Bearer sk-1", ""), "sk-1");
  EXPECT_EQ(presented_key("bearer sk-1", ""), "sk-1");
  EXPECT_EQ(presented_key("", "sk-2"), "sk-2");
  EXPECT_EQ(presented_key("Basic abc", ""), std::nullopt);
  EXPECT_EQ(presented_key("", ""), std::nullopt);
}

TEST(RateLimiter, AllowsTheBurstThenRefillsEvenly) {
  RateLimiter lim(6);  // one request every 10 s once the burst is spent
  auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(lim.acquire("a", t0), 0) << i;
  EXPECT_DOUBLE_EQ(lim.acquire("a", t0), 10.0);
  EXPECT_EQ(lim.acquire("b", t0), 0);  // clients are separate
  EXPECT_GT(lim.acquire("a", t0 + std::chrono::seconds(5)), 0);
  EXPECT_EQ(lim.acquire("a", t0 + std::chrono::seconds(11)), 0);
  RateLimiter off(0);
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(off.acquire("a"), 0);
}

TEST(Cors, Allowlist) {
  CorsPolicy none({});
  EXPECT_FALSE(none.enabled());
  CorsPolicy some({"https://app.example"});
  EXPECT_EQ(some.allow("https://app.example"), "https://app.example");
  EXPECT_EQ(some.allow("https://evil.example"), std::nullopt);
  EXPECT_EQ(some.allow(""), std::nullopt);
  CorsPolicy any({"*"});
  EXPECT_EQ(any.allow("https://x"), "*");
}

TEST(ErrorBody, EachDialectsShape) {
  ApiError e = invalid_field("max_tokens", "must be at least 1, got 0");
  EXPECT_EQ(error_body(Dialect::openai, e, "req_1"),
            nlohmann::json::parse(R"({"error":{"message":"'max_tokens' must be at least 1, got 0",
              "type":"invalid_request_error","param":"max_tokens","code":null}})"));
  EXPECT_EQ(error_body(Dialect::anthropic, e, "req_1"),
            nlohmann::json::parse(R"({"type":"error","error":{"type":"invalid_request_error",
              "message":"'max_tokens' must be at least 1, got 0"},"request_id":"req_1"})"));
  ApiError auth(ErrorKind::authentication, "invalid API key");
  EXPECT_EQ(auth.status(), 401);
  EXPECT_EQ(error_body(Dialect::openai, auth, "r")["error"]["code"], "invalid_api_key");
  EXPECT_EQ(error_body(Dialect::anthropic, auth, "r")["error"]["type"], "authentication_error");
  EXPECT_EQ(status_of(ErrorKind::too_large), 413);
  EXPECT_EQ(
      error_body(Dialect::anthropic, ApiError(ErrorKind::too_large, "big"), "r")["error"]["type"],
      "request_too_large");
  EXPECT_EQ(status_of(ErrorKind::rate_limited), 429);
  EXPECT_EQ(
      error_body(Dialect::anthropic, ApiError(ErrorKind::not_found, "x"), "r")["error"]["type"],
      "not_found_error");
}

TEST(Metrics, PrometheusText) {
  ServerMetrics m;
  m.count_request("/v1/chat/completions", 200);
  m.count_request("/v1/chat/completions", 200);
  m.count_request("/v1/chat/completions", 400);
  m.add_tokens("smol", 10, 5);
  m.observe_ttft("smol", 0.003);
  m.observe_ttft("smol", 0.2);
  engine::Metrics em;
  em.running = 2;
  em.waiting = 1;
  em.kv_blocks_total = 100;
  em.kv_blocks_used = 25;
  em.prefix_cache_queries = 200;
  em.prefix_cache_hits = 50;
  const std::string text = m.render({{"smol", em}});
  auto has = [&](const std::string& line) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\n---\n" << text;
  };
  has("# TYPE rmlx:requests_total counter");
  has("rmlx:requests_total{route=\"/v1/chat/completions\",status=\"200\"} 2");
  has("rmlx:requests_total{route=\"/v1/chat/completions\",status=\"400\"} 1");
  has("rmlx:prompt_tokens_total{model_name=\"smol\"} 10");
  has("rmlx:generation_tokens_total{model_name=\"smol\"} 5");
  has("# TYPE rmlx:time_to_first_token_seconds histogram");
  has("rmlx:time_to_first_token_seconds_bucket{model_name=\"smol\",le=\"0.001\"} 0");
  has("rmlx:time_to_first_token_seconds_bucket{model_name=\"smol\",le=\"0.005\"} 1");
  has("rmlx:time_to_first_token_seconds_bucket{model_name=\"smol\",le=\"0.25\"} 2");
  has("rmlx:time_to_first_token_seconds_bucket{model_name=\"smol\",le=\"+Inf\"} 2");
  has("rmlx:time_to_first_token_seconds_sum{model_name=\"smol\"} 0.203");
  has("rmlx:time_to_first_token_seconds_count{model_name=\"smol\"} 2");
  has("rmlx:inter_token_latency_seconds_count{model_name=\"smol\"} 0");
  has("rmlx:num_requests_running{model_name=\"smol\"} 2");
  has("rmlx:num_requests_waiting{model_name=\"smol\"} 1");
  has("rmlx:kv_blocks_used{model_name=\"smol\"} 25");
  has("rmlx:kv_blocks_free{model_name=\"smol\"} 75");
  has("rmlx:kv_cache_usage_perc{model_name=\"smol\"} 0.25");
  has("rmlx:prefix_cache_queries_total{model_name=\"smol\"} 200");
  has("rmlx:prefix_cache_hits_total{model_name=\"smol\"} 50");
  has("rmlx:prefix_cache_hit_rate{model_name=\"smol\"} 0.25");
  EXPECT_EQ(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace rmlx::api
