#include <utility>

#include "components.h"
#include "unicode.h"

namespace rmlx::tokenizer {
namespace {

class ByteLevelDecoder final : public Decoder {
 public:
  void token_bytes(std::string& t) const override {
    std::string bytes;
    for (size_t pos = 0; pos < t.size();) {
      const int b = unicode_to_byte(unicode::next_char(t, pos));
      if (b < 0) return;  // not a byte-level token: its text is kept as is
      bytes.push_back(static_cast<char>(b));
    }
    t = std::move(bytes);
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      const size_t mark = bytes.size();
      bool all = true;
      for (size_t pos = 0; pos < t.size();) {
        const int b = unicode_to_byte(unicode::next_char(t, pos));
        if (b < 0) {
          all = false;
          break;
        }
        bytes.push_back(static_cast<char>(b));
      }
      if (!all) {
        bytes.resize(mark);
        bytes += t;
      }
    }
    tokens.assign(1, unicode::to_valid_utf8(bytes));
  }
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string rep, bool strip_first)
      : rep_(std::move(rep)), strip_first_(strip_first) {}
  void token_bytes(std::string& t) const override {
    if (t.find(rep_) != std::string::npos) t = replace_all_literal(t, rep_, " ");
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].find(rep_) == std::string::npos) continue;
      tokens[i] = replace_all_literal(tokens[i], rep_, i == 0 && strip_first_ ? "" : " ");
    }
  }

 private:
  std::string rep_;
  bool strip_first_;
};

bool parse_byte_token(const std::string& t, uint8_t& out) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return false;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(t[3]), lo = hex(t[4]);
  if (hi < 0 || lo < 0) return false;
  out = static_cast<uint8_t>(hi * 16 + lo);
  return true;
}

class ByteFallbackDecoder final : public Decoder {
 public:
  void token_bytes(std::string& t) const override {
    uint8_t b = 0;
    if (parse_byte_token(t, b)) t.assign(1, static_cast<char>(b));
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string pending;
    size_t pending_count = 0;
    auto flush = [&] {
      if (pending_count == 0) return;
      if (unicode::valid_utf8_prefix(pending) == pending.size()) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending_count; ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
      pending_count = 0;
    };
    for (auto& t : tokens) {
      uint8_t b = 0;
      if (parse_byte_token(t, b)) {
        pending.push_back(static_cast<char>(b));
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void token_bytes(std::string&) const override {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  // Strip follows Fuse in real chains and so only trims the ends of the whole text.
  void token_bytes(std::string&) const override {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      size_t b = 0, e = t.size();
      for (size_t n = 0; n < start_ && t.compare(b, content_.size(), content_) == 0 && b < e; ++n)
        b += content_.size();
      for (size_t n = 0; n < stop_ && e >= b + content_.size() &&
                         t.compare(e - content_.size(), content_.size(), content_) == 0;
           ++n) {
        e -= content_.size();
      }
      t = t.substr(b, e - b);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(Pattern p, std::string content)
      : pattern_(std::move(p)), content_(std::move(content)) {}
  void token_bytes(std::string& t) const override { t = pattern_.replace_all(t, content_); }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) t = pattern_.replace_all(t, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

std::string cleanup(std::string s) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
      {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
      {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    if (s.find(from) != std::string::npos) s = replace_all_literal(s, from, to);
  }
  return s;
}

class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup)
      : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void token_bytes(std::string& t) const override {
    if (t.compare(0, prefix_.size(), prefix_) == 0) {
      t.erase(0, prefix_.size());
    } else {
      t = " " + t;
    }
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      auto& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0) {
          t.erase(0, prefix_.size());
        } else {
          t = " " + t;
        }
      }
      if (cleanup_) t = cleanup(std::move(t));
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void token_bytes(std::string& t) const override { t = replace_all_literal(t, suffix_, " "); }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replace_all_literal(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
    }
  }

 private:
  std::string suffix_;
};

class CtcDecoder final : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delim, bool cleanup)
      : pad_(std::move(pad)), delim_(std::move(delim)), cleanup_(cleanup) {}
  void token_bytes(std::string& t) const override {
    t = replace_all_literal(replace_all_literal(t, pad_, ""), delim_, " ");
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;
      std::string t = replace_all_literal(tokens[i], pad_, "");
      if (cleanup_) t = replace_all_literal(cleanup(std::move(t)), delim_, " ");
      if (!t.empty()) out.push_back(std::move(t));
    }
    tokens = std::move(out);
  }

 private:
  std::string pad_, delim_;
  bool cleanup_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> items)
      : items_(std::move(items)) {}
  void token_bytes(std::string& t) const override {
    for (const auto& d : items_) d->token_bytes(t);
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& d : items_) d->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> items_;
};

size_t count_field(const JsonRef& node, const char* key) {
  if (!node.has(key)) return 0;
  const int64_t v = node.at(key).integer();
  if (v < 0) node.at(key).fail("a non-negative integer");
  return static_cast<size_t>(v);
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const JsonRef& node) {
  node.object();
  const std::string type = node.at("type").str();
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    bool strip_first = true;
    if (node.has("prepend_scheme")) {
      strip_first = node.at("prepend_scheme").str() != "never";
    } else if (node.has("add_prefix_space")) {
      strip_first = node.at("add_prefix_space").boolean();
    }
    return std::make_unique<MetaspaceDecoder>(node.str_or("replacement", "\u2581"), strip_first);
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    const std::string content = node.at("content").str();
    if (content.empty() ||
        unicode::char_len(static_cast<unsigned char>(content[0])) != content.size()) {
      node.at("content").fail("a single character");
    }
    return std::make_unique<StripDecoder>(content, count_field(node, "start"),
                                          count_field(node, "stop"));
  }
  if (type == "Replace") {
    return std::make_unique<ReplaceDecoder>(Pattern::from_json(node.at("pattern")),
                                            node.at("content").str());
  }
  if (type == "WordPiece") {
    return std::make_unique<WordPieceDecoder>(node.str_or("prefix", "##"),
                                              node.bool_or("cleanup", true));
  }
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(node.str_or("suffix", "</w>"));
  if (type == "CTC") {
    return std::make_unique<CtcDecoder>(node.str_or("pad_token", "<pad>"),
                                        node.str_or("word_delimiter_token", "|"),
                                        node.bool_or("cleanup", true));
  }
  if (type == "Sequence") {
    const JsonRef list = node.at("decoders").array();
    std::vector<std::unique_ptr<Decoder>> items;
    for (size_t i = 0; i < list.size(); ++i) items.push_back(make_decoder(list.item(i)));
    return std::make_unique<SequenceDecoder>(std::move(items));
  }
  node.at("type").fail(
      "a supported decoder type (ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, "
      "WordPiece, "
      "BPEDecoder, CTC, Sequence), got \"" +
      type + "\"");
}

}  // namespace rmlx::tokenizer
