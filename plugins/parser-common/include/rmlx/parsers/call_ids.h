// Tool-call ids. They are a pure function of (seed, stream number, call index,
// name, arguments), so a stream replayed with the same seed yields the same
// ids, while different requests differ once the server passes a fresh
// "id_seed" in the plugin options. OpenAI-style ids are "call_" followed by 24
// characters of [0-9A-Za-z]; Mistral ids are exactly 9 such characters, the
// only form its chat templates accept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rmlx::parsers {

struct CallIdInput {
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;  // counts reset() calls on one parser instance
  int index = 0;
  std::string_view name;
  std::string_view arguments;
};

std::string openai_call_id(const CallIdInput& in);
std::string mistral_call_id(const CallIdInput& in);

// Reads {"id_seed": <unsigned integer>} (every key optional). Throws
// std::invalid_argument with a one-line message on malformed options.
std::uint64_t parse_id_seed(std::string_view options_json);

}  // namespace rmlx::parsers
