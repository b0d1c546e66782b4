// Dialect writers fed a scripted sequence of text / reasoning / tool-call
// events: the exact events each client library reads.
#include <gtest/gtest.h>

#include "api/anthropic_writer.h"
#include "api/openai_writer.h"
#include "api/responses_api.h"

namespace rmlx::api {
namespace {

sdk::ParseEvent ev(sdk::EventKind k, std::string text, int index = -1, std::string id = "",
                   std::string name = "") {
  sdk::ParseEvent e;
  e.kind = k;
  e.text = std::move(text);
  e.tool_index = index;
  e.id = std::move(id);
  e.name = std::move(name);
  return e;
}

// A reply that thinks, says something, then calls a tool in two fragments.
std::vector<sdk::ParseEvent> agent_turn() {
  return {ev(sdk::EventKind::reasoning, "need data"),
          ev(sdk::EventKind::content, "Checking."),
          ev(sdk::EventKind::tool_call_begin, "", 0, "call_1", "get_weather"),
          ev(sdk::EventKind::tool_call_args, "{\"city\": ", 0),
          ev(sdk::EventKind::tool_call_args, "\"Oslo\"}", 0),
          ev(sdk::EventKind::tool_call_end, "", 0)};
}

ChoiceResult finished_agent_turn() {
  ChoiceResult c;
  c.reasoning = "need data";
  c.content = "Checking.";
  c.tool_calls = {{"call_1", "get_weather", "{\"city\": \"Oslo\"}"}};
  c.finish_reason = "tool_calls";
  c.done = true;
  return c;
}

// The "data:" payloads of an SSE text.
std::vector<Json> data_lines(const std::string& sse) {
  std::vector<Json> out;
  std::size_t pos = 0;
  while ((pos = sse.find("data: ", pos)) != std::string::npos) {
    auto end = sse.find("\n\n", pos);
    std::string payload = sse.substr(pos + 6, end - pos - 6);
    out.push_back(payload == "[DONE]" ? Json("[DONE]") : Json::parse(payload));
    pos = end;
  }
  return out;
}

std::vector<std::string> event_names(const std::string& sse) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = sse.find("event: ", pos)) != std::string::npos) {
    auto end = sse.find('\n', pos);
    out.push_back(sse.substr(pos + 7, end - pos - 7));
    pos = end;
  }
  return out;
}

TEST(ChatStreamWriter, ToolCallDeltasCarryIdAndNameFirstThenArguments) {
  ChatStreamWriter w({"chatcmpl-1", "m", 5}, false);
  w.begin(1);
  ChoiceResult c = finished_agent_turn();
  w.on_events(c, agent_turn(), {});
  w.on_finish(c);
  w.end(Usage{});
  auto lines = data_lines(w.take());
  std::vector<Json> deltas;
  for (const auto& l : lines) {
    if (l.is_string()) continue;
    EXPECT_FALSE(l.contains("usage"));  // only with include_usage
    deltas.push_back(l["choices"][0]["delta"]);
  }
  ASSERT_EQ(deltas.size(), 7u);
  EXPECT_EQ(deltas[0], Json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(deltas[1], Json::parse(R"({"reasoning_content":"need data","reasoning":"need data"})"));
  EXPECT_EQ(deltas[2], Json::parse(R"({"content":"Checking."})"));
  EXPECT_EQ(deltas[3], Json::parse(R"({"tool_calls":[{"index":0,"id":"call_1","type":"function",
                                       "function":{"name":"get_weather","arguments":""}}]})"));
  EXPECT_EQ(deltas[4],
            Json::parse(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": "}}]})"));
  EXPECT_EQ(deltas[5],
            Json::parse(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]})"));
  EXPECT_EQ(lines[6]["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(lines[6]["choices"][0]["delta"], Json::object());
  EXPECT_EQ(lines.back(), Json("[DONE]"));
  EXPECT_EQ(lines.size(), 8u);
}

TEST(ChatCompletionBody, MessageWithReasoningAndToolCalls) {
  Usage u{10, 4, 20, 3};
  auto body = chat_completion_body({"chatcmpl-1", "m", 5}, {finished_agent_turn()}, u);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0], Json::parse(R"({"index":0,"message":{"role":"assistant",
    "content":"Checking.","refusal":null,"reasoning_content":"need data","reasoning":"need data",
    "tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather",
    "arguments":"{\"city\": \"Oslo\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"})"));
  EXPECT_EQ(body["usage"], Json::parse(R"({"prompt_tokens":10,"completion_tokens":20,
    "total_tokens":30,"prompt_tokens_details":{"cached_tokens":4},
    "completion_tokens_details":{"reasoning_tokens":3}})"));
}

