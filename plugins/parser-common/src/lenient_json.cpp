#include "rmlx/parsers/lenient_json.h"

#include <charconv>
#include <cstdint>

#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

// Deep enough for any real arguments; bounds recursion on hostile input.
constexpr int kMaxDepth = 200;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  std::size_t pos() const { return i_; }
  void skip_ws() { i_ = skip_ws_at(i_); }

  std::optional<Json> value(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    skip_ws();
    if (i_ >= s_.size()) return std::nullopt;
    char c = s_[i_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth, ']');
    if (c == '(') return array(depth, ')');
    if (c == '"' || c == '\'') {
      auto str = string();
      if (!str) return std::nullopt;
      return Json(std::move(*str));
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    auto word = identifier();
    if (word == "true" || word == "True") return Json(true);
    if (word == "false" || word == "False") return Json(false);
    if (word == "null" || word == "None") return Json(nullptr);
    return std::nullopt;
  }

 private:
  std::size_t skip_ws_at(std::size_t i) const { return parsers::skip_ws(s_, i); }

  std::optional<Json> object(int depth) {
    ++i_;  // '{'
    Json obj = Json::object();
    while (true) {
      skip_ws();
      if (i_ >= s_.size()) return std::nullopt;
      if (s_[i_] == '}') {
        ++i_;
        return obj;
      }
      std::string key;
      if (s_[i_] == '"' || s_[i_] == '\'') {
        auto k = string();
        if (!k) return std::nullopt;
        key = std::move(*k);
      } else {
        key = identifier();
        if (key.empty()) return std::nullopt;
      }
      skip_ws();
      if (i_ >= s_.size() || s_[i_] != ':') return std::nullopt;
      ++i_;
      auto v = value(depth + 1);
      if (!v) return std::nullopt;
      obj[key] = std::move(*v);
      skip_ws();
      if (i_ >= s_.size()) return std::nullopt;
      if (s_[i_] == ',') {
        ++i_;
      } else if (s_[i_] != '}') {
        return std::nullopt;
      }
    }
  }

  std::optional<Json> array(int depth, char close) {
    ++i_;
    Json arr = Json::array();
    while (true) {
      skip_ws();
      if (i_ >= s_.size()) return std::nullopt;
      if (s_[i_] == close) {
        ++i_;
        return arr;
      }
      auto v = value(depth + 1);
      if (!v) return std::nullopt;
      arr.push_back(std::move(*v));
      skip_ws();
      if (i_ >= s_.size()) return std::nullopt;
      if (s_[i_] == ',') {
        ++i_;
      } else if (s_[i_] != close) {
        return std::nullopt;
      }
    }
  }

  std::optional<std::uint32_t> hex4() {
    if (i_ + 4 > s_.size()) return std::nullopt;
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      int h = hex_value(s_[i_ + k]);
      if (h < 0) return std::nullopt;
      v = v * 16 + static_cast<std::uint32_t>(h);
    }
    i_ += 4;
    return v;
  }

  std::optional<std::string> string() {
    const char quote = s_[i_++];
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == quote) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      char e = s_[i_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case '"':
        case '\'':
        case '\\':
        case '/':
          out += e;
          break;
        case 'u': {
          auto cp = hex4();
          if (!cp) return std::nullopt;
          std::uint32_t code = *cp;
          if (code >= 0xD800 && code < 0xDC00) {
            // A high surrogate needs its low half; alone it is replaced.
            std::size_t save = i_;
            if (i_ + 2 <= s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
              i_ += 2;
              auto lo = hex4();
              if (lo && *lo >= 0xDC00 && *lo < 0xE000) {
                code = 0x10000 + ((code - 0xD800) << 10) + (*lo - 0xDC00);
              } else {
                i_ = save;
                code = 0xFFFD;
              }
            } else {
              code = 0xFFFD;
            }
          } else if (code >= 0xDC00 && code < 0xE000) {
            code = 0xFFFD;
          }
          append_utf8(out, code);
          break;
        }
        default:
          // Python keeps unknown escapes verbatim.
          out += '\\';
          out += e;
      }
    }
    return std::nullopt;
  }

  std::optional<Json> number() {
    std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    std::size_t digits = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ == digits) return std::nullopt;
    bool integral = true;
    if (i_ < s_.size() && s_[i_] == '.') {
      integral = false;
      ++i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      integral = false;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      std::size_t exp = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == exp) return std::nullopt;
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + i_;
    if (integral) {
      std::int64_t v = 0;
      if (auto r = std::from_chars(first, last, v); r.ec == std::errc() && r.ptr == last) {
        return Json(v);
      }
      std::uint64_t u = 0;
      if (auto r = std::from_chars(first, last, u); r.ec == std::errc() && r.ptr == last) {
        return Json(u);
      }
    }
    double d = 0;
    if (auto r = std::from_chars(first, last, d); r.ec == std::errc() && r.ptr == last) {
      return Json(d);
    }
    return std::nullopt;
  }

  std::string identifier() {
    std::size_t start = i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                (i_ > start && c >= '0' && c <= '9');
      if (!ok) break;
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::optional<Json> parse_lenient_prefix(std::string_view text, std::size_t* end) {
  Reader r(text);
  auto v = r.value(0);
  if (v && end != nullptr) *end = r.pos();
  return v;
}

std::optional<Json> parse_lenient(std::string_view text) {
  Reader r(text);
  auto v = r.value(0);
  if (!v) return std::nullopt;
  r.skip_ws();
  if (r.pos() != text.size()) return std::nullopt;
  return v;
}

std::size_t find_balanced_end(std::string_view text, BalancedScan& st) {
  if (st.pos > text.size()) st = BalancedScan();
  if (st.found) return st.pos + 1;
  for (; st.pos < text.size(); ++st.pos) {
    const char c = text[st.pos];
    if (st.quote != 0) {
      if (st.escaped) {
        st.escaped = false;
      } else if (c == '\\') {
        st.escaped = true;
      } else if (c == st.quote) {
        st.quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      st.quote = c;
    } else if (c == '{' || c == '[' || c == '(') {
      ++st.depth;
    } else if ((c == '}' || c == ']' || c == ')') && --st.depth == 0) {
      st.found = true;
      return st.pos + 1;
    }
  }
  return std::string_view::npos;
}

std::size_t find_balanced_end(std::string_view text) {
  BalancedScan st;
  return find_balanced_end(text, st);
}

std::string compact(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace rmlx::parsers
