// Token states → one sentence vector.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rmlx/embed/sentence_config.h"

namespace rmlx::embed {

// states: [n_tokens, dim] row-major (every token counts: inputs are never
// padded). Returns `dim` values, L2-normalized when `normalize`.
std::vector<float> pool(std::span<const float> states, std::int64_t n_tokens, std::int64_t dim,
                        Pooling pooling, bool normalize);

// Keeps the first `dims` values and scales them to unit length again (OpenAI's
// `dimensions`).
void shorten(std::vector<float>& v, std::size_t dims);

}  // namespace rmlx::embed
