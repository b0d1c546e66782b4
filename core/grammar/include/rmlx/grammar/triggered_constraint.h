// A grammar that applies only inside tool calls the model opens by itself: the output is free
// until it writes `trigger` (e.g. "<tool_call>"); whitespace may follow, then one document of the
// grammar (e.g. a call object naming a declared tool with arguments of its parameters); once that
// document is whole the output is free again, until the next trigger. This is how strict tool
// parameters are enforced under tool_choice "auto".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rmlx/grammar/grammar.h"
#include "rmlx/grammar/grammar_constraint.h"
#include "rmlx/grammar/vocabulary.h"
#include "rmlx/sampling/token_constraint.h"

namespace rmlx::grammar {

class TriggeredConstraint final : public sampling::TokenConstraint {
 public:
  // Throws std::invalid_argument for an empty trigger.
  TriggeredConstraint(std::string trigger, std::shared_ptr<const Grammar> grammar,
                      std::shared_ptr<const Vocabulary> vocab);

  // A prompt that ends with the trigger (and blanks), e.g. an assistant prefill that opened a
  // call: the output starts inside the call.
  void prime(std::string_view prompt_text);

  bool fill_mask(TokenMask& mask) override;
  void accept(std::int32_t token) override;
  bool is_finished() const override { return false; }

  enum class Phase { free, leading, document };
  Phase phase() const { return phase_; }

 private:
  void start_document(const std::string& rest);

  std::string trigger_;
  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const Vocabulary> vocab_;
  TokenMask blanks_;  // tokens of only spaces / line breaks / tabs
  std::unique_ptr<GrammarConstraint> doc_;
  std::string tail_;  // the end of the free text, to spot the trigger
  Phase phase_ = Phase::free;
};

}  // namespace rmlx::grammar
