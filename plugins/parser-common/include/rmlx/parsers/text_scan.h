// Small string helpers for incremental scanning: whitespace, trimming and
// matching a literal against text that may still be incomplete.
#pragma once

#include <cstddef>
#include <string_view>

namespace rmlx::parsers {

constexpr bool is_ws(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}
constexpr bool is_hspace(char c) {
  return c == ' ' || c == '\t';
}

constexpr std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  return s;
}
constexpr std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}
constexpr std::string_view trim(std::string_view s) {
  return trim_right(trim_left(s));
}

constexpr std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}

// How `text` relates to the literal `lit` that should start it.
enum class Match { no, partial, full };

// full: text starts with lit; partial: text is a proper prefix of lit (more
// bytes may still complete it); no: it cannot.
constexpr Match match_literal(std::string_view text, std::string_view lit) {
  if (text.size() >= lit.size()) return text.substr(0, lit.size()) == lit ? Match::full : Match::no;
  return lit.substr(0, text.size()) == text ? Match::partial : Match::no;
}

// Length of the longest proper prefix of `lit` that `buf` ends with: the bytes
// to hold back because the next feed may complete the literal.
constexpr std::size_t partial_suffix(std::string_view buf, std::string_view lit) {
  std::size_t k = lit.size() > 0 ? lit.size() - 1 : 0;
  if (k > buf.size()) k = buf.size();
  for (; k > 0; --k) {
    if (buf.substr(buf.size() - k) == lit.substr(0, k)) return k;
  }
  return 0;
}

constexpr bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':';
}

}  // namespace rmlx::parsers
