// ToolParser `pythonic` (Llama 3.2 pythonic template, Llama 4, Gemma 3
// templates): the output is a Python list of calls with literal keyword
// arguments, `[get_weather(city='Paris'), get_time(tz="UTC")]`, optionally
// wrapped in Llama 4's <|python_start|> … <|python_end|>. At the very start
// of the output any name is a call; elsewhere (a list on its own line) only
// declared tools are. A JSON call object where a list was expected is
// recovered the same way.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/python_calls.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kStart = "<|python_start|>";
constexpr std::string_view kEnd = "<|python_end|>";

class PythonicParser final : public MarkerToolParser {
 public:
  explicit PythonicParser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kStart)}},
                                        .bare_json = true,
                                        .bare_python = true,
                                        .any_name_at_start = true}) {}

  std::string name() const override { return "pythonic"; }

 protected:
  BlockResult on_block(std::size_t /*marker*/, std::string_view text,
                       const BlockContext& ctx) override {
    auto body = tag_body(text, kStart.size(), kEnd, {kStart}, ctx.eof);
    if (!body) return BlockResult::more();
    auto calls = parse_python_calls(body->body, true);
    if (!calls) calls = parse_json_calls(body->body);
    if (!calls) return BlockResult::reject();
    return BlockResult::done(body->consumed, std::move(*calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN(
    "parser-pythonic", "0.1.0",
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::PythonicParser>("pythonic"),
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::PythonicParser>("llama4_pythonic"))
