// Unigram language model: Viterbi best segmentation over the piece lattice, as HF tokenizers'
// optimized encoder (unknown characters scored min_score - 10, unknown runs fused).
#include <algorithm>
#include <cstdio>
#include <limits>

#include "components.h"
#include "unicode.h"
#include "vocab.h"

namespace rmlx::tokenizer {
namespace {

constexpr double kUnkPenalty = 10.0;

class Unigram final : public Model {
 public:
  explicit Unigram(const JsonRef& node) {
    const JsonRef list = node.at("vocab").array();
    pieces_.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonRef e = list.item(i);
      if (!e.raw().is_array() || e.size() != 2) e.fail("a [piece, score] pair");
      std::string piece = e.item(0).str();
      const double score = e.item(1).number();
      vocab_.add(piece, static_cast<int32_t>(i));
      max_piece_bytes_ = std::max(max_piece_bytes_, piece.size());
      pieces_.push_back({std::move(piece), score});
      min_score_ = std::min(min_score_, score);
    }
    if (node.has("unk_id")) {
      const JsonRef u = node.at("unk_id");
      const int32_t id = u.id();
      if (static_cast<size_t>(id) >= pieces_.size()) u.fail("an index into model.vocab");
      unk_id_ = id;
    }
    byte_fallback_ = node.bool_or("byte_fallback", false);
    fuse_unk_ = node.bool_or("fuse_unk", true);
  }

  void tokenize(std::string_view s, std::vector<int32_t>& out) const override {
    if (s.empty()) return;
    struct Node {
      int32_t id = -1;
      double score = 0;
      size_t start = std::numeric_limits<size_t>::max();
    };
    const size_t n = s.size();
    std::vector<Node> best(n + 1);
    const double unk_score = min_score_ - kUnkPenalty;
    for (size_t start = 0; start < n;) {
      const double base = best[start].score;
      const size_t clen = unicode::char_len(static_cast<unsigned char>(s[start]));
      bool single = false;
      const size_t limit = std::min(n, start + max_piece_bytes_);
      for (size_t end = start + clen; end <= limit;) {
        if (const auto id = vocab_.find(s.substr(start, end - start))) {
          const double cand = pieces_[static_cast<size_t>(*id)].score + base;
          Node& t = best[end];
          if (t.start == std::numeric_limits<size_t>::max() || cand > t.score)
            t = {*id, cand, start};
          if (end - start == clen) single = true;
        }
        if (end >= n) break;
        end += unicode::char_len(static_cast<unsigned char>(s[end]));
      }
      if (!single) {
        if (!unk_id_)
          throw Error(
              "Unigram model: a character is not in the vocabulary and model.unk_id is null");
        const double cand = unk_score + base;
        Node& t = best[start + clen];
        if (t.start == std::numeric_limits<size_t>::max() || cand > t.score)
          t = {*unk_id_, cand, start};
      }
      start += clen;
    }
    // Walk back the best path; consecutive unknown pieces are fused.
    std::vector<std::pair<size_t, size_t>> spans;  // (start, end) of each token, reversed
    std::vector<bool> is_unk;
    for (size_t end = n; end > 0;) {
      const Node& nd = best[end];
      const bool unk = fuse_unk_ && unk_id_ && nd.id == *unk_id_;
      if (unk && !is_unk.empty() && is_unk.back()) {
        spans.back().first = nd.start;
      } else {
        spans.emplace_back(nd.start, end);
        is_unk.push_back(unk);
      }
      end = nd.start;
    }
    for (size_t i = spans.size(); i-- > 0;) {
      const std::string_view piece = s.substr(spans[i].first, spans[i].second - spans[i].first);
      if (!is_unk[i]) {
        out.push_back(best[spans[i].second].id);
        continue;
      }
      if (const auto id = vocab_.find(piece)) {
        out.push_back(*id);
        continue;
      }
      if (byte_fallback_ && emit_bytes(piece, out)) continue;
      out.push_back(*unk_id_);
    }
  }

  std::optional<int32_t> token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  void for_each_token(const std::function<void(const std::string&, int32_t)>& fn) const override {
    for (const auto& [t, id] : vocab_.map()) fn(t, id);
  }

 private:
  bool emit_bytes(std::string_view piece, std::vector<int32_t>& out) const {
    std::vector<int32_t> ids;
    for (unsigned char c : piece) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", c);
      const auto id = vocab_.find(name);
      if (!id) return false;
      ids.push_back(*id);
    }
    out.insert(out.end(), ids.begin(), ids.end());
    return true;
  }

  struct PieceScore {
    std::string piece;
    double score;
  };
  std::vector<PieceScore> pieces_;
  Vocab vocab_;
  std::optional<int32_t> unk_id_;
  double min_score_ = std::numeric_limits<double>::max();
  size_t max_piece_bytes_ = 1;
  bool byte_fallback_ = false;
  bool fuse_unk_ = true;
};

}  // namespace

std::unique_ptr<Model> make_unigram_model(const JsonRef& node) {
  return std::make_unique<Unigram>(node);
}

}  // namespace rmlx::tokenizer
