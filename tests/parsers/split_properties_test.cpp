// Properties over generated transcripts: random mixes of every format's
// markers, call bodies, prose and whitespace. For each tool parser, the
// events do not depend on how the text is split, and text that yields no call
// comes back as content byte for byte.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

const std::vector<std::string> kFragments = {
    "<tool_call>", "</tool_call>", "\n", " ", "\n\n", "{", "}", "[", "]", "```", "```json\n",
    "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}",
    "{'name': 'get_time', 'parameters': {'tz': 'UTC',},}", "<function=get_weather>",
    "<parameter=city>", "\nParis\n", "</parameter>", "</function>", "[TOOL_CALLS]", "get_time",
    "[ARGS]", "[CALL_ID]", "a1B2c3D4e", "<|python_tag|>", "<|python_start|>", "<|python_end|>",
    "[get_weather(city='Paris')]", "get_time(tz=\"UTC\")", "<start_function_call>",
    "call:get_weather{city:<escape>Paris<escape>}", "<end_function_call>", "<｜tool▁calls▁begin｜>",
    "<｜tool▁call▁begin｜>", "function<｜tool▁sep｜>get_weather\n", "<｜tool▁call▁end｜>",
    "<｜tool▁calls▁end｜>", "<arg_key>city</arg_key>", "<arg_value>Paris</arg_value>",
    "<|tool_calls_section_begin|>", "<|tool_call_begin|>", "functions.get_time:0",
    "<|tool_call_argument_begin|>", "<|tool_call_end|>", "<|tool_calls_section_end|>",
    "<tool_calls>", "</tool_calls>", "<minimax:tool_call>", "</minimax:tool_call>",
    "<invoke name=\"get_weather\">", "<parameter name=\"city\">Paris</parameter>", "</invoke>",
    "Hello", "the weather", "it's", "\"quoted\"", "Zürich ☀", "<", "|", ";", ",", ":", "\\",
    "tool_code\n", "<think>", "</think>",
    // Whole calls, so that well-formed ones are common too.
    "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>",
    "<tool_call>\n<function=get_time>\n<parameter=tz>\nUTC\n</parameter>\n</function>\n</"
    "tool_call>",
    "[TOOL_CALLS]get_time[ARGS]{\"tz\": \"UTC\"}",
    "<start_function_call>call:get_time{tz:<escape>UTC<escape>}<end_function_call>",
    "<｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{}<｜tool▁call▁end｜>",
    "<tool_call>get_time\n<arg_key>tz</arg_key>\n<arg_value>UTC</arg_value>\n</tool_call>",
    "<|tool_call_begin|>functions.get_time:1<|tool_call_argument_begin|>{}<|tool_call_end|>",
    "<invoke name=\"get_time\">\n<parameter name=\"tz\">UTC</parameter>\n</invoke>",
    // Harmony.
    "<|start|>assistant", "<|channel|>analysis<|message|>", "<|channel|>final<|message|>",
    "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>",
    " to=functions.get_time<|channel|>commentary json<|message|>", "<|end|>", "<|call|>",
    "<|return|>", "{\"city\":\"Paris\"}"};

std::string random_text(std::mt19937& rng) {
  std::uniform_int_distribution<std::size_t> count(0, 24);
  std::uniform_int_distribution<std::size_t> pick(0, kFragments.size() - 1);
  std::string text;
  for (std::size_t n = count(rng); n > 0; --n) text += kFragments[pick(rng)];
  return text;
}

std::vector<std::string_view> random_chunks(std::string_view text, std::mt19937& rng) {
  std::vector<std::string_view> chunks;
  std::uniform_int_distribution<std::size_t> len(1, 7);
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = std::min(len(rng), text.size() - i);
    chunks.push_back(text.substr(i, n));
    i += n;
  }
  return chunks;
}

struct ToolPlugin {
  const char* library;
  const char* name;
  const char* prompt_tail = "";
};

const ToolPlugin kToolPlugins[] = {
    {"librmlx-parser-hermes.so", "hermes"},
    {"librmlx-parser-qwen3-coder.so", "qwen3_coder"},
    {"librmlx-parser-llama3-json.so", "llama3_json"},
    {"librmlx-parser-mistral.so", "mistral"},
    {"librmlx-parser-gemma.so", "gemma"},
    {"librmlx-parser-deepseek-v3.so", "deepseek_v3"},
    {"librmlx-parser-glm4.so", "glm4"},
    {"librmlx-parser-kimi-k2.so", "kimi_k2"},
    {"librmlx-parser-minimax.so", "minimax"},
    {"librmlx-parser-pythonic.so", "pythonic"},
    {"librmlx-parser-harmony.so", "harmony", "<|start|>assistant"},
};

class SplitProperties : public ::testing::TestWithParam<ToolPlugin> {};

TEST_P(SplitProperties, GeneratedTranscripts) {
  const ToolPlugin plugin = GetParam();
  const bool structural = std::string_view(plugin.name) == "harmony";
  std::mt19937 rng(20250101);
  int with_calls = 0;
  for (int round = 0; round < 300; ++round) {
    const std::string text = random_text(rng);
    SCOPED_TRACE("text: " + text);
    auto run = [&](const std::vector<std::string_view>& chunks) {
      LoadedParser p(plugin.library, sdk::ComponentKind::tool_parser, plugin.name);
      return describe(run_chunks(*p, kWeatherTools, plugin.prompt_tail, chunks));
    };
    LoadedParser whole_parser(plugin.library, sdk::ComponentKind::tool_parser, plugin.name);
    const Events whole = run_chunks(*whole_parser, kWeatherTools, plugin.prompt_tail, {text});
    const std::string expected = describe(whole);
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < text.size(); ++i)
      bytes.push_back(std::string_view(text).substr(i, 1));
    ASSERT_EQ(run(bytes), expected) << "fed one byte at a time";
    for (int k = 0; k < 3; ++k) {
      ASSERT_EQ(run(random_chunks(text, rng)), expected);
    }
    bool has_call = false;
    std::string content_text;
    for (const auto& e : whole) {
      if (e.kind == sdk::EventKind::tool_call_begin) has_call = true;
      if (e.kind == sdk::EventKind::content) content_text += e.text;
      if (e.kind == sdk::EventKind::tool_call_args) {
        EXPECT_FALSE(e.text.empty());
        EXPECT_EQ(e.text.front(), '{');
      }
    }
    with_calls += has_call ? 1 : 0;
    if (!has_call && !structural) {
      ASSERT_EQ(content_text, text) << "text without calls changed";
    }
  }
  // The generator must exercise both outcomes for the properties to mean much.
  std::printf("%s: %d of 300 transcripts gave calls\n", plugin.name, with_calls);
  EXPECT_GT(with_calls, 5);
  EXPECT_LT(with_calls, 295);
}

INSTANTIATE_TEST_SUITE_P(ToolParsers, SplitProperties, ::testing::ValuesIn(kToolPlugins),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace rmlx::parsers::test
