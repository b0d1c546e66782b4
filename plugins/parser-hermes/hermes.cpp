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

// JSON after <tool_call>: the values end where their brackets balance, so a
// "</tool_call>" inside a string value does not cut them short. Then comes
// the close tag, the next <tool_call>, or (the tag left open) anything else.
BlockResult json_block(std::string_view text, std::size_t i, bool eof, BalancedScan* scan) {
  std::size_t end = json_values_end(text, i, eof, scan);
  if (end == std::string_view::npos) return eof ? BlockResult::reject() : BlockResult::more();
  auto calls = parse_json_calls(text.substr(i, end - i));
  if (!calls) return BlockResult::reject();
  std::size_t j = skip_ws(text, end);
  std::size_t consumed = end;
  switch (match_literal(text.substr(j), kClose)) {
    case Match::full:
      consumed = j + kClose.size();
      break;
    case Match::partial:
      if (!eof) return BlockResult::more();
      consumed = text.size();  // a truncated close tag
      break;
    case Match::no:
      break;
  }
  return BlockResult::done(consumed, std::move(*calls));
}

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
    if (text[i] == '`') {
      auto body = tag_body(text, kOpen.size(), kClose, {kOpen}, ctx.eof);
      if (!body) return BlockResult::more();
      auto calls = parse_json_calls(body->body);
      if (!calls) return BlockResult::reject();
      return BlockResult::done(body->consumed, std::move(*calls));
    }
    return json_block(text, i, ctx.eof, ctx.scan);
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN("parser-hermes", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::HermesParser>("hermes"))
