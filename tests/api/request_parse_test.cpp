// Request bodies of each dialect to GenerationRequest: every field lands
// where it should, and each kind of bad input gets a 400 naming the field.
#include <gtest/gtest.h>

#include "api/anthropic_request.h"
#include "api/api_error.h"
#include "api/openai_request.h"
#include "api/responses_api.h"

namespace rmlx::api {
namespace {

Json J(const char* s) {
  return Json::parse(s);
}

// The error a parse throws, as "status|message|param".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return std::to_string(e.status()) + "|" + e.what() + "|" + e.param();
  }
  return "no error";
}

TEST(ChatRequest, EveryFieldLandsInPlace) {
  auto r = parse_chat_request(J(R"({
    "model": "m", "stream": true, "stream_options": {"include_usage": true},
    "n": 3, "seed": 42, "stop": ["END", "###"], "max_tokens": 5, "max_completion_tokens": 7,
    "temperature": 0.5, "top_p": 0.9, "top_k": 40, "min_p": 0.05,
    "presence_penalty": 0.5, "frequency_penalty": -0.5, "repetition_penalty": 1.1,
    "logit_bias": {"12": -100, "7": 5.5}, "logprobs": true, "top_logprobs": 3,
    "chat_template_kwargs": {"enable_thinking": false},
    "unknown_field": {"ignored": true},
    "messages": [
      {"role": "developer", "content": "be brief"},
      {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
      {"role": "assistant", "content": null, "reasoning": "hmm",
       "tool_calls": [{"id": "call_1", "type": "function",
                       "function": {"name": "f", "arguments": "{\"x\": 1}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "42"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}}
  })"));
  EXPECT_EQ(r.model, "m");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.n, 3);
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"END", "###"}));
  EXPECT_EQ(r.max_tokens, 7);  // max_completion_tokens wins
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_EQ(r.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.05f);
  EXPECT_FLOAT_EQ(r.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.frequency_penalty, -0.5f);
  EXPECT_FLOAT_EQ(r.sampling.repetition_penalty, 1.1f);
  ASSERT_EQ(r.sampling.logit_bias.size(), 2u);
  EXPECT_EQ(r.sampling.logit_bias[0], (std::pair<std::int32_t, float>{12, -100.0f}));
  EXPECT_EQ(r.sampling.logit_bias[1], (std::pair<std::int32_t, float>{7, 5.5f}));
  EXPECT_TRUE(r.sampling.logprobs);
  EXPECT_EQ(r.sampling.top_logprobs, 3);
  EXPECT_EQ(r.template_kwargs, J(R"({"enable_thinking": false})"));
  EXPECT_EQ(r.messages, J(R"([
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "a\nb"},
    {"role": "assistant", "content": "", "reasoning_content": "hmm",
     "tool_calls": [{"id": "call_1", "type": "function",
                     "function": {"name": "f", "arguments": {"x": 1}}}]},
    {"role": "tool", "content": "42", "tool_call_id": "call_1"}])"));
  EXPECT_EQ(r.tools, J(R"([{"type": "function", "function": {"name": "f",
                           "parameters": {"type": "object"}}}])"));
  EXPECT_EQ(r.tool_choice, ToolChoice::named);
  EXPECT_EQ(r.tool_choice_name, "f");
}

TEST(ChatRequest, DefaultsAndToolChoice) {
  auto r =
      parse_chat_request(J(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}]})"));
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.n, 1);
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_EQ(r.tool_choice, ToolChoice::none);
  auto t = parse_chat_request(J(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}],
    "tools": [{"type": "function", "function": {"name": "g"}}]})"));
  EXPECT_EQ(t.tool_choice, ToolChoice::auto_);
  EXPECT_EQ(t.tools[0]["function"]["parameters"], J(R"({"type": "object", "properties": {}})"));
  auto f = parse_chat_request(J(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}],
    "response_format": {"type": "json_schema", "json_schema": {"name": "s", "strict": true,
    "schema": {"type": "object"}}}})"));
  EXPECT_EQ(f.constraint.kind, OutputConstraint::Kind::json_schema);
  EXPECT_EQ(f.constraint.name, "s");
  EXPECT_TRUE(f.constraint.strict);
  EXPECT_EQ(f.constraint.schema, J(R"({"type": "object"})"));
}

