// ToolParser `kimi_k2`:
//   <|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0
//   <|tool_call_argument_begin|>{"city": "Paris"}<|tool_call_end|><|tool_calls_section_end|>
// (without the line break). The model writes the id, `functions.NAME:IDX`;
// it is kept unchanged as the call id because the template writes it back
// into the history. The name is the part between the last '.' and the ':'.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kSectionBegin = "<|tool_calls_section_begin|>";
constexpr std::string_view kSectionEnd = "<|tool_calls_section_end|>";
constexpr std::string_view kCallBegin = "<|tool_call_begin|>";
constexpr std::string_view kCallEnd = "<|tool_call_end|>";
constexpr std::string_view kArgBegin = "<|tool_call_argument_begin|>";
// Some checkpoints spell the section tokens in the singular.
constexpr std::string_view kSectionBeginAlt = "<|tool_call_section_begin|>";
constexpr std::string_view kSectionEndAlt = "<|tool_call_section_end|>";

std::optional<ToolCall> parse_call(std::string_view body) {
  std::size_t arg = body.find(kArgBegin);
  if (arg == std::string_view::npos) return std::nullopt;
  std::string_view id = trim(body.substr(0, arg));
  if (id.empty()) return std::nullopt;
  for (char c : id) {
    if (!is_name_char(c)) return std::nullopt;
  }
  std::string_view name = id.substr(0, id.find(':'));
  if (std::size_t dot = name.rfind('.'); dot != std::string_view::npos) {
    name.remove_prefix(dot + 1);
  }
  if (name.empty()) return std::nullopt;
  auto args = parse_arguments(body.substr(arg + kArgBegin.size()));
  if (!args) return std::nullopt;
  return ToolCall{std::string(name), std::move(*args), std::string(id)};
}

class KimiK2Parser final : public MarkerToolParser {
 public:
  explicit KimiK2Parser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kSectionBegin)},
                                                    {std::string(kSectionEnd)},
                                                    {std::string(kCallBegin)},
                                                    {std::string(kSectionBeginAlt)},
                                                    {std::string(kSectionEndAlt)}}}) {}

  std::string name() const override { return "kimi_k2"; }

 protected:
  BlockResult on_block(std::size_t marker, std::string_view text,
                       const BlockContext& ctx) override {
    if (marker == 0 || marker == 3) {
      const std::size_t len = marker == 0 ? kSectionBegin.size() : kSectionBeginAlt.size();
      return section_opener(text, len, kCallBegin, ctx,
                            [&](std::string_view t) { return on_block(2, t, ctx); });
    }
    if (marker == 1) return section_closer(kSectionEnd.size(), ctx);
    if (marker == 4) return section_closer(kSectionEndAlt.size(), ctx);
    auto body = tag_body(text, kCallBegin.size(), kCallEnd,
                         {kCallBegin, kSectionEnd, kSectionEndAlt}, ctx.eof);
    if (!body) return BlockResult::more();
    auto call = parse_call(body->body);
    if (!call) return BlockResult::reject();
    std::vector<ToolCall> calls;
    calls.push_back(std::move(*call));
    return BlockResult::done(body->consumed, std::move(calls));
  }
};

}  // namespace
}  // namespace rmlx::parsers

RMLX_PLUGIN("parser-kimi-k2", "0.1.0",
            rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::KimiK2Parser>("kimi_k2"))
