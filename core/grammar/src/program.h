// The compiled form of a grammar: a graph of value nodes that a pushdown automaton walks byte by
// byte. A node describes one JSON value; a frame on the automaton's stack is one node in progress.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace rmlx::grammar::detail {

constexpr std::uint32_t kUnbounded = std::numeric_limits<std::uint32_t>::max();

enum class Kind : std::uint8_t { literal, number, integer, string, array, object, map, any_of };

// Byte tries hold literal alternatives (enum, const, true/false/null) and the key choices of an
// object. value: -1 for an inner node; a literal's terminal is 0; an object key's terminal is the
// property index, or kCloseObject for "}".
constexpr std::int32_t kInner = -1;
constexpr std::int32_t kCloseObject = -2;

struct TrieNode {
  std::uint32_t edge_begin = 0;
  std::uint32_t edge_end = 0;
  std::int32_t value = kInner;
};

struct TrieEdge {
  std::uint8_t byte = 0;
  std::uint32_t child = 0;
};

// A deterministic automaton over the bytes of a string's content; state 0 is the start.
struct Dfa {
  std::vector<std::int32_t> next;  // state * 256 + byte -> state, -1: no transition
  std::vector<std::uint8_t> accept;
  // Fewest characters that lead from each state to an accepting one, so maxLength never lets a
  // string into a state it cannot finish in time.
  std::vector<std::uint32_t> min_chars;
};

struct Node {
  Kind kind = Kind::any_of;
  std::uint32_t trie = 0;                // literal: root trie node
  std::vector<std::uint32_t> key_roots;  // object: trie root per (position * 2 + after_a_property)
  std::vector<std::uint32_t> props;      // object: value node of each property, in schema order
  std::uint32_t child = 0;               // array: items; map: values
  std::uint32_t key = 0;                 // map: the string node of keys
  std::uint32_t min = 0;                 // array: minItems; string: minLength (characters)
  std::uint32_t max = kUnbounded;        // array: maxItems; string: maxLength (characters)
  std::int32_t pattern = -1;             // string: index of its Dfa
  std::vector<std::uint32_t> alts;       // any_of
  std::array<std::uint64_t, 4> first{};  // bytes a value of this node can start with

  bool starts_with(std::uint8_t c) const { return (first[c >> 6] >> (c & 63)) & 1u; }
};

struct Program {
  std::vector<Node> nodes;
  std::vector<TrieNode> trie;
  std::vector<TrieEdge> edges;
  std::vector<Dfa> dfas;
  std::uint32_t root = 0;

  // The child of trie node t along byte c, or -1.
  std::int64_t trie_next(std::uint32_t t, std::uint8_t c) const {
    const TrieNode& n = trie[t];
    for (std::uint32_t e = n.edge_begin; e < n.edge_end; ++e)
      if (edges[e].byte == c) return edges[e].child;
    return -1;
  }
  bool trie_leaf(std::uint32_t t) const { return trie[t].edge_begin == trie[t].edge_end; }
};

}  // namespace rmlx::grammar::detail
