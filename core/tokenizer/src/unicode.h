// Unicode helpers for the tokenizer: UTF-8 coding, character classes and normalization forms,
// all from tables generated at development time (no ICU at run time).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rmlx::tokenizer::unicode {

enum class Category : uint8_t {
  Cn,
  Lu,
  Ll,
  Lt,
  Lm,
  Lo,
  Mn,
  Mc,
  Me,
  Nd,
  Nl,
  No,
  Pc,
  Pd,
  Ps,
  Pe,
  Pi,
  Pf,
  Po,
  Sm,
  Sc,
  Sk,
  So,
  Zs,
  Zl,
  Zp,
  Cc,
  Cf,
  Cs,
  Co
};

enum class Form : uint8_t { NFC, NFD, NFKC, NFKD };

// Decodes one code point at `pos` (advancing it). Input must be valid UTF-8.
inline char32_t next_char(std::string_view s, size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  auto cont = [&](size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(s[pos + i]) & 0x3F);
  };
  char32_t c;
  if (b0 < 0xE0) {
    c = ((b0 & 0x1F) << 6) | cont(1);
    pos += 2;
  } else if (b0 < 0xF0) {
    c = ((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
    pos += 3;
  } else {
    c = ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    pos += 4;
  }
  return c;
}

inline size_t char_len(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

void append_utf8(std::string& out, char32_t c);

// Length of the longest valid UTF-8 prefix of `s`.
size_t valid_utf8_prefix(std::string_view s);
// Replaces invalid sequences by U+FFFD, one per maximal invalid subpart (as Rust's
// String::from_utf8_lossy does).
std::string to_valid_utf8(std::string_view s);

Category category(char32_t c);
uint8_t combining_class(char32_t c);

bool is_whitespace(char32_t c);  // the White_Space property (Rust char::is_whitespace)
inline bool is_letter(Category g) {
  return g >= Category::Lu && g <= Category::Lo;
}
inline bool is_mark(Category g) {
  return g >= Category::Mn && g <= Category::Me;
}
inline bool is_number(Category g) {
  return g >= Category::Nd && g <= Category::No;
}
inline bool is_punct(Category g) {
  return g >= Category::Pc && g <= Category::Po;
}
bool is_numeric(char32_t c);       // Nd, Nl, No
bool is_alphanumeric(char32_t c);  // letters, marks that attach to them, numbers
bool is_punctuation(char32_t c);   // ASCII punctuation or any P* category
bool is_other(char32_t c);         // any C* category

// Appends the full lowercase mapping of `c`.
void append_lower(std::string& out, char32_t c);
std::string lowercase(std::string_view s);

std::string normalize(std::string_view s, Form form);

}  // namespace rmlx::tokenizer::unicode
