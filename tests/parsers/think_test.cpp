#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

Subject think(std::string prompt_tail = "<|im_start|>assistant\n") {
  return {"librmlx-parser-think.so", sdk::ComponentKind::reasoning_parser, "think", "[]",
          std::move(prompt_tail)};
}

TEST(ThinkParser, Qwen3GeneratedBlock) {
  auto ev =
      think().parse("<think>\nThe user wants the weather.\n</think>\n\nIt is sunny in Paris.");
  expect_events(ev, {reasoning("The user wants the weather."), content("It is sunny in Paris.")});
}

TEST(ThinkParser, TemplateOpenedBlockDeepSeekR1) {
  auto ev = think("<｜User｜>Weather?<｜Assistant｜><think>\n")
                .parse("Okay, Paris.\nCheck it.\n</think>\n\nSunny.");
  expect_events(ev, {reasoning("Okay, Paris.\nCheck it."), content("Sunny.")});
}

TEST(ThinkParser, ThinkingDisabledByTemplateIsAllContent) {
  auto ev = think("<|im_start|>assistant\n<think>\n\n</think>\n\n").parse("Hello there.");
  expect_events(ev, {content("Hello there.")});
}

TEST(ThinkParser, TruncatedReasoningStaysReasoning) {
  auto ev = think("<think>\n").parse("Still thinking about \n");
  expect_events(ev, {reasoning("Still thinking about")});
}

TEST(ThinkParser, AssistantPrefillInsideTheBlockContinuesReasoning) {
  // continue_final_message with "<think>\nLet me think." as the assistant's start; the forced
  // close of a reasoning budget follows.
  auto ev = think("<|im_start|>assistant\n<think>\nLet me think.")
                .parse(" 2 + 2 = 4\n</think>\n\nIt is 4.");
  expect_events(ev, {reasoning(" 2 + 2 = 4"), content("It is 4.")});
}

TEST(ThinkParser, AClosedBlockInThePromptIsNotReopened) {
  auto ev = think("<think>\nA\n</think>\n\nB").parse(" and C");
  expect_events(ev, {content(" and C")});
}

TEST(ThinkParser, ToolCallInsideUnclosedThinkEndsReasoning) {
  const std::string call =
      "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n"
      "</tool_call>";
  auto ev = think("<|im_start|>assistant\n<think>\n").parse("Need the weather.\n" + call);
  expect_events(ev, {reasoning("Need the weather."), content(call)});
}

TEST(ThinkParser, ToolCallTagWithoutFunctionStaysReasoning) {
  auto ev = think().parse("<think>I could use <tool_call> tags.</think>\nOk");
  expect_events(ev, {reasoning("I could use <tool_call> tags."), content("Ok")});
}

TEST(ThinkParser, TextThatOnlyLooksLikeTheTagIsContent) {
  auto ev = think().parse("<thumbnail> is a tag");
  expect_events(ev, {content("<thumbnail> is a tag")});
}

TEST(ThinkParser, ModelReopensTemplateOpenedBlock) {
  auto ev = think("<think>\n").parse("<think>\nHmm.\n</think>\nHi");
  expect_events(ev, {reasoning("Hmm."), content("Hi")});
}

TEST(ThinkParser, InnerWhitespaceIsKept) {
  auto ev = think().parse("  <think>\nA\n\n  B\n</think>\nC\n\nD\n");
  expect_events(ev, {reasoning("A\n\n  B"), content("C\n\nD\n")});
}

TEST(ThinkParser, EmptyBlock) {
  auto ev = think().parse("<think>\n\n</think>\n\nHi");
  expect_events(ev, {content("Hi")});
}

TEST(ThinkParser, LaterThinkTagIsContent) {
  auto ev = think().parse("Answer first. <think>not reasoning</think>");
  expect_events(ev, {content("Answer first. <think>not reasoning</think>")});
}

TEST(ThinkParser, CloseTagOnlyWithoutPromptOpenIsContent) {
  // Without the template saying so, text before </think> cannot be known to
  // be reasoning until the end; it streams as content.
  auto ev = think().parse("Hi</think>there");
  expect_events(ev, {content("Hi</think>there")});
}

TEST(ThinkParser, ResetStartsAFreshStream) {
  LoadedParser p("librmlx-parser-think.so", sdk::ComponentKind::reasoning_parser, "think");
  auto first = run_chunks(*p, "[]", "<think>\n", {"unfinished"});
  expect_events(first, {reasoning("unfinished")});
  auto second = run_chunks(*p, "[]", "", {"plain"});
  expect_events(second, {content("plain")});
}

}  // namespace
}  // namespace rmlx::parsers::test
