#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject deepseek(std::string name = "deepseek_v3") {
  return {"librmlx-parser-deepseek-v3.so", sdk::ComponentKind::tool_parser, std::move(name),
          std::string(kWeatherTools), ""};
}

const std::string kV3 =
    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n"
    "{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>"
    "get_time\n```json\n{\"tz\": \"UTC\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";

TEST(DeepSeekV3Parser, TwoFencedCalls) {
  expect_events(deepseek().parse("Let me check.\n\n" + kV3),
                seq({one(content("Let me check.")), call(0, "get_weather", R"({"city":"Paris"})"),
                     call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(DeepSeekV3Parser, V31Layout) {
  auto ev =
      deepseek("deepseek_v31")
          .parse(
              "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": "
              "\"Paris\"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>"
              "{\"tz\": \"UTC\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
  expect_events(ev, seq({call(0, "get_weather", R"({"city":"Paris"})"),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(DeepSeekV3Parser, MissingFenceAndWrapper) {
  auto ev = deepseek().parse(
      "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n{'city': 'Paris',}"
      "<｜tool▁call▁end｜>\nDone.");
  expect_events(ev, seq({call(0, "get_weather", R"({"city":"Paris"})"), one(content("Done."))}));
}

TEST(DeepSeekV3Parser, UnclosedAtEndOfStream) {
  auto ev = deepseek().parse(
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n"
      "{\"city\": \"Paris\"}\n```");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(DeepSeekV3Parser, MissingCallEndBeforeSectionEnd) {
  auto ev = deepseek().parse(
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{}<｜tool▁calls▁end｜>");
  expect_events(ev, call(0, "get_time", "{}"));
}

TEST(DeepSeekV3Parser, UnrecoverableCallStaysContentWithItsSectionTokens) {
  const std::string text =
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n"
      "{\"city\": Paris}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
  expect_events(deepseek().parse(text), {content(text)});
}

TEST(DeepSeekV3Parser, SectionOpenerWithoutCallIsContent) {
  const std::string text =
      "The token <｜tool▁calls▁begin｜> starts calls, <｜tool▁calls▁end｜> ends them.";
  expect_events(deepseek().parse(text), {content(text)});
}

}  // namespace
}  // namespace rmlx::parsers::test