struct BadCase {
  const char* body;
  const char* expected;  // status|message|param
};

class ChatRequestErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ChatRequestErrors, NameTheField) {
  EXPECT_EQ(error_of([&] { parse_chat_request(J(GetParam().body)); }), GetParam().expected);
}

#define MSG R"("messages": [{"role": "user", "content": "hi"}])"
INSTANTIATE_TEST_SUITE_P(
    Bodies, ChatRequestErrors,
    ::testing::Values(
        BadCase{R"({"messages": []})", "400|'model' is required|model"},
        BadCase{R"({"model": 7, )" MSG "}", "400|'model' must be a string, got integer|model"},
        BadCase{R"({"model": "m"})", "400|'messages' is required|messages"},
        BadCase{R"({"model": "m", "messages": []})",
                "400|'messages' must hold at least one message|messages"},
        BadCase{R"({"model": "m", "messages": "hi"})",
                "400|'messages' must be an array, got string|messages"},
        BadCase{R"({"model": "m", "messages": [{"role": "wizard", "content": "x"}]})",
                "400|'messages[0].role' must be \"system\", \"developer\", \"user\", "
                "\"assistant\" or \"tool\", got \"wizard\"|messages[0].role"},
        BadCase{R"({"model": "m", "messages": [{"role": "user"}]})",
                "400|'messages[0].content' is required|messages[0].content"},
        BadCase{R"({"model": "m", "messages": [{"role": "user", "content": 5}]})",
                "400|'messages[0].content' must be a string or an array of content parts, got "
                "integer|messages[0].content"},
        BadCase{
            R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]})",
            "400|'messages[0].content[0].image_url' is required|messages[0].content[0].image_url"},
        BadCase{R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url",
                   "image_url": {"url": "data:image/png,xyz"}}]}]})",
                "400|'messages[0].content[0].image_url.url' is a data: URL without ';base64,'|"
                "messages[0].content[0].image_url.url"},
        BadCase{R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url",
                   "image_url": {"url": "https://x/y.png"}}]}]})",
                "400|'messages[0].content[0].type': image input is not supported by this model|"
                "messages[0].content[0].type"},
        BadCase{R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "video"}]}]})",
                "400|'messages[0].content[0].type' is not a known content part type: \"video\"|"
                "messages[0].content[0].type"},
        BadCase{R"({"model": "m", "messages": [{"role": "tool", "content": "x"}]})",
                "400|'messages[0].tool_call_id' is required|messages[0].tool_call_id"},
        BadCase{R"({"model": "m", "max_tokens": -1, )" MSG "}",
                "400|'max_tokens' must be at least 1, got -1|max_tokens"},
        BadCase{R"({"model": "m", "max_tokens": 1e12, )" MSG "}",
                "400|'max_tokens' must be at most 16777216, got 1000000000000.0|max_tokens"},
        BadCase{R"({"model": "m", "max_tokens": 2.5, )" MSG "}",
                "400|'max_tokens' must be an integer, got 2.5|max_tokens"},
        BadCase{R"({"model": "m", "max_tokens": "10", )" MSG "}",
                "400|'max_tokens' must be an integer, got \"10\"|max_tokens"},
        BadCase{R"({"model": "m", "temperature": 3, )" MSG "}",
                "400|'temperature' must be between 0.0 and 2.0, got 3|temperature"},
        BadCase{R"({"model": "m", "temperature": "hot", )" MSG "}",
                "400|'temperature' must be a number, got string|temperature"},
        BadCase{R"({"model": "m", "n": 0, )" MSG "}", "400|'n' must be at least 1, got 0|n"},
        BadCase{R"({"model": "m", "stream": "yes", )" MSG "}",
                "400|'stream' must be a boolean, got string|stream"},
        BadCase{R"({"model": "m", "stop": 5, )" MSG "}",
                "400|'stop' must be a string or an array of strings, got integer|stop"},
        BadCase{R"({"model": "m", "logit_bias": {"abc": 1}, )" MSG "}",
                "400|'logit_bias' keys must be token ids, got \"abc\"|logit_bias"},
        BadCase{R"({"model": "m", "logit_bias": {"5": 101}, )" MSG "}",
                "400|'logit_bias.5' must be between -100 and 100, got 101|logit_bias.5"},
        BadCase{R"({"model": "m", "top_logprobs": 21, "logprobs": true, )" MSG "}",
                "400|'top_logprobs' must be at most 20, got 21|top_logprobs"},
        BadCase{R"({"model": "m", "top_logprobs": 2, )" MSG "}",
                "400|'top_logprobs' needs \"logprobs\": true|top_logprobs"},
        BadCase{
            R"({"model": "m", "tools": [{"type": "function", "function": {"name": "bad name"}}], )" MSG
            "}",
            "400|'tools[0].function.name' may only hold a-z, A-Z, 0-9, '_', '-' and '.'|"
            "tools[0].function.name"},
        BadCase{R"({"model": "m", "tool_choice": "required", )" MSG "}",
                "400|'tool_choice' is \"required\" but no tools were given|tool_choice"},
        BadCase{R"({"model": "m", "tool_choice": {"type": "function", "function": {"name": "zz"}},
                   "tools": [{"type": "function", "function": {"name": "f"}}], )" MSG "}",
                "400|'tool_choice.function.name' names \"zz\", which is not among the declared "
                "tools|tool_choice.function.name"},
        BadCase{R"({"model": "m", "response_format": {"type": "xml"}, )" MSG "}",
                "400|'response_format.type' must be \"text\", \"json_object\" or \"json_schema\", "
                "got \"xml\"|response_format.type"},
        BadCase{R"({"model": "m", "chat_template_kwargs": [], )" MSG "}",
                "400|'chat_template_kwargs' must be an object, got array|chat_template_kwargs"}));

