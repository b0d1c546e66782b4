// Byte-pair encoding as HF tokenizers' BPE model: merges applied by rank through a heap over a
// linked list of symbols (O(n log n) per word), with a bounded per-word cache.
#include <array>
#include <cstdio>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "components.h"
#include "unicode.h"
#include "vocab.h"

namespace rmlx::tokenizer {
namespace {

constexpr size_t kCacheCapacity = 16384;
constexpr size_t kCacheMaxWordBytes = 256;
constexpr char32_t kDirectChars = 0x3000;  // single-character ids looked up in a flat table

class Bpe final : public Model {
 public:
  explicit Bpe(const JsonRef& node) {
    vocab_ = Vocab::from_object(node.at("vocab"));
    if (node.has("unk_token")) unk_ = node.at("unk_token").str();
    prefix_ = node.str_or("continuing_subword_prefix", "");
    suffix_ = node.str_or("end_of_word_suffix", "");
    fuse_unk_ = node.bool_or("fuse_unk", false);
    byte_fallback_ = node.bool_or("byte_fallback", false);
    ignore_merges_ = node.bool_or("ignore_merges", false);
    if (node.has("dropout") && node.at("dropout").number() != 0.0) {
      node.at("dropout").fail("null (BPE dropout is not deterministic and is not supported)");
    }
    const JsonRef merges = node.at("merges").array();
    merges_.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) add_merge(merges, i);
    if (prefix_.empty() && suffix_.empty()) {
      direct_.assign(kDirectChars, -1);
      for (const auto& [tok, id] : vocab_.map()) {
        size_t pos = 0;
        if (tok.empty()) continue;
        const char32_t c = unicode::next_char(tok, pos);
        if (pos == tok.size() && c < kDirectChars) direct_[c] = id;
      }
    }
    for (int b = 0; b < 256 && byte_fallback_; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      byte_ids_[static_cast<size_t>(b)] = vocab_.find(name).value_or(-1);
    }
  }

