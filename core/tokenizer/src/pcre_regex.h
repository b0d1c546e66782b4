// PCRE2 (UTF + Unicode properties, JIT) wrapper used by Split, Replace and ByteLevel.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmlx::tokenizer {

using Span = std::pair<size_t, size_t>;  // byte range [first, second)

class Regex {
 public:
  // Throws Error("<where>: expected a valid regular expression (<reason> at offset N)").
  Regex(std::string_view pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // All non-overlapping matches, left to right; empty matches are skipped. `text` must be
  // valid UTF-8.
  void find_all(std::string_view text, std::vector<Span>& out) const;

 private:
  struct Code;
  std::unique_ptr<Code> code_;
};

// Escapes `literal` so it matches itself.
std::string regex_escape(std::string_view literal);

}  // namespace rmlx::tokenizer