TEST(CompletionRequest, PromptForms) {
  auto a = parse_completion_request(J(R"({"model": "m", "prompt": "Once"})"));
  EXPECT_EQ(a.prompt_texts, std::vector<std::string>{"Once"});
  EXPECT_EQ(a.max_tokens, 16);  // OpenAI's default
  EXPECT_FALSE(a.chat);
  auto b = parse_completion_request(J(R"({"model": "m", "prompt": [1, 2, 3], "echo": true,
                                          "logprobs": 2})"));
  EXPECT_EQ(b.prompt_ids, (std::vector<std::vector<std::int32_t>>{{1, 2, 3}}));
  EXPECT_TRUE(b.echo);
  EXPECT_TRUE(b.sampling.logprobs);
  EXPECT_EQ(b.sampling.top_logprobs, 2);
  auto c = parse_completion_request(J(R"({"model": "m", "prompt": ["a", "b"]})"));
  EXPECT_EQ(c.prompt_texts, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(error_of([] { parse_completion_request(J(R"({"model": "m"})")); }),
            "400|'prompt' is required|prompt");
  EXPECT_EQ(error_of([] { parse_completion_request(J(R"({"model": "m", "prompt": [1, -2]})")); }),
            "400|'prompt[1]' must be a token id, got -2|prompt[1]");
  EXPECT_EQ(
      error_of([] { parse_completion_request(J(R"({"model": "m", "prompt": ["a", [1]]})")); }),
      "400|'prompt' mixes text and token prompts|prompt");
  EXPECT_EQ(error_of([] {
              parse_completion_request(J(R"({"model": "m", "prompt": "a", "suffix": "z"})"));
            }),
            "400|'suffix' is not supported|suffix");
}

TEST(MessagesRequest, BlocksBecomeTemplateMessages) {
  auto r = parse_messages_request(J(R"({
    "model": "m", "max_tokens": 100, "system": [{"type": "text", "text": "sys"}],
    "stop_sequences": ["Human:"], "temperature": 0.3, "top_k": 5, "top_p": 0.8,
    "thinking": {"type": "enabled", "budget_tokens": 50},
    "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
    "messages": [
      {"role": "user", "content": "weather?"},
      {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "use the tool", "signature": "x"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "-3C"}]},
        {"type": "text", "text": "thanks"}]}]})"));
  EXPECT_EQ(r.max_tokens, 100);
  EXPECT_EQ(r.stop, std::vector<std::string>{"Human:"});
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.3f);
  EXPECT_EQ(r.sampling.top_k, 5);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.8f);
  EXPECT_EQ(r.reasoning_budget, 50);
  EXPECT_EQ(r.template_kwargs, J(R"({"enable_thinking": true})"));
  EXPECT_EQ(r.tool_choice, ToolChoice::required);
  EXPECT_FALSE(r.parallel_tool_calls);
  EXPECT_EQ(r.messages, J(R"([
    {"role": "system", "content": "sys"},
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": "", "reasoning_content": "use the tool",
     "tool_calls": [{"id": "toolu_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]},
    {"role": "tool", "tool_call_id": "toolu_1", "content": "-3C"},
    {"role": "user", "content": "thanks"}])"));
}

TEST(MessagesRequest, Errors) {
  EXPECT_EQ(error_of([] {
              parse_messages_request(
                  J(R"({"model": "m", "messages": [{"role": "user", "content": "x"}]})"));
            }),
            "400|'max_tokens' is required|max_tokens");
  EXPECT_EQ(
      error_of([] {
        parse_messages_request(J(R"({"model": "m", "max_tokens": 5,
                "messages": [{"role": "system", "content": "x"}]})"));
      }),
      "400|'messages[0].role' must be \"user\" or \"assistant\", got \"system\"|messages[0].role");
  EXPECT_EQ(error_of([] {
              parse_messages_request(J(R"({"model": "m", "max_tokens": 5, "temperature": 1.5,
                "messages": [{"role": "user", "content": "x"}]})"));
            }),
            "400|'temperature' must be between 0.0 and 1.0, got 1.5|temperature");
  EXPECT_EQ(
      error_of([] {
        parse_messages_request(J(R"({"model": "m", "max_tokens": 5, "messages": [{"role": "user",
                "content": [{"type": "image", "source": {"type": "file"}}]}]})"));
      }),
      "400|'messages[0].content[0].source.type' must be \"base64\" or \"url\", got \"file\"|"
      "messages[0].content[0].source.type");
  EXPECT_EQ(error_of([] {
              parse_messages_request(J(R"({"model": "m", "max_tokens": 5,
                "thinking": {"type": "enabled", "budget_tokens": 10},
                "messages": [{"role": "user", "content": "x"}]})"));
            }),
            "400|'thinking.budget_tokens' must be less than max_tokens|thinking.budget_tokens");
  // count_tokens needs no max_tokens.
  auto c = parse_messages_request(
      J(R"({"model": "m", "messages": [{"role": "user", "content": "x"}]})"), true);
  EXPECT_EQ(c.messages.size(), 1u);
}

