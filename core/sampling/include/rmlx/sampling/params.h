// How the next token is chosen. Defaults mean "no effect": temperature 1 with
// no truncation samples from the model's distribution; temperature 0 is greedy.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace rmlx::sampling {

struct SamplingParams {
  float temperature = 1.0f;         // 0: greedy (argmax)
  int top_k = 0;                    // 0: off
  float top_p = 1.0f;               // 1: off
  float min_p = 0.0f;               // 0: off
  float repetition_penalty = 1.0f;  // 1: off (divides positive logits, multiplies negative)
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int penalty_window = 0;  // tokens of history the penalties see; 0: all
  std::vector<std::pair<std::int32_t, float>> logit_bias;
  std::optional<std::uint64_t> seed;  // unset: a random seed per request
  bool logprobs = false;
  int top_logprobs = 0;  // 0..20 alternatives per position
};

}  // namespace rmlx::sampling
