#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject qwen3_coder() {
  return {"librmlx-parser-qwen3-coder.so", sdk::ComponentKind::tool_parser, "qwen3_coder",
          std::string(kWeatherTools), ""};
}

const std::string kWeather =
    "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n"
    "</tool_call>";
const std::string kTime =
    "<tool_call>\n<function=get_time>\n<parameter=tz>\nUTC\n</parameter>\n</function>\n"
    "</tool_call>";

TEST(Qwen3CoderParser, SingleCall) {
  expect_events(qwen3_coder().parse(kWeather), call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Qwen3CoderParser, ContentThenTwoCalls) {
  auto ev = qwen3_coder().parse("I'll check both.\n\n" + kWeather + "\n" + kTime);
  expect_events(
      ev, seq({one(content("I'll check both.")), call(0, "get_weather", R"({"city":"Paris"})"),
               call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(Qwen3CoderParser, ValuesConvertedByDeclaredType) {
  auto ev = qwen3_coder().parse(
      "<tool_call>\n<function=set_alarm>\n"
      "<parameter=hour>\n7\n</parameter>\n"
      "<parameter=days>\n['mon', 'tue']\n</parameter>\n"
      "<parameter=loud>\nTrue\n</parameter>\n"
      "<parameter=volume>\n0.5\n</parameter>\n"
      "<parameter=label>\nnull\n</parameter>\n"
      "<parameter=meta>\n{\"snooze\": 5}\n</parameter>\n"
      "<parameter=note>\n42\n</parameter>\n"
      "</function>\n</tool_call>");
  expect_events(ev, call(0, "set_alarm",
                         R"({"hour":7,"days":["mon","tue"],"loud":true,"volume":0.5,)"
                         R"("label":null,"meta":{"snooze":5},"note":"42"})"));
}

TEST(Qwen3CoderParser, MultiLineStringValueKeptExactly) {
  auto ev = qwen3_coder().parse(
      "<tool_call>\n<function=write_file>\n<parameter=content>\ndef f():\n    return \"x\"\n\n"
      "</parameter>\n</function>\n</tool_call>");
  expect_events(ev, call(0, "write_file", R"({"content":"def f():\n    return \"x\"\n"})"));
}

TEST(Qwen3CoderParser, ValueThatDoesNotConvertStaysString) {
  auto ev = qwen3_coder().parse(
      "<tool_call>\n<function=set_alarm>\n<parameter=hour>\nseven\n</parameter>\n</function>\n"
      "</tool_call>");
  expect_events(ev, call(0, "set_alarm", R"({"hour":"seven"})"));
}

TEST(Qwen3CoderParser, UnclosedTagsAtEndOfStream) {
  auto ev = qwen3_coder().parse("<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Qwen3CoderParser, MissingParameterCloseBeforeNextParameter) {
  auto ev = qwen3_coder().parse(
      "<tool_call>\n<function=set_alarm>\n<parameter=hour>\n7\n<parameter=loud>\nfalse\n"
      "</parameter>\n</function>\n</tool_call>");
  expect_events(ev, call(0, "set_alarm", R"({"hour":7,"loud":false})"));
}

TEST(Qwen3CoderParser, BareFunctionWithoutToolCallTag) {
  auto ev = qwen3_coder().parse(
      "Calling.\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n"
      "</tool_call>\nDone.");
  expect_events(ev, seq({one(content("Calling.")), call(0, "get_weather", R"({"city":"Paris"})"),
                         one(content("Done."))}));
}

TEST(Qwen3CoderParser, HermesStyleJsonInsideToolCall) {
  auto ev = qwen3_coder().parse(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
      "\"Paris\"}}\n</tool_call>");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Qwen3CoderParser, TagsInProseStayContent) {
  const std::string text =
      "Wrap calls in <tool_call> and name them with <function=NAME> tags; see <function= docs>.";
  expect_events(qwen3_coder().parse(text), {content(text)});
}

TEST(Qwen3CoderParser, UndeclaredToolKeepsStringValues) {
  auto ev = qwen3_coder().parse(
      "<tool_call>\n<function=lookup>\n<parameter=n>\n5\n</parameter>\n</function>\n</tool_call>");
  expect_events(ev, call(0, "lookup", R"({"n":"5"})"));
}

TEST(Qwen3CoderParser, NoParameters) {
  auto ev = qwen3_coder().parse("<tool_call>\n<function=get_time>\n</function>\n</tool_call>");
  expect_events(ev, call(0, "get_time", "{}"));
}

TEST(Qwen3CoderParser, GarbageInsideFunctionStaysContent) {
  const std::string text =
      "<tool_call>\n<function=get_weather>\ncity is Paris\n</function>\n</tool_call>";
  expect_events(qwen3_coder().parse(text), {content(text)});
}

TEST(Qwen3CoderParser, AlsoRegisteredAsQwen3Xml) {
  Subject s = qwen3_coder();
  s.name = "qwen3_xml";
  expect_events(s.parse(kWeather), call(0, "get_weather", R"({"city":"Paris"})"));
}

}  // namespace
}  // namespace rmlx::parsers::test
