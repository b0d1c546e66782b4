// WordPiece (BERT): greedy longest-match-first with a continuation prefix.
#include <algorithm>

#include "components.h"
#include "unicode.h"
#include "vocab.h"

namespace rmlx::tokenizer {
namespace {

class WordPiece final : public Model {
 public:
  explicit WordPiece(const JsonRef& node) {
    vocab_ = Vocab::from_object(node.at("vocab"));
    unk_ = node.str_or("unk_token", "[UNK]");
    prefix_ = node.str_or("continuing_subword_prefix", "##");
    max_chars_ =
        static_cast<size_t>(std::max<int64_t>(0, node.int_or("max_input_chars_per_word", 100)));
    for (const auto& [t, id] : vocab_.map())
      max_token_bytes_ = std::max(max_token_bytes_, t.size());
  }

  void tokenize(std::string_view word, std::vector<int32_t>& out) const override {
    size_t chars = 0;
    for (size_t i = 0; i < word.size(); i += unicode::char_len(static_cast<unsigned char>(word[i])))
      ++chars;
    if (chars > max_chars_) {
      out.push_back(unk_id());
      return;
    }
    const size_t before = out.size();
    std::string buf;
    for (size_t start = 0; start < word.size();) {
      const size_t limit = std::min(word.size(), start + max_token_bytes_);
      size_t end = limit;
      // Step back to a character boundary.
      while (end > start && end < word.size() &&
             (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80)
        --end;
      std::optional<int32_t> found;
      while (end > start) {
        std::string_view sub = word.substr(start, end - start);
        if (start > 0) {
          buf.assign(prefix_);
          buf.append(sub);
          sub = buf;
        }
        if ((found = vocab_.find(sub))) break;
        --end;
        while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
      }
      if (!found) {
        out.resize(before);
        out.push_back(unk_id());
        return;
      }
      out.push_back(*found);
      start = end;
    }
  }

  std::optional<int32_t> token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  void for_each_token(const std::function<void(const std::string&, int32_t)>& fn) const override {
    for (const auto& [t, id] : vocab_.map()) fn(t, id);
  }

 private:
  int32_t unk_id() const {
    const auto id = vocab_.find(unk_);
    if (!id) throw Error("WordPiece model: unk_token \"" + unk_ + "\" is not in the vocabulary");
    return *id;
  }
  Vocab vocab_;
  std::string unk_, prefix_;
  size_t max_chars_ = 100;
  size_t max_token_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece_model(const JsonRef& node) {
  return std::make_unique<WordPiece>(node);
}

}  // namespace rmlx::tokenizer
