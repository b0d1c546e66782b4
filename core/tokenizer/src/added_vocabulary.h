// Added / special tokens: matched in the input before the model runs (leftmost-longest), with
// the lstrip / rstrip / single_word / normalized options of HF tokenizers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "components.h"
#include "vocab.h"

namespace rmlx::tokenizer {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;
  // What decode and id_to_token give: the content, normalized when `normalized` is set (as HF).
  std::string decoded;
};

// A text segment after added-token extraction: either an added token id or text to tokenize.
struct Segment {
  int32_t id = -1;  // >= 0: an added token
  std::string text;
  bool at_start = false;
};

class AddedVocabulary {
 public:
  void add(AddedToken token);
  // Builds the matchers; `normalizer` (may be null) normalizes contents of normalized tokens.
  void build(const Normalizer* normalizer);
  // Splits `text` on added tokens, normalizing the text between them.
  void extract_and_normalize(std::string_view text, const Normalizer* normalizer,
                             std::vector<Segment>& out) const;

  const AddedToken* by_id(int32_t id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &tokens_[it->second];
  }
  const AddedToken* by_content(std::string_view content) const {
    const auto it = by_content_.find(content);
    return it == by_content_.end() ? nullptr : &tokens_[it->second];
  }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Byte trie for leftmost-longest matching of many literal patterns.
  class Matcher {
   public:
    void insert(std::string_view pattern, size_t token_index);
    // Longest pattern starting exactly at `pos`; returns its length (0: none) and token index.
    size_t longest_at(std::string_view text, size_t pos, size_t& token_index) const;
    bool empty() const { return nodes_.size() <= 1; }
    bool may_start(unsigned char c) const { return first_[c]; }

   private:
    struct Node {
      std::vector<std::pair<unsigned char, int32_t>> next;
      int32_t token = -1;
    };
    std::vector<Node> nodes_{Node{}};
    bool first_[256] = {};
  };
  // Appends the splits of `text` on `matcher` (HF split_with_indices).
  void split(std::string_view text, bool at_start, const Matcher& matcher,
             std::vector<Segment>& out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> by_content_;
  Matcher raw_, normalized_;
};

}  // namespace rmlx::tokenizer
