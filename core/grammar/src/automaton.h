// The pushdown automaton that runs a Program over bytes. Its state is a set of stacks (more than
// one only while anyOf alternatives that start alike are both still possible), stored flat so a
// state copies with two memcpys.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "program.h"

namespace rmlx::grammar::detail {

struct Frame {
  std::uint32_t node = 0;
  std::uint32_t a = 0;  // phase, trie node or automaton state: per node kind
  std::uint32_t b = 0;  // counter: items, characters, digits, object position
  std::uint32_t c = 0;  // pattern DFA state
  bool operator==(const Frame&) const = default;
};

struct State {
  std::vector<Frame> frames;
  std::vector<std::uint32_t> ends;  // stack k is frames[ends[k-1] .. ends[k])

  bool dead() const { return ends.empty(); }
  void clear() {
    frames.clear();
    ends.clear();
  }
};

// Nesting beyond this many open values is refused, so a model cannot recurse without bound.
constexpr std::size_t kMaxDepth = 64;

class Automaton {
 public:
  explicit Automaton(const Program& program) : prog_(program) {}

  State initial() const;
  // out = the states reachable from `in` by byte c; out.dead() when c is not allowed.
  void step(const State& in, std::uint8_t c, State& out) const;
  // Whether the bytes so far form a whole document.
  bool complete(const State& s) const;
  // When the only thing that can happen next is more content of a string without pattern and
  // without pending UTF-8 continuation bytes: how many more characters it may take.
  std::optional<std::uint32_t> free_string_room(const State& s) const;

 private:
  void feed(State& out, std::size_t start, std::uint8_t c) const;
  Frame enter(std::uint32_t node) const;
  void child_done(Frame& parent) const;

  const Program& prog_;
};

}  // namespace rmlx::grammar::detail
