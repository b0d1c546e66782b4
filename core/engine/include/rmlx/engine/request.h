// What a client asks the engine for, and what comes back, in tokens. Text
// (templates, detokenization, stop strings, tool parsing) is the caller's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rmlx/sampling/params.h"
#include "rmlx/sampling/token_constraint.h"

namespace rmlx::engine {

struct Request {
  std::vector<std::int32_t> prompt;
  sampling::SamplingParams sampling;
  int max_tokens = 256;
  std::vector<std::int32_t> stop_token_ids;  // besides the model's eos ids
  bool ignore_eos = false;
  // Structured output / forced tokens; null: free. Used by this request alone.
  std::shared_ptr<sampling::TokenConstraint> constraint;
  // Speculative decoding: a drafter plugin name with an optional ":arg"
  // ("ngram", "layerskip:8", "none"); unset: the engine's --drafter.
  std::optional<std::string> drafter;
  std::optional<int> draft_tokens;  // 1..64; unset: the engine's --draft-tokens
};

enum class FinishReason : std::uint8_t { none = 0, stop, length, cancelled, error };

const char* finish_reason_name(FinishReason r);

struct TopLogprob {
  std::int32_t token = 0;
  float logprob = 0.0f;
};

struct TokenOut {
  std::int32_t token = 0;
  float logprob = 0.0f;         // log-softmax of the processed logits
  std::vector<TopLogprob> top;  // when the request asked for top_logprobs
};

// One event on a request's stream: zero or more new tokens, and on the last
// event the finish reason and the usage counts.
struct Event {
  std::vector<TokenOut> tokens;
  FinishReason finish = FinishReason::none;
  std::string error;  // for FinishReason::error
  int prompt_tokens = 0;
  int cached_tokens = 0;  // prompt tokens served from the prefix cache
  int completion_tokens = 0;
  int draft_tokens = 0;           // proposed by the request's drafter and verified
  int draft_tokens_accepted = 0;  // of which the target confirmed
};

}  // namespace rmlx::engine