TEST(ChatCompletionBody, LogprobsCarryTokenBytesAndAlternatives) {
  ChoiceResult c;
  c.content = "é";
  c.finish_reason = "stop";
  c.logprobs = {{"é", -0.25f, {{"é", -0.25f}, {"e", -1.5f}}}};
  auto body = chat_completion_body({"x", "m", 1}, {c}, Usage{});
  EXPECT_EQ(body["choices"][0]["logprobs"], Json::parse(R"({"content":[{"token":"é","logprob":-0.25,
    "bytes":[195,169],"top_logprobs":[{"token":"é","logprob":-0.25,"bytes":[195,169]},
    {"token":"e","logprob":-1.5,"bytes":[101]}]}],"refusal":null})"));
}

TEST(CompletionBody, EchoPrefixesThePromptAndOffsetsFollowIt) {
  ChoiceResult c;
  c.content = " world";
  c.finish_reason = "length";
  c.logprobs = {{" world", -1.0f, {}}};
  PreparedPrompt p;
  p.text = "Hello";
  auto body = completion_body({"cmpl-1", "m", 1}, {c}, {p}, true, Usage{2, 0, 1, 0});
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["choices"][0]["text"], "Hello world");
  EXPECT_EQ(body["choices"][0]["logprobs"], Json::parse(R"({"tokens":[" world"],
    "token_logprobs":[-1.0],"top_logprobs":[{}],"text_offset":[5]})"));
  EXPECT_EQ(body["usage"]["total_tokens"], 3);
}

TEST(MessageStreamWriter, BlocksOpenAndCloseAsTheOutputChangesKind) {
  MessageStreamWriter w({"msg_1", "m", 12});
  w.begin();
  ChoiceResult c = finished_agent_turn();
  w.on_events(c, agent_turn(), {});
  w.on_finish(c);
  w.end(Usage{12, 0, 30, 0}, c);
  const std::string sse = w.take();
  EXPECT_EQ(
      event_names(sse),
      (std::vector<std::string>{"message_start", "ping", "content_block_start",
                                "content_block_delta", "content_block_delta", "content_block_stop",
                                "content_block_start", "content_block_delta", "content_block_stop",
                                "content_block_start", "content_block_delta", "content_block_delta",
                                "content_block_stop", "message_delta", "message_stop"}));
  auto d = data_lines(sse);
  EXPECT_EQ(d[0]["message"]["usage"]["input_tokens"], 12);
  EXPECT_EQ(d[0]["message"]["content"], Json::array());
  EXPECT_EQ(d[2], Json::parse(R"({"type":"content_block_start","index":0,
    "content_block":{"type":"thinking","thinking":"","signature":""}})"));
  EXPECT_EQ(d[3]["delta"], Json::parse(R"({"type":"thinking_delta","thinking":"need data"})"));
  EXPECT_EQ(d[4]["delta"], Json::parse(R"({"type":"signature_delta","signature":""})"));
  EXPECT_EQ(d[7]["delta"], Json::parse(R"({"type":"text_delta","text":"Checking."})"));
  EXPECT_EQ(d[9], Json::parse(R"({"type":"content_block_start","index":2,
    "content_block":{"type":"tool_use","id":"call_1","name":"get_weather","input":{}}})"));
  EXPECT_EQ(d[10]["delta"],
            Json::parse(R"({"type":"input_json_delta","partial_json":"{\"city\": "})"));
  EXPECT_EQ(d[13], Json::parse(R"({"type":"message_delta","delta":{"stop_reason":"tool_use",
    "stop_sequence":null},"usage":{"input_tokens":12,"output_tokens":30,
    "cache_creation_input_tokens":0,"cache_read_input_tokens":0}})"));
}

