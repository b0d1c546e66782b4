#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject glm(std::string name = "glm45") {
  return {"librmlx-parser-glm4.so", sdk::ComponentKind::tool_parser, std::move(name),
          std::string(kWeatherTools), ""};
}

TEST(Glm4Parser, Glm45TwoCalls) {
  auto ev = glm().parse(
      "Checking.\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
      "</tool_call>\n<tool_call>get_time\n<arg_key>tz</arg_key>\n<arg_value>UTC</arg_value>\n"
      "</tool_call>");
  expect_events(ev, seq({one(content("Checking.")), call(0, "get_weather", R"({"city":"Paris"})"),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(Glm4Parser, Glm47WithoutLineBreaks) {
  auto ev = glm("glm47").parse(
      "<tool_call>get_weather<arg_key>city</arg_key><arg_value>Paris</arg_value></tool_call>");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Glm4Parser, ValuesDecodedUnlessStringTyped) {
  auto ev = glm().parse(
      "<tool_call>set_alarm\n<arg_key>hour</arg_key>\n<arg_value>7</arg_value>\n"
      "<arg_key>days</arg_key>\n<arg_value>[\"mon\", \"tue\"]</arg_value>\n"
      "<arg_key>note</arg_key>\n<arg_value>{'a': True}</arg_value>\n"
      "<arg_key>other</arg_key>\n<arg_value>free text</arg_value>\n</tool_call>");
  expect_events(ev,
                call(0, "set_alarm",
                     R"({"hour":7,"days":["mon","tue"],"note":{"a":true},"other":"free text"})"));
  auto s = glm().parse(
      "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>42</arg_value>\n</tool_call>");
  expect_events(s, call(0, "get_weather", R"({"city":"42"})"));
}

TEST(Glm4Parser, UnclosedAtEndOfStream) {
  auto ev = glm().parse("<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Glm4Parser, TagInProseStaysContent) {
  const std::string text = "The <tool_call> tag wraps calls; <tool_call>x y</tool_call> too.";
  expect_events(glm().parse(text), {content(text)});
}

TEST(Glm4Parser, HermesJsonInsideTag) {
  auto ev = glm().parse(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
      "\"Paris\"}}\n</tool_call>");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Glm4Parser, GarbageBetweenArgumentsStaysContent) {
  const std::string text = "<tool_call>get_weather\ncity = Paris\n</tool_call>";
  expect_events(glm().parse(text), {content(text)});
}

}  // namespace
}  // namespace rmlx::parsers::test
