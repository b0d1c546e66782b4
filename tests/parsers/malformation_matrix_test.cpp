// The recoveries every marker-based tool parser shares, checked format by format: a call written
// without the format's tags as a bare JSON object naming a declared tool, the same inside a ```json
// code fence, the same with single quotes and a trailing comma, each rebuilt into a structured
// call after prose; and a bare object naming an undeclared tool, which stays content verbatim.
// (Each parser's own tests cover its unclosed tags and format-specific damage.)
#include <gtest/gtest.h>

#include "harness.h"

namespace rmlx::parsers::test {
namespace {

struct Format {
  const char* library;
  const char* name;
};

class Malformation : public ::testing::TestWithParam<Format> {
 protected:
  Subject subject() const {
    return {GetParam().library, sdk::ComponentKind::tool_parser, GetParam().name,
            std::string(kWeatherTools), ""};
  }
  // The prose before the call (its line break lays out the call), then the call; Mistral's ids
  // are its own 9-character kind.
  Events expected_call() const {
    const std::string id = std::string(GetParam().name) == "mistral" ? kMistralId : "";
    return seq({one(content("Sure.")), call(0, "get_weather", R"({"city":"Paris"})", id)});
  }
};

TEST_P(Malformation, BareJsonObjectNamingADeclaredTool) {
  auto ev =
      subject().parse("Sure.\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}");
  expect_events(ev, expected_call());
}

TEST_P(Malformation, JsonInACodeFence) {
  auto ev = subject().parse(
      "Sure.\n```json\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n```");
  expect_events(ev, expected_call());
}

TEST_P(Malformation, SingleQuotesAndTrailingCommas) {
  auto ev = subject().parse("Sure.\n{'name': 'get_weather', 'arguments': {'city': 'Paris',},}");
  expect_events(ev, expected_call());
}

TEST_P(Malformation, BareJsonNamingAnUndeclaredToolStaysContent) {
  const std::string text = "Sure.\n{\"name\": \"book_flight\", \"arguments\": {\"to\": \"Oslo\"}}";
  expect_events(subject().parse(text), {content(text)});
}

INSTANTIATE_TEST_SUITE_P(ToolParsers, Malformation,
                         ::testing::Values(Format{"librmlx-parser-hermes.so", "hermes"},
                                           Format{"librmlx-parser-qwen3-coder.so", "qwen3_coder"},
                                           Format{"librmlx-parser-llama3-json.so", "llama3_json"},
                                           Format{"librmlx-parser-mistral.so", "mistral"},
                                           Format{"librmlx-parser-gemma.so", "gemma"},
                                           Format{"librmlx-parser-deepseek-v3.so", "deepseek_v3"},
                                           Format{"librmlx-parser-glm4.so", "glm45"},
                                           Format{"librmlx-parser-kimi-k2.so", "kimi_k2"},
                                           Format{"librmlx-parser-minimax.so", "minimax"},
                                           Format{"librmlx-parser-pythonic.so", "pythonic"}),
                         [](const ::testing::TestParamInfo<Format>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace rmlx::parsers::test
