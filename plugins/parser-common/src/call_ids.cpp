#include "rmlx/parsers/call_ids.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace rmlx::parsers {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint64_t fnv1a_u64(std::uint64_t h, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xFF;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string random_chars(const CallIdInput& in, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv1a_u64(h, in.seed);
  h = fnv1a_u64(h, in.stream);
  h = fnv1a_u64(h, static_cast<std::uint64_t>(in.index));
  h = fnv1a(h, in.name);
  h = fnv1a(h, std::string_view("\0", 1));
  h = fnv1a(h, in.arguments);
  std::string out;
  out.reserve(n);
  std::uint64_t state = h;
  while (out.size() < n) {
    std::uint64_t r = splitmix64(state);
    // 10 characters per draw keeps the modulo bias negligible (62^10 << 2^64).
    for (int k = 0; k < 10 && out.size() < n; ++k) {
      out += kAlphabet[r % kAlphabet.size()];
      r /= kAlphabet.size();
    }
  }
  return out;
}

}  // namespace

std::string openai_call_id(const CallIdInput& in) {
  return "call_" + random_chars(in, 24);
}

std::string mistral_call_id(const CallIdInput& in) {
  return random_chars(in, 9);
}

std::uint64_t parse_id_seed(std::string_view options_json) {
  if (options_json.empty()) return 0;
  auto opts = nlohmann::json::parse(options_json, nullptr, false);
  if (opts.is_discarded() || !opts.is_object()) {
    throw std::invalid_argument("parser options: expected a JSON object");
  }
  std::uint64_t seed = 0;
  for (const auto& [key, value] : opts.items()) {
    if (key != "id_seed") {
      throw std::invalid_argument("parser options: unknown key \"" + key + "\" (known: id_seed)");
    }
    if (!value.is_number_unsigned() &&
        !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
      throw std::invalid_argument("parser options: \"id_seed\" must be a non-negative integer");
    }
    seed = value.get<std::uint64_t>();
  }
  return seed;
}

}  // namespace rmlx::parsers
