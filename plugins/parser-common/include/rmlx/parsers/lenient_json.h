// A JSON reader that also accepts what models commonly write instead of
// JSON: single-quoted strings, Python literals (True, False, None), trailing
// commas, unquoted object keys and tuples. Anything else is refused, so a
// value is only rebuilt when its meaning is unambiguous.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace rmlx::parsers {

// Key order matters: arguments are re-emitted in the order the model wrote them.
using Json = nlohmann::ordered_json;

// Parses the value at the start of `text` (leading whitespace allowed). On
// success `*end` (if given) is the offset just past the value.
std::optional<Json> parse_lenient_prefix(std::string_view text, std::size_t* end = nullptr);

// The whole text must be one value, surrounded by whitespace at most.
std::optional<Json> parse_lenient(std::string_view text);

// For text starting with '{', '[' or '(': the offset just past the matching
// close bracket, skipping brackets inside single- or double-quoted strings.
// npos when the text ends first.
std::size_t find_balanced_end(std::string_view text);

// Progress of find_balanced_end over a text that only grows between calls
// (a block being streamed in), so each byte is scanned once.
struct BalancedScan {
  std::size_t pos = 0;
  int depth = 0;
  char quote = 0;
  bool escaped = false;
  bool found = false;  // the close bracket is at pos
};
std::size_t find_balanced_end(std::string_view text, BalancedScan& resume);

// Compact serialisation (no spaces), UTF-8 kept as is; invalid UTF-8 bytes
// become U+FFFD rather than failing.
std::string compact(const Json& j);

}  // namespace rmlx::parsers