TEST(SpeculativeField, EveryDialectReadsIt) {
  auto chat = parse_chat_request(J(R"({"model": "m", "speculative": {"drafter": "ngram"},
    "messages": [{"role": "user", "content": "x"}]})"));
  EXPECT_EQ(chat.drafter, std::optional<std::string>("ngram"));
  EXPECT_FALSE(chat.draft_tokens.has_value());
  auto msg = parse_messages_request(J(R"({"model": "m", "max_tokens": 5,
    "speculative": {"drafter": "ngram", "num_draft_tokens": 4},
    "messages": [{"role": "user", "content": "x"}]})"));
  EXPECT_EQ(msg.drafter, std::optional<std::string>("ngram"));
  EXPECT_EQ(msg.draft_tokens, std::optional<int>(4));
  auto resp = parse_responses_request(J(R"({"model": "m", "input": "x",
    "speculative": {"drafter": "layerskip:8", "num_draft_tokens": 2}})"));
  EXPECT_EQ(resp.gen.drafter, std::optional<std::string>("layerskip:8"));
  EXPECT_EQ(resp.gen.draft_tokens, std::optional<int>(2));
  EXPECT_EQ(error_of([] {
              parse_messages_request(J(R"({"model": "m", "max_tokens": 5,
                "speculative": {"num_draft_tokens": 1000},
                "messages": [{"role": "user", "content": "x"}]})"));
            }),
            "400|'speculative.num_draft_tokens' must be at most 64, got 1000|"
            "speculative.num_draft_tokens");
  EXPECT_EQ(error_of([] {
              parse_responses_request(
                  J(R"({"model": "m", "input": "x", "speculative": {"num_draft_tokens": 0}})"));
            }),
            "400|'speculative.num_draft_tokens' must be at least 1, got 0|"
            "speculative.num_draft_tokens");
}

