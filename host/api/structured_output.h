// Structured output, forced tool calls and the reasoning budget, as per-request token
// constraints for the engine (see docs/api.md, "Structured output").
//
//   response_format json_schema / json_object  -> the grammar of the schema over the whole output
//   tool_choice named (or required with one     -> the prompt already begins the call in the Hermes
//   tool) with the hermes parser                   format up to the arguments; the grammar of the
//                                                  tool's parameters constrains the arguments, and
//                                                  the call is closed when they are whole
//   strict tools under tool_choice auto      -> free text; once the model writes <tool_call> the
//   (hermes)                                   call object is constrained (a declared name, and
//                                              for strict tools their parameters)
//   a think-block reasoning parser              -> a ReasoningGate: thinking is free up to the
//                                                  budget, then "\n</think>\n\n" is forced and the
//                                                  grammar (if any) applies to the answer
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "api/generation_request.h"
#include "api/parser_choice.h"
#include "api/prompt_builder.h"
#include "rmlx/grammar/grammar.h"
#include "rmlx/grammar/vocabulary.h"
#include "rmlx/sampling/token_constraint.h"
#include "rmlx/tokenizer/tokenizer.h"

namespace rmlx::api {

// The tokenizer's vocabulary as the grammar reads it (token bytes, special tokens empty); built
// once per model.
std::shared_ptr<const grammar::Vocabulary> build_grammar_vocabulary(
    const tokenizer::Tokenizer& tokenizer, const std::vector<std::int32_t>& eos_ids);

// The think-block gate of the CLI's --reasoning-budget for one prompt (the block may be open at
// its end); `answer` applies after the block (may be null).
std::shared_ptr<sampling::TokenConstraint> make_reasoning_gate(
    const tokenizer::Tokenizer& tokenizer, const std::string& prompt_text, int budget,
    std::shared_ptr<sampling::TokenConstraint> answer = nullptr);

class ConstraintFactory {
 public:
  using VocabularySource = std::function<std::shared_ptr<const grammar::Vocabulary>()>;

  // Compiles the request's grammar once; throws ApiError (400, naming the field) for a schema
  // that cannot be enforced. default_budget: the server's --reasoning-budget.
  ConstraintFactory(const GenerationRequest& request, const std::vector<PreparedPrompt>& prompts,
                    const ParserChoice& parsers, const tokenizer::Tokenizer& tokenizer,
                    VocabularySource vocabulary, std::optional<int> default_budget = std::nullopt);

  // Nothing to enforce.
  bool empty() const { return !grammar_ && !gate_; }
  // A fresh constraint for one choice of prompt `prompt_index` (nullptr when empty()).
  std::shared_ptr<sampling::TokenConstraint> make(std::size_t prompt_index) const;

 private:
  std::shared_ptr<const grammar::Grammar> grammar_;
  std::shared_ptr<const grammar::Vocabulary> vocab_;
  bool gate_ = false;
  bool triggered_ = false;  // the grammar applies inside calls the model opens (strict tools)
  std::optional<int> budget_;
  std::vector<std::int32_t> open_, close_, forced_close_;
  std::vector<bool> starts_inside_;        // per prompt
  std::vector<std::string> prompt_texts_;  // per prompt, its end (strict tools)
};

}  // namespace rmlx::api
