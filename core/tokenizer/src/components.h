// The pipeline stages of a tokenizer.json: normalizer, pre-tokenizer, model, post-processor and
// decoder. Each is built from its JSON node by a make_* factory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json_reader.h"
#include "pcre_regex.h"

namespace rmlx::tokenizer {

// A piece of text between pipeline stages. `at_start` marks a piece that begins at offset 0 of
// the original input (Metaspace's prepend_scheme "first" needs it).
struct Piece {
  std::string text;
  bool at_start = false;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& s) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their sub-pieces.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual void tokenize(std::string_view word, std::vector<int32_t>& out) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual const std::string* id_to_token(int32_t id) const = 0;
  // Calls `fn` for every (token, id) of the model vocabulary.
  virtual void for_each_token(const std::function<void(const std::string&, int32_t)>& fn) const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(std::vector<int32_t>& ids, bool add_special_tokens) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  // Rewrites one token into the raw bytes it contributes in the middle of a sequence (no
  // first-token space stripping, no lossy UTF-8 repair), for grammar-constrained decoding.
  virtual void token_bytes(std::string& token) const = 0;
};

// Where a pattern matched: either a regex, a literal string or a per-character predicate.
class Pattern {
 public:
  // node is {"String": s} or {"Regex": r}.
  static Pattern from_json(const JsonRef& node);
  static Pattern from_predicate(std::function<bool(char32_t)> pred);
  static Pattern from_literal(std::string literal);
  void find(std::string_view text, std::vector<Span>& out) const;
  // Replaces every match by `content`.
  std::string replace_all(std::string_view text, std::string_view content) const;

 private:
  std::shared_ptr<const Regex> regex_;
  std::string literal_;
  std::function<bool(char32_t)> pred_;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
SplitBehavior parse_split_behavior(const JsonRef& node);

// Splits `piece` at the matches of `pattern` as NormalizedString::split does; appends the
// non-empty results to `out`.
void split_piece(Piece&& piece, const Pattern& pattern, SplitBehavior behavior, bool invert,
                 std::vector<Piece>& out);

std::unique_ptr<Normalizer> make_normalizer(const JsonRef& node);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonRef& node);
std::unique_ptr<Model> make_bpe_model(const JsonRef& node);
std::unique_ptr<Model> make_wordpiece_model(const JsonRef& node);
std::unique_ptr<Model> make_unigram_model(const JsonRef& node);
std::unique_ptr<Model> make_wordlevel_model(const JsonRef& node);
std::unique_ptr<PostProcessor> make_post_processor(const JsonRef& node);
std::unique_ptr<Decoder> make_decoder(const JsonRef& node);

// GPT-2 byte <-> printable character mapping used by ByteLevel.
const std::string& byte_to_unicode(uint8_t b);
// Byte for a mapped code point, or -1.
int unicode_to_byte(char32_t c);

std::string replace_all_literal(std::string_view s, std::string_view from, std::string_view to);

}  // namespace rmlx::tokenizer
