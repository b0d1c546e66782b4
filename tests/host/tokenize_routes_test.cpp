// POST /tokenize, /detokenize and /apply-template on a live `rmlx-host serve`
// over folders that hold only tokenizer files (Qwen3 and Gemma 3 with a chat
// template, Llama 2 without one): the ids equal the tokenizer library's, text survives
// the round trip, the template renders what `rmlx-host template` prints, and
// malformed bodies get a 400 naming the field.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "process.h"
#include "rmlx/tokenizer/tokenizer.h"
#include "temp_dir.h"

namespace {

using Json = nlohmann::ordered_json;

const std::string kData = RMLX_TOKENIZER_DATA_DIR;

const std::vector<std::string> kTexts = {
    "Hello, world! How are you today?",
    "  leading spaces\n\n\ttabs and\r\nnewlines   ",
    "def f(x):\n    return x ** 2  # square\n",
    "日本語のテキストと中文混合",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "family: 👩‍👩‍👧‍👦 flag: 🇫🇷",
    "1234567890123456789 3.14159",
    "<|im_start|>user\nspecial tokens inside<|im_end|>",
};

class TokenizeRoutes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new Process({RMLX_HOST_BIN, "serve", "--port", "0", "--model", kData + "/qwen3",
                           "--model", kData + "/llama2", "--model", kData + "/gemma3"});
    const std::string port = server_->wait_for_stderr(R"(listening on http://127\.0\.0\.1:(\d+))");
    ASSERT_FALSE(port.empty()) << server_->err();
    port_ = std::stoi(port);
  }
  static void TearDownTestSuite() {
    server_->signal(SIGTERM);
    server_->wait(10000);
    delete server_;
    server_ = nullptr;
  }

  // Returns (status, body).
  static std::pair<int, Json> post(const std::string& path, const std::string& body) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60, 0);
    auto res = client.Post(path.c_str(), body, "application/json");
    if (!res) return {0, nullptr};
    return {res->status, Json::parse(res->body)};
  }
  static std::pair<int, Json> post(const std::string& path, const Json& body) {
    return post(path, body.dump());
  }
  // The error message of a 4xx body in OpenAI's shape.
  static std::string error_of(const std::pair<int, Json>& r) {
    return r.second.at("error").at("message").get<std::string>();
  }

  static Process* server_;
  static int port_;
};

Process* TokenizeRoutes::server_ = nullptr;
int TokenizeRoutes::port_ = 0;

TEST_F(TokenizeRoutes, PromptIdsEqualTheTokenizer) {
  auto [status, body] = post("/tokenize", Json{{"model", "qwen3"},
                                               {"prompt", "Hello, world! How are you today?"},
                                               {"return_token_strs", true}});
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["tokens"], Json::parse("[9707, 11, 1879, 0, 2585, 525, 498, 3351, 30]"));
  EXPECT_EQ(body["count"], 9);
  EXPECT_EQ(body["token_strs"],
            Json::parse(R"(["Hello", ",", "Ġworld", "!", "ĠHow", "Ġare", "Ġyou", "Ġtoday", "?"])"));
  EXPECT_TRUE(body["max_model_len"].is_null());

  for (const char* name : {"qwen3", "llama2"}) {
    const auto tok = rmlx::tokenizer::Tokenizer::from_dir(kData + "/" + name);
    for (const auto& text : kTexts) {
      for (bool special : {true, false}) {
        auto r = post("/tokenize",
                      Json{{"model", name}, {"prompt", text}, {"add_special_tokens", special}});
        ASSERT_EQ(r.first, 200) << r.second.dump();
        EXPECT_EQ(r.second["tokens"].get<std::vector<int32_t>>(), tok.encode(text, special))
            << name << " " << special << " " << text;
        EXPECT_TRUE(r.second["token_strs"].is_null());
      }
    }
  }
  // Llama 2 adds <s> (id 1) by default, not when asked not to.
  auto with = post("/tokenize", Json{{"model", "llama2"}, {"prompt", "Hi"}});
  auto without =
      post("/tokenize", Json{{"model", "llama2"}, {"prompt", "Hi"}, {"add_special_tokens", false}});
  EXPECT_EQ(with.second["tokens"], Json::parse("[1, 15359]"));
  EXPECT_EQ(without.second["tokens"], Json::parse("[15359]"));
}

