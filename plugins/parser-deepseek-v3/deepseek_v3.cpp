// ToolParser `deepseek_v3` (DeepSeek-V3, R1; also V3.1's layout):
//   <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather
//   ```json
//   {"city": "Paris"}
//   ```<｜tool▁call▁end｜><｜tool▁calls▁end｜>
// V3.1 writes `<｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"city": "Paris"}<｜tool▁call▁end｜>`.
// The fence is optional here, and so is the outer calls_begin/calls_end
// pair, which carries no text of its own.
#include <rmlx/sdk/plugin.h>

#include "rmlx/parsers/json_calls.h"
#include "rmlx/parsers/marker_parser.h"
#include "rmlx/parsers/text_scan.h"

namespace rmlx::parsers {
namespace {

constexpr std::string_view kCallsBegin = "<｜tool▁calls▁begin｜>";
constexpr std::string_view kCallsEnd = "<｜tool▁calls▁end｜>";
constexpr std::string_view kCallBegin = "<｜tool▁call▁begin｜>";
constexpr std::string_view kCallEnd = "<｜tool▁call▁end｜>";
constexpr std::string_view kSep = "<｜tool▁sep｜>";

std::optional<ToolCall> parse_call(std::string_view body) {
  std::size_t sep = body.find(kSep);
  if (sep == std::string_view::npos) return std::nullopt;
  std::string_view left = trim(body.substr(0, sep));
  std::string_view right = body.substr(sep + kSep.size());
  ToolCall call;
  std::string_view args;
  if (left == "function") {
    // V3: the name runs to the end of its line, the fenced arguments follow.
    std::string_view r = trim_left(right);
    std::size_t end = 0;
    while (end < r.size() && !is_ws(r[end]) && r[end] != '`' && r[end] != '{') ++end;
    call.name = std::string(r.substr(0, end));
    args = r.substr(end);
  } else {
    call.name = std::string(left);
    args = right;
  }
  if (call.name.empty()) return std::nullopt;
  for (char c : call.name) {
    if (!is_name_char(c)) return std::nullopt;
  }
  auto parsed = parse_arguments(args);
  if (!parsed) return std::nullopt;
  call.arguments = std::move(*parsed);
  return call;
}

class DeepSeekV3Parser final : public MarkerToolParser {
 public:
  explicit DeepSeekV3Parser(std::string_view options_json)
      : MarkerToolParser(options_json, {.markers = {{std::string(kCallsBegin)},
                                                    {std::string(kCallsEnd)},
                                                    {std::string(kCallBegin)}}}) {}

  std::string name() const override { return "deepseek_v3"; }

 protected:
  BlockResult on_block(std::size_t marker, std::string_view text,
                       const BlockContext& ctx) override {
    if (marker == 0) {
      return section_opener(text, kCallsBegin.size(), kCallBegin, ctx,
                            [&](std::string_view t) { return on_block(2, t, ctx); });
    }
    if (marker == 1) return section_closer(kCallsEnd.size(), ctx);
    auto body = tag_body(text, kCallBegin.size(), kCallEnd, {kCallBegin, kCallsEnd}, ctx.eof);
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

RMLX_PLUGIN(
    "parser-deepseek-v3", "0.1.0",
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::DeepSeekV3Parser>("deepseek_v3"),
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::DeepSeekV3Parser>("deepseek_r1"),
    rmlx::sdk::component<rmlx::sdk::ToolParser, rmlx::parsers::DeepSeekV3Parser>("deepseek_v31"))
