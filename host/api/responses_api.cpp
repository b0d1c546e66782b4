#include "api/responses_api.h"

#include "api/api_error.h"
#include "api/message_content.h"
#include "api/openai_request.h"
#include "api/wire_util.h"

namespace rmlx::api {

namespace {

// Text of an item's "content" / "output": a string or typed parts.
std::string item_text(const Json* content, const std::string& field) {
  return openai_content_text(content, field);
}

void add_tool_call(Json& messages, Json call) {
  if (messages.empty() || messages.back()["role"] != "assistant") {
    messages.push_back({{"role", "assistant"}, {"content", ""}});
  }
  Json& last = messages.back();
  if (!last.contains("tool_calls")) last["tool_calls"] = Json::array();
  last["tool_calls"].push_back(std::move(call));
}

void convert_items(const Json& input, Json& messages) {
  std::string pending_reasoning;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const std::string path = index_path("input", i);
    Fields it(input[i], path);
    std::string type = it.str("type").value_or("message");
    if (type == "message") {
      std::string role = it.required_str("role");
      if (role == "developer") role = "system";
      if (role != "user" && role != "assistant" && role != "system") {
        throw invalid_field(it.name("role"),
                            "must be \"user\", \"assistant\", \"system\" or "
                            "\"developer\", got \"" +
                                role + "\"");
      }
      const Json* content = it.get("content");
      if (content == nullptr) throw invalid_field(it.name("content"), "is required");
      Json msg = {{"role", role}, {"content", item_text(content, it.name("content"))}};
      if (role == "assistant" && !pending_reasoning.empty()) {
        msg["reasoning_content"] = std::exchange(pending_reasoning, "");
      }
      messages.push_back(std::move(msg));
    } else if (type == "function_call" || type == "custom_tool_call") {
      std::string name = it.required_str("name");
      std::string call_id = it.required_str("call_id");
      Json args = type == "function_call"
                      ? arguments_for_template(it.str("arguments").value_or("{}"))
                      : Json{{"input", it.str("input").value_or("")}};
      add_tool_call(messages, {{"id", call_id},
                               {"type", "function"},
                               {"function", {{"name", name}, {"arguments", args}}}});
      if (!pending_reasoning.empty()) {
        messages.back()["reasoning_content"] = std::exchange(pending_reasoning, "");
      }
    } else if (type == "function_call_output" || type == "custom_tool_call_output") {
      std::string call_id = it.required_str("call_id");
      const Json* output = it.get("output");
      if (output == nullptr) throw invalid_field(it.name("output"), "is required");
      messages.push_back({{"role", "tool"},
                          {"tool_call_id", call_id},
                          {"content", item_text(output, it.name("output"))}});
    } else if (type == "reasoning") {
      std::string text;
      for (const char* key : {"content", "summary"}) {
        if (const Json* parts = it.array(key)) {
          for (std::size_t k = 0; k < parts->size(); ++k) {
            Fields p((*parts)[k], index_path(it.name(key), k));
            if (!text.empty()) text += "\n";
            text += p.required_str("text");
          }
          if (!text.empty()) break;
        }
      }
      pending_reasoning += text;
    } else {
      throw invalid_field(it.name("type"), "is not a supported input item type: \"" + type + "\"");
    }
  }
}

Json usage_json(const Usage& u) {
  return {{"input_tokens", u.prompt_tokens},
          {"input_tokens_details", {{"cached_tokens", u.cached_tokens}}},
          {"output_tokens", u.completion_tokens},
          {"output_tokens_details", {{"reasoning_tokens", u.reasoning_tokens}}},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

}  // namespace

ResponsesRequest parse_responses_request(const Json& body) {
  Fields f(body, "");
  ResponsesRequest out;
  GenerationRequest& r = out.gen;
  r.model = f.required_str("model");
  if (r.model.empty()) throw invalid_field("model", "must not be empty");
  if (auto instructions = f.str("instructions"); instructions && !instructions->empty()) {
    r.messages.push_back({{"role", "system"}, {"content", *instructions}});
  }
  const Json* input = f.get("input");
  if (input == nullptr) throw invalid_field("input", "is required");
  if (input->is_string()) {
    r.messages.push_back({{"role", "user"}, {"content", input->get<std::string>()}});
  } else if (input->is_array()) {
    if (input->empty()) throw invalid_field("input", "must hold at least one item");
    convert_items(*input, r.messages);
  } else {
    throw invalid_field("input",
                        "must be a string or an array of items, got " + json_type_name(*input));
  }
  r.stream = f.boolean("stream").value_or(false);
  if (auto v = f.integer("max_output_tokens", 1, 1 << 24)) r.max_tokens = static_cast<int>(*v);
  if (auto v = f.number("temperature", 0.0, 2.0)) r.sampling.temperature = static_cast<float>(*v);
  if (auto v = f.number("top_p", 0.0, 1.0)) r.sampling.top_p = static_cast<float>(*v);
  if (auto v = f.integer("seed", std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max())) {
    r.sampling.seed = static_cast<std::uint64_t>(*v);
  }
  r.tools = read_function_tools(f, "tools", true);
  if (r.tools.is_array() && r.tools.empty()) r.tools = nullptr;
  read_tool_choice(f, r, true);
  r.parallel_tool_calls = f.boolean("parallel_tool_calls").value_or(true);
  read_speculative(f, r);
  if (const Json* text = f.object("text")) {
    Fields t(*text, "text");
    if (const Json* format = t.object("format")) {
      r.constraint = read_response_format(*format, "text.format", true);
    }
  }
  if (const Json* reasoning = f.object("reasoning")) {
    Fields rf(*reasoning, "reasoning");
    if (auto effort = rf.str("effort")) {
      if (*effort == "none" || *effort == "minimal") {
        r.template_kwargs["enable_thinking"] = false;
      }
    }
  }
  if (const Json* kw = f.object("chat_template_kwargs")) {
    for (auto it = kw->begin(); it != kw->end(); ++it) r.template_kwargs[it.key()] = it.value();
  }
  out.previous_response_id = f.str("previous_response_id").value_or("");
  out.store = f.boolean("store").value_or(true);
  out.echo = Json::object();
  out.echo["instructions"] = f.str("instructions") ? Json(*f.str("instructions")) : Json(nullptr);
  out.echo["tools"] = f.array("tools") ? *f.array("tools") : Json::array();
  out.echo["tool_choice"] = f.get("tool_choice") ? *f.get("tool_choice") : Json("auto");
  out.echo["parallel_tool_calls"] = r.parallel_tool_calls;
  out.echo["temperature"] = r.sampling.temperature;
  out.echo["top_p"] = r.sampling.top_p;
  out.echo["max_output_tokens"] = r.max_tokens ? Json(*r.max_tokens) : Json(nullptr);
  out.echo["previous_response_id"] =
      out.previous_response_id.empty() ? Json(nullptr) : Json(out.previous_response_id);
  out.echo["store"] = out.store;
  out.echo["metadata"] = f.object("metadata") ? *f.object("metadata") : Json::object();
  out.echo["text"] = f.object("text") ? *f.object("text") : Json{{"format", {{"type", "text"}}}};
  return out;
}

Json response_output(const ChoiceResult& c, const std::string& id_suffix) {
  Json output = Json::array();
  if (!c.reasoning.empty()) {
    output.push_back(
        {{"type", "reasoning"},
         {"id", "rs_" + id_suffix},
         {"summary", Json::array()},
         {"content", Json::array({{{"type", "reasoning_text"}, {"text", c.reasoning}}})}});
  }
  if (!c.content.empty() || c.tool_calls.empty()) {
    output.push_back({{"type", "message"},
                      {"id", "msg_" + id_suffix},
                      {"status", "completed"},
                      {"role", "assistant"},
                      {"content", Json::array({{{"type", "output_text"},
                                                {"text", c.content},
                                                {"annotations", Json::array()},
                                                {"logprobs", Json::array()}}})}});
  }
  for (std::size_t i = 0; i < c.tool_calls.size(); ++i) {
    const auto& t = c.tool_calls[i];
    output.push_back({{"type", "function_call"},
                      {"id", "fc_" + id_suffix + std::to_string(i)},
                      {"call_id", t.id},
                      {"name", t.name},
                      {"arguments", t.arguments},
                      {"status", "completed"}});
  }
  return output;
}

Json response_object(const ResponseState& s, const ChoiceResult* c, const Usage* usage,
                     const Json& output) {
  Json r = {{"id", s.id},
            {"object", "response"},
            {"created_at", s.created_at},
            {"model", s.model},
            {"output", output},
            {"error", nullptr},
            {"incomplete_details", nullptr}};
  if (c == nullptr) {
    r["status"] = "in_progress";
    r["usage"] = nullptr;
  } else if (c->finish_reason == "length") {
    r["status"] = "incomplete";
    r["incomplete_details"] = {{"reason", "max_output_tokens"}};
  } else if (c->finish_reason == "error") {
    r["status"] = "failed";
    r["error"] = {{"code", "server_error"}, {"message", c->error}};
  } else {
    r["status"] = "completed";
  }
  if (usage != nullptr) r["usage"] = usage_json(*usage);
  for (auto it = s.echo.begin(); it != s.echo.end(); ++it) r[it.key()] = it.value();
  return r;
}

ResponsesStreamWriter::ResponsesStreamWriter(ResponseState state) : state_(std::move(state)) {}

void ResponsesStreamWriter::emit(const std::string& type, Json payload) {
  Json j = {{"type", type}, {"sequence_number", seq_++}};
  for (auto it = payload.begin(); it != payload.end(); ++it) j[it.key()] = it.value();
  out_ += sse_event(type, j);
}

void ResponsesStreamWriter::begin() {
  Json r = response_object(state_, nullptr, nullptr, Json::array());
  emit("response.created", {{"response", r}});
  emit("response.in_progress", {{"response", r}});
}

void ResponsesStreamWriter::part_opened(Part kind, const sdk::ParseEvent* call) {
  ++output_index_;
  text_.clear();
  const std::string suffix = state_.id.substr(5) + std::to_string(output_index_);
  if (kind == Part::text) {
    item_id_ = "msg_" + suffix;
    emit("response.output_item.added", {{"output_index", output_index_},
                                        {"item",
                                         {{"type", "message"},
                                          {"id", item_id_},
                                          {"status", "in_progress"},
                                          {"role", "assistant"},
                                          {"content", Json::array()}}}});
    emit("response.content_part.added",
         {{"item_id", item_id_},
          {"output_index", output_index_},
          {"content_index", 0},
          {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", Json::array()}}}});
  } else if (kind == Part::reasoning) {
    item_id_ = "rs_" + suffix;
    emit("response.output_item.added",
         {{"output_index", output_index_},
          {"item", {{"type", "reasoning"}, {"id", item_id_}, {"summary", Json::array()}}}});
  } else {
    item_id_ = "fc_" + suffix;
    call_id_ = call->id;
    call_name_ = call->name;
    emit("response.output_item.added", {{"output_index", output_index_},
                                        {"item",
                                         {{"type", "function_call"},
                                          {"id", item_id_},
                                          {"call_id", call_id_},
                                          {"name", call_name_},
                                          {"arguments", ""},
                                          {"status", "in_progress"}}}});
  }
}

void ResponsesStreamWriter::part_closed(Part kind) {
  Json item;
  if (kind == Part::text) {
    Json part = {{"type", "output_text"},
                 {"text", text_},
                 {"annotations", Json::array()},
                 {"logprobs", Json::array()}};
    emit("response.output_text.done", {{"item_id", item_id_},
                                       {"output_index", output_index_},
                                       {"content_index", 0},
                                       {"text", text_},
                                       {"logprobs", Json::array()}});
    emit("response.content_part.done", {{"item_id", item_id_},
                                        {"output_index", output_index_},
                                        {"content_index", 0},
                                        {"part", part}});
    item = {{"type", "message"},
            {"id", item_id_},
            {"status", "completed"},
            {"role", "assistant"},
            {"content", Json::array({part})}};
  } else if (kind == Part::reasoning) {
    emit("response.reasoning_text.done", {{"item_id", item_id_},
                                          {"output_index", output_index_},
                                          {"content_index", 0},
                                          {"text", text_}});
    item = {{"type", "reasoning"},
            {"id", item_id_},
            {"summary", Json::array()},
            {"content", Json::array({{{"type", "reasoning_text"}, {"text", text_}}})}};
  } else {
    emit("response.function_call_arguments.done",
         {{"item_id", item_id_}, {"output_index", output_index_}, {"arguments", text_}});
    item = {{"type", "function_call"}, {"id", item_id_},     {"call_id", call_id_},
            {"name", call_name_},      {"arguments", text_}, {"status", "completed"}};
  }
  emit("response.output_item.done", {{"output_index", output_index_}, {"item", item}});
  output_.push_back(item);
}

void ResponsesStreamWriter::part_delta(Part kind, const std::string& text) {
  text_ += text;
  if (kind == Part::text) {
    emit("response.output_text.delta", {{"item_id", item_id_},
                                        {"output_index", output_index_},
                                        {"content_index", 0},
                                        {"delta", text},
                                        {"logprobs", Json::array()}});
  } else if (kind == Part::reasoning) {
    emit("response.reasoning_text.delta", {{"item_id", item_id_},
                                           {"output_index", output_index_},
                                           {"content_index", 0},
                                           {"delta", text}});
  } else {
    emit("response.function_call_arguments.delta",
         {{"item_id", item_id_}, {"output_index", output_index_}, {"delta", text}});
  }
}

void ResponsesStreamWriter::on_events(const ChoiceResult&,
                                      const std::vector<sdk::ParseEvent>& events,
                                      const std::vector<TokenLogprob>&) {
  route(events);
}

void ResponsesStreamWriter::on_finish(const ChoiceResult&) {
  close_part();
}

void ResponsesStreamWriter::end(const ChoiceResult& choice, const Usage& usage) {
  close_part();
  if (output_.empty()) {
    // Nothing was said: still one (empty) message, as a completed reply has.
    open_part(Part::text, nullptr);
    close_part();
  }
  Json r = response_object(state_, &choice, &usage, output_);
  const std::string status = r["status"];
  emit(status == "incomplete" ? "response.incomplete"
       : status == "failed"   ? "response.failed"
                              : "response.completed",
       {{"response", r}});
}

void ResponsesStreamWriter::fail(const std::string& code, const std::string& message) {
  close_part();
  Json r = response_object(state_, nullptr, nullptr, output_);
  r["status"] = "failed";
  r["error"] = {{"code", code}, {"message", message}};
  emit("response.failed", {{"response", r}});
}

}  // namespace rmlx::api