TEST(ResponsesRequest, ItemsBecomeTemplateMessages) {
  auto r = parse_responses_request(J(R"({
    "model": "m", "instructions": "be terse", "max_output_tokens": 64, "store": false,
    "tools": [{"type": "function", "name": "shell", "parameters": {"type": "object"}},
              {"type": "web_search"}],
    "tool_choice": "auto",
    "input": [
      {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "ls"}]},
      {"type": "reasoning", "summary": [{"type": "summary_text", "text": "run it"}]},
      {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{\"cmd\":\"ls\"}"},
      {"type": "function_call_output", "call_id": "c1", "output": "a.txt"}]})"));
  EXPECT_FALSE(r.store);
  EXPECT_EQ(r.gen.max_tokens, 64);
  EXPECT_EQ(r.gen.tools, J(R"([{"type": "function", "function": {"name": "shell",
                               "parameters": {"type": "object"}}}])"));
  EXPECT_EQ(r.gen.tool_choice, ToolChoice::auto_);
  EXPECT_EQ(nlohmann::json(r.gen.messages), nlohmann::json(J(R"([
    {"role": "system", "content": "be terse"},
    {"role": "user", "content": "ls"},
    {"role": "assistant", "content": "", "reasoning_content": "run it",
     "tool_calls": [{"id": "c1", "type": "function",
                     "function": {"name": "shell", "arguments": {"cmd": "ls"}}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "a.txt"}])")));
  EXPECT_EQ(error_of([] { parse_responses_request(J(R"({"model": "m", "input": 3})")); }),
            "400|'input' must be a string or an array of items, got integer|input");
  EXPECT_EQ(error_of([] {
              parse_responses_request(J(R"({"model": "m", "input": [{"type": "telepathy"}]})"));
            }),
            "400|'input[0].type' is not a supported input item type: \"telepathy\"|input[0].type");
}

TEST(Body, BadJsonAndRoot) {
  EXPECT_EQ(error_of([] { parse_body(""); }), "400|the request body is empty|");
  EXPECT_EQ(error_of([] { parse_body("[1]"); }),
            "400|the request body must be a JSON object, got array|");
  EXPECT_EQ(error_of([] { parse_body("{\"a\": \"\xff\"}"); }),
            "400|the request body is not valid JSON: parse error at line 1, column 8: syntax "
            "error while parsing value - invalid string: ill-formed UTF-8 byte|");
  EXPECT_EQ(error_of([] { parse_body("{\"a\": 1,}"); }),
            "400|the request body is not valid JSON: parse error at line 1, column 9: syntax "
            "error while parsing object key - unexpected '}'; expected string literal|");
}

}  // namespace
}  // namespace rmlx::api
