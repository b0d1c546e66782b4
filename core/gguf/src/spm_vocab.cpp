#include "spm_vocab.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace rmlx::gguf {

using nlohmann::ordered_json;

namespace {

constexpr const char* kMetaspace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

ordered_json replace(const char* from, const char* to) {
  return {{"type", "Replace"}, {"pattern", {{"String", from}}}, {"content", to}};
}

}  // namespace

ordered_json spm_merges(const GgufFile& f, const nlohmann::json& tokens) {
  const std::size_t n = tokens.size();
  const auto* scores = f.value("tokenizer.ggml.scores");
  if (scores == nullptr || !scores->is_array() || scores->size() != n) {
    throw GgufError(f.path() + ": tokenizer.ggml.scores: expected " + std::to_string(n) +
                    " numbers (one per token)");
  }
  // Later duplicates win, as in the dict Hugging Face's converter builds.
  std::unordered_map<std::string_view, std::size_t> index, first;
  index.reserve(n);
  first.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view piece = tokens[i].get_ref<const std::string&>();
    index[piece] = i;
    first.try_emplace(piece, i);
  }

  struct Merge {
    std::string_view left, right;
    double score;
  };
  std::vector<Merge> merges;
  std::vector<std::pair<std::size_t, std::size_t>> local_ids;
  std::vector<Merge> local;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(*scores)[i].is_number()) {
      throw GgufError(f.path() + ": tokenizer.ggml.scores[" + std::to_string(i) +
                      "]: not a number");
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view piece = tokens[i].get_ref<const std::string&>();
    // A duplicated piece is visited once, where it first appears, with its last score.
    if (first.at(piece) != i) continue;
    const double score = (*scores)[index.at(piece)].get<double>();
    local.clear();
    for (std::size_t k = 1; k < piece.size(); ++k) {
      auto l = index.find(piece.substr(0, k));
      if (l == index.end()) continue;
      auto r = index.find(piece.substr(k));
      if (r == index.end()) continue;
      local.push_back({l->first, r->first, score});
    }
    std::sort(local.begin(), local.end(), [&](const Merge& a, const Merge& b) {
      const auto ka = std::pair(index.at(a.left), index.at(a.right));
      const auto kb = std::pair(index.at(b.left), index.at(b.right));
      return ka < kb;
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  // Highest score first; equal scores keep vocabulary order.
  std::stable_sort(merges.begin(), merges.end(),
                   [](const Merge& a, const Merge& b) { return a.score > b.score; });
  ordered_json out = ordered_json::array();
  for (const auto& m : merges) out.push_back({std::string(m.left), std::string(m.right)});
  return out;
}

ordered_json spm_normalizer(bool add_space_prefix) {
  ordered_json steps = ordered_json::array();
  if (add_space_prefix) steps.push_back({{"type", "Prepend"}, {"prepend", kMetaspace}});
  steps.push_back(replace(" ", kMetaspace));
  return {{"type", "Sequence"}, {"normalizers", steps}};
}

ordered_json spm_decoder(bool add_space_prefix) {
  ordered_json steps = {replace(kMetaspace, " "), {{"type", "ByteFallback"}}, {{"type", "Fuse"}}};
  if (add_space_prefix) {
    steps.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  }
  return {{"type", "Sequence"}, {"decoders", steps}};
}

}  // namespace rmlx::gguf
