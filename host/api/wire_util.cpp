#include "api/wire_util.h"

#include <chrono>
#include <random>

namespace rmlx::api {

std::string random_id(std::string_view prefix, std::size_t length) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string id(prefix);
  for (std::size_t i = 0; i < length; ++i) id += kAlphabet[pick(rng)];
  return id;
}

std::int64_t unix_time() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sse_data(const Json& payload) {
  return "data: " + payload.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
}

std::string sse_event(std::string_view name, const Json& payload) {
  return "event: " + std::string(name) +
         "\ndata: " + payload.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
}

}  // namespace rmlx::api
