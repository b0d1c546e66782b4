#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject mistral() {
  return {"librmlx-parser-mistral.so", sdk::ComponentKind::tool_parser, "mistral",
          std::string(kWeatherTools), ""};
}

const std::string kWeatherArgs = R"({"city":"Paris"})";
const std::string kTimeArgs = R"({"tz":"UTC"})";

TEST(MistralParser, V3JsonListWithModelIds) {
  auto ev = mistral().parse(
      "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": "
      "\"a1B2c3D4e\"}, {\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}, \"id\": "
      "\"Zz9Yy8Xx7\"}]");
  expect_events(ev, seq({call(0, "get_weather", kWeatherArgs, "a1B2c3D4e"),
                         call(1, "get_time", kTimeArgs, "Zz9Yy8Xx7")}));
}

TEST(MistralParser, V2JsonListGetsNineCharacterIds) {
  auto ev = mistral().parse(
      "[TOOL_CALLS] [{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}]");
  expect_events(ev, call(0, "get_weather", kWeatherArgs, kMistralId));
}

TEST(MistralParser, V11NameCallIdArgs) {
  auto ev = mistral().parse("[TOOL_CALLS]get_weather[CALL_ID]a1B2c3D4e[ARGS]{\"city\": \"Paris\"}");
  expect_events(ev, call(0, "get_weather", kWeatherArgs, "a1B2c3D4e"));
}

TEST(MistralParser, V13TwoCallsWithoutIds) {
  auto ev = mistral().parse(
      "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}[TOOL_CALLS]get_time[ARGS]{\"tz\": "
      "\"UTC\"}");
  expect_events(ev, seq({call(0, "get_weather", kWeatherArgs, kMistralId),
                         call(1, "get_time", kTimeArgs, kMistralId)}));
}

TEST(MistralParser, ContentBeforeAndProseAfterArguments) {
  auto ev = mistral().parse(
      "Sure. [TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"} I have asked for the weather.");
  expect_events(ev, seq({one(content("Sure.")), call(0, "get_weather", kWeatherArgs, kMistralId),
                         one(content("I have asked for the weather."))}));
}

TEST(MistralParser, MissingToolCallsTokenJsonList) {
  auto ev = mistral().parse("[{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}]");
  expect_events(ev, call(0, "get_time", kTimeArgs, kMistralId));
}

TEST(MistralParser, SingleQuotesAndTrailingComma) {
  auto ev = mistral().parse("[TOOL_CALLS]get_weather[ARGS]{'city': 'Paris',}");
  expect_events(ev, call(0, "get_weather", kWeatherArgs, kMistralId));
}

TEST(MistralParser, UnrecoverableArgumentsStayContent) {
  const std::string text = "[TOOL_CALLS]get_weather[ARGS]{\"city\": Paris}";
  expect_events(mistral().parse(text), {content(text)});
}

TEST(MistralParser, TruncatedArgumentsStayContent) {
  const std::string text = "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Pa";
  expect_events(mistral().parse(text), {content(text)});
}

TEST(MistralParser, IdsAreDeterministic) {
  const std::string text = "[TOOL_CALLS]get_time[ARGS]{}";
  auto a = mistral().parse(text);
  auto b = mistral().parse(text);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].id, b[0].id);
  EXPECT_EQ(a[0].id.size(), 9u);
}

}  // namespace
}  // namespace rmlx::parsers::test
