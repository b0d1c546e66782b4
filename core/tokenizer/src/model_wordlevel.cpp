// WordLevel: each pre-token is one vocabulary entry, or the unknown token.
#include "components.h"
#include "vocab.h"

namespace rmlx::tokenizer {
namespace {

class WordLevel final : public Model {
 public:
  explicit WordLevel(const JsonRef& node) {
    vocab_ = Vocab::from_object(node.at("vocab"));
    unk_ = node.str_or("unk_token", "<unk>");
  }
  void tokenize(std::string_view word, std::vector<int32_t>& out) const override {
    if (const auto id = vocab_.find(word)) {
      out.push_back(*id);
    } else if (const auto unk = vocab_.find(unk_)) {
      out.push_back(*unk);
    } else {
      throw Error("WordLevel model: unk_token \"" + unk_ + "\" is not in the vocabulary");
    }
  }
  std::optional<int32_t> token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  void for_each_token(const std::function<void(const std::string&, int32_t)>& fn) const override {
    for (const auto& [t, id] : vocab_.map()) fn(t, id);
  }

 private:
  Vocab vocab_;
  std::string unk_;
};

}  // namespace

std::unique_ptr<Model> make_wordlevel_model(const JsonRef& node) {
  return std::make_unique<WordLevel>(node);
}

}  // namespace rmlx::tokenizer
