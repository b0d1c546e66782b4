#include <utility>

#include "components.h"
#include "unicode.h"

namespace rmlx::tokenizer {
namespace {

class UnicodeForm final : public Normalizer {
 public:
  explicit UnicodeForm(unicode::Form f) : form_(f) {}
  void normalize(std::string& s) const override { s = unicode::normalize(s, form_); }

 private:
  unicode::Form form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& s) const override { s = unicode::lowercase(s); }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& s) const override {
    size_t b = 0, e = s.size();
    if (left_) {
      while (b < e) {
        size_t p = b;
        if (!unicode::is_whitespace(unicode::next_char(s, p))) break;
        b = p;
      }
    }
    if (right_) {
      while (e > b) {
        size_t start = e - 1;
        while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
        size_t p = start;
        if (!unicode::is_whitespace(unicode::next_char(s, p))) break;
        e = start;
      }
    }
    s = s.substr(b, e - b);
  }

 private:
  bool left_, right_;
};

// BertNormalizer strips only nonspacing marks (Mn); StripAccents strips every mark (M*).
void remove_marks(std::string& s, bool all_marks) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    const size_t b = pos;
    const char32_t c = unicode::next_char(s, pos);
    if (c >= 0x300) {
      const unicode::Category g = unicode::category(c);
      if (g == unicode::Category::Mn || (all_marks && unicode::is_mark(g))) continue;
    }
    out.append(s, b, pos - b);
  }
  s = std::move(out);
}

class StripAccents final : public Normalizer {
 public:
  void normalize(std::string& s) const override { remove_marks(s, true); }
};

class Replace final : public Normalizer {
 public:
  Replace(Pattern p, std::string content) : pattern_(std::move(p)), content_(std::move(content)) {}
  void normalize(std::string& s) const override { s = pattern_.replace_all(s, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void normalize(std::string& s) const override {
    if (!s.empty()) s = prepend_ + s;
  }

 private:
  std::string prepend_;
};

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean, bool chinese, bool strip_accents, bool lowercase)
      : clean_(clean), chinese_(chinese), strip_(strip_accents), lower_(lowercase) {}
  void normalize(std::string& s) const override {
    if (clean_ || chinese_) {
      std::string out;
      out.reserve(s.size());
      for (size_t pos = 0; pos < s.size();) {
        const size_t b = pos;
        const char32_t c = unicode::next_char(s, pos);
        if (clean_) {
          const bool ws = c == '\t' || c == '\n' || c == '\r' || unicode::is_whitespace(c);
          if (c == 0 || c == 0xFFFD || (!ws && unicode::is_other(c))) continue;
          if (ws) {
            out.push_back(' ');
            continue;
          }
        }
        if (chinese_ && is_chinese(c)) {
          out.push_back(' ');
          out.append(s, b, pos - b);
          out.push_back(' ');
          continue;
        }
        out.append(s, b, pos - b);
      }
      s = std::move(out);
    }
    if (strip_) {
      s = unicode::normalize(s, unicode::Form::NFD);
      remove_marks(s, false);
    }
    if (lower_) s = unicode::lowercase(s);
  }

 private:
  static bool is_chinese(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
  }
  bool clean_, chinese_, strip_, lower_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> n) : items_(std::move(n)) {}
  void normalize(std::string& s) const override {
    for (const auto& n : items_) n->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const JsonRef& node) {
  node.object();
  const std::string type = node.at("type").str();
  if (type == "NFC") return std::make_unique<UnicodeForm>(unicode::Form::NFC);
  if (type == "NFD") return std::make_unique<UnicodeForm>(unicode::Form::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(unicode::Form::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(unicode::Form::NFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Strip") {
    return std::make_unique<Strip>(node.bool_or("strip_left", true),
                                   node.bool_or("strip_right", true));
  }
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Replace") {
    return std::make_unique<Replace>(Pattern::from_json(node.at("pattern")),
                                     node.at("content").str());
  }
  if (type == "Prepend") return std::make_unique<Prepend>(node.at("prepend").str());
  if (type == "BertNormalizer") {
    const bool lower = node.bool_or("lowercase", true);
    const bool strip = node.has("strip_accents") ? node.at("strip_accents").boolean() : lower;
    return std::make_unique<BertNormalizer>(
        node.bool_or("clean_text", true), node.bool_or("handle_chinese_chars", true), strip, lower);
  }
  if (type == "Sequence") {
    const JsonRef list = node.at("normalizers").array();
    std::vector<std::unique_ptr<Normalizer>> items;
    for (size_t i = 0; i < list.size(); ++i) items.push_back(make_normalizer(list.item(i)));
    return std::make_unique<SequenceNormalizer>(std::move(items));
  }
  node.at("type").fail(
      "a supported normalizer type (NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, "
      "Prepend, BertNormalizer, Sequence), got \"" +
      type + "\"");
}

}  // namespace rmlx::tokenizer
