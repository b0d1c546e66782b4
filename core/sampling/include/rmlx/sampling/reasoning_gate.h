// The think block of a reasoning model as a constraint: thinking is free up to a budget of
// tokens, then the block's closing text is forced token by token and the answer follows; an
// answer constraint (structured output, a tool call) applies only after the block is closed.
//
// Phases: before (the model may open the block: `open` seen in the output), thinking, forcing
// (the closing tokens), answer. A prompt that already opened the block starts in thinking. With
// an answer constraint, the first token is either the single-token `open` or the answer's first
// token; a multi-token `open` is not offered then (the answer starts at once).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "rmlx/sampling/token_constraint.h"

namespace rmlx::sampling {

struct ReasoningGateOptions {
  std::vector<std::int32_t> open;   // the tokens of "<think>"
  std::vector<std::int32_t> close;  // the tokens of "</think>", as the model writes them
  std::vector<std::int32_t>
      forced_close;            // forced at the budget, e.g. the tokens of "\n</think>\n\n"
  bool starts_inside = false;  // the prompt ends inside an open block
  std::optional<int> budget;   // thinking tokens at most (after `open`); none: no limit
};

class ReasoningGate final : public TokenConstraint {
 public:
  // answer: applied once the block is closed (may be null). Throws std::invalid_argument for an
  // empty close or forced_close, or a negative budget.
  ReasoningGate(ReasoningGateOptions options, std::shared_ptr<TokenConstraint> answer);

  bool fill_mask(TokenMask& mask) override;
  void accept(std::int32_t token) override;
  bool is_finished() const override;

  enum class Phase { before, thinking, forcing, answer };
  Phase phase() const { return phase_; }
  int thinking_tokens() const { return thinking_; }

 private:
  bool tail_ends_with(const std::vector<std::int32_t>& marker) const;
  void push_tail(std::int32_t token);

  ReasoningGateOptions opt_;
  std::shared_ptr<TokenConstraint> answer_;
  Phase phase_ = Phase::before;
  int thinking_ = 0;
  std::deque<std::int32_t> pending_;  // forced tokens still to come
  std::vector<std::int32_t> tail_;    // the last tokens, to spot the markers
};

}  // namespace rmlx::sampling
