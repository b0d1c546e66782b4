#include <array>
#include <utility>

#include "components.h"
#include "unicode.h"

namespace rmlx::tokenizer {
namespace {

// GPT-2's split expression, used by ByteLevel when use_regex is true.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct ByteTable {
  std::array<std::string, 256> to_unicode;
  std::array<int16_t, 324> to_byte{};
  ByteTable() {
    to_byte.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      unicode::append_utf8(to_unicode[static_cast<size_t>(b)], cp);
      to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const ByteTable& byte_table() {
  static const ByteTable table;
  return table;
}

void run_split(std::vector<Piece>& pieces, const Pattern& p, SplitBehavior b, bool invert) {
  std::vector<Piece> out;
  out.reserve(pieces.size() * 2);
  for (auto& piece : pieces) split_piece(std::move(piece), p, b, invert, out);
  pieces = std::move(out);
}

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex, const std::string& where)
      : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_.emplace(Pattern::from_json(JsonRef(regex_json(), where, "pattern")));
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    if (add_prefix_space_) {
      for (auto& p : pieces) {
        if (p.text.empty() || p.text[0] != ' ') p.text = " " + p.text;
      }
    }
    if (regex_) run_split(pieces, *regex_, SplitBehavior::Isolated, false);
    const auto& table = byte_table();
    for (auto& p : pieces) {
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (unsigned char c : p.text) mapped += table.to_unicode[c];
      p.text = std::move(mapped);
    }
  }

 private:
  static const nlohmann::json& regex_json() {
    static const nlohmann::json j = {{"Regex", std::string(kGpt2Pattern)}};
    return j;
  }
  bool add_prefix_space_;
  std::optional<Pattern> regex_;
};

class Split final : public PreTokenizer {
 public:
  Split(Pattern p, SplitBehavior b, bool invert)
      : pattern_(std::move(p)), behavior_(b), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    run_split(pieces, pattern_, behavior_, invert_);
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

enum class PrependScheme { Always, First, Never };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(std::string replacement, PrependScheme scheme, bool split)
      : rep_(std::move(replacement)), scheme_(scheme), split_(split) {
    size_t pos = 0;
    const char32_t rc = unicode::next_char(rep_, pos);
    pattern_ = Pattern::from_predicate([rc](char32_t c) { return c == rc; });
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (auto& p : pieces) {
      if (p.text.find(' ') != std::string::npos) p.text = replace_all_literal(p.text, " ", rep_);
      const bool starts = p.text.compare(0, rep_.size(), rep_) == 0;
      if (!starts &&
          (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && p.at_start))) {
        p.text = rep_ + p.text;
      }
    }
    if (split_) run_split(pieces, pattern_, SplitBehavior::MergedWithNext, false);
  }

 private:
  std::string rep_;
  PrependScheme scheme_;
  bool split_;
  Pattern pattern_;
};

class PredicateSplit final : public PreTokenizer {
 public:
  PredicateSplit(std::function<bool(char32_t)> pred, SplitBehavior b)
      : pattern_(Pattern::from_predicate(std::move(pred))), behavior_(b) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    run_split(pieces, pattern_, behavior_, false);
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
};

class BertPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    run_split(pieces, ws_, SplitBehavior::Removed, false);
    run_split(pieces, punct_, SplitBehavior::Isolated, false);
  }

 private:
  Pattern ws_ = Pattern::from_predicate(unicode::is_whitespace);
  Pattern punct_ = Pattern::from_predicate(unicode::is_punctuation);
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> items)
      : items_(std::move(items)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : items_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

std::string single_char(const JsonRef& node) {
  const std::string s = node.str();
  if (s.empty() || unicode::char_len(static_cast<unsigned char>(s[0])) != s.size()) {
    node.fail("a single character");
  }
  return s;
}

}  // namespace

const std::string& byte_to_unicode(uint8_t b) {
  return byte_table().to_unicode[b];
}
int unicode_to_byte(char32_t c) {
  return c < 324 ? byte_table().to_byte[c] : -1;
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonRef& node) {
  node.object();
  const std::string type = node.at("type").str();
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevel>(node.bool_or("add_prefix_space", true),
                                       node.bool_or("use_regex", true),
                                       node.file() + ": field '" + node.path() + "'");
  }
  if (type == "Split") {
    return std::make_unique<Split>(Pattern::from_json(node.at("pattern")),
                                   parse_split_behavior(node.at("behavior")),
                                   node.bool_or("invert", false));
  }
  if (type == "Metaspace") {
    PrependScheme scheme = PrependScheme::Always;
    if (node.has("prepend_scheme")) {
      const JsonRef ps = node.at("prepend_scheme");
      const std::string s = ps.str();
      if (s == "always") {
        scheme = PrependScheme::Always;
      } else if (s == "first") {
        scheme = PrependScheme::First;
      } else if (s == "never") {
        scheme = PrependScheme::Never;
      } else {
        ps.fail("one of \"always\", \"first\", \"never\"");
      }
    } else if (node.has("add_prefix_space")) {
      scheme = node.at("add_prefix_space").boolean() ? PrependScheme::Always : PrependScheme::Never;
    }
    const std::string rep =
        node.has("replacement") ? single_char(node.at("replacement")) : "\u2581";
    return std::make_unique<Metaspace>(rep, scheme, node.bool_or("split", true));
  }
  if (type == "Digits") {
    const bool individual = node.bool_or("individual_digits", false);
    return std::make_unique<PredicateSplit>(
        unicode::is_numeric, individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
  }
  if (type == "Whitespace") {
    static const nlohmann::json re = {
        {"Regex",
         R"([\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\x{200C}\x{200D}]+|[^\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\x{200C}\x{200D}\s]+)"}};
    return std::make_unique<Split>(
        Pattern::from_json(JsonRef(re, node.file(), node.path() + ".pattern")),
        SplitBehavior::Removed, true);
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<PredicateSplit>(unicode::is_whitespace, SplitBehavior::Removed);
  }
  if (type == "CharDelimiterSplit") {
    const std::string d = single_char(node.at("delimiter"));
    size_t pos = 0;
    const char32_t dc = unicode::next_char(d, pos);
    return std::make_unique<PredicateSplit>([dc](char32_t c) { return c == dc; },
                                            SplitBehavior::Removed);
  }
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "Punctuation") {
    const SplitBehavior b =
        node.has("behavior") ? parse_split_behavior(node.at("behavior")) : SplitBehavior::Isolated;
    return std::make_unique<PredicateSplit>(unicode::is_punctuation, b);
  }
  if (type == "Sequence") {
    const JsonRef list = node.at("pretokenizers").array();
    std::vector<std::unique_ptr<PreTokenizer>> items;
    for (size_t i = 0; i < list.size(); ++i) items.push_back(make_pre_tokenizer(list.item(i)));
    return std::make_unique<SequencePreTokenizer>(std::move(items));
  }
  node.at("type").fail(
      "a supported pre_tokenizer type (ByteLevel, Split, Metaspace, Digits, Whitespace, "
      "WhitespaceSplit, "
      "CharDelimiterSplit, BertPreTokenizer, Punctuation, Sequence), got \"" +
      type + "\"");
}

}  // namespace rmlx::tokenizer
