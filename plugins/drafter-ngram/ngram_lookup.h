// Prompt lookup: guesses what follows a sequence from what followed the same
// words earlier in it (no weights, no model).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rmlx::drafter_ngram {

// The longest suffix of `tokens` of length min_n..max_n that also occurs
// earlier is looked up; the tokens that followed its most recent earlier
// occurrence are returned, at most k of them. A continuation that runs into
// the end of the sequence goes on copying itself, so a repeating pattern is
// extended. Empty when no suffix of at least min_n tokens recurs. `matched`,
// when given, receives the length of the suffix found (0 when none). One
// backward pass over the sequence, whatever max_n is.
std::vector<std::int32_t> ngram_lookup(std::span<const std::int32_t> tokens, int k, int min_n,
                                       int max_n, int* matched = nullptr);

}  // namespace rmlx::drafter_ngram
