#include "api/access_control.h"

#include <algorithm>

namespace rmlx::api {

bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::optional<std::string> presented_key(std::string_view authorization,
                                         std::string_view x_api_key) {
  if (!x_api_key.empty()) return std::string(x_api_key);
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size()) {
    std::string scheme(authorization.substr(0, kBearer.size()));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "bearer ") return std::string(authorization.substr(kBearer.size()));
  }
  return std::nullopt;
}

RateLimiter::RateLimiter(int per_minute, std::size_t max_clients)
    : per_minute_(per_minute), max_clients_(max_clients) {}

double RateLimiter::acquire(const std::string& client, Clock::time_point now) {
  if (per_minute_ <= 0) return 0;
  const double capacity = per_minute_;
  const double per_second = capacity / 60.0;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) {
      // Forget clients whose buckets are full again: they lose nothing.
      for (auto b = buckets_.begin(); b != buckets_.end();) {
        double t = b->second.tokens +
                   std::chrono::duration<double>(now - b->second.last).count() * per_second;
        b = t >= capacity ? buckets_.erase(b) : std::next(b);
      }
    }
    it = buckets_.emplace(client, Bucket{capacity, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(capacity,
                      b.tokens + std::chrono::duration<double>(now - b.last).count() * per_second);
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return (1.0 - b.tokens) / per_second;
}

std::optional<std::string> CorsPolicy::allow(std::string_view origin) const {
  if (origin.empty()) return std::nullopt;
  for (const auto& o : origins_) {
    if (o == "*") return std::string("*");
    if (o == origin) return std::string(origin);
  }
  return std::nullopt;
}

}  // namespace rmlx::api
