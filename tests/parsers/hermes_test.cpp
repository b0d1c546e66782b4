#include <gtest/gtest.h>

#include <stdexcept>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject hermes() {
  return {"librmlx-parser-hermes.so", sdk::ComponentKind::tool_parser, "hermes",
          std::string(kWeatherTools), ""};
}

const std::string kWeather =
    "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
const std::string kTime =
    "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}\n</tool_call>";
const std::string kWeatherArgs = R"({"city":"Paris"})";

TEST(HermesParser, SingleCall) {
  expect_events(hermes().parse(kWeather), call(0, "get_weather", kWeatherArgs));
}

TEST(HermesParser, ContentThenTwoCalls) {
  auto ev = hermes().parse("Let me check.\n\n" + kWeather + "\n" + kTime);
  expect_events(ev, seq({one(content("Let me check.")), call(0, "get_weather", kWeatherArgs),
                         call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(HermesParser, ContentAfterCall) {
  auto ev = hermes().parse(kWeather + "\n\nDone.");
  expect_events(ev, seq({call(0, "get_weather", kWeatherArgs), one(content("Done."))}));
}

TEST(HermesParser, UnclosedTagAtEndOfStream) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n");
  expect_events(ev, call(0, "get_weather", kWeatherArgs));
}

TEST(HermesParser, TruncatedCloseTag) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_");
  expect_events(ev, call(0, "get_weather", kWeatherArgs));
}

TEST(HermesParser, UnclosedCallCutShortByTheNext) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n" + kTime);
  expect_events(
      ev, seq({call(0, "get_weather", kWeatherArgs), call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(HermesParser, SingleQuotesAndPythonLiterals) {
  auto ev = hermes().parse(
      "<tool_call>\n{'name': 'set_alarm', 'arguments': {'label': 'it\\'s 7', 'loud': True, "
      "'meta': None}}\n</tool_call>");
  expect_events(ev, call(0, "set_alarm", R"({"label":"it's 7","loud":true,"meta":null})"));
}

TEST(HermesParser, TrailingCommas) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"set_alarm\", \"arguments\": {\"days\": [\"mon\", \"tue\",], "
      "\"hour\": 7,},}\n</tool_call>");
  expect_events(ev, call(0, "set_alarm", R"({"days":["mon","tue"],"hour":7})"));
}

TEST(HermesParser, CodeFenceInsideTag) {
  auto ev = hermes().parse(
      "<tool_call>\n```json\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "```\n</tool_call>");
  expect_events(ev, call(0, "get_weather", kWeatherArgs));
}

TEST(HermesParser, BareCodeFenceNamingDeclaredTool) {
  auto ev = hermes().parse(
      "Sure.\n```json\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n```\n");
  expect_events(ev, seq({one(content("Sure.")), call(0, "get_weather", kWeatherArgs)}));
}

TEST(HermesParser, BareJsonObjectNamingDeclaredTool) {
  auto ev = hermes().parse(
      "I will call it.\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}");
  expect_events(ev, seq({one(content("I will call it.")), call(0, "get_weather", kWeatherArgs)}));
}

TEST(HermesParser, BareJsonArrayOfCalls) {
  auto ev = hermes().parse(
      "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, "
      "{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}]");
  expect_events(
      ev, seq({call(0, "get_weather", kWeatherArgs), call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(HermesParser, JsonNotNamingADeclaredToolStaysContent) {
  const std::string text =
      "Here is the record:\n{\"name\": \"Bob\", \"age\": 3}\n```json\n{\"name\": \"get\"}\n```\n"
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": Paris}}";
  expect_events(hermes().parse(text), {content(text)});
}

TEST(HermesParser, BareJsonWithoutDeclaredToolsStaysContent) {
  Subject s = hermes();
  s.tools = "[]";
  const std::string text = "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}";
  expect_events(s.parse(text), {content(text)});
}

TEST(HermesParser, TagMentionedInProseDoesNotSwallowLaterCall) {
  auto ev = hermes().parse("Use <tool_call> tags to call.\n" + kWeather);
  expect_events(ev, seq({one(content("Use <tool_call> tags to call.")),
                         call(0, "get_weather", kWeatherArgs)}));
}

TEST(HermesParser, UnrecoverableCallStaysContentVerbatim) {
  const std::string text =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": Paris}}\n</tool_call>";
  expect_events(hermes().parse(text), {content(text)});
}

TEST(HermesParser, TruncatedJsonAtEndOfStreamStaysContent) {
  const std::string text =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par";
  expect_events(hermes().parse(text), {content(text)});
}

TEST(HermesParser, CloseTagInsideAStringValue) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"write\", \"arguments\": {\"text\": \"ends with "
      "</tool_call>\"}}\n</tool_call>");
  expect_events(ev, call(0, "write", R"({"text":"ends with </tool_call>"})"));
}

TEST(HermesParser, UnclosedCallFollowedByProse) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "Now wait.");
  expect_events(ev, seq({call(0, "get_weather", kWeatherArgs), one(content("Now wait."))}));
}

TEST(HermesParser, TwoObjectsInOneBlockAreTwoCalls) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}\n</tool_call>");
  expect_events(
      ev, seq({call(0, "get_weather", kWeatherArgs), call(1, "get_time", R"({"tz":"UTC"})")}));
}

TEST(HermesParser, ArgumentsGivenAsJsonString) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}\n"
      "</tool_call>");
  expect_events(ev, call(0, "get_weather", kWeatherArgs));
}

