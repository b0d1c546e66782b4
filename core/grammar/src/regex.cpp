// Supported: literals (UTF-8 included), '.', classes [...] with ASCII ranges and negation,
// \d \D \w \W \s \S (ASCII; negated forms take no non-ASCII character), escaped punctuation,
// \t \n \r \f \v \xHH \uXXXX, groups (...) and (?:...), '|', quantifiers * + ? {n} {n,} {n,m}
// (lazy forms too), '^' at the start and '$' at the end. Like Python's re.search (which the
// jsonschema package uses) an unanchored pattern may match anywhere in the string.
#include "regex.h"

#include <algorithm>
#include <bitset>
#include <cctype>
#include <map>
#include <stdexcept>
#include <vector>

namespace rmlx::grammar::detail {
namespace {

constexpr std::size_t kMaxNfaStates = 20000;
constexpr std::size_t kMaxDfaStates = 4000;
constexpr int kMaxRepeat = 1000;
constexpr int kMaxGroupDepth = 64;

struct CharSet {
  std::bitset<128> ascii;
  bool any_non_ascii = false;
  std::vector<std::string> multibyte;  // single non-ASCII characters as UTF-8
};

struct Re {
  enum Kind { empty, chars, concat, alt, repeat } kind = empty;
  CharSet set;
  std::vector<Re> kids;
  int min = 0, max = -1;  // repeat; max -1: unbounded
};

std::string utf8(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

class Parser {
 public:
  Parser(std::string_view p, const std::string& path) : p_(p), path_(path) {}

  Re parse() {
    Re r = alternation();
    if (i_ < p_.size()) fail("unexpected '" + std::string(1, p_[i_]) + "'");
    return r;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("json schema: pattern at " + path_ + ": " + what + " (offset " +
                                std::to_string(i_) + ")");
  }

 private:
  bool more() const { return i_ < p_.size(); }
  char peek() const { return p_[i_]; }

  Re alternation() {
    Re first = concatenation();
    if (!more() || peek() != '|') return first;
    Re r;
    r.kind = Re::alt;
    r.kids.push_back(std::move(first));
    while (more() && peek() == '|') {
      ++i_;
      r.kids.push_back(concatenation());
    }
    return r;
  }

  Re concatenation() {
    Re r;
    r.kind = Re::concat;
    while (more() && peek() != '|' && peek() != ')') r.kids.push_back(quantified());
    return r;
  }

  int number() {
    if (!more() || peek() < '0' || peek() > '9') fail("expected a number in {}");
    int n = 0;
    while (more() && peek() >= '0' && peek() <= '9') {
      n = n * 10 + (peek() - '0');
      if (n > kMaxRepeat) fail("repeat count above " + std::to_string(kMaxRepeat));
      ++i_;
    }
    return n;
  }

  Re quantified() {
    Re atom_re = atom();
    while (more()) {
      int lo = 0, hi = -1;
      const char c = peek();
      if (c == '*') {
        ++i_;
      } else if (c == '+') {
        lo = 1;
        ++i_;
      } else if (c == '?') {
        hi = 1;
        ++i_;
      } else if (c == '{') {
        ++i_;
        lo = number();
        hi = lo;
        if (more() && peek() == ',') {
          ++i_;
          hi = more() && peek() == '}' ? -1 : number();
        }
        if (!more() || peek() != '}') fail("expected '}'");
        ++i_;
        if (hi >= 0 && hi < lo) fail("repeat {n,m} with m < n");
      } else {
        break;
      }
      if (more() && peek() == '?') ++i_;  // lazy: the same set of whole matches
      Re r;
      r.kind = Re::repeat;
      r.min = lo;
      r.max = hi;
      r.kids.push_back(std::move(atom_re));
      atom_re = std::move(r);
    }
    return atom_re;
  }

  std::uint32_t hex(int digits) {
    std::uint32_t v = 0;
    for (int k = 0; k < digits; ++k) {
      if (!more() || !std::isxdigit(static_cast<unsigned char>(peek()))) fail("bad hex escape");
      const char c = peek();
      v = v * 16 + static_cast<std::uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      ++i_;
    }
    return v;
  }

  // After a backslash: fills `set` (class escapes) or returns the literal's UTF-8 bytes.
  std::string escape(CharSet& set, bool& is_class, bool& negated) {
    if (!more()) fail("pattern ends with '\\'");
    const char c = p_[i_++];
    is_class = false;
    negated = false;
    const auto add_range = [&](char lo, char hi) {
      for (int ch = lo; ch <= hi; ++ch) set.ascii.set(static_cast<std::size_t>(ch));
    };
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 's':
      case 'S':
        is_class = true;
        negated = c == 'D' || c == 'W' || c == 'S';
        if (c == 'd' || c == 'D') add_range('0', '9');
        if (c == 'w' || c == 'W') {
          add_range('0', '9');
          add_range('a', 'z');
          add_range('A', 'Z');
          set.ascii.set('_');
        }
        if (c == 's' || c == 'S')
          for (char ch : std::string(" \t\n\r\f\v")) set.ascii.set(static_cast<std::size_t>(ch));
        return {};
      case 'n':
        return "\n";
      case 't':
        return "\t";
      case 'r':
        return "\r";
      case 'f':
        return "\f";
      case 'v':
        return "\v";
      case 'x':
        return utf8(hex(2));
      case 'u':
        return utf8(hex(4));
      default:
        if (std::isalnum(static_cast<unsigned char>(c)))
          fail(std::string("unsupported escape '\\") + c + "'");
        return std::string(1, c);
    }
  }

  std::string utf8_char() {
    const auto c = static_cast<unsigned char>(p_[i_]);
    std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (i_ + len > p_.size()) fail("truncated UTF-8");
    std::string s(p_.substr(i_, len));
    i_ += len;
    return s;
  }

  static void add_literal(CharSet& set, const std::string& ch) {
    if (ch.size() == 1 && static_cast<unsigned char>(ch[0]) < 0x80) {
      set.ascii.set(static_cast<unsigned char>(ch[0]));
    } else {
      set.multibyte.push_back(ch);
    }
  }

  Re atom() {
    Re r;
    r.kind = Re::chars;
    const char c = peek();
    if (c == '(') {
      if (++depth_ > kMaxGroupDepth) fail("groups nested too deeply");
      ++i_;
      if (more() && peek() == '?') {
        if (i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
          i_ += 2;
        } else {
          fail("unsupported group '(?'");
        }
      }
      Re inner = alternation();
      if (!more() || peek() != ')') fail("expected ')'");
      ++i_;
      --depth_;
      return inner;
    }
    if (c == '[') return char_class();
    if (c == '.') {
      ++i_;
      r.set.ascii.set();
      r.set.ascii.reset('\n');
      r.set.any_non_ascii = true;
      return r;
    }
    if (c == '^' || c == '$')
      fail(std::string("'") + c + "' is supported only at the pattern's ends");
    if (c == '*' || c == '+' || c == '?' || c == '{') fail("nothing to repeat");
    if (c == '\\') {
      ++i_;
      bool is_class = false, negated = false;
      const std::string lit = escape(r.set, is_class, negated);
      if (is_class) {
        if (negated) r.set.ascii.flip();
      } else {
        add_literal(r.set, lit);
      }
      return r;
    }
    add_literal(r.set, utf8_char());
    return r;
  }

  Re char_class() {
    ++i_;  // '['
    Re r;
    r.kind = Re::chars;
    bool negate = false, has_escape_class = false;
    if (more() && peek() == '^') {
      negate = true;
      ++i_;
    }
    bool first = true;
    while (more() && (peek() != ']' || first)) {
      first = false;
      std::string lo;
      if (peek() == '\\') {
        ++i_;
        CharSet sub;
        bool is_class = false, negated = false;
        lo = escape(sub, is_class, negated);
        if (is_class) {
          has_escape_class = true;
          if (negated) {
            sub.ascii.flip();
            if (negate) fail("negated class escape inside a negated class");
          }
          r.set.ascii |= sub.ascii;
          continue;
        }
      } else {
        lo = utf8_char();
      }
      if (i_ + 1 < p_.size() && peek() == '-' && p_[i_ + 1] != ']') {
        ++i_;
        std::string hi;
        if (peek() == '\\') {
          ++i_;
          CharSet sub;
          bool is_class = false, negated = false;
          hi = escape(sub, is_class, negated);
          if (is_class) fail("class escape as a range end");
        } else {
          hi = utf8_char();
        }
        if (lo.size() != 1 || hi.size() != 1 || static_cast<unsigned char>(lo[0]) >= 0x80 ||
            static_cast<unsigned char>(hi[0]) >= 0x80)
          fail("ranges are supported between ASCII characters only");
        if (hi[0] < lo[0]) fail("bad range");
        for (int ch = lo[0]; ch <= hi[0]; ++ch) r.set.ascii.set(static_cast<std::size_t>(ch));
      } else {
        add_literal(r.set, lo);
      }
    }
    if (!more()) fail("unterminated '['");
    ++i_;  // ']'
    if (negate) {
      if (!r.set.multibyte.empty()) fail("non-ASCII characters in a negated class");
      r.set.ascii.flip();
      r.set.any_non_ascii = !has_escape_class;
    }
    return r;
  }

  std::string_view p_;
  std::string path_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

// Thompson NFA over bytes.
struct Nfa {
  struct St {
    std::vector<std::pair<std::bitset<256>, int>> moves;
    std::vector<int> eps;
  };
  std::vector<St> st;
  const std::string* path = nullptr;

  int add() {
    if (st.size() >= kMaxNfaStates)
      throw std::invalid_argument("json schema: pattern at " + *path + " is too large");
    st.emplace_back();
    return static_cast<int>(st.size() - 1);
  }
  void move(int from, const std::bitset<256>& on, int to) { st[from].moves.emplace_back(on, to); }
  static std::bitset<256> range(int lo, int hi) {
    std::bitset<256> b;
    for (int c = lo; c <= hi; ++c) b.set(static_cast<std::size_t>(c));
    return b;
  }

  // Builds r between states `in` and `out`.
  void build(const Re& r, int in, int out) {
    switch (r.kind) {
      case Re::empty:
        st[in].eps.push_back(out);
        break;
      case Re::chars: {
        std::bitset<256> ascii;
        for (std::size_t c = 0; c < 128; ++c) ascii[c] = r.set.ascii[c];
        if (ascii.any()) move(in, ascii, out);
        for (const auto& mb : r.set.multibyte) {
          int at = in;
          for (std::size_t k = 0; k < mb.size(); ++k) {
            const int to = k + 1 == mb.size() ? out : add();
            std::bitset<256> b;
            b.set(static_cast<unsigned char>(mb[k]));
            move(at, b, to);
            at = to;
          }
        }
        if (r.set.any_non_ascii) {
          const int c1 = add(), c2 = add(), c3 = add();
          const auto cont = range(0x80, 0xBF);
          move(in, range(0xC2, 0xDF), c1);
          move(in, range(0xE0, 0xEF), c2);
          move(in, range(0xF0, 0xF4), c3);
          move(c3, cont, c2);
          move(c2, cont, c1);
          move(c1, cont, out);
        }
        break;
      }
      case Re::concat: {
        int at = in;
        for (std::size_t k = 0; k < r.kids.size(); ++k) {
          const int to = k + 1 == r.kids.size() ? out : add();
          build(r.kids[k], at, to);
          at = to;
        }
        if (r.kids.empty()) st[in].eps.push_back(out);
        break;
      }
      case Re::alt:
        for (const auto& k : r.kids) build(k, in, out);
        break;
      case Re::repeat: {
        int at = in;
        for (int k = 0; k < r.min; ++k) {
          const int to = add();
          build(r.kids[0], at, to);
          at = to;
        }
        if (r.max < 0) {
          const int loop = add();
          st[at].eps.push_back(loop);
          build(r.kids[0], loop, loop);
          st[loop].eps.push_back(out);
        } else {
          for (int k = r.min; k < r.max; ++k) {
            const int to = add();
            st[at].eps.push_back(out);
            build(r.kids[0], at, to);
            at = to;
          }
          st[at].eps.push_back(out);
        }
        break;
      }
    }
  }

  void closure(std::vector<int>& set) const {
    std::vector<int> todo = set;
    std::vector<bool> in(st.size(), false);
    for (int s : set) in[static_cast<std::size_t>(s)] = true;
    while (!todo.empty()) {
      const int s = todo.back();
      todo.pop_back();
      for (int e : st[static_cast<std::size_t>(s)].eps)
        if (!in[static_cast<std::size_t>(e)]) {
          in[static_cast<std::size_t>(e)] = true;
          set.push_back(e);
          todo.push_back(e);
        }
    }
    std::sort(set.begin(), set.end());
  }
};

}  // namespace

Dfa compile_pattern(std::string_view pattern, const std::string& path) {
  bool anchored_start = false, anchored_end = false;
  if (!pattern.empty() && pattern.front() == '^') {
    anchored_start = true;
    pattern.remove_prefix(1);
  }
  if (!pattern.empty() && pattern.back() == '$') {
    std::size_t slashes = 0;
    for (std::size_t k = pattern.size() - 1; k > 0 && pattern[k - 1] == '\\'; --k) ++slashes;
    if (slashes % 2 == 0) {
      anchored_end = true;
      pattern.remove_suffix(1);
    }
  }
  const Re body = Parser(pattern, path).parse();

  Nfa nfa;
  nfa.path = &path;
  const int start = nfa.add(), accept = nfa.add();
  int from = start, to = accept;
  Re any;
  any.kind = Re::chars;
  any.set.ascii.set();
  any.set.any_non_ascii = true;
  Re any_star;
  any_star.kind = Re::repeat;
  any_star.kids.push_back(any);
  if (!anchored_start) {
    from = nfa.add();
    nfa.build(any_star, start, from);
  }
  if (!anchored_end) {
    to = nfa.add();
    nfa.build(any_star, to, accept);
  }
  nfa.build(body, from, to);

  // Subset construction. Bytes a string's raw content cannot hold ('"', '\\', controls) are left
  // out, since pattern strings are written without escapes.
  std::bitset<256> writable;
  for (int c = 0x20; c < 256; ++c) writable.set(static_cast<std::size_t>(c));
  writable.reset('"');
  writable.reset('\\');

  Dfa dfa;
  std::map<std::vector<int>, int> ids;
  std::vector<std::vector<int>> sets;
  std::vector<int> init{start};
  nfa.closure(init);
  ids.emplace(init, 0);
  sets.push_back(init);
  for (std::size_t d = 0; d < sets.size(); ++d) {
    dfa.next.resize((d + 1) * 256, -1);
    const std::vector<int> cur = sets[d];
    dfa.accept.push_back(std::binary_search(cur.begin(), cur.end(), accept) ? 1 : 0);
    for (int c = 0; c < 256; ++c) {
      if (!writable[static_cast<std::size_t>(c)]) continue;
      std::vector<int> nxt;
      for (int s : cur)
        for (const auto& [on, t] : nfa.st[static_cast<std::size_t>(s)].moves)
          if (on[static_cast<std::size_t>(c)]) nxt.push_back(t);
      if (nxt.empty()) continue;
      std::sort(nxt.begin(), nxt.end());
      nxt.erase(std::unique(nxt.begin(), nxt.end()), nxt.end());
      nfa.closure(nxt);
      auto [it, fresh] = ids.emplace(nxt, static_cast<int>(sets.size()));
      if (fresh) {
        if (sets.size() >= kMaxDfaStates)
          throw std::invalid_argument("json schema: pattern at " + path + " is too complex");
        sets.push_back(nxt);
      }
      dfa.next[d * 256 + static_cast<std::size_t>(c)] = it->second;
    }
  }

  // Drop transitions into states from which no accepting state is reachable, so the automaton
  // never enters a string it cannot finish.
  const std::size_t n = sets.size();
  std::vector<std::uint8_t> live(dfa.accept.begin(), dfa.accept.end());
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t s = 0; s < n; ++s) {
      if (live[s]) continue;
      for (int c = 0; c < 256; ++c) {
        const int t = dfa.next[s * 256 + static_cast<std::size_t>(c)];
        if (t >= 0 && live[static_cast<std::size_t>(t)]) {
          live[s] = 1;
          changed = true;
          break;
        }
      }
    }
  }
  if (!live[0])
    throw std::invalid_argument("json schema: pattern at " + path +
                                " matches no string that can be written without escapes");
  for (auto& t : dfa.next)
    if (t >= 0 && !live[static_cast<std::size_t>(t)]) t = -1;

  // A byte that starts a character costs one, a continuation byte nothing.
  constexpr std::uint32_t kFar = 0xFFFFFFFFu;
  dfa.min_chars.assign(n, kFar);
  for (std::size_t s = 0; s < n; ++s)
    if (dfa.accept[s]) dfa.min_chars[s] = 0;
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t s = 0; s < n; ++s) {
      for (int c = 0; c < 256; ++c) {
        const int t = dfa.next[s * 256 + static_cast<std::size_t>(c)];
        if (t < 0 || dfa.min_chars[static_cast<std::size_t>(t)] == kFar) continue;
        const std::uint32_t d =
            dfa.min_chars[static_cast<std::size_t>(t)] + ((c & 0xC0) == 0x80 ? 0u : 1u);
        if (d < dfa.min_chars[s]) {
          dfa.min_chars[s] = d;
          changed = true;
        }
      }
    }
  }
  return dfa;
}

}  // namespace rmlx::grammar::detail
