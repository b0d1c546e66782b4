#include "added_vocabulary.h"

#include <algorithm>

#include "unicode.h"

namespace rmlx::tokenizer {
namespace {

bool is_word_char(char32_t c) {
  return c == '_' || unicode::is_alphanumeric(c);
}

char32_t last_char(std::string_view s) {
  size_t b = s.size() - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  return unicode::next_char(s, b);
}

}  // namespace

void AddedVocabulary::add(AddedToken token) {
  if (token.content.empty() || by_content_.count(token.content) != 0) return;
  const size_t idx = tokens_.size();
  by_id_.emplace(token.id, idx);
  by_content_.emplace(token.content, idx);
  tokens_.push_back(std::move(token));
}

void AddedVocabulary::build(const Normalizer* normalizer) {
  raw_ = Matcher{};
  normalized_ = Matcher{};
  for (AddedToken& t : tokens_) {
    t.decoded = t.content;
    if (t.normalized && normalizer != nullptr) normalizer->normalize(t.decoded);
  }
  // Special tokens take precedence over plain added tokens with the same content.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const AddedToken& t = tokens_[i];
      if (t.special != (pass == 0)) continue;
      if (!t.normalized) {
        raw_.insert(t.content, i);
      } else {
        std::string c = t.content;
        if (normalizer != nullptr) normalizer->normalize(c);
        if (!c.empty()) normalized_.insert(c, i);
      }
    }
  }
}

void AddedVocabulary::Matcher::insert(std::string_view pattern, size_t token_index) {
  int32_t node = 0;
  first_[static_cast<unsigned char>(pattern[0])] = true;
  for (unsigned char c : pattern) {
    auto& next = nodes_[static_cast<size_t>(node)].next;
    const auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(c, INT32_MIN));
    if (it != next.end() && it->first == c) {
      node = it->second;
    } else {
      const auto child = static_cast<int32_t>(nodes_.size());
      next.insert(it, {c, child});
      nodes_.emplace_back();
      node = child;
    }
  }
  if (nodes_[static_cast<size_t>(node)].token < 0)
    nodes_[static_cast<size_t>(node)].token = static_cast<int32_t>(token_index);
}

size_t AddedVocabulary::Matcher::longest_at(std::string_view text, size_t pos,
                                            size_t& token_index) const {
  size_t best = 0;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto& next = nodes_[static_cast<size_t>(node)].next;
    const auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(c, INT32_MIN));
    if (it == next.end() || it->first != c) break;
    node = it->second;
    if (nodes_[static_cast<size_t>(node)].token >= 0) {
      best = i + 1 - pos;
      token_index = static_cast<size_t>(nodes_[static_cast<size_t>(node)].token);
    }
  }
  return best;
}

void AddedVocabulary::split(std::string_view text, bool at_start, const Matcher& matcher,
                            std::vector<Segment>& out) const {
  size_t offset = 0;  // end of the last emitted split
  size_t pos = 0;
  while (!matcher.empty() && pos < text.size()) {
    if (!matcher.may_start(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      continue;
    }
    size_t ti = 0;
    const size_t len = matcher.longest_at(text, pos, ti);
    if (len == 0) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + len;
    pos = stop;
    const AddedToken& t = tokens_[ti];
    if (start < offset) continue;
    if (t.single_word) {
      const bool start_ok = start == 0 || !is_word_char(last_char(text.substr(0, start)));
      size_t p = stop;
      const bool stop_ok = stop == text.size() || !is_word_char(unicode::next_char(text, p));
      if (!start_ok || !stop_ok) continue;
    }
    if (t.lstrip) {
      size_t s = start;
      while (s > offset) {
        size_t b = s - 1;
        while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
        size_t q = b;
        if (!unicode::is_whitespace(unicode::next_char(text, q))) break;
        s = b;
      }
      start = s;
    }
    if (t.rstrip) {
      while (stop < text.size()) {
        size_t q = stop;
        if (!unicode::is_whitespace(unicode::next_char(text, q))) break;
        stop = q;
      }
      pos = stop;
    }
    if (offset < start)
      out.push_back(
          {-1, std::string(text.substr(offset, start - offset)), at_start && offset == 0});
    out.push_back({t.id, {}, false});
    offset = stop;
  }
  if (offset < text.size())
    out.push_back({-1, std::string(text.substr(offset)), at_start && offset == 0});
}

void AddedVocabulary::extract_and_normalize(std::string_view text, const Normalizer* normalizer,
                                            std::vector<Segment>& out) const {
  std::vector<Segment> first;
  split(text, true, raw_, first);
  for (auto& seg : first) {
    if (seg.id >= 0) {
      out.push_back(std::move(seg));
      continue;
    }
    if (normalizer != nullptr) normalizer->normalize(seg.text);
    if (seg.text.empty()) continue;
    if (normalized_.empty()) {
      out.push_back(std::move(seg));
    } else {
      split(seg.text, seg.at_start, normalized_, out);
    }
  }
}

}  // namespace rmlx::tokenizer
