// Renders a request's conversation through the model's chat template and
// tokenizes it (or tokenizes completion prompts as given).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/generation_request.h"
#include "api/parser_choice.h"
#include "rmlx/template/chat_template.hpp"
#include "rmlx/tokenizer/tokenizer.h"

namespace rmlx::api {

struct PreparedPrompt {
  std::vector<std::int32_t> ids;
  std::string text;               // rendered (chat) or given (completion) prompt
  std::string prompt_tail;        // the end of `text`, for parsers whose block opens in the prompt
  std::string prefill;            // text put in the model's mouth (already in ids), fed to parsers
  std::string forced_call_close;  // closes a call begun by `prefill` (see DecoderSetup)
};

// The rendered chat prompt. Throws ApiError 400 for a template that refuses
// the conversation (raise_exception) or a model without a chat template.
PreparedPrompt build_chat_prompt(const tmpl::ChatTemplateConfig& templates,
                                 const tokenizer::Tokenizer& tokenizer, const ParserChoice& parsers,
                                 const GenerationRequest& request, const std::string& model_id);

// One prompt per entry of prompt_texts / prompt_ids.
std::vector<PreparedPrompt> build_completion_prompts(const tokenizer::Tokenizer& tokenizer,
                                                     const GenerationRequest& request);

// The tool list as the parsers read it: a JSON array of
// {"type":"function","function":{...}} ("[]" when none).
std::string tools_json_for_parsers(const GenerationRequest& request);

}  // namespace rmlx::api
