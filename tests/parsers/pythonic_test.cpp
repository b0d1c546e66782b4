#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject pythonic(std::string name = "pythonic") {
  return {"librmlx-parser-pythonic.so", sdk::ComponentKind::tool_parser, std::move(name),
          std::string(kWeatherTools), ""};
}

TEST(PythonicParser, SingleCall) {
  expect_events(pythonic().parse("[get_weather(city='Paris')]"),
                call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(PythonicParser, TwoCallsWithEveryLiteralKind) {
  auto ev = pythonic().parse(
      "[set_alarm(hour=7, days=['mon', \"tue\"], loud=True, volume=-0.5, label=None, "
      "meta={'snooze': (5, 10)}), get_time(tz=\"UTC\")]");
  expect_events(ev, seq({call(0, "set_alarm",
                              R"({"hour":7,"days":["mon","tue"],"loud":true,"volume":-0.5,)"
                              R"("label":null,"meta":{"snooze":[5,10]}})"),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(PythonicParser, Llama4Wrapper) {
  auto ev = pythonic("llama4_pythonic")
                .parse("<|python_start|>[get_weather(city=\"Paris\")]<|python_end|>");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(PythonicParser, ListOnItsOwnLineAfterText) {
  auto ev = pythonic().parse("Let me look.\n[get_time(tz='UTC')]\n");
  expect_events(ev, seq({one(content("Let me look.")), call(0, "get_time", R"({"tz":"UTC"})")}));
}

TEST(PythonicParser, UndeclaredNameAfterTextStaysContent) {
  const std::string text = "Example:\n[lookup(q='x')]";
  expect_events(pythonic().parse(text), {content(text)});
}

TEST(PythonicParser, UndeclaredNameAtStartIsACall) {
  expect_events(pythonic().parse("[lookup(q='x')]"), call(0, "lookup", R"({"q":"x"})"));
}

TEST(PythonicParser, PositionalArgumentsStayContent) {
  const std::string text = "[get_weather('Paris')]";
  expect_events(pythonic().parse(text), {content(text)});
}

TEST(PythonicParser, UnclosedListStaysContent) {
  const std::string text = "[get_weather(city='Paris')";
  expect_events(pythonic().parse(text), {content(text)});
}

TEST(PythonicParser, JsonObjectWhereAListWasExpected) {
  auto ev = pythonic().parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(PythonicParser, MarkdownLinkStaysContent) {
  const std::string text = "[docs](https://example.com) and [get_weather](x)";
  expect_events(pythonic().parse(text), {content(text)});
}

}  // namespace
}  // namespace rmlx::parsers::test
