#include <algorithm>
#include <utility>

#include "components.h"
#include "unicode.h"

namespace rmlx::tokenizer {

Pattern Pattern::from_json(const JsonRef& node) {
  node.object();
  Pattern p;
  if (node.has("String")) {
    p.literal_ = node.at("String").str();
    if (p.literal_.empty()) node.at("String").fail("a non-empty string");
  } else if (node.has("Regex")) {
    const JsonRef r = node.at("Regex");
    p.regex_ = std::make_shared<const Regex>(r.str(), r.file() + ": field '" + r.path() + "'");
  } else {
    node.fail("{\"String\": ...} or {\"Regex\": ...}");
  }
  return p;
}

Pattern Pattern::from_predicate(std::function<bool(char32_t)> pred) {
  Pattern p;
  p.pred_ = std::move(pred);
  return p;
}

Pattern Pattern::from_literal(std::string literal) {
  Pattern p;
  p.literal_ = std::move(literal);
  return p;
}

void Pattern::find(std::string_view text, std::vector<Span>& out) const {
  if (regex_) {
    regex_->find_all(text, out);
  } else if (pred_) {
    for (size_t pos = 0; pos < text.size();) {
      const size_t b = pos;
      if (pred_(unicode::next_char(text, pos))) out.emplace_back(b, pos);
    }
  } else {
    for (size_t pos = text.find(literal_); pos != std::string_view::npos;
         pos = text.find(literal_, pos + literal_.size())) {
      out.emplace_back(pos, pos + literal_.size());
    }
  }
}

std::string Pattern::replace_all(std::string_view text, std::string_view content) const {
  std::vector<Span> m;
  find(text, m);
  if (m.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size() + m.size() * content.size());
  size_t prev = 0;
  for (const auto& [b, e] : m) {
    out.append(text.substr(prev, b - prev));
    out.append(content);
    prev = e;
  }
  out.append(text.substr(prev));
  return out;
}

std::string replace_all_literal(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  size_t prev = 0;
  for (size_t pos = s.find(from); pos != std::string_view::npos; pos = s.find(from, prev)) {
    out.append(s.substr(prev, pos - prev));
    out.append(to);
    prev = pos + from.size();
  }
  out.append(s.substr(prev));
  return out;
}

SplitBehavior parse_split_behavior(const JsonRef& node) {
  const std::string b = node.str();
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  node.fail("one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
}

void split_piece(Piece&& piece, const Pattern& pattern, SplitBehavior behavior, bool invert,
                 std::vector<Piece>& out) {
  const std::string& text = piece.text;
  if (text.empty()) return;
  std::vector<Span> found;
  pattern.find(text, found);
  if (found.empty() && !invert) {
    out.push_back(std::move(piece));
    return;
  }
  // Segments covering the whole text, each flagged as a match or not.
  struct Seg {
    size_t b, e;
    bool match;
  };
  std::vector<Seg> segs;
  segs.reserve(found.size() * 2 + 1);
  size_t prev = 0;
  for (const auto& [b, e] : found) {
    if (prev != b) segs.push_back({prev, b, false});
    segs.push_back({b, e, true});
    prev = e;
  }
  if (prev != text.size()) segs.push_back({prev, text.size(), false});
  if (invert) {
    for (auto& s : segs) s.match = !s.match;
  }
  // Resulting spans and whether each is removed.
  std::vector<Seg> res;
  res.reserve(segs.size());
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const auto& s : segs) res.push_back({s.b, s.e, false});
      break;
    case SplitBehavior::Removed:
      res = segs;
      break;
    case SplitBehavior::Contiguous: {
      bool prev_match = false;
      for (const auto& s : segs) {
        if (s.match == prev_match && !res.empty()) {
          res.back().e = s.e;
        } else {
          res.push_back({s.b, s.e, false});
        }
        prev_match = s.match;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool prev_match = false;
      for (const auto& s : segs) {
        if (s.match && !prev_match && !res.empty()) {
          res.back().e = s.e;
        } else {
          res.push_back({s.b, s.e, false});
        }
        prev_match = s.match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool prev_match = false;
      for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
        if (it->match && !prev_match && !res.empty()) {
          res.back().b = it->b;
        } else {
          res.push_back({it->b, it->e, false});
        }
        prev_match = it->match;
      }
      std::reverse(res.begin(), res.end());
      break;
    }
  }
  for (const auto& s : res) {
    if (s.match || s.e == s.b) continue;
    out.push_back(Piece{text.substr(s.b, s.e - s.b), piece.at_start && s.b == 0});
  }
}

}  // namespace rmlx::tokenizer