TEST_F(TokenizeRoutes, DetokenizeRoundTrip) {
  for (const char* name : {"qwen3", "llama2"}) {
    for (const auto& text : kTexts) {
      auto ids =
          post("/tokenize", Json{{"model", name}, {"prompt", text}, {"add_special_tokens", false}});
      ASSERT_EQ(ids.first, 200);
      auto back = post("/detokenize", Json{{"model", name}, {"tokens", ids.second["tokens"]}});
      ASSERT_EQ(back.first, 200) << back.second.dump();
      EXPECT_EQ(back.second["prompt"], text) << name;
    }
  }
  auto skipped = post("/detokenize", Json{{"model", "qwen3"},
                                          {"tokens", Json::parse("[151644, 9707, 151645]")},
                                          {"skip_special_tokens", true}});
  EXPECT_EQ(skipped.second, Json({{"prompt", "Hello"}}));
  auto kept = post("/detokenize",
                   Json{{"model", "qwen3"}, {"tokens", Json::parse("[151644, 9707, 151645]")}});
  EXPECT_EQ(kept.second, Json({{"prompt", "<|im_start|>Hello<|im_end|>"}}));
}

TEST_F(TokenizeRoutes, TemplateEqualsTheTemplateCommand) {
  const Json messages = Json::parse(R"([
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
      "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "content": "21C"},
    {"role": "assistant", "content": "<think>\nshort\n</think>\n\nIt is 21C."},
    {"role": "user", "content": "Thanks! 日本語?"}])");
  const Json tools = Json::parse(R"([{"type": "function", "function": {"name": "get_weather",
    "description": "Current weather", "parameters": {"type": "object",
    "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])");
  TempDir dir("tokenize-routes");
  dir.write("messages.json", messages.dump());
  dir.write("tools.json", tools.dump());
  struct Case {
    bool tools, generation_prompt;
    Json kwargs;
  };
  for (const Case& c :
       {Case{false, true, Json::object()}, Case{true, true, Json::object()},
        Case{true, false, Json::object()}, Case{false, true, Json{{"enable_thinking", false}}}}) {
    std::vector<std::string> argv = {RMLX_HOST_BIN, "template",
                                     "--model",     kData + "/qwen3",
                                     "--messages",  dir.path() + "/messages.json",
                                     "--kwargs",    c.kwargs.dump()};
    if (c.tools) argv.insert(argv.end(), {"--tools", dir.path() + "/tools.json"});
    if (c.generation_prompt) argv.push_back("--add-generation-prompt");
    Process cli(argv);
    ASSERT_EQ(cli.wait(), 0) << cli.err();
    ASSERT_FALSE(cli.out().empty());

    Json request = {{"model", "qwen3"},
                    {"messages", messages},
                    {"add_generation_prompt", c.generation_prompt},
                    {"chat_template_kwargs", c.kwargs}};
    if (c.tools) request["tools"] = tools;
    auto rendered = post("/apply-template", request);
    ASSERT_EQ(rendered.first, 200) << rendered.second.dump();
    EXPECT_EQ(rendered.second, Json({{"prompt", cli.out()}}));

    // /tokenize with messages: the rendered text, its special tokens parsed, nothing added.
    auto ids = post("/tokenize", request);
    ASSERT_EQ(ids.first, 200) << ids.second.dump();
    const auto tok = rmlx::tokenizer::Tokenizer::from_dir(kData + "/qwen3");
    EXPECT_EQ(ids.second["tokens"].get<std::vector<int32_t>>(), tok.encode(cli.out(), false));
    EXPECT_EQ(ids.second["tokens"][0], 151644);  // <|im_start|>
  }
  // add_generation_prompt defaults to true (vLLM's default for chat requests).
  auto dflt =
      post("/apply-template", Json{{"model", "qwen3"}, {"messages", Json::parse(R"([{"role": "user",
                                                                 "content": "Hi"}])")}});
  EXPECT_EQ(dflt.second["prompt"], "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

// As transformers' apply_chat_template(..., continue_final_message=True) renders them.
TEST_F(TokenizeRoutes, ContinueFinalMessage) {
  auto qwen3 = post("/apply-template", Json::parse(R"({"model": "qwen3", "messages": [
      {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "The answer is "}],
      "continue_final_message": true})"));
  ASSERT_EQ(qwen3.first, 200) << qwen3.second.dump();
  EXPECT_EQ(qwen3.second["prompt"],
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nThe "
            "answer is ");
  // Gemma 3 trims message text, so the spacing before the cut goes too.
  auto gemma3 = post("/tokenize", Json::parse(R"({"model": "gemma3", "messages": [
      {"role": "user", "content": "Hi"},
      {"role": "assistant", "content": [{"type": "text", "text": "Sure, "}]}],
      "continue_final_message": true, "return_token_strs": true})"));
  ASSERT_EQ(gemma3.first, 200) << gemma3.second.dump();
  const auto tok = rmlx::tokenizer::Tokenizer::from_dir(kData + "/gemma3");
  EXPECT_EQ(
      gemma3.second["tokens"].get<std::vector<int32_t>>(),
      tok.encode("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nSure,", false));
  EXPECT_EQ(gemma3.second["token_strs"].back(), ",");
}

TEST_F(TokenizeRoutes, MalformedBodiesNameTheField) {
  struct Case {
    const char* path;
    std::string body;
    int status;
    std::string message;
    const char* param;
  };
  const std::vector<Case> cases = {
      {"/tokenize", "{\"model\": ", 400, "the request body is not valid JSON", ""},
      {"/tokenize", "[1, 2]", 400, "the request body must be a JSON object", ""},
      {"/tokenize", R"({"model": "qwen3"})", 400, "'prompt' or 'messages' is required", "messages"},
      {"/tokenize", R"({"prompt": "x"})", 400, "'model' is required", "model"},
      {"/tokenize", R"({"model": "qwen3", "prompt": "x", "messages": []})", 400,
       "give either 'prompt' or 'messages', not both", "prompt"},
      {"/tokenize", R"({"model": "qwen3", "prompt": 7})", 400,
       "'prompt' must be a string, got integer", "prompt"},
      {"/tokenize", R"({"model": "qwen3", "prompt": "x", "add_special_tokens": "yes"})", 400,
       "'add_special_tokens' must be a boolean, got string", "add_special_tokens"},
      {"/tokenize", R"({"model": "nope", "prompt": "x"})", 404,
       "the model 'nope' does not exist (served: qwen3, llama2, gemma3)", "model"},
      {"/tokenize", R"({"model": "llama2", "messages": [{"role": "user", "content": "x"}]})", 400,
       "model 'llama2' has no chat template; send 'prompt' instead", "messages"},
      {"/detokenize", R"({"model": "qwen3"})", 400, "'tokens' is required", "tokens"},
      {"/detokenize", R"({"model": "qwen3", "tokens": [1, "2"]})", 400,
       "'tokens[1]' must be an integer, got string", "tokens[1]"},
      {"/detokenize", R"({"model": "qwen3", "tokens": [1, 2.5]})", 400,
       "'tokens[1]' must be an integer, got number", "tokens[1]"},
      {"/detokenize", R"({"model": "qwen3", "tokens": [5, -1]})", 400,
       "'tokens[1]' is not a token id of this tokenizer (0..151668), got -1", "tokens[1]"},
      {"/detokenize", R"({"model": "qwen3", "tokens": [99999999999]})", 400,
       "'tokens[0]' is not a token id of this tokenizer (0..151668), got 99999999999", "tokens[0]"},
      {"/detokenize", R"({"model": "ghost", "tokens": [1]})", 404,
       "the model 'ghost' does not exist (served: qwen3, llama2, gemma3)", "model"},
      {"/apply-template", R"({"model": "qwen3"})", 400, "'messages' is required", "messages"},
      {"/apply-template", R"({"model": "qwen3", "messages": [{"content": "x"}]})", 400,
       "'messages[0].role' is required", "messages[0].role"},
      {"/apply-template", R"({"model": "qwen3", "messages": ["x"]})", 400,
       "'messages[0]' must be an object, got string", "messages[0]"},
      {"/apply-template",
       R"({"model": "qwen3", "messages": [{"role": "user", "content": "x"}],
           "continue_final_message": true, "add_generation_prompt": true})",
       400, "'continue_final_message' and 'add_generation_prompt' cannot both be true",
       "continue_final_message"},
      {"/apply-template",
       R"({"model": "qwen3", "messages": [{"role": "user", "content": 5}],
           "continue_final_message": true})",
       400, "'messages[0].content' has no text to continue (continue_final_message)",
       "messages[0].content"},
      {"/apply-template", R"({"model": "qwen3", "messages": []})", 400,
       "'messages' must hold at least one message", "messages"},
      {"/tokenize", R"({"model": "qwen3", "messages": []})", 400,
       "'messages' must hold at least one message", "messages"},
      {"/apply-template",
       R"({"model": "qwen3", "messages": [{"role": "user", "content": "x"}], "tools": [3]})", 400,
       "'tools[0]' must be an object, got integer", "tools[0]"},
      {"/apply-template",
       R"({"model": "qwen3", "messages": [{"role": "user", "content": "x"}],
           "chat_template_kwargs": "enable_thinking"})",
       400, "'chat_template_kwargs' must be an object, got string", "chat_template_kwargs"},
      {"/apply-template", R"({"model": "gemma3", "messages": [{"role": "user", "content": "x"},
                                                             {"role": "user", "content": "y"}]})",
       400,
       "the chat template of model 'gemma3' rejected the conversation: Conversation roles must "
       "alternate user/assistant/user/assistant/...",
       "messages"},
  };
  for (const auto& c : cases) {
    auto r = post(c.path, c.body);
    EXPECT_EQ(r.first, c.status) << c.path << " " << c.body << " -> " << r.second.dump();
    if (r.first != c.status) continue;
    EXPECT_EQ(error_of(r).substr(0, c.message.size()), c.message) << c.body;
    const Json& param = r.second["error"]["param"];
    EXPECT_EQ(param.is_null() ? std::string() : param.get<std::string>(), c.param) << c.body;
  }
}

}  // namespace
