#include "api/prompt_builder.h"

#include "api/api_error.h"

namespace rmlx::api {

namespace {

constexpr std::size_t kTailBytes = 256;

std::string tail_of(const std::string& text) {
  return text.size() <= kTailBytes ? text : text.substr(text.size() - kTailBytes);
}

// For templates that never look at `tools`: describe them in a system
// message in the Hermes format, which the hermes parser then reads back.
Json inject_tool_prompt(Json messages, const Json& tools) {
  std::string text =
      "You may call one or more functions to assist with the user query. The function "
      "signatures are inside <tools></tools> XML tags:\n<tools>";
  for (const auto& t : tools) text += "\n" + t["function"].dump();
  text +=
      "\n</tools>\n\nFor each function call, return a JSON object with the function name and "
      "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": "
      "<function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
  if (!messages.empty() && messages[0]["role"] == "system") {
    messages[0]["content"] = messages[0]["content"].get<std::string>() + "\n\n" + text;
  } else {
    messages.insert(messages.begin(), Json{{"role", "system"}, {"content", text}});
  }
  return messages;
}

}  // namespace

std::string tools_json_for_parsers(const GenerationRequest& request) {
  if (!request.tools.is_array()) return "[]";
  return request.tools.dump();
}

PreparedPrompt build_chat_prompt(const tmpl::ChatTemplateConfig& templates,
                                 const tokenizer::Tokenizer& tokenizer, const ParserChoice& parsers,
                                 const GenerationRequest& request, const std::string& model_id) {
  if (templates.templates.empty()) {
    throw ApiError(
        ErrorKind::invalid_request,
        "model '" + model_id + "' has no chat template; use /v1/completions with a plain prompt",
        "messages");
  }
  const bool use_tools =
      request.tool_choice != ToolChoice::none && request.tools.is_array() && !request.tools.empty();
  const std::string& source = templates.select(use_tools);
  Json messages = request.messages;
  Json tools = use_tools ? request.tools : Json(nullptr);
  const bool template_reads_tools = source.find("tools") != std::string::npos;
  if (use_tools && !template_reads_tools) {
    messages = inject_tool_prompt(std::move(messages), request.tools);
    tools = nullptr;
  }
  const bool prefill_turn =
      request.continue_final_message && !messages.empty() && messages.back()["role"] == "assistant";
  std::string text;
  try {
    tmpl::ChatTemplateConfig chosen = templates;
    chosen.templates = {{"default", source}};
    text = tmpl::render_chat(chosen, messages, tools, !prefill_turn, request.template_kwargs);
  } catch (const tmpl::TemplateError& e) {
    throw ApiError(
        ErrorKind::invalid_request,
        "the chat template of model '" + model_id + "' rejected the conversation: " + e.message(),
        "messages");
  }
  if (prefill_turn) {
    // Cut after the final assistant text so the model continues it.
    const std::string last = messages.back()["content"].get<std::string>();
    auto pos = last.empty() ? std::string::npos : text.rfind(last);
    if (pos != std::string::npos) text.resize(pos + last.size());
  }
  PreparedPrompt p;
  // A required or named tool call is begun for the model in the Hermes
  // format, so that even a small model produces a call to the right tool
  // (the grammar of the call then constrains the rest, see structured_output.h).
  if (use_tools && parsers.tool == "hermes" && !prefill_turn &&
      (request.tool_choice == ToolChoice::named ||
       (request.tool_choice == ToolChoice::required && request.tools.size() == 1))) {
    std::string name = request.tool_choice == ToolChoice::named
                           ? request.tool_choice_name
                           : request.tools[0]["function"]["name"].get<std::string>();
    p.prefill = "<tool_call>\n{\"name\": " + Json(name).dump() + ", \"arguments\": ";
    p.forced_call_close = "}\n</tool_call>";
  } else if (use_tools && parsers.tool == "hermes" && !prefill_turn &&
             request.tool_choice == ToolChoice::required) {
    // Several tools: the model writes the whole call object, name included.
    p.prefill = "<tool_call>\n";
    p.forced_call_close = "\n</tool_call>";
  }
  p.prompt_tail = tail_of(text);
  text += p.prefill;
  p.ids = tokenizer.encode(text, false);
  p.text = std::move(text);
  return p;
}

std::vector<PreparedPrompt> build_completion_prompts(const tokenizer::Tokenizer& tokenizer,
                                                     const GenerationRequest& request) {
  std::vector<PreparedPrompt> out;
  for (const auto& t : request.prompt_texts) {
    PreparedPrompt p;
    p.ids = tokenizer.encode(t, true);
    p.text = t;
    if (p.ids.empty()) throw invalid_field("prompt", "gives no tokens");
    out.push_back(std::move(p));
  }
  for (const auto& ids : request.prompt_ids) {
    PreparedPrompt p;
    p.ids = ids;
    for (auto id : ids) {
      if (static_cast<std::size_t>(id) >= tokenizer.vocab_size()) {
        throw invalid_field("prompt", "holds token id " + std::to_string(id) +
                                          ", outside the vocabulary of " +
                                          std::to_string(tokenizer.vocab_size()));
      }
    }
    p.text = tokenizer.decode(ids, false);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace rmlx::api
