// Tokens to events: detokenization, stop strings and the real think/hermes
// parser plugins, then whole generations over scripted engine streams, with
// the exact stream bytes a client gets.
#include <gtest/gtest.h>

#include "api/choice_decoder.h"
#include "api/generation.h"
#include "api/openai_writer.h"
#include "api/prompt_builder.h"
#include "fake_engine.h"
#include "rmlx/registry/registry.h"

namespace rmlx::api {
namespace {

using test::FakeStream;
using test::script;

const tokenizer::Tokenizer& qwen3() {
  static const auto tok = tokenizer::Tokenizer::from_dir(RMLX_API_TOKENIZER_DIR);
  return tok;
}

registry::Registry& plugins() {
  static registry::Registry reg;
  static bool scanned = false;
  if (!scanned) {
    reg.scan({RMLX_PLUGIN_BUILD_DIR});
    scanned = true;
  }
  return reg;
}

std::vector<engine::TokenOut> tokens_of(const std::string& text) {
  std::vector<engine::TokenOut> out;
  for (auto id : qwen3().encode(text, false)) {
    engine::TokenOut t;
    t.token = id;
    out.push_back(t);
  }
  return out;
}

std::string describe(const std::vector<sdk::ParseEvent>& events) {
  std::string s;
  for (const auto& e : events) {
    switch (e.kind) {
      case sdk::EventKind::content:
        s += "content(" + e.text + ")";
        break;
      case sdk::EventKind::reasoning:
        s += "reasoning(" + e.text + ")";
        break;
      case sdk::EventKind::tool_call_begin:
        s += "begin(" + std::to_string(e.tool_index) + "," + e.name + ")";
        break;
      case sdk::EventKind::tool_call_args:
        s += "args(" + e.text + ")";
        break;
      case sdk::EventKind::tool_call_end:
        s += "end(" + std::to_string(e.tool_index) + ")";
        break;
      default:
        s += "?";
    }
  }
  return s;
}

const char* kTools =
    R"([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";

// Every token pushed on its own, so parsers see the finest split.
std::vector<sdk::ParseEvent> run_decoder(ChoiceDecoder& d, const std::string& text,
                                         std::int32_t eos) {
  std::vector<sdk::ParseEvent> all;
  auto toks = tokens_of(text);
  engine::TokenOut end;
  end.token = eos;
  toks.push_back(end);
  for (const auto& t : toks) {
    for (auto& e : d.push(std::span<const engine::TokenOut>(&t, 1))) append_event(all, e);
  }
  for (auto& e : d.finish()) append_event(all, e);
  return all;
}

TEST(ChoiceDecoder, ReasoningContentAndToolCallThroughRealParsers) {
  auto think = plugins().create<sdk::ReasoningParser>("think");
  auto hermes = plugins().create<sdk::ToolParser>("hermes", R"({"id_seed": 7})");
  think->reset(kTools, "<|im_start|>assistant\n");
  hermes->reset(kTools, "<|im_start|>assistant\n");
  const std::int32_t eos = *qwen3().token_to_id("<|im_end|>");
  DecoderSetup s;
  s.tokenizer = &qwen3();
  s.skip_special_tokens = false;
  s.hidden_ids = {eos};
  s.reasoning = think.get();
  s.tools = hermes.get();
  ChoiceDecoder d(s);
  auto events = run_decoder(d,
                            "<think>\nThe user wants weather.\n</think>\n\nLet me check."
                            "\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                            "{\"city\": \"Paris\"}}\n</tool_call>",
                            eos);
  EXPECT_EQ(describe(events),
            "reasoning(The user wants weather.)content(Let me check.)begin(0,get_weather)"
            "args({\"city\":\"Paris\"})end(0)");
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[2].id.rfind("call_", 0), 0u);
  EXPECT_EQ(events[2].id.size(), 29u);
  EXPECT_EQ(d.tool_calls(), 1);
  EXPECT_FALSE(d.stopped());
}

TEST(ChoiceDecoder, AForcedCallEndsWhenItsArgumentsObjectCloses) {
  auto hermes = plugins().create<sdk::ToolParser>("hermes", R"({"id_seed": 7})");
  hermes->reset(kTools, "<|im_start|>assistant\n");
  DecoderSetup s;
  s.tokenizer = &qwen3();
  s.skip_special_tokens = false;
  s.tools = hermes.get();
  s.prefill = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ";
  s.forced_call_close = "}\n</tool_call>";
  ChoiceDecoder d(s);
  std::vector<sdk::ParseEvent> all;
  for (const auto& t :
       tokens_of("\n{\"city\": \"Pa}ris\", \"days\": [1, {\"a\": 2}]} and then rambling")) {
    for (auto& e : d.push(std::span<const engine::TokenOut>(&t, 1))) append_event(all, e);
  }
  for (auto& e : d.finish()) append_event(all, e);
  EXPECT_EQ(describe(all),
            "begin(0,get_weather)args({\"city\":\"Pa}ris\",\"days\":[1,{\"a\":2}]})end(0)");
  EXPECT_TRUE(d.stopped());
  EXPECT_EQ(d.stop_sequence(), std::nullopt);
  EXPECT_EQ(d.tool_calls(), 1);
}

TEST(ChoiceDecoder, StopStringEndsTheTextAndLaterTokensAreIgnored) {
  DecoderSetup s;
  s.tokenizer = &qwen3();
  s.stop = {"STOP"};
  ChoiceDecoder d(s);
  auto toks = tokens_of("Hello world. STOP and more text");
  std::vector<sdk::ParseEvent> all;
  for (const auto& t : toks) {
    for (auto& e : d.push(std::span<const engine::TokenOut>(&t, 1))) append_event(all, e);
  }
  for (auto& e : d.finish()) append_event(all, e);
  EXPECT_EQ(describe(all), "content(Hello world. )");
  EXPECT_TRUE(d.stopped());
  EXPECT_EQ(d.stop_sequence(), "STOP");
  EXPECT_EQ(d.text(), "Hello world. ");
}

TEST(ChoiceDecoder, MultiByteCharactersSplitAcrossTokensComeOutWhole) {
  DecoderSetup s;
  s.tokenizer = &qwen3();
  s.want_logprobs = true;
  ChoiceDecoder d(s);
  const std::string text = "naïve 日本語 🙂 done";
  auto toks = tokens_of(text);
  std::string joined;
  for (const auto& t : toks) {
    for (auto& e : d.push(std::span<const engine::TokenOut>(&t, 1))) {
      // Each piece is valid UTF-8 on its own.
      EXPECT_NO_THROW((void)Json(e.text).dump());
      joined += e.text;
    }
  }
  for (auto& e : d.finish()) joined += e.text;
  EXPECT_EQ(joined, text);
  EXPECT_EQ(d.take_logprobs().size(), toks.size());
}

struct FakeBackend {
  std::vector<engine::Request> submitted;
  std::vector<std::shared_ptr<FakeStream>> streams;
  std::vector<std::deque<engine::Event>> scripts;