TEST(HermesParser, KeyOrderAndUnicodeKept) {
  auto ev = hermes().parse(
      "<tool_call>\n{\"name\": \"set_alarm\", \"arguments\": {\"label\": \"Z\\u00fcrich "
      "\xF0\x9F\x8C\x9E\", "
      "\"hour\": 7, \"volume\": 0.25}}\n</tool_call>");
  expect_events(ev,
                call(0, "set_alarm",
                     "{\"label\":\"Z\xC3\xBCrich \xF0\x9F\x8C\x9E\",\"hour\":7,\"volume\":0.25}"));
}

TEST(HermesParser, MissingArgumentsMeansEmptyObject) {
  auto ev = hermes().parse("<tool_call>{\"name\": \"get_time\"}</tool_call>");
  expect_events(ev, call(0, "get_time", "{}"));
}

TEST(HermesParser, IdsAreDeterministicPerSeedAndUniquePerCall) {
  Subject s = hermes();
  auto a = s.parse(kWeather + kTime);
  auto b = s.parse(kWeather + kTime);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0].id, b[0].id);
  EXPECT_NE(a[0].id, a[3].id);
  // FNV-1a over (seed 0, stream 1, index 0, name, NUL, arguments), expanded
  // by splitmix64 into base62: the scheme call_ids.h documents.
  EXPECT_EQ(a[0].id, "call_gJMZIf08Me9vvahF1lirVA3e");
  s.options = R"({"id_seed": 42})";
  auto c = s.parse(kWeather + kTime);
  EXPECT_NE(a[0].id, c[0].id);
  EXPECT_TRUE(is_openai_id(c[0].id));
}

TEST(HermesParser, UnknownOptionIsRefusedByTheFactory) {
  EXPECT_THROW(
      {
        try {
          LoadedParser p("librmlx-parser-hermes.so", sdk::ComponentKind::tool_parser, "hermes",
                         R"({"seed": 1})");
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(),
                       "librmlx-parser-hermes.so: parser options: unknown key \"seed\" (known: "
                       "id_seed)");
          throw;
        }
      },
      std::runtime_error);
}

TEST(HermesParser, MalformedToolListIsAClearError) {
  LoadedParser p("librmlx-parser-hermes.so", sdk::ComponentKind::tool_parser, "hermes");
  try {
    p->reset("[{\"type\":\"function\",\"function\":{}}]", "");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "tools_json[0]: missing string \"name\"");
  }
}

}  // namespace
}  // namespace rmlx::parsers::test
