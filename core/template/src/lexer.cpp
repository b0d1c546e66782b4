#include "lexer.hpp"

#include <array>
#include <cerrno>
#include <cstring>

#include "py_format.hpp"

namespace rmlx::tmpl::detail {

namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

// Python's str.rstrip(): strips Unicode whitespace too.
std::string py_rstrip(const std::string& s) {
  std::u32string u = utf8_decode(s);
  size_t end = u.size();
  while (end > 0 && is_py_space(u[end - 1])) --end;
  return utf8_encode(std::u32string_view(u).substr(0, end));
}

bool all_py_space(std::string_view s) {
  if (s.empty()) return false;
  for (char32_t c : utf8_decode(s))
    if (!is_py_space(c)) return false;
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < src_.size()) {
      size_t tag = find_tag(pos);
      if (tag == std::string::npos) {
        push_data(pos, src_.substr(pos));
        break;
      }
      char type = src_[tag + 1];
      char sign = (tag + 2 < src_.size() && (src_[tag + 2] == '-' || src_[tag + 2] == '+'))
                      ? src_[tag + 2]
                      : 0;
      std::string text = src_.substr(pos, tag - pos);
      size_t raw_end = type == '%' ? match_raw_begin(tag) : 0;
      text = strip_before(text, sign, type != '{', line_starting);
      push_data(pos, std::move(text));
      if (type == '#') {
        pos = skip_comment(tag, sign);
      } else if (raw_end) {
        pos = lex_raw(tag, raw_end);
      } else {
        pos = lex_tag(tag, type, sign ? 3 : 2);
      }
      line_starting = src_[pos - 1] == '\n';
    }
    tokens_.push_back(Token{TokKind::Eof, pos_of(src_.size()), "", {}});
    return std::move(tokens_);
  }

 private:
  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  mutable size_t cache_line_ = static_cast<size_t>(-1);
  mutable size_t cache_offset_ = 0;
  mutable int cache_col_ = 1;

  [[noreturn]] void fail(size_t offset, const std::string& msg) const {
    Pos p = pos_of(offset);
    throw TemplateError(TemplateError::Kind::Syntax, p.line, p.column, msg);
  }

 public:
  Pos pos_of(size_t offset) const {
    size_t lo = 0, hi = line_starts_.size();
    while (hi - lo > 1) {
      size_t mid = (lo + hi) / 2;
      if (line_starts_[mid] <= offset)
        lo = mid;
      else
        hi = mid;
    }
    size_t start = line_starts_[lo];
    // Tokens come in order, so continue counting from the previous one on the same line.
    size_t from = start;
    int col = 1;
    if (cache_line_ == lo && cache_offset_ <= offset) {
      from = cache_offset_;
      col = cache_col_;
    }
    for (size_t i = from; i < offset && i < src_.size(); ++i)
      if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) ++col;
    cache_line_ = lo;
    cache_offset_ = offset;
    cache_col_ = col;
    return Pos{static_cast<int>(lo + 1), col};
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return std::string::npos;
  }

  // lstrip_blocks / "-" handling of the data that precedes a tag (jinja2's OptionalLStrip).
  static std::string strip_before(const std::string& text, char sign, bool is_block,
                                  bool line_starting) {
    if (sign == '-') return py_rstrip(text);
    if (sign == '+' || !is_block) return text;
    size_t nl = text.rfind('\n');
    size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
    if ((l_pos > 0 || line_starting) && all_py_space(std::string_view(text).substr(l_pos)))
      return text.substr(0, l_pos);
    return text;
  }

  void push_data(size_t offset, std::string text) {
    if (!text.empty()) tokens_.push_back(Token{TokKind::Data, pos_of(offset), std::move(text), {}});
  }

  size_t skip_ws(size_t i) const {
    while (i < src_.size() && is_ws(src_[i])) ++i;
    return i;
  }

  bool at(size_t i, const char* s) const { return src_.compare(i, std::strlen(s), s) == 0; }

  // End of a block/comment delimiter ("%}" / "#}") at i with its whitespace control, or 0.
  size_t match_end(size_t i, char closer) const {
    std::string plain = std::string(1, closer) + "}";
    if (src_[i] == '+' && at(i + 1, plain.c_str())) return i + 3;
    if (src_[i] == '-' && at(i + 1, plain.c_str())) return skip_ws(i + 3);
    if (at(i, plain.c_str())) {
      size_t end = i + 2;
      if (end < src_.size() && src_[end] == '\n') ++end;  // trim_blocks
      return end;
    }
    return 0;
  }

  // `{% raw %}` / `{%- raw -%}`: returns the offset after it, or 0.
  size_t match_raw_begin(size_t tag) const {
    size_t i = tag + 2;
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
    i = skip_ws(i);
    if (!at(i, "raw")) return 0;
    i = skip_ws(i + 3);
    if (at(i, "-%}")) return skip_ws(i + 3);
    if (at(i, "%}")) return i + 2;  // no trim_blocks after raw, as in jinja2
    return 0;
  }

  size_t skip_comment(size_t tag, char sign) {
    for (size_t i = tag + (sign ? 3 : 2); i < src_.size(); ++i) {
      if (size_t end = match_end(i, '#')) return end;
    }
    fail(tag, "missing end of comment tag");
  }

  size_t lex_raw(size_t tag, size_t content) {
    for (size_t i = src_.find("{%", content); i != std::string::npos; i = src_.find("{%", i + 1)) {
      size_t j = i + 2;
      char sign = 0;
      if (j < src_.size() && (src_[j] == '-' || src_[j] == '+')) sign = src_[j++];
      j = skip_ws(j);
      if (!at(j, "endraw")) continue;
      j = skip_ws(j + 6);
      size_t end = j < src_.size() ? match_end(j, '%') : 0;
      if (!end) continue;
      bool starting = src_[content - 1] == '\n';
      push_data(content, strip_before(src_.substr(content, i - content), sign, true, starting));
      return end;
    }
    fail(tag, "missing end of raw directive");
  }

  size_t lex_tag(size_t tag, char type, size_t open_len) {
    bool block = type == '%';
    tokens_.push_back(Token{
        block ? TokKind::BlockBegin : TokKind::VarBegin, pos_of(tag), block ? "{%" : "{{", {}});
    std::vector<char> balance;
    size_t i = tag + open_len;
    while (true) {
      if (i >= src_.size())
        fail(tag,
             std::string("unexpected end of template, expected '") + (block ? "%}" : "}}") + "'");
      if (balance.empty()) {
        size_t end = 0;
        if (block) {
          end = match_end(i, '%');
        } else if (at(i, "-}}")) {
          end = skip_ws(i + 3);
        } else if (at(i, "}}")) {
          end = i + 2;
        }
        if (end) {
          tokens_.push_back(Token{
              block ? TokKind::BlockEnd : TokKind::VarEnd, pos_of(i), block ? "%}" : "}}", {}});
          return end;
        }
      }
      char c = src_[i];
      if (is_ws(c)) {
        ++i;
      } else if (is_digit(c)) {
        i = lex_number(i);
      } else if (is_name_start(c)) {
        size_t j = i;
        while (j < src_.size() && is_name_char(src_[j])) ++j;
        tokens_.push_back(Token{TokKind::Name, pos_of(i), src_.substr(i, j - i), {}});
        i = j;
      } else if (c == '\'' || c == '"') {
        i = lex_string(i);
      } else {
        i = lex_operator(i, balance);
      }
    }
  }

  size_t digits(size_t i) const {
    // \d+(_\d+)*
    if (i >= src_.size() || !is_digit(src_[i])) return i;
    while (true) {
      while (i < src_.size() && is_digit(src_[i])) ++i;
      if (i + 1 < src_.size() && src_[i] == '_' && is_digit(src_[i + 1]))
        ++i;
      else
        return i;
    }
  }

  size_t lex_number(size_t start) {
    size_t i = digits(start);
    bool is_float = false;
    if (i + 1 < src_.size() && src_[i] == '.' && is_digit(src_[i + 1])) {
      i = digits(i + 1);
      is_float = true;
    }
    if (i < src_.size() && (src_[i] == 'e' || src_[i] == 'E')) {
      size_t j = i + 1;
      if (j < src_.size() && (src_[j] == '+' || src_[j] == '-')) ++j;
      if (j < src_.size() && is_digit(src_[j])) {
        i = digits(j);
        is_float = true;
      }
    }
    std::string spelling = src_.substr(start, i - start);
    std::string clean;
    for (char c : spelling)
      if (c != '_') clean.push_back(c);
    Token t{is_float ? TokKind::Float : TokKind::Int, pos_of(start), spelling, {}};
    if (is_float) {
      t.value = Value(std::strtod(clean.c_str(), nullptr));
    } else {
      errno = 0;
      long long v = std::strtoll(clean.c_str(), nullptr, 10);
      if (errno == ERANGE) fail(start, "integer literal too large: " + spelling);
      t.value = Value(static_cast<int64_t>(v));
    }
    tokens_.push_back(std::move(t));
    return i;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  size_t lex_string(size_t start) {
    char q = src_[start];
    std::string out;
    size_t i = start + 1;
    while (true) {
      if (i >= src_.size()) fail(start, "unterminated string literal");
      char c = src_[i];
      if (c == q) break;
      if (c != '\\') {
        out.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= src_.size()) fail(start, "unterminated string literal");
      char e = src_[i + 1];
      i += 2;
      switch (e) {
        case '\n':
          break;
        case '\\':
        case '\'':
        case '"':
          out.push_back(e);
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            int h = i + k < src_.size() ? hex_value(src_[i + k]) : -1;
            if (h < 0) fail(i - 2, std::string("truncated \\") + e + " escape in string literal");
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          if (cp > 0x10FFFF) fail(i - 2, "illegal Unicode character in string literal");
          append_utf8(out, cp);
          i += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k)
              cp = cp * 8 + static_cast<uint32_t>(src_[i++] - '0');
            append_utf8(out, cp);
          } else {
            out.push_back('\\');
            out.push_back(e);
          }
      }
    }
    Token t{TokKind::String, pos_of(start), out, Value(out)};
    tokens_.push_back(std::move(t));
    return i + 1;
  }

  size_t lex_operator(size_t i, std::vector<char>& balance) {
    static const std::array<const char*, 6> two = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : two) {
      if (at(i, op)) {
        tokens_.push_back(Token{TokKind::Op, pos_of(i), op, {}});
        return i + 2;
      }
    }
    char c = src_[i];
    if (!std::strchr("+-/*%~[](){}<>=.:|,;", c)) {
      std::string ch;
      append_utf8(ch, utf8_decode(std::string_view(src_).substr(i, 4)).front());
      fail(i, "unexpected character '" + ch + "'");
    }
    if (c == '(' || c == '[' || c == '{') {
      balance.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (balance.empty()) fail(i, std::string("unexpected '") + c + "'");
      if (balance.back() != c)
        fail(i, std::string("unexpected '") + c + "', expected '" + balance.back() + "'");
      balance.pop_back();
    }
    tokens_.push_back(Token{TokKind::Op, pos_of(i), std::string(1, c), {}});
    return i + 1;
  }
};

std::string normalize_newlines(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();  // keep_trailing_newline=False
  return out;
}

}  // namespace

std::vector<Token> tokenize(const std::string& source) {
  return Lexer(normalize_newlines(source)).run();
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokKind::Eof:
      return "end of template";
    case TokKind::Data:
      return "template data";
    case TokKind::String:
      return "string literal";
    case TokKind::Int:
    case TokKind::Float:
      return "number " + t.text;
    default:
      return "'" + t.text + "'";
  }
}

}  // namespace rmlx::tmpl::detail
