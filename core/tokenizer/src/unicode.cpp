#include "unicode.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace rmlx::tokenizer::unicode {
namespace {

struct CharRecord {
  uint8_t category;
  uint8_t ccc;
  uint8_t unsafe;  // bit i set: not stable under form i (NFC, NFD, NFKC, NFKD)
};
struct CompositionPair {
  char32_t first;
  char32_t second;
  char32_t composite;
};

#include "unicode_tables.inc"

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

const CharRecord& record(char32_t c) {
  if (c >= 0x110000) return kRecords[0];
  return kRecords[kStage2[static_cast<size_t>(kStage1[c >> 8]) * 256 + (c & 0xFF)]];
}

template <size_t NK, size_t NO, size_t ND>
bool lookup(const char32_t (&keys)[NK], const uint32_t (&offs)[NO], const char32_t (&data)[ND],
            char32_t c, const char32_t*& begin, const char32_t*& end) {
  const auto* it = std::lower_bound(std::begin(keys), std::end(keys), c);
  if (it == std::end(keys) || *it != c) return false;
  const auto idx = static_cast<size_t>(it - std::begin(keys));
  begin = data + offs[idx];
  end = data + offs[idx + 1];
  return true;
}

void decompose_into(char32_t c, bool compat, std::vector<char32_t>& out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    const char32_t s = c - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const char32_t *b = nullptr, *e = nullptr;
  if (compat && lookup(kCompatKeys, kCompatOffsets, kCompatData, c, b, e)) {
    out.insert(out.end(), b, e);
  } else if (lookup(kCanonKeys, kCanonOffsets, kCanonData, c, b, e)) {
    out.insert(out.end(), b, e);
  } else {
    out.push_back(c);
  }
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const auto* it =
      std::lower_bound(std::begin(kCompositions), std::end(kCompositions), CompositionPair{a, b, 0},
                       [](const CompositionPair& x, const CompositionPair& y) {
                         return x.first != y.first ? x.first < y.first : x.second < y.second;
                       });
  if (it != std::end(kCompositions) && it->first == a && it->second == b) return it->composite;
  return 0;
}

// Full normalization of one region (decompose, reorder, optionally compose).
void normalize_region(std::string_view s, Form form, std::string& out) {
  const bool compat = form == Form::NFKC || form == Form::NFKD;
  const bool compose = form == Form::NFC || form == Form::NFKC;
  std::vector<char32_t> buf;
  buf.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) decompose_into(next_char(s, pos), compat, buf);
  // Canonical ordering: stable sort each run of non-starters by combining class.
  for (size_t i = 0; i < buf.size();) {
    if (combining_class(buf[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < buf.size() && combining_class(buf[j]) != 0) ++j;
    std::stable_sort(
        buf.begin() + static_cast<std::ptrdiff_t>(i), buf.begin() + static_cast<std::ptrdiff_t>(j),
        [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  if (compose && !buf.empty()) {
    size_t starter = 0;
    int last_class = combining_class(buf[0]) == 0 ? 0 : 256;
    size_t w = 1;
    bool have_starter = last_class == 0;
    for (size_t r = 1; r < buf.size(); ++r) {
      const char32_t ch = buf[r];
      const int cls = combining_class(ch);
      if (have_starter && (last_class < cls || last_class == 0)) {
        if (const char32_t comp = compose_pair(buf[starter], ch); comp != 0) {
          buf[starter] = comp;
          continue;
        }
      }
      if (cls == 0) {
        starter = w;
        have_starter = true;
      }
      last_class = cls;
      buf[w++] = ch;
    }
    buf.resize(w);
  }
  for (char32_t c : buf) append_utf8(out, c);
}

}  // namespace

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

namespace {
// Length of the valid sequence at `i`, or 0 with `bad` = length of the maximal invalid subpart.
size_t valid_seq_len(std::string_view s, size_t i, size_t& bad) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c0 = b(i);
  bad = 1;
  if (c0 < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    need = 1;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    need = 2;
    if (c0 == 0xE0) lo = 0xA0;
    if (c0 == 0xED) hi = 0x9F;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    need = 3;
    if (c0 == 0xF0) lo = 0x90;
    if (c0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return 0;
    const unsigned char ck = b(i + k);
    const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (ck < l || ck > h) return 0;
    bad = k + 1;
  }
  return need + 1;
}
}  // namespace

size_t valid_utf8_prefix(std::string_view s) {
  size_t i = 0, bad = 0;
  while (i < s.size()) {
    const size_t n = valid_seq_len(s, i, bad);
    if (n == 0) break;
    i += n;
  }
  return i;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0, bad = 0;
  while (i < s.size()) {
    const size_t n = valid_seq_len(s, i, bad);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      i += bad;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

Category category(char32_t c) {
  return static_cast<Category>(record(c).category);
}
uint8_t combining_class(char32_t c) {
  return c < 0x300 ? 0 : record(c).ccc;
}

bool is_whitespace(char32_t c) {
  switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return is_number(category(c));
}

bool is_alphanumeric(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  const Category g = category(c);
  return is_letter(g) || is_number(g) || g == Category::Mn || g == Category::Mc;
}

bool is_punctuation(char32_t c) {
  if (c < 0x80)
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
  return is_punct(category(c));
}

bool is_other(char32_t c) {
  return category(c) >= Category::Cc || category(c) == Category::Cn;
}

void append_lower(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    return;
  }
  const char32_t *b = nullptr, *e = nullptr;
  if (lookup(kLowerKeys, kLowerOffsets, kLowerData, c, b, e)) {
    for (; b != e; ++b) append_utf8(out, *b);
  } else {
    append_utf8(out, c);
  }
}

std::string lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) append_lower(out, next_char(s, pos));
  return out;
}

std::string normalize(std::string_view s, Form form) {
  const uint8_t bit = static_cast<uint8_t>(1u << static_cast<unsigned>(form));
  size_t pos = 0;
  size_t last_safe = 0;  // start of the last stable character before `pos`
  bool changed = false;
  std::string out;
  size_t copied = 0;  // s[0, copied) is already in `out`
  while (pos < s.size()) {
    const auto lead = static_cast<unsigned char>(s[pos]);
    if (lead < 0x80) {
      last_safe = pos++;
      continue;
    }
    const size_t start = pos;
    const char32_t c = next_char(s, pos);
    if (!(record(c).unsafe & bit)) {
      last_safe = start;
      continue;
    }
    // Unstable character: renormalize from the last stable starter to the next stable one.
    size_t region_begin = (last_safe < start && last_safe >= copied) ? last_safe : start;
    if (region_begin < copied) region_begin = copied;
    size_t end = pos;
    while (end < s.size()) {
      size_t p = end;
      const char32_t d = next_char(s, p);
      if (!(record(d).unsafe & bit)) break;
      end = p;
    }
    if (!changed) {
      out.reserve(s.size() + 16);
      changed = true;
    }
    out.append(s.substr(copied, region_begin - copied));
    normalize_region(s.substr(region_begin, end - region_begin), form, out);
    copied = end;
    pos = end;
    last_safe = end;
  }
  if (!changed) return std::string(s);
  out.append(s.substr(copied));
  return out;
}

}  // namespace rmlx::tokenizer::unicode
