#include "api/anthropic_writer.h"

#include "api/wire_util.h"

namespace rmlx::api {

namespace {

Json parse_input(const std::string& arguments) {
  try {
    Json j = Json::parse(arguments.empty() ? "{}" : arguments);
    if (j.is_object()) return j;
  } catch (const Json::exception&) {
  }
  return Json::object();
}

}  // namespace

std::string anthropic_stop_reason(const ChoiceResult& c) {
  if (c.stop_sequence) return "stop_sequence";
  if (c.finish_reason == "length") return "max_tokens";
  if (c.finish_reason == "tool_calls") return "tool_use";
  return "end_turn";
}

Json anthropic_usage(const Usage& u) {
  return {{"input_tokens", u.prompt_tokens - u.cached_tokens},
          {"output_tokens", u.completion_tokens},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", u.cached_tokens}};
}

Json message_body(const MessageMeta& meta, const ChoiceResult& c, const Usage& usage) {
  Json content = Json::array();
  if (!c.reasoning.empty()) {
    content.push_back({{"type", "thinking"}, {"thinking", c.reasoning}, {"signature", ""}});
  }
  if (!c.content.empty()) content.push_back({{"type", "text"}, {"text", c.content}});
  for (const auto& t : c.tool_calls) {
    content.push_back({{"type", "tool_use"},
                       {"id", t.id},
                       {"name", t.name},
                       {"input", parse_input(t.arguments)}});
  }
  return {{"id", meta.id},
          {"type", "message"},
          {"role", "assistant"},
          {"model", meta.model},
          {"content", content},
          {"stop_reason", anthropic_stop_reason(c)},
          {"stop_sequence", c.stop_sequence ? Json(*c.stop_sequence) : Json(nullptr)},
          {"usage", anthropic_usage(usage)}};
}

MessageStreamWriter::MessageStreamWriter(MessageMeta meta) : meta_(std::move(meta)) {}

void MessageStreamWriter::begin() {
  Json message = {{"id", meta_.id},
                  {"type", "message"},
                  {"role", "assistant"},
                  {"model", meta_.model},
                  {"content", Json::array()},
                  {"stop_reason", nullptr},
                  {"stop_sequence", nullptr},
                  {"usage",
                   {{"input_tokens", meta_.input_tokens},
                    {"output_tokens", 0},
                    {"cache_creation_input_tokens", 0},
                    {"cache_read_input_tokens", 0}}}};
  out_ += sse_event("message_start", {{"type", "message_start"}, {"message", message}});
  ping();
}

void MessageStreamWriter::error(const ApiError& e) {
  close_part();
  out_ += sse_event("error", stream_error_body(Dialect::anthropic, e));
}

void MessageStreamWriter::ping() {
  out_ += sse_event("ping", {{"type", "ping"}});
}

void MessageStreamWriter::part_opened(Part kind, const sdk::ParseEvent* call) {
  ++index_;
  Json block;
  if (kind == Part::text) {
    block = {{"type", "text"}, {"text", ""}};
  } else if (kind == Part::reasoning) {
    block = {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}};
  } else {
    block = {
        {"type", "tool_use"}, {"id", call->id}, {"name", call->name}, {"input", Json::object()}};
  }
  out_ += sse_event("content_block_start",
                    {{"type", "content_block_start"}, {"index", index_}, {"content_block", block}});
}

void MessageStreamWriter::part_delta(Part kind, const std::string& text) {
  Json delta;
  if (kind == Part::text) {
    delta = {{"type", "text_delta"}, {"text", text}};
  } else if (kind == Part::reasoning) {
    delta = {{"type", "thinking_delta"}, {"thinking", text}};
  } else {
    delta = {{"type", "input_json_delta"}, {"partial_json", text}};
  }
  out_ += sse_event("content_block_delta",
                    {{"type", "content_block_delta"}, {"index", index_}, {"delta", delta}});
}

void MessageStreamWriter::part_closed(Part kind) {
  if (kind == Part::reasoning) {
    out_ += sse_event("content_block_delta",
                      {{"type", "content_block_delta"},
                       {"index", index_},
                       {"delta", {{"type", "signature_delta"}, {"signature", ""}}}});
  }
  out_ += sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
}

void MessageStreamWriter::on_events(const ChoiceResult&, const std::vector<sdk::ParseEvent>& events,
                                    const std::vector<TokenLogprob>&) {
  route(events);
}

void MessageStreamWriter::on_finish(const ChoiceResult&) {
  close_part();
}

void MessageStreamWriter::end(const Usage& usage, const ChoiceResult& choice) {
  close_part();
  if (choice.finish_reason == "error") {
    out_ += sse_event("error", {{"type", "error"},
                                {"error", {{"type", "api_error"}, {"message", choice.error}}}});
    return;
  }
  out_ += sse_event(
      "message_delta",
      {{"type", "message_delta"},
       {"delta",
        {{"stop_reason", anthropic_stop_reason(choice)},
         {"stop_sequence", choice.stop_sequence ? Json(*choice.stop_sequence) : Json(nullptr)}}},
       {"usage", anthropic_usage(usage)}});
  out_ += sse_event("message_stop", {{"type", "message_stop"}});
}

}  // namespace rmlx::api
