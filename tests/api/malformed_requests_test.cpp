// Malformed requests against a live server: each gets the right status and
// the exact error body of its dialect, and the server keeps answering the
// good requests sent between them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "live_server.h"

namespace rmlx::api::test {
namespace {

using nlohmann::json;

constexpr const char* kKey = "sk-test-123";

struct Case {
  std::string name;
  std::string path;
  std::string body;
  int status;
  json error;  // expected: OpenAI {"message","type","param","code"} / Anthropic {"type","message"}
  std::string key = kKey;
  std::string method = "POST";
};

std::string chat(const std::string& extra, const std::string& model = "weightless") {
  return R"({"model": ")" + model + R"(", "messages": [{"role": "user", "content": "hi"})" + "]" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

json oai(const std::string& message, const std::string& type = "invalid_request_error",
         json param = nullptr, json code = nullptr) {
  return {{"message", message}, {"type", type}, {"param", param}, {"code", code}};
}

json ant(const std::string& message, const std::string& type = "invalid_request_error") {
  return {{"type", type}, {"message", message}};
}

std::string msgs(const std::string& messages, const std::string& extra = R"("max_tokens": 10)") {
  return R"({"model": "weightless", "messages": )" + messages + ", " + extra + "}";
}

std::vector<Case> cases() {
  const std::string ten_mb =
      R"({"model": "weightless", "pad": ")" + std::string(10u << 20, 'x') + R"("})";
  std::vector<Case> c = {
      {"bad json", "/v1/chat/completions", R"({"model": )", 400,
       oai("the request body is not valid JSON: parse error at line 1, column 11: syntax error "
           "while parsing value - unexpected end of input; expected '[', '{', or a literal")},
      {"empty body", "/v1/chat/completions", "", 400, oai("the request body is empty")},
      {"array body", "/v1/chat/completions", "[]", 400,
       oai("the request body must be a JSON object, got array")},
      {"invalid utf-8", "/v1/chat/completions",
       R"({"model": "weightless", "messages": [{"role": "user", "content": ")"
       "\xc3\x28"
       R"("}]})",
       400,
       oai("the request body is not valid JSON: parse error at line 1, column 68: syntax error "
           "while parsing value - invalid string: ill-formed UTF-8 byte")},
      {"model not a string", "/v1/chat/completions", chat("").replace(10, 12, "5"), 400,
       oai("'model' must be a string, got integer", "invalid_request_error", "model")},
      {"no model", "/v1/chat/completions", R"({"messages": []})", 400,
       oai("'model' is required", "invalid_request_error", "model")},
      {"unknown model", "/v1/chat/completions", chat("", "gpt-17"), 404,
       oai("the model 'gpt-17' does not exist (served: weightless)", "invalid_request_error",
           "model", "model_not_found")},
      {"no messages", "/v1/chat/completions", R"({"model": "weightless"})", 400,
       oai("'messages' is required", "invalid_request_error", "messages")},
      {"empty messages", "/v1/chat/completions", R"({"model": "weightless", "messages": []})", 400,
       oai("'messages' must hold at least one message", "invalid_request_error", "messages")},
      {"unknown role", "/v1/chat/completions",
       R"({"model": "weightless", "messages": [{"role": "robot", "content": "x"}]})", 400,
       oai("'messages[0].role' must be \"system\", \"developer\", \"user\", \"assistant\" or "
           "\"tool\", got \"robot\"",
           "invalid_request_error", "messages[0].role")},
      {"content not text", "/v1/chat/completions",
       R"({"model": "weightless", "messages": [{"role": "user", "content": {"a": 1}}]})", 400,
       oai("'messages[0].content' must be a string or an array of content parts, got object",
           "invalid_request_error", "messages[0].content")},
      {"negative max_tokens", "/v1/chat/completions", chat(R"("max_tokens": -5)"), 400,
       oai("'max_tokens' must be at least 1, got -5", "invalid_request_error", "max_tokens")},
      {"huge max_tokens", "/v1/chat/completions", chat(R"("max_tokens": 99999999999)"), 400,
       oai("'max_tokens' must be at most 16777216, got 99999999999", "invalid_request_error",
           "max_tokens")},
      {"max_completion_tokens string", "/v1/chat/completions",
       chat(R"("max_completion_tokens": "ten")"), 400,
       oai("'max_completion_tokens' must be an integer, got \"ten\"", "invalid_request_error",
           "max_completion_tokens")},
      {"temperature too high", "/v1/chat/completions", chat(R"("temperature": 9)"), 400,
       oai("'temperature' must be between 0.0 and 2.0, got 9", "invalid_request_error",
           "temperature")},
      {"n zero", "/v1/chat/completions", chat(R"("n": 0)"), 400,
       oai("'n' must be at least 1, got 0", "invalid_request_error", "n")},
      {"stream not bool", "/v1/chat/completions", chat(R"("stream": 1)"), 400,
       oai("'stream' must be a boolean, got integer", "invalid_request_error", "stream")},
      {"stop not strings", "/v1/chat/completions", chat(R"("stop": [1])"), 400,
       oai("'stop[0]' must be a string, got integer", "invalid_request_error", "stop[0]")},
      {"image part without url", "/v1/chat/completions",
       R"({"model": "weightless", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]})",
       400,
       oai("'messages[0].content[0].image_url.url' is required", "invalid_request_error",
           "messages[0].content[0].image_url.url")},
      {"image part on a text model", "/v1/chat/completions",
       R"({"model": "weightless", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]})",
       400,
       oai("'messages[0].content[0].type': image input is not supported by this model",
           "invalid_request_error", "messages[0].content[0].type")},
      {"unknown part type", "/v1/chat/completions",
       R"({"model": "weightless", "messages": [{"role": "user", "content": [{"type": "hologram"}]}]})",
       400,
       oai("'messages[0].content[0].type' is not a known content part type: \"hologram\"",
           "invalid_request_error", "messages[0].content[0].type")},
      {"logit_bias key", "/v1/chat/completions", chat(R"("logit_bias": {"x1": 2})"), 400,
       oai("'logit_bias' keys must be token ids, got \"x1\"", "invalid_request_error",
           "logit_bias")},
      {"top_logprobs alone", "/v1/chat/completions", chat(R"("top_logprobs": 3)"), 400,
       oai("'top_logprobs' needs \"logprobs\": true", "invalid_request_error", "top_logprobs")},
      {"bad tool name", "/v1/chat/completions",
       chat(R"("tools": [{"type": "function", "function": {"name": "get weather"}}])"), 400,
       oai("'tools[0].function.name' may only hold a-z, A-Z, 0-9, '_', '-' and '.'",
           "invalid_request_error", "tools[0].function.name")},
      {"required without tools", "/v1/chat/completions", chat(R"("tool_choice": "required")"), 400,
       oai("'tool_choice' is \"required\" but no tools were given", "invalid_request_error",
           "tool_choice")},
      {"named tool not declared", "/v1/chat/completions",
       chat(
           R"("tools": [{"type": "function", "function": {"name": "a"}}], "tool_choice": {"type": "function", "function": {"name": "b"}})"),
       400,
       oai("'tool_choice.function.name' names \"b\", which is not among the declared tools",
           "invalid_request_error", "tool_choice.function.name")},
      {"response_format type", "/v1/chat/completions",
       chat(R"("response_format": {"type": "yaml"})"), 400,
       oai("'response_format.type' must be \"text\", \"json_object\" or \"json_schema\", got "
           "\"yaml\"",
           "invalid_request_error", "response_format.type")},
      {"wrong api key", "/v1/chat/completions", chat(""), 401,
       oai("invalid API key", "authentication_error", nullptr, "invalid_api_key"), "sk-wrong"},
      {"no api key", "/v1/models", "", 401,
       oai("no API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
           "authentication_error", nullptr, "invalid_api_key"),
       "", "GET"},
      {"10 MB body", "/v1/chat/completions", ten_mb, 413,
       oai("the request body exceeds the limit of 8388608 bytes", "invalid_request_error", nullptr,
           "request_too_large")},
      {"unknown route", "/v1/engines", "{}", 404,
       oai("no route for POST /v1/engines", "invalid_request_error", nullptr, "not_found")},
      {"GET on a POST route", "/v1/chat/completions", "", 404,
       oai("no route for GET /v1/chat/completions", "invalid_request_error", nullptr, "not_found"),
       kKey, "GET"},
      {"embeddings on a generative model", "/v1/embeddings",
       R"({"model": "weightless", "input": "x"})", 400,
       oai("model 'weightless' cannot embed: it is a generative model; /v1/embeddings needs an "
           "embedding model",
           "invalid_request_error", "model", "model_not_embedding")},
      {"weights missing", "/v1/chat/completions", chat(""), 503, json()},
      {"completion without prompt", "/v1/completions", R"({"model": "weightless"})", 400,
       oai("'prompt' is required", "invalid_request_error", "prompt")},
      {"completion negative token", "/v1/completions",
       R"({"model": "weightless", "prompt": [5, -1]})", 400,
       oai("'prompt[1]' must be a token id, got -1", "invalid_request_error", "prompt[1]")},
      {"completion token beyond vocab", "/v1/completions",
       R"({"model": "weightless", "prompt": [5, 99999999]})", 400,
       oai("'prompt' holds token id 99999999, outside the vocabulary of 151669",
           "invalid_request_error", "prompt")},
      {"completion suffix", "/v1/completions",
       R"({"model": "weightless", "prompt": "a", "suffix": "b"})", 400,
       oai("'suffix' is not supported", "invalid_request_error", "suffix")},
      {"responses without input", "/v1/responses", R"({"model": "weightless"})", 400,
       oai("'input' is required", "invalid_request_error", "input")},
      {"responses bad item", "/v1/responses",
       R"({"model": "weightless", "input": [{"type": "dream"}]})", 400,
       oai("'input[0].type' is not a supported input item type: \"dream\"", "invalid_request_error",
           "input[0].type")},
      {"responses unknown previous id", "/v1/responses",
       R"({"model": "weightless", "input": "x", "previous_response_id": "resp_nope"})", 404,
       oai("previous response 'resp_nope' was not found", "invalid_request_error",
           "previous_response_id", "previous_response_not_found")},
      {"messages without max_tokens", "/v1/messages",
       R"({"model": "weightless", "messages": [{"role": "user", "content": "x"}]})", 400,
       ant("'max_tokens' is required")},
      {"messages system role", "/v1/messages", msgs(R"([{"role": "system", "content": "x"}])"), 400,
       ant("'messages[0].role' must be \"user\" or \"assistant\", got \"system\"")},
      {"messages temperature", "/v1/messages",
       msgs(R"([{"role": "user", "content": "x"}])", R"("max_tokens": 5, "temperature": 1.5)"), 400,
       ant("'temperature' must be between 0.0 and 1.0, got 1.5")},
      {"messages bad image source", "/v1/messages",
       msgs(R"([{"role": "user", "content": [{"type": "image", "source": {"type": "ftp"}}]}])"),
       400, ant("'messages[0].content[0].source.type' must be \"base64\" or \"url\", got \"ftp\"")},
      {"messages empty", "/v1/messages", msgs("[]"), 400,
       ant("'messages' must hold at least one message")},
      {"messages thinking budget", "/v1/messages",
       msgs(R"([{"role": "user", "content": "x"}])",
            R"("max_tokens": 10, "thinking": {"type": "enabled", "budget_tokens": 20})"),
       400, ant("'thinking.budget_tokens' must be less than max_tokens")},
      {"messages unknown model", "/v1/messages",
       R"({"model": "claude-9", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]})",
       404, ant("the model 'claude-9' does not exist (served: weightless)", "not_found_error")},
      {"messages wrong key", "/v1/messages", msgs(R"([{"role": "user", "content": "x"}])"), 401,
       ant("invalid API key", "authentication_error"), "nope"},
      {"messages 10 MB", "/v1/messages", ten_mb, 413,
       ant("the request body exceeds the limit of 8388608 bytes", "request_too_large")},
      {"count_tokens bad json", "/v1/messages/count_tokens", "{", 400,
       ant("the request body is not valid JSON: parse error at line 1, column 2: syntax error "
           "while parsing object key - unexpected end of input; expected string literal")},
  };
  return c;
}

