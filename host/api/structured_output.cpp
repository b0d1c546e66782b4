#include "api/structured_output.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "api/api_error.h"
#include "rmlx/grammar/grammar_constraint.h"
#include "rmlx/grammar/triggered_constraint.h"
#include "rmlx/sampling/reasoning_gate.h"

namespace rmlx::api {

namespace {

std::shared_ptr<const grammar::Grammar> compile(const Json& schema, bool strict,
                                                const std::string& field) {
  try {
    return grammar::Grammar::from_json_schema(schema, strict);
  } catch (const std::invalid_argument& e) {
    throw ApiError(ErrorKind::invalid_request,
                   "'" + field + "' cannot be enforced: " + std::string(e.what()), field);
  }
}

// The prompt begins a whole call object (required with several tools).
bool forced_call_object(const GenerationRequest& r, const std::vector<PreparedPrompt>& prompts) {
  return r.chat && !prompts.empty() && !prompts[0].forced_call_close.empty() &&
         r.tool_choice == ToolChoice::required && r.tools.is_array() && r.tools.size() > 1;
}

// Tools declared with "strict": true, whose calls under tool_choice auto are constrained once the
// model opens one (hermes format).
bool any_strict_tool(const GenerationRequest& r, const ParserChoice& parsers) {
  if (!r.chat || parsers.tool != "hermes" || r.tool_choice != ToolChoice::auto_ ||
      !r.tools.is_array() || r.constraint.kind != OutputConstraint::Kind::none)
    return false;
  for (const auto& t : r.tools) {
    if (t.contains("function") && t["function"].value("strict", false)) return true;
  }
  return false;
}

// {"name": <one of the tools>, "arguments": <its parameters>}, name first as Hermes writes it.
// only_strict: the parameters of tools that are not strict are any object.
Json call_object_schema(const Json& tools, bool only_strict = false) {
  Json any = Json::array();
  for (const auto& t : tools) {
    const Json& fn = t["function"];
    const bool use = !only_strict || fn.value("strict", false);
    const Json params = use && fn.contains("parameters") && fn["parameters"].is_object()
                            ? fn["parameters"]
                            : Json{{"type", "object"}};
    Json props = Json::object();
    props["name"] = Json{{"const", fn.value("name", std::string())}};
    props["arguments"] = params;
    any.push_back(Json{{"type", "object"},
                       {"properties", props},
                       {"required", Json::array({"name", "arguments"})},
                       {"additionalProperties", false}});
  }
  return Json{{"anyOf", any}};
}

// The tool whose arguments the prompt has begun (see build_chat_prompt), or -1.
int forced_tool(const GenerationRequest& r, const std::vector<PreparedPrompt>& prompts) {
  if (prompts.empty() || prompts[0].forced_call_close.empty()) return -1;
  if (!r.tools.is_array() || forced_call_object(r, prompts)) return -1;
  for (std::size_t k = 0; k < r.tools.size(); ++k) {
    const Json& fn = r.tools[k]["function"];
    const bool chosen = r.tool_choice == ToolChoice::named
                            ? fn.value("name", std::string()) == r.tool_choice_name
                            : r.tools.size() == 1;
    if (chosen) return static_cast<int>(k);
  }
  return -1;
}

std::string tail_text(const std::string& text) {
  return text.size() > 256 ? text.substr(text.size() - 256) : text;
}

// The prompt ends inside an open <think> block (templates that open it for the model).
bool ends_inside_think(const std::string& text) {
  const auto open = text.rfind("<think>");
  if (open == std::string::npos) return false;
  const auto close = text.rfind("</think>");
  return close == std::string::npos || close < open;
}

}  // namespace

std::shared_ptr<const grammar::Vocabulary> build_grammar_vocabulary(
    const tokenizer::Tokenizer& tokenizer, const std::vector<std::int32_t>& eos_ids) {
  std::vector<std::string> bytes = tokenizer.token_bytes();
  for (std::size_t id = 0; id < bytes.size(); ++id) {
    if (tokenizer.is_special(static_cast<std::int32_t>(id))) bytes[id].clear();
  }
  std::vector<std::int32_t> eos;
  for (auto id : eos_ids) {
    if (id >= 0 && static_cast<std::size_t>(id) < bytes.size()) eos.push_back(id);
  }
  return grammar::Vocabulary::build(std::move(bytes), std::move(eos));
}

std::shared_ptr<sampling::TokenConstraint> make_reasoning_gate(
    const tokenizer::Tokenizer& tokenizer, const std::string& prompt_text, int budget,
    std::shared_ptr<sampling::TokenConstraint> answer) {
  sampling::ReasoningGateOptions o;
  o.open = tokenizer.encode("<think>", false);
  o.close = tokenizer.encode("</think>", false);
  o.forced_close = tokenizer.encode("\n</think>\n\n", false);
  o.starts_inside = ends_inside_think(prompt_text);
  o.budget = budget;
  return std::make_shared<sampling::ReasoningGate>(std::move(o), std::move(answer));
}

ConstraintFactory::ConstraintFactory(const GenerationRequest& request,
                                     const std::vector<PreparedPrompt>& prompts,
                                     const ParserChoice& parsers,
                                     const tokenizer::Tokenizer& tokenizer,
                                     VocabularySource vocabulary, std::optional<int> default_budget)
    : budget_(request.reasoning_budget ? request.reasoning_budget : default_budget) {
  const int tool = request.chat ? forced_tool(request, prompts) : -1;
  const bool call_object = forced_call_object(request, prompts);
  if (call_object) {
    grammar_ = compile(call_object_schema(request.tools), false, "tools");
  } else if (tool < 0 && any_strict_tool(request, parsers)) {
    grammar_ = compile(call_object_schema(request.tools, true), false, "tools");
    triggered_ = true;
    for (const auto& p : prompts) prompt_texts_.push_back(tail_text(p.text));
  } else if (tool >= 0) {
    const Json& fn = request.tools[static_cast<std::size_t>(tool)]["function"];
    const Json params = fn.contains("parameters") && fn["parameters"].is_object()
                            ? fn["parameters"]
                            : Json{{"type", "object"}};
    grammar_ = compile(params, fn.value("strict", false),
                       "tools[" + std::to_string(tool) + "].function.parameters");
  } else if (request.constraint.kind == OutputConstraint::Kind::json_schema) {
    grammar_ = compile(request.constraint.schema, request.constraint.strict,
                       "response_format.json_schema.schema");
  } else if (request.constraint.kind == OutputConstraint::Kind::json_object) {
    grammar_ = grammar::Grammar::any_json_object();
  }
  // A thinking model thinks freely before a constrained answer; a forced call has no block.
  gate_ = request.chat && parsers.reasoning == "think" && tool < 0 && !call_object &&
          (grammar_ || budget_);
  if (gate_) {
    open_ = tokenizer.encode("<think>", false);
    close_ = tokenizer.encode("</think>", false);
    forced_close_ = tokenizer.encode("\n</think>\n\n", false);
    for (const auto& p : prompts) starts_inside_.push_back(ends_inside_think(p.text));
  }
  if (grammar_) vocab_ = vocabulary();
}

std::shared_ptr<sampling::TokenConstraint> ConstraintFactory::make(std::size_t prompt_index) const {
  std::shared_ptr<sampling::TokenConstraint> answer;
  if (triggered_) {
    auto t = std::make_shared<grammar::TriggeredConstraint>("<tool_call>", grammar_, vocab_);
    if (prompt_index < prompt_texts_.size()) t->prime(prompt_texts_[prompt_index]);
    answer = std::move(t);
  } else if (grammar_) {
    answer = std::make_shared<grammar::GrammarConstraint>(grammar_, vocab_);
  }
  if (!gate_) return answer;
  sampling::ReasoningGateOptions o;
  o.open = open_;
  o.close = close_;
  o.forced_close = forced_close_;
  o.starts_inside = prompt_index < starts_inside_.size() && starts_inside_[prompt_index];
  o.budget = budget_;
  return std::make_shared<sampling::ReasoningGate>(std::move(o), std::move(answer));
}

}  // namespace rmlx::api
