#include "api/openai_writer.h"

#include "api/wire_util.h"

namespace rmlx::api {

namespace {

constexpr const char* kFingerprint = "rmlx";

Json token_bytes(const std::string& s) {
  Json b = Json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

Json finish_json(const ChoiceResult& c) {
  return c.finish_reason;
}

// Completions' logprobs: parallel lists, offsets into the text.
Json completion_logprobs(const std::vector<TokenLogprob>& lps, std::size_t offset) {
  Json tokens = Json::array(), token_lps = Json::array(), tops = Json::array(),
       offsets = Json::array();
  for (const auto& lp : lps) {
    tokens.push_back(lp.token);
    token_lps.push_back(lp.logprob);
    Json top = Json::object();
    for (const auto& [t, l] : lp.top) top[t] = l;
    tops.push_back(top);
    offsets.push_back(offset);
    offset += lp.token.size();
  }
  return {{"tokens", tokens},
          {"token_logprobs", token_lps},
          {"top_logprobs", tops},
          {"text_offset", offsets}};
}

// The fields every OpenAI completion object and chunk starts with.
Json envelope(const ResponseMeta& meta, const char* object, Json choices) {
  return {{"id", meta.id},
          {"object", object},
          {"created", meta.created},
          {"model", meta.model},
          {"system_fingerprint", kFingerprint},
          {"choices", std::move(choices)}};
}

// The end of an OpenAI stream: the usage chunk when asked for, then [DONE].
std::string stream_end(const ResponseMeta& meta, const char* object, bool include_usage,
                       const Usage& usage) {
  std::string out;
  if (include_usage) {
    Json c = envelope(meta, object, Json::array());
    c["usage"] = openai_usage(usage);
    out += sse_data(c);
  }
  return out + "data: [DONE]\n\n";
}

}  // namespace

Json openai_usage(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}},
          {"completion_tokens_details", {{"reasoning_tokens", u.reasoning_tokens}}}};
}

