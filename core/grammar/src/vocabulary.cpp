#include "rmlx/grammar/vocabulary.h"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace rmlx::grammar {
namespace {

// Characters in s when it is plain string content, else nothing.
std::optional<std::size_t> plain_chars(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 1;
    if (c < 0x20 || c == '"' || c == '\\') return std::nullopt;
    if (c >= 0x80) {
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
      } else {
        return std::nullopt;
      }
      if (i + len > s.size()) return std::nullopt;
      for (std::size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return std::nullopt;
    }
    i += len;
    ++chars;
  }
  return chars;
}

Vocabulary::Trie build_trie(const std::vector<std::string>& bytes, std::vector<std::int32_t> ids) {
  std::sort(ids.begin(), ids.end(), [&](std::int32_t a, std::int32_t b) {
    const auto& x = bytes[static_cast<std::size_t>(a)];
    const auto& y = bytes[static_cast<std::size_t>(b)];
    return x != y ? x < y : a < b;
  });
  Vocabulary::Trie t;
  std::vector<std::uint32_t> path;  // node index at each depth - 1
  const std::string* prev = nullptr;
  for (const std::int32_t id : ids) {
    const std::string& s = bytes[static_cast<std::size_t>(id)];
    std::size_t lcp = 0;
    if (prev != nullptr)
      while (lcp < prev->size() && lcp < s.size() && (*prev)[lcp] == s[lcp]) ++lcp;
    while (path.size() > lcp) {
      t.nodes[path.back()].skip = static_cast<std::uint32_t>(t.nodes.size());
      path.pop_back();
    }
    for (std::size_t d = lcp; d < s.size(); ++d) {
      const auto at = static_cast<std::uint32_t>(t.tokens.size());
      t.nodes.push_back(
          {0, at, at, static_cast<std::uint16_t>(d + 1), static_cast<std::uint8_t>(s[d])});
      path.push_back(static_cast<std::uint32_t>(t.nodes.size() - 1));
    }
    t.tokens.push_back(id);
    ++t.nodes[path.back()].token_end;
    t.max_depth = std::max(t.max_depth, s.size());
    prev = &s;
  }
  for (auto n : path) t.nodes[n].skip = static_cast<std::uint32_t>(t.nodes.size());
  return t;
}

}  // namespace

std::shared_ptr<const Vocabulary> Vocabulary::build(std::vector<std::string> token_bytes,
                                                    std::vector<std::int32_t> eos_ids) {
  std::shared_ptr<Vocabulary> v(new Vocabulary());
  const std::size_t n = token_bytes.size();
  for (auto id : eos_ids)
    if (id < 0 || static_cast<std::size_t>(id) >= n)
      throw std::invalid_argument("grammar vocabulary: eos id " + std::to_string(id) +
                                  " outside the vocabulary of " + std::to_string(n));
  for (const auto& b : token_bytes)
    if (b.size() > 0xFFFF)
      throw std::invalid_argument("grammar vocabulary: a token is longer than 65535 bytes");
  v->bytes_ = std::move(token_bytes);
  v->eos_ = std::move(eos_ids);

  std::vector<std::int32_t> all, special;
  std::vector<std::size_t> chars(n, 0);
  std::size_t longest = 0;
  for (std::size_t id = 0; id < n; ++id) {
    if (v->bytes_[id].empty()) continue;
    all.push_back(static_cast<std::int32_t>(id));
    if (const auto c = plain_chars(v->bytes_[id])) {
      chars[id] = *c;
      longest = std::max(longest, *c);
    } else {
      special.push_back(static_cast<std::int32_t>(id));
    }
  }
  v->all_ = build_trie(v->bytes_, std::move(all));
  v->special_ = build_trie(v->bytes_, std::move(special));

  v->plain_.assign(longest + 1, TokenMask(n));
  for (std::size_t id = 0; id < n; ++id)
    if (chars[id] > 0) v->plain_[chars[id]].set(id);
  for (std::size_t c = 1; c <= longest; ++c) {
    auto dst = v->plain_[c].words();
    const auto src = v->plain_[c - 1].words();
    for (std::size_t w = 0; w < dst.size(); ++w) dst[w] |= src[w];
  }
  return v;
}

bool Vocabulary::is_eos(std::int32_t id) const {
  return std::find(eos_.begin(), eos_.end(), id) != eos_.end();
}

const TokenMask& Vocabulary::plain_up_to(std::size_t chars) const {
  return plain_[std::min(chars, plain_.size() - 1)];
}

}  // namespace rmlx::grammar
