// Hugging Face compatible tokenizer: loads tokenizer.json (+ tokenizer_config.json) and encodes /
// decodes exactly as the `tokenizers` library does.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rmlx::tokenizer {

// Every loading or decoding failure; the message is one line naming the file, the JSON field and
// what was expected.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TokenizerImpl;

class Tokenizer {
 public:
  static Tokenizer from_file(const std::string& tokenizer_json_path,
                             const std::string& tokenizer_config_path = "");
  // Reads tokenizer.json and, when present, tokenizer_config.json from `model_dir`.
  static Tokenizer from_dir(const std::string& model_dir);
  // Parses tokenizer.json text already in memory; `origin` names it in error messages.
  static Tokenizer from_json(std::string_view tokenizer_json, std::string_view config_json = "",
                             const std::string& origin = "tokenizer.json");

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Text that is not valid UTF-8 is first repaired (invalid bytes become U+FFFD).
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = true) const;
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // Empty string for an unknown id.
  std::string id_to_token(int32_t id) const;
  // Number of distinct tokens, added tokens included (HF get_vocab_size(with_added_tokens=True)).
  size_t vocab_size() const;
  // For grammar-constrained decoding: entry id holds the exact bytes token id adds to the text
  // in the middle of a sequence (byte-level symbols and <0xXX> tokens become raw bytes, metaspace
  // becomes a space); empty for special tokens and unused ids. Size: highest id + 1.
  std::vector<std::string> token_bytes() const;
  bool is_special(int32_t id) const;

  // From tokenizer_config.json (absent fields stay empty / false).
  const std::optional<std::string>& bos_token() const;
  const std::optional<std::string>& eos_token() const;
  std::optional<int32_t> bos_token_id() const;
  std::optional<int32_t> eos_token_id() const;
  bool add_bos_token() const;
  bool add_eos_token() const;
  // tokenizer_config.json's clean_up_tokenization_spaces (transformers applies
  // clean_up_tokenization() after decoding when it is true).
  bool clean_up_tokenization_spaces() const;

 private:
  explicit Tokenizer(std::unique_ptr<TokenizerImpl> impl);
  static Tokenizer from_json_impl(std::string_view tokenizer_json, const std::string& origin,
                                  std::string_view config_json, const std::string& config_origin);
  std::unique_ptr<TokenizerImpl> impl_;
};

// transformers' clean_up_tokenization: removes the space before . ? ! , and English contractions.
std::string clean_up_tokenization(std::string_view text);

// Incremental detokenizer for generation: feed ids one at a time; each call returns the text
// that became final (always complete UTF-8). The concatenation of every returned piece plus
// flush() equals tokenizer.decode(all ids).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false);
  std::string step(int32_t id);
  // Emits whatever is still held back (e.g. an incomplete byte sequence, as U+FFFD).
  std::string flush();
  void reset();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::vector<int32_t> ids_;
  std::string prefix_;
  size_t prefix_index_ = 0;
};

}  // namespace rmlx::tokenizer
