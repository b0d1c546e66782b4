// Token bytes of a byte-level BPE tokenizer.json (GPT-2 style: each byte is spelled as one
// printable code point). Added tokens are given no bytes, so a grammar never emits them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rmlx::grammar::testing {

struct ByteLevelVocab {
  std::vector<std::string> token_bytes;
  std::vector<std::int32_t> eos_ids;
};

// eos_tokens: added-token contents that end a generation. limit > 0 keeps only ids below it.
ByteLevelVocab load_byte_level_vocab(const std::string& tokenizer_json_path,
                                     const std::vector<std::string>& eos_tokens,
                                     std::size_t limit = 0);

}  // namespace rmlx::grammar::testing