  GenerationBackend backend(int max_model_len = 4096) {
    GenerationBackend b;
    b.tokenizer = &qwen3();
    b.submit = [this](engine::Request r) {
      submitted.push_back(r);
      auto s = std::make_shared<FakeStream>(scripts.at(streams.size()));
      streams.push_back(s);
      return s;
    };
    b.eos_ids = {*qwen3().token_to_id("<|im_end|>")};
    b.max_model_len = max_model_len;
    return b;
  }
};

std::vector<std::int32_t> ids_of(const std::string& text) {
  return qwen3().encode(text, false);
}

TEST(Generation, ChatStreamBytesForAPlainReply) {
  FakeBackend fb;
  auto reply = ids_of("Hi there");
  reply.push_back(*qwen3().token_to_id("<|im_end|>"));
  fb.scripts.push_back(script(reply, 2, engine::FinishReason::stop, 9));
  GenerationRequest r;
  r.model = "m";
  r.include_usage = true;
  PreparedPrompt p;
  p.ids = std::vector<std::int32_t>(9, 1);
  Generation g(fb.backend(), r, {p});
  g.start();
  ChatStreamWriter w({"chatcmpl-x", "m", 123}, true);
  w.begin(1);
  while (g.pump(&w, std::chrono::milliseconds(1))) {
  }
  w.end(g.usage());
  const std::string head =
      R"("id":"chatcmpl-x","object":"chat.completion.chunk","created":123,"model":"m","system_fingerprint":"rmlx",)";
  const std::string usage_null = R"(,"usage":null})";
  std::string expected =
      "data: {" + head +
      R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}])" +
      usage_null + "\n\n" + "data: {" + head +
      R"("choices":[{"index":0,"delta":{"content":"Hi there"},"logprobs":null,"finish_reason":null}])" +
      usage_null + "\n\n" + "data: {" + head +
      R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}])" + usage_null +
      "\n\n" + "data: {" + head +
      R"("choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})" +
      "\n\n" + "data: [DONE]\n\n";
  EXPECT_EQ(w.take(), expected);
  ASSERT_EQ(fb.submitted.size(), 1u);
  EXPECT_EQ(fb.submitted[0].max_tokens, 4096 - 9);  // the rest of the context by default
}

