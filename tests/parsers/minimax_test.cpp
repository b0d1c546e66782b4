#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject minimax(std::string name = "minimax") {
  return {"librmlx-parser-minimax.so", sdk::ComponentKind::tool_parser, std::move(name),
          std::string(kWeatherTools), ""};
}

TEST(MiniMaxParser, M1JsonLines) {
  auto ev =
      minimax("minimax_m1")
          .parse(
              "<tool_calls>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
              "{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}\n</tool_calls>");
  expect_events(ev, seq({call(0, "get_weather", R"({"city":"Paris"})"),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(MiniMaxParser, M2TwoInvokes) {
  auto ev =
      minimax("minimax_m2")
          .parse(
              "I'll check.\n<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter "
              "name=\"city\">"
              "Paris</parameter>\n</invoke>\n<invoke name=\"get_time\">\n<parameter name=\"tz\">UTC"
              "</parameter>\n</invoke>\n</minimax:tool_call>");
  expect_events(ev, seq({one(content("I'll check.")), call(0, "get_weather", R"({"city":"Paris"})"),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(MiniMaxParser, M2TypedValues) {
  auto ev = minimax().parse(
      "<minimax:tool_call>\n<invoke name=\"set_alarm\">\n<parameter name=\"hour\">7</parameter>\n"
      "<parameter name=\"days\">[\"mon\"]</parameter>\n<parameter name=\"loud\">false</parameter>"
      "\n<parameter name=\"label\">\nwake up\n</parameter>\n</invoke>\n</minimax:tool_call>");
  expect_events(
      ev, call(0, "set_alarm", R"({"hour":7,"days":["mon"],"loud":false,"label":"wake up"})"));
}

TEST(MiniMaxParser, M2WithoutWrapperAndUnclosed) {
  auto ev = minimax().parse(
      "<invoke name=\"get_weather\">\n<parameter name=\"city\">Paris</parameter>\n");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(MiniMaxParser, MalformedInvokeStaysContent) {
  const std::string text = "<invoke name=\"get_weather\">\ncity: Paris\n</invoke>";
  expect_events(minimax().parse(text), {content(text)});
}

TEST(MiniMaxParser, TagsInProseStayContent) {
  const std::string text =
      "Use <tool_calls> or <invoke name=x y> in prose, inside <minimax:tool_call> and "
      "</minimax:tool_call>.";
  expect_events(minimax().parse(text), {content(text)});
}

}  // namespace
}  // namespace rmlx::parsers::test