TEST(MalformedRequests, EachGetsItsErrorAndTheServerKeepsServing) {
  TempDir dir("weightless");
  LiveServer server({"--model", write_weightless_model(dir.path()), "--api-key", kKey});
  auto cli = server.client();
  httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kKey}};
  const std::string good =
      R"({"model": "weightless", "messages": [{"role": "user", "content": "Hello"}]})";
  // The Qwen3 template's rendering of that conversation, tokenized.
  auto good_request = [&](const std::string& after) {
    auto r = cli->Post("/v1/messages/count_tokens", auth, good, "application/json");
    ASSERT_TRUE(r) << "after " << after;
    ASSERT_EQ(r->status, 200) << "after " << after << ": " << r->body;
    EXPECT_EQ(json::parse(r->body), json({{"input_tokens", 9}})) << "after " << after;
  };
  good_request("start");
  const auto all = cases();
  ASSERT_GE(all.size(), 40u);
  for (const auto& c : all) {
    SCOPED_TRACE(c.name);
    httplib::Headers h;
    if (!c.key.empty()) {
      if (c.path.rfind("/v1/messages", 0) == 0) {
        h = {{"x-api-key", c.key}, {"anthropic-version", "2023-06-01"}};
      } else {
        h = {{"Authorization", "Bearer " + c.key}};
      }
    }
    auto r = c.method == "GET" ? cli->Get(c.path.c_str(), h)
                               : cli->Post(c.path.c_str(), h, c.body, "application/json");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, c.status) << r->body;
    json body = json::parse(r->body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << r->body;
    if (c.path.rfind("/v1/messages", 0) == 0) {
      EXPECT_EQ(body["type"], "error");
      EXPECT_EQ(body["error"], c.error);
      EXPECT_TRUE(body["request_id"].is_string());
    } else if (c.status == 503) {
      EXPECT_EQ(body["error"]["type"], "unavailable_error");
      EXPECT_EQ(body["error"]["message"].get<std::string>().rfind(
                    "model 'weightless' failed to load: ", 0),
                0u)
          << r->body;
    } else {
      EXPECT_EQ(body, json({{"error", c.error}}));
    }
    good_request(c.name);
    auto models = cli->Get("/v1/models", auth);
    ASSERT_TRUE(models);
    EXPECT_EQ(models->status, 200);
    server.process().err();  // keep the log pipe drained
  }
}

}  // namespace
}  // namespace rmlx::api::test
