// ToolParser `hermes` (Qwen2.5, Qwen3, Hermes 2/3):
//   <tool_call>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   </tool_call>
// A block left open at the end of the output, or cut short by the next
// <tool_call>, still counts when its JSON is complete; several objects in one
// block are several calls.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";

class HermesParser final : public MarkerToolParser {
 public:
  explicit HermesParser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kOpen)}}}) {}

  std::string name() const override { return "hermes"; }

 protected:
  BlockResult on_block(std::size_t /*marker*/, std::string_view text,
                       const BlockContext& ctx) override {
    // Prose that merely mentions the tag is given back at once.
    std::size_t i = skip_ws(text, kOpen.size());
    if (i == text.size()) return ctx.eof ? BlockResult::reject() : BlockResult::more();
    if (text[i] != '{' && text[i] != '[' && text[i] != '`') return BlockResult::reject();
    auto body = tag_body(text, kOpen.size(), kClose, {kOpen}, ctx.eof);
    if (!body) return BlockResult::more();
    auto calls = parse_json_calls(body->body);
    if (!calls) return BlockResult::reject();
    return BlockResult::done(body->consumed, std::move(*calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN("parser-hermes", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::HermesParser>("hermes"))
