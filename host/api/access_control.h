// Who may call the server: API keys (constant-time compare), a per-client
// rate limit and the CORS allowlist. No HTTP types here, so each piece is
// tested on its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rmlx::api {

// Compares in time that depends only on the lengths, not on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// The key a client sent: "Authorization: Bearer <key>" or "x-api-key: <key>".
std::optional<std::string> presented_key(std::string_view authorization,
                                         std::string_view x_api_key);

// A token bucket per client: `per_minute` requests, refilled evenly.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(int per_minute, std::size_t max_clients = 100000);
  // 0 when allowed (and counted); else the seconds until a request would be.
  double acquire(const std::string& client, Clock::time_point now = Clock::now());
  bool enabled() const { return per_minute_ > 0; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  int per_minute_;
  std::size_t max_clients_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}
  bool enabled() const { return !origins_.empty(); }
  // The value for Access-Control-Allow-Origin, or nothing when `origin` is
  // not allowed.
  std::optional<std::string> allow(std::string_view origin) const;

  static constexpr const char* kAllowMethods = "GET, POST, OPTIONS";
  static constexpr const char* kAllowHeaders =
      "Authorization, Content-Type, X-Api-Key, Anthropic-Version, Anthropic-Beta, "
      "OpenAI-Organization, OpenAI-Project, X-Stainless-Lang, X-Stainless-Package-Version, "
      "X-Stainless-OS, X-Stainless-Arch, X-Stainless-Runtime, X-Stainless-Runtime-Version, "
      "X-Stainless-Retry-Count, X-Stainless-Timeout";

 private:
  std::vector<std::string> origins_;
};

}  // namespace rmlx::api
