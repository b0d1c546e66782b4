// A request in no dialect: what every route turns its body into before the
// prompt is built. Messages and tools are already in the shape chat templates
// expect (Hugging Face's: tool_calls with object arguments, "tool" messages
// with tool_call_id, reasoning_content on assistant turns).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/json_fields.h"
#include "rmlx/sampling/params.h"

namespace rmlx::api {

enum class ToolChoice { none, auto_, required, named };

// Where structured output plugs in: the grammar that decoding must follow.
// The HTTP layer fills it from response_format / text.format and from
// required / named tool choices; the constrained-decoding engine consumes it.
struct OutputConstraint {
  enum class Kind { none, json_object, json_schema };
  Kind kind = Kind::none;
  std::string name;  // json_schema.name
  Json schema;       // json_schema.schema
  bool strict = false;
};

struct GenerationRequest {
  std::string model;
  bool chat = true;

  // chat
  Json messages = Json::array();
  Json tools;  // null: none; else [{"type":"function","function":{name,description,parameters}}]
  ToolChoice tool_choice = ToolChoice::auto_;
  std::string tool_choice_name;  // for ToolChoice::named
  bool parallel_tool_calls = true;
  Json template_kwargs = Json::object();
  bool continue_final_message = false;  // the last assistant message is a prefill

  // completions: each prompt is text or token ids
  std::vector<std::string> prompt_texts;
  std::vector<std::vector<std::int32_t>> prompt_ids;
  bool echo = false;

  sampling::SamplingParams sampling;
  std::optional<int> max_tokens;
  int n = 1;
  std::vector<std::string> stop;
  std::vector<std::int32_t> stop_token_ids;
  bool ignore_eos = false;
  bool stream = false;
  bool include_usage = false;
  bool skip_special_tokens = true;
  std::optional<int> reasoning_budget;
  // "speculative": {"drafter": "ngram", "num_draft_tokens": 4}; unset: the server's flags.
  std::optional<std::string> drafter;
  std::optional<int> draft_tokens;
  OutputConstraint constraint;
};

}  // namespace rmlx::api
