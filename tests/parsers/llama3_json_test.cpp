#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject llama3() {
  return {"librmlx-parser-llama3-json.so", sdk::ComponentKind::tool_parser, "llama3_json",
          std::string(kWeatherTools), ""};
}

TEST(Llama3JsonParser, WholeOutputIsACall) {
  auto ev = llama3().parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Llama3JsonParser, PythonTagPrefix) {
  auto ev = llama3().parse(
      "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Llama3JsonParser, SemicolonSeparatedParallelCalls) {
  auto ev = llama3().parse(
      "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}; "
      "{\"name\": \"get_time\", \"parameters\": {\"tz\": \"UTC\"}}");
  expect_events(ev, seq({call(0, "get_weather", R"({"city":"Paris"})"),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(Llama3JsonParser, BuiltinToolCall) {
  auto ev = llama3().parse("<|python_tag|>brave_search.call(query=\"weather in Paris\")");
  expect_events(ev, call(0, "brave_search", R"({"query":"weather in Paris"})"));
}

TEST(Llama3JsonParser, UndeclaredNameAtStartIsACall) {
  auto ev = llama3().parse("{\"name\": \"lookup\", \"arguments\": {}}");
  expect_events(ev, call(0, "lookup", "{}"));
}

TEST(Llama3JsonParser, JsonInsideAnAnswerOnlyForDeclaredTools) {
  auto ev = llama3().parse(
      "Calling now.\n{\"name\": \"get_time\", \"parameters\": {\"tz\": \"UTC\"}}\n"
      "and {\"name\": \"lookup\", \"parameters\": {}} is not a call.\n"
      "{\"name\": \"lookup\", \"parameters\": {}}");
  expect_events(ev, seq({one(content("Calling now.")), call(0, "get_time", R"({"tz":"UTC"})"),
                         one(content("and {\"name\": \"lookup\", \"parameters\": {}} is not a "
                                     "call.\n{\"name\": \"lookup\", \"parameters\": {}}"))}));
}

TEST(Llama3JsonParser, JsonThatIsNotACallStaysContent) {
  const std::string text = "{\"answer\": 42}";
  expect_events(llama3().parse(text), {content(text)});
}

TEST(Llama3JsonParser, SingleQuotesAndTrailingComma) {
  auto ev = llama3().parse("{'name': 'get_weather', 'parameters': {'city': 'Paris',},}");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Llama3JsonParser, CodeFencedCall) {
  auto ev = llama3().parse(
      "```json\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}\n```");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(Llama3JsonParser, TruncatedCallStaysContent) {
  const std::string text = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Pa";
  expect_events(llama3().parse(text), {content(text)});
}

TEST(Llama3JsonParser, PlainAnswer) {
  const std::string text = "Paris is sunny today.\n";
  expect_events(llama3().parse(text), {content(text)});
}

}  // namespace
}  // namespace rmlx::parsers::test