Json chat_logprobs(const std::vector<TokenLogprob>& lps) {
  Json content = Json::array();
  for (const auto& lp : lps) {
    Json top = Json::array();
    for (const auto& [t, l] : lp.top) {
      top.push_back({{"token", t}, {"logprob", l}, {"bytes", token_bytes(t)}});
    }
    content.push_back({{"token", lp.token},
                       {"logprob", lp.logprob},
                       {"bytes", token_bytes(lp.token)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}, {"refusal", nullptr}};
}

Json chat_completion_body(const ResponseMeta& meta, const std::vector<ChoiceResult>& choices,
                          const Usage& usage) {
  Json out = Json::array();
  for (const auto& c : choices) {
    Json message = {{"role", "assistant"}};
    message["content"] =
        c.content.empty() && !c.tool_calls.empty() ? Json(nullptr) : Json(c.content);
    message["refusal"] = nullptr;
    if (!c.reasoning.empty()) {
      message["reasoning_content"] = c.reasoning;
      message["reasoning"] = c.reasoning;
    }
    if (!c.tool_calls.empty()) {
      Json calls = Json::array();
      for (const auto& t : c.tool_calls) {
        calls.push_back({{"id", t.id},
                         {"type", "function"},
                         {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
      }
      message["tool_calls"] = calls;
    }
    Json choice = {{"index", c.index}, {"message", message}};
    choice["logprobs"] = c.logprobs.empty() ? Json(nullptr) : chat_logprobs(c.logprobs);
    choice["finish_reason"] = finish_json(c);
    out.push_back(choice);
  }
  Json body = envelope(meta, "chat.completion", std::move(out));
  body["usage"] = openai_usage(usage);
  return body;
}

Json completion_body(const ResponseMeta& meta, const std::vector<ChoiceResult>& choices,
                     const std::vector<PreparedPrompt>& prompts, bool echo, const Usage& usage) {
  Json out = Json::array();
  for (const auto& c : choices) {
    std::string prefix = echo ? prompts[static_cast<std::size_t>(c.prompt_index)].text : "";
    Json choice = {{"index", c.index}, {"text", prefix + c.content}};
    choice["logprobs"] =
        c.logprobs.empty() ? Json(nullptr) : completion_logprobs(c.logprobs, prefix.size());
    choice["finish_reason"] = finish_json(c);
    out.push_back(choice);
  }
  Json body = envelope(meta, "text_completion", std::move(out));
  body["usage"] = openai_usage(usage);
  return body;
}

ChatStreamWriter::ChatStreamWriter(ResponseMeta meta, bool include_usage)
    : meta_(std::move(meta)), include_usage_(include_usage) {}

Json ChatStreamWriter::chunk(int index, Json delta, Json finish_reason, Json logprobs) const {
  Json c = envelope(meta_, "chat.completion.chunk",
                    Json::array({{{"index", index},
                                  {"delta", std::move(delta)},
                                  {"logprobs", std::move(logprobs)},
                                  {"finish_reason", std::move(finish_reason)}}}));
  if (include_usage_) c["usage"] = nullptr;
  return c;
}

void ChatStreamWriter::begin(int choices) {
  for (int i = 0; i < choices; ++i) {
    out_ += sse_data(chunk(i, {{"role", "assistant"}, {"content", ""}}, nullptr, nullptr));
  }
}

void ChatStreamWriter::on_events(const ChoiceResult& choice,
                                 const std::vector<sdk::ParseEvent>& events,
                                 const std::vector<TokenLogprob>& logprobs) {
  Json lp = logprobs.empty() ? Json(nullptr) : chat_logprobs(logprobs);
  bool lp_sent = false;
  auto send = [&](Json delta) {
    out_ += sse_data(chunk(choice.index, std::move(delta), nullptr, lp_sent ? Json(nullptr) : lp));
    lp_sent = true;
  };
  for (const auto& e : events) {
    switch (e.kind) {
      case sdk::EventKind::content:
        send({{"content", e.text}});
        break;
      case sdk::EventKind::reasoning:
        send({{"reasoning_content", e.text}, {"reasoning", e.text}});
        break;
      case sdk::EventKind::tool_call_begin:
        send(
            {{"tool_calls", Json::array({{{"index", e.tool_index},
                                          {"id", e.id},
                                          {"type", "function"},
                                          {"function", {{"name", e.name}, {"arguments", ""}}}}})}});
        break;
      case sdk::EventKind::tool_call_args:
        send({{"tool_calls",
               Json::array({{{"index", e.tool_index}, {"function", {{"arguments", e.text}}}}})}});
        break;
      default:
        break;
    }
  }
  if (!lp_sent && !logprobs.empty()) send({{"content", ""}});
}

void ChatStreamWriter::on_finish(const ChoiceResult& choice) {
  if (choice.finish_reason == "cancelled") return;  // the caller reports why
  if (choice.finish_reason == "error") {
    out_ += sse_data({{"error",
                       {{"message", choice.error},
                        {"type", "server_error"},
                        {"param", nullptr},
                        {"code", nullptr}}}});
    return;
  }
  out_ += sse_data(chunk(choice.index, Json::object(), finish_json(choice), nullptr));
}

void ChatStreamWriter::end(const Usage& usage) {
  out_ += stream_end(meta_, "chat.completion.chunk", include_usage_, usage);
}

CompletionStreamWriter::CompletionStreamWriter(ResponseMeta meta, bool include_usage, bool echo,
                                               const std::vector<PreparedPrompt>* prompts, int n)
    : meta_(std::move(meta)),
      include_usage_(include_usage),
      echo_(echo),
      prompts_(prompts),
      n_(n) {}

Json CompletionStreamWriter::chunk(int index, const std::string& text, Json finish_reason,
                                   Json logprobs) const {
  Json c = envelope(meta_, "text_completion",
                    Json::array({{{"index", index},
                                  {"text", text},
                                  {"logprobs", std::move(logprobs)},
                                  {"finish_reason", std::move(finish_reason)}}}));
  if (include_usage_) c["usage"] = nullptr;
  return c;
}

void CompletionStreamWriter::begin(int choices) {
  if (!echo_) return;
  for (int i = 0; i < choices; ++i) {
    out_ +=
        sse_data(chunk(i, (*prompts_)[static_cast<std::size_t>(i / n_)].text, nullptr, nullptr));
  }
}

void CompletionStreamWriter::on_events(const ChoiceResult& choice,
                                       const std::vector<sdk::ParseEvent>& events,
                                       const std::vector<TokenLogprob>& logprobs) {
  std::string text;
  for (const auto& e : events) {
    if (e.kind == sdk::EventKind::content) text += e.text;
  }
  Json lp = logprobs.empty() ? Json(nullptr) : completion_logprobs(logprobs, 0);
  out_ += sse_data(chunk(choice.index, text, nullptr, std::move(lp)));
}

void CompletionStreamWriter::on_finish(const ChoiceResult& choice) {
  if (choice.finish_reason == "cancelled") return;  // the caller reports why
  if (choice.finish_reason == "error") {
    out_ += sse_data({{"error",
                       {{"message", choice.error},
                        {"type", "server_error"},
                        {"param", nullptr},
                        {"code", nullptr}}}});
    return;
  }
  out_ += sse_data(chunk(choice.index, "", choice.finish_reason, nullptr));
}

void CompletionStreamWriter::end(const Usage& usage) {
  out_ += stream_end(meta_, "text_completion", include_usage_, usage);
}

}  // namespace rmlx::api

namespace rmlx::api {

void ChatStreamWriter::error(const ApiError& e) {
  out_ += sse_data(stream_error_body(Dialect::openai, e));
  out_ += "data: [DONE]\n\n";
}

void CompletionStreamWriter::error(const ApiError& e) {
  out_ += sse_data(stream_error_body(Dialect::openai, e));
  out_ += "data: [DONE]\n\n";
}

}  // namespace rmlx::api
