#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject kimi() {
  return {"librmlx-parser-kimi-k2.so", sdk::ComponentKind::tool_parser, "kimi_k2",
          std::string(kWeatherTools), ""};
}

TEST(KimiK2Parser, SectionWithTwoCallsKeepsModelIds) {
  auto ev = kimi().parse(
      "Checking.<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0"
      "<|tool_call_argument_begin|>{\"city\": \"Paris\"}<|tool_call_end|><|tool_call_begin|>"
      "functions.get_time:1<|tool_call_argument_begin|>{\"tz\": \"UTC\"}<|tool_call_end|>"
      "<|tool_calls_section_end|>");
  expect_events(ev, seq({one(content("Checking.")),
                         call(0, "get_weather", R"({"city":"Paris"})", "functions.get_weather:0"),
                         call(1, "get_time", R"({"tz":"UTC"})", "functions.get_time:1")}));
}

TEST(KimiK2Parser, MissingCallEndAndUnclosedSection) {
  auto ev = kimi().parse(
      "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0"
      "<|tool_call_argument_begin|>{'city': 'Paris',}<|tool_call_begin|>functions.get_time:1"
      "<|tool_call_argument_begin|>{\"tz\": \"UTC\"}");
  expect_events(ev, seq({call(0, "get_weather", R"({"city":"Paris"})", "functions.get_weather:0"),
                         call(1, "get_time", R"({"tz":"UTC"})", "functions.get_time:1")}));
}

TEST(KimiK2Parser, UnrecoverableArgumentsStayContent) {
  const std::string call_text =
      "<|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{city: Paris}"
      "<|tool_call_end|>";
  expect_events(kimi().parse(call_text), {content(call_text)});
}

TEST(KimiK2Parser, SectionTokensAroundAFailedCallStayContent) {
  const std::string text =
      "<|tool_calls_section_begin|> <|tool_call_begin|>functions.get_weather:0"
      "<|tool_call_argument_begin|>{\"city\": \"Par<|tool_call_end|><|tool_calls_section_end|>";
  expect_events(kimi().parse(text), {content(text)});
}

TEST(KimiK2Parser, SingularSectionTokens) {
  auto ev = kimi().parse(
      "<|tool_call_section_begin|><|tool_call_begin|>functions.get_time:0"
      "<|tool_call_argument_begin|>{\"tz\": \"UTC\"}<|tool_call_end|><|tool_call_section_end|>");
  expect_events(ev, call(0, "get_time", R"({"tz":"UTC"})", "functions.get_time:0"));
}

TEST(KimiK2Parser, NameWithoutNamespace) {
  auto ev =
      kimi().parse("<|tool_call_begin|>get_time:3<|tool_call_argument_begin|>{}<|tool_call_end|>");
  expect_events(ev, call(0, "get_time", "{}", "get_time:3"));
}

}  // namespace
}  // namespace rmlx::parsers::test
