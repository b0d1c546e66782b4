#include "automaton.h"

#include <algorithm>
#include <cstring>

namespace rmlx::grammar::detail {
namespace {

// Number frames: a = position in the JSON number syntax, b = digits in the current part.
enum NumberState : std::uint32_t {
  n_start,
  n_minus,
  n_zero,
  n_int,
  n_dot,
  n_frac,
  n_e,
  n_esign,
  n_exp
};
// Digit caps keep a model from writing numbers forever; they are far beyond any real value.
constexpr std::uint32_t kMaxIntDigits = 20;
constexpr std::uint32_t kMaxFracDigits = 20;
constexpr std::uint32_t kMaxExpDigits = 2;  // keeps values finite in a double

// String frames: a = phase | pending UTF-8 continuation bytes << 8 | \u digit index << 12 |
// "first \u digit was d" << 16; b = characters so far; c = pattern DFA state.
enum StringPhase : std::uint32_t { s_open, s_body, s_escape, s_hex };
// Array frames: a = phase, b = items so far.
enum ArrayPhase : std::uint32_t { a_open, a_first, a_after, a_next, a_in };
// Object frames: a = key trie node, or one of these; b = position * 2 + after_a_property.
constexpr std::uint32_t o_open = 0xFFFFFFFFu;
constexpr std::uint32_t o_in = 0xFFFFFFFEu;
// Map frames (free keys): a = phase.
enum MapPhase : std::uint32_t { m_open, m_first, m_key, m_colon, m_value, m_after, m_next };

bool is_digit(std::uint8_t c) {
  return c >= '0' && c <= '9';
}
bool is_hex(std::uint8_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool number_final(std::uint32_t s) {
  return s == n_zero || s == n_int || s == n_frac || s == n_exp;
}

enum class Outcome : std::uint8_t {
  consumed,    // byte taken, frame goes on
  done,        // byte taken, frame finished
  pop_refeed,  // frame finished before this byte; the parent gets it
  reject,
  push_refeed,  // frame waits for a child that must take this byte
  push,         // byte taken, then a child starts
  replace,      // frame becomes another node, which gets this byte
  fork,         // several anyOf alternatives can take this byte
};

}  // namespace

Frame Automaton::enter(std::uint32_t node) const {
  const Node& n = prog_.nodes[node];
  Frame f{node, 0, 0, 0};
  if (n.kind == Kind::literal) f.a = n.trie;
  if (n.kind == Kind::object) f.a = o_open;
  return f;
}

State Automaton::initial() const {
  State s;
  s.frames.push_back(enter(prog_.root));
  s.ends.push_back(1);
  return s;
}

void Automaton::child_done(Frame& p) const {
  const Node& n = prog_.nodes[p.node];
  switch (n.kind) {
    case Kind::array:
      p.a = a_after;
      ++p.b;
      break;
    case Kind::object:
      p.a = n.key_roots[p.b];
      break;
    case Kind::map:
      p.a = p.a == m_key ? m_colon : m_after;
      break;
    default:
      break;
  }
}

// Feeds byte c to the stack occupying out.frames[start..]; commits it (appends to out.ends) when
// the byte is taken, or truncates it away when not.
void Automaton::feed(State& out, std::size_t start, std::uint8_t c) const {
  auto& fr = out.frames;
  for (;;) {
    if (fr.size() == start) return;  // the document was already whole: nothing more may follow
    Frame& f = fr.back();
    const Node& n = prog_.nodes[f.node];
    Outcome o = Outcome::reject;
    std::uint32_t next = 0;  // the child for push / push_refeed / replace

    switch (n.kind) {
      case Kind::literal: {
        const std::int64_t t = prog_.trie_next(f.a, c);
        if (t >= 0) {
          f.a = static_cast<std::uint32_t>(t);
          o = prog_.trie[f.a].value != kInner && prog_.trie_leaf(f.a) ? Outcome::done
                                                                      : Outcome::consumed;
        } else if (prog_.trie[f.a].value != kInner) {
          o = Outcome::pop_refeed;
        }
        break;
      }
      case Kind::number:
      case Kind::integer: {
        const bool real = n.kind == Kind::number;
        const bool d = is_digit(c);
        std::uint32_t s = f.a;
        bool took = true;
        if (s == n_start && c == '-') {
          s = n_minus;
        } else if ((s == n_start || s == n_minus) && d) {
          s = c == '0' ? n_zero : n_int;
          f.b = 1;
        } else if (s == n_int && d && f.b < kMaxIntDigits) {
          ++f.b;
        } else if (real && (s == n_zero || s == n_int) && c == '.') {
          s = n_dot;
        } else if (real && (s == n_zero || s == n_int || s == n_frac) && (c == 'e' || c == 'E')) {
          s = n_e;
        } else if (s == n_dot && d) {
          s = n_frac;
          f.b = 1;
        } else if (s == n_frac && d && f.b < kMaxFracDigits) {
          ++f.b;
        } else if (s == n_e && (c == '+' || c == '-')) {
          s = n_esign;
        } else if ((s == n_e || s == n_esign) && d) {
          s = n_exp;
          f.b = 1;
        } else if (s == n_exp && d && f.b < kMaxExpDigits) {
          ++f.b;
        } else {
          took = false;
        }
        if (took) {
          f.a = s;
          o = Outcome::consumed;
        } else if (number_final(s)) {
          o = Outcome::pop_refeed;
        }
        break;
      }
      case Kind::string: {
        const std::uint32_t phase = f.a & 0xFF;
        const std::uint32_t pending = (f.a >> 8) & 0xF;
        const Dfa* dfa =
            n.pattern >= 0 ? &prog_.dfas[static_cast<std::size_t>(n.pattern)] : nullptr;
        // chars: the string's length once this byte is in.
        const auto pattern_ok = [&](std::uint32_t chars) {
          if (dfa == nullptr) return true;
          const std::int32_t s = dfa->next[f.c * 256u + c];
          if (s < 0) return false;
          if (n.max != kUnbounded && chars + dfa->min_chars[static_cast<std::size_t>(s)] > n.max)
            return false;
          f.c = static_cast<std::uint32_t>(s);
          return true;
        };
        if (phase == s_open) {
          if (c == '"') {
            f.a = s_body;
            o = Outcome::consumed;
          }
        } else if (phase == s_body) {
          if (pending > 0) {
            if ((c & 0xC0) == 0x80 && pattern_ok(f.b)) {
              f.a = s_body | ((pending - 1) << 8);
              o = Outcome::consumed;
            }
          } else if (c == '"') {
            if (f.b >= n.min && (dfa == nullptr || dfa->accept[f.c])) o = Outcome::done;
          } else if (c == '\\') {
            // Escapes are left out of pattern strings: the pattern sees the raw bytes.
            if (dfa == nullptr && f.b < n.max) {
              f.a = s_escape;
              o = Outcome::consumed;
            }
          } else if (c >= 0x20 && f.b < n.max) {
            std::uint32_t more = 0;
            bool valid = true;
            if (c >= 0x80) {
              if (c >= 0xC2 && c <= 0xDF) {
                more = 1;
              } else if (c >= 0xE0 && c <= 0xEF) {
                more = 2;
              } else if (c >= 0xF0 && c <= 0xF4) {
                more = 3;
              } else {
                valid = false;
              }
            }
            if (valid && pattern_ok(f.b + 1)) {
              ++f.b;
              f.a = s_body | (more << 8);
              o = Outcome::consumed;
            }
          }
        } else if (phase == s_escape) {
          if (std::strchr("\"\\/bfnrt", c) != nullptr && c != 0) {
            ++f.b;
            f.a = s_body;
            o = Outcome::consumed;
          } else if (c == 'u') {
            f.a = s_hex;
            o = Outcome::consumed;
          }
        } else {  // s_hex: \uXXXX, lone surrogates (D800-DFFF) refused
          const std::uint32_t idx = (f.a >> 12) & 0xF;
          const bool was_d = (f.a >> 16) & 1u;
          const bool surrogate =
              idx == 1 && was_d && (c == '8' || c == '9' || (is_hex(c) && !is_digit(c)));
          if (is_hex(c) && !surrogate) {
            if (idx == 3) {
              ++f.b;
              f.a = s_body;
            } else {
              const std::uint32_t d = idx == 0 && (c == 'd' || c == 'D') ? 1u : 0u;
              f.a = s_hex | ((idx + 1) << 12) | ((idx == 0 ? d : was_d) << 16);
            }
            o = Outcome::consumed;
          }
        }
        break;
      }
      case Kind::array:
        switch (f.a) {
          case a_open:
            if (c == '[') {
              f.a = a_first;
              o = Outcome::consumed;
            }
            break;
          case a_first:
            if (c == ']') {
              if (n.min == 0) o = Outcome::done;
            } else if (n.max > 0 && prog_.nodes[n.child].starts_with(c)) {
              f.a = a_in;
              next = n.child;
              o = Outcome::push_refeed;
            }
            break;
          case a_after:
            if (c == ',' && f.b < n.max) {
              f.a = a_next;
              o = Outcome::consumed;
            } else if (c == ']' && f.b >= n.min) {
              o = Outcome::done;
            }
            break;
          case a_next:
            f.a = a_in;
            next = n.child;
            o = Outcome::push_refeed;
            break;
          default:
            break;
        }
        break;
      case Kind::object:
        if (f.a == o_open) {
          if (c == '{') {
            f.a = n.key_roots[0];
            f.b = 0;
            o = Outcome::consumed;
          }
        } else if (f.a != o_in) {
          const std::int64_t t = prog_.trie_next(f.a, c);
          if (t >= 0) {
            const std::int32_t v = prog_.trie[static_cast<std::size_t>(t)].value;
            if (v == kInner) {
              f.a = static_cast<std::uint32_t>(t);
              o = Outcome::consumed;
            } else if (v == kCloseObject) {
              o = Outcome::done;
            } else {
              f.a = o_in;
              f.b = (static_cast<std::uint32_t>(v) + 1) * 2 + 1;
              next = n.props[static_cast<std::size_t>(v)];
              o = Outcome::push;
            }
          }
        }
        break;
      case Kind::map:
        switch (f.a) {
          case m_open:
            if (c == '{') {
              f.a = m_first;
              o = Outcome::consumed;
            }
            break;
          case m_first:
          case m_next:
            if (c == '}' && f.a == m_first) {
              o = Outcome::done;
            } else if (c == '"') {
              f.a = m_key;
              next = n.key;
              o = Outcome::push_refeed;
            }
            break;
          case m_colon:
            if (c == ':') {
              f.a = m_value;
              next = n.child;
              o = Outcome::push;
            }
            break;
          case m_after:
            if (c == ',') {
              f.a = m_next;
              o = Outcome::consumed;
            } else if (c == '}') {
              o = Outcome::done;
            }
            break;
          default:
            break;
        }
        break;
      case Kind::any_of: {
        std::uint32_t count = 0;
        for (auto alt : n.alts)
          if (prog_.nodes[alt].starts_with(c)) {
            next = alt;
            ++count;
          }
        o = count == 0 ? Outcome::reject : count == 1 ? Outcome::replace : Outcome::fork;
        break;
      }
    }

    switch (o) {
      case Outcome::consumed:
        out.ends.push_back(static_cast<std::uint32_t>(fr.size()));
        return;
      case Outcome::done:
        fr.pop_back();
        if (fr.size() > start) child_done(fr.back());
        out.ends.push_back(static_cast<std::uint32_t>(fr.size()));
        return;
      case Outcome::pop_refeed:
        fr.pop_back();
        if (fr.size() > start) child_done(fr.back());
        continue;
      case Outcome::reject:
        fr.resize(start);
        return;
      case Outcome::push_refeed:
      case Outcome::push:
        if (fr.size() - start >= kMaxDepth) {
          fr.resize(start);
          return;
        }
        fr.push_back(enter(next));
        if (o == Outcome::push) {
          out.ends.push_back(static_cast<std::uint32_t>(fr.size()));
          return;
        }
        continue;
      case Outcome::replace:
        f = enter(next);
        continue;
      case Outcome::fork: {
        // Each alternative runs on its own copy of the stack, one after the other at the tail.
        const std::vector<Frame> base(fr.begin() + static_cast<std::ptrdiff_t>(start), fr.end());
        fr.resize(start);
        for (auto alt : n.alts) {
          if (!prog_.nodes[alt].starts_with(c)) continue;
          const std::size_t s = fr.size();
          fr.insert(fr.end(), base.begin(), base.end());
          fr.back() = enter(alt);
          feed(out, s, c);
        }
        return;
      }
    }
  }
}

void Automaton::step(const State& in, std::uint8_t c, State& out) const {
  out.clear();
  std::uint32_t begin = 0;
  for (const std::uint32_t end : in.ends) {
    const std::size_t start = out.frames.size();
    out.frames.insert(out.frames.end(), in.frames.begin() + begin, in.frames.begin() + end);
    feed(out, start, c);
    begin = end;
  }
  if (out.ends.size() > 1) {
    // Alternatives that converge are kept once.
    State unique;
    std::uint32_t b = 0;
    for (const std::uint32_t e : out.ends) {
      bool seen = false;
      std::uint32_t ub = 0;
      for (const std::uint32_t ue : unique.ends) {
        if (ue - ub == e - b &&
            std::equal(out.frames.begin() + b, out.frames.begin() + e, unique.frames.begin() + ub))
          seen = true;
        ub = ue;
      }
      if (!seen) {
        unique.frames.insert(unique.frames.end(), out.frames.begin() + b, out.frames.begin() + e);
        unique.ends.push_back(static_cast<std::uint32_t>(unique.frames.size()));
      }
      b = e;
    }
    out = std::move(unique);
  }
}

bool Automaton::complete(const State& s) const {
  std::uint32_t begin = 0;
  for (const std::uint32_t end : s.ends) {
    if (end == begin) return true;
    if (end - begin == 1) {
      const Frame& f = s.frames[begin];
      const Node& n = prog_.nodes[f.node];
      if (n.kind == Kind::literal && prog_.trie[f.a].value != kInner) return true;
      if ((n.kind == Kind::number || n.kind == Kind::integer) && number_final(f.a)) return true;
    }
    begin = end;
  }
  return false;
}

std::optional<std::uint32_t> Automaton::free_string_room(const State& s) const {
  if (s.ends.size() != 1 || s.frames.empty()) return std::nullopt;
  const Frame& f = s.frames.back();
  const Node& n = prog_.nodes[f.node];
  if (n.kind != Kind::string || n.pattern >= 0 || f.a != s_body) return std::nullopt;
  return n.max == kUnbounded ? kUnbounded : n.max - f.b;
}

}  // namespace rmlx::grammar::detail
