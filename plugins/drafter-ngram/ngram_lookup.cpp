#include "ngram_lookup.h"

#include <algorithm>

namespace rmlx::drafter_ngram {

std::vector<std::int32_t> ngram_lookup(std::span<const std::int32_t> tokens, int k, int min_n,
                                       int max_n, int* matched) {
  std::vector<std::int32_t> out;
  if (matched != nullptr) *matched = 0;
  const auto len = static_cast<std::ptrdiff_t>(tokens.size());
  if (k <= 0 || min_n < 1 || max_n < min_n || len < 2) return out;
  // One backward scan over the earlier positions e that end like the sequence
  // (tokens[e] == last token, with at least one token after e): the match
  // length at e is how far the two runs agree going back, capped at max_n.
  // The longest wins, and among equals the most recent (recent text predicts
  // best), so the search costs one pass whatever max_n is.
  const std::int32_t last = tokens[static_cast<std::size_t>(len - 1)];
  std::ptrdiff_t best_len = 0, best_end = -1;
  for (std::ptrdiff_t e = len - 2; e >= 0 && best_len < max_n; --e) {
    if (tokens[static_cast<std::size_t>(e)] != last) continue;
    const std::ptrdiff_t cap = std::min<std::ptrdiff_t>(max_n, e + 1);
    if (cap <= best_len) continue;
    std::ptrdiff_t m = 1;
    while (m < cap &&
           tokens[static_cast<std::size_t>(e - m)] == tokens[static_cast<std::size_t>(len - 1 - m)])
      ++m;
    if (m > best_len) {
      best_len = m;
      best_end = e;
    }
  }
  if (best_len < min_n) return out;
  if (matched != nullptr) *matched = static_cast<int>(best_len);
  // ext = tokens followed by the proposal; ext[best_end + 1 + j] is always
  // known because best_end + 1 + j < len + j.
  out.reserve(static_cast<std::size_t>(k));
  for (std::ptrdiff_t j = 0; j < k; ++j) {
    const std::ptrdiff_t at = best_end + 1 + j;
    out.push_back(at < len ? tokens[static_cast<std::size_t>(at)]
                           : out[static_cast<std::size_t>(at - len)]);
  }
  return out;
}

}  // namespace rmlx::drafter_ngram
