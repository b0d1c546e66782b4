#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

constexpr const char* kTail = "<|start|>user<|message|>Weather in Paris?<|end|><|start|>assistant";

Subject harmony_tools() {
  return {"librmlx-parser-harmony.so", sdk::ComponentKind::tool_parser, "harmony",
          std::string(kWeatherTools), kTail};
}
Subject harmony_reasoning() {
  return {"librmlx-parser-harmony.so", sdk::ComponentKind::reasoning_parser, "harmony",
          std::string(kWeatherTools), kTail};
}

const std::string kCallTurn =
    "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary "
    "to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>";

TEST(HarmonyToolParser, AnalysisThenCall) {
  expect_events(
      harmony_tools().parse(kCallTurn),
      seq({one(reasoning("Need weather.")), call(0, "get_weather", R"({"city":"Paris"})")}));
}

TEST(HarmonyToolParser, AnalysisThenFinal) {
  auto ev = harmony_tools().parse(
      "<|channel|>analysis<|message|>Simple.<|end|><|start|>assistant<|channel|>final<|message|>"
      "Paris is sunny.<|return|>");
  expect_events(ev, {reasoning("Simple."), content("Paris is sunny.")});
}

TEST(HarmonyToolParser, RecipientInRolePart) {
  auto ev = harmony_tools().parse(
      "<|channel|>analysis<|message|>Time.<|end|><|start|>assistant to=functions.get_time"
      "<|channel|>commentary json<|message|>{\"tz\": \"UTC\"}<|call|>");
  expect_events(ev, seq({one(reasoning("Time.")), call(0, "get_time", R"({"tz":"UTC"})")}));
}

TEST(HarmonyToolParser, FirstMessageRecipientInRolePart) {
  auto ev = harmony_tools().parse(
      " to=functions.get_time<|channel|>commentary json<|message|>{\"tz\":\"UTC\"}<|call|>");
  expect_events(ev, call(0, "get_time", R"({"tz":"UTC"})"));
}

TEST(HarmonyToolParser, PreambleIsContent) {
  auto ev = harmony_tools().parse(
      "<|channel|>commentary<|message|>Checking the weather.<|end|><|start|>assistant"
      "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
      "{\"city\":\"Paris\"}<|call|>");
  expect_events(ev, seq({one(content("Checking the weather.")),
                         call(0, "get_weather", R"({"city":"Paris"})")}));
}

TEST(HarmonyToolParser, UnparseableCallBodyStaysContentVerbatim) {
  const std::string msg =
      "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json"
      "<|message|>{\"city\": Paris}<|call|>";
  auto ev = harmony_tools().parse("<|channel|>analysis<|message|>Go.<|end|>" + msg);
  expect_events(ev, {reasoning("Go."), content(msg)});
}

TEST(HarmonyToolParser, CallWithoutStopTokenSingleQuotesTrailingComma) {
  auto ev = harmony_tools().parse(
      "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
      "{'city': 'Paris',}");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(HarmonyToolParser, CallOnAnalysisChannel) {
  auto ev = harmony_tools().parse(
      "<|channel|>analysis to=functions.get_weather code<|message|>{\"city\":\"Paris\"}<|call|>");
  expect_events(ev, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(HarmonyToolParser, MissingEndTokenBetweenMessages) {
  auto ev =
      harmony_tools().parse("<|channel|>analysis<|message|>think<|channel|>final<|message|>Answer");
  expect_events(ev, {reasoning("think"), content("Answer")});
}

TEST(HarmonyToolParser, BuiltinRecipientStaysContent) {
  const std::string msg =
      "<|start|>assistant<|channel|>analysis to=browser.search code<|message|>{\"query\":\"x\"}"
      "<|call|>";
  expect_events(harmony_tools().parse(msg), {content(msg)});
}

TEST(HarmonyToolParser, PlainTextWithoutHarmonyTokens) {
  expect_events(harmony_tools().parse("Hello, <|end of| world"),
                {content("Hello, <|end of| world")});
}

TEST(HarmonyToolParser, RunawayHeaderIsContent) {
  const std::string text = "<|channel|>" + std::string(1500, 'x') + " done";
  expect_events(harmony_tools().parse(text), {content(text)});
}

TEST(HarmonyToolParser, PromptThatOpensTheBody) {
  Subject s = harmony_tools();
  s.prompt_tail = "<|start|>assistant<|channel|>analysis<|message|>";
  auto ev = s.parse("thinking<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>");
  expect_events(ev, {reasoning("thinking"), content("Hi")});
  // A forced header without <|start|> after an earlier message.
  s.prompt_tail = "<|start|>user<|message|>say to=x<|end|><|channel|>final<|message|>";
  expect_events(s.parse("Hello<|return|>"), {content("Hello")});
}

TEST(HarmonyReasoningParser, PassesCallMessagesThroughVerbatim) {
  auto ev = harmony_reasoning().parse(kCallTurn);
  const std::string passed =
      "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json"
      "<|message|>{\"city\":\"Paris\"}<|call|>";
  expect_events(ev, {reasoning("Need weather."), content(passed)});
  // The tool parser after it turns the passed-through message into the call.
  auto chained = harmony_tools().parse(passed);
  expect_events(chained, call(0, "get_weather", R"({"city":"Paris"})"));
}

TEST(HarmonyReasoningParser, FinalAnswerIsContentWithoutHeaders) {
  auto ev = harmony_reasoning().parse(
      "<|channel|>analysis<|message|>Think.\nMore.<|end|><|start|>assistant<|channel|>final"
      "<|message|>It is sunny.<|return|>");
  expect_events(ev, {reasoning("Think.\nMore."), content("It is sunny.")});
  // Plain content through the tool parser is unchanged.
  expect_events(harmony_tools().parse("It is sunny."), {content("It is sunny.")});
}

TEST(HarmonyReasoningParser, FirstCallMessagePassedThrough) {
  const std::string msg =
      "<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{\"tz\":\"UTC\"}"
      "<|call|>";
  expect_events(harmony_reasoning().parse(msg), {content(msg)});
  expect_events(harmony_tools().parse(msg), call(0, "get_time", R"({"tz":"UTC"})"));
}

}  // namespace
}  // namespace rmlx::parsers::test
