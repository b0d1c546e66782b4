// OpenAI request bodies (/v1/chat/completions, /v1/completions) to
// GenerationRequest, with every field checked.
#pragma once

#include "api/generation_request.h"

namespace rmlx::api {

GenerationRequest parse_chat_request(const Json& body);
GenerationRequest parse_completion_request(const Json& body);

// Shared with the other dialects.
// temperature, top_p, top_k, min_p, penalties, seed, logit_bias and the
// vLLM extras (repetition_penalty, stop_token_ids, ignore_eos, ...).
void read_sampling_fields(const Fields& f, GenerationRequest& r);
// "speculative": {"drafter": NAME, "num_draft_tokens": 1..64}, read the same
// way by every dialect.
void read_speculative(const Fields& f, GenerationRequest& r);
// An OpenAI-style function tool list ({"type":"function","function":{...}}),
// or with `flat` the Responses API's {"type":"function","name",...}.
Json read_function_tools(const Fields& f, const char* key, bool flat);
// Validates a tool name (1-64 of a-zA-Z0-9_-) at `field`.
void check_tool_name(const std::string& name, const std::string& field);
// `tool_choice` in its OpenAI chat form (or the flat Responses form).
void read_tool_choice(const Fields& f, GenerationRequest& r, bool flat);
// response_format: {"type":"text"|"json_object"|"json_schema", "json_schema":{...}}.
OutputConstraint read_response_format(const Json& format, const std::string& field, bool flat);
// Converts an assistant tool call's "arguments" JSON string to an object for
// the chat template (kept as a string when it is not a JSON object).
Json arguments_for_template(const std::string& arguments);

}  // namespace rmlx::api
