#include "api/anthropic_request.h"

#include "api/api_error.h"
#include "api/openai_request.h"

namespace rmlx::api {

namespace {

void reject_media_block(const Fields& block, const std::string& type) {
  if (type == "image") {
    const Json* source = block.object("source");
    if (source == nullptr) throw invalid_field(block.name("source"), "is required");
    Fields s(*source, block.name("source"));
    std::string st = s.required_str("type");
    if (st == "base64") {
      s.required_str("media_type");
      s.required_str("data");
    } else if (st == "url") {
      s.required_str("url");
    } else {
      throw invalid_field(s.name("type"), "must be \"base64\" or \"url\", got \"" + st + "\"");
    }
  }
  throw ApiError(ErrorKind::invalid_request,
                 "'" + block.name("type") + "': " + type + " input is not supported by this model",
                 block.name("type"));
}

// Text of a tool_result's content: a string or text blocks.
std::string tool_result_text(const Fields& block) {
  const Json* content = block.get("content");
  if (content == nullptr) return "";
  if (content->is_string()) return content->get<std::string>();
  if (!content->is_array()) {
    throw invalid_field(block.name("content"),
                        "must be a string or an array of blocks, got " + json_type_name(*content));
  }
  std::string text;
  for (std::size_t i = 0; i < content->size(); ++i) {
    Fields b((*content)[i], index_path(block.name("content"), i));
    std::string type = b.required_str("type");
    if (type != "text") reject_media_block(b, type);
    if (!text.empty()) text += "\n";
    text += b.required_str("text");
  }
  return text;
}

// One Anthropic message; may give several template messages (tool results
// become "tool" messages ahead of the user's text).
void convert_message(const Json& message, const std::string& field, Json& out) {
  Fields m(message, field);
  std::string role = m.required_str("role");
  if (role != "user" && role != "assistant") {
    throw invalid_field(m.name("role"), "must be \"user\" or \"assistant\", got \"" + role + "\"");
  }
  const Json* content = m.get("content");
  if (content == nullptr) throw invalid_field(m.name("content"), "is required");
  if (content->is_string()) {
    out.push_back({{"role", role}, {"content", content->get<std::string>()}});
    return;
  }
  if (!content->is_array()) {
    throw invalid_field(m.name("content"), "must be a string or an array of content blocks, got " +
                                               json_type_name(*content));
  }
  std::string text, reasoning;
  Json tool_calls = Json::array();
  bool has_text = false;
  for (std::size_t i = 0; i < content->size(); ++i) {
    Fields b((*content)[i], index_path(m.name("content"), i));
    std::string type = b.required_str("type");
    if (type == "text") {
      if (has_text) text += "\n";
      text += b.required_str("text");
      has_text = true;
    } else if (type == "tool_result" && role == "user") {
      std::string id = b.required_str("tool_use_id");
      out.push_back({{"role", "tool"}, {"tool_call_id", id}, {"content", tool_result_text(b)}});
    } else if (type == "tool_use" && role == "assistant") {
      std::string name = b.required_str("name");
      const Json* input = b.object("input");
      tool_calls.push_back(
          {{"id", b.required_str("id")},
           {"type", "function"},
           {"function",
            {{"name", name}, {"arguments", input != nullptr ? *input : Json::object()}}}});
    } else if (type == "thinking" && role == "assistant") {
      reasoning += b.required_str("thinking");
    } else if (type == "redacted_thinking" && role == "assistant") {
      // Opaque to us; nothing to render.
    } else if (type == "image" || type == "document") {
      reject_media_block(b, type);
    } else {
      throw invalid_field(b.name("type"),
                          "is not a valid " + role + " content block type: \"" + type + "\"");
    }
  }
  if (!has_text && tool_calls.empty() && reasoning.empty()) return;  // only tool results
  Json msg = {{"role", role}, {"content", text}};
  if (!reasoning.empty()) msg["reasoning_content"] = reasoning;
  if (!tool_calls.empty()) msg["tool_calls"] = tool_calls;
  out.push_back(msg);
}

std::string system_text(const Fields& f) {
  const Json* system = f.get("system");
  if (system == nullptr) return "";
  if (system->is_string()) return system->get<std::string>();
  if (!system->is_array()) {
    throw invalid_field(
        "system", "must be a string or an array of text blocks, got " + json_type_name(*system));
  }
  std::string text;
  for (std::size_t i = 0; i < system->size(); ++i) {
    Fields b((*system)[i], index_path("system", i));
    std::string type = b.required_str("type");
    if (type != "text")
      throw invalid_field(b.name("type"), "must be \"text\", got \"" + type + "\"");
    if (i > 0) text += "\n";
    text += b.required_str("text");
  }
  return text;
}

Json read_tools(const Fields& f) {
  const Json* tools = f.array("tools");
  if (tools == nullptr) return nullptr;
  Json out = Json::array();
  for (std::size_t i = 0; i < tools->size(); ++i) {
    Fields t((*tools)[i], index_path("tools", i));
    if (auto type = t.str("type"); type && *type != "custom") continue;  // server tools
    std::string name = t.required_str("name");
    check_tool_name(name, t.name("name"));
    const Json* schema = t.object("input_schema");
    if (schema == nullptr) throw invalid_field(t.name("input_schema"), "is required");
    Json function = {{"name", name}};
    if (auto d = t.str("description")) function["description"] = *d;
    function["parameters"] = *schema;
    out.push_back({{"type", "function"}, {"function", function}});
  }
  return out;
}

void read_tool_choice(const Fields& f, GenerationRequest& r) {
  const bool has_tools = r.tools.is_array() && !r.tools.empty();
  r.tool_choice = has_tools ? ToolChoice::auto_ : ToolChoice::none;
  const Json* tc = f.object("tool_choice");
  if (tc == nullptr) return;
  Fields c(*tc, "tool_choice");
  std::string type = c.required_str("type");
  r.parallel_tool_calls = !c.boolean("disable_parallel_tool_use").value_or(false);
  if (type == "auto") return;
  if (type == "none") {
    r.tool_choice = ToolChoice::none;
  } else if (type == "any") {
    if (!has_tools) throw invalid_field("tool_choice", "is \"any\" but no tools were given");
    r.tool_choice = ToolChoice::required;
  } else if (type == "tool") {
    std::string name = c.required_str("name");
    bool declared = false;
    if (has_tools) {
      for (const auto& t : r.tools) declared = declared || t["function"]["name"] == name;
    }
    if (!declared) {
      throw invalid_field("tool_choice.name",
                          "names \"" + name + "\", which is not among the declared tools");
    }
    r.tool_choice = ToolChoice::named;
    r.tool_choice_name = name;
  } else {
    throw invalid_field("tool_choice.type",
                        "must be \"auto\", \"any\", \"tool\" or \"none\", got \"" + type + "\"");
  }
}

}  // namespace

GenerationRequest parse_messages_request(const Json& body, bool count_only) {
  Fields f(body, "");
  GenerationRequest r;
  r.model = f.required_str("model");
  if (r.model.empty()) throw invalid_field("model", "must not be empty");
  if (!count_only) {
    auto max_tokens = f.integer("max_tokens", 1, 1 << 24);
    if (!max_tokens) throw invalid_field("max_tokens", "is required");
    r.max_tokens = static_cast<int>(*max_tokens);
  }
  const Json* messages = f.array("messages");
  if (messages == nullptr) throw invalid_field("messages", "is required");
  if (messages->empty()) throw invalid_field("messages", "must hold at least one message");
  std::string system = system_text(f);
  if (!system.empty()) r.messages.push_back({{"role", "system"}, {"content", system}});
  for (std::size_t i = 0; i < messages->size(); ++i) {
    convert_message((*messages)[i], index_path("messages", i), r.messages);
  }
  // A final assistant turn is a prefill the model continues.
  if (!r.messages.empty() && r.messages.back()["role"] == "assistant") {
    r.continue_final_message = true;
  }
  r.stop = f.strings("stop_sequences", 16);
  for (std::size_t i = 0; i < r.stop.size(); ++i) {
    if (r.stop[i].empty())
      throw invalid_field(index_path("stop_sequences", i), "must not be empty");
  }
  r.stream = f.boolean("stream").value_or(false);
  auto& s = r.sampling;
  if (auto v = f.number("temperature", 0.0, 1.0)) s.temperature = static_cast<float>(*v);
  if (auto v = f.number("top_p", 0.0, 1.0)) s.top_p = static_cast<float>(*v);
  if (auto v = f.integer("top_k", 0, 1 << 30)) s.top_k = static_cast<int>(*v);
  if (const Json* md = f.object("metadata")) Fields(*md, "metadata").str("user_id");
  r.tools = read_tools(f);
  read_tool_choice(f, r);
  read_speculative(f, r);
  if (const Json* thinking = f.object("thinking")) {
    Fields t(*thinking, "thinking");
    std::string type = t.required_str("type");
    if (type == "enabled") {
      auto budget = t.integer("budget_tokens", 1, 1 << 24);
      if (!budget) throw invalid_field("thinking.budget_tokens", "is required");
      if (!count_only && *budget >= *r.max_tokens) {
        throw invalid_field("thinking.budget_tokens", "must be less than max_tokens");
      }
      r.reasoning_budget = static_cast<int>(*budget);
      r.template_kwargs["enable_thinking"] = true;
    } else if (type == "disabled") {
      r.template_kwargs["enable_thinking"] = false;
    } else if (type == "adaptive") {
      r.template_kwargs["enable_thinking"] = true;
    } else {
      throw invalid_field(
          "thinking.type",
          "must be \"enabled\", \"disabled\" or \"adaptive\", got \"" + type + "\"");
    }
  }
  return r;
}

}  // namespace rmlx::api
