#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject gemma() {
  return {"librmlx-parser-gemma.so", sdk::ComponentKind::tool_parser, "gemma",
          std::string(kWeatherTools), ""};
}

TEST(GemmaParser, FunctionGemmaCall) {
  auto ev = gemma().parse(
      "<start_function_call>call:get_weather{city:<escape>Paris<escape>}<end_function_call>");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(GemmaParser, FunctionGemmaBackToBackWithBareValues) {
  auto ev = gemma().parse(
      "<start_function_call>call:set_alarm{hour:7,loud:true,days:[<escape>mon<escape>,"
      "<escape>tue<escape>],meta:{snooze:5,note:<escape>a, b: {c}<escape>}}<end_function_call>"
      "<start_function_call>call:get_time{tz:<escape>UTC<escape>}<end_function_call>");
  expect_events(ev, seq({call(0, "set_alarm",
                              R"({"hour":7,"loud":true,"days":["mon","tue"],)"
                              R"("meta":{"snooze":5,"note":"a, b: {c}"}})"),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(GemmaParser, UnclosedFunctionGemmaCallAtEnd) {
  auto ev = gemma().parse("<start_function_call>call:get_time{tz:<escape>UTC<escape>}");
  expect_events(ev, call(0, "get_time", R"({"tz":"UTC"})"));
}

TEST(GemmaParser, MalformedFunctionGemmaCallStaysContent) {
  const std::string text =
      "<start_function_call>call:get_weather{city:<escape>Paris}<end_function_call>";
  expect_events(gemma().parse(text), {content(text)});
}

TEST(GemmaParser, Gemma3PythonList) {
  auto ev = gemma().parse("[get_weather(city=\"Paris\"), get_time(tz=\"UTC\")]");
  expect_events(ev, seq({call(0, "get_weather", R"({"city":"Paris"})"),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(GemmaParser, ToolCodeFence) {
  auto ev = gemma().parse("I'll look it up.\n```tool_code\nget_weather(city='Paris')\n```\n");
  expect_events(
      ev, seq({one(content("I'll look it up.")), call(0, "get_weather", R"({"city":"Paris"})")}));
}

TEST(GemmaParser, OtherPythonCodeStaysContent) {
  const std::string text = "Try:\n```python\nprint(get_weather)\n```\n[docs](https://x.y)\n";
  expect_events(gemma().parse(text), {content(text)});
}

}  // namespace
}  // namespace rmlx::parsers::test