TEST(MessageBody, ContentBlocksAndStopReasons) {
  auto body = message_body({"msg_1", "m", 3}, finished_agent_turn(), Usage{3, 1, 7, 0});
  EXPECT_EQ(body["content"],
            Json::parse(R"([{"type":"thinking","thinking":"need data","signature":""},
    {"type":"text","text":"Checking."},
    {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Oslo"}}])"));
  EXPECT_EQ(body["stop_reason"], "tool_use");
  EXPECT_EQ(body["usage"]["input_tokens"], 2);
  EXPECT_EQ(body["usage"]["cache_read_input_tokens"], 1);
  ChoiceResult s;
  s.content = "x";
  s.finish_reason = "stop";
  s.stop_sequence = "END";
  EXPECT_EQ(message_body({"m", "m", 1}, s, Usage{})["stop_reason"], "stop_sequence");
  EXPECT_EQ(message_body({"m", "m", 1}, s, Usage{})["stop_sequence"], "END");
  s.stop_sequence.reset();
  s.finish_reason = "length";
  EXPECT_EQ(message_body({"m", "m", 1}, s, Usage{})["stop_reason"], "max_tokens");
}

TEST(ResponsesStreamWriter, TheEventSequenceCodexReads) {
  ResponsesStreamWriter w({"resp_abc", "m", 9, Json::object()});
  w.begin();
  ChoiceResult c = finished_agent_turn();
  w.on_events(c, agent_turn(), {});
  w.on_finish(c);
  w.end(c, Usage{5, 0, 8, 2});
  const std::string sse = w.take();
  EXPECT_EQ(
      event_names(sse),
      (std::vector<std::string>{
          "response.created", "response.in_progress", "response.output_item.added",
          "response.reasoning_text.delta", "response.reasoning_text.done",
          "response.output_item.done", "response.output_item.added", "response.content_part.added",
          "response.output_text.delta", "response.output_text.done", "response.content_part.done",
          "response.output_item.done", "response.output_item.added",
          "response.function_call_arguments.delta", "response.function_call_arguments.delta",
          "response.function_call_arguments.done", "response.output_item.done",
          "response.completed"}));
  auto d = data_lines(sse);
  for (std::size_t i = 0; i < d.size(); ++i) EXPECT_EQ(d[i]["sequence_number"], i);
  EXPECT_EQ(d[0]["response"]["id"], "resp_abc");
  EXPECT_EQ(d[0]["response"]["status"], "in_progress");
  EXPECT_EQ(d[8]["delta"], "Checking.");
  EXPECT_EQ(d[8]["logprobs"], Json::array());
  EXPECT_EQ(d[16]["item"], Json::parse(R"({"type":"function_call","id":"fc_abc2","call_id":"call_1",
    "name":"get_weather","arguments":"{\"city\": \"Oslo\"}","status":"completed"})"));
  const Json& done = d[17]["response"];
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["output"].size(), 3u);
  EXPECT_EQ(done["usage"],
            Json::parse(R"({"input_tokens":5,"input_tokens_details":{"cached_tokens":0},
    "output_tokens":8,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":13})"));
}

TEST(ResponsesStreamWriter, MaxTokensEndsIncomplete) {
  ResponsesStreamWriter w({"resp_x", "m", 9, Json::object()});
  w.begin();
  ChoiceResult c;
  c.content = "partial";
  c.finish_reason = "length";
  w.on_events(c, {ev(sdk::EventKind::content, "partial")}, {});
  w.end(c, Usage{});
  auto names = event_names(w.take());
  EXPECT_EQ(names.back(), "response.incomplete");
}

}  // namespace
}  // namespace rmlx::api
