#include <utility>

#include "components.h"

namespace rmlx::tokenizer {
namespace {

// Identity on ids (ByteLevel only adjusts offsets).
class PassThrough final : public PostProcessor {
 public:
  void process(std::vector<int32_t>&, bool) const override {}
};

// Inserts fixed id runs around the sequence: `before` + ids + `after`.
class Wrap final : public PostProcessor {
 public:
  Wrap(std::vector<int32_t> before, std::vector<int32_t> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  void process(std::vector<int32_t>& ids, bool add_special_tokens) const override {
    if (!add_special_tokens) return;
    std::vector<int32_t> out;
    out.reserve(before_.size() + ids.size() + after_.size());
    out.insert(out.end(), before_.begin(), before_.end());
    out.insert(out.end(), ids.begin(), ids.end());
    out.insert(out.end(), after_.begin(), after_.end());
    ids = std::move(out);
  }

 private:
  std::vector<int32_t> before_, after_;
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> items)
      : items_(std::move(items)) {}
  void process(std::vector<int32_t>& ids, bool add_special_tokens) const override {
    for (const auto& p : items_) p->process(ids, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> items_;
};

// ["[CLS]", 101] as used by BertProcessing / RobertaProcessing.
int32_t token_pair_id(const JsonRef& node) {
  if (!node.raw().is_array() || node.size() != 2) node.fail("a [token, id] pair");
  node.item(0).str();
  return node.item(1).id();
}

std::unique_ptr<PostProcessor> make_template(const JsonRef& node) {
  const JsonRef specials = node.has("special_tokens") ? node.at("special_tokens").object() : node;
  auto special_ids = [&](const std::string& name, const JsonRef& where) {
    if (!node.has("special_tokens") || !specials.raw().contains(name)) {
      where.fail("a special token listed in special_tokens (\"" + name + "\" is not)");
    }
    const JsonRef entry = specials.at(name.c_str()).object();
    const JsonRef ids = entry.at("ids").array();
    std::vector<int32_t> out;
    for (size_t i = 0; i < ids.size(); ++i) out.push_back(ids.item(i).id());
    return out;
  };
  const JsonRef single = node.at("single");
  std::vector<int32_t> before, after;
  bool seen_seq = false;
  auto add_special = [&](const std::string& name, const JsonRef& where) {
    auto ids = special_ids(name, where);
    auto& dst = seen_seq ? after : before;
    dst.insert(dst.end(), ids.begin(), ids.end());
  };
  if (single.raw().is_string()) {
    // "[CLS] $A [SEP]" (pieces may carry a ":type_id" suffix).
    const std::string s = single.str();
    size_t pos = 0;
    while (pos < s.size()) {
      const size_t sp = s.find(' ', pos);
      std::string piece = s.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
      pos = sp == std::string::npos ? s.size() : sp + 1;
      if (piece.empty()) continue;
      const size_t colon = piece.rfind(':');
      if (colon != std::string::npos && colon > 0) piece.resize(colon);
      if (piece == "$A" || piece == "$" || piece == "$0") {
        seen_seq = true;
      } else if (piece[0] == '$') {
        single.fail("a template for a single sequence ($A only), got \"" + piece + "\"");
      } else {
        add_special(piece, single);
      }
    }
  } else {
    single.array();
    for (size_t i = 0; i < single.size(); ++i) {
      const JsonRef item = single.item(i).object();
      if (item.has("Sequence")) {
        seen_seq = true;
      } else if (item.has("SpecialToken")) {
        const JsonRef st = item.at("SpecialToken").object();
        add_special(st.at("id").str(), st.at("id"));
      } else {
        item.fail("{\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
    }
  }
  if (!seen_seq) single.fail("a template that contains the sequence ($A)");
  return std::make_unique<Wrap>(std::move(before), std::move(after));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const JsonRef& node) {
  node.object();
  const std::string type = node.at("type").str();
  if (type == "ByteLevel") return std::make_unique<PassThrough>();
  if (type == "TemplateProcessing") return make_template(node);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const int32_t cls = token_pair_id(node.at("cls"));
    const int32_t sep = token_pair_id(node.at("sep"));
    return std::make_unique<Wrap>(std::vector<int32_t>{cls}, std::vector<int32_t>{sep});
  }
  if (type == "Sequence") {
    const JsonRef list = node.at("processors").array();
    std::vector<std::unique_ptr<PostProcessor>> items;
    for (size_t i = 0; i < list.size(); ++i) items.push_back(make_post_processor(list.item(i)));
    return std::make_unique<SequenceProcessor>(std::move(items));
  }
  node.at("type").fail(
      "a supported post_processor type (TemplateProcessing, ByteLevel, BertProcessing, "
      "RobertaProcessing, "
      "Sequence), got \"" +
      type + "\"");
}

}  // namespace rmlx::tokenizer