TEST(Generation, NChoicesGetConsecutiveSeedsAndSumUsage) {
  FakeBackend fb;
  for (int i = 0; i < 3; ++i) {
    fb.scripts.push_back(
        script(ids_of("answer " + std::to_string(i)), 1, engine::FinishReason::length, 5));
  }
  GenerationRequest r;
  r.n = 3;
  r.max_tokens = 3;
  r.sampling.seed = 100;
  PreparedPrompt p;
  p.ids = {1, 2, 3, 4, 5};
  Generation g(fb.backend(), r, {p});
  g.start();
  while (g.pump(nullptr, std::chrono::milliseconds(1))) {
  }
  ASSERT_EQ(fb.submitted.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fb.submitted[static_cast<std::size_t>(i)].sampling.seed,
              100u + static_cast<unsigned>(i));
    EXPECT_EQ(fb.submitted[static_cast<std::size_t>(i)].max_tokens, 3);
    const auto& c = g.results()[static_cast<std::size_t>(i)];
    EXPECT_EQ(c.content, "answer " + std::to_string(i));
    EXPECT_EQ(c.finish_reason, "length");
    EXPECT_EQ(c.index, i);
  }
  auto u = g.usage();
  EXPECT_EQ(u.prompt_tokens, 5);  // the prompt counts once
  EXPECT_EQ(u.completion_tokens, 9);
}

TEST(Generation, StopStringCancelsTheEngineStream) {
  FakeBackend fb;
  fb.scripts.push_back(
      script(ids_of("one two three four five six"), 1, engine::FinishReason::length, 4));
  GenerationRequest r;
  r.stop = {" three"};
  PreparedPrompt p;
  p.ids = {1, 2, 3, 4};
  Generation g(fb.backend(), r, {p});
  g.start();
  while (g.pump(nullptr, std::chrono::milliseconds(1))) {
  }
  EXPECT_TRUE(fb.streams[0]->cancelled());
  EXPECT_EQ(g.results()[0].content, "one two");
  EXPECT_EQ(g.results()[0].finish_reason, "stop");
  EXPECT_EQ(g.results()[0].stop_sequence, " three");
}

TEST(Generation, PromptLongerThanTheContextIsA400) {
  FakeBackend fb;
  GenerationRequest r;
  r.max_tokens = 10;
  PreparedPrompt p;
  p.ids = std::vector<std::int32_t>(95, 1);
  Generation g(fb.backend(100), r, {p});
  try {
    g.start();
    FAIL() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.code(), "context_length_exceeded");
    EXPECT_STREQ(e.what(),
                 "this model's maximum context length is 100 tokens, but 105 were requested (95 "
                 "in the prompt, 10 to generate)");
  }
  EXPECT_TRUE(fb.submitted.empty());
}

TEST(PromptBuilder, QwenTemplateRendersToolsAndANamedChoiceBeginsTheCall) {
  auto templates = tmpl::ChatTemplateConfig::load(RMLX_API_TOKENIZER_DIR);
  GenerationRequest r;
  r.messages = Json::parse(R"([{"role": "user", "content": "Weather in Paris?"}])");
  r.tools = Json::parse(kTools);
  r.tool_choice = ToolChoice::named;
  r.tool_choice_name = "get_weather";
  r.template_kwargs = {{"enable_thinking", false}};
  ParserChoice parsers{"hermes", "think"};
  auto p = build_chat_prompt(templates, qwen3(), parsers, r, "qwen3");
  EXPECT_NE(
      p.text.find("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\""),
      std::string::npos)
      << p.text;
  EXPECT_EQ(p.prefill, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ");
  const std::string end = "<|im_start|>assistant\n<think>\n\n</think>\n\n" + p.prefill;
  ASSERT_GE(p.text.size(), end.size());
  EXPECT_EQ(p.text.substr(p.text.size() - end.size()), end);
  EXPECT_EQ(p.ids, qwen3().encode(p.text, false));
}

}  // namespace
}  // namespace rmlx::api
