// The reasoning parser first, its content into the tool parser: the way a
// server stacks them. The combined events must not depend on the split either.
#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

struct Chain {
  std::string reasoning_library;
  std::string reasoning_name;
  std::string tool_library;
  std::string tool_name;
  std::string prompt_tail;

  Events run(const std::vector<std::string_view>& chunks) const {
    LoadedParser r(reasoning_library, sdk::ComponentKind::reasoning_parser, reasoning_name);
    LoadedParser t(tool_library, sdk::ComponentKind::tool_parser, tool_name);
    r->reset(kWeatherTools, prompt_tail);
    t->reset(kWeatherTools, prompt_tail);
    Events out;
    auto pass = [&](const Events& events) {
      for (const auto& e : events) {
        if (e.kind != sdk::EventKind::content) {
          out.push_back(e);
          continue;
        }
        auto tool_events = t->feed(e.text);
        out.insert(out.end(), tool_events.begin(), tool_events.end());
      }
    };
    for (auto c : chunks) pass(r->feed(c));
    pass(r->finish());
    auto rest = t->finish();
    out.insert(out.end(), rest.begin(), rest.end());
    return merge(out);
  }

  Events parse(std::string_view text) const {
    const Events whole = run({text});
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
    EXPECT_EQ(describe(run(bytes)), describe(whole)) << "fed one byte at a time";
    for (std::size_t i = 1; i < text.size(); ++i) {
      if (describe(run({text.substr(0, i), text.substr(i)})) != describe(whole)) {
        ADD_FAILURE() << "split at byte " << i;
        break;
      }
    }
    return whole;
  }
};

TEST(ParserChain, Qwen3ThinkThenHermesCall) {
  Chain chain{"librmlx-parser-think.so", "think", "librmlx-parser-hermes.so", "hermes",
              "<|im_start|>assistant\n"};
  auto ev = chain.parse(
      "<think>\nThe user wants Paris weather.\n</think>\n\nLet me check.\n<tool_call>\n"
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>");
  expect_events(ev,
                seq({one(reasoning("The user wants Paris weather.")), one(content("Let me check.")),
                     call(0, "get_weather", R"({"city":"Paris"})")}));
}

TEST(ParserChain, Qwen35UnclosedThinkThenQwen3CoderCall) {
  Chain chain{"librmlx-parser-think.so", "think", "librmlx-parser-qwen3-coder.so", "qwen3_coder",
              "<|im_start|>assistant\n<think>\n"};
  auto ev = chain.parse(
      "Need the weather first.\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n"
      "</parameter>\n</function>\n</tool_call>");
  expect_events(ev, seq({one(reasoning("Need the weather first.")),
                         call(0, "get_weather", R"({"city":"Paris"})")}));
}

TEST(ParserChain, HarmonyReasoningThenHarmonyTools) {
  Chain chain{"librmlx-parser-harmony.so", "harmony", "librmlx-parser-harmony.so", "harmony",
              "<|start|>assistant"};
  auto ev = chain.parse(
      "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary"
      "<|message|>Checking.<|end|><|start|>assistant<|channel|>commentary "
      "to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>");
  expect_events(ev, seq({one(reasoning("Need weather.")), one(content("Checking.")),
                         call(0, "get_weather", R"({"city":"Paris"})")}));
}

TEST(ParserChain, DeepSeekR1ThinkThenCalls) {
  Chain chain{"librmlx-parser-think.so", "think", "librmlx-parser-deepseek-v3.so", "deepseek_r1",
              "<｜User｜>Weather?<｜Assistant｜><think>\n"};
  auto ev = chain.parse(
      "Paris weather needed.\n</think>\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function"
      "<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>"
      "<｜tool▁calls▁end｜>");
  expect_events(ev, seq({one(reasoning("Paris weather needed.")),
                         call(0, "get_weather", R"({"city":"Paris"})")}));
}

}  // namespace
}  // namespace rmlx::parsers::test