  void tokenize(std::string_view word, std::vector<int32_t>& out) const override {
    if (word.empty()) return;
    if (ignore_merges_) {
      if (const auto id = vocab_.find(word)) {
        out.push_back(*id);
        return;
      }
    }
    const bool cacheable = word.size() < kCacheMaxWordBytes;
    if (cacheable) {
      std::lock_guard lock(cache_mutex_);
      const auto it = cache_.find(word);
      if (it != cache_.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const size_t before = out.size();
    merge_word(word, out);
    if (cacheable) {
      std::lock_guard lock(cache_mutex_);
      if (cache_.size() >= kCacheCapacity) cache_.clear();
      cache_.emplace(
          std::string(word),
          std::vector<int32_t>(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()));
    }
  }

  std::optional<int32_t> token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  void for_each_token(const std::function<void(const std::string&, int32_t)>& fn) const override {
    for (const auto& [t, id] : vocab_.map()) fn(t, id);
  }

 private:
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    uint32_t len;
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };

  void add_merge(const JsonRef& merges, size_t index) {
    const nlohmann::json& raw = merges.raw()[index];
    const auto rank = static_cast<int32_t>(index);
    // The field path is only built when the entry is malformed.
    auto m = [&] { return merges.item(index); };
    std::string a, b;
    if (raw.is_string()) {
      const std::string& s = raw.get_ref<const std::string&>();
      const size_t sp = s.find(' ', 1);
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) {
        m().fail("a merge \"left right\" with exactly one separating space");
      }
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (raw.is_array() && raw.size() == 2 && raw[0].is_string() && raw[1].is_string()) {
      a = raw[0].get<std::string>();
      b = raw[1].get<std::string>();
    } else {
      m().fail("a merge as \"left right\" or [\"left\", \"right\"]");
    }
    const auto ida = vocab_.find(a), idb = vocab_.find(b);
    if (!ida) m().fail("merge tokens present in model.vocab (\"" + a + "\" is not)");
    if (!idb) m().fail("merge tokens present in model.vocab (\"" + b + "\" is not)");
    const std::string merged =
        a + (b.size() >= prefix_.size() ? b.substr(prefix_.size()) : std::string());
    const auto idm = vocab_.find(merged);
    if (!idm) m().fail("a merge whose result is in model.vocab (\"" + merged + "\" is not)");
    merges_.insert_or_assign(*ida, *idb, {rank, *idm});
  }

  std::optional<int32_t> lookup_piece(std::string_view s) const {
    if (!direct_.empty()) {
      size_t pos = 0;
      const char32_t c = unicode::next_char(s, pos);
      if (c < kDirectChars) {
        const int32_t id = direct_[c];
        if (id < 0) return std::nullopt;
        return id;
      }
    }
    return vocab_.find(s);
  }

  void merge_word(std::string_view w, std::vector<int32_t>& out) const {
    std::vector<Symbol> sym;
    sym.reserve(w.size());
    auto add = [&](int32_t id, size_t len) {
      const auto n = static_cast<int32_t>(sym.size());
      sym.push_back({id, n - 1, n + 1, static_cast<uint32_t>(len)});
    };
    int32_t unk = -1;  // pending unknown run: id and byte length
    size_t unk_len = 0;
    std::string buf;
    for (size_t i = 0; i < w.size();) {
      const size_t clen = unicode::char_len(static_cast<unsigned char>(w[i]));
      const size_t end = i + clen;
      const bool first = i == 0, last = end == w.size();
      std::optional<int32_t> id;
      std::string_view piece = w.substr(i, clen);
      if ((!first && !prefix_.empty()) || (last && !suffix_.empty())) {
        buf.clear();
        if (!first) buf += prefix_;
        buf += piece;
        if (last) buf += suffix_;
        piece = buf;
        id = vocab_.find(piece);
      } else {
        id = lookup_piece(piece);
      }
      i = end;
      if (id) {
        if (unk >= 0) {
          add(unk, unk_len);
          unk = -1;
        }
        add(*id, clen);
        continue;
      }
      if (byte_fallback_) {
        bool all = true;
        for (unsigned char c : piece) all = all && byte_ids_[c] >= 0;
        if (all) {
          for (unsigned char c : piece) add(byte_ids_[c], 1);
          continue;
        }
      }
      if (unk_) {
        const auto unk_id = vocab_.find(*unk_);
        if (!unk_id) throw Error("BPE model: unk_token \"" + *unk_ + "\" is not in the vocabulary");
        if (unk >= 0 && fuse_unk_) {
          unk_len += clen;
        } else {
          if (unk >= 0) add(unk, unk_len);
          unk = *unk_id;
          unk_len = clen;
        }
      }
    }
    if (unk >= 0) add(unk, unk_len);
    if (sym.empty()) return;
    sym.back().next = -1;

    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    for (size_t i = 0; i + 1 < sym.size(); ++i) {
      if (const auto* m = merges_.find(sym[i].id, sym[i + 1].id)) {
        queue.push({m->rank, static_cast<int32_t>(i), m->id});
      }
    }
    while (!queue.empty()) {
      const Candidate top = queue.top();
      queue.pop();
      Symbol& cur = sym[static_cast<size_t>(top.pos)];
      if (cur.len == 0 || cur.next < 0) continue;
      const Symbol right = sym[static_cast<size_t>(cur.next)];
      const auto* m = merges_.find(cur.id, right.id);
      if (m == nullptr || m->id != top.new_id) continue;
      cur.id = top.new_id;
      cur.len += right.len;
      sym[static_cast<size_t>(cur.next)].len = 0;
      cur.next = right.next;
      if (right.next >= 0) sym[static_cast<size_t>(right.next)].prev = top.pos;
      if (cur.prev >= 0) {
        if (const auto* pm = merges_.find(sym[static_cast<size_t>(cur.prev)].id, cur.id)) {
          queue.push({pm->rank, cur.prev, pm->id});
        }
      }
      if (cur.next >= 0) {
        if (const auto* nm = merges_.find(cur.id, sym[static_cast<size_t>(cur.next)].id)) {
          queue.push({nm->rank, top.pos, nm->id});
        }
      }
    }
    for (const Symbol& s : sym) {
      if (s.len != 0) out.push_back(s.id);
    }
  }

  Vocab vocab_;
  PairMap merges_;
  std::optional<std::string> unk_;
  std::string prefix_, suffix_;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  std::vector<int32_t> direct_;
  std::array<int32_t, 256> byte_ids_{};
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace

std::unique_ptr<Model> make_bpe_model(const JsonRef& node) {
  return std::make_unique<Bpe>(node);
}

}  // namespace rmlx::tokenizer
