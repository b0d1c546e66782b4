// A tokenizer's vocabulary as the grammar sees it: the exact bytes each token decodes to,
// arranged once per tokenizer into tries so a step's mask walks only the tokens that can fit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rmlx/sampling/token_mask.h"

namespace rmlx::grammar {

using TokenMask = sampling::TokenMask;

class Vocabulary {
 public:
  // token_bytes[id]: the bytes of token id, empty for special tokens (never allowed by a grammar);
  // eos_ids: the tokens that end a generation (allowed once the document is whole).
  // Throws std::invalid_argument for an eos id outside the vocabulary.
  static std::shared_ptr<const Vocabulary> build(std::vector<std::string> token_bytes,
                                                 std::vector<std::int32_t> eos_ids);

  std::size_t size() const { return bytes_.size(); }
  const std::string& bytes(std::int32_t id) const { return bytes_[static_cast<std::size_t>(id)]; }
  const std::vector<std::int32_t>& eos_ids() const { return eos_; }
  bool is_eos(std::int32_t id) const;

  // Token trie in depth-first order: node i has `byte` at `depth` (root excluded, depth >= 1);
  // its subtree ends before `skip`; tokens[token_begin, token_end) end exactly at it.
  struct TrieNode {
    std::uint32_t skip;
    std::uint32_t token_begin;
    std::uint32_t token_end;
    std::uint16_t depth;
    std::uint8_t byte;
  };
  struct Trie {
    std::vector<TrieNode> nodes;
    std::vector<std::int32_t> tokens;
    std::size_t max_depth = 0;
  };
  // Every token with bytes.
  const Trie& all() const { return all_; }
  // Tokens that are not plain string content (see plain_up_to).
  const Trie& special() const { return special_; }
  // Plain tokens: whole UTF-8 characters with no '"', '\\' or control byte, so they may extend any
  // string without pattern. plain_up_to(n): those of at most n characters (n capped at the
  // longest).
  const TokenMask& plain_up_to(std::size_t chars) const;

 private:
  Vocabulary() = default;

  std::vector<std::string> bytes_;
  std::vector<std::int32_t> eos_;
  Trie all_;
  Trie special_;
  std::vector<TokenMask> plain_;  // plain_[n]: plain tokens of at most n characters
};

}  // namespace rmlx::grammar
