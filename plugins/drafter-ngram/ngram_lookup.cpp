#include "ngram_lookup.h"

#include <algorithm>

namespace rmlx::drafter_ngram {

std::vector<std::int32_t> ngram_lookup(std::span<const std::int32_t> tokens, int k, int min_n,
                                       int max_n, int* matched) {
  std::vector<std::int32_t> out;
  if (matched != nullptr) *matched = 0;
  const auto len = static_cast<std::ptrdiff_t>(tokens.size());
  if (k <= 0 || min_n < 1) return out;
  for (std::ptrdiff_t n = std::min<std::ptrdiff_t>(max_n, len - 1); n >= min_n; --n) {
    const auto suffix = tokens.subspan(static_cast<std::size_t>(len - n));
    // Earlier occurrences start at i with at least one token after them; the
    // most recent one wins (recent text predicts best).
    for (std::ptrdiff_t i = len - n - 1; i >= 0; --i) {
      if (!std::equal(suffix.begin(), suffix.end(), tokens.begin() + i)) continue;
      // ext = tokens followed by the proposal; ext[i + n + j] is always known
      // because i + n + j < len + j.
      if (matched != nullptr) *matched = static_cast<int>(n);
      out.reserve(static_cast<std::size_t>(k));
      for (std::ptrdiff_t j = 0; j < k; ++j) {
        const std::ptrdiff_t at = i + n + j;
        out.push_back(at < len ? tokens[static_cast<std::size_t>(at)]
                               : out[static_cast<std::size_t>(at - len)]);
      }
      return out;
    }
  }
  return out;
}

}  // namespace rmlx::drafter_ngram
